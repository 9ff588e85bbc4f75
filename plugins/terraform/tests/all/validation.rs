//! Broken specs: each problem at its JSON pointer, with what was expected,
//! what was found and the closest valid name.

use serde_json::json;

use crate::violations;

fn at(spec: &serde_json::Value, pointer: &str) -> Vec<String> {
    let all = violations(&spec.to_string());
    let found: Vec<String> =
        all.iter().filter(|(p, _)| p == pointer).map(|(_, m)| m.clone()).collect();
    assert!(!found.is_empty(), "no violation at {pointer}; got {all:#?}");
    found
}

fn vpc() -> serde_json::Value {
    json!({"type": "aws_vpc", "name": "main", "attributes": {"cidr_block": "10.0.0.0/16"}})
}

#[test]
fn dangling_resource_reference_suggests_the_closest() {
    let spec = json!({"resources": [vpc(), {"type": "aws_subnet", "name": "a", "attributes": {"vpc_id": {"ref": "aws_vpc.mian.id"}}}]});
    let m = at(&spec, "/resources/1/attributes/vpc_id/ref");
    assert!(
        m[0].contains("expected a declared resource, found aws_vpc.mian")
            && m[0].contains("did you mean \"aws_vpc.main\""),
        "{m:?}"
    );
}

#[test]
fn dangling_variable_local_data_and_module_references() {
    let spec = json!({
        "variables": {"region": {"type": "string", "default": "eu-west-1"}},
        "locals": {"tags": {"A": "b"}},
        "data": [{"type": "aws_ami", "name": "linux"}],
        "resources": [{"type": "aws_instance", "name": "x", "attributes": {
            "ami": {"ref": "data.aws_ami.linx.id"},
            "availability_zone": "${var.regoin}a",
            "tags": {"expr": "merge(local.tag, {})"},
            "subnet_id": {"ref": "module.net.subnet_id"},
            "user_data": {"ref": "module.network.nope"}
        }}],
        "modules": [{"name": "network", "source": "./modules/network"}],
        "child_modules": {"network": {"outputs": {"subnet_id": {"value": "s"}}}}
    });
    assert!(
        at(&spec, "/resources/0/attributes/ami/ref")[0]
            .contains("did you mean \"data.aws_ami.linux\"")
    );
    assert!(
        at(&spec, "/resources/0/attributes/availability_zone")[0]
            .contains("did you mean \"region\"")
    );
    assert!(at(&spec, "/resources/0/attributes/tags/expr")[0].contains("did you mean \"tags\""));
    assert!(
        at(&spec, "/resources/0/attributes/subnet_id/ref")[0]
            .contains("expected a declared module call, found module.net")
    );
    assert!(
        at(&spec, "/resources/0/attributes/user_data/ref")[0]
            .contains("expected an output of module \"network\"")
    );
}

#[test]
fn cycles_are_reported_with_the_path() {
    let spec = json!({"resources": [
        {"type": "aws_security_group", "name": "a", "attributes": {"description": {"ref": "aws_security_group.b.id"}}},
        {"type": "aws_security_group", "name": "b", "attributes": {"description": {"ref": "aws_security_group.a.id"}}}
    ]});
    let m = at(&spec, "/resources/0");
    assert!(
        m[0].contains("aws_security_group.a → aws_security_group.b → aws_security_group.a"),
        "{m:?}"
    );
    let through_locals =
        json!({"locals": {"a": {"ref": "local.b"}, "b": {"expr": "upper(local.a)"}}});
    assert!(at(&through_locals, "/locals/a")[0].contains("local.a → local.b → local.a"));
}

#[test]
fn duplicate_addresses_and_names() {
    let spec = json!({
        "resources": [vpc(), vpc()],
        "modules": [{"name": "m", "source": "x/y/aws"}, {"name": "m", "source": "x/y/aws"}],
        "providers": [{"name": "aws"}, {"name": "aws"}]
    });
    assert!(
        at(&spec, "/resources/1/name")[0]
            .contains("found \"aws_vpc.main\" again (first at /resources/0)")
    );
    assert!(at(&spec, "/modules/1/name")[0].contains("unique module call name"));
    assert!(at(&spec, "/providers/1")[0].contains("alias"));
    let text = r#"{"variables": {"a": {}, "a": {}}}"#;
    assert!(
        violations(text)
            .iter()
            .any(|(p, m)| p == "/variables/a" && m.contains("found \"a\" twice"))
    );
}

#[test]
fn count_and_for_each_together() {
    let spec = json!({"resources": [{"type": "aws_iam_user", "name": "u", "count": 2, "for_each": {"expr": "toset([\"a\"])"}}]});
    assert!(
        at(&spec, "/resources/0/for_each")[0]
            .contains("either \"count\" or \"for_each\", found both")
    );
    let spec = json!({"resources": [{"type": "aws_iam_user", "name": "u", "attributes": {"name": "u-${count.index}", "path": {"ref": "each.key"}}}]});
    at(&spec, "/resources/0/attributes/name");
    at(&spec, "/resources/0/attributes/path/ref");
}

#[test]
fn defaults_must_match_their_types() {
    let spec = json!({"variables": {
        "n": {"type": "number", "default": "many"},
        "l": {"type": "list(string)", "default": "a"},
        "o": {"type": "object({ name = string, size = optional(number) })", "default": {"nmae": "x"}},
        "m": {"type": "map(bool)", "default": {"a": true, "b": [1]}},
        "t": {"type": "strin"},
        "ok": {"type": "object({ name = string, size = optional(number) })", "default": {"name": "x"}}
    }});
    assert!(
        at(&spec, "/variables/n/default")[0]
            .contains("expected a value of type number, found the string \"many\"")
    );
    assert!(at(&spec, "/variables/l/default")[0].contains("type list(string)"));
    assert!(at(&spec, "/variables/o/default")[0].contains("expected attribute \"name\""));
    assert!(at(&spec, "/variables/o/default/nmae")[0].contains("did you mean \"name\""));
    assert!(at(&spec, "/variables/m/default/b")[0].contains("type bool"));
    assert!(at(&spec, "/variables/t/type")[0].contains("did you mean \"string\""));
    assert!(!violations(&spec.to_string()).iter().any(|(p, _)| p.starts_with("/variables/ok")));
}

#[test]
fn identifiers_expressions_and_module_inputs() {
    let spec = json!({
        "variables": {"my var": {}},
        "resources": [{"type": "aws_s3_bucket", "name": "1st", "attributes": {"bucket": {"expr": "lower(\"A\""}, "acl": {"ref": "upper(var.x)"}}}],
        "modules": [{"name": "db", "source": "./modules/dbx", "inputs": {}}, {"name": "db2", "source": "./modules/db", "inputs": {"nmae": "x"}}],
        "child_modules": {"db": {"variables": {"name": {"type": "string"}}}}
    });
    assert!(at(&spec, "/variables/my var")[0].contains("expected a valid variable name"));
    assert!(at(&spec, "/resources/0/name")[0].contains("found \"1st\""));
    assert!(
        at(&spec, "/resources/0/attributes/bucket/expr")[0].contains("expected an HCL expression")
    );
    assert!(at(&spec, "/resources/0/attributes/acl/ref")[0].contains("write it as {\"expr\""));
    assert!(at(&spec, "/modules/0/source")[0].contains("did you mean \"db\""));
    assert!(at(&spec, "/modules/1/inputs/nmae")[0].contains("did you mean \"name\""));
    assert!(at(&spec, "/modules/1/inputs")[0].contains("expected a value for \"name\""));
}

#[test]
fn providers_moved_import_and_sensitive_outputs() {
    let spec = json!({
        "providers": [{"name": "aws", "alias": "east"}],
        "variables": {"secret": {"type": "string", "sensitive": true}},
        "resources": [{"type": "aws_s3_bucket", "name": "b", "provider": "aws.eats", "depends_on": ["aws_s3_bucket.c"]}],
        "moved": [{"from": "aws_s3_bucket.b", "to": "aws_s3_bucket.x"}],
        "import": [{"to": "aws_s3_bucket.bb", "id": "b"}],
        "outputs": {"s": {"value": {"ref": "var.secret"}}}
    });
    assert!(at(&spec, "/resources/0/provider")[0].contains("did you mean \"aws.east\""));
    assert!(at(&spec, "/resources/0/depends_on/0")[0].contains("not declared"));
    at(&spec, "/moved/0/to");
    assert!(at(&spec, "/moved/0/from")[0].contains("still declared"));
    assert!(at(&spec, "/import/0/to")[0].contains("did you mean \"aws_s3_bucket.b\""));
    assert!(at(&spec, "/outputs/s/sensitive")[0].contains("sensitive variable var.secret"));
}

#[test]
fn parse_errors_have_pointers() {
    let v = violations(r#"{"resources": [{"type": "aws_vpc", "nmae": "x"}]}"#);
    assert!(v.iter().any(|(p, _)| p.starts_with("/resources/0")), "{v:?}");
    let v = violations(r#"{"resource": []}"#);
    assert!(v.iter().any(|(_, m)| m.contains("resources")), "{v:?}");
}

#[test]
fn a_valid_spec_has_no_violations() {
    let spec = json!({"resources": [vpc(), {"type": "aws_subnet", "name": "a", "count": 2, "attributes": {"vpc_id": {"ref": "aws_vpc.main.id"}, "cidr_block": {"expr": "cidrsubnet(aws_vpc.main.cidr_block, 8, count.index)"}}}]});
    assert_eq!(violations(&spec.to_string()), Vec::<(String, String)>::new());
}

#[test]
fn a_longer_cycle_is_shown_closed() {
    let r = |name: &str, to: &str| json!({"type": "aws_sns_topic", "name": name, "attributes": {"name": {"ref": format!("aws_sns_topic.{to}.name")}, "display_name": {"ref": "aws_sns_topic.x.name"}}});
    let spec = json!({"resources": [r("a", "b"), r("b", "c"), r("c", "a"), {"type": "aws_sns_topic", "name": "x"}]});
    let m = at(&spec, "/resources/0");
    assert!(
        m[0].contains("aws_sns_topic.a → aws_sns_topic.b → aws_sns_topic.c → aws_sns_topic.a"),
        "{m:?}"
    );
}
