"""Sub-runs see the plugin as a project that installed the kit does: through its entry point.

The test environment (tox) installs the wheel, whose `pytest11` entry point `coder_audit` loads
the plugin. A source checkout run with `PYTHONPATH=src` has no installed distribution, so
there the `pytester` fixture gets a minimal `.dist-info` holding just that entry point, on
`sys.path` (in-process sub-runs) and on `PYTHONPATH` (subprocess sub-runs). Either way the
sub-runs find the plugin by name, and `-p no:coder_audit` can block it.
"""

from __future__ import annotations

# The heavy imports below (F401: imported, not used) are here because pytester restores
# `sys.modules` after each in-process sub-run: anything first imported inside one would be
# imported again by the next, seconds each for Schemathesis. The import-lightness test runs in
# a fresh interpreter instead.
import importlib.metadata
import os
import pathlib

import httpx  # noqa: F401
import pytest
import schemathesis  # noqa: F401
import uvicorn  # noqa: F401

import coder_audit_mock
import coder_audit_mock.contracts._schema
import coder_audit_mock.mockserver._standalone

ENTRY_POINT = "coder_audit"
PLUGIN_MODULE = "coder_audit_mock.fixtures.plugin"


def entry_point_installed() -> bool:
    return bool(importlib.metadata.entry_points(group="pytest11", name=ENTRY_POINT))


@pytest.fixture(scope="session")
def entry_point_dir(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path | None:
    """A directory with a dist-info declaring the entry point, or None when one is installed."""
    if entry_point_installed():
        return None
    root = tmp_path_factory.mktemp("entry-point")
    dist_info = root / "coder_audit_mock_source_checkout-0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: coder-audit-mock-source-checkout\nVersion: 0\n", "utf-8"
    )
    (dist_info / "entry_points.txt").write_text(
        f"[pytest11]\n{ENTRY_POINT} = {PLUGIN_MODULE}\n", "utf-8"
    )
    return root


@pytest.fixture
def pytester(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    entry_point_dir: pathlib.Path | None,
) -> pytest.Pytester:
    # The developer's own settings must not leak into the sub-runs.
    for variable in ("CODER_URL", "CODER_SESSION_TOKEN", "PYTEST_ADDOPTS"):
        monkeypatch.delenv(variable, raising=False)
    if entry_point_dir is not None:
        monkeypatch.syspath_prepend(entry_point_dir)
        # Subprocess sub-runs start in another directory: a relative PYTHONPATH=src would miss.
        source_root = pathlib.Path(coder_audit_mock.__file__).resolve().parents[1]
        paths = [
            str(entry_point_dir),
            str(source_root),
            *filter(None, [os.environ.get("PYTHONPATH")]),
        ]
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))
    return pytester
