//! Generates a .pptx from a spec file: `dump <spec.json> <out.pptx> [asset-dir]`.

use kiln_plugin_pptx::{Env, LogLevel};

struct Dir(Option<std::path::PathBuf>);

impl Env for Dir {
    fn log(&mut self, level: LogLevel, message: &str) {
        eprintln!("{level:?}: {message}");
    }
    fn progress(&mut self, _: u64, _: u64, _: &str) {}
    fn asset_names(&self) -> Vec<String> {
        let Some(d) = &self.0 else { return vec![] };
        let mut v: Vec<String> = std::fs::read_dir(d).map(|r| r.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect()).unwrap_or_default();
        v.sort();
        v
    }
    fn read_asset(&mut self, name: &str) -> Option<Vec<u8>> {
        std::fs::read(self.0.as_ref()?.join(name)).ok()
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let spec: kiln_plugin_pptx::Presentation = serde_json::from_str(&std::fs::read_to_string(&args[0])?)?;
    let v = kiln_plugin_pptx::check(&spec);
    if !v.is_empty() {
        anyhow::bail!("{v:?}");
    }
    let out = std::fs::File::create(&args[1])?;
    let mut env = Dir(args.get(2).map(Into::into));
    match kiln_plugin_pptx::generate(&spec, &mut env, out) {
        Ok(_) => Ok(()),
        Err(e) => anyhow::bail!("{e:?}"),
    }
}
