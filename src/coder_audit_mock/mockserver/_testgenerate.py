"""`POST /api/v2/audit/testgenerate`: decode the body as Go does, then build the row (§1.2, §5).

Coder decodes the body with `json.NewDecoder(r.Body).Decode(&codersdk.CreateTestAuditLogRequest{})`,
which means: only the first JSON value is read (trailing bytes are ignored), object keys match
the struct's JSON names case-insensitively and the last duplicate wins, unknown keys are ignored,
`null` leaves a field unset, a JSON value of the wrong type is reported after decoding finishes
(the first one wins), while a bad uuid or time aborts at once with that parser's own error.
Enum strings are not validated by the handler: Postgres rejects unknown ones at insert (500).
"""

from __future__ import annotations

import decimal
import json
import math
import random
import re
import uuid
from collections.abc import Callable, Collection
from typing import Any, Self

from ._errors import CoderError
from ._goparse import GO_ZERO_TIME_US, GoParseError, parse_go_rfc3339, parse_go_uuid
from ._json import ExactNumber
from ._model import AUDIT_ACTIONS, NIL_UUID, RESOURCE_TYPES, AuditLog
from .profiles.newest import facts as _newest

INVALID_JSON_MESSAGE = "Request body must be valid JSON."
INTERNAL_ERROR_MESSAGE = _newest.INTERNAL_ERROR_MESSAGE  # the version's facts own it
# §5: every testgenerate row carries this diff.
FIXED_DIFF: dict[str, Any] = {"foo": {"old": "bar", "new": "baz", "secret": False}}

_STRUCT = "CreateTestAuditLogRequest"
# JSON name -> Go type name (codersdk.CreateTestAuditLogRequest), for Go's unmarshal errors.
_FIELDS: dict[str, str] = {
    "action": "codersdk.AuditAction",
    "resource_type": "codersdk.ResourceType",
    "resource_id": "uuid.UUID",
    "additional_fields": "json.RawMessage",
    "time": "time.Time",
    "build_reason": "codersdk.BuildReason",
    "organization_id": "uuid.UUID",
    "request_id": "uuid.UUID",
}
# §5: the NEWEST body's fields, in struct order, as the version's facts list them (EARLY's is a
# subset: a profile passes its own).
NEWEST_BODY_FIELDS: tuple[str, ...] = _newest.TESTGENERATE_FIELDS
_STRING_FIELDS = frozenset({"action", "resource_type", "build_reason"})
_UUID_FIELDS = frozenset({"resource_id", "organization_id", "request_id"})


class _Pairs(list[tuple[str, Any]]):
    """A decoded JSON object, kept as its key/value pairs (Go sees duplicates one by one)."""


def _json_type(value: Any) -> str:
    """Go's name for a decoded JSON value in an UnmarshalTypeError (`cannot unmarshal X into`).

    Go's own words, not `_json.json_kind`'s (those are the mock's, for its own inputs); null
    never gets here (it leaves a field unset).
    """
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object" if isinstance(value, _Pairs) else "array"


def _bad_json(detail: str) -> CoderError:
    return CoderError(400, INVALID_JSON_MESSAGE, detail)


def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN/Infinity; Go's decoder does not.
    raise _bad_json(f"invalid character '{name[0]}' looking for beginning of value")


# Python's JSONDecodeError messages -> the context Go's scanner names in its syntax errors.
_GO_SYNTAX_CONTEXT = {
    "Expecting value": "looking for beginning of value",
    "Expecting ':' delimiter": "after object key",
    "Expecting property name enclosed in double quotes": "looking for beginning of object key string",
    "Invalid control character at": "in string literal",
    "Invalid \\escape": "in string escape code",
}


def _go_syntax_error(error: json.JSONDecodeError, text: str) -> str:
    if error.pos >= len(text.rstrip()) or error.msg.startswith("Unterminated string"):
        return "unexpected EOF"
    character = text[error.pos]
    quoted = "'\\''" if character == "'" else f"'{character}'"
    context = _GO_SYNTAX_CONTEXT.get(error.msg)
    if context is None and error.msg == "Expecting ',' delimiter":
        opener = _innermost_open_bracket(text, error.pos)
        context = "after array element" if opener == "[" else "after object key:value pair"
    return f"invalid character {quoted} {context or 'looking for beginning of value'}"


def _innermost_open_bracket(text: str, end: int) -> str:
    depth: list[str] = []
    in_string = escaped = False
    for character in text[:end]:
        if in_string:
            if escaped:
                escaped = False
            elif character == "\\":
                escaped = True
            elif character == '"':
                in_string = False
        elif character == '"':
            in_string = True
        elif character in "[{":
            depth.append(character)
        elif character in "]}" and depth:
            depth.pop()
    return depth[-1] if depth else ""


# Go's decoder refuses JSON nested deeper than 10000 with "exceeded max depth". The mock walks
# stored values recursively (jsonb key order, rendering, scenarios), so it refuses far below
# Python's recursion limit, with Go's message: deeper bodies would otherwise store a log that
# makes every later read of it fail.
MAX_JSON_DEPTH = 200
# Python converts integers of at most this many digits to text (`sys.get_int_max_str_digits()`),
# so longer numbers could be stored but never written back; Postgres `numeric` holds more
# (131072 digits), but both refuse numbers beyond their range (see `_UnstorableNumber`).
MAX_NUMBER_DIGITS = 4300


class _UnstorableNumber(float):
    """A JSON number the mock cannot store and write back exactly: more than MAX_NUMBER_DIGITS.

    It decodes (a float, so a wrong-type error still says "number"), and inserting it into
    `additional_fields` fails as Postgres fails on numbers beyond `numeric`'s range.
    """


def _parse_int(text: str) -> int | float:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        return _UnstorableNumber("inf")
    return int(text)


def _parse_float(text: str) -> int | float:
    value = ExactNumber(text)  # jsonb writes it back by its spelling (pg_numeric_text)
    if math.isfinite(value):
        return value
    # Beyond a float (e.g. 1e999): Postgres keeps the exact number and writes it out in full.
    try:
        exact = decimal.Decimal(text)
    except decimal.InvalidOperation:  # an exponent beyond even Decimal's range
        return _UnstorableNumber("inf")
    if exact.adjusted() >= MAX_NUMBER_DIGITS or exact != exact.to_integral_value():
        return _UnstorableNumber("inf")
    return int(exact)


def _nesting_depth(document: Any) -> int:
    """How deeply arrays and objects nest in a decoded document (without recursing)."""
    deepest, pending = 0, [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, _Pairs):
            children = [item for _, item in value]
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        pending.extend((child, depth + 1) for child in children)
    return deepest


def decode_request(body: bytes, accepted: Collection[str] = NEWEST_BODY_FIELDS) -> dict[str, Any]:
    """Decode a testgenerate body into the fields it sets, or raise Coder's 400.

    Returns JSON names -> decoded values (uuids as `uuid.UUID`, `time` as microseconds).
    Fields outside `accepted` (the Coder version's struct, NEWEST by default) are unknown keys:
    ignored, whatever their value.

    Example:
        >>> decode_request(b'{"ACTION": "create", "unknown": 1} trailing')
        {'action': 'create'}
        >>> decode_request(b"").get("action")
        Traceback (most recent call last):
        ...
        coder_audit_mock.mockserver._errors.CoderError: 400: Request body must be valid JSON. | EOF
    """
    text = body.decode("utf-8", "replace")
    start = len(text) - len(text.lstrip(" \t\r\n"))
    if start == len(text):
        raise _bad_json("EOF")
    decoder = json.JSONDecoder(
        object_pairs_hook=_Pairs,
        parse_constant=_reject_constant,
        parse_int=_parse_int,
        parse_float=_parse_float,
    )
    try:
        document, _ = decoder.raw_decode(text, start)
    except json.JSONDecodeError as error:
        raise _bad_json(_go_syntax_error(error, text)) from None
    except RecursionError:
        raise _bad_json("exceeded max depth") from None
    if _nesting_depth(document) > MAX_JSON_DEPTH:
        raise _bad_json("exceeded max depth")
    if document is None:
        return {}
    if not isinstance(document, _Pairs):
        kind = _json_type(document)
        raise _bad_json(f"json: cannot unmarshal {kind} into Go value of type codersdk.{_STRUCT}")
    return _decode_fields(document, accepted)


def _decode_fields(pairs: list[tuple[str, Any]], accepted: Collection[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    first_type_error = ""
    for key, value in pairs:
        name = _match_field(key, accepted)
        # JSON null leaves a field unset, except json.RawMessage, which keeps the literal `null`
        # (so testgenerate stores null instead of the `{}` default, §5).
        if name is None or (value is None and name != "additional_fields"):
            continue
        try:
            fields[name] = _decode_field(name, value)
        except _TypeMismatch as mismatch:
            first_type_error = first_type_error or str(mismatch)
    if first_type_error:
        raise _bad_json(first_type_error)
    return fields


def _match_field(key: str, accepted: Collection[str]) -> str | None:
    # Go prefers an exact match, then folds case (ASCII plus the Kelvin and long-s signs).
    if key in accepted:
        return key
    folded = key.replace("\u212a", "k").replace("\u017f", "s").lower()
    return folded if folded in accepted else None


class _TypeMismatch(Exception):
    pass


def _decode_field(name: str, value: Any) -> Any:
    go_type = _FIELDS[name]
    if name == "additional_fields":
        return _jsonb_value(value)
    if name == "time":
        if not isinstance(value, str):
            raise _bad_json("Time.UnmarshalJSON: input is not a JSON string")
        return _storable_time(value, parse_rfc3339(value))
    if not isinstance(value, str):
        raise _TypeMismatch(
            f"json: cannot unmarshal {_json_type(value)} into Go struct field "
            f"{_STRUCT}.{name} of type {go_type}"
        )
    if name in _UUID_FIELDS:
        parsed = parse_go_uuid(value)
        if parsed is None:
            raise _bad_json(_uuid_error(value))
        return parsed
    return value


def _uuid_error(text: str) -> str:
    # github.com/google/uuid ParseBytes errors. Go decoded a lone surrogate escape as U+FFFD.
    length = len(text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode())
    if length not in (32, 36, 38, 45):
        return f"invalid UUID length: {length}"
    if length == 45 and text[:9].lower() != "urn:uuid:":
        return f'invalid urn prefix: "{text[:9]}"'
    return "invalid UUID format"


def _jsonb_value(value: Any) -> Any:
    """What the jsonb column gives back: objects from pairs (last duplicate wins)."""
    if isinstance(value, _Pairs):
        return {key: _jsonb_value(item) for key, item in value}
    if isinstance(value, list):
        return [_jsonb_value(item) for item in value]
    return value


def _any_leaf(value: Any, test: Callable[[Any], bool]) -> bool:
    """Whether `test` holds for an object key or a scalar anywhere in a decoded JSON value."""
    if isinstance(value, dict):
        return any(_any_leaf(key, test) or _any_leaf(item, test) for key, item in value.items())
    if isinstance(value, list):
        return any(_any_leaf(item, test) for item in value)
    return test(value)


def _has_nul(leaf: Any) -> bool:
    return isinstance(leaf, str) and "\x00" in leaf


def _is_unstorable(leaf: Any) -> bool:
    return isinstance(leaf, _UnstorableNumber)


def parse_rfc3339(text: str) -> int:
    """Parse a testgenerate `time` as Go's `time.Time.UnmarshalJSON` does, to microseconds.

    Raises Coder's 400 with Go's parse error as the detail.

    Example:
        >>> parse_rfc3339("1970-01-01T00:00:01.5Z")
        1500000
    """
    try:
        return parse_go_rfc3339(text)
    except GoParseError as error:
        raise _bad_json(str(error)) from None


class _UnstorableTime(int):
    """A parsed `time` whose zone offset Postgres refuses; `pg_text` is what lib/pq sent."""

    pg_text: str

    def __new__(cls, microseconds: int, pg_text: str) -> Self:
        parsed = super().__new__(cls, microseconds)
        parsed.pg_text = pg_text
        return parsed


# What Go's RFC 3339 parser accepted (one-digit hours included), split into its parts.
_RFC3339_PARTS = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt](\d{1,2}):(\d\d):(\d\d)(?:[.,](\d+))?([Zz]|[+-](\d\d):\d\d)"
)
_MAX_ZONE_HOURS = 15  # Postgres's MAX_TZDISP_HOUR: a zone of 16 hours or more is refused


def _storable_time(text: str, microseconds: int) -> int:
    """`microseconds`, or an `_UnstorableTime` when Postgres will refuse the zone offset.

    Go accepts offsets up to 23:59; lib/pq sends the time in its own zone
    (`2006-01-02 15:04:05.999999999Z07:00`, year 0 as `0001 ... BC`), and Postgres refuses an
    offset of more than 15 hours at the INSERT: Coder's 500 (recorded from v2.35.1:
    `pq: time zone displacement out of range: "4197-12-31 11:43:13-20:17"`).

    Example:
        >>> _storable_time("2024-01-02T03:04:05.50-16:00", 0).pg_text
        '2024-01-02 03:04:05.5-16:00'
        >>> type(_storable_time("2024-01-02T03:04:05-15:59", 0)).__name__
        'int'
    """
    parts = _RFC3339_PARTS.fullmatch(text)
    if parts is None or parts[9] is None or int(parts[9]) <= _MAX_ZONE_HOURS:
        return microseconds
    year, month, day = int(parts[1]), int(parts[2]), int(parts[3])
    era = ""
    if year == 0:  # lib/pq: AddDate(1, 0, 0) and " BC"; Feb 29 of year 0 becomes Mar 1 of 1
        year, era = 1, " BC"
        if (month, day) == (2, 29):
            month, day = 3, 1
    fraction = (parts[7] or "")[:9].rstrip("0")
    clock = f"{int(parts[4]):02d}:{parts[5]}:{parts[6]}" + (f".{fraction}" if fraction else "")
    return _UnstorableTime(microseconds, f"{year:04d}-{month:02d}-{day:02d} {clock}{parts[8]}{era}")


def build_log(
    fields: dict[str, Any],
    *,
    user_id: uuid.UUID,
    username: str,
    user_agent: str,
    now_us: int,
    rng: random.Random,
    ip: str = "",
    resource_types: Collection[str] = RESOURCE_TYPES,
    actions: Collection[str] = AUDIT_ACTIONS,
) -> AuditLog:
    """The row testgenerate inserts, with Coder's defaults (§5), or Coder's 500.

    `resource_types` and `actions` are the database enums (NEWEST by default): other values
    fail the insert. `ip` is the caller's address: Coder stores `net.ParseIP(r.RemoteAddr)`,
    which its real-IP middleware has made a bare address ("127.0.0.1" in the recorded corpus).

    Example:
        >>> log = build_log({}, user_id=NIL_UUID, username="admin", user_agent="curl/8",
        ...                 now_us=0, rng=random.Random(0))
        >>> (log.action, log.resource_type, log.resource_target, log.ip, log.status_code)
        ('write', 'user', 'admin', '', 200)
    """
    resource_type = fields.get("resource_type") or "user"
    action = fields.get("action") or "write"
    when = fields.get("time")
    # Postgres checks the INSERT's parameters in column order: time ($2), then resource_type,
    # then action.
    if isinstance(when, _UnstorableTime):
        raise CoderError(
            500,
            INTERNAL_ERROR_MESSAGE,
            f'pq: time zone displacement out of range: "{when.pg_text}"',
        )
    if resource_type not in resource_types:
        raise _enum_error("resource_type", resource_type)
    if action not in actions:
        raise _enum_error("audit_action", action)
    additional_fields = fields.get("additional_fields", {})
    if _any_leaf(additional_fields, _has_nul):  # jsonb cannot hold \u0000
        raise CoderError(500, INTERNAL_ERROR_MESSAGE, "pq: unsupported Unicode escape sequence")
    if _any_leaf(additional_fields, _is_unstorable):
        raise CoderError(500, INTERNAL_ERROR_MESSAGE, "pq: value overflows numeric format")
    resource_id = fields.get("resource_id", NIL_UUID)
    if resource_id == NIL_UUID:
        resource_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    return AuditLog(
        id=uuid.UUID(int=rng.getrandbits(128), version=4),
        # Go's zero time (0001-01-01T00:00:00Z) means "now", as a missing time does (§5).
        time=now_us if when is None or when == GO_ZERO_TIME_US else when,
        user_id=user_id,
        organization_id=fields.get("organization_id", NIL_UUID),
        ip=ip,
        user_agent=user_agent,
        resource_type=resource_type,
        resource_id=resource_id,
        resource_target=username,
        action=action,
        diff=FIXED_DIFF,
        status_code=200,
        additional_fields=additional_fields,
        request_id=fields.get("request_id", NIL_UUID),
    )


def _enum_error(enum: str, value: str) -> CoderError:
    shown = value.replace("\x00", "")
    return CoderError(
        500, INTERNAL_ERROR_MESSAGE, f'pq: invalid input value for enum {enum}: "{shown}"'
    )
