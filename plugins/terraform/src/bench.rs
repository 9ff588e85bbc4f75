//! The benchmark workload: a root module with 300 resources (with
//! references between them) that calls 5 child modules.

use serde_json::{Value, json};

/// Resources in the benchmark's root module.
pub const ROOT_RESOURCES: usize = 300;
/// Child modules in the benchmark spec.
pub const CHILD_MODULES: usize = 5;

/// The benchmark spec as JSON text.
pub fn benchmark_spec() -> String {
    let mut resources = vec![json!({
        "type": "aws_vpc", "name": "main",
        "attributes": { "cidr_block": { "ref": "var.cidr" }, "tags": { "Name": "${var.name}-vpc" } }
    })];
    for i in 1..ROOT_RESOURCES {
        let r = match i % 3 {
            0 => json!({
                "type": "aws_subnet", "name": format!("s{i}"),
                "attributes": {
                    "vpc_id": { "ref": "aws_vpc.main.id" },
                    "cidr_block": { "expr": format!("cidrsubnet(var.cidr, 12, {i})") },
                    "map_public_ip_on_launch": false,
                    "tags": { "expr": format!("merge(local.tags, {{ Name = \"s{i}\" }})") }
                }
            }),
            1 => json!({
                "type": "aws_security_group", "name": format!("g{i}"),
                "attributes": { "name": format!("g{i}"), "description": "Service group", "vpc_id": { "ref": "aws_vpc.main.id" } },
                "blocks": [{
                    "type": "egress", "for_each": { "ref": "var.egress_ports" }, "iterator": "port",
                    "attributes": { "description": "Egress", "from_port": { "ref": "port.value" }, "to_port": { "ref": "port.value" }, "protocol": "tcp", "cidr_blocks": [{ "ref": "var.cidr" }] }
                }]
            }),
            _ => json!({
                "type": "aws_ssm_parameter", "name": format!("p{i}"),
                "attributes": {
                    "name": format!("/${{var.name}}/p{i}"),
                    "type": "SecureString",
                    "value": { "expr": format!("jsonencode({{ group = aws_security_group.g{}.id, index = {i} }})", i - 1) },
                    "key_id": { "ref": "var.kms_key_id" }
                }
            }),
        };
        resources.push(r);
    }
    let mut children = serde_json::Map::new();
    let mut modules = Vec::new();
    for m in 0..CHILD_MODULES {
        let name = format!("service{m}");
        let mut res = Vec::new();
        for j in 0..10 {
            res.push(json!({
                "type": "aws_cloudwatch_log_group", "name": format!("l{j}"),
                "attributes": { "name": "/svc/${var.name}/${var.prefix}-l" , "retention_in_days": 365, "kms_key_id": { "ref": "var.kms_key_id" } }
            }));
        }
        children.insert(name.clone(), json!({
            "variables": {
                "name": { "type": "string", "description": "Service name." },
                "prefix": { "type": "string", "description": "Prefix.", "default": "x" },
                "kms_key_id": { "type": "string", "description": "KMS key." },
                "subnet_ids": { "type": "list(string)", "description": "Subnets.", "default": [] }
            },
            "resources": res,
            "outputs": { "log_group_arn": { "value": { "ref": "aws_cloudwatch_log_group.l0.arn" }, "description": "ARN." } }
        }));
        modules.push(json!({
            "name": name, "source": format!("./modules/service{m}"),
            "inputs": { "name": format!("svc{m}"), "kms_key_id": { "ref": "var.kms_key_id" }, "subnet_ids": [{ "ref": "aws_subnet.s3.id" }] }
        }));
    }
    let spec: Value = json!({
        "title": "Benchmark",
        "variables": {
            "cidr": { "type": "string", "default": "10.0.0.0/16", "description": "VPC CIDR." },
            "name": { "type": "string", "default": "bench", "description": "Name." },
            "kms_key_id": { "type": "string", "description": "KMS key for parameters and logs." },
            "egress_ports": { "type": "set(number)", "default": [443], "description": "Ports." }
        },
        "locals": { "tags": { "Project": { "ref": "var.name" } } },
        "resources": resources,
        "modules": modules,
        "outputs": { "vpc_id": { "value": { "ref": "aws_vpc.main.id" }, "description": "VPC." } },
        "child_modules": children
    });
    spec.to_string()
}
