//! Chart caches for series over formula cells.
//!
//! rust_xlsxwriter fills a chart's number cache from the cells it wrote,
//! which for formula cells is nothing, so viewers that draw from the cache
//! (previews, libraries) show an empty chart. The evaluator knows those
//! results: the caches of such ranges are rewritten in the finished
//! package, copying every other part unchanged.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};

use super::Shared;
use crate::a1;
use crate::grid::Content;

/// Range formula as the chart writes it (`Sales!$B$2:$B$5`) → the value of
/// each cell, for ranges holding at least one computed formula.
pub(crate) type Caches = BTreeMap<String, Vec<Option<f64>>>;

/// The caches to fill for every chart series' values of the workbook.
pub(crate) fn collect(shared: &mut Shared<'_>) -> Caches {
    let spec = shared.checked.spec;
    let mut caches = Caches::new();
    for sheet in &spec.sheets {
        for chart in &sheet.charts {
            for series in &chart.series {
                let Ok((name, area)) = series.values.resolve(&sheet.name) else {
                    continue;
                };
                let Some(target) = shared.checked.grid.sheet_index(&name) else {
                    continue;
                };
                let canonical = &spec.sheets[target].name;
                let key = format!(
                    "{}!{}",
                    rust_xlsxwriter::utility::quote_sheet_name(canonical),
                    a1::absolute(&area)
                );
                if caches.contains_key(&key) {
                    continue;
                }
                let mut any_formula = false;
                let mut values = Vec::new();
                for row in area.first.row..=area.last.row {
                    for col in area.first.col..=area.last.col {
                        let pos = a1::Pos { row, col };
                        let value = match shared.checked.grid.get(target, pos).map(|e| &e.content) {
                            Some(Content::Number(n)) => Some(*n),
                            Some(Content::Formula(_)) => {
                                any_formula = true;
                                match shared.evaluator.result(target, pos) {
                                    Some(crate::formula::Val::Num(n)) => Some(n),
                                    _ => None,
                                }
                            }
                            _ => None,
                        };
                        values.push(value);
                    }
                }
                if any_formula && values.iter().any(Option::is_some) {
                    caches.insert(key, values);
                }
            }
        }
    }
    caches
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// One chart part with its number caches replaced.
fn patch(xml: &str, caches: &Caches) -> String {
    let mut out = xml.to_string();
    for (key, values) in caches {
        let open = format!("<c:f>{}</c:f><c:numCache>", escape(key));
        let mut from = 0;
        while let Some(at) = out[from..].find(&open).map(|i| i + from) {
            let start = at + open.len();
            let Some(len) = out[start..].find("</c:numCache>") else {
                break;
            };
            let old = &out[start..start + len];
            let format = old.find("<c:ptCount").map(|i| old[..i].to_string()).unwrap_or_default();
            let mut cache = format;
            cache.push_str(&format!("<c:ptCount val=\"{}\"/>", values.len()));
            for (i, v) in values.iter().enumerate() {
                if let Some(v) = v {
                    cache.push_str(&format!("<c:pt idx=\"{i}\"><c:v>{v}</c:v></c:pt>"));
                }
            }
            out.replace_range(start..start + len, &cache);
            from = start + cache.len();
        }
    }
    out
}

/// The package with its chart parts' caches filled.
pub(crate) fn fill(package: Vec<u8>, caches: &Caches, level: i64) -> Result<Vec<u8>, String> {
    if caches.is_empty() {
        return Ok(package);
    }
    let err = |e: zip::result::ZipError| e.to_string();
    let mut archive = zip::ZipArchive::new(Cursor::new(package)).map_err(err)?;
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(level))
        .unix_permissions(0o600)
        .last_modified_time(zip::DateTime::default());
    for i in 0..archive.len() {
        let name = archive.by_index_raw(i).map_err(err)?.name().map_err(err)?.to_string();
        if name.starts_with("xl/charts/chart") && name.ends_with(".xml") {
            let mut xml = String::new();
            archive
                .by_index(i)
                .map_err(err)?
                .read_to_string(&mut xml)
                .map_err(|e| e.to_string())?;
            out.start_file(name, options).map_err(err)?;
            out.write_all(patch(&xml, caches).as_bytes()).map_err(|e| e.to_string())?;
        } else {
            let file = archive.by_index_raw(i).map_err(err)?;
            out.raw_copy_file(file).map_err(err)?;
        }
    }
    Ok(out.finish().map_err(err)?.into_inner())
}
