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

use std::collections::HashMap;

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
    ("Quarterly sales with a chart", include_str!("../examples/quarterly_sales.json")),
    ("Invoice with formulas", include_str!("../examples/invoice.json")),
    ("Multi-sheet budget", include_str!("../examples/budget.json")),
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
            examples: EXAMPLES.iter().map(|(title, spec)| Example::new(*title, *spec)).collect(),
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
        let file_name = spec.file_name.clone().unwrap_or_else(|| DEFAULT_FILE_NAME.to_string());
        let assets = read_images(&spec, host)?;
        let bytes = workbook::write(&prepared, &assets, &mut |done, total, message| {
            host.progress(done, total, message);
        })?;
        host.log(Level::Info, &format!("writing {file_name} ({} bytes)", bytes.len()));
        let mut file = host.create_file(&file_name, XLSX_MEDIA_TYPE)?;
        std::io::Write::write_all(&mut file, &bytes)?;
        file.finish()
    }
}

/// The bytes of every input asset the spec's images name; a missing asset
/// or one that is not a PNG or JPEG is a violation at its `asset`.
fn read_images(spec: &Spec, host: &mut Host) -> Result<HashMap<String, Vec<u8>>> {
    let mut assets = HashMap::new();
    let mut violations = Vec::new();
    for (s, sheet) in spec.sheets.iter().enumerate() {
        for (i, image) in sheet.images.iter().enumerate() {
            if assets.contains_key(&image.asset) {
                continue;
            }
            let pointer = format!("/sheets/{s}/images/{i}/asset");
            if host.asset(&image.asset).is_none() {
                let names: Vec<&str> = host.assets().iter().map(|a| a.name.as_str()).collect();
                let hint =
                    match kiln_plugin_sdk::suggest::closest(&image.asset, names.iter().copied()) {
                        Some(name) => format!("; did you mean `{name}`?"),
                        None if names.is_empty() => "; the job has no input assets".to_string(),
                        None => format!("; the job's assets are {}", names.join(", ")),
                    };
                violations.push(Violation::new(
                    pointer,
                    format!("no input asset named `{}`{hint}", image.asset),
                ));
                continue;
            }
            let bytes = host.read_asset(&image.asset)?;
            if kiln_plugin_sdk::image::dimensions(&bytes).is_none() {
                violations.push(Violation::new(
                    pointer,
                    format!("asset `{}` is not a PNG or JPEG picture", image.asset),
                ));
                continue;
            }
            assets.insert(image.asset.clone(), bytes);
        }
    }
    if violations.is_empty() { Ok(assets) } else { Err(GenerateError::InvalidSpec(violations)) }
}

kiln_plugin_sdk::export_generator!(Xlsx);
