//! Chart parts (`ppt/charts/chartN.xml`): DrawingML `c:chartSpace` with the
//! data cached in the part (`c:strCache` / `c:numCache`), so PowerPoint and
//! LibreOffice draw it without recalculating. The data is also embedded as a
//! small workbook (`ppt/embeddings/`), laid out as PowerPoint lays it out
//! (categories in column A, one series per column from B, names in row 1),
//! so "Edit Data" in PowerPoint opens it; the formulas in the chart point
//! at those cells.

use std::io::{self, Write};

use kiln_plugin_sdk::ooxml::{OFFICE_DOCUMENT, Package, Relationship};

use crate::spec::{Chart, ChartKind};
use crate::xml::{DECL, escape, push_escaped};

/// The relationship from a chart part to its embedded workbook.
pub(crate) const PACKAGE_REL: &str =
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/package";
/// The media type of the embedded workbook.
pub(crate) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

const AX_CAT: u32 = 500_000_001;
const AX_VAL: u32 = 500_000_002;

/// Excel's name of column `i` (0 = A).
fn column(i: usize) -> String {
    let mut n = i + 1;
    let mut s = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        s.push(b'A' + r as u8);
        n = (n - 1) / 26;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

fn str_cache(out: &mut String, f: &str, values: &[&str]) {
    out.push_str(&format!(
        "<c:strRef><c:f>{f}</c:f><c:strCache><c:ptCount val=\"{}\"/>",
        values.len()
    ));
    for (i, v) in values.iter().enumerate() {
        out.push_str(&format!("<c:pt idx=\"{i}\"><c:v>"));
        push_escaped(out, v);
        out.push_str("</c:v></c:pt>");
    }
    out.push_str("</c:strCache></c:strRef>");
}

/// A number as the cache writes it: integers without a fraction, others in
/// Rust's shortest round-trip form.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 { format!("{}", v as i64) } else { format!("{v}") }
}

fn fill(accent: usize) -> String {
    format!("<a:solidFill><a:schemeClr val=\"accent{}\"/></a:solidFill>", accent % 6 + 1)
}

/// The chart part for `chart`.
pub(crate) fn write(chart: &Chart) -> String {
    let mut out = String::from(DECL);
    out.push_str("<c:chartSpace xmlns:c=\"http://schemas.openxmlformats.org/drawingml/2006/chart\" xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><c:date1904 val=\"0\"/><c:lang val=\"en-US\"/><c:roundedCorners val=\"0\"/><c:chart>");
    if let Some(title) = &chart.title {
        out.push_str("<c:title><c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz=\"1600\" b=\"1\"/></a:pPr><a:r><a:rPr lang=\"en-US\" sz=\"1600\" b=\"1\"/><a:t>");
        push_escaped(&mut out, title);
        out.push_str("</a:t></a:r></a:p></c:rich></c:tx><c:overlay val=\"0\"/></c:title><c:autoTitleDeleted val=\"0\"/>");
    } else {
        out.push_str("<c:autoTitleDeleted val=\"1\"/>");
    }
    out.push_str("<c:plotArea><c:layout/>");
    let format = escape(chart.number_format.as_deref().unwrap_or("General"));
    match chart.kind {
        ChartKind::Column | ChartKind::Bar => {
            let dir = if chart.kind == ChartKind::Bar { "bar" } else { "col" };
            out.push_str(&format!("<c:barChart><c:barDir val=\"{dir}\"/><c:grouping val=\"clustered\"/><c:varyColors val=\"0\"/>"));
            series(&mut out, chart, &format);
            out.push_str(&format!("<c:gapWidth val=\"80\"/><c:axId val=\"{AX_CAT}\"/><c:axId val=\"{AX_VAL}\"/></c:barChart>"));
            axes(&mut out, &format, chart.kind == ChartKind::Bar);
        }
        ChartKind::Line => {
            out.push_str("<c:lineChart><c:grouping val=\"standard\"/><c:varyColors val=\"0\"/>");
            series(&mut out, chart, &format);
            out.push_str(&format!("<c:marker val=\"1\"/><c:axId val=\"{AX_CAT}\"/><c:axId val=\"{AX_VAL}\"/></c:lineChart>"));
            axes(&mut out, &format, false);
        }
        ChartKind::Pie => {
            out.push_str("<c:pieChart><c:varyColors val=\"1\"/>");
            series(&mut out, chart, &format);
            out.push_str("<c:firstSliceAng val=\"0\"/></c:pieChart>");
        }
    }
    out.push_str("<c:spPr><a:noFill/><a:ln><a:noFill/></a:ln></c:spPr></c:plotArea>");
    let legend = chart.legend.unwrap_or(chart.series.len() > 1 || chart.kind == ChartKind::Pie);
    if legend {
        out.push_str("<c:legend><c:legendPos val=\"b\"/><c:overlay val=\"0\"/></c:legend>");
    }
    out.push_str("<c:plotVisOnly val=\"1\"/><c:dispBlanksAs val=\"gap\"/></c:chart><c:spPr><a:noFill/><a:ln><a:noFill/></a:ln></c:spPr><c:txPr><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz=\"1400\"><a:solidFill><a:schemeClr val=\"tx1\"/></a:solidFill><a:latin typeface=\"+mn-lt\"/></a:defRPr></a:pPr><a:endParaRPr lang=\"en-US\"/></a:p></c:txPr><c:externalData r:id=\"rId1\"><c:autoUpdate val=\"0\"/></c:externalData></c:chartSpace>");
    out
}

fn series(out: &mut String, chart: &Chart, format: &str) {
    let n = chart.categories.len();
    let categories: Vec<&str> = chart.categories.iter().map(String::as_str).collect();
    for (i, s) in chart.series.iter().enumerate() {
        let col = column(i + 1);
        out.push_str(&format!("<c:ser><c:idx val=\"{i}\"/><c:order val=\"{i}\"/><c:tx>"));
        str_cache(out, &format!("Sheet1!${col}$1"), &[s.name.as_str()]);
        out.push_str("</c:tx>");
        match chart.kind {
            ChartKind::Line => {
                out.push_str(&format!("<c:spPr><a:ln w=\"31750\" cap=\"rnd\">{}<a:round/></a:ln></c:spPr><c:marker><c:symbol val=\"circle\"/><c:size val=\"6\"/><c:spPr>{}<a:ln>{}</a:ln></c:spPr></c:marker>", fill(i), fill(i), fill(i)));
            }
            ChartKind::Pie => {
                out.push_str("<c:spPr><a:ln w=\"19050\"><a:solidFill><a:schemeClr val=\"bg1\"/></a:solidFill></a:ln></c:spPr>");
                for p in 0..n {
                    out.push_str(&format!("<c:dPt><c:idx val=\"{p}\"/><c:bubble3D val=\"0\"/><c:spPr>{}<a:ln w=\"19050\"><a:solidFill><a:schemeClr val=\"bg1\"/></a:solidFill></a:ln></c:spPr></c:dPt>", fill(p)));
                }
            }
            _ => {
                out.push_str(&format!(
                    "<c:spPr>{}</c:spPr><c:invertIfNegative val=\"0\"/>",
                    fill(i)
                ));
            }
        }
        if chart.data_labels {
            let pos = match chart.kind {
                ChartKind::Pie => "inEnd",
                ChartKind::Line => "t",
                _ => "outEnd",
            };
            // Labels inside pie slices read white on the slice colour.
            let text = if chart.kind == ChartKind::Pie {
                "<c:txPr><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz=\"1400\" b=\"1\"><a:solidFill><a:schemeClr val=\"bg1\"/></a:solidFill></a:defRPr></a:pPr><a:endParaRPr lang=\"en-US\"/></a:p></c:txPr>"
            } else {
                ""
            };
            out.push_str(&format!("<c:dLbls><c:numFmt formatCode=\"{format}\" sourceLinked=\"0\"/><c:spPr><a:noFill/><a:ln><a:noFill/></a:ln></c:spPr>{text}<c:dLblPos val=\"{pos}\"/><c:showLegendKey val=\"0\"/><c:showVal val=\"1\"/><c:showCatName val=\"0\"/><c:showSerName val=\"0\"/><c:showPercent val=\"0\"/><c:showBubbleSize val=\"0\"/></c:dLbls>"));
        }
        out.push_str("<c:cat>");
        str_cache(out, &format!("Sheet1!$A$2:$A${}", n + 1), &categories);
        out.push_str(&format!("</c:cat><c:val><c:numRef><c:f>Sheet1!${col}$2:${col}${}</c:f><c:numCache><c:formatCode>{format}</c:formatCode><c:ptCount val=\"{n}\"/>", n + 1));
        for (p, v) in s.values.iter().enumerate() {
            if let Some(v) = v {
                out.push_str(&format!("<c:pt idx=\"{p}\"><c:v>{}</c:v></c:pt>", number(*v)));
            }
        }
        out.push_str("</c:numCache></c:numRef></c:val>");
        if chart.kind == ChartKind::Line {
            out.push_str("<c:smooth val=\"0\"/>");
        }
        out.push_str("</c:ser>");
    }
}

fn axes(out: &mut String, format: &str, horizontal: bool) {
    let (cat_pos, val_pos) = if horizontal { ("l", "b") } else { ("b", "l") };
    let grid = "<c:majorGridlines><c:spPr><a:ln w=\"9525\"><a:solidFill><a:schemeClr val=\"tx1\"><a:lumMod val=\"15000\"/><a:lumOff val=\"85000\"/></a:schemeClr></a:solidFill></a:ln></c:spPr></c:majorGridlines>";
    let line = "<c:spPr><a:ln w=\"9525\"><a:solidFill><a:schemeClr val=\"tx1\"><a:lumMod val=\"25000\"/><a:lumOff val=\"75000\"/></a:schemeClr></a:solidFill></a:ln></c:spPr>";
    // Horizontal bars list categories top to bottom, as they read in the spec.
    let orientation = if horizontal { "maxMin" } else { "minMax" };
    out.push_str(&format!("<c:catAx><c:axId val=\"{AX_CAT}\"/><c:scaling><c:orientation val=\"{orientation}\"/></c:scaling><c:delete val=\"0\"/><c:axPos val=\"{cat_pos}\"/><c:numFmt formatCode=\"General\" sourceLinked=\"0\"/><c:majorTickMark val=\"none\"/><c:minorTickMark val=\"none\"/><c:tickLblPos val=\"low\"/>{line}<c:crossAx val=\"{AX_VAL}\"/><c:crosses val=\"autoZero\"/><c:auto val=\"1\"/><c:lblAlgn val=\"ctr\"/><c:lblOffset val=\"100\"/><c:noMultiLvlLbl val=\"0\"/></c:catAx>"));
    out.push_str(&format!("<c:valAx><c:axId val=\"{AX_VAL}\"/><c:scaling><c:orientation val=\"minMax\"/></c:scaling><c:delete val=\"0\"/><c:axPos val=\"{val_pos}\"/>{grid}<c:numFmt formatCode=\"{format}\" sourceLinked=\"0\"/><c:majorTickMark val=\"none\"/><c:minorTickMark val=\"none\"/><c:tickLblPos val=\"nextTo\"/><c:spPr><a:ln><a:noFill/></a:ln></c:spPr><c:crossAx val=\"{AX_CAT}\"/><c:crosses val=\"{}\"/><c:crossBetween val=\"between\"/></c:valAx>", if horizontal { "max" } else { "autoZero" }));
}

/// Writes the chart's data as a workbook (one sheet, "Sheet1"), for "Edit
/// Data", straight into `out`.
pub(crate) fn workbook<W: Write>(chart: &Chart, out: W) -> io::Result<()> {
    const SML: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml";
    const NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    let mut pkg = Package::new(out);
    pkg.relationships("", &[Relationship::new("rId1", OFFICE_DOCUMENT, "xl/workbook.xml")])?;
    write!(
        pkg.part("xl/workbook.xml", &format!("{SML}.sheet.main+xml"))?,
        "{DECL}<workbook xmlns=\"{NS}\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets><sheet name=\"Sheet1\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"
    )?;
    pkg.relationships(
        "xl/workbook.xml",
        &[Relationship::new(
            "rId1",
            "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet",
            "worksheets/sheet1.xml",
        )],
    )?;
    let text = |out: &mut String, cell: &str, value: &str| {
        out.push_str(&format!("<c r=\"{cell}\" t=\"inlineStr\"><is><t>"));
        push_escaped(out, value);
        out.push_str("</t></is></c>");
    };
    let mut sheet = format!("{DECL}<worksheet xmlns=\"{NS}\"><sheetData><row r=\"1\">");
    for (i, s) in chart.series.iter().enumerate() {
        text(&mut sheet, &format!("{}1", column(i + 1)), &s.name);
    }
    sheet.push_str("</row>");
    for (r, category) in chart.categories.iter().enumerate() {
        let row = r + 2;
        sheet.push_str(&format!("<row r=\"{row}\">"));
        text(&mut sheet, &format!("A{row}"), category);
        for (i, s) in chart.series.iter().enumerate() {
            if let Some(Some(v)) = s.values.get(r) {
                sheet.push_str(&format!(
                    "<c r=\"{}{row}\"><v>{}</v></c>",
                    column(i + 1),
                    number(*v)
                ));
            }
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    pkg.part("xl/worksheets/sheet1.xml", &format!("{SML}.worksheet+xml"))?
        .write_all(sheet.as_bytes())?;
    pkg.finish().map(drop)
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_are_named_like_excel() {
        assert_eq!(super::column(0), "A");
        assert_eq!(super::column(25), "Z");
        assert_eq!(super::column(26), "AA");
    }
}
