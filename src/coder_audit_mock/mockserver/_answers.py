"""Whole answers to repeated reads, replayed without running the request path again.

A frontend polls the same `GET /api/v2/audit?...` over and over, and a load test sends one
request a million times; between two writes the answer cannot change. `AnswerCache` keeps the
exact messages the app sent (status, headers, body) for a key made of everything that can
decide a read's answer:

- the request itself: path (decoded and raw), raw query string, scheme and every header as received (token
  carriers, Host, Origin, Accept, cookies...), so two requests share an answer only when they
  are byte for byte the same request;
- the data: the store's `version`, bumped after every write (testgenerate, the admin endpoints,
  scenario loading, reset, `add_user`/`add_log`...), so no answer outlives a write;
- the caller's token expiry: an answer is replayed only while the clock is before the expiry
  of the key that authenticated it (after that the same request is a 401);
- the server (its profile, settings, tokens): one cache per `MockServer`.

Only answers the handler marks cacheable (`allow_caching`: a 200 page of audit logs) are
kept; errors, 401s (their challenge names the Host), writes and streamed bodies never are.
The cache is bounded in entries and bytes, oldest out first.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Hashable, MutableMapping
from typing import Any

from starlette.types import Message, Scope, Send

# Where a handler says "this answer may be replayed until <microseconds>" (see allow_caching).
CACHEABLE_UNTIL_KEY = "coder_audit_mock.cacheable_until_us"
REQUEST_KEY = "coder_audit_mock.request_key"  # request_key's value, once computed
MAX_ENTRIES = 2048
MAX_BYTES = 64 << 20
MAX_KEY_BYTES = 16 << 10  # longer requests (fuzzers, giant cookies) are answered uncached


def allow_caching(scope: MutableMapping[str, Any], until_us: int) -> None:
    """Mark the answer being built for `scope` as replayable while the clock is before `until_us`."""
    scope[CACHEABLE_UNTIL_KEY] = until_us


@dataclasses.dataclass(frozen=True, slots=True)
class CachedAnswer:
    """One answer as sent: the response start's status and headers, and the whole body."""

    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    version: int
    until_us: int

    def start_message(self) -> Message:
        # Fresh messages and header list each time: outer layers (CORS) edit them in place.
        return {"type": "http.response.start", "status": self.status, "headers": list(self.headers)}

    def body_message(self) -> Message:
        return {"type": "http.response.body", "body": self.body}

    async def replay(self, send: Send) -> None:
        await send(self.start_message())
        await send(self.body_message())


def request_key(scope: Scope) -> Hashable | None:
    """What identifies a request for the caches, or None when it is not worth keeping (too long).

    Computed once per request and kept in the scope: the journal's memo and the answer cache
    both key on it.

    Example:
        >>> scope = {"path": "/api/v2/audit", "query_string": b"limit=1", "headers": []}
        >>> request_key(scope) == request_key(dict(scope, headers=[]))
        True
    """
    if REQUEST_KEY in scope:
        key: Hashable | None = scope[REQUEST_KEY]
        return key
    query: bytes = scope.get("query_string", b"")
    headers = tuple(scope.get("headers", ()))
    size = len(query)
    for name, value in headers:
        size += len(name) + len(value)
    key = None
    if size <= MAX_KEY_BYTES:
        key = (
            scope["path"],
            scope.get("raw_path"),
            scope.get("root_path", ""),
            scope.get("scheme"),
            query,
            headers,
        )
    scope[REQUEST_KEY] = key
    return key


class AnswerCache:
    """Answers by request key, valid for one store version and until the caller's key expires.

    Args:
        version: the data's current version (`AuditStore.version`); an answer built under
            another version is never replayed.
        clock: microseconds since the epoch, the server's "now" (token expiry).

    Example:
        >>> import asyncio
        >>> cache = AnswerCache(version=lambda: 1, clock=lambda: 0)
        >>> scope = {"path": "/a", "query_string": b"", "headers": []}
        >>> sent = []
        >>> async def send(message): sent.append(message)
        >>> async def answer(scope, send):
        ...     allow_caching(scope, until_us=10)
        ...     await send({"type": "http.response.start", "status": 200, "headers": []})
        ...     await send({"type": "http.response.body", "body": b"{}"})
        >>> key = request_key(scope)
        >>> asyncio.run(answer(scope, cache.recording(key, scope, send)))
        >>> cache.get(key).body
        b'{}'
    """

    def __init__(self, *, version: Callable[[], int], clock: Callable[[], int]) -> None:
        self._version = version
        self._clock = clock
        self._answers: dict[Hashable, CachedAnswer] = {}
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0  # answers replayed so far (for tests and the benchmark)

    def __len__(self) -> int:
        return len(self._answers)

    def get(self, key: Hashable) -> CachedAnswer | None:
        """The answer to replay for `key`, or None (never stored, or written or expired since)."""
        answer = self._answers.get(key)
        if answer is None:
            return None
        if answer.version != self._version() or self._clock() >= answer.until_us:
            self._drop(key)
            return None
        self.hits += 1
        return answer

    def clear(self) -> None:
        """Forget every answer (writes need not call it: the version check covers them)."""
        with self._lock:
            self._answers.clear()
            self._bytes = 0

    def recording(self, key: Hashable, scope: Scope, send: Send) -> Send:
        """`send`, keeping the answer under `key` if the handler marked it cacheable."""
        version = self._version()  # before the answer is built: a write meanwhile voids it
        start: Message | None = None

        async def send_and_keep(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif (
                message["type"] == "http.response.body"
                and start is not None
                and not message.get("more_body", False)
                and CACHEABLE_UNTIL_KEY in scope
            ):
                self._put(key, start, message.get("body", b""), version, scope[CACHEABLE_UNTIL_KEY])
            await send(message)

        return send_and_keep

    def _put(self, key: Hashable, start: Message, body: bytes, version: int, until: int) -> None:
        headers = tuple((bytes(name), bytes(value)) for name, value in start.get("headers", ()))
        answer = CachedAnswer(start["status"], headers, bytes(body), version, until)
        with self._lock:
            self._drop_locked(key)
            while self._answers and (
                len(self._answers) >= MAX_ENTRIES or self._bytes + len(answer.body) > MAX_BYTES
            ):
                self._drop_locked(next(iter(self._answers)))
            if len(answer.body) <= MAX_BYTES:
                self._answers[key] = answer
                self._bytes += len(answer.body)

    def _drop(self, key: Hashable) -> None:
        with self._lock:
            self._drop_locked(key)

    def _drop_locked(self, key: Hashable) -> None:
        old = self._answers.pop(key, None)
        if old is not None:
            self._bytes -= len(old.body)
