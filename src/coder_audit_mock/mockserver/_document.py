"""The project's own OpenAPI 3.1 documents for Coder's audit-log API, shipped as package data.

`openapi.json` beside this module is generated from the enums in `_model.py` by
`tools/build_openapi.py`, and `openapi-2023-01.json` (the 2023-01 profile's) by
`tools/build_openapi.py --profile 2023-01` from `_profiles.py` (never edit them by hand; `--check`
tells whether they are current). This module only reads them: nothing at import time.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

DOCUMENT_FILE = "openapi.json"


@functools.cache
def _document_text(file_name: str) -> str:
    # importlib.resources (not __file__ arithmetic) so the document is found in wheels and zips.
    return (
        resources.files("coder_audit_mock.mockserver")
        .joinpath(file_name)
        .read_text(encoding="utf-8")
    )


def openapi_document(profile: str = "newest") -> dict[str, Any]:
    """Return a fresh copy of a profile's packaged OpenAPI 3.1 document (callers may mutate it).

    The file is read once and cached as text; every call parses it anew, so no caller can
    change what the next one gets.

    Args:
        profile: "newest" (default) or "2023-01" (`_profiles.PROFILES`).

    Raises:
        MockServerError: an unknown profile.

    Example:
        >>> document = openapi_document()
        >>> document["openapi"], sorted(document["paths"])
        ('3.1.0', ['/api/v2/audit', '/api/v2/audit/testgenerate'])
        >>> "count_cap" in openapi_document("2023-01")["components"]["schemas"]["AuditLogResponse"]["properties"]
        False
    """
    from ._profiles import get_profile

    document: dict[str, Any] = json.loads(_document_text(get_profile(profile).openapi_file))
    return document


def openapi_file_name(profile: str = "newest") -> str:
    """The package-data file that holds a profile's document (for reports).

    Raises:
        MockServerError: an unknown profile.

    Example:
        >>> openapi_file_name("2023-01")
        'openapi-2023-01.json'
    """
    from ._profiles import get_profile

    return get_profile(profile).openapi_file
