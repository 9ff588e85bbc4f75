//! Previews through `kiln serve`: every example of every built-in plugin
//! gets a PNG of its first page or slide, of the preview's width, that is
//! not blank; each PDF, document and deck an SVG of the same page, and each
//! workbook an HTML table of its sheets showing the spec's content (all
//! kept in `target/test-output/previews/` for a person to look at). A
//! preview that cannot be made holds up nothing, and another organisation
//! cannot see one.

use std::path::PathBuf;

use serde_json::{Value, json};

use super::builtin::assets;
use super::{Server, Stack, xlsx_job};

/// Width, height, the spread of the luminance of a PNG's pixels and how
/// many are dark enough to be ink.
fn measure(png: &[u8]) -> (u32, u32, f64, usize) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(png)).read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    let channels = info.color_type.samples();
    let luminance: Vec<f64> = pixels[..info.buffer_size()]
        .chunks(channels)
        .map(|p| 0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]))
        .collect();
    let mean = luminance.iter().sum::<f64>() / luminance.len() as f64;
    let variance =
        luminance.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / luminance.len() as f64;
    let ink = luminance.iter().filter(|l| **l < 160.0).count();
    (info.width, info.height, variance.sqrt(), ink)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_of_every_builtin_plugin_gets_a_preview() {
    let server = Server::start_builtin(Stack::Embedded).await;
    let api = server.client(&server.key("acme"));
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/test-output/previews");
    let plugins = api.get("/v1/plugins").await.json();
    let mut previews = 0;
    for plugin in plugins["plugins"].as_array().unwrap() {
        let kind = plugin["type"].as_str().unwrap();
        let detail = api.get(&format!("/v1/plugins/{kind}")).await.json();
        for (i, example) in detail["examples"].as_array().unwrap().iter().enumerate() {
            let body = json!({"type": kind, "session_id": "previews", "spec": example["spec"], "assets": assets(kind)});
            let job = api.run(&body).await;
            assert_eq!(job["state"], "succeeded", "{kind} example {i}: {job}");
            for artifact in job["artifacts"].as_array().unwrap() {
                let name = artifact["filename"].as_str().unwrap();
                let url = format!("{}/preview", artifact["links"]["self"].as_str().unwrap());
                let reply = api.get(&url).await;
                let what = format!("{kind} example {i}, {name}");
                assert_eq!(reply.status, 200, "{what}: {}", String::from_utf8_lossy(&reply.body));
                assert_eq!(reply.headers["content-type"], "image/png", "{what}");
                let path = out.join(kind).join(format!("{i}-{name}.png"));
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &reply.body).unwrap();
                let (width, height, spread, ink) = measure(&reply.body);
                assert_eq!(width, 480, "{what}");
                assert!((100..=1920).contains(&height), "{what}: {height} pixels high");
                // A blank page has no spread at all; a few lines of text on
                // a page have a spread of about 7 and hundreds of ink pixels.
                assert!(
                    spread > 3.0 && ink > 200,
                    "{what} looks blank (luminance spread {spread:.1}, {ink} ink pixels): {}",
                    path.display()
                );
                previews += 1;

                let offered = artifact["links"]["previews"].as_object().unwrap();
                let formats: Vec<&str> = offered.keys().map(String::as_str).collect();
                let expected: &[&str] = match kind {
                    "xlsx" => &["html", "png"],
                    "docx" | "pptx" | "pdf" => &["png", "svg"],
                    _ => &["png"],
                };
                assert_eq!(formats, expected, "{what}");
                for (format, url) in offered.iter().filter(|(format, _)| *format != "png") {
                    let reply = api.get(url.as_str().unwrap()).await;
                    let body = String::from_utf8(reply.body.clone()).unwrap();
                    assert_eq!(reply.status, 200, "{what} as {format}: {body}");
                    let path = out.join(kind).join(format!("{i}-{name}.{format}"));
                    std::fs::write(&path, &body).unwrap();
                    match format.as_str() {
                        "svg" => {
                            assert_eq!(reply.headers["content-type"], "image/svg+xml");
                            check_svg(&body, f64::from(height) / f64::from(width), &what);
                        }
                        _ => {
                            assert_eq!(reply.headers["content-type"], "text/html; charset=utf-8");
                            check_html(&body, &example["spec"], &what);
                        }
                    }
                    let policy = reply.headers["content-security-policy"].to_str().unwrap();
                    assert!(policy.starts_with("default-src 'none'") && policy.contains("sandbox"));
                    previews += 1;
                }
            }
        }
    }
    assert!(previews >= 20, "only {previews} previews");

    // A deleted file takes its preview with it.
    let job = api.run(&xlsx_job("previews")).await;
    let artifact = &job["artifacts"][0];
    let this = artifact["links"]["self"].as_str().unwrap();
    assert_eq!(api.get(&format!("{this}/preview")).await.status, 200);
    let stored = ["png", "html"]
        .map(|format| format!("{}.preview.{format}", artifact["id"].as_str().unwrap()));
    for stored in &stored {
        assert!(find(server.dir(), stored), "no {stored} under {}", server.dir().display());
    }
    assert_eq!(api.delete(this).await.status, 204);
    for stored in &stored {
        assert!(!find(server.dir(), stored), "{stored} outlived its file");
    }
}

/// A well-formed SVG document of the page the PNG shows: the same shape
/// (unless the PNG was cut), with something drawn on it.
fn check_svg(svg: &str, png_aspect: f64, what: &str) {
    let document = roxmltree::Document::parse(svg).unwrap_or_else(|err| panic!("{what}: {err}"));
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "svg", "{what}");
    let view: Vec<f64> = root
        .attribute("viewBox")
        .unwrap_or_else(|| panic!("{what}: no viewBox"))
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    let aspect = view[3] / view[2];
    assert!(
        (aspect - png_aspect).abs() < 0.01 || png_aspect >= 3.99,
        "{what}: the SVG is {aspect:.3} times as high as wide, the PNG {png_aspect:.3}"
    );
    let drawn = document
        .descendants()
        .filter(|node| matches!(node.tag_name().name(), "path" | "use" | "image"))
        .count();
    assert!(drawn >= 10, "{what}: the SVG draws only {drawn} things");
}

/// An HTML page with a section per sheet of the spec, showing the header
/// cells of its first sheet.
fn check_html(html: &str, spec: &Value, what: &str) {
    assert!(html.starts_with("<!DOCTYPE html>") && !html.contains("<script"), "{what}");
    let escape = |text: &str| {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&apos;")
    };
    let sheets = spec["sheets"].as_array().unwrap();
    for (i, sheet) in sheets.iter().enumerate() {
        let name = sheet["name"].as_str().map_or_else(|| format!("Sheet{}", i + 1), escape);
        assert!(html.contains(&format!("<h2>{name}</h2>")), "{what}: no sheet {name}");
    }
    let header = sheets[0]["header"].as_array().into_iter().flatten().filter_map(Value::as_str);
    for cell in header {
        let cell = escape(cell);
        assert!(html.contains(&format!(">{cell}</td>")), "{what}: no header cell {cell}");
    }
    assert!(html.matches("<td").count() >= 4, "{what}: almost no cells");
}

/// Whether a file called `name` lies anywhere under `dir`.
fn find(dir: &std::path::Path, name: &str) -> bool {
    std::fs::read_dir(dir).unwrap().map(|entry| entry.unwrap().path()).any(|path| {
        if path.is_dir() { find(&path, name) } else { path.file_name().unwrap() == name }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preview_that_cannot_be_made_holds_up_nothing() {
    let server =
        Server::start_with(Stack::Embedded, &[("KILN_SOFFICE", "/nonexistent/soffice")]).await;
    let api = server.client(&server.key("acme"));
    let job = api.run(&xlsx_job("previews")).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    let artifact = &job["artifacts"][0];
    let this = artifact["links"]["self"].as_str().unwrap();
    assert_eq!(api.get(artifact["links"]["content"].as_str().unwrap()).await.status, 200);
    let reply = api.get(&format!("{this}/preview")).await;
    assert_eq!(reply.status, 409, "{}", String::from_utf8_lossy(&reply.body));
    let problem: Value = reply.json();
    assert!(problem["detail"].as_str().unwrap().contains("LibreOffice"), "{problem}");
    // A workbook's HTML needs no LibreOffice; formats it lacks are refused.
    let html = api.get(&format!("{this}/preview?format=html")).await;
    assert_eq!(html.status, 200, "{}", String::from_utf8_lossy(&html.body));
    assert!(String::from_utf8_lossy(&html.body).contains("<table>"));
    let svg = api.get(&format!("{this}/preview?format=svg")).await;
    assert_eq!(svg.status, 404);
    let problem: Value = svg.json();
    assert!(
        problem["detail"].as_str().unwrap().ends_with("ask for format png or html"),
        "{problem}"
    );
    assert_eq!(api.get(&format!("{this}/preview?format=jpeg")).await.status, 400);
    let other = server.client(&server.key("globex"));
    assert_eq!(other.get(&format!("{this}/preview")).await.status, 404);
}
