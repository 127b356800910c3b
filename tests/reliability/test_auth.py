"""Nobody gets in where they don't belong (§6): carriers, comparison, logs, scope.

* Carriers: any mix of token carriers (cookie, query, header, `Authorization: Bearer`,
  `access_token`), duplicated, emptied, with decoys whose names differ only in case, sent over
  raw HTTP to uvicorn, is answered as the first non-empty carrier's token decides (§6.1,
  modelled independently in `expected_status`): a member's 403, a stranger's 401.
* Secrets are compared as fixed-length digests with `hmac.compare_digest`.
* Tokens never reach the access log or the journal, whatever carrier or encoding.
* Scope: over generated deployments and random role assignments, an organization-scoped
  reader sees exactly the logs of the organizations it administers or audits (§6.3), and any
  `q` gives it the owner's answer restricted to that scope.
"""

from __future__ import annotations

import hmac
import json
import random
import urllib.parse
import uuid
from collections.abc import Callable, Iterable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.datastructures import Headers
from starlette.testclient import TestClient

from coder_audit_mock.mockserver import DEFAULT_TOKENS, MockServer, MockSettings, _auth, create_app
from coder_audit_mock.mockserver._admin import ADMIN_TOKEN_HEADER
from coder_audit_mock.mockserver._standalone import ServeOptions, build_app

from ._support import (
    AUDIT,
    BUDGET,
    TESTGENERATE,
    Http,
    ServedMock,
    add,
    auth,
    build_request,
    raw_exchange,
    record,
)

STATUS_OF_ROLE = {
    "owner": 200,
    "auditor": 200,
    "org-admin": 200,
    "org-auditor": 200,
    "member": 403,
    "expired": 401,
    "suspended": 401,
}
STATUS_OF_TOKEN = {DEFAULT_TOKENS[role]: status for role, status in STATUS_OF_ROLE.items()}
# §6.1 (NEWEST), first non-empty wins, in this order.
CARRIER_ORDER = ("cookie", "query", "header", "bearer", "access_token")
# Names that differ from a carrier only in case or by a character: never carriers.
DECOYS = ("decoy-cookie", "decoy-query", "decoy-access-token", "decoy-scheme")


def expected_status(carried: Iterable[tuple[str, str]]) -> int:
    """The status §6.1-§6.3 give: the first carrier's first value decides, if it is non-empty.

    Bearer tokens and the decoy scheme share one header, `Authorization`, whose first value
    is the only one read: a `Basic` first hides any `Bearer` after it.
    """
    carried = list(carried)
    for carrier in CARRIER_ORDER:
        first = next((item for item in carried if _slot(item[0]) == _slot(carrier)), None)
        if first is not None and first[0] == carrier and first[1]:
            return STATUS_OF_TOKEN.get(first[1], 401)
    return 401


def _slot(kind: str) -> str:
    return "authorization" if kind in ("bearer", "decoy-scheme") else kind


def carried_request(carried: Iterable[tuple[str, str]], *, joined_cookies: bool) -> bytes:
    """The GET /api/v2/audit request that sends each (carrier, value) in order."""
    headers: list[tuple[bytes, bytes]] = []
    cookies: list[bytes] = []
    query: list[str] = []
    for kind, value in carried:
        raw = value.encode()
        if kind == "cookie":
            cookies.append(b"coder_session_token=" + raw)
        elif kind == "decoy-cookie":
            cookies.append(b"Coder_Session_Token=" + raw)
        elif kind == "header":
            headers.append((b"Coder-Session-Token", raw))
        elif kind == "bearer":
            headers.append((b"Authorization", b"Bearer " + raw))
        elif kind == "decoy-scheme":
            headers.append((b"Authorization", b"Basic " + raw))
        else:
            name = {
                "query": "coder_session_token",
                "access_token": "access_token",
                "decoy-query": "Coder_Session_Token",
                "decoy-access-token": "access-token",
            }[kind]
            query.append(f"{name}={urllib.parse.quote(value, safe='')}")
    if joined_cookies and cookies:
        cookies = [b"; ".join(cookies)]
    headers += [(b"Cookie", cookie) for cookie in cookies]
    target = f"{AUDIT}?{'&'.join(query)}" if query else AUDIT
    return build_request(b"GET", target.encode(), headers)


def never_valid(token: str, other: str) -> list[str]:
    """Near misses of a real token: none of them may sign anybody in."""
    key_id, secret = token.split("-")
    return [
        token.swapcase(),
        token[:-1],
        token + "0",
        token.replace("-", "_"),
        f"{key_id}-{other.split('-')[1]}",
        f"{key_id.upper()}-{secret}",
    ]


REAL_TOKENS = sorted(DEFAULT_TOKENS.values())
NEAR_MISSES = sorted(
    {
        miss
        for token in REAL_TOKENS
        for other in REAL_TOKENS
        if other != token
        for miss in never_valid(token, other)
    }
    - set(REAL_TOKENS)
)
token_values = st.one_of(st.sampled_from(REAL_TOKENS), st.sampled_from(NEAR_MISSES), st.just(""))
carriers = st.sampled_from(CARRIER_ORDER + DECOYS)


@pytest.fixture(scope="module")
def port(start_mock: Callable[..., ServedMock]) -> int:
    return start_mock("--logs", "20", "--quiet").port


@settings(
    max_examples=BUDGET.fuzz_examples * 2,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(carried=st.lists(st.tuples(carriers, token_values), max_size=6), joined=st.booleans())
def test_no_carrier_mix_gets_past_the_rules(
    port: int, carried: list[tuple[str, str]], joined: bool
) -> None:
    add("auth", "carrier_mixes", 1)
    answer = raw_exchange(port, carried_request(carried, joined_cookies=joined))
    assert answer.status == expected_status(carried), (carried, answer.body[:200])


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        # Header names are case-insensitive (HTTP), so this is the session-token header.
        ([(b"CODER-SESSION-TOKEN", DEFAULT_TOKENS["owner"].encode())], 200),
        # Two session-token headers: the first one counts (Go's Header.Get).
        (
            [
                (b"Coder-Session-Token", DEFAULT_TOKENS["member"].encode()),
                (b"Coder-Session-Token", DEFAULT_TOKENS["owner"].encode()),
            ],
            403,
        ),
        # The cookie comes first, even when the header holds an owner's token.
        (
            [
                (b"Cookie", b"coder_session_token=" + DEFAULT_TOKENS["member"].encode()),
                (b"Coder-Session-Token", DEFAULT_TOKENS["owner"].encode()),
            ],
            403,
        ),
        # A bad cookie is not skipped in favour of a good header: it is the token, and fails.
        (
            [
                (b"Cookie", b"coder_session_token=garbage"),
                (b"Coder-Session-Token", DEFAULT_TOKENS["owner"].encode()),
            ],
            401,
        ),
        # Another scheme in Authorization carries nothing.
        ([(b"Authorization", b"Basic " + DEFAULT_TOKENS["owner"].encode())], 401),
    ],
    ids=["header-case", "duplicate-headers", "cookie-first", "bad-cookie-first", "basic"],
)
def test_header_tricks(port: int, headers: list[tuple[bytes, bytes]], status: int) -> None:
    answer = raw_exchange(port, build_request(b"GET", AUDIT.encode(), headers))
    assert answer.status == status, answer.body[:200]


def test_bearer_scheme_spelling_never_raises_privilege(port: int) -> None:
    """`bearer`/`BEARER` may or may not be accepted, but never for a token that is not valid."""
    for scheme in (b"bearer", b"BEARER", b"BeArEr"):
        for token, ceiling in ((DEFAULT_TOKENS["owner"], 200), (DEFAULT_TOKENS["member"], 403)):
            header = (b"Authorization", scheme + b" " + token.encode())
            status = raw_exchange(port, build_request(b"GET", AUDIT.encode(), [header])).status
            assert status in (ceiling, 401)
        for miss in NEAR_MISSES[:5]:
            header = (b"Authorization", scheme + b" " + miss.encode())
            assert raw_exchange(port, build_request(b"GET", AUDIT.encode(), [header])).status == 401


# --- constant-time comparison ---------------------------------------------------------------------


@pytest.fixture
def compared(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bytes, bytes]]:
    """Every `hmac.compare_digest` call's arguments, while the test runs."""
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(presented: bytes, expected: bytes) -> bool:
        calls.append((presented, expected))
        return real(presented, expected)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    return calls


def test_session_secrets_are_compared_as_digests_in_constant_time(
    compared: list[tuple[bytes, bytes]],
) -> None:
    deployment = MockServer(MockSettings(log_count=0)).deployment
    key_id, secret = DEFAULT_TOKENS["owner"].split("-")
    for wrong in ("x" * 22, secret[:-1] + "x"):
        headers = Headers({"coder-session-token": f"{key_id}-{wrong}"})
        with pytest.raises(_auth.CoderError, match="API key secret is invalid"):
            _auth.authenticate(deployment, headers, {}, now_us=0)
    # Both comparisons are of two SHA-256 digests: equal lengths, whatever was presented.
    assert len(compared) == 2
    assert all(len(presented) == len(expected) == 32 for presented, expected in compared)


def test_admin_token_is_compared_in_constant_time(compared: list[tuple[bytes, bytes]]) -> None:
    options = ServeOptions(admin_token="admin-secret-1", access_log=False)
    client = TestClient(build_app(MockServer(MockSettings(log_count=0)), options))
    answer = client.get("/_mock/tokens", headers={ADMIN_TOKEN_HEADER: "admin-secret-2"})
    assert answer.status_code == 401
    assert compared == [(b"admin-secret-2", b"admin-secret-1")]


# --- tokens never written to logs -------------------------------------------------------------------


def made_up_tokens(count: int) -> list[str]:
    draw = random.Random("reliability-made-up-tokens")
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return [
        "".join(draw.choice(alphabet) for _ in range(10))
        + "-"
        + "".join(draw.choice(alphabet) for _ in range(22))
        for _ in range(count)
    ]


def leaky_requests(token: str) -> list[bytes]:
    """The same token in every carrier and every spelling Go still reads as that carrier."""
    quoted = urllib.parse.quote(token, safe="")
    requests = [
        build_request(b"GET", f"{AUDIT}?{query}".encode())
        for query in (
            f"coder_session_token={quoted}",
            f"access_token={quoted}",
            f"coder%5Fsession%5Ftoken={quoted}&limit=1",
            f"limit=1&access%5ftoken={quoted}",
            f"access_token={quoted};limit=1",
            f"access_token={quoted}&access_token={quoted}",
            f"coder_session_token={quoted}%zz",
        )
    ]
    for headers in (
        [(b"Cookie", b"coder_session_token=" + token.encode())],
        [(b"Cookie", b'coder_session_token="' + token.encode() + b'"')],
        [(b"Coder-Session-Token", token.encode())],
        [(b"Authorization", b"Bearer " + token.encode())],
    ):
        requests.append(build_request(b"GET", AUDIT.encode(), headers))
        requests.append(build_request(b"POST", TESTGENERATE.encode(), headers, b"{"))
        requests.append(build_request(b"POST", TESTGENERATE.encode(), headers, b"{}"))
    return requests


def test_tokens_never_reach_the_access_log_or_the_journal(
    start_mock: Callable[..., ServedMock],
) -> None:
    served = start_mock("--logs", "20")  # not --quiet: the access log is on
    tokens = [*DEFAULT_TOKENS.values(), *made_up_tokens(20)]
    for token in tokens:
        for request in leaky_requests(token):
            assert raw_exchange(served.port, request).status in (200, 204, 400, 401, 403, 500)
            add("auth", "requests_checked_for_leaks", 1)
    journal = Http(served.port).request("GET", "/_mock/journal")
    assert journal.status == 200 and len(json.loads(journal.body)["entries"]) > len(tokens)
    written = served.log_after_banner() + journal.body.decode()
    assert "GET /api/v2/audit" in written  # the access log did write lines
    leaked = [token for token in tokens if token.split("-")[1] in written]
    record("auth", tokens_leaked=len(leaked))
    assert leaked == []


# --- scope over generated data ----------------------------------------------------------------------

READER_ORG_ROLES = ("organization-admin", "organization-auditor")
SITE_ROLE_CHOICES = ("auditor", "member", "template-admin", "user-admin")
ORG_ROLE_CHOICES = ("organization-admin", "organization-auditor", "organization-member")


def scope_queries(client: TestClient) -> list[str]:
    """A `q` for each filter that interacts with scope: organizations, users, actions."""
    deployment = client.app.state.mock.deployment  # type: ignore[attr-defined]
    queries = ["", "action:create", "resource_type:workspace_build", "build_reason:autostart"]
    queries += [f"organization:{org.name}" for org in deployment.organizations.values()]
    queries += [f"organization:{org.id}" for org in deployment.organizations.values()]
    queries += [f"username:{user.username}" for user in list(deployment.users.values())[:5]]
    return queries


def ids_of(client: TestClient, role: str, q: str) -> tuple[int, set[str]]:
    answer = client.get(AUDIT, params={"q": q, "limit": "5000"}, headers=auth(role))
    if answer.status_code != 200:
        return answer.status_code, set()
    return 200, {log["id"] for log in answer.json()["audit_logs"]}


@settings(
    max_examples=max(10, BUDGET.fuzz_examples // 4),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 2**16),
    log_count=st.integers(0, 60),
    site_roles=st.sets(st.sampled_from(SITE_ROLE_CHOICES), max_size=2),
    org_roles=st.lists(st.sets(st.sampled_from(ORG_ROLE_CHOICES), max_size=2), max_size=4),
    deleted_org=st.integers(-1, 3),
    written_orgs=st.lists(st.integers(-1, 3), max_size=3),
    data=st.data(),
)
def test_scoped_readers_never_see_outside_their_scope(
    seed: int,
    log_count: int,
    site_roles: set[str],
    org_roles: list[set[str]],
    deleted_org: int,
    written_orgs: list[int],
    data: st.DataObject,
) -> None:
    client = TestClient(create_app(seed=seed, log_count=log_count))
    mock = client.app.state.mock  # type: ignore[attr-defined]
    organizations = list(mock.deployment.organizations.values())
    # The "member" user gets the drawn roles; the owner writes logs into drawn organizations.
    user = mock.deployment.users[mock.deployment.role_users["member"]]
    user.site_roles = tuple(sorted(site_roles))
    user.organization_roles = {
        org.id: tuple(sorted(roles)) for org, roles in zip(organizations, org_roles, strict=False)
    }
    if 0 <= deleted_org < len(organizations):
        organizations[deleted_org].deleted = True
    mock.store.deployment_changed()
    for index in written_orgs:
        organization = organizations[index % len(organizations)]
        body = {"organization_id": str(organization.id)} if index >= 0 else {}
        assert client.post(TESTGENERATE, json=body, headers=auth("owner")).status_code == 204
    site_wide = "auditor" in site_roles
    scope = {
        org.id
        for org in organizations
        if not org.deleted and set(user.organization_roles.get(org.id, ())) & set(READER_ORG_ROLES)
    }
    visible = {str(log.id) for log in mock.store.logs if site_wide or log.organization_id in scope}
    status, seen = ids_of(client, "member", "")
    add("auth", "scope_checks", 1)
    if not site_wide and not scope:
        assert status == 403
        return
    assert (status, seen) == (200, visible)
    q = data.draw(st.sampled_from(scope_queries(client)), label="q")
    owner_status, owner_seen = ids_of(client, "owner", q)
    status, seen = ids_of(client, "member", q)
    add("auth", "scope_checks", 1)
    if status == 400 and owner_status == 200:
        # An organization the caller cannot see is "not found" for it (§2.1).
        assert q.startswith("organization:"), q
        named = q.split(":", 1)[1]
        assert not any(
            named in (org.name, str(org.id)) and org.id in scope for org in organizations
        )
        assert not site_wide
        return
    assert status == owner_status
    assert seen == owner_seen & visible, q


def test_org_less_logs_stay_invisible_to_organization_readers() -> None:
    """testgenerate without organization_id: seen by owner and auditor only (§5)."""
    client = TestClient(create_app(log_count=10))
    request_id = str(uuid.UUID(int=0xA0D17, version=4))
    assert client.post(TESTGENERATE, json={"request_id": request_id}, headers=auth("owner"))
    for role, expected in (("owner", 1), ("auditor", 1), ("org-admin", 0), ("org-auditor", 0)):
        answer = client.get(AUDIT, params={"q": f"request_id:{request_id}"}, headers=auth(role))
        assert answer.json()["count"] == expected, role
