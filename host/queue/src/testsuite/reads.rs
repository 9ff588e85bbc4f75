//! What callers read back: scoped, paged, replayed and summed up.

use std::sync::Arc;
use std::time::Duration;

use kiln_core::{ErrorKind, EventKind, JobState, Progress, WebhookState};
use tokio::sync::broadcast::error::RecvError;

use crate::{JobFilter, JobStore, Lease, Notice, Scope, Submitted};

use super::{LEASE, claim_one, complete, failure, job, org, state, submit, succeeded};

pub async fn reads_are_scoped_to_the_organisation(store: Arc<dyn JobStore>) {
    let store = &*store;
    let acme = org(store, "acme").await;
    let globex = Scope::Organisation(org(store, "globex").await);
    let id = submit(store, job(acme)).await.id;
    assert!(store.get(globex, id).await.unwrap().is_none());
    assert!(store.events(globex, id, 0).await.unwrap().is_empty());
    assert!(store.artifacts(globex, id).await.unwrap().is_empty());
    assert!(store.log(globex, id).await.unwrap().is_empty());
    assert!(
        store
            .list(globex, &JobFilter { limit: 10, ..JobFilter::default() })
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.cancel(globex, id).await.unwrap().is_none());
    assert_eq!(
        state(store, id).await.state,
        JobState::Queued,
        "another organisation cannot cancel it"
    );
    assert!(store.get(Scope::Organisation(acme), id).await.unwrap().is_some());
}

pub async fn events_replay_in_order_and_are_published_live(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    let mut notices = store.subscribe();
    let id = submit(store, job(org)).await.id;
    let claimed = claim_one(store, LEASE).await;
    let progress = Progress { done: 1, total: 2, message: "half way".into() };
    assert!(store.progress(Lease::of(&claimed), &progress).await.unwrap());
    assert!(complete(store, Lease::of(&claimed), succeeded()).await);
    assert_eq!(state(store, id).await.progress, Some(progress));

    let mut live = Vec::new();
    while live.len() < 4 {
        match tokio::time::timeout(Duration::from_secs(5), notices.recv())
            .await
            .expect("a notice within 5 s")
        {
            Ok(Notice::Event { id: event_id, job_id, kind }) if job_id == id => {
                live.push((event_id, kind))
            }
            Ok(_) | Err(RecvError::Lagged(_)) => {}
            Err(RecvError::Closed) => panic!("notice channel closed"),
        }
    }
    let stored = store.events(Scope::Operator, id, 0).await.unwrap();
    let stored: Vec<_> = stored.iter().map(|event| (event.id, event.kind)).collect();
    assert_eq!(live, stored, "every stored event was published, in order");
    assert!(stored.windows(2).all(|pair| pair[0].0 < pair[1].0));
    assert_eq!(
        stored.iter().map(|(_, kind)| *kind).collect::<Vec<_>>(),
        [EventKind::Queued, EventKind::Running, EventKind::Progress, EventKind::Succeeded]
    );
    let replay = store.events(Scope::Operator, id, stored[1].0).await.unwrap();
    assert_eq!(replay.iter().map(|event| event.id).collect::<Vec<_>>(), [stored[2].0, stored[3].0]);
    assert_eq!(replay[0].data["message"], "half way");
}

pub async fn list_pages_newest_first_with_filters(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    let scope = Scope::Organisation(org);
    let mut ids = Vec::new();
    for index in 0..5 {
        let mut new = job(org);
        new.session_id = if index % 2 == 0 { "even".into() } else { "odd".into() };
        ids.push(submit(store, new).await.id);
    }
    let page = |before, limit| JobFilter { before, limit, ..JobFilter::default() };
    let first: Vec<_> =
        store.list(scope, &page(None, 2)).await.unwrap().into_iter().map(|job| job.id).collect();
    assert_eq!(first, [ids[4], ids[3]]);
    let second: Vec<_> = store
        .list(scope, &page(Some(ids[3]), 2))
        .await
        .unwrap()
        .into_iter()
        .map(|job| job.id)
        .collect();
    assert_eq!(second, [ids[2], ids[1]]);
    let even = JobFilter { session_id: Some("even".into()), limit: 10, ..JobFilter::default() };
    assert_eq!(store.list(scope, &even).await.unwrap().len(), 3);
    store.cancel(scope, ids[0]).await.unwrap();
    let canceled = JobFilter { state: Some(JobState::Canceled), limit: 10, ..JobFilter::default() };
    let canceled: Vec<_> =
        store.list(scope, &canceled).await.unwrap().into_iter().map(|job| job.id).collect();
    assert_eq!(canceled, [ids[0]]);
    assert_eq!(store.active(100).await.unwrap().len(), 4);
}

pub async fn stats_report_success_rate_and_durations(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    for outcome in [succeeded(), succeeded(), succeeded(), failure(ErrorKind::Trap)] {
        submit(store, job(org)).await;
        let claimed = claim_one(store, LEASE).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(complete(store, Lease::of(&claimed), outcome).await);
    }
    let stats = store.stats(Duration::from_secs(3600)).await.unwrap();
    assert_eq!(stats.len(), 1);
    let testing = &stats[0];
    assert_eq!(testing.artifact_type, "testing");
    assert_eq!(
        (testing.finished, testing.succeeded, testing.failed, testing.canceled),
        (4, 3, 1, 0)
    );
    assert!((testing.success_rate - 0.75).abs() < 1e-9);
    assert!(testing.p50_ms >= 15.0 && testing.p95_ms >= testing.p50_ms, "{testing:?}");
}

pub async fn submitted_details_are_stored_and_returned(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    let metadata =
        serde_json::json!({"customer": "c-42", "tags": ["q3", "draft"], "nested": {"n": 1.5}});
    let detailed = job(org)
        .with_display_name("Q3 report.xlsx")
        .with_metadata(metadata.clone())
        .with_callback_url("https://example.com/hooks/kiln")
        .with_idempotency_key("key-1");
    let created = submit(store, detailed.clone()).await;
    let stored = state(store, created.id).await;
    assert_eq!(stored, created, "submit returns the job as stored");
    assert_eq!(stored.display_name.as_deref(), Some("Q3 report.xlsx"));
    assert_eq!(stored.metadata, Some(metadata));
    assert_eq!(stored.callback_url.as_deref(), Some("https://example.com/hooks/kiln"));
    assert_eq!((stored.webhook_state, stored.webhook_attempts), (Some(WebhookState::Pending), 0));

    let plain = submit(store, job(org)).await;
    assert_eq!((plain.display_name, plain.metadata, plain.callback_url), (None, None, None));
    assert_eq!(plain.webhook_state, None, "no callback URL, no webhook");

    let again = store.submit(vec![detailed.clone()]).await.unwrap();
    assert_eq!(again, [Submitted::Existing(created.clone())]);
    let mut different = detailed;
    different.metadata = Some(serde_json::json!({"customer": "c-43"}));
    let conflict = store.submit(vec![different]).await.unwrap();
    let expected = Submitted::Conflict { key: "key-1".into(), existing: created.id };
    assert_eq!(conflict, [expected], "metadata is part of the request");
}
