//! The artifact and asset index.

use std::slice;
use std::sync::Arc;

use kiln_core::{Asset, AssetId, OrgId};

use crate::{JobStore, Scope};

use super::{finished, job, org, stored_now, with_artifacts};

pub async fn artifacts_are_found_by_id_and_session_within_the_organisation(
    store: Arc<dyn JobStore>,
) {
    let store = &*store;
    let acme = org(store, "acme").await;
    let globex = org(store, "globex").await;
    let (acme_scope, globex_scope) = (Scope::Organisation(acme), Scope::Organisation(globex));
    let first = finished(store, job(acme), with_artifacts(&["a.txt", "b.txt"])).await.id;
    let second = finished(store, job(acme), with_artifacts(&["c.txt"])).await.id;
    let mut elsewhere = job(acme);
    elsewhere.session_id = "session-2".into();
    finished(store, elsewhere, with_artifacts(&["d.txt"])).await;
    finished(store, job(globex), with_artifacts(&["e.txt"])).await;
    let paths = |artifacts: &[kiln_core::Artifact]| {
        artifacts.iter().map(|a| a.path.clone()).collect::<Vec<_>>()
    };

    let session = store.session_artifacts(acme_scope, "session-1").await.unwrap();
    assert_eq!(
        paths(&session),
        ["a.txt", "b.txt", "c.txt"],
        "oldest first, only this session and organisation"
    );
    assert_eq!((session[0].job_id, session[2].job_id), (first, second));
    assert_eq!(
        paths(&store.session_artifacts(globex_scope, "session-1").await.unwrap()),
        ["e.txt"]
    );
    assert_eq!(store.session_artifacts(Scope::Operator, "session-1").await.unwrap().len(), 4);

    let b = session[1].clone();
    assert_eq!(store.artifact(acme_scope, b.id).await.unwrap(), Some(b.clone()));
    assert!(store.artifact(globex_scope, b.id).await.unwrap().is_none());
    assert!(store.delete_artifact(globex_scope, b.id).await.unwrap().is_none());
    assert!(
        store.artifact(acme_scope, b.id).await.unwrap().is_some(),
        "another organisation cannot delete it"
    );

    assert_eq!(store.delete_artifact(acme_scope, b.id).await.unwrap(), Some(b.clone()));
    assert!(store.artifact(acme_scope, b.id).await.unwrap().is_none());
    assert!(store.delete_artifact(acme_scope, b.id).await.unwrap().is_none(), "deleted once");
    assert_eq!(paths(&store.artifacts(acme_scope, first).await.unwrap()), ["a.txt"]);
}

pub async fn previews_are_claimed_once(store: Arc<dyn JobStore>) {
    let acme = org(&*store, "acme").await;
    let job = finished(&*store, job(acme), with_artifacts(&["a.docx", "b.docx"])).await.id;
    let artifacts = store.artifacts(Scope::Operator, job).await.unwrap();
    let (a, b) = (artifacts[0].id, artifacts[1].id);
    // Servers racing for the same file: one wins.
    let racers = (0..8).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { store.claim_previews(a).await.unwrap() })
    });
    let mut won = 0;
    for racer in racers {
        won += usize::from(racer.await.unwrap());
    }
    assert_eq!(won, 1, "exactly one claim of a file's previews succeeds");
    assert!(!store.claim_previews(a).await.unwrap(), "claimed once, for good");
    assert!(store.claim_previews(b).await.unwrap(), "each file is claimed on its own");
    store.delete_artifact(Scope::Operator, b).await.unwrap();
    assert!(!store.claim_previews(b).await.unwrap());
    assert!(!store.claim_previews(kiln_core::ArtifactId::now_v7()).await.unwrap(), "no such file");
}

pub async fn assets_are_scoped_and_expire(store: Arc<dyn JobStore>) {
    let store = &*store;
    let acme = org(store, "acme").await;
    let globex = org(store, "globex").await;
    let asset = |org: OrgId, expires_in: chrono::Duration| {
        let id = AssetId::now_v7();
        let created_at = stored_now();
        Asset {
            id,
            organisation_id: org,
            filename: Some("logo.png".into()),
            media_type: "image/png".into(),
            size: 3,
            sha256: "ab".repeat(32),
            storage_key: format!("orgs/{org}/assets/{id}"),
            created_at,
            expires_at: created_at + expires_in,
        }
    };
    let live = asset(acme, chrono::Duration::hours(1));
    let mut unnamed = asset(globex, chrono::Duration::hours(1));
    unnamed.filename = None;
    let older = asset(acme, chrono::Duration::seconds(-2));
    let expired = asset(acme, chrono::Duration::seconds(-1));
    for asset in [&live, &unnamed, &expired, &older] {
        store.add_asset(asset).await.unwrap();
    }
    let all = [live.id, unnamed.id, expired.id, older.id];

    let visible = store.assets(Scope::Organisation(acme), &all).await.unwrap();
    assert_eq!(visible, slice::from_ref(&live), "live and own only");
    assert_eq!(store.assets(Scope::Organisation(globex), &all).await.unwrap(), [unnamed.clone()]);
    assert!(store.assets(Scope::Organisation(globex), &[live.id]).await.unwrap().is_empty());
    assert_eq!(
        store.assets(Scope::Operator, &[live.id, expired.id]).await.unwrap(),
        slice::from_ref(&live)
    );

    assert_eq!(
        store.expired_assets(10).await.unwrap(),
        [older.clone(), expired.clone()],
        "oldest expiry first"
    );
    assert_eq!(store.expired_assets(1).await.unwrap(), slice::from_ref(&older));
    assert_eq!(store.delete_assets(&[older.id, expired.id]).await.unwrap(), 2);
    assert!(store.expired_assets(10).await.unwrap().is_empty());
    assert_eq!(store.assets(Scope::Organisation(acme), &[live.id]).await.unwrap(), [live]);
}
