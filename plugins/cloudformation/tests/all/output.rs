use serde_json::json;

use crate::{resources, run, text};

fn yaml(spec: serde_json::Value) -> String {
    text(&run(&spec.to_string()), "template.yaml")
}

#[test]
fn sections_come_in_the_fixed_order_whatever_the_spec_order() {
    let spec = json!({
        "outputs": { "Arn": { "value": { "Ref": "T" } } },
        "resources": { "T": { "type": "AWS::SNS::Topic", "condition": "C" } },
        "conditions": { "C": { "Fn::Equals": [{ "Ref": "P" }, "x"] } },
        "mappings": { "M": { "a": { "b": "c" } } },
        "parameters": { "P": { "default": "x" } },
        "transform": "AWS::LanguageExtensions",
        "description": "D"
    });
    let y = yaml(spec);
    let tops: Vec<&str> = y
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.is_empty())
        .map(|l| l.split(':').next().unwrap())
        .collect();
    assert_eq!(
        tops,
        [
            "AWSTemplateFormatVersion",
            "Description",
            "Transform",
            "Parameters",
            "Mappings",
            "Conditions",
            "Resources",
            "Outputs"
        ]
    );
}

#[test]
fn intrinsics_are_written_as_short_tags_and_nested_tags_stay_valid() {
    let y = yaml(resources(json!({
        "B": { "type": "AWS::S3::Bucket" },
        "I": { "type": "AWS::EC2::Instance", "properties": {
            "ImageId": { "!Ref": "AWS::NoValue" },
            "UserData": { "Fn::Base64": { "Fn::Sub": "#!/bin/sh\necho ${B.Arn}\n" } },
            "Tags": [{ "Key": "k", "Value": { "Fn::GetAtt": "B.Arn" } }, { "Key": "j", "Value": { "Fn::Join": ["", ["a", { "Ref": "B" }]] } }]
        } }
    })));
    assert!(y.contains("ImageId: !Ref AWS::NoValue\n"), "{y}");
    assert!(
        y.contains(
            "UserData:\n        Fn::Base64: !Sub |\n          #!/bin/sh\n          echo ${B.Arn}\n"
        ),
        "{y}"
    );
    assert!(y.contains("- Key: k\n          Value: !GetAtt B.Arn\n"), "{y}");
    assert!(
        y.contains("Value: !Join\n            - ''\n            - - a\n              - !Ref B\n"),
        "{y}"
    );
}

#[test]
fn the_long_style_writes_function_keys() {
    let spec = json!({ "options": { "intrinsics": "long" }, "resources": {
        "B": { "type": "AWS::S3::Bucket" },
        "P": { "type": "AWS::S3::BucketPolicy", "properties": { "Bucket": { "Ref": "B" }, "PolicyDocument": { "Statement": [{ "Resource": { "Fn::GetAtt": ["B", "Arn"] } }] } } } } });
    let y = yaml(spec);
    assert!(y.contains("Bucket:\n        Ref: B\n"), "{y}");
    assert!(y.contains("Fn::GetAtt:\n                - B\n                - Arn\n"), "{y}");
    assert!(!y.contains('!'), "{y}");
}

#[test]
fn json_is_written_on_request_with_long_form_intrinsics() {
    let spec = json!({ "options": { "json": true }, "resources": { "B": { "type": "AWS::S3::Bucket" }, "C": { "type": "AWS::SNS::Topic", "properties": { "DisplayName": { "!GetAtt": "B.Arn" } } } } });
    let r = run(&spec.to_string());
    let t: serde_json::Value = serde_json::from_slice(r.file("template.json")).unwrap();
    assert_eq!(
        t["Resources"]["C"]["Properties"]["DisplayName"],
        json!({ "Fn::GetAtt": ["B", "Arn"] })
    );
    assert_eq!(t["AWSTemplateFormatVersion"], "2010-09-09");
}

#[test]
fn parameters_json_is_in_the_aws_cli_form() {
    let spec = json!({ "parameters": { "Env": { "default": "dev" }, "Size": { "type": "Number", "default": 3, "value": 5 } },
        "resources": { "T": { "type": "AWS::SNS::Topic", "properties": { "TopicName": { "Fn::Sub": "${Env}-${Size}" } } } } });
    let p: serde_json::Value =
        serde_json::from_slice(run(&spec.to_string()).file("parameters.json")).unwrap();
    assert_eq!(
        p,
        json!([{ "ParameterKey": "Env", "ParameterValue": "dev" }, { "ParameterKey": "Size", "ParameterValue": "5" }])
    );
}

#[test]
fn readme_lists_parameters_resources_outputs_and_a_deploy_command() {
    let r = run(kiln_plugin_cloudformation::EXAMPLES[4].1);
    let md = text(&r, "README.md");
    for needle in [
        "## Parameters",
        "`GitHubOrg`",
        "## Resources",
        "`DeployRole` | `AWS::IAM::Role`",
        "## Outputs",
        "`!GetAtt DeployRole.Arn`",
        "CAPABILITY_NAMED_IAM",
    ] {
        assert!(md.contains(needle), "missing {needle} in\n{md}");
    }
}

#[test]
fn the_diagram_groups_resources_by_service_and_draws_references() {
    let r = run(kiln_plugin_cloudformation::EXAMPLES[0].1);
    let svg = text(&r, "diagram.svg");
    assert!(svg.starts_with("<svg"));
    for needle in [">EC2<", ">IAM<", ">Logs<", "PublicSubnetA", "AWS::EC2::Subnet"] {
        assert!(svg.contains(needle), "missing {needle}");
    }
    assert!(svg.contains("<path"), "no arrows");
}
