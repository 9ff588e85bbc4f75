//! What becomes of a job when a run ends: the one place that decides
//! retries, backoff, the budget of excused attempts and the event each
//! ending records. Drivers apply a [`Decision`] under two guards of their
//! own: the lease is still held, and a job someone asked to cancel is
//! never queued again (it ends `canceled` instead). Times come from the
//! driver's clock (PostgreSQL's own, so every host agrees), so a retry is
//! decided as a delay and the driver adds its due time to the event.

use std::time::Duration;

use kiln_core::JobState;
use serde_json::{Value, json};

use crate::QueueConfig;
use crate::model::Completion;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Decision {
    /// The job's next state, before the cancel guard.
    pub(crate) state: JobState,
    /// How long until the retry is due, if `state` is `queued`.
    pub(crate) retry_in: Option<Duration>,
    /// Whether the run is counted in `excused_attempts`.
    pub(crate) excused: bool,
    /// The data of the event that records `state` (for `queued`, the
    /// driver adds `run_at`).
    pub(crate) event: Value,
}

impl Decision {
    /// Decides the ending of `completion`'s run.
    pub(crate) fn of(config: &QueueConfig, completion: &Completion) -> Self {
        let excused = completion.excused();
        let attempts_left = if excused {
            completion.excused_attempts < config.max_excused_attempts
        } else {
            completion.lease.attempt - completion.excused_attempts < completion.max_attempts
        };
        let error = completion.error();
        if completion.retryable() && attempts_left {
            return Self {
                state: JobState::Queued,
                retry_in: Some(config.retry.delay(completion.lease.attempt)),
                excused,
                event: json!({ "reason": "retry", "error": error }),
            };
        }
        let state = completion.state();
        let event = match state {
            JobState::Failed => json!({ "error": error }),
            _ => json!({}),
        };
        Self { state, retry_in: None, excused, event }
    }

    /// The state after the cancel guard, and its event's data.
    pub(crate) fn guarded(&self, cancel_requested: bool) -> (JobState, Value) {
        if cancel_requested && self.state == JobState::Queued {
            (JobState::Canceled, json!({}))
        } else {
            (self.state, self.event.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use kiln_core::{ErrorKind, Job, JobError};

    use super::*;
    use crate::{JobOutcome, RetryPolicy};

    fn config() -> QueueConfig {
        QueueConfig {
            retry: RetryPolicy { base: Duration::from_secs(1), max: Duration::from_secs(4) },
            max_excused_attempts: 2,
            ..QueueConfig::default()
        }
    }

    /// A completion of attempt `attempt` of a job with 3 attempts, `excused`
    /// of them excused so far.
    fn ended(attempt: i32, excused: i32, kind: ErrorKind) -> Completion {
        let job: Job = serde_json::from_value(json!({
            "id": uuid::Uuid::nil(), "organisation_id": uuid::Uuid::nil(), "session_id": "s",
            "conversation_id": null, "artifact_type": "t", "spec": {}, "assets": [],
            "display_name": null, "metadata": null, "callback_url": null, "webhook_state": null,
            "webhook_attempts": 0, "state": "running", "priority": 0, "attempt": attempt,
            "max_attempts": 3, "excused_attempts": excused, "run_at": Utc::now(),
            "lease_until": null, "worker_id": null, "cancel_requested": false,
            "idempotency_key": null, "progress": null, "error": null, "plugin": null,
            "usage": null, "created_at": Utc::now(), "started_at": null, "finished_at": null,
        }))
        .unwrap();
        Completion::new(&job, JobOutcome::Failed(JobError::new(kind, "it went wrong")))
    }

    #[test]
    fn retryable_failures_are_retried_while_attempts_last() {
        let retried = Decision::of(&config(), &ended(2, 0, ErrorKind::Internal));
        assert_eq!(retried.state, JobState::Queued);
        let due = retried.retry_in.unwrap();
        assert!(due >= Duration::from_secs(1) && due <= Duration::from_secs(2));
        assert_eq!(retried.event["reason"], "retry");
        assert_eq!(retried.event["error"]["kind"], "internal");
        // The third counted attempt was the last.
        let last = Decision::of(&config(), &ended(3, 0, ErrorKind::Internal));
        assert_eq!((last.state, last.retry_in), (JobState::Failed, None));
        assert_eq!(last.event["error"]["message"], "it went wrong");
        // Excused runs do not count: attempt 4 with one excused is the third.
        let third = Decision::of(&config(), &ended(4, 1, ErrorKind::Internal));
        assert_eq!(third.state, JobState::Failed);
        let second = Decision::of(&config(), &ended(3, 1, ErrorKind::Internal));
        assert_eq!(second.state, JobState::Queued);
    }

    #[test]
    fn infrastructure_failures_spend_their_own_budget() {
        let outage = Decision::of(&config(), &ended(3, 1, ErrorKind::Storage));
        assert_eq!((outage.state, outage.excused), (JobState::Queued, true));
        let spent = Decision::of(&config(), &ended(3, 2, ErrorKind::Storage));
        assert_eq!((spent.state, spent.excused), (JobState::Failed, true));
    }

    #[test]
    fn verdicts_are_final_and_a_cancel_wins_over_a_retry() {
        let verdict = Decision::of(&config(), &ended(1, 0, ErrorKind::InvalidSpec));
        assert_eq!(verdict.state, JobState::Failed);
        assert_eq!(verdict.guarded(true).0, JobState::Failed);
        let retry = Decision::of(&config(), &ended(1, 0, ErrorKind::Internal));
        assert_eq!(retry.guarded(true), (JobState::Canceled, json!({})));
        assert_eq!(retry.guarded(false).0, JobState::Queued);
    }
}
