#!/usr/bin/env python3
"""The benchmark deck built with python-pptx, as a baseline for the plugin.

<spec> is the plugin's benchmark spec (`kiln_plugin_pptx::bench::
benchmark_spec()`): 50 slides, each a title and 5 bullets, every 5th a
table with a header row. `build` makes the deck from python-pptx's default
template (16:9): "Title and Content" slides with the bullets in the body
placeholder, "Title Only" slides with a table shape. Run by the plugins bench (`scripts/bench`) through
`host/runtime/benches/peer.py`, which calls `build(spec, out)` once per
request and times it.
"""

from pptx import Presentation
from pptx.util import Emu, Pt


def build(spec, out):
    deck = Presentation()
    deck.slide_width, deck.slide_height = Emu(12192000), Emu(6858000)
    bullets_layout, title_only = deck.slide_layouts[1], deck.slide_layouts[5]
    for slide in spec["slides"]:
        if slide["layout"] == "table":
            s = deck.slides.add_slide(title_only)
            s.shapes.title.text = slide["title"]
            table = slide["table"]
            rows = [table["header"]] + table["rows"]
            shape = s.shapes.add_table(len(rows), len(rows[0]), Emu(609600), Emu(1371600), Emu(10972800), Emu(370840 * len(rows)))
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    cell = shape.table.cell(r, c)
                    cell.text = str(value)
                    cell.text_frame.paragraphs[0].runs[0].font.size = Pt(20)
        elif slide["layout"] == "bullets":
            s = deck.slides.add_slide(bullets_layout)
            s.shapes.title.text = slide["title"]
            body = s.placeholders[1].text_frame
            body.text = slide["bullets"][0]
            for b in slide["bullets"][1:]:
                body.add_paragraph().text = b
        else:
            raise SystemExit(f"layout {slide['layout']!r} is not part of the benchmark")
    deck.save(out)
