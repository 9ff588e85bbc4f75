#!/usr/bin/env python3
"""Reads generated .docx files back with python-docx and compares them with
what their specs say.

Usage: python check_docx.py <dir>

<dir> holds pairs NAME.docx and NAME.expect.json; the expectation is derived
from the spec by the Rust tests (tests/all/expect.rs): headings (level, text),
body paragraph texts in order, list items (level, text), table grids (cell
texts, with spans repeated as python-docx repeats them), images (alt text),
sections (orientation, page size, header/footer text), title and author.
Exits non-zero, naming every mismatch.
"""

import glob
import json
import os
import sys

try:
    import docx
    from docx.oxml.ns import qn
    from docx.shared import Emu
except ImportError:
    sys.exit("python-docx is missing: pip install python-docx==1.2.0")


def check(path, want):
    failures = []

    def fail(what):
        failures.append(what)

    d = docx.Document(path)
    cp = d.core_properties
    if (cp.title or "") != want["title"]:
        fail(f"title: got {cp.title!r}, want {want['title']!r}")
    if (cp.author or "") != want["author"]:
        fail(f"author: got {cp.author!r}, want {want['author']!r}")

    paras = d.paragraphs
    headings = []
    for p in paras:
        name = p.style.name if p.style is not None else ""
        if name.startswith("Heading "):
            headings.append([int(name.split()[1]), p.text])
    if headings != want["headings"]:
        fail(f"headings: got {headings!r}, want {want['headings']!r}")

    # Every expected body paragraph, in order (a subsequence of what is there).
    texts = [p.text for p in paras]
    i = 0
    for t in want["paragraphs"]:
        if not t:
            continue
        while i < len(texts) and texts[i] != t:
            i += 1
        if i == len(texts):
            fail(f"paragraph missing or out of order: {t!r}")
            break
        i += 1

    items = []
    for p in paras:
        ppr = p._p.pPr
        numpr = ppr.find(qn("w:numPr")) if ppr is not None else None
        if numpr is not None:
            ilvl = numpr.find(qn("w:ilvl"))
            items.append([int(ilvl.get(qn("w:val"))) if ilvl is not None else 0, p.text])
    if items != want["list_items"]:
        fail(f"list items: got {items!r}, want {want['list_items']!r}")

    tables = [[[c.text for c in row.cells] for row in t.rows] for t in d.tables]
    if tables != want["tables"]:
        for n, (got, exp) in enumerate(zip(tables, want["tables"])):
            if got != exp:
                fail(f"table {n}: got {got!r}, want {exp!r}")
        if len(tables) != len(want["tables"]):
            fail(f"{len(tables)} tables, want {len(want['tables'])}")

    shapes = d.inline_shapes
    if len(shapes) != len(want["images"]):
        fail(f"{len(shapes)} images, want {len(want['images'])}")
    else:
        for n, (shape, alt) in enumerate(zip(shapes, want["images"])):
            doc_pr = shape._inline.docPr
            if (doc_pr.get("descr") or "") != alt:
                fail(f"image {n} alt text: got {doc_pr.get('descr')!r}, want {alt!r}")
            if shape.width <= 0 or shape.height <= 0:
                fail(f"image {n} has no size")
            # The picture part is really there and non-empty.
            rid = shape._inline.graphic.graphicData.pic.blipFill.blip.embed
            if not d.part.related_parts[rid].blob:
                fail(f"image {n}: empty picture part")

    secs = d.sections
    if len(secs) != len(want["sections"]):
        fail(f"{len(secs)} sections, want {len(want['sections'])}")
    for n, (s, w) in enumerate(zip(secs, want["sections"])):
        orient = "landscape" if s.orientation == 1 else "portrait"
        if orient != w["orientation"]:
            fail(f"section {n} orientation: got {orient}, want {w['orientation']}")
        for attr, key in (("page_width", "width_pt"), ("page_height", "height_pt")):
            got = Emu(getattr(s, attr)).pt
            if abs(got - w[key]) > 1.0:
                fail(f"section {n} {attr}: got {got:.1}pt, want {w[key]:.1}pt")
        for kind in ("header", "footer"):
            part = getattr(s, kind)
            text = "\n".join(p.text for p in part.paragraphs)
            for piece in w[kind]:
                if piece not in text:
                    fail(f"section {n} {kind}: {piece!r} not in {text!r}")
    return failures


def main():
    folder = sys.argv[1]
    paths = sorted(glob.glob(os.path.join(folder, "*.docx")))
    if not paths:
        sys.exit(f"no .docx files in {folder}")
    bad = 0
    for path in paths:
        with open(path[: -len(".docx")] + ".expect.json", encoding="utf-8") as f:
            want = json.load(f)
        try:
            failures = check(path, want)
        except Exception as e:  # a file python-docx cannot open is a failure too
            failures = [f"python-docx could not read it: {e!r}"]
        if failures:
            bad += 1
            print(f"FAIL {os.path.basename(path)}")
            for f in failures:
                print(f"  - {f}")
        else:
            print(f"ok   {os.path.basename(path)}")
    print(f"{len(paths) - bad}/{len(paths)} documents match their specs")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
