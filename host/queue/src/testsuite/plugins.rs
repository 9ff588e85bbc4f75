//! Plugin versions, activations and switches.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;

use crate::{ActivePlugin, JobStore, NewPluginVersion, Notice, Registration, Rollback};

/// Waits for a [`Notice::Plugins`], failing after 5 s.
async fn plugins_notice(notices: &mut tokio::sync::broadcast::Receiver<Notice>) {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), notices.recv())
            .await
            .expect("a plugins notice within 5 s")
        {
            Ok(Notice::Plugins) => return,
            Ok(_) | Err(RecvError::Lagged(_)) => {}
            Err(RecvError::Closed) => panic!("notice channel closed"),
        }
    }
}

fn plugin_version(sha: char, name: &str, version: &str) -> NewPluginVersion {
    NewPluginVersion {
        sha256: sha.to_string().repeat(64),
        name: name.into(),
        version: version.into(),
        artifact_type: "card".into(),
        size_bytes: 1234,
        builtin: false,
        registered_by: "key-1".into(),
    }
}

pub async fn plugins_are_turned_off_and_on(store: Arc<dyn JobStore>) {
    assert!(store.disabled_plugins().await.unwrap().is_empty());
    let mut notices = store.subscribe();
    store.set_plugin_enabled("xlsx", false).await.unwrap();
    plugins_notice(&mut notices).await;
    store.set_plugin_enabled("pdf", false).await.unwrap();
    store.set_plugin_enabled("pdf", false).await.unwrap();
    assert_eq!(store.disabled_plugins().await.unwrap(), ["pdf", "xlsx"]);
    store.set_plugin_enabled("xlsx", true).await.unwrap();
    store.set_plugin_enabled("docx", true).await.unwrap();
    assert_eq!(store.disabled_plugins().await.unwrap(), ["pdf"]);
}

pub async fn plugin_versions_are_registered_once_by_their_bytes(store: Arc<dyn JobStore>) {
    let v1 = plugin_version('a', "cards", "1.0.0");
    let Registration::Registered(first) = store.register_plugin(&v1).await.unwrap() else {
        panic!("a new version is registered");
    };
    assert_eq!(
        (first.name.as_str(), first.version.as_str(), first.size_bytes),
        ("cards", "1.0.0", 1234)
    );
    assert!(!first.builtin);
    assert_eq!(
        store.register_plugin(&v1).await.unwrap(),
        Registration::Registered(first.clone()),
        "the same bytes again are the same record"
    );
    let changed = plugin_version('b', "cards", "1.0.0");
    assert_eq!(
        store.register_plugin(&changed).await.unwrap(),
        Registration::VersionTaken(first.clone()),
        "other bytes under a registered name and version are refused"
    );
    let builtin = |sha| NewPluginVersion {
        builtin: true,
        registered_by: "builtin".into(),
        artifact_type: "xlsx".into(),
        ..plugin_version(sha, "xlsx", "0.1.0")
    };
    let (build_1, build_2) = (builtin('c'), builtin('d'));
    for build in [&build_1, &build_2] {
        let registered = store.register_plugin(build).await.unwrap();
        assert!(
            matches!(registered, Registration::Registered(ref v) if v.sha256 == build.sha256 && v.builtin),
            "a rebuilt built-in keeps its version: {registered:?}"
        );
    }
    let versions = store.plugin_versions().await.unwrap();
    let listed: Vec<_> =
        versions.iter().map(|v| (v.artifact_type.as_str(), v.sha256.as_str(), v.builtin)).collect();
    assert_eq!(
        listed,
        [
            ("card", first.sha256.as_str(), false),
            ("xlsx", build_1.sha256.as_str(), true),
            ("xlsx", build_2.sha256.as_str(), true)
        ]
    );
    assert!(store.active_plugins().await.unwrap().is_empty(), "registering activates nothing");
}

pub async fn activations_roll_back_one_version_at_a_time(store: Arc<dyn JobStore>) {
    let mut notices = store.subscribe();
    for (sha, version) in [('a', "1.0.0"), ('b', "2.0.0"), ('c', "3.0.0")] {
        store.register_plugin(&plugin_version(sha, "cards", version)).await.unwrap();
    }
    let other =
        NewPluginVersion { artifact_type: "xlsx".into(), ..plugin_version('d', "xlsx", "0.1.0") };
    store.register_plugin(&other).await.unwrap();
    assert_eq!(store.roll_back_plugin("card").await.unwrap(), Rollback::NothingEarlier);
    assert_eq!(
        store.activate_plugin(&"e".repeat(64), "key-1").await.unwrap(),
        None,
        "unknown version"
    );

    let versions = |active: Vec<ActivePlugin>| -> Vec<(String, String)> {
        active.into_iter().map(|a| (a.plugin.artifact_type, a.plugin.version)).collect()
    };
    let activated = store.activate_plugin(&"a".repeat(64), "key-1").await.unwrap().unwrap();
    assert_eq!(
        (activated.plugin.version.as_str(), activated.activated_by.as_str()),
        ("1.0.0", "key-1")
    );
    plugins_notice(&mut notices).await;
    store.activate_plugin(&"d".repeat(64), "key-2").await.unwrap().unwrap();
    store.activate_plugin(&"b".repeat(64), "key-1").await.unwrap().unwrap();
    store.activate_plugin(&"c".repeat(64), "key-1").await.unwrap().unwrap();
    let card = |v: &str| ("card".to_owned(), v.to_owned());
    let xlsx = ("xlsx".to_owned(), "0.1.0".to_owned());
    assert_eq!(versions(store.active_plugins().await.unwrap()), [card("3.0.0"), xlsx.clone()]);

    let mut notices = store.subscribe();
    let Rollback::RolledBack(back) = store.roll_back_plugin("card").await.unwrap() else {
        panic!("3.0.0 rolls back to 2.0.0");
    };
    assert_eq!(back.plugin.version, "2.0.0");
    plugins_notice(&mut notices).await;
    store.roll_back_plugin("card").await.unwrap();
    assert_eq!(versions(store.active_plugins().await.unwrap()), [card("1.0.0"), xlsx.clone()]);
    assert_eq!(store.roll_back_plugin("card").await.unwrap(), Rollback::NothingEarlier);
    assert_eq!(versions(store.active_plugins().await.unwrap()), [card("1.0.0"), xlsx.clone()]);

    // Activating again after rollbacks starts from the version serving now.
    store.activate_plugin(&"c".repeat(64), "key-1").await.unwrap().unwrap();
    store.roll_back_plugin("card").await.unwrap();
    assert_eq!(versions(store.active_plugins().await.unwrap()), [card("1.0.0"), xlsx]);
}

pub async fn compiled_plugins_are_recorded_per_engine(store: Arc<dyn JobStore>) {
    let sha = "a".repeat(64);
    store.register_plugin(&plugin_version('a', "cards", "1.0.0")).await.unwrap();
    assert_eq!(store.compiled_plugin("engine-1", &sha).await.unwrap(), None);
    store.record_compiled_plugin("engine-1", &sha, "c1").await.unwrap();
    store.record_compiled_plugin("engine-2", &sha, "c2").await.unwrap();
    store.record_compiled_plugin("engine-1", &sha, "c3").await.unwrap();
    assert_eq!(store.compiled_plugin("engine-1", &sha).await.unwrap().as_deref(), Some("c3"));
    assert_eq!(store.compiled_plugin("engine-2", &sha).await.unwrap().as_deref(), Some("c2"));
}
