"""Each package's public surface is deliberate: `__all__` is sorted and names exactly its public names."""

from __future__ import annotations

import importlib
import inspect
import types

import pytest

PACKAGES = [
    "coder_audit_mock",
    "coder_audit_mock.mockserver",
    "coder_audit_mock.contracts",
    "coder_audit_mock.fidelity",
    "coder_audit_mock.fixtures",
]


def isort_style(name: str) -> tuple[int, str]:
    """ruff's RUF022 order: CONSTANTS, then Classes, then everything else, each alphabetical."""
    if name.isupper() or (name.upper() == name and "_" in name):
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_sorted_and_complete(name: str) -> None:
    package = importlib.import_module(name)
    exported = list(package.__all__)
    assert exported == sorted(exported, key=isort_style)
    public = {
        attribute
        for attribute, value in vars(package).items()
        if not attribute.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(exported) - {"__version__"} == public


@pytest.mark.parametrize("name", PACKAGES)
def test_every_public_function_and_class_shows_an_example(name: str) -> None:
    package = importlib.import_module(name)
    for attribute in package.__all__:
        value = getattr(package, attribute)
        if inspect.isfunction(value) or inspect.isclass(value):
            assert ">>>" in (value.__doc__ or ""), f"{name}.{attribute}: docstring has no example"
