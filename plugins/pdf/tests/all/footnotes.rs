//! Footnotes land at the foot of the page (or column) their mark is on.

use serde_json::json;

use crate::{generate, out_dir};

/// The text of each page, as pdftotext reads it.
fn pages(name: &str, pdf: &[u8]) -> Vec<String> {
    let path = out_dir().join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).expect("write pdf");
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext runs (apt-get install poppler-utils)");
    String::from_utf8_lossy(&out.stdout).split('\u{c}').map(str::to_owned).collect()
}

fn paragraphs(count: usize, words: usize) -> Vec<serde_json::Value> {
    let filler = "the survey covers every region and every quarter of the year ".repeat(words / 11);
    (1..=count)
        .map(|i| {
            json!({"paragraph": [
                format!("Paragraph {i} begins, {filler}and "),
                {"text": format!("paragraph {i} ends."), "footnote": format!("Source {i}: the regional survey of {i} offices.")}
            ]})
        })
        .collect()
}

/// Every note is on the page of its mark, below the text that holds it.
fn assert_notes_follow_their_marks(pages: &[String], count: usize, columns: bool) {
    for i in 1..=count {
        let note = format!("Source {i}:");
        let mark = format!("paragraph {i} ends.");
        let on: Vec<usize> = (0..pages.len()).filter(|&p| pages[p].contains(&note)).collect();
        assert_eq!(on.len(), 1, "note {i} printed once: pages {on:?}");
        let page = &pages[on[0]];
        let (at_mark, at_note) = (page.find(&mark), page.find(&note));
        assert!(at_mark.is_some(), "note {i} is on page {} with its mark: {page}", on[0] + 1);
        if !columns {
            assert!(at_mark < at_note, "note {i} is below its mark: {page}");
        }
    }
}

#[test]
fn footnotes_are_printed_at_the_foot_of_the_page_of_their_mark() {
    let count = 24;
    let spec = json!({"blocks": paragraphs(count, 120)}).to_string();
    let pages = pages("footnotes-at-foot", &generate(&spec, &[]));
    assert!(pages.len() >= 4, "the notes spread over pages: {}", pages.len());
    assert_notes_follow_their_marks(&pages, count, false);
}

#[test]
fn footnotes_in_columns_go_to_the_foot_of_their_column() {
    let count = 16;
    let spec = json!({"page": {"columns": 2}, "blocks": paragraphs(count, 60)}).to_string();
    let pages = pages("footnotes-in-columns", &generate(&spec, &[]));
    assert_notes_follow_their_marks(&pages, count, true);
}

#[test]
fn a_footnote_taller_than_a_third_of_the_page_is_printed_after_the_text() {
    let long = "This note runs on at length about the method. ".repeat(300);
    let spec = json!({"blocks": [
        {"paragraph": [{"text": "A claim.", "footnote": long}]},
        {"paragraph": [{"text": "Another claim.", "footnote": "Source: a short note."}]},
        "The last paragraph."
    ]})
    .to_string();
    let pages = pages("footnotes-long", &generate(&spec, &[]));
    let all = pages.join("\n");
    let last = all.find("The last paragraph.").expect("text");
    let long_at = all.find("This note runs on").expect("the long note is printed");
    assert!(long_at > last, "the long note follows the text");
    let short = pages.iter().position(|p| p.contains("Source: a short note.")).expect("short note");
    assert_eq!(short, 0, "the short note stays at the foot of the first page");
}
