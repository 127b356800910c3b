"""Soak: steady load for a bounded time; memory stays flat apart from stored logs, latency steady.

Readers keep a mix of GETs going (every role, filters, pages, plus answers that are errors by
design: a member's 403, a bad `limit`'s 400), and one writer adds testgenerate logs at a fixed
rate. The server's resident memory (`/proc/<pid>/status`) is sampled throughout.

The warm-up fills what is bounded by design before the baseline is taken: every seeded log
rendered once (the render cache) and more requests than the request journal keeps (a ring of
`DEFAULT_JOURNAL_SIZE` entries). From then on memory may grow only by what the new logs take,
and the median latency of the last stretch of the run may not drift from the first.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from coder_audit_mock.mockserver._journal import DEFAULT_JOURNAL_SIZE

from ._support import (
    AUDIT,
    BUDGET,
    COUNT_CAP,
    Deadline,
    Http,
    ServedMock,
    percentile,
    record,
)

SEEDED_LOGS = 1000
READERS = 4
WRITES_PER_S = 5.0
WINDOWS = 5
WARM_UP_REQUESTS = DEFAULT_JOURNAL_SIZE + 2000
# Memory a steady load may add besides the new logs: allocator arenas settle in steps.
RSS_SLACK_BYTES = 4 << 20
RSS_PER_LOG_BYTES = 8 << 10  # generous: a stored log with its rendering measures about 2 KiB
# The last stretch's median latency may be at most this times the first's, plus LATENCY_SLACK_S.
LATENCY_DRIFT_FACTOR = 2.0
LATENCY_SLACK_S = 0.002
WRITER_REQUEST_ID = str(uuid.UUID(int=0x50A4, version=4))

# (role, query string, expected status): what a UI and its tests ask, errors included.
QUERIES: tuple[tuple[str, str, int], ...] = (
    ("owner", "limit=25", 200),
    ("owner", "limit=25&offset=500", 200),
    ("auditor", "q=action:create", 200),
    ("owner", "q=resource_type:workspace_build&limit=10", 200),
    ("org-admin", "limit=25", 200),
    ("org-auditor", "q=action:start", 200),
    ("owner", "q=username:me", 200),
    ("owner", "q=" + urllib.parse.quote("date_from:2026-06-01 date_to:2026-06-30"), 200),
    ("auditor", "q=build_reason:autostart&limit=50", 200),
    ("member", "limit=1", 403),
    ("owner", "limit=-1", 400),
    ("owner", "q=" + urllib.parse.quote("action:bogus"), 400),
)


@dataclasses.dataclass
class Sample:
    at: float  # seconds since the load started
    seconds: float  # latency
    ok: bool


@dataclasses.dataclass
class Soak:
    samples: list[Sample] = dataclasses.field(default_factory=list)
    failures: list[str] = dataclasses.field(default_factory=list)
    writes: list[float] = dataclasses.field(default_factory=list)  # when each write was done
    rss: list[tuple[float, int]] = dataclasses.field(default_factory=list)
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    began: float = dataclasses.field(default_factory=time.perf_counter)


def warm_up(port: int) -> None:
    """Render every seeded log, then send more requests than the journal keeps (bounded).

    The journal is filled with requests that stop at authentication (401): the same paths and
    queries as the load, so entries of the same size, at twice the speed.
    """
    http = Http(port)
    for offset in range(0, SEEDED_LOGS, 100):
        assert http.get(f"{AUDIT}?limit=100&offset={offset}").status == 200
    deadline = Deadline(BUDGET.time_limit_s)
    with ThreadPoolExecutor(READERS) as pool:
        futures = [pool.submit(fill_journal, port, index, deadline) for index in range(READERS)]
        assert sum(future.result(timeout=BUDGET.time_limit_s + 30) for future in futures) == (
            WARM_UP_REQUESTS
        ), "the warm-up ran out of time"


def fill_journal(port: int, index: int, deadline: Deadline) -> int:
    http, sent = Http(port), 0
    for step in range(index, WARM_UP_REQUESTS, READERS):
        if not deadline:
            break
        _, query, _ = QUERIES[step % len(QUERIES)]
        assert http.request("GET", f"{AUDIT}?{query}").status == 401
        sent += 1
    return sent


def read_loop(port: int, index: int, soak: Soak, deadline: Deadline) -> None:
    http = Http(port)
    step = index
    while deadline:
        role, query, expected = QUERIES[step % len(QUERIES)]
        step += 1
        answer = http.get(f"{AUDIT}?{query}", role)
        ok = answer.status == expected
        with soak.lock:
            soak.samples.append(Sample(time.perf_counter() - soak.began, answer.seconds, ok))
            if not ok:
                soak.failures.append(f"{role} {query}: {answer.status} {answer.body[:200]!r}")


def write_loop(port: int, soak: Soak, deadline: Deadline) -> None:
    http = Http(port)
    interval = 1 / WRITES_PER_S
    while deadline:
        answer = http.testgenerate({"request_id": WRITER_REQUEST_ID})
        with soak.lock:
            if answer.status == 204:
                soak.writes.append(time.perf_counter() - soak.began)
            else:
                soak.failures.append(f"testgenerate: {answer.status} {answer.body[:200]!r}")
        next_write = len(soak.writes) * interval
        time.sleep(max(0.0, min(next_write - (time.perf_counter() - soak.began), deadline.left)))


def sample_memory(served: ServedMock, soak: Soak, deadline: Deadline) -> None:
    while deadline:
        rss = served.rss_bytes()
        if rss is not None:
            soak.rss.append((time.perf_counter() - soak.began, rss))
        time.sleep(min(0.25, deadline.left))


def window_latencies(soak: Soak, seconds: float) -> list[list[float]]:
    windows: list[list[float]] = [[] for _ in range(WINDOWS)]
    for sample in soak.samples:
        windows[min(WINDOWS - 1, int(sample.at / seconds * WINDOWS))].append(sample.seconds)
    return windows


def run_soak(served: ServedMock, seconds: float) -> Soak:
    soak, deadline = Soak(), Deadline(seconds)
    with ThreadPoolExecutor(READERS + 2) as pool:
        futures = [
            pool.submit(read_loop, served.port, index, soak, deadline) for index in range(READERS)
        ]
        futures.append(pool.submit(write_loop, served.port, soak, deadline))
        futures.append(pool.submit(sample_memory, served, soak, deadline))
        for future in futures:
            future.result(timeout=seconds + 30)
    return soak


def test_soak_keeps_memory_flat_and_latency_steady(
    start_mock: Callable[..., ServedMock],
) -> None:
    served = start_mock("--logs", str(SEEDED_LOGS), "--quiet")
    if served.rss_bytes() is None:
        pytest.skip("resident memory is read from /proc, which this system does not have")
    warm_up(served.port)
    seconds = BUDGET.soak_seconds
    soak = run_soak(served, seconds)
    rss_start, rss_end = soak.rss[0][1], soak.rss[-1][1]
    windows = window_latencies(soak, seconds)
    first_p50, last_p50 = percentile(windows[0], 0.5), percentile(windows[-1], 0.5)
    stored = Http(served.port).get(f"{AUDIT}?q=request_id:{WRITER_REQUEST_ID}&limit=1").json()
    mib = 1 << 20
    record(
        "soak",
        seconds=seconds,
        warm_up_requests=WARM_UP_REQUESTS,
        requests=len(soak.samples) + len(soak.writes),
        writes=len(soak.writes),
        failures=len(soak.failures),
        rss_start_mib=round(rss_start / mib, 2),
        rss_end_mib=round(rss_end / mib, 2),
        rss_max_mib=round(max(rss for _, rss in soak.rss) / mib, 2),
        rss_growth_per_write_kib=round((rss_end - rss_start) / max(1, len(soak.writes)) / 1024, 2),
        p50_first_ms=round(first_p50 * 1000, 2),
        p50_last_ms=round(last_p50 * 1000, 2),
        p99_first_ms=round(percentile(windows[0], 0.99) * 1000, 2),
        p99_last_ms=round(percentile(windows[-1], 0.99) * 1000, 2),
    )
    assert soak.failures == [], soak.failures[:20]
    assert stored["count"] == min(len(soak.writes), COUNT_CAP + 1), "a write was lost"
    allowed = RSS_SLACK_BYTES + len(soak.writes) * RSS_PER_LOG_BYTES
    assert rss_end - rss_start <= allowed, (rss_start, rss_end, len(soak.writes))
    assert last_p50 <= first_p50 * LATENCY_DRIFT_FACTOR + LATENCY_SLACK_S, [
        percentile(window, 0.5) for window in windows
    ]
