//! Organisations and API keys.

use std::sync::Arc;

use crate::JobStore;

use super::org;

pub async fn api_keys_are_found_by_their_hash_only(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    let (key, secret) = crate::ApiKey::generate(org, crate::KeyKind::Admin, Some("ci".into()));
    assert!(secret.starts_with(&key.prefix) && secret.len() == 69);
    store.add_api_key(&key, &crate::ApiKey::hash(&secret)).await.unwrap();
    assert_eq!(store.api_key(&crate::ApiKey::hash(&secret)).await.unwrap(), Some(key));
    assert!(store.api_key(&crate::ApiKey::hash("kiln_guess")).await.unwrap().is_none());
    let (_, other) = crate::ApiKey::generate(org, crate::KeyKind::Standard, None);
    assert_ne!(secret, other, "keys are random");
}
