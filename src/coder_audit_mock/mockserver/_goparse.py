"""Go-compatible parsing: what Coder's Go server does to query strings, uuids, dates and integers.

Coder answers bad input with messages produced by Go's standard library, and a faithful mock must
reproduce them byte for byte (§2.1 per-key details, §3.3 dates, §3.4 pagination). Each
function names the Go code it follows:

- `parse_go_query`: `net/url.ParseQuery`, as `r.URL.Query()` uses it (errors discarded).
- `go_lower`: `strings.ToLower` (Coder lowercases the whole search query, §2.1 step 1).
- `go_quote`: `strconv.Quote`, i.e. what `fmt`'s `%q` prints in Coder's validation details.
- `parse_go_uuid`: `github.com/google/uuid.Parse`.
- `parse_go_date`: `time.Parse("2006-01-02", …)` with `time.ParseError` texts.
- `parse_go_int32`, `parse_go_atoi`: `strconv.ParseInt(s, 10, 32)` and `strconv.Atoi` with
  `strconv.NumError` texts.
- `QueryParamParser`: Coder's `coderd/httpapi/queryparams.go`, the one place that turns parsed
  parameters into `validations` (shared by pagination, §3.4, and search, §2.1).

Everything is linear in the input size: the mock must not hang on a 1 MB query.

Go strings are bytes while these functions take Python `str`: a byte that is not valid UTF-8
is kept as the lone surrogate U+DC80-U+DCFF that Python's "surrogateescape" gives it
(`go_decode`), so that `go_quote` prints it as Go's `%q` does (`limit=%FF` -> `"\\xff"`, as
recorded from Coder v2.35.1), `go_bytes` counts it as one byte, `go_lower` makes it U+FFFD as
`strings.ToLower` does, and the JSON encoder writes U+FFFD as Go's does. Printability follows
Python's Unicode tables (which may trail Go's by a Unicode version).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import TypeVar
from urllib.parse import unquote_to_bytes
from uuid import UUID

from coder_audit_mock.mockserver._errors import MockServerError, Validation

T = TypeVar("T")

# net/url `defaultMaxParams` (GODEBUG urlmaxqueryparams, Go's 2026 security releases): a query with
# more `&`-separated parts than this makes ParseQuery fail, and `r.URL.Query()` then sees NO params.
GO_MAX_QUERY_PARAMS = 10000

US_PER_SECOND = 1_000_000
US_PER_DAY = 86_400 * US_PER_SECOND

_DATE_LAYOUT = "2006-01-02"
RFC3339_LAYOUT = "2006-01-02T15:04:05Z07:00"
_HEX_DIGITS = b"0123456789abcdefABCDEF"
_CANONICAL_HEX_SPANS = ((0, 8), (9, 13), (14, 18), (19, 23), (24, 36))

_MALFORMED_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_ASCII_DIGITS = "0123456789"

# Bytes that are not valid UTF-8, after decoding with "surrogateescape" (valid UTF-8 never
# decodes to a surrogate).
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
_OTHER_SURROGATE = re.compile("[\ud800-\udc7f\udd00-\udfff]")


class GoParseError(MockServerError, ValueError):
    """A Go parser refused a value; `str(error)` is exactly Go's `err.Error()`.

    Example:
        >>> try:
        ...     parse_go_int32("bogus")
        ... except GoParseError as error:
        ...     str(error)
        'strconv.ParseInt: parsing "bogus": invalid syntax'
    """


# --- net/url ------------------------------------------------------------------------------------


def go_decode(raw: bytes) -> str:
    """Decode bytes as a Go string holds them: each invalid byte kept as one U+DC80-U+DCFF.

    Args:
        raw: any bytes.

    Example:
        >>> go_decode(b"caf\\xc3\\xa9 \\xe2\\x82!") == "café \\udce2\\udc82!"
        True
        >>> go_bytes(go_decode(b"\\xff\\xc3\\xa9")) == b"\\xff\\xc3\\xa9"
        True
    """
    # Go moves on by ONE byte after an invalid one; "surrogateescape" keeps one character per
    # bad byte, at C speed, for any amount of garbage, and gives the byte back on encoding.
    return raw.decode("utf-8", "surrogateescape")


def go_bytes(text: str) -> bytes:
    """The bytes Go holds for `text`: escaped bytes (see `go_decode`) as themselves.

    Other lone surrogates (a JSON `\\ud800` escape) are U+FFFD, as Go's JSON decoder makes them.

    Example:
        >>> go_bytes("\\udcffé")
        b'\\xff\\xc3\\xa9'
    """
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _OTHER_SURROGATE.sub("\ufffd", text).encode("utf-8", "surrogateescape")


def _query_unescape(part: bytes) -> str | None:
    """`url.QueryUnescape`: `+` is a space, `%XX` a byte; None where Go returns an EscapeError."""
    if b"%" in part and _MALFORMED_ESCAPE.search(part):
        return None
    # '+' first: an escaped plus (%2B) must survive as '+'.
    return go_decode(unquote_to_bytes(part.replace(b"+", b" ")))


def parse_go_query(raw: bytes) -> dict[str, list[str]]:
    """Parse a raw query string as Go's `url.ParseQuery` does, keeping what `r.URL.Query()` keeps.

    Pairs are split on `&` only; a pair containing `;` is dropped (Go >= 1.17), as is a pair with
    a malformed `%` escape in its key or value. Key and value are split at the first `=`. Values
    keep their order. More than `GO_MAX_QUERY_PARAMS` parts yield no parameters at all.

    Args:
        raw: the query string after `?`, undecoded (e.g. ASGI's `scope["query_string"]`).

    Returns:
        Each key's values, in the order they appear.

    Example:
        >>> parse_go_query(b"q=action%3Acreate+user&limit=5&limit=6&bad=%zz&x;y=1")
        {'q': ['action:create user'], 'limit': ['5', '6']}
    """
    values: dict[str, list[str]] = {}
    if raw.count(b"&") + 1 > GO_MAX_QUERY_PARAMS:
        return values
    for pair in raw.split(b"&"):
        if not pair or b";" in pair:
            continue
        raw_key, _, raw_value = pair.partition(b"=")
        key = _query_unescape(raw_key)
        value = _query_unescape(raw_value)
        if key is None or value is None:
            continue
        values.setdefault(key, []).append(value)
    return values


# --- strings, strconv -----------------------------------------------------------------------------


def go_lower(text: str) -> str:
    """Lowercase as Go's `strings.ToLower`: one simple (one-to-one) mapping per character.

    Python's `str.lower` applies Unicode's full mappings instead; the only lowercase differences
    are U+0130 (Go: `i`, Python: `i` + U+0307) and the final-sigma rule (Go: always `σ`).

    Args:
        text: any text.

    Example:
        >>> go_lower("Action:CREATE İ ΟΔΟΣ")
        'action:create i οδοσ'
    """
    if text.isascii():
        return text.lower()
    # An invalid byte becomes U+FFFD, as strings.Map writes utf8.RuneError.
    text = _ESCAPED_BYTE.sub("\ufffd", text)
    return text.replace("\u0130", "i").replace("\u03a3", "\u03c3").lower()


_BYTE_ESCAPES = tuple(f"\\x{byte:02x}" for byte in range(256))


def _hex_bytes(text: str) -> str:
    return "".join(map(_BYTE_ESCAPES.__getitem__, go_bytes(text)))


@functools.lru_cache(maxsize=4096)
def _strconv_escape_wide(char: str) -> str:
    """`strconv.appendEscapedRune` for a character from U+00A0 up."""
    if char.isprintable():  # Go's IsPrint: letters, marks, numbers, punctuation, symbols
        return char
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return _hex_bytes(char)
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _narrow_escapes(*, controls: Iterable[int], escape: Callable[[int], str]) -> dict[int, str]:
    table = {ord('"'): '\\"', ord("\\"): "\\\\"}
    table.update((code, escape(code)) for code in controls)
    return table


_STRCONV_NAMED = {0x07: "a", 0x08: "b", 0x09: "t", 0x0A: "n", 0x0B: "v", 0x0C: "f", 0x0D: "r"}


def _strconv_escape_narrow(code: int) -> str:
    """`strconv.appendEscapedRune` for a control character: C0 and DEL as `\\xNN`, C1 as `\\u00NN`."""
    if code in _STRCONV_NAMED:
        return "\\" + _STRCONV_NAMED[code]
    return f"\\x{code:02x}" if code < 0x80 else f"\\u{code:04x}"


_STRCONV_NARROW = _narrow_escapes(
    controls=[*range(0x20), 0x7F, *range(0x80, 0xA0)], escape=_strconv_escape_narrow
)
_STRCONV_WIDE_RUN = re.compile(r"[^\x00-\x9f]+")
# time.quote: every byte of a rune below ' ' or from U+0080 up as \xNN; DEL is copied.
_TIME_NARROW = _narrow_escapes(controls=range(0x20), escape=_BYTE_ESCAPES.__getitem__)
_TIME_WIDE_RUN = re.compile(r"[^\x00-\x7f]+")


def _strconv_escape_run(match: re.Match[str]) -> str:
    run = match.group()
    return run if run.isprintable() else "".join(map(_strconv_escape_wide, run))


def go_quote(text: str) -> str:
    """Quote as Go's `strconv.Quote` (what `%q` prints): printable runes kept, others escaped.

    Args:
        text: any text.

    Example:
        >>> print(go_quote('say "hi"\\n\\x00\\u00a0é'))
        "say \\"hi\\"\\n\\x00\\u00a0é"
    """
    if text.isascii() and text.isprintable():  # the usual case, kept fast for huge queries
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    # Escapes are ASCII, so escaping the narrow characters first never disturbs the wide runs.
    escaped = text.translate(_STRCONV_NARROW)
    if not escaped.isprintable():
        escaped = _STRCONV_WIDE_RUN.sub(_strconv_escape_run, escaped)
    return '"' + escaped + '"'


def _time_quote(text: str) -> str:
    """The `time` package's own `quote`: each byte of a non-ASCII or control rune as `\\xNN`."""
    escaped = text.translate(_TIME_NARROW)
    return '"' + _TIME_WIDE_RUN.sub(lambda run: _hex_bytes(run.group()), escaped) + '"'


# --- github.com/google/uuid --------------------------------------------------------------------


def parse_go_uuid(text: str) -> UUID | None:
    """Parse a uuid as `github.com/google/uuid.Parse` does; None where Go returns an error.

    Accepted (hex digits in either case): 36-character canonical form; 38 characters, where Go
    skips the first one WITHOUT checking it is `{` (nor the last `}`); a 45-character form with
    a case-insensitive `urn:uuid:` prefix; 32 bare hex digits.

    Args:
        text: the candidate uuid.

    Example:
        >>> parse_go_uuid("{D6C1C331-8B4A-4F0E-9A2B-0123456789AB}")
        UUID('d6c1c331-8b4a-4f0e-9a2b-0123456789ab')
        >>> parse_go_uuid("d6c1c331-8b4a-4f0e-9a2b-0123456789a") is None
        True
    """
    raw = go_bytes(text)  # Go measures lengths in bytes
    if len(raw) == 32:
        hex_digits = raw
    elif len(raw) in (36, 38, 45):
        if len(raw) == 45 and raw[:9].lower() != b"urn:uuid:":
            return None
        canonical = {36: raw, 38: raw[1:37], 45: raw[9:]}[len(raw)]
        if canonical[8:9] + canonical[13:14] + canonical[18:19] + canonical[23:24] != b"----":
            return None
        hex_digits = b"".join(canonical[start:end] for start, end in _CANONICAL_HEX_SPANS)
    else:
        return None
    if hex_digits.translate(None, _HEX_DIGITS):
        return None
    return UUID(hex=hex_digits.decode("ascii"))


# --- time ----------------------------------------------------------------------------------------


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 in the proleptic Gregorian calendar, for any year (incl. year 0)."""
    # H. Hinnant's algorithm: shift the year to start in March so the leap day comes last.
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146_097 + day_of_era - 719_468


def _days_in(month: int, year: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _is_ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


class _DateParser:
    """Go's `time.parse` walking a layout element by element; each step returns the unparsed rest.

    Handles the two layouts the audit API parses: `2006-01-02` (search dates) and
    `2006-01-02T15:04:05Z07:00` (testgenerate's `time`, `time.RFC3339`).
    """

    def __init__(self, value: str, layout: str = _DATE_LAYOUT) -> None:
        self.value = value
        self.layout = layout

    def cannot_parse(self, value_elem: str, layout_elem: str) -> GoParseError:
        return GoParseError(
            f"parsing time {_time_quote(self.value)} as {_time_quote(self.layout)}: "
            f"cannot parse {_time_quote(value_elem)} as {_time_quote(layout_elem)}"
        )

    def failure(self, message: str) -> GoParseError:
        return GoParseError(f"parsing time {_time_quote(self.value)}{message}")

    def year(self, rest: str) -> tuple[int, str]:
        # stdLongYear: at least 4 bytes starting with a digit, then atoi of exactly those 4.
        # (Counting characters instead of bytes fails the same inputs with the same message.)
        if len(rest) < 4 or not _is_ascii_digits(rest[:4]):
            raise self.cannot_parse(rest, "2006")
        return int(rest[:4]), rest[4:]

    def literal(self, rest: str, text: str) -> str:
        if not rest.startswith(text):
            raise self.cannot_parse(rest, text)
        return rest[len(text) :]

    def dash(self, rest: str) -> str:
        return self.literal(rest, "-")

    def two_digits(self, rest: str, layout_elem: str) -> tuple[int, str]:
        # getnum(value, fixed=true): `01`, `02`, `04`, `05` need exactly two digits.
        if len(rest) < 2 or not _is_ascii_digits(rest[:2]):
            raise self.cannot_parse(rest, layout_elem)
        return int(rest[:2]), rest[2:]

    def one_or_two_digits(self, rest: str, layout_elem: str) -> tuple[int, str]:
        # getnum(value, fixed=false): `15` takes one digit, or two.
        if not rest[:1].isascii() or not rest[:1].isdigit():
            raise self.cannot_parse(rest, layout_elem)
        width = 2 if len(rest) > 1 and _is_ascii_digits(rest[1]) else 1
        return int(rest[:width]), rest[width:]

    def date(self) -> tuple[int, int, int, str]:
        year, rest = self.year(self.value)
        month, rest = self.two_digits(self.dash(rest), "01")
        if not 1 <= month <= 12:
            raise self.failure(": month out of range")
        day, rest = self.two_digits(self.dash(rest), "02")
        return year, month, day, rest

    def check_day(self, year: int, month: int, day: int) -> None:
        if not 1 <= day <= _days_in(month, year):
            raise self.failure(": day out of range")

    def parse(self) -> int:
        year, month, day, rest = self.date()
        if rest:
            raise self.failure(": extra text: " + _time_quote(rest))
        self.check_day(year, month, day)
        return _days_from_civil(year, month, day) * US_PER_DAY

    def parse_rfc3339(self) -> int:
        year, month, day, rest = self.date()
        hour, rest = self.one_or_two_digits(self.literal(rest, "T"), "15")
        if hour >= 24:
            raise self.failure(": hour out of range")
        minute, rest = self.two_digits(self.literal(rest, ":"), "04")
        if minute >= 60:
            raise self.failure(": minute out of range")
        second, rest = self.two_digits(self.literal(rest, ":"), "05")
        if second >= 60:
            raise self.failure(": second out of range")
        nanos = 0
        # A fraction the layout does not mention is still read after `05`, with `.` or `,`.
        if len(rest) >= 2 and rest[0] in ".," and _is_ascii_digits(rest[1]):
            end = 2
            while end < len(rest) and _is_ascii_digits(rest[end]):
                end += 1
            nanos = int((rest[1:end] + "00000000")[:9])
            rest = rest[end:]
        offset, rest = self.zone(rest)
        if rest:
            raise self.failure(": extra text: " + _time_quote(rest))
        self.check_day(year, month, day)
        seconds = _days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
        micros, remainder = divmod(nanos, 1000)
        # Postgres keeps microseconds, rounding half to even.
        if remainder > 500 or (remainder == 500 and micros % 2):
            micros += 1
        return (seconds - offset) * US_PER_SECOND + micros

    def zone(self, rest: str) -> tuple[int, str]:
        # stdISO8601ColonTZ: "Z", or "±hh:mm" where Go allows hh up to 24 and mm up to 60.
        if rest.startswith("Z"):
            return 0, rest[1:]
        if len(rest) < 6 or rest[3] != ":" or rest[0] not in "+-":
            raise self.cannot_parse(rest, "Z07:00")
        if not _is_ascii_digits(rest[1:3]) or not _is_ascii_digits(rest[4:6]):
            raise self.cannot_parse(rest, "Z07:00")
        hours, minutes = int(rest[1:3]), int(rest[4:6])
        if hours > 24:
            raise self.failure(": time zone offset hour out of range")
        if minutes > 60:
            raise self.failure(": time zone offset minute out of range")
        sign = 1 if rest[0] == "+" else -1
        return sign * (hours * 3600 + minutes * 60), rest[6:]


def parse_go_rfc3339(text: str) -> int:
    """Parse as Go's `time.Time.UnmarshalJSON` does (`time.Parse(time.RFC3339, text)`, §5.1).

    Go's stricter RFC 3339 checks are switched off in its source (golang/go#54580), so this
    accepts what `time.Parse` accepts: a one-digit hour, `,` before the fraction, offsets up
    to ±24:60; it rejects lowercase `t`/`z`, a missing zone and a space for the `T`.

    The one RFC 3339 parser: testgenerate's `time` (`_testgenerate.parse_rfc3339` turns its error
    into Coder's 400), a scenario's times, the journal's `since`/`until` (after turning a space
    back into the `+` a query string decodes it to) and the pytest marker's `now=` string all
    accept exactly this. Only `serve --now` differs (`_cli.serve._now`, a wrapper over this one):
    it keeps RFC 3339's own grammar (lower-case `t`/`z`, two-digit hour, offsets under 24 hours)
    and cuts a fraction to microseconds.

    Returns:
        Microseconds since the Unix epoch (UTC), rounded half to even as Postgres stores them.

    Raises:
        GoParseError: with Go's exact `time.ParseError` text.

    Example:
        >>> parse_go_rfc3339("1970-01-01T01:00:00.5+01:00")
        500000
        >>> try:
        ...     parse_go_rfc3339("2024-01-01t00:00:00Z")
        ... except GoParseError as error:
        ...     print(error)
        parsing time "2024-01-01t00:00:00Z" as "2006-01-02T15:04:05Z07:00": cannot parse "t00:00:00Z" as "T"
    """
    return _DateParser(text, RFC3339_LAYOUT).parse_rfc3339()


def parse_go_date(text: str) -> int:
    """Parse `YYYY-MM-DD` as Go's `time.Parse("2006-01-02", text)` (§2.1, §3.3).

    Args:
        text: the date text.

    Returns:
        Microseconds since the Unix epoch of that day at 00:00:00 UTC (negative before 1970;
        Go accepts years 0000-9999).

    Raises:
        GoParseError: with Go's exact `time.ParseError` text.

    Example:
        >>> parse_go_date("2022-08-15")
        1660521600000000
        >>> try:
        ...     parse_go_date("2022-13-01")
        ... except GoParseError as error:
        ...     print(error)
        parsing time "2022-13-01": month out of range
    """
    return _DateParser(text).parse()


GO_ZERO_TIME_US = _days_from_civil(1, 1, 1) * US_PER_DAY
"""Go's zero `time.Time` (0001-01-01 00:00:00 UTC), which Coder's SQL treats as "no filter"."""


def parse_go_int32(text: str) -> int:
    """Parse as Go's `strconv.ParseInt(text, 10, 32)`.

    An optional sign, then ASCII digits only. Like Go, an overflow found while scanning wins
    over a bad character further right (`99999999999x` is out of range, not a syntax error).

    Args:
        text: the integer text.

    Raises:
        GoParseError: `strconv.ParseInt: parsing "<text>": invalid syntax` or `…: value out of range`.

    Example:
        >>> parse_go_int32("-2147483648")
        -2147483648
        >>> try:
        ...     parse_go_int32("2147483648")
        ... except GoParseError as error:
        ...     print(error)
        strconv.ParseInt: parsing "2147483648": value out of range
    """
    return _parse_go_int(text, bits=32, function="ParseInt")


def parse_go_atoi(text: str) -> int:
    """Parse as Go's `strconv.Atoi(text)` on a 64-bit machine (EARLY pagination, §3.4).

    Atoi is `ParseInt(text, 10, 0)` with 64-bit ints, its errors naming `Atoi`.

    Args:
        text: the integer text.

    Raises:
        GoParseError: `strconv.Atoi: parsing "<text>": invalid syntax` or `…: value out of range`.

    Example:
        >>> parse_go_atoi("+4294967297")
        4294967297
        >>> try:
        ...     parse_go_atoi("bogus")
        ... except GoParseError as error:
        ...     print(error)
        strconv.Atoi: parsing "bogus": invalid syntax
    """
    return _parse_go_int(text, bits=64, function="Atoi")


def _parse_go_int(text: str, *, bits: int, function: str) -> int:
    """`strconv.ParseInt(text, 10, bits)`, errors naming `strconv.<function>`."""
    digits = text[1:] if text[:1] in ("-", "+") else text
    leading = digits[: len(digits) - len(digits.lstrip(_ASCII_DIGITS))]
    significant = leading.lstrip("0")
    # Go's scan (ParseUint) stops at the first overflow of the unsigned range, before it
    # reaches any bad character.
    unsigned_max = (1 << bits) - 1
    if len(significant) > len(str(unsigned_max)) or int(significant or "0") > unsigned_max:
        raise _num_error(function, text, "value out of range")
    if not digits or leading != digits:
        raise _num_error(function, text, "invalid syntax")
    magnitude = int(significant or "0")
    value = -magnitude if text.startswith("-") else magnitude
    if not -(1 << (bits - 1)) <= value < 1 << (bits - 1):
        raise _num_error(function, text, "value out of range")
    return value


def _num_error(function: str, text: str, reason: str) -> GoParseError:
    """`strconv.NumError.Error()`."""
    return GoParseError(f"strconv.{function}: parsing {go_quote(text)}: {reason}")


# --- coderd/httpapi/queryparams.go --------------------------------------------------------------


class QueryParamParser:
    """Coder's `httpapi.QueryParamParser`: reads parameters one key at a time, gathering every error.

    For each key read (§2.1 items 7-8, §3.4): absent, or a FIRST value that is empty
    (Go's `vals.Get(key) == ""`), means "use the default", even if more values follow; otherwise
    more than one value is a "provided more than once" error; otherwise the value is parsed.

    Args:
        values: each parameter's values, in order (e.g. from `parse_go_query`).

    Example:
        >>> parser = QueryParamParser({"limit": ["-1"], "x": ["1"]})
        >>> parser.positive_int32("limit")
        0
        >>> parser.reject_unparsed()
        >>> for validation in parser.validations:
        ...     print(validation.detail)
        Query param "limit" must be a valid 32-bit positive integer: value is negative
        "x" is not a valid query param
    """

    def __init__(self, values: Mapping[str, Sequence[str]]) -> None:
        self._values = values
        self._parsed: set[str] = set()
        self.validations: list[Validation] = []

    def fail(self, field: str, detail: str) -> None:
        """Record one validation (Coder appends to `parser.Errors`)."""
        self.validations.append(Validation(field, detail))

    def _take(self, key: str) -> str | None:
        """`parseQueryParamSet` + `parseSingle`: the single value to parse, or None for the default."""
        self._parsed.add(key)
        found = self._values.get(key)
        if not found or found[0] == "":
            return None
        if len(found) > 1:
            self.fail(
                key,
                f"Query param {go_quote(key)} provided more than once, found {len(found)} times. "
                "Only provide 1 instance of this query param.",
            )
            return None
        return found[0]

    def string(self, key: str) -> str:
        """`String(vals, "", key)`: the value as given, "" when absent."""
        return self._take(key) or ""

    def uuid(self, key: str) -> UUID | None:
        """`UUID(vals, uuid.Nil, key)`: None when absent or invalid (the latter recorded)."""
        text = self._take(key)
        if text is None:
            return None
        parsed = parse_go_uuid(text)
        if parsed is None:
            self.fail(key, f"Query param {go_quote(key)} must be a valid uuid")
        return parsed

    def positive_int32(self, key: str) -> int:
        """`PositiveInt32(vals, 0, key)`: 0 when absent or invalid (the latter recorded)."""
        text = self._take(key)
        if text is None:
            return 0
        try:
            value = parse_go_int32(text)
            if value < 0:
                raise GoParseError("value is negative")
        except GoParseError as error:
            self.fail(
                key, f"Query param {go_quote(key)} must be a valid 32-bit positive integer: {error}"
            )
            return 0
        return value

    def date(self, key: str) -> int | None:
        """`Time(vals, time.Time{}, key, "2006-01-02")`: microseconds since the epoch, or None."""
        text = self._take(key)
        if text is None:
            return None
        try:
            return parse_go_date(text)
        except GoParseError as error:
            self.fail(
                key,
                f"Query param {go_quote(key)} must be a valid date format ({_DATE_LAYOUT}): {error}",
            )
            return None

    def custom(self, key: str, parse: Callable[[str], T]) -> T | None:
        """`ParseCustom`: `parse` raises GoParseError to report "has invalid value: <error>"."""
        text = self._take(key)
        if text is None:
            return None
        try:
            return parse(text)
        except GoParseError as error:
            self.fail(key, f"Query param {go_quote(key)} has invalid value: {error}")
            return None

    def enum(self, key: str, allowed: Collection[str]) -> str:
        """`ParseCustom(…, ParseEnum[T])`: the value if it is one of `allowed`, else "" and an error."""

        def parse_enum(value: str) -> str:
            if value not in allowed:
                raise GoParseError(f"{go_quote(value)} is not a valid value")
            return value

        return self.custom(key, parse_enum) or ""

    def reject_unparsed(self) -> None:
        """`ErrorExcessParams`: one error per key never read.

        Go walks a map here, so its order is random; the mock uses the order keys were given.
        """
        self.validations.extend(
            Validation(key, f"{go_quote(key)} is not a valid query param")
            for key in self._values
            if key not in self._parsed
        )
