"""Record what a real Coder answers to the calls Coder's web app makes before the Audit page.

Given a Coder seeded by `seed.py` (its `--state` file holds a session token per role), this
sends the web app's start-up calls (`site/src/contexts/auth/`, `src/modules/dashboard/`,
`src/pages/AuditPage/` of Coder v2.35.1), the login and logout, and a few error cases, as each
built-in role, and writes one JSON line per exchange to
`tests/fidelity/webapp/coder-<version>.jsonl`. Tokens are never written: a request names the
role whose token it carried; a cookie's value is written as `REDACTED`.

    python tools/real_coder/webapp.py --url http://127.0.0.1:7081 --state seed-state.json

It creates one user (`webapp-login`, password `WebApp-Login-1`) to sign in with. The default
test run compares the mock's answers with these (tests/fidelity/test_webapp.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "fidelity" / "webapp"
ROLES = ("owner", "auditor", "org-admin", "org-auditor", "member")
LOGIN_USER = {"username": "webapp-login", "email": "webapp-login@example.com"}
LOGIN_PASSWORD = "WebApp-Login-1"
KEPT_HEADERS = ("content-type", "www-authenticate", "x-coder-build-version")


def permission_checks(site: Path | None) -> dict[str, Any]:
    """The web app's `permissions.json` (33 checks in v2.35.1), from a copy of Coder's `site/`."""
    if site is None:
        raise SystemExit("webapp.py: --site DIR (a copy of Coder's site/ folder) is required")
    checks: dict[str, Any] = json.loads((site / "permissions.json").read_text("utf-8"))
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--state", required=True, help="seed.py's state file")
    parser.add_argument("--site", type=Path, help="a copy of Coder's site/ (for permissions.json)")
    args = parser.parse_args(argv)
    state = json.loads(Path(args.state).read_text("utf-8"))
    tokens: dict[str, str] = state["tokens"]
    checks = permission_checks(args.site)
    client = httpx.Client(base_url=args.url.rstrip("/"), timeout=60)
    exchanges: list[dict[str, Any]] = []

    def send(
        purpose: str,
        method: str,
        target: str,
        *,
        role: str | None = None,
        body: Any = None,
        cookie_role: str | None = None,
        raw_token: str | None = None,
    ) -> httpx.Response:
        headers = {"User-Agent": "coder-audit-mock-fidelity/1"}
        if role is not None:
            headers["Coder-Session-Token"] = raw_token or tokens[role]
        if cookie_role is not None:
            headers["Cookie"] = f"coder_session_token={raw_token or tokens[cookie_role]}"
        client.cookies.clear()
        response = client.request(method, target, headers=headers, json=body)
        answer_headers = {k: response.headers[k] for k in KEPT_HEADERS if k in response.headers}
        cookies = [
            _redact_cookie(value)
            for name, value in response.headers.multi_items()
            if name == "set-cookie" and not value.startswith("csrf_token=")
        ]
        try:
            answer_body: Any = response.json()
        except ValueError:
            answer_body = response.text
        exchanges.append(
            {
                "id": len(exchanges) + 1,
                "purpose": purpose,
                "request": {
                    "method": method,
                    "target": target,
                    "role": role,
                    "cookie_role": cookie_role,
                    "body": body,
                },
                "answer": {
                    "status": response.status_code,
                    "headers": answer_headers,
                    "set_cookie": cookies,
                    "body": answer_body,
                },
            }
        )
        return response

    organization = state["organization"]["id"]
    for role in ROLES:
        send("the app's first call", "GET", "/api/v2/users/me", role=role)
        send("the start-up permission checks", "POST", "/api/v2/authcheck", role=role,
             body={"checks": checks})  # fmt: skip
        send(
            "the Audit page's organization filter checks",
            "POST",
            "/api/v2/authcheck",
            role=role,
            body={"checks": {organization: {"object": {"resource_type": "audit_log",
                  "organization_id": organization}, "action": "read"}}},
        )  # fmt: skip
        send("dashboard: organizations", "GET", "/api/v2/organizations", role=role)
        send("Audit page: user filter", "GET", "/api/v2/users?limit=25&q=", role=role)
        for path in ("entitlements", "appearance", "experiments", "buildinfo",
                     "users/me/appearance", "notifications/inbox"):  # fmt: skip
            send(f"dashboard: {path}", "GET", f"/api/v2/{path}", role=role)
    send("no token: the app's first call", "GET", "/api/v2/users/me")
    send("an unknown token", "GET", "/api/v2/users/me", role="owner",
         raw_token="aaaaaaaaaa-bbbbbbbbbbbbbbbbbbbbbb")  # fmt: skip
    send("expired token", "GET", "/api/v2/users/me", role="expired")
    send("suspended user", "GET", "/api/v2/users/me", role="suspended")
    send("no token: first user", "GET", "/api/v2/users/first")
    send("no token: buildinfo", "GET", "/api/v2/buildinfo")
    send("no token: auth methods", "GET", "/api/v2/users/authmethods")
    send("no token: authcheck", "POST", "/api/v2/authcheck", body={"checks": {}})
    send("no token: organizations", "GET", "/api/v2/organizations")
    send("no token: unknown route", "GET", "/api/v2/workspaces")
    send("no token: health check (the dev server proxies /healthz)", "GET", "/healthz")
    send("authcheck: not JSON", "POST", "/api/v2/authcheck", role="owner", body="x")
    send("authcheck: bad action", "POST", "/api/v2/authcheck", role="owner",
         body={"checks": {"a": {"object": {"resource_type": "user"}, "action": "bogus"}}})  # fmt: skip
    send("users: bad query", "GET", "/api/v2/users?q=bogus:x", role="owner")
    send("users: paging", "GET", "/api/v2/users?limit=2&offset=1", role="owner")
    send("users: search", "GET", "/api/v2/users?limit=25&q=aud", role="owner")
    # Login: a user with a known password.
    created = client.post(
        "/api/v2/users",
        headers={"Coder-Session-Token": tokens["owner"]},
        json={**LOGIN_USER, "password": LOGIN_PASSWORD, "organization_ids": [organization]},
    )
    if created.status_code not in (201, 409, 400):
        raise SystemExit(f"webapp.py: creating the login user: {created.status_code}")
    send("login: wrong password", "POST", "/api/v2/users/login",
         body={"email": LOGIN_USER["email"], "password": "wrong"})  # fmt: skip
    send("login: bad body", "POST", "/api/v2/users/login", body={"email": "x"})
    login = send("login", "POST", "/api/v2/users/login",
                 body={"email": LOGIN_USER["email"], "password": LOGIN_PASSWORD})  # fmt: skip
    session = login.json()["session_token"]
    exchanges[-1]["answer"]["body"]["session_token"] = "REDACTED"
    tokens["login"] = session
    send("me with the login cookie", "GET", "/api/v2/users/me", cookie_role="login")
    send("logout with the cookie (no CSRF token)", "POST", "/api/v2/users/logout",
         cookie_role="login")  # fmt: skip
    send("logout", "POST", "/api/v2/users/logout", role="login")
    send("me after logout", "GET", "/api/v2/users/me", role="login")

    version = client.get("/api/v2/buildinfo").json()["version"]
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / f"coder-{version}.jsonl"
    text = "".join(json.dumps(e, ensure_ascii=False, sort_keys=False) + "\n" for e in exchanges)
    for role, token in tokens.items():  # never write a token
        text = text.replace(token, f"TOKEN:{role}")
    out.write_text(text, "utf-8")
    print(f"webapp.py: {len(exchanges)} exchanges -> {out}", file=sys.stderr)
    return 0


def _redact_cookie(value: str) -> str:
    name, _, rest = value.partition("=")
    _, _, attributes = rest.partition(";")
    return f"{name}=REDACTED;{attributes}" if attributes else f"{name}=REDACTED"


if __name__ == "__main__":
    raise SystemExit(main())
