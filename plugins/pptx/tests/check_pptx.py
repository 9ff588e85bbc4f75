#!/usr/bin/env python3
"""Reads generated decks with python-pptx and compares them with their specs.

Usage: check_pptx.py <assets-dir> <spec.json> <deck.pptx> [<spec.json> <deck.pptx> ...]

For every pair it checks, independently of the plugin's code: the slide size,
the slide count (slides titled "<title> (cont.)" are continuations of the one
before and are merged back), each slide's layout name, title, body text and
bullet levels, hyperlinks, table cells, chart type, categories, series names
and values (in the chart and in its embedded workbook), pictures (bytes and aspect ratio), speaker notes and slide
numbers. Prints one line per problem; exits 1 if there was any.
"""

import json
import os
import re
import sys

try:
    import io

    import openpyxl
    from pptx import Presentation
    from pptx.enum.chart import XL_CHART_TYPE
    from pptx.util import Emu
except ImportError:
    sys.exit("python-pptx or openpyxl is missing: pip install python-pptx==1.0.2 openpyxl==3.1.5")

LAYOUT_NAMES = {
    "title": "Title Slide",
    "bullets": "Title and Content",
    "two_columns": "Two Content",
    "section": "Section Header",
    "table": "Title and Table",
    "image": "Picture with Caption",
    "quote": "Quote",
    "big_number": "Big Number",
    "chart": "Title and Chart",
}
CHART_TYPES = {
    "column": XL_CHART_TYPE.COLUMN_CLUSTERED,
    "bar": XL_CHART_TYPE.BAR_CLUSTERED,
    "line": XL_CHART_TYPE.LINE_MARKERS,
    "pie": XL_CHART_TYPE.PIE,
}


def infer_layout(slide, index):
    if "layout" in slide:
        return slide["layout"]
    for field, layout in [("chart", "chart"), ("table", "table"), ("image", "image"),
                          ("quote", "quote"), ("number", "big_number"), ("left", "two_columns"),
                          ("right", "two_columns"), ("bullets", "bullets")]:
        if field in slide:
            return layout
    return "title" if index == 0 else "section"


def plain(text):
    """Markdown-ish text as it reads: markers removed, whitespace collapsed,
    characters XML cannot hold dropped."""
    text = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", r"\1", text)
    text = re.sub(r"[*_`\\]", "", text)
    text = "".join(c for c in text if c in "\t\n" or ord(c) >= 0x20)
    return " ".join(text.split())


def links(text):
    return re.findall(r"\[[^\]]+\]\(([^)\s]+)\)", text)


def flatten(items, base=0):
    """(level, text) per bullet, as the spec means it."""
    out = []
    for item in items:
        if isinstance(item, list):
            out.extend(flatten(item, base + 1))
        elif isinstance(item, dict):
            level, text = flatten([item["text"]], base)[0]
            out.append((level, text))
            out.extend(flatten(item.get("bullets", []), level + 1))
        else:
            stripped = item.lstrip(" \t")
            indent = sum(2 if c == "\t" else 1 for c in item[: len(item) - len(stripped)])
            for marker in ("- ", "* ", "• ", "+ "):
                if stripped.startswith(marker):
                    stripped = stripped[len(marker):]
                    break
            out.append((min(base + indent // 2, 4), stripped))
    return out


def cell_text(value):
    if value is None:
        return ""
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return value


def placeholder(slide, idx):
    for shape in slide.placeholders:
        if shape.placeholder_format.idx == idx:
            return shape
    return None


class Checker:
    def __init__(self, name, assets):
        self.name = name
        self.assets = assets
        self.problems = []

    def expect(self, cond, where, message):
        if not cond:
            self.problems.append(f"{self.name}: {where}: {message}")

    def eq(self, where, what, expected, found):
        self.expect(expected == found, where, f"{what}: expected {expected!r}, found {found!r}")

    def check(self, spec, deck):
        wide = spec.get("aspect_ratio", "16:9") == "16:9"
        self.eq("deck", "slide width", 12192000 if wide else 9144000, deck.slide_width)
        self.eq("deck", "slide height", 6858000, deck.slide_height)
        groups = []
        for out in deck.slides:
            title = out.shapes.title.text if out.shapes.title is not None else None
            if groups and title and title.endswith(" (cont.)") and groups[-1][0] == title[: -len(" (cont.)")]:
                groups[-1][1].append(out)
            else:
                groups.append((title, [out]))
        self.eq("deck", "slide count (continuations merged)", len(spec["slides"]), len(groups))
        numbers = spec.get("slide_numbers", True)
        for i, (slide, (title, outs)) in enumerate(zip(spec["slides"], groups)):
            where = f"slide {i + 1}"
            layout = infer_layout(slide, i)
            for out in outs:
                self.eq(where, "layout", LAYOUT_NAMES[layout], out.slide_layout.name)
                has_number = any(s.placeholder_format.type is not None and s.placeholder_format.idx == 12 for s in out.placeholders)
                self.eq(where, "slide number shown", numbers and layout != "title", has_number)
            self.eq(where, "title", plain(slide["title"]) if "title" in slide else None,
                    plain(title) if title is not None else None)
            getattr(self, "body_" + layout)(where, slide, outs)
            notes = outs[0].notes_slide.notes_text_frame.text if outs[0].has_notes_slide else None
            expected = plain(slide["notes"]) if "notes" in slide else None
            self.eq(where, "notes", expected, plain(notes) if notes is not None else None)

    def paragraphs(self, shape):
        return [(p.level, plain("".join(r.text for r in p.runs))) for p in shape.text_frame.paragraphs] if shape else []

    def hyperlinks(self, shapes):
        found = []
        for shape in shapes:
            if shape is not None and shape.has_text_frame:
                for p in shape.text_frame.paragraphs:
                    found.extend(r.hyperlink.address for r in p.runs if r.hyperlink.address)
        return found

    def body_title(self, where, slide, outs):
        sub = placeholder(outs[0], 1)
        expected = plain(slide.get("subtitle", ""))
        found = " ".join(t for _, t in self.paragraphs(sub))
        self.eq(where, "subtitle", expected, plain(found))

    body_section = body_title

    def body_bullets(self, where, slide, outs):
        expected = [(lvl, plain(t)) for lvl, t in flatten(slide["bullets"])]
        found = [p for out in outs for p in self.paragraphs(placeholder(out, 1))]
        self.eq(where, "bullets (level, text)", expected, found)
        want = [u for b in flatten(slide["bullets"]) for u in links(b[1])]
        self.eq(where, "hyperlinks", want, self.hyperlinks(placeholder(o, 1) for o in outs))

    def body_two_columns(self, where, slide, outs):
        for side, idx in (("left", 1), ("right", 2)):
            expected = []
            if f"{side}_heading" in slide:
                expected.append(plain(slide[f"{side}_heading"]))
            expected += [plain(t) for _, t in flatten(slide.get(side, []))]
            found = [t for out in outs for _, t in self.paragraphs(placeholder(out, idx)) if t]
            self.eq(where, f"{side} column", expected, found)

    def body_table(self, where, slide, outs):
        table = slide["table"]
        header = table.get("header")
        expected = [[cell_text(c) for c in r] for r in table["rows"]]
        found = []
        for out in outs:
            frames = [s for s in out.shapes if s.has_table]
            self.eq(where, "tables on the slide", 1, len(frames))
            if not frames:
                return
            rows = [[c.text for c in r.cells] for r in frames[0].table.rows]
            if header is not None:
                self.eq(where, "header row", [cell_text(c) for c in header], rows[0])
                rows = rows[1:]
            found += rows
        self.eq(where, "table rows", [[plain(c) for c in r] for r in expected], [[plain(c) for c in r] for r in found])

    def body_chart(self, where, slide, outs):
        spec = slide["chart"]
        charts = [s.chart for s in outs[0].shapes if s.has_chart]
        self.eq(where, "charts on the slide", 1, len(charts))
        if not charts:
            return
        chart = charts[0]
        self.eq(where, "chart type", CHART_TYPES[spec.get("type", "column")], chart.chart_type)
        plot = chart.plots[0]
        self.eq(where, "categories", spec["categories"], list(plot.categories))
        self.eq(where, "series names", [s["name"] for s in spec["series"]], [s.name for s in plot.series])
        for k, (s, series) in enumerate(zip(spec["series"], plot.series)):
            self.eq(where, f"series {k} values", [None if v is None else float(v) for v in s["values"]], list(series.values))
        # The embedded workbook behind "Edit Data" holds the same data.
        sheet = openpyxl.load_workbook(io.BytesIO(chart.part.chart_workbook.xlsx_part.blob)).active
        rows = [[c.value for c in r] for r in sheet.iter_rows()]
        expected = [[None] + [s["name"] for s in spec["series"]]] + [
            [c] + [s["values"][k] for s in spec["series"]] for k, c in enumerate(spec["categories"])]
        self.eq(where, "embedded workbook", expected, rows)
        if "title" in spec:
            self.eq(where, "chart title", spec["title"], chart.chart_title.text_frame.text if chart.has_title else None)

    def body_image(self, where, slide, outs):
        pics = [s for s in outs[0].shapes if s.shape_type == 13]
        self.eq(where, "pictures", 1, len(pics))
        if not pics:
            return
        with open(os.path.join(self.assets, slide["image"]), "rb") as f:
            data = f.read()
        self.expect(pics[0].image.blob == data, where, "picture bytes differ from the asset")
        w, h = pics[0].image.size
        ratio = pics[0].width / pics[0].height
        self.expect(abs(ratio - w / h) < 0.01, where, f"aspect ratio {ratio:.3f}, image is {w / h:.3f}")
        if "caption" in slide:
            self.eq(where, "caption", plain(slide["caption"]), plain(placeholder(outs[0], 2).text_frame.text))

    def body_quote(self, where, slide, outs):
        self.eq(where, "quote", plain(f"“{slide['quote']}”"), plain(placeholder(outs[0], 1).text_frame.text))
        if "attribution" in slide:
            self.eq(where, "attribution", plain(f"— {slide['attribution']}"), plain(placeholder(outs[0], 2).text_frame.text))

    def body_big_number(self, where, slide, outs):
        self.eq(where, "number", slide["number"], placeholder(outs[0], 1).text_frame.text)
        if "caption" in slide:
            self.eq(where, "caption", plain(slide["caption"]), plain(placeholder(outs[0], 2).text_frame.text))


def main():
    if len(sys.argv) < 4 or len(sys.argv) % 2 != 0:
        sys.exit(__doc__)
    assets = sys.argv[1]
    problems = []
    pairs = list(zip(sys.argv[2::2], sys.argv[3::2]))
    for spec_path, deck_path in pairs:
        with open(spec_path, encoding="utf-8") as f:
            spec = json.load(f)
        checker = Checker(os.path.basename(spec_path), assets)
        try:
            checker.check(spec, Presentation(deck_path))
        except Exception as e:  # a crash is a finding too
            checker.problems.append(f"{checker.name}: reading failed: {type(e).__name__}: {e}")
        problems += checker.problems
    for p in problems:
        print(p)
    print(f"checked {len(pairs)} decks, {len(problems)} problems")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
