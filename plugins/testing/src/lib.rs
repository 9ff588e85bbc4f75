//! A kiln generator plugin that misbehaves on request.
//!
//! The spec names one behaviour (see [`spec::BEHAVIOURS`]): a normal job, or
//! one that loops, sleeps, exhausts memory, output or logs, panics, probes
//! the sandbox for files, environment or network, or abuses the output API.
//! The host's tests run each one to prove its limits and isolation hold.

mod escape;
mod limits;
mod normal;
mod output;
mod paths;
mod spec;

mod bindings {
    wit_bindgen::generate!({ path: "../../wit", world: "generator" });
}

use bindings::exports::kiln::generator::plugin::Guest;
use bindings::kiln::generator::types::{Example, GenerateError, PluginInfo, Request, Violation};
use spec::Spec;

struct Testing;

impl Guest for Testing {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "testing".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            artifact_type: "testing".into(),
            summary: "Misbehaves on request, to test the kiln sandbox and its limits.".into(),
            description: spec::description(),
            media_types: vec![
                "text/plain".into(),
                "application/json".into(),
                "application/octet-stream".into(),
            ],
            spec_schema: spec::schema(),
            examples: vec![
                Example { title: "One greeting file".into(), spec: r#"{"behaviour":"ok"}"#.into() },
                Example {
                    title: "Three files with custom text".into(),
                    spec:
                        r#"{"behaviour":"ok","text":"good morning","files":3,"progress_steps":5}"#
                            .into(),
                },
            ],
        }
    }

    fn validate(spec: String) -> Vec<Violation> {
        match spec::parse(&spec) {
            Ok(Spec::ValidateLoop) => limits::busy_loop(),
            Ok(_) => Vec::new(),
            Err(violations) => violations,
        }
    }

    fn generate(request: Request) -> Result<(), GenerateError> {
        match spec::parse(&request.spec).map_err(GenerateError::InvalidSpec)? {
            Spec::Ok { text, files, progress_steps } => normal::ok(&text, files, progress_steps),
            Spec::Slow { steps, step_ms } => normal::slow(steps, step_ms),
            Spec::EchoAsset { name } => normal::echo_asset(&name),
            Spec::ClockRandom => normal::clock_random(),
            Spec::Unfinished { drop_handle } => normal::unfinished(drop_handle),
            Spec::Loop => limits::busy_loop(),
            Spec::Sleep { secs } => limits::sleep(secs),
            Spec::MemoryBomb => limits::memory_bomb(),
            Spec::HugeOutput => limits::huge_output(),
            Spec::ManyFiles => limits::many_files(),
            Spec::OpenFiles => limits::open_files(),
            Spec::LogFlood => limits::log_flood(),
            Spec::StdoutFlood => limits::stdout_flood(),
            Spec::Panic => panic!("fixture panicked on purpose"),
            Spec::ValidateLoop => Ok(()),
            Spec::ReadFile => escape::read_file(),
            Spec::ReadEnv => escape::read_env(),
            Spec::OpenSocket { addr } => escape::open_socket(&addr),
            Spec::BadPaths => paths::bad_paths(),
        }
    }
}

// The export glue is canonical-ABI code from wit-bindgen and needs `unsafe`.
#[allow(unsafe_code)]
mod export {
    use super::Testing;
    crate::bindings::export!(Testing with_types_in crate::bindings);
}
