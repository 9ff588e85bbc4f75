//! Specs: parsing JSON into a plugin's spec type with every problem
//! reported at its JSON pointer, and the JSON Schema derived from the type.
//!
//! serde stops at the first error. To report all of them in one answer, a
//! failed parse is repeated on a copy of the spec from which each bad part
//! has been taken out: a bad array element becomes `null` (an empty cell,
//! say) or, if the type refuses that, is removed; a bad property is
//! removed. Pointers are mapped back to the spec as written, and the
//! plugin's own checks then run on what remains, so one answer carries the
//! parse errors and the semantic ones together.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{MAX_VIOLATIONS, Violation, pointer, suggest};

/// Specs larger than this are parsed once: only their first error is
/// reported, so that checking stays within a small memory budget.
pub const LENIENT_MAX_BYTES: usize = 2 << 20;

/// Parses a spec, or returns every violation (at most [`MAX_VIOLATIONS`]).
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, Vec<Violation>> {
    let parsed = parse_lenient::<T>(text);
    match parsed.spec {
        Some(spec) if parsed.violations.is_empty() => Ok(spec),
        _ => Err(finish(parsed.violations)),
    }
}

/// The outcome of a lenient parse: the spec if what remained after taking
/// out the bad parts parsed, the violations found, and the map from
/// pointers into that remainder back to the spec as written.
#[derive(Debug)]
pub struct Parsed<T> {
    pub spec: Option<T>,
    pub violations: Vec<Violation>,
    pub pointers: PointerMap,
}

/// Parses as much of a spec as can be parsed.
pub fn parse_lenient<T: DeserializeOwned>(text: &str) -> Parsed<T> {
    let err = match serde_json::from_str::<T>(text) {
        Ok(spec) => {
            return Parsed {
                spec: Some(spec),
                violations: Vec::new(),
                pointers: PointerMap::default(),
            };
        }
        Err(err) => err,
    };
    if err.is_syntax() || err.is_eof() || err.is_io() {
        return failed(syntax(&err));
    }
    if text.len() > LENIENT_MAX_BYTES {
        // Parsed once more, tracking the path (an allocation per key, so
        // only now), to say where the one reported error is.
        let mut de = serde_json::Deserializer::from_str(text);
        let pointer = serde_path_to_error::deserialize::<_, T>(&mut de)
            .err()
            .map_or_else(String::new, |tracked| pointer::of_path(tracked.path()));
        return failed(Violation::new(pointer, explain(&message_of(&err))));
    }
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(err) => return failed(syntax(&err)),
    };
    Pruner::new(value).run()
}

fn failed<T>(violation: Violation) -> Parsed<T> {
    Parsed { spec: None, violations: vec![violation], pointers: PointerMap::default() }
}

fn syntax(err: &serde_json::Error) -> Violation {
    Violation::new(
        "",
        format!(
            "the spec is not valid JSON: {} at line {}, column {}; send one JSON object",
            message_of(err),
            err.line(),
            err.column()
        ),
    )
}

/// Maps pointers into a pruned spec back to the spec as written: removed
/// array elements shift the indices after them.
#[derive(Debug, Default, Clone)]
pub struct PointerMap {
    /// Original pointer of an array → original indices removed from it.
    removed: BTreeMap<String, BTreeSet<usize>>,
    pruned: Value,
}

impl PointerMap {
    /// The pointer into the spec as written for a pointer into the pruned one.
    pub fn original(&self, pruned: &str) -> String {
        original_pointer(&self.pruned, &self.removed, pruned)
    }
}

fn original_pointer(
    root: &Value,
    removed: &BTreeMap<String, BTreeSet<usize>>,
    pruned: &str,
) -> String {
    if removed.is_empty() {
        return pruned.to_owned();
    }
    let mut node = Some(root);
    let mut out = String::new();
    for segment in pointer::segments(pruned) {
        let segment = match (node, segment.parse::<usize>()) {
            (Some(Value::Array(items)), Ok(index)) => {
                node = items.get(index);
                match removed.get(&out) {
                    Some(gone) => original_index(index, gone).to_string(),
                    None => segment,
                }
            }
            (Some(Value::Object(map)), _) => {
                node = map.get(&segment);
                segment
            }
            _ => {
                node = None;
                segment
            }
        };
        out.push('/');
        out.push_str(&pointer::escape(&segment));
    }
    out
}

/// The `index`-th index not in `gone`.
fn original_index(index: usize, gone: &BTreeSet<usize>) -> usize {
    let mut left = index;
    let mut i = 0;
    loop {
        if !gone.contains(&i) {
            if left == 0 {
                return i;
            }
            left -= 1;
        }
        i += 1;
    }
}

/// Repeats a failed parse, taking out each bad part, until the rest parses.
struct Pruner {
    value: Value,
    map: PointerMap,
    violations: Vec<Violation>,
    /// Pruned pointers of array elements this pruner set to `null`.
    nulled: HashSet<String>,
    /// Original pointers of properties this pruner removed.
    removed_keys: HashSet<String>,
}

impl Pruner {
    fn new(value: Value) -> Self {
        Self {
            value,
            map: PointerMap::default(),
            violations: Vec::new(),
            nulled: HashSet::new(),
            removed_keys: HashSet::new(),
        }
    }

    fn run<T: DeserializeOwned>(mut self) -> Parsed<T> {
        // Each pass removes one bad part; a bound keeps a hostile spec cheap.
        for _ in 0..(MAX_VIOLATIONS * 2) {
            let err = match serde_path_to_error::deserialize::<_, T>(&self.value) {
                Ok(spec) => return self.done(Some(spec)),
                Err(err) => err,
            };
            let at = pointer::of_path(err.path());
            let message = message_of(&err.into_inner());
            if !self.take_out(&at, &message) || self.violations.len() >= MAX_VIOLATIONS {
                return self.done(None);
            }
        }
        self.done(None)
    }

    fn done<T>(mut self, spec: Option<T>) -> Parsed<T> {
        self.map.pruned = if spec.is_some() { self.value } else { Value::Null };
        Parsed { spec, violations: self.violations, pointers: self.map }
    }

    /// Records the error (unless this pruner caused it) and takes out the
    /// part at `at`. False when nothing more can be taken out.
    fn take_out(&mut self, at: &str, message: &str) -> bool {
        let original = self.original(at);
        let ours = self.nulled.contains(at)
            || missing_field(message).is_some_and(|field| {
                self.removed_keys.contains(&format!("{original}/{}", pointer::escape(field)))
            })
            || self.emptied(at, &original);
        if !ours {
            self.violations.push(Violation::new(&original, explain(message)));
        }
        let mut segments = pointer::segments(at);
        let Some(last) = segments.pop() else { return false };
        let parent_pointer = pointer::join(&segments);
        let parent_original = self.original(&parent_pointer);
        let Some(parent) = self.value.pointer_mut(&parent_pointer) else { return false };
        match parent {
            Value::Array(items) => {
                let Ok(index) = last.parse::<usize>() else { return false };
                if index >= items.len() {
                    return false;
                }
                if self.nulled.remove(at) || items[index].is_null() {
                    items.remove(index);
                    let gone = self.map.removed.entry(parent_original).or_default();
                    let original_index = original_index(index, gone);
                    gone.insert(original_index);
                    // Later siblings moved down by one.
                    self.nulled = self
                        .nulled
                        .drain()
                        .filter_map(|p| shift_down(&p, &parent_pointer, index))
                        .collect();
                } else {
                    items[index] = Value::Null;
                    self.nulled.insert(at.to_owned());
                }
                true
            }
            Value::Object(map) => {
                if map.remove(&last).is_none() {
                    return false;
                }
                self.removed_keys.insert(original);
                true
            }
            _ => false,
        }
    }

    fn original(&self, pruned: &str) -> String {
        original_pointer(&self.value, &self.map.removed, pruned)
    }

    /// True for an object this pruner emptied: whatever is said of it now
    /// (an enum with no variant left, say) follows from what was taken out.
    fn emptied(&self, at: &str, original: &str) -> bool {
        let empty = matches!(self.value.pointer(at), Some(Value::Object(map)) if map.is_empty());
        let prefix = format!("{original}/");
        empty
            && self
                .removed_keys
                .iter()
                .any(|key| key.starts_with(&prefix) && !key[prefix.len()..].contains('/'))
    }
}

/// `pointer` with its index in `array` lowered by one if it was after `index`;
/// `None` for the removed element itself.
fn shift_down(pointer: &str, array: &str, index: usize) -> Option<String> {
    let Some(rest) = pointer.strip_prefix(array).and_then(|r| r.strip_prefix('/')) else {
        return Some(pointer.to_owned());
    };
    let (first, tail) = rest.split_once('/').map_or((rest, ""), |(f, t)| (f, t));
    match first.parse::<usize>() {
        Ok(i) if i == index => None,
        Ok(i) if i > index => {
            let tail = if tail.is_empty() { String::new() } else { format!("/{tail}") };
            Some(format!("{array}/{}{tail}", i - 1))
        }
        _ => Some(pointer.to_owned()),
    }
}

/// serde_json appends " at line L column C"; the pointer says more.
fn message_of(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.strip_suffix('`')
}

/// The names serde lists after "expected": "one of `a`, `b`" or "`a` or `b`".
fn listed(expected: &str) -> Vec<&str> {
    expected.split('`').skip(1).step_by(2).collect()
}

/// Rewrites serde's messages into ones a chat model can act on: what was
/// expected, what was found, every allowed name, and the closest one.
pub fn explain(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((field, expected)) = rest.split_once("`, expected ")
    {
        let allowed = listed(expected);
        if allowed.is_empty() {
            return format!("unknown property `{field}`: this object takes no properties");
        }
        return format!(
            "unknown property `{field}`{}",
            alternatives(field, &allowed, "properties")
        );
    }
    if let Some(rest) = message.strip_prefix("unknown variant `")
        && let Some((value, expected)) = rest.split_once("`, expected ")
    {
        let allowed = listed(expected);
        return format!("unknown value `{value}`{}", alternatives(value, &allowed, "values"));
    }
    if let Some(field) = missing_field(message) {
        return format!("missing required property `{field}`");
    }
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some((found, expected)) = rest.split_once(", expected ")
        {
            return format!("expected {}; got {}", plain_expected(expected), found_kind(found));
        }
    }
    if let Some(name) = message.strip_prefix("data did not match any variant of untagged enum ") {
        return format!(
            "this value does not have any of the shapes a {name} can take (see the schema)"
        );
    }
    message.to_owned()
}

/// "; did you mean `x`? Allowed values: ..." or "; allowed values: ...".
fn alternatives(word: &str, allowed: &[&str], what: &str) -> String {
    match suggest::closest(word, allowed.iter().copied()) {
        Some(near) => format!("; did you mean `{near}`? Allowed {what}: {}", quoted(allowed)),
        None => format!("; allowed {what}: {}", quoted(allowed)),
    }
}

fn quoted(names: &[&str]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

/// serde's Rust-flavoured expectations in plain words.
fn plain_expected(expected: &str) -> String {
    match expected {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number, 0 or more".into(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number".into(),
        "f32" | "f64" => "a number".into(),
        "a string" | "a borrowed string" => "a string".into(),
        "a boolean" => "true or false".into(),
        "a sequence" => "an array".into(),
        "a map" => "an object".into(),
        other if other.starts_with("struct ") => "an object".into(),
        other => other.into(),
    }
}

/// serde's "string \"abc\"" / "integer `3`" / "sequence" as a model reads it.
fn found_kind(found: &str) -> String {
    let found = found.trim();
    for (serde, plain) in
        [("sequence", "an array"), ("map", "an object"), ("unit value", "null"), ("null", "null")]
    {
        if found == serde {
            return plain.into();
        }
    }
    for (serde, plain) in [
        ("string ", "the string "),
        ("integer ", "the number "),
        ("floating point ", "the number "),
        ("boolean ", ""),
    ] {
        if let Some(value) = found.strip_prefix(serde) {
            return format!("{plain}{}", value.trim_matches('`'));
        }
    }
    found.to_owned()
}

/// Sorts violations into document order, drops exact repeats, and caps the
/// list at [`MAX_VIOLATIONS`] with a last line saying how many more there were.
pub fn finish(mut violations: Vec<Violation>) -> Vec<Violation> {
    violations.sort_by(|a, b| {
        pointer::compare(&a.pointer, &b.pointer).then_with(|| a.message.cmp(&b.message))
    });
    violations.dedup();
    if violations.len() > MAX_VIOLATIONS {
        let more = violations.len() - (MAX_VIOLATIONS - 1);
        violations.truncate(MAX_VIOLATIONS - 1);
        violations.push(Violation::new(
            "",
            format!(
                "... and {more} more violations (only the first {} are listed)",
                MAX_VIOLATIONS - 1
            ),
        ));
    }
    violations
}

/// The JSON Schema (2020-12) of a spec type: descriptions from its doc
/// comments, `additionalProperties: false` from `deny_unknown_fields`.
pub fn schema<T: JsonSchema>() -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    generator.into_root_schema_for::<T>().to_value()
}

/// Properties in a schema that carry no description, as pointers into the
/// schema. A chat model reads only the schema: each of these is a field it
/// has to guess about.
pub fn undocumented(schema: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(schema, schema, "", &mut out);
    out
}

/// Walks schema keywords only, so a property that happens to be called
/// `properties` or `items` is not taken for the keyword.
fn walk(root: &Value, schema: &Value, at: &str, out: &mut Vec<String>) {
    let Value::Object(map) = schema else { return };
    let child = |key: &str| format!("{at}/{}", pointer::escape(key));
    if let Some(Value::Object(properties)) = map.get("properties") {
        for (name, property) in properties {
            let here = format!("{at}/properties/{}", pointer::escape(name));
            if !described(root, property) {
                out.push(here.clone());
            }
            walk(root, property, &here, out);
        }
    }
    for key in ["$defs", "definitions", "patternProperties", "dependentSchemas"] {
        if let Some(Value::Object(schemas)) = map.get(key) {
            for (name, sub) in schemas {
                walk(root, sub, &format!("{}/{}", child(key), pointer::escape(name)), out);
            }
        }
    }
    for key in ["oneOf", "anyOf", "allOf", "prefixItems"] {
        if let Some(Value::Array(schemas)) = map.get(key) {
            for (i, sub) in schemas.iter().enumerate() {
                walk(root, sub, &format!("{}/{i}", child(key)), out);
            }
        }
    }
    for key in
        ["items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames"]
    {
        if let Some(sub) = map.get(key) {
            walk(root, sub, &child(key), out);
        }
    }
}

/// A property is described by its own `description`, or by that of the
/// definition it refers to.
fn described(root: &Value, property: &Value) -> bool {
    if property.get("description").and_then(Value::as_str).is_some_and(|d| !d.trim().is_empty()) {
        return true;
    }
    let reference = property
        .get("$ref")
        .or_else(|| {
            property.get("allOf").and_then(|all| all.get(0)).and_then(|first| first.get("$ref"))
        })
        .and_then(Value::as_str);
    match reference.and_then(|r| r.strip_prefix('#')).and_then(|p| root.pointer(p)) {
        Some(target) => {
            target.get("description").and_then(Value::as_str).is_some_and(|d| !d.trim().is_empty())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    /// A test spec.
    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct Book {
        /// The title.
        title: String,
        /// Chapters, in order.
        #[serde(default)]
        chapters: Vec<Chapter>,
        /// How it is bound.
        #[serde(default)]
        binding: Option<Binding>,
    }

    /// A chapter.
    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct Chapter {
        /// Its heading.
        heading: String,
        /// Page count.
        #[serde(default)]
        pages: u32,
    }

    /// A binding.
    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(rename_all = "snake_case")]
    enum Binding {
        Hardcover,
        Paperback,
        Spiral,
    }

    fn violations(text: &str) -> Vec<Violation> {
        parse::<Book>(text).unwrap_err()
    }

    #[test]
    fn every_parse_error_is_reported_at_once_at_its_place_in_the_spec() {
        let found = violations(
            r#"{"title": "T", "colour": "red", "binding": "hardcovr",
                "chapters": [{"heading": 3}, "intro", {"heading": "ok", "pages": -2}, {"pages": 1}]}"#,
        );
        let at: Vec<&str> = found.iter().map(|v| v.pointer.as_str()).collect();
        assert_eq!(
            at,
            [
                "/binding",
                "/chapters/0/heading",
                "/chapters/1",
                "/chapters/2/pages",
                "/chapters/3",
                "/colour"
            ],
            "{found:#?}"
        );
        let message = |p: &str| found.iter().find(|v| v.pointer == p).unwrap().message.clone();
        assert_eq!(
            message("/colour"),
            "unknown property `colour`; allowed properties: `title`, `chapters`, `binding`"
        );
        assert_eq!(
            message("/binding"),
            "unknown value `hardcovr`; did you mean `hardcover`? Allowed values: `hardcover`, `paperback`, `spiral`"
        );
        assert_eq!(message("/chapters/0/heading"), "expected a string; got the number 3");
        assert_eq!(
            message("/chapters/2/pages"),
            "expected a whole number, 0 or more; got the number -2"
        );
        assert_eq!(message("/chapters/3"), "missing required property `heading`");
    }

    #[test]
    fn pointers_after_a_removed_element_name_the_element_as_written() {
        let parsed = parse_lenient::<Book>(
            r#"{"title": "T", "chapters": ["bad", "worse", {"heading": "kept"}]}"#,
        );
        let spec = parsed.spec.expect("the rest parses");
        assert_eq!(spec.chapters.len(), 1);
        assert_eq!(parsed.pointers.original("/chapters/0/heading"), "/chapters/2/heading");
        let at: Vec<&str> = parsed.violations.iter().map(|v| v.pointer.as_str()).collect();
        assert_eq!(at, ["/chapters/0", "/chapters/1"]);
    }

    #[test]
    fn a_misspelt_variant_is_reported_once() {
        #[derive(Debug, Deserialize)]
        #[serde(rename_all = "snake_case", deny_unknown_fields)]
        #[allow(dead_code)]
        enum Block {
            Paragraph(String),
            Heading(String),
        }
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Doc {
            blocks: Vec<Block>,
        }
        let found =
            parse::<Doc>(r#"{"blocks": [{"paragraf": "x"}, {"heading": "ok"}]}"#).unwrap_err();
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].pointer, "/blocks/0");
        assert!(found[0].message.contains("did you mean `paragraph`?"), "{}", found[0].message);
    }

    #[test]
    fn malformed_json_says_where_it_breaks() {
        let found = violations("{\n \"title\": \"T\",\n}");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].pointer, "");
        assert!(found[0].message.contains("line 3"), "{}", found[0].message);
    }

    #[test]
    fn a_valid_spec_parses_without_a_copy() {
        let book = parse::<Book>(r#"{"title": "T", "chapters": [{"heading": "One", "pages": 3}]}"#)
            .unwrap();
        assert_eq!((book.title.as_str(), book.chapters[0].heading.as_str()), ("T", "One"));
        assert_eq!(book.chapters[0].pages, 3);
        assert!(book.binding.is_none());
    }

    #[test]
    fn the_schema_comes_from_the_types_with_their_descriptions() {
        let schema = schema::<Book>();
        assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
        assert_eq!(schema["additionalProperties"], false);
        assert_eq!(schema["properties"]["title"]["description"], "The title.");
        assert!(undocumented(&schema).is_empty(), "{:?}", undocumented(&schema));
    }

    #[test]
    fn a_property_named_like_a_keyword_is_checked_as_a_property() {
        /// A resource.
        #[derive(Deserialize, JsonSchema)]
        #[allow(dead_code)]
        struct Resource {
            /// Its properties, passed through.
            properties: std::collections::BTreeMap<String, u32>,
            /// Its items.
            items: Vec<u32>,
        }
        assert!(
            undocumented(&schema::<Resource>()).is_empty(),
            "{:?}",
            undocumented(&schema::<Resource>())
        );
    }

    #[test]
    fn undocumented_properties_are_named() {
        #[derive(Deserialize, JsonSchema)]
        #[allow(dead_code)]
        struct Bare {
            x: u32,
            /// Documented.
            y: u32,
        }
        assert_eq!(undocumented(&schema::<Bare>()), ["/properties/x"]);
    }

    #[test]
    fn long_lists_are_capped_with_a_count() {
        let many: Vec<Violation> =
            (0..250).map(|i| Violation::new(format!("/x/{i}"), "bad")).collect();
        let capped = finish(many);
        assert_eq!(capped.len(), MAX_VIOLATIONS);
        assert!(capped.last().unwrap().message.contains("51 more"));
    }
}
