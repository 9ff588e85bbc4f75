//! The spec: `{"behaviour": <name>, ...parameters}`.
//!
//! One table, [`BEHAVIOURS`], is the single source for the JSON Schema, the
//! description, `validate` and the parameter defaults, so they cannot drift.

use serde_json::{Map, Value, json};

use crate::bindings::kiln::generator::types::Violation;

/// What a spec asks the plugin to do, with every default filled in.
#[derive(Debug)]
pub(crate) enum Spec {
    Ok { text: String, files: u64, progress_steps: u64 },
    Loop,
    ValidateLoop,
    Sleep { secs: u64 },
    MemoryBomb,
    HugeOutput,
    ManyFiles,
    OpenFiles,
    Panic,
    ReadFile,
    ReadEnv,
    OpenSocket { addr: String },
    LogFlood,
    StdoutFlood,
    BadPaths,
    Unfinished { drop_handle: bool },
    ClockRandom,
    Slow { steps: u64, step_ms: u64 },
    EchoAsset { name: String },
}

/// A behaviour the spec can name.
pub(crate) struct Behaviour {
    pub(crate) name: &'static str,
    pub(crate) about: &'static str,
    params: &'static [Param],
    build: fn(&Args<'_>) -> Spec,
}

struct Param {
    name: &'static str,
    kind: Kind,
    about: &'static str,
}

#[derive(Clone, Copy)]
enum Kind {
    /// A non-negative integer with its default.
    Count(u64),
    /// A string with its default; `None` makes the parameter required.
    Text(Option<&'static str>),
    /// A boolean with its default.
    Flag(bool),
}

const fn param(name: &'static str, kind: Kind, about: &'static str) -> Param {
    Param { name, kind, about }
}

pub(crate) const BEHAVIOURS: &[Behaviour] = &[
    Behaviour {
        name: "ok",
        about: "A normal job: logs, reports progress and writes `hello.txt` \
                (`hello-1.txt`... for several files).",
        params: &[
            param("text", Kind::Text(Some("hello")), "Contents of each file."),
            param("files", Kind::Count(1), "How many files to write."),
            param("progress_steps", Kind::Count(3), "How many progress reports to make."),
        ],
        build: |a| Spec::Ok {
            text: a.text("text"),
            files: a.count("files"),
            progress_steps: a.count("progress_steps"),
        },
    },
    Behaviour {
        name: "loop",
        about: "Spins forever without calling the host.",
        params: &[],
        build: |_| Spec::Loop,
    },
    Behaviour {
        name: "validate-loop",
        about: "Spins forever in `validate`; `generate` succeeds without output.",
        params: &[],
        build: |_| Spec::ValidateLoop,
    },
    Behaviour {
        name: "sleep",
        about: "Sleeps (blocked in a host poll), then succeeds without output.",
        params: &[param("secs", Kind::Count(3600), "Seconds to sleep.")],
        build: |a| Spec::Sleep { secs: a.count("secs") },
    },
    Behaviour {
        name: "memory-bomb",
        about: "Allocates and touches 1 MiB blocks forever.",
        params: &[],
        build: |_| Spec::MemoryBomb,
    },
    Behaviour {
        name: "huge-output",
        about: "Writes 1 MiB chunks to one file forever.",
        params: &[],
        build: |_| Spec::HugeOutput,
    },
    Behaviour {
        name: "many-files",
        about: "Creates and finishes small files `f0.bin`, `f1.bin`... forever.",
        params: &[],
        build: |_| Spec::ManyFiles,
    },
    Behaviour {
        name: "open-files",
        about: "Creates files `open0.bin`, `open1.bin`... forever and keeps every handle open.",
        params: &[],
        build: |_| Spec::OpenFiles,
    },
    Behaviour { name: "panic", about: "Panics.", params: &[], build: |_| Spec::Panic },
    Behaviour {
        name: "read-file",
        about: "Tries to read `/etc/passwd`, `/` and `.`; writes `leak.txt` if any works.",
        params: &[],
        build: |_| Spec::ReadFile,
    },
    Behaviour {
        name: "read-env",
        about: "Collects environment variables and arguments; writes `leak.txt` if there are any.",
        params: &[],
        build: |_| Spec::ReadEnv,
    },
    Behaviour {
        name: "open-socket",
        about: "Tries a TCP connection and a UDP datagram; writes `leak.txt` if either works.",
        params: &[param(
            "addr",
            Kind::Text(Some("127.0.0.1:9")),
            "Socket address (`ip:port`) to reach.",
        )],
        build: |a| Spec::OpenSocket { addr: a.text("addr") },
    },
    Behaviour {
        name: "log-flood",
        about: "Logs 1 KiB lines through the host forever.",
        params: &[],
        build: |_| Spec::LogFlood,
    },
    Behaviour {
        name: "stdout-flood",
        about: "Prints 1 KiB lines to stdout forever.",
        params: &[],
        build: |_| Spec::StdoutFlood,
    },
    Behaviour {
        name: "bad-paths",
        about: "Tries invalid paths and media types and writes each result to `paths.json`.",
        params: &[],
        build: |_| Spec::BadPaths,
    },
    Behaviour {
        name: "unfinished",
        about: "Writes part of `partial.txt` and returns without finishing it.",
        params: &[param(
            "drop_handle",
            Kind::Flag(false),
            "Drop the file handle before returning instead of leaving it open.",
        )],
        build: |a| Spec::Unfinished { drop_handle: a.flag("drop_handle") },
    },
    Behaviour {
        name: "clock-random",
        about: "Writes the wall clock, a monotonic interval and 16 random bytes to `clock.json`.",
        params: &[],
        build: |_| Spec::ClockRandom,
    },
    Behaviour {
        name: "slow",
        about: "Reports progress and sleeps for each step, then writes the step count to `slow.txt`.",
        params: &[
            param("steps", Kind::Count(10), "How many steps."),
            param("step_ms", Kind::Count(200), "Milliseconds to sleep each step."),
        ],
        build: |a| Spec::Slow { steps: a.count("steps"), step_ms: a.count("step_ms") },
    },
    Behaviour {
        name: "echo-asset",
        about: "Copies an input asset to `asset.bin` in 64 KiB reads.",
        params: &[param("name", Kind::Text(None), "Name of the input asset.")],
        build: |a| Spec::EchoAsset { name: a.text("name") },
    },
];

/// Parses and checks a spec, reporting every violation found.
pub(crate) fn parse(spec: &str) -> Result<Spec, Vec<Violation>> {
    let value: Value = serde_json::from_str(spec)
        .map_err(|err| vec![violation("", format!("spec is not valid JSON: {err}"))])?;
    let Value::Object(fields) = value else {
        return Err(vec![violation("", "spec must be a JSON object".into())]);
    };
    let behaviour = match fields.get("behaviour") {
        None => {
            return Err(vec![violation(
                "/behaviour",
                format!("behaviour is required, one of: {}", names()),
            )]);
        }
        Some(Value::String(name)) => match BEHAVIOURS.iter().find(|b| b.name == name) {
            Some(behaviour) => behaviour,
            None => {
                return Err(vec![violation(
                    "/behaviour",
                    format!("unknown behaviour \"{name}\", expected one of: {}", names()),
                )]);
            }
        },
        Some(_) => {
            return Err(vec![violation(
                "/behaviour",
                format!("behaviour must be a string, one of: {}", names()),
            )]);
        }
    };

    let mut violations = Vec::new();
    for (key, value) in fields.iter().filter(|(key, _)| *key != "behaviour") {
        let pointer = pointer(key);
        match behaviour.params.iter().find(|p| p.name == key) {
            None => violations.push(violation(
                &pointer,
                format!("behaviour \"{}\" takes no parameter \"{key}\"", behaviour.name),
            )),
            Some(param) => {
                if let Err(message) = param.kind.check(value) {
                    violations.push(violation(&pointer, message));
                }
            }
        }
    }
    for param in behaviour.params {
        if matches!(param.kind, Kind::Text(None)) && !fields.contains_key(param.name) {
            violations.push(violation(
                &pointer(param.name),
                format!("behaviour \"{}\" requires \"{}\"", behaviour.name, param.name),
            ));
        }
    }
    if !violations.is_empty() {
        return Err(violations);
    }
    Ok((behaviour.build)(&Args { behaviour, fields: &fields }))
}

/// The JSON Schema (2020-12) of the spec: one `oneOf` branch per behaviour.
pub(crate) fn schema() -> String {
    let branches: Vec<Value> = BEHAVIOURS
        .iter()
        .map(|behaviour| {
            let mut properties = Map::new();
            properties.insert(
                "behaviour".into(),
                json!({ "const": behaviour.name, "description": behaviour.about }),
            );
            let mut required = vec!["behaviour"];
            for param in behaviour.params {
                properties.insert(param.name.into(), param.schema());
                if matches!(param.kind, Kind::Text(None)) {
                    required.push(param.name);
                }
            }
            json!({
                "title": behaviour.name,
                "type": "object",
                "properties": properties,
                "required": required,
                "additionalProperties": false,
            })
        })
        .collect();
    let names: Vec<&str> = BEHAVIOURS.iter().map(|b| b.name).collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "kiln testing spec",
        "description": "Names one behaviour of the testing plugin, with its parameters.",
        "type": "object",
        "required": ["behaviour"],
        "properties": { "behaviour": {
            "description": "The behaviour to show; each branch of `oneOf` describes one and its parameters.",
            "enum": names,
        } },
        "oneOf": branches,
    })
    .to_string()
}

/// Markdown listing every behaviour and its parameters.
pub(crate) fn description() -> String {
    let mut text = String::from(
        "Misbehaves on request, to test the kiln host's sandbox and limits. \
         The spec names one behaviour:\n\n",
    );
    for behaviour in BEHAVIOURS {
        text.push_str(&format!("- `{}`: {}\n", behaviour.name, behaviour.about));
        for param in behaviour.params {
            text.push_str(&format!(
                "  - `{}` ({}): {}\n",
                param.name,
                param.kind.summary(),
                param.about
            ));
        }
    }
    text
}

/// The parameters of a checked spec, with table defaults for missing ones.
pub(crate) struct Args<'a> {
    behaviour: &'static Behaviour,
    fields: &'a Map<String, Value>,
}

impl Args<'_> {
    fn count(&self, name: &str) -> u64 {
        match self.kind(name) {
            Kind::Count(default) => {
                self.fields.get(name).and_then(Value::as_u64).unwrap_or(default)
            }
            _ => panic!("parameter {name} is not a count"),
        }
    }

    fn text(&self, name: &str) -> String {
        match self.kind(name) {
            Kind::Text(default) => self
                .fields
                .get(name)
                .and_then(Value::as_str)
                .or(default)
                .unwrap_or_default()
                .to_owned(),
            _ => panic!("parameter {name} is not a text"),
        }
    }

    fn flag(&self, name: &str) -> bool {
        match self.kind(name) {
            Kind::Flag(default) => {
                self.fields.get(name).and_then(Value::as_bool).unwrap_or(default)
            }
            _ => panic!("parameter {name} is not a flag"),
        }
    }

    // Only reached through `build`, whose names are fixed in the table; the
    // unit tests build every behaviour, so a typo fails there.
    fn kind(&self, name: &str) -> Kind {
        self.behaviour
            .params
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.kind)
            .unwrap_or_else(|| panic!("behaviour {} has no parameter {name}", self.behaviour.name))
    }
}

impl Kind {
    fn check(self, value: &Value) -> Result<(), String> {
        let fits = match self {
            Kind::Count(_) => value.is_u64(),
            Kind::Text(_) => value.is_string(),
            Kind::Flag(_) => value.is_boolean(),
        };
        if fits { Ok(()) } else { Err(format!("must be {}", self.noun())) }
    }

    fn noun(self) -> &'static str {
        match self {
            Kind::Count(_) => "a non-negative integer",
            Kind::Text(_) => "a string",
            Kind::Flag(_) => "a boolean",
        }
    }

    fn summary(self) -> String {
        match self {
            Kind::Count(default) => format!("integer, default {default}"),
            Kind::Text(Some(default)) => format!("string, default \"{default}\""),
            Kind::Text(None) => "string, required".into(),
            Kind::Flag(default) => format!("boolean, default {default}"),
        }
    }
}

impl Param {
    fn schema(&self) -> Value {
        match self.kind {
            Kind::Count(default) => json!({
                "type": "integer", "minimum": 0, "default": default, "description": self.about,
            }),
            Kind::Text(Some(default)) => json!({
                "type": "string", "default": default, "description": self.about,
            }),
            Kind::Text(None) => json!({ "type": "string", "description": self.about }),
            Kind::Flag(default) => json!({
                "type": "boolean", "default": default, "description": self.about,
            }),
        }
    }
}

fn names() -> String {
    BEHAVIOURS.iter().map(|b| b.name).collect::<Vec<_>>().join(", ")
}

/// Escapes an object key as one RFC 6901 reference token.
fn pointer(key: &str) -> String {
    format!("/{}", key.replace('~', "~0").replace('/', "~1"))
}

fn violation(pointer: &str, message: String) -> Violation {
    Violation { pointer: pointer.into(), message }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pointers(spec: &str) -> Vec<String> {
        parse(spec).err().unwrap_or_default().into_iter().map(|v| v.pointer).collect()
    }

    #[test]
    fn every_behaviour_builds_with_its_defaults() {
        for behaviour in BEHAVIOURS {
            let spec = if behaviour.name == "echo-asset" {
                json!({ "behaviour": behaviour.name, "name": "a" })
            } else {
                json!({ "behaviour": behaviour.name })
            };
            assert!(parse(&spec.to_string()).is_ok(), "{}", behaviour.name);
        }
    }

    #[test]
    fn defaults_fill_missing_parameters() {
        let spec = parse(r#"{"behaviour":"ok","files":2}"#).unwrap();
        assert!(matches!(
            spec,
            Spec::Ok { ref text, files: 2, progress_steps: 3 } if text == "hello"
        ));
    }

    #[test]
    fn malformed_json_points_at_the_whole_spec() {
        assert_eq!(pointers("{"), [""]);
        assert_eq!(pointers("[]"), [""]);
    }

    #[test]
    fn unknown_or_missing_behaviour_points_at_behaviour() {
        assert_eq!(pointers(r#"{"behaviour":"explode"}"#), ["/behaviour"]);
        assert_eq!(pointers(r#"{"behaviour":3}"#), ["/behaviour"]);
        assert_eq!(pointers("{}"), ["/behaviour"]);
    }

    #[test]
    fn every_bad_parameter_is_reported() {
        let mut found = pointers(r#"{"behaviour":"ok","files":-1,"text":3,"a/b":1}"#);
        found.sort();
        assert_eq!(found, ["/a~1b", "/files", "/text"]);
        assert_eq!(pointers(r#"{"behaviour":"echo-asset"}"#), ["/name"]);
    }

    #[test]
    fn schema_has_a_branch_per_behaviour() {
        let schema: Value = serde_json::from_str(&schema()).unwrap();
        assert_eq!(schema["oneOf"].as_array().unwrap().len(), BEHAVIOURS.len());
    }
}
