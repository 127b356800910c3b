"""Faults: clients that vanish mid-request, slow clients, malformed HTTP; others keep being served.

While each fault is injected against a `serve` process, a witness client keeps reading the
table: none of its requests may fail, and none may wait longer than `WITNESS_MAX_S`. A request
cut off mid-body stores nothing; one sent slowly is answered once it is complete.
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from ._support import (
    AUDIT,
    BUDGET,
    LOOPBACK,
    TESTGENERATE,
    Deadline,
    Http,
    ServedMock,
    add,
    auth,
    build_request,
    raw_exchange,
    record,
)

SEEDED_LOGS = 200
WITNESS_MAX_S = 2.0
OWNER_HEADER = b"Coder-Session-Token: " + auth("owner")["Coder-Session-Token"].encode()


@pytest.fixture(scope="module")
def served(start_mock: Callable[..., ServedMock]) -> ServedMock:
    return start_mock("--logs", str(SEEDED_LOGS), "--quiet")


@dataclasses.dataclass
class Witness:
    """A client reading the table in a loop while a fault is going on."""

    port: int
    requests: int = 0
    failures: list[str] = dataclasses.field(default_factory=list)
    slowest_s: float = 0.0
    stop: threading.Event = dataclasses.field(default_factory=threading.Event)

    def run(self) -> None:
        http, deadline = Http(self.port), Deadline(BUDGET.time_limit_s)
        while not self.stop.is_set() and deadline:
            try:
                answer = http.get(f"{AUDIT}?limit=25")
            except OSError as error:
                self.failures.append(repr(error))
                continue
            self.requests += 1
            self.slowest_s = max(self.slowest_s, answer.seconds)
            if answer.status != 200:
                self.failures.append(f"status {answer.status}")


@contextlib.contextmanager
def witnessed(served: ServedMock, fault: str) -> Iterator[None]:
    """Run a witness during the block; then check it was served, fast, without a failure."""
    witness = Witness(served.port)
    thread = threading.Thread(target=witness.run, name=f"witness {fault}")
    thread.start()
    try:
        yield
    finally:
        witness.stop.set()
        thread.join(BUDGET.time_limit_s)
    add("faults", "witness_requests", witness.requests)
    add("faults", "witness_failures", len(witness.failures))
    slowest = max(record_slowest(witness.slowest_s), witness.slowest_s)
    assert witness.failures == [], (fault, witness.failures[:5])
    assert witness.requests > 0, fault
    assert slowest < WITNESS_MAX_S, (fault, slowest)
    assert served.alive(), fault


_SLOWEST: list[float] = [0.0]


def record_slowest(seconds: float) -> float:
    _SLOWEST[0] = max(_SLOWEST[0], seconds)
    record("faults", witness_slowest_ms=round(_SLOWEST[0] * 1000, 1))
    return _SLOWEST[0]


def connect(port: int) -> socket.socket:
    return socket.create_connection((LOOPBACK, port), timeout=5)


def reset_on_close(sock: socket.socket) -> None:
    # SO_LINGER 0: close() sends a RST instead of a FIN, the rudest way to leave.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


# testgenerate requests that were answered 204 here: the only ones that may have stored a log.
ANSWERED_WRITES: list[int] = [0]


def stored(port: int) -> int:
    count: int = Http(port).get(f"{AUDIT}?limit=1").json()["count"]
    return count


def injected(kind: str, count: int = 1) -> None:
    add("faults", "injected", count)
    add("faults", f"injected_{kind}", count)


# --- clients that leave ------------------------------------------------------------------------


@pytest.mark.parametrize("rude", [False, True], ids=["fin", "rst"])
def test_client_gone_mid_body_stores_nothing(served: ServedMock, rude: bool) -> None:
    before = stored(served.port)
    body = b'{"action": "create", "additional_fields": {"padding": "' + b"x" * 400 + b'"}}'
    head = b"POST " + TESTGENERATE.encode() + b" HTTP/1.1\r\nHost: x\r\n" + OWNER_HEADER
    with witnessed(served, "gone mid-body"):
        for _ in range(20):
            sock = connect(served.port)
            if rude:
                reset_on_close(sock)
            sock.sendall(head + f"\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body[:60])
            sock.close()
        injected("gone_mid_body", 20)
    assert stored(served.port) == before


def test_client_gone_mid_headers_or_before_reading(served: ServedMock) -> None:
    big_page = build_request(
        b"GET", f"{AUDIT}?limit=1000".encode(), [(b"Coder-Session-Token", b"")]
    )
    signed_big_page = big_page.replace(
        b"Coder-Session-Token: ", b"Coder-Session-Token: " + OWNER_HEADER.split(b": ")[1]
    )
    with witnessed(served, "gone early"):
        for cut in (1, 5, 20, len(signed_big_page) // 2):
            for rude in (False, True):
                sock = connect(served.port)
                if rude:
                    reset_on_close(sock)
                sock.sendall(signed_big_page[:cut])
                sock.close()
                injected("gone_mid_headers")
        for _ in range(10):  # the whole request, then gone before the 1.5 MB answer is read
            sock = connect(served.port)
            reset_on_close(sock)
            sock.sendall(signed_big_page)
            sock.close()
            injected("gone_before_reading")


# --- slow clients --------------------------------------------------------------------------------


def test_slow_header_senders_do_not_hold_up_others(served: ServedMock) -> None:
    request = build_request(b"GET", AUDIT.encode(), [(b"Coder-Session-Token", b"x" * 10)])
    sockets = [connect(served.port) for _ in range(50)]
    try:
        with witnessed(served, "slowloris"):
            deadline = Deadline(2.0)
            position = 0
            while deadline and position < len(request) - 1:
                for sock in sockets:
                    sock.sendall(request[position : position + 1])
                position += 1
                time.sleep(0.02)
        injected("slow_headers", len(sockets))
    finally:
        for sock in sockets:
            sock.close()


def test_slow_reader_does_not_hold_up_others(served: ServedMock) -> None:
    request = build_request(
        b"GET",
        f"{AUDIT}?limit=1000".encode(),
        [tuple(OWNER_HEADER.split(b": "))],  # type: ignore[list-item]
    )
    readers = []
    try:
        with witnessed(served, "slow readers"):
            for _ in range(5):
                sock = socket.socket()
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                sock.settimeout(5)
                sock.connect((LOOPBACK, served.port))
                sock.sendall(request)
                readers.append(sock)
            time.sleep(1.5)  # the answers sit unread in the socket buffers
            for sock in readers:
                sock.recv(100)  # a trickle, then nothing more
            time.sleep(0.5)
        injected("slow_readers", len(readers))
    finally:
        for sock in readers:
            sock.close()


def test_slow_body_is_answered_once_complete(served: ServedMock) -> None:
    before = stored(served.port)
    body = b'{"action": "create"}'
    head = b"POST " + TESTGENERATE.encode() + b" HTTP/1.1\r\nHost: x\r\n" + OWNER_HEADER
    head += f"\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
    with witnessed(served, "slow body"), connect(served.port) as sock:
        sock.sendall(head)
        for byte in body:
            sock.sendall(bytes([byte]))
            time.sleep(0.05)
        reply = sock.recv(4096)
        injected("slow_body")
    assert reply.startswith(b"HTTP/1.1 204 ")
    ANSWERED_WRITES[0] += 1
    assert stored(served.port) == before + 1


def test_many_idle_connections(served: ServedMock) -> None:
    sockets = []
    try:
        with witnessed(served, "idle connections"):
            sockets = [connect(served.port) for _ in range(200)]
            time.sleep(0.5)
        injected("idle_connections", len(sockets))
    finally:
        for sock in sockets:
            sock.close()


# --- malformed HTTP ------------------------------------------------------------------------------

GET_HEAD = b"GET " + AUDIT.encode() + b" HTTP/1.1\r\nHost: x\r\n" + OWNER_HEADER + b"\r\n"
POST_HEAD = b"POST " + TESTGENERATE.encode() + b" HTTP/1.1\r\nHost: x\r\n" + OWNER_HEADER + b"\r\n"
MALFORMED: dict[str, bytes] = {
    "garbage": b"\x00\x01\x02 hello \xff\xfe\r\n\r\n",
    "tls-hello": bytes.fromhex("16030100a5010000a10303") + b"\x00" * 40 + b"\r\n\r\n",
    "no-version": b"GET /api/v2/audit\r\n\r\n",
    "http-9.9": b"GET /api/v2/audit HTTP/9.9\r\nHost: x\r\n\r\n",
    "lowercase-method-space": b"get  /api/v2/audit  HTTP/1.1\r\nHost: x\r\n\r\n",
    "header-without-colon": GET_HEAD + b"NoColonHere\r\n\r\n",
    "space-before-colon": GET_HEAD + b"X-Bad : 1\r\n\r\n",
    "obs-fold": GET_HEAD + b"X-Folded: a\r\n b\r\n\r\n",
    "nul-in-header": GET_HEAD + b"X-Nul: a\x00b\r\n\r\n",
    "bare-lf": b"GET /api/v2/audit HTTP/1.1\nHost: x\n\n",
    "content-length-letters": POST_HEAD + b"Content-Length: abc\r\n\r\n{}",
    "content-length-negative": POST_HEAD + b"Content-Length: -1\r\n\r\n{}",
    "content-length-huge": POST_HEAD + b"Content-Length: " + b"9" * 5000 + b"\r\n\r\n{}",
    "content-length-twice": POST_HEAD + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}x",
    "length-and-chunked": POST_HEAD
    + b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "bad-chunk-size": POST_HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    "unknown-coding": POST_HEAD + b"Transfer-Encoding: gzip\r\n\r\n{}",
    "body-over-limit": POST_HEAD + b"Content-Length: 2000000\r\n\r\n" + b" " * 2_000_000,
    "huge-request-line": b"GET /api/v2/audit?q=" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    "huge-header": GET_HEAD + b"X-Big: " + b"b" * 70_000 + b"\r\n\r\n",
    "many-headers": GET_HEAD + b"".join(b"X-%d: 1\r\n" % n for n in range(2000)) + b"\r\n",
    "expect-continue": POST_HEAD + b"Expect: 100-continue\r\nContent-Length: 2\r\n\r\n{}",
    "upgrade-websocket": GET_HEAD + b"Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
    "absolute-uri": b"GET http://evil.example/api/v2/audit HTTP/1.1\r\nHost: x\r\n"
    + OWNER_HEADER
    + b"\r\n\r\n",
    "no-host": b"GET /api/v2/audit HTTP/1.1\r\n" + OWNER_HEADER + b"\r\n\r\n",
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_http_is_refused_and_others_are_served(served: ServedMock, name: str) -> None:
    with witnessed(served, name):
        answer = raw_exchange(served.port, MALFORMED[name], timeout=5)
        injected("malformed_http")
    ANSWERED_WRITES[0] += answer.status == 204
    # Refused (4xx) or closed, or for what uvicorn can still read, answered as the API would.
    assert answer.status is None or answer.status < 500, (name, answer)
    assert b"Traceback" not in answer.body


def test_the_server_still_answers_and_lost_nothing(served: ServedMock) -> None:
    """Only complete, answered writes were stored: none cut off, none refused, none twice."""
    assert stored(served.port) == SEEDED_LOGS + ANSWERED_WRITES[0]
    assert Http(served.port).testgenerate({}).status == 204
    assert stored(served.port) == SEEDED_LOGS + ANSWERED_WRITES[0] + 1


def test_no_fault_left_a_traceback_in_the_server_log(served: ServedMock) -> None:
    """A client leaving is not the server's error: no traceback, no "unexpected error" line."""
    log = served.log_after_banner()
    assert "Traceback" not in log and "unexpected error" not in log, log[-3000:]
