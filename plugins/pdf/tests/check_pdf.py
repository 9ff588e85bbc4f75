"""Reads a generated PDF with pypdf, pdftotext and pdffonts and compares it with its spec.

Usage: check_pdf.py SPEC.json OUT.pdf [--expect-header TEXT] [--page-of-pages] [--toc]
Prints a JSON summary; exits 1 with the reasons on any mismatch.
"""
import json
import re
import subprocess
import sys

try:
    import pypdf
except ImportError:
    print("pypdf is missing: pip install pypdf==7.1.1 (into the interpreter in KILN_TEST_PYTHON)")
    sys.exit(2)


def norm(text):
    return re.sub(r"\s+", " ", text.replace("\u00ad", "")).strip()


def squash(text):
    return re.sub(r"\s+", "", text.replace("\u00ad", ""))


def runs_text(value):
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float, bool)):
        return str(value)
    if isinstance(value, list):
        return "".join(runs_text(v) for v in value)
    if isinstance(value, dict):
        return runs_text(value.get("text", ""))
    return ""


def walk(blocks, headings, paras):
    if isinstance(blocks, str):
        paras.append(blocks)
        return
    for b in blocks or []:
        if isinstance(b, str):
            paras.append(b)
            continue
        if not isinstance(b, dict) or len(b) != 1:
            continue
        (kind, v), = b.items()
        if kind == "heading":
            headings.append((1 if isinstance(v, str) else v.get("level", 1), runs_text(v)))
        elif kind == "paragraph":
            runs = v if isinstance(v, list) else (v.get("text") if isinstance(v, dict) else v)
            if isinstance(runs, list) and any(isinstance(r, dict) and "footnote" in r for r in runs):
                # Footnote marks sit between the runs; compare run by run.
                for r in runs:
                    paras.append(runs_text(r))
                    if isinstance(r, dict) and "footnote" in r:
                        walk([r["footnote"]] if isinstance(r["footnote"], str) else r["footnote"], headings, paras)
            else:
                paras.append(runs_text(v))
        elif kind == "markdown":
            in_code = False
            for line in v.splitlines():
                if line.startswith("```"):
                    in_code = not in_code
                m = re.match(r"^(#{1,6})\s+(.*)$", line)
                if m and not in_code:
                    headings.append((len(m.group(1)), m.group(2).strip()))
        elif kind == "quote":
            walk(v, headings, paras)
        elif kind in ("bullets", "numbered") or (kind == "list"):
            items = v if isinstance(v, list) else v.get("items", [])
            for it in items:
                paras.append(runs_text(it))
        elif kind == "code":
            paras.append(v if isinstance(v, str) else v.get("text", ""))
        elif kind == "table":
            for row in ([v.get("header")] if v.get("header") else []) + v.get("rows", []):
                for cell in row:
                    paras.append(runs_text(cell))


def outline_titles(reader):
    out = []

    def rec(items, depth):
        for it in items:
            if isinstance(it, list):
                rec(it, depth + 1)
            else:
                out.append((depth, it.title, reader.get_destination_page_number(it)))

    rec(reader.outline, 1)
    return out


def tags(reader):
    """How many structure elements of each type the tag tree holds."""
    counts = {}
    root = reader.trailer["/Root"].get("/StructTreeRoot")
    stack = [root.get_object()] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, pypdf.generic.ArrayObject):
            stack.extend(k.get_object() for k in node)
            continue
        if not isinstance(node, pypdf.generic.DictionaryObject):
            continue
        if "/S" in node:
            kind = str(node["/S"]).lstrip("/")
            counts[kind] = counts.get(kind, 0) + 1
        if "/K" in node:
            stack.append(node["/K"].get_object())
    return counts


def main():
    spec_path, pdf_path = sys.argv[1], sys.argv[2]
    flags = sys.argv[3:]
    spec = json.load(open(spec_path, encoding="utf-8"))
    errors = []
    headings, paras = [], []
    walk(spec.get("blocks", []), headings, paras)
    for s in spec.get("sections", []):
        walk(s.get("blocks", []), headings, paras)
    reader = pypdf.PdfReader(pdf_path)
    pages = [page.extract_text() or "" for page in reader.pages]
    n = len(pages)
    # Header and footer lines (page furniture) are left out of the flow text.
    furniture = []
    for key in ("header", "footer"):
        hf = (spec.get("page") or {}).get(key)
        if hf:
            furniture.append(runs_text(hf))
    body_pages = []
    for i, text in enumerate(pages):
        for f in furniture:
            f = f.replace("{page}", str(i + 1)).replace("{pages}", str(n))
            text = text.replace(f, "", 1)
        body_pages.append(text)
    full = squash("".join(body_pages))
    # Reading order: every paragraph and heading appears, in spec order.
    pos = 0
    for text in [h for _, h in headings] + []:
        if squash(text) not in full:
            errors.append(f"heading {text!r} not found in the extracted text")
    for text in paras:
        t = squash(text)
        if not t:
            continue
        i = full.find(t, pos)
        if i < 0:
            i = full.find(t)
            if i < 0:
                errors.append(f"text {text[:60]!r} not found in the extracted text")
                continue
        pos = i
    # The outline is the headings, in order.
    outline = outline_titles(reader)
    if [norm(t) for _, t, _ in outline] != [norm(h) for _, h in headings]:
        errors.append(f"outline {[t for _, t, _ in outline][:10]} differs from headings {[h for _, h in headings][:10]}")
    # Fonts embedded and subset (pdffonts), and pypdf sees the same fonts.
    fonts = subprocess.run(["pdffonts", pdf_path], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    names = set()
    for line in fonts:
        cols = line.split()
        name = cols[0]
        names.add(name)
        if "yes" not in line.split(name, 1)[1].split()[:0] + line.split()[-5:-2] or line.split()[-5:-2] != ["yes", "yes", "yes"]:
            errors.append(f"font {name} is not embedded, subset and mapped to Unicode: {line}")
        if not re.match(r"^[A-Z]{6}\+", name):
            errors.append(f"font {name} has no subset tag")
    seen = set()
    for page in reader.pages:
        res = page.get("/Resources") or {}
        for f in (res.get("/Font") or {}).values():
            f = f.get_object()
            seen.add(str(f.get("/BaseFont", "")).lstrip("/"))
    if seen != names:
        errors.append(f"pypdf fonts {sorted(seen)} differ from pdffonts {sorted(names)}")
    # pdftotext agrees with pypdf.
    ptt = subprocess.run(["pdftotext", "-enc", "UTF-8", pdf_path, "-"], capture_output=True, text=True, check=True).stdout
    ptt_pages = ptt.split("\f")
    for i, text in enumerate(pages):
        a, b = squash(text), squash(ptt_pages[i] if i < len(ptt_pages) else "")
        if a != b and (len(set(a) ^ set(b)) > 2 or abs(len(a) - len(b)) > max(8, len(a) // 50)):
            errors.append(f"page {i + 1}: pdftotext and pypdf disagree ({len(b)} vs {len(a)} characters)")
    n = len(pages)
    # A title page shows the title and no header or footer.
    title_page = bool((spec.get("pdf") or {}).get("title_page"))
    if title_page:
        if norm(spec.get("title", "")) not in norm(pages[0]):
            errors.append("the title page lacks the title")
        if re.search(r"Page 1 of", norm(pages[0])):
            errors.append("the title page has a footer")
    if "--page-of-pages" in flags:
        for i, text in enumerate(pages):
            if title_page and i == 0:
                continue
            if f"Page {i + 1} of {n}" not in norm(text):
                errors.append(f"page {i + 1} has no 'Page {i + 1} of {n}'")
    if "--expect-header" in flags:
        want = flags[flags.index("--expect-header") + 1]
        for i, text in enumerate(pages):
            if want not in norm(text):
                errors.append(f"page {i + 1} lacks the repeated table header {want!r}")
    if "--toc" in flags:
        # Each TOC line "Title ... N" names the page its heading's bookmark points at.
        first = min((p for _, _, p in outline), default=1)
        toc_text = norm(" ".join(body_pages[: first + 1]))
        levels = 3
        for b in spec.get("blocks", []):
            if isinstance(b, dict) and isinstance(b.get("toc"), dict):
                levels = b["toc"].get("levels", 3)
        for (level, _), (_, title, page) in zip(headings, outline):
            if level > levels:
                continue
            m = re.search(re.escape(norm(title)) + r"\s*(\d+)", toc_text)
            if not m:
                errors.append(f"TOC has no entry for {title!r}")
            elif int(m.group(1)) != page + 1:
                errors.append(f"TOC says {title!r} is on page {m.group(1)}, but it is on page {page + 1}")
    print(json.dumps({"pages": n, "outline": len(outline), "fonts": sorted(names), "tags": tags(reader), "errors": errors}, ensure_ascii=False))
    sys.exit(1 if errors else 0)


main()
