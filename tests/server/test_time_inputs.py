"""Every RFC 3339 time the mock is given is read as testgenerate reads a `time` (§5.1).

One table of texts, each accepted or refused by Go's `time.Parse(time.RFC3339, ...)`, checked
against the four inputs that share the parser: testgenerate's `time` (what v2.35.1 was recorded
answering, §1.2), a scenario's times, the request journal's `since`/`until`, and the pytest
marker's `now=` string. `serve --now` keeps its own grammar (tests/server/test_cli.py).
"""

from __future__ import annotations

import datetime as dt

import pytest
from starlette.testclient import TestClient

from coder_audit_mock.fixtures.plugin import _marker_now
from coder_audit_mock.mockserver import MockServer, MockSettings, create_app_for
from coder_audit_mock.mockserver._journal import JournalEntry, journal_time, select_entries
from coder_audit_mock.mockserver._scenario import load_scenario
from coder_audit_mock.mockserver._scenario_entry import ScenarioError

from .conftest import TESTGENERATE, auth

# text -> microseconds since 1970 (Go accepts it), or None (Go refuses it).
TIMES: dict[str, int | None] = {
    "2024-05-01T12:00:00Z": 1_714_564_800_000_000,
    "2024-05-01T14:00:00+02:00": 1_714_564_800_000_000,
    "2024-05-01T12:00:00.5Z": 1_714_564_800_500_000,
    "2024-05-01T12:00:00,5Z": 1_714_564_800_500_000,  # Go takes a comma before the fraction
    "2024-05-01T2:00:00Z": 1_714_528_800_000_000,  # and a one-digit hour
    "2024-05-01t12:00:00Z": None,  # not a lower-case t
    "2024-05-01T12:00:00z": None,  # nor z
    "2024-05-01 12:00:00Z": None,  # nor a space for the T
    "2024-05-01T12:00:00": None,  # a zone is required
    "2024-05-01": None,  # recorded from v2.35.1: 400 `cannot parse "" as "T"`
    "2024-05-01T12:00:00+25:00": None,  # recorded: "time zone offset hour out of range"
}


def _testgenerate_accepts(text: str) -> bool:
    server = MockServer(MockSettings(log_count=0))
    client = TestClient(create_app_for(server), raise_server_exceptions=False)
    answer = client.post(TESTGENERATE, json={"time": text}, headers=auth("owner"))
    assert answer.status_code in (204, 400), answer.text
    return answer.status_code == 204


def _scenario_time(text: str) -> int | None:
    server = MockServer(MockSettings(log_count=0))
    try:
        load_scenario(server, {"logs": [{"time": text}]})
    except ScenarioError as error:
        assert error.field == "logs[0].time"
        return None
    (log,) = server.store.logs
    return log.time


def _journal_accepts(text: str) -> bool:
    entry = JournalEntry("GET", "/api/v2/audit", {}, None, 200, 1.0, time=journal_time(0.0))
    try:
        select_entries([entry], {"since": text})
    except ValueError as error:
        assert str(error).startswith("since: ")
        return False
    return True


def _marker_time(text: str) -> int | None:
    try:
        return _marker_now(text)
    except pytest.fail.Exception:
        return None


@pytest.mark.parametrize(("text", "expected"), TIMES.items())
def test_every_time_input_reads_as_testgenerate_does(text: str, expected: int | None) -> None:
    assert _testgenerate_accepts(text) == (expected is not None)
    assert _journal_accepts(text) == (expected is not None)
    assert _marker_time(text) == expected
    assert _scenario_time(text) == expected


def test_the_journal_reads_a_plus_decoded_to_a_space_as_a_plus() -> None:
    # `?since=2024-05-01T14:00:00+02:00` unescaped arrives as "... 14:00:00 02:00".
    early = JournalEntry("GET", "/a", {}, None, 200, 1.0, time="2024-05-01T11:59:59.999Z")
    late = JournalEntry("GET", "/b", {}, None, 200, 1.0, time="2024-05-01T12:00:00.000Z")
    chosen = select_entries([early, late], {"since": "2024-05-01T14:00:00 02:00"})
    assert [entry.path for entry in chosen] == ["/b"]


def test_a_marker_datetime_is_taken_as_is_and_naive_means_utc() -> None:
    aware = dt.datetime(2024, 5, 1, 14, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert (
        _marker_now(aware)
        == _marker_now(dt.datetime(2024, 5, 1, 12))
        == TIMES["2024-05-01T12:00:00Z"]
    )
