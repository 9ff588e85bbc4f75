//! Every limit, hit by a fixture that misbehaves, ends the run with that
//! limit named, and the same runtime then runs a normal job.

use std::time::{Duration, Instant};

use kiln_core::Limit;
use kiln_runtime::{GenerateRequest, Limits, LogSource, Outcome, PluginError, Stop};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::support::{Run, assert_still_works, runtime, testing_plugin};

/// Epoch ticks are 10 ms; allow scheduling noise on a loaded 2-core machine.
const MARGIN: Duration = Duration::from_millis(300);

fn stopped_by(outcome: &Outcome) -> Option<Limit> {
    match outcome {
        Outcome::Stopped(Stop::Limit(limit)) => Some(*limit),
        _ => None,
    }
}

#[tokio::test]
async fn infinite_loop_stops_within_its_cpu_deadline() {
    let runtime = runtime();
    let plugin = testing_plugin(&runtime).await;
    let started = Instant::now();
    let (report, _dir) = Run::behaviour("loop")
        .limits(|l| l.cpu_time = Duration::from_secs(1))
        .on(&runtime, &plugin)
        .await;
    let elapsed = started.elapsed();
    assert_eq!(stopped_by(&report.outcome), Some(Limit::CpuTime(1000)));
    assert_eq!(report.outcome.to_string(), "limit exceeded: cpu time (1000 ms)");
    assert!(elapsed < Duration::from_secs(1) + MARGIN, "stopped after {elapsed:?}");
    // The budget counts ticks that find the guest running, so on a busy
    // machine the thread's measured CPU time can be lower than the budget.
    assert!(report.usage.cpu_time_us > 100_000, "cpu {} µs", report.usage.cpu_time_us);
    assert_still_works(&runtime, &plugin).await;
}

#[tokio::test]
async fn guest_blocked_in_a_host_call_stops_at_the_wall_clock_limit() {
    let runtime = runtime();
    let plugin = testing_plugin(&runtime).await;
    let started = Instant::now();
    let (report, _dir) = Run::behaviour("sleep")
        .limits(|l| l.wall_clock = Duration::from_millis(500))
        .on(&runtime, &plugin)
        .await;
    assert_eq!(stopped_by(&report.outcome), Some(Limit::WallClock(500)));
    assert!(
        started.elapsed() < Duration::from_millis(500) + MARGIN,
        "stopped after {:?}",
        started.elapsed()
    );
    assert_still_works(&runtime, &plugin).await;
}

#[tokio::test]
async fn memory_bomb_hits_the_memory_limit() {
    let runtime = runtime();
    let plugin = testing_plugin(&runtime).await;
    let (report, _dir) = Run::behaviour("memory-bomb")
        .limits(|l| l.memory_bytes = 64 << 20)
        .on(&runtime, &plugin)
        .await;
    assert_eq!(report.outcome.to_string(), "limit exceeded: memory (64 MiB)");
    assert!(
        report.usage.peak_memory_bytes <= 64 << 20 && report.usage.peak_memory_bytes > 32 << 20
    );
    assert_still_works(&runtime, &plugin).await;
}

#[tokio::test]
async fn huge_output_hits_the_output_byte_quota() {
    let runtime = runtime();
    let plugin = testing_plugin(&runtime).await;
    let (report, dir) = Run::behaviour("huge-output")
        .limits(|l| l.output_bytes = 8 << 20)
        .on(&runtime, &plugin)
        .await;
    assert_eq!(stopped_by(&report.outcome), Some(Limit::OutputBytes(8 << 20)));
    assert_eq!(report.usage.output_bytes, 8 << 20, "the quota is filled exactly, never exceeded");
    assert!(std::fs::metadata(dir.path().join("huge.bin")).unwrap().len() <= 8 << 20);
    assert_still_works(&runtime, &plugin).await;
}

#[tokio::test]
async fn many_files_hit_the_file_count_quota() {
    let runtime = runtime();
    let plugin = testing_plugin(&runtime).await;
    let (report, _dir) =
        Run::behaviour("many-files").limits(|l| l.output_files = 25).on(&runtime, &plugin).await;
    assert_eq!(stopped_by(&report.outcome), Some(Limit::OutputFiles(25)));
    assert_eq!(report.usage.files, 25);
    assert_still_works(&runtime, &plugin).await;
}

#[tokio::test]
async fn holding_open_handles_hits_the_resource_limit() {
    let runtime = runtime();
    let plugin = testing_plugin(&runtime).await;
    let (report, _dir) = Run::behaviour("open-files")
        .limits(|l| {
            l.resources = 40;
            l.output_files = 10_000;
        })
        .on(&runtime, &plugin)
        .await;
    assert_eq!(stopped_by(&report.outcome), Some(Limit::Resources(40)));
    assert_still_works(&runtime, &plugin).await;
}

#[tokio::test]
async fn log_flood_hits_the_log_limit() {
    let runtime = runtime();
    let plugin = testing_plugin(&runtime).await;
    for behaviour in ["log-flood", "stdout-flood"] {
        let (report, _dir) = Run::behaviour(behaviour)
            .limits(|l| l.log_bytes = 32 << 10)
            .on(&runtime, &plugin)
            .await;
        assert_eq!(stopped_by(&report.outcome), Some(Limit::LogBytes(32 << 10)), "{behaviour}");
        assert!(report.usage.log_bytes <= 32 << 10, "{behaviour}");
        assert!(!report.log.is_empty(), "{behaviour}: the log up to the limit is kept");
    }
    assert_still_works(&runtime, &plugin).await;
}

#[tokio::test]
async fn table_growth_hits_the_table_element_limit() {
    let runtime = runtime();
    let wat = crate::support::workspace().join("plugins/testing/table-bomb.wat");
    let plugin = runtime.load_file(&wat).await.expect("table-bomb loads");
    let dir = tempfile::tempdir().unwrap();
    let mut request = GenerateRequest::new("{}", dir.path());
    request.limits.table_elements = 50_000;
    let report = runtime.generate(&plugin, request).await.unwrap();
    assert_eq!(stopped_by(&report.outcome), Some(Limit::TableElements(50_000)));
    assert_still_works(&runtime, &testing_plugin(&runtime).await).await;
}

#[tokio::test]
async fn a_run_needing_more_instances_than_allowed_is_stopped() {
    let runtime = runtime();
    let plugin = testing_plugin(&runtime).await;
    let (report, _dir) =
        Run::behaviour("ok").limits(|l| l.instances = 1).on(&runtime, &plugin).await;
    assert_eq!(stopped_by(&report.outcome), Some(Limit::Instances(1)));
    assert_still_works(&runtime, &plugin).await;
}

#[tokio::test]
async fn panic_is_a_trap_and_its_message_is_in_the_log() {
    let runtime = runtime();
    let plugin = testing_plugin(&runtime).await;
    let (report, _dir) = Run::behaviour("panic").on(&runtime, &plugin).await;
    assert!(matches!(report.outcome, Outcome::Stopped(Stop::Trap(_))), "{:?}", report.outcome);
    let stderr: Vec<_> = report.log.iter().filter(|e| e.source == LogSource::Stderr).collect();
    assert!(stderr.iter().any(|e| e.message.contains("fixture panicked on purpose")), "{stderr:?}");
    assert_still_works(&runtime, &plugin).await;
}

fn failure(outcome: &Outcome) -> &str {
    match outcome {
        Outcome::Refused(PluginError::Failed(msg)) => msg,
        other => panic!("expected the plugin to report a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn files_are_out_of_reach() {
    let runtime = runtime();
    let plugin = testing_plugin(&runtime).await;
    let (report, dir) = Run::behaviour("read-file").on(&runtime, &plugin).await;
    let msg = failure(&report.outcome);
    assert!(msg.starts_with("filesystem denied: read /etc/passwd:"), "{msg}");
    assert!(!dir.path().join("leak.txt").exists());
    assert_still_works(&runtime, &plugin).await;
}

#[tokio::test]
async fn environment_and_arguments_are_empty() {
    let runtime = runtime();
    let plugin = testing_plugin(&runtime).await;
    let (report, _dir) = Run::behaviour("read-env").on(&runtime, &plugin).await;
    assert_eq!(failure(&report.outcome), "environment empty: 0 vars, 0 args");
    assert_still_works(&runtime, &plugin).await;
}

#[tokio::test]
async fn network_is_denied_even_to_loopback() {
    let runtime = runtime();
    let plugin = testing_plugin(&runtime).await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (report, _dir) =
        Run::behaviour("open-socket").param("addr", json!(addr)).on(&runtime, &plugin).await;
    let msg = failure(&report.outcome);
    assert!(msg.starts_with("network denied: tcp connect"), "{msg}");
    assert!(listener.accept().is_err(), "a connection reached the listener");
    assert_still_works(&runtime, &plugin).await;
}

#[tokio::test]
async fn unfinished_files_fail_the_run() {
    let runtime = runtime();
    let plugin = testing_plugin(&runtime).await;
    for drop_handle in [false, true] {
        let (report, _dir) = Run::behaviour("unfinished")
            .param("drop_handle", json!(drop_handle))
            .on(&runtime, &plugin)
            .await;
        assert_eq!(failure(&report.outcome), "the plugin returned without finishing `partial.txt`");
        assert!(report.files.is_empty());
    }
}

#[tokio::test]
async fn escaping_and_duplicate_paths_are_refused() {
    let runtime = runtime();
    let plugin = testing_plugin(&runtime).await;
    let (report, dir) = Run::behaviour("bad-paths").on(&runtime, &plugin).await;
    assert_eq!(report.outcome, Outcome::Succeeded);
    let results: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(dir.path().join("paths.json")).unwrap()).unwrap();
    let result_of = |i: usize| results[i]["result"].as_str().unwrap().to_owned();
    for entry in &results[..10] {
        let result = entry["result"].as_str().unwrap();
        assert!(result.starts_with("invalid-path: "), "{}: {result}", entry["path"]);
    }
    assert_eq!(result_of(10), "ok");
    assert!(result_of(11).starts_with("already-exists: "), "{}", result_of(11));
    assert!(result_of(12).starts_with("invalid-media-type: "), "{}", result_of(12));
    let written: Vec<_> = report.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(written, ["ok.txt", "paths.json"]);
}

#[tokio::test]
async fn clock_is_fixed_and_randomness_is_seeded_per_run() {
    let runtime = runtime();
    let plugin = testing_plugin(&runtime).await;
    let mut seen = Vec::new();
    for seed in [Some(1), Some(1), Some(2)] {
        let dir = tempfile::tempdir().unwrap();
        let mut request =
            GenerateRequest::new(json!({"behaviour": "clock-random"}).to_string(), dir.path());
        request.seed = seed;
        let report = runtime.generate(&plugin, request).await.unwrap();
        assert_eq!(report.outcome, Outcome::Succeeded);
        let clock: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("clock.json")).unwrap()).unwrap();
        assert_eq!(
            clock["wall_clock_nanos"],
            json!(946_684_800_000_000_000_u64),
            "2000-01-01T00:00:00Z"
        );
        assert_eq!(clock["monotonic_elapsed_nanos"], json!(0));
        seen.push(clock["random_hex"].as_str().unwrap().to_owned());
    }
    assert_eq!(seen[0], seen[1], "same seed, same randomness");
    assert_ne!(seen[0], seen[2], "another seed, other randomness");
}

#[tokio::test]
async fn cancel_ends_a_running_job() {
    let runtime = runtime();
    let plugin = testing_plugin(&runtime).await;
    for behaviour in ["loop", "sleep"] {
        let dir = tempfile::tempdir().unwrap();
        let mut request =
            GenerateRequest::new(json!({ "behaviour": behaviour }).to_string(), dir.path());
        let cancel = CancellationToken::new();
        request.cancel = cancel.clone();
        let canceller = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            cancel.cancel();
        });
        let started = Instant::now();
        let report = runtime.generate(&plugin, request).await.unwrap();
        canceller.await.unwrap();
        assert_eq!(report.outcome, Outcome::Stopped(Stop::Canceled), "{behaviour}");
        assert!(
            started.elapsed() < Duration::from_millis(200) + MARGIN,
            "{behaviour}: {:?}",
            started.elapsed()
        );
    }
    assert_still_works(&runtime, &plugin).await;
}

#[tokio::test]
async fn progress_log_and_assets_reach_the_host() {
    let runtime = runtime();
    let plugin = testing_plugin(&runtime).await;
    let dir = tempfile::tempdir().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let mut request = GenerateRequest::new(
        json!({"behaviour": "ok", "progress_steps": 4}).to_string(),
        dir.path(),
    );
    request.on_progress = Some(Box::new(move |p| tx.send((p.done, p.total)).unwrap()));
    let report = runtime.generate(&plugin, request).await.unwrap();
    assert_eq!(report.outcome, Outcome::Succeeded);
    let steps: Vec<_> = rx.try_iter().collect();
    assert_eq!(steps.last(), Some(&(4, 4)), "{steps:?}");
    assert!(report.log.iter().any(|e| e.source == LogSource::Info));
    let file = &report.files[0];
    assert_eq!((file.path.as_str(), file.size), ("hello.txt", 5));
    assert_eq!(
        file.sha256, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
        "sha256 of `hello`"
    );

    let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let dir = tempfile::tempdir().unwrap();
    let mut request = GenerateRequest::new(
        json!({"behaviour": "echo-asset", "name": "data.bin"}).to_string(),
        dir.path(),
    );
    request.assets = vec![kiln_runtime::Asset {
        name: "data.bin".into(),
        media_type: "application/octet-stream".into(),
        bytes: bytes.clone().into(),
    }];
    let report = runtime.generate(&plugin, request).await.unwrap();
    assert_eq!(report.outcome, Outcome::Succeeded, "{:?}", report.log);
    assert_eq!(std::fs::read(dir.path().join("asset.bin")).unwrap(), bytes);
}

#[tokio::test]
async fn limits_above_the_runtime_ceiling_are_refused() {
    let runtime = runtime();
    let plugin = testing_plugin(&runtime).await;
    let dir = tempfile::tempdir().unwrap();
    let mut request = GenerateRequest::new(json!({"behaviour": "ok"}).to_string(), dir.path());
    request.limits = Limits { memory_bytes: 8 << 30, ..Limits::default() };
    let err = runtime.generate(&plugin, request).await.unwrap_err();
    assert!(err.to_string().contains("ceiling"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn more_runs_than_instance_slots_wait_for_a_slot_instead_of_failing() {
    let cache = std::env::temp_dir().join("kiln-test-cache");
    let config = kiln_runtime::RuntimeConfig {
        cache_dir: Some(cache),
        max_concurrent_runs: 2,
        ..Default::default()
    };
    let runtime = std::sync::Arc::new(kiln_runtime::Runtime::new(config).unwrap());
    let plugin = std::sync::Arc::new(testing_plugin(&runtime).await);
    // Six runs that each hold a slot for a second, on two slots.
    let started = Instant::now();
    let mut runs = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let (runtime, plugin) = (runtime.clone(), plugin.clone());
        runs.spawn(async move {
            Run::behaviour("sleep").param("secs", json!(1)).on(&runtime, &plugin).await.0.outcome
        });
    }
    while let Some(outcome) = runs.join_next().await {
        // The sleeper writes nothing; what matters is that no run was stopped.
        assert_eq!(
            outcome.unwrap(),
            Outcome::Refused(PluginError::Failed(
                "the plugin returned without writing a file".into()
            ))
        );
    }
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "two slots ran six one-second runs in {:?}",
        started.elapsed()
    );
    assert_still_works(&runtime, &plugin).await;
}

#[tokio::test]
async fn looping_validate_stops_at_the_validation_cpu_limit() {
    let validate_limits = Limits { cpu_time: Duration::from_millis(300), ..Limits::validation() };
    let runtime = kiln_runtime::Runtime::new(kiln_runtime::RuntimeConfig {
        cache_dir: Some(std::env::temp_dir().join("kiln-test-cache")),
        validate_limits,
        ..kiln_runtime::RuntimeConfig::default()
    })
    .unwrap();
    let plugin = testing_plugin(&runtime).await;
    let started = Instant::now();
    let outcome = runtime.check_spec(&plugin, r#"{"behaviour": "validate-loop"}"#).await.unwrap();
    assert_eq!(stopped_by(&outcome), Some(Limit::CpuTime(300)));
    assert!(started.elapsed() < Duration::from_millis(300) + MARGIN, "{:?}", started.elapsed());
    let fine = runtime.check_spec(&plugin, r#"{"behaviour": "ok"}"#).await.unwrap();
    assert_eq!(fine, Outcome::Succeeded);
}
