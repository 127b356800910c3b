"""Filtered-query latency, in process: `AuditStore.page` alone and a GET through the ASGI app.

For each filter key, `runs` probes are drawn from the data with a seeded `random.Random`, so
each probe asks for values that exist (a request id, a username, a day, ...) and the values
vary from probe to probe, as a UI's queries do. Every probe is timed twice:

- store: `AuditStore.page(query, limit=25, offset=0)` with the query already resolved;
- app:   `GET /api/v2/audit?limit=25&q=...` as the owner, through the Starlette app called
         directly as ASGI (no sockets): token check, `q` parsing, user and organization lookup,
         the store, and rendering the page to JSON bytes.

Nothing is warmed up first: the first probe of a value pays for building its cached bitset or
rendering its logs (the first of a key, for its column index), and shows in p99 and max. The
mock's answer cache (`_answers`) is emptied before each app probe, outside the timing: a value
drawn twice would otherwise be answered from it, and this measures the whole request path.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import random
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any

from _load import percentile

from coder_audit_mock.mockserver import (
    DEFAULT_TOKENS,
    AuditLog,
    Deployment,
    MockServer,
    MockSettings,
    Query,
    create_app_for,
    parse_search_query,
)

if TYPE_CHECKING:
    from coder_audit_mock.mockserver._model import User

PAGE_LIMIT = 25  # what Coder's UI asks for
_MAX_DRAWS = 10_000  # draws per probe before giving up on finding a log that fits a key


@dataclasses.dataclass(frozen=True)
class Probe:
    """One query to time: the `q` text (app) and the same query resolved for the store."""

    q: str
    query: Query


@dataclasses.dataclass
class _Drawer:
    """Draws logs and values from one deployment, reproducibly."""

    deployment: Deployment
    rng: random.Random

    def log(self, fits: Callable[[AuditLog], bool] = lambda log: True) -> AuditLog:
        logs = self.deployment.logs
        for _ in range(_MAX_DRAWS):
            log = logs[self.rng.randrange(len(logs))]
            if fits(log):
                return log
        raise LookupError("no log in the data fits this filter key")

    def acting_log(self) -> tuple[AuditLog, User]:
        """A log whose actor is a live user with a username and an email to filter by.

        (Service accounts have no email, and `email:` with nothing after it is a 400.)
        """
        users = self.deployment.users

        def nameable(log: AuditLog) -> bool:
            user = users.get(log.user_id)  # type: ignore[arg-type]  # None is simply absent
            return user is not None and not user.deleted and bool(user.username and user.email)

        log = self.log(nameable)
        return log, users[log.user_id]  # type: ignore[index]  # nameable: a known user

    def day_range(self, log: AuditLog) -> tuple[str, str]:
        """`date_from`/`date_to` values: the log's day, through 0-6 days later."""
        day = dt.datetime.fromtimestamp(log.time / 1e6, dt.UTC).date()
        return day.isoformat(), (day + dt.timedelta(days=self.rng.randrange(7))).isoformat()


def _quoted(value: str) -> str:
    # Inside `q`, a value with a space or a colon must be quoted (§2.1).
    return f'"{value}"' if (" " in value or ":" in value) else value


def _is_quotable(text: str) -> bool:
    return '"' not in text


def _probe_request_id(drawer: _Drawer) -> tuple[str, frozenset[Any] | None]:
    log = drawer.log(lambda log: log.request_id.int != 0)
    return f"request_id:{log.request_id}", None


def _probe_resource_id(drawer: _Drawer) -> tuple[str, frozenset[Any] | None]:
    return f"resource_id:{drawer.log().resource_id}", None


def _probe_resource_target(drawer: _Drawer) -> tuple[str, frozenset[Any] | None]:
    log = drawer.log(lambda log: bool(log.resource_target) and _is_quotable(log.resource_target))
    return f"resource_target:{_quoted(log.resource_target)}", None


def _probe_username(drawer: _Drawer) -> tuple[str, frozenset[Any] | None]:
    log, user = drawer.acting_log()
    return f"username:{user.username}", frozenset({log.user_id})


def _probe_email(drawer: _Drawer) -> tuple[str, frozenset[Any] | None]:
    log, user = drawer.acting_log()
    return f"email:{user.email}", frozenset({log.user_id})


def _probe_date_range(drawer: _Drawer) -> tuple[str, frozenset[Any] | None]:
    first, last = drawer.day_range(drawer.log())
    return f"date_from:{first} date_to:{last}", None


def _probe_organization(drawer: _Drawer) -> tuple[str, frozenset[Any] | None]:
    organizations = drawer.deployment.organizations
    # Site-wide events (logins, users, licenses...) carry the nil organization: skip them.
    organization = organizations[
        drawer.log(lambda log: log.organization_id in organizations).organization_id
    ]
    # A deleted organization cannot be named (§2.1): give its id instead.
    return f"organization:{organization.id if organization.deleted else organization.name}", None


def _probe_resource_type(drawer: _Drawer) -> tuple[str, frozenset[Any] | None]:
    return f"resource_type:{drawer.log().resource_type}", None


def _probe_action(drawer: _Drawer) -> tuple[str, frozenset[Any] | None]:
    return f"action:{drawer.log().action}", None


def _probe_build_reason(drawer: _Drawer) -> tuple[str, frozenset[Any] | None]:
    builds = list(drawer.deployment.builds.values())
    return f"build_reason:{drawer.rng.choice(builds).reason}", None


def _probe_combination(drawer: _Drawer) -> tuple[str, frozenset[Any] | None]:
    log, user = drawer.acting_log()
    first, last = drawer.day_range(log)
    q = (
        f"action:{log.action} resource_type:{log.resource_type} username:{user.username} "
        f"date_from:{first} date_to:{last}"
    )
    return q, frozenset({log.user_id})


# Filter key -> how to draw one probe: the `q` text and, for actor filters, the user ids the
# app would resolve the username/email to (the store takes ids, not names).
PROBE_MAKERS: dict[str, Callable[[_Drawer], tuple[str, frozenset[Any] | None]]] = {
    "request_id": _probe_request_id,
    "resource_id": _probe_resource_id,
    "resource_target": _probe_resource_target,
    "username": _probe_username,
    "email": _probe_email,
    "date_from+date_to": _probe_date_range,
    "organization": _probe_organization,
    "resource_type": _probe_resource_type,
    "action": _probe_action,
    "build_reason": _probe_build_reason,
    "combination": _probe_combination,
}


def draw_probes(deployment: Deployment, key: str, runs: int, seed: int) -> list[Probe]:
    """`runs` probes for filter `key`, drawn from `deployment` with `random.Random(seed)`.

    Example:
        >>> from coder_audit_mock.mockserver import generate_deployment
        >>> [p.q.split(":")[0] for p in draw_probes(generate_deployment(log_count=50), "action", 2, 0)]
        ['action', 'action']
    """
    drawer = _Drawer(deployment, random.Random(f"bench {key} {seed}"))
    organizations = {
        organization.name.lower(): organization.id
        for organization in deployment.organizations.values()
        if not organization.deleted
    }
    probes = []
    for _ in range(runs):
        q, user_ids = PROBE_MAKERS[key](drawer)
        search = parse_search_query(q, resolve_organization=organizations.get)
        probes.append(Probe(q, Query(search, user_ids=user_ids)))
    return probes


@dataclasses.dataclass(frozen=True)
class Timing:
    """Latency over the probes of one key at one level (store or app), in milliseconds.

    `p50_ms`/`p99_ms`/`max_ms` are wall-clock; `cpu_p50_ms`/`cpu_p99_ms` are this thread's CPU
    time, which other work on the machine hardly changes (wall time on an idle machine is close
    to it: the work is all in memory).
    """

    p50_ms: float
    p99_ms: float
    max_ms: float
    cpu_p50_ms: float
    cpu_p99_ms: float


@dataclasses.dataclass
class _Stopwatch:
    wall_ns: list[int] = dataclasses.field(default_factory=list)
    cpu_ns: list[int] = dataclasses.field(default_factory=list)

    @contextlib.contextmanager
    def lap(self) -> Iterator[None]:
        wall, cpu = time.perf_counter_ns(), time.thread_time_ns()
        yield
        self.cpu_ns.append(time.thread_time_ns() - cpu)
        self.wall_ns.append(time.perf_counter_ns() - wall)

    def timing(self) -> Timing:
        wall, cpu = sorted(self.wall_ns), sorted(self.cpu_ns)
        return Timing(
            p50_ms=_ms(percentile(wall, 50)),
            p99_ms=_ms(percentile(wall, 99)),
            max_ms=_ms(wall[-1]),
            cpu_p50_ms=_ms(percentile(cpu, 50)),
            cpu_p99_ms=_ms(percentile(cpu, 99)),
        )


def _ms(nanoseconds: float) -> float:
    return round(nanoseconds / 1e6, 4)


def time_store(server: MockServer, probes: Sequence[Probe]) -> tuple[Timing, int]:
    """Time `AuditStore.page` per probe; also return the median match count."""
    stopwatch, counts = _Stopwatch(), []
    for probe in probes:
        with stopwatch.lap():
            _, count = server.store.page(probe.query, limit=PAGE_LIMIT, offset=0)
        counts.append(count)
    return stopwatch.timing(), sorted(counts)[len(counts) // 2]


def time_app(app: Any, probes: Sequence[Probe], token: str) -> tuple[Timing, int]:
    """Time GET /api/v2/audit per probe through the ASGI app; also return how many were not 200."""
    return asyncio.run(_time_app(app, probes, token))


async def _time_app(app: Any, probes: Sequence[Probe], token: str) -> tuple[Timing, int]:
    stopwatch, not_ok = _Stopwatch(), 0
    for probe in probes:
        query_string = urllib.parse.urlencode({"limit": PAGE_LIMIT, "q": probe.q}).encode()
        app.state.mock.answers.clear()  # the whole path, not a replayed answer
        with stopwatch.lap():
            status = await asgi_get(app, "/api/v2/audit", query_string, token)
        not_ok += status != 200
    return stopwatch.timing(), not_ok


async def asgi_get(app: Any, path: str, query_string: bytes, token: str) -> int:
    """Call `app` directly as ASGI with one GET (as uvicorn would, minus the socket); the status."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query_string,
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"coder-session-token", token.encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    status = 0

    async def receive() -> Mapping[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


def measure_size(log_count: int, runs: int, seed: int = 0) -> dict[str, Any]:
    """Build a mock with `log_count` logs and time every filter key at both levels."""
    started = time.perf_counter()
    server = MockServer(MockSettings(seed=seed, log_count=log_count))
    build_s = time.perf_counter() - started
    app = create_app_for(server)
    keys: dict[str, Any] = {}
    for key in PROBE_MAKERS:
        probes = draw_probes(server.deployment, key, runs, seed)
        store, median_count = time_store(server, probes)
        through_app, not_ok = time_app(app, probes, DEFAULT_TOKENS["owner"])
        keys[key] = {
            "example_q": probes[0].q,
            "median_count": median_count,
            "store": dataclasses.asdict(store),
            "app": dataclasses.asdict(through_app),
            "app_not_200": not_ok,
        }
    return {"log_count": log_count, "runs": runs, "build_s": round(build_s, 2), "keys": keys}
