//! The smallest generator on the SDK: writes a greeting to `hello.txt`.
//! Host tests use it to check the SDK's component glue end to end.

use std::io::Write;

use kiln_plugin_sdk::{Example, Generator, Host, Info, Level, Result, Violation, schemars};
use serde::Deserialize;

/// A greeting.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Who to greet, e.g. "Ada".
    pub name: String,
    /// How many times to repeat the line (1 to 1000). Default 1.
    #[serde(default = "one")]
    pub times: u32,
    /// The tone of the greeting. Default `plain`.
    #[serde(default)]
    pub tone: Tone,
}

fn one() -> u32 {
    1
}

/// How the greeting sounds.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tone {
    /// "Hello, NAME."
    #[default]
    Plain,
    /// "Hello, NAME!"
    Excited,
}

/// The generator.
#[derive(Debug)]
pub struct Hello;

impl Generator for Hello {
    type Spec = Spec;

    fn info() -> Info {
        Info {
            name: "hello".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            artifact_type: "hello".into(),
            summary: "Writes a greeting to a text file.".into(),
            description: "A test plugin: greets `name`, `times` times.".into(),
            media_types: vec!["text/plain".into()],
            examples: vec![Example::new("Greet Ada", r#"{"name": "Ada", "times": 2}"#)],
        }
    }

    fn validate(spec: &Spec) -> Vec<Violation> {
        let mut violations = Vec::new();
        if spec.name.trim().is_empty() {
            violations.push(Violation::new("/name", "expected a name; got an empty string"));
        }
        if !(1..=1000).contains(&spec.times) {
            violations
                .push(Violation::new("/times", format!("expected 1 to 1000; got {}", spec.times)));
        }
        violations
    }

    fn generate(spec: Spec, host: &mut Host) -> Result<()> {
        let end = match spec.tone {
            Tone::Plain => '.',
            Tone::Excited => '!',
        };
        let mut file = host.create_file("hello.txt", "text/plain")?;
        for done in 1..=spec.times {
            writeln!(file, "Hello, {}{end}", spec.name)?;
            host.progress(u64::from(done), u64::from(spec.times), "greeting");
        }
        host.log(Level::Info, &format!("greeted {} {} times", spec.name, spec.times));
        file.finish()
    }
}

kiln_plugin_sdk::export_generator!(Hello);

#[cfg(test)]
mod tests {
    use kiln_plugin_sdk::testing;

    use super::*;

    #[test]
    fn a_greeting_is_written_and_its_faults_are_named() {
        let run = testing::run::<Hello>(r#"{"name": "Ada", "times": 2, "tone": "excited"}"#, &[])
            .unwrap();
        assert_eq!(run.file("hello.txt"), b"Hello, Ada!\nHello, Ada!\n");
        assert_eq!(run.progress.len(), 2);
        // The misspelt tone is taken out and the rest still checked: one answer.
        let violations =
            testing::validate::<Hello>(r#"{"name": " ", "times": 0, "tone": "excitd"}"#);
        let found: Vec<(&str, &str)> =
            violations.iter().map(|v| (v.pointer.as_str(), v.message.as_str())).collect();
        assert_eq!(
            found,
            [
                ("/name", "expected a name; got an empty string"),
                ("/times", "expected 1 to 1000; got 0"),
                (
                    "/tone",
                    "unknown value `excitd`; did you mean `excited`? Allowed values: `plain`, `excited`"
                ),
            ]
        );
        testing::assert_documented::<Hello>();
        testing::assert_examples_generate::<Hello>();
    }
}
