"""What WireMock and Mockoon users expect of a mock server (issue #14, point 4).

The journal keeps request bodies and the headers that matter (secrets redacted) and filters by
method, path, status and time; faults come as 401, 403, 429 with Retry-After, a dropped
connection, a timeout and a slow body, per path and seeded; every `serve` flag can be set by an
environment variable or a config file; `--scenario FILE --watch` reloads; `--export-scenario`
can export only the logs a query selects and what they reference.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from coder_audit_mock._cli import main
from coder_audit_mock.mockserver import (
    DEFAULT_TOKENS,
    FaultPlan,
    FaultRule,
    MockServer,
    MockSettings,
    create_app,
    create_app_for,
    load_scenario,
    read_scenario_file,
)
from coder_audit_mock.mockserver._standalone import ServeOptions, build_app
from coder_audit_mock.mockserver._watch import ScenarioWatcher

from ._live import live_server

OWNER = {"Coder-Session-Token": DEFAULT_TOKENS["owner"]}


def _app(faults: FaultPlan | None = None) -> object:
    server = MockServer(MockSettings(log_count=20))
    return build_app(
        server, ServeOptions(access_log=False, webapp=True, faults=faults or FaultPlan())
    )


# -- the journal ---------------------------------------------------------------------------


def test_the_journal_keeps_bodies_and_headers_with_secrets_redacted() -> None:
    client = TestClient(_app())  # type: ignore[arg-type]
    client.post("/api/v2/audit/testgenerate", json={"action": "create"},
                headers={"Coder-Session-Token": DEFAULT_TOKENS["member"]})  # fmt: skip
    client.post("/api/v2/users/login", json={"email": "a@example.com", "password": "hunter2"})
    client.get("/api/v2/audit", params={"limit": 1}, headers={**OWNER, "Cookie": "a=b"})
    entries = client.get("/_mock/journal").json()["entries"]
    generate, login, listing = entries
    assert generate["body"] == '{"action":"create"}'  # kept though the 403 came before reading
    assert generate["status"] == 403 and generate["headers"]["coder-session-token"] == "REDACTED"
    assert json.loads(login["body"]) == {"email": "a@example.com", "password": "REDACTED"}
    assert listing["body"] is None and listing["headers"]["cookie"] == "a=REDACTED"
    assert listing["time"].endswith("Z") and "T" in listing["time"]
    text = json.dumps(entries)
    assert DEFAULT_TOKENS["owner"] not in text and "hunter2" not in text


def test_the_journal_filters_by_method_path_status_and_time() -> None:
    client = TestClient(_app())  # type: ignore[arg-type]
    client.get("/api/v2/audit", headers=OWNER)
    client.get("/api/v2/audit")  # 401
    client.post("/api/v2/audit/testgenerate", json={}, headers=OWNER)
    client.get("/api/v2/users/me", headers=OWNER)

    def paths(**filters: str) -> list[tuple[str, str, int]]:
        answer = client.get("/_mock/journal", params=filters)
        assert answer.status_code == 200, answer.text
        return [(e["method"], e["path"], e["status"]) for e in answer.json()["entries"]]

    assert paths(method="post") == [("POST", "/api/v2/audit/testgenerate", 204)]
    assert paths(path="/api/v2/audit") == [
        ("GET", "/api/v2/audit", 200),
        ("GET", "/api/v2/audit", 401),
    ]
    assert len(paths(path="/api/v2/audit*")) == 3
    assert paths(status="401") == [("GET", "/api/v2/audit", 401)]
    assert [s for _, _, s in paths(status="2xx", path="/api/v2/*")] == [200, 204, 200]
    assert len(paths(since="2000-01-01T00:00:00Z")) >= 4
    assert paths(until="2000-01-01T00:00:00Z") == []
    refused = client.get("/_mock/journal", params={"status": "abc"})
    assert refused.status_code == 400 and refused.json()["validations"][0]["field"] == "status"
    assert client.get("/_mock/journal", params={"colour": "red"}).status_code == 400


# -- faults --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        (401, "You are signed out or your session has expired. Please sign in again to continue."),
        (403, "Forbidden."),
        (429, "You've been rate limited for sending more than 512 requests in 1m0s."),
    ],
)
def test_status_faults_answer_in_coders_shape(kind: int, message: str) -> None:
    rule = FaultRule(path="/api/v2/audit", error_rate=1.0, error_statuses=(kind,), retry_after_s=7)
    client = TestClient(_app(FaultPlan((rule,))))  # type: ignore[arg-type]
    answer = client.get("/api/v2/audit", headers=OWNER)
    assert answer.status_code == kind and answer.json()["message"] == message
    assert answer.headers["x-mock-fault"] == str(kind)
    assert answer.headers.get("retry-after") == ("7" if kind == 429 else None)
    assert client.get("/api/v2/users/me", headers=OWNER).status_code == 200  # another path


def test_fault_kinds_are_drawn_from_the_seed() -> None:
    rule = FaultRule(error_rate=0.5, error_statuses=(401, 403, 429, 500, 503))

    def statuses() -> list[int]:
        client = TestClient(_app(FaultPlan((rule,), seed=3)))  # type: ignore[arg-type]
        return [client.get("/api/v2/audit", headers=OWNER).status_code for _ in range(30)]

    first = statuses()
    assert first == statuses() and len(set(first)) >= 4


def test_a_bad_fault_kind_is_refused_naming_the_field() -> None:
    client = TestClient(_app())  # type: ignore[arg-type]
    answer = client.put("/_mock/faults", json={"rules": [{"error_statuses": ["explode"]}]})
    assert answer.status_code == 400
    assert answer.json()["validations"][0]["field"] == "rules[0].error_statuses"


@pytest.fixture
def live() -> Iterator[tuple[str, object]]:
    app = _app()
    with live_server(app) as url:
        yield url, app


def _plan(url: str, rule: dict[str, object]) -> None:
    answer = httpx.put(url + "/_mock/faults", json={"rules": [rule]})
    assert answer.status_code == 200, answer.text


def test_network_faults_drop_hold_and_dribble(live: tuple[str, object]) -> None:
    url, _ = live
    with httpx.Client(base_url=url, headers=OWNER, timeout=10) as client:
        _plan(url, {"path": "/api/v2/audit", "error_rate": 1, "error_statuses": ["drop"]})
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/api/v2/audit")
        _plan(url, {"path": "/api/v2/audit", "error_rate": 1, "error_statuses": ["timeout"],
                    "timeout_ms": 300})  # fmt: skip
        started = time.monotonic()
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/api/v2/audit")
        assert time.monotonic() - started >= 0.3
        _plan(url, {"path": "/api/v2/audit", "error_rate": 1, "error_statuses": ["slow_body"],
                    "slow_body_ms": 300})  # fmt: skip
        started = time.monotonic()
        answer = client.get("/api/v2/audit", params={"limit": 2})
        assert time.monotonic() - started >= 0.3
        assert answer.status_code == 200 and len(answer.json()["audit_logs"]) == 2
        assert answer.headers["x-mock-fault"] == "slow_body"
        # Other paths are untouched, and the server still answers after the drops.
        assert client.get("/api/v2/users/me").status_code == 200


# -- settings from the environment and a config file ---------------------------------------


def test_serve_flags_from_the_environment_and_a_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "serve.toml"
    config.write_text('logs = 9\nseed = 4\nexport-scenario = "ignored.json"\n')
    out = tmp_path / "out.json"
    monkeypatch.setenv("CODER_AUDIT_MOCK_LOGS", "5")  # the environment wins over the file
    assert main(["serve", "--config", str(config), "--export-scenario", str(out)]) == 0
    exported = read_scenario_file(out)
    assert len(exported["logs"]) == 5
    seeded = MockServer(MockSettings(seed=4, log_count=5))
    assert [log["id"] for log in exported["logs"]] == [str(log.id) for log in seeded.store.logs]
    monkeypatch.setenv("CODER_AUDIT_MOCK_SEED", "x")
    assert main(["serve", "--export-scenario", str(out)]) == 2
    assert "invalid seed" in capsys.readouterr().err
    monkeypatch.delenv("CODER_AUDIT_MOCK_SEED")
    monkeypatch.setenv("CODER_AUDIT_MOCK_COLOUR", "red")
    assert main(["serve"]) == 2
    assert "CODER_AUDIT_MOCK_COLOUR is not a serve setting" in capsys.readouterr().err


def test_every_serve_flag_has_a_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from coder_audit_mock._cli import _build_parser
    from coder_audit_mock._cli._serve_config import serve_argv

    parser, _ = _build_parser()
    serve = next(a for a in parser._actions if hasattr(a, "choices") and a.choices)
    serve_parser = serve.choices["serve"]  # type: ignore[index]
    flags = [o for a in serve_parser._actions for o in a.option_strings if o.startswith("--")]
    for flag in flags:
        if flag in ("--help", "--config"):
            continue
        variable = "CODER_AUDIT_MOCK_" + flag[2:].upper().replace("-", "_")
        words = serve_argv([], serve_parser, {variable: "1"})
        assert words[0] == flag, (variable, words)


# -- watch and export ----------------------------------------------------------------------


def test_watch_reloads_a_changed_file_and_keeps_the_data_of_a_bad_one(tmp_path: Path) -> None:
    path = tmp_path / "team.json"
    path.write_text(json.dumps({"logs": [{"action": "create"}]}))
    server = MockServer(MockSettings(log_count=0))
    load_scenario(server, read_scenario_file(path))
    lines: list[str] = []
    watcher = ScenarioWatcher(server, path, lines.append, interval=0.02)
    watcher.start()
    try:
        path.write_text(json.dumps({"logs": [{"action": "create"}, {"action": "delete"}]}))
        os.utime(path, (1, 1))
        _wait(lambda: len(server.store) == 2)
        path.write_text('{"logs": [{"action": "crate"}]}')
        os.utime(path, (2, 2))
        _wait(lambda: len(lines) == 2)
    finally:
        watcher.stop()
    assert len(server.store) == 2  # the bad file left the data alone
    assert lines[0].startswith("reloaded ") and "2 logs" in lines[0]
    assert lines[1].startswith("kept the previous data: ") and 'unknown action "crate"' in lines[1]
    server.reset()
    assert len(server.store) == 2  # the reloaded file is the baseline


def _wait(condition: object, seconds: float = 5) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_watch_needs_a_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--watch"]) == 2
    assert "--watch needs --scenario" in capsys.readouterr().err


@pytest.mark.parametrize("query", ["resource_type:workspace", "resource_type:workspace_build",
                                   "action:login", ""])  # fmt: skip
def test_export_of_chosen_logs_answers_like_the_full_data(tmp_path: Path, query: str) -> None:
    out = tmp_path / "part.json"
    assert main(["serve", "--logs", "300", "--export-scenario", str(out),
                 "--export-query", query, "--export-limit", "40"]) == 0  # fmt: skip
    part = read_scenario_file(out)
    full = TestClient(create_app(log_count=300))
    assert len(part["users"]) < len(read_scenario_file_full(tmp_path)["users"])
    mine = MockServer(MockSettings(log_count=0))
    load_scenario(mine, part)
    params = {"q": query, "limit": 40}
    expected = full.get("/api/v2/audit", params=params, headers=OWNER).json()["audit_logs"]
    got = TestClient(create_app_for(mine)).get("/api/v2/audit", params={"limit": 40},
                                               headers=OWNER).json()["audit_logs"]  # fmt: skip
    assert got == expected


def read_scenario_file_full(tmp_path: Path) -> dict[str, object]:
    out = tmp_path / "full.json"
    if not out.exists():
        assert main(["serve", "--logs", "300", "--export-scenario", str(out)]) == 0
    data: dict[str, object] = read_scenario_file(out)
    return data
