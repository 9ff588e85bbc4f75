//! One worksheet: columns, cells, merges, panes, filters and validations.

use std::collections::{HashMap, HashSet};

use rust_xlsxwriter::{
    Color, ConditionalFormat2ColorScale, ConditionalFormat3ColorScale, ConditionalFormatCell,
    ConditionalFormatCellRule, ConditionalFormatDataBar, ConditionalFormatFormula, DataValidation,
    DataValidationRule, ExcelDateTime, Format, Formula, Image, Note, Url, Worksheet, XlsxError,
};

use super::{Shared, chart, page, table};
use crate::a1::{self, Area, Pos};
use crate::layout::{self, Layer, Step};
use crate::spec::{
    AutoFilter, Cached, Cell, CellOperator, ConditionalFormat, Freeze, Sheet, Style, Validation,
    Value,
};
use crate::style::{Kind, default_header_style, parse_color};
use crate::validate::parse_columns;

/// Writes sheet `s` of the spec into `ws`.
pub(crate) fn write(
    ws: &mut Worksheet,
    shared: &mut Shared<'_>,
    s: usize,
) -> Result<(), XlsxError> {
    let checked = shared.checked;
    let sheet = &checked.spec.sheets[s];
    ws.set_name(&sheet.name)?;
    // No cached value rather than a misleading 0 for formulas we cannot
    // evaluate (LibreOffice also takes "" as "recalculate me").
    ws.set_formula_result_default("");

    let column_styles = columns(ws, shared, sheet)?;

    // Cells whose final format other parts need: merge corners (the merge
    // format is layered on top) and table headers (add_table rewrites them).
    let merge_corners: HashSet<Pos> = sheet
        .merges
        .iter()
        .filter_map(|merge| a1::parse_area(&merge.range).ok().map(|a| a.first))
        .collect();
    let header_rows: Vec<Area> = sheet
        .tables
        .iter()
        .filter(|t| t.header_row != Some(false))
        .filter_map(|t| a1::parse_area(&t.range).ok())
        .map(|a| Area { first: a.first, last: Pos { row: a.first.row, col: a.last.col } })
        .collect();
    let mut corner_cells: HashMap<Pos, (&Cell, Style, Kind)> = HashMap::new();
    let mut header_formats: HashMap<Pos, Format> = HashMap::new();

    let header_style = match &sheet.header_style {
        Some(style) => shared.styles.resolve(style).into_owned(),
        None => default_header_style(),
    };
    // Placement cannot fail here (validation passed), but writing can.
    let mut steps = Vec::new();
    layout::walk(sheet, &format!("/sheets/{s}"), &mut |step| steps.push(step));
    for step in steps {
        let (pos, cell, layer) = match step {
            Step::Row { pos, row } => {
                if let Some(height) = row.height {
                    ws.set_row_height(pos.row, height)?;
                }
                continue;
            }
            Step::Cell { pos, cell, layer, .. } => (pos, cell, layer),
        };
        let kind = kind_of(cell);
        // Most cells of large sheets take the plain path: skip the lookups
        // when there is nothing to find.
        let column = if column_styles.is_empty() { None } else { column_styles.get(&pos.col) };
        let corner = !merge_corners.is_empty() && merge_corners.contains(&pos);
        let plain = column.is_none()
            && cell.style.is_none()
            && matches!(layer, Layer::Row(None))
            && kind == Kind::Plain
            && !corner;
        if plain {
            let value = evaluate(shared, s, pos, cell);
            write_cell(ws, pos, cell, None, value)?;
            continue;
        }
        let mut effective = column.cloned().unwrap_or_default();
        match layer {
            Layer::Header => effective.layer(&header_style),
            Layer::Row(Some(style)) => effective.layer(&shared.styles.resolve(style)),
            Layer::Row(None) => {}
        }
        if let Some(style) = &cell.style {
            effective.layer(&shared.styles.resolve(style));
        }
        if corner {
            // Written with the merge, below.
            corner_cells.insert(pos, (cell, effective, kind));
            continue;
        }
        let value = evaluate(shared, s, pos, cell);
        let format = shared.styles.format_of(effective, kind);
        if header_rows.iter().any(|a| a.contains(pos))
            && let Some(f) = format
        {
            header_formats.insert(pos, f.clone());
        }
        write_cell(ws, pos, cell, format, value)?;
    }

    merges(ws, shared, s, sheet, corner_cells)?;
    for spec_table in &sheet.tables {
        table::write(ws, shared, s, spec_table, &header_formats)?;
    }
    match &sheet.freeze {
        Some(Freeze::Cell(cell)) => {
            if let Ok(pos) = a1::parse_cell(cell) {
                ws.set_freeze_panes(pos.row, pos.col)?;
            }
        }
        Some(Freeze::Counts { rows, columns }) => {
            ws.set_freeze_panes(*rows, u16::try_from(*columns).unwrap_or(0))?;
        }
        None => {}
    }
    let filter = match &sheet.autofilter {
        Some(AutoFilter::Auto(true)) => checked.layouts[s].extent,
        Some(AutoFilter::Range(range)) => a1::parse_area(range).ok(),
        _ => None,
    };
    if let Some(area) = filter {
        ws.autofilter(area.first.row, area.first.col, area.last.row, area.last.col)?;
    }
    for validation in &sheet.validations {
        add_validation(ws, shared, sheet, validation)?;
    }
    chart::write_all(ws, shared, s)?;
    for comment in &sheet.comments {
        if let Ok(pos) = a1::parse_cell(&comment.cell) {
            let mut note = Note::new(&comment.text);
            if let Some(author) = &comment.author {
                note = note.set_author(author);
            }
            ws.insert_note(pos.row, pos.col, &note)?;
        }
    }
    for cf in &sheet.conditional_formats {
        conditional_format(ws, shared, cf)?;
    }
    for image in &sheet.images {
        let (Ok(pos), Some(bytes)) = (a1::parse_cell(&image.at), shared.assets.get(&image.asset))
        else {
            continue;
        };
        let mut picture = Image::new_from_buffer(bytes)?;
        match (image.width, image.height) {
            (Some(w), Some(h)) => picture = picture.set_scale_to_size(w, h, false),
            (Some(w), None) => picture = picture.set_scale_to_size(w, u32::MAX / 4, true),
            (None, Some(h)) => picture = picture.set_scale_to_size(u32::MAX / 4, h, true),
            (None, None) => {}
        }
        if let Some(alt) = &image.alt_text {
            picture = picture.set_alt_text(alt);
        }
        ws.insert_image(pos.row, pos.col, &picture)?;
    }
    if sheet.hidden == Some(true) {
        ws.set_hidden(true);
    }

    if let Some(color) = sheet.tab_color.as_deref().and_then(parse_color) {
        ws.set_tab_color(Color::RGB(color));
    }
    if sheet.gridlines == Some(false) {
        ws.set_screen_gridlines(false);
    }
    if let Some(zoom) = sheet.zoom {
        ws.set_zoom(zoom);
    }
    page::apply(ws, sheet)?;
    Ok(())
}

/// Applies column widths, visibility and formats; returns each column's
/// style layer for the cells written in it.
fn columns(
    ws: &mut Worksheet,
    shared: &mut Shared<'_>,
    sheet: &Sheet,
) -> Result<HashMap<u16, Style>, XlsxError> {
    let mut styles = HashMap::new();
    for (key, column) in &sheet.columns {
        let Ok((first, last)) = parse_columns(key) else {
            continue;
        };
        let mut style = match &column.style {
            Some(s) => shared.styles.resolve(s).into_owned(),
            None => Style::default(),
        };
        if let Some(n) = &column.num_format {
            style.num_format = Some(n.clone());
        }
        let format = shared.styles.format_of(style.clone(), Kind::Plain).cloned();
        for col in first..=last {
            if let Some(width) = column.width {
                ws.set_column_width(col, width)?;
            }
            if column.hidden == Some(true) {
                ws.set_column_hidden(col)?;
            }
            if let Some(f) = &format {
                ws.set_column_format(col, f)?;
                styles.insert(col, style.clone());
            }
        }
    }
    Ok(styles)
}

fn kind_of(cell: &Cell) -> Kind {
    match cell.value {
        Value::Date(_) => Kind::Date,
        Value::DateTime(_) => Kind::DateTime,
        Value::Time(_) => Kind::Time,
        Value::Link(_) => Kind::Link,
        _ => Kind::Plain,
    }
}

/// The cached result for a formula cell, as text for `Formula::set_result`.
fn evaluate(shared: &mut Shared<'_>, s: usize, pos: Pos, cell: &Cell) -> Option<String> {
    if !matches!(cell.value, Value::Formula(_)) {
        return None;
    }
    let computed = shared.evaluator.result(s, pos).and_then(|v| v.cached_text());
    computed.or_else(|| match &cell.cached {
        Some(Cached::Number(n)) if n.is_finite() => Some(crate::formula::format_number(*n)),
        Some(Cached::Bool(b)) => Some(if *b { "TRUE" } else { "FALSE" }.to_string()),
        Some(Cached::Text(t)) => crate::formula::Val::Text(t.clone()).cached_text(),
        _ => None,
    })
}

pub(crate) fn write_cell(
    ws: &mut Worksheet,
    pos: Pos,
    cell: &Cell,
    format: Option<&Format>,
    result: Option<String>,
) -> Result<(), XlsxError> {
    let (row, col) = (pos.row, pos.col);
    match (&cell.value, format) {
        (Value::Empty, Some(f)) => {
            ws.write_blank(row, col, f)?;
        }
        (Value::Empty, None) => {}
        (Value::Text(t), None) => {
            ws.write_string(row, col, t)?;
        }
        (Value::Text(t), Some(f)) => {
            ws.write_string_with_format(row, col, t, f)?;
        }
        (Value::Number(n), None) => {
            ws.write_number(row, col, *n)?;
        }
        (Value::Number(n), Some(f)) => {
            ws.write_number_with_format(row, col, *n, f)?;
        }
        (Value::Bool(b), None) => {
            ws.write_boolean(row, col, *b)?;
        }
        (Value::Bool(b), Some(f)) => {
            ws.write_boolean_with_format(row, col, *b, f)?;
        }
        (Value::Formula(text), f) => {
            let mut formula = Formula::new(text);
            if let Some(r) = result {
                formula = formula.set_result(r);
            }
            match f {
                Some(f) => ws.write_formula_with_format(row, col, formula, f)?,
                None => ws.write_formula(row, col, formula)?,
            };
        }
        (Value::Date(_) | Value::DateTime(_) | Value::Time(_), f) => {
            let serial = match layout::content_of(cell) {
                Ok(crate::grid::Content::Number(n)) => n,
                _ => return Ok(()),
            };
            match f {
                Some(f) => ws.write_number_with_format(row, col, serial, f)?,
                None => ws.write_number(row, col, serial)?,
            };
        }
        (Value::Link(link), f) => {
            let mut url = Url::new(&link.url);
            if let Some(text) = &link.text {
                url = url.set_text(text);
            }
            if let Some(tip) = &link.tip {
                url = url.set_tip(tip);
            }
            match f {
                Some(f) => ws.write_url_with_format(row, col, url, f)?,
                None => ws.write_url(row, col, url)?,
            };
        }
    }
    Ok(())
}

/// Merged ranges: the merge's style is laid over the style of the value
/// shown (the merge's own `value`, or the cell the rows put in its corner).
fn merges(
    ws: &mut Worksheet,
    shared: &mut Shared<'_>,
    s: usize,
    sheet: &Sheet,
    corner_cells: HashMap<Pos, (&Cell, Style, Kind)>,
) -> Result<(), XlsxError> {
    for merge in &sheet.merges {
        let Ok(area) = a1::parse_area(&merge.range) else {
            continue;
        };
        let (cell, mut effective, kind) = match (&merge.value, corner_cells.get(&area.first)) {
            (Some(value), _) => {
                let mut style = Style::default();
                if let Some(st) = &value.style {
                    style.layer(&shared.styles.resolve(st));
                }
                (value, style, kind_of(value))
            }
            (None, Some((cell, style, kind))) => (*cell, style.clone(), *kind),
            (None, None) => (&EMPTY, Style::default(), Kind::Plain),
        };
        if let Some(st) = &merge.style {
            effective.layer(&shared.styles.resolve(st));
        }
        let result = evaluate(shared, s, area.first, cell);
        let format = shared.styles.format_of(effective, kind).cloned().unwrap_or_default();
        ws.merge_range(area.first.row, area.first.col, area.last.row, area.last.col, "", &format)?;
        if !matches!(cell.value, Value::Empty) {
            write_cell(ws, area.first, cell, Some(&format), result)?;
        }
    }
    Ok(())
}

static EMPTY: Cell = Cell { value: Value::Empty, style: None, cached: None };

fn style_format(shared: &mut Shared<'_>, style: &crate::spec::StyleRef) -> Format {
    let effective = shared.styles.resolve(style).into_owned();
    shared.styles.format_of(effective, Kind::Plain).cloned().unwrap_or_default()
}

fn conditional_format(
    ws: &mut Worksheet,
    shared: &mut Shared<'_>,
    cf: &ConditionalFormat,
) -> Result<(), XlsxError> {
    let Ok(area) = a1::parse_area(&cf.range) else {
        return Ok(());
    };
    let (r1, c1, r2, c2) = (area.first.row, area.first.col, area.last.row, area.last.col);
    let color = |c: &Option<String>, default: u32| {
        Color::RGB(c.as_deref().and_then(parse_color).unwrap_or(default))
    };
    if let Some(rule) = &cf.cell {
        let to = rule.to.unwrap_or(rule.value);
        let rule_value = match rule.operator {
            CellOperator::EqualTo => ConditionalFormatCellRule::EqualTo(rule.value),
            CellOperator::NotEqualTo => ConditionalFormatCellRule::NotEqualTo(rule.value),
            CellOperator::GreaterThan => ConditionalFormatCellRule::GreaterThan(rule.value),
            CellOperator::GreaterThanOrEqualTo => {
                ConditionalFormatCellRule::GreaterThanOrEqualTo(rule.value)
            }
            CellOperator::LessThan => ConditionalFormatCellRule::LessThan(rule.value),
            CellOperator::LessThanOrEqualTo => {
                ConditionalFormatCellRule::LessThanOrEqualTo(rule.value)
            }
            CellOperator::Between => ConditionalFormatCellRule::Between(rule.value, to),
            CellOperator::NotBetween => ConditionalFormatCellRule::NotBetween(rule.value, to),
        };
        let format = style_format(shared, &rule.style);
        let cond = ConditionalFormatCell::new().set_rule(rule_value).set_format(format);
        ws.add_conditional_format(r1, c1, r2, c2, &cond)?;
    } else if let Some(rule) = &cf.formula {
        let format = style_format(shared, &rule.style);
        let text = rule.formula.trim().trim_start_matches('=');
        let cond = ConditionalFormatFormula::new()
            .set_rule(format!("={text}").as_str())
            .set_format(format);
        ws.add_conditional_format(r1, c1, r2, c2, &cond)?;
    } else if let Some(scale) = &cf.color_scale {
        if scale.mid_color.is_some() {
            let cond = ConditionalFormat3ColorScale::new()
                .set_minimum_color(color(&scale.min_color, 0xF8696B))
                .set_midpoint_color(color(&scale.mid_color, 0xFFEB84))
                .set_maximum_color(color(&scale.max_color, 0x63BE7B));
            ws.add_conditional_format(r1, c1, r2, c2, &cond)?;
        } else {
            let cond = ConditionalFormat2ColorScale::new()
                .set_minimum_color(color(&scale.min_color, 0xF8696B))
                .set_maximum_color(color(&scale.max_color, 0x63BE7B));
            ws.add_conditional_format(r1, c1, r2, c2, &cond)?;
        }
    } else if let Some(bar) = &cf.data_bar {
        let cond = ConditionalFormatDataBar::new().set_fill_color(color(&bar.color, 0x638EC6));
        ws.add_conditional_format(r1, c1, r2, c2, &cond)?;
    }
    Ok(())
}

fn date_time(text: &str) -> Option<ExcelDateTime> {
    let m = crate::dates::parse_date(text).ok()?;
    ExcelDateTime::from_ymd(m.year, m.month, m.day).ok()
}

fn add_validation(
    ws: &mut Worksheet,
    shared: &Shared<'_>,
    sheet: &Sheet,
    v: &Validation,
) -> Result<(), XlsxError> {
    let Ok(area) = a1::parse_area(&v.range) else {
        return Ok(());
    };
    let mut dv = DataValidation::new();
    if let Some(list) = &v.list {
        dv = dv.allow_list_strings(list)?;
    } else if let Some(source) = &v.source {
        let Ok((name, source_area)) = source.resolve(&sheet.name) else {
            return Ok(());
        };
        let name = shared.canonical_sheet(&name);
        let formula = format!("{}!{}", a1::quote_sheet(&name), a1::absolute(&source_area));
        dv = dv.allow_list_formula(Formula::new(formula));
    } else if let Some(rule) = &v.number {
        if rule.whole == Some(true) {
            let int = |x: f64| x.round().clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32;
            dv = dv.allow_whole_number(match (rule.min, rule.max) {
                (Some(a), Some(b)) => DataValidationRule::Between(int(a), int(b)),
                (Some(a), None) => DataValidationRule::GreaterThanOrEqualTo(int(a)),
                (None, Some(b)) => DataValidationRule::LessThanOrEqualTo(int(b)),
                (None, None) => return Ok(()),
            });
        } else {
            dv = dv.allow_decimal_number(match (rule.min, rule.max) {
                (Some(a), Some(b)) => DataValidationRule::Between(a, b),
                (Some(a), None) => DataValidationRule::GreaterThanOrEqualTo(a),
                (None, Some(b)) => DataValidationRule::LessThanOrEqualTo(b),
                (None, None) => return Ok(()),
            });
        }
    } else if let Some(rule) = &v.date {
        let min = rule.min.as_deref().and_then(date_time);
        let max = rule.max.as_deref().and_then(date_time);
        dv = dv.allow_date(match (min, max) {
            (Some(a), Some(b)) => DataValidationRule::Between(a, b),
            (Some(a), None) => DataValidationRule::GreaterThanOrEqualTo(a),
            (None, Some(b)) => DataValidationRule::LessThanOrEqualTo(b),
            (None, None) => return Ok(()),
        });
    }
    if let Some(t) = &v.input_title {
        dv = dv.set_input_title(t)?;
    }
    if let Some(m) = &v.input_message {
        dv = dv.set_input_message(m)?;
    }
    if let Some(t) = &v.error_title {
        dv = dv.set_error_title(t)?;
    }
    if let Some(m) = &v.error_message {
        dv = dv.set_error_message(m)?;
    }
    if let Some(b) = v.ignore_blank {
        dv = dv.ignore_blank(b);
    }
    if let Some(b) = v.dropdown {
        dv = dv.show_dropdown(b);
    }
    ws.add_data_validation(area.first.row, area.first.col, area.last.row, area.last.col, &dv)?;
    Ok(())
}
