"""JSON as Coder's Go server writes it (reference §1.5).

Go's `encoding/json` (through `httpapi.Write`) differs from Python's `json.dumps` in ways a
byte-comparing client can see: compact separators, raw UTF-8 instead of `\\uXXXX`, HTML escaping
of `<`, `>`, `&` and of U+2028/U+2029, `\\u0008`/`\\u000c` instead of `\\b`/`\\f`, and a
trailing newline from `json.Encoder.Encode`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.responses import Response

MEDIA_TYPE = "application/json; charset=utf-8"

_HTML_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_HTML_ESCAPE_RE = re.compile("[<>&\u2028\u2029]")
# Consume escaped backslashes first so that the `b` of `\\b` (a backslash then the letter b) is
# never mistaken for the `\b` escape.
_CONTROL_ESCAPE_RE = re.compile(r"\\\\|\\b|\\f")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_CONTROL_ESCAPES = {"\\\\": "\\\\", "\\b": "\\u0008", "\\f": "\\u000c"}


def go_json_text(value: Any) -> str:
    """Encode `value` as Go's `json.Marshal` would (without the trailing newline).

    Example:
        >>> go_json_text({"q": "<a & b>", "ok": True})
        '{"q":"\\\\u003ca \\\\u0026 b\\\\u003e","ok":true}'
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    if _HTML_ESCAPE_RE.search(text):
        text = _HTML_ESCAPE_RE.sub(lambda m: _HTML_ESCAPES[m.group()], text)
    if "\\b" in text or "\\f" in text:
        text = _CONTROL_ESCAPE_RE.sub(lambda m: _CONTROL_ESCAPES[m.group()], text)
    return text


def go_json_bytes(value: Any) -> bytes:
    """UTF-8 bytes of `go_json_text(value)`; lone surrogates become U+FFFD as in Go.

    Example:
        >>> go_json_bytes(["é"])
        b'["\\xc3\\xa9"]'
    """
    text = go_json_text(value)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates (from \\ud800-style escapes): U+FFFD, as Go
        return _SURROGATE_RE.sub("\ufffd", text).encode("utf-8")


class GoJSONResponse(Response):
    """A JSON response written the way Coder's `httpapi.Write` writes it.

    Example:
        >>> GoJSONResponse({"message": "Route not found."}, status_code=404).body
        b'{"message":"Route not found."}\\n'
    """

    media_type = MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        if isinstance(
            content, bytes
        ):  # already encoded (the audit page is assembled from cached parts)
            return content + b"\n"
        return go_json_bytes(content) + b"\n"
