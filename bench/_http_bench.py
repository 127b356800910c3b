"""The over-HTTP parts of the benchmark: throughput beside the fastest Python stack, and start-up.

Throughput, per path: the baseline is a bare ASGI app on uvicorn + uvloop + httptools sending
the mock's own answer to that path as a constant body (the most a Python ASGI server can serve
those bytes at); beside it a Starlette app sending the same body on the same stack, and the mock
as users run it, `coder-audit-mock serve` installed from this repository (its access log on,
written to /dev/null, and `--quiet`). Rounds alternate the order of the servers, and each round
loads every server once with the same connections and duration, so a ratio compares runs made
seconds apart on the same machine state.
"""

from __future__ import annotations

import contextlib
import dataclasses
import pathlib
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

from _load import LoadGenerator, LoadResult
from _servers import RunningServer, free_port, http_get, running_server

from coder_audit_mock.mockserver import DEFAULT_TOKENS

AUDIT_TARGET = "/api/v2/audit?limit=25"  # what start-up waits for
# The bench path, a three-key filter and a page further down (§2.1, §3.1).
PATHS = {
    "bench": "/api/v2/audit?q=action:create&limit=25",
    "filtered": "/api/v2/audit?q=action:create%20resource_type:workspace%20date_from:2026-05-01"
    "&limit=25",
    "paged": "/api/v2/audit?limit=25&offset=100",
}
BASELINE = "bare"
SERVE_SCRIPT = pathlib.Path(__file__).with_name("serve.py")
TOKEN = DEFAULT_TOKENS["owner"]
HEADERS = {"Coder-Session-Token": TOKEN}


@dataclasses.dataclass(frozen=True)
class LoadPlan:
    """How hard and how long to load each server."""

    log_count: int
    rounds: int
    seconds: float
    warmup_seconds: float
    connections: int
    max_requests: int
    threads: int = 2


def cli_serve_command(
    env: Mapping[str, str], log_count: int, *, quiet: bool = True
) -> list[str] | None:
    """`python -m coder_audit_mock serve --logs N [--quiet]` (add `--port`) if the CLI exists.

    None when `serve --help` fails: the CLI is another helper's work and may not be ready.
    """
    base = [sys.executable, "-m", "coder_audit_mock", "serve"]
    try:
        helped = subprocess.run(
            [*base, "--help"],
            check=False,
            capture_output=True,
            text=True,
            env=dict(env),
            timeout=60,
        )
    except subprocess.TimeoutExpired:
        return None
    if helped.returncode != 0 or "--logs" not in helped.stdout:
        return None
    flags = ["--quiet"] if quiet and "--quiet" in helped.stdout else []
    return [*base, "--logs", str(log_count), *flags]


def bench_serve_command(app: str, *options: str) -> list[str]:
    """`python bench/serve.py APP ...` (add `--port`): an app under the benchmark's uvicorn options."""
    return [sys.executable, str(SERVE_SCRIPT), app, *options]


def _started(
    stack: contextlib.ExitStack, command: Sequence[str], env: Mapping[str, str], target: str
) -> RunningServer:
    """Start `command --port <free port>` and keep it running until `stack` closes."""
    port = free_port()
    return stack.enter_context(
        running_server([*command, "--port", str(port)], port, target, HEADERS, env)
    )


def measure_throughput(
    load: LoadGenerator, plan: LoadPlan, env: Mapping[str, str]
) -> dict[str, Any]:
    """Every path: each server `plan.rounds` times; per-app medians and ratios to the bare app."""
    with contextlib.ExitStack() as stack:
        mocks = _start_mocks(stack, plan, env)
        paths = {
            name: _measure_path(load, plan, env, target, mocks) for name, target in PATHS.items()
        }
        memory = {name: server.memory_mib() for name, server in mocks.items()}
    return {
        "load_generator": load.name,
        "plan": dataclasses.asdict(plan),
        "paths": paths,
        "memory_after_load_mib": memory,
    }


def _start_mocks(
    stack: contextlib.ExitStack, plan: LoadPlan, env: Mapping[str, str]
) -> dict[str, RunningServer]:
    """The mock as users run it: `serve` (access log on, to /dev/null) and `serve --quiet`."""
    servers = {}
    for name, quiet in (("serve", False), ("serve --quiet", True)):
        command = cli_serve_command(env, plan.log_count, quiet=quiet)
        if command is None:
            command = bench_serve_command("mock", "--logs", str(plan.log_count))
        servers[name] = _started(stack, command, env, AUDIT_TARGET)
    return servers


def _measure_path(
    load: LoadGenerator,
    plan: LoadPlan,
    env: Mapping[str, str],
    target: str,
    mocks: Mapping[str, RunningServer],
) -> dict[str, Any]:
    """The baselines with the mock's answer to `target`, then the rounds over every server."""
    status, content_type, body = http_get(next(iter(mocks.values())).port, target, HEADERS)
    if status != 200:
        raise RuntimeError(f"the mock answered {status} to GET {target}")
    with contextlib.ExitStack() as stack:
        body_file = pathlib.Path(stack.enter_context(tempfile.TemporaryDirectory())) / "body"
        body_file.write_bytes(body)
        servers = {
            app: _started(
                stack,
                bench_serve_command(
                    app, "--body-file", str(body_file), "--content-type", content_type
                ),
                env,
                target,
            )
            for app in (BASELINE, "starlette")
        }
        servers.update(mocks)
        sizes = {name: len(http_get(s.port, target, HEADERS)[2]) for name, s in servers.items()}
        for server in servers.values():
            _measure(load, server, plan, target, plan.warmup_seconds)
        rounds: list[dict[str, Measured]] = []
        for number in range(plan.rounds):
            order = list(servers) if number % 2 == 0 else list(reversed(servers))
            rounds.append(
                {name: _measure(load, servers[name], plan, target, plan.seconds) for name in order}
            )
    return {
        "target": target,
        "body_bytes": sizes,
        "rounds": [{name: r.as_json() for name, r in one.items()} for one in rounds],
        "apps": {name: _summary(name, rounds) for name in servers},
    }


@dataclasses.dataclass(frozen=True)
class Measured:
    """One load run on one server, and the server's CPU time per answered request."""

    load: LoadResult
    cpu_us_per_request: float

    def as_json(self) -> dict[str, float]:
        return {**self.load.as_json(), "server_cpu_us_per_request": self.cpu_us_per_request}


def _measure(
    load: LoadGenerator, server: RunningServer, plan: LoadPlan, target: str, seconds: float
) -> Measured:
    cpu_before = server.cpu_seconds()
    result = load.run(
        server.port,
        target,
        TOKEN,
        connections=plan.connections,
        seconds=seconds,
        max_requests=plan.max_requests,
        threads=plan.threads,
    )
    cpu = server.cpu_seconds() - cpu_before
    return Measured(result, round(cpu / max(1, result.requests) * 1e6, 1))


def _summary(name: str, rounds: Sequence[Mapping[str, Measured]]) -> dict[str, Any]:
    mine = [one[name].load for one in rounds]
    ratios = [
        one[name].load.requests_per_second / one[BASELINE].load.requests_per_second
        for one in rounds
    ]
    p99_ratios = [one[name].load.p99_ms / one[BASELINE].load.p99_ms for one in rounds]
    cpu = statistics.median(one[name].cpu_us_per_request for one in rounds)
    bare_cpu = statistics.median(one[BASELINE].cpu_us_per_request for one in rounds)
    return {
        "requests_per_second": round(statistics.median(r.requests_per_second for r in mine), 1),
        "p50_ms": round(statistics.median(r.p50_ms for r in mine), 3),
        "p99_ms": round(statistics.median(r.p99_ms for r in mine), 3),
        "errors": sum(r.errors for r in mine),
        "ratio_to_bare": round(statistics.median(ratios), 3),
        "ratio_to_bare_per_round": [round(ratio, 3) for ratio in ratios],
        "p99_ratio_to_bare": round(statistics.median(p99_ratios), 2),
        "server_cpu_us_per_request": cpu,
        # bare CPU / this app's CPU per request: the throughput ratio if both were CPU-bound.
        "cpu_ratio_to_bare": round(bare_cpu / cpu, 3) if cpu else 0.0,
    }


def measure_startup(log_count: int, runs: int, env: Mapping[str, str]) -> dict[str, Any]:
    """Spawn the server `runs` times; time each to its first 200 and read its resident memory.

    One more start with no logs at all gives the memory a stored log costs: the difference in
    resident memory, divided by `log_count`.
    """
    cli_command = cli_serve_command(env, log_count)
    if cli_command is not None:
        command, via = cli_command, "coder-audit-mock serve (the CLI)"
    else:
        command = bench_serve_command("mock", "--logs", str(log_count))
        via = "bench/serve.py mock (the CLI was not available)"
    samples = [_started_once(command, env) for _ in range(runs)]
    empty = _started_once(_with_logs(command, 0), env)
    rss = statistics.median(s["rss_mib"] for s in samples)
    return {
        "log_count": log_count,
        "command": " ".join(["python", *command[1:], "--port", "PORT"]),
        "via": via,
        "runs": samples,
        "median_ready_s": round(statistics.median(s["ready_s"] for s in samples), 3),
        # The server's own CPU time to its first 200: what the wait would be on an idle machine
        # (the process is single-threaded and reads nothing from disk but its modules).
        "median_cpu_s": round(statistics.median(s["cpu_s"] for s in samples), 2),
        "median_rss_mib": round(rss, 1),
        "median_hwm_mib": round(statistics.median(s["hwm_mib"] for s in samples), 1),
        "no_logs": empty,
        "bytes_per_log": round((rss - empty["rss_mib"]) * (1 << 20) / max(1, log_count)),
    }


def _with_logs(command: Sequence[str], count: int) -> list[str]:
    changed = list(command)
    changed[changed.index("--logs") + 1] = str(count)
    return changed


def _started_once(command: Sequence[str], env: Mapping[str, str]) -> dict[str, float]:
    port = free_port()
    with running_server([*command, "--port", str(port)], port, AUDIT_TARGET, HEADERS, env) as s:
        cpu_s = round(s.cpu_seconds(), 2)
        return {"ready_s": round(s.ready_s, 3), "cpu_s": cpu_s, **s.memory_mib()}
