"""Servers the contract tests reach by URL: `serve` as a real process, and a Coder-like app
that is not this mock (no `/_mock` admin API), each on a free loopback port."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

START_SECONDS = 30.0
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def serve_process(*flags: str) -> Iterator[str]:
    """`coder-audit-mock serve` as a real process on a free loopback port; yields its origin."""
    port = free_port()
    command = [sys.executable, "-m", "coder_audit_mock", "serve", "--host", "127.0.0.1"]
    process = subprocess.Popen(
        [*command, "--port", str(port), "--quiet", *flags],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    origin = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(origin, process)
        yield origin
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
        if process.poll() is None:
            process.kill()
            process.wait()


def wait_until_up(origin: str, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            assert process.stderr is not None
            pytest.fail(f"serve exited with {process.returncode}: {process.stderr.read().decode()}")
        with contextlib.suppress(httpx.TransportError):
            httpx.get(f"{origin}/api/v2/audit", timeout=1)
            return
        time.sleep(0.1)
    pytest.fail(f"the server did not answer on {origin} within {START_SECONDS} s")


class CountingApp:
    """An ASGI app that counts the requests of each method before passing them on."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.methods: dict[str, int] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.methods[scope["method"]] = self.methods.get(scope["method"], 0) + 1
        await self.app(scope, receive, send)

    @property
    def writes(self) -> int:
        """Requests whose method may change data (Schemathesis's probes with OPTIONS or QUERY,
        answered 405, cannot)."""
        return sum(n for method, n in self.methods.items() if method in UNSAFE_METHODS)


@contextlib.contextmanager
def serve_app(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn in a thread on a free loopback port; yields its origin."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    origin = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(origin)
        yield origin
    finally:
        server.should_exit = True
        thread.join(timeout=10)
