//! A page of a PDF as a PNG (hayro) or an SVG (hayro's SVG converter).

use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_interpret::util::TransformExt;
use hayro::hayro_syntax::Pdf;
use hayro::hayro_syntax::page::Page;
use hayro::kurbo::Affine;
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::vello_cpu::{Pixmap, RasterizerSettings, RenderContext, Resources, TargetInit};
use hayro::{RenderCache, RenderSettings};
use hayro_svg::SvgRenderSettings;
use kiln_plugin_sdk::Result;

use crate::failed;

/// Pages taller than this many widths are cut: a preview stays small.
const MAX_ASPECT: f32 = 4.0;

/// Page `number` (from 1) `width` pixels wide on white; of a page taller
/// than [`MAX_ASPECT`] widths, only the top.
pub(crate) fn png(pdf: Vec<u8>, number: u32, width: u32) -> Result<Vec<u8>> {
    with_page(pdf, number, |page| {
        let (page_width, page_height) = page.render_dimensions();
        let height = (width as f32 * (page_height / page_width).min(MAX_ASPECT)).ceil() as u16;
        let mut context = RenderContext::new(width as u16, height);
        let scale = f64::from(width) / f64::from(page_width);
        let transform = Affine::scale(scale) * page.initial_transform(true).to_kurbo();
        hayro::render_into(
            page,
            &RenderCache::new(),
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
        pixmap.into_png().map_err(|err| failed(format!("cannot encode the PNG: {err}")))
    })
}

/// Page `number` (from 1) as an SVG document on white, sized in points.
pub(crate) fn svg(pdf: Vec<u8>, number: u32) -> Result<String> {
    with_page(pdf, number, |page| {
        let settings = SvgRenderSettings { bg_color: [255, 255, 255, 255] };
        Ok(hayro_svg::convert(
            page,
            &hayro_svg::RenderCache::new(),
            &InterpreterSettings::default(),
            &settings,
        ))
    })
}

fn with_page<T>(
    pdf: Vec<u8>,
    number: u32,
    render: impl FnOnce(&Page<'_>) -> Result<T>,
) -> Result<T> {
    let pdf = Pdf::new(pdf).map_err(|err| failed(format!("not a PDF hayro can read: {err:?}")))?;
    let pages = pdf.pages();
    let count = pages.len();
    let page = pages
        .get(number as usize - 1)
        .ok_or_else(|| failed(format!("the PDF has {count} page(s); page {number} asked")))?;
    let (width, height) = page.render_dimensions();
    if width < 1.0 || height < 1.0 {
        return Err(failed(format!("the page is {width}×{height} points")));
    }
    render(page)
}
