#!/usr/bin/env python3
"""Opens every file under a directory with the independent reader for its
format and checks it holds content. Usage: open_artifacts.py DIR

Prints one line per file; exits non-zero naming every file a reader
refused or found empty. The plugins' own tests compare content with their
specs in depth; this checks what kiln serve delivered, end to end.
"""

import json
import os
import sys
import xml.etree.ElementTree as ET


def xlsx(path):
    import openpyxl
    book = openpyxl.load_workbook(path)
    cells = sum(1 for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None)
    assert book.worksheets and cells, "no sheets or no cells"
    return f"{len(book.worksheets)} sheets, {cells} cells"


def docx(path):
    import docx as python_docx
    document = python_docx.Document(path)
    text = [p.text for p in document.paragraphs if p.text.strip()]
    tables = len(document.tables)
    assert text or tables, "no paragraph text and no table"
    return f"{len(text)} paragraphs, {tables} tables"


def pptx(path):
    import pptx as python_pptx
    deck = python_pptx.Presentation(path)
    slides = len(deck.slides)
    shapes = sum(len(s.shapes) for s in deck.slides)
    assert slides and shapes, "no slides or no shapes"
    return f"{slides} slides, {shapes} shapes"


def pdf(path):
    import pypdf
    reader = pypdf.PdfReader(path)
    text = "".join(page.extract_text() or "" for page in reader.pages)
    assert reader.pages and text.strip(), "no pages or no text"
    return f"{len(reader.pages)} pages, {len(text)} characters"


def tf(path):
    import hcl2
    with open(path, encoding="utf-8") as f:
        parsed = hcl2.load(f)
    return f"{len(parsed)} top-level keys"


def yaml_template(path):
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def intrinsic(loader, suffix, node):
        if isinstance(node, yaml.ScalarNode):
            return {suffix: loader.construct_scalar(node)}
        if isinstance(node, yaml.SequenceNode):
            return {suffix: loader.construct_sequence(node, deep=True)}
        return {suffix: loader.construct_mapping(node, deep=True)}

    Loader.add_multi_constructor("!", intrinsic)
    with open(path, encoding="utf-8") as f:
        data = yaml.load(f, Loader=Loader)
    assert isinstance(data, dict) and data, "not a mapping"
    return f"{len(data)} top-level keys"


def json_file(path):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    assert data is not None, "empty"
    return type(data).__name__


def svg(path):
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg") and len(root), "not an SVG with content"
    return f"{len(list(root.iter()))} elements"


def text(path):
    with open(path, encoding="utf-8") as f:
        content = f.read()
    assert content.strip(), "empty"
    return f"{len(content)} characters"


READERS = {
    ".xlsx": xlsx, ".docx": docx, ".pptx": pptx, ".pdf": pdf, ".tf": tf,
    ".yaml": yaml_template, ".yml": yaml_template, ".json": json_file, ".svg": svg,
    ".md": text, ".txt": text, ".example": text, ".tfvars": text,
}


def main():
    failures, count = [], 0
    for folder, _, files in os.walk(sys.argv[1]):
        for name in sorted(files):
            path = os.path.join(folder, name)
            reader = READERS.get(os.path.splitext(name)[1].lower())
            if reader is None:
                failures.append(f"{path}: no reader for this kind of file")
                continue
            count += 1
            try:
                print(f"{path}: {reader(path)}")
            except Exception as e:  # noqa: BLE001 - every failure is reported
                failures.append(f"{path}: {type(e).__name__}: {e}")
    for failure in failures:
        print("FAIL", failure)
    if failures or count == 0:
        sys.exit(1)


if __name__ == "__main__":
    main()
