"""Differential testing: two mocks in different profiles differ where the reference says they do.

The known differences between Coder 2023-01 and NEWEST (§0 timeline, §9) must each be
found, with a minimal request that reproduces them; two mocks in the same profile must not
differ at all; nothing the stream sends writes data.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from coder_audit_mock.__main__ import main
from coder_audit_mock.contracts import open_target
from coder_audit_mock.contracts._diff import (
    ASPECTS,
    Difference,
    DiffReport,
    ProbeRequest,
    observe,
    render_diff_report,
    request_stream,
    run_diff,
    send,
)
from coder_audit_mock.contracts._target import Target
from coder_audit_mock.mockserver import create_app

EXAMPLES = 40


@pytest.fixture(scope="module")
def newest_vs_early() -> Iterator[tuple[Target, Target, DiffReport]]:
    with (
        open_target(app=create_app()) as left,
        open_target(app=create_app(profile="2023-01")) as right,
    ):
        yield left, right, run_diff(left, right, seed=0, max_examples=EXAMPLES)


def found(
    report: DiffReport, aspect: str, params: tuple[tuple[str, str], ...], **fields: object
) -> Difference:
    for difference in report.differences:
        request = difference.request
        if (
            difference.aspect == aspect
            and request.params == params
            and all(getattr(request, name) == value for name, value in fields.items())
        ):
            return difference
    listed = "\n".join(f"{d.aspect} {d.request}" for d in report.differences)
    raise AssertionError(f"no {aspect} difference for {params} {fields}; found:\n{listed}")


FIVE = ("limit", "5")


@pytest.mark.parametrize(
    ("aspect", "params", "fields", "left", "right"),
    [
        # §9.6: NEWEST rejects unknown keys, bad enums, repeated keys; EARLY ignores them
        ("status", (("q", "foo:bar"), FIVE), {}, "400 Invalid audit search query.", "200"),
        ("status", (("q", "resource_type:bogus"), FIVE), {}, "400", "200"),
        ("status", (("q", "action:create action:delete"), FIVE), {}, "400", "200"),
        ("status", (("q", "date_from:2022-13-01"), FIVE), {}, "400", "200"),
        ("status", (("q", "action:"), FIVE), {}, "400", "200"),
        # §2.2: only EARLY validates date_to >= date_from
        ("status", (("q", "date_from:2099-01-01 date_to:2000-01-01"),), {}, "200", "400"),
        # §2.2: group and start are not honoured by the EARLY filter
        ("filter", (("q", "resource_type:group"), FIVE), {}, "holds", "does not hold"),
        ("filter", (("q", "action:start"), FIVE), {}, "holds", "does not hold"),
        # §9.4, §9.5: no limit means 100 logs or an empty page with count 0
        ("page", (), {}, "1 to 100 logs", "empty"),
        ("count", (), {}, "at least the page length", "0 with an empty page"),
        ("count", (("offset", "100000"),), {}, "more than 0 with an empty page",
         "0 with an empty page"),
        # §3.4: the integer messages; negatives are Postgres's 500 in 2023-01
        ("validations", (("limit", "bogus"),), {}, "32-bit positive integer", "strconv.Atoi"),
        ("status", (("limit", "-1"),), {}, "400", "500 An internal server error occurred."),
        ("status", (FIVE, ("limit", "6")), {}, "400", "200"),
        # §3.1: count_cap; §4.5: the user object and the organization object
        ("shape", (), {}, "has 200 audit_logs[].organization, ", "never has them"),
        ("shape", (), {}, "200 count_cap", "never has them"),
        ("shape", (), {}, "200 audit_logs[].user.organization_ids: array",
         "200 audit_logs[].user.organization_ids: null"),
        ("shape", (FIVE,), {}, "never has", "has 200 audit_logs[].additional_fields.buildNumber"),
        ("shape", (), {"role": "member"}, "has 403 detail", "never has it"),
        # §6.1, §6.2: token carriers and the challenge header
        ("status", (FIVE,), {"carrier": "bearer"}, "200", "401"),
        ("status", (FIVE,), {"carrier": "devurl_cookie"}, "401", "200"),
        ("headers", (), {"role": None}, "www-authenticate: present", "content-type"),
        # §1.3, §9.13, §6.3: the 403 body, org-scoped readers, where the read check runs
        ("error", (), {"role": "member"}, "You don't have permission", "Forbidden."),
        ("status", (FIVE,), {"role": "org-admin"}, "200", "403 Forbidden."),
        ("status", (), {"path": "/api/v2/audit/nope"}, "403", "404 Route not found."),
        # §1.2, §1.4: testgenerate checks the owner before (EARLY) or after (NEWEST) the body
        ("status", (), {"method": "POST", "role": "auditor", "body": "{"}, "400", "403"),
        ("status", (), {"method": "POST", "role": "auditor", "body": "{}"}, "500", "403"),
    ],
)  # fmt: skip
def test_known_differences_are_found_with_a_minimal_request(
    newest_vs_early: tuple[Target, Target, DiffReport],
    aspect: str,
    params: tuple[tuple[str, str], ...],
    fields: dict[str, object],
    left: str,
    right: str,
) -> None:
    _, _, report = newest_vs_early
    candidates = [
        difference
        for difference in report.differences
        if difference.aspect == aspect
        and difference.request.params == params
        and all(getattr(difference.request, name) == value for name, value in fields.items())
    ]
    assert any(left in d.left and right in d.right for d in candidates), (
        f"no {aspect} difference {left!r} / {right!r} for {params} {fields}:\n"
        + render_diff_report(report)
    )
    difference = found(report, aspect, params, **fields)
    assert difference.curl.startswith("curl -sS -i")


def test_every_difference_reproduces_with_its_request(
    newest_vs_early: tuple[Target, Target, DiffReport],
) -> None:
    left, right, report = newest_vs_early
    assert len(report.differences) >= 30
    assert report.aspects() == set(ASPECTS) - {"order"}  # both sort newest first
    for difference in report.differences:
        request = difference.request
        facts = observe(request, send(left, request)), observe(request, send(right, request))
        assert facts[0].get(difference.aspect) != facts[1].get(difference.aspect), difference


def test_differences_are_minimal(newest_vs_early: tuple[Target, Target, DiffReport]) -> None:
    _, _, report = newest_vs_early
    unknown_key = found(report, "status", (("q", "foo:bar"), FIVE))
    # generated requests with more parameters were shrunk to what shows the difference
    assert all(len(d.request.params) <= 3 for d in report.differences)
    assert unknown_key.request.role == "owner"


@pytest.mark.parametrize("profile", ["newest", "2023-01"])
def test_two_mocks_in_the_same_profile_do_not_differ(profile: str) -> None:
    with (
        open_target(app=create_app(profile=profile)) as left,
        open_target(app=create_app(profile=profile)) as right,
    ):
        report = run_diff(left, right, seed=1, max_examples=EXAMPLES)
        assert report.same, render_diff_report(report)
        assert report.requests_sent >= EXAMPLES and report.skipped == 0
        # nothing in the stream writes: the data is unchanged
        assert len(left.app.state.mock.store) == len(right.app.state.mock.store) == 1000


def test_the_stream_is_deterministic_and_covers_the_grammar() -> None:
    stream = list(request_stream(seed=5, max_examples=200))
    assert stream == list(request_stream(seed=5, max_examples=200))
    assert stream != list(request_stream(seed=6, max_examples=200))
    carriers = {request.carrier for request in stream}
    assert carriers == {"header", "bearer", "cookie", "query", "access_token", "devurl_cookie"}
    assert {request.role for request in stream} >= {"owner", "auditor", "org-admin", "member", None}
    queries = [value for request in stream for name, value in request.params if name == "q"]
    assert len(queries) > 100 and any(" " in query for query in queries)
    owner_posts = [r for r in stream if r.method == "POST" and r.role == "owner"]
    assert all(r.body == '{"action": "bogus"}' for r in owner_posts)  # refused at insert


def test_ids_times_and_volumes_are_no_difference() -> None:
    # Same profile, other logs: ids, times, counts and pages differ, the contract does not.
    with (
        open_target(app=create_app(log_count=1000)) as left,
        open_target(app=create_app(log_count=1700, now=datetime(2025, 1, 1))) as right,
    ):
        report = run_diff(left, right, seed=0, max_examples=EXAMPLES)
    assert report.same, render_diff_report(report)


def test_the_report_lists_each_difference_with_its_curl(
    newest_vs_early: tuple[Target, Target, DiffReport],
) -> None:
    _, _, report = newest_vs_early
    text = render_diff_report(report)
    assert text.startswith(f"{report.left} vs {report.right}: ")
    assert f"{len(report.differences)} differences" in text.splitlines()[0]
    assert text.count("reproduce: curl") == len(report.differences)
    assert "'/api/v2/audit?q=foo%3Abar&limit=5'" in text


def test_probe_request_carries_tokens_as_asked() -> None:
    with open_target(app=create_app(log_count=3)) as target:
        for carrier in ("header", "bearer", "cookie", "query", "access_token"):
            request = ProbeRequest("GET", "/api/v2/audit", (("limit", "1"),), carrier=carrier)
            assert send(target, request).status_code == 200, carrier
        assert send(target, ProbeRequest("GET", "/api/v2/audit", role=None)).status_code == 401


def test_cli_diff(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "--left", "mock", "--right", "mock:2023-01", "--max-examples", "5"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("mock (newest) vs mock (2023-01): ")
    assert (
        main(["diff", "--left", "mock:2023-01", "--right", "mock:2023-01", "--max-examples", "5"])
        == 0
    )
    assert "no differences" in capsys.readouterr().out
    assert main(["diff", "--left", "mock", "--right", "mock:1999"]) == 2
    assert main(["diff", "--left", "mock", "--right", "http://127.0.0.1:9", "--token", "x"]) == 3
    err = capsys.readouterr().err
    assert "unknown profile '1999'" in err and "cannot reach http://127.0.0.1:9" in err
