"""How to test a client in another process or language: a real HTTP server.

`coder_audit_server` is the mock served by uvicorn on 127.0.0.1 and a free port, started once
per session and reset before each test. Give your program `server.url` and a role's token,
here as Coder's CLI variables CODER_URL and CODER_SESSION_TOKEN.
"""

import os
import subprocess
import sys

# Stands in for your program: a Node, Go or shell client would read the same variables.
CLIENT = """
import json, os, urllib.request
request = urllib.request.Request(
    os.environ["CODER_URL"] + "/api/v2/audit?limit=1",
    headers={"Coder-Session-Token": os.environ["CODER_SESSION_TOKEN"]})
with urllib.request.urlopen(request) as response:
    print(json.load(response)["count"])
"""


def test_another_process_reads_the_audit_log(coder_audit_server, coder_audit_journal):
    environment = {
        **os.environ,
        "CODER_URL": coder_audit_server.url,
        "CODER_SESSION_TOKEN": coder_audit_server.tokens["auditor"],
    }
    result = subprocess.run(
        [sys.executable, "-c", CLIENT],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,  # the assertion below shows the client's stderr instead
    )

    assert result.stdout.strip() == "1000", result.stderr
    coder_audit_journal.assert_called(times=1, path="/api/v2/audit", role="auditor")


def test_arranged_data_reaches_the_live_server(coder_audit_server, coder_audit_data):
    coder_audit_data.log(action="delete", resource_type="workspace", resource_target="arranged")

    import httpx  # any HTTP client works against the URL

    response = httpx.get(
        f"{coder_audit_server.url}/api/v2/audit",
        params={"q": "resource_target:arranged"},
        headers={"Coder-Session-Token": coder_audit_server.tokens["owner"]},
    )
    assert response.json()["count"] == 1
