"""HTTP load against 127.0.0.1: Debian's `wrk` when installed, else a Python asyncio fallback.

Both keep `connections` keep-alive connections busy (closed loop: each sends its next request
when the previous answer has arrived) and stop at whichever comes first, `seconds` or
`max_requests` answers. Latency is per request, from sending to the last byte of the answer.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import os
import pathlib
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from typing import Any

HOST = "127.0.0.1"
WRK_SCRIPT = pathlib.Path(__file__).with_name("wrk_report.lua")
_WRK_MARKER = "BENCH_JSON "


@dataclasses.dataclass(frozen=True)
class LoadResult:
    """What one load run measured.

    Attributes:
        requests: answers received.
        errors: socket errors, timeouts and non-200 answers (a valid run has 0).
        seconds: how long the load ran.
        p50_ms, p99_ms, max_ms: per-request latency.
    """

    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_json(self) -> dict[str, float]:
        return {**dataclasses.asdict(self), "requests_per_second": self.requests_per_second}


@dataclasses.dataclass(frozen=True)
class LoadGenerator:
    """The tool that makes the load: `wrk` (with its version) or the Python fallback."""

    name: str
    wrk_path: str | None = None

    @classmethod
    def choose(cls, preference: str) -> LoadGenerator:
        """`preference` is "auto" (wrk if on PATH), "wrk" (required) or "python"."""
        wrk_path = shutil.which("wrk") if preference != "python" else None
        if preference == "wrk" and wrk_path is None:
            raise FileNotFoundError("wrk is not on PATH (Debian: apt-get install -y wrk)")
        if preference == "python":
            return cls("python asyncio load generator (--load python)")
        if wrk_path is None:
            return cls("python asyncio fallback: wrk not found, the client may be the bottleneck")
        return cls(_wrk_version(wrk_path), wrk_path)

    def run(
        self,
        port: int,
        target: str,
        token: str,
        *,
        connections: int,
        seconds: float,
        max_requests: int,
        threads: int = 1,
    ) -> LoadResult:
        """Load GET `target` on 127.0.0.1:`port`, sending `token` as Coder-Session-Token.

        `threads` is wrk's (the Python fallback always runs one event loop).
        """
        if self.wrk_path is not None:
            return _run_wrk(
                self.wrk_path, port, target, token, connections, seconds, max_requests, threads
            )
        headers = {"Coder-Session-Token": token}
        return asyncio.run(_python_load(port, target, headers, connections, seconds, max_requests))


def _wrk_version(wrk_path: str) -> str:
    # `wrk --version` prints its banner and usage, then exits 1.
    completed = subprocess.run(
        [wrk_path, "--version"], capture_output=True, text=True, timeout=10, check=False
    )
    first_line = (completed.stdout or completed.stderr).splitlines()[:1]
    return first_line[0].split(" Copyright")[0] if first_line else "wrk (unknown version)"


def _run_wrk(
    wrk_path: str,
    port: int,
    target: str,
    token: str,
    connections: int,
    seconds: float,
    max_requests: int,
    threads: int,
) -> LoadResult:
    command = [
        wrk_path,
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={max(1, math.ceil(seconds))}s",
        "--timeout=10s",
        f"--script={WRK_SCRIPT}",
        f"http://{HOST}:{port}{target}",
    ]
    env = {**os.environ, "BENCH_TOKEN": token, "BENCH_MAX_REQUESTS": str(max_requests)}
    completed = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=seconds + 60, check=False
    )
    report = _wrk_report(completed.stdout)
    if completed.returncode != 0 or report is None:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr.strip()}")
    errors = sum(int(count) for count in report["errors"].values())
    return LoadResult(
        requests=int(report["requests"]),
        errors=errors,
        seconds=report["duration_us"] / 1e6,
        p50_ms=report["p50_us"] / 1000,
        p99_ms=report["p99_us"] / 1000,
        max_ms=report["max_us"] / 1000,
    )


def _wrk_report(stdout: str) -> dict[str, Any] | None:
    """The JSON line wrk_report.lua's `done` writes (numbers, and `errors` by kind)."""
    for line in stdout.splitlines():
        if line.startswith(_WRK_MARKER):
            report: dict[str, Any] = json.loads(line[len(_WRK_MARKER) :])
            return report
    return None


# -- the Python fallback -------------------------------------------------------------------------


@dataclasses.dataclass
class _Tally:
    budget: int
    latencies_ns: list[int] = dataclasses.field(default_factory=list)
    errors: int = 0


async def _python_load(
    port: int,
    target: str,
    headers: Mapping[str, str],
    connections: int,
    seconds: float,
    max_requests: int,
) -> LoadResult:
    lines = [f"GET {target} HTTP/1.1", f"Host: {HOST}:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    tally = _Tally(budget=max_requests if max_requests > 0 else 1 << 62)
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(_one_connection(port, request, deadline, tally) for _ in range(connections))
    )
    elapsed = time.perf_counter() - started
    latencies = sorted(tally.latencies_ns)
    return LoadResult(
        requests=len(latencies),
        errors=tally.errors,
        seconds=elapsed,
        p50_ms=percentile(latencies, 50) / 1e6,
        p99_ms=percentile(latencies, 99) / 1e6,
        max_ms=(latencies[-1] if latencies else 0) / 1e6,
    )


async def _one_connection(port: int, request: bytes, deadline: float, tally: _Tally) -> None:
    try:
        reader, writer = await asyncio.open_connection(HOST, port)
    except OSError:
        tally.errors += 1
        return
    try:
        while tally.budget > 0 and time.perf_counter() < deadline:
            tally.budget -= 1
            sent = time.perf_counter_ns()
            writer.write(request)
            status = await _read_answer(reader)
            tally.latencies_ns.append(time.perf_counter_ns() - sent)
            if status != 200:
                tally.errors += 1
    except (OSError, asyncio.IncompleteReadError, ValueError):
        tally.errors += 1
    finally:
        writer.close()


async def _read_answer(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 answer framed by Content-Length; return its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    length = 0
    for line in header_lines:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    await reader.readexactly(length)
    return int(status_line.split(" ", 2)[1])


def percentile(sorted_values: Sequence[float], percent: float) -> float:
    """Nearest-rank percentile of an ascending sequence (0 when it is empty).

    Example:
        >>> percentile([1, 2, 3, 4], 50), percentile([1, 2, 3, 4], 99)
        (2, 4)
    """
    if not sorted_values:
        return 0
    rank = max(1, math.ceil(percent / 100 * len(sorted_values)))
    return sorted_values[rank - 1]
