"""Coder's CSRF check (`coderd/httpmw/csrf.go`, on `github.com/justinas/nosurf` v1.2.0).

Coder's root middleware runs it on every request, before authentication and routing. Only
requests that a browser could forge are refused: an unsafe method (not GET, HEAD, OPTIONS or
TRACE) to a path under `/api` that carries the session cookie, where nothing shows that the
caller could also set headers:

```
exempt when: the path matches one of nosurf's exemptions (EXEMPT_PATTERNS)
          or the path does not start with /api (nor /oauth2/authorize)
          or no coder_session_token cookie (an empty one counts as none)
          or the Coder-Session-Token header, or the coder_session_token query parameter,
             equals the cookie
          or a provisioner-daemon header, or an `Authorization: Bearer ...` header, is set
          or X-CSRF-Token verifies against the csrf_token cookie (nosurf's masked token)
```

A refusal is Go's `http.Error`: 400, `text/plain; charset=utf-8`, the message and a newline,
before any JSON error. The recorded v2.35.1 corpus holds both refusals.

The mock never issues the `csrf_token` cookie that nosurf sets on answers (its value is
random); a client that brings one of its own is verified as nosurf verifies it.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from collections.abc import Mapping

from starlette.datastructures import Headers

from ._auth import SESSION_TOKEN_COOKIE, SESSION_TOKEN_HEADER, find_cookie

__all__ = ["BAD_TOKEN_MESSAGE", "csrf_refusal"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
BAD_TOKEN_MESSAGE = (
    "Something is wrong with your CSRF token. Please refresh the page. "
    "If this error persists, try clearing your cookies."
)
MISMATCH_MESSAGE = (
    f'CSRF error encountered. Authentication via "{SESSION_TOKEN_COOKIE}" cookie and '
    f'"{SESSION_TOKEN_HEADER}" header detected, but the values do not match. '
    "To resolve this issue ensure the values used in both match, or only use one of the "
    "authentication methods. You can also try clearing your cookies if this error persists."
)
# csrf.go's ExemptPath and ExemptRegexp calls; Go's MatchString is unanchored.
EXEMPT_PATHS = frozenset({"/api/v2/csp/reports"})
EXEMPT_PATTERNS = tuple(
    re.compile(pattern)
    for pattern in (
        "/api/v2/users/first",
        "api/v2/workspaceagents/me/*",
        "api/v2/workspaceagents/*",
        "api/v2/workspaceproxies/me/*",
        "derp/*",
        "api/v2/scim/*",
        "/organizations/[^/]+/provisionerdaemons/*",
    )
)
_TOKEN_LENGTH = 32  # nosurf's tokenLength


def csrf_refusal(
    method: str, path: str, headers: Headers, query: Mapping[str, list[str]]
) -> str | None:
    """The CSRF refusal's message for a request, or None when Coder lets it through.

    Args:
        method: the HTTP method.
        path: the decoded request path.
        headers: the request headers.
        query: the parsed query (`parse_go_query`).

    Example:
        >>> cookie = Headers({"cookie": "coder_session_token=abc"})
        >>> csrf_refusal("POST", "/api/v2/audit/testgenerate", cookie, {}) == BAD_TOKEN_MESSAGE
        True
        >>> csrf_refusal("GET", "/api/v2/audit", cookie, {}) is None
        True
    """
    if method in SAFE_METHODS or _exempt(path, headers, query):
        return None
    session = find_cookie(headers, SESSION_TOKEN_COOKIE)
    header = headers.get(SESSION_TOKEN_HEADER, "")
    if header and header != session:
        return MISMATCH_MESSAGE
    return BAD_TOKEN_MESSAGE


def _exempt(path: str, headers: Headers, query: Mapping[str, list[str]]) -> bool:
    if path in EXEMPT_PATHS or any(pattern.search(path) for pattern in EXEMPT_PATTERNS):
        return True
    if not (path.startswith(("/api", "/oauth2/authorize"))):
        return True
    session = find_cookie(headers, SESSION_TOKEN_COOKIE)
    if not session:  # no cookie, or an empty one (then the absent header "equals" it)
        return True
    if headers.get(SESSION_TOKEN_HEADER, "") == session:
        return True
    values = query.get(SESSION_TOKEN_COOKIE)
    if (values[0] if values else "") == session:
        return True
    if headers.get("Coder-Provisioner-Daemon-PSK") or headers.get("Coder-Provisioner-Daemon-Key"):
        return True
    if headers.get("authorization", "")[:7].lower() == "bearer ":
        return True
    sent = headers.get("x-csrf-token", "")
    return bool(sent) and _verify(find_cookie(headers, "csrf_token"), sent)


def _verify(real_text: str, sent_text: str) -> bool:
    """nosurf.VerifyToken: both base64; a 64-byte token is masked (pad, then token XOR pad)."""
    real, sent = _unmasked(real_text), _unmasked(sent_text)
    return (
        real is not None
        and sent is not None
        and len(real) == len(sent) == _TOKEN_LENGTH
        and hmac.compare_digest(real, sent)
    )


def _unmasked(text: str) -> bytes | None:
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None
    if len(data) == 2 * _TOKEN_LENGTH:
        pad, token = data[:_TOKEN_LENGTH], data[_TOKEN_LENGTH:]
        return bytes(a ^ b for a, b in zip(token, pad, strict=True))
    return data
