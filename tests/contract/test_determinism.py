"""One request stream per seed, whatever the install: an editable install, a wheel, `python -m`.

Each install is a fresh virtual environment holding only coder-audit-mock (built from this
checkout, no dependencies); a `.pth` file lends it this environment's packages, after its own.
The runs check the in-process mock and print the digest of every request they sent: equal
digests are the same requests. Before the kit switched off Hypothesis's harvest of constants
from local modules, an editable install (the kit's own source is "local" to Hypothesis) and a
wheel sent different streams for the same seed.

The slow test runs the quick depth for seeds 0-4, both profiles, from both installs, against
the project's own mock: a false alarm there would fail a user's CI for nothing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIGEST = re.compile(r"^  stream    sha256 ([0-9a-f]{64}) ", re.MULTILINE)
SHOW_MODULE = "import coder_audit_mock, sys; print(coder_audit_mock.__file__)"
pytestmark = pytest.mark.skipif(
    not (ROOT / "pyproject.toml").is_file(), reason="needs the source checkout to build from"
)


def _install(home: Path, *what: str) -> Path:
    """A venv at `home` with `pip install --no-deps <what>`; returns its bin directory."""
    venv.create(home, with_pip=True)
    bin_dir = home / "bin"
    python = bin_dir / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", *what],
        check=True,
        capture_output=True,
        timeout=600,
    )
    # Then (not before: pip would take the lent copy of coder-audit-mock for installed) this
    # environment's packages (schemathesis, hypothesis, ...), after the venv's own: a .pth
    # line appends, and "zz" sorts after the editable install's own .pth file.
    Path(purelib, "zz_lend_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    assert (bin_dir / "coder-audit-mock").is_file(), f"pip installed no console script in {home}"
    return bin_dir


@pytest.fixture(scope="module")
def installs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """install kind -> its bin directory: "editable" (from the checkout) and "wheel"."""
    base = tmp_path_factory.mktemp("installs")
    wheels = base / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", wheels, ROOT],
        check=True,
        capture_output=True,
        timeout=600,
    )
    [wheel] = wheels.glob("coder_audit_mock-*.whl")
    found = {
        "editable": _install(base / "editable", "--editable", str(ROOT)),
        "wheel": _install(base / "wheel", str(wheel)),
    }
    for kind, bin_dir in found.items():
        where = subprocess.run(
            [bin_dir / "python", "-c", SHOW_MODULE], check=True, capture_output=True, text=True
        ).stdout
        in_checkout = where.startswith(str(ROOT / "src"))
        assert in_checkout == (kind == "editable"), (kind, where)
    return found


def _check(command: list[str | Path], cwd: Path, *args: str, hash_seed: str = "0") -> str:
    """Run `check` with `args`; returns its report (the run must pass)."""
    environment = {**os.environ, "PYTHONHASHSEED": hash_seed}
    environment.pop("CODER_URL", None)
    environment.pop("CODER_SESSION_TOKEN", None)
    finished = subprocess.run(
        [*command, "check", *args],
        check=False,
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    return finished.stdout


def _digest(report: str) -> str:
    match = DIGEST.search(report)
    assert match is not None, report[:2000]
    return match.group(1)


def test_the_same_seed_sends_the_same_stream_from_every_install(
    installs: dict[str, Path], tmp_path: Path
) -> None:
    few = ("--seed", "3", "--max-examples", "3")
    runs = {
        # The checkout as working directory: its modules are the most "local" there are.
        "editable, console script, in the checkout": _check(
            [installs["editable"] / "coder-audit-mock"], ROOT, *few
        ),
        "wheel, console script, elsewhere": _check(
            [installs["wheel"] / "coder-audit-mock"], tmp_path, *few, hash_seed="1"
        ),
        "wheel, python -m, in the checkout": _check(
            [installs["wheel"] / "python", "-m", "coder_audit_mock"], ROOT, *few, hash_seed="77"
        ),
        "editable, python -m, elsewhere": _check(
            [installs["editable"] / "python", "-m", "coder_audit_mock"], tmp_path, *few
        ),
    }
    digests = {name: _digest(report) for name, report in runs.items()}
    assert len(set(digests.values())) == 1, digests
    assert not (tmp_path / ".hypothesis").exists()  # nothing written into the working directory


@pytest.mark.slow
@pytest.mark.parametrize("profile", ["newest", "2023-01"])
@pytest.mark.parametrize("kind", ["editable", "wheel"])
def test_no_false_alarm_against_the_projects_own_mock(
    installs: dict[str, Path], kind: str, profile: str, tmp_path: Path
) -> None:
    digests = set()
    for seed in range(5):
        report = _check(
            [installs[kind] / "coder-audit-mock"],
            tmp_path,
            "--seed",
            str(seed),
            "--profile",
            profile,
        )
        assert report.startswith("coder-audit-mock check: passed"), report[:3000]
        digests.add(_digest(report))
    assert len(digests) == 5  # five seeds, five streams
