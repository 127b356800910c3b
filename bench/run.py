"""The coder-audit-mock benchmark, in one command: `python bench/run.py [--quick]`.

It measures, on 127.0.0.1 only and with every load bounded in time and in requests:

1. HTTP throughput and latency of `GET /api/v2/audit?limit=25` under uvicorn, beside a bare
   ASGI app sending a constant body of the same size, as a ratio measured in the same run;
2. filtered-query latency per `q` key over 10k, 100k and 1M logs, in `AuditStore.page` and
   through the ASGI app;
3. start-up time to the first 200 and resident memory of a server with 100k logs;
4. contract-test speed (test cases per second, in-process and over HTTP), when the contract
   runner exists.

It writes bench/results.json and prints a markdown table with the targets met or missed.
bench/README.md explains the method.

Example:
    $ PYTHONPATH=src python bench/run.py --quick
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import functools
import importlib.metadata
import importlib.util
import json
import os
import pathlib
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

BENCH_DIR = pathlib.Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
DEFAULT_OUT = BENCH_DIR / "results.json"


@dataclasses.dataclass(frozen=True)
class Plan:
    """How much to measure: the full run, or `--quick` for a smoke check of the script itself."""

    rounds: int
    seconds: float
    warmup_seconds: float
    sizes: tuple[int, ...]
    query_runs: int
    startup_runs: int
    connections: int = 32  # the wrk setting: 2 threads x 32 connections
    threads: int = 2
    http_log_count: int = 1_000  # serve's default, the bench
    startup_log_count: int = 100_000
    max_requests: int = 500_000  # per load run; far above what one Python worker answers
    contract_max_examples: int | None = None  # None: the runner's "quick" profile

    @classmethod
    def full(cls) -> Plan:
        return cls(
            rounds=3,
            seconds=10,
            warmup_seconds=2,
            sizes=(10_000, 100_000, 1_000_000),
            query_runs=200,
            startup_runs=3,
        )

    @classmethod
    def quick(cls) -> Plan:
        return cls(
            rounds=1,
            seconds=3,
            warmup_seconds=1,
            sizes=(10_000, 100_000),
            query_runs=40,
            startup_runs=1,
            contract_max_examples=3,
        )


def _importable_env() -> dict[str, str]:
    """Make `coder_audit_mock` importable here and in subprocesses (installed, or from src/)."""
    env = dict(os.environ)
    if importlib.util.find_spec("coder_audit_mock") is None:
        source = str(REPO / "src")
        sys.path.insert(0, source)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [source, env.get("PYTHONPATH")]))
    return env


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_total_gib() -> float | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            kib = int(meminfo.readline().split()[1])  # the first line is MemTotal
    except (OSError, ValueError, IndexError):
        return None
    return round(kib / 1024 / 1024, 1)


def _git(*args: str) -> str:
    try:
        completed = subprocess.run(
            ["git", "-C", str(REPO), *args], check=False, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return completed.stdout.strip()


def machine_facts(load_generator: str) -> dict[str, Any]:
    """Where and with what the figures were measured."""
    import coder_audit_mock

    return {
        "date_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_total_gib(),
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "package_from": str(pathlib.Path(coder_audit_mock.__file__).parent),
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "git_worktree_changed": bool(_git("status", "--porcelain", "--", "src")),
        "versions": {
            name: _version(name)
            for name in (
                "uvicorn",
                "uvloop",
                "httptools",
                "h11",
                "starlette",
                "faker",
                "schemathesis",
            )
        },
        # What `serve` runs on here (the baselines always run on uvloop + httptools).
        "serve_loop": "uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        "serve_http": "httptools" if importlib.util.find_spec("httptools") else "h11",
        "uvicorn_workers": 1,
        "load_generator": load_generator,
        "load_average_at_start": _load_average(),
    }


def _load_average() -> float:
    """The 1-minute load average: other work on the machine skews every figure here."""
    return round(os.getloadavg()[0], 2)


# -- targets ---------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Verdict:
    """One target of the issue, what was measured against it, and whether it is met."""

    target: str
    measured: str
    met: bool | None  # None: not measured in this run


def judge(results: dict[str, Any]) -> list[Verdict]:
    """The issue's targets: per path, `serve` (both forms) >= 0.6 of bare ASGI on the fastest
    stack with p99 <= 2x bare's; start-up; the 1M-log filter; the kit vs plain Schemathesis."""
    verdicts = []
    for path, measured in results["throughput"]["paths"].items():
        for name in MOCK_APPS:
            app = measured["apps"].get(name)
            if app is None:
                continue
            verdicts.append(
                Verdict(
                    f"{path}: `coder-audit-mock {name}` >= 0.6 x bare ASGI, p99 <= 2 x bare's",
                    f"{app['ratio_to_bare']:.3f}, p99 {app['p99_ratio_to_bare']:.2f} x",
                    app["ratio_to_bare"] >= 0.6 and app["p99_ratio_to_bare"] <= 2,
                )
            )
    largest = [size for size in results["filtered"] if size["log_count"] >= 1_000_000]
    if largest:
        keys = largest[0]["keys"]
        worst = max(keys, key=lambda key: keys[key]["app"]["p50_ms"])
        app = keys[worst]["app"]
        verdicts.append(
            Verdict(
                "filtered query over 1M logs, p50 <= 10 ms (slowest key, through the app)",
                f"{app['p50_ms']:.2f} ms, CPU {app['cpu_p50_ms']:.2f} ms ({worst})",
                app["p50_ms"] <= 10,
            )
        )
    else:
        verdicts.append(Verdict("filtered query over 1M logs, p50 <= 10 ms", "not run", None))
    startup = results["startup"]
    verdicts.append(
        Verdict(
            f"start-up with {startup['log_count']:,} logs < 1 s (to the first 200)",
            f"{startup['median_ready_s']:.2f} s (server CPU {startup['median_cpu_s']:.2f} s)",
            startup["median_ready_s"] < 1,
        )
    )
    versus = results["contracts"].get("versus_plain")
    if versus:
        kit, plain = versus["kit"]["requests_per_second"], versus["plain"]["requests_per_second"]
        verdicts.append(
            Verdict(
                "contract kit over HTTP >= plain `schemathesis run` (requests answered per second)",
                f"{kit:.1f} vs {plain:.1f}",
                kit >= plain,
            )
        )
    return verdicts


# -- the markdown report -----------------------------------------------------------------------


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


MOCK_APPS = ("serve", "serve --quiet")
_LABELS = {
    "bare": "bare ASGI, constant body (uvloop + httptools)",
    "starlette": "Starlette, constant body (same stack)",
    "serve": "`coder-audit-mock serve` as installed (access log on)",
    "serve --quiet": "`coder-audit-mock serve --quiet` as installed",
}
_THROUGHPUT_COLUMNS = (
    "app",
    "req/s",
    "ratio to bare",
    "p50 ms",
    "p99 ms",
    "p99 / bare's",
    "server CPU µs/req",
    "CPU ratio",
    "body bytes",
    "errors",
)


def _throughput_lines(throughput: dict[str, Any]) -> list[str]:
    plan = throughput["plan"]
    lines = [
        (
            f"### Over HTTP ({plan['log_count']:,} logs; {throughput['load_generator']}; "
            f"{plan['threads']} threads x {plan['connections']} connections; median of "
            f"{plan['rounds']} x {plan['seconds']:g} s; every server one uvicorn worker)"
        )
    ]
    for path, measured in throughput["paths"].items():
        rows = [
            [
                _LABELS.get(name, name),
                f"{app['requests_per_second']:,.0f}",
                f"**{app['ratio_to_bare']:.2f}**",
                f"{app['p50_ms']:.2f}",
                f"{app['p99_ms']:.2f}",
                f"{app['p99_ratio_to_bare']:.2f}",
                f"{app['server_cpu_us_per_request']:.0f}",
                f"{app['cpu_ratio_to_bare']:.2f}",
                measured["body_bytes"][name],
                app["errors"],
            ]
            for name, app in measured["apps"].items()
        ]
        lines += [
            "",
            f"#### {path}: GET {measured['target']}",
            "",
            *_table(_THROUGHPUT_COLUMNS, rows),
        ]
    memory = ", ".join(
        f"{name}: {mib['rss_mib']:.0f} MiB"
        for name, mib in throughput["memory_after_load_mib"].items()
    )
    lines += ["", f"Resident memory after the load: {memory}."]
    return lines


def _filtered_lines(filtered: list[dict[str, Any]]) -> list[str]:
    header = ["key"]
    for size in filtered:
        header += [f"{size['log_count']:,}: app p50 / p99", "store p50 / p99"]
    largest = f"{filtered[-1]['log_count']:,}"
    header += [f"app CPU p50 at {largest}", f"matches at {largest}"]
    rows = []
    for key in filtered[0]["keys"]:
        row: list[object] = [key]
        for size in filtered:
            timing = size["keys"][key]
            row += [_pair(timing["app"]), _pair(timing["store"])]
        at_largest = filtered[-1]["keys"][key]
        row += [f"{at_largest['app']['cpu_p50_ms']:.3f}", at_largest["median_count"]]
        rows.append(row)
    builds = ", ".join(f"{s['log_count']:,}: {s['build_s']:.1f} s" for s in filtered)
    heading = (
        f"### Filtered queries, limit=25, ms (in process; {filtered[0]['runs']} values per key)"
    )
    note = f"Building the mock (generate + index): {builds}. `matches`: median count (cap 2001)."
    return [heading, "", *_table(header, rows), "", note]


def _pair(timing: dict[str, float]) -> str:
    return f"{timing['p50_ms']:.3f} / {timing['p99_ms']:.3f}"


def _startup_lines(startup: dict[str, Any]) -> list[str]:
    heading = (
        f"### Start-up with {startup['log_count']:,} logs ({startup['via']}; "
        f"median of {len(startup['runs'])})"
    )
    return [
        heading,
        "",
        *_table(
            [
                "to first 200",
                "server CPU to first 200",
                "VmRSS",
                "VmHWM (peak)",
                "VmRSS with no logs",
                "per stored log",
                "command",
            ],
            [
                [
                    f"{startup['median_ready_s']:.2f} s",
                    f"{startup['median_cpu_s']:.2f} s",
                    f"{startup['median_rss_mib']:.0f} MiB",
                    f"{startup['median_hwm_mib']:.0f} MiB",
                    f"{startup['no_logs']['rss_mib']:.0f} MiB",
                    f"{startup['bytes_per_log']:,} bytes",
                    f"`{startup['command']}`",
                ]
            ],
        ),
    ]


def _contract_lines(contracts: dict[str, Any]) -> list[str]:
    if contracts["status"] != "measured":
        return [f"### Contract tests: {contracts['status']} ({contracts['detail']})"]
    examples = contracts["max_examples"] or "profile default"
    rows = [
        [transport, kind, run["cases"], run["seconds"], run["cases_per_second"], run["failures"]]
        for transport, kinds in contracts["runs"].items()
        for kind, run in kinds.items()
    ]
    heading = (
        f"### Contract tests (run_contract, depth {contracts['depth']}, seed "
        f"{contracts['seed']}, max_examples {examples})"
    )
    lines = [
        heading,
        "",
        *_table(["transport", "run", "cases", "seconds", "cases/s", "failures"], rows),
    ]
    versus = contracts.get("versus_plain")
    if versus:
        kit, plain = versus["kit"], versus["plain"]
        lines += [
            "",
            (
                f"Over HTTP, requests a fresh `serve` answered (its journal) per second of the run, "
                f"{versus['max_examples']} examples per operation, seed 0:"
            ),
            "",
            *_table(
                ["runner", "requests", "seconds", "requests/s"],
                [
                    [
                        "the kit's Schemathesis run (`run_contract(semantic=False)`)",
                        kit["requests"],
                        kit["seconds"],
                        kit["requests_per_second"],
                    ],
                    [
                        f"plain `{plain['command']}`",
                        plain["requests"],
                        plain["seconds"],
                        plain["requests_per_second"],
                    ],
                ],
            ),
        ]
    return lines


def markdown(results: dict[str, Any]) -> str:
    """The human-readable report printed at the end of a run."""
    machine = results["machine"]
    verdicts = [
        [v.target, v.measured, {True: "met", False: "MISSED", None: "not measured"}[v.met]]
        for v in judge(results)
    ]
    contracts = results["contracts"]
    setting = (
        f"{machine['cpu']}, {machine['cores']} cores, {machine['python']}, "
        + ", ".join(f"{name} {version}" for name, version in machine["versions"].items())
        + f", commit {machine['git_commit']}"
        f"{' + local changes' if machine['git_worktree_changed'] else ''}, {machine['date_utc']}; "
        f"load average {machine['load_average_at_start']} at start, "
        f"{machine['load_average_at_end']} at end"
    )
    if max(machine["load_average_at_start"], machine["load_average_at_end"]) > 0.5:
        setting += " (other work was running: absolute figures are pessimistic, ratios less so)"
    lines = [
        f"## coder-audit-mock benchmark{' (--quick)' if results['quick'] else ''}",
        "",
        setting,
        "",
        *_throughput_lines(results["throughput"]),
        "",
        *_filtered_lines(results["filtered"]),
        "",
        *_startup_lines(results["startup"]),
        "",
        *_contract_lines(contracts),
        "",
        "### Targets",
        "",
        *_table(["target", "measured", "verdict"], verdicts),
    ]
    return "\n".join(lines)


# -- the command -------------------------------------------------------------------------------


def _step(title: str, work: Callable[[], Any]) -> Any:
    print(f"bench: {title} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    result = work()
    print(f"bench: {title}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; write the JSON results and print the markdown report."""
    parser = argparse.ArgumentParser(prog="python bench/run.py", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="short runs, no 1M logs: checks the script only"
    )
    parser.add_argument(
        "--load",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="HTTP load generator: wrk if on PATH (auto), wrk or fail, or the Python fallback",
    )
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT, help="the JSON results")
    args = parser.parse_args(argv)
    env = _importable_env()
    # Imported only now: they need `coder_audit_mock`, which _importable_env may have just found.
    from _contracts import measure_contracts
    from _http_bench import LoadPlan, measure_startup, measure_throughput
    from _load import LoadGenerator
    from _queries import measure_size

    plan = Plan.quick() if args.quick else Plan.full()
    load = LoadGenerator.choose(args.load)
    load_plan = LoadPlan(
        log_count=plan.http_log_count,
        rounds=plan.rounds,
        seconds=plan.seconds,
        warmup_seconds=plan.warmup_seconds,
        connections=plan.connections,
        max_requests=plan.max_requests,
        threads=plan.threads,
    )
    results: dict[str, Any] = {
        "command": "python bench/run.py" + (" --quick" if args.quick else ""),
        "quick": args.quick,
        "machine": machine_facts(load.name),
    }
    results["throughput"] = _step(
        "HTTP throughput", lambda: measure_throughput(load, load_plan, env)
    )
    results["startup"] = _step(
        "start-up", lambda: measure_startup(plan.startup_log_count, plan.startup_runs, env)
    )
    results["filtered"] = [
        _step(
            f"filtered queries, {size:,} logs",
            functools.partial(measure_size, size, plan.query_runs),
        )
        for size in plan.sizes
    ]
    results["contracts"] = _step(
        "contract speed", lambda: measure_contracts(env, plan.contract_max_examples)
    )
    results["machine"]["load_average_at_end"] = _load_average()
    results["targets"] = [dataclasses.asdict(verdict) for verdict in judge(results)]
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
