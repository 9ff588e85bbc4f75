#!/usr/bin/env python3
"""Converts decks to PDF with LibreOffice and checks them with pypdf.

Usage: check_pdf.py <out-dir> <spec.json> <deck.pptx> [<spec.json> <deck.pptx> ...]

All decks are converted in one `soffice --headless --convert-to pdf` run
with a private profile (so it never meets a running LibreOffice). For each,
pypdf must find one page per slide (python-pptx counts the slides, so
continuation slides count) and every slide title's text in the PDF. The
first page of each PDF is kept as <out-dir>/<name>-1.png (pdftoppm, 50 dpi).
Prints one line per problem; exits 1 if there was any.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

try:
    from pptx import Presentation
    from pypdf import PdfReader
except ImportError:
    sys.exit("python-pptx or pypdf is missing: pip install python-pptx==1.0.2 pypdf==7.1.1")


def squash(text):
    return "".join(text.split())


def main():
    if len(sys.argv) < 4 or len(sys.argv) % 2 != 0:
        sys.exit(__doc__)
    out = sys.argv[1]
    pairs = list(zip(sys.argv[2::2], sys.argv[3::2]))
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        sys.exit("LibreOffice is missing: apt-get install libreoffice-impress")
    if not shutil.which("pdftoppm"):
        sys.exit("pdftoppm is missing: apt-get install poppler-utils")
    profile = tempfile.mkdtemp(prefix="kiln-pptx-lo-")
    try:
        result = subprocess.run(
            [soffice, f"-env:UserInstallation=file://{profile}", "--headless",
             "--convert-to", "pdf", "--outdir", out] + [deck for _, deck in pairs],
            capture_output=True, text=True, timeout=600)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    problems = []
    if result.returncode != 0:
        problems.append(f"soffice exited {result.returncode}: {result.stderr}")
    for spec_path, deck_path in pairs:
        name = os.path.splitext(os.path.basename(deck_path))[0]
        pdf = os.path.join(out, name + ".pdf")
        if not os.path.exists(pdf):
            problems.append(f"{name}: no PDF ({result.stdout} {result.stderr})")
            continue
        deck = Presentation(deck_path)
        titles = [s.shapes.title.text for s in deck.slides if s.shapes.title is not None and s.shapes.title.text]
        reader = PdfReader(pdf)
        if len(reader.pages) != len(deck.slides):
            problems.append(f"{name}: {len(reader.pages)} PDF pages for {len(deck.slides)} slides")
        text = squash("".join(page.extract_text() or "" for page in reader.pages))
        for title in titles:
            if squash(title) not in text:
                problems.append(f"{name}: title {title!r} is not in the PDF")
        with open(spec_path, encoding="utf-8") as f:
            spec_slides = len(json.load(f)["slides"])
        if len(deck.slides) < spec_slides:
            problems.append(f"{name}: {len(deck.slides)} slides for {spec_slides} spec slides")
        subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile", pdf,
                        os.path.join(out, name + "-1")], check=False)
    for p in problems:
        print(p)
    print(f"rendered {len(pairs)} decks, {len(problems)} problems")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
