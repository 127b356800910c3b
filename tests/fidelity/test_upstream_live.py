"""`serve --upstream` in front of a real Coder: what passes through, what the mock adds.

Needs a throwaway real Coder: `CODER_URL` and `CODER_TOKEN` (an owner's session token); skips,
saying so, without them (docs/real-coder.md). Reads only.
"""

from __future__ import annotations

import os

import httpx
import pytest
from starlette.testclient import TestClient

from coder_audit_mock._upstream import upstream_router
from coder_audit_mock.mockserver import MockServer, MockSettings
from coder_audit_mock.mockserver._standalone import ServeOptions, build_app

LIVE_URL = os.environ.get("CODER_URL", "").rstrip("/")
LIVE_TOKEN = os.environ.get("CODER_TOKEN", "")
pytestmark = pytest.mark.skipif(
    not (LIVE_URL and LIVE_TOKEN),
    reason="CODER_URL and CODER_TOKEN are not set: these tests need a throwaway real Coder "
    "(docs/real-coder.md)",
)


@pytest.fixture
def clients() -> tuple[TestClient, httpx.Client]:
    mock = MockServer(MockSettings(log_count=40))
    app = build_app(mock, ServeOptions(access_log=False, upstream=upstream_router(LIVE_URL, mock)))
    return TestClient(app), httpx.Client(base_url=LIVE_URL, timeout=30)


@pytest.mark.parametrize(
    "path",
    ["/api/v2/users/me", "/api/v2/organizations", "/api/v2/buildinfo", "/api/v2/users?limit=3",
     "/api/v2/workspaces", "/api/v2/nonexistent", "/healthz"],
)  # fmt: skip
def test_what_the_mock_does_not_own_answers_as_the_real_coder(
    clients: tuple[TestClient, httpx.Client], path: str
) -> None:
    through, direct = clients
    headers = {"Coder-Session-Token": LIVE_TOKEN}
    mine, theirs = through.get(path, headers=headers), direct.get(path, headers=headers)
    assert mine.status_code == theirs.status_code
    assert mine.content == theirs.content
    for header in ("content-type", "x-coder-build-version", "x-content-type-options"):
        assert mine.headers.get(header) == theirs.headers.get(header)
    # Without a token the real Coder's 401 (and its challenge) come back unchanged.
    mine, theirs = through.get(path), direct.get(path)
    assert (mine.status_code, mine.headers.get("www-authenticate")) == (
        theirs.status_code,
        theirs.headers.get("www-authenticate"),
    )


def test_the_audit_page_sees_a_licence_and_the_mocks_logs(
    clients: tuple[TestClient, httpx.Client],
) -> None:
    through, _ = clients
    headers = {"Coder-Session-Token": LIVE_TOKEN}
    entitlements = through.get("/api/v2/entitlements", headers=headers).json()
    assert entitlements["has_license"] is True
    assert entitlements["features"]["audit_log"] == {"entitlement": "entitled", "enabled": True}
    audit = through.get("/api/v2/audit", params={"limit": 5}, headers=headers).json()
    assert audit["count"] == 40 and len(audit["audit_logs"]) == 5  # the mock's 40 logs
