"""The contract suite as pytest tests: `pytest --pyargs coder_audit_mock.contracts.suite`.

The same checks as `coder-audit-mock check`, for another project's test run. Settings come
from the `coder_audit` pytest plugin (docs/fixtures.md), with its precedence:

    target  --coder-audit-url, else $CODER_URL, else ini coder_audit_url, else an in-process mock
    token   $CODER_SESSION_TOKEN (an owner's runs every check, an auditor's the read-only
            ones; this project's mock by URL needs none)
    seed    --coder-audit-seed, else ini coder_audit_seed, else 0

and four variables of this suite:

    CODER_AUDIT_SCHEMA   the API document, a JSON path or URL (default: the project's own in
                         the profile); Coder's Swagger 2.0 gets the waivers of its known
                         differences
    CODER_AUDIT_DEPTH    quick (default) or thorough
    CODER_AUDIT_PROFILE  the Coder version the target should answer as: newest (default) or
                         2023-01 (docs/profiles.md)
    CODER_AUDIT_ALLOW_WRITES  1 lets the run write test audit logs into a URL target that is
                         not this project's mock (default: such a target is checked read-only;
                         this mock is written to and gets its data back after the session)

Tests, in the order they run:

    test_semantic[<check>]           each semantic check (skipped when the target lacks a role)
    test_operation[<METHOD /path>]   every Schemathesis check over every phase, per operation
    test_run_completed               what Schemathesis reported outside the operations

Example:
    $ CODER_SESSION_TOKEN=... pytest --pyargs coder_audit_mock.contracts.suite \\
          --coder-audit-url https://coder.example.com --coder-audit-seed 7
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from ._access import guard_mock_data, identify_access
from ._coder import DEFAULT_PROFILE, CoderRules, rules_for
from ._errors import ContractError
from ._report import render_failure
from ._runner import DEPTHS, ContractFailure, ContractReport, Depth, run_contract
from ._schema import ContractDocument, read_document
from ._target import Target, open_target
from .checks import SEMANTIC_CHECKS

SCHEMA_VARIABLE = "CODER_AUDIT_SCHEMA"
DEPTH_VARIABLE = "CODER_AUDIT_DEPTH"
PROFILE_VARIABLE = "CODER_AUDIT_PROFILE"
ALLOW_WRITES_VARIABLE = "CODER_AUDIT_ALLOW_WRITES"
PLUGIN = "coder_audit"
_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _document() -> ContractDocument:
    try:
        return read_document(os.environ.get(SCHEMA_VARIABLE) or None, profile=_profile().name)
    except ContractError as error:
        raise pytest.UsageError(f"${SCHEMA_VARIABLE}: {error}") from None


def _depth() -> Depth:
    name = os.environ.get(DEPTH_VARIABLE) or "quick"
    if name not in DEPTHS:
        raise pytest.UsageError(
            f"${DEPTH_VARIABLE}: unknown depth {name!r}: expected one of {', '.join(DEPTHS)}"
        )
    return DEPTHS[name]


def _profile() -> CoderRules:
    try:
        return rules_for(os.environ.get(PROFILE_VARIABLE) or DEFAULT_PROFILE)
    except KeyError as error:
        raise pytest.UsageError(f"${PROFILE_VARIABLE}: {error.args[0]}") from None


def _operation_labels(document: ContractDocument) -> list[str]:
    """Schemathesis's labels of the document's operations, e.g. "GET /api/v2/audit"."""
    paths: dict[str, Any] = dict(document.content.get("paths", {}))
    return [
        f"{method.upper()} {path}"
        for path, operations in paths.items()
        for method in operations
        if method in _HTTP_METHODS
    ]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One `test_operation` per operation of the API document (read at collection)."""
    if "operation" in metafunc.fixturenames:
        labels = _operation_labels(_document())
        metafunc.parametrize("operation", labels, ids=labels)


def _seed(config: pytest.Config) -> int:
    from ..fixtures.plugin import coder_audit_options

    return coder_audit_options(config).seed


@pytest.fixture(scope="session")
def contract_target(request: pytest.FixtureRequest) -> Iterator[Target]:
    """The plugin's `coder_audit_target` (without the plugin, the same from the environment),
    identified: whose token, may the session write (`identify_access`); this mock by URL
    gets its data back at the end of the session."""
    if request.config.pluginmanager.hasplugin(PLUGIN):
        yield from _identified(request.getfixturevalue("coder_audit_target"))
        return
    from ..fixtures.plugin import coder_audit_options

    options = coder_audit_options(request.config)
    with open_target(options.url, token=options.token, profile=_profile().name) as target:
        yield from _identified(target)


def _identified(target: Target) -> Iterator[Target]:
    allow = os.environ.get(ALLOW_WRITES_VARIABLE, "").strip() in ("1", "true", "yes")
    try:
        checked, access = identify_access(target, allow_writes=True if allow else None)
    except ContractError as error:  # unreachable, refused token, a member's token, no token
        pytest.fail(str(error), pytrace=False)
    with guard_mock_data(checked, access):
        yield checked


@pytest.fixture(scope="session")
def contract_report(contract_target: Target, pytestconfig: pytest.Config) -> ContractReport:
    """One Schemathesis run over the whole document (the semantic checks run as their own tests)."""
    try:
        return run_contract(
            contract_target,
            schema=_document(),
            seed=_seed(pytestconfig),
            depth=_depth().name,
            profile=_profile().name,
            semantic=False,
        )
    except ContractError as error:  # the target is unusable, or no owner token
        pytest.fail(str(error), pytrace=False)


class PartialCheck(UserWarning):
    """A semantic check passed with part of it left out (a role's token, or writes, missing)."""


def _fail_with(failures: list[ContractFailure]) -> None:
    if failures:
        pytest.fail("\n\n".join(map(render_failure, failures)), pytrace=False)


@pytest.mark.parametrize("check", list(SEMANTIC_CHECKS))
def test_semantic(check: str, contract_target: Target, pytestconfig: pytest.Config) -> None:
    """The semantic check holds on the target (see `coder_audit_mock.contracts.checks`)."""
    seed = _seed(pytestconfig)
    outcome = SEMANTIC_CHECKS[check].run(
        contract_target,
        seed=seed,
        max_examples=_depth().semantic_examples,
        profile=_profile(),
    )
    if outcome.status == "skipped":
        pytest.skip(outcome.reason)
    if outcome.status == "partial":
        # A pass, but not a whole one: say so in the run's warnings summary.
        import warnings

        warnings.warn(f"{check} ran in part: {outcome.reason}", PartialCheck, stacklevel=1)
    if outcome.status == "failed":
        found = str(outcome.violation) if outcome.violation is not None else outcome.reason
        pytest.fail(
            f"{found}\n\nseed: {seed} (rerun with --coder-audit-seed {seed})", pytrace=False
        )


def test_operation(operation: str, contract_report: ContractReport) -> None:
    """Every Schemathesis check passed on this operation, in every phase that applies."""
    _fail_with([failure for failure in contract_report.failures if failure.operation == operation])


def test_run_completed(contract_report: ContractReport) -> None:
    """Schemathesis reported no error outside the document's operations."""
    known = set(_operation_labels(_document()))
    _fail_with([failure for failure in contract_report.failures if failure.operation not in known])
