//! Specs written the way a chat model writes them, and hostile ones.

use serde_json::json;

use crate::{check, crate_dir, generate, out_dir, qpdf_check};

#[test]
fn every_corpus_spec_is_read_back_as_written() {
    let dir = crate_dir().join("tests/corpus");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    names.sort();
    assert!(names.len() >= 20, "at least 20 corpus specs");
    for path in names {
        let spec = std::fs::read_to_string(&path).expect("spec");
        let name = format!("corpus-{}", path.file_stem().and_then(|s| s.to_str()).unwrap_or("x"));
        let pdf = generate(&spec, &[]);
        let mut flags = Vec::new();
        if spec.contains("Page {page} of {pages}") {
            flags.push("--page-of-pages");
        }
        if spec.contains("\"toc\"") {
            flags.push("--toc");
        }
        check(&name, &path, &pdf, &flags);
    }
}

fn hostile(name: &str, spec: &serde_json::Value, assets: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let text = spec.to_string();
    let pdf = generate(&text, assets);
    let path = out_dir().join(format!("hostile-{name}.pdf"));
    std::fs::write(&path, &pdf).expect("write");
    qpdf_check(&path);
    pdf
}

#[test]
fn a_ten_thousand_row_table_paginates_with_its_header() {
    let rows: Vec<_> =
        (0..10_000).map(|i| json!([i.to_string(), format!("item {i}"), "1.00"])).collect();
    let spec = json!({"blocks": [{"table": {"header": ["#", "Name", "Price"], "rows": rows}}]});
    let start = std::time::Instant::now();
    let pdf = hostile("rows", &spec, &[]);
    assert!(pdf.len() > 100_000);
    assert!(start.elapsed().as_secs() < 60, "took {:?}", start.elapsed());
}

#[test]
fn a_word_of_100000_characters_is_broken_across_lines() {
    let word = "x".repeat(100_000);
    hostile("word", &json!({"blocks": [word]}), &[]);
}

#[test]
fn a_paragraph_of_a_megabyte_flows_over_many_pages() {
    let para = "lorem ipsum dolor sit amet ".repeat(40_000);
    hostile("megabyte", &json!({"blocks": [para]}), &[]);
}

#[test]
fn an_empty_document_is_one_blank_page() {
    let pdf = hostile("empty", &json!({}), &[]);
    assert!(pdf.starts_with(b"%PDF-"));
}

/// A grey PNG of the given size.
pub(crate) fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().expect("png header");
        let data: Vec<u8> = (0..width * height).map(|i| (i % 251) as u8).collect();
        w.write_image_data(&data).expect("png data");
    }
    out
}

#[test]
fn an_image_larger_than_the_page_is_scaled_down_and_logged() {
    let img = png(3000, 5000);
    let spec = json!({"blocks": [{"image": {"asset": "big.png", "alt": "A large grey picture"}}, "After the image."]}).to_string();
    let run = kiln_plugin_sdk::testing::run::<kiln_plugin_pdf::Pdf>(
        &spec,
        &[("big.png", "image/png", &img)],
    )
    .expect("generates");
    assert!(run.log.iter().any(|(_, m)| m.contains("scaled down")), "{:?}", run.log);
    let path = out_dir().join("hostile-image.pdf");
    std::fs::write(&path, &run.files[0].bytes).expect("write");
    qpdf_check(&path);
}

#[test]
fn a_table_row_taller_than_a_page_is_split_across_pages_under_its_header() {
    let lines: Vec<String> = (1..=300).map(|i| format!("Line {i} of the terms.")).collect();
    let spec = json!({"blocks": [
        {"heading": "Terms"},
        {"table": {"header": ["Clause", "Text"], "widths": [1, 4], "rows": [
            ["1", "Short first clause."],
            ["2", {"text": "Terms in full:", "blocks": lines}],
            ["3", "Short last clause."]
        ]}}
    ]});
    let pdf = hostile("tall-row", &spec, &[]);
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(out_dir().join("hostile-tall-row.pdf"))
        .arg("-")
        .output()
        .expect("pdftotext runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let pages: Vec<&str> = text.split('\u{c}').filter(|p| !p.trim().is_empty()).collect();
    assert!(pages.len() >= 3, "the row runs over pages: {}", pages.len());
    for (i, page) in pages.iter().enumerate() {
        assert!(page.contains("Clause"), "page {} repeats the header: {page}", i + 1);
    }
    for i in 1..=300 {
        let line = format!("Line {i} of the terms.");
        assert_eq!(text.matches(&line).count(), 1, "{line:?} printed once, nothing lost");
    }
    assert!(text.contains("Short last clause."));
    assert!(pdf.len() > 10_000);
}

#[test]
fn every_character_of_the_bundled_fonts_is_drawn_with_a_bundled_font() {
    let mut chars = std::collections::BTreeSet::new();
    for id in 0..=kiln_plugin_pdf::fonts::FALLBACK {
        let face = kiln_plugin_pdf::fonts::get(id).expect("a bundled face");
        let cmap = face.shaper.tables().cmap.expect("a character map");
        for table in cmap.subtables.into_iter().filter(|t| t.is_unicode()) {
            // A table's ranges may hold characters it maps to no glyph.
            table.codepoints(|c| {
                let has_glyph = |c: &char| face.shaper.glyph_index(*c).is_some();
                chars.extend(char::from_u32(c).filter(|c| !c.is_control() && has_glyph(c)));
            });
        }
    }
    assert!(chars.len() > 4000, "{} characters", chars.len());
    let chars: Vec<char> = chars.into_iter().collect();
    let blocks: Vec<String> = chars.chunks(300).map(|c| c.iter().collect()).collect();
    let spec = json!({"blocks": blocks}).to_string();
    let run = kiln_plugin_sdk::testing::run::<kiln_plugin_pdf::Pdf>(&spec, &[]).expect("generates");
    assert!(
        !run.log.iter().any(|(_, m)| m.contains("no bundled font covers")),
        "every character has a bundled glyph: {:?}",
        run.log
    );
    let path = out_dir().join("hostile-every-character.pdf");
    std::fs::write(&path, &run.files[0].bytes).expect("write");
    qpdf_check(&path);
}

#[test]
fn an_svg_image_is_drawn_as_vectors_with_selectable_text() {
    let svg = br##"<svg xmlns="http://www.w3.org/2000/svg" width="400" height="200" viewBox="0 0 400 200">
  <rect x="10" y="10" width="180" height="120" fill="#d62728"/>
  <circle cx="300" cy="70" r="60" fill="#1f77b4"/>
  <image href="/etc/hostname" x="0" y="0" width="10" height="10"/>
  <text x="20" y="180" font-family="sans-serif" font-size="24">Quarterly sales chart</text>
</svg>"##;
    let spec = json!({"blocks": [
        "Before the chart.",
        {"image": {"asset": "chart.svg", "alt": "Sales chart", "width": "12cm"}},
        {"image": {"asset": "notes.txt"}},
        "After the chart."
    ]})
    .to_string();
    let run = kiln_plugin_sdk::testing::run::<kiln_plugin_pdf::Pdf>(
        &spec,
        &[("chart.svg", "image/svg+xml", svg), ("notes.txt", "text/plain", b"not a picture")],
    )
    .expect("generates");
    assert!(
        run.log.iter().any(|(_, m)| m.contains("\"notes.txt\" is not a PNG, JPEG or SVG image")),
        "{:?}",
        run.log
    );
    let path = out_dir().join("svg-image.pdf");
    std::fs::write(&path, &run.files[0].bytes).expect("write");
    qpdf_check(&path);

    let text = std::process::Command::new("pdftotext").arg(&path).arg("-").output().expect("runs");
    let text = String::from_utf8_lossy(&text.stdout);
    for line in ["Before the chart.", "Quarterly sales chart", "After the chart."] {
        assert!(text.contains(line), "{line:?} is text in the PDF: {text}");
    }
    let images = std::process::Command::new("pdfimages").arg("-list").arg(&path).output();
    let images = String::from_utf8_lossy(&images.expect("pdfimages runs").stdout).into_owned();
    assert_eq!(images.lines().count(), 2, "no raster image, only vectors: {images}");

    // Rendered, the page shows the SVG's red rectangle and blue circle.
    let prefix = out_dir().join("svg-image");
    let status = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "50", "-singlefile"])
        .arg(&path)
        .arg(&prefix)
        .status()
        .expect("pdftoppm runs");
    assert!(status.success());
    let file = std::fs::File::open(prefix.with_extension("png")).expect("rendered page");
    let mut reader = png::Decoder::new(std::io::BufReader::new(file)).read_info().expect("png");
    let mut pixels = vec![0; reader.output_buffer_size().expect("size")];
    let frame = reader.next_frame(&mut pixels).expect("frame");
    let channels = frame.color_type.samples();
    let near = |p: &[u8], c: [u8; 3]| p.iter().zip(c).all(|(a, b)| a.abs_diff(b) < 40);
    let count =
        |c: [u8; 3]| pixels[..frame.buffer_size()].chunks(channels).filter(|p| near(p, c)).count();
    assert!(count([0xd6, 0x27, 0x28]) > 200, "the red rectangle is drawn");
    assert!(count([0x1f, 0x77, 0xb4]) > 200, "the blue circle is drawn");
    // Centred by default: flush left, the rectangle would start at the
    // margin (about 56 px at 50 dpi); centred, near 94 px.
    let width = frame.width as usize;
    let first_red = pixels[..frame.buffer_size()]
        .chunks(channels)
        .enumerate()
        .filter(|(_, p)| near(p, [0xd6, 0x27, 0x28]))
        .map(|(i, _)| i % width)
        .min()
        .expect("red pixels");
    assert!((85..105).contains(&first_red), "the image is centred: starts at x = {first_red}");
}
