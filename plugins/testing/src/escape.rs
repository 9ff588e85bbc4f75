//! Behaviours that try to leave the sandbox. Each writes what it reached to
//! `leak.txt` and succeeds, or fails with every error it met, so a test can
//! tell "denied" from "never tried".

use std::ffi::OsString;
use std::net::{TcpStream, UdpSocket};

use crate::bindings::kiln::generator::types::GenerateError;
use crate::output::{self, failed};

/// Tries the host's files. Fails with
/// `filesystem denied: read /etc/passwd: <e>; read_dir /: <e>; read_dir .: <e>`.
pub(crate) fn read_file() -> Result<(), GenerateError> {
    let mut errors = Vec::new();
    match std::fs::read("/etc/passwd") {
        Ok(bytes) => return leak(&[b"read /etc/passwd\n", &bytes]),
        Err(err) => errors.push(format!("read /etc/passwd: {err}")),
    }
    for dir in ["/", "."] {
        match std::fs::read_dir(dir) {
            Ok(entries) => {
                let mut listing = format!("read_dir {dir}\n");
                for entry in entries.flatten() {
                    listing.push_str(&entry.file_name().to_string_lossy());
                    listing.push('\n');
                }
                return leak(&[listing.as_bytes()]);
            }
            Err(err) => errors.push(format!("read_dir {dir}: {err}")),
        }
    }
    Err(failed(format!("filesystem denied: {}", errors.join("; "))))
}

/// Looks for environment variables and arguments. Fails with
/// `environment empty: 0 vars, 0 args`.
pub(crate) fn read_env() -> Result<(), GenerateError> {
    let vars: Vec<(OsString, OsString)> = std::env::vars_os().collect();
    let args: Vec<OsString> = std::env::args_os().collect();
    if vars.is_empty() && args.is_empty() {
        return Err(failed("environment empty: 0 vars, 0 args".into()));
    }
    let mut found = format!("{} vars, {} args\n", vars.len(), args.len());
    for (key, value) in &vars {
        found.push_str(&format!("var {}={}\n", key.to_string_lossy(), value.to_string_lossy()));
    }
    for arg in &args {
        found.push_str(&format!("arg {}\n", arg.to_string_lossy()));
    }
    leak(&[found.as_bytes()])
}

/// Tries a TCP connection to `addr`, then a UDP datagram to it. Fails with
/// `network denied: tcp connect <addr>: <e>; udp <step> <addr>: <e>`.
pub(crate) fn open_socket(addr: &str) -> Result<(), GenerateError> {
    let tcp = match TcpStream::connect(addr) {
        Ok(_) => return leak(&[format!("connected to {addr} over tcp").as_bytes()]),
        Err(err) => format!("tcp connect {addr}: {err}"),
    };
    let udp = match UdpSocket::bind("0.0.0.0:0") {
        Err(err) => format!("udp bind 0.0.0.0:0: {err}"),
        Ok(socket) => match socket.send_to(b"kiln", addr) {
            Ok(_) => return leak(&[format!("sent a datagram to {addr} over udp").as_bytes()]),
            Err(err) => format!("udp send_to {addr}: {err}"),
        },
    };
    Err(failed(format!("network denied: {tcp}; {udp}")))
}

fn leak(chunks: &[&[u8]]) -> Result<(), GenerateError> {
    output::write_file("leak.txt", "text/plain", chunks)
}
