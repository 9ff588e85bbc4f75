//! One module (the root or a child) seen the same way, and the references
//! each of its objects makes.

use crate::ordered::OrderedMap;
use crate::refs::{self, ParseProblem, Ref};
use crate::spec::{Block, ChildModule, ModuleCall, Output, Resource, Spec, Variable};
use crate::value::Value;

/// A module's contents.
pub(crate) struct Scope<'a> {
    /// "" for the root, the child's name otherwise.
    pub(crate) name: &'a str,
    /// JSON pointer prefix of the module in the spec.
    pub(crate) prefix: String,
    pub(crate) variables: &'a OrderedMap<Variable>,
    pub(crate) locals: &'a OrderedMap<Value>,
    pub(crate) resources: &'a [Resource],
    pub(crate) data: &'a [Resource],
    pub(crate) modules: &'a [ModuleCall],
    pub(crate) outputs: &'a OrderedMap<Output>,
    /// The spec's child modules (for module.<call>.<output>).
    pub(crate) children: &'a OrderedMap<ChildModule>,
}

impl<'a> Scope<'a> {
    pub(crate) fn root(spec: &'a Spec) -> Scope<'a> {
        Scope {
            name: "",
            prefix: String::new(),
            variables: &spec.variables,
            locals: &spec.locals,
            resources: &spec.resources,
            data: &spec.data,
            modules: &spec.modules,
            outputs: &spec.outputs,
            children: &spec.child_modules,
        }
    }

    pub(crate) fn child(name: &'a str, m: &'a ChildModule, spec: &'a Spec) -> Scope<'a> {
        Scope {
            name,
            prefix: format!("/child_modules/{}", refs::escape(name)),
            variables: &m.variables,
            locals: &m.locals,
            resources: &m.resources,
            data: &m.data,
            modules: &m.modules,
            outputs: &m.outputs,
            children: &spec.child_modules,
        }
    }

    pub(crate) fn is_root(&self) -> bool {
        self.name.is_empty()
    }

    /// Every object that can depend on others, with its references.
    pub(crate) fn objects(&self) -> (Vec<Object>, Vec<ParseProblem>) {
        let mut problems = Vec::new();
        let mut objects = Vec::with_capacity(
            self.locals.len()
                + self.data.len()
                + self.resources.len()
                + self.modules.len()
                + self.outputs.len(),
        );
        let p = &self.prefix;
        for (name, v) in self.locals.iter() {
            let pointer = format!("{p}/locals/{}", refs::escape(name));
            let mut r = Vec::new();
            refs::collect(v, || pointer.clone(), &mut r, &mut problems);
            objects.push(Object {
                id: format!("local.{name}"),
                pointer,
                refs: r,
                depends_on: Vec::new(),
                kind: Kind::Local,
            });
        }
        for (kind, list, key) in
            [(Kind::Data, self.data, "data"), (Kind::Resource, self.resources, "resources")]
        {
            for (i, res) in list.iter().enumerate() {
                let pointer = format!("{p}/{key}/{i}");
                let mut r = Vec::new();
                resource_refs(res, &pointer, &mut r, &mut problems);
                let id = if kind == Kind::Data {
                    ["data.", &res.kind, ".", &res.name].concat()
                } else {
                    [res.kind.as_str(), ".", &res.name].concat()
                };
                let depends_on = res
                    .depends_on
                    .iter()
                    .enumerate()
                    .map(|(j, d)| (format!("{pointer}/depends_on/{j}"), d.clone()))
                    .collect();
                objects.push(Object { id, pointer, refs: r, depends_on, kind });
            }
        }
        for (i, m) in self.modules.iter().enumerate() {
            let pointer = format!("{p}/modules/{i}");
            let mut r = Vec::new();
            for (k, v) in m.inputs.iter() {
                refs::collect(
                    v,
                    || format!("{pointer}/inputs/{}", refs::escape(k)),
                    &mut r,
                    &mut problems,
                );
            }
            if let Some(c) = &m.count {
                refs::collect(c, || format!("{pointer}/count"), &mut r, &mut problems);
            }
            if let Some(c) = &m.for_each {
                refs::collect(c, || format!("{pointer}/for_each"), &mut r, &mut problems);
            }
            let depends_on = m
                .depends_on
                .iter()
                .enumerate()
                .map(|(j, d)| (format!("{pointer}/depends_on/{j}"), d.clone()))
                .collect();
            objects.push(Object {
                id: format!("module.{}", m.name),
                pointer,
                refs: r,
                depends_on,
                kind: Kind::Module,
            });
        }
        for (name, o) in self.outputs.iter() {
            let pointer = format!("{p}/outputs/{}", refs::escape(name));
            let mut r = Vec::new();
            refs::collect(&o.value, || format!("{pointer}/value"), &mut r, &mut problems);
            let depends_on = o
                .depends_on
                .iter()
                .enumerate()
                .map(|(j, d)| (format!("{pointer}/depends_on/{j}"), d.clone()))
                .collect();
            objects.push(Object {
                id: format!("output.{name}"),
                pointer,
                refs: r,
                depends_on,
                kind: Kind::Output,
            });
        }
        (objects, problems)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Local,
    Resource,
    Data,
    Module,
    Output,
}

/// An object and the references it makes.
pub(crate) struct Object {
    /// Its address: "aws_vpc.main", "data.aws_ami.linux", "module.net",
    /// "local.tags", "output.vpc_id".
    pub(crate) id: String,
    pub(crate) pointer: String,
    pub(crate) refs: Vec<Ref>,
    /// (pointer, address) of explicit dependencies.
    pub(crate) depends_on: Vec<(String, String)>,
    pub(crate) kind: Kind,
}

/// The references of a resource, with `dynamic` iterator names and
/// `count`/`each`/`self` left for the caller to judge by pointer.
pub(crate) fn resource_refs(
    res: &Resource,
    pointer: &str,
    out: &mut Vec<Ref>,
    problems: &mut Vec<ParseProblem>,
) {
    for (k, v) in res.attributes.iter() {
        refs::collect(v, || [pointer, "/attributes/", &refs::escape(k)].concat(), out, problems);
    }
    for (j, b) in res.blocks.iter().enumerate() {
        block_refs(b, &format!("{pointer}/blocks/{j}"), &[], out, problems);
    }
    if let Some(c) = &res.count {
        refs::collect(c, || format!("{pointer}/count"), out, problems);
    }
    if let Some(c) = &res.for_each {
        refs::collect(c, || format!("{pointer}/for_each"), out, problems);
    }
    if let Some(l) = &res.lifecycle {
        for (j, t) in l.replace_triggered_by.iter().enumerate() {
            refs::collect(
                &Value::Ref(t.clone()),
                || format!("{pointer}/lifecycle/replace_triggered_by/{j}"),
                out,
                problems,
            );
        }
        for (key, conds) in [("precondition", &l.precondition), ("postcondition", &l.postcondition)]
        {
            for (j, c) in conds.iter().enumerate() {
                refs::collect(
                    &Value::Expr(c.condition.clone()),
                    || format!("{pointer}/lifecycle/{key}/{j}/condition"),
                    out,
                    problems,
                );
            }
        }
    }
}

/// Iterator names of dynamic blocks are removed from the references found
/// inside them.
pub(crate) fn block_refs(
    b: &Block,
    pointer: &str,
    iterators: &[String],
    out: &mut Vec<Ref>,
    problems: &mut Vec<ParseProblem>,
) {
    if let Some(f) = &b.for_each {
        let mut r = Vec::new();
        refs::collect(f, || format!("{pointer}/for_each"), &mut r, problems);
        out.extend(r.into_iter().filter(|r| !iterators.iter().any(|i| r.parts[0] == *i)));
    }
    let mut inner: Vec<String> = iterators.to_vec();
    if b.for_each.is_some() {
        inner.push(b.iterator.clone().unwrap_or_else(|| b.kind.clone()));
    }
    let mut r = Vec::new();
    for (k, v) in b.attributes.iter() {
        refs::collect(v, || [pointer, "/attributes/", &refs::escape(k)].concat(), &mut r, problems);
    }
    out.extend(r.into_iter().filter(|r| !inner.iter().any(|i| r.parts[0] == *i)));
    for (j, c) in b.blocks.iter().enumerate() {
        block_refs(c, &format!("{pointer}/blocks/{j}"), &inner, out, problems);
    }
}
