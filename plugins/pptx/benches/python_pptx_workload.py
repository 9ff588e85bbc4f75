#!/usr/bin/env python3
"""The benchmark deck built with python-pptx, as a baseline for the plugin.

Usage: python python_pptx_workload.py <spec.json> <out.pptx> [repeats]

<spec.json> is the plugin's benchmark spec (`kiln_plugin_pptx::bench::
benchmark_spec()`, written e.g. by `cargo run --release --example
bench_native -- spec.json`): 50 slides, each a title and 5 bullets, every 5th
a table with a header row. Each repetition parses the spec and builds the
deck from python-pptx's default template (16:9): "Title and Content" slides
with the bullets in the body placeholder, "Title Only" slides with a table
shape, then saves it to <out.pptx>. Prints the median seconds per deck as
`python_pptx_median_s=<float>`.
"""

import json
import statistics
import sys
import time

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


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as f:
        text = f.read()
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        build(json.loads(text), sys.argv[2])
        times.append(time.perf_counter() - start)
    print(f"python_pptx_median_s={statistics.median(times):.6f}")


if __name__ == "__main__":
    main()
