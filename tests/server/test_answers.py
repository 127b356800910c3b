"""The answer cache (`_answers`): a repeated GET is replayed, and no write leaves a stale answer.

Every test compares what clients see: the same request before and after a write, through the
standalone app (journal, CORS, faults, admin) that `serve` runs. `answers.hits` only shows that
the cache was really in the way, so a passing test is not a cache that never answers.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.testclient import TestClient

from coder_audit_mock.mockserver import (
    DEFAULT_NOW_US,
    DEFAULT_TOKENS,
    FaultPlan,
    FaultRule,
    MockServer,
    MockSettings,
    add_log,
    add_user,
    load_scenario,
)
from coder_audit_mock.mockserver._standalone import ServeOptions, build_app

from .conftest import AUDIT, TESTGENERATE, auth

PAGE = AUDIT + "?limit=5&q=action:create"
UI = "http://localhost:5173"


def standalone(server: MockServer | None = None, **options: Any) -> TestClient:
    options.setdefault("access_log", False)
    server = server or MockServer(MockSettings(log_count=40))
    return TestClient(build_app(server, ServeOptions(**options)))


def server_of(client: TestClient) -> MockServer:
    server: MockServer = client.app.state.mock  # type: ignore[attr-defined]
    return server


def snapshot(response: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    return response.status_code, sorted(response.headers.items()), response.content


def test_a_repeated_get_is_replayed_byte_for_byte() -> None:
    client = standalone()
    first = snapshot(client.get(PAGE, headers=auth("owner")))
    again = snapshot(client.get(PAGE, headers=auth("owner")))
    assert again == first and first[0] == 200
    assert server_of(client).answers.hits == 1
    # A fresh server with the same settings, never cached, answers the same bytes.
    assert snapshot(standalone().get(PAGE, headers=auth("owner"))) == first


def test_testgenerate_voids_every_cached_answer() -> None:
    client = standalone()
    before = client.get(AUDIT, headers=auth("owner")).json()
    assert client.get(AUDIT, headers=auth("owner")).json() == before  # now cached
    assert client.post(TESTGENERATE, headers=auth("owner"), json={}).status_code == 204
    after = client.get(AUDIT, headers=auth("owner")).json()
    assert after["count"] == before["count"] + 1
    assert after["audit_logs"][0]["action"] == "write"


def test_reset_scenario_loading_and_edits_void_cached_answers() -> None:
    client = standalone()
    seeded = client.get(AUDIT, headers=auth("owner")).json()
    client.post(TESTGENERATE, headers=auth("owner"), json={})
    client.get(AUDIT, headers=auth("owner"))
    assert client.post("/_mock/reset").status_code == 200
    assert client.get(AUDIT, headers=auth("owner")).json() == seeded

    scenario = {"version": 1, "base": "builtin", "logs": [{"action": "create"}]}
    assert client.post("/_mock/scenario", json=scenario).status_code == 200
    assert client.get(AUDIT, headers=auth("owner")).json()["count"] == 1

    server = server_of(client)
    load_scenario(server, {"version": 1, "base": "builtin", "logs": []})
    assert client.get(AUDIT, headers=auth("owner")).json()["count"] == 0
    add_log(server, action="delete")
    assert client.get(AUDIT, headers=auth("owner")).json()["audit_logs"][0]["action"] == "delete"


def test_a_new_user_and_token_are_seen_at_once() -> None:
    client = standalone()
    token = "alice00000-alicesecret00000000000"
    query = AUDIT + "?q=username:alice"
    assert client.get(query, headers={"Coder-Session-Token": token}).status_code == 401
    assert client.get(query, headers=auth("owner")).json()["count"] == 0
    add_user(client.app.state.mock, username="alice", roles=["auditor"], tokens=[token])
    assert client.get(query, headers={"Coder-Session-Token": token}).status_code == 200
    add_log(client.app.state.mock, user="alice")
    assert client.get(query, headers=auth("owner")).json()["count"] == 1


def test_callers_with_the_same_query_get_their_own_answers() -> None:
    client = standalone()
    owner = client.get(AUDIT, headers=auth("owner")).json()
    org_admin = client.get(AUDIT, headers=auth("org-admin")).json()
    assert org_admin["count"] < owner["count"]
    assert client.get(AUDIT, headers=auth("owner")).json() == owner
    assert client.get(AUDIT, headers=auth("org-admin")).json() == org_admin
    # The same token in another carrier is another request: answered, not confused.
    cookie = {"Cookie": f"coder_session_token={DEFAULT_TOKENS['org-admin']}"}
    assert client.get(AUDIT, headers=cookie).json() == org_admin
    assert client.get(AUDIT).status_code == 401


def test_an_answer_is_not_replayed_once_the_key_has_expired() -> None:
    now = [DEFAULT_NOW_US]
    server = MockServer(MockSettings(log_count=5), clock=lambda: now[0])
    token = "bobbb00000-bobsecret0000000000000"
    expires = DEFAULT_NOW_US + 1_000_000
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=expires)
    add_user(
        server, username="bob", roles=["auditor"], tokens=[{"token": token, "expires_at": moment}]
    )
    client = standalone(server)
    headers = {"Coder-Session-Token": token}
    assert client.get(AUDIT, headers=headers).status_code == 200
    now[0] = expires
    assert client.get(AUDIT, headers=headers).status_code == 200  # still valid at expiry
    assert server.answers.hits == 1
    now[0] = expires + 1
    refused = client.get(AUDIT, headers=headers)
    assert refused.status_code == 401 and "expired" in refused.json()["detail"]


def test_faults_turned_on_and_off_are_obeyed_at_once() -> None:
    client = standalone()
    healthy = snapshot(client.get(PAGE, headers=auth("owner")))
    plan = {"rules": [{"path": "/api/v2/audit", "error_rate": 1, "error_statuses": [503]}]}
    assert client.put("/_mock/faults", json=plan).status_code == 200
    assert client.get(PAGE, headers=auth("owner")).status_code == 503
    assert client.delete("/_mock/faults").status_code == 200
    assert snapshot(client.get(PAGE, headers=auth("owner"))) == healthy


def test_faults_given_at_start_still_fail_repeated_reads() -> None:
    faults = FaultPlan((FaultRule(path="/api/v2/audit", error_rate=1.0, error_statuses=(500,)),))
    client = standalone(faults=faults)
    assert [client.get(PAGE, headers=auth("owner")).status_code for _ in range(3)] == [500] * 3


def test_cors_headers_follow_each_request_origin() -> None:
    client = standalone(cors_origins=(UI,))
    plain = client.get(PAGE, headers=auth("owner"))
    from_ui = client.get(PAGE, headers={**auth("owner"), "Origin": UI})
    again = client.get(PAGE, headers=auth("owner"))
    assert "access-control-allow-origin" not in plain.headers
    assert from_ui.headers["access-control-allow-origin"] == UI
    assert "access-control-allow-origin" not in again.headers
    assert from_ui.content == plain.content == again.content


def test_every_replayed_request_is_journaled_with_its_role() -> None:
    client = standalone()
    for role in ("owner", "owner", "auditor", "owner"):
        assert client.get(PAGE, headers=auth(role)).status_code == 200
    entries = client.app.state.journal.entries()  # type: ignore[attr-defined]
    assert [entry.role for entry in entries] == ["owner", "owner", "auditor", "owner"]
    assert all(entry.query == {"limit": ["5"], "q": ["action:create"]} for entry in entries)
    assert server_of(client).answers.hits == 2


def test_the_journal_role_follows_a_scenario_that_drops_the_token() -> None:
    client = standalone()
    assert client.get(PAGE, headers=auth("auditor")).status_code == 200
    assert client.get(PAGE, headers=auth("auditor")).status_code == 200
    assert client.post("/_mock/scenario", json={"version": 1, "base": "empty"}).status_code == 200
    assert client.get(PAGE, headers=auth("auditor")).status_code == 401
    entries = client.app.state.journal.entries()  # type: ignore[attr-defined]
    assert [(entry.role, entry.status) for entry in entries if entry.path == AUDIT] == [
        ("auditor", 200),
        ("auditor", 200),
        (None, 401),
    ]


def test_a_signed_out_session_is_refused_at_once_not_replayed() -> None:
    """Sign-in and sign-out change who may call: no cached answer outlives a signed-out token."""
    from coder_audit_mock.mockserver._webapp import BUILTIN_PASSWORD

    client = standalone(webapp=True)
    auditor = next(
        user for user in server_of(client).deployment.users.values() if user.username == "auditor"
    )
    login = client.post(
        "/api/v2/users/login", json={"email": auditor.email, "password": BUILTIN_PASSWORD}
    )
    assert login.status_code == 201
    session = {"Coder-Session-Token": login.json()["session_token"]}
    assert client.get(PAGE, headers=session).status_code == 200
    assert client.get(PAGE, headers=session).status_code == 200  # replayed from the cache
    assert server_of(client).answers.hits >= 1
    assert client.post("/api/v2/users/logout", headers=session).status_code == 200
    assert client.get(PAGE, headers=session).status_code == 401
