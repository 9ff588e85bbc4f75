//! The compact forms a spec may use (bare cell values, rows as arrays,
//! styles by name, ...): their parsing, and their JSON Schema, written by
//! hand to match exactly what the parsing accepts.

use std::borrow::Cow;
use std::fmt;

use kiln_plugin_sdk::schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use serde::Deserialize;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::spec::{
    AutoFilter, Cached, Cell, Freeze, Keywords, Link, RangeRef, Row, Style, StyleRef, Value,
};

/// Escapes one JSON pointer segment (RFC 6901).
pub(crate) fn escape_pointer(segment: &str) -> String {
    kiln_plugin_sdk::pointer::escape(segment)
}

impl<'de> Deserialize<'de> for Keywords {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Keywords;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Keywords, E> {
                Ok(Keywords(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Keywords, A::Error> {
                let words = Vec::<String>::deserialize(SeqAccessDeserializer::new(seq))?;
                Ok(Keywords(words.join(", ")))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for StyleRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StyleRef;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a style name (a key of `styles`) or a style object")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StyleRef, E> {
                Ok(StyleRef::Named(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<StyleRef, A::Error> {
                let style = Style::deserialize(MapAccessDeserializer::new(map))?;
                Ok(StyleRef::Inline(Box::new(style)))
            }
        }
        d.deserialize_any(V)
    }
}

/// A cell written as an object. Give at most one of `formula`, `date`,
/// `datetime`, `time`, `url` or `value` (a formula may add `value` as its
/// result); with none of them the cell is blank but styled (e.g. {"style":
/// "boxed"}).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "kiln_plugin_sdk::schemars", rename = "CellObject")]
struct CellObject {
    /// A plain value: text, a number or true/false. A string here is always
    /// literal text, even if it starts with "=". With `formula`, the
    /// formula's result to store for readers that do not recalculate (used
    /// when the formula is not one computed here), e.g. {"formula":
    /// "=STDEV.S(B2:B9)", "value": 12.5}.
    value: Option<Scalar>,
    /// An Excel formula in English A1 syntax, with or without the leading
    /// "=", e.g. "=SUM(B2:B9)", "=B4*(1+Assumptions!B2)", "='Budget
    /// 2026'!G7". Sheet names with spaces or punctuation are quoted with
    /// apostrophes; arguments are separated by commas.
    #[schemars(length(min = 1))]
    formula: Option<String>,
    /// A date as YYYY-MM-DD (1900-01-01 to 9999-12-31), e.g. "2026-03-31".
    /// Shown as yyyy-mm-dd unless the style sets `num_format`.
    date: Option<String>,
    /// A date and time as YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS (a space
    /// may replace T; a trailing Z is ignored: Excel has no time zones).
    /// Shown as yyyy-mm-dd hh:mm unless the style sets `num_format`.
    datetime: Option<String>,
    /// A time of day as HH:MM or HH:MM:SS, e.g. "09:30". Shown as hh:mm:ss
    /// unless the style sets `num_format`.
    time: Option<String>,
    /// A hyperlink: http://, https://, ftp://, ftps://,
    /// mailto:someone@example.com, or internal:Sheet2!A1 to jump to a cell
    /// of this workbook. Shown blue and underlined unless the style says
    /// otherwise.
    url: Option<String>,
    /// The text shown for a hyperlink (default: the address). Only with
    /// `url`.
    text: Option<String>,
    /// A tooltip for a hyperlink, up to 255 characters. Only with `url`.
    tip: Option<String>,
    /// The cell's style: a name from `styles` or an inline style object.
    style: Option<StyleRef>,
}

/// Text, a number or a boolean.
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
enum Scalar {
    Bool(bool),
    Number(f64),
    Text(String),
}

impl CellObject {
    fn into_cell(self) -> Result<Cell, String> {
        let kinds = [
            ("value", self.value.is_some()),
            ("formula", self.formula.is_some()),
            ("date", self.date.is_some()),
            ("datetime", self.datetime.is_some()),
            ("time", self.time.is_some()),
            ("url", self.url.is_some()),
        ];
        let mut given: Vec<&str> = kinds.iter().filter(|k| k.1).map(|k| k.0).collect();
        // A formula may state its own result as `value`.
        let cached = match (&self.formula, &self.value) {
            (Some(_), Some(v)) => {
                given.retain(|k| *k != "value");
                Some(match v {
                    Scalar::Bool(b) => Cached::Bool(*b),
                    Scalar::Number(n) => Cached::Number(*n),
                    Scalar::Text(t) => Cached::Text(t.clone()),
                })
            }
            _ => None,
        };
        if given.len() > 1 {
            return Err(format!(
                "a cell has one kind of content, but this one has {}",
                given.join(" and ")
            ));
        }
        if self.url.is_none() && (self.text.is_some() || self.tip.is_some()) {
            return Err("`text` and `tip` belong to a hyperlink cell, which needs `url`".into());
        }
        let value = if let (Some(f), true) = (self.formula.clone(), cached.is_some()) {
            Value::Formula(strip_equals(f))
        } else if let Some(scalar) = self.value {
            match scalar {
                Scalar::Bool(b) => Value::Bool(b),
                Scalar::Number(n) => Value::Number(n),
                Scalar::Text(s) => Value::Text(s),
            }
        } else if let Some(f) = self.formula {
            Value::Formula(strip_equals(f))
        } else if let Some(d) = self.date {
            Value::Date(d)
        } else if let Some(d) = self.datetime {
            Value::DateTime(d)
        } else if let Some(t) = self.time {
            Value::Time(t)
        } else if let Some(url) = self.url {
            Value::Link(Box::new(Link { url, text: self.text, tip: self.tip }))
        } else {
            Value::Empty
        };
        Ok(Cell { value, style: self.style, cached })
    }
}

fn strip_equals(formula: String) -> String {
    match formula.trim_start().strip_prefix('=') {
        Some(rest) => rest.to_string(),
        None => formula,
    }
}

fn plain(value: Value) -> Cell {
    Cell { value, style: None, cached: None }
}

impl<'de> Deserialize<'de> for Cell {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Cell;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a cell: a string, number, boolean, null, or an object such as \
                     {\"formula\": \"=SUM(B2:B4)\"} or {\"date\": \"2026-01-31\"}",
                )
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Cell, E> {
                Ok(plain(Value::Bool(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Cell, E> {
                Ok(plain(Value::Number(v as f64)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Cell, E> {
                Ok(plain(Value::Number(v as f64)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Cell, E> {
                Ok(plain(Value::Number(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Cell, E> {
                Ok(plain(text_or_formula(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Cell, E> {
                Ok(plain(text_or_formula(v)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Cell, E> {
                Ok(plain(Value::Empty))
            }
            fn visit_none<E: de::Error>(self) -> Result<Cell, E> {
                Ok(plain(Value::Empty))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Cell, A::Error> {
                let object = CellObject::deserialize(MapAccessDeserializer::new(map))?;
                object.into_cell().map_err(de::Error::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// A bare string starting with `=` is a formula; `{"value": "=..."}` is the
/// way to write such text literally.
fn text_or_formula(text: String) -> Value {
    if text.starts_with('=') && text.len() > 1 {
        Value::Formula(text[1..].to_string())
    } else {
        Value::Text(text)
    }
}

/// A row with options.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "kiln_plugin_sdk::schemars", rename = "RowObject")]
struct RowObject {
    /// The row's cells, left to right (may be empty, e.g. to set only a
    /// height).
    #[serde(default)]
    cells: Vec<Cell>,
    /// Style for every cell of this row (layered over the column style,
    /// under each cell's own style).
    style: Option<StyleRef>,
    /// Row height in points, 0 to 409 (default about 15).
    #[schemars(range(min = 0, max = 409))]
    height: Option<f64>,
    /// Place this row's first cell here (e.g. "D15") instead of below the
    /// previous row; the rows after it continue below it, starting in the
    /// same column.
    at: Option<String>,
}

impl<'de> Deserialize<'de> for Row {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Row;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a row: an array of cells, or an object with `cells`")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Row, A::Error> {
                let cells = Vec::<Cell>::deserialize(SeqAccessDeserializer::new(seq))?;
                Ok(Row { cells, ..Row::default() })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Row, A::Error> {
                let row = RowObject::deserialize(MapAccessDeserializer::new(map))?;
                Ok(Row {
                    cells: row.cells,
                    style: row.style,
                    height: row.height,
                    at: row.at,
                    object: true,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// Numbers of frozen rows and columns.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "kiln_plugin_sdk::schemars", rename = "FreezeCounts")]
struct FreezeCounts {
    /// Frozen rows at the top (default 0), e.g. 1.
    #[serde(default)]
    rows: u32,
    /// Frozen columns at the left (default 0).
    #[serde(default)]
    columns: u32,
}

impl<'de> Deserialize<'de> for Freeze {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Freeze;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a cell such as \"B2\" or an object {\"rows\": 1, \"columns\": 0}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Freeze, E> {
                Ok(Freeze::Cell(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Freeze, A::Error> {
                let counts = FreezeCounts::deserialize(MapAccessDeserializer::new(map))?;
                Ok(Freeze::Counts { rows: counts.rows, columns: counts.columns })
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for AutoFilter {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AutoFilter;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("true, false, or a range such as \"A1:D20\"")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<AutoFilter, E> {
                Ok(AutoFilter::Auto(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<AutoFilter, E> {
                Ok(AutoFilter::Range(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A sheet and a range.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "kiln_plugin_sdk::schemars", rename = "RangeParts")]
struct RangeParts {
    /// The sheet name (default: the sheet this object belongs to). No
    /// quotes needed, e.g. "My Sheet".
    sheet: Option<String>,
    /// An A1 range such as "B2:B5" (without a sheet name).
    range: String,
}

impl<'de> Deserialize<'de> for RangeRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RangeRef;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a range such as \"Sales!$B$2:$B$5\" or {\"sheet\": \"Sales\", \"range\": \"B2:B5\"}",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RangeRef, E> {
                Ok(RangeRef::Text(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RangeRef, A::Error> {
                let parts = RangeParts::deserialize(MapAccessDeserializer::new(map))?;
                Ok(RangeRef::Parts { sheet: parts.sheet, range: parts.range })
            }
        }
        d.deserialize_any(V)
    }
}

// The schemas of the compact forms, written to accept exactly what the
// visitors above accept.

/// A definition named `name` (the schema's `$defs` key).
fn named(name: &'static str) -> Cow<'static, str> {
    Cow::Borrowed(name)
}

impl JsonSchema for Keywords {
    fn schema_name() -> Cow<'static, str> {
        named("Keywords")
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Keywords: one string, or a list of strings joined with commas.",
            "anyOf": [
                { "type": "string" },
                { "type": "array", "items": { "type": "string" } }
            ]
        })
    }
}

impl JsonSchema for StyleRef {
    fn schema_name() -> Cow<'static, str> {
        named("StyleRef")
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let style = generator.subschema_for::<Style>();
        json_schema!({
            "description": "A style: the name of an entry in the top-level `styles` map (preferred when reused), e.g. \"money\", or an inline style object, e.g. {\"bold\": true}.",
            "anyOf": [
                { "type": "string", "minLength": 1, "description": "Name of a style in the top-level `styles` map." },
                style
            ]
        })
    }
}

impl JsonSchema for Cell {
    fn schema_name() -> Cow<'static, str> {
        named("Cell")
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let object = generator.subschema_for::<CellObject>();
        json_schema!({
            "description": "One cell. Compact forms: a string is text, except that a string starting with \"=\" is a formula (\"=SUM(B2:B4)\"); a number is a number; true/false are booleans; null leaves the cell empty (and skips it). Use the object form for dates, times, hyperlinks, styled cells, a formula with its result, or text that starts with \"=\".",
            "anyOf": [
                { "type": "string", "description": "Text, or a formula when it starts with \"=\"." },
                { "type": "number", "description": "A number." },
                { "type": "boolean", "description": "TRUE or FALSE." },
                { "type": "null", "description": "Nothing: the cell is skipped." },
                object
            ]
        })
    }
}

impl JsonSchema for Row {
    fn schema_name() -> Cow<'static, str> {
        named("Row")
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let cell = generator.subschema_for::<Cell>();
        let object = generator.subschema_for::<RowObject>();
        json_schema!({
            "description": "A row of cells, placed left to right starting in the row's first column: an array of cells, e.g. [\"North\", 120, \"=B2*2\"], or an object with `cells` and row options.",
            "anyOf": [
                { "type": "array", "items": cell, "description": "The row's cells, left to right." },
                object
            ]
        })
    }
}

impl JsonSchema for Freeze {
    fn schema_name() -> Cow<'static, str> {
        named("Freeze")
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let counts = generator.subschema_for::<FreezeCounts>();
        json_schema!({
            "description": "Frozen panes: the first cell that scrolls, e.g. \"B2\" freezes row 1 and column A; or counts, e.g. {\"rows\": 1} freezes the top row.",
            "anyOf": [
                { "type": "string", "description": "The top-left scrolling cell, e.g. \"A2\"." },
                counts
            ]
        })
    }
}

impl JsonSchema for AutoFilter {
    fn schema_name() -> Cow<'static, str> {
        named("AutoFilter")
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "true: filter buttons on this sheet's header over its rows; false: none; or a range such as \"A1:F50\" whose first row holds the headers.",
            "anyOf": [
                { "type": "boolean" },
                { "type": "string", "description": "The filtered range, header row first." }
            ]
        })
    }
}

impl JsonSchema for RangeRef {
    fn schema_name() -> Cow<'static, str> {
        named("RangeRef")
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let parts = generator.subschema_for::<RangeParts>();
        json_schema!({
            "description": "A range of cells, possibly on another sheet: \"Sales!$B$2:$B$5\", \"'My Sheet'!B2:B5\", \"B2:B5\" (the sheet this object belongs to), or {\"sheet\": \"Sales\", \"range\": \"B2:B5\"}.",
            "anyOf": [
                { "type": "string", "minLength": 2, "description": "An A1 range, optionally prefixed by a sheet name and \"!\"." },
                parts
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use kiln_plugin_sdk::Violation;

    use crate::spec::Spec;

    fn parse(text: &str) -> Result<Spec, Violation> {
        kiln_plugin_sdk::spec::parse::<Spec>(text).map_err(|mut v| v.remove(0))
    }

    #[test]
    fn malformed_json_names_line_and_column() {
        let v = parse("{\n  \"sheets\": [\n}").unwrap_err();
        assert_eq!(v.pointer, "");
        assert!(v.message.contains("line 3"), "{}", v.message);
    }

    #[test]
    fn type_errors_point_at_the_offending_value() {
        let v = parse(r#"{"sheets": [{"name": "A", "rows": [[1, {"formula": 3}]]}]}"#).unwrap_err();
        assert_eq!(v.pointer, "/sheets/0/rows/0/1/formula");
        assert!(!v.message.contains("at line"), "{}", v.message);
    }

    #[test]
    fn unknown_fields_are_refused() {
        let v = parse(r#"{"sheets": [{"name": "A", "colour": "red"}]}"#).unwrap_err();
        assert_eq!(v.pointer, "/sheets/0/colour");
        assert!(v.message.contains("unknown property"), "{}", v.message);
    }

    #[test]
    fn compact_cells_parse_to_typed_values() {
        let spec = parse(
            r#"{"sheets": [{"name": "A", "rows": [
                ["x", 2, true, null, "=SUM(B1:B2)", {"value": "=literal"}],
                {"at": "C5", "cells": [{"date": "2026-01-31", "style": "money"}]}
            ]}]}"#,
        )
        .unwrap();
        let rows = &spec.sheets[0].rows;
        let kinds: Vec<String> = rows[0].cells.iter().map(|c| format!("{:?}", c.value)).collect();
        assert_eq!(
            kinds,
            [
                "Text(\"x\")",
                "Number(2.0)",
                "Bool(true)",
                "Empty",
                "Formula(\"SUM(B1:B2)\")",
                "Text(\"=literal\")"
            ]
        );
        assert_eq!(rows[1].at.as_deref(), Some("C5"));
        assert!(matches!(rows[1].cells[0].style, Some(StyleRef::Named(ref n)) if n == "money"));
    }

    #[test]
    fn a_cell_with_two_kinds_of_content_is_refused() {
        let v = parse(
            r#"{"sheets": [{"name": "A", "rows": [[{"date": "2026-01-01", "formula": "=2"}]]}]}"#,
        )
        .unwrap_err();
        assert_eq!(v.pointer, "/sheets/0/rows/0/0");
        assert!(v.message.contains("formula and date"), "{}", v.message);
    }

    #[test]
    fn trailing_text_after_the_spec_is_malformed() {
        let v = parse(r#"{"sheets": []} x"#).unwrap_err();
        assert_eq!(v.pointer, "");
    }
}
