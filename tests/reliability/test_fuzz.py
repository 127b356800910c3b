"""Hostile input, fuzzed over raw HTTP: no 500, no hang, no traceback, no poisoned data.

Hypothesis generates what a careless or hostile client sends (search queries, pagination
parameters, tokens in every carrier, arbitrary headers, JSON bodies, paths and methods) and
each input goes to a `serve` process as raw bytes on a fresh connection. Every answer must be
acceptable (`_support.problems_with`): a status below 500, or one of the 500s real Coder gives
to testgenerate (§1.2), or the server closing a connection it cannot parse; never a
traceback; always within `REQUEST_TIMEOUT_S`. A stored log must never make later reads fail,
so a later test reads every page of what the fuzzing stored.

`q` is also parsed in linear time: the worst inputs we know (quotes, colons, spaces in long
runs) are timed at two sizes in-process, and sent over HTTP at 15 KiB each.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import uuid
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from coder_audit_mock.mockserver import DEFAULT_TOKENS, MockServer, MockSettings, create_app
from coder_audit_mock.mockserver._errors import InvalidSearchQuery
from coder_audit_mock.mockserver._search import parse_search_query
from coder_audit_mock.mockserver._standalone import ServeOptions, build_app

from ._support import (
    AUDIT,
    BUDGET,
    INTERNAL_ERROR,
    LOOPBACK,
    TESTGENERATE,
    Deadline,
    Http,
    RawAnswer,
    ServedMock,
    add,
    build_request,
    problems_with,
    raw_exchange,
    record,
)

SEEDED_LOGS = 300
OWNER = DEFAULT_TOKENS["owner"].encode()
FUZZ = settings(
    max_examples=BUDGET.fuzz_examples,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- the server and the budget ------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(start_mock: Callable[..., ServedMock]) -> ServedMock:
    # No admin endpoints: a fuzzed PUT /_mock/faults would turn on injected 500s.
    return start_mock("--logs", str(SEEDED_LOGS), "--quiet", "--no-admin")


@pytest.fixture(scope="module")
def port(served: ServedMock) -> int:
    return served.port


class Campaign:
    """One fuzz test's count of inputs and its wall-clock bound (it starts at the first input)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.deadline: Deadline | None = None

    def next_input(self) -> bool:
        """Whether to try this input: False once the time budget is spent."""
        if self.deadline is None:
            self.deadline = Deadline(BUDGET.time_limit_s / 2)
        if not self.deadline:
            return False
        add("fuzz", "crashes", 0)  # shown as 0 unless `send` counts one
        add("fuzz", "inputs", 1)
        add("fuzz", f"inputs_{self.name}", 1)
        return True


def send(
    port: int,
    method: bytes,
    target: bytes,
    headers: list[tuple[bytes, bytes]] | None = None,
    body: bytes = b"",
    *,
    testgenerate: bool = False,
) -> RawAnswer:
    """Send one request and fail on an unacceptable answer (counted as a crash first)."""
    answer = raw_exchange(port, build_request(method, target, headers or [], body))
    problems = problems_with(answer.status, answer.body, testgenerate=testgenerate)
    if problems:
        add("fuzz", "crashes", 1)
    assert problems == [], (method, target, headers, body[:300])
    return answer


def signed_in(role_token: bytes = OWNER) -> list[tuple[bytes, bytes]]:
    return [(b"Coder-Session-Token", role_token)]


# --- strategies ---------------------------------------------------------------------------------

SEARCH_KEYS = (
    "resource_type",
    "resource_id",
    "resource_target",
    "action",
    "username",
    "email",
    "date_from",
    "date_to",
    "organization",
    "build_reason",
    "request_id",
    "user",
)
TRICKY_VALUES = (
    "me",
    "create",
    "workspace_build",
    "autostart",
    "2024-01-01",
    "2024-02-30",
    "0000-01-01",
    "9999-12-31",
    "00000000-0000-0000-0000-000000000000",
    str(uuid.UUID(int=7)),
    f"urn:uuid:{uuid.UUID(int=7)}",
    "{" + str(uuid.UUID(int=7)) + "}",
    "İstanbul",
    "\u212a",
    "\x00",
    '"',
    ":",
    "",
    "x" * 300,
)
values = st.one_of(st.sampled_from(TRICKY_VALUES), st.text(max_size=30))
keys = st.one_of(st.sampled_from(SEARCH_KEYS), st.text(alphabet="abcdeor_:", max_size=10))
search_elements = st.one_of(
    st.builds("{}:{}".format, keys, values),
    st.builds('{}:"{}"'.format, keys, values),
    values,
    st.text(alphabet=' :"a', max_size=20),
)
search_queries = st.one_of(
    st.lists(search_elements, max_size=8).map(" ".join),
    st.text(max_size=200),
)
numbers = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(
        ["", "0", "-0", "+1", " 1", "1e3", "0x10", "1.0", "\u0663", "\uff11", "9" * 5000]
        + ["2147483647", "2147483648", "-2147483648", "00000000001", "NaN", "%"]
    ),
    st.text(max_size=12),
)
parameter_names = st.sampled_from(["limit", "offset", "after_id", "q", "LIMIT", "limit[]"])
pagination = st.lists(st.tuples(parameter_names, st.one_of(numbers, values)), max_size=6)
surrogates = st.characters(categories=["Cs"])
json_text = st.text(st.one_of(st.characters(), surrogates), max_size=20)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | json_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(json_text, children, max_size=4)
    ),
    max_leaves=20,
)
BODY_FIELDS = (
    "action",
    "resource_type",
    "resource_id",
    "additional_fields",
    "time",
    "build_reason",
    "organization_id",
    "request_id",
)
field_names = st.one_of(
    st.sampled_from(BODY_FIELDS),
    st.sampled_from(BODY_FIELDS).map(str.upper),
    json_text,
)
field_values = st.one_of(
    json_values,
    st.sampled_from(TRICKY_VALUES),
    st.sampled_from(["2024-01-01T00:00:00Z", "2024-01-01T00:00:00+99:99", "0001-01-01T00:00:00Z"]),
)
# Number literals Python and Go disagree on: huge integers, exponents beyond a float.
raw_numbers = st.one_of(
    st.integers(1, 6000).map(lambda digits: "9" * digits),
    st.builds("{}e{}".format, st.integers(-99, 99), st.integers(-100_000, 100_000)),
    st.sampled_from(["-0", "1E400", "-1e999", "1.5e308", "1e-400", "0.1e1"]),
)
nesting = st.integers(1, 12_000).map(lambda depth: "[" * depth + "]" * depth)
raw_bodies = st.one_of(
    st.dictionaries(field_names, field_values, max_size=8).map(json.dumps),
    json_values.map(json.dumps),
    st.builds('{{"additional_fields": {{"n": {}}}}}'.format, raw_numbers),
    st.builds('{{"action": {}}}'.format, raw_numbers),
    st.builds('{{"additional_fields": {}}}'.format, nesting),
    st.binary(max_size=200).map(lambda data: data.decode("latin-1")),
).map(lambda text: text.encode("utf-8", "surrogatepass"))
KNOWN_HEADERS = (
    "Content-Length",
    "Transfer-Encoding",
    "Host",
    "Cookie",
    "Authorization",
    "Coder-Session-Token",
    "Content-Type",
    "Expect",
    "Connection",
    "Origin",
    "User-Agent",
    "Upgrade",
)
header_names = st.one_of(
    st.sampled_from(KNOWN_HEADERS).map(str.encode),
    st.sampled_from(KNOWN_HEADERS).map(lambda name: name.upper().encode()),
    st.from_regex(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,20}", fullmatch=True),
)
header_values = st.binary(max_size=80).map(lambda data: data.translate(None, b"\r\n"))
methods = st.one_of(
    st.sampled_from([b"GET", b"POST", b"PUT", b"HEAD", b"OPTIONS", b"DELETE", b"PATCH"]),
    st.from_regex(rb"[A-Za-z]{1,10}", fullmatch=True),
)
paths = st.one_of(
    st.sampled_from([AUDIT, TESTGENERATE, AUDIT + "/", "/api/v2/", "/openapi.json", "/"]),
    st.builds(
        "{}/{}".format,
        st.sampled_from([AUDIT, "/api/v2", ""]),
        st.text(max_size=30).map(lambda text: urllib.parse.quote(text, safe="/%.")),
    ),
)
real_tokens = st.sampled_from(sorted(DEFAULT_TOKENS.values()))
tokens = st.one_of(
    real_tokens,
    st.builds(lambda token, cut: token[:cut] + token[cut + 1 :], real_tokens, st.integers(0, 33)),
    st.builds(str.swapcase, real_tokens),
    st.from_regex(r"[A-Za-z0-9]{0,12}-[A-Za-z0-9]{0,25}(-[a-z]*)?", fullmatch=True),
    st.text(max_size=60),
)
CARRIERS = ("cookie", "query", "access_token", "header", "bearer")


def quoted(text: str) -> str:
    return urllib.parse.quote(text, safe="")


# --- the fuzz tests -----------------------------------------------------------------------------

SEARCH = Campaign("q")


@FUZZ
@given(q=search_queries, role=st.sampled_from(["owner", "auditor", "org-admin"]))
def test_search_queries(port: int, q: str, role: str) -> None:
    if not SEARCH.next_input():
        return
    target = f"{AUDIT}?q={quoted(q)}".encode()
    answer = send(port, b"GET", target, signed_in(DEFAULT_TOKENS[role].encode()))
    assert answer.status in (200, 400), answer
    if answer.status == 400:
        assert json.loads(answer.body)["message"] == "Invalid audit search query."


PAGINATION = Campaign("pagination")


@FUZZ
@given(params=pagination)
def test_pagination_parameters(port: int, params: list[tuple[str, str]]) -> None:
    if not PAGINATION.next_input():
        return
    query = "&".join(f"{quoted(name)}={quoted(value)}" for name, value in params)
    answer = send(port, b"GET", f"{AUDIT}?{query}".encode(), signed_in())
    assert answer.status in (200, 400), answer
    body = json.loads(answer.body)
    if answer.status == 400:
        messages = ("Query parameters have invalid values.", "Invalid audit search query.")
        assert body["message"] in messages
    else:
        assert len(body["audit_logs"]) <= max(body["count"], 0) or body["count"] > 2000


TOKENS = Campaign("tokens")


@FUZZ
@given(carried=st.lists(st.tuples(st.sampled_from(CARRIERS), tokens), max_size=4))
def test_tokens_in_every_carrier(port: int, carried: list[tuple[str, str]]) -> None:
    if not TOKENS.next_input():
        return
    headers: list[tuple[bytes, bytes]] = []
    query: list[str] = []
    for carrier, token in carried:
        raw = token.encode("utf-8", "surrogatepass").translate(None, b"\r\n")
        if carrier == "cookie":
            headers.append((b"Cookie", b"coder_session_token=" + raw))
        elif carrier == "header":
            headers.append((b"Coder-Session-Token", raw))
        elif carrier == "bearer":
            headers.append((b"Authorization", b"Bearer " + raw))
        else:
            name = "coder_session_token" if carrier == "query" else "access_token"
            query.append(f"{name}={urllib.parse.quote_from_bytes(raw, safe='')}")
    answer = send(port, b"GET", f"{AUDIT}?{'&'.join(query)}".encode(), headers)
    assert answer.status in (200, 400, 401, 403), answer
    if answer.status == 200:
        assert any(token in DEFAULT_TOKENS.values() for _, token in carried)


HEADERS = Campaign("headers")


@FUZZ
@given(
    method=st.sampled_from([b"GET", b"POST"]),
    path=st.sampled_from([AUDIT, TESTGENERATE]),
    headers=st.lists(st.tuples(header_names, header_values), max_size=8),
    body=st.sampled_from([b"", b"{}", b'{"action":"create"}']),
)
def test_arbitrary_headers(
    port: int, method: bytes, path: str, headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    if not HEADERS.next_input():
        return
    send(port, method, path.encode(), signed_in() + headers, body, testgenerate=True)


BODIES = Campaign("bodies")


@FUZZ
@given(body=raw_bodies, role=st.sampled_from(["owner", "owner", "auditor"]))
def test_testgenerate_bodies(port: int, body: bytes, role: str) -> None:
    if not BODIES.next_input():
        return
    headers = signed_in(DEFAULT_TOKENS[role].encode()) + [(b"Content-Type", b"application/json")]
    answer = send(port, b"POST", TESTGENERATE.encode(), headers, body, testgenerate=True)
    assert answer.status in (204, 400, 413, 500), answer
    if answer.status == 204:  # what was stored must read back
        send(port, b"GET", f"{AUDIT}?limit=3".encode(), signed_in())


PATHS = Campaign("paths")


@FUZZ
@given(method=methods, path=paths, signed=st.booleans())
def test_paths_and_methods(port: int, method: bytes, path: str, signed: bool) -> None:
    if not PATHS.next_input():
        return
    send(port, method, path.encode(), signed_in() if signed else [], testgenerate=True)


def test_every_stored_log_still_reads_back(port: int) -> None:
    """After the fuzzing: every page of the table is a 200 (no stored log poisons a read)."""
    http, offset = Http(port), 0
    deadline = Deadline(BUDGET.time_limit_s)
    while deadline:
        answer = http.get(f"{AUDIT}?limit=500&offset={offset}")
        assert answer.status == 200, answer.body[:300]
        if not answer.json()["audit_logs"]:
            break
        offset += 500
    assert offset >= SEEDED_LOGS


# --- regressions the fuzzing found ---------------------------------------------------------------


TOO_DEEP = {"message": "Request body must be valid JSON.", "detail": "exceeded max depth"}
OVERFLOW = {"message": INTERNAL_ERROR, "detail": "pq: value overflows numeric format"}


@pytest.mark.parametrize(
    ("body", "status", "answer"),
    [
        # A number beyond a float is valid JSON; stored, it made every later GET a 500. Postgres
        # keeps it exactly, and so does the mock now.
        (b'{"additional_fields": {"n": 1e999}}', 204, None),
        (b'{"additional_fields": [-1E400]}', 204, None),
        # Integers longer than Python converts to text (4300 digits): a 500 from the catch-all.
        # Now refused as Postgres refuses numbers beyond `numeric` (its limit is higher).
        (b'{"additional_fields": {"n": ' + b"9" * 5000 + b"}}", 500, OVERFLOW),
        (
            b'{"action": ' + b"9" * 5000 + b"}",
            400,
            {
                "message": "Request body must be valid JSON.",
                "detail": "json: cannot unmarshal number into Go struct field "
                "CreateTestAuditLogRequest.action of type codersdk.AuditAction",
            },
        ),
        # Lone surrogate escapes in a uuid field: a UnicodeEncodeError. Go reads a valid pair
        # as one character (4 bytes) and a lone half as U+FFFD (3 bytes).
        (
            b'{"resource_id": "\\ud800\\udfff\\ud800"}',
            400,
            {"message": "Request body must be valid JSON.", "detail": "invalid UUID length: 7"},
        ),
        # Nesting deeper than the mock can walk (a RecursionError, sometimes only at read time).
        (b'{"additional_fields": ' + b"[" * 600 + b"]" * 600 + b"}", 400, TOO_DEEP),
        (b'{"additional_fields": ' + b'{"a":' * 480 + b"1" + b"}" * 480 + b"}", 400, TOO_DEEP),
    ],
    ids=[
        "1e999",
        "-1E400",
        "5000-digits",
        "5000-digits-action",
        "surrogates",
        "600-deep",
        "480-deep",
    ],
)
def test_hostile_bodies_found_by_fuzzing(
    port: int, body: bytes, status: int, answer: dict[str, str] | None
) -> None:
    headers = signed_in() + [(b"Content-Type", b"application/json")]
    sent = send(port, b"POST", TESTGENERATE.encode(), headers, body, testgenerate=True)
    assert sent.status == status
    if answer is not None:
        assert json.loads(sent.body) == answer
    assert send(port, b"GET", f"{AUDIT}?limit=5".encode(), signed_in()).status == 200


def test_numbers_beyond_a_float_read_back_exactly(port: int) -> None:
    request_id = str(uuid.UUID(int=0x1E999, version=4))
    body = f'{{"request_id": "{request_id}", "additional_fields": {{"n": 1e400}}}}'.encode()
    headers = signed_in() + [(b"Content-Type", b"application/json")]
    assert send(port, b"POST", TESTGENERATE.encode(), headers, body).status == 204
    page = send(port, b"GET", f"{AUDIT}?q=request_id:{request_id}".encode(), signed_in())
    assert b'"additional_fields":{"n":1' + b"0" * 400 + b"}" in page.body


def test_absurd_content_length_in_process_is_a_413() -> None:
    """uvicorn refuses a 5000-digit Content-Length itself; another ASGI server may pass it on."""
    client = TestClient(create_app(log_count=0))
    headers = {"Coder-Session-Token": DEFAULT_TOKENS["owner"], "Content-Length": "9" * 5000}
    answer = client.post(TESTGENERATE, content=b"{}", headers=headers)
    assert answer.status_code == 413
    assert answer.json()["message"] == "Request body too large."


def scenario_with(additional_fields: str) -> bytes:
    return (
        b'{"logs": [{"action": "create", "additional_fields": '
        + additional_fields.encode()
        + b"}]}"
    )


@pytest.mark.parametrize(
    ("body", "yaml"),
    [
        (scenario_with('{"n": 1e999}'), False),
        (scenario_with('{"n": Infinity}'), False),
        (scenario_with('{"n": NaN}'), False),
        (scenario_with("[" * 600 + "]" * 600), False),
        (scenario_with("[" * 5000 + "]" * 5000), False),
        (scenario_with('{"n": ' + "9" * 5000 + "}"), False),
        (b"logs:\n- action: create\n  additional_fields: {n: .inf}\n", True),
        (b"logs:\n- action: create\n  additional_fields: " + b"[" * 5000 + b"]" * 5000, True),
    ],
    ids=[
        "1e999",
        "Infinity",
        "NaN",
        "600-deep",
        "5000-deep",
        "5000-digits",
        "yaml-inf",
        "yaml-deep",
    ],
)
def test_hostile_scenarios_are_refused_not_stored(body: bytes, yaml: bool) -> None:
    """The admin endpoint's scenarios: loaded, such values made every later GET a 500."""
    client = TestClient(build_app(MockServer(MockSettings(log_count=2)), ServeOptions()))
    content_type = "application/yaml" if yaml else "application/json"
    loaded = client.post(
        "/_mock/scenario?merge=true", content=body, headers={"Content-Type": content_type}
    )
    assert loaded.status_code == 400
    assert loaded.json()["message"] == "Invalid scenario."
    assert (
        client.get(AUDIT, headers={"Coder-Session-Token": DEFAULT_TOKENS["owner"]}).status_code
        == 200
    )


# --- the search grammar is linear ----------------------------------------------------------------

# Inputs that would be quadratic (or worse) for a backtracking or re-scanning parser.
WORST_QUERIES: dict[str, Callable[[int], str]] = {
    "quotes": lambda n: '"' * n,
    "colons": lambda n: ":" * n,
    "key-colons": lambda n: "a:" * (n // 2),
    "spaces": lambda n: " " * n + "x",
    "open-quotes": lambda n: 'a"' * (n // 2),
    "quoted-pairs": lambda n: '"a:b" ' * (n // 6),
    "unclosed": lambda n: '"' + "a:b " * (n // 4),
    "words": lambda n: "ab " * (n // 3),
    "dotted-i": lambda n: "\u0130" * n,
}
SMALL, LARGE = 20_000, 160_000  # 8 times larger: linear is ~8x slower, quadratic 64x
MAX_GROWTH = 24.0


def parse_seconds(q: str) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        try:
            parse_search_query(q, resolve_organization=lambda name: None)
        except InvalidSearchQuery:
            pass
        best = min(best, time.perf_counter() - started)
    return best


@pytest.mark.parametrize("family", sorted(WORST_QUERIES))
def test_worst_case_queries_parse_in_linear_time(family: str) -> None:
    make = WORST_QUERIES[family]
    small, large = parse_seconds(make(SMALL)), parse_seconds(make(LARGE))
    growth = large / max(small, 1e-6)
    add("fuzz", "worst_case_q_families", 1)
    record("fuzz", **{f"q_{family}_160k_ms": round(large * 1000, 2)})
    assert growth < MAX_GROWTH or large < 0.05, (family, small, large)


def test_worst_case_queries_over_http_answer_quickly(port: int) -> None:
    """Each worst-case family as a 15 KiB request target is answered within a second."""
    for family, make in WORST_QUERIES.items():
        q = make(4000)
        target = f"{AUDIT}?q={quoted(q)}"[: 15 * 1024].encode()
        started = time.perf_counter()
        answer = send(port, b"GET", target, signed_in())
        assert answer.status in (200, 400, 431), (family, answer.status)
        assert time.perf_counter() - started < 1.0, family


def test_fuzz_server_is_still_alive_and_logged_no_traceback(served: ServedMock) -> None:
    request = build_request(b"GET", AUDIT.encode(), signed_in())
    assert raw_exchange(served.port, request).status == 200
    log = served.log_after_banner()
    assert "Traceback" not in log and "unexpected error" not in log, log[-3000:]
    record("fuzz", server=f"{LOOPBACK}, {SEEDED_LOGS} seeded logs")
