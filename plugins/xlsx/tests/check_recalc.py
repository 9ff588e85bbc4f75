#!/usr/bin/env python3
"""Compares the cached formula results of generated workbooks with
LibreOffice's recalculation.

Usage: python check_recalc.py [--all-cached] [--skip SHEET!CELL]...
                              [--sentinel SHEET!CELL=VALUE]... FILE.xlsx...

Every file is converted by LibreOffice headless (`soffice --convert-to
xlsx`) with a private profile set to recalculate every formula on load. Both files are read with openpyxl (data_only=True)
and every formula cell's cached value must equal LibreOffice's result
(numbers to 1e-9 relative). With --all-cached every formula must carry a
cached value; otherwise cells without one are skipped. --skip leaves a cell
out (e.g. TODAY(), which LibreOffice evaluates as the real date).
--sentinel names a cell whose cached value deliberately differs from the
formula, with the value LibreOffice must compute, which proves it really
recalculated. Exits non-zero naming every mismatch.
"""

import datetime
import math
import os
import shutil
import subprocess
import sys
import tempfile

try:
    import openpyxl
except ImportError:
    sys.exit("openpyxl is missing: pip install openpyxl==3.1.5")


def serial(value):
    if isinstance(value, datetime.datetime):
        delta = value - datetime.datetime(1899, 12, 30)
        return delta.days + delta.seconds / 86400
    if isinstance(value, datetime.date):
        return (value - datetime.date(1899, 12, 30)).days
    return value


def same(a, b):
    a, b = serial(a), serial(b)
    numeric = lambda x: isinstance(x, (int, float)) and not isinstance(x, bool)
    if numeric(a) and numeric(b):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b and type(a) is type(b)


RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def recalculate(paths):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        sys.exit("LibreOffice is missing: apt-get install libreoffice-calc (needs `soffice` on PATH)")
    out = tempfile.mkdtemp(prefix="xlsx-recalc-")
    profile = tempfile.mkdtemp(prefix=f"lo-xlsx-{os.getpid()}-")
    # LibreOffice's default for xlsx files is to trust their cached values
    # (headless, fullCalcOnLoad is not enough); this profile always
    # recalculates on load.
    os.makedirs(os.path.join(profile, "user"))
    with open(os.path.join(profile, "user", "registrymodifications.xcu"), "w") as f:
        f.write(RECALC_ALWAYS)
    try:
        subprocess.run(
            [soffice, f"-env:UserInstallation=file://{profile}", "--headless",
             "--convert-to", "xlsx", "--outdir", out, *paths],
            check=True, timeout=600, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return out


def main(argv):
    all_cached, skip, sentinels, paths = False, set(), {}, []
    args = iter(argv)
    for arg in args:
        if arg == "--all-cached":
            all_cached = True
        elif arg == "--skip":
            skip.add(next(args))
        elif arg == "--sentinel":
            cell, value = next(args).split("=", 1)
            sentinels[cell] = value
        else:
            paths.append(os.path.abspath(arg))
    out = recalculate(paths)
    failures, compared, unknown = [], 0, []
    for path in paths:
        name = os.path.basename(path)
        converted = os.path.join(out, name)
        if not os.path.exists(converted):
            failures.append(f"{name}: LibreOffice wrote no converted file")
            continue
        formulas = openpyxl.load_workbook(path)
        ours = openpyxl.load_workbook(path, data_only=True)
        theirs = openpyxl.load_workbook(converted, data_only=True)
        for ws in formulas.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    text = cell.value.text if hasattr(cell.value, "text") else cell.value
                    if not (isinstance(text, str) and text.startswith("=")):
                        continue
                    where = f"{ws.title}!{cell.coordinate}"
                    got = ours[ws.title][cell.coordinate].value
                    want = theirs[ws.title][cell.coordinate].value
                    if where in sentinels:
                        if str(want) != sentinels[where]:
                            failures.append(f"{name} {where}: LibreOffice gave {want!r}, not "
                                            f"{sentinels[where]}; did it recalculate?")
                        continue
                    if where in skip:
                        continue
                    if want == "#NAME?":
                        # A function this LibreOffice lacks (7.4 has no
                        # XLOOKUP), here or in a cell this one uses; the
                        # plugin rejects unknown names itself.
                        unknown.append(f"{name} {where} {text}")
                        continue
                    if got is None:
                        if all_cached:
                            failures.append(f"{name} {where} {text}: no cached value "
                                            f"(LibreOffice: {want!r})")
                        continue
                    compared += 1
                    if not same(got, want):
                        failures.append(f"{name} {where} {text}: cached {got!r}, "
                                        f"LibreOffice {want!r}")
    shutil.rmtree(out, ignore_errors=True)
    for u in unknown:
        print(f"not compared, LibreOffice does not know a function: {u}")
    for f in failures:
        print(f)
    print(f"{compared} cached results compared with LibreOffice, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
