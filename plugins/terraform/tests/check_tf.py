"""Reads generated Terraform configurations back with independent readers and
compares them with their specs.

    python check_tf.py <manifest.json>

The manifest is {"cases": [{"name", "spec", "out"}], "png_dir": DIR,
"checkov": PATH-or-null, "checkov_dirs": [{"dir", "must_pass"}],
"checkov_report": FILE}; each case's output is <checkov dir>/<name>.

- python-hcl2 (PyPI) parses every .tf file; resources, data sources, module
  calls, variables, locals and outputs must be exactly the spec's, and every
  attribute the spec sets must read back with the same literal or reference.
- diagram.svg must parse as XML (xml.etree), hold one box per resource, data
  source and module call, and is rendered to PNG with CairoSVG.
- checkov (run from the executable given) scans each checkov dir offline,
  once for all the configurations in it; in a must_pass dir no check may
  fail. Every case's findings are written to checkov_report.

Prints {"problems": [...], "checked": N} and exits 1 on any problem.
"""

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

try:
    import hcl2
except ImportError:
    sys.exit("python-hcl2 is missing: pip install python-hcl2==8.1.4 (into the venv named by KILN_TEST_PYTHON)")
try:
    import cairosvg
except ImportError:
    sys.exit("cairosvg is missing: pip install cairosvg==2.9.1 (into the venv named by KILN_TEST_PYTHON)")

problems = []


def problem(case, where, message):
    problems.append(f"{case}: {where}: {message}")


def unq(s):
    if isinstance(s, str) and len(s) >= 2 and s[0] == '"' and s[-1] == '"':
        return s[1:-1]
    return s


def parse_dir(d):
    """All top-level blocks of the .tf files directly in d, merged."""
    merged = {}
    for name in sorted(os.listdir(d)):
        if not name.endswith(".tf"):
            continue
        with open(os.path.join(d, name), encoding="utf-8") as f:
            parsed = hcl2.load(f)
        for key, items in parsed.items():
            merged.setdefault(key, []).extend(items if isinstance(items, list) else [items])
    return merged


def labelled(blocks, depth):
    """{(label, label): body} of two-label blocks, {label: body} of one-label."""
    out = {}
    for b in blocks:
        for k1, v1 in b.items():
            if depth == 1:
                out[unq(k1)] = v1
            else:
                for k2, v2 in v1.items():
                    out[(unq(k1), unq(k2))] = v2
    return out


REF = re.compile(r"\b(?:var|local|module|data)\.[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*")


def norm(s):
    return re.sub(r"\s+", "", s)


def compare(case, where, spec_value, read):
    """Compares one spec value with what python-hcl2 read."""
    if isinstance(spec_value, dict) and set(spec_value) == {"ref"}:
        want = "${" + spec_value["ref"].strip() + "}"
        if not isinstance(read, str) or norm(read) != norm(want):
            problem(case, where, f"expected the reference {want}, read {read!r}")
        return
    if isinstance(spec_value, dict) and set(spec_value) == {"expr"}:
        src = spec_value["expr"]
        if not isinstance(read, (str, dict, list, int, float, bool)):
            problem(case, where, f"expected an expression, read {read!r}")
            return
        text = json.dumps(read) if not isinstance(read, str) else read
        for ref in set(REF.findall(src)):
            if ref not in text.replace(" ", ""):
                problem(case, where, f"expected the expression to keep the reference {ref}, read {text[:200]!r}")
        return
    if isinstance(spec_value, bool) or spec_value is None:
        if read != spec_value and not (spec_value is None and read in ("${null}", "null")):
            problem(case, where, f"expected {spec_value!r}, read {read!r}")
        return
    if isinstance(spec_value, (int, float)):
        if read != spec_value:
            problem(case, where, f"expected {spec_value!r}, read {read!r}")
        return
    if isinstance(spec_value, str):
        if "\\" in spec_value or "\n" in spec_value or '"' in spec_value:
            return
        got = unq(read) if isinstance(read, str) else read
        want = spec_value.replace("$${", "${")
        if got != want and norm(str(got)) != norm(want):
            problem(case, where, f"expected the string {spec_value!r}, read {read!r}")
        return
    if isinstance(spec_value, list):
        if not isinstance(read, list) or len(read) != len(spec_value):
            problem(case, where, f"expected a list of {len(spec_value)}, read {read!r}")
            return
        for i, (a, b) in enumerate(zip(spec_value, read)):
            compare(case, f"{where}[{i}]", a, b)
        return
    if isinstance(spec_value, dict):
        if not isinstance(read, dict):
            problem(case, where, f"expected an object, read {read!r}")
            return
        keys = {unq(k): v for k, v in read.items() if not k.startswith("__")}
        if set(keys) != set(spec_value):
            problem(case, where, f"expected keys {sorted(spec_value)}, read {sorted(keys)}")
            return
        for k, v in spec_value.items():
            compare(case, f"{where}.{k}", v, keys[k])


def compare_blocks(case, where, spec_blocks, body):
    for i, b in enumerate(spec_blocks or []):
        kind = b["type"]
        w = f"{where}.blocks[{i}]({kind})"
        if b.get("for_each") is not None:
            dyn = [labelled([d], 1) for d in body.get("dynamic", [])]
            found = [d[kind] for d in dyn if kind in d]
            if not found:
                problem(case, w, "expected a dynamic block, found none")
                continue
            content = found[0].get("content", [{}])[0]
            compare_attributes(case, w, b.get("attributes"), content)
            continue
        if kind not in body:
            problem(case, w, f"expected a nested block {kind}, found keys {sorted(body)}")
            continue
        nested = body[kind]
        same = [x for x in spec_blocks if x["type"] == kind and x.get("for_each") is None]
        idx = same.index(b)
        if not isinstance(nested, list) or idx >= len(nested):
            problem(case, w, f"expected {len(same)} {kind} blocks, read {nested!r}"[:300])
            continue
        compare_attributes(case, w, b.get("attributes"), nested[idx])
        compare_blocks(case, w, b.get("blocks"), nested[idx])


def compare_attributes(case, where, attributes, body):
    for k, v in (attributes or {}).items():
        if k not in body:
            problem(case, where, f"expected the attribute {k}, found {sorted(x for x in body if not x.startswith('__'))}")
            continue
        compare(case, f"{where}.{k}", v, body[k])


def check_module(case, spec, d, root):
    parsed = parse_dir(d)
    resources = labelled(parsed.get("resource", []), 2)
    data = labelled(parsed.get("data", []), 2)
    for key, found, what in (("resources", resources, "resource"), ("data", data, "data")):
        want = {(r["type"], r["name"]): r for r in spec.get(key, [])}
        if set(want) != set(found):
            problem(case, d, f"expected {what} blocks {sorted(want)}, read {sorted(found)}")
        for addr, r in want.items():
            body = found.get(addr)
            if body is None:
                continue
            w = f"{d}:{what}.{addr[0]}.{addr[1]}"
            compare_attributes(case, w, r.get("attributes"), body)
            compare_blocks(case, w, r.get("blocks"), body)
            for meta in ("count", "for_each"):
                if r.get(meta) is not None:
                    if meta not in body:
                        problem(case, w, f"expected {meta}")
                    else:
                        compare(case, f"{w}.{meta}", r[meta], body[meta])
            if r.get("depends_on"):
                got = [norm(x) for x in body.get("depends_on", [])]
                if got != ["${" + x + "}" for x in r["depends_on"]]:
                    problem(case, w, f"expected depends_on {r['depends_on']}, read {body.get('depends_on')}")
    variables = labelled(parsed.get("variable", []), 1)
    want_vars = spec.get("variables", {})
    if set(variables) != set(want_vars):
        problem(case, d, f"expected variables {sorted(want_vars)}, read {sorted(variables)}")
    for name, v in want_vars.items():
        body = variables.get(name)
        if body is None:
            continue
        if "default" in v:
            compare(case, f"{d}:variable.{name}.default", v["default"], body.get("default"))
        if v.get("type") and "type" not in body:
            problem(case, f"{d}:variable.{name}", "expected a type")
        if len(v.get("validation", [])) != len(body.get("validation", [])):
            problem(case, f"{d}:variable.{name}", "expected every validation block")
    outputs = labelled(parsed.get("output", []), 1)
    want_outs = spec.get("outputs", {})
    if set(outputs) != set(want_outs):
        problem(case, d, f"expected outputs {sorted(want_outs)}, read {sorted(outputs)}")
    for name, o in want_outs.items():
        if name in outputs:
            compare(case, f"{d}:output.{name}.value", o["value"], outputs[name].get("value"))
    modules = labelled(parsed.get("module", []), 1)
    want_mods = {m["name"]: m for m in spec.get("modules", [])}
    if set(modules) != set(want_mods):
        problem(case, d, f"expected module calls {sorted(want_mods)}, read {sorted(modules)}")
    for name, m in want_mods.items():
        body = modules.get(name)
        if body is None:
            continue
        compare(case, f"{d}:module.{name}.source", m["source"], body.get("source"))
        for k, v in m.get("inputs", {}).items():
            if k not in body:
                problem(case, f"{d}:module.{name}", f"expected the input {k}")
            else:
                compare(case, f"{d}:module.{name}.{k}", v, body[k])
    local_names = set()
    for block in parsed.get("locals", []):
        local_names |= {k for k in block if not k.startswith("__")}
    if local_names != set(spec.get("locals", {})):
        problem(case, d, f"expected locals {sorted(spec.get('locals', {}))}, read {sorted(local_names)}")
    for name, v in spec.get("locals", {}).items():
        for block in parsed.get("locals", []):
            if name in block:
                compare(case, f"{d}:local.{name}", v, block[name])
    if root:
        tf = parsed.get("terraform", [{}])[0]
        want_version = (spec.get("terraform") or {}).get("required_version") or ">= 1.5.0"
        if unq(tf.get("required_version")) != want_version:
            problem(case, d, f"expected required_version {want_version!r}, read {tf.get('required_version')!r}")
        providers = parsed.get("provider", [])
        if len(providers) != len(spec.get("providers", [])):
            problem(case, d, f"expected {len(spec.get('providers', []))} provider blocks, read {len(providers)}")
        if len(parsed.get("moved", [])) != len(spec.get("moved", [])) or len(parsed.get("import", [])) != len(spec.get("import", [])):
            problem(case, d, "expected every moved and import block")


def check_svg(case, spec, out, png_dir):
    path = os.path.join(out, "diagram.svg")
    try:
        tree = ET.parse(path)
    except ET.ParseError as e:
        problem(case, path, f"is not well-formed XML: {e}")
        return
    root = tree.getroot()
    if root.tag != "{http://www.w3.org/2000/svg}svg":
        problem(case, path, f"expected an <svg> root, read {root.tag}")
    boxes = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "node"]
    want = len(spec.get("resources", [])) + len(spec.get("data", [])) + len(spec.get("modules", []))
    for m in (spec.get("child_modules") or {}).values():
        want += len(m.get("resources", [])) + len(m.get("data", [])) + len(m.get("modules", []))
    if len(boxes) != want:
        problem(case, path, f"expected {want} boxes, read {len(boxes)}")
    labels = {t.text for g in boxes for t in g.iter("{http://www.w3.org/2000/svg}text")}
    for r in spec.get("resources", []):
        if r["type"] not in labels and not any(l and l.endswith("…") for l in labels):
            problem(case, path, f"expected a box for {r['type']}.{r['name']}")
    os.makedirs(png_dir, exist_ok=True)
    cairosvg.svg2png(url=path, write_to=os.path.join(png_dir, f"{case}.png"))


def run_checkov(case, exe, out):
    """Failed checks as dicts, or None when checkov did not run."""
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE", CHECKOV_RUN_SCA_PACKAGE_SCAN_V2="false")
    proc = subprocess.run(
        [exe, "-d", out, "--framework", "terraform", "--quiet", "--compact", "--skip-download", "-o", "json"],
        capture_output=True, text=True, env=env, timeout=600,
    )
    text = proc.stdout.strip()
    try:
        report = json.loads(text) if text else {}
    except json.JSONDecodeError:
        problem(case, out, f"checkov did not answer JSON: {proc.stderr[-500:]}")
        return None
    reports = report if isinstance(report, list) else [report]
    failed = []
    for r in reports:
        for f in (r.get("results") or {}).get("failed_checks", []):
            failed.append({"check": f["check_id"], "resource": f["resource"], "file": f["file_path"], "name": f.get("check_name")})
    return failed


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        manifest = json.load(f)
    findings = {}
    for c in manifest["cases"]:
        name = c["name"]
        with open(c["spec"], encoding="utf-8") as f:
            spec = json.load(f)
        out = c["out"]
        try:
            check_module(name, spec, out, True)
            for child, m in (spec.get("child_modules") or {}).items():
                check_module(name, m, os.path.join(out, "modules", child), False)
        except Exception as e:  # a parse error is a finding, not a crash
            problem(name, out, f"python-hcl2 could not read it: {type(e).__name__}: {e}")
        check_svg(name, spec, out, manifest["png_dir"])
    names = {c["name"] for c in manifest["cases"]}
    for group in manifest.get("checkov_dirs", []):
        if not manifest.get("checkov"):
            break
        failed = run_checkov(group["dir"], manifest["checkov"], group["dir"])
        if failed is None:
            continue
        here = sorted(n for n in names if os.path.isdir(os.path.join(group["dir"], n)))
        for n in here:
            findings[n] = [dict(x, file=x["file"].split("/", 2)[-1]) for x in failed if x["file"].strip("/").split("/")[0] == n]
            if group.get("must_pass") and findings[n]:
                problem(n, group["dir"], "checkov failed: " + ", ".join(f"{x['check']} on {x['resource']}" for x in findings[n]))
    if manifest.get("checkov_report"):
        with open(manifest["checkov_report"], "w", encoding="utf-8") as f:
            json.dump(findings, f, indent=1, sort_keys=True)
    print(json.dumps({"checked": len(manifest["cases"]), "problems": problems}, indent=1))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
