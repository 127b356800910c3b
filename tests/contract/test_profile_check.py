"""`check --profile`: the contract kit in one Coder version's terms (docs/profiles.md).

`--profile 2023-01` makes the kit read that profile's own OpenAPI document and rules (count,
paging, token carriers, 401/403 answers, waivers): the mock in that profile passes it and the
newest mock fails it, and the other way round. Coder's own 2023 Swagger (reference data beside
the repository, `../shared/reference/`) passes the 2023-01 mock with its waivers; the test that
needs it is skipped when it is absent. Runs are quick-depth with few examples.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from coder_audit_mock._cli import main
from coder_audit_mock.contracts import ContractReport, open_target, render_report, run_contract
from coder_audit_mock.mockserver import create_app

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
EARLY_SWAGGER = REFERENCE / "coder-audit-swagger-2023.json"
EXAMPLES = 3
# What the semantic checks cannot say about 2023-01 (the strategies speak NEWEST): skipped.
NEWEST_ONLY = {"filters_hold", "testgenerate_read_your_writes", "response_shape"}
# The checks whose rules come from the profile and differ between the two versions.
PROFILE_RULES = {"count_consistent", "pages_concatenate", "auth_enforced", "roles_enforced"}


def check(mock: str, profile: str, schema: str | None = None) -> ContractReport:
    """A quick run of the kit for `profile` against a mock answering as `mock`."""
    with open_target(app=create_app(profile=mock, log_count=200)) as target:
        return run_contract(
            target, schema=schema, seed=0, max_examples=EXAMPLES, depth="quick", profile=profile
        )


def test_the_2023_profile_passes_the_2023_mock() -> None:
    report = check("2023-01", "2023-01")
    assert report.passed, render_report(report)
    assert (report.profile, report.depth) == ("2023-01", "quick")
    assert report.schema.endswith("openapi-2023-01.json)")
    skipped = {
        result.name: result.reason for result in report.semantic if result.status == "skipped"
    }
    assert set(skipped) == NEWEST_ONLY
    assert all(reason.startswith("profile 2023-01: ") for reason in skipped.values())
    assert "negative-pagination-500" in {applied.waiver.id for applied in report.waivers}


@pytest.mark.parametrize(("mock", "profile"), [("newest", "2023-01"), ("2023-01", "newest")])
def test_a_profile_fails_the_other_versions_mock(mock: str, profile: str) -> None:
    report = check(mock, profile)
    assert not report.passed
    failed = {result.name for result in report.semantic if result.status == "failed"}
    assert PROFILE_RULES <= failed, render_report(report)
    # The profile's own document disagrees with the other version's answers too.
    assert "response_schema_conformance" in {failure.check for failure in report.failures}


def test_the_cli_checks_an_in_process_mock_in_the_profile(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CODER_URL", raising=False)
    monkeypatch.delenv("CODER_SESSION_TOKEN", raising=False)
    argv = ["check", "--profile", "2023-01", "--depth", "quick", "--max-examples", "2"]
    assert main(argv) == 0
    report = capsys.readouterr().out
    assert report.startswith("coder-audit-mock check: passed")
    assert "  profile   Coder 2023-01" in report


@pytest.mark.skipif(not EARLY_SWAGGER.exists(), reason=f"reference data absent: {EARLY_SWAGGER}")
def test_coders_2023_swagger_passes_the_2023_mock() -> None:
    report = check("2023-01", "2023-01", schema=str(EARLY_SWAGGER))
    assert report.passed, render_report(report)
    applied = {entry.waiver.id: entry.excused for entry in report.waivers}
    assert {"q-grammar", "user-organization-ids-null", "negative-pagination-500"} <= set(applied)
