//! Writes the configuration's files from a valid spec.

use std::collections::{BTreeSet, HashMap};

use crate::emit::{self, Block, Item, quote};
use crate::ordered::OrderedMap;
use crate::refs;
use crate::scope::{Kind, Scope};
use crate::spec::{
    self, Lifecycle, ModuleCall, Output, Resource, Spec, TerraformSettings, Variable,
};
use crate::types;
use crate::validate::target_of;
use crate::value::Value;
use kiln_plugin_sdk::diagram;

/// One generated file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    pub path: String,
    pub media_type: &'static str,
    pub text: String,
}

pub(crate) const HCL_MEDIA_TYPE: &str = "text/plain; charset=utf-8";
pub(crate) const MARKDOWN_MEDIA_TYPE: &str = "text/markdown; charset=utf-8";
pub(crate) const SVG_MEDIA_TYPE: &str = "image/svg+xml";

pub(crate) const DEFAULT_TITLE: &str = "Terraform configuration";
pub(crate) const DEFAULT_REQUIRED_VERSION: &str = ">= 1.5.0";

/// Sources and version constraints filled in for providers a spec uses but
/// does not list in `required_providers`.
const KNOWN_PROVIDERS: [(&str, &str, &str); 16] = [
    ("aws", "hashicorp/aws", "~> 5.0"),
    ("azurerm", "hashicorp/azurerm", "~> 4.0"),
    ("azuread", "hashicorp/azuread", "~> 3.0"),
    ("google", "hashicorp/google", "~> 6.0"),
    ("random", "hashicorp/random", "~> 3.6"),
    ("archive", "hashicorp/archive", "~> 2.4"),
    ("tls", "hashicorp/tls", "~> 4.0"),
    ("null", "hashicorp/null", "~> 3.2"),
    ("local", "hashicorp/local", "~> 2.5"),
    ("time", "hashicorp/time", "~> 0.12"),
    ("http", "hashicorp/http", "~> 3.4"),
    ("kubernetes", "hashicorp/kubernetes", "~> 2.30"),
    ("helm", "hashicorp/helm", "~> 2.14"),
    ("vault", "hashicorp/vault", "~> 4.0"),
    ("cloudflare", "cloudflare/cloudflare", "~> 4.0"),
    ("github", "integrations/github", "~> 6.0"),
];

/// A resolved `required_providers` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Req {
    pub name: String,
    pub source: String,
    pub version: Option<String>,
    pub aliases: Vec<String>,
}

/// Provider local name of a resource type (`aws_s3_bucket` → `aws`).
pub(crate) fn provider_of(kind: &str) -> &str {
    kind.split('_').next().unwrap_or(kind)
}

/// The providers a module needs: its declared ones first, then the ones its
/// resources use, with known sources (`notes` collects what was filled in).
pub(crate) fn required_providers(
    declared: Option<&TerraformSettings>,
    used: &[&str],
    fallback: &[Req],
    notes: &mut Vec<String>,
) -> Vec<Req> {
    let mut out: Vec<Req> = Vec::new();
    if let Some(t) = declared {
        for (name, rp) in t.required_providers.iter() {
            let known = KNOWN_PROVIDERS.iter().find(|k| k.0 == name);
            let source = rp
                .source
                .clone()
                .or_else(|| known.map(|k| k.1.to_owned()))
                .unwrap_or_else(|| format!("hashicorp/{name}"));
            out.push(Req {
                name: name.to_owned(),
                source,
                version: rp.version.clone(),
                aliases: rp.configuration_aliases.clone(),
            });
        }
    }
    for &u in used {
        if u == "terraform" || out.iter().any(|r| r.name == u) {
            continue;
        }
        if let Some(f) = fallback.iter().find(|r| r.name == u) {
            out.push(Req { aliases: Vec::new(), ..f.clone() });
            continue;
        }
        let req = match KNOWN_PROVIDERS.iter().find(|k| k.0 == u) {
            Some(k) => Req {
                name: u.to_owned(),
                source: k.1.to_owned(),
                version: Some(k.2.to_owned()),
                aliases: Vec::new(),
            },
            None => Req {
                name: u.to_owned(),
                source: format!("hashicorp/{u}"),
                version: None,
                aliases: Vec::new(),
            },
        };
        notes.push(format!(
            "required_providers: added {u} = {{ source = {:?}{} }}",
            req.source,
            req.version.as_ref().map(|v| format!(", version = {v:?}")).unwrap_or_default()
        ));
        out.push(req);
    }
    out
}

fn used_providers<'a>(scope: &Scope<'a>, providers: &'a [spec::Provider]) -> Vec<&'a str> {
    let mut used: Vec<&str> = Vec::new();
    for p in providers {
        if !used.contains(&p.name.as_str()) {
            used.push(&p.name);
        }
    }
    for r in scope.resources.iter().chain(scope.data.iter()) {
        let name = match &r.provider {
            Some(p) => p.split('.').next().unwrap_or(p),
            None => provider_of(&r.kind),
        };
        if !used.contains(&name) {
            used.push(name);
        }
    }
    used
}

/// Everything written for a spec, in a fixed order.
pub(crate) fn render(spec: &Spec, notes: &mut Vec<String>) -> Vec<File> {
    let mut files = Vec::new();
    let root = Scope::root(spec);
    let used = used_providers(&root, &spec.providers);
    let reqs = required_providers(spec.terraform.as_ref(), &used, &[], notes);
    let required_version = spec
        .terraform
        .as_ref()
        .and_then(|t| t.required_version.clone())
        .unwrap_or_else(|| DEFAULT_REQUIRED_VERSION.to_owned());

    let tf = |path: String, text: String| File { path, media_type: HCL_MEDIA_TYPE, text };
    files.push(tf(
        "versions.tf".into(),
        versions_tf(
            Some(&required_version),
            &reqs,
            spec.terraform.as_ref().and_then(|t| t.backend.as_ref()),
        ),
    ));
    if !spec.providers.is_empty() {
        files.push(tf("providers.tf".into(), providers_tf(&spec.providers)));
    }
    if !spec.variables.is_empty() {
        files.push(tf("variables.tf".into(), variables_tf(&spec.variables)));
    }
    files.push(tf("main.tf".into(), main_tf(&root, Some(spec))));
    if !spec.outputs.is_empty() {
        files.push(tf("outputs.tf".into(), outputs_tf(&spec.outputs)));
    }
    let mut child_reqs: Vec<(String, Vec<Req>)> = Vec::new();
    for (name, m) in spec.child_modules.iter() {
        let scope = Scope::child(name, m, spec);
        let used = used_providers(&scope, &[]);
        let mut child_notes = Vec::new();
        let creqs = required_providers(m.terraform.as_ref(), &used, &reqs, &mut child_notes);
        notes.extend(child_notes.into_iter().map(|n| format!("modules/{name}: {n}")));
        let dir = format!("modules/{name}");
        let rv = m.terraform.as_ref().and_then(|t| t.required_version.clone());
        files.push(tf(
            format!("{dir}/versions.tf"),
            versions_tf(Some(rv.as_deref().unwrap_or(&required_version)), &creqs, None),
        ));
        if !m.variables.is_empty() {
            files.push(tf(format!("{dir}/variables.tf"), variables_tf(&m.variables)));
        }
        files.push(tf(format!("{dir}/main.tf"), main_tf(&scope, None)));
        if !m.outputs.is_empty() {
            files.push(tf(format!("{dir}/outputs.tf"), outputs_tf(&m.outputs)));
        }
        child_reqs.push((name.to_owned(), creqs));
    }
    files.push(File {
        path: "terraform.tfvars.example".into(),
        media_type: HCL_MEDIA_TYPE,
        text: tfvars(&spec.variables),
    });
    files.push(File {
        path: "README.md".into(),
        media_type: MARKDOWN_MEDIA_TYPE,
        text: readme(spec, &required_version, &reqs, &child_reqs),
    });
    files.push(File {
        path: "diagram.svg".into(),
        media_type: SVG_MEDIA_TYPE,
        text: diagram::svg(&graph(spec)),
    });
    files
}

fn versions_tf(
    required_version: Option<&str>,
    reqs: &[Req],
    backend: Option<&spec::Backend>,
) -> String {
    let mut t = Block::new("terraform", &[]);
    if let Some(v) = required_version {
        t.attr("required_version", quote(v));
    }
    if !reqs.is_empty() {
        let mut rp = Block::new("required_providers", &[]);
        for r in reqs {
            let mut entries = vec![("source".to_owned(), quote(&r.source))];
            if let Some(v) = &r.version {
                entries.push(("version".to_owned(), quote(v)));
            }
            if !r.aliases.is_empty() {
                entries.push((
                    "configuration_aliases".to_owned(),
                    format!("[{}]", r.aliases.join(", ")),
                ));
            }
            rp.attr(&r.name, emit::object(entries, 2));
        }
        t.blank();
        t.block(rp);
    }
    if let Some(b) = backend {
        let mut bb = Block::new("backend", &[&b.kind]);
        for (k, v) in b.config.iter() {
            bb.attr(k, emit::value(v, 2));
        }
        t.blank();
        t.block(bb);
    }
    emit::file(&[t], &[])
}

fn providers_tf(providers: &[spec::Provider]) -> String {
    let mut blocks = Vec::new();
    for p in providers {
        let mut b = Block::new("provider", &[&p.name]);
        if let Some(a) = &p.alias {
            b.attr("alias", quote(a));
            b.blank();
        }
        for (k, v) in p.config.iter() {
            b.attr(k, emit::value(v, 1));
        }
        if !p.blocks.is_empty() {
            b.blank();
        }
        for nb in &p.blocks {
            b.block(nested(nb, 1));
            b.blank();
        }
        blocks.push(b);
    }
    emit::file(&blocks, &[])
}

fn variables_tf(vars: &OrderedMap<Variable>) -> String {
    let mut blocks = Vec::new();
    for (name, v) in vars.iter() {
        let mut b = Block::new("variable", &[name]);
        if let Some(d) = &v.description {
            b.attr("description", quote(d));
        }
        if let Some(t) = &v.kind {
            b.attr("type", type_text(t));
        }
        if let Some(d) = &v.default {
            b.attr("default", emit::value(d, 1));
        }
        if v.sensitive {
            b.attr("sensitive", "true".into());
        }
        if let Some(n) = v.nullable {
            b.attr("nullable", n.to_string());
        }
        for val in &v.validation {
            b.blank();
            b.block(condition_block("validation", val, 1));
        }
        blocks.push(b);
    }
    emit::file(&blocks, &[])
}

fn type_text(t: &str) -> String {
    match refs::parse_expr(t) {
        Ok(e) => emit::expr(&e, 1),
        Err(_) => t.to_owned(),
    }
}

fn condition_block(kind: &str, v: &spec::Validation, level: usize) -> Block {
    let mut b = Block::new(kind, &[]);
    b.attr("condition", expr_text(&v.condition, level + 1));
    b.attr("error_message", quote(&v.error_message));
    b
}

fn expr_text(src: &str, level: usize) -> String {
    emit::value(&Value::Expr(src.to_owned()), level)
}

fn address_list(items: &[String], level: usize) -> String {
    let rendered: Vec<String> = items.iter().map(|i| expr_text(i, level + 1)).collect();
    if rendered.iter().any(|r| r.contains('\n')) {
        emit::value(&Value::List(items.iter().map(|i| Value::Expr(i.clone())).collect()), level)
    } else {
        format!("[{}]", rendered.join(", "))
    }
}

fn main_tf(scope: &Scope, root: Option<&Spec>) -> String {
    let mut blocks = Vec::new();
    let mut comments: Vec<Vec<String>> = Vec::new();
    if !scope.locals.is_empty() {
        let mut b = Block::new("locals", &[]);
        for (k, v) in scope.locals.iter() {
            b.attr(k, emit::value(v, 1));
        }
        blocks.push(b);
        comments.push(Vec::new());
    }
    for d in scope.data {
        blocks.push(resource_block("data", d));
        comments.push(d.description.iter().cloned().collect());
    }
    for r in scope.resources {
        blocks.push(resource_block("resource", r));
        comments.push(r.description.iter().cloned().collect());
    }
    for m in scope.modules {
        blocks.push(module_block(m));
        comments.push(Vec::new());
    }
    if let Some(spec) = root {
        for mv in &spec.moved {
            let mut b = Block::new("moved", &[]);
            b.attr("from", expr_text(&mv.from, 1));
            b.attr("to", expr_text(&mv.to, 1));
            blocks.push(b);
            comments.push(Vec::new());
        }
        for im in &spec.import {
            let mut b = Block::new("import", &[]);
            b.attr("to", expr_text(&im.to, 1));
            b.attr("id", emit::value(&im.id, 1));
            if let Some(p) = &im.provider {
                b.attr("provider", expr_text(p, 1));
            }
            blocks.push(b);
            comments.push(Vec::new());
        }
    }
    emit::file(&blocks, &comments)
}

fn resource_block(kind: &str, r: &Resource) -> Block {
    let mut b = Block::new(kind, &[&r.kind, &r.name]);
    for s in &r.skip_checks {
        // Read by checkov as "# checkov:skip=<id>:<reason>".
        b.items.push(Item::Comment(format!("checkov:skip={}:{}", s.id, s.reason)));
    }
    if !r.skip_checks.is_empty() {
        b.blank();
    }
    let mut meta = false;
    if let Some(c) = &r.count {
        b.attr("count", emit::value(c, 1));
        meta = true;
    }
    if let Some(f) = &r.for_each {
        b.attr("for_each", emit::value(f, 1));
        meta = true;
    }
    if let Some(p) = &r.provider {
        b.attr("provider", expr_text(p, 1));
        meta = true;
    }
    if meta {
        b.blank();
    }
    for (k, v) in r.attributes.iter() {
        b.attr(k, emit::value(v, 1));
    }
    for nb in &r.blocks {
        b.blank();
        b.block(nested(nb, 1));
    }
    if let Some(l) = &r.lifecycle {
        b.blank();
        b.block(lifecycle_block(l));
    }
    if !r.depends_on.is_empty() {
        b.blank();
        b.attr("depends_on", address_list(&r.depends_on, 1));
    }
    b
}

fn nested(nb: &spec::Block, level: usize) -> Block {
    let labels: Vec<&str> = nb.labels.iter().map(String::as_str).collect();
    let mut body = Block::new(&nb.kind, &labels);
    let content_level = if nb.for_each.is_some() { level + 2 } else { level + 1 };
    for (k, v) in nb.attributes.iter() {
        body.attr(k, emit::value(v, content_level));
    }
    for inner in &nb.blocks {
        if !body.items.is_empty() {
            body.blank();
        }
        body.block(nested(inner, content_level));
    }
    match &nb.for_each {
        None => body,
        Some(f) => {
            let mut d = Block::new("dynamic", &[&nb.kind]);
            d.attr("for_each", emit::value(f, level + 1));
            if let Some(it) = &nb.iterator {
                d.attr("iterator", it.clone());
            }
            d.blank();
            body.kind = "content".into();
            body.labels.clear();
            d.block(body);
            d
        }
    }
}

fn lifecycle_block(l: &Lifecycle) -> Block {
    let mut b = Block::new("lifecycle", &[]);
    if let Some(v) = l.create_before_destroy {
        b.attr("create_before_destroy", v.to_string());
    }
    if let Some(v) = l.prevent_destroy {
        b.attr("prevent_destroy", v.to_string());
    }
    if l.ignore_changes.iter().any(|i| i == "all") {
        b.attr("ignore_changes", "all".into());
    } else if !l.ignore_changes.is_empty() {
        b.attr("ignore_changes", address_list(&l.ignore_changes, 2));
    }
    if !l.replace_triggered_by.is_empty() {
        b.attr("replace_triggered_by", address_list(&l.replace_triggered_by, 2));
    }
    for c in &l.precondition {
        b.blank();
        b.block(condition_block("precondition", c, 2));
    }
    for c in &l.postcondition {
        b.blank();
        b.block(condition_block("postcondition", c, 2));
    }
    b
}

fn module_block(m: &ModuleCall) -> Block {
    let mut b = Block::new("module", &[&m.name]);
    b.attr("source", quote(&m.source));
    if let Some(v) = &m.version {
        b.attr("version", quote(v));
    }
    if let Some(c) = &m.count {
        b.attr("count", emit::value(c, 1));
    }
    if let Some(f) = &m.for_each {
        b.attr("for_each", emit::value(f, 1));
    }
    if !m.providers.is_empty() {
        let entries = m.providers.iter().map(|(k, v)| (k.to_owned(), expr_text(v, 2))).collect();
        b.attr("providers", emit::object(entries, 1));
    }
    b.blank();
    for (k, v) in m.inputs.iter() {
        b.attr(k, emit::value(v, 1));
    }
    if !m.depends_on.is_empty() {
        b.blank();
        b.attr("depends_on", address_list(&m.depends_on, 1));
    }
    b
}

fn outputs_tf(outputs: &OrderedMap<Output>) -> String {
    let mut blocks = Vec::new();
    for (name, o) in outputs.iter() {
        let mut b = Block::new("output", &[name]);
        if let Some(d) = &o.description {
            b.attr("description", quote(d));
        }
        b.attr("value", emit::value(&o.value, 1));
        if o.sensitive {
            b.attr("sensitive", "true".into());
        }
        if !o.depends_on.is_empty() {
            b.blank();
            b.attr("depends_on", address_list(&o.depends_on, 1));
        }
        blocks.push(b);
    }
    emit::file(&blocks, &[])
}

/// A placeholder value of a type, for required variables.
fn placeholder(t: Option<&str>) -> String {
    match t.and_then(|t| types::parse(t).ok()) {
        Some(types::Ty::Number) => "0".into(),
        Some(types::Ty::Bool) => "false".into(),
        Some(types::Ty::List(_) | types::Ty::Set(_) | types::Ty::Tuple(_)) => "[]".into(),
        Some(types::Ty::Map(_) | types::Ty::Object(_)) => "{}".into(),
        _ => "\"\"".into(),
    }
}

fn tfvars(vars: &OrderedMap<Variable>) -> String {
    let mut out = String::from("# Copy to terraform.tfvars and set the values.\n");
    for (name, v) in vars.iter() {
        out.push('\n');
        let mut head = v.description.clone().unwrap_or_default();
        let required = v.default.is_none();
        if required {
            head = if head.is_empty() { "Required.".into() } else { format!("{head} (required)") };
        }
        if v.sensitive {
            head.push_str(" Sensitive: keep it out of version control.");
        }
        if !head.trim().is_empty() {
            out.push_str(&format!("# {}\n", head.trim().replace('\n', " ")));
        }
        let value = match &v.default {
            Some(d) => emit::value(d, 0),
            None => placeholder(v.kind.as_deref()),
        };
        out.push_str(&format!("{name} = {value}\n"));
    }
    out
}

// ---------------------------------------------------------------- README

fn md(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', "<br>")
}

fn md_name(s: &str) -> String {
    s.replace('_', "\\_")
}

fn code(s: &str) -> String {
    if s.contains('\n') {
        format!(
            "<pre>{}</pre>",
            md(&s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;"))
        )
    } else {
        format!("`{}`", md(s))
    }
}

fn registry_link(kind: &str, is_data: bool, reqs: &[Req]) -> String {
    let provider = provider_of(kind);
    let short = kind.strip_prefix(&format!("{provider}_")).unwrap_or(kind);
    let source = reqs
        .iter()
        .find(|r| r.name == provider)
        .map(|r| r.source.clone())
        .unwrap_or_else(|| format!("hashicorp/{provider}"));
    format!(
        "https://registry.terraform.io/providers/{source}/latest/docs/{}/{short}",
        if is_data { "data-sources" } else { "resources" }
    )
}

fn module_tables(
    out: &mut String,
    h: &str,
    scope: &Scope,
    reqs: &[Req],
    required_version: Option<&str>,
) {
    out.push_str(&format!("{h} Requirements\n\n| Name | Version |\n|------|---------|\n"));
    if let Some(v) = required_version {
        out.push_str(&format!("| <a name=\"requirement_terraform\"></a> [terraform](#requirement\\_terraform) | {} |\n", md(v)));
    }
    for r in reqs {
        out.push_str(&format!(
            "| <a name=\"requirement_{n}\"></a> [{n}](#requirement\\_{m}) | {} |\n",
            md(r.version.as_deref().unwrap_or("n/a")),
            n = r.name,
            m = md_name(&r.name)
        ));
    }
    out.push_str(&format!("\n{h} Providers\n\n| Name | Version |\n|------|---------|\n"));
    for r in reqs {
        out.push_str(&format!(
            "| <a name=\"provider_{n}\"></a> [{n}](#provider\\_{m}) | {} |\n",
            md(r.version.as_deref().unwrap_or("n/a")),
            n = r.name,
            m = md_name(&r.name)
        ));
    }
    if !scope.modules.is_empty() {
        out.push_str(&format!(
            "\n{h} Modules\n\n| Name | Source | Version |\n|------|--------|---------|\n"
        ));
        for m in scope.modules {
            out.push_str(&format!(
                "| <a name=\"module_{n}\"></a> [{d}](#module\\_{d}) | {} | {} |\n",
                md(&m.source),
                md(m.version.as_deref().unwrap_or("n/a")),
                n = m.name,
                d = md_name(&m.name)
            ));
        }
    }
    if !scope.resources.is_empty() || !scope.data.is_empty() {
        out.push_str(&format!("\n{h} Resources\n\n| Name | Type |\n|------|------|\n"));
        let mut rows: Vec<(String, String)> = Vec::new();
        for r in scope.resources {
            rows.push((
                format!("{}.{}", r.kind, r.name),
                format!(
                    "| [{}.{}]({}) | resource |\n",
                    md_name(&r.kind),
                    md_name(&r.name),
                    registry_link(&r.kind, false, reqs)
                ),
            ));
        }
        for d in scope.data {
            rows.push((
                format!("{}.{}", d.kind, d.name),
                format!(
                    "| [{}.{}]({}) | data source |\n",
                    md_name(&d.kind),
                    md_name(&d.name),
                    registry_link(&d.kind, true, reqs)
                ),
            ));
        }
        rows.sort();
        for (_, row) in rows {
            out.push_str(&row);
        }
    }
    out.push_str(&format!("\n{h} Inputs\n\n"));
    if scope.variables.is_empty() {
        out.push_str("No inputs.\n");
    } else {
        out.push_str("| Name | Description | Type | Default | Required |\n|------|-------------|------|---------|:--------:|\n");
        let mut vars: Vec<(&str, &Variable)> = scope.variables.iter().collect();
        // terraform-docs lists required inputs first, each part by name.
        vars.sort_by(|a, b| a.1.default.is_some().cmp(&b.1.default.is_some()).then(a.0.cmp(b.0)));
        for (name, v) in vars {
            let ty = v
                .kind
                .as_deref()
                .map(|t| code(&type_text_at0(t)))
                .unwrap_or_else(|| "`any`".into());
            let default = v
                .default
                .as_ref()
                .map(|d| code(&emit::value(d, 0)))
                .unwrap_or_else(|| "n/a".into());
            out.push_str(&format!(
                "| <a name=\"input_{name}\"></a> [{d}](#input\\_{d}) | {} | {ty} | {default} | {} |\n",
                md(v.description.as_deref().unwrap_or("n/a")),
                if v.default.is_none() { "yes" } else { "no" },
                d = md_name(name)
            ));
        }
    }
    out.push_str(&format!("\n{h} Outputs\n\n"));
    if scope.outputs.is_empty() {
        out.push_str("No outputs.\n");
    } else {
        out.push_str("| Name | Description |\n|------|-------------|\n");
        let mut outs: Vec<(&str, &Output)> = scope.outputs.iter().collect();
        outs.sort_by(|a, b| a.0.cmp(b.0));
        for (name, o) in outs {
            out.push_str(&format!(
                "| <a name=\"output_{name}\"></a> [{d}](#output\\_{d}) | {} |\n",
                md(o.description.as_deref().unwrap_or("n/a")),
                d = md_name(name)
            ));
        }
    }
}

fn type_text_at0(t: &str) -> String {
    match refs::parse_expr(t) {
        Ok(e) => emit::expr(&e, 0),
        Err(_) => t.to_owned(),
    }
}

fn readme(
    spec: &Spec,
    required_version: &str,
    reqs: &[Req],
    child_reqs: &[(String, Vec<Req>)],
) -> String {
    let title = spec.title.as_deref().unwrap_or(DEFAULT_TITLE);
    let mut out = format!("# {}\n\n", title.replace('\n', " "));
    if let Some(d) = &spec.description {
        out.push_str(d.trim());
        out.push_str("\n\n");
    }
    out.push_str("![Resources and their references](diagram.svg)\n\n");
    out.push_str("## Usage\n\n```sh\ncp terraform.tfvars.example terraform.tfvars   # then set the values\nterraform init\nterraform plan\n```\n\n");
    module_tables(&mut out, "##", &Scope::root(spec), reqs, Some(required_version));
    if !spec.child_modules.is_empty() {
        out.push_str("\n## Child modules\n");
        for (name, m) in spec.child_modules.iter() {
            out.push_str(&format!("\n### modules/{name}\n\n"));
            if let Some(d) = &m.description {
                out.push_str(d.trim());
                out.push_str("\n\n");
            }
            let creqs = child_reqs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, r)| r.as_slice())
                .unwrap_or(&[]);
            module_tables(&mut out, "####", &Scope::child(name, m, spec), creqs, None);
        }
    }
    out
}

// ---------------------------------------------------------------- diagram

/// The diagram: root resources, data sources and module calls in one
/// frame, each child module's objects in a frame of their own; an arrow per
/// reference (references through locals are followed to what they name).
pub(crate) fn graph(spec: &Spec) -> diagram::Graph {
    let mut g = diagram::Graph {
        title: Some(spec.title.clone().unwrap_or_else(|| DEFAULT_TITLE.to_owned())),
        ..Default::default()
    };
    let root = Scope::root(spec);
    add_scope(&mut g, &root, "root module", "");
    for (name, m) in spec.child_modules.iter() {
        add_scope(
            &mut g,
            &Scope::child(name, m, spec),
            &format!("modules/{name}"),
            &format!("{name}/"),
        );
    }
    g
}

fn add_scope(g: &mut diagram::Graph, scope: &Scope, group: &str, id_prefix: &str) {
    let (objects, _) = scope.objects();
    let index: HashMap<&str, usize> =
        objects.iter().enumerate().map(|(i, o)| (o.id.as_str(), i)).collect();
    let direct: Vec<BTreeSet<usize>> = objects
        .iter()
        .map(|o| {
            let mut t: BTreeSet<usize> =
                o.refs.iter().filter_map(|r| target_of(&r.parts, &index)).collect();
            for (_, d) in &o.depends_on {
                let parts: Vec<String> = d.split('.').map(str::to_owned).collect();
                if let Some(j) = target_of(&parts, &index) {
                    t.insert(j);
                }
            }
            t
        })
        .collect();
    let shown = |k: Kind| matches!(k, Kind::Resource | Kind::Data | Kind::Module);
    for (i, o) in objects.iter().enumerate() {
        if !shown(o.kind) {
            continue;
        }
        let (label, sub) = match o.kind {
            Kind::Resource => {
                let r = &scope.resources[o
                    .pointer
                    .rsplit('/')
                    .next()
                    .and_then(|s| s.parse::<usize>().ok())
                    .unwrap_or(0)];
                (r.name.clone(), r.kind.clone())
            }
            Kind::Data => {
                let r = &scope.data[o
                    .pointer
                    .rsplit('/')
                    .next()
                    .and_then(|s| s.parse::<usize>().ok())
                    .unwrap_or(0)];
                (r.name.clone(), format!("data.{}", r.kind))
            }
            _ => {
                let m = &scope.modules[o
                    .pointer
                    .rsplit('/')
                    .next()
                    .and_then(|s| s.parse::<usize>().ok())
                    .unwrap_or(0)];
                (m.name.clone(), format!("module: {}", m.source))
            }
        };
        g.nodes.push(diagram::Node::new(format!("{id_prefix}{}", o.id), label, sub).group(group));
        // Follow locals (and guard against cycles through them).
        let mut seen = BTreeSet::new();
        let mut todo: Vec<usize> = direct[i].iter().copied().collect();
        let mut targets = BTreeSet::new();
        while let Some(j) = todo.pop() {
            if !seen.insert(j) {
                continue;
            }
            if shown(objects[j].kind) {
                targets.insert(j);
            } else {
                todo.extend(direct[j].iter().copied());
            }
        }
        for j in targets {
            if j != i {
                g.edges.push(diagram::Edge::new(
                    format!("{id_prefix}{}", o.id),
                    format!("{id_prefix}{}", objects[j].id),
                ));
            }
        }
    }
}
