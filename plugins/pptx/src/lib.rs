//! The kiln `pptx` generator: turns a JSON slide-deck spec into a PowerPoint
//! `.pptx` file. It writes PresentationML itself (a slide master, nine real
//! layouts, a theme, native charts, notes) into the SDK's deterministic
//! OOXML package writer, one part at a time.
//!
//! | module | concern |
//! | --- | --- |
//! | `spec` | the spec types (their doc comments are the schema) |
//! | `validate` | the checks the types cannot express |
//! | `text`, `fit` | inline Markdown; text measurement, shrinking, continuation |
//! | `geometry`, `deck` | placeholder boxes; spec slides → output slides |
//! | `parts`, `slide`, `chart`, `writer` | the XML parts and the package |

pub mod bench;
mod chart;
mod deck;
mod fit;
mod geometry;
mod parts;
mod slide;
pub mod spec;
mod text;
mod validate;
mod writer;
mod xml;

use kiln_plugin_sdk::ooxml::Package;
use kiln_plugin_sdk::{Example, GenerateError, Generator, Host, Info, Level, Result, Violation};

pub use spec::Presentation;

/// The media type of the files this plugin writes.
pub const PPTX_MEDIA_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.presentationml.presentation";

/// The file name used when the spec sets none.
pub const DEFAULT_FILE_NAME: &str = "presentation.pptx";

/// The bundled examples, as (title, spec JSON).
pub const EXAMPLES: [(&str, &str); 3] = [
    ("Seed-round pitch deck", include_str!("../examples/pitch_deck.json")),
    ("Training deck with speaker notes", include_str!("../examples/training_deck.json")),
    ("Quarterly business review with charts", include_str!("../examples/quarterly_review.json")),
];

/// The generator.
#[derive(Debug)]
pub struct Pptx;

impl Generator for Pptx {
    type Spec = Presentation;

    fn info() -> Info {
        Info {
            name: "pptx".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            artifact_type: "pptx".into(),
            summary: "Builds a PowerPoint deck (.pptx) from a JSON spec: title, bullet, two-column, \
                      section, table, image, quote, big-number and native chart slides, with speaker \
                      notes, slide numbers and a theme."
                .into(),
            description: include_str!("description.md").into(),
            media_types: vec![PPTX_MEDIA_TYPE.into()],
            examples: EXAMPLES.iter().map(|(t, s)| Example::new(*t, *s)).collect(),
        }
    }

    fn validate(spec: &Presentation) -> Vec<Violation> {
        validate::check(spec)
            .into_iter()
            .map(|(pointer, message)| Violation::new(pointer, message))
            .collect()
    }

    fn generate(spec: Presentation, host: &mut Host) -> Result<()> {
        let deck = deck::plan(&spec, &mut AssetImages { host }).map_err(|errors| {
            GenerateError::InvalidSpec(
                errors.into_iter().map(|(p, m)| Violation::new(p, m)).collect(),
            )
        })?;
        for a in &deck.adjustments {
            let level = match a {
                deck::Adjustment::Overflows { .. } => Level::Warn,
                _ => Level::Info,
            };
            host.log(level, &a.message(&spec));
        }
        if deck.slides.len() > spec.slides.len() {
            host.log(
                Level::Info,
                &format!("{} spec slides became {} slides", spec.slides.len(), deck.slides.len()),
            );
        }
        let name = spec.file_name.as_deref().unwrap_or(DEFAULT_FILE_NAME);
        let file = host.create_file(name, PPTX_MEDIA_TYPE)?;
        let mut package = Package::new(file);
        writer::write(&spec, &deck, &mut package, &mut |d, t, m| host.progress(d, t, m))?;
        package.finish()?.finish()
    }
}

kiln_plugin_sdk::export_generator!(Pptx);

/// Reads image assets through the host, with "did you mean" for misspelt
/// names.
struct AssetImages<'h> {
    host: &'h mut Host,
}

impl deck::Images for AssetImages<'_> {
    fn image(&mut self, name: &str) -> std::result::Result<(Vec<u8>, deck::ImageInfo), String> {
        if self.host.asset(name).is_none() {
            let names: Vec<&str> = self.host.assets().iter().map(|a| a.name.as_str()).collect();
            let hint = kiln_plugin_sdk::suggest::closest(name, names.iter().copied())
                .map(|c| format!(" (did you mean \"{c}\"?)"))
                .unwrap_or_default();
            let list = if names.is_empty() {
                "the job has no input assets".to_string()
            } else {
                let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
                format!("the job's assets are {}", quoted.join(", "))
            };
            return Err(format!(
                "expected the name of an input asset, found \"{name}\"{hint}; {list}"
            ));
        }
        let bytes = self.host.read_asset(name).map_err(|e| e.to_string())?;
        match kiln_plugin_sdk::image::dimensions(&bytes) {
            Some(info) => {
                let extension = if info.media_type == "image/png" { "png" } else { "jpeg" };
                Ok((bytes, (extension, info.width, info.height)))
            }
            None => {
                Err(format!("expected asset \"{name}\" to be a PNG or JPEG image; it is neither"))
            }
        }
    }
}
