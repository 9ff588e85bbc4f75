#!/usr/bin/env python3
"""Drives kiln's /mcp endpoint with the reference MCP client (the `mcp`
package) as an MCP host would, and opens what it delivers with the format's
own reader. Usage: mcp_client.py BASE KEY OTHER_ORG_KEY ADMIN_KEY OUT_DIR

Prints what it checked; exits non-zero with the failing assertion.
"""

import asyncio
import base64
import io
import sys

import docx as python_docx
import httpx2
import openpyxl
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

XLSX = {"sheets": [{"name": "Q1", "rows": [["Region", "Sales"], ["North", 1200], ["South", 950]]}]}
DOCX = {"title": "Trip report", "blocks": ["We visited the kiln in Delft."]}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def connect(base, key, **options):
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=120)
    return Client(streamable_http_client(f"{base}/mcp", http_client=http), raise_exceptions=True, **options)


def text_of(result):
    return "\n".join(block.text for block in result.content if block.type == "text")


async def generate(client, tool, spec):
    """Calls a generate tool, following its progress; returns the result,
    its one resource link and the progress seen."""
    progress = []

    async def on_progress(done, total, message):
        progress.append((done, total, message))

    result = await client.call_tool(tool, spec, progress_callback=on_progress)
    assert not result.is_error, f"{tool} failed: {text_of(result)}"
    links = [block for block in result.content if block.type == "resource_link"]
    assert len(links) == 1, f"{tool}: expected one file, got {result.content}"
    assert result.structured_content["state"] == "succeeded", result.structured_content
    return result, links[0], progress


async def read_file(client, link):
    read = await client.read_resource(link.uri)
    [contents] = read.contents
    data = base64.b64decode(contents.blob)
    assert contents.mime_type == link.mime_type, (contents.mime_type, link.mime_type)
    assert len(data) == link.size, (len(data), link.size)
    return data


async def main(base, key, other_key, admin_key, out):
    async with connect(base, key) as client:
        print(f"negotiated protocol {client.protocol_version}")

        # The tool list is /v1/tools, from the same source, plus job_status.
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}) as http:
            rest = (await http.get(f"{base}/v1/tools", params={"format": "anthropic"})).json()["tools"]
        assert set(tools) == {tool["name"] for tool in rest} | {"job_status"}, sorted(tools)
        for tool in rest:
            assert tools[tool["name"]].description == tool["description"], tool["name"]
            assert tools[tool["name"]].input_schema == tool["input_schema"], tool["name"]
        print(f"tools/list: {len(tools)} tools, the same definitions as /v1/tools")

        result, link, progress = await generate(client, "generate_xlsx", XLSX)
        assert link.mime_type == XLSX_TYPE, link
        assert progress, "no progress notification arrived"
        data = await read_file(client, link)
        (out / "mcp.xlsx").write_bytes(data)
        sheet = openpyxl.load_workbook(io.BytesIO(data))["Q1"]
        rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
        assert rows == XLSX["sheets"][0]["rows"], rows
        print(f"generate_xlsx: {link.name}, {link.size} bytes, {len(progress)} progress notifications, openpyxl reads {rows}")
        xlsx_job = result.structured_content["id"]

        _, link, _ = await generate(client, "generate_docx", DOCX)
        assert link.mime_type == DOCX_TYPE, link
        data = await read_file(client, link)
        (out / "mcp.docx").write_bytes(data)
        text = [p.text for p in python_docx.Document(io.BytesIO(data)).paragraphs]
        assert "We visited the kiln in Delft." in text, text
        print(f"generate_docx: {link.name}, python-docx reads {text}")

        # A bad spec is a tool error naming the field, not a protocol error.
        bad = await client.call_tool("generate_xlsx", {"sheets": [{"name": "Q1", "rows": "none"}]})
        assert bad.is_error, bad
        assert "/sheets/0/rows" in text_of(bad), text_of(bad)
        pointers = [v["pointer"] for v in bad.structured_content["violations"]]
        assert "/sheets/0/rows" in pointers, pointers
        print(f"a bad spec: {text_of(bad)!r}")

        status = await client.call_tool("job_status", {"job_id": xlsx_job})
        assert not status.is_error and status.structured_content["id"] == xlsx_job, status
        assert any(block.type == "resource_link" for block in status.content), status
        print("job_status: the finished job, with its link")
        xlsx_link = [block for block in status.content if block.type == "resource_link"][0]

    # Another organisation sees none of it.
    async with connect(base, other_key) as other:
        try:
            await other.read_resource(xlsx_link.uri)
            raise AssertionError("another organisation read the file")
        except MCPError as err:
            print(f"another organisation's resources/read: {err}")
        status = await other.call_tool("job_status", {"job_id": xlsx_job})
        assert status.is_error and "no job" in text_of(status), status
        print(f"another organisation's job_status: {text_of(status)!r}")

    # Turning a plugin off changes the tool list, and listeners hear of it.
    async with connect(base, key) as client:
        async with client.listen(tools_list_changed=True) as changes:
            async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {admin_key}"}) as http:
                response = await http.post(f"{base}/v1/plugins/docx/disable")
                assert response.status_code == 200, response.text
                event = await asyncio.wait_for(anext(aiter(changes)), 10)
                print(f"subscriptions/listen: {type(event).__name__}")
                names = {tool.name for tool in (await client.list_tools()).tools}
                assert "generate_docx" not in names and "generate_xlsx" in names, names
                response = await http.post(f"{base}/v1/plugins/docx/enable")
                assert response.status_code == 200, response.text

    # A client on a protocol before 2026-07-28 gets a session, and the same tools.
    changes = asyncio.Queue()

    async def on_message(message):
        if getattr(message, "method", None) == "notifications/tools/list_changed":
            changes.put_nowait(message)

    async with connect(base, key, mode="legacy", message_handler=on_message) as legacy:
        print(f"legacy client negotiated {legacy.protocol_version}")
        _, link, _ = await generate(legacy, "generate_xlsx", XLSX)
        data = await read_file(legacy, link)
        assert openpyxl.load_workbook(io.BytesIO(data))["Q1"]["A1"].value == "Region"
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {admin_key}"}) as http:
            await asyncio.sleep(0.5)
            for action in ["disable", "enable"]:
                assert (await http.post(f"{base}/v1/plugins/docx/{action}")).status_code == 200
                await asyncio.wait_for(changes.get(), 10)
        print("legacy session: generate_xlsx, resources/read and notifications/tools/list_changed")


if __name__ == "__main__":
    import pathlib

    base, key, other_key, admin_key, out = sys.argv[1:]
    asyncio.run(main(base, key, other_key, admin_key, pathlib.Path(out)))
