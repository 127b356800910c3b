"""The OpenAPI document of the "newest" version: tools/build_openapi.py's own `build_document`.

The NEWEST builder stays in tools/build_openapi.py because every other version's builder starts
from its building blocks (`base`); this module only says that it is this version's.

Example:
    >>> from types import SimpleNamespace
    >>> build_document(SimpleNamespace(build_document=lambda: {"openapi": "3.1.0"}))
    {'openapi': '3.1.0'}
"""

from __future__ import annotations

from typing import Any


def build_document(base: Any) -> dict[str, Any]:
    """The document, from `base` (tools/build_openapi.py's names, the NEWEST builder)."""
    document: dict[str, Any] = base.build_document()
    return document
