//! Parsing a spec from JSON text, including the compact forms the schema
//! allows (bare cell values, rows as arrays, styles by name), with errors
//! located by JSON pointer.

use std::fmt;

use serde::Deserialize;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::Violation;
use crate::spec::{
    AutoFilter, Cached, Cell, Freeze, Keywords, Link, RangeRef, Row, Spec, Style, StyleRef, Value,
};

/// Parses spec text. Malformed JSON yields a violation at the empty pointer
/// naming line and column; a value of the wrong shape yields one at the
/// deepest pointer serde reached.
pub(crate) fn parse(text: &str) -> Result<Spec, Violation> {
    let mut de = serde_json::Deserializer::from_str(text);
    let spec = match serde_path_to_error::deserialize::<_, Spec>(&mut de) {
        Ok(spec) => spec,
        Err(err) => {
            let pointer = pointer_of(err.path());
            return Err(violation_of(err.into_inner(), pointer));
        }
    };
    de.end().map_err(|e| violation_of(e, String::new()))?;
    Ok(spec)
}

fn violation_of(err: serde_json::Error, pointer: String) -> Violation {
    if err.is_syntax() || err.is_eof() || err.is_io() {
        return Violation {
            pointer: String::new(),
            message: format!(
                "the spec is not valid JSON (line {}, column {}): {}",
                err.line(),
                err.column(),
                message_only(&err)
            ),
        };
    }
    Violation {
        pointer,
        message: message_only(&err),
    }
}

/// serde_json appends " at line L column C"; the pointer says more.
fn message_only(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => {
                pointer.push('/');
                pointer.push_str(&index.to_string());
            }
            Segment::Map { key } => {
                pointer.push('/');
                pointer.push_str(&escape_pointer(key));
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    pointer
}

/// Escapes one JSON pointer segment (RFC 6901).
pub(crate) fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
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

/// The object form of a cell.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CellObject {
    value: Option<Scalar>,
    formula: Option<String>,
    date: Option<String>,
    datetime: Option<String>,
    time: Option<String>,
    url: Option<String>,
    text: Option<String>,
    tip: Option<String>,
    style: Option<StyleRef>,
}

#[derive(Deserialize)]
#[serde(untagged)]
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
            Value::Link(Box::new(Link {
                url,
                text: self.text,
                tip: self.tip,
            }))
        } else {
            Value::Empty
        };
        Ok(Cell {
            value,
            style: self.style,
            cached,
        })
    }
}

fn strip_equals(formula: String) -> String {
    match formula.trim_start().strip_prefix('=') {
        Some(rest) => rest.to_string(),
        None => formula,
    }
}

fn plain(value: Value) -> Cell {
    Cell {
        value,
        style: None,
        cached: None,
    }
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RowObject {
    #[serde(default)]
    cells: Vec<Cell>,
    style: Option<StyleRef>,
    height: Option<f64>,
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
                Ok(Row {
                    cells,
                    ..Row::default()
                })
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FreezeCounts {
    #[serde(default)]
    rows: u32,
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
                Ok(Freeze::Counts {
                    rows: counts.rows,
                    columns: counts.columns,
                })
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RangeParts {
    sheet: Option<String>,
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
                Ok(RangeRef::Parts {
                    sheet: parts.sheet,
                    range: parts.range,
                })
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(v.message.contains("unknown field"), "{}", v.message);
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
        let kinds: Vec<String> = rows[0]
            .cells
            .iter()
            .map(|c| format!("{:?}", c.value))
            .collect();
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
