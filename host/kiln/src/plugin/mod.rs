//! `kiln plugin`: start a plugin; inspect, run and check a component; and
//! install, list, activate and roll back plugins on a running kiln.

mod admin;
mod broken;
pub(crate) mod check;
mod new;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use kiln_core::{UsageReport, format_bytes};
use kiln_runtime::{
    Asset, GenerateRequest, Limits, Outcome, Plugin, PluginError, RunReport, Runtime, RuntimeConfig,
};

/// Exit code for a spec the plugin or its schema refused.
const EXIT_INVALID_SPEC: u8 = 2;

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Start a plugin: a crate on the plugin SDK that builds for
    /// wasm32-wasip2 and passes `kiln plugin check` as it is, with a README
    /// on the contract, limits, determinism and testing.
    New(new::NewArgs),
    /// Show what a plugin generates and the JSON Schema of its spec.
    Inspect {
        /// The plugin component (.wasm).
        wasm: PathBuf,
        /// Print the plugin info as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Generate files from a spec.
    Run(RunArgs),
    /// Check a plugin as kiln will run it, under the host's limits: the
    /// contract, a documented JSON Schema 2020-12 spec schema, every example
    /// (valid, deterministic, files matching their media types, size and
    /// timings), and broken specs derived from the schema refused at the
    /// right field. Exits 1 if a check fails.
    Check {
        /// The plugin component (.wasm).
        wasm: PathBuf,
        /// Print the report as JSON (for CI).
        #[arg(long)]
        json: bool,
        /// Also write the compiled code here (the registry's checking process).
        #[arg(long, value_name = "FILE", hide = true)]
        compiled_out: Option<PathBuf>,
        #[command(flatten)]
        limits: LimitArgs,
    },
    #[command(flatten)]
    Admin(admin::AdminCommand),
    /// Compile a component and write its compiled code (the registry's
    /// compiling process).
    #[command(hide = true)]
    Compile {
        /// The plugin component (.wasm).
        wasm: PathBuf,
        /// Where the compiled code goes.
        out: PathBuf,
    },
}

#[derive(Args)]
pub(crate) struct RunArgs {
    /// The plugin component (.wasm).
    wasm: PathBuf,
    /// The spec: a JSON file, or `-` for standard input.
    #[arg(
        long,
        value_name = "FILE|-",
        required_unless_present = "example",
        conflicts_with = "example"
    )]
    spec: Option<String>,
    /// Run the plugin's own example N (from `inspect`), or `all` of them,
    /// each into OUT/N/.
    #[arg(long, value_name = "N|all")]
    example: Option<String>,
    /// Directory the files are written to (created if missing). Files appear
    /// only when the run succeeds.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// An input asset the plugin can read by name.
    #[arg(long = "asset", value_name = "NAME=PATH")]
    assets: Vec<String>,
    #[command(flatten)]
    limits: LimitArgs,
}

/// Sandbox limits for each run.
#[derive(Args)]
pub(crate) struct LimitArgs {
    /// Linear memory limit, MiB.
    #[arg(long, env = "KILN_MEMORY_MIB", value_name = "MIB", default_value_t = Limits::default().memory_bytes >> 20)]
    memory_mib: u64,
    /// CPU time limit, seconds.
    #[arg(long, env = "KILN_CPU_SECS", value_name = "SECS", default_value_t = Limits::default().cpu_time.as_secs_f64())]
    cpu_secs: f64,
    /// Wall-clock limit, seconds.
    #[arg(long, env = "KILN_WALL_SECS", value_name = "SECS", default_value_t = Limits::default().wall_clock.as_secs_f64())]
    wall_secs: f64,
    /// Total output limit, MiB.
    #[arg(long, env = "KILN_OUTPUT_MIB", value_name = "MIB", default_value_t = Limits::default().output_bytes >> 20)]
    output_mib: u64,
    /// Output file count limit.
    #[arg(long, env = "KILN_MAX_FILES", value_name = "N", default_value_t = Limits::default().output_files)]
    max_files: u64,
    /// Log limit (log calls, stdout and stderr), KiB.
    #[arg(long, env = "KILN_LOG_KIB", value_name = "KIB", default_value_t = Limits::default().log_bytes >> 10)]
    log_kib: u64,
    /// Table elements a run may have (function references; a real plugin
    /// needs a few thousand).
    #[arg(long, env = "KILN_TABLE_ELEMENTS", value_name = "N", default_value_t = Limits::default().table_elements)]
    table_elements: u64,
    /// Component and core instances a run may create.
    #[arg(long, env = "KILN_INSTANCES", value_name = "N", default_value_t = Limits::default().instances)]
    instances: u64,
    /// Host resources (open files, streams) a run may hold at once.
    #[arg(long, env = "KILN_RESOURCES", value_name = "N", default_value_t = Limits::default().resources)]
    resources: u64,
    /// Memory limit of a plugin's `validate`, MiB (it runs on the request path).
    #[arg(long, env = "KILN_VALIDATE_MEMORY_MIB", value_name = "MIB", default_value_t = Limits::validation().memory_bytes >> 20)]
    validate_memory_mib: u64,
    /// CPU time limit of a plugin's `validate`, seconds.
    #[arg(long, env = "KILN_VALIDATE_CPU_SECS", value_name = "SECS", default_value_t = Limits::validation().cpu_time.as_secs_f64())]
    validate_cpu_secs: f64,
}

impl LimitArgs {
    pub(crate) fn limits(&self) -> anyhow::Result<Limits> {
        let secs = |name: &str, s: f64| {
            Duration::try_from_secs_f64(s)
                .with_context(|| format!("--{name} must be a positive number of seconds"))
        };
        Ok(Limits {
            memory_bytes: self.memory_mib << 20,
            cpu_time: secs("cpu-secs", self.cpu_secs)?,
            wall_clock: secs("wall-secs", self.wall_secs)?,
            output_bytes: self.output_mib << 20,
            output_files: self.max_files,
            log_bytes: self.log_kib << 10,
            table_elements: self.table_elements,
            instances: self.instances,
            resources: self.resources,
        })
    }

    /// The budget of `validate` calls.
    pub(crate) fn validate_limits(&self) -> anyhow::Result<Limits> {
        let cpu_time = Duration::try_from_secs_f64(self.validate_cpu_secs)
            .context("--validate-cpu-secs must be a positive number of seconds")?;
        Ok(Limits {
            memory_bytes: self.validate_memory_mib << 20,
            cpu_time,
            table_elements: self.table_elements,
            instances: self.instances,
            resources: self.resources,
            ..Limits::validation()
        })
    }

    /// A runtime for runs under these limits, with `slots` instance slots.
    pub(crate) fn runtime(
        &self,
        cache_dir: Option<PathBuf>,
        slots: u32,
    ) -> anyhow::Result<Runtime> {
        let defaults = RuntimeConfig::default();
        Ok(Runtime::new(RuntimeConfig {
            cache_dir,
            max_concurrent_runs: slots,
            max_table_elements: defaults.max_table_elements.max(self.table_elements),
            validate_limits: self.validate_limits()?,
            ..defaults
        })?)
    }
}

pub(crate) async fn run(command: Command, cache_dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    // One run at a time, but `check` runs examples side by side.
    const SLOTS: u32 = 8;
    match command {
        Command::New(args) => new::scaffold(args).map(|()| ExitCode::SUCCESS),
        Command::Inspect { wasm, json } => {
            let runtime = Runtime::new(RuntimeConfig { cache_dir, ..RuntimeConfig::default() })?;
            inspect(&runtime, &wasm, json).await
        }
        Command::Run(args) => generate(&args.limits.runtime(cache_dir, SLOTS)?, args).await,
        Command::Check { wasm, json, compiled_out, limits } => {
            let runtime = limits.runtime(cache_dir, SLOTS)?;
            check(&runtime, &wasm, limits.limits()?, json, compiled_out.as_deref()).await
        }
        Command::Admin(command) => admin::run(command).await,
        Command::Compile { wasm, out } => {
            // One slot: the pool's up-front mappings count against the
            // process's memory limit.
            let config = RuntimeConfig { cache_dir, max_concurrent_runs: 1, ..Default::default() };
            let runtime = Runtime::new(config)?;
            let plugin = runtime.load_file(&wasm).await?;
            std::fs::write(&out, plugin.compiled()?)
                .with_context(|| format!("cannot write {}", out.display()))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn load(runtime: &Runtime, wasm: &Path) -> anyhow::Result<Plugin> {
    let spinner = ProgressBar::new_spinner().with_message(format!("loading {}", wasm.display()));
    spinner.enable_steady_tick(Duration::from_millis(100));
    let plugin = runtime.load_file(wasm).await;
    spinner.finish_and_clear();
    plugin.with_context(|| format!("cannot load {}", wasm.display()))
}

async fn inspect(runtime: &Runtime, wasm: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let plugin = load(runtime, wasm).await?;
    let info = plugin.info();
    if json {
        let mut value = serde_json::to_value(info)?;
        // Show the schema and examples as JSON, not as strings of JSON.
        value["spec_schema"] = serde_json::from_str(&info.spec_schema)?;
        for (i, example) in info.examples.iter().enumerate() {
            value["examples"][i]["spec"] = serde_json::from_str(&example.spec)?;
        }
        value["sha256"] = plugin.sha256().into();
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{} {} — {}", info.name, info.version, info.summary);
    println!("artifact type: {}", info.artifact_type);
    println!("media types:   {}", info.media_types.join(", "));
    println!("sha256:        {}", plugin.sha256());
    println!("\n{}\n", info.description.trim());
    println!("examples (run one with `kiln plugin run {} --example N --out DIR`):", wasm.display());
    for (i, example) in info.examples.iter().enumerate() {
        println!("  {i}: {}", example.title);
    }
    let schema: serde_json::Value = serde_json::from_str(&info.spec_schema)?;
    println!("\nspec schema:\n{}", serde_json::to_string_pretty(&schema)?);
    Ok(ExitCode::SUCCESS)
}

async fn generate(runtime: &Runtime, args: RunArgs) -> anyhow::Result<ExitCode> {
    let plugin = load(runtime, &args.wasm).await?;
    let limits = args.limits.limits()?;
    let assets = args.assets.iter().map(|a| read_asset(a)).collect::<anyhow::Result<Vec<_>>>()?;
    let runs: Vec<(String, PathBuf)> = match (&args.spec, args.example.as_deref()) {
        (Some(spec), _) => vec![(read_spec(spec)?, args.out.clone())],
        (None, Some("all")) => plugin
            .info()
            .examples
            .iter()
            .enumerate()
            .map(|(i, e)| (e.spec.clone(), args.out.join(i.to_string())))
            .collect(),
        (None, Some(n)) => {
            let examples = &plugin.info().examples;
            let example =
                n.parse::<usize>().ok().and_then(|i| examples.get(i)).with_context(|| {
                    format!("--example takes 0 to {} or `all`", examples.len().saturating_sub(1))
                })?;
            vec![(example.spec.clone(), args.out.clone())]
        }
        (None, None) => unreachable!("clap requires --spec or --example"),
    };
    let mut worst = ExitCode::SUCCESS;
    for (spec, out) in runs {
        let code = generate_one(runtime, &plugin, spec, &out, &assets, &limits).await?;
        if code != ExitCode::SUCCESS {
            worst = code;
        }
    }
    Ok(worst)
}

async fn generate_one(
    runtime: &Runtime,
    plugin: &Plugin,
    spec: String,
    out: &Path,
    assets: &[Asset],
    limits: &Limits,
) -> anyhow::Result<ExitCode> {
    match runtime.check_spec(plugin, &spec).await? {
        Outcome::Succeeded => {}
        Outcome::Refused(PluginError::InvalidSpec(violations)) => {
            eprintln!(
                "the spec is invalid ({} problem{}):",
                violations.len(),
                if violations.len() == 1 { "" } else { "s" }
            );
            for violation in violations {
                eprintln!("  {violation}");
            }
            return Ok(ExitCode::from(EXIT_INVALID_SPEC));
        }
        // A validation that was stopped or refused otherwise has not said
        // the spec is fine: generating anyway would hide why.
        other => {
            eprintln!("the plugin's validation did not finish: {other}");
            return Ok(ExitCode::from(EXIT_INVALID_SPEC));
        }
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    // Files land in a staging directory and move into `out` only on success.
    let staging = tempfile::Builder::new()
        .prefix(".kiln-staging-")
        .tempdir_in(out)
        .with_context(|| format!("cannot write to {}", out.display()))?;

    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} {elapsed}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(100));
    bar.set_message(format!("generating with {}", plugin.info().name));
    let mut request = GenerateRequest::new(spec, staging.path());
    request.assets = assets.to_vec();
    request.limits = limits.clone();
    let progress = bar.clone();
    request.on_progress = Some(Box::new(move |p| {
        progress.set_length(p.total);
        progress.set_position(p.done);
        if !p.message.is_empty() {
            progress.set_message(p.message);
        }
    }));
    let report = runtime.generate(plugin, request).await?;
    bar.finish_and_clear();

    print_log(&report);
    if report.outcome != Outcome::Succeeded {
        eprintln!("error: {}", report.outcome);
        print_usage(&report.usage);
        return Ok(ExitCode::from(match report.outcome {
            Outcome::Refused(PluginError::InvalidSpec(_)) => EXIT_INVALID_SPEC,
            _ => 1,
        }));
    }
    for file in &report.files {
        let target = out.join(&file.path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::rename(staging.path().join(&file.path), &target)
            .with_context(|| format!("cannot move the output into {}", target.display()))?;
        println!(
            "{}  {}  {}  {}",
            target.display(),
            format_bytes(file.size),
            file.media_type,
            file.sha256
        );
    }
    print_usage(&report.usage);
    Ok(ExitCode::SUCCESS)
}

async fn check(
    runtime: &Runtime,
    wasm: &Path,
    limits: Limits,
    json: bool,
    compiled_out: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(wasm).with_context(|| format!("cannot read {}", wasm.display()))?;
    let spinner = ProgressBar::new_spinner().with_message(format!("checking {}", wasm.display()));
    spinner.enable_steady_tick(Duration::from_millis(100));
    let report = check::check(runtime, &bytes, &limits, compiled_out).await;
    spinner.finish_and_clear();
    let report = report?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for check in &report.checks {
            let mark = if check.passed { "ok  " } else { "FAIL" };
            println!("{mark}  {}: {}", check.rule, check.detail);
        }
        match report.checks.iter().filter(|c| !c.passed).count() {
            0 => println!("all checks passed"),
            failed => println!("{failed} check(s) failed"),
        }
    }
    Ok(if report.passed { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn read_spec(source: &str) -> anyhow::Result<String> {
    if source == "-" {
        return std::io::read_to_string(std::io::stdin())
            .context("cannot read the spec from standard input");
    }
    std::fs::read_to_string(source).with_context(|| format!("cannot read the spec file {source}"))
}

fn read_asset(arg: &str) -> anyhow::Result<Asset> {
    let Some((name, path)) = arg.split_once('=') else {
        bail!("--asset takes NAME=PATH, e.g. --asset logo.png=./logo.png (got `{arg}`)");
    };
    let bytes = std::fs::read(path).with_context(|| format!("cannot read asset file {path}"))?;
    let media_type = match Path::new(path).extension().and_then(|e| e.to_str()).unwrap_or_default()
    {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "svg" => "image/svg+xml",
        "csv" => "text/csv",
        "json" => "application/json",
        "txt" => "text/plain",
        _ => "application/octet-stream",
    };
    Ok(Asset { name: name.to_owned(), media_type: media_type.to_owned(), bytes: bytes.into() })
}

fn print_log(report: &RunReport) {
    for entry in &report.log {
        eprintln!("plugin {:?}: {}", entry.source, entry.message);
    }
}

fn print_usage(usage: &UsageReport) {
    eprintln!(
        "usage: wall {:.1} ms, cpu {:.1} ms, instantiate {} µs, peak memory {}, output {} in {} file(s), log {}",
        usage.wall_time_us as f64 / 1e3,
        usage.cpu_time_us as f64 / 1e3,
        usage.instantiate_us,
        format_bytes(usage.peak_memory_bytes),
        format_bytes(usage.output_bytes),
        usage.files,
        format_bytes(usage.log_bytes),
    );
}
