//! The checks the spec's types cannot express. Asset names are checked at
//! generation, when the job's assets are known.

use crate::spec::{Bullet, ChartKind, LAYOUTS, Layout, Presentation, Slide};

/// A violation: (JSON pointer, message).
pub(crate) type Found = (String, String);

/// Every problem in the spec, in spec order.
pub(crate) fn check(spec: &Presentation) -> Vec<Found> {
    let mut found = Vec::new();
    if spec.slides.is_empty() {
        found.push((
            "/slides".to_string(),
            "expected at least one slide, found an empty list".to_string(),
        ));
    }
    if let Some(name) = &spec.file_name
        && (!name.to_ascii_lowercase().ends_with(".pptx")
            || name.contains(['/', '\\'])
            || name.len() < 6)
    {
        found.push((
            "/file_name".into(),
            format!("expected a file name ending in .pptx without folders, e.g. \"deck.pptx\"; found \"{name}\""),
        ));
    }
    theme(spec, &mut found);
    for (i, slide) in spec.slides.iter().enumerate() {
        check_slide(i, slide, &mut found);
    }
    found
}

fn is_hex(c: &str) -> bool {
    let h = c.strip_prefix('#').unwrap_or(c);
    h.len() == 6 && h.chars().all(|c| c.is_ascii_hexdigit())
}

fn theme(spec: &Presentation, found: &mut Vec<Found>) {
    let t = &spec.theme;
    let mut color = |pointer: String, value: &Option<String>| {
        if let Some(v) = value
            && !is_hex(v)
        {
            found.push((
                pointer,
                format!("expected a hex colour \"#RRGGBB\", e.g. \"#1F4E79\"; found \"{v}\""),
            ));
        }
    };
    color("/theme/accent".into(), &t.accent);
    color("/theme/background".into(), &t.background);
    color("/theme/text".into(), &t.text);
    for (i, a) in t.accents.iter().flatten().enumerate() {
        color(format!("/theme/accents/{i}"), &Some(a.clone()));
    }
    for (field, font) in [("heading_font", &t.heading_font), ("body_font", &t.body_font)] {
        if let Some(f) = font
            && (f.trim().is_empty() || f.len() > 31)
        {
            found.push((format!("/theme/{field}"), format!("expected a font family name of 1 to 31 characters, e.g. \"Arial\"; found \"{f}\"")));
        }
    }
}

/// Names PowerPoint shows, also accepted as suggestions' keys.
fn layout_suggestion(name: &str) -> Option<&'static str> {
    let names: Vec<&str> = LAYOUTS.iter().map(|(n, _)| *n).collect();
    // A display name ("Title and Content") maps to its spec name.
    if let Some((spec_name, _)) = LAYOUTS.iter().find(|(_, d)| d.eq_ignore_ascii_case(name)) {
        return Some(spec_name);
    }
    let aliases = [
        ("title_slide", "title"),
        ("cover", "title"),
        ("content", "bullets"),
        ("list", "bullets"),
        ("bullet", "bullets"),
        ("title_and_content", "bullets"),
        ("two_column", "two_columns"),
        ("comparison", "two_columns"),
        ("columns", "two_columns"),
        ("section_header", "section"),
        ("picture", "image"),
        ("photo", "image"),
        ("figure", "image"),
        ("statistic", "big_number"),
        ("stat", "big_number"),
        ("number", "big_number"),
        ("kpi", "big_number"),
        ("graph", "chart"),
        ("blockquote", "quote"),
        ("testimonial", "quote"),
        ("data", "table"),
    ];
    let norm = name.to_ascii_lowercase().replace(['-', ' '], "_");
    if let Some((_, target)) = aliases.iter().find(|(a, _)| *a == norm) {
        return Some(target);
    }
    kiln_plugin_sdk::suggest::closest(name, names.iter().copied())
}

fn check_slide(i: usize, slide: &Slide, found: &mut Vec<Found>) {
    let at = |field: &str| format!("/slides/{i}/{field}");
    let layout = match &slide.layout {
        Some(name) => match Layout::from_name(name) {
            Some(l) => l,
            None => {
                let names: Vec<String> = LAYOUTS.iter().map(|(n, _)| format!("\"{n}\"")).collect();
                let hint = layout_suggestion(name)
                    .map(|s| format!(" (did you mean \"{s}\"?)"))
                    .unwrap_or_default();
                found.push((
                    at("layout"),
                    format!(
                        "unknown layout \"{name}\"{hint}; expected one of {}",
                        names.join(", ")
                    ),
                ));
                return;
            }
        },
        None => slide.resolved_layout(i).unwrap_or(Layout::Bullets),
    };
    for field in slide.present_fields() {
        if !layout.fields().contains(&field) {
            let fits: Vec<&str> = Layout::ALL
                .iter()
                .filter(|l| l.fields().contains(&field))
                .map(|l| l.name())
                .collect();
            found.push((at(field), format!(
                "layout \"{}\" does not show \"{field}\" (it shows {}); use layout {} for it, or remove it",
                layout.name(),
                shows(layout),
                fits.iter().map(|f| format!("\"{f}\"")).collect::<Vec<_>>().join(" or ")
            )));
        }
    }
    let missing =
        |field: &str| format!("layout \"{}\" needs \"{field}\", which is missing", layout.name());
    match layout {
        Layout::Bullets => {
            if slide.bullets.is_none() {
                found.push((at("bullets"), missing("bullets")));
            }
        }
        Layout::TwoColumns => {
            if slide.left.is_none() && slide.right.is_none() {
                found.push((at("left"), "layout \"two_columns\" needs \"left\" and/or \"right\" bullet lists; found neither".to_string()));
            }
        }
        Layout::Table => match &slide.table {
            None => found.push((at("table"), missing("table"))),
            Some(t) => table(i, t, found),
        },
        Layout::Image => match &slide.image {
            None => found.push((at("image"), missing("image"))),
            Some(name) if name.trim().is_empty() => found.push((
                at("image"),
                "expected the name of an input asset, found an empty string".into(),
            )),
            Some(_) => {}
        },
        Layout::Quote => {
            if slide.quote.as_deref().is_none_or(|q| q.trim().is_empty()) {
                found.push((at("quote"), missing("quote")));
            }
        }
        Layout::BigNumber => {
            if slide.number.as_deref().is_none_or(|q| q.trim().is_empty()) {
                found.push((at("number"), missing("number")));
            }
        }
        Layout::Chart => match &slide.chart {
            None => found.push((at("chart"), missing("chart"))),
            Some(c) => chart(i, c, found),
        },
        Layout::Title | Layout::Section => {
            if slide.title.is_none() && slide.subtitle.is_none() {
                found.push((
                    at("title"),
                    format!("layout \"{}\" needs a \"title\", which is missing", layout.name()),
                ));
            }
        }
    }
    for (field, items) in
        [("bullets", &slide.bullets), ("left", &slide.left), ("right", &slide.right)]
    {
        if let Some(items) = items
            && let Some(Bullet::Nested(_)) = items.first()
        {
            found.push((
                format!("/slides/{i}/{field}/0"),
                "a nested list must follow the item it belongs to; found it first".into(),
            ));
        }
    }
}

fn shows(layout: Layout) -> String {
    let mut fields = vec!["title"];
    fields.extend(layout.fields());
    fields.push("notes");
    fields.iter().map(|f| format!("\"{f}\"")).collect::<Vec<_>>().join(", ")
}

fn table(i: usize, t: &crate::spec::Table, found: &mut Vec<Found>) {
    let base = format!("/slides/{i}/table");
    let (width, from) = match &t.header {
        Some(h) => (h.len(), "the header"),
        None => (t.rows.first().map_or(0, Vec::len), "the first row"),
    };
    if width == 0 {
        found.push((
            format!("{base}/{}", if t.header.is_some() { "header" } else { "rows" }),
            "expected at least one column, found none".into(),
        ));
        return;
    }
    if t.rows.is_empty() && t.header.is_none() {
        found.push((format!("{base}/rows"), "expected at least one row, found none".into()));
    }
    for (r, row) in t.rows.iter().enumerate() {
        if row.len() != width {
            found.push((
                format!("{base}/rows/{r}"),
                format!("expected {width} cells (as many as {from}), found {}", row.len()),
            ));
        }
    }
    if let Some(w) = &t.column_widths {
        if w.len() != width {
            found.push((
                format!("{base}/column_widths"),
                format!("expected {width} widths (one per column), found {}", w.len()),
            ));
        }
        for (c, x) in w.iter().enumerate() {
            if !(x.is_finite() && *x > 0.0) {
                found.push((
                    format!("{base}/column_widths/{c}"),
                    format!("expected a positive relative width, found {x}"),
                ));
            }
        }
    }
}

fn chart(i: usize, c: &crate::spec::Chart, found: &mut Vec<Found>) {
    let base = format!("/slides/{i}/chart");
    let n = c.categories.len();
    if n == 0 {
        found.push((
            format!("{base}/categories"),
            "expected at least one category, found none".into(),
        ));
    }
    if c.series.is_empty() {
        found.push((format!("{base}/series"), "expected at least one series, found none".into()));
    }
    if c.kind == ChartKind::Pie && c.series.len() > 1 {
        found.push((
            format!("{base}/series"),
            format!(
                "a pie chart shows exactly one series, found {}; use \"column\" to compare several",
                c.series.len()
            ),
        ));
    }
    for (s, series) in c.series.iter().enumerate() {
        if series.values.len() != n {
            found.push((
                format!("{base}/series/{s}/values"),
                format!(
                    "expected {n} values (one per category: {}), found {}",
                    preview(&c.categories),
                    series.values.len()
                ),
            ));
        }
        if c.kind == ChartKind::Pie {
            for (v, value) in series.values.iter().enumerate() {
                if value.is_some_and(|x| x < 0.0) {
                    found.push((
                        format!("{base}/series/{s}/values/{v}"),
                        format!(
                            "a pie slice cannot be negative, found {}",
                            value.unwrap_or_default()
                        ),
                    ));
                }
            }
        }
        if series.values.iter().flatten().any(|x| !x.is_finite()) {
            found.push((format!("{base}/series/{s}/values"), "expected finite numbers".into()));
        }
    }
}

fn preview(categories: &[String]) -> String {
    let shown: Vec<String> = categories.iter().take(6).map(|c| format!("\"{c}\"")).collect();
    let more = if categories.len() > 6 { ", ..." } else { "" };
    format!("{}{more}", shown.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_suggested() {
        assert_eq!(layout_suggestion("bullet"), Some("bullets"));
        assert_eq!(layout_suggestion("two-column"), Some("two_columns"));
        assert_eq!(layout_suggestion("Title and Content"), Some("bullets"));
        assert_eq!(layout_suggestion("bignumber"), Some("big_number"));
        assert_eq!(layout_suggestion("zzzzzzzzzzzz"), None);
    }
}
