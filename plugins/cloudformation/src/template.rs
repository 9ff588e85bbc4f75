//! The spec as a CloudFormation template: one canonical value (long-form
//! intrinsics, CloudFormation's section and attribute names, a fixed
//! section order) that template.yaml and template.json are both written
//! from.

use crate::intrinsic::normalize;
use crate::json::{Json, Named};
use crate::spec::{Output, Parameter, Resource, Rule, Spec, Transform};

/// The only template format version CloudFormation has.
pub const FORMAT_VERSION: &str = "2010-09-09";

/// The template, sections in the order AWSTemplateFormatVersion,
/// Description, Transform, Metadata, Parameters, Mappings, Conditions, Rules,
/// Resources, Outputs; empty sections are left out.
pub fn template(spec: &Spec) -> Json {
    let mut t = Vec::new();
    t.push(("AWSTemplateFormatVersion".into(), Json::str(FORMAT_VERSION)));
    if let Some(d) = &spec.description {
        t.push(("Description".into(), Json::str(d)));
    }
    if let Some(tr) = &spec.transform {
        let v = match tr {
            Transform::One(s) => Json::str(s),
            Transform::Many(v) => Json::Array(v.iter().map(Json::str).collect()),
        };
        t.push(("Transform".into(), v));
    }
    if let Some(m) = &spec.metadata {
        t.push(("Metadata".into(), normalize(m)));
    }
    section(&mut t, "Parameters", &spec.parameters, parameter);
    if !spec.mappings.is_empty() {
        let maps = spec
            .mappings
            .iter()
            .map(|(name, top)| {
                let top = top
                    .iter()
                    .map(|(k, second)| {
                        let second =
                            second.iter().map(|(k2, v)| (k2.to_string(), normalize(v))).collect();
                        (k.to_string(), Json::Object(second))
                    })
                    .collect();
                (name.to_string(), Json::Object(top))
            })
            .collect();
        t.push(("Mappings".into(), Json::Object(maps)));
    }
    section(&mut t, "Conditions", &spec.conditions, normalize);
    section(&mut t, "Rules", &spec.rules, rule);
    section(&mut t, "Resources", &spec.resources, resource);
    section(&mut t, "Outputs", &spec.outputs, output);
    Json::Object(t)
}

fn section<T>(t: &mut Vec<(String, Json)>, name: &str, items: &Named<T>, f: fn(&T) -> Json) {
    if items.is_empty() {
        return;
    }
    let v = items.iter().map(|(k, v)| (k.to_string(), f(v))).collect();
    t.push((name.to_string(), Json::Object(v)));
}

struct Obj(Vec<(String, Json)>);

impl Obj {
    fn put(&mut self, key: &str, v: Option<Json>) {
        if let Some(v) = v {
            self.0.push((key.to_string(), v));
        }
    }
}

fn parameter(p: &Parameter) -> Json {
    let mut o = Obj(Vec::new());
    o.put("Type", Some(Json::str(&p.kind)));
    o.put("Description", p.description.as_deref().map(Json::str));
    o.put("Default", p.default.clone());
    o.put("AllowedValues", p.allowed_values.as_ref().map(|v| Json::Array(v.clone())));
    o.put("AllowedPattern", p.allowed_pattern.as_deref().map(Json::str));
    o.put("MinLength", p.min_length.map(|n| Json::Number(n.into())));
    o.put("MaxLength", p.max_length.map(|n| Json::Number(n.into())));
    o.put("MinValue", p.min_value.clone().map(Json::Number));
    o.put("MaxValue", p.max_value.clone().map(Json::Number));
    o.put("ConstraintDescription", p.constraint_description.as_deref().map(Json::str));
    o.put("NoEcho", p.no_echo.then_some(Json::Bool(true)));
    Json::Object(o.0)
}

fn rule(r: &Rule) -> Json {
    let mut o = Obj(Vec::new());
    o.put("RuleCondition", r.rule_condition.as_ref().map(normalize));
    let assertions = r
        .assertions
        .iter()
        .map(|a| {
            let mut ao = Obj(Vec::new());
            ao.put("Assert", Some(normalize(&a.assert)));
            ao.put("AssertDescription", a.assert_description.as_deref().map(Json::str));
            Json::Object(ao.0)
        })
        .collect();
    o.put("Assertions", Some(Json::Array(assertions)));
    Json::Object(o.0)
}

fn resource(r: &Resource) -> Json {
    let mut o = Obj(Vec::new());
    o.put("Type", Some(Json::str(&r.kind)));
    o.put("Condition", r.condition.as_deref().map(Json::str));
    o.put(
        "DependsOn",
        r.depends_on.as_ref().map(|d| match d.items().as_slice() {
            [one] => Json::str(*one),
            many => Json::Array(many.iter().map(|s| Json::str(*s)).collect()),
        }),
    );
    o.put("DeletionPolicy", r.deletion_policy.map(|p| Json::str(p.name())));
    o.put("UpdateReplacePolicy", r.update_replace_policy.map(|p| Json::str(p.name())));
    o.put("CreationPolicy", r.creation_policy.as_ref().map(normalize));
    o.put("UpdatePolicy", r.update_policy.as_ref().map(normalize));
    o.put("Metadata", r.metadata.as_ref().map(normalize));
    o.put(
        "Properties",
        r.properties
            .as_ref()
            .filter(|p| !matches!(p, Json::Object(e) if e.is_empty()))
            .map(normalize),
    );
    Json::Object(o.0)
}

fn output(out: &Output) -> Json {
    let mut o = Obj(Vec::new());
    o.put("Description", out.description.as_deref().map(Json::str));
    o.put("Condition", out.condition.as_deref().map(Json::str));
    o.put("Value", Some(normalize(&out.value)));
    o.put(
        "Export",
        out.export.as_ref().map(|e| match e.single() {
            // Already written the way CloudFormation nests it.
            Some(("Name", _)) => normalize(e),
            _ => Json::Object(vec![("Name".into(), normalize(e))]),
        }),
    );
    Json::Object(o.0)
}
