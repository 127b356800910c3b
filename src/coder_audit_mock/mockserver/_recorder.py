"""The standalone server's outermost layer: the request journal and the access log.

Coder has neither in this form; they are the trace of what a UI sent (`/_mock/journal`,
`_journal`) and one line per request on the console. Session tokens (§6.1) never reach either:
query values are redacted here, headers and bodies when the journal is read.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import sys
import time
import urllib.parse
from collections.abc import Callable, Hashable, Mapping
from typing import TextIO

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._answers import CachedAnswer, request_key
from ._goparse import parse_go_query
from ._journal import JOURNAL_BODY_BYTES, REDACTED, RequestJournal

# §6.1: the query parameters that carry a session token; their values never reach a
# log line or the journal.
TOKEN_QUERY_PARAMS: frozenset[str] = frozenset({"coder_session_token", "access_token"})


def redact_query_string(raw: bytes) -> str:
    """The raw query string with the values of token parameters replaced by `REDACTED`.

    Pairs are split on `&` and `;`, and names are percent-decoded before the comparison, so
    that no spelling of a token parameter slips through.

    Example:
        >>> redact_query_string(b"limit=5&coder_session_token=abc-def&access%5Ftoken=x")
        'limit=5&coder_session_token=REDACTED&access%5Ftoken=REDACTED'
    """
    parts = re.split(rb"([&;])", raw)
    for index in range(0, len(parts), 2):
        name = parts[index].partition(b"=")[0]
        decoded = urllib.parse.unquote_plus(name.decode("latin-1")).lower()
        if decoded in TOKEN_QUERY_PARAMS:
            parts[index] = name + b"=" + REDACTED.encode()
    return _printable(b"".join(parts))


def redact_query(query: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """A decoded query with the values of token parameters replaced by `REDACTED`.

    Example:
        >>> redact_query({"q": ["action:create"], "access_token": ["t"]})
        {'q': ['action:create'], 'access_token': ['REDACTED']}
    """
    return {
        name: [REDACTED] * len(values) if name.lower() in TOKEN_QUERY_PARAMS else list(values)
        for name, values in query.items()
    }


def _printable(raw: bytes) -> str:
    # One log line per request: percent-encode anything that could break or forge a line.
    return "".join(chr(byte) if 0x21 <= byte <= 0x7E else f"%{byte:02X}" for byte in raw)


def request_target(scope: Scope) -> str:
    """The request's path and query for a log line: still percent-encoded, tokens redacted.

    Example:
        >>> request_target({"path": "/api/v2/audit", "query_string": b"access_token=s&limit=1"})
        '/api/v2/audit?access_token=REDACTED&limit=1'
    """
    raw_path = scope.get("raw_path") or urllib.parse.quote(scope["path"]).encode()
    target = _printable(raw_path)
    query = scope.get("query_string", b"")
    return f"{target}?{redact_query_string(query)}" if query else target


RoleOf = Callable[[Headers, Mapping[str, list[str]]], "str | None"]


class BatchedLines:
    """Writes access-log lines to a text stream, flushed at most every `delay_s`, not per line.

    A flush is a system call, as costly as the rest of a cached answer; under load the lines of
    many requests leave in one write, still within `FLUSH_DELAY_S` (10 ms) of their requests for
    whoever reads them. Outside an event loop every line is flushed at once; Python flushes the
    rest at exit.

    Args:
        stream: where lines go; default `sys.stdout`, looked up at each line (tests swap it).
        delay_s: the longest a line waits for its flush.

    Example:
        >>> import io
        >>> out = io.StringIO()
        >>> BatchedLines(out)("GET /api/v2/audit 200 0.1ms")
        >>> out.getvalue()
        'GET /api/v2/audit 200 0.1ms\\n'
    """

    FLUSH_DELAY_S = 0.01

    def __init__(self, stream: TextIO | None = None, *, delay_s: float = FLUSH_DELAY_S) -> None:
        self._stream = stream
        self._delay_s = delay_s
        self._flush_pending = False

    def __call__(self, line: str) -> None:
        stream = self._stream or sys.stdout
        stream.write(line + "\n")
        if self._flush_pending:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            stream.flush()
            return
        self._flush_pending = True
        loop.call_later(self._delay_s, self._flush, stream)

    def _flush(self, stream: TextIO) -> None:
        self._flush_pending = False
        stream.flush()


_MEMO_SIZE = 1024


@dataclasses.dataclass(frozen=True, slots=True)
class _RequestFacts:
    """What the recorder derives from a request, and the roles version it was derived under."""

    version: int | None
    role: str | None
    query: dict[str, list[str]]
    target: str


class RequestRecorder:
    """Records every request in a journal and/or writes one access-log line for it.

    The line is `METHOD TARGET STATUS DURATIONms`, e.g.
    `GET /api/v2/audit?limit=25&access_token=REDACTED 200 3.1ms`: the target stays
    percent-encoded (one request, one line) and token query values are redacted; headers and
    cookies are never written.

    Args:
        app: the wrapped ASGI app.
        journal: where entries go (None: no journal).
        log_line: called with each access-log line (None: no access log, the quiet mode).
        role_of: names the built-in role of the request's token, for the journal.
        roles_version: a number that changes whenever `role_of` may answer differently (the
            store's version); lets the recorder remember each distinct request's role.

    Example:
        >>> from starlette.testclient import TestClient
        >>> from starlette.responses import PlainTextResponse
        >>> lines = []
        >>> app = RequestRecorder(PlainTextResponse("ok"), log_line=lines.append)
        >>> _ = TestClient(app).get("/x?coder_session_token=secret")
        >>> lines[0].rsplit(" ", 1)[0]
        'GET /x?coder_session_token=REDACTED 200'
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        journal: RequestJournal | None = None,
        log_line: Callable[[str], None] | None = None,
        role_of: RoleOf | None = None,
        roles_version: Callable[[], int] | None = None,
    ) -> None:
        self.app = app
        self.journal = journal
        self.log_line = log_line
        self.role_of = role_of
        self.roles_version = roles_version
        self._memo: dict[Hashable, _RequestFacts] = {}

    def _facts(self, scope: Scope) -> tuple[str | None, dict[str, list[str]], str]:
        """The request's role, redacted query and log target, remembered per distinct request.

        A client repeating one request (a polling UI, a load test) costs one dictionary lookup
        here instead of parsing the query and resolving the token each time. A role is
        remembered only for as long as `roles_version` stays the same; with a `role_of` but
        no `roles_version`, nothing says when a role changes, so nothing is remembered.
        """
        key = request_key(scope)
        if self.role_of is None:
            version: int | None = 0
        else:
            version = None if self.roles_version is None else self.roles_version()
        facts = None if key is None else self._memo.get(key)
        if facts is not None and facts.version == version:
            return facts.role, facts.query, facts.target
        query = parse_go_query(scope.get("query_string", b""))
        role = None if self.role_of is None else self.role_of(Headers(scope=scope), query)
        facts = _RequestFacts(version, role, redact_query(query), request_target(scope))
        if version is not None and key is not None:
            if len(self._memo) >= _MEMO_SIZE:
                del self._memo[next(iter(self._memo))]  # the oldest
            self._memo[key] = facts
        return facts.role, facts.query, facts.target

    def _record(
        self, scope: Scope, facts: tuple[str | None, Mapping[str, list[str]], str], status: int,
        started: float, arrived: float, body: _BodyCopy | None = None,
    ) -> None:  # fmt: skip
        role, query, target = facts
        duration_ms = (time.perf_counter() - started) * 1000
        if self.journal is not None:
            # The memo's query dict, shared by every repeat of the request: it never changes,
            # and the journal copies it when it is read; headers and body are redacted then.
            self.journal.add(
                scope["method"],
                scope["path"],
                query,
                role,
                status,
                duration_ms,
                arrived=arrived,
                headers=scope.get("headers", ()),
                body=None if body is None else body.data(),
                body_cut=body is not None and body.truncated,
            )
        if self.log_line is not None:
            self.log_line(f"{scope['method']} {target} {status} {duration_ms:.1f}ms")

    async def replay(self, scope: Scope, answer: CachedAnswer, send: Send) -> None:
        """Send a cached answer to an HTTP request and record it, as `__call__` would have.

        The standalone app's shortcut for a repeated GET (`_standalone`): the layers inside
        the recorder would only have passed the request on and the answer back.
        """
        if self.journal is None and self.log_line is None:
            await answer.replay(send)
            return
        started, arrived = time.perf_counter(), time.time()
        facts = self._facts(scope)
        await send(answer.start_message())
        self._record(scope, facts, answer.status, started, arrived)  # before the last byte
        await send(answer.body_message())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (self.journal is None and self.log_line is None):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        arrived = time.time()
        facts = self._facts(scope)
        status = 500  # what the client sees if the app fails before answering
        recorded = False
        body = None
        if self.journal is not None and scope["method"] not in ("GET", "HEAD"):
            body = _BodyCopy(receive)  # only requests that carry a body pay for the copy
            receive = body.receive

        def record() -> None:
            nonlocal recorded
            if not recorded:
                recorded = True
                self._record(scope, facts, status, started, arrived, body)

        async def send_recording_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if body is not None:
                    # Answered before reading the body (a 401, a 403): keep it all the same.
                    await body.drain()
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                # Record before the last byte leaves: a client that has its answer must find
                # its request in the journal.
                record()
            await send(message)

        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            record()


class _BodyCopy:
    """Passes the request's body messages on, keeping the first `JOURNAL_BODY_BYTES` bytes."""

    _DRAIN_SECONDS = 0.05  # how long an unread body may keep the answer waiting

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._chunks = bytearray()
        self._truncated = False
        self._complete = False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            room = JOURNAL_BODY_BYTES - len(self._chunks)
            self._chunks += chunk[:room]
            self._truncated = self._truncated or len(chunk) > room
            self._complete = not message.get("more_body", False)
        else:
            self._complete = True
        return message

    async def drain(self) -> None:
        """Read what the app left unread, up to the kept size and for a moment at most."""
        while not self._complete and not self._truncated:
            try:
                await asyncio.wait_for(self.receive(), self._DRAIN_SECONDS)
            except TimeoutError:
                return

    @property
    def truncated(self) -> bool:
        """More body came than the journal keeps."""
        return self._truncated

    def data(self) -> bytes:
        """The kept bytes (the journal redacts and decodes them when it is read)."""
        return bytes(self._chunks)
