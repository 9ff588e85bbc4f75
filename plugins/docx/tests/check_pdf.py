#!/usr/bin/env python3
"""Converts generated .docx files to PDF with LibreOffice and checks them.

Usage: python check_pdf.py <dir>

For every NAME.docx in <dir> with a NAME.pdf.json ({"min_pages", "max_pages",
"headings": [...]}) beside it: `soffice --headless --convert-to pdf` (with a
private profile, so parallel runs do not clash), then pypdf checks that the
page count is in range and that every heading's text is in the PDF's text.
The first page is kept as NAME.png (pdftoppm, 50 dpi) for a person to look at.
Exits non-zero, naming every mismatch.
"""

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

try:
    from pypdf import PdfReader
except ImportError:
    sys.exit("pypdf is missing: pip install pypdf==7.1.1")


def squash(text):
    return "".join(text.split())


def main():
    folder = os.path.abspath(sys.argv[1])
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        sys.exit("LibreOffice is missing: apt-get install libreoffice-writer (soffice must be on PATH)")
    for tool in ("pdftoppm", "pdftotext"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: apt-get install poppler-utils")
    specs = sorted(glob.glob(os.path.join(folder, "*.pdf.json")))
    if not specs:
        sys.exit(f"no *.pdf.json in {folder}")
    bad = 0
    with tempfile.TemporaryDirectory(prefix="kiln-docx-lo-") as profile:
        for spec in specs:
            name = os.path.basename(spec)[: -len(".pdf.json")]
            docx = os.path.join(folder, name + ".docx")
            with open(spec, encoding="utf-8") as f:
                want = json.load(f)
            failures = []
            run = subprocess.run(
                [soffice, f"-env:UserInstallation=file://{profile}", "--headless",
                 "--convert-to", "pdf", "--outdir", folder, docx],
                capture_output=True, text=True, timeout=180,
            )
            pdf = os.path.join(folder, name + ".pdf")
            if run.returncode != 0 or not os.path.exists(pdf):
                failures.append(f"LibreOffice did not convert it: {run.stdout} {run.stderr}")
            else:
                reader = PdfReader(pdf)
                pages = len(reader.pages)
                if not want["min_pages"] <= pages <= want["max_pages"]:
                    failures.append(f"{pages} pages, want {want['min_pages']}..{want['max_pages']}")
                text = squash("".join(page.extract_text() or "" for page in reader.pages))
                poppler = None
                for heading in want["headings"]:
                    if squash(heading) in text:
                        continue
                    # Without a font for a script (CJK on a machine without
                    # fonts-noto-cjk) LibreOffice draws missing glyphs, which
                    # pypdf cannot map back; poppler uses the PDF's ToUnicode
                    # map per character and still can.
                    if poppler is None:
                        poppler = squash(subprocess.run(
                            ["pdftotext", "-enc", "UTF-8", pdf, "-"],
                            capture_output=True, text=True, check=False,
                        ).stdout)
                    if squash(heading) not in poppler:
                        failures.append(f"heading {heading!r} is not in the PDF text")
                subprocess.run(
                    ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile", pdf,
                     os.path.join(folder, name)],
                    check=False,
                )
            if failures:
                bad += 1
                print(f"FAIL {name}")
                for f in failures:
                    print(f"  - {f}")
            else:
                print(f"ok   {name} ({pages} pages)")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
