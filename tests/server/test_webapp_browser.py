"""A real browser runs Coder's web-app sequence against `serve`: sign in, start up, Audit page.

Headless Chromium (Debian's `chromium`) loads a page of this project's own from a small dev
server that, like Coder's Vite dev server, serves the page itself, sets Coder's development
CSRF cookie and proxies `/api` to the mock on another port. The page's script does what Coder's
web app does (site/src, v2.35.1): `users/me` (401: the login form), the login form posted to
`users/login` (the `coder_session_token` cookie, not the body's token, signs it in), then the
start-up calls with that cookie (`users/me`, `users/first`, `authcheck` with the CSRF header,
`entitlements`, `appearance`, `experiments`, `buildinfo`, `organizations`), then the Audit
page's calls: `users?limit=25&q=`, the per-organization `authcheck`, the list filtered by
`action:create`, and its next page. The test compares what the page rendered with the API and
the order of the calls with the mock's journal.
"""

from __future__ import annotations

import http.server
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from coder_audit_mock.mockserver import DEFAULT_TOKENS, MockServer, MockSettings
from coder_audit_mock.mockserver._standalone import ServeOptions, build_app
from coder_audit_mock.mockserver._webapp import BUILTIN_PASSWORD

from ._live import live_server
from .test_browser import CHROMIUM, dump_dom, free_port

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="needs Debian's chromium package for a real browser (apt-get install -y chromium)",
)

# Coder's development CSRF pair (site/vite.config.mts sets the cookie, src/api/api.ts sends the
# masked token): public constants of Coder's source, not secrets.
CSRF_COOKIE = (
    "csrf_token=JXm9hOUdZctWt0ZZGAy9xiS/gxMKYOThdxjjMnMUyn4=; Path=/; HttpOnly; SameSite=Lax"
)
CSRF_TOKEN = (
    "KNKvagCBEHZK7ihe2t7fj6VeJ0UyTDco1yVUJE8N06oNqxLu5Zx1vRxZbgfC0mJJgeGkVjgs08mgPbcWPBkZ1A=="
)

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>audit</title></head>
<body>
<form id="login"><input id="email" type="email"><input id="password" type="password"></form>
<p id="signed-out">pending</p><p id="me">pending</p><p id="licence">pending</p>
<p id="orgs">pending</p><p id="count">pending</p><p id="error"></p>
<table><tbody id="page1"></tbody></table><table><tbody id="page2"></tbody></table>
<script>
const csrf = {"X-CSRF-TOKEN": "%(csrf)s", "Content-Type": "application/json"};
const api = (path, init) => fetch(path, {credentials: "same-origin", ...init});
const json = async (path, init) => {
  const response = await api(path, init);
  if (!response.ok) throw new Error(path + " " + response.status);
  return response.json();
};
function show(id, text) { document.getElementById(id).textContent = text; }
function rows(id, logs) {
  for (const log of logs) {
    const row = document.createElement("tr");
    row.className = "log";
    row.dataset.id = log.id;
    // The Audit page reads these; null or missing ones crash or stall it.
    const shape = typeof log.diff === "object" && log.diff !== null &&
                  typeof log.additional_fields === "object" && log.additional_fields !== null;
    for (const text of [log.user ? log.user.username : "Unauthenticated user", log.action,
                        String(log.status_code), shape ? "ok" : "bad shape"]) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.appendChild(cell);
    }
    document.getElementById(id).appendChild(row);
  }
}
async function run() {
  // 1. The app's first call: a 401 whose body has a message sends it to the login form.
  const first = await api("/api/v2/users/me");
  const firstBody = await first.json();
  show("signed-out", first.status + " " + (firstBody.message ? "message" : "none"));
  await json("/api/v2/users/first");
  await json("/api/v2/users/authmethods");
  // 2. The login form; the answer sets the session cookie.
  document.getElementById("email").value = "%(email)s";
  document.getElementById("password").value = "%(password)s";
  await json("/api/v2/users/login", {method: "POST", headers: csrf, body: JSON.stringify({
    email: document.getElementById("email").value,
    password: document.getElementById("password").value})});
  // 3. Start-up, on the cookie alone.
  const me = await json("/api/v2/users/me");
  show("me", me.username);
  const checks = {viewAnyAuditLog: {object: {resource_type: "audit_log", any_org: true}, action: "read"}};
  const permissions = await json("/api/v2/authcheck", {method: "POST", headers: csrf,
                                                       body: JSON.stringify({checks})});
  const entitlements = await json("/api/v2/entitlements");
  await json("/api/v2/appearance");
  await json("/api/v2/experiments");
  const build = await json("/api/v2/buildinfo");
  const organizations = await json("/api/v2/organizations");
  show("licence", [entitlements.has_license, entitlements.features.audit_log.enabled,
                   permissions.viewAnyAuditLog, build.telemetry].join(" "));
  // 4. The Audit page: the user filter, the organization filter's checks, the list, page 2.
  await json("/api/v2/users?limit=25&q=");
  const orgChecks = Object.fromEntries(organizations.map(o => [o.id,
    {object: {resource_type: "audit_log", organization_id: o.id}, action: "read"}]));
  const readable = await json("/api/v2/authcheck", {method: "POST", headers: csrf,
                                                    body: JSON.stringify({checks: orgChecks})});
  show("orgs", organizations.filter(o => readable[o.id]).map(o => o.name).join(","));
  const q = encodeURIComponent("action:create");
  const page1 = await json("/api/v2/audit?offset=0&limit=25&q=" + q);
  rows("page1", page1.audit_logs);
  const page2 = await json("/api/v2/audit?offset=25&limit=25&q=" + q);
  rows("page2", page2.audit_logs);
  show("count", String(page1.count));
}
run().catch(error => show("error", String(error)));
</script>
</body></html>
"""


class _DevServer(http.server.ThreadingHTTPServer):
    page: bytes
    mock: str


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves the page at `/` and proxies `/api` to the mock, as Coder's Vite dev server does."""

    server: _DevServer

    def do_GET(self) -> None:  # the names http.server looks for
        if self.path == "/":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Set-Cookie", CSRF_COOKIE)
            self.send_header("Content-Length", str(len(self.server.page)))
            self.end_headers()
            self.wfile.write(self.server.page)
        else:
            self._proxy()

    def do_POST(self) -> None:
        self._proxy()

    def _proxy(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        request = urllib.request.Request(
            self.server.mock + self.path, data=body, headers=headers, method=self.command
        )
        try:
            answer = urllib.request.urlopen(request, timeout=30)
        except urllib.error.HTTPError as error:
            answer = error
        payload = answer.read()
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            if name.lower() not in (
                "content-length",
                "connection",
                "transfer-encoding",
                "date",
                "server",
            ):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the test output quiet


class _Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.texts: dict[str, str] = {}
        self.rows: dict[str, list[tuple[str, list[str]]]] = {"page1": [], "page2": []}
        self._body: str | None = None
        self._paragraph: str | None = None
        self._in_cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "tbody":
            self._body = attributes.get("id")
        if tag == "tr" and self._body in self.rows:
            self.rows[self._body].append((attributes.get("data-id") or "", []))
        self._in_cell = tag == "td"
        self._paragraph = attributes.get("id") if tag == "p" else None

    def handle_endtag(self, tag: str) -> None:
        self._in_cell = False
        self._paragraph = None

    def handle_data(self, data: str) -> None:
        if self._in_cell and self._body in self.rows and self.rows[self._body]:
            self.rows[self._body][-1][1].append(data)
        if self._paragraph:
            self.texts[self._paragraph] = self.texts.get(self._paragraph, "") + data


@pytest.fixture
def running() -> Iterator[tuple[object, str, MockServer]]:
    server = MockServer(MockSettings(log_count=400))
    app = build_app(server, ServeOptions(access_log=False, webapp=True))
    auditor = server.deployment.users[server.deployment.role_users["auditor"]]
    page = PAGE % {"csrf": CSRF_TOKEN, "email": auditor.email, "password": BUILTIN_PASSWORD}
    with live_server(app) as mock_url:
        dev = _DevServer(("127.0.0.1", free_port()), _Handler)
        dev.page, dev.mock = page.encode(), mock_url
        threading.Thread(target=dev.serve_forever, daemon=True).start()
        try:
            yield app, f"http://127.0.0.1:{dev.server_address[1]}/", server
        finally:
            dev.shutdown()
            dev.server_close()


def test_the_web_apps_sequence_signs_in_and_renders_the_audit_list(
    running: tuple[object, str, MockServer], tmp_path: Path
) -> None:
    app, url, server = running
    dom = _Dom()
    dom.feed(dump_dom(url, tmp_path / "profile"))
    journal = app.state.journal.entries()  # type: ignore[attr-defined]  # before the checks' calls
    assert dom.texts.get("error", "") == ""
    auditor = server.deployment.users[server.deployment.role_users["auditor"]]
    assert dom.texts["signed-out"] == "401 message"
    assert dom.texts["me"] == auditor.username
    assert dom.texts["licence"] == "true true true false"
    assert dom.texts["orgs"] == ",".join(
        o.name for o in server.deployment.organizations.values() if not o.deleted
    )

    client = TestClient(app)  # type: ignore[arg-type]
    headers = {"Coder-Session-Token": DEFAULT_TOKENS["auditor"]}
    for name, offset in (("page1", 0), ("page2", 25)):
        expected = client.get(
            "/api/v2/audit",
            params={"offset": offset, "limit": 25, "q": "action:create"},
            headers=headers,
        ).json()
        assert [row_id for row_id, _ in dom.rows[name]] == [
            log["id"] for log in expected["audit_logs"]
        ]
        for (_, cells), log in zip(dom.rows[name], expected["audit_logs"], strict=True):
            username = log["user"]["username"] if log["user"] else "Unauthenticated user"
            assert cells == [username, "create", str(log["status_code"]), "ok"]
        assert dom.texts["count"] == str(expected["count"])
    assert len(dom.rows["page2"]) == 25

    # The calls, in the web app's order, each as whom and with what answer.
    calls = [(e.method, e.path, e.role, e.status) for e in journal if e.path.startswith("/api/")]
    assert calls[:4] == [
        ("GET", "/api/v2/users/me", None, 401),
        ("GET", "/api/v2/users/first", None, 200),
        ("GET", "/api/v2/users/authmethods", None, 200),
        ("POST", "/api/v2/users/login", None, 201),
    ]
    assert [(m, p, s) for m, p, _, s in calls[4:]] == [
        ("GET", "/api/v2/users/me", 200),
        ("POST", "/api/v2/authcheck", 200),
        ("GET", "/api/v2/entitlements", 200),
        ("GET", "/api/v2/appearance", 200),
        ("GET", "/api/v2/experiments", 200),
        ("GET", "/api/v2/buildinfo", 200),
        ("GET", "/api/v2/organizations", 200),
        ("GET", "/api/v2/users", 200),
        ("POST", "/api/v2/authcheck", 200),
        ("GET", "/api/v2/audit", 200),
        ("GET", "/api/v2/audit", 200),
    ]
    assert {role for _, _, role, _ in calls[4:]} == {"auditor"}  # the signed-in user's role
    login = next(e for e in journal if e.path == "/api/v2/users/login")
    assert json.loads(login.body or "") == {"email": auditor.email, "password": "REDACTED"}
    # After sign-in every call rode on the session cookie (its value never in the journal).
    audit = [e for e in journal if e.path == "/api/v2/audit"]
    assert all("coder_session_token=REDACTED" in e.headers.get("cookie", "") for e in audit)
