//! The kiln `pptx` generator: turns a JSON slide-deck spec into a PowerPoint
//! `.pptx` file, writing PresentationML itself.

mod chart;
mod deck;
mod fit;
mod geometry;
mod image;
mod package;
mod parts;
mod slide;
pub mod spec;
mod text;
mod validate;
mod writer;
mod xml;

use std::io::Write;

pub use spec::Presentation;

/// The media type of the files this plugin writes.
pub const PPTX_MEDIA_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.presentationml.presentation";

/// The file name used when the spec sets none.
pub const DEFAULT_FILE_NAME: &str = "presentation.pptx";

/// Log levels of [`Env::log`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Info,
    Warn,
}

/// What generation needs from its host.
pub trait Env {
    fn log(&mut self, level: LogLevel, message: &str);
    fn progress(&mut self, done: u64, total: u64, message: &str);
    fn asset_names(&self) -> Vec<String>;
    fn read_asset(&mut self, name: &str) -> Option<Vec<u8>>;
}

/// Why generation stopped.
#[derive(Debug)]
pub enum Error {
    Invalid(Vec<(String, String)>),
    Io(std::io::Error),
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}

/// Every violation of a parsed spec: (pointer, message).
pub fn check(spec: &Presentation) -> Vec<(String, String)> {
    validate::check(spec)
}

struct AssetImages<'e> {
    env: &'e mut dyn Env,
}

impl deck::Images for AssetImages<'_> {
    fn image(&mut self, name: &str) -> Result<(Vec<u8>, deck::ImageInfo), String> {
        let Some(bytes) = self.env.read_asset(name) else {
            let names = self.env.asset_names();
            let candidates: Vec<&str> = names.iter().map(String::as_str).collect();
            let hint = validate::closest(name, &candidates)
                .map(|c| format!(" (did you mean \"{c}\"?)"))
                .unwrap_or_default();
            let list = if names.is_empty() {
                "the job has no assets".to_string()
            } else {
                format!("the job's assets are {}", names.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", "))
            };
            return Err(format!("no input asset named \"{name}\"{hint}; {list}"));
        };
        match image::dimensions(&bytes) {
            Some(info) => Ok((bytes, info)),
            None => Err(format!("asset \"{name}\" is not a PNG or JPEG image")),
        }
    }
}

/// Builds the deck into `out` (a ZIP package).
pub fn generate<W: Write>(spec: &Presentation, env: &mut dyn Env, out: W) -> Result<W, Error> {
    let deck = deck::plan(spec, &mut AssetImages { env }).map_err(Error::Invalid)?;
    for a in &deck.adjustments {
        let level = match a {
            deck::Adjustment::Overflows { .. } => LogLevel::Warn,
            _ => LogLevel::Info,
        };
        env.log(level, &a.message(spec));
    }
    let mut zip = package::Zip::new(out);
    writer::write(spec, &deck, &mut zip, &mut |d, t, m| env.progress(d, t, m))?;
    Ok(zip.finish()?)
}
