"""`coder-audit-mock check`: passes the mock (live and with Coder's Swagger), exit codes 2 and 3.

The runs use `--max-examples 5` (all phases still run; the quick depth itself is timed in
test_runner.py). Coder's Swagger is reference data beside the repository
(`../shared/reference/`): the test that needs it is skipped when it is absent.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from coder_audit_mock._cli import main
from coder_audit_mock.contracts import read_document
from coder_audit_mock.mockserver import DEFAULT_TOKENS

from .live_servers import serve_process

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


@pytest.fixture(scope="module")
def served_mock() -> Iterator[str]:
    """`coder-audit-mock serve` as a real process on a free loopback port; yields its origin."""
    with serve_process() as origin:
        yield origin


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
        (["--token", OWNER], "--token and --role-token need --url"),
        (["--url", "http://x", "--role-token", "boss=1"], "invalid role 'boss'"),
        (["--url", "http://x", "--role-token", "member"], "expected ROLE=TOKEN"),
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


@pytest.mark.parametrize("command", ["serve", "check", "diff", "record"])
def test_every_command_lists_its_exit_codes_in_help(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, "--help"]) == 0
    help_text = capsys.readouterr().out
    codes = help_text.split("exit codes:\n", 1)[1]
    assert "  0  " in codes and "  2  a usage error" in codes
    if command != "serve":
        assert "  3  " in codes


# A Python without the contracts extra: importing schemathesis (or hypothesis) fails as it would.
WITHOUT_EXTRA = (
    "import sys; sys.modules['schemathesis'] = None; sys.modules['hypothesis'] = None; "
    "from coder_audit_mock._cli import main; sys.exit(main(sys.argv[1:]))"
)


@pytest.mark.parametrize(
    "argv",
    [
        ["check"],
        ["check", "--url", "http://127.0.0.1:9"],
        ["diff", "--left", "mock", "--right", "mock"],
    ],
)
def test_a_missing_contracts_extra_is_one_line_and_exit_2(argv: list[str]) -> None:
    finished = subprocess.run(
        [sys.executable, "-c", WITHOUT_EXTRA, *argv],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 2, finished.stderr
    [line] = finished.stderr.splitlines()
    assert "needs the contracts extra, which is not installed" in line
    assert "pip install 'coder-audit-mock[contracts]'" in line
    assert finished.stdout == ""


def test_the_junit_report_times_each_case_and_names_the_seed_and_stream(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit = tmp_path / "check.xml"
    assert main(["check", "--seed", "4", *FEW, "--junit-xml", str(junit)]) == 0
    report = capsys.readouterr().out
    root = ET.parse(junit).getroot()
    assert root.get("seed") == "4"
    digest = root.get("request_digest")
    assert digest is not None and f"stream    sha256 {digest}" in report
    cases = root.findall(".//testcase")
    assert cases and all(float(case.get("time", "-1")) >= 0 for case in cases)
    semantic = [case for case in cases if case.get("classname") == "semantic"]
    assert sum(float(case.get("time", "0")) for case in semantic) > 0
