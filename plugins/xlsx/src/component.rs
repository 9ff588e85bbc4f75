//! The `kiln:generator` component glue: forwards the exported `plugin`
//! interface to the native API and streams the workbook to the host.

wit_bindgen::generate!({ path: "../../wit", world: "generator" });

use exports::kiln::generator::plugin::Guest;
use kiln::generator::host;
use kiln::generator::types::{Example, GenerateError, Level, PluginInfo, Request, Violation};

/// Bytes handed to `output-file.write` per call.
const CHUNK: usize = 64 * 1024;

struct Plugin;

fn violations(list: Vec<crate::Violation>) -> Vec<Violation> {
    list.into_iter()
        .map(|v| Violation {
            pointer: v.pointer,
            message: v.message,
        })
        .collect()
}

impl Guest for Plugin {
    fn info() -> PluginInfo {
        let info = crate::info();
        PluginInfo {
            name: info.name,
            version: info.version,
            artifact_type: info.artifact_type,
            summary: info.summary,
            description: info.description,
            media_types: info.media_types,
            spec_schema: info.spec_schema,
            examples: info
                .examples
                .into_iter()
                .map(|(title, spec)| Example { title, spec })
                .collect(),
        }
    }

    fn validate(spec: String) -> Vec<Violation> {
        violations(crate::validate(&spec))
    }

    fn generate(request: Request) -> Result<(), GenerateError> {
        let generated = crate::generate(&request.spec, &mut |done, total, message| {
            host::progress(done, total, message);
        })
        .map_err(|e| match e {
            crate::GenerateError::InvalidSpec(list) => GenerateError::InvalidSpec(violations(list)),
            crate::GenerateError::Unsupported(m) => GenerateError::Unsupported(m),
            crate::GenerateError::Failed(m) => GenerateError::Failed(m),
        })?;
        host::log(
            Level::Info,
            &format!(
                "writing {} ({} bytes)",
                generated.file_name,
                generated.bytes.len()
            ),
        );
        let fail = |what: &str, e: kiln::generator::types::OutputError| {
            GenerateError::Failed(format!("{what} {}: {e:?}", generated.file_name))
        };
        let file = host::create_file(&generated.file_name, crate::XLSX_MEDIA_TYPE)
            .map_err(|e| fail("could not create", e))?;
        for chunk in generated.bytes.chunks(CHUNK) {
            file.write(chunk).map_err(|e| fail("could not write", e))?;
        }
        file.finish().map_err(|e| fail("could not finish", e))?;
        Ok(())
    }
}

export!(Plugin);
