"""The standalone server: CORS, faults, admin endpoints, scenarios, journal and access log."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from coder_audit_mock import _cli
from coder_audit_mock._cli import serve as serve_command
from coder_audit_mock.mockserver import DEFAULT_TOKENS, MockServer, MockSettings
from coder_audit_mock.mockserver._admin import ADMIN_TOKEN_HEADER
from coder_audit_mock.mockserver._cors import normalize_origin
from coder_audit_mock.mockserver._faults import (
    FaultConfigError,
    FaultPlan,
    FaultRule,
    parse_delay,
    parse_rate,
)
from coder_audit_mock.mockserver._journal import JournalEntry, RequestJournal
from coder_audit_mock.mockserver._recorder import redact_query_string
from coder_audit_mock.mockserver._scenario import (
    MAX_REPORTED_ERRORS,
    add_log,
    add_organization,
    add_user,
    export_scenario,
    load_scenario,
)
from coder_audit_mock.mockserver._scenario_entry import ScenarioError
from coder_audit_mock.mockserver._scenario_files import read_scenario_file, write_scenario_file
from coder_audit_mock.mockserver._standalone import ServeOptions, build_app, is_loopback

from .conftest import AUDIT, TESTGENERATE, auth

UI = "http://localhost:5173"
OWNER = DEFAULT_TOKENS["owner"]
ALICE_TOKEN = "alice00000-alicesecret00000000000"


def make_app(log_count: int = 30, **options: Any) -> Any:
    options.setdefault("access_log", False)
    return build_app(MockServer(MockSettings(log_count=log_count)), ServeOptions(**options))


@pytest.fixture
def client_for() -> Callable[..., TestClient]:
    def make(log_count: int = 30, **options: Any) -> TestClient:
        return TestClient(make_app(log_count, **options))

    return make


@pytest.fixture(scope="module")
def untouched_client() -> TestClient:
    """One app for the tests whose requests must all be refused (they check it stays as it was)."""
    return TestClient(make_app(5))


def preflight(client: TestClient, origin: str, headers: str = "coder-session-token") -> Any:
    return client.options(
        AUDIT,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": headers,
        },
    )


# -- CORS -------------------------------------------------------------------------------------


def test_preflight_allows_the_token_header_with_credentials(client_for: Any) -> None:
    response = preflight(client_for(cors_origins=(UI,)), UI, "Coder-Session-Token, content-type")
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == UI
    assert response.headers["access-control-allow-credentials"] == "true"
    allowed = response.headers["access-control-allow-headers"].lower().split(", ")
    assert {"coder-session-token", "authorization", "content-type"} <= set(allowed)
    assert "GET" in response.headers["access-control-allow-methods"]


def test_preflight_from_an_unlisted_origin_is_refused_with_the_fix(client_for: Any) -> None:
    response = preflight(client_for(cors_origins=(UI,)), "http://evil.example")
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers
    assert "--cors-origin http://evil.example" in response.json()["detail"]


def test_preflight_for_an_unknown_header_names_it(client_for: Any) -> None:
    response = preflight(client_for(cors_origins=(UI,)), UI, "coder-session-token, x-custom")
    assert response.status_code == 400
    assert "x-custom" in response.json()["detail"]


def test_actual_requests_echo_the_origin_even_on_errors(client_for: Any) -> None:
    client = client_for(cors_origins=("*",))
    other = "http://127.0.0.1:9999"
    ok = client.get(AUDIT, headers={"Origin": other, **auth("owner")})
    unauthorized = client.get(AUDIT, headers={"Origin": other})
    for response in (ok, unauthorized):
        # `*` is never sent back: credentialed fetches would reject it.
        assert response.headers["access-control-allow-origin"] == other
        assert response.headers["access-control-allow-credentials"] == "true"
        assert "Origin" in response.headers["vary"]
    assert (ok.status_code, unauthorized.status_code) == (200, 401)
    assert "WWW-Authenticate" in unauthorized.headers["access-control-expose-headers"]


def test_unlisted_origins_and_no_cors_get_no_cors_headers(client_for: Any) -> None:
    listed = client_for(cors_origins=(UI,)).get(AUDIT, headers={"Origin": "http://x.example"})
    off = client_for().get(AUDIT, headers={"Origin": UI})
    assert "access-control-allow-origin" not in listed.headers
    assert not [name for name in off.headers if name.startswith("access-control")]


def test_origin_matching_ignores_case_and_trailing_slash(client_for: Any) -> None:
    client = client_for(cors_origins=("HTTP://LocalHost:5173/",))
    assert preflight(client, UI).status_code == 204


@pytest.mark.parametrize("bad", ["localhost:5173", "ftp://x.example", "http://x.example/app", ""])
def test_normalize_origin_rejects_what_a_browser_never_sends(bad: str) -> None:
    with pytest.raises(ValueError, match="expected scheme://host"):
        normalize_origin(bad)


# -- faults -------------------------------------------------------------------------------------


def statuses(plan: FaultPlan, count: int = 40) -> list[int]:
    client = TestClient(make_app(5, faults=plan))
    return [client.get(AUDIT, headers=auth("owner")).status_code for _ in range(count)]


def test_faults_are_off_by_default(client_for: Any) -> None:
    client = client_for(5)
    assert {client.get(AUDIT, headers=auth("owner")).status_code for _ in range(20)} == {200}


def test_error_rate_draws_are_deterministic_for_a_seed() -> None:
    half = (FaultRule(error_rate=0.5),)
    first, again = statuses(FaultPlan(half, seed=1)), statuses(FaultPlan(half, seed=1))
    other = statuses(FaultPlan(half, seed=2))
    assert first == again
    assert first != other
    assert set(first) == {200, 500, 503}


def test_injected_errors_are_coder_shaped_and_carry_cors(client_for: Any) -> None:
    plan = FaultPlan((FaultRule(error_rate=1.0, error_statuses=(500,)),))
    response = client_for(faults=plan, cors_origins=(UI,)).get(
        AUDIT, headers={"Origin": UI, **auth("owner")}
    )
    assert response.status_code == 500
    assert response.headers["x-mock-fault"] == "500"
    assert response.headers["access-control-allow-origin"] == UI
    assert response.content.endswith(b"}\n")
    assert response.json()["message"] == "An internal server error occurred."


def test_most_specific_rule_wins_and_admin_and_preflights_are_spared(client_for: Any) -> None:
    plan = FaultPlan(
        (
            FaultRule(path="/api/v2/", error_rate=1.0),
            FaultRule(path="/api/v2/audit/testgenerate", error_rate=0.0),
        )
    )
    client = client_for(faults=plan, cors_origins=(UI,))
    assert client.get(AUDIT, headers=auth("owner")).status_code in (500, 503)
    assert client.post(TESTGENERATE, headers=auth("owner"), json={}).status_code == 204
    assert client.post("/_mock/reset").status_code == 200
    assert client.get("/openapi.json").status_code == 200
    assert preflight(client, UI).status_code == 204


def test_fixed_delay_is_applied(client_for: Any) -> None:
    client = client_for(5, faults=FaultPlan((FaultRule(delay_ms=(120, 120)),)))
    started = time.perf_counter()
    assert client.get(AUDIT, headers=auth("owner")).status_code == 200
    assert time.perf_counter() - started >= 0.12
    assert client.app.state.journal.entries()[-1].duration_ms >= 120


def test_random_delays_stay_in_their_range() -> None:
    from coder_audit_mock.mockserver._faults import FaultInjector

    injector = FaultInjector(FaultPlan((FaultRule(delay_ms=(10, 30)),), seed=5))
    delays = [injector.decide("/api/v2/audit").delay_s for _ in range(200)]
    assert all(0.010 <= delay <= 0.030 for delay in delays)
    assert max(delays) - min(delays) > 0.015  # really drawn, not fixed


def test_faults_change_at_runtime(client_for: Any) -> None:
    client = client_for(5)
    plan = {
        "seed": 3,
        "rules": [{"path": "/api/v2/audit", "error_rate": 1, "error_statuses": [503]}],
    }
    assert client.put("/_mock/faults", json=plan).json()["rules"][0]["error_statuses"] == [503]
    assert client.get(AUDIT, headers=auth("owner")).status_code == 503
    assert client.get("/_mock/faults").json()["seed"] == 3
    assert client.delete("/_mock/faults").json()["rules"] == []
    assert client.get(AUDIT, headers=auth("owner")).status_code == 200


@pytest.mark.parametrize(
    ("plan", "field"),
    [
        ({"rules": [{"error_rate": 2}]}, "rules[0].error_rate"),
        ({"rules": [{}, {"delay_ms": [50, 10]}]}, "rules[1].delay_ms"),
        ({"rules": [{"delay_ms": "slow"}]}, "rules[0].delay_ms"),
        ({"rules": [{"error_statuses": [404]}]}, "rules[0].error_statuses"),
        ({"rules": [{"path": "api"}]}, "rules[0].path"),
        ({"rules": [{"rate": 1}]}, "rules[0].rate"),
        ({"seed": "x"}, "seed"),
    ],
)
def test_bad_fault_plans_name_the_field(
    untouched_client: TestClient, plan: Any, field: str
) -> None:
    client = untouched_client
    response = client.put("/_mock/faults", json=plan)
    assert response.status_code == 400
    assert response.json()["validations"][0]["field"] == field
    assert client.get("/_mock/faults").json()["rules"] == []  # unchanged


def test_fault_rules_check_their_values() -> None:
    with pytest.raises(FaultConfigError, match="error_rate"):
        FaultRule(error_rate=-0.1)
    assert parse_delay("7") == (7.0, 7.0)
    for bad in ("x", "5-", "-1", "90000"):
        with pytest.raises(ValueError, match="invalid delay"):
            parse_delay(bad)
    with pytest.raises(ValueError, match="0 to 1"):
        parse_rate("1.5")


# -- admin endpoints ----------------------------------------------------------------------------


def test_admin_index_lists_every_endpoint(client_for: Any) -> None:
    listed = {(e["method"], e["path"]) for e in client_for(5).get("/_mock").json()["endpoints"]}
    assert {("POST", "/_mock/reset"), ("PUT", "/_mock/faults"), ("GET", "/_mock/tokens")} <= listed


def test_reset_undoes_testgenerate(client_for: Any) -> None:
    client = client_for(7)
    assert client.post(TESTGENERATE, headers=auth("owner"), json={}).status_code == 204
    assert client.get(AUDIT, headers=auth("owner")).json()["count"] == 8
    assert client.post("/_mock/reset").json()["logs"] == 7
    assert client.get(AUDIT, headers=auth("owner")).json()["count"] == 7


def test_unknown_admin_routes_and_methods(client_for: Any) -> None:
    client = client_for(5)
    missing = client.get("/_mock/nothing")
    assert (missing.status_code, missing.json()) == (404, {"message": "Route not found."})
    wrong = client.get("/_mock/reset")
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "POST"


def test_admin_token_is_required_when_configured(client_for: Any) -> None:
    client = client_for(5, admin_token="s3cret-admin")
    assert client.post("/_mock/reset").json()["message"] == "Admin token required."
    wrong = client.post("/_mock/reset", headers={ADMIN_TOKEN_HEADER: "nope"})
    assert (wrong.status_code, wrong.json()["message"]) == (401, "Admin token is invalid.")
    assert (
        client.post("/_mock/reset", headers={ADMIN_TOKEN_HEADER: "s3cret-admin"}).status_code == 200
    )


def test_admin_off_leaves_only_coders_routes(client_for: Any) -> None:
    response = client_for(5, admin=False).post("/_mock/reset")
    assert (response.status_code, response.json()) == (404, {"message": "Route not found."})


def test_tokens_lists_roles_and_users(client_for: Any) -> None:
    tokens = client_for(5).get("/_mock/tokens").json()
    assert tokens["roles"] == DEFAULT_TOKENS
    assert OWNER in tokens["users"]["owner"]


def test_loopback_detection() -> None:
    assert [is_loopback(h) for h in ("127.0.0.2", "[::1]", "LOCALHOST")] == [True] * 3
    assert [is_loopback(h) for h in ("0.0.0.0", "::", "example.com")] == [False] * 3


# -- journal and access log ---------------------------------------------------------------------


def test_journal_records_role_query_and_status_but_no_token(client_for: Any) -> None:
    client = client_for(5)
    client.get(
        AUDIT, params={"offset": 0, "limit": 25, "q": "action:create"}, headers=auth("org-admin")
    )
    client.get(AUDIT, params={"access_token": DEFAULT_TOKENS["member"]})
    client.get(AUDIT, headers={"Coder-Session-Token": "nope"})
    entries = client.get("/_mock/journal").json()["entries"]
    assert entries[0]["query"] == {"offset": ["0"], "limit": ["25"], "q": ["action:create"]}
    assert [(e["role"], e["status"]) for e in entries] == [
        ("org-admin", 200),
        ("member", 403),
        (None, 401),
    ]
    assert entries[1]["query"] == {"access_token": ["REDACTED"]}
    assert "secret" not in json.dumps(entries)
    assert client.delete("/_mock/journal").json() == {"cleared": 4}  # the GET above counts
    # the DELETE itself is recorded once it has answered
    assert [e.method for e in client.app.state.journal.entries()] == ["DELETE"]


def test_journal_is_bounded() -> None:
    journal = RequestJournal(size=3)
    for status in range(200, 205):
        journal.record(JournalEntry("GET", "/", {}, None, status, 0.0))
    assert [entry.status for entry in journal.entries()] == [202, 203, 204]


def test_access_log_line_has_no_token_and_stays_one_line(client_for: Any) -> None:
    lines: list[str] = []
    client = client_for(5, access_log=True, log_line=lines.append)
    client.get(AUDIT, params={"limit": 5, "coder_session_token": OWNER})
    client.get(AUDIT + "%0Aforged 200", headers=auth("owner"))
    client.get(AUDIT, headers={"Authorization": f"Bearer {OWNER}"})
    assert re.fullmatch(
        r"GET /api/v2/audit\?limit=5&coder_session_token=REDACTED 200 \d+\.\dms", lines[0]
    )
    assert lines[1].startswith("GET /api/v2/audit%0Aforged%20200 404 ")
    assert not any(OWNER in line or "secret" in line for line in lines)


def test_access_log_goes_to_logging_and_quiet_silences_it(
    client_for: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="coder_audit_mock.access"):
        client_for(5, access_log=True).get(AUDIT)
        client_for(5, access_log=False).get(AUDIT)
    assert [record.getMessage().rsplit(" ", 1)[0] for record in caplog.records] == [
        "GET /api/v2/audit 401"
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"a=1;Coder_Session_Token=x", "a=1;Coder_Session_Token=REDACTED"),
        (b"access_token", "access_token=REDACTED"),
        (b"q=%E2%9C%93 x", "q=%E2%9C%93%20x"),
    ],
)
def test_redaction_catches_every_spelling(raw: bytes, expected: str) -> None:
    assert redact_query_string(raw) == expected


# -- scenarios ----------------------------------------------------------------------------------

TEAM = {
    "organizations": [{"name": "acme", "display_name": "Acme Inc"}],
    "users": [
        {
            "username": "alice",
            "roles": ["auditor"],
            "organizations": {"acme": ["organization-admin"]},
            "tokens": [ALICE_TOKEN],
        },
        {"username": "bob", "organizations": ["acme"]},
    ],
    "logs": [
        {"user": "bob", "action": "create", "resource_type": "workspace", "organization": "acme"},
        {"user": "alice", "action": "delete", "resource_type": "template", "status_code": 403},
    ],
}


def test_scenario_defaults_are_deterministic_and_complete() -> None:
    first, second = MockServer(MockSettings(log_count=0)), MockServer(MockSettings(log_count=0))
    other = MockServer(MockSettings(seed=9, log_count=0))
    for server in (first, second, other):
        load_scenario(server, TEAM)
    client = TestClient(build_app(first, ServeOptions(access_log=False)))
    logs = client.get(AUDIT, headers={"Coder-Session-Token": ALICE_TOKEN}).json()["audit_logs"]
    assert [(log["user"]["username"], log["action"]) for log in logs] == [
        ("alice", "delete"),
        ("bob", "create"),
    ]
    newest, oldest = logs
    assert newest["description"].startswith("{user} unsuccessfully attempted to delete")
    assert newest["organization"]["name"] == "coder"  # template: organization-scoped default
    assert oldest["organization"]["display_name"] == "Acme Inc"
    assert oldest["resource_target"] == "bob"  # testgenerate's default target (§5)
    assert newest["time"] == "2026-07-08T12:00:01Z" and oldest["time"] == "2026-07-08T12:00:00Z"
    assert export_scenario(first) == export_scenario(second) != export_scenario(other)


def test_scenario_becomes_the_baseline(client_for: Any) -> None:
    client = client_for(5)
    client.post("/_mock/scenario", json=TEAM)
    client.post(TESTGENERATE, headers=auth("owner"), json={})
    assert client.get(AUDIT, headers=auth("owner")).json()["count"] == 3
    assert client.post("/_mock/reset").json() == {"organizations": 3, "users": 8, "logs": 2}


def test_merge_adds_until_reset(client_for: Any) -> None:
    client = client_for(5)
    merged = client.post(
        "/_mock/scenario?merge=true",
        json={"logs": [{"action": "login", "resource_type": "api_key"}]},
    )
    assert merged.json()["logs"] == 6
    assert (
        client.get(AUDIT, params={"q": "action:login"}, headers=auth("owner")).json()["count"] >= 1
    )
    assert client.post("/_mock/reset").json()["logs"] == 5


def test_export_then_load_gives_the_same_answers() -> None:
    original = MockServer(MockSettings(log_count=150, seed=4))
    copy = MockServer(MockSettings(log_count=0, seed=4))
    load_scenario(copy, json.loads(json.dumps(export_scenario(original))))
    clients = [TestClient(build_app(s, ServeOptions(access_log=False))) for s in (original, copy)]
    for role in ("owner", "org-admin", "expired", "suspended", "member"):
        for q in (
            "",
            "resource_type:workspace_build build_reason:initiator",
            "username:me",
            "action:delete",
        ):
            answers = [
                c.get(AUDIT, params={"q": q, "limit": 200}, headers=auth(role)) for c in clients
            ]
            assert answers[0].status_code == answers[1].status_code
            assert answers[0].content == answers[1].content, (role, q)
    assert export_scenario(copy) == export_scenario(original)


@pytest.mark.parametrize(
    ("scenario", "field", "detail"),
    [
        ({"logs": [{}, {"action": "crate"}]}, "logs[1].action", 'unknown action "crate"'),
        ({"logs": [{"usr": "x"}]}, "logs[0].usr", "unknown field"),
        ({"logs": [{"user": "nobody"}]}, "logs[0].user", 'no user is named "nobody"'),
        ({"logs": [{"time": "yesterday"}]}, "logs[0].time", "RFC 3339"),
        ({"logs": [{"status_code": 42}]}, "logs[0].status_code", "from 100 to 599"),
        ({"logs": [{"diff": [1]}]}, "logs[0].diff", "expected an object"),
        ({"logs": [{"ip": "1.2.3"}]}, "logs[0].ip", "IP address"),
        ({"logs": {"action": "create"}}, "logs", "expected an array"),
        ({"users": [{"email": "a@b.c"}]}, "users[0].username", "required"),
        ({"users": [{"username": "owner"}]}, "users[0].username", "already taken"),
        ({"users": [{"username": "a b"}]}, "users[0].username", "invalid name"),
        (
            {"users": [{"username": "x", "roles": ["admin"]}]},
            "users[0].roles[0]",
            "unknown site role",
        ),
        (
            {"users": [{"username": "x", "organizations": {"acme": []}}]},
            "users[0].organizations.acme",
            "no organization",
        ),
        (
            {"users": [{"username": "x", "tokens": ["short-token"]}]},
            "users[0].tokens[0].token",
            "session token",
        ),
        (
            {"users": [{"username": "x", "tokens": [OWNER]}]},
            "users[0].tokens[0].token",
            "already used",
        ),
        ({"workspaces": [{"name": "dev"}]}, "workspaces[0].organization_id", "required"),
        (
            {
                "workspace_builds": [
                    {
                        "workspace_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                        "number": 1,
                        "reason": "boredom",
                        "transition": "start",
                    }
                ]
            },
            "workspace_builds[0].reason",
            "unknown reason",
        ),
        ({"builtin_roles": {"owner": "ghost"}}, "builtin_roles.owner", "no user"),
        ({"extras": []}, "extras", "unknown section"),
        ({"base": "full"}, "base", "unknown base"),
        ({"version": 2}, "version", "unsupported version"),
        ([], "scenario", "expected an object"),
    ],
)
def test_invalid_scenarios_name_entry_and_field(
    untouched_client: TestClient, scenario: Any, field: str, detail: str
) -> None:
    server = untouched_client.app.state.mock
    with pytest.raises(ScenarioError) as raised:
        load_scenario(server, scenario)
    assert raised.value.field == field
    assert detail in raised.value.detail
    assert str(raised.value).startswith(f"{field}: ")
    assert len(server.store) == 5  # unchanged


def test_invalid_scenario_over_http_is_a_coder_shaped_400(client_for: Any) -> None:
    client = client_for(5)
    response = client.post("/_mock/scenario", json={"logs": [{"action": "crate"}]})
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "Invalid scenario."
    assert body["validations"][0]["field"] == "logs[0].action"
    broken = client.post(
        "/_mock/scenario", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert "invalid JSON at line 1" in broken.json()["detail"]
    assert client.get(AUDIT, headers=auth("owner")).json()["count"] == 5


def test_a_bad_scenario_reports_every_error_at_once(client_for: Any) -> None:
    client = client_for(5)
    scenario = {
        "users": [{"username": "ok"}, {"username": "no spaces"}],
        "logs": [{"action": "crate"}, {"action": "create"}, {"status_code": "x"}],
    }
    response = client.post("/_mock/scenario", json=scenario)
    assert response.status_code == 400
    fields = [each["field"] for each in response.json()["validations"]]
    assert fields == ["users[1].username", "logs[0].action", "logs[2].status_code"]
    assert all(field in response.json()["detail"] for field in fields)
    assert client.get(AUDIT, headers=auth("owner")).json()["count"] == 5  # nothing loaded


def test_a_scenario_reports_at_most_fifty_errors() -> None:
    server = MockServer(MockSettings(log_count=0))
    with pytest.raises(ScenarioError) as raised:
        load_scenario(server, {"logs": [{"action": "crate"}] * 500})
    assert len(raised.value.errors) == MAX_REPORTED_ERRORS == 50
    assert raised.value.field == "logs[0].action"


def test_yaml_scenarios_by_file_and_over_http(tmp_path: Path, client_for: Any) -> None:
    pytest.importorskip("yaml")
    text = "users:\n  - username: carol\nlogs:\n  - {user: carol, time: 2024-05-01T12:00:00Z}\n"
    path = tmp_path / "team.yaml"
    path.write_text(text)
    data = read_scenario_file(path)
    server = MockServer(MockSettings(log_count=0))
    load_scenario(server, data)
    assert [log.time for log in server.store.logs] == [1_714_564_800_000_000]  # unquoted time
    client = client_for(5)
    answer = client.post(
        "/_mock/scenario", content=text, headers={"Content-Type": "application/yaml"}
    )
    assert answer.json()["logs"] == 1
    write_scenario_file(tmp_path / "out.yml", export_scenario(server))
    assert read_scenario_file(tmp_path / "out.yml") == export_scenario(server)


def test_scenario_files_errors_name_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bad.json").write_text('{"logs": [}')
    with pytest.raises(ScenarioError, match=r"bad\.json: invalid JSON at line 1 column 11"):
        read_scenario_file(tmp_path / "bad.json")
    with pytest.raises(ScenarioError, match=r"\*\.json, \*\.yaml"):
        read_scenario_file(tmp_path / "team.txt")
    with pytest.raises(ScenarioError, match="cannot read the file"):
        read_scenario_file(tmp_path / "missing.json")
    (tmp_path / "team.yaml").write_text("logs: []\n")
    monkeypatch.setitem(sys.modules, "yaml", None)  # as if PyYAML were not installed
    with pytest.raises(ScenarioError, match=r"pip install .coder-audit-mock\[yaml\]."):
        read_scenario_file(tmp_path / "team.yaml")


def test_builders_add_signable_users_and_visible_logs() -> None:
    server = MockServer(MockSettings(log_count=10))
    client = TestClient(build_app(server, ServeOptions(access_log=False)))
    add_organization(server, name="acme")
    add_user(
        server,
        username="dana",
        organizations={"acme": ["organization-auditor"]},
        tokens=[ALICE_TOKEN],
    )
    log = add_log(
        server, user="dana", organization="acme", action="create", resource_type="workspace"
    )
    seen = client.get(AUDIT, headers={"Coder-Session-Token": ALICE_TOKEN}).json()
    assert (seen["count"], seen["audit_logs"][0]["id"]) == (1, str(log.id))  # org-scoped reader
    assert client.get(AUDIT, headers=auth("owner")).json()["audit_logs"][0]["id"] == str(log.id)
    with pytest.raises(ScenarioError, match=r"^add_log\.action: "):
        add_log(server, action="nope")


def test_builtin_roles_move_the_role_token() -> None:
    server = MockServer(MockSettings(log_count=0))
    load_scenario(
        server,
        {"users": [{"username": "erin", "roles": ["owner"]}], "builtin_roles": {"owner": "erin"}},
    )
    client = TestClient(build_app(server, ServeOptions(access_log=False)))
    assert client.post(TESTGENERATE, headers=auth("owner"), json={}).status_code == 204
    assert (
        client.get(AUDIT, headers=auth("owner")).json()["audit_logs"][0]["resource_target"]
        == "erin"
    )
    assert client.app.state.journal.entries()[-1].role == "owner"


# -- the serve command's standalone flags --------------------------------------------------------


def serve_args(*argv: str) -> Any:
    parser, _ = _cli._build_parser()
    return parser.parse_args(["serve", *argv])


def test_cli_flags_build_the_options() -> None:
    args = serve_args(
        "--cors-origin", UI, "--delay", "100-200", "--error-rate", "/api/v2/audit=0.25", "--quiet"
    )
    options, notes = serve_command._serve_options(args)
    assert options.cors_origins == (UI,) and not options.access_log and options.admin
    rules = {rule.path: rule for rule in options.faults.rules}
    assert rules["/api/v2/"].delay_ms == (100.0, 200.0)
    assert rules["/api/v2/audit"].error_rate == 0.25
    assert any("Admin: http://h/_mock" in line for line in notes("http://h"))


def test_cli_keeps_admin_off_on_open_hosts_without_a_token() -> None:
    exposed, notes = serve_command._serve_options(serve_args("--host", "0.0.0.0"))
    assert not exposed.admin
    assert any("--admin-token" in line for line in notes("http://h"))
    guarded, _ = serve_command._serve_options(
        serve_args("--host", "0.0.0.0", "--admin-token", "long-enough")
    )
    assert guarded.admin and guarded.admin_token == "long-enough"
    assert not serve_command._serve_options(serve_args("--no-admin"))[0].admin


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--cors-origin", "localhost:5173"], "invalid origin"),
        (["--delay", "fast"], "invalid delay"),
        (["--error-rate", "2"], "invalid error rate"),
        (["--error-rate", "api=0.5"], "invalid path"),
        (["--admin-token", "short"], "invalid admin token"),
        (["--delay", "5", "--delay", "/api/v2/=6"], "given more than once"),
    ],
)
def test_cli_rejects_bad_standalone_flags(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli.main(["serve", *argv]) == 2
    assert message in capsys.readouterr().err


def test_cli_exports_a_scenario_and_serves_it_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "team.json"
    assert (
        _cli.main(["serve", "--logs", "12", "--seed", "3", "--export-scenario", str(target)]) == 0
    )
    assert "wrote 12 logs" in capsys.readouterr().out
    copy_target = tmp_path / "copy.json"
    argv = ["serve", "--scenario", str(target), "--export-scenario", str(copy_target)]
    assert _cli.main(argv) == 0
    assert json.loads(copy_target.read_text()) == json.loads(target.read_text())
    (tmp_path / "bad.json").write_text('{"logs": [{"action": "crate"}]}')
    assert (
        _cli.main(
            [
                "serve",
                "--scenario",
                str(tmp_path / "bad.json"),
                "--export-scenario",
                str(copy_target),
            ]
        )
        == 1
    )
    assert "bad.json: logs[0].action: unknown action" in capsys.readouterr().err
