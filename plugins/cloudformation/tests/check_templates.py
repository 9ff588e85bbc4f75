"""Independent checks of generated CloudFormation files.

Usage: python check_templates.py <case-dir>...

Each case directory holds the spec (spec.json), the plugin's files
(template.yaml, maybe template.json, parameters.json, README.md,
diagram.svg) and a marker `example` when checkov must pass it. For every
case this script:

- rebuilds the expected template from the spec on its own (section and
  attribute names, long-form intrinsics) and compares it, as data, with
  template.yaml read by PyYAML (with constructors for the short intrinsic
  tags) and with template.json;
- runs cfn-lint (offline) on template.yaml and template.json: no errors;
- checks parameters.json against the spec and README.md mentions every
  parameter, resource and output;
- parses diagram.svg with xml.etree and renders it to diagram.png with
  cairosvg;
- runs checkov on every template: examples must have no failed check; the
  findings on other specs are written to checkov-findings.txt beside the
  cases.

Prints one line per problem and exits 1 if there is any.
"""

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

try:
    import yaml
    import cairosvg
    from cfnlint.api import lint
except ImportError as e:  # pragma: no cover
    print(f"missing Python package ({e}); install with: pip install cfn-lint checkov pyyaml cairosvg")
    sys.exit(2)


class CfnLoader(yaml.SafeLoader):
    pass


def _tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {"Fn::" + suffix: value}


CfnLoader.add_multi_constructor("!", _tag)


def normalize(v):
    if isinstance(v, list):
        return [normalize(x) for x in v]
    if isinstance(v, dict):
        if len(v) == 1:
            (k, arg), = v.items()
            if k.startswith("!"):
                k = {"!Ref": "Ref", "!Condition": "Condition"}.get(k, "Fn::" + k[1:])
            if k == "Fn::GetAtt" and isinstance(arg, str):
                return {k: arg.split(".", 1)}
            return {k: normalize(arg)}
        return {k: normalize(x) for k, x in v.items()}
    return v


def put(out, key, value, f=lambda x: x):
    if value is not None:
        out[key] = f(value)


def expected_template(spec):
    t = {"AWSTemplateFormatVersion": "2010-09-09"}
    put(t, "Description", spec.get("description"))
    put(t, "Transform", spec.get("transform"))
    put(t, "Metadata", spec.get("metadata"), normalize)
    params = {}
    for name, p in spec.get("parameters", {}).items():
        e = {"Type": p.get("type", "String")}
        for src, dst in [("description", "Description"), ("default", "Default"), ("allowed_values", "AllowedValues"),
                         ("allowed_pattern", "AllowedPattern"), ("min_length", "MinLength"), ("max_length", "MaxLength"),
                         ("min_value", "MinValue"), ("max_value", "MaxValue"),
                         ("constraint_description", "ConstraintDescription")]:
            put(e, dst, p.get(src))
        if p.get("no_echo"):
            e["NoEcho"] = True
        params[name] = e
    if params:
        t["Parameters"] = params
    if spec.get("mappings"):
        t["Mappings"] = spec["mappings"]
    if spec.get("conditions"):
        t["Conditions"] = normalize(spec["conditions"])
    rules = {}
    for name, r in spec.get("rules", {}).items():
        e = {}
        put(e, "RuleCondition", r.get("rule_condition"), normalize)
        e["Assertions"] = []
        for a in r["assertions"]:
            ea = {"Assert": normalize(a["assert"])}
            put(ea, "AssertDescription", a.get("assert_description"))
            e["Assertions"].append(ea)
        rules[name] = e
    if rules:
        t["Rules"] = rules
    resources = {}
    for name, r in spec["resources"].items():
        e = {"Type": r["type"]}
        put(e, "Condition", r.get("condition"))
        d = r.get("depends_on")
        if isinstance(d, list) and len(d) == 1:
            d = d[0]
        put(e, "DependsOn", d)
        for src, dst in [("deletion_policy", "DeletionPolicy"), ("update_replace_policy", "UpdateReplacePolicy"),
                         ("creation_policy", "CreationPolicy"), ("update_policy", "UpdatePolicy"), ("metadata", "Metadata")]:
            put(e, dst, r.get(src), normalize)
        if r.get("properties"):
            e["Properties"] = normalize(r["properties"])
        resources[name] = e
    t["Resources"] = resources
    outputs = {}
    for name, o in spec.get("outputs", {}).items():
        e = {}
        put(e, "Description", o.get("description"))
        put(e, "Condition", o.get("condition"))
        e["Value"] = normalize(o["value"])
        x = o.get("export")
        if x is not None:
            e["Export"] = normalize(x) if isinstance(x, dict) and list(x) == ["Name"] else {"Name": normalize(x)}
        outputs[name] = e
    if outputs:
        t["Outputs"] = outputs
    return t


def same(a, b):
    """Equal as data, with 1 == 1.0 but True != 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def first_difference(a, b, path=""):
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return f"{path}: keys {list(a)} != {list(b)}"
        for k in a:
            d = first_difference(a[k], b[k], f"{path}/{k}")
            if d:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{path}/{i}")
            if d:
                return d
        return None
    return None if same(a, b) else f"{path}: {a!r} != {b!r}"


def check_case(case, problems):
    name = os.path.basename(case)
    spec = json.load(open(os.path.join(case, "spec.json"), encoding="utf-8"))
    expected = expected_template(spec)
    yaml_text = open(os.path.join(case, "template.yaml"), encoding="utf-8").read()
    got = yaml.load(yaml_text, Loader=CfnLoader)
    if not same(got, expected):
        problems.append(f"{name}: template.yaml differs from the spec: {first_difference(got, expected)}")
    to_lint = [("template.yaml", yaml_text)]
    json_path = os.path.join(case, "template.json")
    if os.path.exists(json_path):
        json_text = open(json_path, encoding="utf-8").read()
        if not same(json.loads(json_text), expected):
            problems.append(f"{name}: template.json differs from the spec: {first_difference(json.loads(json_text), expected)}")
        to_lint.append(("template.json", json_text))
    for file, text in to_lint:
        for m in lint(text, regions=["us-east-1"]):
            if m.rule.severity == "error":
                problems.append(f"{name}/{file}: cfn-lint {m.rule.id} line {m.linenumber}: {m.message}")

    params_path = os.path.join(case, "parameters.json")
    declared = list(spec.get("parameters", {}))
    if declared and spec.get("options", {}).get("parameters_file", True):
        params = json.load(open(params_path, encoding="utf-8"))
        keys = [p["ParameterKey"] for p in params]
        if keys != declared:
            problems.append(f"{name}: parameters.json keys {keys} != {declared}")
        for p in params:
            if set(p) != {"ParameterKey", "ParameterValue"} or not isinstance(p["ParameterValue"], str):
                problems.append(f"{name}: parameters.json entry {p} is not in the AWS CLI form")
            sp = spec["parameters"][p["ParameterKey"]]
            want = sp.get("value", sp.get("default", ""))
            if str(want) != p["ParameterValue"]:
                problems.append(f"{name}: parameters.json {p['ParameterKey']} = {p['ParameterValue']!r}, expected {want!r}")
    readme_path = os.path.join(case, "README.md")
    if os.path.exists(readme_path):
        readme = open(readme_path, encoding="utf-8").read()
        for section in ("parameters", "resources", "outputs"):
            for item in spec.get(section, {}):
                if f"`{item}`" not in readme:
                    problems.append(f"{name}: README.md does not mention {section[:-1]} {item}")
    svg_path = os.path.join(case, "diagram.svg")
    if os.path.exists(svg_path):
        root = ET.parse(svg_path).getroot()
        if not root.tag.endswith("svg"):
            problems.append(f"{name}: diagram.svg root is {root.tag}")
        text = "".join(root.itertext())
        for res in spec["resources"]:
            if res not in text:
                problems.append(f"{name}: diagram.svg does not name resource {res}")
        cairosvg.svg2png(url=svg_path, write_to=os.path.join(case, "diagram.png"))


def checkov(cases, problems):
    files = [os.path.join(c, "template.yaml") for c in cases]
    # checkov lives in a venv of its own (KILN_TEST_CHECKOV, set by scripts/test):
    # it ships a fork of python-hcl2 that would shadow the real one.
    checkov_exe = os.environ.get("KILN_TEST_CHECKOV")
    command = [checkov_exe] if checkov_exe else [sys.executable, "-m", "checkov.main"]
    run = subprocess.run(
        command + ["--framework", "cloudformation", "--quiet", "--compact",
         "--skip-download", "-o", "json"] + [a for f in files for a in ("-f", f)],
        capture_output=True, text=True)
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        problems.append(f"checkov gave no JSON report (exit {run.returncode}): {run.stderr[-2000:]}")
        return
    reports = report if isinstance(report, list) else [report]
    failed = [c for r in reports for c in r.get("results", {}).get("failed_checks", [])]
    findings = []
    for c in failed:
        case = os.path.basename(os.path.dirname(c["file_path"]))
        line = f"{case}: {c['check_id']} {c['resource']}: {c['check_name']}"
        findings.append(line)
        if os.path.exists(os.path.join(os.path.dirname(files[0]), "..", case, "example")):
            problems.append("checkov (example): " + line)
    out = os.path.join(os.path.dirname(cases[0]), "checkov-findings.txt")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(sorted(findings)) + "\n")


def main():
    cases = [os.path.abspath(c) for c in sys.argv[1:]]
    problems = []
    for case in cases:
        try:
            check_case(case, problems)
        except Exception as e:  # report and go on with the other cases
            problems.append(f"{os.path.basename(case)}: {type(e).__name__}: {e}")
    checkov(cases, problems)
    for p in problems:
        print(p)
    print(f"checked {len(cases)} cases, {len(problems)} problems")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
