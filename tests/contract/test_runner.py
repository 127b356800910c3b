"""`run_contract`: the quick depth passes the mock; broken or unusable servers are named.

Each run goes through Schemathesis's engine for real, so the runs here are few and small:
one full quick-depth run (which must also stay within its 60 s budget), and runs with a few
fuzzing examples and no semantic checks for the rest (the examples and coverage phases still
send their ~250 deterministic requests).
"""

from __future__ import annotations

import dataclasses
import json
import socket
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from coder_audit_mock.contracts import (
    DEPTHS,
    SEMANTIC_CHECKS,
    ContractError,
    ContractReport,
    UnusableTarget,
    open_target,
    render_report,
    run_contract,
    write_junit_xml,
)
from coder_audit_mock.mockserver import create_app

QUICK_BUDGET_SECONDS = 60.0  # the limit for the quick depth in-process on 2 cores
# The built-in checks that apply to the two audit operations (schemathesis-notes.md §4, §8).
EXPECTED_CHECKS = {
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "ignored_auth",
    "missing_required_header",
    "unsupported_method",
    "max_response_time",
}
OPERATIONS = {"GET /api/v2/audit", "POST /api/v2/audit/testgenerate"}


def small_run(app: ASGIApp | None = None, *, seed: int = 0, examples: int = 1) -> ContractReport:
    """A run with few fuzzing examples per operation and no semantic checks."""
    with open_target(app=app) as target:
        return run_contract(target, seed=seed, max_examples=examples, semantic=False)


@pytest.fixture(scope="module")
def quick_run() -> tuple[ContractReport, float]:
    """The quick depth against a fresh in-process mock, and the CPU seconds it took."""
    started = time.process_time()
    with open_target() as target:
        report = run_contract(target, seed=0, depth="quick")
    return report, time.process_time() - started


@pytest.fixture(scope="module")
def quick_report(quick_run: tuple[ContractReport, float]) -> ContractReport:
    return quick_run[0]


def test_quick_depth_passes_the_in_process_mock(quick_report: ContractReport) -> None:
    assert quick_report.passed, render_report(quick_report)
    assert quick_report.max_examples == DEPTHS["quick"].max_examples
    phases = dict(quick_report.phases)
    assert phases == dict.fromkeys(("examples", "coverage", "fuzzing", "stateful"), "success")
    assert quick_report.links == ("ReadNewest", "SameQuery")


def test_quick_depth_stays_within_its_budget(quick_run: tuple[ContractReport, float]) -> None:
    # CPU time of this process (client, Schemathesis and the in-process mock together) is what
    # the run costs on an idle machine; wall time also counts whatever else shares the cores.
    assert quick_run[1] <= QUICK_BUDGET_SECONDS


def test_every_applicable_check_ran_on_every_operation(quick_report: ContractReport) -> None:
    ran = {(tally.operation, tally.check) for tally in quick_report.checks if tally.passed}
    assert {(operation, check) for operation in OPERATIONS for check in EXPECTED_CHECKS} <= ran


def test_every_semantic_check_passed(quick_report: ContractReport) -> None:
    outcomes = {result.name: result.status for result in quick_report.semantic}
    assert outcomes == dict.fromkeys(SEMANTIC_CHECKS, "passed")


def test_report_lists_the_waivers_it_applied(quick_report: ContractReport) -> None:
    # The mock answers testgenerate's out-of-enum actions with Coder's 500 (§1.2
    # step 3): that failure waiver must have had work to do, and the report says so.
    applied = {entry.waiver.id: entry.excused for entry in quick_report.waivers}
    assert set(applied) == {
        "undeclared-query-parameters-ignored",
        "testgenerate-insert-500",
        "unknown-method-405-without-allow",
        "csrf-refusal-before-auth",
    }
    assert applied["testgenerate-insert-500"] > 0
    # ignored_auth's cookie probe of testgenerate meets Coder's CSRF check (§6.1).
    assert applied["csrf-refusal-before-auth"] > 0
    text = render_report(quick_report)
    assert "testgenerate-insert-500 (§1.2 step 3)" in text
    assert "undeclared-query-parameters-ignored (§1.1)" in text


def test_the_same_seed_sends_the_same_requests() -> None:
    # Hypothesis tries the simplest input first whatever the seed: a few examples make the
    # seed show.
    first, again, other = (small_run(seed=seed, examples=5) for seed in (11, 11, 12))
    assert first.passed and again.passed and other.passed
    assert (first.requests_sent, first.request_digest) == (
        again.requests_sent,
        again.request_digest,
    )
    assert other.request_digest != first.request_digest


SECRET = "secret0000-secretsecretsecret0000"  # an owner token that is not one of the mock's


class AnswersServerErrors:
    """The mock (owner token `SECRET`), except that GET /api/v2/audit answers Coder's 500."""

    def __init__(self) -> None:
        self.mock = create_app(tokens={"owner": SECRET})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (scope["method"], scope["path"]) != ("GET", "/api/v2/audit"):
            await self.mock(scope, receive, send)
            return
        body = json.dumps({"message": "An internal server error occurred."}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 500, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def broken_report() -> ContractReport:
    with open_target(app=AnswersServerErrors(), token=SECRET) as target:
        return run_contract(target, seed=3, max_examples=1, semantic=False)


def test_a_server_error_fails_not_a_server_error_with_a_curl_command(
    broken_report: ContractReport,
) -> None:
    assert not broken_report.passed
    failure = next(f for f in broken_report.failures if f.check == "not_a_server_error")
    assert (failure.operation, failure.code, failure.seed) == ("GET /api/v2/audit", "ST101", 3)
    assert "curl -X GET" in failure.curl and "http://127.0.0.1:3000/api/v2/audit" in failure.curl
    assert failure.response.startswith("HTTP 500")
    assert "An internal server error occurred." in failure.response
    text = render_report(broken_report)
    assert text.startswith("coder-audit-mock check: FAILED")
    assert "not_a_server_error [ST101] on GET /api/v2/audit" in text
    assert "seed: 3 (rerun with --seed 3)" in text


def test_a_private_token_is_never_printed(broken_report: ContractReport) -> None:
    curls = "\n".join(failure.curl for failure in broken_report.failures)
    assert SECRET not in curls and SECRET not in render_report(broken_report)
    assert """-H 'Coder-Session-Token: '"${CODER_SESSION_TOKEN}"''""" in curls


def test_the_other_operation_is_still_clean(broken_report: ContractReport) -> None:
    assert {f.operation for f in broken_report.failures} == {"GET /api/v2/audit"}


def test_junit_xml_names_the_failing_check(broken_report: ContractReport, tmp_path: Path) -> None:
    path = tmp_path / "contract.xml"
    write_junit_xml(broken_report, path)
    root = ET.parse(path).getroot()
    failing = {
        (case.get("classname"), case.get("name"))
        for case in root.iter("testcase")
        if case.find("failure") is not None
    }
    assert ("GET /api/v2/audit", "not_a_server_error") in failing
    assert all(classname == "GET /api/v2/audit" for classname, _ in failing)
    assert int(root.get("failures", "0")) == len(failing)
    properties = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert properties["seed"] == "3"


@pytest.fixture
def closed_port() -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        yield probe.getsockname()[1]  # bound but not listening: connections are refused


def test_an_unreachable_target_is_unusable(closed_port: int) -> None:
    unreachable = open_target(f"http://127.0.0.1:{closed_port}", token="x")
    with unreachable as target, pytest.raises(UnusableTarget, match="cannot reach"):
        run_contract(target, max_examples=1)


def test_a_refused_token_is_unusable() -> None:
    unknown_token = open_target(app=create_app(), token="0123456789-abcdefghijklmnopqrstuv")
    with unknown_token as target, pytest.raises(UnusableTarget, match="refused the token"):
        run_contract(target, max_examples=1)


def test_a_target_that_is_not_coder_is_unusable() -> None:
    not_coder = open_target(app=Starlette(), token="x")
    with not_coder as target, pytest.raises(UnusableTarget, match="not look like a Coder server"):
        run_contract(target, max_examples=1)


def test_no_token_is_a_usage_error() -> None:
    # An app that is not this mock by URL publishes no tokens: the run needs one given.
    tokenless = open_target(app=create_app(), tokens={})
    with tokenless as target:
        without = dataclasses.replace(target, tokens={})
        with pytest.raises(ContractError, match="needs a session token"):
            run_contract(without)
