//! The docx plugin through the sandbox: images are copied from the host
//! into the package as it is written, never held whole by the guest.

use std::process::Command;

use kiln_runtime::{Asset, GenerateRequest, Outcome};
use serde_json::json;

use crate::support::{component, python, runtime};

/// An incompressible PNG-looking asset of `len` bytes: a real signature and
/// header (all the plugin reads of it), then noise.
fn noise_png(len: usize, seed: u64) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    bytes.extend_from_slice(&1200u32.to_be_bytes());
    bytes.extend_from_slice(&800u32.to_be_bytes());
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    while bytes.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

#[tokio::test]
async fn images_stream_into_the_document_with_guest_memory_far_below_its_size() {
    const IMAGE: usize = 12 << 20;
    let runtime = runtime();
    let plugin = runtime.load_file(&component("kiln_plugin_docx.wasm")).await.unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let mut assets = Vec::new();
    let mut blocks = vec![json!({"heading": "Four large images"})];
    for i in 0..4 {
        let name = format!("img{i}.png");
        let bytes = noise_png(IMAGE, i);
        std::fs::write(scratch.path().join(&name), &bytes).unwrap();
        blocks.push(json!({"image": {"asset": name, "alt": format!("noise {i}")}}));
        assets.push(Asset { name, media_type: "image/png".into(), bytes: bytes.into() });
    }
    let out = scratch.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let mut request = GenerateRequest::new(json!({"blocks": blocks}).to_string(), &out);
    request.assets = assets;
    let report = runtime.generate(&plugin, request).await.unwrap();
    assert_eq!(report.outcome, Outcome::Succeeded, "{:?}", report.log);

    let (output, peak) = (report.usage.output_bytes, report.usage.peak_memory_bytes);
    assert!(output > 4 * IMAGE as u64, "{output} bytes out");
    assert!(peak < 8 << 20, "peak guest memory {peak} bytes for {output} bytes out");

    // python-docx sees the four pictures, and each is its asset byte for byte.
    let check = r#"
import sys, zipfile, docx
path, assets = sys.argv[1], sys.argv[2]
assert len(docx.Document(path).inline_shapes) == 4
package = zipfile.ZipFile(path)
for i in range(4):
    assert package.read(f"word/media/image{i + 1}.png") == open(f"{assets}/img{i}.png", "rb").read(), i
"#;
    let status = Command::new(python())
        .args(["-c", check])
        .arg(out.join("document.docx"))
        .arg(scratch.path())
        .status()
        .unwrap();
    assert!(status.success());
}
