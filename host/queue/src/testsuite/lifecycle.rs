//! Claims, leases, retries, cancels, rescue and retention.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use kiln_core::{
    ErrorKind, EventKind, JobError, JobId, JobState, Limit, LogEntry, LogSource, OrgId, Progress,
};

use crate::{
    Completion, JobFilter, JobOutcome, JobStore, Lease, LeaseStatus, NewArtifact, Scope, Submitted,
};

use super::{
    LEASE, claim_one, complete, config, failure, job, kinds, org, state, submit, succeeded,
};

/// Eight workers race over 200 jobs; each is claimed and completed once.
pub async fn claims_are_exclusive_under_concurrency(store: Arc<dyn JobStore>) {
    let org = org(&*store, "acme").await;
    let submitted = store.submit((0..200).map(|_| job(org)).collect()).await.unwrap();
    assert_eq!(submitted.len(), 200);
    let mut workers = Vec::new();
    for worker in 0..8 {
        let store = store.clone();
        workers.push(tokio::spawn(async move {
            let name = format!("worker-{worker}");
            let mut done = Vec::new();
            loop {
                let claimed = store.claim(&name, 5, LEASE).await.unwrap();
                if claimed.is_empty() {
                    return done;
                }
                let completions =
                    claimed.iter().map(|job| Completion::new(job, succeeded())).collect();
                assert!(store.complete(completions).await.unwrap().iter().all(|applied| *applied));
                done.extend(claimed.into_iter().map(|job| job.id));
            }
        }));
    }
    let mut counts: HashMap<_, usize> = HashMap::new();
    for worker in workers {
        for id in worker.await.unwrap() {
            *counts.entry(id).or_default() += 1;
        }
    }
    assert_eq!(counts.len(), 200, "every job was completed");
    assert!(counts.values().all(|count| *count == 1), "no job was completed twice");
    for submitted in submitted.iter().take(20) {
        let id = submitted.job().unwrap().id;
        assert_eq!(state(&*store, id).await.state, JobState::Succeeded);
        assert_eq!(
            kinds(&*store, id).await,
            [EventKind::Queued, EventKind::Running, EventKind::Succeeded]
        );
    }
}

pub async fn expired_lease_is_rescued_and_completed_once(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    let id = submit(store, job(org)).await.id;
    let first = claim_one(store, Duration::from_millis(200)).await;
    assert_eq!(store.rescue().await.unwrap(), 0, "a live lease is left alone");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(store.rescue().await.unwrap(), 1);
    let rescued = state(store, id).await;
    assert_eq!(rescued.state, JobState::Queued);
    assert_eq!(rescued.error.as_ref().map(|error| error.kind), Some(ErrorKind::LeaseExpired));
    assert!(rescued.lease_until.is_none());

    tokio::time::sleep(Duration::from_millis(250)).await; // past the first backoff (≤ 200 ms)
    let second = claim_one(store, LEASE).await;
    assert_eq!(second.attempt, 2);
    assert!(
        !complete(store, Lease::of(&first), succeeded()).await,
        "the rescued attempt is fenced off"
    );
    assert!(complete(store, Lease::of(&second), succeeded()).await);
    assert!(
        !complete(store, Lease::of(&second), succeeded()).await,
        "completing twice changes nothing"
    );
    let done = state(store, id).await;
    assert_eq!((done.state, done.attempt), (JobState::Succeeded, 2));
    assert_eq!(
        kinds(store, id).await,
        [
            EventKind::Queued,
            EventKind::Running,
            EventKind::Queued,
            EventKind::Running,
            EventKind::Succeeded
        ]
    );
}

pub async fn stale_attempt_changes_nothing(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    submit(store, job(org)).await;
    let claimed = claim_one(store, LEASE).await;
    let stale = Lease { job_id: claimed.id, attempt: claimed.attempt - 1 };
    assert_eq!(store.heartbeat(&[stale], LEASE).await.unwrap(), [LeaseStatus::Lost]);
    assert!(
        !store
            .progress(stale, &Progress { done: 1, total: 2, message: "half".into() })
            .await
            .unwrap()
    );
    assert!(!complete(store, stale, failure(ErrorKind::Storage)).await);
    store.release(&[stale]).await.unwrap();
    let unchanged = state(store, claimed.id).await;
    assert_eq!((unchanged.state, unchanged.attempt), (JobState::Running, 1));
    assert!(unchanged.progress.is_none());
    assert_eq!(kinds(store, claimed.id).await, [EventKind::Queued, EventKind::Running]);
}

pub async fn heartbeat_keeps_a_lease_alive(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    submit(store, job(org)).await;
    let claimed = claim_one(store, Duration::from_millis(300)).await;
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let status =
            store.heartbeat(&[Lease::of(&claimed)], Duration::from_millis(300)).await.unwrap();
        assert_eq!(status, [LeaseStatus::Held]);
    }
    assert_eq!(store.rescue().await.unwrap(), 0, "450 ms in, the heartbeats kept the 300 ms lease");
    assert!(state(store, claimed.id).await.lease_until.unwrap() > Utc::now());
}

pub async fn retryable_failure_backs_off_with_jitter(store: Arc<dyn JobStore>) {
    let store = &*store;
    let policy = config().retry;
    let org = org(store, "acme").await;
    let id = submit(store, job(org)).await.id;
    for attempt in 1..=2 {
        let claimed = claim_one(store, LEASE).await;
        assert_eq!(claimed.attempt, attempt);
        let before = Utc::now();
        assert!(complete(store, Lease::of(&claimed), failure(ErrorKind::Storage)).await);
        let after = Utc::now();
        let queued = state(store, id).await;
        assert_eq!(queued.state, JobState::Queued);
        let ceiling = chrono::Duration::from_std(policy.ceiling(attempt)).unwrap();
        assert!(queued.run_at >= before + ceiling / 2, "waits at least half the ceiling");
        assert!(queued.run_at <= after + ceiling, "waits at most the ceiling");
        assert!(
            store.claim("worker-a", 1, LEASE).await.unwrap().is_empty(),
            "not due during backoff"
        );
        let wait = (queued.run_at - Utc::now()).to_std().unwrap_or_default();
        tokio::time::sleep(wait + Duration::from_millis(20)).await;
    }
    let third = claim_one(store, LEASE).await;
    assert_eq!(third.attempt, 3);
    let retry_events: Vec<_> = store
        .events(Scope::Operator, id, 0)
        .await
        .unwrap()
        .into_iter()
        .filter(|event| event.kind == EventKind::Queued && event.data["reason"] == "retry")
        .collect();
    assert_eq!(retry_events.len(), 2);
    assert_eq!(retry_events[0].data["error"]["kind"], "storage");
}

pub async fn retries_stop_at_max_attempts(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    let id = submit(store, job(org).with_max_attempts(2)).await.id;
    let first = claim_one(store, LEASE).await;
    assert!(complete(store, Lease::of(&first), failure(ErrorKind::Internal)).await);
    tokio::time::sleep(config().retry.ceiling(1) + Duration::from_millis(20)).await;
    let second = claim_one(store, LEASE).await;
    assert!(complete(store, Lease::of(&second), failure(ErrorKind::Internal)).await);
    let failed = state(store, id).await;
    assert_eq!((failed.state, failed.attempt), (JobState::Failed, 2));
    assert_eq!(failed.error.unwrap().kind, ErrorKind::Internal);
    assert!(failed.finished_at.is_some());
}

pub async fn outages_and_releases_do_not_spend_attempts(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    // One attempt of its own, after a storage failure and a shutdown.
    let id = submit(store, job(org).with_max_attempts(1)).await.id;
    let first = claim_one(store, LEASE).await;
    assert!(complete(store, Lease::of(&first), failure(ErrorKind::Storage)).await);
    assert_eq!(state(store, id).await.state, JobState::Queued);
    until_due(store, id).await;
    let second = claim_one(store, LEASE).await;
    store.release(&[Lease::of(&second)]).await.unwrap();
    let third = claim_one(store, LEASE).await;
    assert_eq!(third.attempt, 3);
    assert!(complete(store, Lease::of(&third), failure(ErrorKind::Internal)).await);
    let failed = state(store, id).await;
    assert_eq!((failed.state, failed.attempt), (JobState::Failed, 3));
    assert_eq!(failed.error.unwrap().kind, ErrorKind::Internal);

    // Outages have a budget of their own (2 in the suite's config).
    let id = submit(store, job(org).with_max_attempts(5)).await.id;
    for attempt in 1..=3 {
        let claimed = claim_one(store, LEASE).await;
        assert!(complete(store, Lease::of(&claimed), failure(ErrorKind::Storage)).await);
        let job = state(store, id).await;
        let expected = if attempt < 3 { JobState::Queued } else { JobState::Failed };
        assert_eq!(job.state, expected, "after storage failure {attempt}");
        if attempt < 3 {
            until_due(store, id).await;
        }
    }
}

pub async fn plugin_verdicts_are_not_retried(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    for kind in
        [ErrorKind::InvalidSpec, ErrorKind::LimitExceeded, ErrorKind::Trap, ErrorKind::PluginFailed]
    {
        let id = submit(store, job(org)).await.id;
        let claimed = claim_one(store, LEASE).await;
        let mut error = JobError::new(kind, "verdict");
        error.limit = (kind == ErrorKind::LimitExceeded).then_some(Limit::Memory(256 << 20));
        assert!(complete(store, Lease::of(&claimed), JobOutcome::Failed(error.clone())).await);
        let failed = state(store, id).await;
        assert_eq!((failed.state, failed.attempt), (JobState::Failed, 1), "{kind:?} is final");
        assert_eq!(failed.error, Some(error));
    }
}

pub async fn queued_job_is_canceled_at_once(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    let id = submit(store, job(org)).await.id;
    let canceled = store.cancel(Scope::Organisation(org), id).await.unwrap().unwrap();
    assert_eq!(canceled.state, JobState::Canceled);
    assert!(canceled.finished_at.is_some());
    assert!(store.claim("worker-a", 10, LEASE).await.unwrap().is_empty());
    let again = store.cancel(Scope::Organisation(org), id).await.unwrap().unwrap();
    assert_eq!(again.state, JobState::Canceled);
    assert_eq!(
        kinds(store, id).await,
        [EventKind::Queued, EventKind::Canceled],
        "one event, however often"
    );
}

pub async fn running_job_is_canceled_through_its_worker(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    let id = submit(store, job(org)).await.id;
    let claimed = claim_one(store, LEASE).await;
    let marked = store.cancel(Scope::Organisation(org), id).await.unwrap().unwrap();
    assert_eq!((marked.state, marked.cancel_requested), (JobState::Running, true));
    assert_eq!(
        store.heartbeat(&[Lease::of(&claimed)], LEASE).await.unwrap(),
        [LeaseStatus::CancelRequested]
    );
    // A retryable failure of a job someone canceled is not retried.
    assert!(complete(store, Lease::of(&claimed), JobOutcome::Canceled).await);
    let canceled = state(store, id).await;
    assert_eq!(canceled.state, JobState::Canceled);
    assert_eq!(
        kinds(store, id).await,
        [EventKind::Queued, EventKind::Running, EventKind::CancelRequested, EventKind::Canceled]
    );
    // Finished jobs stay as they are.
    let finished = store.cancel(Scope::Organisation(org), id).await.unwrap().unwrap();
    assert_eq!(finished.state, JobState::Canceled);
}

pub async fn expired_lease_of_a_canceled_job_ends_canceled(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    let id = submit(store, job(org)).await.id;
    claim_one(store, Duration::from_millis(100)).await;
    store.cancel(Scope::Organisation(org), id).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(store.rescue().await.unwrap(), 1);
    assert_eq!(state(store, id).await.state, JobState::Canceled);
}

pub async fn idempotency_key_returns_the_same_job_or_a_conflict(store: Arc<dyn JobStore>) {
    let store = &*store;
    let acme = org(store, "acme").await;
    let globex = org(store, "globex").await;
    let first = submit(store, job(acme).with_idempotency_key("key-1")).await;
    let again = store.submit(vec![job(acme).with_idempotency_key("key-1")]).await.unwrap();
    assert_eq!(again, [Submitted::Existing(first.clone())]);
    let mut different = job(acme).with_idempotency_key("key-1");
    different.spec = serde_json::json!({"behaviour": "loop"});
    let conflict = store.submit(vec![different]).await.unwrap();
    assert_eq!(conflict, [Submitted::Conflict { key: "key-1".into(), existing: first.id }]);
    let other_org = submit(store, job(globex).with_idempotency_key("key-1")).await;
    assert_ne!(other_org.id, first.id, "keys are per organisation");
    let listed = store
        .list(Scope::Organisation(acme), &JobFilter { limit: 100, ..JobFilter::default() })
        .await;
    assert_eq!(listed.unwrap().len(), 1, "nothing was queued twice");
}

/// Submits made at the same moment share one write (the store's group
/// commit), yet each caller gets its own answer: repeats of one idempotency
/// key become one job, and a submit the database refuses fails only itself.
pub async fn concurrent_submits_each_get_their_own_answer(store: Arc<dyn JobStore>) {
    let acme = org(&*store, "acme").await;
    let mut submits = tokio::task::JoinSet::new();
    for index in 0..40 {
        let store = store.clone();
        submits.spawn(async move {
            let new = match index % 4 {
                0 => job(acme).with_idempotency_key("shared"),
                1 => job(OrgId::now_v7()), // no such organisation
                _ => job(acme),
            };
            (index, store.submit(vec![new]).await)
        });
    }
    let (mut shared, mut created, mut refused) = (HashSet::new(), 0, 0);
    while let Some(joined) = submits.join_next().await {
        let (index, answer) = joined.unwrap();
        match index % 4 {
            0 => {
                let answer = answer.unwrap();
                let job = answer[0].job().expect("the same request again is no conflict");
                shared.insert(job.id);
            }
            1 => {
                assert!(answer.is_err(), "a job for an unknown organisation is refused");
                refused += 1;
            }
            _ => {
                assert!(matches!(answer.unwrap()[..], [Submitted::Created(_)]));
                created += 1;
            }
        }
    }
    assert_eq!(shared.len(), 1, "one job for one idempotency key");
    assert_eq!((created, refused), (20, 10));
    let filter = JobFilter { limit: 100, ..JobFilter::default() };
    let listed = store.list(Scope::Organisation(acme), &filter).await.unwrap();
    assert_eq!(listed.len(), 21, "every accepted job was queued once");
}

pub async fn higher_priority_is_claimed_first(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    let low = submit(store, job(org).with_priority(-1)).await.id;
    let normal_first = submit(store, job(org)).await.id;
    let normal_second = submit(store, job(org)).await.id;
    let high = submit(store, job(org).with_priority(5)).await.id;
    let claimed: Vec<_> =
        store.claim("worker-a", 10, LEASE).await.unwrap().into_iter().map(|job| job.id).collect();
    assert_eq!(claimed, [high, normal_first, normal_second, low]);
}

pub async fn delayed_job_waits_for_run_at(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    let run_at = Utc::now() + chrono::Duration::milliseconds(300);
    let id = submit(store, job(org).with_run_at(run_at)).await.id;
    assert!(store.claim("worker-a", 1, LEASE).await.unwrap().is_empty());
    let due = store.next_due().await.unwrap().unwrap();
    assert!((due - run_at).num_milliseconds().abs() <= 1);
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(claim_one(store, LEASE).await.id, id);
    assert!(store.next_due().await.unwrap().is_none());
}

pub async fn a_named_job_is_claimed_once_even_before_it_is_due(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    let later = submit(store, job(org).with_run_at(Utc::now() + chrono::Duration::hours(1))).await;
    let other = submit(store, job(org)).await;

    let claimed = store.claim_job("worker-a", later.id, LEASE).await.unwrap().expect("claimed");
    assert_eq!((claimed.id, claimed.state, claimed.attempt), (later.id, JobState::Running, 1));
    assert_eq!(claimed.worker_id.as_deref(), Some("worker-a"));
    assert!(claimed.lease_until.is_some());
    assert_eq!(kinds(store, later.id).await, [EventKind::Queued, EventKind::Running]);
    // Running now: a second claim gets nothing and changes nothing.
    assert!(store.claim_job("worker-b", later.id, LEASE).await.unwrap().is_none());
    assert_eq!(state(store, later.id).await, claimed);
    // Finished: nothing either. Unknown ids: nothing.
    assert!(complete(store, Lease::of(&claimed), succeeded()).await);
    assert!(store.claim_job("worker-b", later.id, LEASE).await.unwrap().is_none());
    assert!(store.claim_job("worker-b", JobId::now_v7(), LEASE).await.unwrap().is_none());
    // The other job was not touched.
    assert_eq!(state(store, other.id).await.state, JobState::Queued);
}

/// Waits until a job in backoff is due.
async fn until_due(store: &dyn JobStore, id: kiln_core::JobId) {
    let wait = (state(store, id).await.run_at - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait + Duration::from_millis(20)).await;
}

pub async fn release_puts_jobs_back_due_now(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    let id = submit(store, job(org)).await.id;
    let claimed = claim_one(store, LEASE).await;
    store.release(&[Lease::of(&claimed)]).await.unwrap();
    let released = state(store, id).await;
    assert_eq!(released.state, JobState::Queued);
    assert!(released.error.is_none(), "a release is not a failure");
    let again = claim_one(store, LEASE).await;
    assert_eq!((again.id, again.attempt), (id, 2));
    let events = store.events(Scope::Operator, id, 0).await.unwrap();
    assert_eq!(events[2].data["reason"], "released");
}

pub async fn retention_deletes_only_old_finished_jobs(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    let finished = submit(store, job(org)).await.id;
    let claimed = claim_one(store, LEASE).await;
    assert!(complete(store, Lease::of(&claimed), succeeded()).await);
    let running = submit(store, job(org)).await.id;
    claim_one(store, LEASE).await;
    let queued = submit(store, job(org)).await.id;
    tokio::time::sleep(Duration::from_millis(20)).await;

    assert!(
        store.expired(Duration::from_secs(3600), 100).await.unwrap().is_empty(),
        "not old enough yet"
    );
    let expired = store.expired(Duration::from_millis(10), 100).await.unwrap();
    assert_eq!(expired.len(), 1);
    assert_eq!((expired[0].id, expired[0].organisation_id), (finished, org));
    assert_eq!(
        store.delete_finished(&[finished, running, queued]).await.unwrap(),
        1,
        "only finished jobs go"
    );
    assert!(store.get(Scope::Operator, finished).await.unwrap().is_none());
    assert!(
        store.events(Scope::Operator, finished, 0).await.unwrap().is_empty(),
        "events go with the job"
    );
    assert!(store.get(Scope::Operator, running).await.unwrap().is_some());
    assert!(store.get(Scope::Operator, queued).await.unwrap().is_some());
}

pub async fn artifacts_and_log_are_stored_once_with_success(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    let id = submit(store, job(org)).await.id;
    let claimed = claim_one(store, LEASE).await;
    let artifact = NewArtifact {
        path: "report.txt".into(),
        media_type: "text/plain".into(),
        size: 5,
        sha256: "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824".into(),
        storage_key: format!("orgs/{org}/sessions/session-1/jobs/{id}/report.txt"),
    };
    let mut completion =
        Completion::new(&claimed, JobOutcome::Succeeded { artifacts: vec![artifact.clone()] });
    completion.log = vec![LogEntry { source: LogSource::Info, message: "wrote report.txt".into() }];
    completion.plugin = Some(kiln_core::PluginRef {
        name: "testing".into(),
        version: "0.1.0".into(),
        sha256: "ab".into(),
    });
    completion.usage =
        Some(kiln_core::UsageReport { output_bytes: 5, files: 1, ..Default::default() });
    completion.progress = Some(kiln_core::Progress { done: 3, total: 3, message: "done".into() });
    assert!(store.complete(vec![completion.clone()]).await.unwrap()[0]);
    assert!(
        !store.complete(vec![completion]).await.unwrap()[0],
        "a second completion is fenced off"
    );

    let stored = store.artifacts(Scope::Organisation(org), id).await.unwrap();
    assert_eq!(stored.len(), 1, "artifacts are stored once");
    let stored = &stored[0];
    assert_eq!(
        (stored.path.as_str(), stored.size, stored.sha256.as_str()),
        ("report.txt", 5, artifact.sha256.as_str())
    );
    assert_eq!(
        (stored.session_id.as_str(), stored.artifact_type.as_str()),
        ("session-1", "testing")
    );
    assert_eq!(stored.storage_key, artifact.storage_key);
    let made_by = stored.plugin.as_ref().expect("the artifact records its plugin");
    assert_eq!(
        (made_by.name.as_str(), made_by.version.as_str(), made_by.sha256.as_str()),
        ("testing", "0.1.0", "ab")
    );
    let log = store.log(Scope::Organisation(org), id).await.unwrap();
    assert_eq!(log[0].message, "wrote report.txt");
    let job = state(store, id).await;
    assert_eq!(job.plugin.unwrap().name, "testing");
    assert_eq!(job.usage.unwrap().output_bytes, 5);
    assert_eq!(job.progress.unwrap().done, 3, "the last progress is stored with the outcome");
}

/// Polls `write` at most `polls` times, letting other tasks run in
/// between, then drops it wherever it got to.
async fn cut_short<T>(write: impl std::future::Future<Output = T>, polls: usize) {
    let mut write = std::pin::pin!(write);
    for _ in 0..polls {
        let done =
            std::future::poll_fn(|cx| std::task::Poll::Ready(write.as_mut().poll(cx).is_ready()))
                .await;
        if done {
            return;
        }
        tokio::task::yield_now().await;
    }
    // Let the database answer before dropping: an answer nobody receives
    // is the hard case.
    tokio::time::sleep(Duration::from_millis(1)).await;
}

/// Callers' futures get dropped at any await (an HTTP client goes away, a
/// timeout fires); the store must stay consistent and writable.
pub async fn writes_cut_short_leave_the_store_usable(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    submit(store, job(org)).await;
    let claimed = claim_one(store, LEASE).await;
    let lease = Lease::of(&claimed);
    let progress = kiln_core::Progress { done: 1, total: 2, message: "half".into() };
    for polls in 1..=20 {
        cut_short(store.progress(lease, &progress), polls).await;
        cut_short(store.submit(vec![job(org)]), polls).await;
    }
    assert!(store.progress(lease, &progress).await.unwrap(), "progress is still written");
    let later = submit(store, job(org)).await;
    assert_eq!(later.state, kiln_core::JobState::Queued);
    assert!(complete(store, lease, succeeded()).await);
    assert_eq!(state(store, claimed.id).await.state, kiln_core::JobState::Succeeded);
}
