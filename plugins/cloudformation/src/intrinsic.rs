//! CloudFormation's intrinsic functions: recognising them in spec values,
//! normalising the accepted short keys to the long form, and parsing the
//! `${...}` placeholders of `Fn::Sub`.

use crate::json::Json;

/// Every function name accepted in the long form.
pub const FUNCTIONS: &[&str] = &[
    "Ref",
    "Condition",
    "Fn::And",
    "Fn::Base64",
    "Fn::Cidr",
    "Fn::Contains",
    "Fn::EachMemberEquals",
    "Fn::EachMemberIn",
    "Fn::Equals",
    "Fn::FindInMap",
    "Fn::GetAtt",
    "Fn::GetAZs",
    "Fn::If",
    "Fn::ImportValue",
    "Fn::Join",
    "Fn::Length",
    "Fn::Not",
    "Fn::Or",
    "Fn::RefAll",
    "Fn::Select",
    "Fn::Split",
    "Fn::Sub",
    "Fn::ToJsonString",
    "Fn::Transform",
    "Fn::ValueOf",
    "Fn::ValueOfAll",
];

/// Functions written as YAML short tags (`!Name`) in the short style.
pub const SHORT_TAGS: &[&str] = &[
    "Ref",
    "Fn::And",
    "Fn::Base64",
    "Fn::Cidr",
    "Fn::Equals",
    "Fn::FindInMap",
    "Fn::GetAtt",
    "Fn::GetAZs",
    "Fn::If",
    "Fn::ImportValue",
    "Fn::Join",
    "Fn::Not",
    "Fn::Or",
    "Fn::Select",
    "Fn::Split",
    "Fn::Sub",
    "Fn::Transform",
];

/// CloudFormation's pseudo parameters, valid targets of `Ref` and `${}`.
pub const PSEUDO_PARAMETERS: &[&str] = &[
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
];

/// The long name of a function key: "Ref", "Fn::Sub", "!Sub" and "Sub"
/// style short keys all map to their long name. None for ordinary keys.
pub fn long_name(key: &str) -> Option<&'static str> {
    if let Some(f) = FUNCTIONS.iter().find(|f| **f == key) {
        return Some(f);
    }
    let short = key.strip_prefix('!')?;
    FUNCTIONS.iter().find(|f| f.strip_prefix("Fn::").unwrap_or(f) == short).copied()
}

/// Whether `key` looks like a function name but is none (for messages).
pub fn looks_like_function(key: &str) -> bool {
    key.starts_with("Fn::") || key.starts_with('!')
}

/// The function call a value is, if it is one: a single-key object whose key
/// names a function.
pub fn call(v: &Json) -> Option<(&'static str, &Json)> {
    let (k, arg) = v.single()?;
    long_name(k).map(|name| (name, arg))
}

/// The value with every short key in its long form and `Fn::GetAtt: "A.B"`
/// as `["A", "B"]`; the canonical form both template files are written from.
pub fn normalize(v: &Json) -> Json {
    match v {
        Json::Array(items) => Json::Array(items.iter().map(normalize).collect()),
        Json::Object(entries) => {
            if let Some((name, arg)) = call(v) {
                let arg = match (name, arg) {
                    ("Fn::GetAtt", Json::String(s)) => match s.split_once('.') {
                        Some((res, attr)) => Json::Array(vec![res.into(), attr.into()]),
                        None => Json::String(s.clone()),
                    },
                    _ => normalize(arg),
                };
                return Json::Object(vec![(name.to_string(), arg)]);
            }
            Json::Object(entries.iter().map(|(k, v)| (k.clone(), normalize(v))).collect())
        }
        other => other.clone(),
    }
}

/// A `${...}` placeholder in an `Fn::Sub` string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    /// The text inside the braces, e.g. "AWS::Region" or "Bucket.Arn".
    pub name: String,
}

/// The placeholders of an `Fn::Sub` string, skipping the literal `${!...}`
/// form. Err names an unclosed `${`.
pub fn placeholders(s: &str) -> Result<Vec<Placeholder>, String> {
    let mut found = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err(format!(
                "`${{` at byte {} is never closed with `}}`",
                s.len() - rest.len() + start
            ));
        };
        let inner = &after[..end];
        if !inner.starts_with('!') {
            found.push(Placeholder { name: inner.trim().to_string() });
        }
        rest = &after[end + 1..];
    }
    Ok(found)
}
