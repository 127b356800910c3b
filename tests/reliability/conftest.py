"""Reliability suite: real `coder-audit-mock serve` processes on 127.0.0.1, bounded load, figures.

The short form runs with the default suite (`tox run -e py311-tests`, `.ci/run`); the long form
is `tox run -e reliability` (RELIABILITY_PROFILE=long: a 5-minute soak, more clients, many
more fuzz examples). `_support.Budget` lists the knobs. At the end of a session that ran any
of these tests, the measured figures are printed, and written as JSON to the file named by
RELIABILITY_REPORT when that is set (docs/reliability.md explains each figure).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import pathlib
from collections.abc import Callable, Iterator

import pytest

from ._support import BUDGET, FIGURES, ServedMock, serve_mock


@pytest.fixture(scope="module")
def start_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., ServedMock]]:
    """Start `coder-audit-mock serve FLAGS` processes; all stop when the module's tests are done."""
    with contextlib.ExitStack() as stack:
        directory = tmp_path_factory.mktemp("serve")

        def start(*flags: str, default_host: bool = False) -> ServedMock:
            return stack.enter_context(serve_mock(directory, *flags, default_host=default_host))

        yield start


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FIGURES:
        return
    terminalreporter.section(f"reliability figures ({BUDGET.profile} form)")
    for section, values in FIGURES.items():
        shown = ", ".join(f"{name}={_shown(value)}" for name, value in values.items())
        terminalreporter.write_line(f"{section}: {shown}")
    report = os.environ.get("RELIABILITY_REPORT")
    if report:
        document = {"budget": dataclasses.asdict(BUDGET), "figures": FIGURES}
        path = pathlib.Path(report)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
        terminalreporter.write_line(f"figures written to {report}")


def _shown(value: object) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)
