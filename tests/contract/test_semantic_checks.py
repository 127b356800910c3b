"""The semantic checks pass the real mock and catch every broken server of the zoo.

The zoo (`broken_servers.py`, documented in docs/broken-servers.md) breaks one thing per
server; each must be failed by the checks it names, with the violation naming the check. The
strategies are held to their promises against the mock: valid queries are never refused,
invalid input gets exactly the expected validation fields, testgenerate bodies are accepted.
Every run is seeded and the mock's clock pinned, so failures reproduce.
"""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coder_audit_mock.contracts._target import Target, open_target
from coder_audit_mock.contracts.checks import (
    DEFAULT_MAX_EXAMPLES,
    SEMANTIC_CHECKS,
    SemanticCheck,
    harvest_corpus,
)
from coder_audit_mock.contracts.strategies import (
    Corpus,
    InvalidInput,
    SearchQuery,
    invalid_pagination,
    invalid_search_queries,
    parse_time,
    search_queries,
    testgenerate_bodies,
)
from coder_audit_mock.mockserver import DEFAULT_NOW_US, DEFAULT_TOKENS, create_app

from .broken_servers import (
    DOC,
    LOG_COUNT,
    SLOW_SECONDS,
    ZOO,
    documented_table,
    markdown_table,
)

SEED = 0
EXAMPLES = DEFAULT_MAX_EXAMPLES
RESPONSE_TIME_LIMIT = 1.0  # below the zoo's slow server, far above the mock's answers (even loaded)
AUDIT = "/api/v2/audit"
OWNER = {"Coder-Session-Token": DEFAULT_TOKENS["owner"]}

assert RESPONSE_TIME_LIMIT < SLOW_SECONDS


def tuned(name: str) -> SemanticCheck:
    check = SEMANTIC_CHECKS[name]
    return check.configured(max_seconds=RESPONSE_TIME_LIMIT) if name == "response_time" else check


def mock(**settings_: object) -> object:
    return create_app(log_count=LOG_COUNT, clock=lambda: DEFAULT_NOW_US, **settings_)  # type: ignore[arg-type]


# -- the real mock passes, the broken servers fail -------------------------------------------


@pytest.mark.parametrize("name", list(SEMANTIC_CHECKS))
def test_check_passes_against_the_mock(name: str) -> None:
    with open_target(app=mock()) as target:
        outcome = tuned(name).run(target, seed=SEED, max_examples=EXAMPLES)
    assert outcome.status == "passed", str(outcome.violation or outcome.reason)
    assert outcome.examples_run >= EXAMPLES


CATCHES = [(server.name, check) for server in ZOO.values() for check in server.caught_by]


@pytest.mark.parametrize(("server", "check"), CATCHES, ids=[f"{s}-{c}" for s, c in CATCHES])
def test_broken_server_is_caught_by_the_documented_check(server: str, check: str) -> None:
    with open_target(app=ZOO[server].build()) as target:
        outcome = tuned(check).run(target, seed=SEED, max_examples=EXAMPLES)
    assert outcome.status == "failed", f"{check} let {server} pass"
    assert outcome.violation is not None, outcome.reason
    assert outcome.violation.check == check
    assert f"[{check}]" in str(outcome.violation)
    assert "curl " in outcome.violation.request
    assert "Response:\nHTTP " in outcome.violation.message


def test_every_broken_server_names_known_checks_and_every_check_catches_one() -> None:
    for server in ZOO.values():
        assert server.caught_by, server.name
        assert set(server.caught_by) <= set(SEMANTIC_CHECKS), server.name
    assert {check for server in ZOO.values() for check in server.caught_by} == set(SEMANTIC_CHECKS)


@pytest.mark.slow
@pytest.mark.parametrize("server", list(ZOO))
def test_broken_server_is_caught_by_all_the_documented_checks(server: str) -> None:
    """The whole matrix: every documented check fails it, run side by side with the others.

    A check may catch more than the table says (a secondary catch that depends on the data a
    seed draws, e.g. pages_concatenate on count_is_page_length): the table lists the catches
    that hold on every machine, so extra failures are allowed here.
    """
    if server == "slow_response":
        pytest.skip(f"every request takes {SLOW_SECONDS} s; only response_time looks at time")
    failed = set()
    for name in SEMANTIC_CHECKS:
        with open_target(app=ZOO[server].build()) as target:
            outcome = tuned(name).run(target, seed=SEED, max_examples=EXAMPLES)
        if outcome.status == "failed":
            failed.add(name)
    assert set(ZOO[server].caught_by) <= failed


def test_docs_table_matches_the_zoo() -> None:
    documented = documented_table(DOC.read_text("utf-8"))
    assert documented == markdown_table(), (
        "docs/broken-servers.md is out of date: PYTHONPATH=src python tests/contract/broken_servers.py --write"
    )


# -- skips, network errors, reports ----------------------------------------------------------


def test_a_check_needing_a_role_is_skipped_with_the_reason() -> None:
    with open_target(app=mock(), token=DEFAULT_TOKENS["owner"]) as target:
        assert set(target.tokens) == {"owner"}
        outcome = SEMANTIC_CHECKS["roles_enforced"].run(target, seed=SEED, max_examples=2)
    assert outcome.status == "skipped"
    assert "'member'" in outcome.reason and "provides: owner" in outcome.reason
    assert outcome.examples_run == 0


def test_checks_needing_logs_are_skipped_on_an_empty_server() -> None:
    with open_target(app=create_app(log_count=0, clock=lambda: DEFAULT_NOW_US)) as target:
        outcomes = {
            name: check.run(target, seed=SEED, max_examples=2)
            for name, check in SEMANTIC_CHECKS.items()
        }
    needing_logs = {name for name, check in SEMANTIC_CHECKS.items() if "logs" in check.needs}
    assert needing_logs == {"filters_hold", "count_consistent", "pages_concatenate", "newest_first"}
    for name, outcome in outcomes.items():
        if name in needing_logs:
            assert outcome.status == "skipped" and "needs at least one audit log" in outcome.reason
        else:
            assert outcome.status == "passed", str(outcome.violation or outcome.reason)


def test_without_an_owner_token_the_owner_checks_are_skipped() -> None:
    with open_target(app=mock()) as target:
        member_only = Target(
            target.client, {"member": DEFAULT_TOKENS["member"]}, "member only", target.app
        )
        outcomes = {
            name: check.run(member_only, seed=SEED, max_examples=2)
            for name, check in SEMANTIC_CHECKS.items()
        }
    roles = outcomes.pop("roles_enforced")  # needs only the member's token: it runs, in part
    assert roles.status == "partial" and "without a token for auditor" in roles.reason
    for outcome in outcomes.values():
        assert outcome.status == "skipped" and "'owner'" in outcome.reason


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_no_response_is_a_failed_outcome_not_a_crash(closed_port: int) -> None:
    with open_target(
        f"http://127.0.0.1:{closed_port}", token="abcdefghij-0123456789012345678901", timeout=2
    ) as target:
        outcomes = {
            name: check.run(target, seed=SEED, max_examples=2)
            for name, check in SEMANTIC_CHECKS.items()
        }
    assert outcomes.pop("roles_enforced").status == "skipped"  # no member token for a URL
    # A URL target is read-only until identify_access says otherwise.
    read_your_writes = outcomes.pop("testgenerate_read_your_writes")
    assert read_your_writes.status == "skipped" and "read-only" in read_your_writes.reason
    for name, outcome in outcomes.items():
        assert outcome.status == "failed", name
        assert "no response from the server" in outcome.reason, (name, outcome.reason)
        assert outcome.violation is not None and outcome.violation.check == name


def test_violation_hides_tokens_that_are_not_the_mocks_public_ones() -> None:
    secret = "secretkey0-0123456789abcdefghijkl"
    app = create_app(log_count=5, tokens={"owner": secret}, clock=lambda: DEFAULT_NOW_US)
    always_slow = SEMANTIC_CHECKS["response_time"].configured(max_seconds=0.0)
    with open_target(app=app, token=secret) as target:
        outcome = always_slow.run(target, seed=SEED, max_examples=3)
    assert outcome.violation is not None
    assert secret not in str(outcome.violation)
    assert "${CODER_SESSION_TOKEN}" in outcome.violation.request
    assert outcome.violation.request.startswith("# against the mock")


def test_the_same_seed_finds_the_same_violation() -> None:
    def run() -> str:
        with open_target(app=ZOO["offset_off_by_one"].build()) as target:
            outcome = SEMANTIC_CHECKS["pages_concatenate"].run(
                target, seed=7, max_examples=EXAMPLES
            )
        return f"{outcome.examples_run} {outcome.violation}"

    assert run() == run()


def test_configured_rejects_unknown_options() -> None:
    with pytest.raises(ValueError, match="has no option"):
        SEMANTIC_CHECKS["filters_hold"].configured(max_seconds=1.0)


# -- the strategies keep their promises against the mock ----------------------------------


@pytest.fixture(scope="module")
def target() -> Iterator[Target]:
    """A read-only mock (nothing here writes to it)."""
    with open_target(app=mock()) as opened:
        yield opened


@pytest.fixture(scope="module")
def corpus(target: Target) -> Corpus:
    return harvest_corpus(target)


def test_the_corpus_knows_the_caller_and_confirmed_names(target: Target, corpus: Corpus) -> None:
    assert len(corpus.logs) == LOG_COUNT
    owner_logs = target.client.get(AUDIT, params={"q": "username:owner", "limit": 1}, headers=OWNER)
    assert corpus.caller_id == owner_logs.json()["audit_logs"][0]["user"]["id"]
    assert corpus.usernames and corpus.organizations
    assert all(name == name.lower() for name in (*corpus.usernames, *corpus.organizations))


@settings(max_examples=150)
@given(data=st.data())
def test_generated_queries_are_accepted_and_return_their_anchor(
    target: Target, corpus: Corpus, data: st.DataObject
) -> None:
    query: SearchQuery = data.draw(search_queries(corpus))
    response = target.client.get(AUDIT, params={"q": query.text, "limit": 500}, headers=OWNER)
    assert response.status_code == 200, response.text
    if query.anchor is not None:
        assert query.anchor.id in [log["id"] for log in response.json()["audit_logs"]]
    for part in query.parts:  # each term alone is a valid query too, and keeps its anchor
        alone = target.client.get(AUDIT, params={"q": part.text, "limit": 500}, headers=OWNER)
        assert alone.status_code == 200, alone.text
        if part.anchor is not None:
            assert part.anchor.id in [log["id"] for log in alone.json()["audit_logs"]]


@settings(max_examples=60)
@given(query=search_queries(Corpus()))
def test_queries_from_an_empty_corpus_are_accepted(target: Target, query: SearchQuery) -> None:
    response = target.client.get(AUDIT, params={"q": query.text}, headers=OWNER)
    assert response.status_code == 200, response.text
    assert query.anchor is None


@settings(max_examples=300)
@given(case=st.one_of(invalid_search_queries(), invalid_pagination()))
def test_invalid_input_gets_exactly_the_expected_validations(
    target: Target, case: InvalidInput
) -> None:
    response = target.client.get(AUDIT, params=case.params, headers=OWNER)
    assert response.status_code == 400, (case, response.text)
    body = response.json()
    assert body["message"] == case.message
    assert tuple(sorted(v["field"] for v in body["validations"])) == case.fields, (case, body)


@pytest.fixture(scope="module")
def writable() -> Iterator[Target]:
    """A mock the testgenerate property writes to."""
    with open_target(app=create_app(log_count=0, clock=lambda: DEFAULT_NOW_US)) as opened:
        yield opened


@settings(max_examples=100)
@given(body=testgenerate_bodies(latest=dt.datetime(2026, 7, 1, tzinfo=dt.UTC)))
def test_testgenerate_bodies_are_accepted(writable: Target, body: dict[str, object]) -> None:
    response = writable.client.post("/api/v2/audit/testgenerate", json=body, headers=OWNER)
    assert response.status_code == 204, response.text


_OFFSETS = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(
    lambda m: dt.timezone(dt.timedelta(minutes=m))
)


@given(moment=st.datetimes(dt.datetime(1, 1, 2), dt.datetime(9999, 12, 30), timezones=_OFFSETS))
def test_parse_time_reads_rfc3339_in_any_offset(moment: dt.datetime) -> None:
    text = moment.isoformat()
    expected = (moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)
    assert parse_time(text) == expected
    assert parse_time(text.replace("T", " ")) is None


@given(moment=st.datetimes(dt.datetime(400, 1, 1), dt.datetime(400, 12, 31, 23, 59, 59)))
def test_parse_time_reads_year_0_one_gregorian_cycle_before_year_400(moment: dt.datetime) -> None:
    # A real Coder answers year-0 times (a testgenerate `time` of 0000-01-01, written by
    # Schemathesis); year 0 has the calendar of year 400, 146,097 days earlier.
    text = "0000" + moment.isoformat()[4:] + "Z"
    assert parse_time(text) == parse_time(moment.isoformat() + "Z") - 146_097 * 86_400 * 10**6
