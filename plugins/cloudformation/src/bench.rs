//! The benchmark workload: a 450-resource template (50 groups of a KMS-
//! encrypted queue, a dead-letter queue, a log group, a role, a function, an
//! event source mapping, a bucket, a bucket policy and an alarm), each
//! referring to the group's other resources and to shared parameters.

use serde_json::{Value, json};

/// Resources per group in [`benchmark_spec`].
pub const GROUP_SIZE: usize = 9;

/// The benchmark spec as JSON text: `groups` groups of [`GROUP_SIZE`]
/// resources (50 groups = 450 resources).
pub fn benchmark_spec_with(groups: usize) -> String {
    let mut resources = serde_json::Map::new();
    let mut outputs = serde_json::Map::new();
    resources.insert(
        "Key".into(),
        json!({ "type": "AWS::KMS::Key", "properties": {
            "EnableKeyRotation": true,
            "KeyPolicy": { "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": { "AWS": { "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root" } },
                "Action": "kms:*", "Resource": "*" }] } } }),
    );
    for g in 0..groups {
        let n = |s: &str| format!("{s}{g}");
        resources.insert(
            n("Dlq"),
            json!({ "type": "AWS::SQS::Queue", "properties": {
            "KmsMasterKeyId": { "Ref": "Key" }, "MessageRetentionPeriod": 1209600 } }),
        );
        resources.insert(n("Queue"), json!({ "type": "AWS::SQS::Queue", "properties": {
            "KmsMasterKeyId": { "Ref": "Key" },
            "VisibilityTimeout": 120,
            "RedrivePolicy": { "deadLetterTargetArn": { "Fn::GetAtt": [n("Dlq"), "Arn"] }, "maxReceiveCount": 5 } } }));
        resources.insert(
            n("Logs"),
            json!({ "type": "AWS::Logs::LogGroup", "properties": {
            "LogGroupName": { "Fn::Sub": format!("/aws/lambda/${{AWS::StackName}}-worker-{g}") },
            "RetentionInDays": 365, "KmsKeyId": { "Fn::GetAtt": ["Key", "Arn"] } } }),
        );
        resources.insert(n("Role"), json!({ "type": "AWS::IAM::Role", "properties": {
            "AssumeRolePolicyDocument": { "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": { "Service": "lambda.amazonaws.com" }, "Action": "sts:AssumeRole" }] },
            "Policies": [{ "PolicyName": "work", "PolicyDocument": { "Version": "2012-10-17", "Statement": [
                { "Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                  "Resource": { "Fn::GetAtt": [n("Queue"), "Arn"] } },
                { "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                  "Resource": { "Fn::GetAtt": [n("Logs"), "Arn"] } },
                { "Effect": "Allow", "Action": ["s3:PutObject"],
                  "Resource": { "Fn::Sub": format!("${{Bucket{g}.Arn}}/*") } } ] } }] } }));
        resources.insert(n("Worker"), json!({ "type": "AWS::Lambda::Function", "properties": {
            "Runtime": "python3.12", "Handler": "index.handler", "MemorySize": 256, "Timeout": 60,
            "Role": { "Fn::GetAtt": [n("Role"), "Arn"] },
            "ReservedConcurrentExecutions": 5,
            "KmsKeyArn": { "Fn::GetAtt": ["Key", "Arn"] },
            "TracingConfig": { "Mode": "Active" },
            "DeadLetterConfig": { "TargetArn": { "Fn::GetAtt": [n("Dlq"), "Arn"] } },
            "Environment": { "Variables": { "BUCKET": { "Ref": n("Bucket") }, "STAGE": { "Ref": "Stage" } } },
            "Code": { "ZipFile": "import json\n\ndef handler(event, context):\n    return {\"ok\": True}\n" } },
            "depends_on": n("Logs") }));
        resources.insert(n("Mapping"), json!({ "type": "AWS::Lambda::EventSourceMapping", "properties": {
            "EventSourceArn": { "Fn::GetAtt": [n("Queue"), "Arn"] }, "FunctionName": { "Ref": n("Worker") }, "BatchSize": 10 } }));
        resources.insert(n("Bucket"), json!({ "type": "AWS::S3::Bucket", "deletion_policy": "Retain", "update_replace_policy": "Retain", "properties": {
            "BucketEncryption": { "ServerSideEncryptionConfiguration": [{ "ServerSideEncryptionByDefault": {
                "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": { "Ref": "Key" } } }] },
            "PublicAccessBlockConfiguration": { "BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true },
            "VersioningConfiguration": { "Status": "Enabled" } } }));
        resources.insert(n("BucketPolicy"), json!({ "type": "AWS::S3::BucketPolicy", "properties": {
            "Bucket": { "Ref": n("Bucket") },
            "PolicyDocument": { "Version": "2012-10-17", "Statement": [{
                "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                "Resource": [{ "Fn::GetAtt": [n("Bucket"), "Arn"] }, { "Fn::Sub": format!("${{Bucket{g}.Arn}}/*") }],
                "Condition": { "Bool": { "aws:SecureTransport": "false" } } }] } } }));
        resources.insert(n("Alarm"), json!({ "type": "AWS::CloudWatch::Alarm", "properties": {
            "Namespace": "AWS/SQS", "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [{ "Name": "QueueName", "Value": { "Fn::GetAtt": [n("Dlq"), "QueueName"] } }],
            "Statistic": "Maximum", "Period": 300, "EvaluationPeriods": 1, "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold" } }));
        if g < 20 {
            outputs.insert(
                n("QueueUrl"),
                json!({ "value": { "Ref": n("Queue") },
                "export": { "Fn::Sub": format!("${{AWS::StackName}}-queue-{g}") } }),
            );
        }
    }
    // The shared key counts as one resource: drop the last group's alarm
    // so that the total is exactly groups × GROUP_SIZE.
    if groups > 0 {
        resources.remove(&format!("Alarm{}", groups - 1));
    }
    let spec: Value = json!({
        "description": "Benchmark: queue workers with encrypted buckets",
        "parameters": { "Stage": { "type": "String", "allowed_values": ["dev", "prod"], "default": "dev" } },
        "resources": resources,
        "outputs": outputs,
        "options": { "upload": "s3", "json": true },
    });
    spec.to_string()
}

/// The 450-resource benchmark spec.
pub fn benchmark_spec() -> String {
    benchmark_spec_with(50)
}
