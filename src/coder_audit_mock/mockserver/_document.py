"""The project's own OpenAPI 3.1 document for Coder's audit-log API, shipped as package data.

`openapi.json` beside this module is generated from the enums in `_model.py` by
`tools/build_openapi.py` (never edit it by hand; `python tools/build_openapi.py --check` tells
whether it is current). This module only reads it: stdlib only, nothing at import time.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

DOCUMENT_FILE = "openapi.json"


@functools.cache
def _document_text() -> str:
    # importlib.resources (not __file__ arithmetic) so the document is found in wheels and zips.
    return (
        resources.files("coder_audit_mock.mockserver")
        .joinpath(DOCUMENT_FILE)
        .read_text(encoding="utf-8")
    )


def openapi_document() -> dict[str, Any]:
    """Return a fresh copy of the packaged OpenAPI 3.1 document (callers may mutate it).

    The file is read once and cached as text; every call parses it anew, so no caller can
    change what the next one gets.

    Example:
        >>> document = openapi_document()
        >>> document["openapi"], sorted(document["paths"])
        ('3.1.0', ['/api/v2/audit', '/api/v2/audit/testgenerate'])
    """
    document: dict[str, Any] = json.loads(_document_text())
    return document
