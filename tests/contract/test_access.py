"""Safe by default: whose token, read-only against other servers, this mock's data put back.

A contract run against a production Coder must not write one row into its audit log, and a
run against a served mock must leave it as it was found. The servers are real: `serve` as a
process, and the mock app without its admin API (so "not this mock") behind uvicorn, counting
the requests of each method it receives.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from coder_audit_mock._cli import main
from coder_audit_mock.mockserver import DEFAULT_NOW_US, DEFAULT_TOKENS, create_app

from .live_servers import CountingApp, serve_app, serve_process

FEW = ["--max-examples", "3"]
OWNER = DEFAULT_TOKENS["owner"]


@pytest.fixture(autouse=True)
def no_coder_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CODER_URL", raising=False)
    monkeypatch.delenv("CODER_SESSION_TOKEN", raising=False)


@pytest.fixture
def served_mock() -> Iterator[str]:
    with serve_process("--logs", "150") as origin:
        yield origin


@pytest.fixture
def not_this_mock() -> Iterator[tuple[str, CountingApp]]:
    """A Coder-like server without this mock's admin API, as a production Coder would be."""
    app = CountingApp(create_app(log_count=150, clock=lambda: DEFAULT_NOW_US))
    with serve_app(app) as origin:
        yield origin, app


def count(origin: str, token: str = OWNER) -> int:
    response = httpx.get(
        f"{origin}/api/v2/audit", params={"limit": "1"}, headers={"Coder-Session-Token": token}
    )
    value: int = response.json()["count"]
    return value


def scenario(origin: str, headers: dict[str, str] | None = None) -> bytes:
    return httpx.get(f"{origin}/_mock/scenario", headers=headers or {}).content


def test_a_served_mock_needs_no_token_and_gets_its_data_back(
    served_mock: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Data added since the mock's last reset must survive the run too.
    added = httpx.post(
        f"{served_mock}/api/v2/audit/testgenerate",
        json={"action": "create"},
        headers={"Coder-Session-Token": OWNER},
    )
    assert added.status_code == 204
    before_count, before = count(served_mock), scenario(served_mock)

    assert main(["check", "--url", served_mock, *FEW]) == 0

    report = capsys.readouterr().out
    assert "caller    owner; writes allowed; this mock's data is put back afterwards" in report
    assert "data      data put back: 151 logs as before" in report
    assert "passed   roles_enforced" in report  # its role tokens were read from /_mock/tokens
    assert "passed   testgenerate_read_your_writes" in report
    assert (count(served_mock), scenario(served_mock)) == (before_count, before)


def test_a_server_that_is_not_this_mock_is_checked_read_only(
    not_this_mock: tuple[str, CountingApp], capsys: pytest.CaptureFixture[str]
) -> None:
    origin, app = not_this_mock
    before = count(origin)

    assert main(["check", "--url", origin, "--token", OWNER, *FEW]) == 0

    assert app.writes == 0, app.methods
    assert count(origin) == before
    report = capsys.readouterr().out
    assert "read-only: not this project's mock, so nothing is written" in report
    assert "skipped  testgenerate_read_your_writes" in report
    assert "partial  auth_enforced" in report
    checked = report.split("Schemathesis checks")[1].split("Semantic checks")[0]
    assert "GET /api/v2/audit" in checked and "POST" not in checked


def test_allow_writes_lets_the_run_write_into_another_server(
    not_this_mock: tuple[str, CountingApp], capsys: pytest.CaptureFixture[str]
) -> None:
    origin, app = not_this_mock
    assert main(["check", "--url", origin, "--token", OWNER, "--allow-writes", *FEW]) == 0
    assert app.methods.get("POST", 0) > 0
    report = capsys.readouterr().out
    assert "passed   testgenerate_read_your_writes" in report
    assert "test audit logs stay on the server" in report


def test_an_auditors_token_runs_the_read_only_checks(
    served_mock: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = scenario(served_mock)
    auditor = DEFAULT_TOKENS["auditor"]
    assert main(["check", "--url", served_mock, "--token", auditor, *FEW]) == 0
    report = capsys.readouterr().out
    assert "caller    auditor; read-only: the token is an auditor's" in report
    assert "passed   filters_hold" in report and "passed   count_consistent" in report
    assert "skipped  testgenerate_read_your_writes" in report
    assert scenario(served_mock) == before


@pytest.mark.parametrize(("role", "shown"), [("member", "member"), ("expired", "")])
def test_a_token_that_cannot_read_exits_3_and_says_whose_it_is(
    served_mock: str, role: str, shown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--url", served_mock, "--token", DEFAULT_TOKENS[role], *FEW]) == 3
    captured = capsys.readouterr()
    [line] = captured.err.splitlines()
    assert captured.out == ""
    if role == "member":
        assert "the token is member's, who may not read audit logs" in line
    else:
        assert "refused the token of expired" in line


def test_a_role_token_given_is_used_for_the_role_checks(
    not_this_mock: tuple[str, CountingApp], capsys: pytest.CaptureFixture[str]
) -> None:
    origin, _ = not_this_mock
    roles = [f"--role-token={role}={DEFAULT_TOKENS[role]}" for role in ("member", "auditor")]
    assert main(["check", "--url", origin, "--token", OWNER, *roles, *FEW]) == 0
    report = capsys.readouterr().out
    # It ran (a member's token was given), in part: no tokens for the organization roles, and
    # no testgenerate in a read-only run.
    assert "partial  roles_enforced" in report
    assert "without a token for expired, org-admin, org-auditor, suspended" in report


def test_a_mock_with_an_admin_token_needs_it_to_be_written_to() -> None:
    with serve_process("--logs", "150", "--admin-token", "admin-secret-1") as origin:
        header = {"Mock-Admin-Token": "admin-secret-1"}
        before = scenario(origin, header)
        # Without the admin token its data could not be put back: read-only, saying why.
        assert main(["check", "--url", origin, "--token", OWNER, *FEW]) == 0
        with_it = ["--mock-admin-token", "admin-secret-1"]
        assert main(["check", "--url", origin, *with_it, *FEW]) == 0
        assert scenario(origin, header) == before


def test_the_reason_for_read_only_names_the_admin_token(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with serve_process("--logs", "20", "--admin-token", "admin-secret-1") as origin:
        assert main(["check", "--url", origin, "--token", OWNER, *FEW]) == 0
    assert "give it with --mock-admin-token" in capsys.readouterr().out


def test_diff_reads_a_served_mocks_tokens_and_wants_one_for_other_servers(
    served_mock: str,
    not_this_mock: tuple[str, CountingApp],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["diff", "--left", served_mock, "--right", "mock", "--max-examples", "2"]) in (0, 1)
    assert "vs mock (newest)" in capsys.readouterr().out
    other, _ = not_this_mock
    assert main(["diff", "--left", other, "--right", "mock"]) == 2
    assert "needs a session token" in capsys.readouterr().err
