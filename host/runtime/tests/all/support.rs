use kiln_runtime::{GenerateRequest, Limits, Outcome, Plugin, RunReport, Runtime, RuntimeConfig};

pub(crate) use kiln_runtime::testing::{component, workspace};

pub(crate) fn runtime() -> Runtime {
    // Shared by every test, so each component is compiled once per machine.
    let cache = std::env::temp_dir().join("kiln-test-cache");
    Runtime::new(RuntimeConfig { cache_dir: Some(cache), ..RuntimeConfig::default() })
        .expect("runtime")
}

/// The Python with the independent readers, installed by the test command.
pub(crate) fn python() -> String {
    std::env::var("KILN_TEST_PYTHON")
        .unwrap_or_else(|_| workspace().join(".venv/bin/python").display().to_string())
}

pub(crate) async fn testing_plugin(runtime: &Runtime) -> Plugin {
    runtime.load_file(&component("kiln_testing_plugin.wasm")).await.expect("testing plugin loads")
}

/// Builds and runs a `generate` call on the testing plugin.
pub(crate) struct Run {
    pub(crate) spec: serde_json::Value,
    pub(crate) limits: Limits,
}

impl Run {
    pub(crate) fn behaviour(name: &str) -> Self {
        Self { spec: serde_json::json!({ "behaviour": name }), limits: Limits::default() }
    }

    pub(crate) fn param(mut self, key: &str, value: serde_json::Value) -> Self {
        self.spec[key] = value;
        self
    }

    pub(crate) fn limits(mut self, edit: impl FnOnce(&mut Limits)) -> Self {
        edit(&mut self.limits);
        self
    }

    pub(crate) async fn on(
        self,
        runtime: &Runtime,
        plugin: &Plugin,
    ) -> (RunReport, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let mut request = GenerateRequest::new(self.spec.to_string(), dir.path());
        request.limits = self.limits;
        (runtime.generate(plugin, request).await.expect("no host failure"), dir)
    }
}

/// After a hostile run, the same runtime must still run a normal job.
pub(crate) async fn assert_still_works(runtime: &Runtime, plugin: &Plugin) {
    let (report, dir) = Run::behaviour("ok").on(runtime, plugin).await;
    assert_eq!(report.outcome, Outcome::Succeeded, "log: {:?}", report.log);
    assert_eq!(std::fs::read_to_string(dir.path().join("hello.txt")).unwrap(), "hello");
}
