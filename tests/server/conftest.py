"""Shared helpers for the mock-server tests: an in-process client per role."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from coder_audit_mock.mockserver import DEFAULT_TOKENS, create_app

AUDIT = "/api/v2/audit"
TESTGENERATE = "/api/v2/audit/testgenerate"


def auth(role: str) -> dict[str, str]:
    return {"Coder-Session-Token": DEFAULT_TOKENS[role]}


@pytest.fixture(scope="module")
def shared_client() -> TestClient:
    """A read-only client over the default 1000-log deployment (tests must not write through it)."""
    return TestClient(create_app())


@pytest.fixture
def make_client() -> Callable[..., TestClient]:
    """A fresh app per call, for tests that write or need other settings."""

    def make(**settings: object) -> TestClient:
        return TestClient(create_app(**settings))  # type: ignore[arg-type]

    return make
