"""`serve`'s HTTP protocol (`coder_audit_mock._http`): httptools, and h11 where httptools refuses.

Coder answers a method outside chi's list (or a lower-case one) 405 with an empty body; httptools
cannot parse such a request at all. These tests send raw bytes to a real `serve` process.
"""

from __future__ import annotations

import re
import socket
import time

import pytest

from coder_audit_mock._http import http_protocol
from coder_audit_mock.mockserver import DEFAULT_TOKENS

from .test_cli import running_server

OWNER = DEFAULT_TOKENS["owner"].encode()


def exchange(base: str, *chunks: bytes, pause: float = 0.05) -> bytes:
    """Send `chunks` on one connection (pausing between them), then read until it closes."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        for chunk in chunks:
            sock.sendall(chunk)
            time.sleep(pause)
        received = b""
        while data := sock.recv(65536):
            received += data
    return received


def request(method: bytes, *, close: bool, token: bool = False) -> bytes:
    lines = [method + b" /api/v2/audit?limit=1 HTTP/1.1", b"Host: mock"]
    if token:
        lines.append(b"Coder-Session-Token: " + OWNER)
    if close:
        lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n"


def status_lines(received: bytes) -> list[bytes]:
    # Bodies end in "\n" (Go's JSON encoder), so the next answer's status line may follow one.
    return re.findall(rb"HTTP/1\.1 \d{3} [A-Za-z ]+(?=\r\n)", received)


def test_httptools_is_used_when_installed() -> None:
    pytest.importorskip("httptools")
    protocol = http_protocol()
    assert not isinstance(protocol, str)
    assert protocol.__name__ == "FaithfulHttpToolsProtocol"


def test_methods_httptools_refuses_are_answered_as_coder_does() -> None:
    with running_server("--logs", "5", "--quiet") as served:
        answers = {
            method: exchange(served.base, request(method, close=True))
            for method in (b"BREW", b"get", b"QUERY", b"GET")
        }
        # One keep-alive connection: a normal request first, then one httptools refuses,
        # each in its own packet.
        mixed = exchange(
            served.base,
            request(b"GET", close=False, token=True),
            request(b"BREW", close=True),
            pause=0.3,
        )
    for method in (b"BREW", b"get", b"QUERY"):
        assert status_lines(answers[method]) == [b"HTTP/1.1 405 Method Not Allowed"], method
        assert answers[method].endswith(b"\r\n\r\n")  # no body
        assert b"allow:" not in answers[method].lower()
    assert status_lines(answers[b"GET"]) == [b"HTTP/1.1 401 Unauthorized"]
    assert status_lines(mixed) == [b"HTTP/1.1 200 OK", b"HTTP/1.1 405 Method Not Allowed"]
