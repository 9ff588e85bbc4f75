#!/usr/bin/env python3
"""The benchmark workload built with openpyxl, as a baseline for the plugin.

<spec> is the plugin's benchmark spec (`kiln_plugin_xlsx::bench::
benchmark_spec()`). `build` makes the same workbook as the plugin: the
same sheets, cells (numbers, text, dates), column widths, frozen panes,
number formats, fonts, fills, borders and alignment, with styles layered
column, then row (or header), then cell. It uses a normal openpyxl Workbook
(not write_only mode). Run by the plugins bench (`scripts/bench`) through
`host/runtime/benches/peer.py`, which calls `build(spec, out)` once per
request and times it.

Only the spec features the benchmark uses are interpreted; anything else
stops the script rather than being silently skipped.
"""

import datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

# The plugin's default header style (when a sheet names no header_style).
DEFAULT_HEADER = {"bold": True, "fill_color": "#D9E1F2", "border_bottom": "thin"}

STYLE_FIELDS = {
    "base", "bold", "italic", "underline", "font_size", "font_color", "fill_color",
    "border", "border_bottom", "border_top", "border_left", "border_right",
    "align", "valign", "wrap", "num_format",
}
SHEET_FIELDS = {"name", "columns", "header", "header_style", "rows", "freeze"}


def argb(color):
    return "FF" + color.lstrip("#").upper()


def flatten(styles, ref):
    """A style reference (name or inline object) as a flat dict."""
    if ref is None:
        return {}
    style = styles[ref] if isinstance(ref, str) else ref
    unknown = set(style) - STYLE_FIELDS
    if unknown:
        raise SystemExit(f"unsupported style fields: {sorted(unknown)}")
    flat = dict(flatten(styles, style["base"])) if "base" in style else {}
    flat.update({k: v for k, v in style.items() if k != "base"})
    return flat


class Formats:
    """openpyxl style objects per distinct effective style, built once."""

    def __init__(self):
        self.cache = {}

    def get(self, style):
        key = tuple(sorted(style.items()))
        if key not in self.cache:
            self.cache[key] = self.build(style)
        return self.cache[key]

    @staticmethod
    def build(style):
        font = Font(
            bold=style.get("bold", False),
            italic=style.get("italic", False),
            underline="single" if style.get("underline") else None,
            size=style.get("font_size", 11),
            color=argb(style["font_color"]) if "font_color" in style else None,
        )
        fill = (
            PatternFill(fill_type="solid", fgColor=argb(style["fill_color"]))
            if "fill_color" in style
            else None
        )
        sides = {}
        for side in ("top", "bottom", "left", "right"):
            kind = style.get(f"border_{side}", style.get("border"))
            if kind and kind != "none":
                sides[side] = Side(style=kind)
        border = Border(**sides) if sides else None
        alignment = None
        if any(k in style for k in ("align", "valign", "wrap")):
            alignment = Alignment(
                horizontal=style.get("align"),
                vertical=style.get("valign"),
                wrap_text=style.get("wrap"),
            )
        return font, fill, border, alignment, style.get("num_format")


def apply(cell, formats, style):
    font, fill, border, alignment, num_format = formats.get(style)
    cell.font = font
    if fill is not None:
        cell.fill = fill
    if border is not None:
        cell.border = border
    if alignment is not None:
        cell.alignment = alignment
    if num_format is not None:
        cell.number_format = num_format


def column_letters_to_index(letters):
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def columns_of(key):
    first, _, last = key.partition(":")
    a = column_letters_to_index(first)
    b = column_letters_to_index(last or first)
    return range(min(a, b), max(a, b) + 1)


def value_of(cell):
    """(value, is_date) of a spec cell, and its own style reference."""
    if isinstance(cell, dict):
        unknown = set(cell) - {"value", "date", "style"}
        if unknown:
            raise SystemExit(f"unsupported cell fields: {sorted(unknown)}")
        if "date" in cell:
            return datetime.date.fromisoformat(cell["date"]), True, cell.get("style")
        return cell.get("value"), False, cell.get("style")
    if isinstance(cell, str) and cell.startswith("="):
        raise SystemExit("formulas are not part of the benchmark workload")
    return cell, False, None


def build(spec, out):
    workbook(spec).save(out)


def workbook(spec):
    styles = spec.get("styles", {})
    formats = Formats()
    wb = Workbook()
    wb.remove(wb.active)
    if "title" in spec.get("properties", {}):
        wb.properties.title = spec["properties"]["title"]
    for sheet in spec["sheets"]:
        unknown = set(sheet) - SHEET_FIELDS
        if unknown:
            raise SystemExit(f"unsupported sheet fields: {sorted(unknown)}")
        ws = wb.create_sheet(sheet["name"])
        column_styles = {}
        for key, column in sheet.get("columns", {}).items():
            for index in columns_of(key):
                letter = ws.cell(row=1, column=index).column_letter
                if "width" in column:
                    ws.column_dimensions[letter].width = column["width"]
                if "style" in column:
                    column_styles[index] = flatten(styles, column["style"])

        def write_row(row_index, cells, row_style):
            for offset, spec_cell in enumerate(cells):
                value, is_date, cell_style = value_of(spec_cell)
                if value is None and cell_style is None:
                    continue
                col = 1 + offset
                cell = ws.cell(row=row_index, column=col, value=value)
                style = dict(column_styles.get(col, {}))
                style.update(row_style)
                style.update(flatten(styles, cell_style))
                if is_date and "num_format" not in style:
                    style["num_format"] = "yyyy-mm-dd"
                if style:
                    apply(cell, formats, style)

        row_index = 1
        if "header" in sheet:
            header_style = (
                flatten(styles, sheet["header_style"]) if "header_style" in sheet else DEFAULT_HEADER
            )
            write_row(row_index, sheet["header"], header_style)
            row_index += 1
        for row in sheet.get("rows", []):
            if isinstance(row, dict):
                unknown = set(row) - {"cells", "style"}
                if unknown:
                    raise SystemExit(f"unsupported row fields: {sorted(unknown)}")
                write_row(row_index, row.get("cells", []), flatten(styles, row.get("style")))
            else:
                write_row(row_index, row, {})
            row_index += 1
        if "freeze" in sheet:
            ws.freeze_panes = sheet["freeze"]
    return wb
