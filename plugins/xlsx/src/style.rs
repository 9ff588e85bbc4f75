//! Cell styles: named and inline styles, layering (column, then row, then
//! cell) and conversion to `rust_xlsxwriter` formats.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, FormatUnderline};

use crate::spec::{Border, HAlign, Points, Style, StyleRef, VAlign};

/// What a cell holds, for the formats its kind needs when its style does
/// not say otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Plain,
    Date,
    DateTime,
    Time,
    Link,
}

/// The style of header cells when a sheet names none: bold on a light blue
/// fill with a thin bottom border.
pub(crate) fn default_header_style() -> Style {
    Style {
        bold: Some(true),
        fill_color: Some("#D9E1F2".to_string()),
        border_bottom: Some(Border::Thin),
        ..Style::default()
    }
}

macro_rules! layer_fields {
    ($below:ident, $top:ident, $($field:ident),*) => {
        $(if $top.$field.is_some() {
            $below.$field.clone_from(&$top.$field);
        })*
    };
}

impl Style {
    /// Lays `top` over this style: every field `top` sets wins.
    pub(crate) fn layer(&mut self, top: &Style) {
        layer_fields!(
            self,
            top,
            bold,
            italic,
            underline,
            strikethrough,
            font_name,
            font_size,
            font_color,
            fill_color,
            border,
            border_color,
            border_top,
            border_bottom,
            border_left,
            border_right,
            align,
            valign,
            wrap,
            indent,
            num_format
        );
        self.base = None;
    }
}

/// `#RRGGBB` or `RRGGBB` as a 24-bit colour.
pub(crate) fn parse_color(text: &str) -> Option<u32> {
    let hex = text.strip_prefix('#').unwrap_or(text);
    (hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| u32::from_str_radix(hex, 16).ok())
        .flatten()
}

/// Named styles flattened through their `base` chains, and a cache of the
/// formats built so far (one per distinct effective style).
pub(crate) struct Styles<'s> {
    named: HashMap<&'s str, Style>,
    cache: HashMap<Style, Format>,
}

impl<'s> Styles<'s> {
    /// Flattens the spec's named styles. Unknown bases and cycles are
    /// reported by validation; here they are ignored.
    pub(crate) fn new(styles: &'s BTreeMap<String, Style>) -> Self {
        let mut named = HashMap::new();
        for name in styles.keys() {
            let mut seen = Vec::new();
            let flat = flatten(styles, name, &mut seen);
            named.insert(name.as_str(), flat);
        }
        Styles { named, cache: HashMap::new() }
    }

    /// The full style a reference stands for.
    pub(crate) fn resolve<'a>(&'a self, style: &'a StyleRef) -> Cow<'a, Style> {
        match style {
            StyleRef::Named(name) => match self.named.get(name.as_str()) {
                Some(s) => Cow::Borrowed(s),
                None => Cow::Owned(Style::default()),
            },
            StyleRef::Inline(inline) => match &inline.base {
                None => Cow::Borrowed(inline),
                Some(base) => {
                    let mut s = self.named.get(base.as_str()).cloned().unwrap_or_default();
                    s.layer(inline);
                    Cow::Owned(s)
                }
            },
        }
    }

    /// The format for an already layered style.
    pub(crate) fn format_of(&mut self, mut effective: Style, kind: Kind) -> Option<&Format> {
        apply_kind_defaults(&mut effective, kind);
        if effective == Style::default() {
            return None;
        }
        Some(self.cache.entry(effective).or_insert_with_key(to_format))
    }
}

fn flatten(styles: &BTreeMap<String, Style>, name: &str, seen: &mut Vec<String>) -> Style {
    let Some(style) = styles.get(name) else {
        return Style::default();
    };
    if seen.iter().any(|s| s == name) {
        return Style::default();
    }
    seen.push(name.to_string());
    let mut flat = match &style.base {
        Some(base) => flatten(styles, base, seen),
        None => Style::default(),
    };
    flat.layer(style);
    flat
}

fn apply_kind_defaults(style: &mut Style, kind: Kind) {
    let num_format = match kind {
        Kind::Date => "yyyy-mm-dd",
        Kind::DateTime => "yyyy-mm-dd hh:mm",
        Kind::Time => "hh:mm:ss",
        Kind::Link => {
            style.font_color.get_or_insert_with(|| "#0563C1".to_string());
            style.underline.get_or_insert(true);
            return;
        }
        Kind::Plain => return,
    };
    style.num_format.get_or_insert_with(|| num_format.to_string());
}

fn border(b: Border) -> FormatBorder {
    match b {
        Border::None => FormatBorder::None,
        Border::Thin => FormatBorder::Thin,
        Border::Medium => FormatBorder::Medium,
        Border::Thick => FormatBorder::Thick,
        Border::Dashed => FormatBorder::Dashed,
        Border::Dotted => FormatBorder::Dotted,
        Border::Double => FormatBorder::Double,
        Border::Hair => FormatBorder::Hair,
    }
}

fn color(text: &str) -> Color {
    Color::RGB(parse_color(text).unwrap_or(0))
}

fn to_format(style: &Style) -> Format {
    let mut f = Format::new();
    if style.bold == Some(true) {
        f = f.set_bold();
    }
    if style.italic == Some(true) {
        f = f.set_italic();
    }
    if style.underline == Some(true) {
        f = f.set_underline(FormatUnderline::Single);
    }
    if style.strikethrough == Some(true) {
        f = f.set_font_strikethrough();
    }
    if let Some(name) = &style.font_name {
        f = f.set_font_name(name);
    }
    if let Some(Points(size)) = style.font_size {
        f = f.set_font_size(size);
    }
    if let Some(c) = &style.font_color {
        f = f.set_font_color(color(c));
    }
    if let Some(c) = &style.fill_color {
        f = f.set_background_color(color(c));
    }
    if let Some(b) = style.border {
        f = f.set_border(border(b));
    }
    if let Some(c) = &style.border_color {
        f = f.set_border_color(color(c));
    }
    for (side, setter) in [
        (style.border_top, Format::set_border_top as fn(Format, FormatBorder) -> Format),
        (style.border_bottom, Format::set_border_bottom),
        (style.border_left, Format::set_border_left),
        (style.border_right, Format::set_border_right),
    ] {
        if let Some(b) = side {
            f = setter(f, border(b));
        }
    }
    if let Some(a) = style.align {
        f = f.set_align(match a {
            HAlign::General => FormatAlign::General,
            HAlign::Left => FormatAlign::Left,
            HAlign::Center => FormatAlign::Center,
            HAlign::Right => FormatAlign::Right,
            HAlign::Fill => FormatAlign::Fill,
            HAlign::Justify => FormatAlign::Justify,
            HAlign::CenterAcross => FormatAlign::CenterAcross,
            HAlign::Distributed => FormatAlign::Distributed,
        });
    }
    if let Some(v) = style.valign {
        f = f.set_align(match v {
            VAlign::Top => FormatAlign::Top,
            VAlign::Center => FormatAlign::VerticalCenter,
            VAlign::Bottom => FormatAlign::Bottom,
            VAlign::Justify => FormatAlign::VerticalJustify,
            VAlign::Distributed => FormatAlign::VerticalDistributed,
        });
    }
    if style.wrap == Some(true) {
        f = f.set_text_wrap();
    }
    if let Some(indent) = style.indent {
        f = f.set_indent(indent);
    }
    if let Some(n) = &style.num_format {
        f = f.set_num_format(n);
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(name: &str) -> Option<StyleRef> {
        Some(StyleRef::Named(name.to_string()))
    }

    #[test]
    fn later_layers_win_and_bases_are_followed() {
        let mut styles = BTreeMap::new();
        styles.insert(
            "base".to_string(),
            Style { bold: Some(true), num_format: Some("0.0".into()), ..Style::default() },
        );
        styles.insert(
            "money".to_string(),
            Style {
                base: Some("base".into()),
                num_format: Some("$#,##0.00".into()),
                ..Style::default()
            },
        );
        let s = Styles::new(&styles);
        let money = s.resolve(named("money").as_ref().unwrap()).into_owned();
        assert_eq!(money.bold, Some(true));
        assert_eq!(money.num_format.as_deref(), Some("$#,##0.00"));

        let inline = StyleRef::Inline(Box::new(Style {
            base: Some("money".into()),
            bold: Some(false),
            ..Style::default()
        }));
        let resolved = s.resolve(&inline);
        assert_eq!(resolved.bold, Some(false));
        assert_eq!(resolved.num_format.as_deref(), Some("$#,##0.00"));
    }

    #[test]
    fn base_cycles_do_not_loop() {
        let mut styles = BTreeMap::new();
        for (name, base) in [("a", "b"), ("b", "a")] {
            styles.insert(
                name.to_string(),
                Style { base: Some(base.into()), italic: Some(true), ..Style::default() },
            );
        }
        let s = Styles::new(&styles);
        assert_eq!(s.resolve(named("a").as_ref().unwrap()).italic, Some(true));
    }

    #[test]
    fn unstyled_plain_cells_need_no_format_but_dates_do() {
        let styles = BTreeMap::new();
        let mut s = Styles::new(&styles);
        assert!(s.format_of(Style::default(), Kind::Plain).is_none());
        assert!(s.format_of(Style::default(), Kind::Date).is_some());
    }

    #[test]
    fn colours_are_six_hex_digits() {
        assert_eq!(parse_color("#1F4E78"), Some(0x1F4E78));
        assert_eq!(parse_color("ff0000"), Some(0xFF0000));
        assert_eq!(parse_color("red"), None);
        assert_eq!(parse_color("#FFF"), None);
    }
}
