"""Server processes for the benchmark: start one, wait for its first 200, read its memory, stop it.

Everything listens on 127.0.0.1 only, and every wait is bounded.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import IO

HOST = "127.0.0.1"
READY_TIMEOUT_S = 180.0  # a million logs take ~20 s to build; anything beyond this is a hang
_POLL_INTERVAL_S = 0.005
_STOP_TIMEOUT_S = 10.0


class BenchError(RuntimeError):
    """The benchmark cannot go on (a server did not start, a tool failed); the message says why."""


@dataclasses.dataclass
class RunningServer:
    """A server subprocess that has answered 200.

    Attributes:
        process: the subprocess (its pid is the server's, for /proc readings).
        port: where it listens on 127.0.0.1.
        ready_s: seconds from spawning the process to the end of its first 200 answer.
    """

    process: subprocess.Popen[bytes]
    port: int
    ready_s: float

    def memory_mib(self) -> dict[str, float]:
        """`VmRSS` (resident now) and `VmHWM` (peak resident) from /proc/<pid>/status, in MiB."""
        return read_memory_mib(self.process.pid)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server has used so far."""
        return read_cpu_seconds(self.process.pid)


def read_memory_mib(pid: int) -> dict[str, float]:
    """The resident-memory lines of /proc/<pid>/status, in MiB (Linux only).

    Example:
        >>> sorted(read_memory_mib(os.getpid()))
        ['hwm_mib', 'rss_mib']
    """
    wanted = {"VmRSS": "rss_mib", "VmHWM": "hwm_mib"}
    found: dict[str, float] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            name, _, value = line.partition(":")  # e.g. "VmRSS:\t  123456 kB"
            if name in wanted:
                found[wanted[name]] = round(int(value.split()[0]) / 1024, 1)  # kB -> MiB
    return found


def read_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process, from /proc/<pid>/stat (Linux only).

    Other work on the machine delays a server but hardly changes the CPU time each request
    costs it, so CPU per request is the steadier cost measure on a busy machine.

    Example:
        >>> read_cpu_seconds(os.getpid()) > 0
        True
    """
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        # Fields after the parenthesised command name; utime and stime are the 14th and 15th.
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A port that was free on 127.0.0.1 a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def http_get(
    port: int, target: str, headers: Mapping[str, str], timeout: float = 30.0
) -> tuple[int, str, bytes]:
    """One GET on a fresh connection: (status, Content-Type, body)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", target, headers=dict(headers))
        response = connection.getresponse()
        return response.status, response.getheader("content-type", ""), response.read()
    finally:
        connection.close()


@contextlib.contextmanager
def running_server(
    command: Sequence[str],
    port: int,
    target: str,
    headers: Mapping[str, str],
    env: Mapping[str, str],
) -> Iterator[RunningServer]:
    """Spawn `command`, yield once GET `target` answers 200, then stop the process.

    Raises:
        BenchError: the process exited, answered something other than 200, or stayed silent
            for `READY_TIMEOUT_S`; the message ends with the tail of its stderr.
    """
    with tempfile.TemporaryFile() as stderr:
        spawned = time.perf_counter()
        process = subprocess.Popen(
            list(command), stdout=subprocess.DEVNULL, stderr=stderr, env=dict(env)
        )
        try:
            ready_s = _wait_for_200(process, port, target, headers, spawned, stderr)
            yield RunningServer(process, port, ready_s)
        finally:
            _stop(process)


def _wait_for_200(
    process: subprocess.Popen[bytes],
    port: int,
    target: str,
    headers: Mapping[str, str],
    spawned: float,
    stderr: IO[bytes],
) -> float:
    deadline = spawned + READY_TIMEOUT_S
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise BenchError(f"{_shown(process)} exited with {process.returncode}{_tail(stderr)}")
        try:
            status, _, _ = http_get(port, target, headers, timeout=READY_TIMEOUT_S)
        except OSError:  # not listening yet
            time.sleep(_POLL_INTERVAL_S)
            continue
        if status != 200:
            raise BenchError(f"{_shown(process)} answered {status} to GET {target}{_tail(stderr)}")
        return time.perf_counter() - spawned
    raise BenchError(f"{_shown(process)}: no 200 within {READY_TIMEOUT_S:.0f} s{_tail(stderr)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()  # uvicorn shuts down gracefully on SIGTERM
        try:
            process.wait(_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _shown(process: subprocess.Popen[bytes]) -> str:
    args = process.args if isinstance(process.args, list) else [str(process.args)]
    return "`" + " ".join(os.fspath(arg) for arg in args) + "`"


def _tail(stderr: IO[bytes], size: int = 2000) -> str:
    stderr.seek(0)
    text = stderr.read().decode("utf-8", "replace")[-size:].strip()
    return f"; its stderr ends:\n{text}" if text else ""
