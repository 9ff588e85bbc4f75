"""W50 with reportlab's platypus: 50 sections of a heading, three 100-word
paragraphs and a 10x5 table, the same content as examples/bench_native.rs."""
import io
import statistics
import time

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

WORDS = ["the", "quarterly", "report", "shows", "steady", "growth", "across", "all", "regions", "while", "costs",
         "remain", "under", "control", "and", "teams", "deliver", "projects", "on", "time"]


def build():
    styles = getSampleStyleSheet()
    story = []
    for s in range(50):
        story.append(Paragraph(f"Section {s + 1}", styles["Heading1"]))
        for p in range(3):
            words = [WORDS[(s * 7 + p * 13 + i * 3) % len(WORDS)] for i in range(100)]
            story.append(Paragraph(" ".join(words) + ".", styles["BodyText"]))
        data = [[f"Col {c + 1}" for c in range(5)]]
        data += [[str((s + 1) * (r + 1) * (c + 1)) for c in range(5)] for r in range(10)]
        t = Table(data, repeatRows=1)
        t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.lightblue)]))
        story.append(t)
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, title="W50").build(story)
    return buf.getvalue()


times = []
size = 0
for _ in range(7):
    start = time.perf_counter()
    size = len(build())
    times.append((time.perf_counter() - start) * 1000)
print(f"W50 reportlab: median {statistics.median(times):.1f} ms, {size} bytes")
