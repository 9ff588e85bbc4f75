//! The kiln `xlsx` generator: turns a JSON workbook spec into an Excel
//! `.xlsx` file.
//!
//! [`Xlsx`] implements the SDK's [`Generator`]: the spec types (`spec.rs`,
//! with the compact forms of `de.rs`) are its JSON Schema, [`validate`]
//! checks what the types cannot, and generation writes the workbook with
//! `rust_xlsxwriter`. Everything is plain Rust, run natively by the tests
//! and benchmarks through `kiln_plugin_sdk::testing`.
//!
//! [`validate`]: Generator::validate

mod a1;
pub mod bench;
mod dates;
mod de;
mod formula;
mod grid;
mod layout;
mod limits;
mod spec;
mod style;
mod tables;
mod validate;
mod workbook;

use kiln_plugin_sdk::{Example, GenerateError, Generator, Host, Info, Level, Result, Violation};

pub use spec::Spec;

/// The media type of the files this plugin writes.
pub const XLSX_MEDIA_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The file name used when the spec sets no `file_name`.
pub const DEFAULT_FILE_NAME: &str = "workbook.xlsx";

const DESCRIPTION: &str = include_str!("description.md");

/// The bundled example specs, as (title, spec JSON).
const EXAMPLES: [(&str, &str); 3] = [
    (
        "Quarterly sales with a chart",
        include_str!("../examples/quarterly_sales.json"),
    ),
    (
        "Invoice with formulas",
        include_str!("../examples/invoice.json"),
    ),
    (
        "Multi-sheet budget",
        include_str!("../examples/budget.json"),
    ),
];

/// The `xlsx` generator.
pub struct Xlsx;

impl Generator for Xlsx {
    type Spec = Spec;

    fn info() -> Info {
        Info {
            name: "xlsx".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            artifact_type: "xlsx".into(),
            summary: "Builds an Excel workbook (.xlsx) from a JSON spec: sheets of typed cells, \
                      styles, formulas with cached results, merged cells, tables, charts and \
                      data validation."
                .into(),
            description: DESCRIPTION.into(),
            media_types: vec![XLSX_MEDIA_TYPE.into()],
            examples: EXAMPLES
                .iter()
                .map(|(title, spec)| Example::new(*title, *spec))
                .collect(),
        }
    }

    fn validate(spec: &Spec) -> Vec<Violation> {
        validate::check(spec)
    }

    /// Writes the workbook. rust_xlsxwriter packages through a seekable
    /// writer (the ZIP central directory is written last, with offsets), so
    /// the package is assembled in memory and then streamed to the host.
    fn generate(spec: Spec, host: &mut Host) -> Result<()> {
        let prepared = validate::prepare(&spec);
        let file_name = spec
            .file_name
            .clone()
            .unwrap_or_else(|| DEFAULT_FILE_NAME.to_string());
        let bytes = workbook::write(&prepared, &mut |done, total, message| {
            host.progress(done, total, message);
        })?;
        host.log(
            Level::Info,
            &format!("writing {file_name} ({} bytes)", bytes.len()),
        );
        let mut file = host.create_file(&file_name, XLSX_MEDIA_TYPE)?;
        std::io::Write::write_all(&mut file, &bytes)?;
        file.finish()
    }
}

kiln_plugin_sdk::export_generator!(Xlsx);
