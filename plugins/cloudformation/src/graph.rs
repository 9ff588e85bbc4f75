//! The template as a diagram: resources are boxes grouped by AWS service,
//! references (Ref, Fn::GetAtt, Fn::Sub placeholders) and DependsOn are
//! arrows from the referencing resource to the referenced one. The layout
//! is the SDK's (`kiln_plugin_sdk::diagram`).

use std::collections::HashSet;

use kiln_plugin_sdk::diagram::{Edge, Graph, Node};

use crate::intrinsic::{call, placeholders};
use crate::json::Json;
use crate::names;
use crate::spec::Spec;

/// Longest diagram title, in characters.
const TITLE_CHARS: usize = 90;

/// The resource graph of a valid spec; one arrow per (from, to) pair, in
/// spec order.
pub fn graph(spec: &Spec) -> Graph {
    let mut g = Graph { title: spec.description.as_deref().map(title), ..Graph::default() };
    let mut seen: HashSet<(&str, String)> = HashSet::new();
    for (id, r) in spec.resources.iter() {
        g.nodes.push(Node::new(id, id, &r.kind).group(names::service(&r.kind)));
        let mut found = Vec::new();
        for v in [&r.properties, &r.metadata].into_iter().flatten() {
            refs(v, &mut found);
        }
        if let Some(d) = &r.depends_on {
            found.extend(d.items().into_iter().map(str::to_string));
        }
        for to in found {
            if to != id && spec.resources.contains(&to) && seen.insert((id, to.clone())) {
                g.edges.push(Edge::new(id, to));
            }
        }
    }
    g
}

fn title(description: &str) -> String {
    let line = description.lines().next().unwrap_or_default();
    if line.chars().count() <= TITLE_CHARS {
        return line.to_string();
    }
    let mut t: String = line.chars().take(TITLE_CHARS - 1).collect();
    t.push('…');
    t
}

/// The logical ids a value refers to.
fn refs(v: &Json, found: &mut Vec<String>) {
    if let Some((name, arg)) = call(v) {
        match (name, arg) {
            ("Ref", Json::String(t)) => found.push(t.clone()),
            ("Fn::GetAtt", Json::String(s)) => {
                found.push(s.split('.').next().unwrap_or(s).to_string())
            }
            ("Fn::GetAtt", Json::Array(a)) => {
                if let Some(res) = a.first().and_then(Json::as_str) {
                    found.push(res.to_string());
                }
            }
            ("Fn::Sub", _) => {
                let text = arg
                    .as_str()
                    .or_else(|| arg.as_array().and_then(|a| a.first()).and_then(Json::as_str));
                if let Some(Ok(ps)) = text.map(placeholders) {
                    found.extend(
                        ps.into_iter()
                            .map(|p| p.name.split('.').next().unwrap_or(&p.name).to_string()),
                    );
                }
                if let Some(vars) = arg.as_array().and_then(|a| a.get(1)) {
                    refs(vars, found);
                }
            }
            _ => refs(arg, found),
        }
        return;
    }
    match v {
        Json::Array(items) => items.iter().for_each(|i| refs(i, found)),
        Json::Object(entries) => entries.iter().for_each(|(_, i)| refs(i, found)),
        _ => {}
    }
}
