//! Forgiving deserialization: the short forms a chat model writes (a bare
//! string for a paragraph, a run, a list item or a table cell; `true` for a
//! table of contents) next to the full objects, without `untagged` enums, so
//! errors inside an object still name the field and its pointer.

use std::fmt;
use std::marker::PhantomData;

use schemars::{Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

/// A type with short forms besides its object form.
pub(crate) trait Loose: for<'de> Deserialize<'de> {
    /// What the value may be, for error messages ("a string or a run object").
    const EXPECTING: &'static str;
    /// The value a bare string stands for, if strings are allowed.
    fn from_string(_text: String) -> Option<Self> {
        None
    }
    /// The value a bare number stands for (cells); by default its text.
    fn from_number(text: String) -> Option<Self> {
        Self::from_string(text)
    }
    /// The value `true`, `false` or `null` stands for, if allowed.
    fn from_flag(_flag: Option<bool>) -> Option<Self> {
        None
    }
    /// Reads an array, if an array is a short form.
    fn from_seq<'de, A: SeqAccess<'de>>(_seq: A) -> Option<Result<Self, A::Error>> {
        None
    }
    /// The schemas of the short forms, shown next to the object form.
    fn short_forms(generator: &mut SchemaGenerator) -> Vec<Schema>;
}

struct LooseVisitor<T>(PhantomData<T>);

impl<'de, T: Loose> Visitor<'de> for LooseVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        T::from_string(v.to_owned()).ok_or_else(|| E::invalid_type(de::Unexpected::Str(v), &self))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<T, E> {
        self.visit_str(&v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        T::from_number(v.to_string())
            .ok_or_else(|| E::invalid_type(de::Unexpected::Unsigned(v), &self))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        T::from_number(v.to_string())
            .ok_or_else(|| E::invalid_type(de::Unexpected::Signed(v), &self))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        T::from_number(v.to_string())
            .ok_or_else(|| E::invalid_type(de::Unexpected::Float(v), &self))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<T, E> {
        T::from_flag(Some(v)).ok_or_else(|| E::invalid_type(de::Unexpected::Bool(v), &self))
    }

    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        T::from_flag(None).ok_or_else(|| E::invalid_type(de::Unexpected::Unit, &self))
    }

    fn visit_none<E: de::Error>(self) -> Result<T, E> {
        self.visit_unit()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        match T::from_seq(seq) {
            Some(result) => result,
            None => Err(de::Error::invalid_type(de::Unexpected::Seq, &self)),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map))
    }
}

/// Reads one value that may be in a short form.
pub(crate) fn one<'de, D: Deserializer<'de>, T: Loose>(d: D) -> Result<T, D::Error> {
    d.deserialize_any(LooseVisitor(PhantomData))
}

/// Reads an optional value that may be in a short form (`null` is `None`
/// unless the type gives `null` a meaning).
pub(crate) fn option<'de, D: Deserializer<'de>, T: Loose>(d: D) -> Result<Option<T>, D::Error> {
    one::<D, T>(d).map(Some)
}

/// A value read through [`one`], for use as a sequence element.
pub(crate) struct Item<T>(pub(crate) T);

impl<'de, T: Loose> Deserialize<'de> for Item<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        one(d).map(Item)
    }
}

impl<T: Loose + schemars::JsonSchema> schemars::JsonSchema for Item<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("{}OrShortForm", T::schema_name()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut forms = T::short_forms(generator);
        forms.push(generator.subschema_for::<T>());
        any_of(forms)
    }
}

/// Reads a sequence whose elements may be in short forms.
pub(crate) fn many<'de, D: Deserializer<'de>, T: Loose>(d: D) -> Result<Vec<T>, D::Error> {
    let items: Vec<Item<T>> = Vec::deserialize(d)?;
    Ok(items.into_iter().map(|i| i.0).collect())
}

/// Reads the elements of a sequence already being visited.
pub(crate) fn seq_items<'de, A: SeqAccess<'de>, T: Loose>(mut seq: A) -> Result<Vec<T>, A::Error> {
    let mut out = Vec::new();
    while let Some(Item(value)) = seq.next_element::<Item<T>>()? {
        out.push(value);
    }
    Ok(out)
}

/// `anyOf` the short forms and the object form.
pub(crate) fn any_of(alternatives: Vec<Schema>) -> Schema {
    let values: Vec<serde_json::Value> = alternatives.into_iter().map(Schema::to_value).collect();
    json_schema!({ "anyOf": values })
}

/// A string short form with its meaning.
pub(crate) fn string_form(description: &str) -> Schema {
    json_schema!({ "type": "string", "description": description })
}

/// An array of `T` (in any of its forms).
pub(crate) fn array_of<T: schemars::JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    let items = generator.subschema_for::<T>().to_value();
    json_schema!({ "type": "array", "items": items })
}

/// A string (one plain run) or an array of runs.
pub(crate) fn runs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<super::Run>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<super::Run>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("text: a string or an array of runs")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(vec![super::Run::from(v)])
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            seq_items(seq)
        }
    }
    d.deserialize_any(V)
}

struct BlocksVisitor;

impl<'de> Visitor<'de> for BlocksVisitor {
    type Value = Vec<super::Block>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string (one paragraph) or an array of blocks")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(vec![super::Block::Paragraph(super::Paragraph::from(v.to_owned()))])
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        seq_items(seq)
    }
}

/// A string (one paragraph) or an array of blocks.
pub(crate) fn blocks<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<super::Block>, D::Error> {
    d.deserialize_any(BlocksVisitor)
}

/// An optional [`blocks`].
pub(crate) fn option_blocks<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<super::Block>>, D::Error> {
    d.deserialize_any(BlocksVisitor).map(Some)
}

/// Rows of cells that may be in short forms.
pub(crate) fn rows<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<super::Cell>>, D::Error> {
    let rows: Vec<Vec<Item<super::Cell>>> = Vec::deserialize(d)?;
    Ok(rows.into_iter().map(|row| row.into_iter().map(|c| c.0).collect()).collect())
}
