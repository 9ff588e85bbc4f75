//! Attribute values: typed JSON, plus references and HCL expressions.

use std::borrow::Cow;
use std::fmt;

use kiln_plugin_sdk::schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};

use crate::ordered::OrderedMap;

/// A value in the spec: JSON literals become HCL literals; `{"ref": ...}`
/// and `{"expr": ...}` become expressions.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    /// A string; `${...}` inside it is a template interpolation.
    String(String),
    List(Vec<Value>),
    Object(OrderedMap<Value>),
    /// A reference such as `aws_vpc.main.id` or `var.cidr`.
    Ref(String),
    /// Any HCL expression, such as `cidrsubnet(var.cidr, 8, count.index)`.
    Expr(String),
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value, {\"ref\": \"...\"} or {\"expr\": \"...\"}")
            }
            fn visit_unit<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_none<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
                Ok(Value::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
                Ok(Value::Number(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
                Ok(Value::Number(v.into()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
                serde_json::Number::from_f64(v)
                    .map(Value::Number)
                    .ok_or_else(|| E::custom("a finite number"))
            }
            fn visit_str<E>(self, v: &str) -> Result<Value, E> {
                Ok(Value::String(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Value, E> {
                Ok(Value::String(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element::<Value>()? {
                    out.push(v);
                }
                Ok(Value::List(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    out.push((k, v));
                }
                if out.len() == 1 {
                    match (out[0].0.as_str(), &out[0].1) {
                        ("ref", Value::String(s)) => return Ok(Value::Ref(s.clone())),
                        ("expr", Value::String(s)) => return Ok(Value::Expr(s.clone())),
                        _ => {}
                    }
                }
                Ok(Value::Object(OrderedMap(out)))
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl JsonSchema for Value {
    fn schema_name() -> Cow<'static, str> {
        "Value".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let value = generator.subschema_for::<Value>();
        json_schema!({
            "description": "A Terraform value. JSON literals are written as HCL literals: a string (\"t3.micro\"; `${...}` inside a string is an interpolation such as \"${var.name}-logs\", write `$${` for a literal `${`), a number, true/false, null, a list, or an object (an HCL map/object such as tags). Two special one-key objects make expressions: {\"ref\": \"aws_vpc.main.id\"} is a reference to a resource attribute, data source (data.aws_ami.linux.id), variable (var.cidr), local (local.tags), module output (module.network.vpc_id), count.index, each.key or each.value; {\"expr\": \"cidrsubnet(var.cidr, 8, count.index)\"} is any HCL expression (function calls, conditionals, for expressions), parsed and checked like Terraform would.",
            "anyOf": [
                { "type": "string" },
                { "type": "number" },
                { "type": "boolean" },
                { "type": "null" },
                { "type": "array", "items": value },
                {
                    "type": "object",
                    "description": "A reference: the address of a resource attribute, variable, local, data source or module output.",
                    "properties": { "ref": { "type": "string", "description": "The reference, e.g. \"aws_vpc.main.id\", \"var.region\", \"module.network.private_subnet_ids\"." } },
                    "required": ["ref"],
                    "additionalProperties": false
                },
                {
                    "type": "object",
                    "description": "An HCL expression written as Terraform source.",
                    "properties": { "expr": { "type": "string", "description": "The expression, e.g. \"merge(local.tags, { Name = \\\"web\\\" })\" or \"var.env == \\\"prod\\\" ? 3 : 1\"." } },
                    "required": ["expr"],
                    "additionalProperties": false
                },
                { "type": "object", "description": "An HCL object or map, e.g. {\"Name\": \"web\", \"Env\": {\"ref\": \"var.env\"}}.", "additionalProperties": value }
            ]
        })
    }
}
