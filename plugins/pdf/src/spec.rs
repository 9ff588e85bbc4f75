//! The spec: the shared document model plus a `pdf` object, and the whole
//! pipeline from spec to PDF bytes (usable natively, without a host).

use std::collections::HashMap;
use std::fmt;

use kiln_plugin_sdk::schemars::{self, JsonSchema, Schema, SchemaGenerator};
use kiln_plugin_sdk::{GenerateError, Level, Violation};
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::document::{self, Block, Document, Run};
use crate::fonts::{self, Family};
use crate::layout::{self, ImageSizes, Theme};
use crate::render::{self, Picture, Settings, Standard};
use crate::text::Shaper;

/// A PDF document: the shared document model (`title`, `theme`, `page`,
/// `blocks`, `sections`, ...) plus `pdf` options.
#[derive(Clone, Debug, Default)]
pub struct Spec {
    /// The document.
    pub document: Document,
    /// What only a PDF needs.
    pub pdf: PdfOptions,
}

/// Options only a PDF has.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PdfOptions {
    /// The standard to meet: "pdf-1.7" (the default), "pdf/a-2b" (archival:
    /// embedded fonts, colour profile, XMP metadata) or "pdf/ua-1"
    /// (accessible: tagged, titled, alt text on images). The plugin checks
    /// the document against it and fails with the reasons when it cannot meet it.
    pub standard: Option<PdfStandard>,
    /// Whether to write the structure tree (tagged PDF) that screen readers
    /// and reflow use. Default true; "pdf/ua-1" always tags.
    pub tagged: Option<bool>,
    /// Justify body paragraphs (even right edge) unless a paragraph sets its
    /// own `align`. Default false (left-aligned).
    pub justify: bool,
    /// Hyphenate body text where a word would overflow a line, with the
    /// patterns of the document's `language` ("en-GB", "de", "fr", "ru",
    /// "el", ...: about 50 languages). Default: on when `justify` is on.
    pub hyphenate: Option<bool>,
    /// Line spacing as a multiple of the normal spacing, 0.8 to 3. Default 1.
    pub line_spacing: Option<f32>,
    /// Fonts for scripts the bundled fonts lack (Chinese, Japanese, Korean,
    /// Thai, Devanagari, ...): names of the job's input assets that are
    /// TrueType or OpenType files, e.g. ["NotoSansSC-Regular.otf"]; at most 8.
    /// A character the text's own font lacks is drawn with the first of
    /// these that has it.
    pub fonts: Vec<String>,
    /// Start with a title page: the document's `title` large, then its
    /// `subject`, `author` and `created` date, with no header or footer; the
    /// content starts on the next page. Needs `title`. Default false.
    pub title_page: bool,
}

/// A PDF standard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum PdfStandard {
    /// Plain PDF 1.7 (the default).
    #[serde(rename = "pdf-1.7", alias = "pdf", alias = "PDF-1.7")]
    Pdf17,
    /// PDF/A-2b, for archiving.
    #[serde(
        rename = "pdf/a-2b",
        alias = "PDF/A-2b",
        alias = "pdf/a-2",
        alias = "pdfa",
        alias = "PDF/A-2B"
    )]
    PdfA2b,
    /// PDF/UA-1, for accessibility.
    #[serde(rename = "pdf/ua-1", alias = "PDF/UA-1", alias = "pdf/ua", alias = "pdfua")]
    PdfUa1,
}

impl JsonSchema for Spec {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "PdfSpec".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut schema = Document::json_schema(generator);
        let pdf = generator.subschema_for::<PdfOptions>();
        let mut pdf = pdf.to_value();
        if let Some(obj) = pdf.as_object_mut() {
            obj.insert(
                "description".into(),
                "What only a PDF needs: the standard to meet, tagging, justification, hyphenation, line spacing, a title page and fonts for other scripts, e.g. {\"standard\": \"pdf/a-2b\", \"justify\": true, \"title_page\": true}.".into(),
            );
        }
        if let Some(obj) = schema.as_object_mut() {
            obj.insert(
                "description".into(),
                "A PDF document: properties, a theme, page setup and content as blocks (or Markdown), plus `pdf` options. Short forms are accepted: a block may be a string (a paragraph), a paragraph or cell a string.".into(),
            );
            if let Some(props) = obj.get_mut("properties").and_then(|p| p.as_object_mut()) {
                props.insert("pdf".into(), pdf);
            }
        }
        schema
    }
}

impl<'de> Deserialize<'de> for Spec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(SpecVisitor)
    }
}

struct SpecVisitor;

impl<'de> Visitor<'de> for SpecVisitor {
    type Value = Spec;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a document object with blocks (and optional pdf options)")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Spec, A::Error> {
        let mut pdf = None;
        let document = Document::deserialize(de::value::MapAccessDeserializer::new(SkipPdf {
            inner: map,
            pdf: &mut pdf,
        }))?;
        Ok(Spec { document, pdf: pdf.unwrap_or_default() })
    }
}

/// Hands the document every key but `pdf`, which it reads itself; the keys
/// still go through the outer map, so error paths stay exact.
struct SkipPdf<'a, A> {
    inner: A,
    pdf: &'a mut Option<PdfOptions>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for SkipPdf<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        loop {
            let Some(key) = self.inner.next_key::<String>()? else { return Ok(None) };
            if key == "pdf" {
                *self.pdf = Some(self.inner.next_value::<PdfOptions>()?);
                continue;
            }
            return seed.deserialize(de::value::StringDeserializer::<A::Error>::new(key)).map(Some);
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.inner.next_value_seed(seed)
    }
}

/// The output file name.
pub fn file_name(spec: &Spec) -> String {
    match spec.document.file_name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) if n.to_ascii_lowercase().ends_with(".pdf") => n.to_owned(),
        Some(n) => format!("{n}.pdf"),
        None => "document.pdf".to_owned(),
    }
}

/// Every problem the types cannot catch.
pub fn validate(spec: &Spec) -> Vec<Violation> {
    let doc = &spec.document;
    let mut out = document::validate(doc);
    let names: Vec<&str> = fonts::FONT_NAMES.iter().map(|(n, _)| *n).collect();
    let mut font = |pointer: String, name: &str| {
        if fonts::family(name).is_none() {
            let hint = match kiln_plugin_sdk::suggest::closest(name, names.iter().copied()) {
                Some(c) => format!("; did you mean {c:?}?"),
                None => String::new(),
            };
            out.push(Violation::new(
                pointer,
                format!("expected a font this plugin has (a serif, sans or mono family, e.g. \"Georgia\", \"Arial\", \"Courier New\", or \"serif\", \"sans\", \"mono\"), found {name:?}{hint}"),
            ));
        }
    };
    if let Some(f) = &doc.theme.body_font {
        font("/theme/body_font".into(), f);
    }
    if let Some(f) = &doc.theme.heading_font {
        font("/theme/heading_font".into(), f);
    }
    if let Some(f) = &doc.theme.mono_font {
        font("/theme/mono_font".into(), f);
    }
    let mut runs = Vec::new();
    collect_run_fonts("/blocks", &doc.blocks, &mut runs);
    for (i, s) in doc.sections.iter().enumerate() {
        collect_run_fonts(&format!("/sections/{i}/blocks"), &s.blocks, &mut runs);
    }
    for (p, name) in runs {
        font(p, &name);
    }
    if let Some(ls) = spec.pdf.line_spacing
        && !(0.8..=3.0).contains(&ls)
    {
        out.push(Violation::new(
            "/pdf/line_spacing",
            format!("expected a line spacing from 0.8 to 3 (1 is normal), found {ls}"),
        ));
    }
    if spec.pdf.fonts.len() > fonts::MAX_ASSET_FONTS {
        out.push(Violation::new(
            "/pdf/fonts",
            format!(
                "expected at most {} fonts, found {}: keep one font per script the bundled fonts lack",
                fonts::MAX_ASSET_FONTS,
                spec.pdf.fonts.len()
            ),
        ));
    }
    if spec.pdf.title_page && doc.title.as_deref().is_none_or(|t| t.trim().is_empty()) {
        out.push(Violation::new(
            "/title",
            "a title page needs a document title: set \"title\", e.g. \"Annual report 2026\", or remove \"title_page\"",
        ));
    }
    if spec.pdf.standard == Some(PdfStandard::PdfUa1) {
        if doc.title.as_deref().is_none_or(|t| t.trim().is_empty()) {
            out.push(Violation::new(
                "/title",
                "pdf/ua-1 needs a document title: set \"title\", e.g. \"Annual report 2026\"",
            ));
        }
        if spec.pdf.tagged == Some(false) {
            out.push(Violation::new("/pdf/tagged", "pdf/ua-1 documents are always tagged: remove \"tagged\": false or choose another standard"));
        }
    }
    out
}

/// Every asset the spec names: images, with the pointer of their block,
/// then `pdf.fonts`.
pub fn asset_names(spec: &Spec) -> Vec<(String, String)> {
    let mut names = document::asset_names(&spec.document);
    let fonts = spec.pdf.fonts.iter().enumerate();
    names.extend(fonts.map(|(i, name)| (format!("/pdf/fonts/{i}"), name.clone())));
    names
}

fn collect_run_fonts(at: &str, blocks: &[Block], out: &mut Vec<(String, String)>) {
    let runs = |at: String, runs: &[Run], out: &mut Vec<(String, String)>| {
        for (i, r) in runs.iter().enumerate() {
            if let Some(f) = &r.font {
                out.push((format!("{at}/{i}/font"), f.clone()));
            }
        }
    };
    for (i, b) in blocks.iter().enumerate() {
        let here = format!("{at}/{i}");
        match b {
            Block::Paragraph(p) => runs(format!("{here}/paragraph/text"), &p.text, out),
            Block::Heading(h) => runs(format!("{here}/heading/text"), &h.text, out),
            Block::Quote(inner) => collect_run_fonts(&format!("{here}/quote"), inner, out),
            Block::Table(t) => {
                for (ci, c) in t.header.iter().enumerate() {
                    runs(format!("{here}/table/header/{ci}/text"), &c.text, out);
                }
                for (ri, row) in t.rows.iter().enumerate() {
                    for (ci, c) in row.iter().enumerate() {
                        runs(format!("{here}/table/rows/{ri}/{ci}/text"), &c.text, out);
                    }
                }
            }
            _ => {}
        }
    }
}

fn family_of(name: &str, default: Family) -> Family {
    fonts::family(name).unwrap_or(default)
}

/// Parses "2026-03-31" or "2026-03-31T09:00:00Z" into a PDF date.
fn date(text: &str) -> krilla::metadata::DateTime {
    let num = |s: Option<&str>| s.and_then(|v| v.parse::<u16>().ok());
    let (d, t) = text.split_once('T').unwrap_or((text, ""));
    let mut parts = d.split('-');
    let year = num(parts.next()).unwrap_or(2000);
    let month = num(parts.next()).unwrap_or(1).clamp(1, 12) as u8;
    let day = num(parts.next()).unwrap_or(1).clamp(1, 31) as u8;
    let mut tp = t.trim_end_matches('Z').split(':');
    let hour = num(tp.next()).unwrap_or(0).min(23) as u8;
    let minute = num(tp.next()).unwrap_or(0).min(59) as u8;
    let second = num(tp.next().map(|s| s.get(..2).unwrap_or(s))).unwrap_or(0).min(59) as u8;
    krilla::metadata::DateTime::new(year)
        .month(month)
        .day(day)
        .hour(hour)
        .minute(minute)
        .second(second)
        .utc_offset_hour(0)
        .utc_offset_minute(0)
}

/// The day of an ISO 8601 time ("2026-03-31T09:00:00Z": "2026-03-31").
fn day(time: &str) -> String {
    time.split('T').next().unwrap_or(time).to_owned()
}

/// The hyphenation patterns for a language tag ("en-GB": English).
fn hyphenation_patterns(language: &str) -> Option<hypher::Lang> {
    let code = language.get(..2)?.to_ascii_lowercase();
    let code: [u8; 2] = code.as_bytes().try_into().ok()?;
    hypher::Lang::from_iso(code)
}

/// Makes the PDF: lays out, draws, and reports what was adjusted.
pub fn build(
    spec: &Spec,
    assets: &HashMap<String, Vec<u8>>,
    log: &mut dyn FnMut(Level, String),
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<u8>, GenerateError> {
    let doc = &spec.document;
    let t = &doc.theme;
    let size = t.font_size().clamp(4.0, 72.0);
    let body = family_of(t.body_font(), Family::Sans);
    let theme = Theme {
        body,
        heading: t.heading_font.as_deref().map_or(body, |f| family_of(f, body)),
        mono: family_of(t.mono_font(), Family::Mono),
        size,
        text: t.text_color().0,
        heading_color: t.heading_color().0,
        accent: t.accent_color().0,
        link: t.link_color().0,
        justify: spec.pdf.justify,
        line_spacing: spec.pdf.line_spacing.unwrap_or(1.0).clamp(0.8, 3.0),
        heading_sizes: [1, 2, 3, 4, 5, 6].map(|l| doc.theme.heading_size(l).clamp(4.0, 144.0)),
    };
    // Images: pixel sizes for layout, decoded for drawing.
    let mut sizes: ImageSizes = HashMap::new();
    let mut decoded: HashMap<String, Picture> = HashMap::new();
    for (name, bytes) in assets.iter().filter(|(name, _)| !spec.pdf.fonts.contains(name)) {
        match picture(bytes) {
            Ok((picture, size)) => {
                sizes.insert(name.clone(), size);
                decoded.insert(name.clone(), picture);
            }
            Err(why) => log(Level::Warn, format!("asset {name:?} {why}; left out")),
        }
    }
    let sections = doc.resolved_sections();
    let mut shaper = Shaper::default();
    for (i, name) in spec.pdf.fonts.iter().enumerate() {
        match assets.get(name).and_then(|bytes| fonts::load(name, bytes)) {
            Some(face) => shaper.fallbacks.push(face),
            None => {
                return Err(GenerateError::InvalidSpec(vec![Violation::new(
                    format!("/pdf/fonts/{i}"),
                    format!(
                        "expected a TrueType or OpenType font file (.ttf, .otf), found {name:?}, which is not one"
                    ),
                )]));
            }
        }
    }
    if spec.pdf.hyphenate.unwrap_or(spec.pdf.justify) {
        shaper.hyphenation = hyphenation_patterns(doc.language());
        if shaper.hyphenation.is_none() {
            log(
                Level::Warn,
                format!(
                    "no hyphenation patterns for language {:?}; words are not hyphenated",
                    doc.language()
                ),
            );
        }
    }
    let title_page = spec.pdf.title_page.then(|| layout::TitlePage {
        title: doc.title.clone().unwrap_or_default(),
        lines: [doc.subject.clone(), doc.author.clone(), doc.created.as_ref().map(|c| day(c))]
            .into_iter()
            .flatten()
            .filter(|l| !l.trim().is_empty())
            .collect(),
    });
    let laid = layout::layout(
        &sections,
        title_page.as_ref(),
        theme.clone(),
        &mut shaper,
        &sizes,
        &mut |_| {},
    );
    for note in &laid.notes {
        log(Level::Warn, note.clone());
    }
    let images: Vec<Option<Picture>> =
        laid.images.iter().map(|r| decoded.get(&r.asset).cloned()).collect();
    let mut header_style = crate::text::Style::new(theme.body, (size * 0.8).max(6.0));
    header_style.color = [0x55, 0x55, 0x55];
    let headers = sections
        .iter()
        .map(|s| crate::render::SectionHeaders {
            header: s.header.clone(),
            footer: s.footer.clone(),
            top: s.margins.top.0,
            bottom: s.margins.bottom.0,
            left_right: s.margins.left.0.min(s.page_points().0 / 3.0),
        })
        .collect();
    let standard = match spec.pdf.standard {
        None | Some(PdfStandard::Pdf17) => Standard::Plain,
        Some(PdfStandard::PdfA2b) => Standard::A2b,
        Some(PdfStandard::PdfUa1) => Standard::Ua1,
    };
    let settings = Settings {
        title: doc.title.clone(),
        author: doc.author.clone(),
        subject: doc.subject.clone(),
        keywords: doc.keywords.clone(),
        language: doc.language().to_owned(),
        created: date(doc.created()),
        standard,
        tagged: spec.pdf.tagged.unwrap_or(true),
        headers,
        header_style,
    };
    let bytes = render::render(&laid, &settings, &mut shaper, &images, progress)
        .map_err(GenerateError::Failed)?;
    if !shaper.missing.is_empty() {
        let list: Vec<String> = shaper
            .missing
            .iter()
            .take(20)
            .map(|(c, n)| format!("U+{:04X} {c:?} ×{n}", *c as u32))
            .collect();
        log(
            Level::Warn,
            format!(
                "{} character(s) no bundled font covers were drawn as empty boxes: {}",
                shaper.missing.len(),
                list.join(", ")
            ),
        );
    }
    log(Level::Info, format!("{} pages", laid.pages.len()));
    Ok(bytes)
}

/// Decodes an image asset, PNG or JPEG or else SVG, with its size in pixels.
fn picture(bytes: &[u8]) -> Result<(Picture, (u32, u32)), String> {
    if let Some(info) = kiln_plugin_sdk::image::dimensions(bytes) {
        let data = krilla::Data::from(bytes.to_vec());
        let image = if info.media_type == "image/png" {
            krilla::image::Image::from_png(data, true)
        } else {
            krilla::image::Image::from_jpeg(data, true)
        };
        return image
            .map(|image| (Picture::Raster(image), (info.width, info.height)))
            .map_err(|e| format!("could not be decoded ({e})"));
    }
    let options = usvg::Options {
        fontdb: fonts::svg_fonts(),
        // Embedded (data: URL) images are drawn; files an SVG names are never read.
        image_href_resolver: usvg::ImageHrefResolver {
            resolve_string: Box::new(|_, _| None),
            ..usvg::ImageHrefResolver::default()
        },
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_data(bytes, &options)
        .map_err(|e| format!("is not a PNG, JPEG or SVG image ({e})"))?;
    let size = (tree.size().width().ceil() as u32, tree.size().height().ceil() as u32);
    Ok((Picture::Svg(std::sync::Arc::new(tree)), size))
}
