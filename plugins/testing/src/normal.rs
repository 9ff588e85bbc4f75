//! Behaviours that end on their own: the normal job and its variations.

use std::hint::black_box;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;

use crate::bindings::kiln::generator::host::{log, progress, read_asset};
use crate::bindings::kiln::generator::types::{GenerateError, Level};
use crate::output::{self, failed};

/// Bytes asked of `read-asset` per call: small enough that a test asset of a
/// few hundred KiB takes several calls.
const ASSET_READ: u32 = 64 * 1024;

/// Logs, reports progress, and writes `text` to each file in two chunks.
pub(crate) fn ok(text: &str, files: u64, progress_steps: u64) -> Result<(), GenerateError> {
    log(Level::Info, &format!("writing {files} file(s)"));
    for step in 1..=progress_steps {
        progress(step, progress_steps, &format!("step {step} of {progress_steps}"));
    }
    let (head, tail) = text.as_bytes().split_at(text.len() / 2);
    for n in 1..=files {
        let path = if files == 1 { "hello.txt".to_owned() } else { format!("hello-{n}.txt") };
        output::write_file(&path, "text/plain", &[head, tail])?;
    }
    Ok(())
}

/// Reports progress and sleeps each step, so a test can crash or cancel it
/// mid-run; writes the step count to `slow.txt`.
pub(crate) fn slow(steps: u64, step_ms: u64) -> Result<(), GenerateError> {
    for step in 0..steps {
        progress(step, steps, &format!("step {} of {steps}", step + 1));
        thread::sleep(Duration::from_millis(step_ms));
    }
    progress(steps, steps, "done");
    output::write_file("slow.txt", "text/plain", &[steps.to_string().as_bytes()])
}

/// Copies the named asset to `asset.bin` unchanged.
pub(crate) fn echo_asset(name: &str) -> Result<(), GenerateError> {
    let Some(mut chunk) = read_asset(name, 0, ASSET_READ) else {
        return Err(failed(format!("no asset {name}")));
    };
    let path = "asset.bin";
    let file = output::create(path, "application/octet-stream")?;
    let mut offset = 0u64;
    while !chunk.is_empty() {
        output::write(&file, path, &chunk)?;
        offset += chunk.len() as u64;
        chunk = read_asset(name, offset, ASSET_READ)
            .ok_or_else(|| failed(format!("asset {name} vanished at offset {offset}")))?;
    }
    output::finish(&file, path)
}

/// Writes what the plugin can observe of time and randomness to `clock.json`:
/// the wall clock in nanoseconds since the Unix epoch (negative if before),
/// the monotonic time a short busy loop took, and 16 random bytes in hex.
pub(crate) fn clock_random() -> Result<(), GenerateError> {
    let wall_clock_nanos: i128 = match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(since) => since.as_nanos().try_into().unwrap_or(i128::MAX),
        Err(before) => -before.duration().as_nanos().try_into().unwrap_or(i128::MAX),
    };
    let start = Instant::now();
    let mut sum = 0u64;
    for i in 0..100_000u64 {
        sum = black_box(sum.wrapping_add(i));
    }
    let monotonic_elapsed_nanos = start.elapsed().as_nanos();
    let mut random = [0u8; 16];
    getrandom::fill(&mut random).map_err(|err| failed(format!("random source: {err}")))?;
    let random_hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let report = json!({
        "wall_clock_nanos": wall_clock_nanos,
        "monotonic_elapsed_nanos": monotonic_elapsed_nanos,
        "random_hex": random_hex,
    });
    output::write_file("clock.json", "application/json", &[report.to_string().as_bytes()])
}

/// Writes a chunk of `partial.txt` and returns without finishing it, either
/// leaving the handle open or dropping it first.
pub(crate) fn unfinished(drop_handle: bool) -> Result<(), GenerateError> {
    let path = "partial.txt";
    let file = output::create(path, "text/plain")?;
    output::write(&file, path, b"this file is never finished")?;
    if drop_handle {
        drop(file);
    } else {
        // Keeps the handle in the host's table past the return.
        std::mem::forget(file);
    }
    Ok(())
}
