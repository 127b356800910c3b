"""The `coder-audit-mock` command line: exit codes, one-line errors, the banner, a real server.

This module is self-contained (stdlib + pytest, no conftest fixtures): tox's `pkg` env runs it
with `--noconftest` against the installed wheel, from a directory outside the source tree.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from coder_audit_mock._cli import main
from coder_audit_mock._cli._args import ROLES
from coder_audit_mock.mockserver import DEFAULT_TOKENS

GOOD_TOKEN = "0123456789-abcdefghijklmnopqrstuv"
OTHER_TOKEN = "abcdefghij-0123456789012345678901"


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    """The single line main() wrote to stderr (and nothing on stdout)."""
    out, err = capsys.readouterr()
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    return err.rstrip("\n")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def must_not_run(server: uvicorn.Server, sockets: list[socket.socket]) -> None:
    raise AssertionError("the server started although it should have stopped before")


# --- help --------------------------------------------------------------------------------------


def test_help_lists_serve(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "serve" in capsys.readouterr().out


def test_serve_help_names_every_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--help"]) == 0
    out = capsys.readouterr().out
    for flag in ("--host", "--port", "--seed", "--logs", "--now", "--token", "--quiet"):
        assert flag in out


def test_serve_help_states_the_admin_tokens_rule(capsys: pytest.CaptureFixture[str]) -> None:
    # The rule `--admin-token short` refuses with must be readable before trying it.
    assert main(["serve", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "--admin-token TOKEN require TOKEN (at least 8 printable ASCII characters" in out
    assert main(["serve", "--admin-token", "short"]) == 2
    assert "at least 8 printable ASCII characters, no spaces" in capsys.readouterr().err


# --- bad flags: one line, exit 2 --------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["serve", "--port", "abc"], "argument --port: invalid port 'abc'"),
        (["serve", "--port", "65536"], "argument --port: invalid port '65536'"),
        (["serve", "--port", "-1"], "argument --port: invalid port '-1'"),
        (["serve", "--logs", "-1"], "argument --logs: invalid log count '-1'"),
        (["serve", "--logs", "many"], "argument --logs: invalid log count 'many'"),
        (["serve", "--logs", "1000001"], "argument --logs: invalid log count '1000001'"),
        (["serve", "--seed", "-3"], "argument --seed: invalid seed '-3'"),
        (["serve", "--seed", "1.5"], "argument --seed: invalid seed '1.5'"),
        (["serve", "--now", "yesterday"], "argument --now: invalid time 'yesterday'"),
        (["serve", "--now", "2024-05-01"], "argument --now: invalid time '2024-05-01'"),
        (["serve", "--now", "2024-05-01T12:00:00"], "invalid time '2024-05-01T12:00:00'"),
        (["serve", "--now", "2024-13-01T00:00:00Z"], "invalid time '2024-13-01T00:00:00Z'"),
        (["serve", "--now", "2024-05-01T12:00:00+24:00"], "invalid time"),
        (["serve", "--now", "1969-12-31T23:59:59Z"], "expected a time from 1970-01-01T00:00:00Z"),
        (["serve", "--now", "9999-06-01T00:00:00Z"], "to before 9999-01-01T00:00:00Z"),
        (["serve", "--token", "foo"], "argument --token: invalid value 'foo': expected ROLE=TOKEN"),
        (["serve", "--token", f"boss={GOOD_TOKEN}"], "unknown role 'boss'"),
        (["serve", "--token", "owner=abc"], "invalid token 'abc' for owner"),
        (["serve", "--token", f"owner={GOOD_TOKEN[:-1]}"], "invalid token"),
        (["serve", "--token", f"owner={GOOD_TOKEN}-x"], "invalid token"),
        (["serve", "--host", ""], "argument --host: empty host"),
        (["serve", "--bogus"], "unrecognized arguments: --bogus"),
        (["launch"], "invalid choice: 'launch'"),
        ([], "the following arguments are required: COMMAND"),
    ],
)
def test_bad_flag_is_one_line_and_exit_2(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    line = one_error_line(capsys)
    assert line.startswith("coder-audit-mock")
    assert ": error: " in line
    assert expected in line


def test_bad_value_names_the_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "abc"]) == 2
    assert one_error_line(capsys).startswith("coder-audit-mock serve: error: argument --port:")


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        ([f"owner={GOOD_TOKEN}", f"owner={OTHER_TOKEN}"], "owner is given more than once"),
        ([f"owner={GOOD_TOKEN}", f"member={GOOD_TOKEN}"], "would share token"),
        ([f"owner={DEFAULT_TOKENS['member']}"], "would share token"),
    ],
)
def test_conflicting_tokens_are_a_usage_error(
    tokens: list[str],
    expected: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(uvicorn.Server, "run", must_not_run)
    argv = ["serve", "--port", "0"]
    for token in tokens:
        argv += ["--token", token]
    assert main(argv) == 2
    assert expected in one_error_line(capsys)


def test_every_role_has_a_default_token_of_coders_shape(capsys: pytest.CaptureFixture[str]) -> None:
    # Drift guard: the CLI's role list is the mock's, and each built-in token passes --token.
    assert set(ROLES) == set(DEFAULT_TOKENS)
    for role, token in DEFAULT_TOKENS.items():
        assert main(["serve", "--token", f"{role}={token}", "--help"]) == 0
    capsys.readouterr()


# --- serve, with uvicorn's loop replaced --------------------------------------------------------


class FakeRun:
    """Stands in for `uvicorn.Server.run`: records what it was given, then behaves as told."""

    def __init__(self, *, started: bool = True, interrupt: bool = False) -> None:
        self.started = started
        self.interrupt = interrupt
        self.address: tuple[Any, ...] = ()

    def install(self, monkeypatch: pytest.MonkeyPatch) -> FakeRun:
        def run(server: uvicorn.Server, sockets: list[socket.socket]) -> None:
            self.record(server, sockets)

        monkeypatch.setattr(uvicorn.Server, "run", run)
        return self

    def record(self, server: uvicorn.Server, sockets: list[socket.socket]) -> None:
        (sock,) = sockets
        self.address = sock.getsockname()
        if self.interrupt:
            raise KeyboardInterrupt
        server.started = self.started


@pytest.fixture
def fake_run(monkeypatch: pytest.MonkeyPatch) -> FakeRun:
    return FakeRun().install(monkeypatch)


def test_serve_binds_loopback_and_prints_the_banner(
    fake_run: FakeRun, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--seed", "7", "--logs", "25", "--now", "2024-05-01T14:00:00+02:00"]
    assert main(["serve", "--port", "0", *data, "--token", f"owner={GOOD_TOKEN}"]) == 0
    out, err = capsys.readouterr()
    host, port = fake_run.address
    assert host == "127.0.0.1" and port > 0
    assert f"http://127.0.0.1:{port}/api/v2/audit" in out
    assert "seed  7" in out
    assert "logs  25" in out
    assert "now   2024-05-01T12:00:00Z" in out  # converted to UTC
    tokens = {**DEFAULT_TOKENS, "owner": GOOD_TOKEN}
    for role, token in tokens.items():
        assert any(line.split()[:2] == [role, token] for line in out.splitlines()), role
    assert DEFAULT_TOKENS["owner"] not in out
    assert err == ""


def test_serve_defaults(fake_run: FakeRun, capsys: pytest.CaptureFixture[str]) -> None:
    # The default port is 3000, which may be busy on a developer's machine: check the parsed
    # defaults through the banner of a server on port 0 instead.
    assert main(["serve", "--port", "0", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "seed  0" in out and "logs  1000" in out


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("2024-05-01t12:00:00z", "2024-05-01T12:00:00Z"),
        ("2024-05-01T12:00:00.123456789Z", "2024-05-01T12:00:00.123456Z"),
        ("2024-05-01T00:30:00-01:00", "2024-05-01T01:30:00Z"),
    ],
)
def test_now_accepts_rfc3339(
    given: str, shown: str, fake_run: FakeRun, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--port", "0", "--now", given]) == 0
    assert f"now   {shown}" in capsys.readouterr().out


def test_now_now_is_the_wall_clock(fake_run: FakeRun, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "0", "--now", "now"]) == 0
    year = time.gmtime().tm_year
    assert f"now   {year}-" in capsys.readouterr().out


def test_ctrl_c_exits_0_quietly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    FakeRun(interrupt=True).install(monkeypatch)
    assert main(["serve", "--port", "0"]) == 0
    assert capsys.readouterr().err == ""


def test_app_that_fails_to_start_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    FakeRun(started=False).install(monkeypatch)
    assert main(["serve", "--port", "0", "--quiet"]) == 1


def test_port_in_use_is_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(uvicorn.Server, "run", must_not_run)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 1
    line = one_error_line(capsys)
    assert line.startswith(f"coder-audit-mock serve: error: cannot listen on 127.0.0.1:{port}: ")
    assert "already in use" in line


def test_address_not_on_this_machine_is_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(uvicorn.Server, "run", must_not_run)
    # 192.0.2.1 is TEST-NET-1 (RFC 5737): never a local address; bind() sends no traffic.
    assert main(["serve", "--host", "192.0.2.1", "--port", "0"]) == 1
    assert "cannot listen on 192.0.2.1:0: " in one_error_line(capsys)


# --- a real process over real HTTP --------------------------------------------------------------


@dataclasses.dataclass
class Served:
    """A `serve` process; `out` and `err` are filled in when it has stopped."""

    process: subprocess.Popen[str]
    base: str
    out: str = ""
    err: str = ""


@contextlib.contextmanager
def running_server(*flags: str) -> Iterator[Served]:
    """`python -m coder_audit_mock serve --port <free> *flags`, ready to answer, stopped after."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "coder_audit_mock", "serve", "--port", str(port), *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    served = Served(process, f"http://127.0.0.1:{port}")
    try:
        wait_until_ready(process, port)
        yield served
    finally:
        if process.poll() is None:  # the test did not stop it
            process.kill()
        served.out, served.err = process.communicate(timeout=15)


def wait_until_ready(process: subprocess.Popen[str], port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            time.sleep(0.05)
        else:
            return
    raise AssertionError(f"the server did not listen on port {port} within {timeout} s")


def get_audit(base: str, query: str = "") -> tuple[int, bytes]:
    request = urllib.request.Request(
        f"{base}/api/v2/audit{query}", headers={"Coder-Session-Token": DEFAULT_TOKENS["owner"]}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.skipif(os.name == "nt", reason="SIGINT to a child process is POSIX-only")
def test_real_server_answers_and_stops_on_ctrl_c() -> None:
    with running_server("--logs", "50") as served:
        status, body = get_audit(served.base)
        served.process.send_signal(signal.SIGINT)
        served.process.wait(timeout=15)
    assert status == 200
    page = json.loads(body)
    assert page["count"] == 50
    assert len(page["audit_logs"]) == 50
    assert served.process.returncode == 0
    assert f"{served.base}/api/v2/audit" in served.out  # the banner
    assert re.search(r"^GET /api/v2/audit\S* 200\b", served.out, re.MULTILINE)  # access log
    assert "Traceback" not in served.err


def test_same_settings_give_byte_identical_bodies_in_two_processes() -> None:
    def flags(seed: str) -> tuple[str, ...]:
        return ("--seed", seed, "--logs", "40", "--now", "2024-05-01T12:00:00Z", "--quiet")

    with (
        running_server(*flags("3")) as first,
        running_server(*flags("3")) as second,
        running_server(*flags("4")) as other_seed,
    ):
        bodies = [get_audit(served.base, "?limit=40") for served in (first, second, other_seed)]
    assert [status for status, _ in bodies] == [200, 200, 200]
    assert bodies[0][1] == bodies[1][1]
    assert bodies[0][1] != bodies[2][1]
    assert "/api/v2/audit" in first.out  # the banner, but --quiet: no access log line
    assert not re.search(r"^GET ", first.out, re.MULTILINE)


@pytest.mark.skipif(
    importlib.util.find_spec("schemathesis") is not None,
    reason="the contracts extra is installed here; `tox run -e pkg` runs this without it",
)
@pytest.mark.parametrize("argv", [["check"], ["diff", "--left", "mock", "--right", "mock"]])
def test_without_the_contracts_extra_check_and_diff_say_so_in_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert "pip install 'coder-audit-mock[contracts]'" in line
