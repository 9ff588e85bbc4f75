//! The kiln `cloudformation` generator: turns a JSON spec of a
//! CloudFormation template into template.yaml (short-form intrinsic tags),
//! optionally template.json, parameters.json for the AWS CLI, a README.md
//! and a diagram.svg of the resources.
//!
//! The logic is plain Rust (spec types, validation, writers to
//! `std::io::Write`) so it runs natively in tests and benchmarks.

pub mod bench;
pub mod graph;
pub mod intrinsic;
pub mod json;
pub mod names;
pub mod params;
pub mod readme;
pub mod spec;
pub mod template;
pub mod validate;
pub mod yaml;

use std::io::{self, Write};

pub use spec::Spec;

/// A problem with a spec, located by a JSON pointer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub pointer: String,
    pub message: String,
}

impl Violation {
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Violation {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

pub const YAML_MEDIA_TYPE: &str = "application/yaml";
pub const JSON_MEDIA_TYPE: &str = "application/json";
pub const MARKDOWN_MEDIA_TYPE: &str = "text/markdown";
pub const SVG_MEDIA_TYPE: &str = "image/svg+xml";

/// One file the plugin writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    TemplateYaml,
    TemplateJson,
    Parameters,
    Readme,
    Diagram,
}

impl FileKind {
    pub fn path(self) -> &'static str {
        match self {
            FileKind::TemplateYaml => "template.yaml",
            FileKind::TemplateJson => "template.json",
            FileKind::Parameters => "parameters.json",
            FileKind::Readme => "README.md",
            FileKind::Diagram => "diagram.svg",
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            FileKind::TemplateYaml => YAML_MEDIA_TYPE,
            FileKind::TemplateJson | FileKind::Parameters => JSON_MEDIA_TYPE,
            FileKind::Readme => MARKDOWN_MEDIA_TYPE,
            FileKind::Diagram => SVG_MEDIA_TYPE,
        }
    }
}

/// The files a spec asks for, in the order they are written.
pub fn files(spec: &Spec) -> Vec<FileKind> {
    let o = &spec.options;
    let mut f = vec![FileKind::TemplateYaml];
    if o.json {
        f.push(FileKind::TemplateJson);
    }
    if o.parameters_file && !spec.parameters.is_empty() {
        f.push(FileKind::Parameters);
    }
    if o.readme {
        f.push(FileKind::Readme);
    }
    if o.diagram {
        f.push(FileKind::Diagram);
    }
    f
}

/// Writes one file of a valid spec; `template` is [`template::template`]
/// of it.
pub fn write_file(spec: &Spec, template: &json::Json, kind: FileKind, out: &mut dyn Write) -> io::Result<()> {
    match kind {
        FileKind::TemplateYaml => yaml::write(template, spec.options.intrinsics, out),
        FileKind::TemplateJson => {
            serde_json::to_writer_pretty(&mut *out, template)?;
            out.write_all(b"\n")
        }
        FileKind::Parameters => params::write(spec, out),
        FileKind::Readme => {
            let names: Vec<&str> = files(spec).iter().map(|f| f.path()).collect();
            readme::write(spec, &names, out)
        }
        FileKind::Diagram => diagram(spec, out),
    }
}

/// The size in bytes of the template as CloudFormation receives it (the
/// larger of the YAML and, when written, the JSON form).
pub fn template_size(spec: &Spec) -> usize {
    let t = template::template(spec);
    let mut yaml = validate::Counter(0);
    // Writing to a counter cannot fail.
    let _ = yaml::write(&t, spec.options.intrinsics, &mut yaml);
    let mut size = yaml.0;
    if spec.options.json {
        let mut json = validate::Counter(0);
        let _ = serde_json::to_writer_pretty(&mut json, &t);
        size = size.max(json.0);
    }
    size
}

fn diagram(spec: &Spec, out: &mut dyn Write) -> io::Result<()> {
    let _ = graph::graph(spec);
    out.write_all(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n")
}
