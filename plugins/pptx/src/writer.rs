//! Writes a planned deck into a package, part by part.

use std::io;

use crate::deck::{Body, Deck};
use crate::package::PartSink;
use crate::parts;
use crate::spec::{Layout, Presentation};

/// Writes every part. `progress(done, total, message)` is called once per
/// slide.
pub(crate) fn write(
    spec: &Presentation,
    deck: &Deck<'_>,
    sink: &mut dyn PartSink,
    progress: &mut dyn FnMut(u64, u64, &str),
) -> io::Result<()> {
    let notes = deck.slides.iter().filter(|s| s.notes.is_some()).count();
    sink.part("[Content_Types].xml", parts::content_types(deck, notes).as_bytes())?;
    sink.part("_rels/.rels", parts::package_rels().as_bytes())?;
    sink.part("docProps/core.xml", parts::core(spec).as_bytes())?;
    sink.part("docProps/app.xml", parts::app(deck.slides.len()).as_bytes())?;
    let (xml, rels) = parts::presentation(deck, spec.aspect_ratio);
    sink.part("ppt/presentation.xml", xml.as_bytes())?;
    sink.part("ppt/_rels/presentation.xml.rels", rels.xml().as_bytes())?;
    sink.part("ppt/presProps.xml", parts::pres_props().as_bytes())?;
    sink.part("ppt/viewProps.xml", parts::view_props().as_bytes())?;
    sink.part("ppt/tableStyles.xml", parts::table_styles().as_bytes())?;
    let theme = parts::theme(spec);
    sink.part("ppt/theme/theme1.xml", theme.as_bytes())?;
    sink.part("ppt/theme/theme2.xml", theme.as_bytes())?;
    let (xml, rels) = parts::master(&deck.geometry);
    sink.part("ppt/slideMasters/slideMaster1.xml", xml.as_bytes())?;
    sink.part("ppt/slideMasters/_rels/slideMaster1.xml.rels", rels.xml().as_bytes())?;
    let layout_rels = parts::layout_rels();
    for l in Layout::ALL {
        let n = l.part_number();
        sink.part(&format!("ppt/slideLayouts/slideLayout{n}.xml"), parts::layout(l, &deck.geometry).as_bytes())?;
        sink.part(&format!("ppt/slideLayouts/_rels/slideLayout{n}.xml.rels"), layout_rels.as_bytes())?;
    }
    let (xml, rels) = parts::notes_master();
    sink.part("ppt/notesMasters/notesMaster1.xml", xml.as_bytes())?;
    sink.part("ppt/notesMasters/_rels/notesMaster1.xml.rels", rels.xml().as_bytes())?;

    let total = deck.slides.len() as u64;
    let mut notes_number = 0;
    for (i, slide) in deck.slides.iter().enumerate() {
        let number = i + 1;
        let notes = slide.notes.map(|text| {
            notes_number += 1;
            (notes_number, text)
        });
        let (xml, rels) = crate::slide::write(deck, slide, number, notes.map(|(n, _)| n));
        sink.part(&format!("ppt/slides/slide{number}.xml"), xml.as_bytes())?;
        sink.part(&format!("ppt/slides/_rels/slide{number}.xml.rels"), rels.xml().as_bytes())?;
        if let Some((n, text)) = notes {
            let (xml, rels) = parts::notes_slide(text, number);
            sink.part(&format!("ppt/notesSlides/notesSlide{n}.xml"), xml.as_bytes())?;
            sink.part(&format!("ppt/notesSlides/_rels/notesSlide{n}.xml.rels"), rels.xml().as_bytes())?;
        }
        if let Body::Chart { chart, number } = &slide.body {
            sink.part(&format!("ppt/charts/chart{number}.xml"), crate::chart::write(chart).as_bytes())?;
        }
        let label = slide.title.as_deref().unwrap_or(slide.layout.name());
        progress(number as u64, total, &format!("slide {number}/{total}: {label}"));
    }
    for (i, m) in deck.media.iter().enumerate() {
        sink.part(&format!("ppt/media/image{}.{}", i + 1, m.extension), &m.bytes)?;
    }
    Ok(())
}
