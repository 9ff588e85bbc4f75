//! Checks what the spec's types cannot: names, duplicates, references,
//! dependency cycles, types of defaults, module inputs.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;

use crate::emit::is_identifier;
use crate::refs::{self, escape};
use crate::scope::{Kind, Object, Scope};
use crate::spec::Spec;
use crate::types;

/// A problem at a JSON pointer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub pointer: String,
    pub message: String,
}

/// The most violations reported for one spec.
pub(crate) const MAX_VIOLATIONS: usize = 200;

/// Names a variable cannot have.
const RESERVED_VARIABLES: [&str; 8] =
    ["source", "version", "providers", "count", "for_each", "lifecycle", "depends_on", "locals"];
/// Roots of references that are always available.
const BUILTIN_ROOTS: [&str; 2] = ["path", "terraform"];

/// Closest candidate by edit distance (at most a third of the word's
/// length, at least 2), ties broken by candidate order.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(2);
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        if c == word {
            continue;
        }
        let d = distance(&word.to_lowercase(), &c.to_lowercase());
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let list: Vec<&str> = candidates.into_iter().collect();
    match closest(word, list.iter().copied()) {
        Some(c) => format!("; did you mean {c:?}?"),
        None if list.is_empty() => String::new(),
        None if list.len() <= 8 => format!(
            "; the names there are {}",
            list.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ")
        ),
        None => String::new(),
    }
}

struct Checker {
    out: Vec<Problem>,
}

impl Checker {
    fn push(&mut self, pointer: impl Into<String>, message: impl Into<String>) {
        if self.out.len() < MAX_VIOLATIONS {
            self.out.push(Problem { pointer: pointer.into(), message: message.into() });
        }
    }

    /// Checks a name; the pointer and `what` are formatted only for a bad
    /// one.
    fn ident(&mut self, pointer: impl fmt::Display, what: impl fmt::Display, name: &str) {
        if !is_identifier(name) {
            self.push(
                pointer.to_string(),
                format!(
                    "expected a valid {what} (an ASCII letter or underscore, then ASCII letters, digits, underscores or hyphens), found {name:?}; for example {:?}",
                    sanitize(name)
                ),
            );
        }
    }
}

fn sanitize(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' })
        .collect();
    if !s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        s.insert(0, '_');
    }
    s.to_lowercase()
}

/// Every violation of the spec, in spec order.
pub(crate) fn validate(spec: &Spec) -> Vec<Problem> {
    let mut c = Checker { out: Vec::new() };
    let root = Scope::root(spec);

    // Provider configurations.
    let mut provider_keys: HashSet<String> = HashSet::new();
    for (i, p) in spec.providers.iter().enumerate() {
        let pointer = format!("/providers/{i}");
        c.ident(format_args!("{pointer}/name"), "provider name", &p.name);
        if let Some(a) = &p.alias {
            c.ident(format_args!("{pointer}/alias"), "provider alias", a);
        }
        let key = match &p.alias {
            Some(a) => format!("{}.{a}", p.name),
            None => p.name.clone(),
        };
        if !provider_keys.insert(key.clone()) {
            let hint =
                if p.alias.is_none() { "; give the second configuration an \"alias\"" } else { "" };
            c.push(&pointer, format!("expected one configuration per provider and alias, found a second {key:?}{hint}"));
        }
        check_values(&mut c, p.config.iter(), &format!("{pointer}/config"), &root, &[]);
    }
    if let Some(b) = spec.terraform.as_ref().and_then(|t| t.backend.as_ref()) {
        const BACKENDS: [&str; 11] = [
            "s3",
            "gcs",
            "azurerm",
            "remote",
            "local",
            "http",
            "consul",
            "pg",
            "kubernetes",
            "cos",
            "oss",
        ];
        if !BACKENDS.contains(&b.kind.as_str()) {
            c.push(
                "/terraform/backend/type",
                format!(
                    "expected a backend type ({}), found {:?}{}",
                    BACKENDS.join(", "),
                    b.kind,
                    suggest(&b.kind, BACKENDS)
                ),
            );
        }
        for (k, v) in b.config.iter() {
            let mut r = Vec::new();
            let mut problems = Vec::new();
            refs::collect(v, String::new, &mut r, &mut problems);
            if !r.is_empty()
                || matches!(v, crate::value::Value::Expr(_) | crate::value::Value::Ref(_))
            {
                c.push(format!("/terraform/backend/config/{}", escape(k)), "expected a literal value (backend settings cannot use variables or references)");
            }
        }
    }

    let mut names: HashSet<&str> = HashSet::new();
    for (name, _) in spec.child_modules.iter() {
        let pointer = format!("/child_modules/{}", escape(name));
        c.ident(&pointer, "module name", name);
        if !names.insert(name) {
            c.push(pointer, format!("expected unique child module names, found {name:?} twice"));
        }
    }
    check_scope(&mut c, spec, &root, &provider_keys);
    for (name, m) in spec.child_modules.iter() {
        let scope = Scope::child(name, m, spec);
        if m.terraform.as_ref().is_some_and(|t| t.backend.is_some()) {
            c.push(format!("{}/terraform/backend", scope.prefix), "expected no backend in a child module (only the root module keeps state); move it to the root \"terraform\"");
        }
        let mut aliases: HashSet<String> = HashSet::new();
        if let Some(t) = &m.terraform {
            for (_, rp) in t.required_providers.iter() {
                aliases.extend(rp.configuration_aliases.iter().cloned());
            }
        }
        check_scope(&mut c, spec, &scope, &aliases);
    }

    for (i, mv) in spec.moved.iter().enumerate() {
        check_address(&mut c, &format!("/moved/{i}/to"), &mv.to, &root, true);
        if mv.from == mv.to {
            c.push(
                format!("/moved/{i}/from"),
                format!(
                    "expected an old address different from \"to\", found {:?} in both",
                    mv.from
                ),
            );
        }
        if address_exists(&mv.from, &root) {
            c.push(format!("/moved/{i}/from"), format!("expected the old address {:?} to be gone from the configuration, found it still declared", mv.from));
        }
    }
    for (i, im) in spec.import.iter().enumerate() {
        check_address(&mut c, &format!("/import/{i}/to"), &im.to, &root, true);
        if im.to.starts_with("data.") {
            c.push(
                format!("/import/{i}/to"),
                format!("expected a managed resource address, found the data source {:?}", im.to),
            );
        }
        check_values(&mut c, std::iter::once(("id", &im.id)), &format!("/import/{i}"), &root, &[]);
        if let Some(p) = &im.provider {
            check_provider_ref(&mut c, &format!("/import/{i}/provider"), p, &provider_keys);
        }
    }
    c.out
}

fn address_exists(addr: &str, scope: &Scope) -> bool {
    let base = strip_index(addr);
    let parts: Vec<&str> = base.split('.').collect();
    match parts.as_slice() {
        ["module", m] => scope.modules.iter().any(|x| x.name == *m),
        ["data", t, n] => scope.data.iter().any(|d| d.kind == *t && d.name == *n),
        [t, n] => scope.resources.iter().any(|r| r.kind == *t && r.name == *n),
        _ => false,
    }
}

/// Drops instance keys: `aws_subnet.a[0]` → `aws_subnet.a`.
fn strip_index(addr: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for ch in addr.chars() {
        match ch {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(ch),
            _ => {}
        }
    }
    out
}

/// A resource, data source or module address (depends_on, moved, import).
fn check_address(c: &mut Checker, pointer: &str, addr: &str, scope: &Scope, managed_only: bool) {
    let base = strip_index(addr);
    let parts: Vec<&str> = base.split('.').collect();
    let ok = match parts.as_slice() {
        ["module", _, rest @ ..] if managed_only && !rest.is_empty() => true, // inside a module: not checked
        _ => address_exists(addr, scope),
    };
    if !ok {
        let candidates = addresses(scope);
        c.push(
            pointer,
            format!(
                "expected the address of a resource{} in this module, found {addr:?}, which is not declared{}",
                if managed_only { " or module" } else { ", data source or module" },
                suggest(&base, candidates.iter().map(String::as_str))
            ),
        );
    }
}

fn addresses(scope: &Scope) -> Vec<String> {
    let mut a: Vec<String> =
        scope.resources.iter().map(|r| format!("{}.{}", r.kind, r.name)).collect();
    a.extend(scope.data.iter().map(|d| format!("data.{}.{}", d.kind, d.name)));
    a.extend(scope.modules.iter().map(|m| format!("module.{}", m.name)));
    a
}

fn check_provider_ref(c: &mut Checker, pointer: &str, p: &str, keys: &HashSet<String>) {
    if !p.contains('.') {
        c.push(pointer, format!("expected a provider configuration \"<name>.<alias>\" such as \"aws.us_east_1\", found {p:?} (leave \"provider\" out for the default configuration)"));
    } else if !keys.contains(p) {
        let mut list: Vec<&str> =
            keys.iter().map(String::as_str).filter(|k| k.contains('.')).collect();
        list.sort_unstable();
        c.push(pointer, format!("expected a provider configuration declared with an alias, found {p:?}, which is not declared{}", suggest(p, list)));
    }
}

fn check_values<'a>(
    c: &mut Checker,
    values: impl Iterator<Item = (&'a str, &'a crate::value::Value)>,
    pointer: &str,
    scope: &Scope,
    allowed: &[&str],
) {
    for (k, v) in values {
        let mut r = Vec::new();
        let mut problems = Vec::new();
        refs::collect(v, || format!("{pointer}/{}", escape(k)), &mut r, &mut problems);
        for pr in problems {
            c.push(pr.pointer, pr.message);
        }
        for rf in r {
            resolve(c, &rf, scope, allowed);
        }
    }
}

fn check_scope(c: &mut Checker, spec: &Spec, scope: &Scope, provider_keys: &HashSet<String>) {
    let p = scope.prefix.clone();
    let where_ = if scope.is_root() {
        "the root module".to_owned()
    } else {
        format!("module {:?}", scope.name)
    };

    for (name, v) in scope.variables.iter() {
        let vp = format!("{p}/variables/{}", escape(name));
        c.ident(&vp, "variable name", name);
        if RESERVED_VARIABLES.contains(&name) {
            c.push(&vp, format!("expected a variable name other than the reserved {name:?}"));
        }
        let ty = match &v.kind {
            Some(t) => match types::parse(t) {
                Ok(ty) => Some(ty),
                Err(m) => {
                    c.push(format!("{vp}/type"), m);
                    None
                }
            },
            None => None,
        };
        if let (Some(ty), Some(d)) = (&ty, &v.default) {
            let mut found = Vec::new();
            types::check(ty, d, &format!("{vp}/default"), &mut found);
            for (pt, m) in found {
                c.push(pt, m);
            }
        } else if let Some(d) = &v.default
            && matches!(d, crate::value::Value::Ref(_) | crate::value::Value::Expr(_))
        {
            c.push(
                format!("{vp}/default"),
                "expected a literal default value (variable defaults cannot refer to anything)",
            );
        }
        if v.nullable == Some(false) && matches!(v.default, Some(crate::value::Value::Null)) {
            c.push(
                format!("{vp}/default"),
                "expected a non-null default because \"nullable\" is false, found null",
            );
        }
        for (j, val) in v.validation.iter().enumerate() {
            let cp = format!("{vp}/validation/{j}/condition");
            match refs::parse_expr(&val.condition) {
                Ok(e) => {
                    let found = refs::refs_of(&e);
                    if !found.iter().any(|r| r.len() >= 2 && r[0] == "var" && r[1] == name) {
                        c.push(
                            &cp,
                            format!(
                                "expected a condition that tests var.{name}, found {:?}",
                                val.condition
                            ),
                        );
                    }
                    for parts in found {
                        resolve(c, &refs::Ref { parts, pointer: cp.clone() }, scope, &[]);
                    }
                }
                Err(m) => c.push(
                    &cp,
                    format!("expected an HCL boolean expression, found {:?}: {m}", val.condition),
                ),
            }
            if val.error_message.trim().is_empty() {
                c.push(
                    format!("{vp}/validation/{j}/error_message"),
                    "expected a sentence explaining the rule, found an empty message",
                );
            }
        }
    }
    dupes(c, scope.variables.keys(), &format!("{p}/variables"), "variable");
    for name in scope.locals.keys() {
        c.ident(format_args!("{p}/locals/{}", escape(name)), "local name", name);
    }
    dupes(c, scope.locals.keys(), &format!("{p}/locals"), "local value");
    for name in scope.outputs.keys() {
        c.ident(format_args!("{p}/outputs/{}", escape(name)), "output name", name);
    }
    dupes(c, scope.outputs.keys(), &format!("{p}/outputs"), "output");

    for (key, list, what) in
        [("resources", scope.resources, "resource"), ("data", scope.data, "data source")]
    {
        let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
        for (i, r) in list.iter().enumerate() {
            let rp = format!("{p}/{key}/{i}");
            c.ident(format_args!("{rp}/type"), format_args!("{what} type"), &r.kind);
            if is_identifier(&r.kind) && !r.kind.contains('_') {
                c.push(format!("{rp}/type"), format!("expected a {what} type \"<provider>_<kind>\" such as \"aws_s3_bucket\", found {:?}", r.kind));
            }
            c.ident(format_args!("{rp}/name"), format_args!("{what} name"), &r.name);
            if let Some(j) = seen.insert((&r.kind, &r.name), i) {
                let addr = if key == "data" {
                    format!("data.{}.{}", r.kind, r.name)
                } else {
                    format!("{}.{}", r.kind, r.name)
                };
                c.push(format!("{rp}/name"), format!("expected a unique address in {where_}, found {addr:?} again (first at {p}/{key}/{j}); pick another name, e.g. {:?}", format!("{}_2", r.name)));
            }
            if r.count.is_some() && r.for_each.is_some() {
                c.push(format!("{rp}/for_each"), "expected either \"count\" or \"for_each\", found both; keep one (for_each for a map or set, count for a number)");
            }
            if let Some(pv) = &r.provider {
                check_provider_ref(c, &format!("{rp}/provider"), pv, provider_keys);
            }
            if key == "data"
                && r.lifecycle.as_ref().is_some_and(|l| {
                    l.prevent_destroy.is_some()
                        || l.create_before_destroy.is_some()
                        || !l.ignore_changes.is_empty()
                })
            {
                c.push(
                    format!("{rp}/lifecycle"),
                    "expected only precondition/postcondition in a data source's lifecycle",
                );
            }
            if let Some(l) = &r.lifecycle {
                for (j, ic) in l.ignore_changes.iter().enumerate() {
                    if ic != "all" && refs::parse_expr(ic).is_err() {
                        c.push(
                            format!("{rp}/lifecycle/ignore_changes/{j}"),
                            format!("expected an attribute name such as \"tags\", found {ic:?}"),
                        );
                    }
                }
                for (kk, conds) in
                    [("precondition", &l.precondition), ("postcondition", &l.postcondition)]
                {
                    for (j, cond) in conds.iter().enumerate() {
                        if cond.error_message.trim().is_empty() {
                            c.push(format!("{rp}/lifecycle/{kk}/{j}/error_message"), "expected a sentence explaining the condition, found an empty message");
                        }
                    }
                }
            }
            for (j, b) in r.blocks.iter().enumerate() {
                check_block(c, b, &format!("{rp}/blocks/{j}"));
            }
        }
    }

    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, m) in scope.modules.iter().enumerate() {
        let mp = format!("{p}/modules/{i}");
        c.ident(format_args!("{mp}/name"), "module call name", &m.name);
        if let Some(j) = seen.insert(&m.name, i) {
            c.push(format!("{mp}/name"), format!("expected a unique module call name in {where_}, found {:?} again (first at {p}/modules/{j})", m.name));
        }
        if m.count.is_some() && m.for_each.is_some() {
            c.push(
                format!("{mp}/for_each"),
                "expected either \"count\" or \"for_each\", found both; keep one",
            );
        }
        for (k, v) in m.providers.iter() {
            let kp = format!("{mp}/providers/{}", escape(k));
            if !v.contains('.') && !provider_keys.contains(v.as_str()) && !scope.is_root() {
                c.push(
                    &kp,
                    format!("expected a provider configuration of this module, found {v:?}"),
                );
            } else if v.contains('.') {
                check_provider_ref(c, &kp, v, provider_keys);
            }
        }
        if let Some(child) = local_child(&m.source, scope.is_root()) {
            match spec.child_modules.get(child) {
                Some(cm) => {
                    for (k, _) in m.inputs.iter() {
                        if !cm.variables.iter().any(|(n, _)| n == k) {
                            c.push(
                                format!("{mp}/inputs/{}", escape(k)),
                                format!("expected an input declared as a variable of module {child:?}, found {k:?}{}", suggest(k, cm.variables.keys())),
                            );
                        }
                    }
                    for (n, v) in cm.variables.iter() {
                        if v.default.is_none() && m.inputs.get(n).is_none() {
                            c.push(format!("{mp}/inputs"), format!("expected a value for {n:?}, a variable of module {child:?} without a default, found none"));
                        }
                    }
                }
                None => c.push(
                    format!("{mp}/source"),
                    format!(
                        "expected a child module declared in \"child_modules\", found {:?}{}",
                        m.source,
                        suggest(child, spec.child_modules.keys())
                    ),
                ),
            }
        } else if m.source.starts_with('.') {
            let want = if scope.is_root() { "./modules/<name>" } else { "../<name>" };
            c.push(format!("{mp}/source"), format!("expected a local source of the form {want:?} naming a child module, found {:?}", m.source));
        }
    }

    // References and cycles.
    let (objects, problems) = scope.objects();
    for pr in problems {
        c.push(pr.pointer, pr.message);
    }
    for o in &objects {
        let allowed = iteration_allowed(o, scope);
        for r in &o.refs {
            resolve(c, r, scope, &allowed);
        }
        for (pt, d) in &o.depends_on {
            check_address(c, pt, d, scope, false);
        }
    }
    sensitive_outputs(c, scope);
    cycles(c, &objects);
}

fn check_block(c: &mut Checker, b: &crate::spec::Block, pointer: &str) {
    c.ident(format_args!("{pointer}/type"), "block type", &b.kind);
    if let Some(it) = &b.iterator {
        c.ident(format_args!("{pointer}/iterator"), "iterator name", it);
        if b.for_each.is_none() {
            c.push(
                format!("{pointer}/iterator"),
                "expected \"iterator\" only on a dynamic block (one with \"for_each\")",
            );
        }
    }
    for (j, inner) in b.blocks.iter().enumerate() {
        check_block(c, inner, &format!("{pointer}/blocks/{j}"));
    }
}

/// `count`/`each` as allowed by the object's own count/for_each.
fn iteration_allowed(o: &Object, scope: &Scope) -> Vec<&'static str> {
    let (count, for_each) = match o.kind {
        Kind::Resource | Kind::Data => {
            let list = if o.kind == Kind::Data { scope.data } else { scope.resources };
            let idx: usize = o.pointer.rsplit('/').next().and_then(|s| s.parse().ok()).unwrap_or(0);
            list.get(idx).map_or((false, false), |r| (r.count.is_some(), r.for_each.is_some()))
        }
        Kind::Module => {
            let idx: usize = o.pointer.rsplit('/').next().and_then(|s| s.parse().ok()).unwrap_or(0);
            scope
                .modules
                .get(idx)
                .map_or((false, false), |m| (m.count.is_some(), m.for_each.is_some()))
        }
        _ => (false, false),
    };
    let mut a = Vec::new();
    if count {
        a.push("count");
    }
    if for_each {
        a.push("each");
    }
    if matches!(o.kind, Kind::Resource | Kind::Data) {
        a.push("self");
    }
    a
}

fn local_child(source: &str, root: bool) -> Option<&str> {
    let rest = if root { source.strip_prefix("./modules/") } else { source.strip_prefix("../") }?;
    let rest = rest.trim_end_matches('/');
    (!rest.is_empty() && !rest.contains('/')).then_some(rest)
}

fn dupes<'a>(c: &mut Checker, keys: impl Iterator<Item = &'a str>, pointer: &str, what: &str) {
    let mut seen = HashSet::new();
    for k in keys {
        if !seen.insert(k) {
            c.push(
                format!("{pointer}/{}", escape(k)),
                format!("expected unique {what} names, found {k:?} twice"),
            );
        }
    }
}

/// Resolves one reference; `allowed` lists count/each/self where valid.
fn resolve(c: &mut Checker, r: &refs::Ref, scope: &Scope, allowed: &[&str]) {
    let parts: Vec<&str> = r.parts.iter().map(String::as_str).collect();
    let text = || parts.join(".");
    match parts.as_slice() {
        ["var", name, ..] => {
            if scope.variables.get(name).is_none() {
                c.push(
                    &r.pointer,
                    format!(
                        "expected a declared variable, found var.{name}{}",
                        suggest(name, scope.variables.keys())
                    ),
                );
            }
        }
        ["local", name, ..] => {
            if scope.locals.get(name).is_none() {
                c.push(
                    &r.pointer,
                    format!(
                        "expected a declared local value, found local.{name}{}",
                        suggest(name, scope.locals.keys())
                    ),
                );
            }
        }
        ["module", name, rest @ ..] => match scope.modules.iter().find(|m| m.name == *name) {
            None => c.push(
                &r.pointer,
                format!(
                    "expected a declared module call, found module.{name}{}",
                    suggest(name, scope.modules.iter().map(|m| m.name.as_str()))
                ),
            ),
            Some(m) => {
                if let (Some(out), Some(child)) =
                    (rest.first(), local_child(&m.source, scope.is_root()))
                {
                    // Outputs of a child module of this spec are known.
                    if let Some(cm) = scope.children.get(child)
                        && cm.outputs.get(out).is_none()
                    {
                        c.push(&r.pointer, format!("expected an output of module {child:?}, found module.{name}.{out}{}", suggest(out, cm.outputs.keys())));
                    }
                }
            }
        },
        ["data", kind, name, ..] => {
            if !scope.data.iter().any(|d| d.kind == *kind && d.name == *name) {
                let all: Vec<String> =
                    scope.data.iter().map(|d| format!("data.{}.{}", d.kind, d.name)).collect();
                c.push(
                    &r.pointer,
                    format!(
                        "expected a declared data source, found data.{kind}.{name}{}",
                        suggest(&format!("data.{kind}.{name}"), all.iter().map(String::as_str))
                    ),
                );
            }
        }
        ["data", ..] => {
            c.push(&r.pointer, format!("expected data.<type>.<name>, found {}", text()))
        }
        ["count", rest @ ..] => {
            if !allowed.contains(&"count") {
                c.push(&r.pointer, "expected count.index only in a resource or module with \"count\", found it where count is not set");
            } else if rest.first().is_some_and(|a| *a != "index") {
                c.push(&r.pointer, format!("expected count.index, found {}", text()));
            }
        }
        ["each", rest @ ..] => {
            if !allowed.contains(&"each") {
                c.push(&r.pointer, "expected each.key or each.value only in a resource or module with \"for_each\", found it where for_each is not set");
            } else if rest.first().is_some_and(|a| *a != "key" && *a != "value") {
                c.push(&r.pointer, format!("expected each.key or each.value, found {}", text()));
            }
        }
        ["self", ..] => {
            if !allowed.contains(&"self") {
                c.push(&r.pointer, "expected self only inside a resource's postcondition");
            }
        }
        [root, ..] if BUILTIN_ROOTS.contains(root) => {}
        [kind, name, ..] => {
            if !scope.resources.iter().any(|x| x.kind == *kind && x.name == *name) {
                let all: Vec<String> =
                    scope.resources.iter().map(|x| format!("{}.{}", x.kind, x.name)).collect();
                let addr = format!("{kind}.{name}");
                let mut hint = suggest(&addr, all.iter().map(String::as_str));
                if hint.is_empty() && scope.data.iter().any(|d| d.kind == *kind && d.name == *name)
                {
                    hint = format!("; did you mean \"data.{addr}\"?");
                }
                c.push(&r.pointer, format!("expected a declared resource, found {addr}{hint}"));
            }
        }
        [one] => {
            c.push(&r.pointer, format!("expected a reference such as var.<name>, local.<name> or <type>.<name>.<attribute>, found the bare name {one:?}{}", suggest(one, ["var", "local", "module", "data", "count", "each", "path"])));
        }
        [] => {}
    }
}

/// Validation entry point.
pub(crate) fn validate_all(spec: &Spec) -> Vec<Problem> {
    validate(spec)
}

/// An output whose value comes from a sensitive variable must be sensitive.
fn sensitive_outputs(c: &mut Checker, scope: &Scope) {
    for (name, o) in scope.outputs.iter() {
        if o.sensitive {
            continue;
        }
        let mut r = Vec::new();
        let mut problems = Vec::new();
        refs::collect(&o.value, String::new, &mut r, &mut problems);
        for rf in r {
            if let [v, n, ..] = rf.parts.as_slice()
                && v == "var"
                && scope.variables.get(n).is_some_and(|x| x.sensitive)
            {
                c.push(
                    format!("{}/outputs/{}/sensitive", scope.prefix, escape(name)),
                    format!("expected \"sensitive\": true because the value uses the sensitive variable var.{n}, found false"),
                );
                break;
            }
        }
    }
}

/// Reports each dependency cycle once, at the pointer of its first object.
fn cycles(c: &mut Checker, objects: &[Object]) {
    let index: HashMap<&str, usize> =
        objects.iter().enumerate().map(|(i, o)| (o.id.as_str(), i)).collect();
    let n = objects.len();
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, o) in objects.iter().enumerate() {
        let mut targets: BTreeSet<usize> = BTreeSet::new();
        for r in &o.refs {
            if let Some(j) = target_of(&r.parts, &index) {
                targets.insert(j);
            }
        }
        for (_, d) in &o.depends_on {
            let base = strip_index(d);
            let parts: Vec<String> = base.split('.').map(str::to_owned).collect();
            if let Some(j) = target_of(&parts, &index) {
                targets.insert(j);
            }
        }
        adj[i] = targets.into_iter().collect();
    }
    // Tarjan's strongly connected components, iteratively.
    let mut idx = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on = vec![false; n];
    let mut stack = Vec::new();
    let mut next = 0;
    let mut comps: Vec<Vec<usize>> = Vec::new();
    for s in 0..n {
        if idx[s] != usize::MAX {
            continue;
        }
        let mut work: Vec<(usize, usize)> = vec![(s, 0)];
        while let Some(&(v, k)) = work.last() {
            if k == 0 && idx[v] == usize::MAX {
                idx[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on[v] = true;
            }
            if k < adj[v].len() {
                work.last_mut().expect("non-empty").1 += 1;
                let w = adj[v][k];
                if idx[w] == usize::MAX {
                    work.push((w, 0));
                } else if on[w] {
                    low[v] = low[v].min(idx[w]);
                }
            } else {
                work.pop();
                if let Some(&(u, _)) = work.last() {
                    low[u] = low[u].min(low[v]);
                }
                if low[v] == idx[v] {
                    let mut comp = Vec::new();
                    while let Some(w) = stack.pop() {
                        on[w] = false;
                        comp.push(w);
                        if w == v {
                            break;
                        }
                    }
                    if comp.len() > 1 || adj[v].contains(&v) {
                        comp.sort_unstable();
                        comps.push(comp);
                    }
                }
            }
        }
    }
    comps.sort();
    for comp in comps {
        let first = comp[0];
        // Walk the cycle from its first object for the message.
        let inside: HashSet<usize> = comp.iter().copied().collect();
        // The shortest way back to it (breadth-first inside the component).
        let mut prev: HashMap<usize, usize> = HashMap::new();
        let mut queue = std::collections::VecDeque::from([first]);
        let mut closing = None;
        while let Some(v) = queue.pop_front() {
            for &w in &adj[v] {
                if !inside.contains(&w) {
                    continue;
                }
                if w == first {
                    closing = Some(v);
                    break;
                }
                if let std::collections::hash_map::Entry::Vacant(e) = prev.entry(w) {
                    e.insert(v);
                    queue.push_back(w);
                }
            }
            if closing.is_some() {
                break;
            }
        }
        let mut path = vec![first];
        let mut cur = closing.unwrap_or(first);
        while cur != first {
            path.push(cur);
            cur = prev.get(&cur).copied().unwrap_or(first);
        }
        path[1..].reverse();
        path.push(first);
        let text: Vec<&str> = path.iter().map(|&i| objects[i].id.as_str()).collect();
        c.push(
            objects[first].pointer.clone(),
            format!(
                "expected no dependency cycle, found {}; remove one of these references",
                text.join(" → ")
            ),
        );
    }
}

/// The object a reference points at, if it is in this module.
pub(crate) fn target_of(parts: &[String], index: &HashMap<&str, usize>) -> Option<usize> {
    let key = match parts {
        [a, b, ..] if a == "local" || a == "module" => [a.as_str(), ".", b].concat(),
        [a, t, n, ..] if a == "data" => ["data.", t, ".", n].concat(),
        [t, n, ..] => [t.as_str(), ".", n].concat(),
        _ => return None,
    };
    index.get(key.as_str()).copied()
}
