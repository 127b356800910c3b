"""`coder-audit-mock check`: passes the mock (live and with Coder's Swagger), exit codes 2 and 3.

The runs use `--max-examples 5` (all phases still run; the quick depth itself is timed in
test_runner.py). Coder's Swagger is reference data beside the repository
(`../shared/reference/`): the test that needs it is skipped when it is absent.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from coder_audit_mock._cli import main
from coder_audit_mock.contracts import read_document
from coder_audit_mock.mockserver import DEFAULT_TOKENS

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
NEWEST = REFERENCE / "coder-audit-swagger.json"
OWNER = DEFAULT_TOKENS["owner"]
FEW = ["--max-examples", "5"]
START_SECONDS = 30.0


@pytest.fixture(autouse=True)
def no_coder_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own Coder settings must not leak into these runs."""
    monkeypatch.delenv("CODER_URL", raising=False)
    monkeypatch.delenv("CODER_SESSION_TOKEN", raising=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def served_mock() -> Iterator[str]:
    """`coder-audit-mock serve` as a real process on a free loopback port; yields its origin."""
    port = free_port()
    command = [sys.executable, "-m", "coder_audit_mock", "serve", "--host", "127.0.0.1"]
    process = subprocess.Popen(
        [*command, "--port", str(port), "--quiet"],
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


def wait_until_up(origin: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            assert process.stderr is not None
            pytest.fail(f"serve exited with {process.returncode}: {process.stderr.read().decode()}")
        with contextlib.suppress(httpx.TransportError):
            httpx.get(f"{origin}/api/v2/audit", timeout=1)
            return
        time.sleep(0.1)
    pytest.fail(f"serve did not answer on {origin} within {START_SECONDS} s")


def test_check_passes_a_live_served_mock(
    served_mock: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--url", served_mock, "--token", OWNER, *FEW]) == 0
    report = capsys.readouterr().out
    assert report.startswith("coder-audit-mock check: passed")
    assert f"target    {served_mock}" in report
    assert "fuzzing: success" in report


def test_check_takes_url_and_token_from_the_environment(
    served_mock: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODER_URL", served_mock)
    unknown_token = "0123456789-abcdefghijklmnopqrstuv"
    monkeypatch.setenv("CODER_SESSION_TOKEN", unknown_token)
    assert main(["check", *FEW]) == 3
    assert "refused the token" in capsys.readouterr().err


@pytest.mark.skipif(not NEWEST.exists(), reason=f"reference data absent: {NEWEST}")
def test_check_with_coders_swagger_passes_the_mock_and_lists_its_waivers(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    junit = tmp_path / "check.xml"
    argv = ["check", "--schema", str(NEWEST), "--seed", "2", "--junit-xml", str(junit), *FEW]
    assert main(argv) == 0
    report = capsys.readouterr().out
    assert report.startswith("coder-audit-mock check: passed")
    assert "[coder-newest]" in report
    waivers = read_document(str(NEWEST)).waivers
    assert f"Waivers applied ({len(waivers)}):" in report
    for waiver in waivers:
        assert f"  {waiver.id} ({waiver.reference})" in report
    properties = [p.get("value", "") for p in ET.parse(junit).getroot().iter("property")]
    assert len([value for value in properties if "applied by:" in value]) == len(waivers)


@pytest.fixture
def closed_port() -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        yield probe.getsockname()[1]  # bound but not listening: connections are refused


def test_an_unreachable_url_exits_3(closed_port: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--url", f"http://127.0.0.1:{closed_port}", "--token", OWNER]) == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    assert line.startswith("coder-audit-mock check: error: cannot reach http://127.0.0.1:")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--url", "http://127.0.0.1:1"], "needs the owner's session token"),
        (["--url", "ftp://example.com", "--token", OWNER], "must start with http:// or https://"),
        (["--schema", "no/such/schema.json"], "cannot read the schema 'no/such/schema.json'"),
        (["--depth", "slow"], "argument --depth: invalid choice: 'slow'"),
        (["--profile", "quick"], "argument --profile: unknown profile 'quick'"),
        (["--seed", "-1"], "argument --seed: invalid value '-1'"),
        (["--max-examples", "0"], "argument --max-examples: invalid value '0'"),
        (["--junit-xml", "no/such/dir/check.xml"], "directory 'no/such/dir' does not exist"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", *argv]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("coder-audit-mock check: error: ") and message in line


def test_help_lists_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "check" in capsys.readouterr().out
