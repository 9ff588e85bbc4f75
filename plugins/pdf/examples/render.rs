//! Renders spec files to PDFs: `cargo run --example render -- OUT_DIR spec.json...`.
//! Assets named by the specs are read from the spec's folder.

use kiln_plugin_pdf::Pdf;
use kiln_plugin_sdk::testing;

fn main() {
    let mut args = std::env::args().skip(1);
    let out = std::path::PathBuf::from(args.next().expect("an output folder"));
    std::fs::create_dir_all(&out).expect("output folder");
    for path in args {
        let path = std::path::PathBuf::from(path);
        let spec = std::fs::read_to_string(&path).expect("spec");
        let dir = path.parent().map(std::path::Path::to_path_buf).unwrap_or_default();
        let mut assets = Vec::new();
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = entry.path();
            if matches!(p.extension().and_then(|e| e.to_str()), Some("png" | "jpg" | "jpeg")) {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
                let media = if name.ends_with(".png") { "image/png" } else { "image/jpeg" };
                assets.push((name, media, std::fs::read(&p).expect("asset")));
            }
        }
        let refs: Vec<(&str, &str, &[u8])> =
            assets.iter().map(|(n, m, b)| (n.as_str(), *m, b.as_slice())).collect();
        let start = std::time::Instant::now();
        match testing::run::<Pdf>(&spec, &refs) {
            Ok(run) => {
                let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("out");
                for f in &run.files {
                    std::fs::write(out.join(format!("{stem}.pdf")), &f.bytes).expect("write");
                    println!(
                        "{}: {} bytes in {:?}",
                        path.display(),
                        f.bytes.len(),
                        start.elapsed()
                    );
                }
                for (level, line) in &run.log {
                    println!("  {level:?}: {line}");
                }
            }
            Err(e) => println!("{}: {e}", path.display()),
        }
    }
}
