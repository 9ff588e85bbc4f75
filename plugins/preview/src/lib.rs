//! The previewer: small renderings of generated files, inside the same
//! sandbox and limits as the generators. kiln runs it after a job for each
//! file; it is not an artifact type jobs can ask for.
//!
//! - `png`: one page of a PDF as a bitmap, with hayro (other page-based
//!   formats are converted to PDF before they get here);
//! - `svg`: the same page as vector graphics, with hayro's SVG converter;
//! - `html`: a workbook's sheets as tables, with calamine.

mod number;
mod page;
mod sheet;

use std::io::Write;

use kiln_plugin_sdk::{Example, GenerateError, Generator, Host, Info, Result, Violation, schemars};
use serde::Deserialize;

/// The input asset of `png` and `svg`: the PDF to render.
pub const DOCUMENT: &str = "document.pdf";
/// The input asset of `html`: the workbook to show.
pub const WORKBOOK: &str = "workbook.xlsx";

/// What to render.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// What to make: `png`, a page of `document.pdf` as an image; `svg`,
    /// the same page as vector graphics; `html`, the sheets of
    /// `workbook.xlsx` as tables. Default `png`.
    #[serde(default)]
    pub format: Format,
    /// Width of the PNG in pixels, 16 to 2000; the height follows the
    /// page's shape. Default 480.
    #[serde(default = "default_width")]
    pub width: u32,
    /// The page to render, from 1. Default 1.
    #[serde(default = "first")]
    pub page: u32,
}

/// A kind of preview.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Png,
    Svg,
    Html,
}

impl Format {
    /// The file the previewer writes.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Png => "preview.png",
            Self::Svg => "preview.svg",
            Self::Html => "preview.html",
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Svg => "image/svg+xml",
            Self::Html => "text/html; charset=utf-8",
        }
    }
}

fn default_width() -> u32 {
    480
}

fn first() -> u32 {
    1
}

#[derive(Debug)]
pub struct Previewer;

impl Generator for Previewer {
    type Spec = Spec;

    fn info() -> Info {
        Info {
            name: "previewer".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            artifact_type: "preview".into(),
            summary: "Renders a page of a PDF to PNG or SVG, or a workbook to HTML tables.".into(),
            description: "With `format` `png` (the default) or `svg`, renders one page of the \
                          PDF given as the asset `document.pdf` to `preview.png` (`width` pixels \
                          wide, on white) or `preview.svg`. With `html`, writes the sheets of the \
                          asset `workbook.xlsx` as tables to `preview.html`."
                .into(),
            media_types: vec!["image/png".into(), "image/svg+xml".into(), "text/html".into()],
            examples: vec![
                Example::new("The first page, 480 pixels wide", r#"{"width": 480}"#),
                Example::new("The second page as SVG", r#"{"format": "svg", "page": 2}"#),
                Example::new("A workbook's sheets as HTML", r#"{"format": "html"}"#),
            ],
        }
    }

    fn validate(spec: &Spec) -> Vec<Violation> {
        let mut violations = Vec::new();
        if !(16..=2000).contains(&spec.width) {
            violations
                .push(Violation::new("/width", format!("expected 16 to 2000; got {}", spec.width)));
        }
        if spec.page == 0 {
            violations.push(Violation::new("/page", "pages count from 1; got 0"));
        }
        violations
    }

    fn generate(spec: Spec, host: &mut Host) -> Result<()> {
        let bytes = match spec.format {
            Format::Png => page::png(host.read_asset(DOCUMENT)?, spec.page, spec.width)?,
            Format::Svg => page::svg(host.read_asset(DOCUMENT)?, spec.page)?.into_bytes(),
            Format::Html => sheet::html(&host.read_asset(WORKBOOK)?)?.into_bytes(),
        };
        host.progress(1, 1, "rendered");
        let mut file = host.create_file(spec.format.file_name(), spec.format.media_type())?;
        file.write_all(&bytes)?;
        file.finish()
    }
}

/// A failure to render, with what the user can know of it.
fn failed(message: impl Into<String>) -> GenerateError {
    GenerateError::Failed(message.into())
}

kiln_plugin_sdk::export_generator!(Previewer);

#[cfg(test)]
mod tests {
    use kiln_plugin_sdk::testing;

    use super::*;

    /// A one-page PDF of `width`×`height` points drawing `content`.
    fn pdf(width: u32, height: u32, content: &str) -> Vec<u8> {
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] /Contents 4 0 R \
                 /Resources << /Font << /F1 5 0 R >> >> >>"
            ),
            format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
        ];
        let mut out = b"%PDF-1.7\n".to_vec();
        let mut offsets = Vec::new();
        for (i, object) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend(format!("{} 0 obj\n{object}\nendobj\n", i + 1).bytes());
        }
        let xref = out.len();
        out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).bytes());
        for offset in offsets {
            out.extend(format!("{offset:010} 00000 n \n").bytes());
        }
        out.extend(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                objects.len() + 1
            )
            .bytes(),
        );
        out
    }

    /// Width, height and RGB pixels of a PNG.
    fn decode(png: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut reader = png::Decoder::new(std::io::Cursor::new(png)).read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut pixels).unwrap();
        let channels = match info.color_type {
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
            other => panic!("unexpected colour type {other:?}"),
        };
        let rgb = pixels.chunks(channels).flat_map(|pixel| pixel[..3].to_vec()).collect();
        (info.width, info.height, rgb)
    }

    fn preview(spec: &str, document: &[u8]) -> Result<testing::Run> {
        testing::run::<Previewer>(spec, &[(DOCUMENT, "application/pdf", document)])
    }

    #[test]
    fn the_first_page_is_drawn_to_scale_on_white() {
        // An A4 page with a blue square 100 points from its bottom-left corner.
        let document = pdf(
            595,
            842,
            "0 0 1 rg 100 100 100 100 re f BT /F1 24 Tf 72 760 Td (Quarterly report) Tj ET",
        );
        let run = preview("{}", &document).unwrap();
        let (width, height, pixels) = decode(run.file("preview.png"));
        assert_eq!((width, height), (480, 680));
        let at = |x: f32, y_from_bottom: f32| {
            let scale = 480.0 / 595.0;
            let (x, y) = ((x * scale) as usize, height as usize - (y_from_bottom * scale) as usize);
            pixels[(y * width as usize + x) * 3..][..3].to_vec()
        };
        assert_eq!(at(150.0, 150.0), [0, 0, 255], "the square is blue");
        assert_eq!(at(400.0, 400.0), [255, 255, 255], "the page is white");
        // The title's ink: some pixels in its band are dark.
        let band = (height as usize - (790.0 * 480.0 / 595.0) as usize)
            ..(height as usize - (755.0 * 480.0 / 595.0) as usize);
        let dark = band
            .flat_map(|y| (0..width as usize).map(move |x| (y, x)))
            .filter(|(y, x)| pixels[(y * width as usize + x) * 3] < 128)
            .count();
        assert!(dark > 200, "the title is drawn ({dark} dark pixels)");
        assert_eq!(run.progress.len(), 1);
    }

    #[test]
    fn a_very_tall_page_keeps_only_its_top() {
        let run =
            preview(r#"{"width": 100}"#, &pdf(100, 5000, "0 0 0 rg 0 4950 100 50 re f")).unwrap();
        let (width, height, pixels) = decode(run.file("preview.png"));
        assert_eq!((width, height), (100, 400));
        assert_eq!(&pixels[..3], [0, 0, 0], "the top of the page is drawn");
    }

    #[test]
    fn a_page_as_svg_keeps_its_size_and_drawing() {
        let document = pdf(595, 842, "0 0 1 rg 100 100 100 100 re f");
        let run = preview(r#"{"format": "svg"}"#, &document).unwrap();
        assert_eq!(run.files[0].media_type, "image/svg+xml");
        let svg = std::str::from_utf8(run.file("preview.svg")).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{svg}");
        assert!(svg.contains(r#"viewBox="0 0 595 842""#), "{svg}");
        assert!(
            svg.contains("rgb(0, 0, 255)") || svg.contains("#0000ff"),
            "the blue square: {svg}"
        );
    }

    #[test]
    fn a_workbook_as_html() {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        workbook.add_worksheet().write(0, 0, "Revenue").unwrap();
        let bytes = workbook.save_to_buffer().unwrap();
        let run = testing::run::<Previewer>(
            r#"{"format": "html"}"#,
            &[(
                WORKBOOK,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                &bytes,
            )],
        )
        .unwrap();
        assert_eq!(run.files[0].media_type, "text/html; charset=utf-8");
        let html = std::str::from_utf8(run.file("preview.html")).unwrap();
        assert!(html.contains("<h2>Sheet1</h2>") && html.contains("<td>Revenue</td>"), "{html}");
    }

    #[test]
    fn what_cannot_be_rendered_is_said() {
        let failed = |spec: &str, document: &[u8]| match preview(spec, document) {
            Err(GenerateError::Failed(message)) => message,
            other => panic!("expected a failure, got {:?}", other.map(|run| run.files.len())),
        };
        assert!(failed("{}", b"PK\x03\x04 a zip, not a PDF").contains("not a PDF"));
        assert!(
            failed(r#"{"page": 3}"#, &pdf(100, 100, "")).contains("has 1 page(s); page 3 asked")
        );
        let violations = testing::validate::<Previewer>(r#"{"width": 5, "page": 0}"#);
        let pointers: Vec<&str> = violations.iter().map(|v| v.pointer.as_str()).collect();
        assert_eq!(pointers, ["/page", "/width"]);
        testing::assert_documented::<Previewer>();
    }
}
