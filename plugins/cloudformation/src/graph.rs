//! The template as a graph for diagram.svg: resources are nodes grouped by
//! AWS service, references (Ref, Fn::GetAtt, Fn::Sub placeholders) and
//! DependsOn are edges.

use std::collections::HashSet;

use crate::intrinsic::{call, placeholders};
use crate::json::Json;
use crate::names;
use crate::spec::Spec;

/// A resource in the diagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub id: String,
    pub label: String,
    /// The resource type, e.g. "AWS::S3::Bucket".
    pub kind: String,
    /// The AWS service, e.g. "S3".
    pub group: String,
}

/// `from` refers to `to` (so `to` is created first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    /// "Ref", "GetAtt", "Sub" or "DependsOn".
    pub label: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

/// The resource graph of a valid spec; edges are unique per (from, to),
/// in spec order.
pub fn graph(spec: &Spec) -> Graph {
    let mut g = Graph::default();
    let mut seen: HashSet<(String, String)> = HashSet::new();
    for (id, r) in spec.resources.iter() {
        let short = r.kind.rsplit("::").next().unwrap_or(&r.kind);
        g.nodes.push(Node {
            id: id.to_string(),
            label: format!("{id}\n{short}"),
            kind: r.kind.clone(),
            group: names::service(&r.kind).to_string(),
        });
        let mut found = Vec::new();
        for v in [&r.properties, &r.metadata].into_iter().flatten() {
            refs(v, &mut found);
        }
        if let Some(d) = &r.depends_on {
            found.extend(d.items().into_iter().map(|t| (t.to_string(), "DependsOn")));
        }
        for (to, label) in found {
            if to != id && spec.resources.contains(&to) && seen.insert((id.to_string(), to.clone())) {
                g.edges.push(Edge {
                    from: id.to_string(),
                    to,
                    label: label.to_string(),
                });
            }
        }
    }
    g
}

fn refs(v: &Json, found: &mut Vec<(String, &'static str)>) {
    if let Some((name, arg)) = call(v) {
        match (name, arg) {
            ("Ref", Json::String(t)) => return found.push((t.clone(), "Ref")),
            ("Fn::GetAtt", Json::String(s)) => {
                let res = s.split('.').next().unwrap_or(s);
                return found.push((res.to_string(), "GetAtt"));
            }
            ("Fn::GetAtt", Json::Array(a)) => {
                if let Some(res) = a.first().and_then(Json::as_str) {
                    found.push((res.to_string(), "GetAtt"));
                }
                return;
            }
            ("Fn::Sub", _) => {
                let text = arg.as_str().or_else(|| arg.as_array().and_then(|a| a.first()).and_then(Json::as_str));
                if let Some(Ok(ps)) = text.map(placeholders) {
                    for p in ps {
                        let res = p.name.split('.').next().unwrap_or(&p.name);
                        found.push((res.to_string(), "Sub"));
                    }
                }
                if let Some(vars) = arg.as_array().and_then(|a| a.get(1)) {
                    refs(vars, found);
                }
                return;
            }
            _ => return refs(arg, found),
        }
    }
    match v {
        Json::Array(items) => items.iter().for_each(|i| refs(i, found)),
        Json::Object(entries) => entries.iter().for_each(|(_, i)| refs(i, found)),
        _ => {}
    }
}
