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
pub mod size;
pub mod spec;
pub mod template;
pub mod validate;
pub mod yaml;

use std::io::{self, Write};

use kiln_plugin_sdk::{Example, Generator, Host, Info, Level, Result, Violation};

pub use spec::Spec;

/// The generator.
#[derive(Debug)]
pub struct CloudFormation;

kiln_plugin_sdk::export_generator!(CloudFormation);

/// The bundled example specs, as (title, spec JSON).
pub const EXAMPLES: [(&str, &str); 5] = [
    ("Network: VPC with public and private subnets", include_str!("../examples/network.json")),
    (
        "Web app behind a load balancer with a PostgreSQL database",
        include_str!("../examples/web_app.json"),
    ),
    ("Serverless function fed by a queue (SAM)", include_str!("../examples/serverless_queue.json")),
    ("Static site on S3 and CloudFront", include_str!("../examples/static_site.json")),
    ("IAM roles for CI deploys and auditors", include_str!("../examples/iam_roles.json")),
];

impl Generator for CloudFormation {
    type Spec = Spec;

    fn info() -> Info {
        Info {
            name: "cloudformation".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            artifact_type: "cloudformation".into(),
            summary: "Writes an AWS CloudFormation template (YAML with short intrinsic tags, optionally JSON), an AWS CLI parameter file, a README and a resource diagram from a JSON template spec.".into(),
            description: include_str!("description.md").into(),
            media_types: vec![
                YAML_MEDIA_TYPE.into(),
                JSON_MEDIA_TYPE.into(),
                MARKDOWN_MEDIA_TYPE.into(),
                SVG_MEDIA_TYPE.into(),
            ],
            examples: EXAMPLES.iter().map(|(t, s)| Example::new(*t, *s)).collect(),
        }
    }

    fn validate(spec: &Spec) -> Vec<Violation> {
        validate::validate(spec)
    }

    fn generate(spec: Spec, host: &mut Host) -> Result<()> {
        let placeholders = params::placeholders(&spec);
        if spec.options.parameters_file && !placeholders.is_empty() {
            host.log(
                Level::Warn,
                &format!(
                    "parameters.json has empty values to fill in for {} (no value or default in the spec)",
                    placeholders.join(", ")
                ),
            );
        }
        let template = template::template(&spec);
        let files = files(&spec);
        let total = files.len() as u64;
        for (i, kind) in files.into_iter().enumerate() {
            host.progress(i as u64, total, &format!("writing {}", kind.path()));
            let mut file = host.create_file(kind.path(), kind.media_type())?;
            write_file(&spec, &template, kind, &mut file)?;
            file.finish()?;
        }
        host.progress(total, total, "done");
        Ok(())
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
pub fn write_file(
    spec: &Spec,
    template: &json::Json,
    kind: FileKind,
    out: &mut dyn Write,
) -> io::Result<()> {
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
    out.write_all(kiln_plugin_sdk::diagram::svg(&graph::graph(spec)).as_bytes())
}
