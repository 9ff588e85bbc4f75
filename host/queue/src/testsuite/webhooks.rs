//! Webhooks owed for finished jobs.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use kiln_core::{WebhookDelivery, WebhookState};

use crate::{JobStore, Scope, WebhookNext};

use super::{LEASE, finished, job, org, state, stored_now, submit, succeeded};

pub async fn webhooks_are_claimed_once_and_fenced(store: Arc<dyn JobStore>) {
    let store = &*store;
    let acme = org(store, "acme").await;
    let globex = org(store, "globex").await;
    let url = "https://example.com/hooks/kiln";
    // Never due, so the claims below cannot take it; it has not finished.
    submit(
        store,
        job(acme).with_callback_url(url).with_run_at(Utc::now() + chrono::Duration::hours(1)),
    )
    .await;
    let hooked = finished(store, job(acme).with_callback_url(url), succeeded()).await;
    finished(store, job(acme), succeeded()).await;
    assert_eq!((hooked.webhook_state, hooked.webhook_attempts), (Some(WebhookState::Pending), 0));

    let claimed = store.claim_webhooks(10, LEASE).await.unwrap();
    let ids = |jobs: &[kiln_core::Job]| jobs.iter().map(|job| job.id).collect::<Vec<_>>();
    assert_eq!(ids(&claimed), [hooked.id], "only finished jobs with a callback URL");
    assert_eq!(claimed[0].webhook_attempts, 1);
    assert!(
        store.claim_webhooks(10, LEASE).await.unwrap().is_empty(),
        "the claim's lease holds it"
    );

    let try_at = |attempt, status, error: Option<&str>| WebhookDelivery {
        job_id: hooked.id,
        attempt,
        url: url.into(),
        status,
        error: error.map(Into::into),
        duration_ms: 12.5,
        created_at: stored_now(),
    };
    let first = try_at(1, Some(503), Some("503 Service Unavailable"));
    let retry_at = Utc::now() - chrono::Duration::seconds(1);
    assert!(store.record_delivery(&first, WebhookNext::RetryAt(retry_at)).await.unwrap());
    assert_eq!(state(store, hooked.id).await.webhook_state, Some(WebhookState::Pending));

    let again = store.claim_webhooks(10, LEASE).await.unwrap();
    assert_eq!(ids(&again), [hooked.id], "due again at the retry time");
    assert_eq!(again[0].webhook_attempts, 2);
    assert!(
        !store.record_delivery(&first, WebhookNext::Delivered).await.unwrap(),
        "a stale try is fenced off"
    );
    assert_eq!(state(store, hooked.id).await.webhook_state, Some(WebhookState::Pending));

    let second = try_at(2, Some(204), None);
    assert!(store.record_delivery(&second, WebhookNext::Delivered).await.unwrap());
    let delivered = state(store, hooked.id).await;
    assert_eq!(
        (delivered.webhook_state, delivered.webhook_attempts),
        (Some(WebhookState::Delivered), 2)
    );
    assert!(
        !store.record_delivery(&second, WebhookNext::GiveUp).await.unwrap(),
        "a delivered webhook stays so"
    );
    assert!(store.claim_webhooks(10, Duration::ZERO).await.unwrap().is_empty());

    assert_eq!(
        store.deliveries(Scope::Organisation(acme), hooked.id).await.unwrap(),
        [first, second]
    );
    assert!(store.deliveries(Scope::Organisation(globex), hooked.id).await.unwrap().is_empty());
}

pub async fn webhook_secret_is_made_once_per_organisation(store: Arc<dyn JobStore>) {
    let acme = org(&*store, "acme").await;
    let globex = org(&*store, "globex").await;
    let secret = store.webhook_secret(acme).await.unwrap();
    assert!(secret.starts_with("whsec_") && secret.len() == 6 + 64, "{secret}");
    assert_eq!(store.webhook_secret(acme).await.unwrap(), secret);
    assert_ne!(store.webhook_secret(globex).await.unwrap(), secret);

    let initech = org(&*store, "initech").await;
    let racers: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.webhook_secret(initech).await.unwrap() })
        })
        .collect();
    let mut secrets = Vec::new();
    for racer in racers {
        secrets.push(racer.await.unwrap());
    }
    assert!(
        secrets.windows(2).all(|pair| pair[0] == pair[1]),
        "racing first uses agree on one secret"
    );
}
