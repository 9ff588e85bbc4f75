//! The Kubernetes Job that runs one attempt of a kiln job: `kiln run-job`
//! in a hardened pod that adopts the attempt the host claimed.

use k8s_openapi::api::batch::v1::Job as KubeJob;
use kiln_core::Job;
use serde_json::json;

use super::KubernetesConfig;

/// The container that runs `kiln run-job`.
pub(crate) const CONTAINER: &str = "run-job";
/// `kiln run-job`'s exit code for a job that failed or was canceled for
/// good: the Job fails at once, with no second pod.
pub(crate) const TERMINAL_EXIT: i32 = 65;

pub(crate) const JOB_ID: &str = "kiln.dev/job-id";
pub(crate) const ATTEMPT: &str = "kiln.dev/attempt";
pub(crate) const ORGANISATION: &str = "kiln.dev/organisation";
pub(crate) const HOST: &str = "kiln.dev/host";

/// The Job's name: one per attempt, so a retry never meets the previous
/// attempt's Job, and a second create of the same attempt is refused (409).
pub(crate) fn job_name(job: &Job) -> String {
    format!("kiln-{}-{}", job.id, job.attempt)
}

/// The labels every executor Job and its pods carry; the network policy of
/// the executor namespace selects the pods by the first two.
pub(crate) fn labels(job: &Job, host: &str) -> serde_json::Value {
    json!({
        "app.kubernetes.io/name": "kiln",
        "app.kubernetes.io/component": "job",
        JOB_ID: job.id.to_string(),
        ATTEMPT: job.attempt.to_string(),
        ORGANISATION: job.organisation_id.to_string(),
        HOST: host,
    })
}

/// The selector of every executor Job (and pod).
pub(crate) const SELECTOR: &str = "app.kubernetes.io/name=kiln,app.kubernetes.io/component=job";

/// The selector of one attempt's pods.
pub(crate) fn pod_selector(job: &Job) -> String {
    format!("{JOB_ID}={},{ATTEMPT}={}", job.id, job.attempt)
}

/// The Job for `job`'s current attempt.
pub(crate) fn job_manifest(config: &KubernetesConfig, job: &Job) -> KubeJob {
    let labels = labels(job, &config.host);
    let resources = json!({ "cpu": config.cpu, "memory": config.memory });
    let hardened = json!({
        "runAsNonRoot": true,
        "allowPrivilegeEscalation": false,
        "readOnlyRootFilesystem": true,
        "capabilities": { "drop": ["ALL"] },
        "seccompProfile": { "type": "RuntimeDefault" },
    });
    let mut pod = json!({
        "restartPolicy": "Never",
        "serviceAccountName": config.service_account,
        "automountServiceAccountToken": false,
        // A Service named kiln would otherwise put KILN_* variables in the
        // environment.
        "enableServiceLinks": false,
        "securityContext": {
            "runAsNonRoot": true,
            "runAsUser": 10001,
            "runAsGroup": 10001,
            "seccompProfile": { "type": "RuntimeDefault" },
        },
        // The image's compile cache is read-only like the rest of its file
        // system; a node whose CPU differs from the build machine's compiles
        // into this copy.
        "initContainers": [{
            "name": "seed-cache",
            "image": config.image,
            "command": ["sh", "-c", "mkdir -p /cache/kiln && cp -a /var/cache/kiln/. /cache/kiln/"],
            "resources": { "requests": { "cpu": "50m", "memory": "32Mi" }, "limits": { "cpu": "500m", "memory": "64Mi" } },
            "securityContext": hardened,
            "volumeMounts": [{ "name": "compile-cache", "mountPath": "/cache" }],
        }],
        "containers": [{
            "name": CONTAINER,
            "image": config.image,
            "args": ["run-job", job.id.to_string(), "--attempt", job.attempt.to_string()],
            "env": [{ "name": "KILN_CACHE_DIR", "value": "/cache/kiln" }],
            "resources": { "requests": resources, "limits": resources },
            "securityContext": hardened,
            "volumeMounts": [
                { "name": "data", "mountPath": "/var/lib/kiln" },
                { "name": "tmp", "mountPath": "/tmp" },
                { "name": "compile-cache", "mountPath": "/cache" },
            ],
        }],
        "volumes": [
            { "name": "data", "emptyDir": {} },
            { "name": "tmp", "emptyDir": {} },
            { "name": "compile-cache", "emptyDir": {} },
        ],
    });
    if let Some(secret) = &config.env_secret {
        pod["containers"][0]["envFrom"] = json!([{ "secretRef": { "name": secret } }]);
    }
    if let Some(class) = &config.runtime_class {
        pod["runtimeClassName"] = json!(class);
    }
    if !config.node_selector.is_empty() {
        pod["nodeSelector"] = json!(config.node_selector);
    }
    if !config.tolerations.is_empty() {
        pod["tolerations"] = json!(config.tolerations);
    }
    let manifest = json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": { "name": job_name(job), "namespace": config.namespace, "labels": labels },
        "spec": {
            // kiln owns retries: one pod per attempt.
            "backoffLimit": 0,
            "activeDeadlineSeconds": config.deadline.as_secs().max(1),
            "ttlSecondsAfterFinished": config.keep_finished.as_secs(),
            "podFailurePolicy": { "rules": [
                // kiln's final verdict: no point in another pod.
                { "action": "FailJob", "onExitCodes": { "containerName": CONTAINER, "operator": "In", "values": [TERMINAL_EXIT] } },
                // A drain or a preemption is not the job's fault: the Job
                // starts a new pod, which adopts the same attempt.
                { "action": "Ignore", "onPodConditions": [{ "type": "DisruptionTarget", "status": "True" }] },
            ]},
            "template": { "metadata": { "labels": labels }, "spec": pod },
        },
    });
    serde_json::from_value(manifest).expect("the Job manifest matches the batch/v1 schema")
}
