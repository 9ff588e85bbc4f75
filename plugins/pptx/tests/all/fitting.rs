//! Text that does not fit is shrunk, then continued, and the log says so.

use kiln_plugin_sdk::Level;
use serde_json::json;

fn forty_bullets() -> String {
    let bullets: Vec<String> =
        (1..=40).map(|i| format!("Bullet point number {i} with a few words")).collect();
    json!({"slides": [{"title": "Everything", "bullets": bullets, "notes": "n"}]}).to_string()
}

fn sizes(xml: &str) -> Vec<u32> {
    xml.match_indices(" sz=\"")
        .filter_map(|(i, _)| xml[i + 5..].split('"').next()?.parse().ok())
        .collect()
}

#[test]
fn forty_bullets_shrink_then_continue_and_the_log_says_so() {
    let run = crate::run(&forty_bullets());
    let pptx = crate::deck(&run);
    let presentation = crate::part(pptx, "ppt/presentation.xml");
    let slides = presentation.matches("<p:sldId ").count();
    assert!(slides >= 2, "continued on more slides, found {slides}");
    let mut bullets = 0;
    for n in 1..=slides {
        let xml = crate::part(pptx, &format!("ppt/slides/slide{n}.xml"));
        let title = if n == 1 { "Everything" } else { "Everything (cont.)" };
        assert!(xml.contains(&format!("<a:t>{title}</a:t>")), "slide {n} title");
        bullets += xml.matches("<a:t>Bullet point").count();
        // Shrunk below the body's 24 pt, never below the 60% floor.
        let body: Vec<u32> = sizes(&xml).into_iter().filter(|s| *s != 3200).collect();
        assert!(
            !body.is_empty() && body.iter().all(|s| (1440..2400).contains(s)),
            "slide {n}: {body:?}"
        );
    }
    assert_eq!(bullets, 40, "every bullet once");
    // Notes stay with the first slide.
    assert_eq!(crate::part(pptx, "[Content_Types].xml").matches("notesSlide+xml").count(), 1);
    let log: Vec<&str> =
        run.log.iter().filter(|(l, _)| *l == Level::Info).map(|(_, m)| m.as_str()).collect();
    assert!(
        log.iter().any(|m| m.contains("slide 1 (\"Everything\"): bullet text shrunk to 60%")),
        "{log:?}"
    );
    assert!(log.iter().any(|m| m.contains("continued on") && m.contains("(cont.)")), "{log:?}");
}

#[test]
fn a_dozen_bullets_shrink_on_their_slide_without_continuing() {
    let bullets: Vec<String> = (1..=12).map(|i| format!("Bullet {i}")).collect();
    let run = crate::run(&json!({"slides": [{"title": "T", "bullets": bullets}]}).to_string());
    let pptx = crate::deck(&run);
    assert_eq!(crate::part(pptx, "ppt/presentation.xml").matches("<p:sldId ").count(), 1);
    let xml = crate::part(pptx, "ppt/slides/slide1.xml");
    assert!(sizes(&xml).iter().all(|s| *s < 2400 && *s >= 1440), "{:?}", sizes(&xml));
    assert!(run.log.iter().any(|(_, m)| m.contains("shrunk to")), "{:?}", run.log);
}

#[test]
fn short_text_keeps_the_layout_sizes_and_logs_nothing() {
    let run = crate::run(r#"{"slides":[{"title":"T","bullets":["one","two"]}]}"#);
    let xml = crate::part(crate::deck(&run), "ppt/slides/slide1.xml");
    assert!(sizes(&xml).is_empty(), "no explicit sizes: {xml}");
    assert!(run.log.is_empty(), "{:?}", run.log);
}

#[test]
fn a_long_table_continues_with_its_header_repeated() {
    let rows: Vec<Vec<String>> = (1..=45).map(|i| vec![format!("r{i}"), "x".into()]).collect();
    let run = crate::run(
        &json!({"slides": [{"title": "Rows", "table": {"header": ["A", "B"], "rows": rows}}]})
            .to_string(),
    );
    let pptx = crate::deck(&run);
    let slides = crate::part(pptx, "ppt/presentation.xml").matches("<p:sldId ").count();
    assert!(slides >= 2);
    let mut seen = 0;
    for n in 1..=slides {
        let xml = crate::part(pptx, &format!("ppt/slides/slide{n}.xml"));
        assert!(xml.contains("<a:t>A</a:t>"), "header on slide {n}");
        seen += (1..=45).filter(|i| xml.contains(&format!("<a:t>r{i}</a:t>"))).count();
    }
    assert_eq!(seen, 45);
    assert!(run.log.iter().any(|(_, m)| m.contains("table does not fit")), "{:?}", run.log);
}

#[test]
fn a_long_title_shrinks() {
    let title = "A title that goes on and on about many things ".repeat(3);
    let run = crate::run(&json!({"slides": [{"title": title, "bullets": ["x"]}]}).to_string());
    let xml = crate::part(crate::deck(&run), "ppt/slides/slide1.xml");
    assert!(sizes(&xml).iter().any(|s| *s < 3200), "{xml}");
    assert!(run.log.iter().any(|(_, m)| m.contains("title shrunk")), "{:?}", run.log);
}

#[test]
fn one_bullet_too_long_for_any_slide_is_a_warning() {
    let bullet = "An endless sentence that never stops. ".repeat(120);
    let run = crate::run(
        &json!({"slides": [{"title": "Wall of text", "bullets": [bullet]}]}).to_string(),
    );
    let pptx = crate::deck(&run);
    assert_eq!(crate::part(pptx, "ppt/presentation.xml").matches("<p:sldId ").count(), 1);
    let warnings: Vec<&str> =
        run.log.iter().filter(|(l, _)| *l == Level::Warn).map(|(_, m)| m.as_str()).collect();
    assert_eq!(warnings.len(), 1, "{:?}", run.log);
    assert!(warnings[0].contains("overflows its box; shorten it"), "{warnings:?}");
    assert!(!run.log.iter().any(|(_, m)| m.contains("continued")), "{:?}", run.log);
}
