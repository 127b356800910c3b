"""Every docstring example in the package runs and prints what it says (`doctest`).

The project's style gives each public name a docstring with an example; an example nobody runs
drifts (two had: a `DataRules` example that crashed the generator, and a `\\n` that broke a
docstring). One test a module, so a failure names it. Modules that need the `contracts` extra
are skipped where it is not installed (tox `pkg` runs the server-only wheel).
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import coder_audit_mock

# Run by `python -m`, or a pytest entry point of its own: no examples to run.
_NOT_IMPORTED = ("coder_audit_mock.__main__", "coder_audit_mock.contracts.suite")
_EXTRAS = frozenset({"httpx", "hypothesis", "schemathesis"})


def _modules() -> list[str]:
    names = [
        info.name
        for info in pkgutil.walk_packages(coder_audit_mock.__path__, "coder_audit_mock.")
        if not info.name.startswith(_NOT_IMPORTED)
    ]
    return sorted(names)


MODULES = _modules()


def test_the_walk_finds_the_package() -> None:
    # Guards the parametrisation below against an empty walk (which would test nothing).
    assert len(MODULES) >= 80
    assert "coder_audit_mock.mockserver._generate" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_hold(name: str) -> None:
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as missing:
        if (missing.name or "").partition(".")[0] in _EXTRAS:
            pytest.skip(f"{name} needs the contracts extra ({missing.name} is not installed)")
        raise
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, report=True)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed"
