"""W50 with reportlab's platypus, the peer of the plugin: the plugin's W50
spec (`kiln_plugin_pdf::bench::w50_spec()`: 50 sections of a heading, three
100-word paragraphs and a 10x5 table) typeset with a repeated header row and
grid borders. Run by the plugins bench (`scripts/bench`) through
`host/runtime/benches/peer.py`, which calls `build(spec, out)` once per
request and times it.
"""

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle


def build(spec, out):
    styles = getSampleStyleSheet()
    story = []
    for block in spec["blocks"]:
        if isinstance(block, str):
            story.append(Paragraph(block, styles["BodyText"]))
        elif "heading" in block:
            story.append(Paragraph(block["heading"], styles["Heading1"]))
        elif "table" in block:
            t = Table([block["table"]["header"]] + block["table"]["rows"], repeatRows=1)
            t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                                   ("BACKGROUND", (0, 0), (-1, 0), colors.lightblue)]))
            story.append(t)
        else:
            raise SystemExit(f"W50 does not use {block!r}")
    SimpleDocTemplate(out, pagesize=A4, title=spec["title"]).build(story)
