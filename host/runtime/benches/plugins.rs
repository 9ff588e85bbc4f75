//! Prints each built-in plugin's figures on its benchmark workload:
//! `generate` in the sandbox against the same code run natively (P2), against
//! the Python library the plugin replaces where one exists (P3), and
//! `validate` as the request path runs it (schema check + the plugin's
//! `validate` in the sandbox) against the plugin's checks run natively.
//!
//! Run with `scripts/bench plugins` (it builds the plugins and installs the
//! Python peers first). Every ratio comes from rounds that run both sides
//! back to back, in alternating order, after a warm-up; the figure is the
//! median of the per-round ratios, with the spread of the middle half.
//! Absolute times are min / median / max. `KILN_BENCH_ROUNDS` (default 15)
//! sets the rounds, `KILN_BENCH_ONLY=docx,pdf` picks plugins.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

use kiln_plugin_sdk::{Generator, testing};
use kiln_runtime::{GenerateRequest, Outcome, Plugin, Runtime, RuntimeConfig};

/// One plugin's workload and how to run it natively and with its peer.
struct Workload {
    plugin: &'static str,
    about: &'static str,
    spec: String,
    native_generate: fn(&str) -> usize,
    native_validate: fn(&str) -> usize,
    /// The Python peer: a library name and its workload script.
    peer: Option<(&'static str, &'static str)>,
}

fn generate_natively<G: Generator>(spec: &str) -> usize {
    let run = testing::run::<G>(spec, &[]).expect("the benchmark spec generates natively");
    run.files.iter().map(|f| f.bytes.len()).sum()
}

fn validate_natively<G: Generator>(spec: &str) -> usize {
    testing::validate::<G>(spec).len()
}

fn workloads() -> Vec<Workload> {
    vec![
        Workload {
            plugin: "xlsx",
            about: "100,000 numeric cells + a 1,000-row styled sheet",
            spec: kiln_plugin_xlsx::bench::benchmark_spec(),
            native_generate: generate_natively::<kiln_plugin_xlsx::Xlsx>,
            native_validate: validate_natively::<kiln_plugin_xlsx::Xlsx>,
            peer: Some(("openpyxl", "plugins/xlsx/benches/openpyxl_workload.py")),
        },
        Workload {
            plugin: "docx",
            about: "W50: 50 sections of a heading, 3 paragraphs, a 10×5 table",
            spec: kiln_plugin_docx::bench::w50_spec(),
            native_generate: generate_natively::<kiln_plugin_docx::Docx>,
            native_validate: validate_natively::<kiln_plugin_docx::Docx>,
            peer: Some(("python-docx", "plugins/docx/benches/python_docx_workload.py")),
        },
        Workload {
            plugin: "pptx",
            about: "50 slides of a title and 5 bullets, every 5th a 6×4 table",
            spec: kiln_plugin_pptx::bench::benchmark_spec(),
            native_generate: generate_natively::<kiln_plugin_pptx::Pptx>,
            native_validate: validate_natively::<kiln_plugin_pptx::Pptx>,
            peer: Some(("python-pptx", "plugins/pptx/benches/python_pptx_workload.py")),
        },
        Workload {
            plugin: "pdf",
            about: "W50, typeset",
            spec: kiln_plugin_pdf::bench::w50_spec(),
            native_generate: generate_natively::<kiln_plugin_pdf::Pdf>,
            native_validate: validate_natively::<kiln_plugin_pdf::Pdf>,
            peer: Some(("reportlab", "plugins/pdf/benches/reportlab_workload.py")),
        },
        Workload {
            plugin: "terraform",
            about: "300 resources in a root module calling 5 child modules",
            spec: kiln_plugin_terraform::bench::benchmark_spec(),
            native_generate: generate_natively::<kiln_plugin_terraform::Terraform>,
            native_validate: validate_natively::<kiln_plugin_terraform::Terraform>,
            peer: None,
        },
        Workload {
            plugin: "cloudformation",
            about: "450 resources",
            spec: kiln_plugin_cloudformation::bench::benchmark_spec(),
            native_generate: generate_natively::<kiln_plugin_cloudformation::CloudFormation>,
            native_validate: validate_natively::<kiln_plugin_cloudformation::CloudFormation>,
            peer: Some(("PyYAML", "plugins/cloudformation/benches/pyyaml_workload.py")),
        },
    ]
}

use kiln_runtime::testing::workspace;

/// min / median / max of absolute times, and the median with the middle
/// half of per-round ratios.
struct Samples(Vec<f64>);

impl Samples {
    fn sorted(&self) -> Vec<f64> {
        let mut v = self.0.clone();
        v.sort_by(f64::total_cmp);
        v
    }

    fn quantile(&self, q: f64) -> f64 {
        let v = self.sorted();
        v[((v.len() - 1) as f64 * q).round() as usize]
    }

    fn times_ms(&self) -> String {
        format!(
            "{:.2} / {:.2} / {:.2}",
            self.quantile(0.0) * 1e3,
            self.quantile(0.5) * 1e3,
            self.quantile(1.0) * 1e3
        )
    }

    fn ratio(&self) -> String {
        format!(
            "{:.2}× ({:.2}–{:.2})",
            self.quantile(0.5),
            self.quantile(0.25),
            self.quantile(0.75)
        )
    }
}

fn ratios(a: &Samples, b: &Samples) -> Samples {
    Samples(a.0.iter().zip(&b.0).map(|(a, b)| a / b).collect())
}

/// The Python peer, kept running so each build is one request on stdin.
struct Peer {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Peer {
    fn start(python: &Path, script: &str, spec: &Path, out: &Path) -> std::io::Result<Self> {
        let root = workspace();
        let mut child = Command::new(python)
            .arg(root.join("host/runtime/benches/peer.py"))
            .arg(root.join(script))
            .arg(spec)
            .arg(out)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        Ok(Self { child, stdin, stdout })
    }

    /// One build, in seconds; `None` once the peer has failed.
    fn build(&mut self) -> Option<f64> {
        writeln!(self.stdin).ok()?;
        let mut line = String::new();
        self.stdout.read_line(&mut line).ok()?;
        line.trim().parse().ok()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The page faults this process has taken so far (minor + major).
fn page_faults() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; minflt is field 10, majflt 12.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    field(10) + field(12)
}

struct Figures {
    native: Samples,
    sandbox: Samples,
    peer: Option<(&'static str, Samples)>,
    native_validate: Samples,
    sandbox_validate: Samples,
    output_bytes: u64,
    peak_memory: u64,
    sandbox_faults: u64,
    native_faults: u64,
}

async fn measure(
    runtime: &Runtime,
    plugin: &Plugin,
    workload: &Workload,
    rounds: usize,
    python: Option<&Path>,
) -> Figures {
    let scratch = tempfile::tempdir().unwrap();
    let spec_path = scratch.path().join("spec.json");
    std::fs::write(&spec_path, &workload.spec).unwrap();
    let mut peer = match (workload.peer, python) {
        (Some((name, script)), Some(python)) => {
            Peer::start(python, script, &spec_path, &scratch.path().join("peer.out"))
                .ok()
                .map(|p| (name, p))
        }
        _ => None,
    };

    let spec = workload.spec.as_str();
    let mut figures = Figures {
        native: Samples(Vec::new()),
        sandbox: Samples(Vec::new()),
        peer: None,
        native_validate: Samples(Vec::new()),
        sandbox_validate: Samples(Vec::new()),
        output_bytes: 0,
        peak_memory: 0,
        sandbox_faults: 0,
        native_faults: 0,
    };
    let mut peer_samples = Vec::new();
    const WARM_UP: usize = 2;
    for round in 0..WARM_UP + rounds {
        let keep = round >= WARM_UP;
        // Alternate which side goes first, so neither always runs on a
        // cache the other just warmed.
        let order: &[u8] = if round % 2 == 0 { b"nsp" } else { b"psn" };
        for side in order {
            match side {
                b'n' => {
                    let faults = page_faults();
                    let started = Instant::now();
                    std::hint::black_box((workload.native_generate)(spec));
                    let elapsed = started.elapsed().as_secs_f64();
                    if keep {
                        figures.native.0.push(elapsed);
                        figures.native_faults = page_faults() - faults;
                    }
                }
                b's' => {
                    let out = scratch.path().join(format!("run-{round}"));
                    std::fs::create_dir(&out).unwrap();
                    let faults = page_faults();
                    let started = Instant::now();
                    let report =
                        runtime.generate(plugin, GenerateRequest::new(spec, &out)).await.unwrap();
                    let elapsed = started.elapsed().as_secs_f64();
                    let faulted = page_faults() - faults;
                    assert_eq!(
                        report.outcome,
                        Outcome::Succeeded,
                        "{}: {:?}",
                        workload.plugin,
                        report.log
                    );
                    std::fs::remove_dir_all(&out).unwrap();
                    if keep {
                        figures.sandbox.0.push(elapsed);
                        figures.output_bytes = report.usage.output_bytes;
                        figures.peak_memory = report.usage.peak_memory_bytes;
                        figures.sandbox_faults = faulted;
                    }
                }
                _ => {
                    if let Some((_, p)) = peer.as_mut() {
                        match p.build() {
                            Some(seconds) if keep => peer_samples.push(seconds),
                            Some(_) => {}
                            None => peer = None,
                        }
                    }
                }
            }
        }
        for side in order {
            match side {
                b'n' => {
                    let started = Instant::now();
                    assert_eq!(
                        (workload.native_validate)(spec),
                        0,
                        "{}: the benchmark spec validates",
                        workload.plugin
                    );
                    if keep {
                        figures.native_validate.0.push(started.elapsed().as_secs_f64());
                    }
                }
                b's' => {
                    let started = Instant::now();
                    let outcome = runtime.check_spec(plugin, spec).await.unwrap();
                    assert_eq!(outcome, Outcome::Succeeded, "{}", workload.plugin);
                    if keep {
                        figures.sandbox_validate.0.push(started.elapsed().as_secs_f64());
                    }
                }
                _ => {}
            }
        }
    }
    if let Some((name, _)) = peer
        && peer_samples.len() == rounds
    {
        figures.peer = Some((name, Samples(peer_samples)));
    }
    figures
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let rounds: usize =
        std::env::var("KILN_BENCH_ROUNDS").ok().and_then(|n| n.parse().ok()).unwrap_or(15).max(1);
    let only: Option<Vec<String>> =
        std::env::var("KILN_BENCH_ONLY").ok().map(|s| s.split(',').map(str::to_owned).collect());
    let python = std::env::var_os("KILN_BENCH_PYTHON").map(PathBuf::from).or_else(|| {
        let venv = workspace().join(".venv/bin/python");
        venv.exists().then_some(venv)
    });
    let runtime = Runtime::new(RuntimeConfig::default()).unwrap();
    println!(
        "{rounds} interleaved rounds after 2 warm-up rounds; times in ms as min / median / max;"
    );
    println!("ratios as the median of per-round ratios (middle half in brackets).\n");
    for workload in workloads() {
        if only.as_ref().is_some_and(|only| !only.iter().any(|p| p == workload.plugin)) {
            continue;
        }
        let wasm_path =
            workspace().join("target/release/plugins").join(format!("{}.wasm", workload.plugin));
        let wasm = std::fs::read(&wasm_path).unwrap_or_else(|err| {
            panic!("{}: {err}; run scripts/build-plugins first", wasm_path.display())
        });
        let plugin = runtime.load(&wasm).await.unwrap();
        let f = measure(&runtime, &plugin, &workload, rounds, python.as_deref()).await;

        println!(
            "{} — {} ({:.2} MB out, {:.1} MiB peak guest memory)",
            workload.plugin,
            workload.about,
            f.output_bytes as f64 / 1e6,
            f.peak_memory as f64 / f64::from(1 << 20)
        );
        println!(
            "  generate  native   {:>24} ms  ({} page faults)",
            f.native.times_ms(),
            f.native_faults
        );
        println!(
            "  generate  sandbox  {:>24} ms  ({} page faults)",
            f.sandbox.times_ms(),
            f.sandbox_faults
        );
        println!("  P2 sandbox ÷ native      {}", ratios(&f.sandbox, &f.native).ratio());
        match &f.peer {
            Some((name, peer)) => {
                println!("  generate  {name:<8} {:>23} ms", peer.times_ms());
                println!("  P3 {name} ÷ sandbox {}", ratios(peer, &f.sandbox).ratio());
            }
            None => {
                if let Some((name, _)) = workload.peer {
                    println!("  P3 {name}: not run (scripts/bench installs the Python peers)");
                }
            }
        }
        println!("  validate  native   {:>24} ms", f.native_validate.times_ms());
        println!(
            "  validate  request path (schema + sandbox) {} ms",
            f.sandbox_validate.times_ms()
        );
        println!(
            "  validate  request path ÷ native {}\n",
            ratios(&f.sandbox_validate, &f.native_validate).ratio()
        );
    }
}
