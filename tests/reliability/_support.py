"""What the reliability tests share: the budget, a real server process, HTTP clients, figures.

Every wait here is bounded: a server that does not start, a socket that never answers, a load
loop that runs long, all end with a failure that says what was waited for, never with a hang.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import http.client
import json
import math
import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from coder_audit_mock.mockserver import DEFAULT_TOKENS

LOOPBACK = "127.0.0.1"
AUDIT = "/api/v2/audit"
TESTGENERATE = "/api/v2/audit/testgenerate"
COUNT_CAP = 2000  # §1.1 step 9 / §3.1: `count` is at most COUNT_CAP + 1
INTERNAL_ERROR = "An internal server error occurred."
# §1.2: the only 500s Coder itself answers to testgenerate input (a value outside a
# database enum, a NUL in jsonb, a number beyond Postgres `numeric` in jsonb, a caller who may
# read but not create logs). The mock's `numeric` ends at 4300 digits (MAX_NUMBER_DIGITS).
DOCUMENTED_500_DETAILS = (
    "pq: invalid input value for enum ",
    "pq: unsupported Unicode escape sequence",
    "pq: value overflows numeric format",
    "unauthorized",
)
REQUEST_TIMEOUT_S = 10.0  # one request longer than this is a hang
_START_TIMEOUT_S = 60.0
_STOP_TIMEOUT_S = 10.0
# uvicorn closes a keep-alive connection idle for 5 s; reconnect before that can bite.
_IDLE_RECONNECT_S = 3.0


# --- budget -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Budget:
    """How much each reliability test does: the short form (default) or the long one.

    `RELIABILITY_PROFILE=long` (what `tox run -e reliability` sets) picks the long form; each
    figure can also be set alone through its environment variable (see `from_environment`).
    """

    profile: str
    clients: int
    requests_per_client: int
    soak_seconds: float
    fuzz_examples: int
    time_limit_s: float  # the wall-clock bound of every load loop and every fuzz test

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Budget:
        profile = environ.get("RELIABILITY_PROFILE", "short")
        if profile not in _PROFILES:
            raise ValueError(f"RELIABILITY_PROFILE={profile!r}: expected one of {list(_PROFILES)}")
        base = _PROFILES[profile]
        return dataclasses.replace(
            base,
            clients=int(environ.get("RELIABILITY_CLIENTS", base.clients)),
            requests_per_client=int(
                environ.get("RELIABILITY_REQUESTS_PER_CLIENT", base.requests_per_client)
            ),
            soak_seconds=float(environ.get("RELIABILITY_SOAK_SECONDS", base.soak_seconds)),
            fuzz_examples=int(environ.get("RELIABILITY_FUZZ_EXAMPLES", base.fuzz_examples)),
            time_limit_s=float(environ.get("RELIABILITY_TIME_LIMIT_S", base.time_limit_s)),
        )


_PROFILES = {
    "short": Budget("short", 12, 25, 6.0, 120, 40.0),
    "long": Budget("long", 48, 250, 300.0, 2500, 900.0),
}
BUDGET = Budget.from_environment()


class Deadline:
    """A wall-clock limit for a loop: `while deadline: ...` stops when the time is up."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def __bool__(self) -> bool:
        return time.monotonic() < self.end

    @property
    def left(self) -> float:
        return max(0.0, self.end - time.monotonic())


# --- figures ------------------------------------------------------------------------------------

FIGURES: dict[str, dict[str, Any]] = {}


def record(section: str, **values: Any) -> None:
    """Add measured figures under `section`; the session prints them all at the end."""
    FIGURES.setdefault(section, {}).update(values)


def add(section: str, name: str, amount: int) -> None:
    """Add `amount` to a counter figure (for figures summed over several tests)."""
    figures = FIGURES.setdefault(section, {})
    figures[name] = figures.get(name, 0) + amount


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (`share` from 0 to 1) of `values`; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


# --- the server process ---------------------------------------------------------------------------


@dataclasses.dataclass
class ServedMock:
    """A `coder-audit-mock serve` process on 127.0.0.1 that has answered its first request.

    Attributes:
        process: the server process (its pid is the one whose memory is read).
        port: where it listens.
        output: the file receiving its stdout and stderr.
        banner_end: the offset in `output` after the start-up banner (which lists the tokens).
    """

    process: subprocess.Popen[bytes]
    port: int
    output: pathlib.Path
    banner_end: int

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def alive(self) -> bool:
        return self.process.poll() is None

    def rss_bytes(self) -> int | None:
        """The process's resident memory (Linux `/proc`), or None where it cannot be read."""
        try:
            status = pathlib.Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return None
        match = re.search(r"^VmRSS:\s+(\d+) kB$", status, re.MULTILINE)
        return int(match.group(1)) * 1024 if match else None

    def log_after_banner(self) -> str:
        """Everything the server wrote after its banner: access-log lines, warnings, errors."""
        return self.output.read_bytes()[self.banner_end :].decode("utf-8", "replace")


@contextlib.contextmanager
def serve_mock(
    tmp_dir: pathlib.Path, *flags: str, default_host: bool = False
) -> Iterator[ServedMock]:
    """Run `python -m coder_audit_mock serve --port 0 FLAGS` on 127.0.0.1; stop it afterwards.

    `--host 127.0.0.1` is passed unless `default_host` asks to rely on the default (which the
    safe-defaults test checks is that same address). The server's output goes to a file, never
    to a pipe: a pipe nobody drains would block the server once its buffer is full, which is a
    hang this suite would then report as the mock's.
    """
    output = tmp_dir / f"serve-{time.monotonic_ns()}.log"
    command = [sys.executable, "-m", "coder_audit_mock", "serve", "--port", "0", *flags]
    if not default_host:
        command += ["--host", LOOPBACK]
    with output.open("wb") as sink:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        port, banner_end = _wait_for_banner(process, output)
        served = ServedMock(process, port, output, banner_end)
        _wait_until_answering(served)
        yield served
    finally:
        _stop(process)


def _wait_for_banner(process: subprocess.Popen[bytes], output: pathlib.Path) -> tuple[int, int]:
    deadline = Deadline(_START_TIMEOUT_S)
    while deadline:
        text = output.read_bytes()
        port = re.search(rb"URL +http://127\.0\.0\.1:(\d+)/api/v2/audit\n", text)
        end = text.find(b"Press Ctrl-C to stop.\n")
        if port and end >= 0:
            return int(port.group(1)), end + len(b"Press Ctrl-C to stop.\n")
        if process.poll() is not None:
            raise RuntimeError(f"serve exited with {process.returncode}: {text.decode()}")
        time.sleep(0.02)
    raise RuntimeError(f"serve printed no banner within {_START_TIMEOUT_S} s")


def _wait_until_answering(served: ServedMock) -> None:
    # The banner is printed once the socket is bound; uvicorn starts listening a moment later.
    deadline = Deadline(_START_TIMEOUT_S)
    while deadline:
        with contextlib.suppress(OSError):
            if Http(served.port).request("GET", AUDIT).status == 401:
                return
        if not served.alive():
            raise RuntimeError(f"serve exited with {served.process.returncode}")
        time.sleep(0.02)
    raise RuntimeError(f"serve did not answer within {_START_TIMEOUT_S} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown, as Ctrl-C
        try:
            process.wait(_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(_STOP_TIMEOUT_S)


# --- HTTP -------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP answer: status, headers (lower-case names), body, and how long it took."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)


def auth(role: str) -> dict[str, str]:
    """The header that signs in as one of the built-in roles (§6.1)."""
    return {"Coder-Session-Token": DEFAULT_TOKENS[role]}


class Http:
    """One keep-alive HTTP/1.1 connection to the server (not shared between threads).

    A failed request is never retried: a retried testgenerate could store a log twice, and the
    tests count exactly what was stored.
    """

    def __init__(self, port: int, *, timeout: float = REQUEST_TIMEOUT_S) -> None:
        self.port = port
        self.timeout = timeout
        self._connection: http.client.HTTPConnection | None = None
        self._last_used = 0.0

    def request(
        self,
        method: str,
        target: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> Answer:
        connection = self._fresh_connection()
        started = time.perf_counter()
        try:
            connection.request(method, target, body=body, headers=dict(headers or {}))
            response = connection.getresponse()
            data = response.read()
        except BaseException:
            self.close()
            raise
        seconds = time.perf_counter() - started
        self._last_used = time.monotonic()
        if response.will_close:
            self.close()
        answer_headers = {name.lower(): value for name, value in response.getheaders()}
        return Answer(response.status, answer_headers, data, seconds)

    def get(self, target: str, role: str = "owner") -> Answer:
        return self.request("GET", target, headers=auth(role))

    def testgenerate(self, fields: Mapping[str, Any], role: str = "owner") -> Answer:
        body = json.dumps(fields).encode()
        headers = {**auth(role), "Content-Type": "application/json"}
        return self.request("POST", TESTGENERATE, headers=headers, body=body)

    def _fresh_connection(self) -> http.client.HTTPConnection:
        if self._connection is not None and time.monotonic() - self._last_used > _IDLE_RECONNECT_S:
            self.close()
        if self._connection is None:
            self._connection = http.client.HTTPConnection(LOOPBACK, self.port, timeout=self.timeout)
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


@dataclasses.dataclass(frozen=True, slots=True)
class RawAnswer:
    """What came back on a raw socket: the parsed answer, or None if the server just closed."""

    status: int | None
    body: bytes
    seconds: float


def raw_exchange(port: int, data: bytes, *, timeout: float = REQUEST_TIMEOUT_S) -> RawAnswer:
    """Send `data` as is on a new connection and read one answer (or the server closing).

    Raises `TimeoutError` when the server neither answers nor closes within `timeout`: for a
    complete request, that is a hang.
    """
    started = time.perf_counter()
    with socket.create_connection((LOOPBACK, port), timeout=timeout) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(data)
        # The method tells the parser whether a body follows (none after HEAD).
        response = http.client.HTTPResponse(sock, method=data.split(b" ", 1)[0].decode("latin-1"))
        try:
            response.begin()
            body = response.read()
        except (http.client.RemoteDisconnected, ConnectionResetError):
            return RawAnswer(None, b"", time.perf_counter() - started)
        except TimeoutError as error:
            raise TimeoutError(f"no answer within {timeout} s to {data[:80]!r}") from error
        return RawAnswer(response.status, body, time.perf_counter() - started)


def build_request(
    method: bytes,
    target: bytes,
    headers: Sequence[tuple[bytes, bytes]] = (),
    body: bytes = b"",
) -> bytes:
    """An HTTP/1.1 request's bytes, with Host, Content-Length and `Connection: close` added."""
    lines = [method + b" " + target + b" HTTP/1.1", b"Host: " + LOOPBACK.encode()]
    lines += [name + b": " + value for name, value in headers]
    lines += [b"Content-Length: " + str(len(body)).encode(), b"Connection: close"]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


# --- what every answer must look like -----------------------------------------------------------


def problems_with(status: int | None, body: bytes, *, testgenerate: bool = False) -> list[str]:
    """Why an answer to hostile input is unacceptable; empty when it is fine.

    Acceptable: no answer at all (the server refused malformed HTTP by closing), any status
    below 500, and on testgenerate the 500s real Coder gives (§1.2). Never a
    traceback, never a 500 from the mock's catch-all handler.
    """
    problems = []
    if b"Traceback" in body or b'File "' in body:
        problems.append("a traceback in the body")
    if status is None or status < 500:
        return problems
    detail = _coder_detail(body)
    if not (testgenerate and status == 500 and detail.startswith(DOCUMENTED_500_DETAILS)):
        problems.append(f"status {status} with body {body[:300]!r}")
    return problems


def _coder_detail(body: bytes) -> str:
    try:
        decoded = json.loads(body)
    except ValueError:
        return ""
    if not isinstance(decoded, dict) or decoded.get("message") != INTERNAL_ERROR:
        return ""
    detail = decoded.get("detail", "")
    return detail if isinstance(detail, str) else ""


def page_problems(answer: Answer, *, limit: int, offset: int) -> list[str]:
    """Whether a GET /api/v2/audit page agrees with itself (§1.1 step 9, §3.1).

    `count` is the capped total, the list has exactly the rows the total leaves after `offset`
    (up to `limit`; 0 means Coder's 100), newest first, with no id twice.
    """
    if answer.status != 200:
        return [f"status {answer.status}: {answer.body[:200]!r}"]
    body = answer.json()
    logs, count = body["audit_logs"], body["count"]
    problems = []
    wanted = limit or 100
    if count <= COUNT_CAP:
        expected: int | None = min(wanted, max(0, count - offset))
    else:  # "more than COUNT_CAP": exact only while the page lies inside the first COUNT_CAP + 1
        expected = wanted if offset + wanted <= count else None
    if count > COUNT_CAP + 1 or body["count_cap"] != COUNT_CAP:
        problems.append(f"count {count} / count_cap {body['count_cap']} beyond the cap")
    if expected is not None and len(logs) != expected:
        problems.append(f"{len(logs)} logs for count {count}, offset {offset}, limit {limit}")
    times = [parse_time(log["time"]) for log in logs]
    if times != sorted(times, reverse=True):
        problems.append("logs not newest first")
    ids = [log["id"] for log in logs]
    if len(set(ids)) != len(ids):
        problems.append("the same log twice on one page")
    return problems


def parse_time(text: str) -> datetime.datetime:
    """An RFC 3339 time as the API writes it (`Z`, 0 to 9 fraction digits) -> aware datetime."""
    return datetime.datetime.fromisoformat(text)
