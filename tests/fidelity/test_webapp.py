"""The web app's endpoints (`mockserver/_webapp.py`) against what a real Coder v2.35.1 answered.

`tests/fidelity/webapp/coder-v2.35.1.jsonl` was recorded by `tools/real_coder/webapp.py` from a
Coder seeded by `tools/real_coder/seed.py` (docs/real-coder.md). Each exchange is replayed
against `serve`'s app (web app routes on, unlicensed: the open-source build answers
`entitlements` 404) as the same role, and compared: status, content type, the
`WWW-Authenticate` challenge, the body's shape (keys and JSON types, recursively; ids, times and
names differ, of course), and exactly where the answer holds no data of the deployment's own
(errors, permission answers, constants). `DIFFERENCES` lists what stays different and why.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from coder_audit_mock.mockserver import DEFAULT_TOKENS, MockServer, MockSettings
from coder_audit_mock.mockserver._standalone import ServeOptions, build_app
from coder_audit_mock.mockserver._webapp import BUILTIN_PASSWORD

RECORDED = Path(__file__).parent / "webapp" / "coder-v2.35.1.jsonl"
EXCHANGES = [json.loads(line) for line in RECORDED.read_text("utf-8").splitlines()]
# Keys Go omits when empty (codersdk.User's name, avatar_url, is_service_account): a user
# without them on one side is not a difference of shape.
OMITEMPTY = frozenset({"name", "avatar_url", "is_service_account"})
# Paths whose whole answer is compared exactly (it holds nothing of the deployment's own).
EXACT_PATHS = frozenset(
    {
        "/api/v2/authcheck",
        "/api/v2/users/first",
        "/api/v2/experiments",
        "/api/v2/users/me/appearance",
    }
)
DIFFERENCES = {
    # Real Coder turns GitHub sign-in on by default (Coder's own OAuth app); the mock cannot
    # sign anyone in through GitHub, so it does not offer the button.
    "no token: auth methods": "github sign-in off",
    # Without a token a real Coder answers every route 401; the mock answers routes it does not
    # have 404, because a 401 after sign-in signs Coder's web app out (issue #14).
    "no token: unknown route": "404, never 401",
}


def shape(value: Any) -> Any:
    """Keys and JSON types, recursively; a list's shape merges its items' shapes."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items() if key not in OMITEMPTY}
    if isinstance(value, list):
        merged: Any = None
        for item in value:
            merged = _merge(merged, shape(item))
        return [] if merged is None else [merged]
    return "null" if value is None else type(value).__name__


def _merge(a: Any, b: Any) -> Any:
    if a is None or a == []:
        return b
    if b == []:
        return a
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: _merge(a.get(k), b.get(k)) for k in {**a, **b}}
    if isinstance(a, list) and isinstance(b, list):
        return [_merge(a[0], b[0])]
    return a if a == b else f"{a}|{b}"


def compatible(mine: Any, theirs: Any) -> bool:
    """Same shape, where an empty list (no notifications, a user without roles) fits any."""
    if isinstance(mine, dict) and isinstance(theirs, dict):
        return mine.keys() == theirs.keys() and all(compatible(mine[k], theirs[k]) for k in mine)
    if isinstance(mine, list) and isinstance(theirs, list):
        return not mine or not theirs or compatible(mine[0], theirs[0])
    return bool(mine == theirs)


def _masked(value: Any) -> Any:
    # Times and numbers in error details differ (an expiry, a count): compare their shape.
    return re.sub(r"[\d.]+", "0", value) if isinstance(value, str) else value


@pytest.fixture(scope="module")
def client() -> TestClient:
    server = MockServer(MockSettings(log_count=50))
    app = build_app(server, ServeOptions(access_log=False, webapp=True, licensed=False))
    return TestClient(app, base_url="http://127.0.0.1:7081")


@pytest.fixture(scope="module")
def mock_tokens(client: TestClient) -> dict[str, str]:
    """The mock's token per recorded role; `login` signs in as the mock's member."""
    tokens = dict(DEFAULT_TOKENS)
    server: MockServer = client.app.state.mock  # type: ignore[attr-defined]
    member = server.deployment.users[server.deployment.role_users["member"]]
    login = client.post(
        "/api/v2/users/login", json={"email": member.email, "password": BUILTIN_PASSWORD}
    )
    assert login.status_code == 201, login.text
    tokens["login"] = login.json()["session_token"]
    client.cookies.clear()
    return tokens


def _request(client: TestClient, exchange: dict[str, Any], tokens: dict[str, str]) -> Any:
    request = exchange["request"]
    server: MockServer = client.app.state.mock  # type: ignore[attr-defined]
    deployment = server.deployment
    headers = {"User-Agent": "coder-audit-mock-fidelity/1"}
    target = request["target"]
    if request["role"] is not None:
        token = tokens[request["role"]]
        if exchange["purpose"] == "an unknown token":
            token = "aaaaaaaaaa-bbbbbbbbbbbbbbbbbbbbbb"
        headers["Coder-Session-Token"] = token
    if request["cookie_role"] is not None:
        headers["Cookie"] = f"coder_session_token={tokens[request['cookie_role']]}"
    body = request["body"]
    if isinstance(body, dict) and "checks" in body and len(body["checks"]) == 1:
        # The per-organization check names the real organization: ask about the mock's
        # organization of its organization admin.
        [(name, check)] = body["checks"].items()
        admin = deployment.users[deployment.role_users["org-admin"]]
        organization = str(next(o for o, roles in admin.organization_roles.items() if roles))
        if "organization_id" in check["object"]:
            body = {"checks": {organization: {**check, "object": {**check["object"],
                    "organization_id": organization}}}}  # fmt: skip
            exchange = {**exchange, "_renamed": (name, organization)}
    if target == "/api/v2/users/login" and isinstance(body, dict) and body.get("password"):
        member = deployment.users[deployment.role_users["member"]]
        right = body["password"] != "wrong"
        body = {"email": member.email, "password": BUILTIN_PASSWORD if right else "wrong"}
    client.cookies.clear()
    return client.request(
        request["method"],
        target,
        headers=headers,
        content=None if body is None else json.dumps(body),
    ), exchange


@pytest.mark.parametrize(
    "exchange",
    EXCHANGES,
    ids=[f"{e['id']}-{e['purpose']}-{e['request']['role']}" for e in EXCHANGES],
)
def test_the_mock_answers_as_the_real_coder(
    client: TestClient, mock_tokens: dict[str, str], exchange: dict[str, Any]
) -> None:
    if exchange["purpose"] in DIFFERENCES:
        pytest.skip(f"registered difference: {DIFFERENCES[exchange['purpose']]}")
    response, exchange = _request(client, exchange, mock_tokens)
    answer = exchange["answer"]
    path = exchange["request"]["target"].split("?")[0]
    assert response.status_code == answer["status"], response.text
    assert response.headers.get("content-type") == answer["headers"].get("content-type")
    assert response.headers.get("x-coder-build-version") == "v2.35.1"
    assert ("www-authenticate" in response.headers) == ("www-authenticate" in answer["headers"])
    cookies = [v for k, v in response.headers.multi_items() if k == "set-cookie"]
    assert [re.sub("=[^;]*;", "=REDACTED;", c, count=1) for c in cookies] == answer["set_cookie"]
    if not answer["headers"].get("content-type", "").startswith("application/json"):
        assert response.text == answer["body"]
        return
    mine, theirs = response.json(), answer["body"]
    if "_renamed" in exchange:
        real_name, mock_name = exchange["_renamed"]
        theirs = {mock_name: theirs[real_name]}
    if "session_token" in mine:
        mine = {**mine, "session_token": "REDACTED"}
    if isinstance(theirs, list) and path in EXACT_PATHS:
        assert mine == theirs
    elif answer["status"] >= 400 or path in EXACT_PATHS:
        assert {k: _masked(v) for k, v in mine.items()} == {
            k: _masked(v) for k, v in theirs.items()
        }
    else:
        assert compatible(shape(mine), shape(theirs)), (shape(mine), shape(theirs))


def test_the_licensed_overlay_has_every_feature_and_the_audit_log_on() -> None:
    app = build_app(
        MockServer(MockSettings(log_count=0)), ServeOptions(access_log=False, webapp=True)
    )
    client = TestClient(app)
    headers = {"Coder-Session-Token": DEFAULT_TOKENS["owner"]}
    body = client.get("/api/v2/entitlements", headers=headers).json()
    assert body["has_license"] is True and body["features"]["audit_log"] == {
        "entitlement": "entitled",
        "enabled": True,
    }
    assert "appearance" in body["features"] and len(body["features"]) == 27
    assert list(body) == ["features", "warnings", "errors", "has_license", "trial",
                          "require_telemetry", "refreshed_at"]  # fmt: skip
    assert client.get("/api/v2/appearance", headers=headers).json()["service_banner"] == {
        "enabled": False
    }
    # Without a token: Coder's 401, so the web app goes to its login page.
    assert client.get("/api/v2/entitlements").status_code == 401


def test_routes_the_mock_does_not_have_are_404_never_401() -> None:
    app = build_app(
        MockServer(MockSettings(log_count=0)), ServeOptions(access_log=False, webapp=True)
    )
    client = TestClient(app)
    for path in ("/api/v2/workspaces", "/api/v2/templates", "/api/v2/users/me/keys"):
        response = client.get(path)
        assert (response.status_code, response.json()) == (404, {"message": "Route not found."})


def test_the_notifications_watch_accepts_a_websocket_and_stays_quiet() -> None:
    app = build_app(
        MockServer(MockSettings(log_count=0)), ServeOptions(access_log=False, webapp=True)
    )
    with TestClient(app).websocket_connect(
        "/api/v2/notifications/inbox/watch?read_status=unread",
        headers={"Coder-Session-Token": DEFAULT_TOKENS["owner"]},
    ) as socket:
        socket.close()
    # Without a session the upgrade is refused, as Coder's API-key middleware refuses it.
    with (
        pytest.raises(WebSocketDisconnect),
        TestClient(app).websocket_connect("/api/v2/notifications/inbox/watch"),
    ):
        pass
