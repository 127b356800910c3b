"""A real browser calls the mock from another origin, as a frontend under development does.

Headless Chromium (Debian's `chromium` package) loads a page served on one 127.0.0.1 port; the
page's script `fetch`es `/api/v2/audit?limit=5` from the mock on another port with the
`Coder-Session-Token` header (a CORS preflight, then a credentialed request) and renders one
table row per log. The test reads the DOM Chromium dumps and compares the rows with the API.
"""

from __future__ import annotations

import http.server
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Self

import pytest
from starlette.testclient import TestClient

from coder_audit_mock.mockserver import DEFAULT_TOKENS, MockServer, MockSettings
from coder_audit_mock.mockserver._standalone import ServeOptions, build_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="needs Debian's chromium package for a real browser (apt-get install -y chromium)",
)
uvicorn = pytest.importorskip("uvicorn")

BROWSER_TIMEOUT_S = 60
START_TIMEOUT_S = 10

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>audit</title></head>
<body>
<table><tbody id="rows"></tbody></table>
<p id="status">loading</p>
<p id="blocked">pending</p>
<script>
const mock = "%(mock)s";
const headers = {"Coder-Session-Token": "%(token)s"};
async function load() {
  const response = await fetch(mock + "/api/v2/audit?limit=5", {headers, credentials: "include"});
  const body = await response.json();
  const rows = document.getElementById("rows");
  for (const log of body.audit_logs) {
    const row = document.createElement("tr");
    row.className = "log";
    row.dataset.id = log.id;
    for (const text of [log.user ? log.user.username : "Unauthenticated user", log.action,
                        log.description.replace("{user}", "").replace("{target}", "").trim()]) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.appendChild(cell);
    }
    rows.appendChild(row);
  }
  document.getElementById("status").textContent = response.status + " " + body.count;
}
async function refused() {
  // A header the mock does not allow: its preflight fails, so the browser refuses the call.
  try {
    await fetch(mock + "/api/v2/audit", {headers: {...headers, "X-Not-Allowed": "1"}});
    document.getElementById("blocked").textContent = "not blocked";
  } catch (error) {
    document.getElementById("blocked").textContent = "blocked";
  }
}
load().catch(error => { document.getElementById("status").textContent = "error " + error; })
  .then(refused);
</script>
</body></html>
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _LiveMock:
    """uvicorn serving the standalone app in a thread, bound to 127.0.0.1."""

    def __init__(self, app: object, port: int) -> None:
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the mock did not start within 10 seconds")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=START_TIMEOUT_S)


def serve_page(html: str, port: int) -> http.server.ThreadingHTTPServer:
    page = html.encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # the name http.server looks for
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep the test output quiet

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class _Rows(HTMLParser):
    """Collects the rendered rows (`<tr class="log" data-id=...>` cells) and the status texts."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str, list[str]]] = []
        self.texts: dict[str, str] = {}
        self._in_cell = False
        self._paragraph: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "tr" and attributes.get("class") == "log":
            self.rows.append((attributes.get("data-id") or "", []))
        self._in_cell = tag == "td"
        self._paragraph = attributes.get("id") if tag == "p" else None

    def handle_endtag(self, tag: str) -> None:
        self._in_cell = False
        self._paragraph = None

    def handle_data(self, data: str) -> None:
        if self._in_cell and self.rows:
            self.rows[-1][1].append(data)
        if self._paragraph:
            self.texts[self._paragraph] = self.texts.get(self._paragraph, "") + data


@pytest.fixture
def mock_and_page(tmp_path: Path) -> Iterator[tuple[object, str]]:
    page_port, mock_port = free_port(), free_port()
    page_origin = f"http://127.0.0.1:{page_port}"
    server = MockServer(MockSettings(log_count=40))
    app = build_app(server, ServeOptions(cors_origins=(page_origin,), access_log=False))
    html = PAGE % {"mock": f"http://127.0.0.1:{mock_port}", "token": DEFAULT_TOKENS["owner"]}
    page_server = serve_page(html, page_port)
    try:
        with _LiveMock(app, mock_port):
            yield app, page_origin + "/"
    finally:
        page_server.shutdown()
        page_server.server_close()


def dump_dom(url: str, profile: Path) -> str:
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--no-proxy-server",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        # Let the page's fetches finish before the DOM is dumped (virtual time waits for them).
        "--virtual-time-budget=10000",
        "--dump-dom",
        url,
    ]
    finished = subprocess.run(
        command, capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S, check=False
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    return finished.stdout


def test_a_page_on_another_origin_renders_the_mocks_rows(
    mock_and_page: tuple[object, str], tmp_path: Path
) -> None:
    app, url = mock_and_page
    parsed = _Rows()
    parsed.feed(dump_dom(url, tmp_path / "profile"))

    expected = (
        TestClient(app)
        .get(  # type: ignore[arg-type]
            "/api/v2/audit",
            params={"limit": 5},
            headers={"Coder-Session-Token": DEFAULT_TOKENS["owner"]},
        )
        .json()
    )
    assert parsed.texts.get("status") == f"200 {expected['count']}"
    assert [row_id for row_id, _ in parsed.rows] == [log["id"] for log in expected["audit_logs"]]
    for (_, cells), log in zip(parsed.rows, expected["audit_logs"], strict=True):
        username = log["user"]["username"] if log["user"] else "Unauthenticated user"
        assert cells[:2] == [username, log["action"]]
    # CORS really is in force: a header the mock does not allow is refused by the browser.
    assert parsed.texts.get("blocked") == "blocked"

    calls = [(e.method, e.path, e.role, e.status) for e in app.state.journal.entries()]  # type: ignore[attr-defined]
    assert ("OPTIONS", "/api/v2/audit", None, 204) in calls  # the preflight for the token header
    assert ("GET", "/api/v2/audit", "owner", 200) in calls
    assert ("OPTIONS", "/api/v2/audit", None, 400) in calls  # the refused preflight
