//! Checks the types cannot express: references between parts of the
//! template, intrinsic-function shapes, logical ids and type names, cycles,
//! and CloudFormation's quotas. Every violation is located by a JSON pointer
//! into the spec and names the closest valid name where there is one.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io;

use crate::intrinsic::{self, FUNCTIONS, PSEUDO_PARAMETERS, long_name, looks_like_function};
use crate::json::{Json, Named};
use crate::names;
use crate::spec::{Spec, Upload};
use kiln_plugin_sdk::Violation;
use kiln_plugin_sdk::suggest::closest;

/// Most resources in one stack.
pub const MAX_RESOURCES: usize = 500;
/// Most parameters in one template.
pub const MAX_PARAMETERS: usize = 200;
/// Most outputs in one template.
pub const MAX_OUTPUTS: usize = 200;
/// Most mappings in one template.
pub const MAX_MAPPINGS: usize = 200;
/// Largest template body passed inline (`--template-body`), in bytes.
pub const MAX_BODY_DIRECT: usize = 51_200;
/// Largest template uploaded to S3 (`--template-url`), in bytes.
pub const MAX_BODY_S3: usize = 1_000_000;
/// Longest template description, in bytes.
pub const MAX_DESCRIPTION: usize = 1024;

/// Every violation in the spec, in spec order within each check.
pub fn validate(spec: &Spec) -> Vec<Violation> {
    let mut c = Checker::new(spec);
    c.sections();
    c.parameters();
    c.mappings();
    c.conditions();
    c.rules();
    c.resources();
    c.outputs();
    c.cycles();
    c.quotas();
    c.out
}

use kiln_plugin_sdk::pointer::escape;

/// Where a value sits, which decides what it may refer to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// In resource number `n`: references to resources are dependencies.
    Resource(usize),
    /// In an output or template metadata.
    Output,
    /// In a condition: only parameters, and other conditions.
    Condition,
    /// In a rule: only parameters.
    Rule,
}

struct Checker<'s> {
    spec: &'s Spec,
    out: Vec<Violation>,
    resources: HashMap<&'s str, usize>,
    conditions: HashMap<&'s str, usize>,
    /// Dependencies between resources: (target, pointer of the reference).
    edges: Vec<Vec<(usize, String)>>,
    condition_edges: Vec<Vec<(usize, String)>>,
    /// The condition whose definition is being walked.
    current_condition: Option<usize>,
}

impl<'s> Checker<'s> {
    fn new(spec: &'s Spec) -> Self {
        let index = |names: Vec<&'s str>| {
            let mut m = HashMap::new();
            for (i, n) in names.into_iter().enumerate() {
                m.entry(n).or_insert(i);
            }
            m
        };
        Checker {
            spec,
            out: Vec::new(),
            resources: index(spec.resources.names().collect()),
            conditions: index(spec.conditions.names().collect()),
            edges: vec![Vec::new(); spec.resources.len()],
            condition_edges: vec![Vec::new(); spec.conditions.len()],
            current_condition: None,
        }
    }

    fn push(&mut self, pointer: impl Into<String>, message: impl Into<String>) {
        self.out.push(Violation::new(pointer, message));
    }

    fn sections(&mut self) {
        if let Some(d) = &self.spec.description
            && d.len() > MAX_DESCRIPTION
        {
            self.push(
                    "/description",
                    format!(
                        "expected a description of at most {MAX_DESCRIPTION} bytes, found {} bytes; shorten it",
                        d.len()
                    ),
                );
        }
        if let Some(t) = &self.spec.transform {
            let many = matches!(t, crate::spec::Transform::Many(_));
            for (i, name) in t.names().into_iter().enumerate() {
                if !names::TRANSFORMS.contains(&name) {
                    let ptr = if many { format!("/transform/{i}") } else { "/transform".into() };
                    let mut m = format!(
                        "expected a CloudFormation transform ({}), found `{name}`",
                        names::TRANSFORMS.join(", ")
                    );
                    if let Some(s) = closest(name, names::TRANSFORMS.iter().copied()) {
                        m.push_str(&format!("; did you mean `{s}`?"));
                    }
                    self.push(ptr, m);
                }
            }
        }
        if self.spec.resources.is_empty() {
            self.push(
                "/resources",
                "expected at least one resource, found none; a stack needs one, e.g. {\"Bucket\": {\"type\": \"AWS::S3::Bucket\"}}",
            );
        }
        if let Some(m) = &self.spec.metadata {
            self.walk(m, "/metadata", Place::Output, &[]);
        }
    }

    /// Logical ids: well formed and unique within their section.
    fn ids<T>(&mut self, section: &str, what: &str, items: &Named<T>) {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, (id, _)) in items.0.iter().enumerate() {
            // Built only for a violation: most ids have none.
            let ptr = || format!("/{section}/{}", escape(id));
            if !names::is_logical_id(id) {
                let mut m = format!(
                    "expected a logical id of 1 to 255 ASCII letters and digits, found `{id}`"
                );
                if let Some(s) = names::logical_id_from(id) {
                    m.push_str(&format!("; did you mean `{s}`?"));
                }
                self.push(ptr(), m);
            }
            if let Some(first) = seen.insert(id.as_str(), i) {
                self.push(
                    ptr(),
                    format!(
                        "duplicate {what} `{id}`: it is already {what} number {} in this object; each name must be unique, e.g. rename this one `{id}2`",
                        first + 1
                    ),
                );
            }
        }
    }

    fn parameters(&mut self) {
        let spec = self.spec;
        self.ids("parameters", "parameter", &spec.parameters);
        for (id, p) in spec.parameters.iter() {
            let ptr = format!("/parameters/{}", escape(id));
            if !names::is_parameter_type(&p.kind) {
                let all = names::parameter_types();
                let mut m = format!(
                    "expected a parameter type such as String, Number, CommaDelimitedList, AWS::EC2::VPC::Id or List<AWS::EC2::Subnet::Id>, found `{}`",
                    p.kind
                );
                if let Some(s) = closest(&p.kind, all.iter().map(String::as_str)) {
                    m.push_str(&format!("; did you mean `{s}`?"));
                }
                self.push(format!("{ptr}/type"), m);
            }
            if let (Some(lo), Some(hi)) = (p.min_length, p.max_length)
                && lo > hi
            {
                self.push(
                    format!("{ptr}/min_length"),
                    format!("expected min_length ≤ max_length, found {lo} > {hi}"),
                );
            }
            if let (Some(lo), Some(hi)) = (&p.min_value, &p.max_value)
                && lo.as_f64() > hi.as_f64()
            {
                self.push(
                    format!("{ptr}/min_value"),
                    format!("expected min_value ≤ max_value, found {lo} > {hi}"),
                );
            }
            if p.kind != "String"
                && (p.min_length.is_some() || p.max_length.is_some() || p.allowed_pattern.is_some())
            {
                let field = if p.allowed_pattern.is_some() {
                    "allowed_pattern"
                } else if p.min_length.is_some() {
                    "min_length"
                } else {
                    "max_length"
                };
                self.push(
                    format!("{ptr}/{field}"),
                    format!("{field} applies to String parameters only, this one is `{}`; remove it or make the type String", p.kind),
                );
            }
            if p.kind != "Number" && (p.min_value.is_some() || p.max_value.is_some()) {
                let field = if p.min_value.is_some() { "min_value" } else { "max_value" };
                self.push(
                    format!("{ptr}/{field}"),
                    format!("{field} applies to Number parameters only, this one is `{}`; remove it or make the type Number", p.kind),
                );
            }
            for (field, v) in [("default", &p.default), ("value", &p.value)] {
                let Some(v) = v else { continue };
                if !matches!(v, Json::String(_) | Json::Number(_)) {
                    self.push(
                        format!("{ptr}/{field}"),
                        format!(
                            "expected a string or a number (lists as one comma-separated string, e.g. \"a,b\"), found {}",
                            v.kind()
                        ),
                    );
                    continue;
                }
                if p.kind == "Number" {
                    let ok = match v {
                        Json::Number(_) => true,
                        Json::String(s) => s.trim().parse::<f64>().is_ok(),
                        _ => false,
                    };
                    if !ok {
                        self.push(
                            format!("{ptr}/{field}"),
                            format!("expected a number for a Number parameter, found {}", show(v)),
                        );
                    }
                }
                if let Some(allowed) = &p.allowed_values
                    && !names::is_list_parameter(&p.kind)
                    && !allowed.iter().any(|a| same_scalar(a, v))
                {
                    let shown: Vec<String> = allowed.iter().map(show).collect();
                    let mut m = format!(
                        "expected one of the allowed_values ({}), found {}",
                        shown.join(", "),
                        show(v)
                    );
                    if let Some(s) =
                        v.as_str().and_then(|s| closest(s, allowed.iter().filter_map(Json::as_str)))
                    {
                        m.push_str(&format!("; did you mean `{s}`?"));
                    }
                    self.push(format!("{ptr}/{field}"), m);
                }
            }
        }
        for (id, _) in spec.resources.iter() {
            if spec.parameters.contains(id) {
                self.push(
                    format!("/resources/{}", escape(id)),
                    format!("duplicate logical id `{id}`: a parameter already has it, and parameters and resources share one namespace; rename one, e.g. `{id}Resource`"),
                );
            }
        }
    }

    fn mappings(&mut self) {
        let spec = self.spec;
        self.ids("mappings", "mapping", &spec.mappings);
        for (name, top) in spec.mappings.iter() {
            if top.is_empty() {
                self.push(
                    format!("/mappings/{}", escape(name)),
                    "expected at least one top-level key, found an empty mapping",
                );
            }
            for (k, second) in top.iter() {
                let ptr = format!("/mappings/{}/{}", escape(name), escape(k));
                if second.is_empty() {
                    self.push(
                        ptr.clone(),
                        "expected at least one second-level key, found an empty object",
                    );
                }
                for (k2, v) in second.iter() {
                    if !is_mapping_value(v) {
                        self.push(
                            format!("{ptr}/{}", escape(k2)),
                            format!("expected a literal string, number or list of them (mappings cannot hold intrinsic functions or objects), found {}", v.kind()),
                        );
                    }
                }
            }
        }
    }

    fn conditions(&mut self) {
        let spec = self.spec;
        self.ids("conditions", "condition", &spec.conditions);
        for (i, (name, c)) in spec.conditions.0.iter().enumerate() {
            let ptr = format!("/conditions/{}", escape(name));
            self.current_condition = Some(i);
            self.walk(c, &ptr, Place::Condition, &[]);
            self.current_condition = None;
        }
    }

    fn rules(&mut self) {
        let spec = self.spec;
        self.ids("rules", "rule", &spec.rules);
        for (name, r) in spec.rules.iter() {
            let ptr = format!("/rules/{}", escape(name));
            if let Some(c) = &r.rule_condition {
                self.walk(c, &format!("{ptr}/rule_condition"), Place::Rule, &[]);
            }
            if r.assertions.is_empty() {
                self.push(
                    format!("{ptr}/assertions"),
                    "expected at least one assertion, found none",
                );
            }
            for (i, a) in r.assertions.iter().enumerate() {
                self.walk(&a.assert, &format!("{ptr}/assertions/{i}/assert"), Place::Rule, &[]);
            }
        }
    }

    fn resources(&mut self) {
        let spec = self.spec;
        self.ids("resources", "resource", &spec.resources);
        let sam =
            spec.transform.as_ref().is_some_and(|t| t.names().contains(&names::SAM_TRANSFORM));
        for (i, (id, r)) in spec.resources.0.iter().enumerate() {
            let ptr = format!("/resources/{}", escape(id));
            if !names::is_resource_type(&r.kind) {
                let mut m = format!(
                    "expected a resource type of the form AWS::Service::Type (e.g. AWS::S3::Bucket) or Custom::Name, found `{}`",
                    r.kind
                );
                if let Some(s) = closest(&r.kind, names::RESOURCE_TYPES.iter().copied()) {
                    m.push_str(&format!("; did you mean `{s}`?"));
                }
                self.push(format!("{ptr}/type"), m);
            } else if r.kind.starts_with("AWS::Serverless::") && !sam {
                self.push(
                    format!("{ptr}/type"),
                    format!("`{}` is a SAM resource type, which needs the transform; add \"transform\": \"{}\" to the spec", r.kind, names::SAM_TRANSFORM),
                );
            }
            if let Some(p) = &r.properties {
                if matches!(p, Json::Object(_)) {
                    self.walk(p, &format!("{ptr}/properties"), Place::Resource(i), &[]);
                } else {
                    self.push(
                        format!("{ptr}/properties"),
                        format!(
                            "expected an object of property names and values, found {}",
                            p.kind()
                        ),
                    );
                }
            }
            for (field, v) in [
                ("metadata", &r.metadata),
                ("creation_policy", &r.creation_policy),
                ("update_policy", &r.update_policy),
            ] {
                if let Some(v) = v {
                    self.walk(v, &format!("{ptr}/{field}"), Place::Resource(i), &[]);
                }
            }
            if let Some(d) = &r.depends_on {
                let many = matches!(d, crate::spec::OneOrMany::Many(_));
                for (j, target) in d.items().into_iter().enumerate() {
                    let dptr = if many {
                        format!("{ptr}/depends_on/{j}")
                    } else {
                        format!("{ptr}/depends_on")
                    };
                    if target == id {
                        self.push(dptr, format!("a resource cannot depend on itself, found `{id}` in its own depends_on; remove it"));
                    } else if let Some(&t) = self.resources.get(target) {
                        self.edges[i].push((t, dptr));
                    } else {
                        let m = self.missing("resource", target, spec.resources.names());
                        self.push(dptr, format!("depends_on names {m}"));
                    }
                }
            }
            if let Some(c) = &r.condition {
                self.condition_ref(c, &format!("{ptr}/condition"));
            }
        }
    }

    fn outputs(&mut self) {
        let spec = self.spec;
        self.ids("outputs", "output", &spec.outputs);
        let mut exports: HashMap<String, &str> = HashMap::new();
        for (id, o) in spec.outputs.iter() {
            let ptr = format!("/outputs/{}", escape(id));
            self.walk(&o.value, &format!("{ptr}/value"), Place::Output, &[]);
            if let Some(e) = &o.export {
                self.walk(e, &format!("{ptr}/export"), Place::Output, &[]);
                let name = e.as_str().or_else(|| e.get("Name").and_then(Json::as_str));
                if let Some(name) = name
                    && let Some(first) = exports.insert(name.to_string(), id)
                {
                    self.push(format!("{ptr}/export"), format!("export name `{name}` is already used by output `{first}`; export names must be unique in a region, e.g. prefix it with the stack name: {{\"Fn::Sub\": \"${{AWS::StackName}}-{id}\"}}"));
                }
            }
            if let Some(c) = &o.condition {
                self.condition_ref(c, &format!("{ptr}/condition"));
            }
        }
    }

    fn quotas(&mut self) {
        let spec = self.spec;
        for (ptr, n, max, what) in [
            ("/resources", spec.resources.len(), MAX_RESOURCES, "resources"),
            ("/parameters", spec.parameters.len(), MAX_PARAMETERS, "parameters"),
            ("/outputs", spec.outputs.len(), MAX_OUTPUTS, "outputs"),
            ("/mappings", spec.mappings.len(), MAX_MAPPINGS, "mappings"),
        ] {
            if n > max {
                self.push(ptr, format!("expected at most {max} {what} (CloudFormation's quota for one template), found {n}; split the stack into nested stacks (AWS::CloudFormation::Stack) or separate stacks linked by exports"));
            }
        }
        let (limit, how) = match spec.options.upload {
            Upload::Direct => (MAX_BODY_DIRECT, "passed inline with --template-body"),
            Upload::S3 => (MAX_BODY_S3, "uploaded to S3"),
        };
        if crate::size::bound(spec) <= limit {
            return;
        }
        let size = crate::template_size(spec);
        if size > limit {
            let advice = match spec.options.upload {
                Upload::Direct => {
                    "upload it to S3 and deploy with --template-url (set options.upload to \"s3\", up to 1,000,000 bytes), or split it into nested stacks (AWS::CloudFormation::Stack)"
                }
                Upload::S3 => "split it into nested stacks (AWS::CloudFormation::Stack)",
            };
            self.push(
                "",
                format!("the template is {size} bytes, over CloudFormation's {limit}-byte limit for a template {how}; {advice}"),
            );
        }
    }

    /// Walks a value for intrinsic function calls.
    fn walk(&mut self, v: &Json, ptr: &str, place: Place, locals: &[&str]) {
        // One pointer buffer for the whole walk: segments are pushed and
        // popped rather than formatted into a new string per node.
        let mut buf = String::with_capacity(ptr.len() + 64);
        buf.push_str(ptr);
        self.walk_in(v, &mut buf, place, locals);
    }

    fn walk_in(&mut self, v: &Json, ptr: &mut String, place: Place, locals: &[&str]) {
        match v {
            Json::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let len = ptr.len();
                    let _ = write!(ptr, "/{i}");
                    self.walk_in(item, ptr, place, locals);
                    ptr.truncate(len);
                }
            }
            Json::Object(entries) => {
                if let Some((k, arg)) = v.single() {
                    match long_name(k) {
                        Some("Condition") if !matches!(place, Place::Condition | Place::Rule) => {}
                        Some(name) => {
                            let len = ptr.len();
                            ptr.push('/');
                            ptr.push_str(&escape(k));
                            self.call(name, arg, ptr, place, locals);
                            return ptr.truncate(len);
                        }
                        None if looks_like_function(k) => {
                            let fptr = format!("{ptr}/{}", escape(k));
                            let bare = k.trim_start_matches('!');
                            let bare = bare.strip_prefix("Fn::").unwrap_or(bare);
                            let mut m = format!("unknown intrinsic function `{k}`");
                            if let Some(s) = closest(
                                bare,
                                FUNCTIONS.iter().map(|f| f.strip_prefix("Fn::").unwrap_or(f)),
                            ) {
                                let long =
                                    FUNCTIONS.iter().find(|f| f.ends_with(s)).copied().unwrap_or(s);
                                m.push_str(&format!("; did you mean `{long}`?"));
                            } else {
                                m.push_str(&format!("; expected one of {}", FUNCTIONS.join(", ")));
                            }
                            self.push(fptr.clone(), m);
                            return self.walk(arg, &fptr, place, locals);
                        }
                        None => {}
                    }
                } else if entries.len() > 1
                    && let Some((k, _)) =
                        entries.iter().find(|(k, _)| long_name(k).is_some_and(|n| n != "Condition"))
                {
                    self.push(
                            format!("{ptr}/{}", escape(k)),
                            format!("an intrinsic function must be the only key of its object, found `{k}` beside {} other keys; wrap it in its own object", entries.len() - 1),
                        );
                }
                for (k, item) in entries {
                    if !matches!(item, Json::Array(_) | Json::Object(_)) {
                        continue;
                    }
                    let len = ptr.len();
                    ptr.push('/');
                    if k.contains(['~', '/']) {
                        ptr.push_str(&escape(k));
                    } else {
                        ptr.push_str(k);
                    }
                    self.walk_in(item, ptr, place, locals);
                    ptr.truncate(len);
                }
            }
            _ => {}
        }
    }

    fn shape(&mut self, ptr: &str, name: &str, expected: &str, found: &Json) {
        self.push(ptr, format!("{name} expects {expected}, found {}", show_short(found)));
    }

    fn call(&mut self, name: &str, arg: &Json, ptr: &str, place: Place, locals: &[&str]) {
        match name {
            "Ref" => match arg {
                Json::String(target) => self.reference(target, ptr, place, locals, "Ref"),
                other => self.shape(
                    ptr,
                    "Ref",
                    "a logical id or pseudo parameter name as a string",
                    other,
                ),
            },
            "Fn::GetAtt" => {
                let parts: Option<(&str, Option<&Json>)> = match arg {
                    Json::String(s) => s.split_once('.').map(|(r, _)| (r, None)),
                    Json::Array(a) if a.len() == 2 => a[0].as_str().map(|r| (r, Some(&a[1]))),
                    _ => None,
                };
                match parts {
                    Some((res, attr)) => {
                        if let Some(attr) = attr
                            && !matches!(attr, Json::String(_))
                        {
                            self.walk(attr, &format!("{ptr}/1"), place, locals);
                        }
                        let rptr = if matches!(arg, Json::Array(_)) {
                            format!("{ptr}/0")
                        } else {
                            ptr.to_string()
                        };
                        self.attribute_of(res, &rptr, place);
                    }
                    None => self.shape(
                        ptr,
                        "Fn::GetAtt",
                        "[\"LogicalId\", \"Attribute\"] or \"LogicalId.Attribute\"",
                        arg,
                    ),
                }
            }
            "Fn::Sub" => {
                let (text, tptr, vars) = match arg {
                    Json::String(s) => (s.as_str(), ptr.to_string(), None),
                    Json::Array(a)
                        if a.len() == 2
                            && a[0].as_str().is_some()
                            && matches!(a[1], Json::Object(_)) =>
                    {
                        (a[0].as_str().unwrap_or_default(), format!("{ptr}/0"), a[1].as_object())
                    }
                    other => {
                        return self.shape(
                            ptr,
                            "Fn::Sub",
                            "a string or [\"string with ${Name}\", {\"Name\": value}]",
                            other,
                        );
                    }
                };
                let mut names: Vec<&str> = locals.to_vec();
                if let Some(vars) = vars {
                    for (k, v) in vars {
                        self.walk(v, &format!("{ptr}/1/{}", escape(k)), place, locals);
                        names.push(k);
                    }
                }
                match intrinsic::placeholders(text) {
                    Ok(found) => {
                        for p in found {
                            if names.contains(&p.name.as_str()) {
                                continue;
                            }
                            match p.name.split_once('.') {
                                Some((res, _)) => self.attribute_of(res, &tptr, place),
                                None => self.reference(&p.name, &tptr, place, &names, "Fn::Sub placeholder"),
                            }
                        }
                    }
                    Err(e) => self.push(tptr, format!("Fn::Sub: {e}; write `${{Name}}`, or `${{!Literal}}` for a literal `${{`")),
                }
            }
            "Fn::If" => match arg.as_array() {
                Some([c, a, b]) => {
                    match c {
                        Json::String(c) => self.condition_ref(c, &format!("{ptr}/0")),
                        other => self.shape(
                            &format!("{ptr}/0"),
                            "Fn::If",
                            "a condition name as its first item",
                            other,
                        ),
                    }
                    self.walk(a, &format!("{ptr}/1"), place, locals);
                    self.walk(b, &format!("{ptr}/2"), place, locals);
                }
                _ => self.shape(
                    ptr,
                    "Fn::If",
                    "[\"ConditionName\", value if true, value if false]",
                    arg,
                ),
            },
            "Condition" => match arg {
                Json::String(c) => {
                    self.condition_ref(c, ptr);
                    if let (Some(from), Some(&to)) =
                        (self.current_condition, self.conditions.get(c.as_str()))
                    {
                        self.condition_edges[from].push((to, ptr.to_string()));
                    }
                }
                other => self.shape(ptr, "Condition", "a condition name as a string", other),
            },
            "Fn::And" | "Fn::Or" => match arg.as_array() {
                Some(items) if (2..=10).contains(&items.len()) => {
                    self.walk(arg, ptr, place, locals)
                }
                _ => self.shape(ptr, name, "a list of 2 to 10 conditions", arg),
            },
            "Fn::Not" => match arg.as_array() {
                Some([_]) => self.walk(arg, ptr, place, locals),
                _ => self.shape(ptr, name, "a list of exactly one condition", arg),
            },
            "Fn::Equals" => self.items(name, arg, ptr, place, locals, 2, 2, "[value, value]"),
            "Fn::Join" => match arg.as_array() {
                Some([Json::String(_), list])
                    if !matches!(list, Json::String(_) | Json::Number(_)) =>
                {
                    self.walk(list, &format!("{ptr}/1"), place, locals)
                }
                _ => self.shape(ptr, name, "[\"delimiter\", [values]]", arg),
            },
            "Fn::Select" => match arg.as_array() {
                Some([i, list]) => {
                    self.walk(i, &format!("{ptr}/0"), place, locals);
                    self.walk(list, &format!("{ptr}/1"), place, locals);
                    if let (Some(idx), Some(items)) = (index_of(i), list.as_array())
                        && idx >= items.len()
                    {
                        self.push(
                            format!("{ptr}/0"),
                            format!(
                                "Fn::Select index {idx} is past the end of its {}-item list",
                                items.len()
                            ),
                        );
                    }
                }
                _ => self.shape(ptr, name, "[index, [values]]", arg),
            },
            "Fn::Split" => match arg.as_array() {
                Some([Json::String(_), source]) => {
                    self.walk(source, &format!("{ptr}/1"), place, locals)
                }
                _ => self.shape(ptr, name, "[\"delimiter\", \"string to split\"]", arg),
            },
            "Fn::FindInMap" => match arg.as_array() {
                Some(items) if items.len() == 3 || items.len() == 4 => {
                    self.walk(arg, ptr, place, locals);
                    self.find_in_map(items, ptr);
                }
                _ => {
                    self.shape(ptr, name, "[\"MapName\", \"TopLevelKey\", \"SecondLevelKey\"]", arg)
                }
            },
            "Fn::Cidr" => {
                self.items(name, arg, ptr, place, locals, 3, 3, "[ipBlock, count, cidrBits]")
            }
            "Fn::GetAZs" => match arg {
                Json::String(_) => {}
                Json::Object(_) => self.walk(arg, ptr, place, locals),
                other => self.shape(
                    ptr,
                    name,
                    "a region name, \"\" for the stack's region, or {\"Ref\": \"AWS::Region\"}",
                    other,
                ),
            },
            _ => self.walk(arg, ptr, place, locals),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn items(
        &mut self,
        name: &str,
        arg: &Json,
        ptr: &str,
        place: Place,
        locals: &[&str],
        min: usize,
        max: usize,
        expected: &str,
    ) {
        match arg.as_array() {
            Some(items) if (min..=max).contains(&items.len()) => self.walk(arg, ptr, place, locals),
            _ => self.shape(ptr, name, expected, arg),
        }
    }

    /// A `Ref` or `${Name}`: a parameter, a resource or a pseudo parameter.
    fn reference(&mut self, target: &str, ptr: &str, place: Place, locals: &[&str], what: &str) {
        let spec = self.spec;
        if PSEUDO_PARAMETERS.contains(&target)
            || spec.parameters.contains(target)
            || locals.contains(&target)
        {
            return;
        }
        if let Some(&t) = self.resources.get(target) {
            match place {
                Place::Condition | Place::Rule => {
                    let section = if place == Place::Condition { "conditions" } else { "rules" };
                    self.push(ptr, format!("{section} can refer only to parameters and pseudo parameters, found resource `{target}`; add a parameter instead"));
                }
                Place::Resource(from) => self.edges[from].push((t, ptr.to_string())),
                Place::Output => {}
            }
            return;
        }
        let candidates: Vec<&str> = match place {
            Place::Condition | Place::Rule => {
                spec.parameters.names().chain(PSEUDO_PARAMETERS.iter().copied()).collect()
            }
            _ => spec
                .parameters
                .names()
                .chain(spec.resources.names())
                .chain(locals.iter().copied())
                .chain(PSEUDO_PARAMETERS.iter().copied())
                .collect(),
        };
        let mut m = format!(
            "{what} target `{target}` is not a parameter, resource or pseudo parameter of this template"
        );
        if spec.conditions.contains(target) {
            m.push_str(&format!("; `{target}` is a condition: use {{\"Condition\": \"{target}\"}} inside a condition, or {{\"Fn::If\": [\"{target}\", yes, no]}} for a value"));
        } else if let Some(s) = closest(target, candidates.iter().copied()) {
            m.push_str(&format!("; did you mean `{s}`?"));
        } else if !candidates.is_empty() {
            let shown: Vec<&str> = candidates.iter().copied().take(12).collect();
            m.push_str(&format!("; expected one of {}", shown.join(", ")));
        }
        self.push(ptr, m);
    }

    /// The resource of a `Fn::GetAtt` or `${Res.Attr}`.
    fn attribute_of(&mut self, res: &str, ptr: &str, place: Place) {
        let spec = self.spec;
        if let Some(&t) = self.resources.get(res) {
            match place {
                Place::Condition | Place::Rule => self.push(
                    ptr,
                    format!("conditions and rules cannot read resource attributes, found `{res}`"),
                ),
                Place::Resource(from) => self.edges[from].push((t, ptr.to_string())),
                Place::Output => {}
            }
            return;
        }
        let mut m = format!("Fn::GetAtt names `{res}`, which is not a resource of this template");
        if spec.parameters.contains(res) {
            m.push_str(&format!("; `{res}` is a parameter: use {{\"Ref\": \"{res}\"}}"));
        } else if let Some(s) = closest(res, spec.resources.names()) {
            m.push_str(&format!("; did you mean `{s}`?"));
        }
        self.push(ptr, m);
    }

    fn condition_ref(&mut self, name: &str, ptr: &str) {
        if self.conditions.contains_key(name) {
            return;
        }
        let m = self.missing("condition", name, self.spec.conditions.names());
        self.push(ptr, m);
    }

    /// "resource `X`, which does not exist; did you mean `Y`?"
    fn missing<'a>(
        &self,
        what: &str,
        name: &str,
        candidates: impl Iterator<Item = &'a str> + Clone,
    ) -> String {
        let mut m = format!("{what} `{name}`, which this template does not define");
        if let Some(s) = closest(name, candidates.clone()) {
            m.push_str(&format!("; did you mean `{s}`?"));
        } else {
            let all: Vec<&str> = candidates.take(12).collect();
            if all.is_empty() {
                m.push_str(&format!("; the template has no {what}s"));
            } else {
                m.push_str(&format!("; expected one of {}", all.join(", ")));
            }
        }
        m
    }

    fn find_in_map(&mut self, items: &[Json], ptr: &str) {
        let spec = self.spec;
        let Some(map_name) = items[0].as_str() else {
            return;
        };
        let Some(map) = spec.mappings.get(map_name) else {
            let m = self.missing("mapping", map_name, spec.mappings.names());
            return self.push(format!("{ptr}/0"), format!("Fn::FindInMap names {m}"));
        };
        let Some(top) = items[1].as_str() else { return };
        let Some(second) = map.get(top) else {
            if items.len() == 4 {
                return; // a default value covers missing keys
            }
            let m = self.missing("top-level key", top, map.names());
            return self.push(format!("{ptr}/1"), format!("mapping `{map_name}` has no {m}"));
        };
        let Some(key) = items[2].as_str() else { return };
        if !second.contains(key) && items.len() == 3 {
            let m = self.missing("second-level key", key, second.names());
            self.push(format!("{ptr}/2"), format!("mapping `{map_name}`/`{top}` has no {m}"));
        }
    }

    fn cycles(&mut self) {
        let spec = self.spec;
        let names: Vec<&str> = spec.resources.names().collect();
        for (ptr, path) in find_cycles(&self.edges) {
            let path: Vec<&str> = path.iter().map(|&i| names[i]).collect();
            self.push(ptr, format!("resources depend on each other in a cycle: {}; CloudFormation cannot order them, so remove one reference or DependsOn (e.g. move a security group rule into its own AWS::EC2::SecurityGroupIngress resource)", path.join(" → ")));
        }
        let names: Vec<&str> = spec.conditions.names().collect();
        for (ptr, path) in find_cycles(&self.condition_edges) {
            let path: Vec<&str> = path.iter().map(|&i| names[i]).collect();
            self.push(
                ptr,
                format!(
                    "conditions refer to each other in a cycle: {}; remove one of the references",
                    path.join(" → ")
                ),
            );
        }
    }
}

/// Each back edge of a depth-first search, as (pointer of the reference
/// closing the cycle, the cycle's nodes from its start back to it).
fn find_cycles(edges: &[Vec<(usize, String)>]) -> Vec<(String, Vec<usize>)> {
    #[derive(Clone, Copy, PartialEq)]
    enum Color {
        White,
        Gray,
        Black,
    }
    let n = edges.len();
    let mut color = vec![Color::White; n];
    let mut found = Vec::new();
    let mut reported: HashSet<Vec<usize>> = HashSet::new();
    for root in 0..n {
        if color[root] != Color::White {
            continue;
        }
        // (node, next edge index)
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        color[root] = Color::Gray;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some((to, ptr)) = edges[node].get(*next) {
                *next += 1;
                let to = *to;
                match color[to] {
                    Color::White => {
                        color[to] = Color::Gray;
                        stack.push((to, 0));
                    }
                    Color::Gray => {
                        let start = stack.iter().position(|&(v, _)| v == to).unwrap_or(0);
                        let mut path: Vec<usize> = stack[start..].iter().map(|&(v, _)| v).collect();
                        let mut key = path.clone();
                        key.sort_unstable();
                        path.push(to);
                        if reported.insert(key) {
                            found.push((ptr.clone(), path));
                        }
                    }
                    Color::Black => {}
                }
            } else {
                color[node] = Color::Black;
                stack.pop();
            }
        }
    }
    found
}

fn is_mapping_value(v: &Json) -> bool {
    match v {
        Json::String(_) | Json::Number(_) | Json::Bool(_) => true,
        Json::Array(items) => items.iter().all(|i| matches!(i, Json::String(_) | Json::Number(_))),
        _ => false,
    }
}

fn index_of(v: &Json) -> Option<usize> {
    match v {
        Json::Number(n) => n.as_u64().map(|n| n as usize),
        Json::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn same_scalar(a: &Json, b: &Json) -> bool {
    scalar_text(a) == scalar_text(b)
}

fn scalar_text(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn show(v: &Json) -> String {
    match v {
        Json::String(s) => format!("\"{s}\""),
        other => scalar_text(other).unwrap_or_else(|| other.kind().to_string()),
    }
}

/// A value for a message, cut short.
fn show_short(v: &Json) -> String {
    let mut s = serde_json::to_string(v).unwrap_or_default();
    if s.len() > 80 {
        let mut cut = 77;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("...");
    }
    s
}

/// Counts bytes without keeping them.
pub(crate) struct Counter(pub usize);

impl io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
