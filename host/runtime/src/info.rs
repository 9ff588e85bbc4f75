//! A plugin's `info`, bounded at load, before anything stores, logs or
//! serves it (`/v1/plugins`, `/v1/tools`): a field that names the plugin or
//! holds JSON refuses the plugin when it is over its bound, since a cut
//! would change what it means; prose is cut with a marker.

use kiln_core::{Example, PluginInfo, format_bytes};

use crate::bindings::kiln::generator::types;
use crate::run::bounded;

/// Longest name, version or artifact type.
const MAX_IDENTITY: usize = 64;
/// Longest summary kept (one line for a tool list).
const MAX_SUMMARY: usize = 1 << 10;
/// Longest description kept.
const MAX_DESCRIPTION: usize = 64 << 10;
/// Most media types, and the longest one.
const MAX_MEDIA_TYPES: usize = 32;
const MAX_MEDIA_TYPE: usize = 255;
/// Largest spec schema.
const MAX_SCHEMA: usize = 1 << 20;
/// Most examples, the longest title kept, and the largest example spec.
const MAX_EXAMPLES: usize = 32;
const MAX_TITLE: usize = 256;
const MAX_EXAMPLE_SPEC: usize = 256 << 10;

/// `info` within its bounds, or why the plugin cannot be loaded.
pub(crate) fn bounded_info(info: types::PluginInfo) -> Result<PluginInfo, String> {
    let too_big = |field: &str, len: usize, max: usize| {
        format!(
            "its info() {field} is {}, over the {} limit",
            format_bytes(len as u64),
            format_bytes(max as u64)
        )
    };
    for (field, value) in
        [("name", &info.name), ("version", &info.version), ("artifact_type", &info.artifact_type)]
    {
        if value.len() > MAX_IDENTITY {
            return Err(too_big(field, value.len(), MAX_IDENTITY));
        }
    }
    if info.media_types.len() > MAX_MEDIA_TYPES {
        return Err(format!(
            "its info() lists {} media types, over the limit of {MAX_MEDIA_TYPES}",
            info.media_types.len()
        ));
    }
    if let Some(long) = info.media_types.iter().find(|m| m.len() > MAX_MEDIA_TYPE) {
        return Err(too_big("media type", long.len(), MAX_MEDIA_TYPE));
    }
    if info.spec_schema.len() > MAX_SCHEMA {
        return Err(too_big("spec_schema", info.spec_schema.len(), MAX_SCHEMA));
    }
    if info.examples.len() > MAX_EXAMPLES {
        return Err(format!(
            "its info() has {} examples, over the limit of {MAX_EXAMPLES}",
            info.examples.len()
        ));
    }
    if let Some((i, big)) =
        info.examples.iter().enumerate().find(|(_, e)| e.spec.len() > MAX_EXAMPLE_SPEC)
    {
        return Err(too_big(&format!("example {i}'s spec"), big.spec.len(), MAX_EXAMPLE_SPEC));
    }
    Ok(PluginInfo {
        name: info.name,
        version: info.version,
        artifact_type: info.artifact_type,
        summary: bounded(info.summary, MAX_SUMMARY),
        description: bounded(info.description, MAX_DESCRIPTION),
        media_types: info.media_types,
        spec_schema: info.spec_schema,
        examples: info
            .examples
            .into_iter()
            .map(|e| Example { title: bounded(e.title, MAX_TITLE), spec: e.spec })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> types::PluginInfo {
        types::PluginInfo {
            name: "fixture".into(),
            version: "1.0.0".into(),
            artifact_type: "fixture".into(),
            summary: "Makes fixtures.".into(),
            description: "Makes fixtures for tests.".into(),
            media_types: vec!["text/plain".into()],
            spec_schema: r#"{"type": "object"}"#.into(),
            examples: vec![types::Example { title: "One".into(), spec: "{}".into() }],
        }
    }

    #[test]
    fn a_modest_info_is_kept_as_it_is() {
        let kept = bounded_info(info()).unwrap();
        assert_eq!((kept.summary.as_str(), kept.examples.len()), ("Makes fixtures.", 1));
    }

    #[test]
    fn prose_is_cut_with_a_marker() {
        let mut big = info();
        big.summary = "s".repeat(10 << 10);
        big.description = "d".repeat(1 << 20);
        big.examples[0].title = "t".repeat(5000);
        let kept = bounded_info(big).unwrap();
        for (text, max) in [
            (&kept.summary, MAX_SUMMARY),
            (&kept.description, MAX_DESCRIPTION),
            (&kept.examples[0].title, MAX_TITLE),
        ] {
            assert!(text.len() < max + 40, "{} bytes kept of a {max}-byte bound", text.len());
            assert!(text.ends_with("more bytes cut]"), "{}", &text[text.len() - 30..]);
        }
    }

    #[test]
    fn identity_and_json_over_their_bounds_refuse_the_plugin() {
        type Edit = fn(&mut types::PluginInfo);
        let cases: [(Edit, &str); 7] = [
            (|i| i.name = "n".repeat(65), "name is 65 B, over the 64 B limit"),
            (|i| i.artifact_type = "a".repeat(100), "artifact_type is 100 B"),
            (|i| i.media_types = vec!["text/plain".into(); 33], "33 media types"),
            (|i| i.media_types = vec!["x".repeat(300)], "media type is 300 B"),
            (|i| i.spec_schema = " ".repeat(2 << 20), "spec_schema is 2 MiB, over the 1 MiB limit"),
            (
                |i| i.examples = vec![types::Example { title: "t".into(), spec: "{}".into() }; 40],
                "40 examples",
            ),
            (|i| i.examples[0].spec = " ".repeat(300 << 10), "example 0's spec is 300 KiB"),
        ];
        for (edit, expected) in cases {
            let mut bad = info();
            edit(&mut bad);
            let err = bounded_info(bad).unwrap_err();
            assert!(err.contains(expected), "{err:?} should say {expected:?}");
        }
    }
}
