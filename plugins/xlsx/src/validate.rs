//! Checks a spec for what its JSON Schema cannot express: references
//! between parts of the spec, Excel's naming rules and grid limits, and
//! overlaps. Every violation is reported (up to [`MAX_VIOLATIONS`]).

use std::collections::HashMap;

use crate::Violation;
use crate::a1::{self, A1Error, Area, MAX_COLS, MAX_ROWS};
use crate::dates;
use crate::de::escape_pointer;
use crate::formula;
use crate::grid::{Content, Grid, Source};
use crate::layout::{self, SheetLayout, source_pointer, style_pointer};
use crate::limits;
use crate::spec::{
    AutoFilter, Cell, CellOperator, Chart, ConditionalFormat, Freeze, PageSetup, RangeRef, Sheet,
    Spec, Style, StyleRef, Table, Validation, Value,
};
use crate::style::parse_color;
use crate::tables;
use crate::workbook::page;

/// Excel's limits, as it documents them.
const MAX_STRING_CHARS: usize = 32_767;
const MAX_FORMULA_CHARS: usize = 8_192;
const MAX_URL_CHARS: usize = 2_079;
const MAX_LINKS_PER_SHEET: usize = 65_530;
const MAX_SHEET_NAME_CHARS: usize = 31;
const MAX_COLUMN_WIDTH: f64 = 255.0;
const MAX_ROW_HEIGHT: f64 = 409.0;
const MAX_LIST_CHARS: usize = 255;

/// At most `max` characters of `text`, marked when cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max).collect();
    cut.push('…');
    cut
}

/// Length as Excel counts it (UTF-16 code units).
fn utf16(text: &str) -> usize {
    text.encode_utf16().count()
}

/// A spec with the layout of its cells, as generation uses it.
pub(crate) struct Checked<'s> {
    pub(crate) spec: &'s Spec,
    pub(crate) grid: Grid<'s>,
    pub(crate) layouts: Vec<SheetLayout>,
}

/// Lays out a spec that passed [`check`], for generation.
pub(crate) fn prepare(spec: &Spec) -> Checked<'_> {
    let (grid, layouts, _) = layout::build(spec);
    Checked { spec, grid, layouts }
}

/// Every violation of a parsed spec; empty means valid. Writes nothing.
pub(crate) fn check(spec: &Spec) -> Vec<Violation> {
    if let Some(too_big) = limits::check(spec) {
        // Laying out a spec past Excel's grid would cost memory for
        // nothing: report the sizes alone.
        return too_big;
    }
    let (grid, layouts, mut violations) = layout::build(spec);
    let mut ctx = Ctx { spec, grid: &grid, layouts: &layouts, out: Vec::new() };
    ctx.workbook();
    violations.append(&mut ctx.out);
    violations
}

struct Ctx<'a> {
    spec: &'a Spec,
    grid: &'a Grid<'a>,
    layouts: &'a [SheetLayout],
    out: Vec<Violation>,
}

impl Ctx<'_> {
    fn push(&mut self, pointer: impl Into<String>, message: impl Into<String>) {
        self.out.push(Violation::new(pointer, message));
    }

    fn area(&mut self, text: &str, pointer: impl Into<String>) -> Option<Area> {
        match a1::parse_area(text) {
            Ok(area) => Some(area),
            Err(e) => {
                self.push(pointer, e.to_string());
                None
            }
        }
    }

    fn workbook(&mut self) {
        let spec = self.spec;
        if let Some(name) = &spec.file_name
            && let Err(message) = check_file_name(name)
        {
            self.push("/file_name", message);
        }
        if let Some(created) = &spec.properties.created
            && let Err(message) = dates::parse_date_or_datetime(created)
        {
            self.push("/properties/created", message);
        }
        for (name, style) in &spec.styles {
            let pointer = style_pointer(name);
            self.style(style, &pointer);
            if self.base_cycle(name) {
                self.push(
                    format!("{pointer}/base"),
                    format!("style `{name}` extends itself through its `base` chain"),
                );
            }
        }
        if spec.sheets.is_empty() {
            self.push("/sheets", "a workbook needs at least one sheet");
        } else if spec.sheets.iter().all(|s| s.hidden == Some(true)) {
            self.push(
                format!("/sheets/{}/hidden", spec.sheets.len() - 1),
                "every sheet is hidden; at least one must stay visible",
            );
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (s, sheet) in spec.sheets.iter().enumerate() {
            if let Err(message) = check_sheet_name(&sheet.name) {
                self.push(format!("/sheets/{s}/name"), message);
            }
            if let Some(first) = seen.insert(sheet.name.to_lowercase(), s) {
                self.push(
                    format!("/sheets/{s}/name"),
                    format!(
                        "sheet name `{}` is already used by /sheets/{first} (Excel ignores case)",
                        sheet.name
                    ),
                );
                seen.insert(sheet.name.to_lowercase(), first);
            }
        }
        let mut table_names: HashMap<String, String> = HashMap::new();
        for (s, sheet) in spec.sheets.iter().enumerate() {
            for (t, table) in sheet.tables.iter().enumerate() {
                let Some(name) = &table.name else { continue };
                let pointer = format!("/sheets/{s}/tables/{t}/name");
                if let Err(message) = tables::check_name(name) {
                    self.push(&pointer, message);
                }
                if let Some(first) = table_names.get(&name.to_lowercase()) {
                    self.push(
                        &pointer,
                        format!(
                            "table name `{name}` is already used by {first} (Excel ignores case)"
                        ),
                    );
                } else {
                    table_names.insert(name.to_lowercase(), pointer);
                }
            }
        }
        for (s, sheet) in spec.sheets.iter().enumerate() {
            self.sheet(s, sheet);
        }
    }

    fn base_cycle(&self, start: &str) -> bool {
        let mut name = start;
        for _ in 0..=self.spec.styles.len() {
            match self.spec.styles.get(name).and_then(|s| s.base.as_deref()) {
                Some(base) if base == start => return true,
                Some(base) => name = base,
                None => return false,
            }
        }
        false
    }

    fn style(&mut self, style: &Style, pointer: &str) {
        if let Some(base) = &style.base
            && !self.spec.styles.contains_key(base)
        {
            let message = self.unknown_style(base);
            self.push(format!("{pointer}/base"), message);
        }
        for (field, value) in [
            ("font_color", &style.font_color),
            ("fill_color", &style.fill_color),
            ("border_color", &style.border_color),
        ] {
            if let Some(c) = value
                && parse_color(c).is_none()
            {
                self.push(
                    format!("{pointer}/{field}"),
                    format!("`{c}` is not a colour of the form #RRGGBB"),
                );
            }
        }
        if let Some(size) = style.font_size
            && !(1.0..=409.0).contains(&size.0)
        {
            self.push(format!("{pointer}/font_size"), "font size must be 1 to 409 points");
        }
        if style.num_format.as_deref() == Some("") {
            self.push(format!("{pointer}/num_format"), "number format must not be empty");
        }
    }

    fn unknown_style(&self, name: &str) -> String {
        let known: Vec<&str> = self.spec.styles.keys().map(String::as_str).collect();
        if known.is_empty() {
            format!("unknown style `{name}`: the spec defines no `styles`")
        } else {
            format!("unknown style `{name}`; defined styles: {}", known.join(", "))
        }
    }

    fn style_ref(&mut self, style: &StyleRef, pointer: &str) {
        match style {
            StyleRef::Named(name) => {
                if !self.spec.styles.contains_key(name) {
                    let message = self.unknown_style(name);
                    self.push(pointer, message);
                }
            }
            StyleRef::Inline(inline) => self.style(inline, pointer),
        }
    }

    fn cell(&mut self, cell: &Cell, pointer: &str) {
        if let Some(style) = &cell.style {
            self.style_ref(style, &format!("{pointer}/style"));
        }
        match &cell.value {
            Value::Formula(f) if f.trim().is_empty() => {
                self.push(pointer, "a formula needs an expression after `=`");
            }
            Value::Formula(f) if utf16(f) > MAX_FORMULA_CHARS => {
                self.push(
                    pointer,
                    format!("formulas are limited to {MAX_FORMULA_CHARS} characters"),
                );
            }
            Value::Text(t) if utf16(t) > MAX_STRING_CHARS => {
                self.push(
                    pointer,
                    format!("text longer than Excel's {MAX_STRING_CHARS} characters"),
                );
            }
            Value::Link(link) => {
                let url = link.url.as_str();
                let known = ["http://", "https://", "ftp://", "ftps://", "mailto:", "internal:"];
                if !known.iter().any(|p| url.starts_with(p)) || url.len() <= 7 {
                    self.push(
                        format!("{pointer}/url"),
                        "a link must start with http://, https://, ftp://, ftps://, mailto: or \
                         internal: (e.g. internal:Sheet2!A1)",
                    );
                } else if utf16(url) > MAX_URL_CHARS {
                    self.push(
                        format!("{pointer}/url"),
                        format!("links are limited to {MAX_URL_CHARS} characters"),
                    );
                }
                if let Some(target) = url.strip_prefix("internal:") {
                    match a1::split_sheet(target) {
                        Ok((Some(sheet), reference)) => {
                            if self.grid.sheet_index(&sheet).is_none() {
                                self.push(
                                    format!("{pointer}/url"),
                                    format!("unknown sheet `{sheet}`"),
                                );
                            } else if let Err(e) = a1::parse_area(reference) {
                                self.push(format!("{pointer}/url"), e.to_string());
                            }
                        }
                        _ => self.push(
                            format!("{pointer}/url"),
                            "an internal link names a sheet and cell, e.g. internal:Sheet2!A1",
                        ),
                    }
                }
                if let Some(text) = &link.text
                    && utf16(text) > MAX_STRING_CHARS
                {
                    self.push(format!("{pointer}/text"), "link text is too long");
                }
                if let Some(tip) = &link.tip
                    && utf16(tip) > 255
                {
                    self.push(format!("{pointer}/tip"), "a link tip is limited to 255 characters");
                }
            }
            _ => {}
        }
    }

    /// Resolves a range reference against the sheet it appears on, reporting
    /// unknown sheets and bad ranges.
    fn range_ref(&mut self, r: &RangeRef, here: &str, pointer: &str) -> Option<(usize, Area)> {
        match r.resolve(here) {
            Ok((sheet, area)) => match self.grid.sheet_index(&sheet) {
                Some(index) => Some((index, area)),
                None => {
                    self.push(pointer, format!("unknown sheet `{sheet}` in range reference"));
                    None
                }
            },
            Err(e) => {
                self.push(pointer, e.to_string());
                None
            }
        }
    }

    fn sheet(&mut self, s: usize, sheet: &Sheet) {
        let base = format!("/sheets/{s}");
        self.columns(sheet, &base);
        if let Some(style) = &sheet.header_style {
            self.style_ref(style, &format!("{base}/header_style"));
        }
        if let Some(header) = &sheet.header {
            for (i, cell) in header.iter().enumerate() {
                self.cell(cell, &format!("{base}/header/{i}"));
            }
        }
        let mut links = 0usize;
        for (r, row) in sheet.rows.iter().enumerate() {
            let row_base = format!("{base}/rows/{r}");
            if let Some(style) = &row.style {
                self.style_ref(style, &format!("{row_base}/style"));
            }
            if let Some(h) = row.height
                && !(0.0..=MAX_ROW_HEIGHT).contains(&h)
            {
                self.push(format!("{row_base}/height"), "row height must be 0 to 409 points");
            }
            for (c, cell) in row.cells.iter().enumerate() {
                let checked =
                    matches!(cell.value, Value::Text(_) | Value::Link(_) | Value::Formula(_));
                if cell.style.is_none() && !checked {
                    continue;
                }
                links += usize::from(matches!(cell.value, Value::Link(_)));
                let pointer = if row.object {
                    format!("{row_base}/cells/{c}")
                } else {
                    format!("{row_base}/{c}")
                };
                self.cell(cell, &pointer);
            }
        }
        if links > MAX_LINKS_PER_SHEET {
            self.push(&base, format!("a sheet holds at most {MAX_LINKS_PER_SHEET} links"));
        }
        self.formulas(s);
        let table_areas = self.tables(s, sheet, &base);
        self.merges(s, sheet, &base, &table_areas);
        self.freeze(sheet, &base);
        self.autofilter(s, sheet, &base, &table_areas);
        for (k, chart) in sheet.charts.iter().enumerate() {
            self.chart(chart, &sheet.name, &format!("{base}/charts/{k}"));
        }
        let mut validated: Vec<(usize, Area)> = Vec::new();
        for (k, validation) in sheet.validations.iter().enumerate() {
            let pointer = format!("{base}/validations/{k}");
            if let Some(area) = self.validation(validation, &sheet.name, &pointer) {
                if let Some((other, _)) = validated.iter().find(|(_, a)| a.overlaps(&area)) {
                    self.push(
                        format!("{pointer}/range"),
                        format!("validation range {area} overlaps {base}/validations/{other}; a cell has one validation"),
                    );
                }
                validated.push((k, area));
            }
        }
        if let Some(c) = &sheet.tab_color
            && parse_color(c).is_none()
        {
            self.push(
                format!("{base}/tab_color"),
                format!("`{c}` is not a colour of the form #RRGGBB"),
            );
        }
        if let Some(zoom) = sheet.zoom
            && !(10..=400).contains(&zoom)
        {
            self.push(format!("{base}/zoom"), "zoom must be 10 to 400 (percent)");
        }
        if let Some(page) = &sheet.page {
            self.page(page, &format!("{base}/page"));
        }
        let mut noted: HashMap<a1::Pos, usize> = HashMap::new();
        for (i, comment) in sheet.comments.iter().enumerate() {
            let pointer = format!("{base}/comments/{i}");
            match a1::parse_cell(&comment.cell) {
                Ok(pos) => {
                    if let Some(first) = noted.insert(pos, i) {
                        self.push(
                            format!("{pointer}/cell"),
                            format!("cell {pos} already has the note at {base}/comments/{first}; a cell has one note"),
                        );
                    }
                }
                Err(e) => self.push(format!("{pointer}/cell"), e.to_string()),
            }
            if utf16(&comment.text) > MAX_STRING_CHARS {
                self.push(
                    format!("{pointer}/text"),
                    format!("notes are limited to {MAX_STRING_CHARS} characters"),
                );
            }
        }
        for (i, cf) in sheet.conditional_formats.iter().enumerate() {
            self.conditional_format(cf, &format!("{base}/conditional_formats/{i}"));
        }
        for (i, image) in sheet.images.iter().enumerate() {
            if let Err(e) = a1::parse_cell(&image.at) {
                self.push(format!("{base}/images/{i}/at"), e.to_string());
            }
            if image.asset.trim().is_empty() {
                self.push(
                    format!("{base}/images/{i}/asset"),
                    "name the input asset, e.g. \"logo.png\"",
                );
            }
        }
    }

    fn conditional_format(&mut self, cf: &ConditionalFormat, pointer: &str) {
        self.area(&cf.range, format!("{pointer}/range"));
        let rules: Vec<&str> = [
            ("cell", cf.cell.is_some()),
            ("formula", cf.formula.is_some()),
            ("color_scale", cf.color_scale.is_some()),
            ("data_bar", cf.data_bar.is_some()),
        ]
        .iter()
        .filter(|r| r.1)
        .map(|r| r.0)
        .collect();
        match rules.len() {
            0 => {
                self.push(pointer, "give one rule: `cell`, `formula`, `color_scale` or `data_bar`")
            }
            1 => {}
            _ => self.push(
                pointer,
                format!(
                    "a conditional format has one rule, but this one has {}",
                    rules.join(" and ")
                ),
            ),
        }
        if let Some(rule) = &cf.cell {
            let ranged = matches!(rule.operator, CellOperator::Between | CellOperator::NotBetween);
            match (ranged, rule.to) {
                (true, None) => self.push(
                    format!("{pointer}/cell/to"),
                    "`between` and `not_between` need the upper bound `to`",
                ),
                (true, Some(to)) if to < rule.value => self.push(
                    format!("{pointer}/cell/to"),
                    format!("`to` ({to}) is below `value` ({})", rule.value),
                ),
                (false, Some(_)) => self.push(
                    format!("{pointer}/cell/to"),
                    "`to` is only for `between` and `not_between`",
                ),
                _ => {}
            }
            self.style_ref(&rule.style, &format!("{pointer}/cell/style"));
        }
        if let Some(rule) = &cf.formula {
            let text = rule.formula.trim().trim_start_matches('=');
            if text.is_empty() {
                self.push(
                    format!("{pointer}/formula/formula"),
                    "a formula needs an expression after `=`",
                );
            } else {
                for problem in formula::check_syntax(text) {
                    self.push(
                        format!("{pointer}/formula/formula"),
                        format!("formula `={}`: {}", shorten(text, 60), problem.message),
                    );
                }
            }
            self.style_ref(&rule.style, &format!("{pointer}/formula/style"));
        }
        let colours = [
            ("color_scale/min_color", cf.color_scale.as_ref().and_then(|c| c.min_color.as_ref())),
            ("color_scale/mid_color", cf.color_scale.as_ref().and_then(|c| c.mid_color.as_ref())),
            ("color_scale/max_color", cf.color_scale.as_ref().and_then(|c| c.max_color.as_ref())),
            ("data_bar/color", cf.data_bar.as_ref().and_then(|c| c.color.as_ref())),
        ];
        for (field, colour) in colours {
            if let Some(c) = colour
                && parse_color(c).is_none()
            {
                self.push(
                    format!("{pointer}/{field}"),
                    format!("`{c}` is not a colour of the form #RRGGBB"),
                );
            }
        }
    }

    fn page(&mut self, page: &PageSetup, pointer: &str) {
        if let Some(m) = &page.margins {
            for (side, value) in [
                ("top", m.top),
                ("bottom", m.bottom),
                ("left", m.left),
                ("right", m.right),
                ("header", m.header),
                ("footer", m.footer),
            ] {
                if let Some(v) = value
                    && !(0.0..=10.0).contains(&v)
                {
                    self.push(
                        format!("{pointer}/margins/{side}"),
                        format!("margins are 0 to 10 inches; found {v}"),
                    );
                }
            }
        }
        if let Some(area) = &page.print_area {
            self.area(area, format!("{pointer}/print_area"));
        }
        if let Some(rows) = &page.repeat_rows
            && let Err(message) = page::parse_rows(rows)
        {
            self.push(format!("{pointer}/repeat_rows"), message);
        }
        for (field, part) in [("header", &page.header), ("footer", &page.footer)] {
            let Some(part) = part else { continue };
            for (side, text) in
                [("left", &part.left), ("center", &part.center), ("right", &part.right)]
            {
                if let Some(text) = text
                    && let Err(message) = page::codes(text)
                {
                    self.push(format!("{pointer}/{field}/{side}"), message);
                }
            }
            if let Ok(text) = page::header_footer(part)
                && utf16(&text) > 255
            {
                self.push(
                    format!("{pointer}/{field}"),
                    format!(
                        "a {field} is limited to 255 characters in Excel's codes; this one has {}",
                        utf16(&text)
                    ),
                );
            }
        }
        if page.row_breaks.len() > 1023 {
            self.push(
                format!("{pointer}/row_breaks"),
                format!("Excel allows 1023 manual page breaks; found {}", page.row_breaks.len()),
            );
        }
        for (i, row) in page.row_breaks.iter().enumerate() {
            if *row < 2 || u64::from(*row) > MAX_ROWS {
                self.push(
                    format!("{pointer}/row_breaks/{i}"),
                    format!(
                        "a page break starts a new page at a row from 2 to 1048576; found {row}"
                    ),
                );
            }
        }
        if !page.row_breaks.is_empty()
            && (page.fit_width.unwrap_or(0) > 0 || page.fit_height.unwrap_or(0) > 0)
        {
            self.push(
                format!("{pointer}/row_breaks"),
                "Excel ignores manual page breaks when the sheet is fitted to pages; remove `fit_width`/`fit_height` or `row_breaks`",
            );
        }
    }

    fn columns(&mut self, sheet: &Sheet, base: &str) {
        let mut spans: Vec<(u16, u16, String)> = Vec::new();
        for (key, column) in &sheet.columns {
            let pointer = format!("{base}/columns/{}", escape_pointer(key));
            match parse_columns(key) {
                Ok((first, last)) => {
                    if let Some((_, _, other)) =
                        spans.iter().find(|(f, l, _)| first <= *l && *f <= last)
                    {
                        self.push(&pointer, format!("columns `{key}` overlap columns `{other}`"));
                    }
                    spans.push((first, last, key.clone()));
                }
                Err(message) => self.push(&pointer, message),
            }
            if let Some(w) = column.width
                && !(0.0..=MAX_COLUMN_WIDTH).contains(&w)
            {
                self.push(format!("{pointer}/width"), "column width must be 0 to 255 characters");
            }
            if let Some(style) = &column.style {
                self.style_ref(style, &format!("{pointer}/style"));
            }
            if column.num_format.as_deref() == Some("") {
                self.push(format!("{pointer}/num_format"), "number format must not be empty");
            }
        }
    }

    /// Every sheet a formula names must exist.
    fn formulas(&mut self, s: usize) {
        let grid = self.grid;
        for (_, entry) in grid.sheets[s].entries() {
            let Content::Formula(text) = &entry.content else {
                continue;
            };
            if matches!(entry.source, Source::TableTotal { .. }) {
                continue;
            }
            let problems = if text.trim().is_empty() {
                Vec::new() // reported with the cell
            } else {
                formula::check_syntax(text)
            };
            if !problems.is_empty() {
                let pointer = source_pointer(self.spec, s, &entry.source);
                let shown = shorten(text, 60);
                for problem in problems {
                    self.push(&pointer, format!("formula `={shown}`: {}", problem.message));
                }
            }
            for found in formula::references(text) {
                let Some(sheet) = found.sheet else { continue };
                if grid.sheet_index(&sheet).is_none() {
                    let pointer = source_pointer(self.spec, s, &entry.source);
                    let shown = found.cell.map(|c| format!("{}!{c}", a1::quote_sheet(&sheet)));
                    self.push(
                        pointer,
                        format!(
                            "formula `={text}` refers to unknown sheet `{sheet}`{}",
                            shown.map(|s| format!(" (in {s})")).unwrap_or_default()
                        ),
                    );
                }
            }
        }
    }

    fn tables(&mut self, s: usize, sheet: &Sheet, base: &str) -> Vec<(usize, Area)> {
        let mut areas: Vec<(usize, Area)> = Vec::new();
        for (t, table) in sheet.tables.iter().enumerate() {
            let pointer = format!("{base}/tables/{t}");
            let Some(area) = self.area(&table.range, format!("{pointer}/range")) else {
                continue;
            };
            if let Some((other, _)) = areas.iter().find(|(_, a)| a.overlaps(&area)) {
                self.push(
                    format!("{pointer}/range"),
                    format!("table range {area} overlaps the table at {base}/tables/{other}"),
                );
            }
            areas.push((t, area));
            self.table(s, table, area, &pointer);
        }
        areas
    }

    fn table(&mut self, s: usize, table: &Table, area: Area, pointer: &str) {
        let header = table.header_row != Some(false);
        let total = table.total_row == Some(true);
        let needed = 1 + u32::from(header) + u32::from(total);
        if area.rows() < needed {
            self.push(
                format!("{pointer}/range"),
                format!(
                    "table range {area} needs at least {needed} rows (a header row, one data row{})",
                    if total { " and the total row" } else { "" }
                ),
            );
        }
        if let Some(style) = &table.style
            && tables::style(style).is_none()
        {
            self.push(
                    format!("{pointer}/style"),
                    format!("unknown table style `{style}`; use e.g. \"Medium 2\", \"Light 9\", \"Dark 1\" or \"None\""),
                );
        }
        if table.columns.len() > usize::from(area.cols()) {
            self.push(
                format!("{pointer}/columns"),
                format!(
                    "{} columns are described but range {area} has {}",
                    table.columns.len(),
                    area.cols()
                ),
            );
        }
        for (c, column) in table.columns.iter().enumerate() {
            if column.total.is_some() && column.total_label.is_some() {
                self.push(
                    format!("{pointer}/columns/{c}"),
                    "a total-row cell has either `total` or `total_label`, not both",
                );
            }
            if (column.total.is_some() || column.total_label.is_some()) && !total {
                self.push(
                    format!("{pointer}/columns/{c}"),
                    "`total` and `total_label` need `total_row: true`",
                );
            }
        }
        if header {
            let names = tables::header_names(self.grid, s, table, area);
            let mut seen: HashMap<String, usize> = HashMap::new();
            for (c, name) in names.iter().enumerate() {
                if let Some(first) = seen.insert(name.to_lowercase(), c) {
                    self.push(
                        format!("{pointer}/columns"),
                        format!(
                            "table columns {} and {} are both named `{name}`; table headers must differ (ignoring case)",
                            first + 1,
                            c + 1
                        ),
                    );
                }
            }
        }
    }

    fn merges(&mut self, s: usize, sheet: &Sheet, base: &str, tables: &[(usize, Area)]) {
        let mut done: Vec<(usize, Area)> = Vec::new();
        for (m, merge) in sheet.merges.iter().enumerate() {
            let pointer = format!("{base}/merges/{m}");
            if let Some(style) = &merge.style {
                self.style_ref(style, &format!("{pointer}/style"));
            }
            if let Some(value) = &merge.value {
                self.cell(value, &format!("{pointer}/value"));
            }
            let Some(area) = self.area(&merge.range, format!("{pointer}/range")) else {
                continue;
            };
            if area.is_single_cell() {
                self.push(
                    format!("{pointer}/range"),
                    format!("a merged range needs at least two cells, not just {area}"),
                );
            }
            if let Some((other, _)) = done.iter().find(|(_, a)| a.overlaps(&area)) {
                self.push(
                    format!("{pointer}/range"),
                    format!("merged range {area} overlaps merged range {base}/merges/{other}"),
                );
            }
            if let Some((t, _)) = tables.iter().find(|(_, a)| a.overlaps(&area)) {
                self.push(
                    format!("{pointer}/range"),
                    format!("merged range {area} overlaps the table at {base}/tables/{t}; tables cannot contain merged cells"),
                );
            }
            done.push((m, area));
            let grid = self.grid;
            for (pos, entry) in grid.sheets[s].range(&area) {
                if entry.source == (Source::Merge { merge: m }) {
                    continue;
                }
                let at = source_pointer(self.spec, s, &entry.source);
                if let Content::Formula(f) = &entry.content {
                    self.push(
                        &at,
                        format!(
                            "formula cell {pos} (`={f}`) lies inside merged range {area}; give the formula as the merge's `value` instead"
                        ),
                    );
                } else if merge.value.is_none()
                    && pos != area.first
                    && entry.content != Content::Blank
                {
                    self.push(
                        &at,
                        format!(
                            "cell {pos} lies inside merged range {area} and would be hidden; only the top-left cell {} of a merge shows",
                            area.first
                        ),
                    );
                }
            }
        }
    }

    fn freeze(&mut self, sheet: &Sheet, base: &str) {
        let pointer = format!("{base}/freeze");
        match &sheet.freeze {
            Some(Freeze::Cell(cell)) => {
                if let Err(e) = a1::parse_cell(cell) {
                    self.push(pointer, e.to_string());
                }
            }
            Some(Freeze::Counts { rows, columns }) => {
                if u64::from(*rows) >= MAX_ROWS {
                    self.push(
                        format!("{pointer}/rows"),
                        format!("at most {} rows can be frozen", MAX_ROWS - 1),
                    );
                }
                if u64::from(*columns) >= MAX_COLS {
                    self.push(
                        format!("{pointer}/columns"),
                        format!("at most {} columns can be frozen", MAX_COLS - 1),
                    );
                }
            }
            None => {}
        }
    }

    fn autofilter(&mut self, s: usize, sheet: &Sheet, base: &str, tables: &[(usize, Area)]) {
        let pointer = format!("{base}/autofilter");
        let area = match &sheet.autofilter {
            None | Some(AutoFilter::Auto(false)) => return,
            Some(AutoFilter::Auto(true)) => match self.layouts[s].extent {
                Some(area) => area,
                None => {
                    self.push(pointer, "`autofilter: true` needs a header or rows to filter");
                    return;
                }
            },
            Some(AutoFilter::Range(text)) => match self.area(text, &pointer) {
                Some(area) => area,
                None => return,
            },
        };
        if let Some((t, _)) = tables.iter().find(|(_, a)| a.overlaps(&area)) {
            self.push(
                pointer,
                format!("autofilter range {area} overlaps the table at {base}/tables/{t}, which has its own filter"),
            );
        }
    }

    fn chart(&mut self, chart: &Chart, here: &str, pointer: &str) {
        if chart.series.is_empty() {
            self.push(format!("{pointer}/series"), "a chart needs at least one series");
        }
        for (i, series) in chart.series.iter().enumerate() {
            let sp = format!("{pointer}/series/{i}");
            if let Some((_, area)) = self.range_ref(&series.values, here, &format!("{sp}/values"))
                && area.rows() > 1
                && area.cols() > 1
            {
                self.push(
                        format!("{sp}/values"),
                        format!("series values {area} must be a single row or column; use one series per column"),
                    );
            }
            if let Some(categories) = &series.categories
                && let Some((_, area)) =
                    self.range_ref(categories, here, &format!("{sp}/categories"))
                && area.rows() > 1
                && area.cols() > 1
            {
                // Multi-level category axes are not supported.
                self.push(
                    format!("{sp}/categories"),
                    format!("series categories {area} must be a single row or column"),
                );
            }
            if let Some(name) = &series.name
                && let Ok((Some(sheet), reference)) = a1::split_sheet(name)
                && a1::parse_cell(reference).is_ok()
                && self.grid.sheet_index(&sheet).is_none()
            {
                self.push(format!("{sp}/name"), format!("unknown sheet `{sheet}` in series name"));
            }
            if let Some(c) = &series.color
                && parse_color(c).is_none()
            {
                self.push(
                    format!("{sp}/color"),
                    format!("`{c}` is not a colour of the form #RRGGBB"),
                );
            }
            if series.fill.is_some() && series.color.is_some() {
                self.push(
                    format!("{sp}/fill"),
                    "`fill: \"none\"` makes the series invisible; remove `color` or `fill`",
                );
            }
            if let Some(labels) = &series.data_labels {
                let any = [labels.value, labels.percent, labels.category].contains(&Some(true));
                if !any {
                    self.push(
                        format!("{sp}/data_labels"),
                        "set at least one of `value`, `percent` or `category` to true",
                    );
                }
                if labels.percent == Some(true) && chart.kind.has_axes() {
                    self.push(
                        format!("{sp}/data_labels/percent"),
                        "percentage labels are for pie and doughnut charts; use `value` here",
                    );
                }
            }
        }
        if let Some(at) = &chart.at
            && let Err(e) = a1::parse_cell(at)
        {
            self.push(format!("{pointer}/at"), e.to_string());
        }
        let axes = [("category_axis", &chart.category_axis), ("value_axis", &chart.value_axis)];
        if !chart.kind.has_axes() {
            for (field, axis) in axes {
                if axis.is_some() {
                    self.push(
                        format!("{pointer}/{field}"),
                        "pie and doughnut charts have no axes; remove this setting",
                    );
                }
            }
        } else {
            for (field, axis) in axes {
                let Some(axis) = axis else { continue };
                let bounded = field == "value_axis" || chart.kind.is_scatter();
                if !bounded {
                    for (setting, given) in [("min", axis.min), ("max", axis.max)] {
                        if given.is_some() {
                            self.push(
                                format!("{pointer}/{field}/{setting}"),
                                format!(
                                    "a category axis has no bounds; `{setting}` belongs on `value_axis` \
                                     (only scatter charts take bounds on `category_axis`, their X axis)"
                                ),
                            );
                        }
                    }
                }
                if let (Some(min), Some(max)) = (axis.min, axis.max)
                    && min >= max
                {
                    self.push(
                        format!("{pointer}/{field}"),
                        format!("axis `min` ({min}) must be below `max` ({max})"),
                    );
                }
            }
        }
        for (field, size) in [("width", chart.width), ("height", chart.height)] {
            if size == Some(0) {
                self.push(format!("{pointer}/{field}"), "chart size must be at least 1 pixel");
            }
        }
        if let Some(style) = chart.style
            && !(1..=48).contains(&style)
        {
            self.push(format!("{pointer}/style"), "chart style must be 1 to 48");
        }
    }

    /// Checks one validation; returns its range when valid.
    fn validation(&mut self, v: &Validation, here: &str, pointer: &str) -> Option<Area> {
        let area = self.area(&v.range, format!("{pointer}/range"));
        let rules: Vec<&str> = [
            ("list", v.list.is_some()),
            ("source", v.source.is_some()),
            ("number", v.number.is_some()),
            ("date", v.date.is_some()),
        ]
        .iter()
        .filter(|r| r.1)
        .map(|r| r.0)
        .collect();
        if rules.len() > 1 {
            self.push(
                pointer,
                format!(
                    "give one rule of `list`, `source`, `number` or `date`, not {}",
                    rules.join(" and ")
                ),
            );
            return area;
        }
        if let Some(rule) = &v.number {
            match (rule.min, rule.max) {
                (None, None) => self.push(format!("{pointer}/number"), "give `min`, `max` or both"),
                (Some(a), Some(b)) if a > b => self
                    .push(format!("{pointer}/number"), format!("`min` ({a}) is above `max` ({b})")),
                _ => {}
            }
        }
        if let Some(rule) = &v.date {
            let mut parsed = [None, None];
            for (k, (field, value)) in
                [("min", &rule.min), ("max", &rule.max)].into_iter().enumerate()
            {
                if let Some(text) = value {
                    match dates::parse_date(text) {
                        Ok(m) => parsed[k] = Some(m.serial()),
                        Err(message) => self.push(format!("{pointer}/date/{field}"), message),
                    }
                }
            }
            if rule.min.is_none() && rule.max.is_none() {
                self.push(format!("{pointer}/date"), "give `min`, `max` or both, as YYYY-MM-DD");
            }
            if let [Some(a), Some(b)] = parsed
                && a > b
            {
                self.push(format!("{pointer}/date"), "`min` is after `max`");
            }
        }
        match (&v.list, &v.source) {
            (Some(_), Some(_)) => {}
            (None, None) => {
                if rules.is_empty() {
                    self.push(
                        pointer,
                        "give the rule: allowed values as `list` or as a `source` range, or `number` or `date` limits",
                    );
                }
            }
            (Some(list), None) => {
                if list.is_empty() {
                    self.push(format!("{pointer}/list"), "the list needs at least one value");
                }
                for (i, item) in list.iter().enumerate() {
                    if item.contains(',') {
                        self.push(
                            format!("{pointer}/list/{i}"),
                            "list values cannot contain commas (Excel separates them with commas); use `source` instead",
                        );
                    }
                }
                // Excel's count: items joined by commas, quotes doubled.
                let length = list.iter().map(|s| utf16(s) + s.matches('"').count()).sum::<usize>()
                    + list.len().saturating_sub(1);
                if length > MAX_LIST_CHARS {
                    self.push(
                        format!("{pointer}/list"),
                        format!(
                            "the list is {length} characters with commas; Excel allows {MAX_LIST_CHARS}; \
                             put the values in cells and use `source`"
                        ),
                    );
                }
            }
            (None, Some(source)) => {
                if let Some((_, area)) = self.range_ref(source, here, &format!("{pointer}/source"))
                    && area.rows() > 1
                    && area.cols() > 1
                {
                    self.push(
                        format!("{pointer}/source"),
                        "a list source must be a single row or column",
                    );
                }
            }
        }
        for (field, text, max) in [
            ("input_title", &v.input_title, 32),
            ("error_title", &v.error_title, 32),
            ("input_message", &v.input_message, 255),
            ("error_message", &v.error_message, 255),
        ] {
            if let Some(text) = text
                && utf16(text) > max
            {
                self.push(
                    format!("{pointer}/{field}"),
                    format!("Excel limits this to {max} characters"),
                );
            }
        }
        area
    }
}

impl RangeRef {
    /// The sheet (defaulting to `here`) and area this reference names.
    pub(crate) fn resolve(&self, here: &str) -> Result<(String, Area), A1Error> {
        let (sheet, range) = match self {
            RangeRef::Text(text) => {
                let (sheet, range) = a1::split_sheet(text)?;
                (sheet, range.to_string())
            }
            RangeRef::Parts { sheet, range } => (sheet.clone(), range.clone()),
        };
        let area = a1::parse_area(&range)?;
        Ok((sheet.unwrap_or_else(|| here.to_string()), area))
    }
}

/// `"B"` or `"B:D"` → zero-based first and last column.
pub(crate) fn parse_columns(key: &str) -> Result<(u16, u16), String> {
    let one = |text: &str| -> Result<u16, String> {
        let text = text.trim();
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(format!("`{key}` is not a column or column span such as \"B\" or \"B:D\""));
        }
        a1::parse_cell(&format!("{text}1"))
            .map(|p| p.col)
            .map_err(|_| format!("column `{text}` is past Excel's last column XFD"))
    };
    match key.split_once(':') {
        None => one(key).map(|c| (c, c)),
        Some((a, b)) => {
            let (a, b) = (one(a)?, one(b)?);
            Ok((a.min(b), a.max(b)))
        }
    }
}

fn check_file_name(name: &str) -> Result<(), String> {
    if name.contains(['/', '\\']) || name.chars().any(char::is_control) {
        return Err(
            "`file_name` is a plain file name, without folders or control characters".into()
        );
    }
    if name.len() > 255 {
        return Err("`file_name` is limited to 255 bytes".into());
    }
    let lower = name.to_ascii_lowercase();
    if !lower.ends_with(".xlsx") || lower.len() == 5 || name.starts_with('.') {
        return Err(format!("`{name}` must be a file name ending in .xlsx, e.g. \"report.xlsx\""));
    }
    Ok(())
}

/// Excel's rules for worksheet names.
fn check_sheet_name(name: &str) -> Result<(), String> {
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_SHEET_NAME_CHARS {
        return Err(format!(
            "sheet names are 1 to {MAX_SHEET_NAME_CHARS} characters; `{name}` has {chars}"
        ));
    }
    if let Some(c) = name.chars().find(|c| "[]:*?/\\".contains(*c)) {
        return Err(format!("sheet name `{name}` contains `{c}`; none of []:*?/\\ are allowed"));
    }
    if name.starts_with('\'') || name.ends_with('\'') {
        return Err(format!("sheet name `{name}` cannot start or end with an apostrophe"));
    }
    if name.eq_ignore_ascii_case("history") {
        return Err("`History` is reserved by Excel and cannot name a sheet".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_follow_excel_rules() {
        assert!(check_sheet_name("Sales 2026").is_ok());
        for bad in [
            "",
            "a/b",
            "x[1]",
            "'quoted'",
            "History",
            "HISTORY",
            "1234567890123456789012345678901x",
        ] {
            assert!(check_sheet_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn column_keys_are_letters_or_spans() {
        assert_eq!(parse_columns("B"), Ok((1, 1)));
        assert_eq!(parse_columns("d:b"), Ok((1, 3)));
        assert!(parse_columns("B2").is_err());
        assert!(parse_columns("XFE").is_err());
    }

    #[test]
    fn file_names_end_in_xlsx_without_folders() {
        assert!(check_file_name("report.xlsx").is_ok());
        for bad in ["report.xls", "a/b.xlsx", ".xlsx", "x.xlsx\n"] {
            assert!(check_file_name(bad).is_err(), "{bad:?}");
        }
    }
}
