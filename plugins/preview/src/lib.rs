//! The previewer: renders one page of a PDF to a PNG with hayro, a PDF
//! rasterizer in Rust, inside the same sandbox and limits as the
//! generators. kiln runs it after a job for each file (other formats are
//! first converted to PDF); it is not an artifact type jobs can ask for.

use std::io::Write;

use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_interpret::util::TransformExt;
use hayro::hayro_syntax::Pdf;
use hayro::hayro_syntax::page::Page;
use hayro::kurbo::Affine;
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::vello_cpu::{Pixmap, RasterizerSettings, RenderContext, Resources, TargetInit};
use hayro::{RenderCache, RenderSettings};
use kiln_plugin_sdk::{Example, GenerateError, Generator, Host, Info, Result, Violation, schemars};
use serde::Deserialize;

/// The input asset: the PDF to render.
pub const DOCUMENT: &str = "document.pdf";
/// The output file.
pub const PREVIEW: &str = "preview.png";

/// What to render.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Width of the image in pixels, 16 to 2000; the height follows the
    /// page's shape. Default 480.
    #[serde(default = "default_width")]
    pub width: u32,
    /// The page to render, from 1. Default 1.
    #[serde(default = "first")]
    pub page: u32,
}

fn default_width() -> u32 {
    480
}

fn first() -> u32 {
    1
}

/// Pages taller than this many widths are cut: a preview stays small.
const MAX_ASPECT: f32 = 4.0;

#[derive(Debug)]
pub struct Previewer;

impl Generator for Previewer {
    type Spec = Spec;

    fn info() -> Info {
        Info {
            name: "previewer".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            artifact_type: "preview".into(),
            summary: "Renders a page of a PDF (the asset `document.pdf`) to a PNG.".into(),
            description: "Renders one page of the PDF given as the asset `document.pdf` to \
                          `preview.png` on a white background, `width` pixels wide."
                .into(),
            media_types: vec!["image/png".into()],
            examples: vec![Example::new("The first page, 480 pixels wide", r#"{"width": 480}"#)],
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
        let bytes = host.read_asset(DOCUMENT)?;
        let pdf = Pdf::new(bytes)
            .map_err(|err| GenerateError::Failed(format!("not a PDF hayro can read: {err:?}")))?;
        let pages = pdf.pages();
        let count = pages.len();
        let page = pages.get(spec.page as usize - 1).ok_or_else(|| {
            GenerateError::Failed(format!("the PDF has {count} page(s); page {} asked", spec.page))
        })?;
        let (width, height) = page.render_dimensions();
        if width < 1.0 || height < 1.0 {
            return Err(GenerateError::Failed(format!("the page is {width}×{height} points")));
        }
        let pixmap = render(page, spec.width, height / width);
        host.progress(1, 1, "rendered");
        let png = pixmap
            .into_png()
            .map_err(|err| GenerateError::Failed(format!("cannot encode the PNG: {err}")))?;
        let mut file = host.create_file(PREVIEW, "image/png")?;
        file.write_all(&png)?;
        file.finish()
    }
}

/// The page `width` pixels wide on white; of a page taller than
/// [`MAX_ASPECT`] widths, only the top.
fn render(page: &Page<'_>, width: u32, aspect: f32) -> Pixmap {
    let height = (width as f32 * aspect.min(MAX_ASPECT)).ceil() as u16;
    let mut context = RenderContext::new(width as u16, height);
    let (page_width, _) = page.render_dimensions();
    let scale = f64::from(width) / f64::from(page_width);
    let transform = Affine::scale(scale) * page.initial_transform(true).to_kurbo();
    let cache = RenderCache::new();
    hayro::render_into(
        page,
        &cache,
        &InterpreterSettings::default(),
        &RenderSettings::default(),
        &mut context,
        transform,
    );
    context.flush();
    let mut pixmap = Pixmap::new(context.width(), context.height());
    context.render_with(
        &mut pixmap,
        &mut Resources::default(),
        RasterizerSettings { target_init: TargetInit::Clear(WHITE), ..Default::default() },
    );
    pixmap
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
        let (width, height, pixels) = decode(run.file(PREVIEW));
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
        let (width, height, pixels) = decode(run.file(PREVIEW));
        assert_eq!((width, height), (100, 400));
        assert_eq!(&pixels[..3], [0, 0, 0], "the top of the page is drawn");
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
