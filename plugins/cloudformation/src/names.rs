//! Names CloudFormation knows: resource types (for "did you mean"),
//! parameter types and transforms, and the shape rules for logical ids and
//! type names.

/// Common resource types, the candidates for "did you mean" when a type
/// name is malformed. Well-formed types not listed here are accepted.
pub const RESOURCE_TYPES: &[&str] = &[
    "AWS::ApiGateway::Account",
    "AWS::ApiGateway::ApiKey",
    "AWS::ApiGateway::Authorizer",
    "AWS::ApiGateway::BasePathMapping",
    "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::DomainName",
    "AWS::ApiGateway::Method",
    "AWS::ApiGateway::Resource",
    "AWS::ApiGateway::RestApi",
    "AWS::ApiGateway::Stage",
    "AWS::ApiGateway::UsagePlan",
    "AWS::ApiGatewayV2::Api",
    "AWS::ApiGatewayV2::Integration",
    "AWS::ApiGatewayV2::Route",
    "AWS::ApiGatewayV2::Stage",
    "AWS::ApplicationAutoScaling::ScalableTarget",
    "AWS::ApplicationAutoScaling::ScalingPolicy",
    "AWS::AutoScaling::AutoScalingGroup",
    "AWS::AutoScaling::LaunchConfiguration",
    "AWS::AutoScaling::ScalingPolicy",
    "AWS::Backup::BackupPlan",
    "AWS::Backup::BackupVault",
    "AWS::CertificateManager::Certificate",
    "AWS::CloudFormation::CustomResource",
    "AWS::CloudFormation::Stack",
    "AWS::CloudFormation::WaitCondition",
    "AWS::CloudFormation::WaitConditionHandle",
    "AWS::CloudFront::CachePolicy",
    "AWS::CloudFront::CloudFrontOriginAccessIdentity",
    "AWS::CloudFront::Distribution",
    "AWS::CloudFront::Function",
    "AWS::CloudFront::OriginAccessControl",
    "AWS::CloudFront::ResponseHeadersPolicy",
    "AWS::CloudTrail::Trail",
    "AWS::CloudWatch::Alarm",
    "AWS::CloudWatch::Dashboard",
    "AWS::CodeBuild::Project",
    "AWS::CodeCommit::Repository",
    "AWS::CodeDeploy::Application",
    "AWS::CodePipeline::Pipeline",
    "AWS::Cognito::IdentityPool",
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolClient",
    "AWS::Config::ConfigRule",
    "AWS::DynamoDB::GlobalTable",
    "AWS::DynamoDB::Table",
    "AWS::EC2::EIP",
    "AWS::EC2::FlowLog",
    "AWS::EC2::Instance",
    "AWS::EC2::InternetGateway",
    "AWS::EC2::LaunchTemplate",
    "AWS::EC2::NatGateway",
    "AWS::EC2::NetworkAcl",
    "AWS::EC2::NetworkAclEntry",
    "AWS::EC2::NetworkInterface",
    "AWS::EC2::Route",
    "AWS::EC2::RouteTable",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::SecurityGroupEgress",
    "AWS::EC2::SecurityGroupIngress",
    "AWS::EC2::Subnet",
    "AWS::EC2::SubnetNetworkAclAssociation",
    "AWS::EC2::SubnetRouteTableAssociation",
    "AWS::EC2::TransitGateway",
    "AWS::EC2::VPC",
    "AWS::EC2::VPCEndpoint",
    "AWS::EC2::VPCGatewayAttachment",
    "AWS::EC2::Volume",
    "AWS::EC2::VolumeAttachment",
    "AWS::ECR::Repository",
    "AWS::ECS::Cluster",
    "AWS::ECS::Service",
    "AWS::ECS::TaskDefinition",
    "AWS::EFS::FileSystem",
    "AWS::EFS::MountTarget",
    "AWS::EKS::Cluster",
    "AWS::EKS::Nodegroup",
    "AWS::ElastiCache::CacheCluster",
    "AWS::ElastiCache::ReplicationGroup",
    "AWS::ElastiCache::SubnetGroup",
    "AWS::ElasticLoadBalancingV2::Listener",
    "AWS::ElasticLoadBalancingV2::ListenerRule",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::ElasticLoadBalancingV2::TargetGroup",
    "AWS::Events::EventBus",
    "AWS::Events::Rule",
    "AWS::IAM::AccessKey",
    "AWS::IAM::Group",
    "AWS::IAM::InstanceProfile",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::OIDCProvider",
    "AWS::IAM::Policy",
    "AWS::IAM::Role",
    "AWS::IAM::RolePolicy",
    "AWS::IAM::User",
    "AWS::IAM::UserToGroupAddition",
    "AWS::KMS::Alias",
    "AWS::KMS::Key",
    "AWS::Kinesis::Stream",
    "AWS::KinesisFirehose::DeliveryStream",
    "AWS::Lambda::Alias",
    "AWS::Lambda::EventSourceMapping",
    "AWS::Lambda::Function",
    "AWS::Lambda::LayerVersion",
    "AWS::Lambda::Permission",
    "AWS::Lambda::Url",
    "AWS::Lambda::Version",
    "AWS::Logs::LogGroup",
    "AWS::Logs::MetricFilter",
    "AWS::Logs::SubscriptionFilter",
    "AWS::RDS::DBCluster",
    "AWS::RDS::DBClusterParameterGroup",
    "AWS::RDS::DBInstance",
    "AWS::RDS::DBParameterGroup",
    "AWS::RDS::DBSubnetGroup",
    "AWS::Route53::HealthCheck",
    "AWS::Route53::HostedZone",
    "AWS::Route53::RecordSet",
    "AWS::Route53::RecordSetGroup",
    "AWS::S3::AccessPoint",
    "AWS::S3::Bucket",
    "AWS::S3::BucketPolicy",
    "AWS::SNS::Subscription",
    "AWS::SNS::Topic",
    "AWS::SNS::TopicPolicy",
    "AWS::SQS::Queue",
    "AWS::SQS::QueuePolicy",
    "AWS::SSM::Document",
    "AWS::SSM::Parameter",
    "AWS::SecretsManager::RotationSchedule",
    "AWS::SecretsManager::Secret",
    "AWS::SecretsManager::SecretTargetAttachment",
    "AWS::Serverless::Api",
    "AWS::Serverless::Application",
    "AWS::Serverless::Function",
    "AWS::Serverless::HttpApi",
    "AWS::Serverless::LayerVersion",
    "AWS::Serverless::SimpleTable",
    "AWS::Serverless::StateMachine",
    "AWS::StepFunctions::Activity",
    "AWS::StepFunctions::StateMachine",
    "AWS::WAFv2::WebACL",
    "AWS::WAFv2::WebACLAssociation",
];

/// Parameter types that are not AWS-specific.
const PLAIN_PARAMETER_TYPES: &[&str] = &["String", "Number", "List<Number>", "CommaDelimitedList"];

/// AWS-specific parameter types (each also allowed as `List<...>`).
const AWS_PARAMETER_TYPES: &[&str] = &[
    "AWS::EC2::AvailabilityZone::Name",
    "AWS::EC2::Image::Id",
    "AWS::EC2::Instance::Id",
    "AWS::EC2::KeyPair::KeyName",
    "AWS::EC2::SecurityGroup::GroupName",
    "AWS::EC2::SecurityGroup::Id",
    "AWS::EC2::Subnet::Id",
    "AWS::EC2::Volume::Id",
    "AWS::EC2::VPC::Id",
    "AWS::Route53::HostedZone::Id",
];

/// Every parameter type CloudFormation accepts, for suggestions.
pub fn parameter_types() -> Vec<String> {
    let mut all: Vec<String> = PLAIN_PARAMETER_TYPES.iter().map(|s| s.to_string()).collect();
    for t in AWS_PARAMETER_TYPES {
        all.push(t.to_string());
        all.push(format!("List<{t}>"));
    }
    all.push("AWS::SSM::Parameter::Name".into());
    for inner in ["String", "List<String>", "CommaDelimitedList"] {
        all.push(format!("AWS::SSM::Parameter::Value<{inner}>"));
    }
    for t in AWS_PARAMETER_TYPES {
        all.push(format!("AWS::SSM::Parameter::Value<{t}>"));
        all.push(format!("AWS::SSM::Parameter::Value<List<{t}>>"));
    }
    all
}

/// Whether `t` is a parameter type CloudFormation accepts.
pub fn is_parameter_type(t: &str) -> bool {
    if PLAIN_PARAMETER_TYPES.contains(&t) || t == "AWS::SSM::Parameter::Name" {
        return true;
    }
    let aws = |s: &str| AWS_PARAMETER_TYPES.contains(&s);
    let list_or_one = |s: &str| {
        aws(s) || s.strip_prefix("List<").and_then(|r| r.strip_suffix('>')).is_some_and(aws)
    };
    if let Some(inner) =
        t.strip_prefix("AWS::SSM::Parameter::Value<").and_then(|r| r.strip_suffix('>'))
    {
        return matches!(inner, "String" | "List<String>" | "CommaDelimitedList")
            || list_or_one(inner);
    }
    list_or_one(t)
}

/// Whether a parameter of type `t` takes a list (its value is
/// comma-separated).
pub fn is_list_parameter(t: &str) -> bool {
    t.starts_with("List<")
        || t == "CommaDelimitedList"
        || t.contains("<List<")
        || t.ends_with("<CommaDelimitedList>")
}

/// Transforms CloudFormation hosts.
pub const TRANSFORMS: &[&str] = &[
    "AWS::Serverless-2016-10-31",
    "AWS::LanguageExtensions",
    "AWS::SecretsManager-2020-07-23",
    "AWS::CodeDeployBlueGreen",
    "AWS::Include",
];

/// The SAM transform, which `AWS::Serverless::*` resources need.
pub const SAM_TRANSFORM: &str = "AWS::Serverless-2016-10-31";

/// Whether a logical id is well formed: 1 to 255 ASCII letters and digits.
pub fn is_logical_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 255 && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A logical id made from `id` by dropping what is not allowed and
/// capitalising the word after each dropped run ("web-bucket" → "WebBucket").
pub fn logical_id_from(id: &str) -> Option<String> {
    let mut out = String::new();
    let mut upper = true;
    for c in id.chars() {
        if c.is_ascii_alphanumeric() {
            if upper {
                out.push(c.to_ascii_uppercase());
            } else {
                out.push(c);
            }
            upper = false;
        } else {
            upper = true;
        }
    }
    out.truncate(255);
    (!out.is_empty()).then_some(out)
}

/// Whether a resource type name is well formed: `AWS::Service::Type`
/// (or a third party's `Org::Service::Type`, with an optional `::MODULE`),
/// or `Custom::Name`.
pub fn is_resource_type(t: &str) -> bool {
    let word = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
    if let Some(name) = t.strip_prefix("Custom::") {
        return !name.is_empty()
            && name.len() <= 60
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_@-".contains(&b));
    }
    let parts: Vec<&str> = t.split("::").collect();
    match parts.as_slice() {
        [org, service, kind] => {
            word(org)
                && word(service)
                && word(kind)
                && org.starts_with(|c: char| c.is_ascii_uppercase())
        }
        [org, service, kind, "MODULE"] => word(org) && word(service) && word(kind),
        _ => false,
    }
}

/// The AWS service a resource type belongs to ("AWS::EC2::VPC" → "EC2").
pub fn service(t: &str) -> &str {
    let mut parts = t.split("::");
    match (parts.next(), parts.next()) {
        (Some("Custom"), _) => "Custom",
        (Some(_), Some(service)) => service,
        _ => t,
    }
}
