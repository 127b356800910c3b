"""Release metadata: one version, a changelog entry for it, and no cap on the user's pytest."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import coder_audit_mock

ROOT = Path(__file__).resolve().parent.parent


def test_the_installed_version_is_the_one_written_in_the_package() -> None:
    assert metadata.version("coder-audit-mock") == coder_audit_mock.__version__
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert "version" not in project and "version" in project["dynamic"]


def test_the_changelog_has_a_section_for_this_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text("utf-8")
    assert re.search(rf"^## {re.escape(coder_audit_mock.__version__)}\b", changelog, re.MULTILINE)


def test_no_extra_caps_the_users_pytest() -> None:
    # A library must not downgrade its users' test runner (pytest 9.2 was once capped).
    requirements = metadata.requires("coder-audit-mock") or []
    pytest_requirements = [r for r in requirements if re.match(r"pytest\b", r)]
    assert pytest_requirements, requirements
    for requirement in pytest_requirements:
        assert "<" not in requirement.partition(";")[0], requirement
