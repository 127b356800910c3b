"""The README's install story, in fresh environments (slow: it builds a wheel and installs it).

The wheel built from this tree goes into a new virtual environment for a project of its own,
as README "Install" says (`pip install --find-links DIR 'coder-audit-mock[...]'`); its
dependencies come from the package index, so these tests need one (PyPI).

- base install: `serve`'s CLI and the fixtures work; `check` and `diff` say in one line that
  they need the contracts extra and exit 2; `coder_audit_schema` errors in one line.
- with the contracts extra and the newest pytest (9.2 when this was written): the extra keeps
  the project's pytest, and the fixtures, `coder_audit_schema` included, pass.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 600

pytestmark = pytest.mark.slow

PROJECT_TESTS = textwrap.dedent(
    """
    def test_lists_logs(coder_audit_client):
        assert coder_audit_client.get("/api/v2/audit", params={"limit": 5}).status_code == 200

    def test_live_server(coder_audit_server):
        import httpx
        token = {"Coder-Session-Token": coder_audit_server.tokens["owner"]}
        assert httpx.get(coder_audit_server.url + "/api/v2/audit", headers=token).status_code == 200

    def test_schema(coder_audit_schema, coder_audit_target):
        listing = coder_audit_schema["/api/v2/audit"]["GET"]
        case = listing.Case(query={"limit": 5}, headers=coder_audit_target.auth("auditor"))
        case.validate_response(case.call())
    """
)


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
    )


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(dist), str(ROOT)], ROOT
    )
    assert built.returncode == 0, built.stderr
    return dist


def _project(tmp: Path, wheels: Path, *requirements: str) -> Path:
    """A new project directory with its own .venv holding `requirements`; returns its python."""
    created = _run([sys.executable, "-m", "venv", str(tmp / ".venv")], tmp)
    assert created.returncode == 0, created.stderr
    python = tmp / ".venv" / "bin" / "python"
    installed = _run(
        [str(python), "-m", "pip", "install", "-q", "--find-links", str(wheels), *requirements],
        tmp,
    )
    assert installed.returncode == 0, installed.stderr
    (tmp / "test_project.py").write_text(PROJECT_TESTS, "utf-8")
    return python


def test_the_base_install_from_a_wheel(tmp_path: Path, wheels: Path) -> None:
    python = _project(tmp_path, wheels, "coder-audit-mock", "pytest")
    cli = str(python.parent / "coder-audit-mock")
    assert _run([cli, "serve", "--help"], tmp_path).returncode == 0
    for command in (["check"], ["diff", "--left", "mock", "--right", "mock:2023-01"]):
        refused = _run([cli, *command], tmp_path)
        assert refused.returncode == 2
        assert refused.stderr.count("\n") == 1, refused.stderr
        assert "needs the contracts extra" in refused.stderr
    tests = _run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"], tmp_path)
    assert "2 passed, 1 error" in tests.stdout, tests.stdout
    assert "coder_audit_schema needs schemathesis, which is not installed" in tests.stdout
    assert "Traceback" not in tests.stdout


def test_the_contracts_extra_keeps_the_projects_newest_pytest(tmp_path: Path, wheels: Path) -> None:
    python = _project(tmp_path, wheels, "coder-audit-mock[contracts]", "pytest")
    latest = _run([str(python), "-m", "pip", "index", "versions", "pytest"], tmp_path)
    version = _run([str(python), "-c", "import pytest; print(pytest.__version__)"], tmp_path)
    # pip installed the newest pytest the index has: the extra does not hold it back.
    assert f"pytest ({version.stdout.strip()})" in latest.stdout, (latest.stdout, version.stdout)
    tests = _run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"], tmp_path)
    assert "3 passed" in tests.stdout, tests.stdout
