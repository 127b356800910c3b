"""JSON as Coder's Go server writes it (§1.5).

Go's `encoding/json` (through `httpapi.Write`) differs from Python's `json.dumps` in ways a
byte-comparing client can see: compact separators, raw UTF-8 instead of `\\uXXXX`, HTML escaping
of `<`, `>`, `&` and of U+2028/U+2029, `\\u0008`/`\\u000c` instead of `\\b`/`\\f`, and a
trailing newline from `json.Encoder.Encode`.
"""

from __future__ import annotations

import decimal
import json
import re
import uuid
from typing import Any, Self

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


class ExactNumber(float):
    """A decoded JSON number that remembers how it was written (e.g. `1E+2`, `0.0000001`).

    Postgres `jsonb` keeps numbers as `numeric`, so what Coder writes back depends on the
    text, not on a float's value (see `pg_numeric_text`); it is a float everywhere else.

    Example:
        >>> n = ExactNumber("1E+2")
        >>> n == 100.0, n.text
        (True, '1E+2')
    """

    __slots__ = ("text",)
    text: str

    def __new__(cls, text: str) -> Self:
        number = super().__new__(cls, text)
        number.text = text
        return number


class RawJSON:
    """JSON text written out as it is by `go_json_text` (numbers in the spelling Coder uses).

    It compares equal to the number it spells, so rendered logs still compare with plain values.

    Example:
        >>> go_json_text({"n": RawJSON("0.0000001")}), RawJSON("100") == 100
        ('{"n":0.0000001}', True)
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RawJSON):
            return self.text == other.text
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return decimal.Decimal(self.text) == decimal.Decimal(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(decimal.Decimal(self.text))


def pg_numeric_text(number: float) -> RawJSON:
    """A JSON number as Postgres `jsonb` gives it back: `numeric` output, never an exponent.

    The text kept by `ExactNumber` decides the scale (`1.0` stays `1.0`, `1E+2` is `100`,
    `1e-7` is `0.0000001`); numeric has no negative zero. Seen in the recorded v2.35.1 corpus.

    Example:
        >>> [pg_numeric_text(ExactNumber(t)).text for t in ("1E+2", "1e-7", "-0.0", "1.50")]
        ['100', '0.0000001', '0.0', '1.50']
    """
    if isinstance(number, int):
        return RawJSON(str(number))
    exact = decimal.Decimal(number.text if isinstance(number, ExactNumber) else repr(number))
    if exact.is_zero():
        exact = abs(exact)
    return RawJSON(format(exact, "f"))


def go_float_text(number: float) -> RawJSON:
    """A number as Go's `encoding/json` writes a float64 (a value decoded into `any`).

    Example:
        >>> [go_float_text(x).text for x in (100.0, 1e-7, 1.5e21, -0.0, 0.5)]
        ['100', '1e-7', '1.5e+21', '-0', '0.5']
    """
    exact = decimal.Decimal(repr(float(number))).normalize()
    magnitude = abs(number)
    if magnitude and (magnitude < 1e-6 or magnitude >= 1e21):
        return RawJSON(format(exact, "e"))  # Go cleans e-07 up to e-7, as Decimal writes it
    return RawJSON(format(exact, "f"))


# Raw texts travel through json.dumps as strings holding this marker, then replace them.
_RAW_MARKER = f"\x00raw-{uuid.uuid4().hex}:"
_RAW_RE = re.compile(re.escape(json.dumps(_RAW_MARKER)[:-1]) + r'(\d+)"')


def json_text(value: Any, **options: Any) -> str:
    """`json.dumps(value, **options)` that writes `RawJSON` values as their text.

    Example:
        >>> json_text([RawJSON("1.0")], separators=(",", ":"))
        '[1.0]'
    """
    raws: list[str] = []

    def hook(item: Any) -> Any:
        if isinstance(item, RawJSON):
            raws.append(item.text)
            return f"{_RAW_MARKER}{len(raws) - 1}"
        raise TypeError(f"Object of type {type(item).__name__} is not JSON serializable")

    text = json.dumps(value, default=hook, **options)
    if raws:
        text = _RAW_RE.sub(lambda m: raws[int(m.group(1))], text)
    return text


def jsonable(value: Any) -> Any:
    """`value` as JSON values: UUIDs as their text, tuples as lists, keys as strings.

    Example:
        >>> jsonable({1: (uuid.UUID(int=0),)})
        {'1': ['00000000-0000-0000-0000-000000000000']}
    """
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    return value


def json_kind(value: Any) -> str:
    """What a decoded JSON value is, with its article, for "expected X, got Y" messages.

    The one wording the mock's own inputs (scenarios, fault plans) use; a Python value that
    JSON has no name for is named by its type. Coder's own errors name Go's kinds instead
    (`_testgenerate._json_type`).

    Example:
        >>> [json_kind(v) for v in (None, True, 1.5, "x", [], {})]
        ['null', 'a boolean', 'a number', 'a string', 'an array', 'an object']
        >>> json_kind(b"x")
        'a bytes'
    """
    if value is None:
        return "null"
    if isinstance(value, bool):  # before int: a bool is an int to Python, its own kind to JSON
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def go_json_text(value: Any, *, short_control_escapes: bool = True) -> str:
    """Encode `value` as Go's `json.Marshal` would (without the trailing newline).

    U+0008 and U+000C are `\\b`/`\\f`, as Go 1.22+ writes them (Coder v2.35.1 is built with
    Go 1.26; seen with `diff --exact`); `short_control_escapes=False` writes
    `\\u0008`/`\\u000c` as older Go did (the 2023-01 profile).

    Example:
        >>> go_json_text({"q": "<a & b>", "ok": True})
        '{"q":"\\\\u003ca \\\\u0026 b\\\\u003e","ok":true}'
    """
    text = json_text(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    if _HTML_ESCAPE_RE.search(text):
        text = _HTML_ESCAPE_RE.sub(lambda m: _HTML_ESCAPES[m.group()], text)
    if not short_control_escapes and ("\\b" in text or "\\f" in text):
        text = _CONTROL_ESCAPE_RE.sub(lambda m: _CONTROL_ESCAPES[m.group()], text)
    return text


def go_json_bytes(value: Any, *, short_control_escapes: bool = True) -> bytes:
    """UTF-8 bytes of `go_json_text(value)`; lone surrogates become U+FFFD as in Go.

    Example:
        >>> go_json_bytes(["é\f"]), go_json_bytes(["\f"], short_control_escapes=False)
        (b'["\\xc3\\xa9\\\\f"]', b'["\\\\u000c"]')
    """
    text = go_json_text(value, short_control_escapes=short_control_escapes)
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
