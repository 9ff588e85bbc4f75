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
    use kiln_plugin_sdk::Generator;
    for (index, example) in kiln_plugin_xlsx::Xlsx::info().examples.iter().enumerate() {
        let title = &example.title;
        let run = kiln_plugin_sdk::testing::run::<kiln_plugin_xlsx::Xlsx>(&example.spec, &[])
            .map_err(|e| anyhow::anyhow!("example {index} ({title}): {e}"))?;
        let file = &run.files[0];
        let out = dir.join(index.to_string());
        std::fs::create_dir_all(&out)?;
        let path = out.join(&file.path);
        std::fs::write(&path, &file.bytes)?;
        println!("{index}: {title} -> {} ({} bytes)", path.display(), file.bytes.len());
    }
    Ok(())
}
