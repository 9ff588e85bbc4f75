#!/usr/bin/env python3
"""Prints generated workbooks to PDF with LibreOffice and checks the pages.

Usage: python check_pdf.py OUT_DIR FILE.xlsx=PAGES...

Each workbook is converted by LibreOffice headless (`soffice --convert-to
pdf`, private profile). The PDF must have PAGES pages (pdfinfo), and for
every sheet the first and last header cell (the first non-empty row, read
with openpyxl) must be printed on the same page (pdftotext per page): a
table's columns are not split across pages. Every page is kept as a PNG
(pdftoppm -png -r 50) in OUT_DIR for looking at. Exits non-zero naming every
failure.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

try:
    import openpyxl
except ImportError:
    sys.exit("openpyxl is missing: pip install openpyxl==3.1.5")


def need(tool, package):
    path = shutil.which(tool)
    if not path:
        sys.exit(f"{tool} is missing: apt-get install {package}")
    return path


def headers(path):
    """(sheet, first header text, last header text) for each sheet."""
    wb = openpyxl.load_workbook(path, data_only=True)
    out = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            texts = [c.value for c in row if isinstance(c.value, str) and c.value.strip()]
            if len(texts) >= 2:
                out.append((ws.title, texts[0], texts[-1]))
                break
    return out


def main(argv):
    soffice = need("soffice", "libreoffice-calc")
    pdfinfo = need("pdfinfo", "poppler-utils")
    pdftotext = need("pdftotext", "poppler-utils")
    pdftoppm = need("pdftoppm", "poppler-utils")
    out_dir, wanted = argv[0], argv[1:]
    os.makedirs(out_dir, exist_ok=True)
    pdf_dir = tempfile.mkdtemp(prefix="xlsx-pdf-")
    profile = tempfile.mkdtemp(prefix=f"lo-xlsx-{os.getpid()}-")
    paths = [os.path.abspath(w.rsplit("=", 1)[0]) for w in wanted]
    try:
        subprocess.run(
            [soffice, f"-env:UserInstallation=file://{profile}", "--headless",
             "--convert-to", "pdf", "--outdir", pdf_dir, *paths],
            check=True, timeout=600, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    failures = []
    for item, path in zip(wanted, paths):
        want = int(item.rsplit("=", 1)[1])
        stem = os.path.splitext(os.path.basename(path))[0]
        pdf = os.path.join(pdf_dir, stem + ".pdf")
        if not os.path.exists(pdf):
            failures.append(f"{stem}: LibreOffice wrote no PDF")
            continue
        info = subprocess.run([pdfinfo, pdf], capture_output=True, text=True, check=True).stdout
        pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
        if pages != want:
            failures.append(f"{stem}: {pages} pages, want {want}")
        texts = [
            subprocess.run([pdftotext, "-layout", "-f", str(p), "-l", str(p), pdf, "-"],
                           capture_output=True, text=True, check=True).stdout
            for p in range(1, pages + 1)
        ]
        for sheet, first, last in headers(path):
            on = [i + 1 for i, t in enumerate(texts) if first in t]
            if not on:
                failures.append(f"{stem} {sheet}: header {first!r} is on no page")
            elif not any(last in texts[p - 1] for p in on):
                failures.append(f"{stem} {sheet}: header {first!r} is on pages {on} "
                                f"but {last!r} is on none of them")
        for old in os.listdir(out_dir):
            if old.startswith(stem + "-page") and old.endswith(".png"):
                os.remove(os.path.join(out_dir, old))
        subprocess.run([pdftoppm, "-png", "-r", "50", pdf, os.path.join(out_dir, stem + "-page")],
                       check=True)
        print(f"{stem}: {pages} pages")
    shutil.rmtree(pdf_dir, ignore_errors=True)
    for f in failures:
        print(f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
