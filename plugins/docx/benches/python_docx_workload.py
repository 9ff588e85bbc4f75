#!/usr/bin/env python3
"""The W50 workload built with python-docx, as a baseline for the plugin.

<spec> is the plugin's W50 spec (`kiln_plugin_docx::bench::w50_spec()`).
`build` makes the same content: per section a new-page section break, a
level-1 heading, three paragraphs and a table with a bold header row and
grid borders. Run by the plugins bench (`scripts/bench`) through
`host/runtime/benches/peer.py`, which calls `build(spec, out)` once per
request and times it.

Only what W50 uses is interpreted; anything else stops the script.
"""

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
