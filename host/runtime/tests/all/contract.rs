//! Loading: what is not a kiln plugin is refused with a message that says
//! why, and compiled code is cached.

use kiln_runtime::{CacheStatus, Error, Runtime, RuntimeConfig};

use crate::support::{component, runtime};

async fn load_error(bytes: &[u8]) -> String {
    match runtime().load(bytes).await {
        Ok(_) => panic!("loaded"),
        Err(err) => err.to_string(),
    }
}

#[tokio::test]
async fn non_webassembly_is_refused() {
    let msg = load_error(b"PK\x03\x04 definitely a zip").await;
    assert!(
        msg.contains("not a WebAssembly component") && msg.contains("no `\\0asm` header"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_core_module_is_refused_with_how_to_make_a_component() {
    let msg = load_error(b"\0asm\x01\0\0\0").await;
    assert!(msg.contains("core WebAssembly module") && msg.contains("wasm32-wasip2"), "{msg}");
}

#[tokio::test]
async fn a_component_that_is_not_a_generator_is_refused() {
    let msg = load_error(b"(component)").await;
    assert!(
        msg.contains("does not export `kiln:generator/plugin@0.1.0`")
            && msg.contains("exports nothing"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_component_for_another_contract_version_is_refused() {
    let wat = r#"(component (instance $i) (export "kiln:generator/plugin@0.2.0" (instance $i)))"#;
    let msg = load_error(wat.as_bytes()).await;
    assert!(
        msg.contains("implements kiln:generator@0.2.0")
            && msg.contains("this host speaks kiln:generator@0.1.0"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_component_importing_what_kiln_does_not_provide_is_refused() {
    let wat = r#"(component
        (import "wasi:http/outgoing-handler@0.2.0" (instance))
        (instance $i) (export "kiln:generator/plugin@0.1.0" (instance $i)))"#;
    let msg = load_error(wat.as_bytes()).await;
    assert!(
        msg.contains("imports `wasi:http/outgoing-handler@0.2.0`, which kiln does not provide"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_second_load_comes_from_the_compile_cache() {
    let cache = tempfile::tempdir().unwrap();
    let wasm = std::fs::read(component("kiln_testing_plugin.wasm")).unwrap();
    let config =
        RuntimeConfig { cache_dir: Some(cache.path().to_owned()), ..RuntimeConfig::default() };
    let first = Runtime::new(config.clone()).unwrap().load(&wasm).await.unwrap();
    assert_eq!(first.cache_status(), CacheStatus::Compiled);
    let second = Runtime::new(config).unwrap().load(&wasm).await.unwrap();
    assert_eq!(second.cache_status(), CacheStatus::Hit);
    assert_eq!(second.info(), first.info());
}

#[tokio::test]
async fn a_cache_directory_others_can_write_is_not_trusted() {
    use std::os::unix::fs::PermissionsExt;
    let cache = tempfile::tempdir().unwrap();
    std::fs::set_permissions(cache.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let config =
        RuntimeConfig { cache_dir: Some(cache.path().to_owned()), ..RuntimeConfig::default() };
    assert!(matches!(Runtime::new(config), Err(Error::UntrustedCache(_))));
}
