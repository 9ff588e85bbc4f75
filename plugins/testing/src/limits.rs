//! Behaviours that never end on their own: only a sandbox limit stops them.

use std::hint::black_box;
use std::io::Write;
use std::thread;
use std::time::Duration;

use crate::bindings::kiln::generator::host::{OutputFile, log};
use crate::bindings::kiln::generator::types::{GenerateError, Level};
use crate::output::{self, failed};

const MIB: usize = 1024 * 1024;

/// Bytes in each line the flooding behaviours send.
const LINE: usize = 1024;

/// Spins without calling the host: only fuel or epoch interruption stops it.
pub(crate) fn busy_loop() -> ! {
    let mut counter = 0u64;
    loop {
        counter = black_box(counter.wrapping_add(1));
    }
}

/// Sleeps in a host poll, where only the wall-clock limit can stop it.
pub(crate) fn sleep(secs: u64) -> Result<(), GenerateError> {
    thread::sleep(Duration::from_secs(secs));
    Ok(())
}

/// Keeps every block, each filled so its pages are really used.
pub(crate) fn memory_bomb() -> ! {
    let mut held: Vec<Vec<u8>> = Vec::new();
    loop {
        held.push(vec![0xA5; MIB]);
        black_box(&held);
    }
}

pub(crate) fn huge_output() -> Result<(), GenerateError> {
    let path = "huge.bin";
    let file = output::create(path, "application/octet-stream")?;
    let chunk = vec![0xA5; MIB];
    loop {
        output::write(&file, path, &chunk)?;
    }
}

pub(crate) fn many_files() -> Result<(), GenerateError> {
    for n in 0u64.. {
        output::write_file(&format!("f{n}.bin"), "application/octet-stream", &[b"kiln"])?;
    }
    Ok(())
}

/// Leaks file handles until the host's resource table or file quota gives out.
pub(crate) fn open_files() -> Result<(), GenerateError> {
    let mut open: Vec<OutputFile> = Vec::new();
    for n in 0u64.. {
        open.push(output::create(&format!("open{n}.bin"), "application/octet-stream")?);
    }
    Ok(())
}

pub(crate) fn log_flood() -> ! {
    let line = "x".repeat(LINE);
    loop {
        log(Level::Info, &line);
    }
}

/// Floods stdout; if the host closes it, the run fails with `stdout: <error>`.
pub(crate) fn stdout_flood() -> Result<(), GenerateError> {
    let mut line = "x".repeat(LINE - 1);
    line.push('\n');
    let mut stdout = std::io::stdout().lock();
    loop {
        stdout
            .write_all(line.as_bytes())
            .and_then(|()| stdout.flush())
            .map_err(|err| failed(format!("stdout: {err}")))?;
    }
}
