//! The `bad-paths` behaviour: asks for files the host must refuse and records
//! each answer in `paths.json`, so a test sees every case in one run.

use serde_json::json;

use crate::bindings::kiln::generator::host::create_file;
use crate::bindings::kiln::generator::types::GenerateError;
use crate::output;

const TEXT: &str = "text/plain";

/// Records `[{"path", "media_type", "result"}]`, where `result` is `ok` or
/// `<output-error variant>: <message>` (`closed` has no message).
pub(crate) fn bad_paths() -> Result<(), GenerateError> {
    let long_segment = format!("{}.txt", "s".repeat(296));
    let long_path = vec!["d".repeat(250); 5].join("/");
    let cases: Vec<(String, &str)> = vec![
        (String::new(), TEXT),
        ("/abs.txt".into(), TEXT),
        ("../up.txt".into(), TEXT),
        ("a/../b.txt".into(), TEXT),
        ("a//b.txt".into(), TEXT),
        ("./a.txt".into(), TEXT),
        ("a\\b.txt".into(), TEXT),
        ("ctl\u{7}.txt".into(), TEXT),
        (long_segment, TEXT),
        (long_path, TEXT),
        ("ok.txt".into(), TEXT),
        ("ok.txt".into(), TEXT),
        ("media.txt".into(), "nonsense"),
    ];
    let mut results = Vec::new();
    for (path, media_type) in &cases {
        let result = match create_file(path, media_type) {
            // Finished at once, so a wrongly accepted path does not fail the run
            // and hide the report.
            Ok(file) => match file.finish() {
                Ok(()) => "ok".to_owned(),
                Err(err) => format!("ok, then finish: {}", output::describe(&err)),
            },
            Err(err) => output::describe(&err),
        };
        results.push(json!({ "path": path, "media_type": media_type, "result": result }));
    }
    let report =
        serde_json::to_vec_pretty(&results).map_err(|err| output::failed(err.to_string()))?;
    output::write_file("paths.json", "application/json", &[&report])
}
