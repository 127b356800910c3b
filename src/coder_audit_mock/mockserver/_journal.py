"""A record of the requests the mock answered, for tests that assert what a frontend sent.

The journal keeps what a test needs to check a UI's calls (method, path, decoded query, which
built-in caller, status, duration) and never the session token itself (reference §6.1 lists
the token carriers; their values are redacted before anything is recorded).
"""

from __future__ import annotations

import collections
import dataclasses
import threading
from collections.abc import Mapping
from typing import Any

DEFAULT_JOURNAL_SIZE = 10_000


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

    def as_json(self) -> dict[str, Any]:
        """The entry as a JSON object (the admin endpoint's shape)."""
        return {
            "method": self.method,
            "path": self.path,
            "query": {name: list(values) for name, values in self.query.items()},
            "role": self.role,
            "status": self.status,
            "duration_ms": round(self.duration_ms, 3),
        }


_Fields = tuple[str, str, Mapping[str, list[str]], "str | None", int, float]


def _entry(fields: _Fields) -> JournalEntry:
    method, path, query, role, status, duration_ms = fields
    copied = {name: list(values) for name, values in query.items()}
    return JournalEntry(method, path, copied, role, status, duration_ms)


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
    ) -> None:
        """Append one entry from its fields; the entry (and its copy of `query`) is built when
        read, so recording a request costs one append (`query` must not change afterwards)."""
        with self._lock:
            self._entries.append((method, path, query, role, status, duration_ms))

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
