#!/usr/bin/env python3
"""Checks the xlsx plugin's example outputs with an independent reader.

Usage: python check_examples.py <dir>

<dir> holds one subdirectory per example, named by the example's index in
`info().examples` (0/, 1/, 2/), each containing the generated .xlsx file.
Every file is opened with openpyxl twice: once for formulas and formats, and
once with data_only=True for the cached formula results. Exits non-zero,
naming every mismatch, if anything differs from what the example specs say.
"""

import datetime
import glob
import math
import os
import sys

import openpyxl


class Check:
    def __init__(self, index, title, path):
        self.index = index
        self.title = title
        self.path = path
        self.wb = openpyxl.load_workbook(path)
        self.values = openpyxl.load_workbook(path, data_only=True)
        self.failures = []

    def fail(self, what):
        self.failures.append(what)

    def eq(self, what, got, want):
        def number(x):
            return isinstance(x, (int, float)) and not isinstance(x, bool)

        if number(want) and number(got):
            # 42 and 42.0 are the same cell value; results may differ in the last bits.
            ok = math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-12)
        else:
            ok = got == want and type(got) is type(want)
        if not ok:
            self.fail(f"{what}: got {got!r}, want {want!r}")

    def sheetnames(self, want):
        self.eq("sheet names", self.wb.sheetnames, want)

    def cell(self, sheet, ref, want):
        """The stored value: text, number, date or formula text."""
        if sheet not in self.wb.sheetnames:
            return self.fail(f"{sheet}!{ref}: no sheet {sheet!r}")
        self.eq(f"{sheet}!{ref}", self.wb[sheet][ref].value, want)

    def cached(self, sheet, ref, want):
        """The cached result of a formula cell, as readers without a calc engine see it."""
        if sheet not in self.values.sheetnames:
            return self.fail(f"{sheet}!{ref}: no sheet {sheet!r}")
        self.eq(f"cached {sheet}!{ref}", self.values[sheet][ref].value, want)

    def number_format(self, sheet, ref, want):
        self.eq(f"number format of {sheet}!{ref}", self.wb[sheet][ref].number_format, want)

    def bold(self, sheet, ref):
        if not self.wb[sheet][ref].font.b:
            self.fail(f"{sheet}!{ref} should be bold")

    def merged(self, sheet, want):
        got = sorted(str(r) for r in self.wb[sheet].merged_cells.ranges)
        self.eq(f"merged ranges of {sheet}", got, sorted(want))

    def charts(self, sheet, want):
        self.eq(f"charts on {sheet}", len(self.wb[sheet]._charts), want)

    def tables(self, sheet, want):
        ws = self.wb[sheet]
        got = {name: ws.tables[name].ref for name in ws.tables}
        self.eq(f"tables of {sheet}", got, want)

    def freeze(self, sheet, want):
        self.eq(f"freeze panes of {sheet}", self.wb[sheet].freeze_panes, want)

    def autofilter(self, sheet, want):
        self.eq(f"autofilter of {sheet}", self.wb[sheet].auto_filter.ref, want)

    def validations(self, sheet, want):
        got = sorted(
            (str(dv.sqref), dv.type, dv.formula1) for dv in self.wb[sheet].data_validations.dataValidation
        )
        self.eq(f"data validations of {sheet}", got, sorted(want))

    def hyperlink(self, sheet, ref, want):
        link = self.wb[sheet][ref].hyperlink
        self.eq(f"hyperlink of {sheet}!{ref}", link.target if link else None, want)

    def prop(self, name, want):
        self.eq(f"document property {name}", getattr(self.wb.properties, name), want)


def quarterly_sales(c):
    c.sheetnames(["Sales", "Monthly"])
    c.prop("title", "Quarterly sales 2026")
    c.prop("creator", "Sales Operations")
    c.prop("created", datetime.datetime(2026, 4, 2, 9, 0, 0))
    c.prop("keywords", "sales, quarterly, 2026")
    c.cell("Sales", "A1", "Region")
    c.cell("Sales", "E1", "Q4")
    c.cell("Sales", "A2", "North")
    c.cell("Sales", "B2", 120500)
    c.cell("Sales", "F2", "=SUM(B2:E2)")
    c.cached("Sales", "F2", 522900)
    c.cached("Sales", "F5", 384900)
    c.cell("Sales", "A6", "Total")
    c.cell("Sales", "B6", "=SUBTOTAL(109,[Q1])")
    c.cached("Sales", "B6", 449600)
    c.cached("Sales", "F6", 1932700)
    c.number_format("Sales", "C3", "$#,##0")
    c.bold("Sales", "F3")
    c.tables("Sales", {"SalesByRegion": "A1:F6"})
    c.freeze("Sales", "B2")
    c.charts("Sales", 1)
    c.cell("Monthly", "A1", "Month")
    c.cell("Monthly", "A2", datetime.datetime(2026, 1, 31))
    c.number_format("Monthly", "A2", "yyyy-mm-dd")
    c.cell("Monthly", "D2", "=C2/B2")
    c.cached("Monthly", "D2", 98600 / 3120)
    c.cached("Monthly", "D7", 121800 / 3720)
    c.number_format("Monthly", "D2", "$#,##0.00")
    c.autofilter("Monthly", "A1:D7")
    c.freeze("Monthly", "A2")
    c.charts("Monthly", 1)
    c.tables("Monthly", {})


def invoice(c):
    c.sheetnames(["Invoice"])
    c.prop("title", "Invoice INV-2026-0042")
    c.prop("created", datetime.datetime(2026, 3, 15))
    c.merged("Invoice", ["A1:E1", "A19:E21"])
    c.cell("Invoice", "A1", "INVOICE")
    c.bold("Invoice", "A1")
    c.cell("Invoice", "B3", "INV-2026-0042")
    c.cell("Invoice", "B4", datetime.datetime(2026, 3, 15))
    c.cell("Invoice", "B5", "=B4+30")
    c.cached("Invoice", "B5", datetime.datetime(2026, 4, 14))
    c.cell("Invoice", "B7", "Order 7781 on contoso.example")
    c.hyperlink("Invoice", "B7", "https://www.contoso.example/orders/7781")
    c.cell("Invoice", "C10", 4)
    c.cell("Invoice", "D11", 449.5)
    c.cell("Invoice", "E10", "=C10*D10")
    c.cached("Invoice", "E10", 756)
    c.cached("Invoice", "E12", 319.96)
    c.cell("Invoice", "E15", "=SUM(E10:E13)")
    c.cached("Invoice", "E15", 2094.96)
    c.cell("Invoice", "E16", "=ROUND(E15*8%,2)")
    c.cached("Invoice", "E16", 167.6)
    c.cell("Invoice", "D17", "Total due")
    c.cell("Invoice", "E17", "=E15+E16")
    c.cached("Invoice", "E17", 2262.56)
    c.number_format("Invoice", "E17", "$#,##0.00")
    c.bold("Invoice", "E17")
    c.cell("Invoice", "A19", "Payment is due within 30 days of the invoice date. "
           "Please quote the invoice number with your payment. Thank you for your business.")
    c.charts("Invoice", 0)
    c.freeze("Invoice", None)


def budget(c):
    c.sheetnames(["Summary", "Budget 2026", "Assumptions", "Lists"])
    c.prop("title", "FY2026 departmental budget")
    c.prop("created", datetime.datetime(2026, 1, 5, 8, 30))
    c.merged("Summary", ["A1:D1"])
    c.cell("Summary", "A1", "FY2026 budget summary (k USD)")
    c.cell("Summary", "B3", "=SUM('Budget 2026'!G2:G6)")
    c.cached("Summary", "B3", 10120)
    c.cached("Summary", "B4", 3445)
    c.cached("Summary", "B5", 755)
    c.cached("Summary", "B6", 2024)
    c.cached("Summary", "B7", 5)
    c.cell("Summary", "B8", "=Assumptions!B2")
    c.cached("Summary", "B8", 0.06)
    c.number_format("Summary", "B8", "0.0%")
    c.cell("Summary", "B9", "=B3*(1+Assumptions!B2)")
    c.cached("Summary", "B9", 10727.2)
    c.cell("Summary", "B10", "='Budget 2026'!G7+Assumptions!B4")
    c.cached("Summary", "B10", 10370)
    c.charts("Summary", 1)
    c.cell("Budget 2026", "A1", "Department")
    c.cell("Budget 2026", "B2", "Priya Natarajan")
    c.cell("Budget 2026", "C2", 820)
    c.cell("Budget 2026", "G2", "=SUM(C2:F2)")
    c.cached("Budget 2026", "G2", 3445)
    c.cached("Budget 2026", "G4", 1480)
    c.cell("Budget 2026", "A7", "Total")
    c.cell("Budget 2026", "G7", "=SUBTOTAL(109,[Annual])")
    c.cached("Budget 2026", "G7", 10120)
    c.cached("Budget 2026", "H7", 5)
    c.tables("Budget 2026", {"BudgetLines": "A1:H7"})
    c.freeze("Budget 2026", "C2")
    c.charts("Budget 2026", 1)
    c.validations("Budget 2026", [
        ("H2:H6", "list", '"Draft,Submitted,Approved"'),
        ("B2:B6", "list", "Lists!$A$2:$A$7"),
    ])
    c.cell("Assumptions", "B2", 0.06)
    c.cell("Assumptions", "B4", 250)
    c.cell("Lists", "A7", "Jonas Berg")


# The checks for each example, by its index in info().examples.
EXAMPLES = [
    ("Quarterly sales with a chart", quarterly_sales),
    ("Invoice with formulas", invoice),
    ("Multi-sheet budget", budget),
]


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    root = sys.argv[1]
    failed = False
    for index, (title, check) in enumerate(EXAMPLES):
        files = glob.glob(os.path.join(root, str(index), "*.xlsx"))
        if len(files) != 1:
            print(f"FAIL example {index} ({title}): expected one .xlsx in {root}/{index}, found {len(files)}")
            failed = True
            continue
        try:
            c = Check(index, title, files[0])
        except Exception as e:  # an unreadable file is a failure, not a crash
            print(f"FAIL example {index} ({title}): cannot open {files[0]}: {type(e).__name__}: {e}")
            failed = True
            continue
        try:
            check(c)
        except Exception as e:  # e.g. a missing sheet; report what was found so far
            c.fail(f"check stopped: {type(e).__name__}: {e}")
        if c.failures:
            failed = True
            print(f"FAIL example {index} ({title}): {os.path.basename(files[0])}")
            for f in c.failures:
                print(f"    {f}")
        else:
            print(f"ok   example {index} ({title}): {os.path.basename(files[0])}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
