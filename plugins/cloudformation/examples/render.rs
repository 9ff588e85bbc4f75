//! Writes a spec's files into a directory, or prints its violations.
//!
//! Usage: `cargo run -p kiln-plugin-cloudformation --example render -- <spec.json> <out-dir>`

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(spec_path), Some(out)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: render <spec.json> <out-dir>");
    };
    let text = std::fs::read_to_string(&spec_path)?;
    let spec: kiln_plugin_cloudformation::Spec = serde_json::from_str(&text)?;
    let violations = kiln_plugin_cloudformation::validate::validate(&spec);
    if !violations.is_empty() {
        for v in &violations {
            println!("{}: {}", v.pointer, v.message);
        }
        std::process::exit(1);
    }
    std::fs::create_dir_all(&out)?;
    let template = kiln_plugin_cloudformation::template::template(&spec);
    for kind in kiln_plugin_cloudformation::files(&spec) {
        let mut file = std::fs::File::create(std::path::Path::new(&out).join(kind.path()))?;
        kiln_plugin_cloudformation::write_file(&spec, &template, kind, &mut file)?;
    }
    Ok(())
}
