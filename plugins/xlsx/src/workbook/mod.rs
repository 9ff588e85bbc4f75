//! Turning a validated spec into xlsx bytes with `rust_xlsxwriter`.

mod cache;
mod chart;
pub(crate) mod page;
mod sheet;
mod table;

use std::collections::{HashMap, HashSet};

use rust_xlsxwriter::{CalculationMode, DocProperties, ExcelDateTime, Workbook, XlsxError};

use crate::GenerateError;
use crate::dates;
use crate::formula::Evaluator;
use crate::spec::Spec;
use crate::style::Styles;
use crate::validate::Checked;

/// The document creation time when the spec sets none, so the same spec
/// always yields the same bytes.
pub(crate) const DEFAULT_CREATED: (u16, u8, u8) = (2000, 1, 1);

/// Deflate level for the package. On the benchmark workload level 4 writes
/// about 30% faster than zlib's default 6 for files about 2% larger; deflate
/// is most of the time spent.
const ZIP_LEVEL: u8 = 4;

/// What every sheet writer shares.
pub(crate) struct Shared<'a> {
    pub(crate) checked: &'a Checked<'a>,
    pub(crate) styles: Styles<'a>,
    pub(crate) evaluator: Evaluator<'a>,
    /// Table names in use (lowercase), so unnamed tables get fresh ones.
    pub(crate) table_names: HashSet<String>,
    pub(crate) next_table: usize,
    /// The bytes of the input assets the spec's images name.
    pub(crate) assets: &'a HashMap<String, Vec<u8>>,
}

impl Shared<'_> {
    /// The spelling of a sheet name the spec declared (references may use
    /// another case; the writer matches names exactly).
    pub(crate) fn canonical_sheet(&self, name: &str) -> String {
        let spec = &self.checked.spec;
        self.checked
            .grid
            .sheet_index(name)
            .map(|i| spec.sheets[i].name.clone())
            .unwrap_or_else(|| name.to_string())
    }
}

/// Writes the workbook. `progress` gets (done, total, message) per sheet.
pub(crate) fn write(
    checked: &Checked,
    assets: &HashMap<String, Vec<u8>>,
    progress: &mut dyn FnMut(u64, u64, &str),
) -> Result<Vec<u8>, GenerateError> {
    let spec = &checked.spec;
    let total = spec.sheets.len() as u64 + 1;
    let mut workbook = Workbook::new();
    workbook.set_properties(&properties(spec).map_err(failed("document properties"))?);
    // Formulas get cached results where we can compute them; Excel and
    // LibreOffice recalculate everything on open regardless.
    workbook.set_calculation_mode(CalculationMode::Automatic);
    workbook.set_zip_compression_level(ZIP_LEVEL);

    let table_names = spec
        .sheets
        .iter()
        .flat_map(|s| s.tables.iter().filter_map(|t| t.name.as_ref()))
        .map(|n| n.to_lowercase())
        .collect();
    let mut shared = Shared {
        checked,
        styles: Styles::new(&spec.styles),
        evaluator: Evaluator::new(&checked.grid).with_today(document_date(spec)),
        table_names,
        next_table: 1,
        assets,
    };
    let first_visible =
        spec.sheets.iter().position(|sheet| sheet.hidden != Some(true)).unwrap_or(0);
    for (s, sheet) in spec.sheets.iter().enumerate() {
        progress(s as u64, total, &format!("writing sheet {}", sheet.name));
        let worksheet = workbook.add_worksheet();
        // A hidden sheet cannot be the one shown on opening.
        if s > 0 && s == first_visible {
            worksheet.set_active(true);
        }
        sheet::write(worksheet, &mut shared, s)
            .map_err(failed(&format!("sheet `{}`", sheet.name)))?;
    }
    progress(total - 1, total, "packaging workbook");
    let caches = cache::collect(&mut shared);
    let bytes = workbook.save_to_buffer().map_err(failed("packaging"))?;
    let bytes = cache::fill(bytes, &caches, i64::from(ZIP_LEVEL))
        .map_err(|e| GenerateError::Failed(format!("filling chart caches: {e}")))?;
    progress(total, total, "done");
    Ok(bytes)
}

fn failed(context: &str) -> impl Fn(XlsxError) -> GenerateError + '_ {
    move |e| GenerateError::Failed(format!("{context}: {e}"))
}

/// The serial date of the document (its creation date), which TODAY()
/// returns so the cached result does not depend on when it was made.
fn document_date(spec: &Spec) -> f64 {
    let (y, m, d) = DEFAULT_CREATED;
    let default = dates::Moment { year: y, month: m, day: d, hour: 0, minute: 0, second: 0.0 };
    match spec.properties.created.as_deref().map(dates::parse_date_or_datetime) {
        Some(Ok(moment)) => moment.serial().trunc(),
        _ => default.serial(),
    }
}

fn properties(spec: &Spec) -> Result<DocProperties, XlsxError> {
    let p = &spec.properties;
    let created = match p.created.as_deref().map(dates::parse_date_or_datetime) {
        Some(Ok(m)) => ExcelDateTime::from_ymd(m.year, m.month, m.day)?.and_hms(
            u16::from(m.hour),
            m.minute,
            m.second.trunc(),
        )?,
        _ => {
            let (y, m, d) = DEFAULT_CREATED;
            ExcelDateTime::from_ymd(y, m, d)?
        }
    };
    let mut props = DocProperties::new().set_creation_datetime(&created);
    if let Some(v) = &p.title {
        props = props.set_title(v);
    }
    if let Some(v) = &p.subject {
        props = props.set_subject(v);
    }
    if let Some(v) = &p.author {
        props = props.set_author(v);
    }
    if let Some(v) = &p.manager {
        props = props.set_manager(v);
    }
    if let Some(v) = &p.company {
        props = props.set_company(v);
    }
    if let Some(v) = &p.category {
        props = props.set_category(v);
    }
    if let Some(v) = &p.comments {
        props = props.set_comment(v);
    }
    if let Some(k) = &p.keywords {
        props = props.set_keywords(&k.0);
    }
    Ok(props)
}
