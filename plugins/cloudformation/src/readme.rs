//! README.md: what the stack takes, creates and returns, and how to deploy
//! it.

use std::io::{self, Write};

use crate::intrinsic::{call, normalize};
use crate::json::Json;
use crate::spec::{Spec, Upload};

/// Writes the README for a valid spec.
pub fn write(spec: &Spec, files: &[&str], out: &mut dyn Write) -> io::Result<()> {
    let title = spec
        .description
        .as_deref()
        .and_then(|d| d.lines().next())
        .filter(|d| !d.trim().is_empty())
        .unwrap_or("CloudFormation stack");
    writeln!(out, "# {}\n", inline(title))?;
    if let Some(d) = &spec.description
        && d.lines().count() > 1
    {
        writeln!(out, "{}\n", d.trim())?;
    }
    writeln!(out, "Files:\n")?;
    for f in files {
        writeln!(out, "- `{f}`")?;
    }
    writeln!(out)?;
    if let Some(t) = &spec.transform {
        writeln!(
            out,
            "Transforms: {}\n",
            t.names().iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
        )?;
    }

    writeln!(out, "## Parameters\n")?;
    if spec.parameters.is_empty() {
        writeln!(out, "None.\n")?;
    } else {
        writeln!(out, "| Name | Type | Default | Description |")?;
        writeln!(out, "| --- | --- | --- | --- |")?;
        for (k, p) in spec.parameters.iter() {
            let default = match (&p.default, p.no_echo) {
                (Some(_), true) => "(hidden)".to_string(),
                (Some(d), false) => format!("`{}`", cell(&compact(d))),
                (None, _) => "(required)".to_string(),
            };
            let mut desc = p.description.clone().unwrap_or_default();
            if !desc.is_empty() && !desc.ends_with('.') {
                desc.push('.');
            }
            if let Some(a) = &p.allowed_values {
                let vals: Vec<String> = a.iter().map(compact).collect();
                desc.push_str(&format!(" Allowed: {}.", vals.join(", ")));
            }
            if p.no_echo {
                desc.push_str(" Masked (NoEcho).");
            }
            writeln!(out, "| `{k}` | `{}` | {default} | {} |", cell(&p.kind), cell(desc.trim()))?;
        }
        writeln!(out)?;
    }

    writeln!(out, "## Resources\n")?;
    writeln!(out, "| Logical id | Type | Notes |")?;
    writeln!(out, "| --- | --- | --- |")?;
    for (k, r) in spec.resources.iter() {
        let mut notes = Vec::new();
        if let Some(c) = &r.condition {
            notes.push(format!("only if `{c}`"));
        }
        if let Some(d) = &r.depends_on {
            notes.push(format!(
                "after {}",
                d.items().iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
            ));
        }
        if let Some(p) = r.deletion_policy {
            notes.push(format!("DeletionPolicy {}", p.name()));
        }
        writeln!(out, "| `{k}` | `{}` | {} |", cell(&r.kind), cell(&notes.join("; ")))?;
    }
    writeln!(out)?;

    writeln!(out, "## Outputs\n")?;
    if spec.outputs.is_empty() {
        writeln!(out, "None.\n")?;
    } else {
        writeln!(out, "| Name | Value | Export | Description |")?;
        writeln!(out, "| --- | --- | --- | --- |")?;
        for (k, o) in spec.outputs.iter() {
            let export =
                o.export.as_ref().map(|e| format!("`{}`", cell(&compact(e)))).unwrap_or_default();
            writeln!(
                out,
                "| `{k}` | `{}` | {export} | {} |",
                cell(&compact(&o.value)),
                cell(o.description.as_deref().unwrap_or(""))
            )?;
        }
        writeln!(out)?;
    }

    writeln!(out, "## Deploy\n")?;
    let mut caps = Vec::new();
    if spec.resources.iter().any(|(_, r)| r.kind.starts_with("AWS::IAM::")) {
        caps.push("CAPABILITY_NAMED_IAM");
    }
    if spec.transform.is_some() {
        caps.push("CAPABILITY_AUTO_EXPAND");
        if !caps.contains(&"CAPABILITY_NAMED_IAM") {
            caps.push("CAPABILITY_IAM");
        }
    }
    writeln!(out, "```sh")?;
    writeln!(out, "aws cloudformation deploy \\")?;
    writeln!(out, "  --stack-name my-stack \\")?;
    writeln!(out, "  --template-file template.yaml \\")?;
    if spec.options.upload == Upload::S3 || spec.transform.is_some() {
        writeln!(out, "  --s3-bucket my-artifact-bucket \\")?;
    }
    if !spec.parameters.is_empty() {
        writeln!(out, "  --parameter-overrides file://parameters.json \\")?;
    }
    if !caps.is_empty() {
        writeln!(out, "  --capabilities {} \\", caps.join(" "))?;
    }
    writeln!(out, "  --no-fail-on-empty-changeset")?;
    writeln!(out, "```")?;
    Ok(())
}

/// One line of Markdown text.
fn inline(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

/// Text safe inside a table cell.
fn cell(s: &str) -> String {
    inline(s).replace('|', "\\|")
}

/// A value in the YAML short form, on one line: `!Ref X`, `!GetAtt A.B`.
fn compact(v: &Json) -> String {
    let v = normalize(v);
    if let Some((name, arg)) = call(&v) {
        let tag = name.strip_prefix("Fn::").unwrap_or(name);
        return match (name, arg) {
            ("Ref", Json::String(s)) => format!("!Ref {s}"),
            ("Fn::GetAtt", Json::Array(a))
                if a.len() == 2 && a.iter().all(|x| x.as_str().is_some()) =>
            {
                format!("!GetAtt {}.{}", a[0].as_str().unwrap_or(""), a[1].as_str().unwrap_or(""))
            }
            ("Fn::Sub", Json::String(s)) => format!("!Sub {s}"),
            _ => format!("!{tag} {}", serde_json::to_string(arg).unwrap_or_default()),
        };
    }
    match &v {
        Json::String(s) => s.clone(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}
