"""Many clients at once: testgenerate and GET against one server, nothing lost, nothing twice.

Each client writes logs tagged with its own `request_id` and after every write reads them back
with `q=request_id:<its id>` (§2.1): the page must hold exactly the client's writes so
far (none lost, none twice, `count` equal to the list). Between writes it reads the whole table
as owner or auditor (a consistent page, a total that never shrinks) and as organization admin,
whose view must not move at all: testgenerate logs without `organization_id` are invisible to
organization-scoped readers (§5).

The same load runs twice: over HTTP against a `serve` process (uvicorn, one event loop), and
in-process from threads that each drive the app with their own event loop, so that the store's
lock is what keeps the data consistent (`AuditStore` is documented thread-safe). Every tenth
write carries a past `time`, so that inserts also land between stored logs (the store's
rebuild path, O(n) per insert, hence not more often).
"""

from __future__ import annotations

import dataclasses
import random
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from starlette.testclient import TestClient

from coder_audit_mock.mockserver import create_app

from ._support import (
    AUDIT,
    BUDGET,
    COUNT_CAP,
    TESTGENERATE,
    Answer,
    Deadline,
    Http,
    ServedMock,
    auth,
    page_problems,
    percentile,
    record,
)

SEEDED_LOGS = 200
PAGE = 50
READER_ROLES = ("owner", "auditor", "org-admin")


class Client(Protocol):
    def get(self, target: str, role: str = "owner") -> Answer: ...

    def testgenerate(self, fields: Mapping[str, Any], role: str = "owner") -> Answer: ...

    def close(self) -> None: ...


@dataclasses.dataclass
class ClientRun:
    """What one client did and saw."""

    request_id: str
    requests: int = 0
    written: list[str] = dataclasses.field(default_factory=list)
    failures: list[str] = dataclasses.field(default_factory=list)
    latencies: list[float] = dataclasses.field(default_factory=list)

    def note(self, answer: Answer, problems: list[str], what: str) -> None:
        self.requests += 1
        self.latencies.append(answer.seconds)
        self.failures += [f"{what}: {problem}" for problem in problems]


@dataclasses.dataclass(frozen=True)
class Baseline:
    """The org admin's first page before any write: it must never change."""

    org_admin_page: bytes


def own_logs_problems(answer: Answer, written: list[str]) -> list[str]:
    if answer.status != 200:
        return [f"status {answer.status}"]
    body = answer.json()
    found = [log["resource_id"] for log in body["audit_logs"]]
    problems = []
    if body["count"] != len(written) or len(found) != len(written):
        problems.append(f"count {body['count']}, {len(found)} listed, {len(written)} written")
    if sorted(found) != sorted(written):
        lost, extra = set(written) - set(found), set(found) - set(written)
        problems.append(f"lost {sorted(lost)}, unexpected {sorted(extra)}")
    return problems


def run_client(
    client: Client, index: int, baseline: Baseline, start: threading.Barrier, deadline: Deadline
) -> ClientRun:
    """One client's loop: write, read back its own logs, read the table; bounded twice."""
    try:
        return client_loop(client, index, baseline, start, deadline)
    finally:
        client.close()


def client_loop(
    client: Client, index: int, baseline: Baseline, start: threading.Barrier, deadline: Deadline
) -> ClientRun:
    draws = random.Random(f"reliability-client:{index}")
    run = ClientRun(request_id=str(uuid.UUID(int=draws.getrandbits(128), version=4)))
    last_count = 0
    start.wait(timeout=deadline.left)
    for step in range(BUDGET.requests_per_client):
        if not deadline:
            break
        resource_id = str(uuid.UUID(int=draws.getrandbits(128), version=4))
        fields = {
            "request_id": run.request_id,
            "resource_id": resource_id,
            "additional_fields": {"client": index, "step": step},
        }
        if step % 10 == 9:
            # An explicit past time lands between stored logs: the store's rebuild path.
            fields["time"] = f"2026-0{1 + draws.randrange(6)}-1{draws.randrange(10)}T08:00:00Z"
        written = client.testgenerate(fields)
        run.note(written, [] if written.status == 204 else [f"status {written.status}"], "write")
        if written.status == 204:
            run.written.append(resource_id)
        mine = client.get(f"{AUDIT}?q=request_id:{run.request_id}&limit={len(run.written) + 5}")
        run.note(mine, own_logs_problems(mine, run.written), "read-own")
        role = READER_ROLES[step % len(READER_ROLES)]
        if role == "org-admin":
            page = client.get(f"{AUDIT}?limit=20", role)
            unchanged = page.status == 200 and page.body == baseline.org_admin_page
            run.note(page, [] if unchanged else ["the org admin's view changed"], "org-admin")
            continue
        offset = draws.randrange(SEEDED_LOGS)
        page = client.get(f"{AUDIT}?limit={PAGE}&offset={offset}", role)
        problems = page_problems(page, limit=PAGE, offset=offset)
        if not problems:
            count = page.json()["count"]
            if count < last_count:
                problems.append(f"count went down from {last_count} to {count}")
            last_count = count
        run.note(page, problems, role)
    return run


def run_clients(make_client: Callable[[], Client], description: str) -> None:
    """Run BUDGET.clients clients at once, then check every write is there exactly once."""
    checker = make_client()
    baseline = Baseline(org_admin_page=checker.get(f"{AUDIT}?limit=20", "org-admin").body)
    start = threading.Barrier(BUDGET.clients)
    deadline = Deadline(BUDGET.time_limit_s)
    began = time.perf_counter()
    with ThreadPoolExecutor(BUDGET.clients) as pool:
        futures = [
            pool.submit(run_client, make_client(), index, baseline, start, deadline)
            for index in range(BUDGET.clients)
        ]
        runs = [future.result(timeout=BUDGET.time_limit_s + 30) for future in futures]
    seconds = time.perf_counter() - began
    failures = [failure for run in runs for failure in run.failures]
    for run in runs:  # after the load: every client's logs, once more, all of them
        final = checker.get(f"{AUDIT}?q=request_id:{run.request_id}&limit={len(run.written) + 5}")
        failures += own_logs_problems(final, run.written)
    writes = sum(len(run.written) for run in runs)
    total = checker.get(f"{AUDIT}?limit=1").json()["count"]
    checker.close()
    if total != min(SEEDED_LOGS + writes, COUNT_CAP + 1):
        failures.append(f"total count {total} after {SEEDED_LOGS} + {writes} logs")
    requests = sum(run.requests for run in runs)
    latencies = [seconds for run in runs for seconds in run.latencies]
    record(
        description,
        clients=BUDGET.clients,
        requests=requests,
        writes=writes,
        failures=len(failures),
        seconds=round(seconds, 1),
        requests_per_s=round(requests / seconds),
        p99_ms=round(percentile(latencies, 0.99) * 1000, 1),
    )
    assert failures == [], failures[:20]
    assert writes > 0


def test_concurrent_clients_over_http_lose_nothing(start_mock: Callable[..., ServedMock]) -> None:
    served = start_mock("--logs", str(SEEDED_LOGS), "--quiet")
    run_clients(lambda: HttpClient(served.port), "concurrency (HTTP, uvicorn)")
    assert served.alive()


def test_concurrent_threads_in_process_lose_nothing() -> None:
    app = create_app(log_count=SEEDED_LOGS)
    run_clients(lambda: InProcessClient(TestClient(app)), "concurrency (threads, in-process)")


class HttpClient:
    """`Client` over one keep-alive connection."""

    def __init__(self, port: int) -> None:
        self.http = Http(port)

    def get(self, target: str, role: str = "owner") -> Answer:
        return self.http.get(target, role)

    def testgenerate(self, fields: Mapping[str, Any], role: str = "owner") -> Answer:
        return self.http.testgenerate(fields, role)

    def close(self) -> None:
        self.http.close()


class InProcessClient:
    """`Client` over Starlette's TestClient: each instance runs the app on its own event loop."""

    def __init__(self, client: TestClient) -> None:
        self.client = client.__enter__()  # one event loop for all its requests, not one each

    def close(self) -> None:
        self.client.__exit__(None, None, None)

    def get(self, target: str, role: str = "owner") -> Answer:
        return self._answer(lambda: self.client.get(target, headers=auth(role)))

    def testgenerate(self, fields: Mapping[str, Any], role: str = "owner") -> Answer:
        return self._answer(lambda: self.client.post(TESTGENERATE, json=fields, headers=auth(role)))

    @staticmethod
    def _answer(send: Callable[[], Any]) -> Answer:
        started = time.perf_counter()
        response = send()
        return Answer(
            response.status_code, response.headers, response.content, time.perf_counter() - started
        )
