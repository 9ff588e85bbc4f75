//! Key layout and the rules that refuse unsafe keys.

use std::str::FromStr;

use kiln_core::{AssetId, JobId, OrgId};
use kiln_storage::{BlobKey, Error};

fn org() -> OrgId {
    OrgId::from_str("0190a5c8-0000-7000-8000-000000000001").unwrap()
}

fn job() -> JobId {
    JobId::from_str("0190a5c8-0000-7000-8000-0000000000aa").unwrap()
}

/// The rule a refused artifact key broke.
fn refusal(session: &str, path: &str) -> String {
    match BlobKey::artifact(org(), session, job(), path) {
        Err(Error::InvalidKey { rule, .. }) => rule.to_owned(),
        other => panic!("{session:?} / {path:?} was not refused: {other:?}"),
    }
}

#[test]
fn keys_are_laid_out_tenant_first() {
    let key = BlobKey::artifact(org(), "chat-42", job(), "charts/a.png").unwrap();
    assert_eq!(
        key.as_str(),
        "orgs/0190a5c8-0000-7000-8000-000000000001/sessions/chat-42/jobs/0190a5c8-0000-7000-8000-0000000000aa/charts/a.png"
    );
    let asset = AssetId::from_str("0190a5c8-0000-7000-8000-0000000000bb").unwrap();
    assert_eq!(
        BlobKey::asset(org(), asset).as_str(),
        "orgs/0190a5c8-0000-7000-8000-000000000001/assets/0190a5c8-0000-7000-8000-0000000000bb"
    );
    let job_prefix = BlobKey::job_prefix(org(), "chat-42", job()).unwrap();
    let session_prefix = BlobKey::session_prefix(org(), "chat-42").unwrap();
    assert!(
        job_prefix.contains(&key)
            && session_prefix.contains(&key)
            && BlobKey::org_prefix(org()).contains(&key)
    );
    assert!(session_prefix.as_str().ends_with("/sessions/chat-42/"));
    assert!(
        !BlobKey::session_prefix(org(), "chat-4").unwrap().contains(&key),
        "prefixes end on a segment"
    );
}

#[test]
fn session_ids_may_use_the_documented_characters() {
    for session in ["a", "A.b_c:d-9", ".hidden", "...", &"x".repeat(128)] {
        BlobKey::artifact(org(), session, job(), "a.txt").unwrap();
    }
}

#[test]
fn session_ids_outside_the_rules_are_refused_with_the_rule_named() {
    assert_eq!(refusal("", "a"), "must not be empty");
    assert_eq!(refusal(&"x".repeat(129), "a"), "longer than 128 characters");
    assert_eq!(refusal(".", "a"), "'.' and '..' are not allowed");
    assert_eq!(refusal("..", "a"), "'.' and '..' are not allowed");
    for bad in ["a/b", "a b", "a\\b", "é", "a\0", "a%2f"] {
        assert_eq!(
            refusal(bad, "a"),
            "only A-Z, a-z, 0-9, '.', '_', ':' and '-' are allowed",
            "{bad:?}"
        );
    }
    assert!(BlobKey::session_prefix(org(), "../x").is_err());
    assert!(BlobKey::job_prefix(org(), "", job()).is_err());
}

#[test]
fn paths_that_could_escape_or_confuse_are_refused_with_the_rule_named() {
    assert_eq!(refusal("s", ""), "must not be empty");
    assert_eq!(refusal("s", "/etc/passwd"), "must be relative, not start with '/'");
    assert_eq!(refusal("s", "a\\..\\b"), "must use '/' as separator, not '\\'");
    for bad in ["a\0b", "a\nb", "a\u{7f}", "a\u{85}b"] {
        assert_eq!(refusal("s", bad), "must not contain control characters", "{bad:?}");
    }
    for bad in ["a//b", "a/", "./"] {
        assert_eq!(
            refusal("s", bad),
            "must not contain empty segments ('//' or a trailing '/')",
            "{bad:?}"
        );
    }
    for bad in ["..", "../x", "a/../../x", ".", "a/./b"] {
        assert_eq!(refusal("s", bad), "must not contain '.' or '..' segments", "{bad:?}");
    }
    assert_eq!(refusal("s", &"x".repeat(256)), "has a segment longer than 255 bytes");
}

#[test]
fn keys_longer_than_s3_allows_are_refused() {
    let path = vec!["x".repeat(255); 4].join("/"); // fits as segments, not as a key
    assert_eq!(refusal("s", &path), "longer than 1024 bytes");
    let room = 1024 - BlobKey::job_prefix(org(), "s", job()).unwrap().as_str().len();
    let fits = vec!["y".repeat(100); 20].join("/")[..room].trim_end_matches('/').to_owned();
    BlobKey::artifact(org(), "s", job(), &fits).unwrap();
}

#[test]
fn ordinary_plugin_paths_are_accepted() {
    for path in
        ["report.xlsx", "charts/a.png", "Ünïcødé/файл.pdf", "a b/c (1).docx", ".hidden", "..x/y.."]
    {
        BlobKey::artifact(org(), "s", job(), path).unwrap();
    }
}

#[test]
fn refusals_say_what_was_refused_and_why() {
    let err = BlobKey::artifact(org(), "s", job(), "../etc/passwd").unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid artifact path \"../etc/passwd\": must not contain '.' or '..' segments"
    );
    let err = BlobKey::artifact(org(), &"z".repeat(300), job(), "a").unwrap_err().to_string();
    assert!(
        err.starts_with("invalid session id \"zzz")
            && err.ends_with("…: longer than 128 characters"),
        "{err}"
    );
}

#[test]
fn plugin_keys_are_outside_every_organisation_and_take_only_hex() {
    let sha = "ab".repeat(32);
    let plugin = BlobKey::plugin(&sha).unwrap();
    assert_eq!(plugin.as_str(), format!("plugins/{sha}.wasm"));
    let compiled = BlobKey::compiled_plugin("0123abcd", &sha).unwrap();
    assert_eq!(compiled.as_str(), format!("plugins/compiled/0123abcd/{sha}.cwasm"));
    assert!(!BlobKey::org_prefix(org()).contains(&plugin));
    for bad in ["", "../x", "AB", &"a".repeat(65), "ab/cd"] {
        assert!(
            matches!(BlobKey::plugin(bad), Err(Error::InvalidKey { .. })),
            "{bad:?} was not refused"
        );
        assert!(matches!(BlobKey::compiled_plugin(bad, &sha), Err(Error::InvalidKey { .. })));
    }
}
