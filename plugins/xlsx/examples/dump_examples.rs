//! Writes the output of every bundled example to `<dir>/<index>/<file_name>`,
//! for `tests/check_examples.py`.
//!
//! Usage: `cargo run -p kiln-plugin-xlsx --release --example dump_examples -- <dir>`

use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let dir: PathBuf = std::env::args_os()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: dump_examples <dir>"))?
        .into();
    for (index, (title, spec)) in kiln_plugin_xlsx::info().examples.iter().enumerate() {
        let generated = kiln_plugin_xlsx::generate(spec, &mut |_, _, _| {})
            .map_err(|e| anyhow::anyhow!("example {index} ({title}): {e}"))?;
        let out = dir.join(index.to_string());
        std::fs::create_dir_all(&out)?;
        let path = out.join(&generated.file_name);
        std::fs::write(&path, &generated.bytes)?;
        println!(
            "{index}: {title} -> {} ({} bytes)",
            path.display(),
            generated.bytes.len()
        );
    }
    Ok(())
}
