//! The kiln `docx` generator: turns a document spec (the SDK's shared
//! [`document`] model: structured blocks and Markdown) into a Word `.docx`.
//!
//! The package is WordprocessingML written directly onto the SDK's
//! streaming [`kiln_plugin_sdk::ooxml::Package`], so it goes to the host as
//! it is made (see `package.rs`), and every id in it is derived from the
//! spec, so the same spec always gives the same bytes.

pub mod bench;
mod body;
mod estimate;
mod media;
mod numbering;
mod package;
mod styles;

pub use kiln_plugin_sdk::document;
use kiln_plugin_sdk::document::Document;
use kiln_plugin_sdk::{Example, GenerateError, Generator, Host, Info, Level, Result, Violation};

/// The media type of the files this plugin writes.
pub const DOCX_MEDIA_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// The file name used when the spec sets no `file_name`.
pub const DEFAULT_FILE_NAME: &str = "document.docx";

/// The bundled example specs, as (title, spec JSON).
pub const EXAMPLES: [(&str, &str); 4] = [
    ("Project proposal with a budget table", include_str!("../examples/proposal.json")),
    ("Meeting minutes with actions", include_str!("../examples/meeting_minutes.json")),
    (
        "Multi-page annual report with a table of contents, written in Markdown",
        include_str!("../examples/annual_report.json"),
    ),
    (
        "Bilingual notice: English, Arabic (right to left) and Chinese",
        include_str!("../examples/bilingual_notice.json"),
    ),
];

/// The docx generator.
#[derive(Debug)]
pub struct Docx;

impl Generator for Docx {
    type Spec = Document;

    fn info() -> Info {
        Info {
            name: "docx".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            artifact_type: "docx".into(),
            summary: "Builds a Word document (.docx) from structured blocks and/or Markdown: headings, \
                      formatted text, lists, tables, images, footnotes, a table of contents, page setup, \
                      headers and footers with page numbers."
                .into(),
            description: include_str!("description.md").into(),
            media_types: vec![DOCX_MEDIA_TYPE.into()],
            examples: EXAMPLES.iter().map(|(t, s)| Example::new(*t, *s)).collect(),
        }
    }

    fn validate(spec: &Document) -> Vec<Violation> {
        document::validate(spec)
    }

    fn generate(spec: Document, host: &mut Host) -> Result<()> {
        let media = read_images(&spec, host)?;
        let file_name = file_name(&spec);
        let file = host.create_file(&file_name, DOCX_MEDIA_TYPE)?;
        let mut notes = Vec::new();
        let file = package::write(&spec, &media, file, host, &mut notes)?;
        for note in notes {
            host.log(Level::Info, &note);
        }
        file.finish()
    }
}

kiln_plugin_sdk::export_generator!(Docx);

/// The output file name: the spec's (with `.docx` added when missing) or
/// [`DEFAULT_FILE_NAME`].
pub fn file_name(spec: &Document) -> String {
    match spec.file_name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) if name.to_ascii_lowercase().ends_with(".docx") => name.to_owned(),
        Some(name) => format!("{name}.docx"),
        None => DEFAULT_FILE_NAME.to_owned(),
    }
}

/// Reads every image the document names; unknown assets and files that are
/// not PNG or JPEG are violations at the image's pointer.
fn read_images(spec: &Document, host: &mut Host) -> Result<media::Media> {
    let available: Vec<String> = host.assets().iter().map(|a| a.name.clone()).collect();
    let names: Vec<&str> = available.iter().map(String::as_str).collect();
    let missing = document::check_assets(spec, &names);
    if !missing.is_empty() {
        return Err(GenerateError::InvalidSpec(missing));
    }
    let mut media = media::Media::default();
    let mut bad = Vec::new();
    for (pointer, name) in document::asset_names(spec) {
        if media.get(&name).is_some() {
            continue;
        }
        // A PNG's size is in its first 24 bytes; a JPEG's follows its
        // metadata segments, which are rarely longer than this.
        const HEAD: u64 = 256 << 10;
        let size = host.asset(&name).map_or(0, |a| a.size);
        let mut head = host.read_asset_prefix(&name, HEAD)?;
        if kiln_plugin_sdk::image::dimensions(&head).is_none() && size > HEAD {
            head = host.read_asset(&name)?;
        }
        if let Err(message) = media.add(&name, &head, size) {
            bad.push(Violation::new(pointer, format!("asset {name:?}: {message}")));
        }
    }
    if !bad.is_empty() {
        return Err(GenerateError::InvalidSpec(bad));
    }
    if !media.is_empty() {
        host.log(Level::Debug, &format!("embedding {} image(s)", media.len()));
    }
    Ok(media)
}

/// Generates natively into memory (benchmarks): the spec's JSON in, the
/// .docx bytes out. Images need assets, so specs with images fail here.
pub fn generate_bytes(spec: &str) -> Result<Vec<u8>> {
    let run = kiln_plugin_sdk::testing::run::<Docx>(spec, &[])?;
    run.files
        .into_iter()
        .next()
        .map(|f| f.bytes)
        .ok_or_else(|| GenerateError::Failed("no file written".into()))
}
