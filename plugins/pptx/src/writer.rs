//! Writes a planned deck into the package, part by part: each part is built
//! as text, handed to the package and dropped, so only one slide's XML (and
//! the images) is in memory at a time.

use std::io::{self, Write};

use kiln_plugin_sdk::ooxml::{CORE_PROPERTIES, EXTENDED_PROPERTIES, Package};

use crate::deck::{Body, Deck};
use crate::parts::{self, Rels};
use crate::spec::{Layout, Presentation};

const PML: &str = "application/vnd.openxmlformats-officedocument.presentationml";
const THEME: &str = "application/vnd.openxmlformats-officedocument.theme+xml";
const CHART: &str = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml";

fn part<W: Write>(pkg: &mut Package<W>, name: &str, ty: &str, xml: &str) -> io::Result<()> {
    pkg.part(name, ty)?.write_all(xml.as_bytes())
}

fn rels<W: Write>(pkg: &mut Package<W>, source: &str, rels: &Rels) -> io::Result<()> {
    pkg.relationships(source, &rels.to_sdk())
}

/// Writes every part. `progress(done, total, message)` is called once per
/// slide.
pub(crate) fn write<W: Write>(
    spec: &Presentation,
    deck: &Deck<'_>,
    pkg: &mut Package<W>,
    progress: &mut dyn FnMut(u64, u64, &str),
) -> io::Result<()> {
    pkg.default_content_type("png", "image/png");
    pkg.default_content_type("jpeg", "image/jpeg");
    pkg.default_content_type("xlsx", crate::chart::XLSX);
    let mut root = Rels::default();
    root.add_full(kiln_plugin_sdk::ooxml::OFFICE_DOCUMENT, "ppt/presentation.xml");
    root.add_full(CORE_PROPERTIES, "docProps/core.xml");
    root.add_full(EXTENDED_PROPERTIES, "docProps/app.xml");
    rels(pkg, "", &root)?;
    part(
        pkg,
        "docProps/core.xml",
        "application/vnd.openxmlformats-package.core-properties+xml",
        &parts::core(spec),
    )?;
    part(
        pkg,
        "docProps/app.xml",
        "application/vnd.openxmlformats-officedocument.extended-properties+xml",
        &parts::app(deck.slides.len(), spec.aspect_ratio),
    )?;
    let (xml, r) = parts::presentation(deck, spec.aspect_ratio);
    part(pkg, "ppt/presentation.xml", &format!("{PML}.presentation.main+xml"), &xml)?;
    rels(pkg, "ppt/presentation.xml", &r)?;
    part(pkg, "ppt/presProps.xml", &format!("{PML}.presProps+xml"), &parts::pres_props())?;
    part(pkg, "ppt/viewProps.xml", &format!("{PML}.viewProps+xml"), &parts::view_props())?;
    part(pkg, "ppt/tableStyles.xml", &format!("{PML}.tableStyles+xml"), &parts::table_styles())?;
    let theme = parts::theme(spec);
    part(pkg, "ppt/theme/theme1.xml", THEME, &theme)?;
    part(pkg, "ppt/theme/theme2.xml", THEME, &theme)?;
    let (xml, r) = parts::master(&deck.geometry);
    part(pkg, "ppt/slideMasters/slideMaster1.xml", &format!("{PML}.slideMaster+xml"), &xml)?;
    rels(pkg, "ppt/slideMasters/slideMaster1.xml", &r)?;
    let layout_rels = parts::layout_rels();
    for l in Layout::ALL {
        let name = format!("ppt/slideLayouts/slideLayout{}.xml", l.part_number());
        part(pkg, &name, &format!("{PML}.slideLayout+xml"), &parts::layout(l, &deck.geometry))?;
        rels(pkg, &name, &layout_rels)?;
    }
    let (xml, r) = parts::notes_master();
    part(pkg, "ppt/notesMasters/notesMaster1.xml", &format!("{PML}.notesMaster+xml"), &xml)?;
    rels(pkg, "ppt/notesMasters/notesMaster1.xml", &r)?;

    let total = deck.slides.len() as u64;
    let mut notes_number = 0;
    for (i, slide) in deck.slides.iter().enumerate() {
        let number = i + 1;
        let notes = slide.notes.map(|text| {
            notes_number += 1;
            (notes_number, text)
        });
        let (xml, r) = crate::slide::write(deck, slide, number, notes.map(|(n, _)| n));
        let name = format!("ppt/slides/slide{number}.xml");
        part(pkg, &name, &format!("{PML}.slide+xml"), &xml)?;
        rels(pkg, &name, &r)?;
        if let Some((n, text)) = notes {
            let (xml, r) = parts::notes_slide(text, number);
            let name = format!("ppt/notesSlides/notesSlide{n}.xml");
            part(pkg, &name, &format!("{PML}.notesSlide+xml"), &xml)?;
            rels(pkg, &name, &r)?;
        }
        if let Body::Chart { chart, number } = &slide.body {
            let name = format!("ppt/charts/chart{number}.xml");
            part(pkg, &name, CHART, &crate::chart::write(chart))?;
            let workbook = format!("Microsoft_Excel_Worksheet{number}.xlsx");
            let mut r = Rels::default();
            r.add_full(crate::chart::PACKAGE_REL, &format!("../embeddings/{workbook}"));
            rels(pkg, &name, &r)?;
            let embedded = format!("ppt/embeddings/{workbook}");
            let file = pkg.part_with_default_type(&embedded)?;
            crate::chart::workbook(chart, file)?;
        }
        let label = slide.title.as_deref().unwrap_or(slide.layout.name());
        progress(number as u64, total, &format!("slide {number}/{total}: {label}"));
    }
    for (i, m) in deck.media.iter().enumerate() {
        pkg.part_with_default_type(&format!("ppt/media/image{}.{}", i + 1, m.extension))?
            .write_all(&m.bytes)?;
    }
    Ok(())
}
