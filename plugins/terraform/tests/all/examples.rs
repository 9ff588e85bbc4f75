//! The bundled examples: valid, written exactly as terraform fmt writes,
//! read back field by field, and clean under checkov.

use kiln_plugin_sdk::testing;
use kiln_plugin_terraform::{EXAMPLES, Terraform};

use crate::{Case, generate_into, hashicorp_check, output_root, python_check};

#[test]
fn examples_validate_and_generate() {
    testing::assert_examples_generate::<Terraform>();
    for (title, _, spec) in EXAMPLES {
        assert!(crate::violations(spec).is_empty(), "{title}: {:?}", crate::violations(spec));
    }
}

#[test]
fn examples_read_back_and_pass_checkov() {
    let dir = output_root().join("examples");
    let mut cases = Vec::new();
    for (_, name, spec) in EXAMPLES {
        let out = dir.join(name);
        let run = generate_into(spec, &out);
        for expected in
            ["versions.tf", "main.tf", "README.md", "diagram.svg", "terraform.tfvars.example"]
        {
            assert!(run.files.iter().any(|f| f.path == expected), "{name}: no {expected}");
        }
        cases.push(Case {
            name: name.to_owned(),
            spec_path: std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("examples/{name}.json")),
            out,
        });
    }
    let files = hashicorp_check(std::slice::from_ref(&dir));
    assert!(files >= 30, "only {files} files checked");
    let findings = python_check(&cases, &dir, true, "checkov-examples.json");
    for c in &cases {
        assert!(findings.get(&c.name).is_some(), "checkov did not report on {}", c.name);
    }
}

#[test]
fn readme_has_terraform_docs_tables() {
    let run = testing::run::<Terraform>(EXAMPLES[1].2, &[]).expect("generates");
    let readme = String::from_utf8(run.file("README.md").to_vec()).expect("UTF-8");
    for heading in [
        "## Requirements",
        "## Providers",
        "## Modules",
        "## Resources",
        "## Inputs",
        "## Outputs",
        "### modules/postgres",
    ] {
        assert!(readme.contains(heading), "README lacks {heading}");
    }
    assert!(readme.contains("| Name | Description | Type | Default | Required |"));
    assert!(readme.contains("| <a name=\"input_vpc_id\"></a> [vpc\\_id](#input\\_vpc\\_id) | VPC to deploy into. | `string` | n/a | yes |"));
    assert!(readme.contains("[aws\\_launch\\_template.app](https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/launch_template) | resource |"));
    let tfvars = String::from_utf8(run.file("terraform.tfvars.example").to_vec()).expect("UTF-8");
    assert!(tfvars.contains("vpc_id = \"\""), "{tfvars}");
    assert!(tfvars.contains("instance_type = \"t3.small\""));
}

#[test]
fn progress_and_notes_are_reported() {
    let run = testing::run::<Terraform>(EXAMPLES[0].2, &[]).expect("generates");
    let last = run.progress.last().expect("progress");
    assert_eq!(last.0, last.1);
    assert_eq!(last.1 as usize, run.files.len());
    assert!(
        run.log.iter().any(|(_, m)| m.contains("required_providers: added aws")),
        "{:?}",
        run.log
    );
}
