use kiln_plugin_cloudformation::CloudFormation;
use kiln_plugin_sdk::testing;
use serde_json::json;

use crate::{assert_message, messages_at, pointers, resources, violations};

fn topic() -> serde_json::Value {
    json!({ "type": "AWS::SNS::Topic" })
}

#[test]
fn a_dangling_ref_names_the_closest_logical_id() {
    let spec = resources(json!({
        "LogBucket": { "type": "AWS::S3::Bucket" },
        "Policy": { "type": "AWS::S3::BucketPolicy", "properties": {
            "Bucket": { "Ref": "LogBuckt" },
            "PolicyDocument": { "Statement": [{ "Resource": { "Fn::GetAtt": ["LogBucket", "Arn"] } }] } } }
    }));
    assert_eq!(pointers(&spec), ["/resources/Policy/properties/Bucket/Ref"]);
    assert_message(
        &spec,
        "/resources/Policy/properties/Bucket/Ref",
        &["`LogBuckt`", "did you mean `LogBucket`?"],
    );
}

#[test]
fn getatt_and_sub_targets_must_exist_and_sub_placeholders_are_parsed() {
    let spec = json!({
        "parameters": { "Stage": { "default": "dev" } },
        "resources": {
            "Queue": { "type": "AWS::SQS::Queue", "properties": {
                "QueueName": { "Fn::Sub": "${Stage}-${Stag}-${AWS::Region}-${!Literal}" },
                "RedrivePolicy": { "deadLetterTargetArn": { "Fn::GetAtt": "Dlq.Arn" } },
                "Tags": [{ "Key": "a", "Value": { "Fn::Sub": ["${X}-${Queue2.Arn}", { "X": "x" }] } }] } }
        }
    });
    assert_eq!(
        pointers(&spec),
        [
            "/resources/Queue/properties/QueueName/Fn::Sub",
            "/resources/Queue/properties/RedrivePolicy/deadLetterTargetArn/Fn::GetAtt",
            "/resources/Queue/properties/Tags/0/Value/Fn::Sub/0",
        ]
    );
    assert_message(
        &spec,
        "/resources/Queue/properties/QueueName/Fn::Sub",
        &["`Stag`", "did you mean `Stage`?"],
    );
    assert_message(
        &spec,
        "/resources/Queue/properties/Tags/0/Value/Fn::Sub/0",
        &["`Queue2`", "did you mean `Queue`?"],
    );
    let unclosed = resources(
        json!({ "T": { "type": "AWS::SNS::Topic", "properties": { "TopicName": { "Fn::Sub": "a-${AWS::Region" } } } }),
    );
    assert_message(&unclosed, "/resources/T/properties/TopicName/Fn::Sub", &["never closed"]);
}

#[test]
fn reference_and_depends_on_cycles_are_reported_with_their_path() {
    let spec = resources(json!({
        "A": { "type": "AWS::EC2::SecurityGroup", "properties": { "GroupDescription": { "Ref": "B" } } },
        "B": { "type": "AWS::EC2::SecurityGroup", "properties": { "GroupDescription": { "Fn::GetAtt": ["C", "GroupId"] } } },
        "C": { "type": "AWS::EC2::SecurityGroup", "depends_on": ["A"] },
        "D": { "type": "AWS::SNS::Topic", "depends_on": "D" }
    }));
    let all = violations(&spec);
    assert_eq!(all.len(), 2, "{all:#?}");
    assert_message(&spec, "/resources/C/depends_on/0", &["cycle", "A → B → C → A"]);
    assert_message(&spec, "/resources/D/depends_on", &["cannot depend on itself"]);
}

#[test]
fn condition_cycles_and_missing_conditions_are_reported() {
    let spec = json!({
        "parameters": { "Env": { "default": "dev" } },
        "conditions": {
            "IsProd": { "Fn::And": [{ "Condition": "IsBig" }, { "Fn::Equals": [{ "Ref": "Env" }, "prod"] }] },
            "IsBig": { "Fn::Not": [{ "Condition": "IsProd" }] }
        },
        "resources": { "T": { "type": "AWS::SNS::Topic", "condition": "IsProdd",
            "properties": { "TopicName": { "Fn::If": ["IsSmall", "a", "b"] } } } }
    });
    // json! sorts keys, so IsBig comes first and IsProd's reference closes the cycle.
    assert_message(
        &spec,
        "/conditions/IsProd/Fn::And/0/Condition",
        &["cycle", "IsBig → IsProd → IsBig"],
    );
    assert_message(&spec, "/resources/T/condition", &["`IsProdd`", "did you mean `IsProd`?"]);
    assert_message(&spec, "/resources/T/properties/TopicName/Fn::If/0", &["`IsSmall`"]);
}

#[test]
fn conditions_may_not_refer_to_resources() {
    let spec = json!({
        "conditions": { "HasTopic": { "Fn::Equals": [{ "Ref": "T" }, ""] } },
        "resources": { "T": topic() }
    });
    assert_message(&spec, "/conditions/HasTopic/Fn::Equals/0/Ref", &["only to parameters", "`T`"]);
}

#[test]
fn duplicate_logical_ids_are_reported_within_and_across_sections() {
    let text = r#"{"parameters": {"Topic": {"default": "x"}},
        "resources": {"Queue": {"type": "AWS::SQS::Queue"}, "Topic": {"type": "AWS::SNS::Topic"}, "Queue": {"type": "AWS::SQS::Queue"}}}"#;
    let all = testing::validate::<CloudFormation>(text);
    let at = |p: &str| {
        all.iter().filter(|v| v.pointer == p).map(|v| v.message.clone()).collect::<Vec<_>>()
    };
    assert!(
        at("/resources/Queue").iter().any(|m| m.contains("duplicate resource `Queue`")),
        "{all:#?}"
    );
    assert!(
        at("/resources/Topic").iter().any(|m| m.contains("a parameter already has it")),
        "{all:#?}"
    );
}

#[test]
fn malformed_type_names_suggest_the_closest_known_type() {
    let spec = resources(json!({
        "A": { "type": "AWS::S3:Bucket" },
        "B": { "type": "aws::lambda::function" },
        "C": { "type": "Custom::" },
        "D": { "type": "Custom::Seeder" },
        "E": { "type": "AWS::Serverless::Function", "properties": { "Runtime": "python3.12" } }
    }));
    assert_eq!(
        pointers(&spec),
        ["/resources/A/type", "/resources/B/type", "/resources/C/type", "/resources/E/type"]
    );
    assert_message(
        &spec,
        "/resources/A/type",
        &["AWS::Service::Type", "did you mean `AWS::S3::Bucket`?"],
    );
    assert_message(&spec, "/resources/B/type", &["did you mean `AWS::Lambda::Function`?"]);
    assert_message(&spec, "/resources/E/type", &["AWS::Serverless-2016-10-31"]);
}

#[test]
fn logical_ids_must_be_alphanumeric() {
    let spec = resources(json!({ "web-bucket": { "type": "AWS::S3::Bucket" }, "Ok1": topic() }));
    assert_eq!(pointers(&spec), ["/resources/web-bucket"]);
    assert_message(
        &spec,
        "/resources/web-bucket",
        &["letters and digits", "did you mean `WebBucket`?"],
    );
}

#[test]
fn quotas_on_resources_parameters_and_outputs_are_enforced() {
    let mut res = serde_json::Map::new();
    let mut params = serde_json::Map::new();
    let mut outs = serde_json::Map::new();
    for i in 0..501 {
        res.insert(format!("T{i}"), topic());
    }
    for i in 0..201 {
        params.insert(format!("P{i}"), json!({ "default": "x" }));
        outs.insert(format!("O{i}"), json!({ "value": { "Ref": format!("T{i}") } }));
    }
    let spec = json!({ "parameters": params, "resources": res, "outputs": outs, "options": { "upload": "s3" } });
    assert_message(&spec, "/resources", &["at most 500 resources", "found 501", "nested stacks"]);
    assert_message(&spec, "/parameters", &["at most 200 parameters", "found 201"]);
    assert_message(&spec, "/outputs", &["at most 200 outputs", "found 201"]);
}

#[test]
fn a_template_over_51200_bytes_must_go_through_s3() {
    let mut res = serde_json::Map::new();
    for i in 0..300 {
        res.insert(
            format!("Topic{i}"),
            json!({ "type": "AWS::SNS::Topic", "properties": { "DisplayName": "x".repeat(100) } }),
        );
    }
    let spec = json!({ "resources": res.clone() });
    assert_message(&spec, "", &["51200-byte limit", "upload it to S3", "nested stacks"]);
    let via_s3 = json!({ "resources": res, "options": { "upload": "s3" } });
    assert_eq!(violations(&via_s3), []);
}

#[test]
fn the_size_limit_is_reported_exactly_past_51200_bytes() {
    // 200 topics come to about 40 kB; the first one's name is then grown
    // one byte at a time around the limit.
    let spec_with = |name_len: usize| {
        let mut res = serde_json::Map::new();
        for i in 0..200 {
            let name = if i == 0 { "x".repeat(name_len) } else { "x".repeat(100) };
            res.insert(
                format!("Topic{i}"),
                json!({ "type": "AWS::SNS::Topic", "properties": { "DisplayName": name } }),
            );
        }
        json!({ "resources": res })
    };
    let size_of = |spec: &serde_json::Value| {
        let spec: kiln_plugin_cloudformation::Spec =
            serde_json::from_str(&spec.to_string()).expect("a spec");
        kiln_plugin_cloudformation::template_size(&spec)
    };
    let base = size_of(&spec_with(100));
    assert!(base < 51_200, "{base}");
    let at_limit = spec_with(100 + 51_200 - base);
    assert_eq!(size_of(&at_limit), 51_200);
    assert_eq!(violations(&at_limit), []);
    let over = spec_with(101 + 51_200 - base);
    assert_eq!(size_of(&over), 51_201);
    assert_message(&over, "", &["the template is 51201 bytes", "51200-byte limit"]);
}

#[test]
fn unknown_and_misshapen_intrinsic_functions_are_named() {
    let spec = resources(json!({ "T": { "type": "AWS::SNS::Topic", "properties": {
        "TopicName": { "Fn::Subb": "x" },
        "DisplayName": { "Fn::Join": ["-"] },
        "KmsMasterKeyId": { "Fn::GetAtt": ["T"] },
        "Tags": [{ "Key": "k", "Value": { "Fn::Select": [3, ["a", "b"]] } }]
    } } }));
    assert_message(
        &spec,
        "/resources/T/properties/TopicName/Fn::Subb",
        &["unknown intrinsic function", "did you mean `Fn::Sub`?"],
    );
    assert_message(&spec, "/resources/T/properties/DisplayName/Fn::Join", &["Fn::Join expects"]);
    assert_message(
        &spec,
        "/resources/T/properties/KmsMasterKeyId/Fn::GetAtt",
        &["Fn::GetAtt expects"],
    );
    assert_message(&spec, "/resources/T/properties/Tags/0/Value/Fn::Select/0", &["past the end"]);
}

#[test]
fn find_in_map_names_existing_mappings_and_keys() {
    let spec = json!({
        "mappings": { "Sizes": { "dev": { "Type": "t3.micro" } } },
        "resources": { "I": { "type": "AWS::EC2::Instance", "properties": {
            "InstanceType": { "Fn::FindInMap": ["Size", "dev", "Type"] },
            "ImageId": { "Fn::FindInMap": ["Sizes", "dev", "Ami"] },
            "KeyName": { "Fn::FindInMap": ["Sizes", { "Ref": "AWS::Region" }, "Type"] } } } }
    });
    assert_eq!(
        pointers(&spec),
        [
            "/resources/I/properties/ImageId/Fn::FindInMap/2",
            "/resources/I/properties/InstanceType/Fn::FindInMap/0"
        ]
    );
    assert_message(
        &spec,
        "/resources/I/properties/InstanceType/Fn::FindInMap/0",
        &["did you mean `Sizes`?"],
    );
}

#[test]
fn parameter_types_and_constraints_are_checked() {
    let spec = json!({
        "parameters": {
            "Subnets": { "type": "List<AWS::EC2::Subnet::ID>" },
            "Key": { "type": "AWS::EC2::KeyPair::KeyName" },
            "Ami": { "type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>" },
            "Count": { "type": "Number", "default": "many", "min_value": 5, "max_value": 1 },
            "Env": { "allowed_values": ["dev", "prod"], "default": "prd" }
        },
        "resources": { "T": topic() }
    });
    assert_eq!(
        pointers(&spec),
        [
            "/parameters/Count/default",
            "/parameters/Count/min_value",
            "/parameters/Env/default",
            "/parameters/Subnets/type"
        ]
    );
    assert_message(
        &spec,
        "/parameters/Subnets/type",
        &["did you mean `List<AWS::EC2::Subnet::Id>`?"],
    );
    assert_message(&spec, "/parameters/Env/default", &["allowed_values", "did you mean `prod`?"]);
}

#[test]
fn parse_errors_and_unknown_fields_are_located_by_pointer() {
    let spec = json!({ "resources": { "T": { "type": "AWS::SNS::Topic", "propertes": {} } } });
    let m = messages_at(&spec, "/resources/T/propertes");
    assert!(!m.is_empty(), "{:#?}", violations(&spec));
    let spec =
        json!({ "resources": { "T": { "type": "AWS::SNS::Topic", "deletion_policy": "Keep" } } });
    assert_eq!(pointers(&spec), ["/resources/T/deletion_policy"]);
    let spec = json!({ "resources": { "T": { "type": "AWS::SNS::Topic", "depends_on": 5 } } });
    assert_message(
        &spec,
        "/resources/T/depends_on",
        &["expected a logical id or a list of them, found a number"],
    );
    let spec = json!({ "Resources": { "T": { "Type": "AWS::SNS::Topic" } } });
    assert_message(&spec, "/Resources", &["did you mean `resources`?"]);
}

#[test]
fn exports_must_be_unique_and_transforms_known() {
    let spec = json!({
        "transform": "AWS::Serverless-2016-10-3",
        "resources": { "T": topic() },
        "outputs": {
            "A": { "value": { "Ref": "T" }, "export": "shared" },
            "B": { "value": { "Ref": "T" }, "export": "shared" }
        }
    });
    assert_message(&spec, "/transform", &["did you mean `AWS::Serverless-2016-10-31`?"]);
    assert_message(&spec, "/outputs/B/export", &["already used by output `A`"]);
}
