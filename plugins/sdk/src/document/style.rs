//! Colours and lengths, read from the forms a chat model writes.

use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

/// An RGB colour, written "#1F4E79", "1F4E79", "#abc" or a name (see
/// [`Color::NAMES`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Color(pub [u8; 3]);

impl Color {
    /// The colour names accepted, with their values.
    pub const NAMES: [(&'static str, [u8; 3]); 20] = [
        ("black", [0, 0, 0]),
        ("white", [255, 255, 255]),
        ("gray", [128, 128, 128]),
        ("grey", [128, 128, 128]),
        ("lightgray", [211, 211, 211]),
        ("darkgray", [64, 64, 64]),
        ("red", [192, 0, 0]),
        ("darkred", [139, 0, 0]),
        ("orange", [237, 125, 49]),
        ("yellow", [255, 255, 0]),
        ("green", [0, 128, 0]),
        ("lightgreen", [198, 239, 206]),
        ("darkgreen", [0, 100, 0]),
        ("blue", [0, 112, 192]),
        ("lightblue", [189, 215, 238]),
        ("navy", [31, 56, 100]),
        ("purple", [112, 48, 160]),
        ("teal", [0, 128, 128]),
        ("cyan", [0, 255, 255]),
        ("magenta", [255, 0, 255]),
    ];

    /// Parses a colour, or says what was wrong.
    pub fn parse(text: &str) -> Result<Color, String> {
        let t = text.trim();
        let lower = t.to_ascii_lowercase();
        if let Some((_, rgb)) = Self::NAMES.iter().find(|(n, _)| *n == lower) {
            return Ok(Color(*rgb));
        }
        let hex = t.strip_prefix('#').unwrap_or(t);
        let digits: Option<Vec<u8>> =
            hex.chars().map(|c| c.to_digit(16).map(|d| d as u8)).collect();
        match digits.as_deref() {
            Some([r, g, b]) => Ok(Color([r * 17, g * 17, b * 17])),
            Some([r1, r2, g1, g2, b1, b2]) => Ok(Color([r1 * 16 + r2, g1 * 16 + g2, b1 * 16 + b2])),
            _ => Err(format!(
                "expected a colour like \"#1F4E79\" (6 hex digits) or a name ({}), found {text:?}",
                Self::NAMES.map(|(n, _)| n).join(", ")
            )),
        }
    }

    /// "1F4E79": the form OOXML attributes take.
    pub fn hex(&self) -> String {
        format!("{:02X}{:02X}{:02X}", self.0[0], self.0[1], self.0[2])
    }

    /// This colour mixed with white: `amount` 0.0 is the colour, 1.0 white.
    pub fn tint(&self, amount: f32) -> Color {
        let mix = |c: u8| (c as f32 + (255.0 - c as f32) * amount).round() as u8;
        Color(self.0.map(mix))
    }
}

impl fmt::Display for Color {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.hex())
    }
}

impl<'de> Deserialize<'de> for Color {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Color::parse(&text).map_err(de::Error::custom)
    }
}

impl JsonSchema for Color {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Color".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "A colour: \"#RRGGBB\" (e.g. \"#1F4E79\"), \"#RGB\", or a name: black, white, gray, lightgray, darkgray, red, darkred, orange, yellow, green, lightgreen, darkgreen, blue, lightblue, navy, purple, teal, cyan, magenta."
        })
    }
}

/// A length in points (1/72 inch), written as a number of points or a string
/// with a unit: "12pt", "2.5cm", "20mm", "1in", "96px" (96 px per inch).
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Length(pub f32);

impl Length {
    /// Parses "2.5cm" and friends, or says what was wrong.
    pub fn parse(text: &str) -> Result<Length, String> {
        let t = text.trim().to_ascii_lowercase();
        let split = t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len());
        let (number, unit) = t.split_at(split);
        let value: f32 = number.trim().parse().map_err(|_| {
            format!("expected a length like 12, \"2.5cm\", \"20mm\", \"1in\", \"12pt\" or \"96px\", found {text:?}")
        })?;
        let per_unit = match unit.trim() {
            "" | "pt" => 1.0,
            "cm" => 72.0 / 2.54,
            "mm" => 72.0 / 25.4,
            "in" => 72.0,
            "px" => 0.75,
            other => {
                return Err(format!(
                    "unknown unit {other:?} in {text:?}: use pt, cm, mm, in or px"
                ));
            }
        };
        Ok(Length(value * per_unit))
    }

    /// The length in points.
    pub fn points(&self) -> f32 {
        self.0
    }

    /// The length in twentieths of a point (OOXML "twips").
    pub fn twips(&self) -> i32 {
        (self.0 * 20.0).round() as i32
    }

    /// The length in English Metric Units (OOXML drawing sizes).
    pub fn emu(&self) -> u32 {
        (self.0.max(0.0) * 12700.0).round() as u32
    }
}

impl<'de> Deserialize<'de> for Length {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Length;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a length: a number of points or a string like \"2.5cm\"")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Length, E> {
                Ok(Length(v as f32))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Length, E> {
                Ok(Length(v as f32))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Length, E> {
                Ok(Length(v as f32))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Length, E> {
                Length::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for Length {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Length".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": ["number", "string"],
            "description": "A length: a number of points (72 per inch), or a string with a unit: \"12pt\", \"2.5cm\", \"20mm\", \"1in\", \"96px\"."
        })
    }
}
