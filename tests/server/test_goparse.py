"""Go-compatible primitives: query strings, quoting, lowercasing, uuids, dates, int32.

Expected strings are Go's own outputs (from the Go sources and their test tables), so a change in
any message is a fidelity bug (§2.1, §3.3, §3.4).
"""

from __future__ import annotations

import ast
import datetime
import time
import uuid
from collections.abc import Callable
from urllib.parse import quote_plus

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from coder_audit_mock.mockserver._goparse import (
    GO_MAX_QUERY_PARAMS,
    GO_ZERO_TIME_US,
    US_PER_DAY,
    GoParseError,
    go_bytes,
    go_decode,
    go_lower,
    go_quote,
    parse_go_date,
    parse_go_int32,
    parse_go_query,
    parse_go_uuid,
)

EPOCH = datetime.date(1970, 1, 1)
SAMPLE = uuid.UUID("d6c1c331-8b4a-4f0e-9a2b-0123456789ab")
SECONDS_BUDGET = 2.0  # generous for slow CI; a quadratic algorithm would take minutes on 1 MB


def elapsed(function: Callable[..., object], *args: object) -> float:
    start = time.perf_counter()
    try:
        function(*args)
    except GoParseError:
        pass
    return time.perf_counter() - start


# --- parse_go_query ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"", {}),
        (b"a=1&b=2&a=3", {"a": ["1", "3"], "b": ["2"]}),
        (b"q=action%3Acreate+resource_type%3Auser", {"q": ["action:create resource_type:user"]}),
        (b"a=%2B+%20", {"a": ["+  "]}),  # escaped plus stays a plus; '+' is a space
        (b"a", {"a": [""]}),
        (b"=x", {"": ["x"]}),
        (b"a=b=c", {"a": ["b=c"]}),
        (b"&&a=1&&", {"a": ["1"]}),
        (b"a=1;b=2&c=3", {"c": ["3"]}),  # Go >= 1.17 drops pairs holding a semicolon
        (b"a=%3B&b=1", {"a": [";"], "b": ["1"]}),  # an escaped semicolon is fine
        (b"bad=%zz&ok=1", {"ok": ["1"]}),  # malformed escape in the value drops the pair
        (b"%zz=1&ok=1", {"ok": ["1"]}),  # ... and in the key
        (b"a=%4&b=%&c=%4G&d=%41", {"d": ["A"]}),
        (b"a=%C3%A9&b=\xc3\xa9", {"a": ["é"], "b": ["é"]}),
        (b"a=%FF%E2%82x", {"a": ["\udcff\udce2\udc82x"]}),  # bad bytes kept (go_decode)
    ],
)
def test_parse_go_query_follows_url_parse_query(raw: bytes, expected: dict[str, list[str]]) -> None:
    assert parse_go_query(raw) == expected


def test_parse_go_query_keeps_nothing_beyond_go_parameter_limit() -> None:
    at_limit = b"&" * (GO_MAX_QUERY_PARAMS - 1) + b"limit=5"  # exactly the limit of parts
    assert parse_go_query(at_limit) == {"limit": ["5"]}
    assert parse_go_query(b"&" + at_limit) == {}


@given(st.lists(st.tuples(st.text(), st.text())))
def test_parse_go_query_reads_back_what_was_encoded(pairs: list[tuple[str, str]]) -> None:
    raw = "&".join(f"{quote_plus(key)}={quote_plus(value)}" for key, value in pairs).encode()
    expected: dict[str, list[str]] = {}
    for key, value in pairs:
        expected.setdefault(key, []).append(value)
    assert parse_go_query(raw) == expected


@given(st.binary() | st.text(alphabet="a=&;%+2Bb\xff ").map(str.encode))
def test_parse_go_query_takes_any_bytes_and_gives_go_bytes_back(raw: bytes) -> None:
    for key, values in parse_go_query(raw).items():
        for text in (key, *values):
            # Every character is either valid text or one escaped byte that go_bytes gives back.
            assert go_decode(go_bytes(text)) == text


def test_parse_go_query_is_linear() -> None:
    one_megabyte = 1 << 20
    for raw in (b"q=" + b"%41+" * (one_megabyte // 4), b"\xff" * one_megabyte, b"%" * one_megabyte):
        assert elapsed(parse_go_query, raw) < SECONDS_BUDGET


# --- go_decode, go_lower --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"plain", "plain"),
        (b"\xe2\x82\xac", "€"),
        # Go keeps a string's bytes as they are (the search parser then sees U+FFFD per bad
        # byte, go_lower); the mock holds each bad byte as one U+DC80+byte character.
        (b"\xff", "\udcff"),
        (b"\xe2\x82A", "\udce2\udc82A"),  # one per byte of a truncated sequence
        (b"\xed\xa0\x80", "\udced\udca0\udc80"),  # an encoded surrogate is three bad bytes
        (b"\xc0\x80", "\udcc0\udc80"),  # overlong
        (b"\xf0\x9f\x98", "\udcf0\udc9f\udc98"),
        (b"\xef\xbf\xbd", "\ufffd"),  # a real U+FFFD
    ],
)
def test_go_decode_keeps_each_bad_byte(raw: bytes, expected: str) -> None:
    assert go_decode(raw) == expected
    assert go_bytes(expected) == raw


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Action:CREATE", "action:create"),
        ("\u0130stanbul", "istanbul"),  # Go maps U+0130 to 'i' alone
        ("ΟΔΟΣ ΟΔΟΣ", "οδοσ οδοσ"),  # no final-sigma rule in Go
        ("ǅ", "ǆ"),
        ("ß", "ß"),
        ("K", "k"),  # KELVIN SIGN
    ],
)
def test_go_lower_uses_simple_case_mapping(text: str, expected: str) -> None:
    assert go_lower(text) == expected


@given(st.text())
def test_go_lower_maps_one_character_to_one(text: str) -> None:
    lowered = go_lower(text)
    assert len(lowered) == len(text)
    assert go_lower(lowered) == lowered


# --- go_quote ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bogus", '"bogus"'),
        ("", '""'),
        ('a"b\\c', r'"a\"b\\c"'),
        ("\a\b\f\r\n\t\v", r'"\a\b\f\r\n\t\v"'),
        ("\x00\x04\x1f\x7f", r'"\x00\x04\x1f\x7f"'),
        ("\u0085", r'"\u0085"'),  # C1 control
        ("!\u00a0!\u2000!\u3000!", r'"!\u00a0!\u2000!\u3000!"'),  # spaces other than ' '
        ("\u00ad\u200b\ufeff", r'"\u00ad\u200b\ufeff"'),  # format characters
        ("\ue000", r'"\ue000"'),  # private use
        ("\U0010ffff", r'"\U0010ffff"'),
        ("\U000e0001", r'"\U000e0001"'),
        ("☺ é 😀 \ufffd", '"☺ é 😀 \ufffd"'),  # printable runes are copied
        ("foo bar", '"foo bar"'),
    ],
)
def test_go_quote_matches_strconv_quote(text: str, expected: str) -> None:
    assert go_quote(text) == expected


@given(st.text())
@example("\x00é\u00a0\n\"'\\")
def test_go_quote_is_a_printable_literal_of_the_same_text(text: str) -> None:
    quoted = go_quote(text)
    assert quoted.isprintable()
    # Every escape Go uses here means the same in a Python string literal.
    assert ast.literal_eval(quoted) == text


def test_go_quote_is_linear() -> None:
    for text in ("é\x00" * 500_000, '"' * 1_000_000, "\u00a0é" * 300_000):
        assert elapsed(go_quote, text) < SECONDS_BUDGET


# --- parse_go_uuid --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "d6c1c331-8b4a-4f0e-9a2b-0123456789ab",
        "D6C1C331-8B4A-4F0E-9A2B-0123456789AB",
        "{d6c1c331-8b4a-4f0e-9a2b-0123456789ab}",
        "xd6c1c331-8b4a-4f0e-9a2b-0123456789aby",  # Go never checks the braces
        "urn:uuid:d6c1c331-8b4a-4f0e-9a2b-0123456789ab",
        "URN:UUID:d6c1c331-8b4a-4f0e-9a2b-0123456789ab",
        "d6c1c3318b4a4f0e9a2b0123456789ab",
    ],
)
def test_parse_go_uuid_accepts_google_uuid_forms(text: str) -> None:
    assert parse_go_uuid(text) == SAMPLE


@pytest.mark.parametrize(
    "text",
    [
        "",
        "bogus",
        "d6c1c331-8b4a-4f0e-9a2b-0123456789a",  # 35 characters
        "d6c1c331-8b4a-4f0e-9a2b-0123456789abc",  # 37 characters
        "d6c1c331+8b4a-4f0e-9a2b-0123456789ab",
        "d6c1c331-8b4a-4f0e-9a2b-0123456789ag",
        "urn:uuie:d6c1c331-8b4a-4f0e-9a2b-0123456789ab",
        "d6c1c3318b4a4f0e9a2b0123456789a-",
        "d6c1c3318b4a4f0e9a2b0123456789é",  # 32 bytes, not 32 hex digits
        "d6c1c331-8b4a-4f0e-9a2b-0123456789aé",  # 37 bytes
        " d6c1c331-8b4a-4f0e-9a2b-0123456789ab",  # 37 bytes
    ],
)
def test_parse_go_uuid_rejects_what_google_uuid_rejects(text: str) -> None:
    assert parse_go_uuid(text) is None


@given(
    st.uuids(),
    st.sampled_from(["{%s}", "(%s)", "urn:uuid:%s", "UrN:uUiD:%s", "%s"]),
    st.booleans(),
    st.booleans(),
)
def test_parse_go_uuid_reads_every_spelling(
    value: uuid.UUID, template: str, upper: bool, dashes: bool
) -> None:
    text = str(value) if dashes else value.hex
    if not dashes and template != "%s":
        return  # google/uuid takes 32 bare hex digits only without decoration
    text = template % (text.upper() if upper else text)
    assert parse_go_uuid(text) == value


@given(st.text())
def test_parse_go_uuid_only_reads_the_four_lengths(text: str) -> None:
    if parse_go_uuid(text) is not None:
        assert len(text.encode()) in (32, 36, 38, 45)


# --- parse_go_date --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2006", 'parsing time "2006" as "2006-01-02": cannot parse "" as "-"'),
        ("", 'parsing time "" as "2006-01-02": cannot parse "" as "2006"'),
        ("bogus", 'parsing time "bogus" as "2006-01-02": cannot parse "bogus" as "2006"'),
        (
            "206-01-01",
            'parsing time "206-01-01" as "2006-01-02": cannot parse "206-01-01" as "2006"',
        ),
        ("2022/01/01", 'parsing time "2022/01/01" as "2006-01-02": cannot parse "/01/01" as "-"'),
        ("2022-1-01", 'parsing time "2022-1-01" as "2006-01-02": cannot parse "1-01" as "01"'),
        ("2022-01-1", 'parsing time "2022-01-1" as "2006-01-02": cannot parse "1" as "02"'),
        ("2022-01-", 'parsing time "2022-01-" as "2006-01-02": cannot parse "" as "02"'),
        ("2022-13-01", 'parsing time "2022-13-01": month out of range'),
        ("2022-00-10", 'parsing time "2022-00-10": month out of range'),
        ("2022-13-xx", 'parsing time "2022-13-xx": month out of range'),  # range before syntax
        ("2022-02-30", 'parsing time "2022-02-30": day out of range'),
        ("2022-01-00", 'parsing time "2022-01-00": day out of range'),
        ("1900-02-29", 'parsing time "1900-02-29": day out of range'),
        ("2022-01-011", 'parsing time "2022-01-011": extra text: "1"'),
        ("2022-02-30x", 'parsing time "2022-02-30x": extra text: "x"'),  # extra text first
        ("2022-01-01 ", 'parsing time "2022-01-01 ": extra text: " "'),
        # the time package's own quoting: \xNN per byte of non-ASCII/control runes, DEL kept
        (
            "2022-01-01é\x00\x7f",
            'parsing time "2022-01-01\\xc3\\xa9\\x00\x7f": extra text: "\\xc3\\xa9\\x00\x7f"',
        ),
        ('"2022', 'parsing time "\\"2022" as "2006-01-02": cannot parse "\\"2022" as "2006"'),
        (
            "٢٠٢٢-01-01",
            (
                'parsing time "\\xd9\\xa2\\xd9\\xa0\\xd9\\xa2\\xd9\\xa2-01-01" as '
                '"2006-01-02": cannot parse "\\xd9\\xa2\\xd9\\xa0\\xd9\\xa2\\xd9\\xa2-01-01" as "2006"'
            ),
        ),
    ],
)
def test_parse_go_date_errors_are_go_parse_errors(text: str, message: str) -> None:
    with pytest.raises(GoParseError) as caught:
        parse_go_date(text)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("1970-01-01", 0),
        ("2022-08-15", 19219),
        ("2000-02-29", 11016),
        ("0001-01-01", -719162),
        ("0000-02-29", -719162 - 366 + 59),  # year 0 is a leap year for Go
        ("9999-12-31", 2932896),
    ],
)
def test_parse_go_date_gives_midnight_utc(text: str, days: int) -> None:
    assert parse_go_date(text) == days * US_PER_DAY


def test_go_zero_time_is_year_one() -> None:
    assert parse_go_date("0001-01-01") == GO_ZERO_TIME_US


@given(st.dates())
def test_parse_go_date_agrees_with_the_calendar(date: datetime.date) -> None:
    assert parse_go_date(date.isoformat()) == (date - EPOCH).days * US_PER_DAY


@given(st.text(alphabet="0123456789-x é", max_size=14) | st.text())
def test_parse_go_date_raises_only_go_parse_errors(text: str) -> None:
    try:
        parse_go_date(text)
    except GoParseError as error:
        assert str(error).startswith("parsing time ")


# --- parse_go_int32 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", 0),
        ("-0", 0),
        ("+7", 7),
        ("2147483647", 2147483647),
        ("-2147483648", -2147483648),
        ("000000000000000000000042", 42),
    ],
)
def test_parse_go_int32_reads_int32(text: str, value: int) -> None:
    assert parse_go_int32(text) == value


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("bogus", "invalid syntax"),
        ("", "invalid syntax"),
        ("+", "invalid syntax"),
        ("-", "invalid syntax"),
        ("+-5", "invalid syntax"),
        (" 5", "invalid syntax"),
        ("5 ", "invalid syntax"),
        ("1_000", "invalid syntax"),
        ("0x10", "invalid syntax"),
        ("٣", "invalid syntax"),  # only ASCII digits
        ("2147483648", "value out of range"),
        ("-2147483649", "value out of range"),
        ("4294967296", "value out of range"),
        ("99999999999x", "value out of range"),  # Go stops scanning at the overflow
        ("1" * 5000, "value out of range"),
    ],
)
def test_parse_go_int32_errors_are_strconv_errors(text: str, reason: str) -> None:
    with pytest.raises(GoParseError) as caught:
        parse_go_int32(text)
    assert str(caught.value) == f"strconv.ParseInt: parsing {go_quote(text)}: {reason}"


@given(st.integers(), st.sampled_from(["", "+", "0", "00"]))
def test_parse_go_int32_reads_any_decimal(number: int, prefix: str) -> None:
    text = prefix + str(number) if number >= 0 else "-" + prefix.lstrip("+") + str(-number)
    if -(2**31) <= number < 2**31:
        assert parse_go_int32(text) == number
    else:
        with pytest.raises(GoParseError, match="value out of range"):
            parse_go_int32(text)


@given(st.text(alphabet="+-0123456789 x", max_size=14) | st.text())
def test_parse_go_int32_raises_only_strconv_errors(text: str) -> None:
    try:
        value = parse_go_int32(text)
    except GoParseError as error:
        assert str(error).startswith(f"strconv.ParseInt: parsing {go_quote(text)}: ")
    else:
        assert -(2**31) <= value < 2**31
