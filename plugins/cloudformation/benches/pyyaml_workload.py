"""The PyYAML peer of the plugin: the benchmark spec (`kiln_plugin_
cloudformation::bench::benchmark_spec()`, 450 resources) turned into the
template the tests expect and written as YAML (long-form intrinsics, with the
C emitter when available). Run by the plugins bench (`scripts/bench`) through
`host/runtime/benches/peer.py`, which calls `build(spec, out)` once per
request and times it.
"""

import os
import sys

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
from check_templates import expected_template  # noqa: E402

Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def build(spec, out):
    with open(out, "w", encoding="utf-8") as f:
        yaml.dump(expected_template(spec), f, Dumper=Dumper, sort_keys=False, allow_unicode=True)
