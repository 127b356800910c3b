"""The error families of ARCHITECTURE.md ("Errors"): one misuse root, one Coder-shaped answer."""

from __future__ import annotations

import pytest

from coder_audit_mock import CoderAuditMockError
from coder_audit_mock._cli._args import CliError, MissingExtra, Unusable, UsageError
from coder_audit_mock._cli._serve_config import ConfigError
from coder_audit_mock.contracts import ContractError, ContractViolation
from coder_audit_mock.contracts._access import UnusableTarget
from coder_audit_mock.fidelity import ExactMismatch, FidelityError, RecordError
from coder_audit_mock.fixtures._live import LiveServerError
from coder_audit_mock.mockserver import (
    CoderError,
    InvalidPagination,
    InvalidSearchQuery,
    MockServerError,
    Validation,
)
from coder_audit_mock.mockserver._goparse import GoParseError
from coder_audit_mock.mockserver._scenario_entry import ScenarioError
from coder_audit_mock.mockserver._store import LogLimitReached, UnencodableLog

MISUSE = [
    MockServerError,
    GoParseError,
    ScenarioError,
    UnencodableLog,
    ContractError,
    UnusableTarget,
    FidelityError,
    RecordError,
    LiveServerError,
    CliError,
    UsageError,
    Unusable,
    MissingExtra,
    ConfigError,
]
CODER_ANSWERS = [CoderError, InvalidPagination, InvalidSearchQuery, LogLimitReached]
FAILURES = [ContractViolation, ExactMismatch]


@pytest.mark.parametrize("error", MISUSE, ids=lambda error: error.__name__)
def test_every_misuse_error_has_the_one_root(error: type[Exception]) -> None:
    assert issubclass(error, CoderAuditMockError)


@pytest.mark.parametrize("error", CODER_ANSWERS, ids=lambda error: error.__name__)
def test_a_coder_answer_is_no_misuse(error: type[Exception]) -> None:
    assert issubclass(error, CoderError)
    assert not issubclass(error, CoderAuditMockError)


@pytest.mark.parametrize("error", FAILURES, ids=lambda error: error.__name__)
def test_a_failure_is_an_assertion_not_a_misuse(error: type[Exception]) -> None:
    assert issubclass(error, AssertionError)
    assert not issubclass(error, CoderAuditMockError)


def test_catching_the_root_does_not_swallow_a_coder_answer() -> None:
    with pytest.raises(InvalidPagination):
        try:
            raise InvalidPagination((Validation("limit", "bad"),))
        except CoderAuditMockError:  # pragma: no cover - the point is that it does not match
            pytest.fail("a Coder answer was caught as a misuse")
