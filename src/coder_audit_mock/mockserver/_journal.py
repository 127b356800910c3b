"""A record of the requests the mock answered, for tests that assert what a frontend sent.

The journal keeps what a test needs to check a UI's calls (method, path, decoded query, which
built-in caller, status, duration, when, the headers that matter and the request body) and
never the session token itself (§6.1 lists the token carriers; their values are
redacted before anything is recorded, and so are passwords in a JSON body).

`select_entries` is what `GET /_mock/journal?method=POST&path=/api/v2/audit*&status=4xx&since=...`
filters with.
"""

from __future__ import annotations

import collections
import dataclasses
import re
import threading
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from ._goparse import GoParseError, parse_go_rfc3339

DEFAULT_JOURNAL_SIZE = 10_000
# Bodies are kept up to this many bytes (the rest is cut, and the entry says so).
JOURNAL_BODY_BYTES = 64 << 10
REDACTED = "REDACTED"
# Headers a frontend test asks about; the ones that carry secrets keep only their presence.
KEPT_HEADERS = (
    "accept", "content-type", "content-length", "origin", "referer", "user-agent",
    "x-csrf-token", "coder-session-token", "authorization", "cookie", "mock-admin-token",
)  # fmt: skip
_SECRET_HEADERS = frozenset({"x-csrf-token", "coder-session-token", "mock-admin-token"})
_SECRET_BODY_KEYS = frozenset({"password", "old_password", "session_token", "token"})


@dataclasses.dataclass(frozen=True, slots=True)
class JournalEntry:
    """One answered request.

    Args:
        method: the HTTP method, e.g. "GET".
        path: the request path without the query string, e.g. "/api/v2/audit".
        query: each query parameter's values in order, token values replaced by "REDACTED".
        role: the built-in role (e.g. "owner") whose token authenticated the call; None when no
            valid built-in token was sent. Never the token.
        status: the HTTP status answered.
        duration_ms: time from receiving the request to the end of the response, milliseconds.
        time: when the request arrived (RFC 3339, UTC, the machine's clock).
        headers: the headers that matter (`KEPT_HEADERS`), secrets redacted.
        body: the request body as text (secrets redacted, cut at 64 KiB), or None when empty.

    Example:
        >>> entry = JournalEntry("GET", "/api/v2/audit", {"limit": ["25"]}, "owner", 200, 1.5)
        >>> entry.as_json()["query"]
        {'limit': ['25']}
    """

    method: str
    path: str
    query: dict[str, list[str]]
    role: str | None
    status: int
    duration_ms: float
    time: str = ""
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    body: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The entry as a JSON object (the admin endpoint's shape)."""
        return {
            "method": self.method,
            "path": self.path,
            "query": {name: list(values) for name, values in self.query.items()},
            "role": self.role,
            "status": self.status,
            "duration_ms": round(self.duration_ms, 3),
            "time": self.time,
            "headers": dict(self.headers),
            "body": self.body,
        }


def journal_time(seconds: float) -> str:
    """RFC 3339 with milliseconds, UTC.

    Example:
        >>> journal_time(0.25)
        '1970-01-01T00:00:00.250Z'
    """
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def journal_headers(headers: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """The headers worth keeping, secrets redacted (cookie names stay, their values go).

    Example:
        >>> journal_headers([(b"cookie", b"coder_session_token=s; csrf_token=c"),
        ...                  (b"authorization", b"Bearer s"), (b"x-other", b"1")])
        {'cookie': 'coder_session_token=REDACTED; csrf_token=REDACTED', 'authorization': 'Bearer REDACTED'}
    """
    kept: dict[str, str] = {}
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1").lower()
        if name not in KEPT_HEADERS:
            continue
        value = raw_value.decode("latin-1")
        if name in _SECRET_HEADERS:
            value = REDACTED
        elif name == "authorization":
            scheme, _, rest = value.partition(" ")
            value = f"{scheme} {REDACTED}" if rest else REDACTED
        elif name == "cookie":
            value = "; ".join(
                f"{part.strip().partition('=')[0]}={REDACTED}" for part in value.split(";")
            )
        kept[name] = f"{kept[name]}, {value}" if name in kept else value
    return kept


def journal_body(body: bytes, truncated: bool = False) -> str | None:
    """The body as text for the journal, as sent, with JSON secrets (`password`...) redacted.

    The secrets are found by their `"key": "value"` pairs, at any depth, without parsing the
    document: a body nested ten thousand deep costs the same linear scan as any other.

    Example:
        >>> journal_body(b'{"email": "a@b.c", "password": "p"}')
        '{"email": "a@b.c", "password": "REDACTED"}'
        >>> journal_body(b"") is None
        True
    """
    if not body:
        return None
    text = _SECRET_PAIR.sub(rf'\1"{REDACTED}"', body.decode("utf-8", "replace"))
    return text + " ...(cut at 64 KiB)" if truncated else text


_SECRET_PAIR = re.compile(
    r'("(?:' + "|".join(sorted(_SECRET_BODY_KEYS)) + r')"\s*:\s*)"(?:[^"\\]|\\.)*"'
)


def select_entries(
    entries: Iterable[JournalEntry], filters: Mapping[str, str]
) -> list[JournalEntry]:
    """The entries matching every filter: `method`, `path` (exact, or a prefix ending in `*`),
    `status` (`404`, or a class such as `4xx`), `since` and `until` (RFC 3339, inclusive).

    Raises ValueError naming the filter when a value cannot be read.

    Example:
        >>> entries = [JournalEntry("GET", "/api/v2/audit", {}, None, 200, 1.0),
        ...            JournalEntry("POST", "/api/v2/audit/testgenerate", {}, None, 403, 1.0)]
        >>> [e.status for e in select_entries(entries, {"method": "post"})]
        [403]
        >>> [e.method for e in select_entries(entries, {"path": "/api/v2/audit*", "status": "2xx"})]
        ['GET']
    """
    unknown = set(filters) - {"method", "path", "status", "since", "until"}
    if unknown:
        raise ValueError(
            f"{min(unknown)}: not a journal filter (method, path, status, since, until)"
        )
    method = filters.get("method", "").upper()
    path = filters.get("path", "")
    status = filters.get("status", "").lower()
    if status and not (
        status.isdigit() or (len(status) == 3 and status[0].isdigit() and status[1:] == "xx")
    ):
        raise ValueError(f"status: {status!r} is not a status (404) or a class (4xx)")
    since = _instant("since", filters.get("since", ""))
    until = _instant("until", filters.get("until", ""))
    bounded = since is not None or until is not None
    chosen = []
    for entry in entries:
        if method and entry.method != method:
            continue
        if path and not (
            entry.path.startswith(path[:-1]) if path.endswith("*") else entry.path == path
        ):
            continue
        if status and not (
            str(entry.status) == status if status.isdigit() else str(entry.status)[0] == status[0]
        ):
            continue
        when = _entry_instant(entry.time) if bounded else None
        if since is not None and (when is None or when < since):
            continue
        if until is not None and (when is None or when > until):
            continue
        chosen.append(entry)
    return chosen


def _entry_instant(text: str) -> int | None:
    """Microseconds since 1970 of an entry's own `time` (`journal_time`'s form), None for none.

    The journal wrote it, so the standard library reads it, fifty times faster than the Go
    parser a caller's `since`/`until` go through: a filtered read looks at every entry.
    """
    if not text:
        return None
    return (datetime.fromisoformat(text) - _EPOCH) // _MICROSECOND


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _instant(name: str, text: str) -> int | None:
    """Microseconds since 1970 of a caller's RFC 3339 `text` (Go's acceptance, §5.1), None for
    no text."""
    if not text:
        return None
    try:
        # An unescaped `+` in a query string arrives as a space: `?since=...T02:00:00+01:00`.
        return parse_go_rfc3339(text.replace(" ", "+"))
    except GoParseError:
        raise ValueError(f"{name}: {text!r} is not an RFC 3339 time") from None


# What `RequestJournal.add` keeps of a request: method, path, redacted query, role, status,
# duration (ms), arrival (seconds since 1970), raw headers, body bytes and whether it was cut.
# Redacting and formatting wait until the journal is read.
_Fields = tuple[
    str, str, Mapping[str, list[str]], "str | None", int, float, float,
    "Iterable[tuple[bytes, bytes]]", "bytes | None", bool,
]  # fmt: skip


def _entry(fields: _Fields) -> JournalEntry:
    method, path, query, role, status, duration_ms, arrived, headers, body, cut = fields
    return JournalEntry(
        method,
        path,
        {name: list(values) for name, values in query.items()},
        role,
        status,
        duration_ms,
        time=journal_time(arrived) if arrived else "",
        headers=journal_headers(headers),
        body=None if body is None else journal_body(body, cut),
    )


class RequestJournal:
    """The last `size` answered requests, oldest first; safe to use from several threads.

    Example:
        >>> journal = RequestJournal(size=2)
        >>> for status in (200, 400, 403):
        ...     journal.record(JournalEntry("GET", "/api/v2/audit", {}, None, status, 0.1))
        >>> [entry.status for entry in journal.entries()]
        [400, 403]
        >>> journal.clear()
        2
        >>> journal.entries()
        []
    """

    def __init__(self, size: int = DEFAULT_JOURNAL_SIZE) -> None:
        if size < 1:
            raise ValueError(f"journal size must be at least 1, not {size}")
        # Entries, or the fields of one as `add` got them: built into entries when read.
        self._entries: collections.deque[JournalEntry | _Fields] = collections.deque(maxlen=size)
        self._lock = threading.Lock()

    def record(self, entry: JournalEntry) -> None:
        """Append one entry, dropping the oldest when full."""
        with self._lock:
            self._entries.append(entry)

    def add(
        self,
        method: str,
        path: str,
        query: Mapping[str, list[str]],
        role: str | None,
        status: int,
        duration_ms: float,
        *,
        arrived: float = 0.0,
        headers: Iterable[tuple[bytes, bytes]] = (),
        body: bytes | None = None,
        body_cut: bool = False,
    ) -> None:
        """Append one entry from its fields; the entry (its copy of `query`, the redacted
        headers and body, the RFC 3339 time) is built when read, so recording a request costs
        one append (`query`, `headers` and `body` must not change afterwards)."""
        fields = (method, path, query, role, status, duration_ms, arrived, headers, body, body_cut)
        with self._lock:
            self._entries.append(fields)

    def entries(self) -> list[JournalEntry]:
        """A copy of the recorded entries, oldest first."""
        with self._lock:
            kept = list(self._entries)
        return [item if isinstance(item, JournalEntry) else _entry(item) for item in kept]

    def clear(self) -> int:
        """Forget every entry; returns how many there were."""
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
            return count

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
