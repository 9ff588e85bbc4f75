"""Python peer of examples/bench_native.rs: the same 450-resource spec turned
into a template and written as YAML (PyYAML, long-form intrinsics, with the
C emitter when available) and JSON.

Usage:
  cargo run -p kiln-plugin-cloudformation --release --example bench_native -- 20 /tmp/cfn_bench.json
  python benches/pyyaml_workload.py /tmp/cfn_bench.json [repeats]
Prints pyyaml_median_ms and json_median_ms.
"""

import json
import os
import statistics
import sys
import time

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
from check_templates import expected_template  # noqa: E402

Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def main():
    spec = json.load(open(sys.argv[1], encoding="utf-8"))
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    ytimes, jtimes = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        text = yaml.dump(expected_template(spec), Dumper=Dumper, sort_keys=False, allow_unicode=True)
        ytimes.append((time.perf_counter() - t) * 1e3)
        t = time.perf_counter()
        json.dumps(expected_template(spec), indent=2)
        jtimes.append((time.perf_counter() - t) * 1e3)
    print(f"template_yaml_bytes={len(text.encode())}")
    print(f"pyyaml_median_ms={statistics.median(ytimes):.3f}")
    print(f"json_median_ms={statistics.median(jtimes):.3f}")


if __name__ == "__main__":
    main()
