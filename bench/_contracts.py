"""Contract-test speed: test cases per second, in process and over HTTP.

Every run is `run_contract` with the same seed against a fresh mock (the runner writes logs
through testgenerate). The first run in the process also pays for Schemathesis's and
Hypothesis's lazy set-up (seconds), so it is reported apart. Then each transport gets two
runs: Schemathesis alone (`semantic=False`; a case is one request it sent), and the whole
contract (Schemathesis plus the semantic checks, whose cases are Hypothesis examples that may
send several requests each). Over HTTP the mock runs as `coder-audit-mock serve` (or
bench/serve.py) with the same seed and log count as in process.

Over HTTP, the kit's Schemathesis run is compared with plain `schemathesis run` (the CLI) on
the same schema, the kit's document (`read_document()`: the project's OpenAPI document with the
links that give Schemathesis a stateful phase), written to a file: same token header, seed and
examples per operation, with `--continue-on-failure` (the kit's waivers excuse its known
failures; plain Schemathesis would otherwise stop an operation at the first), each against a
fresh `serve` of its own. There a case is an HTTP request the server answered: both are
counted the same way, from the server's request journal.
"""

from __future__ import annotations

import contextlib
import json
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from typing import Any

from _http_bench import bench_serve_command, cli_serve_command
from _servers import free_port, running_server

from coder_audit_mock.mockserver import DEFAULT_LOG_COUNT, DEFAULT_TOKENS

_SEED = 0
TRANSPORTS = ("in-process", "http")


def measure_contracts(env: Mapping[str, str], max_examples: int | None) -> dict[str, Any]:
    """Cases per second per transport, or why it could not be measured."""
    try:
        from coder_audit_mock.contracts import open_target, run_contract
    except ImportError as error:
        return {"status": "missing", "detail": f"coder_audit_mock.contracts: {error}"}

    def timed(transport: str, semantic: bool) -> dict[str, Any]:
        with _target(transport, env, open_target) as target:
            report = run_contract(
                target, seed=_SEED, depth="quick", max_examples=max_examples, semantic=semantic
            )
        cases = report.requests_sent + sum(result.examples_run for result in report.semantic)
        return {
            "cases": cases,
            "seconds": report.elapsed_seconds,
            "cases_per_second": round(cases / report.elapsed_seconds, 1),
            "failures": len(report.failures),
        }

    results: dict[str, Any] = {"status": "measured", "depth": "quick", "seed": _SEED}
    results["max_examples"] = max_examples
    runs: dict[str, dict[str, Any]] = {"in-process": {"first run": timed("in-process", True)}}
    for transport in TRANSPORTS:
        runs.setdefault(transport, {})["schemathesis"] = timed(transport, False)
        runs[transport]["whole contract"] = timed(transport, True)
    results["runs"] = runs
    results["versus_plain"] = measure_kit_versus_plain(env, max_examples, open_target, run_contract)
    results["detail"] = _summary(runs)
    return results


def measure_kit_versus_plain(
    env: Mapping[str, str], max_examples: int | None, open_target: Any, run_contract: Any
) -> dict[str, Any]:
    """HTTP requests answered per second: the kit's Schemathesis run vs plain `schemathesis run`."""
    examples = 25 if max_examples is None else max_examples  # the quick depth's
    plain_cli = shutil.which("schemathesis") or str(
        pathlib.Path(sys.executable).with_name("schemathesis")
    )
    from coder_audit_mock.contracts import read_document

    document = read_document()
    results: dict[str, Any] = {"max_examples": examples}
    with _served(env) as url:
        with open_target(url, token=DEFAULT_TOKENS["owner"], tokens=DEFAULT_TOKENS) as target:
            report = run_contract(
                target, seed=_SEED, depth="quick", max_examples=max_examples, semantic=False
            )
        results["kit"] = _rate(url, report.elapsed_seconds, len(report.failures))
    with _served(env) as url, tempfile.TemporaryDirectory() as scratch:
        schema_file = pathlib.Path(scratch) / "openapi.json"
        schema_file.write_text(json.dumps(dict(document.content)), encoding="utf-8")
        command = [
            plain_cli, "run", str(schema_file), "--url", url + document.base_path.rstrip("/"),
            "--header", f"Coder-Session-Token: {DEFAULT_TOKENS['owner']}",
            "--max-examples", str(examples), "--seed", str(_SEED), "--continue-on-failure",
        ]  # fmt: skip
        started = time.monotonic()
        completed = subprocess.run(
            command, capture_output=True, text=True, env=dict(env), timeout=900, check=False
        )
        wall = time.monotonic() - started
        # Its own run time (the summary's "in 8.95s"), without the interpreter's start.
        found = re.findall(r" in ([0-9.]+)s =+\s*$", completed.stdout)
        seconds = float(found[-1]) if found else wall
        results["plain"] = {
            **_rate(url, seconds, None),
            "command": " ".join(["schemathesis", *command[1:]])
            .replace(DEFAULT_TOKENS["owner"], "OWNER_TOKEN")
            .replace(str(schema_file), "KIT_DOCUMENT.json")
            .replace(url, "http://127.0.0.1:PORT"),
            "wall_seconds": round(wall, 2),
            "exit_code": completed.returncode,
        }
    return results


@contextlib.contextmanager
def _served(env: Mapping[str, str]) -> Iterator[str]:
    command = cli_serve_command(env, DEFAULT_LOG_COUNT) or bench_serve_command(
        "mock", "--logs", str(DEFAULT_LOG_COUNT)
    )
    port = free_port()
    headers = {"Coder-Session-Token": DEFAULT_TOKENS["owner"]}
    with running_server([*command, "--port", str(port)], port, "/openapi.json", headers, env):
        yield f"http://127.0.0.1:{port}"


def _rate(url: str, seconds: float, failures: int | None) -> dict[str, Any]:
    """Requests the server's journal holds (but the admin and readiness ones), per second."""
    with urllib.request.urlopen(f"{url}/_mock/journal", timeout=30) as response:
        entries = json.load(response)["entries"]
    answered = sum(1 for entry in entries if not entry["path"].startswith("/_mock"))
    answered -= 1  # the readiness probe
    return {
        "requests": answered,
        "seconds": round(seconds, 2),
        "requests_per_second": round(answered / seconds, 1) if seconds else 0.0,
        "failures": failures,
    }


@contextlib.contextmanager
def _target(transport: str, env: Mapping[str, str], open_target: Any) -> Iterator[Any]:
    if transport == "in-process":
        with open_target() as target:
            yield target
        return
    command = cli_serve_command(env, DEFAULT_LOG_COUNT) or bench_serve_command(
        "mock", "--logs", str(DEFAULT_LOG_COUNT)
    )
    port = free_port()
    headers = {"Coder-Session-Token": DEFAULT_TOKENS["owner"]}
    target_path = "/api/v2/audit?limit=1"
    with running_server([*command, "--port", str(port)], port, target_path, headers, env):
        url = f"http://127.0.0.1:{port}"
        with open_target(url, token=DEFAULT_TOKENS["owner"], tokens=DEFAULT_TOKENS) as target:
            yield target


def _summary(runs: Mapping[str, Mapping[str, Any]]) -> str:
    parts = []
    for transport in TRANSPORTS:
        for kind, run in runs[transport].items():
            parts.append(
                f"{transport} {kind}: {run['cases']} cases in {run['seconds']:.1f} s = "
                f"{run['cases_per_second']:.1f}/s, {run['failures']} failures"
            )
    return "; ".join(parts)
