"""The 2023-01 profile's OpenAPI document through the contract kit's Schemathesis run.

`openapi-2023-01.json` (tools/build_openapi.py --profile 2023-01) states the EARLY contract: the
mock in that profile passes every Schemathesis check against it, the NEWEST mock does not
(§1.3, §2.2, §3.2, §4.5 EARLY). The semantic checks are not part of this: their
profile-bound runs are in test_profile_check.py.
"""

from __future__ import annotations

from importlib import resources

import pytest

from coder_audit_mock.contracts import open_target, render_report, run_contract
from coder_audit_mock.mockserver import create_app

EARLY_DOCUMENT = str(
    resources.files("coder_audit_mock.mockserver.profiles.coder_2023_01") / "openapi-2023-01.json"
)


def test_the_early_mock_passes_the_early_document() -> None:
    with open_target(app=create_app(profile="2023-01", log_count=200)) as target:
        report = run_contract(target, schema=EARLY_DOCUMENT, seed=0, semantic=False, max_examples=5)
    assert report.passed, render_report(report)


@pytest.mark.slow
def test_the_newest_mock_fails_the_early_document() -> None:
    with open_target(app=create_app(log_count=200)) as target:
        report = run_contract(target, schema=EARLY_DOCUMENT, seed=0, semantic=False, max_examples=5)
    # NEWEST rejects what 2023-01 accepted, and its logs have another shape
    assert {failure.check for failure in report.failures} >= {
        "positive_data_acceptance",
        "response_schema_conformance",
    }
