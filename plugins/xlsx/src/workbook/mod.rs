//! Turning a validated spec into xlsx bytes with `rust_xlsxwriter`.

mod chart;
mod sheet;
mod table;

use std::collections::HashSet;

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

/// What every sheet writer shares.
pub(crate) struct Shared<'a> {
    pub(crate) checked: &'a Checked,
    pub(crate) styles: Styles<'a>,
    pub(crate) evaluator: Evaluator<'a>,
    /// Table names in use (lowercase), so unnamed tables get fresh ones.
    pub(crate) table_names: HashSet<String>,
    pub(crate) next_table: usize,
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
    progress: &mut dyn FnMut(u64, u64, &str),
) -> Result<Vec<u8>, GenerateError> {
    let spec = &checked.spec;
    let total = spec.sheets.len() as u64 + 1;
    let mut workbook = Workbook::new();
    workbook.set_properties(&properties(spec).map_err(failed("document properties"))?);
    // Formulas get cached results where we can compute them; Excel and
    // LibreOffice recalculate everything on open regardless.
    workbook.set_calculation_mode(CalculationMode::Automatic);

    let table_names = spec
        .sheets
        .iter()
        .flat_map(|s| s.tables.iter().filter_map(|t| t.name.as_ref()))
        .map(|n| n.to_lowercase())
        .collect();
    let mut shared = Shared {
        checked,
        styles: Styles::new(&spec.styles),
        evaluator: Evaluator::new(&checked.grid),
        table_names,
        next_table: 1,
    };
    for (s, sheet) in spec.sheets.iter().enumerate() {
        progress(s as u64, total, &format!("writing sheet {}", sheet.name));
        let worksheet = workbook.add_worksheet();
        sheet::write(worksheet, &mut shared, s)
            .map_err(failed(&format!("sheet `{}`", sheet.name)))?;
    }
    progress(total - 1, total, "packaging workbook");
    let bytes = workbook.save_to_buffer().map_err(failed("packaging"))?;
    progress(total, total, "done");
    Ok(bytes)
}

fn failed(context: &str) -> impl Fn(XlsxError) -> GenerateError + '_ {
    move |e| GenerateError::Failed(format!("{context}: {e}"))
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
    let fields: [(&Option<String>, fn(DocProperties, String) -> DocProperties); 7] = [
        (&p.title, |d, v| d.set_title(v)),
        (&p.subject, |d, v| d.set_subject(v)),
        (&p.author, |d, v| d.set_author(v)),
        (&p.manager, |d, v| d.set_manager(v)),
        (&p.company, |d, v| d.set_company(v)),
        (&p.category, |d, v| d.set_category(v)),
        (&p.comments, |d, v| d.set_comment(v)),
    ];
    for (value, set) in fields {
        if let Some(v) = value {
            props = set(props, v.clone());
        }
    }
    if let Some(k) = &p.keywords {
        props = props.set_keywords(&k.0);
    }
    Ok(props)
}
