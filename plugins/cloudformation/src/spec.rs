//! The spec: a CloudFormation template written as JSON with snake_case
//! section names, plus output options. Its types are the single source of
//! the plugin's JSON Schema, so every doc comment here is written for the
//! chat model that writes specs from that schema alone.

use kiln_plugin_sdk::schemars::{self, JsonSchema};
use serde::Deserialize;

use crate::json::{Json, Named};

/// A CloudFormation stack template. Only `resources` is required. Values
/// inside `properties`, `value`, `conditions` and the like may use intrinsic
/// functions in CloudFormation's long JSON form, e.g. `{"Ref": "VpcCidr"}`,
/// `{"Fn::GetAtt": ["Bucket", "Arn"]}` (or `{"Fn::GetAtt": "Bucket.Arn"}`),
/// `{"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/*"}`,
/// `{"Fn::If": ["IsProd", 3, 1]}`. The short keys `{"!Ref": "X"}`,
/// `{"!GetAtt": "A.Arn"}`, `{"!Sub": "..."}` are accepted too.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// What the stack is for, shown in the CloudFormation console (at most
    /// 1024 bytes). Example: "VPC with two public and two private subnets".
    #[serde(default)]
    pub description: Option<String>,
    /// Macros CloudFormation runs on the template before deploying it: one
    /// name or a list. Use "AWS::Serverless-2016-10-31" for SAM resources
    /// (AWS::Serverless::Function, AWS::Serverless::Api, ...); also
    /// "AWS::LanguageExtensions". Default: none.
    #[serde(default)]
    pub transform: Option<Transform>,
    /// Free-form template-level metadata, written as the template's
    /// `Metadata` section (e.g. `AWS::CloudFormation::Interface` parameter
    /// groups). Default: none.
    #[serde(default)]
    pub metadata: Option<Json>,
    /// Input parameters by logical name (letters and digits only), e.g.
    /// `{"Environment": {"type": "String", "allowed_values": ["dev", "prod"],
    /// "default": "dev"}}`. Parameters and resources share one namespace.
    /// At most 200.
    #[serde(default)]
    pub parameters: Named<Parameter>,
    /// Lookup tables for `Fn::FindInMap`: mapping name → top-level key →
    /// second-level key → value, e.g. `{"RegionAmi": {"us-east-1": {"Ami":
    /// "ami-0abcdef1234567890"}}}`.
    #[serde(default)]
    pub mappings: Named<Named<Named<Json>>>,
    /// Named conditions: each a condition function (`Fn::Equals`, `Fn::And`,
    /// `Fn::Or`, `Fn::Not`, or `{"Condition": "OtherCondition"}`), e.g.
    /// `{"IsProd": {"Fn::Equals": [{"Ref": "Environment"}, "prod"]}}`.
    /// Conditions may refer to parameters but not to resources.
    #[serde(default)]
    pub conditions: Named<Json>,
    /// Parameter rules checked before the stack is created or updated, by
    /// name.
    #[serde(default)]
    pub rules: Named<Rule>,
    /// The stack's resources by logical id (letters and digits only, unique
    /// across parameters and resources), in the order they should appear,
    /// e.g. `{"LogBucket": {"type": "AWS::S3::Bucket", "properties": {...}}}`.
    /// At least 1, at most 500.
    pub resources: Named<Resource>,
    /// Stack outputs by logical name, e.g. `{"BucketArn": {"value":
    /// {"Fn::GetAtt": ["LogBucket", "Arn"]}, "export": {"Fn::Sub":
    /// "${AWS::StackName}-BucketArn"}}}`. At most 200.
    #[serde(default)]
    pub outputs: Named<Output>,
    /// How the files are written. Every field has a default.
    #[serde(default)]
    pub options: Options,
}

/// One transform name, or several applied in order.
#[derive(Debug, Clone, JsonSchema)]
#[serde(untagged)]
pub enum Transform {
    /// One transform, e.g. "AWS::Serverless-2016-10-31".
    One(String),
    /// Several transforms, applied in the order listed.
    Many(Vec<String>),
}

impl Transform {
    pub fn names(&self) -> Vec<&str> {
        match self {
            Transform::One(s) => vec![s.as_str()],
            Transform::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// A stack input parameter.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    /// The parameter type. Default "String". One of "String", "Number",
    /// "List<Number>", "CommaDelimitedList", an AWS-specific type such as
    /// "AWS::EC2::KeyPair::KeyName", "AWS::EC2::VPC::Id",
    /// "AWS::EC2::Subnet::Id", "AWS::EC2::SecurityGroup::Id",
    /// "AWS::EC2::Image::Id", "AWS::EC2::AvailabilityZone::Name",
    /// "AWS::Route53::HostedZone::Id" (or "List<...>" of one, e.g.
    /// "List<AWS::EC2::Subnet::Id>"), or an SSM parameter type such as
    /// "AWS::SSM::Parameter::Value<String>" or
    /// "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>".
    #[serde(rename = "type", default = "default_parameter_type")]
    pub kind: String,
    /// What to enter, shown next to the input box. Example: "CIDR block of
    /// the VPC".
    #[serde(default)]
    pub description: Option<String>,
    /// The value used when none is given at deploy time (a string, a number,
    /// or for list types a comma-separated string). Default: none, so the
    /// value is required.
    #[serde(default)]
    pub default: Option<Json>,
    /// The only values accepted, e.g. ["dev", "staging", "prod"].
    #[serde(default)]
    pub allowed_values: Option<Vec<Json>>,
    /// A Java regular expression a String value must match, e.g.
    /// "^[a-z][a-z0-9-]*$".
    #[serde(default)]
    pub allowed_pattern: Option<String>,
    /// Fewest characters of a String value.
    #[serde(default)]
    pub min_length: Option<u64>,
    /// Most characters of a String value.
    #[serde(default)]
    pub max_length: Option<u64>,
    /// Smallest Number value.
    #[serde(default)]
    pub min_value: Option<serde_json::Number>,
    /// Largest Number value.
    #[serde(default)]
    pub max_value: Option<serde_json::Number>,
    /// The message shown when a value breaks a constraint, e.g. "must be a
    /// valid IPv4 CIDR such as 10.0.0.0/16".
    #[serde(default)]
    pub constraint_description: Option<String>,
    /// true to mask the value everywhere CloudFormation shows it (passwords,
    /// tokens). Default false.
    #[serde(default)]
    pub no_echo: bool,
    /// The value written for this parameter in `parameters.json` (the AWS CLI
    /// parameter file). Default: the `default`, or an empty placeholder to
    /// fill in. Never put real secrets here.
    #[serde(default)]
    pub value: Option<Json>,
}

fn default_parameter_type() -> String {
    "String".to_string()
}

/// A rule: when `rule_condition` holds (always, if omitted), every
/// assertion must hold.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// When the rule applies: a rule function such as `{"Fn::Equals":
    /// [{"Ref": "Environment"}, "prod"]}`. Default: always.
    #[serde(default)]
    pub rule_condition: Option<Json>,
    /// What must hold, at least one.
    pub assertions: Vec<Assertion>,
}

/// One rule assertion.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Assertion {
    /// A rule function that must be true, e.g. `{"Fn::Contains": [["m5.large",
    /// "m5.xlarge"], {"Ref": "InstanceType"}]}`.
    pub assert: Json,
    /// The message shown when the assertion fails.
    #[serde(default)]
    pub assert_description: Option<String>,
}

/// A stack resource.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    /// The resource type: "AWS::Service::Type" (e.g. "AWS::S3::Bucket",
    /// "AWS::Lambda::Function", "AWS::Serverless::Function" with the SAM
    /// transform) or "Custom::Name" for a custom resource.
    #[serde(rename = "type")]
    pub kind: String,
    /// The resource's properties exactly as CloudFormation names them
    /// (PascalCase, e.g. {"BucketName": "...", "VersioningConfiguration":
    /// {"Status": "Enabled"}}), values may use intrinsic functions. Default:
    /// no properties.
    #[serde(default)]
    pub properties: Option<Json>,
    /// Logical ids of resources that must be created first (one id or a
    /// list). Only needed when no Ref/GetAtt/Sub already links them.
    #[serde(default)]
    pub depends_on: Option<OneOrMany>,
    /// The name of a condition (in `conditions`) that decides whether the
    /// resource is created.
    #[serde(default)]
    pub condition: Option<String>,
    /// What happens to the resource when it is removed from the stack or the
    /// stack is deleted. Default: Delete (Snapshot for some databases).
    #[serde(default)]
    pub deletion_policy: Option<DeletionPolicy>,
    /// What happens to the old resource when an update replaces it.
    #[serde(default)]
    pub update_replace_policy: Option<UpdateReplacePolicy>,
    /// Free-form metadata attached to the resource (e.g.
    /// AWS::CloudFormation::Init).
    #[serde(default)]
    pub metadata: Option<Json>,
    /// CreationPolicy attribute, e.g. {"ResourceSignal": {"Count": 1,
    /// "Timeout": "PT15M"}} for instances and auto scaling groups.
    #[serde(default)]
    pub creation_policy: Option<Json>,
    /// UpdatePolicy attribute, e.g. {"AutoScalingRollingUpdate":
    /// {"MaxBatchSize": 1}}.
    #[serde(default)]
    pub update_policy: Option<Json>,
}

/// One logical id or a list of them.
#[derive(Debug, Clone, JsonSchema)]
#[serde(untagged)]
pub enum OneOrMany {
    /// One logical id, e.g. "AttachGateway".
    One(String),
    /// Several logical ids.
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn items(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(s) => vec![s.as_str()],
            OneOrMany::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// DeletionPolicy: what happens to the resource when it leaves the stack.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema, PartialEq, Eq)]
pub enum DeletionPolicy {
    /// Delete the resource (the default for most types).
    Delete,
    /// Keep the resource, outside the stack.
    Retain,
    /// Keep it unless the stack's creation failed.
    RetainExceptOnCreate,
    /// Take a snapshot, then delete (databases, volumes, caches).
    Snapshot,
}

/// UpdateReplacePolicy: what happens to the replaced resource.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema, PartialEq, Eq)]
pub enum UpdateReplacePolicy {
    /// Delete the old resource (default).
    Delete,
    /// Keep the old resource.
    Retain,
    /// Snapshot the old resource, then delete it.
    Snapshot,
}

impl DeletionPolicy {
    pub fn name(self) -> &'static str {
        match self {
            DeletionPolicy::Delete => "Delete",
            DeletionPolicy::Retain => "Retain",
            DeletionPolicy::RetainExceptOnCreate => "RetainExceptOnCreate",
            DeletionPolicy::Snapshot => "Snapshot",
        }
    }
}

impl UpdateReplacePolicy {
    pub fn name(self) -> &'static str {
        match self {
            UpdateReplacePolicy::Delete => "Delete",
            UpdateReplacePolicy::Retain => "Retain",
            UpdateReplacePolicy::Snapshot => "Snapshot",
        }
    }
}

/// A stack output.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Output {
    /// The value: a string or an intrinsic function, e.g. {"Ref": "Vpc"} or
    /// {"Fn::GetAtt": ["LoadBalancer", "DNSName"]}.
    pub value: Json,
    /// What the output is.
    #[serde(default)]
    pub description: Option<String>,
    /// The name to export the value under for other stacks'
    /// `Fn::ImportValue`, unique in the region: a string or an intrinsic,
    /// e.g. {"Fn::Sub": "${AWS::StackName}-VpcId"}. Default: not exported.
    #[serde(default)]
    pub export: Option<Json>,
    /// The name of a condition (in `conditions`) that decides whether the
    /// output exists.
    #[serde(default)]
    pub condition: Option<String>,
}

/// Output options.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// How intrinsic functions are written in template.yaml: "short" (tags
    /// such as `!Ref Vpc`, `!GetAtt Bucket.Arn`, `!Sub ...`; default) or
    /// "long" (`Ref: Vpc`, `Fn::GetAtt: [Bucket, Arn]`).
    #[serde(default)]
    pub intrinsics: IntrinsicStyle,
    /// Also write template.json (the same template as JSON). Default false.
    #[serde(default)]
    pub json: bool,
    /// How the template reaches CloudFormation, which sets its size limit:
    /// "direct" (default: `--template-body`, at most 51,200 bytes) or "s3"
    /// (uploaded to S3 and passed as `--template-url`, at most 1,000,000
    /// bytes).
    #[serde(default)]
    pub upload: Upload,
    /// Write README.md describing the parameters, resources and outputs.
    /// Default true.
    #[serde(default = "yes")]
    pub readme: bool,
    /// Write diagram.svg, the resources grouped by AWS service with their
    /// references as arrows. Default true.
    #[serde(default = "yes")]
    pub diagram: bool,
    /// Write parameters.json, the parameter values in the AWS CLI's
    /// `--parameters file://parameters.json` form. Default true.
    #[serde(default = "yes")]
    pub parameters_file: bool,
}

fn yes() -> bool {
    true
}

impl Default for Options {
    fn default() -> Self {
        Options {
            intrinsics: IntrinsicStyle::Short,
            json: false,
            upload: Upload::Direct,
            readme: true,
            diagram: true,
            parameters_file: true,
        }
    }
}

/// How intrinsic functions are written in YAML.
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum IntrinsicStyle {
    /// Short tags: `!Ref X`, `!GetAtt A.Arn`, `!Sub '...'` (default).
    #[default]
    Short,
    /// Long keys: `Ref: X`, `Fn::GetAtt: [A, Arn]`.
    Long,
}

/// How the template is handed to CloudFormation.
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Upload {
    /// Passed inline (`--template-body`): at most 51,200 bytes (default).
    #[default]
    Direct,
    /// Uploaded to S3 (`--template-url`): at most 1,000,000 bytes.
    S3,
}

/// A string or a list of strings, with a message that says so.
fn one_or_many<'de, D: serde::Deserializer<'de>>(
    d: D,
    what: &str,
) -> Result<(Option<String>, Vec<String>), D::Error> {
    use serde::de::Error;
    match Json::deserialize(d)? {
        Json::String(s) => Ok((Some(s), Vec::new())),
        Json::Array(items) => items
            .into_iter()
            .map(|i| match i {
                Json::String(s) => Ok(s),
                other => Err(D::Error::custom(format!(
                    "expected {what} as a string in the list, found {}",
                    other.kind()
                ))),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(|v| (None, v)),
        other => Err(D::Error::custom(format!(
            "expected {what} or a list of them, found {}",
            other.kind()
        ))),
    }
}

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match one_or_many(d, "a logical id")? {
            (Some(s), _) => OneOrMany::One(s),
            (None, v) => OneOrMany::Many(v),
        })
    }
}

impl<'de> Deserialize<'de> for Transform {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match one_or_many(d, "a transform name such as \"AWS::Serverless-2016-10-31\"")? {
            (Some(s), _) => Transform::One(s),
            (None, v) => Transform::Many(v),
        })
    }
}
