#!/usr/bin/env python3
"""Summarises checkov's JSON output for scripts/check-deploy.

    checkov-summary.py CHECKOV.json [VERBOSE]

Prints "PASSED FAILED SKIPPED" on the first line, then one line per failed
check (parsing errors count as failures) and, when VERBOSE is not empty, one
line per skipped check and reason with how many resources it covers. Exits 2
when checkov produced no report or checked nothing.
"""

import json
import sys
from collections import Counter


def main():
    try:
        with open(sys.argv[1]) as f:
            reports = json.load(f)
    except (OSError, ValueError):
        print("checkov did not run")
        return 2
    verbose = len(sys.argv) > 2 and sys.argv[2]
    # One framework gives an object, several a list of them.
    reports = reports if isinstance(reports, list) else [reports]
    passed = failed = skipped = 0
    lines = []
    skips = Counter()
    for report in reports:
        if not isinstance(report, dict) or "results" not in report:
            continue
        summary, results = report["summary"], report["results"]
        passed += summary["passed"]
        failed += summary["failed"] + summary.get("parsing_errors", 0)
        skipped += summary["skipped"]
        for path in results.get("parsing_errors") or []:
            lines.append(f"  could not parse {path}")
        for check in results["failed_checks"]:
            line = check["file_line_range"][0]
            lines.append(
                f"  FAILED {check['check_id']} ({check['check_name']}): "
                f"{check['resource']} in {check['file_path']}:{line}"
            )
        for check in results["skipped_checks"]:
            skips[(check["check_id"], check["check_result"].get("suppress_comment") or "")] += 1
    if passed + failed + skipped == 0:
        print("checkov found nothing to check")
        return 2
    print(passed, failed, skipped)
    for line in lines:
        print(line)
    if verbose:
        for (check, reason), count in sorted(skips.items()):
            print(f"  skipped {check} on {count} resource(s): {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
