"""The in-memory audit-log table: filtering, ordering, paging and the capped count (§3.1).

Logs are kept sorted by time, oldest first, so a log's *position* orders it; the API answers
newest first by walking positions downwards. Ties on `time` have no tie-breaker in Coder's SQL
(§3.1); the real server (v2.35.1 on PostgreSQL 15, recorded in
tests/fidelity/corpus) answers equal times in the order the rows were stored, the order of
equal keys in its `time DESC` index, so the mock does too: among equal times the log stored
first (earlier in a scenario's list, or written earlier) comes first.

Each filterable column has an index from value to the sorted positions holding it, built by
the first query that filters on that column (start-up only sorts the logs by time). A query
either scans the few positions of its most selective value, or (for broad filters) ANDs
bitsets, Python integers with bit *p* set for position *p*, so a filter over a million logs
costs a handful of big-integer operations instead of a million comparisons.
"""

from __future__ import annotations

import bisect
import dataclasses
import threading
import uuid
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from typing import Any

from ._errors import CoderError, MockServerError
from ._gc import cyclic_gc_paused, freeze_survivors
from ._json import go_json_bytes
from ._model import AuditLog, Deployment
from ._render import joined_build_reason, render_log
from ._search import SearchFilter
from ._viewer import FULL_VIEW, Viewer
from .profiles.newest import facts as _newest

DEFAULT_LIMIT = _newest.DEFAULT_LIMIT  # §3.1: COALESCE(NULLIF(limit, 0), 100)
COUNT_CAP = _newest.COUNT_CAP  # §3.1: count_cap = 2000; count is at most 2001

# Below this many positions a value's rows are checked one by one; above, bitsets are cheaper.
_SCAN_LIMIT = 2048
# How many rendered logs to keep: enough for every page a UI shows, bounded for 1M-log stores.
_RENDER_CACHE_SIZE = 50_000
# Distinct callers' views cached at once (each a cache of its own); more: start over.
_VIEW_CACHE_SIZE = 64
_BITSET_CACHE_SIZE = 512

# The filterable columns: name -> how to read it from a log. `build_reason` is derived through
# the workspace build a log refers to (§2.1) and stored per position instead.
_COLUMNS: dict[str, Callable[[AuditLog], Hashable]] = {
    "request_id": lambda log: log.request_id,
    "resource_id": lambda log: log.resource_id,
    "resource_target": lambda log: log.resource_target,
    "user_id": lambda log: log.user_id,
    "organization_id": lambda log: log.organization_id,
    "resource_type": lambda log: log.resource_type,
    "action": lambda log: log.action,
}


class LogLimitReached(CoderError):
    """testgenerate past the store's configured maximum number of logs; nothing is stored.

    Example:
        >>> LogLimitReached(10).status_code
        507
    """

    def __init__(self, max_logs: int) -> None:
        super().__init__(
            507,
            "An internal server error occurred.",
            f"the mock server stores at most {max_logs} audit logs "
            "(coder-audit-mock --max-logs); reset it or raise the limit",
        )


class UnencodableLog(MockServerError):
    """A stored log Go's JSON encoder cannot write: a `time` outside years 0-9999.

    testgenerate accepts such times (Go parses them, Postgres stores them), but
    `time.Time.MarshalJSON` then fails, and Coder answers every page holding that log with a
    200 whose body is the encoder's error text (`httpapi.Write` has already sent the status).
    The app reproduces that body.

    Example:
        >>> str(UnencodableLog("year 10000"))
        'year 10000'
    """

    GO_ERROR_BODY = (
        b"json: error calling MarshalJSON for type time.Time: "
        b"Time.MarshalJSON: year outside of range [0,9999]\n"
    )


@dataclasses.dataclass(frozen=True, slots=True)
class Query:
    """A resolved audit-log query: the filter plus who is asking.

    `user_ids` is the set of actor ids the username/email/`me` filters allow (None = any);
    `organizations` is the caller's read scope (None = every log, §3.1).

    Example:
        >>> Query(SearchFilter(action="create")).user_ids is None
        True
    """

    filter: SearchFilter
    user_ids: frozenset[uuid.UUID | None] | None = None
    organizations: frozenset[uuid.UUID] | None = None


@dataclasses.dataclass(slots=True)
class _Index:
    logs: list[AuditLog]
    times: list[int]
    build_reasons: list[str | None] | None  # None: not derived yet (_build_reasons)
    positions: dict[str, dict[Hashable, list[int]]] = dataclasses.field(default_factory=dict)


class AuditStore:
    """Coder's `audit_logs` table for one fake deployment, thread-safe.

    Example:
        >>> from coder_audit_mock.mockserver._generate import generate_deployment
        >>> store = AuditStore(generate_deployment(log_count=30))
        >>> page, count = store.page(Query(SearchFilter(action="create")), limit=5, offset=0)
        >>> count == len(store.matching(Query(SearchFilter(action="create"))))
        True
    """

    def __init__(
        self,
        deployment: Deployment,
        *,
        max_logs: int | None = None,
        count_cap: int | None = COUNT_CAP,
        renderer: Callable[[AuditLog, Deployment, Viewer | None], Mapping[str, Any]] = render_log,
        short_control_escapes: bool = True,
    ) -> None:
        # count_cap None: an uncapped count and no `count_cap` field (the 2023-01 profile).
        self.max_logs = max_logs
        # `serve` sets it (and freezes once) before it answers; the library never does (_gc).
        self.freeze_gc = False
        self.short_control_escapes = short_control_escapes  # Go 1.22+'s \b, \f (go_json_text)
        self.count_cap = count_cap
        self.renderer = renderer
        self._lock = threading.RLock()
        # Bumped after every change of what a query can answer (load, insert): caches of whole
        # answers (`_answers.AnswerCache`) keep an answer only while it is unchanged.
        self.version = 0
        self.replace(deployment)

    # -- state ---------------------------------------------------------------------------

    def _load(self, logs: list[AuditLog]) -> None:
        # Only the time order is built here; each column's index is built by the first query
        # that filters on it (`_column`): start-up pays for none of them, and most servers
        # are only ever asked for a few.
        index = _Index(logs=list(logs), times=[log.time for log in logs], build_reasons=None)
        # The seeded data lives as long as the server: `serve` takes it out of every later GC
        # pass (a collection then costs the same with 1M logs as with none). Process-wide, so
        # only when the process's owner asked (_gc).
        if self.freeze_gc:
            freeze_survivors()
        self._index = index
        self._bitsets: dict[tuple[str, Hashable], int] = {}
        self._rendered: dict[Viewer | None, dict[uuid.UUID, bytes]] = {}
        self.version += 1  # last: a reader that saw the old version never keeps a new answer

    def _column(self, name: str) -> dict[Hashable, list[int]]:
        """The index of one column (value -> ascending positions), built on first use."""
        index = self._index
        column = index.positions.get(name)
        if column is not None:
            return column
        column = {}
        with cyclic_gc_paused():  # it allocates a list per value and frees none
            if name == "build_reason":
                for position, reason in enumerate(self._build_reasons()):
                    if reason is not None:
                        column.setdefault(reason, []).append(position)
            else:
                read = _COLUMNS[name]
                for position, log in enumerate(index.logs):
                    column.setdefault(read(log), []).append(position)
        if self.freeze_gc:
            # As the seeded data: out of every later GC pass. The build freed nothing, so no
            # collection first (this runs inside the request that first filtered on the column).
            freeze_survivors(collect=False)
        index.positions[name] = column
        return column

    def _build_reasons(self) -> list[str | None]:
        """Each position's joined build reason (through its workspace build), derived once."""
        index = self._index
        if index.build_reasons is None:
            index.build_reasons = [joined_build_reason(log, self.deployment) for log in index.logs]
        return index.build_reasons

    def _index_append(self, index: _Index, log: AuditLog) -> None:
        """Append a log newer than every stored one, to the time order and the built columns."""
        position = len(index.times)
        index.logs.append(log)
        index.times.append(log.time)
        if index.build_reasons is not None:
            index.build_reasons.append(joined_build_reason(log, self.deployment))
        for name, column in index.positions.items():
            value = self._value_at(name, log, position)
            if name != "build_reason" or value is not None:
                column.setdefault(value, []).append(position)

    def replace(self, deployment: Deployment) -> None:
        """Serve another deployment from now on (used by reset and scenario loading)."""
        with self._lock:
            self.deployment = deployment
            # Stable sort of the reversed list: equal times end up latest-stored lowest, so the
            # downward walk answers them in stored order.
            # (ruff's C414 assumes the order going in does not matter; for a stable sort it does.)
            self._load(sorted(reversed(deployment.logs), key=lambda log: log.time))  # noqa: C414

    def deployment_changed(self) -> None:
        """Re-derive everything after users, organizations or other records were edited in place.

        Rendered logs embed the user and organization objects and derived links, and the
        `build_reason` index depends on builds, so both are rebuilt.
        """
        with self._lock:
            self._load(self._index.logs)

    def sessions_changed(self) -> None:
        """Say that API keys were added or removed (a sign-in, a sign-out): answers that depend on
        who may call (cached whole answers, the journal's remembered roles) must not outlive it."""
        with self._lock:
            self.version += 1

    def __len__(self) -> int:
        return len(self._index.times)

    @property
    def logs(self) -> list[AuditLog]:
        """Every stored log, oldest first, equal times in stored order (a copy).

        Stored order, not position order: positions hold equal times latest-stored lowest (see
        `replace`), so each run of equal times is turned round. Loading this list back (e.g. an
        exported scenario) gives the same order of answers.
        """
        with self._lock:
            logs, times = self._index.logs, self._index.times
            out: list[AuditLog] = []
            start = 0
            for end in range(1, len(logs) + 1):
                if end == len(logs) or times[end] != times[start]:
                    out.extend(reversed(logs[start:end]) if end - start > 1 else logs[start:end])
                    start = end
            return out

    def insert(self, log: AuditLog) -> None:
        """Store one log; it is visible to the next query (§5: written straight to the table)."""
        with self._lock:
            index = self._index
            if self.max_logs is not None and len(index.times) >= self.max_logs:
                raise LogLimitReached(self.max_logs)
            self.deployment.logs.append(log)
            if not index.times or log.time > index.times[-1]:
                position = len(index.times)
                self._index_append(index, log)
                self._extend_bitsets(log, position)
            else:
                # A log not newer than the newest one shifts positions: rebuild (O(n), rare: a
                # testgenerate with an explicit past `time`). Below its equals: stored later,
                # answered after them.
                where = bisect.bisect_left(index.times, log.time)
                logs = index.logs
                logs.insert(where, log)
                rendered = self._rendered
                self._load(logs)
                self._rendered = rendered
                return  # _load has bumped the version
            self.version += 1

    def _extend_bitsets(self, log: AuditLog, position: int) -> None:
        bit = 1 << position
        for (name, value), bits in list(self._bitsets.items()):
            if name == "*" or self._value_at(name, log, position) == value:
                self._bitsets[(name, value)] = bits | bit

    def _value_at(self, name: str, log: AuditLog, position: int) -> Hashable:
        if name == "build_reason":
            return self._build_reasons()[position]
        return _COLUMNS[name](log)

    # -- reading -------------------------------------------------------------------------

    def render(self, log: AuditLog, viewer: Viewer | None = FULL_VIEW) -> bytes:
        """The log's JSON as Coder answers it to `viewer`, cached (pure for a fixed deployment).

        One cache per view: owners (`FULL_VIEW`) share one; other callers' links depend on
        their roles (`_viewer.py`).
        """
        views = self._rendered
        cache = views.get(viewer)
        if cache is None:
            if len(views) >= _VIEW_CACHE_SIZE:
                views.clear()
            cache = views[viewer] = {}
        cached = cache.get(log.id)
        if cached is None:
            try:
                rendered = self.renderer(log, self.deployment, viewer)
            except MockServerError as error:
                raise UnencodableLog(str(error)) from None
            cached = go_json_bytes(rendered, short_control_escapes=self.short_control_escapes)
            if len(cache) >= _RENDER_CACHE_SIZE:
                cache.clear()
            cache[log.id] = cached
        return cached

    def page(self, query: Query, *, limit: int, offset: int) -> tuple[list[AuditLog], int]:
        """The logs of one page, newest first, and the capped total (§3.1).

        `limit` 0 means the default of 100. The count is min(total, count_cap + 1); a page past
        the end is empty while the count stays the total.
        """
        limit = limit or DEFAULT_LIMIT
        with self._lock:
            index = self._index
            selection = self._select(query)
            total = selection.count()
            capped = (
                total
                if self.count_cap is None or self.count_cap <= 0
                else min(total, self.count_cap + 1)
            )
            if total == 0 or offset >= total:
                return [], capped
            positions = selection.descending(offset, limit)
            return [index.logs[p] for p in positions], capped

    def matching(self, query: Query) -> list[AuditLog]:
        """Every log the query matches, newest first (no paging, no cap). For tests and tools."""
        with self._lock:
            selection = self._select(query)
            return [self._index.logs[p] for p in selection.descending(0, selection.count())]

    def _select(self, query: Query) -> _Selection:
        index = self._index
        low, high = self._time_range(query.filter)
        constraints = self._constraints(query)
        if any(not allowed for _, allowed in constraints) or low >= high:
            return _Selection.empty()
        if not constraints:  # only dates, or nothing: a plain range of positions
            return _Selection(span=(low, high))
        sizes = [
            (self._candidate_count(name, allowed), name, allowed) for name, allowed in constraints
        ]
        sizes.sort(key=lambda item: item[0])
        if sizes and sizes[0][0] <= _SCAN_LIMIT:
            _, name, allowed = sizes[0]
            others = [(n, a) for _, n, a in sizes[1:]]
            candidates = sorted(p for value in allowed for p in self._column(name).get(value, ()))
            kept = [
                p
                for p in candidates
                if low <= p < high
                and all(self._value_at(n, index.logs[p], p) in a for n, a in others)
            ]
            return _Selection(positions=kept)
        bits = (1 << high) - (1 << low)
        for name, allowed in constraints:
            bits &= self._bitset(name, allowed)
        return _Selection(bits=bits)

    def _time_range(self, search: SearchFilter) -> tuple[int, int]:
        times = self._index.times
        low = 0 if search.date_from is None else bisect.bisect_left(times, search.date_from)
        high = len(times) if search.date_to is None else bisect.bisect_right(times, search.date_to)
        return low, high

    def _constraints(self, query: Query) -> list[tuple[str, frozenset[Hashable]]]:
        search = query.filter
        constraints: list[tuple[str, frozenset[Hashable]]] = []
        for name, value in (
            ("request_id", search.request_id),
            ("resource_id", search.resource_id),
            ("resource_target", search.resource_target or None),
            ("resource_type", search.resource_type or None),
            ("action", search.action or None),
            ("build_reason", search.build_reason or None),
        ):
            if value is not None:
                constraints.append((name, frozenset({value})))
        if query.user_ids is not None:
            constraints.append(("user_id", frozenset(query.user_ids)))
        organizations: frozenset[Hashable] | None = None
        if search.organization_id is not None:
            organizations = frozenset({search.organization_id})
        if query.organizations is not None:
            scope = frozenset[Hashable](query.organizations)
            organizations = scope if organizations is None else organizations & scope
        if organizations is not None:
            constraints.append(("organization_id", organizations))
        return constraints

    def _candidate_count(self, name: str, allowed: Iterable[Hashable]) -> int:
        column = self._column(name)
        return sum(len(column.get(value, ())) for value in allowed)

    def _bitset(self, name: str, allowed: frozenset[Hashable]) -> int:
        bits = 0
        for value in allowed:
            key = (name, value)
            cached = self._bitsets.get(key)
            if cached is None:
                cached = _bits_from_positions(
                    self._column(name).get(value, ()), len(self._index.times)
                )
                if len(self._bitsets) >= _BITSET_CACHE_SIZE:
                    self._bitsets.clear()
                self._bitsets[key] = cached
            bits |= cached
        return bits


def _bits_from_positions(positions: Iterable[int], size: int) -> int:
    buffer = bytearray((size + 7) // 8)
    for position in positions:
        buffer[position >> 3] |= 1 << (position & 7)
    return int.from_bytes(buffer, "little")


@dataclasses.dataclass(slots=True)
class _Selection:
    """The matching positions: a range (no filter), an ascending list (scan plan) or a bitset."""

    positions: list[int] | None = None
    bits: int = 0
    span: tuple[int, int] | None = None

    @classmethod
    def empty(cls) -> _Selection:
        return cls(positions=[])

    def count(self) -> int:
        if self.span is not None:
            return self.span[1] - self.span[0]
        if self.positions is not None:
            return len(self.positions)
        return self.bits.bit_count()

    def descending(self, skip: int, take: int) -> list[int]:
        if self.span is not None:
            low, high = self.span
            top = high - 1 - skip
            return list(range(top, max(low, top - take + 1) - 1, -1)) if top >= low else []
        if self.positions is not None:
            end = len(self.positions) - skip
            return self.positions[max(0, end - take) : max(0, end)][::-1]
        return list(_iter_bits_descending(self.bits, skip, take))


def _iter_bits_descending(bits: int, skip: int, take: int) -> Iterator[int]:
    """Positions of set bits from the highest down, after skipping `skip` of them."""
    if take <= 0:
        return
    window = 4096
    top = bits.bit_length()
    # Skip whole windows by population count, then walk bits inside windows.
    while top > 0 and take > 0:
        low = max(0, top - window)
        chunk = (bits >> low) & ((1 << (top - low)) - 1)
        population = chunk.bit_count()
        if skip >= population:
            skip -= population
            top = low
            window = min(window * 2, 1 << 20)
            continue
        while chunk and take > 0:
            high_bit = chunk.bit_length() - 1
            chunk ^= 1 << high_bit
            if skip:
                skip -= 1
                continue
            yield low + high_bit
            take -= 1
        top = low


def page_body(
    store: AuditStore, logs: list[AuditLog], count: int, viewer: Viewer | None = FULL_VIEW
) -> bytes:
    """The GET /api/v2/audit body: `{"audit_logs":[…],"count":N,"count_cap":2000}` (§1.1).

    Without a count cap (EARLY, §1.3) the body ends at `count`.
    """
    rendered: list[Any] = [store.render(log, viewer) for log in logs]
    cap = b"" if store.count_cap is None else b',"count_cap":' + str(store.count_cap).encode()
    return (
        b'{"audit_logs":[' + b",".join(rendered) + b'],"count":' + str(count).encode() + cap + b"}"
    )
