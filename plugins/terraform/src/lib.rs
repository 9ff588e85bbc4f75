//! The kiln `terraform` generator: turns a JSON description of a Terraform
//! root module and its child modules into `.tf` files formatted exactly as
//! `terraform fmt` writes them, a `terraform.tfvars.example`, a README with
//! terraform-docs tables and an SVG diagram of the resources.
//!
//! Values are typed JSON; references (`{"ref": "aws_vpc.main.id"}`) and
//! expressions (`{"expr": "cidrsubnet(var.cidr, 8, count.index)"}`) are
//! parsed with an HCL parser (hcl-rs), so validation knows the dependency
//! graph: dangling references, cycles, duplicates and type mismatches are
//! reported with JSON pointers before anything is written.

pub mod bench;
mod emit;
pub mod ordered;
mod refs;
mod render;
mod scope;
pub mod spec;
mod types;
mod validate;
pub mod value;

use std::io::Write;

use kiln_plugin_sdk::{Example, Generator, Host, Info, Level, Result, Violation};

pub use render::File;
pub use spec::Spec;
pub use validate::Problem;

/// Media type of the `.tf` and `.tfvars.example` files.
pub const HCL_MEDIA_TYPE: &str = render::HCL_MEDIA_TYPE;
/// Media type of README.md.
pub const MARKDOWN_MEDIA_TYPE: &str = render::MARKDOWN_MEDIA_TYPE;
/// Media type of diagram.svg.
pub const SVG_MEDIA_TYPE: &str = render::SVG_MEDIA_TYPE;

const DESCRIPTION: &str = include_str!("description.md");

/// The bundled example specs (title, file name, spec JSON); each passes
/// validation and checkov.
pub const EXAMPLES: [(&str, &str, &str); 5] = [
    (
        "Private network: a VPC with two private subnets and flow logs",
        "network",
        include_str!("../examples/network.json"),
    ),
    (
        "Web application with a PostgreSQL database (RDS)",
        "web_app_rds",
        include_str!("../examples/web_app_rds.json"),
    ),
    (
        "Serverless function fed by a queue (Lambda + SQS)",
        "lambda_sqs",
        include_str!("../examples/lambda_sqs.json"),
    ),
    (
        "Static website on S3 behind CloudFront",
        "static_site",
        include_str!("../examples/static_site.json"),
    ),
    (
        "IAM roles and policies for a deployment pipeline",
        "iam_stack",
        include_str!("../examples/iam_stack.json"),
    ),
];

/// The generator.
#[derive(Debug)]
pub struct Terraform;

impl Generator for Terraform {
    type Spec = Spec;

    fn info() -> Info {
        Info {
            name: "terraform".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            artifact_type: "terraform".into(),
            summary: "Writes a Terraform configuration (root module, child modules, README and diagram) from a JSON description of its resources.".into(),
            description: DESCRIPTION.into(),
            media_types: vec![HCL_MEDIA_TYPE.into(), MARKDOWN_MEDIA_TYPE.into(), SVG_MEDIA_TYPE.into()],
            examples: EXAMPLES.iter().map(|(title, _, spec)| Example::new(*title, *spec)).collect(),
        }
    }

    fn validate(spec: &Spec) -> Vec<Violation> {
        check(spec).into_iter().map(|p| Violation::new(p.pointer, p.message)).collect()
    }

    fn generate(spec: Spec, host: &mut Host) -> Result<()> {
        let (files, notes) = files(&spec);
        for note in notes {
            host.log(Level::Info, &note);
        }
        let total = files.len() as u64;
        for (i, f) in files.into_iter().enumerate() {
            let mut out = host.create_file(&f.path, f.media_type)?;
            out.write_all(f.text.as_bytes())?;
            out.finish()?;
            host.progress(i as u64 + 1, total, &f.path);
        }
        Ok(())
    }
}

kiln_plugin_sdk::export_generator!(Terraform);

/// Parses a spec (types only, no cross checks); for native tools.
pub fn parse(json: &str) -> std::result::Result<Spec, String> {
    serde_json::from_str(json).map_err(|e| e.to_string())
}

/// Every violation of a parsed spec.
pub fn check(spec: &Spec) -> Vec<Problem> {
    validate::validate_all(spec)
}

/// The files of a valid spec, and notes on what was filled in.
pub fn files(spec: &Spec) -> (Vec<File>, Vec<String>) {
    let mut notes = Vec::new();
    let files = render::render(spec, &mut notes);
    (files, notes)
}
