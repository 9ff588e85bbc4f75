#!/usr/bin/env python3
"""Checks generated workbooks against the specs they came from.

Usage: python check_corpus.py SPEC.json=FILE.xlsx...

Each workbook is opened with openpyxl and compared with its spec, placed
independently of the plugin by the spec's rules: the header at `start`
(default A1), each row below the previous one starting in the same column,
a row object's `at` moving it and the rows after it. Every cell the spec
writes must be read back with its value: text, numbers, booleans, formulas
(as written, Excel's `_xlfn.` prefixes aside), dates and times, link text;
merges show their value in the top-left cell; sheet names and order match.
Exits non-zero naming every mismatch.
"""

import datetime
import json
import math
import re
import sys

try:
    import openpyxl
    from openpyxl.utils import column_index_from_string, get_column_letter
except ImportError:
    sys.exit("openpyxl is missing: pip install openpyxl==3.1.5")


def cell_ref(text):
    m = re.fullmatch(r"\$?([A-Za-z]{1,3})\$?(\d+)", text.strip())
    return int(m.group(2)), column_index_from_string(m.group(1).upper())


def expected(cell):
    """What openpyxl should read for a spec cell; None for nothing to check."""
    if cell is None:
        return None
    if isinstance(cell, str):
        return cell
    if isinstance(cell, (bool, int, float)):
        return cell
    if "formula" in cell:
        f = cell["formula"].strip()
        return f if f.startswith("=") else "=" + f
    if "value" in cell:
        return cell["value"]
    if "date" in cell:
        return datetime.datetime.fromisoformat(cell["date"])
    if "datetime" in cell:
        return datetime.datetime.fromisoformat(cell["datetime"].rstrip("Z").replace(" ", "T"))
    if "time" in cell:
        return datetime.time.fromisoformat(cell["time"])
    if "url" in cell:
        return cell.get("text", cell["url"])
    return None


def same(got, want):
    if hasattr(got, "text") and hasattr(got, "ref"):
        got = got.text  # a dynamic-array formula (XLOOKUP, FILTER, ...)
    if isinstance(got, str) and isinstance(want, str) and want.startswith("="):
        return got.replace("_xlfn._xlws.", "").replace("_xlfn.", "") == want
    if isinstance(want, bool) or isinstance(got, bool):
        return got is want
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        return math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-12)
    if isinstance(want, datetime.time) and isinstance(got, datetime.datetime):
        return got.time() == want
    return got == want


def check(spec_path, xlsx_path, failures):
    spec = json.load(open(spec_path, encoding="utf-8"))
    wb = openpyxl.load_workbook(xlsx_path)
    names = [s["name"] for s in spec["sheets"]]
    if wb.sheetnames != names:
        failures.append(f"{xlsx_path}: sheets {wb.sheetnames}, want {names}")
        return 0
    checked = 0
    for sheet in spec["sheets"]:
        ws = wb[sheet["name"]]
        row, col = cell_ref(sheet.get("start", "A1"))
        placed = []
        if "header" in sheet:
            placed.append((row, col, sheet["header"]))
            row += 1
        for r in sheet.get("rows", []):
            cells = r
            if isinstance(r, dict):
                cells = r.get("cells", [])
                if "at" in r:
                    row, col = cell_ref(r["at"])
            placed.append((row, col, cells))
            row += 1
        for merge in sheet.get("merges", []):
            if "value" in merge:
                r, c = cell_ref(merge["range"].split(":")[0])
                placed.append((r, c, [merge["value"]]))
        for r, c, cells in placed:
            for i, cell in enumerate(cells):
                want = expected(cell)
                if want is None:
                    continue
                ref = f"{get_column_letter(c + i)}{r}"
                got = ws[ref].value
                checked += 1
                if not same(got, want):
                    failures.append(f"{xlsx_path} {sheet['name']}!{ref}: got {got!r}, want {want!r}")
    return checked


def main(argv):
    failures, checked = [], 0
    for pair in argv:
        spec_path, xlsx_path = pair.split("=", 1)
        checked += check(spec_path, xlsx_path, failures)
    for f in failures:
        print(f)
    print(f"{checked} cells compared with their specs, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
