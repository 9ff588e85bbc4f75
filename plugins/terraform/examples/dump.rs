//! Writes the files of a spec to a directory:
//! `cargo run -p kiln-plugin-terraform --example dump -- <spec.json> <out dir>`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(spec_path), Some(out)) = (args.next(), args.next()) else {
        return Err("usage: dump <spec.json> <out dir>".into());
    };
    let text = std::fs::read_to_string(&spec_path)?;
    let spec = kiln_plugin_terraform::parse(&text)?;
    let problems = kiln_plugin_terraform::check(&spec);
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("{}: {}", p.pointer, p.message);
        }
        return Err("invalid spec".into());
    }
    let (files, notes) = kiln_plugin_terraform::files(&spec);
    for n in notes {
        eprintln!("note: {n}");
    }
    for f in files {
        let path = std::path::Path::new(&out).join(&f.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, f.text)?;
    }
    Ok(())
}
