"""`serve --max-logs N`: at most N stored logs; testgenerate beyond them is a 507 that stores nothing.

Coder itself never limits its table; the limit is the mock's, so that a long-running server
cannot be written into exhaustion. Past it, testgenerate answers 507 Insufficient Storage in
Coder's error shape (§1.5) with a detail that names the limit and the way out.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from starlette.testclient import TestClient

from coder_audit_mock._cli import main
from coder_audit_mock.mockserver import create_app

from ._support import (
    AUDIT,
    INTERNAL_ERROR,
    TESTGENERATE,
    Answer,
    Http,
    ServedMock,
    add,
    auth,
    record,
)

SEEDED_LOGS = 3
MAX_LOGS = 10
ROOM = MAX_LOGS - SEEDED_LOGS
CONCURRENT_WRITERS = 24


def limit_detail(limit: int) -> str:
    return (
        f"the mock server stores at most {limit} audit logs (coder-audit-mock --max-logs); "
        "reset it or raise the limit"
    )


@pytest.fixture(scope="module")
def bounded(start_mock: Callable[..., ServedMock]) -> ServedMock:
    return start_mock("--logs", str(SEEDED_LOGS), "--max-logs", str(MAX_LOGS), "--quiet")


@pytest.fixture
def http(bounded: ServedMock) -> Http:
    """A connection to the bounded server, whose data is back at its 3 seeded logs."""
    connection = Http(bounded.port)
    assert connection.request("POST", "/_mock/reset").status == 200
    return connection


def stored(http: Http) -> int:
    count: int = http.get(f"{AUDIT}?limit=1").json()["count"]
    return count


def assert_limit_reached(answer: Answer) -> None:
    assert answer.status == 507
    assert answer.headers["content-type"] == "application/json; charset=utf-8"
    assert answer.json() == {"message": INTERNAL_ERROR, "detail": limit_detail(MAX_LOGS)}


def test_testgenerate_past_the_limit_is_a_507_and_stores_nothing(http: Http) -> None:
    for _ in range(ROOM):
        assert http.testgenerate({}).status == 204
    for _ in range(3):
        assert_limit_reached(http.testgenerate({"action": "create"}))
    assert stored(http) == MAX_LOGS
    # The body is still read and checked first, as Coder decodes before it inserts (§1.2).
    bad = http.request("POST", TESTGENERATE, headers=auth("owner"), body=b"{")
    assert bad.status == 400
    add("memory bound", "refused_writes", 3)


def test_concurrent_writes_never_overshoot_the_limit(bounded: ServedMock, http: Http) -> None:
    start = threading.Barrier(CONCURRENT_WRITERS)

    def write(_: int) -> int:
        connection = Http(bounded.port)
        start.wait(timeout=30)
        return connection.testgenerate({}).status

    with ThreadPoolExecutor(CONCURRENT_WRITERS) as pool:
        statuses = list(pool.map(write, range(CONCURRENT_WRITERS), timeout=60))
    assert sorted(statuses) == [204] * ROOM + [507] * (CONCURRENT_WRITERS - ROOM)
    assert stored(http) == MAX_LOGS
    add("memory bound", "refused_writes", CONCURRENT_WRITERS - ROOM)
    record("memory bound", max_logs=MAX_LOGS, concurrent_writers=CONCURRENT_WRITERS)


def test_reset_makes_room_again(http: Http) -> None:
    for _ in range(ROOM):
        assert http.testgenerate({}).status == 204
    assert_limit_reached(http.testgenerate({}))
    assert http.request("POST", "/_mock/reset").status == 200
    assert stored(http) == SEEDED_LOGS
    assert http.testgenerate({}).status == 204


def test_zero_refuses_every_write_and_leaves_reads_alone() -> None:
    client = TestClient(create_app(log_count=2, max_logs=0))
    answer = client.post(TESTGENERATE, json={}, headers=auth("owner"))
    assert answer.status_code == 507
    assert answer.json()["detail"] == limit_detail(0)
    assert client.get(AUDIT, headers=auth("auditor")).json()["count"] == 2


def test_the_flag_is_documented_and_checked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--help"]) == 0
    assert "--max-logs N" in capsys.readouterr().out
    assert main(["serve", "--max-logs", "-1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "argument --max-logs: invalid max logs '-1': expected an integer 0 or more" in err
