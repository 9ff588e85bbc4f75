#!/usr/bin/env python3
"""The W50 workload built with python-docx, as a baseline for the plugin.

Usage: python python_docx_workload.py <spec.json> <out.docx> [repeats]

<spec.json> is the plugin's W50 spec (`kiln_plugin_docx::bench::w50_spec()`,
written to disk by `cargo run --release --example bench_native -- spec.json`).
Each repetition parses the spec and builds the same content: per section a
new-page section break, a level-1 heading, three paragraphs and a table with
a bold header row and grid borders, then saves to <out.docx>. Prints the
median seconds per document as `python_docx_median_s=<float>`.

Only what W50 uses is interpreted; anything else stops the script.
"""

import json
import statistics
import sys
import time

from docx import Document
from docx.enum.section import WD_SECTION


def build(spec, out):
    doc = Document()
    doc.core_properties.title = spec["title"]
    for n, section in enumerate(spec["sections"]):
        if n > 0:
            doc.add_section(WD_SECTION.NEW_PAGE)
        for block in section["blocks"]:
            if isinstance(block, str):
                doc.add_paragraph(block)
            elif "heading" in block:
                doc.add_heading(block["heading"], level=1)
            elif "table" in block:
                t = block["table"]
                rows = [t["header"]] + t["rows"]
                table = doc.add_table(rows=len(rows), cols=len(t["header"]))
                table.style = "Table Grid"
                for r, row in enumerate(rows):
                    cells = table.rows[r].cells
                    for c, value in enumerate(row):
                        if r == 0:
                            cells[c].paragraphs[0].add_run(str(value)).bold = True
                        else:
                            cells[c].text = str(value)
            else:
                raise SystemExit(f"W50 does not use {block!r}")
    doc.save(out)


def main():
    spec_path, out = sys.argv[1], sys.argv[2]
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        with open(spec_path, encoding="utf-8") as f:
            spec = json.load(f)
        build(spec, out)
        times.append(time.perf_counter() - start)
    print(f"python_docx_median_s={statistics.median(times):.6f}")


if __name__ == "__main__":
    main()
