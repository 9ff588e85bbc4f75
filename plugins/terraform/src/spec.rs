//! The spec: a Terraform root module and its child modules, as JSON.

use kiln_plugin_sdk::schemars::{self, JsonSchema};
use serde::Deserialize;

use crate::ordered::OrderedMap;
use crate::value::Value;

/// A Terraform configuration: a root module (the fields below) and, optionally,
/// local child modules under `child_modules`. Every list and map may be left
/// out. Files written: versions.tf, providers.tf, variables.tf, main.tf,
/// outputs.tf, modules/<name>/*.tf, terraform.tfvars.example, README.md and
/// diagram.svg.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Title of the configuration, used as the README heading and the diagram
    /// title. Default: "Terraform configuration". Example: "Network for the shop".
    #[serde(default)]
    pub title: Option<String>,
    /// A paragraph for the README describing what the configuration builds.
    #[serde(default)]
    pub description: Option<String>,
    /// The `terraform` block: required Terraform version, required providers
    /// and backend. When left out, `required_version` is ">= 1.5.0" and every
    /// provider type used by a resource gets a `required_providers` entry for
    /// a known provider (aws, azurerm, google, random, ...).
    #[serde(default)]
    pub terraform: Option<TerraformSettings>,
    /// Provider configurations (written to providers.tf), e.g.
    /// [{"name": "aws", "config": {"region": "eu-west-1"}}]. A second
    /// configuration of the same provider needs an `alias`.
    #[serde(default)]
    pub providers: Vec<Provider>,
    /// Input variables by name (variables.tf), e.g. {"cidr": {"type": "string",
    /// "default": "10.0.0.0/16"}}.
    #[serde(default)]
    pub variables: OrderedMap<Variable>,
    /// Local values by name, e.g. {"tags": {"Project": "shop"}}; referenced as
    /// local.<name>.
    #[serde(default)]
    pub locals: OrderedMap<Value>,
    /// Managed resources (main.tf), e.g. [{"type": "aws_vpc", "name": "main",
    /// "attributes": {"cidr_block": {"ref": "var.cidr"}}}].
    #[serde(default)]
    pub resources: Vec<Resource>,
    /// Data sources (main.tf), referenced as data.<type>.<name>.<attribute>,
    /// e.g. [{"type": "aws_caller_identity", "name": "current"}].
    #[serde(default)]
    pub data: Vec<Resource>,
    /// Module calls, e.g. [{"name": "network", "source": "./modules/network",
    /// "inputs": {"cidr": "10.0.0.0/16"}}]; outputs are referenced as
    /// module.<name>.<output>.
    #[serde(default)]
    pub modules: Vec<ModuleCall>,
    /// Outputs by name (outputs.tf), e.g. {"vpc_id": {"value": {"ref":
    /// "aws_vpc.main.id"}, "description": "ID of the VPC"}}.
    #[serde(default)]
    pub outputs: OrderedMap<Output>,
    /// `moved` blocks recording renamed addresses, e.g. [{"from":
    /// "aws_s3_bucket.old", "to": "aws_s3_bucket.logs"}]. Root module only.
    #[serde(default)]
    pub moved: Vec<Moved>,
    /// `import` blocks bringing existing infrastructure under management, e.g.
    /// [{"to": "aws_s3_bucket.logs", "id": "shop-logs"}]. Root module only.
    #[serde(default)]
    pub import: Vec<Import>,
    /// Local child modules by name, written to modules/<name>/ and called with
    /// "source": "./modules/<name>". Each has the same fields as the root
    /// (variables, locals, resources, data, modules, outputs, terraform with
    /// required_providers) except providers, moved, import and child_modules.
    #[serde(default)]
    pub child_modules: OrderedMap<ChildModule>,
}

/// A child module: its own variables (its inputs), resources and outputs.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChildModule {
    /// What the module does (the first line of its README section).
    #[serde(default)]
    pub description: Option<String>,
    /// The module's `terraform` block; usually only `required_providers`.
    /// Default: the providers its resources use, with the root's constraints.
    #[serde(default)]
    pub terraform: Option<TerraformSettings>,
    /// The module's input variables by name; callers set them in `inputs`.
    #[serde(default)]
    pub variables: OrderedMap<Variable>,
    /// Local values by name, referenced as local.<name> inside the module.
    #[serde(default)]
    pub locals: OrderedMap<Value>,
    /// Managed resources of the module.
    #[serde(default)]
    pub resources: Vec<Resource>,
    /// Data sources of the module.
    #[serde(default)]
    pub data: Vec<Resource>,
    /// Calls of other child modules from this one ("source": "../<name>").
    #[serde(default)]
    pub modules: Vec<ModuleCall>,
    /// The module's outputs by name; the caller reads them as
    /// module.<call name>.<output>.
    #[serde(default)]
    pub outputs: OrderedMap<Output>,
}

/// Settings of the `terraform` block.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TerraformSettings {
    /// Version constraint on the Terraform CLI. Default ">= 1.5.0".
    /// Example: ">= 1.6.0, < 2.0.0".
    #[serde(default)]
    pub required_version: Option<String>,
    /// Providers by local name, e.g. {"aws": {"source": "hashicorp/aws",
    /// "version": "~> 5.0"}}. Providers used but not listed are added when the
    /// source of their name is known.
    #[serde(default)]
    pub required_providers: OrderedMap<RequiredProvider>,
    /// Where state is kept, e.g. {"type": "s3", "config": {"bucket":
    /// "tf-state", "key": "shop/terraform.tfstate", "region": "eu-west-1",
    /// "encrypt": true}}. Root module only. Default: local state.
    #[serde(default)]
    pub backend: Option<Backend>,
}

/// One entry of `required_providers`.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequiredProvider {
    /// Registry source "namespace/type", e.g. "hashicorp/aws". Default: the
    /// known source for the local name ("hashicorp/<name>" for HashiCorp's).
    #[serde(default)]
    pub source: Option<String>,
    /// Version constraint, e.g. "~> 5.0" or ">= 3.5, < 4.0". Default: none.
    #[serde(default)]
    pub version: Option<String>,
    /// Aliases callers pass in (`configuration_aliases`), in a child module,
    /// e.g. ["aws.us_east_1"].
    #[serde(default)]
    pub configuration_aliases: Vec<String>,
}

/// A backend block.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Backend {
    /// Backend type: "s3", "gcs", "azurerm", "remote", "local", "http",
    /// "consul", "pg", "kubernetes" or "cos".
    #[serde(rename = "type")]
    pub kind: String,
    /// The backend's arguments, e.g. {"bucket": "tf-state", "key":
    /// "app.tfstate", "region": "eu-west-1"}. Literals only (backends do not
    /// take references).
    #[serde(default)]
    pub config: OrderedMap<Value>,
}

/// A `provider` block.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    /// The provider's local name, e.g. "aws", "google", "azurerm".
    pub name: String,
    /// Alias for an extra configuration, e.g. "us_east_1"; resources pick it
    /// with "provider": "aws.us_east_1". Default: none (the default
    /// configuration).
    #[serde(default)]
    pub alias: Option<String>,
    /// The provider's arguments, e.g. {"region": {"ref": "var.region"}}.
    #[serde(default)]
    pub config: OrderedMap<Value>,
    /// Nested blocks, e.g. [{"type": "default_tags", "attributes": {"tags":
    /// {"Project": "shop"}}}].
    #[serde(default)]
    pub blocks: Vec<Block>,
}

/// An input variable.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    /// Type constraint in Terraform syntax: "string", "number", "bool",
    /// "list(string)", "set(string)", "map(number)", "tuple([string, number])",
    /// "object({ name = string, port = optional(number, 80) })" or "any".
    /// Default: no constraint (any).
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// What the variable is for (shown in the README inputs table).
    #[serde(default)]
    pub description: Option<String>,
    /// Default value, a JSON value of the declared type. A variable without a
    /// default is required.
    #[serde(default, deserialize_with = "some_value")]
    pub default: Option<Value>,
    /// True hides the value in plan output. Default false.
    #[serde(default)]
    pub sensitive: bool,
    /// False forbids null as a value. Default: Terraform's default (true).
    #[serde(default)]
    pub nullable: Option<bool>,
    /// Validation rules, e.g. [{"condition": "can(cidrhost(var.cidr, 0))",
    /// "error_message": "The cidr must be a valid IPv4 CIDR block."}].
    #[serde(default)]
    pub validation: Vec<Validation>,
}

/// A custom validation rule on a variable (or a lifecycle condition).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Validation {
    /// An HCL boolean expression, e.g. "contains([\"dev\", \"prod\"], var.env)".
    pub condition: String,
    /// The message shown when the condition is false: a full sentence ending
    /// in a period, e.g. "env must be dev or prod.".
    pub error_message: String,
}

/// A resource or data source.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    /// The resource type, e.g. "aws_s3_bucket", "google_compute_network".
    #[serde(rename = "type")]
    pub kind: String,
    /// The local name, unique per type: letters, digits, underscores and
    /// hyphens, starting with a letter or underscore, e.g. "main".
    pub name: String,
    /// Arguments by name, e.g. {"cidr_block": "10.0.0.0/16",
    /// "vpc_id": {"ref": "aws_vpc.main.id"}, "tags": {"Name": "main"}}.
    #[serde(default)]
    pub attributes: OrderedMap<Value>,
    /// Nested blocks in order, e.g. [{"type": "ingress", "attributes":
    /// {"from_port": 443, "to_port": 443, "protocol": "tcp"}}]; set
    /// `for_each` on a block to write it as a `dynamic` block.
    #[serde(default)]
    pub blocks: Vec<Block>,
    /// Number of instances (a number or an expression such as
    /// {"expr": "length(var.azs)"}); then count.index is available. Not with
    /// for_each.
    #[serde(default)]
    pub count: Option<Value>,
    /// A map or set of strings to create one instance per element, e.g.
    /// {"ref": "var.buckets"} or {"expr": "toset(var.names)"}; then each.key
    /// and each.value are available. Not with count.
    #[serde(default)]
    pub for_each: Option<Value>,
    /// Non-default provider configuration, "<name>.<alias>", e.g.
    /// "aws.us_east_1".
    #[serde(default)]
    pub provider: Option<String>,
    /// Explicit dependencies (addresses), e.g. ["aws_iam_role_policy.lambda"].
    /// References in attributes already create dependencies; use this only
    /// for hidden ones.
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// The lifecycle block (resources only).
    #[serde(default)]
    pub lifecycle: Option<Lifecycle>,
    /// Description shown on the README and in the diagram tooltip, e.g.
    /// "Bucket for access logs". Written as a comment above the block.
    #[serde(default)]
    pub description: Option<String>,
    /// Static-analysis checks this resource knowingly does not satisfy, each
    /// written as a `#checkov:skip=<id>:<reason>` comment, e.g. [{"id":
    /// "CKV_AWS_144", "reason": "Cross-region replication is not needed for
    /// logs."}]. Use sparingly, always with a reason.
    #[serde(default)]
    pub skip_checks: Vec<SkipCheck>,
}

/// One check skipped on purpose.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SkipCheck {
    /// The check id, e.g. "CKV_AWS_144" or "CKV2_AWS_62".
    pub id: String,
    /// Why it does not apply, one sentence.
    pub reason: String,
}

/// A nested block, e.g. `ingress { ... }` or `versioning_configuration { ... }`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Block {
    /// The block type, e.g. "ingress", "rule", "statement".
    #[serde(rename = "type")]
    pub kind: String,
    /// Block labels, rarely needed (most nested blocks have none).
    #[serde(default)]
    pub labels: Vec<String>,
    /// Arguments of the block by name.
    #[serde(default)]
    pub attributes: OrderedMap<Value>,
    /// Blocks nested inside this one.
    #[serde(default)]
    pub blocks: Vec<Block>,
    /// Makes this a `dynamic` block generated once per element of this
    /// collection, e.g. {"ref": "var.ingress_rules"}; inside, the element is
    /// <iterator>.value (and <iterator>.key). Default: a plain block.
    #[serde(default)]
    pub for_each: Option<Value>,
    /// Name of the iteration variable of a dynamic block. Default: the block
    /// type (e.g. ingress.value).
    #[serde(default)]
    pub iterator: Option<String>,
}

/// Lifecycle settings of a resource.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Lifecycle {
    /// Create the replacement before destroying the old instance. Default false.
    #[serde(default)]
    pub create_before_destroy: Option<bool>,
    /// Refuse to destroy the resource (for databases, state buckets). Default false.
    #[serde(default)]
    pub prevent_destroy: Option<bool>,
    /// Attribute names whose drift is ignored, e.g. ["tags"]; ["all"] ignores all.
    #[serde(default)]
    pub ignore_changes: Vec<String>,
    /// References whose change forces replacement, e.g.
    /// ["aws_launch_template.web.latest_version"].
    #[serde(default)]
    pub replace_triggered_by: Vec<String>,
    /// Conditions checked before planning the resource.
    #[serde(default)]
    pub precondition: Vec<Validation>,
    /// Conditions checked after applying (self.<attr> is available).
    #[serde(default)]
    pub postcondition: Vec<Validation>,
}

/// A call of a module.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModuleCall {
    /// The call's name, referenced as module.<name>, e.g. "network".
    pub name: String,
    /// Where the module is: "./modules/<child>" for a child module of this
    /// spec, or a registry address such as "terraform-aws-modules/vpc/aws".
    pub source: String,
    /// Version constraint for a registry module, e.g. "~> 5.0".
    #[serde(default)]
    pub version: Option<String>,
    /// The module's input variables, e.g. {"cidr": "10.0.0.0/16",
    /// "subnet_ids": {"ref": "aws_subnet.private[*].id"}}. For a child
    /// module every variable without a default must be set.
    #[serde(default)]
    pub inputs: OrderedMap<Value>,
    /// Number of instances; not with for_each.
    #[serde(default)]
    pub count: Option<Value>,
    /// One instance per element; not with count.
    #[serde(default)]
    pub for_each: Option<Value>,
    /// Provider configurations passed in, child local name to caller's
    /// configuration, e.g. {"aws": "aws.us_east_1"}.
    #[serde(default)]
    pub providers: OrderedMap<String>,
    /// Explicit dependencies (addresses).
    #[serde(default)]
    pub depends_on: Vec<String>,
}

/// An output value.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Output {
    /// The value, usually a reference: {"ref": "aws_vpc.main.id"}.
    pub value: Value,
    /// What the output is (shown in the README outputs table).
    #[serde(default)]
    pub description: Option<String>,
    /// True hides the value in CLI output; required when the value comes from
    /// a sensitive variable. Default false.
    #[serde(default)]
    pub sensitive: bool,
    /// Explicit dependencies (addresses).
    #[serde(default)]
    pub depends_on: Vec<String>,
}

/// A `moved` block.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Moved {
    /// The old address, e.g. "aws_instance.web" or "module.old".
    pub from: String,
    /// The new address, which must exist in the configuration, e.g.
    /// "aws_instance.app".
    pub to: String,
}

/// An `import` block.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Import {
    /// The address to import into, which must exist, e.g. "aws_s3_bucket.logs".
    pub to: String,
    /// The provider's id of the existing object, e.g. "shop-logs" or
    /// {"ref": "var.bucket_name"}.
    pub id: Value,
    /// Non-default provider configuration, e.g. "aws.us_east_1".
    #[serde(default)]
    pub provider: Option<String>,
}

/// Reads an explicit JSON null as Some(Value::Null) rather than None.
fn some_value<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}
