//! Writes a spec's files into a directory, or prints its violations.
//!
//! Usage: `cargo run -p kiln-plugin-cloudformation --example render -- <spec.json> <out-dir>`

use kiln_plugin_cloudformation::CloudFormation;
use kiln_plugin_sdk::{GenerateError, testing};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(spec_path), Some(out)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: render <spec.json> <out-dir>");
    };
    let text = std::fs::read_to_string(&spec_path)?;
    match testing::run::<CloudFormation>(&text, &[]) {
        Ok(run) => {
            std::fs::create_dir_all(&out)?;
            for file in &run.files {
                std::fs::write(std::path::Path::new(&out).join(&file.path), &file.bytes)?;
            }
            for (level, line) in &run.log {
                eprintln!("{level:?}: {line}");
            }
            Ok(())
        }
        Err(GenerateError::InvalidSpec(violations)) => {
            for v in violations {
                println!("{v}");
            }
            std::process::exit(1);
        }
        Err(e) => Err(e.into()),
    }
}
