//! The kiln `xlsx` generator: turns a JSON workbook spec into an Excel
//! `.xlsx` file.
//!
//! The generator itself is plain Rust ([`info`], [`validate`], [`generate`]),
//! usable natively for tests and benchmarks. Built for `wasm32`, the crate
//! also exports the `kiln:generator` component interface (`component.rs`),
//! which forwards to these functions.

mod a1;
pub mod bench;
mod dates;
mod de;
mod formula;
mod grid;
mod layout;
mod spec;
mod style;
mod tables;
mod validate;
mod workbook;

// wit-bindgen's generated ABI glue is unsafe code by nature.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod component;

pub use validate::MAX_VIOLATIONS;

/// The media type of the files this plugin writes.
pub const XLSX_MEDIA_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The file name used when the spec sets no `file_name`.
pub const DEFAULT_FILE_NAME: &str = "workbook.xlsx";

/// The JSON Schema (2020-12) of a spec.
pub const SPEC_SCHEMA: &str = include_str!("schema.json");

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

/// What the plugin is and accepts (mirrors the contract's `plugin-info`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    pub name: String,
    pub version: String,
    pub artifact_type: String,
    pub summary: String,
    /// Markdown.
    pub description: String,
    pub media_types: Vec<String>,
    /// JSON Schema text.
    pub spec_schema: String,
    /// (title, spec JSON) pairs; each passes [`validate`].
    pub examples: Vec<(String, String)>,
}

/// A problem with a spec, located by a JSON pointer (RFC 6901); the empty
/// pointer means the whole spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub pointer: String,
    pub message: String,
}

impl Violation {
    pub(crate) fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Violation {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pointer = if self.pointer.is_empty() {
            "(spec)"
        } else {
            &self.pointer
        };
        write!(f, "{pointer}: {}", self.message)
    }
}

/// A generated workbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// The spec's `file_name`, or [`DEFAULT_FILE_NAME`].
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// Why [`generate`] produced nothing (mirrors the contract's
/// `generate-error`; all are final).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenerateError {
    #[error("invalid spec: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    InvalidSpec(Vec<Violation>),
    #[error("unsupported: {0}")]
    Unsupported(String),
    #[error("generation failed: {0}")]
    Failed(String),
}

/// Result alias for this crate.
pub type Result<T, E = GenerateError> = std::result::Result<T, E>;

/// Describes the plugin. Cheap and constant.
pub fn info() -> Info {
    Info {
        name: "xlsx".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        artifact_type: "xlsx".into(),
        summary:
            "Builds an Excel workbook (.xlsx) from a JSON spec: sheets of typed cells, styles, \
                  formulas with cached results, merged cells, tables, charts and data validation."
                .into(),
        description: DESCRIPTION.into(),
        media_types: vec![XLSX_MEDIA_TYPE.into()],
        spec_schema: SPEC_SCHEMA.into(),
        examples: EXAMPLES
            .iter()
            .map(|(title, spec)| ((*title).to_string(), (*spec).to_string()))
            .collect(),
    }
}

/// Checks a spec for everything its schema cannot: malformed JSON, shapes
/// the schema also rejects, and cross-references, Excel's naming rules and
/// limits, and overlaps. Returns every violation (at most
/// [`MAX_VIOLATIONS`]); empty means valid. Writes nothing.
pub fn validate(spec: &str) -> Vec<Violation> {
    match validate::check(spec) {
        Ok(_) => Vec::new(),
        Err(violations) => violations,
    }
}

/// Validates the spec, then builds the workbook. `progress` receives
/// (done, total, message) as sheets are written. The same spec always gives
/// the same bytes.
pub fn generate(spec: &str, progress: &mut dyn FnMut(u64, u64, &str)) -> Result<Generated> {
    let checked = validate::check(spec).map_err(GenerateError::InvalidSpec)?;
    let file_name = checked
        .spec
        .file_name
        .clone()
        .unwrap_or_else(|| DEFAULT_FILE_NAME.to_string());
    let bytes = workbook::write(&checked, progress)?;
    Ok(Generated { file_name, bytes })
}
