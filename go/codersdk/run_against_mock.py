"""Run the Go codersdk tests (go/codersdk) against a throwaway `coder-audit-mock serve`.

Started by `tox run -e go` (extra arguments go to `go test`, e.g. `tox run -e go -- -run Paging
-v`), or by hand with any Python that has coder-audit-mock installed:

    .venv/bin/python go/codersdk/run_against_mock.py [--logs N] [GO TEST ARGS...]

Without `go` on PATH it prints why and exits 0 (a skip). Otherwise it starts the mock on a free
port of 127.0.0.1 with seed 0, waits (bounded) until it answers, exports CODER_URL, CODER_TOKEN
and the role tokens published at /_mock/tokens, and CODER_ALLOW_WRITES=1 (the mock is thrown
away), runs `go test -count=1 ./...` in this directory, stops the mock and exits with go test's
status.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
STARTUP_SECONDS = 60.0
STOP_SECONDS = 10.0
URL_LINE = re.compile(r"^\s*URL\s+(http://\S+?)/api/v2/audit\s*$")
# Role of the mock -> environment variable the Go tests read.
ROLE_VARIABLES = {
    "owner": "CODER_TOKEN",
    "auditor": "CODER_AUDITOR_TOKEN",
    "org-auditor": "CODER_ORG_AUDITOR_TOKEN",
    "member": "CODER_MEMBER_TOKEN",
}


def start_mock(logs: int) -> tuple[subprocess.Popen[str], str]:
    """Start `serve` on a free port; return the process and its root URL once it answers."""
    command = [sys.executable, "-m", "coder_audit_mock", "serve", "--host", "127.0.0.1"]
    command += ["--port", "0", "--seed", "0", "--logs", str(logs), "--quiet"]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        bufsize=1,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + STARTUP_SECONDS
    banner: list[str] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise RuntimeError(f"no URL from `serve` in {STARTUP_SECONDS:.0f} s: {''.join(banner)}")
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            continue
        if line is None:
            raise RuntimeError(
                f"`serve` exited ({process.wait()}) before serving: {''.join(banner)}"
            )
        banner.append(line)
        match = URL_LINE.match(line)
        if match:
            return process, match.group(1)


def fetch_tokens(root: str) -> dict[str, str]:
    """GET /_mock/tokens until it answers (bounded): {role: token}."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            with urllib.request.urlopen(f"{root}/_mock/tokens", timeout=5) as response:
                roles: dict[str, str] = json.load(response)["roles"]
                return roles
        except (urllib.error.URLError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument(
        "--logs",
        type=int,
        default=2500,
        help="audit logs in the mock (default 2500: more than count_cap, so the cap is exercised)",
    )
    args, go_args = parser.parse_known_args(argv)
    go = shutil.which("go")
    if go is None:
        print("SKIPPED: `go` is not on PATH, so the Go codersdk tests (go/codersdk) did not run.")
        return 0
    process, root = start_mock(args.logs)
    try:
        tokens = fetch_tokens(root)
        env = dict(os.environ, CODER_URL=root, CODER_ALLOW_WRITES="1")
        for role, variable in ROLE_VARIABLES.items():
            if role in tokens:
                env[variable] = tokens[role]
        print(f"mock: {root} (seed 0, {args.logs} logs); running go test in {HERE}", flush=True)
        return subprocess.call([go, "test", "-count=1", *go_args, "./..."], cwd=HERE, env=env)
    finally:
        stop(process)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
