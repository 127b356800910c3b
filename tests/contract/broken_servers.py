"""The zoo: deliberately broken servers, each the real mock with exactly one thing broken.

Every entry wraps `create_app()` in `Breaking`, an ASGI app that can edit the request before
the mock sees it, answer instead of the mock, or edit the mock's answer. `ZOO` maps each
server's name to what it breaks and the semantic check(s) that catch it; the tests hold the
kit to that table, and `docs/broken-servers.md` is generated from it:

    PYTHONPATH=src python tests/contract/broken_servers.py --write
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import pathlib
import re
import sys
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

import anyio

from coder_audit_mock.contracts._coder import NEWEST_SEARCH_KEYS
from coder_audit_mock.mockserver import DEFAULT_NOW_US, DEFAULT_TOKENS, create_app

LOG_COUNT = 150  # over 100, so that the default limit shows
CAPPED_LOG_COUNT = 2100  # over 2001, so that the count cap shows
SLOW_SECONDS = 1.5  # the tests lower response_time's limit to 1 s, below this
TESTGENERATE_DIFF = {"foo": {"old": "bar", "new": "baz", "secret": False}}
DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "broken-servers.md"

Headers = list[tuple[str, str]]


@dataclasses.dataclass
class Request:
    """The request as the wrapper sees it; edits go to the mock."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: Headers  # lowercase names
    body: bytes

    def params(self, name: str) -> list[str]:
        return [value for key, value in self.query if key == name]

    def set_params(self, name: str, values: list[str]) -> None:
        self.query = [(k, v) for k, v in self.query if k != name] + [(name, v) for v in values]

    def carries_token(self) -> bool:
        names = {name for name, _ in self.headers}
        cookie = any("coder_session_token=" in v for n, v in self.headers if n == "cookie")
        in_query = any(k in ("coder_session_token", "access_token") for k, _ in self.query)
        return bool(names & {"coder-session-token", "authorization"}) or cookie or in_query

    def replace_token(self, old: str, new: str) -> None:
        self.headers = [(n, v.replace(old, new)) for n, v in self.headers]
        self.query = [(k, v.replace(old, new)) for k, v in self.query]

    @property
    def is_testgenerate(self) -> bool:
        return self.method == "POST" and self.path == "/api/v2/audit/testgenerate"


@dataclasses.dataclass
class Reply:
    status: int
    headers: Headers
    body: bytes

    def header(self, name: str) -> str:
        return next((v for n, v in self.headers if n == name), "")

    def with_body(self, body: bytes, content_type: str | None = None) -> Reply:
        headers = [(n, v) for n, v in self.headers if n not in ("content-length", "content-type")]
        headers.append(("content-type", content_type or self.header("content-type")))
        headers.append(("content-length", str(len(body))))
        return Reply(self.status, headers, body)

    def edit_json(self, edit: Callable[[Any], Any]) -> Reply:
        try:
            document = json.loads(self.body)
        except ValueError:
            return self
        return self.with_body(json.dumps(edit(document)).encode() + b"\n")


RequestEdit = Callable[[Request], Request | Reply]
ResponseEdit = Callable[[Request, Reply], Reply]


class Breaking:
    """ASGI app: `inner` (the mock) with a request edit, a response edit and/or a delay."""

    def __init__(
        self,
        inner: Any,
        *,
        on_request: RequestEdit | None = None,
        on_response: ResponseEdit | None = None,
        delay: float = 0.0,
    ) -> None:
        self.inner = inner
        self.state = getattr(inner, "state", None)
        self.on_request = on_request
        self.on_response = on_response
        self.delay = delay

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        raw_query = scope.get("query_string", b"").decode("latin-1")
        request = Request(
            method=scope["method"],
            path=scope["path"],
            query=urllib.parse.parse_qsl(raw_query, keep_blank_values=True),
            headers=[
                (n.decode("latin-1").lower(), v.decode("latin-1")) for n, v in scope["headers"]
            ],
            body=await _read_body(receive),
        )
        original_query = list(request.query)
        edited = self.on_request(request) if self.on_request else request
        if self.delay:
            await anyio.sleep(self.delay)
        if isinstance(edited, Reply):
            await _send(send, edited)
            return
        inner_scope = dict(
            scope,
            path=edited.path,
            headers=[(n.encode("latin-1"), v.encode("latin-1")) for n, v in edited.headers],
        )
        if edited.query != original_query:  # re-encode only what was edited
            inner_scope["query_string"] = urllib.parse.urlencode(edited.query).encode()
        reply = await _call(self.inner, inner_scope, edited.body)
        await _send(send, self.on_response(edited, reply) if self.on_response else reply)


async def _read_body(receive: Any) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def _call(app: Any, scope: dict[str, Any], body: bytes) -> Reply:
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if delivered:
            await anyio.sleep_forever()  # no disconnect while the app answers
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    reply = Reply(500, [], b"")

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            reply.status = message["status"]
            reply.headers = [
                (n.decode("latin-1").lower(), v.decode("latin-1"))
                for n, v in message.get("headers", [])
            ]
        elif message["type"] == "http.response.body":
            reply.body += message.get("body", b"")

    await app(scope, receive, send)
    return reply


async def _send(send: Any, reply: Reply) -> None:
    headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in reply.headers]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})


# -- the registry -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class BrokenServer:
    """A broken server: its name, what it breaks, and the checks expected to catch it."""

    name: str
    breaks: str
    caught_by: tuple[str, ...]
    build: Callable[[], Any]


ZOO: dict[str, BrokenServer] = {}


def _mock(log_count: int = LOG_COUNT) -> Any:
    # A pinned clock: testgenerate times, and so every answer, are the same on every run.
    return create_app(log_count=log_count, clock=lambda: DEFAULT_NOW_US)


def broken(
    name: str,
    breaks: str,
    caught_by: tuple[str, ...],
    *,
    on_request: RequestEdit | None = None,
    on_response: ResponseEdit | None = None,
    delay: float = 0.0,
    log_count: int = LOG_COUNT,
    prepare: Callable[[Any], RequestEdit | None] | None = None,
) -> None:
    """Register a broken server; `prepare(mock_app)` may alter the mock and return a request edit."""

    def build() -> Breaking:
        inner = _mock(log_count)
        edit = prepare(inner) if prepare is not None else None
        return Breaking(inner, on_request=edit or on_request, on_response=on_response, delay=delay)

    ZOO[name] = BrokenServer(name, breaks, caught_by, build)


def _on_page(edit: Callable[[dict[str, Any]], Any]) -> ResponseEdit:
    """Edit successful GET /api/v2/audit pages."""

    def on_response(request: Request, reply: Reply) -> Reply:
        if (
            request.method != "GET"
            or reply.status != 200
            or not request.path.startswith("/api/v2/audit")
        ):
            return reply

        def apply(document: Any) -> Any:
            edit(document)
            return document

        return reply.edit_json(apply)

    return on_response


def _on_logs(edit: Callable[[dict[str, Any]], None]) -> ResponseEdit:
    def each(document: dict[str, Any]) -> None:
        for log in document.get("audit_logs", []):
            edit(log)

    return _on_page(each)


def _on_errors(edit: Callable[[Reply], Reply], status: int | None = None) -> ResponseEdit:
    def on_response(request: Request, reply: Reply) -> Reply:
        wanted = reply.status == status if status is not None else reply.status >= 400
        return edit(reply) if wanted else reply

    return on_response


# A `key:value` element of q: key in any case, optionally quoted; value quoted or bare.
def _term(key: str) -> re.Pattern[str]:
    return re.compile(rf'(?i)(?:^|(?<= ))"?{key}"?:("[^"]*"|[^ ]*)')


def _edit_param(name: str, edit: Callable[[list[str]], list[str]]) -> RequestEdit:
    """Edit the values of one query parameter of GET requests (all of them, repeats too)."""

    def on_request(request: Request) -> Request:
        if request.method == "GET":
            request.set_params(name, edit(request.params(name)))
        return request

    return on_request


def _edit_q(edit: Callable[[str], str]) -> RequestEdit:
    return _edit_param("q", lambda values: [edit(value) for value in values])


def _token_swap(pairs: Mapping[str, str]) -> RequestEdit:
    def on_request(request: Request) -> Request:
        for old, new in pairs.items():
            request.replace_token(DEFAULT_TOKENS[old], DEFAULT_TOKENS[new])
        return request

    return on_request


def _day_before(match: re.Match[str]) -> str:
    value = match.group(1).strip('"')
    try:
        day = dt.date.fromisoformat(value) - dt.timedelta(days=1)
    except ValueError:
        return match.group(0)
    return match.group(0).replace(value, day.isoformat())


def _case_sensitive_username(app: Any) -> RequestEdit:
    """username compared with the stored name as typed, not lowercased (§2.1)."""
    names = {user.username for user in app.state.mock.deployment.users.values() if not user.deleted}

    def edit(q: str) -> str:
        def compare(match: re.Match[str]) -> str:
            typed = match.group(1).strip('"')
            if typed.lower() == "me" or typed in names:
                return match.group(0)
            return "username:no-such-user"

        return _term("username").sub(compare, q)

    return _edit_q(edit)


def _lose_write(request: Request) -> Request | Reply:
    owner = ("coder-session-token", DEFAULT_TOKENS["owner"])
    if request.is_testgenerate and owner in request.headers:
        return Reply(204, [], b"")
    return request


def _drop_additional_fields(request: Request) -> Request:
    if request.is_testgenerate:
        try:
            body = json.loads(request.body)
        except ValueError:
            return request
        if isinstance(body, dict):
            body.pop("additional_fields", None)
            request.body = json.dumps(body).encode()
            request.headers = [(n, v) for n, v in request.headers if n != "content-length"]
            request.headers.append(("content-length", str(len(request.body))))
    return request


def _anonymous_is_owner(request: Request) -> Request:
    if not request.carries_token():
        request.headers.append(("coder-session-token", DEFAULT_TOKENS["owner"]))
    return request


def _uncap(app: Any) -> None:
    app.state.mock.store.count_cap = 0  # the store then counts every match


def _offset_plus_one(values: list[str]) -> list[str]:
    return [
        str(int(v) + 1) if v.isascii() and v.isdigit() and 0 < int(v) < 2**31 - 1 else v
        for v in values
    ]


def _unlimited_by_default(values: list[str]) -> list[str]:
    return values if values and values[0] not in ("", "0") else ["1000000"]


def _set(key: str, value: Callable[[Any], Any]) -> Callable[[dict[str, Any]], None]:
    def edit(log: dict[str, Any]) -> None:
        if key in log:
            log[key] = value(log[key])

    return edit


def _blank_testgenerate_target(log: dict[str, Any]) -> None:
    if log.get("diff") == TESTGENERATE_DIFF:
        log["resource_target"] = ""


def _internal_error(reply: Reply) -> Reply:
    body = {"message": "An internal server error occurred.", "detail": "invalid input"}
    return dataclasses.replace(reply, status=500).with_body(json.dumps(body).encode())


def _validations_in_q(document: Any) -> Any:
    for validation in document.get("validations", []):
        validation["field"] = "q"
    return document


def _testgenerate_200(request: Request, reply: Reply) -> Reply:
    if request.is_testgenerate and reply.status == 204:
        return dataclasses.replace(reply, status=200).with_body(b"{}\n", "application/json")
    return reply


def _content_type(request: Request, reply: Reply) -> Reply:
    return reply.with_body(reply.body, "text/plain; charset=utf-8") if reply.body else reply


def _first_value_only(values: list[str]) -> list[str]:
    # Coder 2023-01's url.Values.Get: a repeated parameter is its first value, no error.
    return values[:1]


def _negative_is_zero(values: list[str]) -> list[str]:
    return ["0" if v.startswith("-") and v[1:].isascii() and v[1:].isdigit() else v for v in values]


_KNOWN_KEYS = frozenset(NEWEST_SEARCH_KEYS)


def _drop_unknown_keys(q: str) -> str:
    """A search parser that ignores `key:value` elements of keys it does not know (2023-01's)."""
    elements = re.findall(r'(?:"[^"]*"|[^ "])+', q)
    kept = [
        element
        for element in elements
        if ":" not in element.strip(":")
        or element.partition(":")[0].strip('"').lower() in _KNOWN_KEYS
    ]
    return " ".join(kept)


def _count_plus_one(page: dict[str, Any]) -> None:
    page["count"] += 1


def _capped_at_2000(page: dict[str, Any]) -> None:
    page["count"] = min(page["count"], 2000)


def _no_forbidden_detail(reply: Reply) -> Reply:
    return reply.edit_json(lambda body: {k: v for k, v in body.items() if k != "detail"})


# -- the zoo (keep in sync with docs/broken-servers.md: run this file with --write) ---------

broken(
    "missing_field",
    "every log lacks `resource_target`",
    ("response_shape", "testgenerate_read_your_writes"),
    on_response=_on_logs(lambda log: log.pop("resource_target", None)),
)
broken(
    "mistyped_field",
    '`status_code` is a string (`"200"`)',
    ("response_shape", "testgenerate_read_your_writes"),
    on_response=_on_logs(_set("status_code", str)),
)
broken(
    "non_rfc3339_time",
    "`time` is `2026-07-07 12:20:04.821135` (no `T`, no zone)",
    ("response_shape", "newest_first", "testgenerate_read_your_writes"),
    on_response=_on_logs(_set("time", lambda t: t.replace("T", " ").rstrip("Z"))),
)
broken(
    "server_error_on_bad_input",
    "invalid input gets 500 instead of 400",
    ("invalid_input_rejected", "roles_enforced"),
    on_response=_on_errors(_internal_error, 400),
)
broken(
    "auth_ignored",
    "a request without a token is served as the owner",
    ("auth_enforced",),
    on_request=_anonymous_is_owner,
)
broken(
    "lost_testgenerate_write",
    "testgenerate answers 204 but stores nothing",
    ("testgenerate_read_your_writes",),
    on_request=_lose_write,
)
broken(
    "ignored_filter",
    "the `action:` filter is ignored",
    ("filters_hold",),
    on_request=_edit_q(lambda q: _term("action").sub("", q)),
)
broken(
    "limit_ignored",
    "`limit` is ignored (every page holds 100 logs)",
    (
        "pages_concatenate",
        "filters_hold",
        "count_consistent",
        "invalid_input_rejected",
        "roles_enforced",
    ),
    on_request=_edit_param("limit", lambda values: []),
)
broken(
    "offset_off_by_one",
    "`offset=n` skips n+1 logs",
    ("pages_concatenate",),
    on_request=_edit_param("offset", _offset_plus_one),
)
broken(
    "count_is_page_length",
    "`count` is the length of the page",
    ("count_consistent",),
    on_response=_on_page(lambda page: page.update(count=len(page["audit_logs"]))),
)
broken(
    "oldest_first",
    "each page is ordered oldest first",
    ("newest_first", "pages_concatenate"),
    on_response=_on_page(lambda page: page["audit_logs"].reverse()),
)
broken(
    "wrong_content_type",
    "answers say `Content-Type: text/plain`",
    ("response_shape",),
    on_response=_content_type,
)
broken(
    "non_json_error_body",
    "error bodies are plain text (`Bad Request`)",
    ("invalid_input_rejected", "auth_enforced", "roles_enforced", "response_shape"),
    on_response=_on_errors(lambda reply: reply.with_body(b"Bad Request\n")),
)
broken(
    "slow_response",
    f"every answer takes {SLOW_SECONDS} s (the tests set response_time's limit to 1 s)",
    ("response_time",),
    delay=SLOW_SECONDS,
)
broken(
    "username_case_sensitive",
    "`username:` must match the stored name's case",
    ("filters_hold",),
    prepare=_case_sensitive_username,
)
broken(
    "date_to_exclusive",
    "`date_to:D` excludes the day D (Coder includes it up to 23:59:59)",
    ("filters_hold", "testgenerate_read_your_writes"),
    on_request=_edit_q(lambda q: _term("date_to").sub(_day_before, q)),
)
broken(
    "count_not_capped",
    "`count` is the full total (2100), not capped at 2001",
    ("count_consistent",),
    on_response=_on_page(lambda page: page.update(count_cap=2000)),
    log_count=CAPPED_LOG_COUNT,
    prepare=_uncap,
)
broken(
    "member_may_read",
    "a member's token acts as an auditor's",
    ("roles_enforced",),
    on_request=_token_swap({"member": "auditor"}),
)
broken(
    "org_reader_sees_all",
    "organization admins and auditors see every log, organization-less ones too",
    ("roles_enforced",),
    on_request=_token_swap({"org-admin": "auditor", "org-auditor": "auditor"}),
)
broken(
    "testgenerate_wrong_target",
    "testgenerate logs have an empty `resource_target`, not the caller's username",
    ("testgenerate_read_your_writes",),
    on_response=_on_logs(_blank_testgenerate_target),
)
broken(
    "testgenerate_drops_additional_fields",
    "testgenerate ignores `additional_fields`",
    ("testgenerate_read_your_writes",),
    on_request=_drop_additional_fields,
)
broken(
    "testgenerate_answers_200",
    "testgenerate answers 200 with `{}` instead of 204 with no body",
    ("auth_enforced", "testgenerate_read_your_writes"),
    on_response=_testgenerate_200,
)
broken(
    "no_default_limit",
    "no `limit` returns every log instead of 100",
    ("pages_concatenate",),
    on_request=_edit_param("limit", _unlimited_by_default),
)
broken(
    "bad_after_id_accepted",
    "an invalid `after_id` is not rejected",
    ("invalid_input_rejected",),
    on_request=_edit_param("after_id", lambda values: []),
)
# Plausible bugs of the mock itself. Until the kit had an oracle of its own, its checks asked
# the mock's parsers and rules what to expect: a mock with one of these bugs would have been
# judged by that very bug and passed.
broken(
    "repeated_limit_takes_first",
    "a repeated `limit` is its first value (as in 2023-01), not a 400",
    ("invalid_input_rejected",),
    on_request=_edit_param("limit", _first_value_only),
)
broken(
    "negative_offset_is_zero",
    "`offset=-5` is read as 0 instead of being refused",
    ("invalid_input_rejected",),
    on_request=_edit_param("offset", _negative_is_zero),
)
broken(
    "unknown_search_key_ignored",
    "`q` ignores keys it does not know (`foo:bar` is no 400)",
    ("invalid_input_rejected", "roles_enforced"),
    on_request=_edit_q(_drop_unknown_keys),
)
broken(
    "count_off_by_one",
    "`count` is one more than the matching logs",
    ("count_consistent", "pages_concatenate"),
    on_response=_on_page(_count_plus_one),
)
broken(
    "count_capped_at_2000",
    '`count` is capped at 2000 (Coder counts up to 2001 to say "more")',
    ("count_consistent", "pages_concatenate"),
    on_response=_on_page(_capped_at_2000),
    log_count=CAPPED_LOG_COUNT,
)
broken(
    "forbidden_without_detail",
    "the 403 of a member has no `detail`",
    ("roles_enforced",),
    on_response=_on_errors(_no_forbidden_detail, 403),
)
broken(
    "validations_all_in_q",
    "every validation names the field `q`",
    ("invalid_input_rejected",),
    on_response=_on_errors(lambda reply: reply.edit_json(_validations_in_q), 400),
)


# -- the docs table -----------------------------------------------------------------------

TABLE_START = "<!-- table: generated by tests/contract/broken_servers.py --write -->"
TABLE_END = "<!-- end of table -->"


def markdown_table() -> str:
    """The table of docs/broken-servers.md, from `ZOO`."""
    rows = ["| broken server | what it breaks | caught by |", "|---|---|---|"]
    for server in ZOO.values():
        checks = ", ".join(f"`{name}`" for name in server.caught_by)
        rows.append(f"| `{server.name}` | {server.breaks} | {checks} |")
    return "\n".join([TABLE_START, *rows, TABLE_END])


def documented_table(text: str) -> str:
    """The generated part of the docs page (between the markers), or "" if absent."""
    start, end = text.find(TABLE_START), text.find(TABLE_END)
    return text[start : end + len(TABLE_END)] if start >= 0 and end > start else ""


if __name__ == "__main__":
    if "--write" not in sys.argv:
        print(markdown_table())
        raise SystemExit(0)
    current = DOC.read_text("utf-8")
    if not documented_table(current):
        raise SystemExit(f"{DOC}: the table markers are missing ({TABLE_START} ... {TABLE_END})")
    DOC.write_text(current.replace(documented_table(current), markdown_table()), "utf-8")
