//! The kiln `pdf` generator: typesets the shared document model (headings,
//! paragraphs, lists, tables, images, quotes, code, TOC, footnotes,
//! Markdown) into a paginated, searchable, tagged PDF.
//!
//! Layout is this crate's own (`text`: shaping and line breaking; `layout`:
//! pagination); krilla writes the PDF (font subsetting, ToUnicode maps,
//! the structure tree, PDF/A and PDF/UA checks).

pub mod bench;
pub mod fonts;
pub mod layout;
pub mod render;
pub mod spec;
pub mod text;

pub use kiln_plugin_sdk::Violation;
/// The document model the pdf spec is built on, shared with the docx plugin.
pub use kiln_plugin_sdk::document;

use kiln_plugin_sdk::{Example, GenerateError, Generator, Host, Info, Level, Result};

pub use spec::{PdfOptions, Spec};

/// The media type of the files this plugin writes.
pub const PDF_MEDIA_TYPE: &str = "application/pdf";

/// The bundled examples, as (title, spec JSON).
pub const EXAMPLES: [(&str, &str); 4] = [
    ("Invoice with a 40-line table across pages", include_str!("../examples/invoice.json")),
    ("Employee handbook with a table of contents", include_str!("../examples/handbook.json")),
    ("One-page two-column CV", include_str!("../examples/cv.json")),
    ("Report in Latin, Greek and Cyrillic", include_str!("../examples/multilingual.json")),
];

/// The pdf generator.
pub struct Pdf;

impl Generator for Pdf {
    type Spec = Spec;

    fn info() -> Info {
        Info {
            name: "pdf".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            artifact_type: "pdf".into(),
            summary: "Typesets a document (headings, paragraphs, lists, tables, images, TOC) into a paginated, searchable, tagged PDF.".into(),
            description: include_str!("description.md").into(),
            media_types: vec![PDF_MEDIA_TYPE.into()],
            examples: EXAMPLES.iter().map(|(t, s)| Example::new(*t, *s)).collect(),
        }
    }

    fn validate(spec: &Spec) -> Vec<Violation> {
        spec::validate(spec)
    }

    fn generate(spec: Spec, host: &mut Host) -> Result<()> {
        let names: Vec<String> = host.assets().iter().map(|a| a.name.clone()).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let wanted = spec::asset_names(&spec);
        let missing = document::missing_assets(wanted.clone(), &refs);
        if !missing.is_empty() {
            return Err(GenerateError::InvalidSpec(missing));
        }
        let mut assets = std::collections::HashMap::new();
        for (_, name) in wanted {
            if let std::collections::hash_map::Entry::Vacant(slot) = assets.entry(name) {
                let bytes = host.read_asset(slot.key())?;
                slot.insert(bytes);
            }
        }
        let mut logs = Vec::new();
        let mut progress = Vec::new();
        let bytes = spec::build(&spec, &assets, &mut |l, m| logs.push((l, m)), &mut |d, t| {
            progress.push((d, t))
        })?;
        for (level, message) in logs {
            host.log(level, &message);
        }
        let step = (progress.len() / 100).max(1);
        for (i, (done, total)) in progress.iter().enumerate() {
            if i % step == 0 || i + 1 == progress.len() {
                host.progress(
                    *done as u64,
                    *total as u64,
                    &format!("drawing page {done} of {total}"),
                );
            }
        }
        let name = spec::file_name(&spec);
        let mut file = host.create_file(&name, PDF_MEDIA_TYPE)?;
        std::io::Write::write_all(&mut file, &bytes)?;
        host.log(Level::Info, &format!("wrote {name}: {} bytes", bytes.len()));
        file.finish()
    }
}

kiln_plugin_sdk::export_generator!(Pdf);
