//! The rules a plugin must pass before kiln runs it: the contract, a
//! documented JSON Schema 2020-12 spec schema, examples that validate and
//! generate the same bytes twice within the limits into files that are what
//! their media types say, and a `validate` that refuses broken specs at the
//! right field without crashing.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::time::{Duration, Instant};

use kiln_core::format_bytes;
use kiln_runtime::{GenerateRequest, Limits, Outcome, Plugin, PluginError, Runtime};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::broken::{self, BrokenSpec};

/// Broken specs derived per plugin: enough to cover every kind of fault
/// across the first levels of the examples, few enough to take seconds.
const MAX_BROKEN_SPECS: usize = 24;

/// What `check` found, rule by rule.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct CheckReport {
    /// Absent when the component did not load.
    pub plugin: Option<Checked>,
    pub checks: Vec<RuleResult>,
    pub passed: bool,
}

/// The plugin that was checked.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Checked {
    pub name: String,
    pub version: String,
    pub artifact_type: String,
    pub sha256: String,
    pub contract: String,
}

/// One rule's verdict.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct RuleResult {
    /// A stable name: `contract`, `schema`, `descriptions`, `examples`,
    /// `example`, `broken-specs`.
    pub rule: String,
    pub passed: bool,
    pub detail: String,
}

impl CheckReport {
    fn push(&mut self, rule: &'static str, verdict: Result<String, String>) {
        let passed = verdict.is_ok();
        let detail = verdict.unwrap_or_else(|problem| problem);
        self.passed &= passed;
        self.checks.push(RuleResult { rule: rule.into(), passed, detail });
    }
}

/// Checks a component under `limits` (the host's own by default), writing
/// its compiled code to `compiled_out` once it loads.
pub(crate) async fn check(
    runtime: &Runtime,
    wasm: &[u8],
    limits: &Limits,
    compiled_out: Option<&std::path::Path>,
) -> anyhow::Result<CheckReport> {
    let mut report = CheckReport { plugin: None, checks: Vec::new(), passed: true };
    let plugin = match runtime.load(wasm).await {
        Ok(plugin) => plugin,
        Err(err) => {
            report.push("contract", Err(err.to_string()));
            return Ok(report);
        }
    };
    if let Some(out) = compiled_out {
        std::fs::write(out, plugin.compiled()?)?;
    }
    let info = plugin.info();
    report.plugin = Some(Checked {
        name: info.name.clone(),
        version: info.version.clone(),
        artifact_type: info.artifact_type.clone(),
        sha256: plugin.sha256().to_owned(),
        contract: format!("kiln:generator@{}", kiln_core::CONTRACT_VERSION),
    });
    report.push(
        "contract",
        Ok(format!(
            "speaks kiln:generator@{}; loaded and described itself in {:.1} ms",
            kiln_core::CONTRACT_VERSION,
            plugin.load_time().as_secs_f64() * 1e3
        )),
    );
    let schema: Value = serde_json::from_str(&info.spec_schema)?;
    report.push("schema", check_schema(&schema));
    report.push("descriptions", check_descriptions(&schema));

    if info.examples.is_empty() {
        report.push("examples", Err("the plugin has no examples; add at least one".into()));
    }
    let mut example_values = Vec::new();
    for (i, example) in info.examples.iter().enumerate() {
        let verdict = check_example(runtime, &plugin, &example.spec, limits).await?;
        report.push(
            "example",
            verdict
                .map_err(|p| format!("{i} ({}): {p}", example.title))
                .map(|summary| format!("{i} ({}): {summary}", example.title)),
        );
        if let Ok(value) = serde_json::from_str::<Value>(&example.spec) {
            example_values.push(value);
        }
    }
    let broken = broken::derive(&schema, &example_values, MAX_BROKEN_SPECS);
    if !broken.is_empty() {
        report.push("broken-specs", check_broken(runtime, &plugin, &broken).await?);
    }
    Ok(report)
}

fn check_schema(schema: &Value) -> Result<String, String> {
    const DRAFT: &str = "https://json-schema.org/draft/2020-12/schema";
    match schema.get("$schema").and_then(Value::as_str) {
        None | Some(DRAFT) => {}
        Some(other) => {
            return Err(format!("the spec schema declares `$schema: {other}`; kiln reads {DRAFT}"));
        }
    }
    jsonschema::draft202012::meta::validate(schema).map_err(|err| {
        format!(
            "the spec schema is not valid JSON Schema 2020-12 at `{}`: {err}",
            err.instance_path()
        )
    })?;
    Ok("the spec schema is valid JSON Schema 2020-12".into())
}

fn check_descriptions(schema: &Value) -> Result<String, String> {
    let missing = kiln_plugin_sdk::spec::undocumented(schema);
    if missing.is_empty() {
        return Ok("every property of the spec schema has a description".into());
    }
    Err(format!(
        "{} propert{} without a description (the chat model writing specs reads only these): {}",
        missing.len(),
        if missing.len() == 1 { "y" } else { "ies" },
        missing.join(", ")
    ))
}

/// Validates an example and generates it twice; `Err` says what is wrong.
async fn check_example(
    runtime: &Runtime,
    plugin: &Plugin,
    spec: &str,
    limits: &Limits,
) -> anyhow::Result<Result<String, String>> {
    let started = Instant::now();
    let verdict = runtime.check_spec(plugin, spec).await?;
    let validate_time = started.elapsed();
    if verdict != Outcome::Succeeded {
        return Ok(Err(format!("does not validate: {verdict}")));
    }
    let mut hashes: Vec<BTreeMap<String, String>> = Vec::new();
    let mut last = None;
    for _ in 0..2 {
        let dir = tempfile::tempdir()?;
        let mut request = GenerateRequest::new(spec, dir.path());
        request.limits = limits.clone();
        let report = runtime.generate(plugin, request).await?;
        if report.outcome != Outcome::Succeeded {
            return Ok(Err(report.outcome.to_string()));
        }
        hashes.push(report.files.iter().map(|f| (f.path.clone(), f.sha256.clone())).collect());
        last = Some((report, dir));
    }
    if hashes[0] != hashes[1] {
        return Ok(Err("not deterministic: two runs wrote different bytes".into()));
    }
    let (report, dir) = last.expect("two runs");
    let declared = &plugin.info().media_types;
    for file in &report.files {
        if !declared.contains(&file.media_type) {
            return Ok(Err(format!(
                "wrote {} as `{}`, which `info` does not declare (it declares {})",
                file.path,
                file.media_type,
                declared.join(", ")
            )));
        }
        let bytes = std::fs::read(dir.path().join(&file.path))?;
        if let Err(problem) = check_content(&file.media_type, &bytes) {
            return Ok(Err(format!("{} ({}) {problem}", file.path, file.media_type)));
        }
    }
    let size: u64 = report.files.iter().map(|f| f.size).sum();
    Ok(Ok(format!(
        "{} file(s), {}, deterministic, contents match their media types; validate {:.1} ms, instantiate {} µs, generate {:.1} ms, peak memory {}",
        report.files.len(),
        format_bytes(size),
        validate_time.as_secs_f64() * 1e3,
        report.usage.instantiate_us,
        report.usage.wall_time_us as f64 / 1e3,
        format_bytes(report.usage.peak_memory_bytes),
    )))
}

/// Whether `bytes` are what `media_type` says; `Err` says how they are not.
/// Types without a known shape pass.
fn check_content(media_type: &str, bytes: &[u8]) -> Result<(), String> {
    let essence = media_type.split(';').next().unwrap_or_default().trim();
    if essence.starts_with("application/vnd.openxmlformats-officedocument.") {
        let archive = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|err| format!("is not an OOXML package: it does not open as a ZIP ({err})"))?;
        if archive.index_for_name("[Content_Types].xml").is_none() {
            return Err("is not an OOXML package: it has no [Content_Types].xml part".into());
        }
    } else if essence == "application/zip" {
        zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|err| format!("does not open as a ZIP: {err}"))?;
    } else if essence == "application/pdf" {
        if !bytes.starts_with(b"%PDF-") {
            return Err("is not a PDF: it does not start with `%PDF-`".into());
        }
        if !bytes.trim_ascii_end().ends_with(b"%%EOF") {
            return Err("is not a complete PDF: it does not end with `%%EOF`".into());
        }
    } else if essence == "application/json" || essence.ends_with("+json") {
        serde_json::from_slice::<serde::de::IgnoredAny>(bytes)
            .map_err(|err| format!("is not JSON: {err}"))?;
    } else if essence.starts_with("text/")
        || essence == "application/yaml"
        || essence.ends_with("+xml")
    {
        let text = std::str::from_utf8(bytes).map_err(|err| format!("is not UTF-8 text: {err}"))?;
        if essence == "image/svg+xml" && !text.contains("<svg") {
            return Err("is not SVG: it has no <svg> element".into());
        }
    }
    Ok(())
}

/// Every broken spec must be refused with a violation at its fault, and the
/// plugin's own `validate` must answer it rather than crash.
async fn check_broken(
    runtime: &Runtime,
    plugin: &Plugin,
    broken: &[BrokenSpec],
) -> anyhow::Result<Result<String, String>> {
    let mut problems = Vec::new();
    let mut slowest = Duration::ZERO;
    for case in broken {
        let text = case.spec.to_string();
        let started = Instant::now();
        let own = runtime.validate(plugin, &text).await?;
        slowest = slowest.max(started.elapsed());
        if let Outcome::Stopped(stop) = own {
            problems.push(format!("{}: the plugin's validate did not answer: {stop}", case.fault));
            continue;
        }
        match runtime.check_spec(plugin, &text).await? {
            Outcome::Refused(PluginError::InvalidSpec(violations)) => {
                if !violations.iter().any(|v| case.located_by(&v.pointer)) {
                    let found: Vec<String> = violations.iter().map(ToString::to_string).collect();
                    problems.push(format!(
                        "{}: refused, but no violation points at `{}` (got: {})",
                        case.fault,
                        case.pointer,
                        found.join("; ")
                    ));
                }
            }
            other => problems.push(format!("{}: not refused ({other})", case.fault)),
        }
    }
    if !problems.is_empty() {
        return Ok(Err(format!(
            "{} of {} broken specs were not handled: {}",
            problems.len(),
            broken.len(),
            problems.join(" | ")
        )));
    }
    Ok(Ok(format!(
        "{} broken specs derived from the schema and examples (wrong types, missing required fields), each refused at its field; the plugin's validate answered every one (slowest {:.1} ms)",
        broken.len(),
        slowest.as_secs_f64() * 1e3
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contents_are_checked_against_their_media_types() {
        let pdf = "application/pdf";
        assert!(check_content(pdf, b"%PDF-1.7\n...\n%%EOF\n").is_ok());
        assert!(check_content(pdf, b"%PDF-1.7\n...").unwrap_err().contains("%%EOF"));
        assert!(check_content(pdf, b"<html>").unwrap_err().contains("%PDF-"));
        let docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
        assert!(check_content(docx, b"PK not really").unwrap_err().contains("ZIP"));
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file("word/document.xml", zip::write::SimpleFileOptions::default()).unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        assert!(check_content(docx, &bytes).unwrap_err().contains("[Content_Types].xml"));
        assert!(check_content("application/json", b"{\"a\": 1}").is_ok());
        assert!(check_content("application/json", b"{\"a\": ").is_err());
        assert!(check_content("text/plain; charset=utf-8", &[0xff, 0xfe]).is_err());
        assert!(check_content("image/svg+xml", b"<svg/>").is_ok());
        assert!(check_content("application/octet-stream", &[0xff]).is_ok());
    }

    #[test]
    fn a_schema_of_another_draft_or_with_a_bad_keyword_is_named() {
        let ok = serde_json::json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"});
        assert!(check_schema(&ok).is_ok());
        let draft7 = serde_json::json!({"$schema": "http://json-schema.org/draft-07/schema#"});
        assert!(check_schema(&draft7).unwrap_err().contains("draft-07"));
        let bad = serde_json::json!({"type": "object", "properties": {"a": {"type": "strin"}}});
        assert!(check_schema(&bad).unwrap_err().contains("/properties/a/type"));
    }
}
