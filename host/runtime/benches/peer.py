"""Runs a Python peer workload for the plugins bench, one build per request.

Usage: python peer.py <workload.py> <spec.json> <out-file>

<workload.py> defines `build(spec, out_path)`, which turns the parsed spec
into the same content the plugin makes and saves it to <out-file>. For each
line read on stdin, this parses the spec text again, builds once and prints
the seconds it took, so the bench can interleave the peer with the plugin's
runs instead of timing the two minutes apart.
"""

import importlib.util
import json
import sys
import time


def main():
    workload_path, spec_path, out_path = sys.argv[1:4]
    location = importlib.util.spec_from_file_location("workload", workload_path)
    workload = importlib.util.module_from_spec(location)
    location.loader.exec_module(workload)
    with open(spec_path, encoding="utf-8") as f:
        text = f.read()
    for _ in sys.stdin:
        start = time.perf_counter()
        workload.build(json.loads(text), out_path)
        print(f"{time.perf_counter() - start:.9f}", flush=True)


if __name__ == "__main__":
    main()
