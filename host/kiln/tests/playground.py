#!/usr/bin/env python3
"""Walks through kiln's playground (/ui) in a real browser, as a person
would: Playwright driving Debian's Chromium headless. Usage:
playground.py BASE KEY OUT_DIR

Screenshots of each step go to OUT_DIR; exits non-zero with the failing
assertion.
"""

import io
import json
import pathlib
import re
import sys
import zipfile

import openpyxl
from playwright.sync_api import expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"


def main(base, key, out):
    with sync_playwright() as playwright:
        # --no-sandbox: the tests may run as root, where Chromium's own sandbox cannot start.
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        shot = lambda name: page.screenshot(path=str(out / f"{name}.png"), full_page=True)

        page.goto(f"{base}/ui")
        page.fill("#key", "kiln_wrong")
        page.click("#connect button")
        expect(page.locator("#connection")).to_contain_text("Not connected")
        shot("1-wrong-key")

        page.fill("#key", key)
        page.click("#connect button")
        expect(page.locator("#connection")).to_contain_text("Connected")
        page.select_option("#plugin", "xlsx")
        # The first type's example shows until the chosen type's arrives.
        expect(page.locator("#spec")).to_have_value(re.compile('"sheets"'))
        expect(page.locator("#check")).to_have_text("Schema check: no problems.")
        example = json.loads(page.input_value("#spec"))
        assert example.get("sheets"), example
        shot("2-example")

        # As-you-type checks against the schema, with the pointer of the bad field.
        broken = json.loads(json.dumps(example))
        broken["sheets"][0]["name"] = 7
        page.fill("#spec", json.dumps(broken, indent=2))
        expect(page.locator("#problems")).to_contain_text("/sheets/0/name")
        page.fill("#spec", '{"sheets": [')
        expect(page.locator("#problems")).to_contain_text("not valid JSON")
        shot("3-problems")

        # The server's own validate: the plugin's rules beyond the schema.
        spec = {"sheets": [{"name": "Q1", "rows": [["Region", "Sales"], ["North", 1200], ["South", 950]]},
                           {"name": "Q1", "rows": [["duplicate"]]}]}
        page.fill("#spec", json.dumps(spec, indent=2))
        page.click("#validate")
        expect(page.locator("#check")).to_contain_text("Server check: 1 problem")
        expect(page.locator("#problems")).to_contain_text("/sheets/1/name")
        shot("4-server-check")

        spec["sheets"].pop()
        page.fill("#spec", json.dumps(spec, indent=2))
        page.click("#validate")
        expect(page.locator("#check")).to_have_text("Server check: no problems.")

        # Generate, watching the job's events arrive.
        page.click("#generate")
        expect(page.locator("#job-state")).to_contain_text("succeeded", timeout=30000)
        expect(page.locator("#events")).to_contain_text("running")
        expect(page.locator("#files li")).to_have_count(1)
        preview = page.locator("#files img.preview")
        expect(preview).to_be_visible(timeout=30000)
        assert preview.evaluate("img => img.complete && img.naturalWidth") == 480
        shot("5-generated")

        with page.expect_download() as download:
            page.click("#files button")
        path = out / download.value.suggested_filename
        download.value.save_as(path)
        sheet = openpyxl.load_workbook(path)["Q1"]
        rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
        assert rows == spec["sheets"][0]["rows"], rows

        with page.expect_download() as download:
            page.click("#bundle")
        bundle = zipfile.ZipFile(io.BytesIO(pathlib.Path(download.value.path()).read_bytes()))
        assert [name for name in bundle.namelist() if name.startswith("xlsx/")], bundle.namelist()

        # The recent jobs list shows it, with its usage.
        first = page.locator("#jobs tbody tr").first
        expect(first).to_contain_text("succeeded")
        expect(first).to_contain_text("MiB")
        shot("6-recent-jobs")

        assert not errors, errors
        browser.close()
        print(f"playground: connected, checked as typed and on the server, generated, downloaded {rows}, "
              f"bundled {bundle.namelist()}; screenshots in {out}")


if __name__ == "__main__":
    base, key, out = sys.argv[1:]
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    main(base, key, out)
