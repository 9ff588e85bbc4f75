//! Page setup, checked by printing to PDF with LibreOffice.

use kiln_plugin_sdk::Generator;
use kiln_plugin_xlsx::Xlsx;
use serde_json::json;

use crate::{generate, messages_at, part, pointers, python, sheet, test_output};

/// Expected PDF page counts of the bundled examples, in order.
const EXAMPLE_PAGES: [usize; 3] = [2, 1, 4];

#[test]
fn every_example_prints_with_whole_tables_on_each_page() {
    let mut args = vec![test_output("").to_str().unwrap().to_string()];
    for (i, example) in Xlsx::info().examples.iter().enumerate() {
        let path = test_output(&format!("example-{i}.xlsx"));
        std::fs::write(&path, generate(&example.spec)).unwrap();
        args.push(format!("{}={}", path.display(), EXAMPLE_PAGES[i]));
    }
    let mut all = vec!["check_pdf.py"];
    all.extend(args.iter().map(String::as_str));
    python(&all);
}

#[test]
fn a_wide_sheet_fits_one_page_wide_by_default() {
    let header: Vec<String> = (1..=30).map(|i| format!("Column {i}")).collect();
    let rows: Vec<Vec<u32>> = (0..10).map(|r| (0..30).map(|c| r * 100 + c).collect()).collect();
    let spec = sheet(json!({ "header": header, "rows": rows }));
    let path = test_output("wide.xlsx");
    std::fs::write(&path, generate(&spec)).unwrap();
    python(&["check_pdf.py", test_output("").to_str().unwrap(), &format!("{}=1", path.display())]);
}

#[test]
fn page_setup_reaches_the_sheet_xml() {
    let xlsx = generate(&sheet(json!({
        "header": ["Item", "Qty"],
        "rows": [["a", 1], ["b", 2], ["c", 3]],
        "page": {
            "orientation": "landscape",
            "paper": "a4",
            "margins": { "left": 0.5, "right": 0.5 },
            "print_area": "A1:B4",
            "repeat_rows": "1",
            "header": { "center": "Stock & orders" },
            "footer": { "left": "{sheet}", "right": "Page {page} of {pages}" },
            "row_breaks": [3]
        }
    })));
    let xml = part(&xlsx, "xl/worksheets/sheet1.xml");
    assert!(xml.contains(r#"orientation="landscape""#), "{xml}");
    assert!(xml.contains(r#"paperSize="9""#), "{xml}");
    assert!(xml.contains(r#"left="0.5""#), "{xml}");
    assert!(xml.contains("<oddHeader>&amp;CStock &amp;&amp; orders</oddHeader>"), "{xml}");
    assert!(
        xml.contains("<oddFooter>&amp;L&amp;A&amp;RPage &amp;P of &amp;N</oddFooter>"),
        "{xml}"
    );
    assert!(xml.contains(r#"<brk id="2" max="16383" man="1"/>"#), "{xml}");
    // Manual breaks turn the default fit-to-width off.
    assert!(!xml.contains("fitToPage"), "{xml}");
    let workbook = part(&xlsx, "xl/workbook.xml");
    assert!(workbook.contains("_xlnm.Print_Area"), "{workbook}");
    assert!(workbook.contains("_xlnm.Print_Titles"), "{workbook}");
}

#[test]
fn bad_page_settings_are_violations() {
    let spec = sheet(json!({
        "page": {
            "margins": { "top": -1 },
            "print_area": "A0:B2",
            "repeat_rows": "A1",
            "footer": { "center": "Page {pgae}" },
            "row_breaks": [1, 40],
            "fit_width": 1
        }
    }));
    assert_eq!(
        pointers(&spec),
        [
            "/sheets/0/page/footer/center",
            "/sheets/0/page/margins/top",
            "/sheets/0/page/print_area",
            "/sheets/0/page/repeat_rows",
            "/sheets/0/page/row_breaks",
            "/sheets/0/page/row_breaks/0",
        ]
    );
    assert!(messages_at(&spec, "/sheets/0/page/footer/center")[0].contains("did you mean {page}?"));
}
