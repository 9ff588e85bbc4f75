//! Integration tests of the docx plugin: the document model, validation,
//! the generated packages, and independent readers (python-docx, LibreOffice).

mod examples;
mod expect;
mod model;
mod output;
mod validation;

use std::path::PathBuf;
use std::process::Command;

use kiln_plugin_docx::Docx;
use kiln_plugin_sdk::testing;

/// Where tests leave files for people to look at.
pub(crate) fn output_dir(sub: &str) -> PathBuf {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/test-output/docx").join(sub);
    std::fs::create_dir_all(&dir).expect("create the test output folder");
    dir
}

/// Test assets: a PNG (40×20 px) and a JPEG (30×30 px).
pub(crate) fn assets() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    vec![
        ("chart.png", "image/png", png(40, 20)),
        ("logo.png", "image/png", png(16, 16)),
        ("photo.jpg", "image/jpeg", jpeg(30, 30)),
    ]
}

/// Generates a spec that must be valid, with the test assets.
pub(crate) fn generate(spec: &str) -> Vec<u8> {
    let owned = assets();
    let assets: Vec<(&str, &str, &[u8])> =
        owned.iter().map(|(n, t, b)| (*n, *t, b.as_slice())).collect();
    match testing::run::<Docx>(spec, &assets) {
        Ok(run) => {
            assert_eq!(run.files.len(), 1, "one file");
            run.files[0].bytes.clone()
        }
        Err(e) => panic!("generation failed: {e}"),
    }
}

/// The Python interpreter with the readers (python-docx, pypdf).
pub(crate) fn python() -> String {
    std::env::var("KILN_TEST_PYTHON").unwrap_or_else(|_| {
        let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
        if venv.exists() { venv.to_string_lossy().into_owned() } else { "python3".into() }
    })
}

/// Runs a checker script from `tests/`; panics with its output on failure.
pub(crate) fn run_checker(script: &str, args: &[&str]) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests").join(script);
    let out = Command::new(python())
        .arg(&path)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} with {}: {e}; set KILN_TEST_PYTHON to a Python 3 with python-docx and pypdf (pip install python-docx==1.2.0 pypdf==7.1.1)", script, python()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{script} failed:\n{stdout}\n{stderr}");
    eprintln!("{stdout}");
}

fn crc(bytes: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in bytes {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 { (c >> 1) ^ 0xEDB8_8320 } else { c >> 1 };
        }
    }
    !c
}

/// A minimal valid PNG of the given size (stored, uncompressed deflate).
pub(crate) fn png(width: u32, height: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend(crc(&body).to_be_bytes());
    }
    let mut raw = Vec::new();
    for y in 0..height {
        raw.push(0);
        for x in 0..width {
            raw.extend([(x * 255 / width.max(1)) as u8, (y * 255 / height.max(1)) as u8, 160]);
        }
    }
    // zlib: header, one stored block per 65535 bytes, adler32.
    let mut z = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65535).collect();
    for (i, b) in blocks.iter().enumerate() {
        z.push(u8::from(i + 1 == blocks.len()));
        z.extend((b.len() as u16).to_le_bytes());
        z.extend((!(b.len() as u16)).to_le_bytes());
        z.extend_from_slice(b);
    }
    let (mut a, mut bb) = (1u32, 0u32);
    for &x in &raw {
        a = (a + x as u32) % 65521;
        bb = (bb + a) % 65521;
    }
    z.extend(((bb << 16) | a).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &z);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A JPEG header with the given size (enough for size detection; the
/// readers in these tests do not decode it).
pub(crate) fn jpeg(width: u16, height: u16) -> Vec<u8> {
    let mut j = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    j.extend(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    j.extend([0xFF, 0xC0, 0x00, 0x0B, 0x08]);
    j.extend(height.to_be_bytes());
    j.extend(width.to_be_bytes());
    j.extend([0x01, 0x01, 0x11, 0x00, 0xFF, 0xD9]);
    j
}
