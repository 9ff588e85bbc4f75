//! Reads an executor Job's and its pods' status in kiln's terms: whether
//! the Job ended, and if its pod could not record the job's outcome, the
//! failure the host records instead.

use std::time::Duration;

use k8s_openapi::api::batch::v1::Job as KubeJob;
use k8s_openapi::api::core::v1::{ContainerStateTerminated, Pod};
use kiln_core::{ErrorKind, JobError, Limit};

use super::KubernetesConfig;
use super::manifest::CONTAINER;

/// Where an executor Job stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Phase {
    Active,
    /// Its pod exited 0: `kiln run-job` recorded the job's outcome.
    Complete,
    /// The Job gave up: its pod failed, or the deadline passed. `reason`
    /// is the Job's (`DeadlineExceeded`, `PodFailurePolicy`,
    /// `BackoffLimitExceeded`, ...).
    Failed {
        reason: String,
        message: String,
    },
}

pub(crate) fn phase(job: &KubeJob) -> Phase {
    let conditions = job.status.as_ref().and_then(|status| status.conditions.as_deref());
    for condition in conditions.unwrap_or_default() {
        if condition.status != "True" {
            continue;
        }
        match condition.type_.as_str() {
            "Complete" => return Phase::Complete,
            "Failed" => {
                return Phase::Failed {
                    reason: condition.reason.clone().unwrap_or_default(),
                    message: condition.message.clone().unwrap_or_default(),
                };
            }
            _ => {}
        }
    }
    Phase::Active
}

/// Whether a pod of the Job is running `kiln run-job` now.
pub(crate) fn has_running_pod(job: &KubeJob) -> bool {
    job.status.as_ref().and_then(|status| status.ready).unwrap_or(0) > 0
}

/// The failure to record for a Job that ended without its pod recording
/// the job's outcome. `pods` are the attempt's pods, newest last.
pub(crate) fn failure(
    config: &KubernetesConfig,
    phase: &Phase,
    pods: &[Pod],
    name: &str,
) -> JobError {
    let pod = pods.last();
    if let Phase::Failed { reason, .. } = phase
        && reason == "DeadlineExceeded"
    {
        let deadline = config.deadline.as_secs();
        return JobError {
            limit: Some(Limit::WallClock(config.deadline.as_millis() as u64)),
            ..JobError::new(
                ErrorKind::LimitExceeded,
                format!(
                    "the job's pod was still running after {deadline} s (the sandbox's wall-clock limit plus time to start) and was stopped"
                ),
            )
        };
    }
    if let Some(pod) = pod
        && evicted(pod)
    {
        let why = pod.status.as_ref().and_then(|status| status.message.clone());
        return JobError::new(
            ErrorKind::Executor,
            format!(
                "the job's pod was evicted from its node{}; the job will be retried",
                why.map(|why| format!(" ({why})")).unwrap_or_default()
            ),
        );
    }
    match pod.and_then(terminated) {
        Some(end) if end.reason.as_deref() == Some("OOMKilled") => JobError::new(
            ErrorKind::LimitExceeded,
            format!(
                "the job's pod used more than its {} of memory and was killed; raise KILN_K8S_MEMORY \
                 (the plugin's sandbox alone may use KILN_MEMORY_MIB)",
                config.memory
            ),
        ),
        Some(end) => JobError::new(
            ErrorKind::Internal,
            format!(
                "kiln run-job exited with code {}{} without recording how the job ended; its last log lines are in the job's log",
                end.exit_code,
                end.reason.as_ref().map(|reason| format!(" ({reason})")).unwrap_or_default()
            ),
        ),
        None => {
            let why = match phase {
                Phase::Failed { reason, message } => format!(": {reason}: {message}"),
                _ => String::new(),
            };
            JobError::new(
                ErrorKind::Executor,
                format!("the Kubernetes Job {name} ended before its pod ran kiln run-job{why}"),
            )
        }
    }
}

/// Why the attempt's pod cannot start, if it cannot: its image cannot be
/// pulled, its container cannot be created, or no node took it within
/// `schedule_timeout` (`waited` is how long the Job has been waiting).
pub(crate) fn cannot_start(
    pods: &[Pod],
    waited: Duration,
    schedule_timeout: Duration,
    name: &str,
) -> Option<JobError> {
    const FATAL: [&str; 5] = [
        "ErrImagePull",
        "ImagePullBackOff",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
    ];
    let executor = |message: String| Some(JobError::new(ErrorKind::Executor, message));
    let Some(pod) = pods.last() else {
        return (waited >= schedule_timeout).then(|| {
            JobError::new(
                ErrorKind::Executor,
                format!(
                    "the Kubernetes Job {name} created no pod within {} s; is the executor namespace's ResourceQuota used up? (kubectl describe job {name})",
                    schedule_timeout.as_secs()
                ),
            )
        });
    };
    let status = pod.status.as_ref()?;
    let containers = status.init_container_statuses.iter().flatten();
    for container in containers.chain(status.container_statuses.iter().flatten()) {
        let waiting = container.state.as_ref().and_then(|state| state.waiting.as_ref());
        if let Some(waiting) = waiting
            && let Some(reason) = waiting.reason.as_deref()
            && FATAL.contains(&reason)
        {
            let message = waiting.message.as_deref().unwrap_or("no details");
            return executor(format!(
                "the job's pod cannot start its container {}: {reason}: {message}",
                container.name
            ));
        }
    }
    let unscheduled = status
        .conditions
        .iter()
        .flatten()
        .find(|condition| condition.type_ == "PodScheduled" && condition.status == "False");
    match unscheduled {
        Some(condition) if waited >= schedule_timeout => executor(format!(
            "no node took the job's pod within {} s: {}",
            schedule_timeout.as_secs(),
            condition.message.as_deref().unwrap_or("unschedulable")
        )),
        _ => None,
    }
}

fn evicted(pod: &Pod) -> bool {
    let Some(status) = &pod.status else { return false };
    status.reason.as_deref() == Some("Evicted")
        || status
            .conditions
            .iter()
            .flatten()
            .any(|condition| condition.type_ == "DisruptionTarget" && condition.status == "True")
}

/// How `kiln run-job`'s container ended, if it did.
fn terminated(pod: &Pod) -> Option<&ContainerStateTerminated> {
    let statuses = pod.status.as_ref()?.container_statuses.as_deref()?;
    let container = statuses.iter().find(|status| status.name == CONTAINER)?;
    container.state.as_ref()?.terminated.as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(status: serde_json::Value) -> Pod {
        serde_json::from_value(serde_json::json!({ "metadata": { "name": "p" }, "status": status }))
            .unwrap()
    }

    fn config() -> KubernetesConfig {
        KubernetesConfig::new("kiln-executor".into(), "kiln:test".into(), "host".into())
    }

    fn failed(reason: &str) -> Phase {
        Phase::Failed { reason: reason.into(), message: "m".into() }
    }

    #[test]
    fn a_deadline_is_the_wall_clock_limit_and_final() {
        let error = failure(&config(), &failed("DeadlineExceeded"), &[], "j");
        assert_eq!(error.kind, ErrorKind::LimitExceeded);
        assert!(matches!(error.limit, Some(Limit::WallClock(_))), "{error:?}");
        assert!(!error.kind.is_retryable());
    }

    #[test]
    fn an_oom_kill_is_a_final_limit_naming_the_setting() {
        let pods = [pod(serde_json::json!({ "containerStatuses": [{
            "name": CONTAINER, "image": "kiln", "imageID": "", "ready": false, "restartCount": 0,
            "state": { "terminated": { "exitCode": 137, "reason": "OOMKilled" } },
        }]}))];
        let error = failure(&config(), &failed("PodFailurePolicy"), &pods, "j");
        assert_eq!(error.kind, ErrorKind::LimitExceeded);
        assert!(error.message.contains("KILN_K8S_MEMORY"), "{error}");
    }

    #[test]
    fn an_eviction_is_retried_without_spending_an_attempt() {
        let pods = [pod(
            serde_json::json!({ "phase": "Failed", "reason": "Evicted", "message": "node low on memory" }),
        )];
        let error = failure(&config(), &failed("BackoffLimitExceeded"), &pods, "j");
        assert_eq!(error.kind, ErrorKind::Executor);
        assert!(error.kind.is_retryable() && error.kind.is_infrastructure());
        assert!(error.message.contains("node low on memory"), "{error}");
    }

    #[test]
    fn an_image_that_cannot_be_pulled_stops_the_wait_at_once() {
        let pods = [pod(serde_json::json!({ "phase": "Pending", "containerStatuses": [{
            "name": CONTAINER, "image": "kiln", "imageID": "", "ready": false, "restartCount": 0,
            "state": { "waiting": { "reason": "ImagePullBackOff", "message": "pull access denied" } },
        }]}))];
        let error = cannot_start(&pods, Duration::ZERO, Duration::from_secs(300), "j").unwrap();
        assert_eq!(error.kind, ErrorKind::Executor);
        assert!(error.message.contains("pull access denied"), "{error}");
    }

    #[test]
    fn an_unschedulable_pod_is_given_up_only_after_the_timeout() {
        let pods = [pod(serde_json::json!({ "phase": "Pending", "conditions": [{
            "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
            "message": "0/3 nodes are available: 3 Insufficient memory.",
        }]}))];
        let timeout = Duration::from_secs(300);
        assert_eq!(cannot_start(&pods, Duration::from_secs(10), timeout, "j"), None);
        let error = cannot_start(&pods, timeout, timeout, "j").unwrap();
        assert!(error.message.contains("Insufficient memory"), "{error}");
        assert!(
            cannot_start(&[], timeout, timeout, "j").unwrap().message.contains("ResourceQuota")
        );
    }
}
