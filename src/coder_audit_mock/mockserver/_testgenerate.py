"""`POST /api/v2/audit/testgenerate`: decode the body as Go does, then build the row (reference §1.2, §5).

Coder decodes the body with `json.NewDecoder(r.Body).Decode(&codersdk.CreateTestAuditLogRequest{})`,
which means: only the first JSON value is read (trailing bytes are ignored), object keys match
the struct's JSON names case-insensitively and the last duplicate wins, unknown keys are ignored,
`null` leaves a field unset, a JSON value of the wrong type is reported after decoding finishes
(the first one wins), while a bad uuid or time aborts at once with that parser's own error.
Enum strings are not validated by the handler: Postgres rejects unknown ones at insert (500).
"""

from __future__ import annotations

import json
import random
import re
import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from ._errors import CoderError
from ._goparse import parse_go_uuid
from ._model import AUDIT_ACTIONS, NIL_UUID, RESOURCE_TYPES, AuditLog

INVALID_JSON_MESSAGE = "Request body must be valid JSON."
INTERNAL_ERROR_MESSAGE = "An internal server error occurred."
# Reference §5: every testgenerate row carries this diff.
FIXED_DIFF: dict[str, Any] = {"foo": {"old": "bar", "new": "baz", "secret": False}}

_STRUCT = "CreateTestAuditLogRequest"
# JSON name -> Go type name, in struct order (codersdk.CreateTestAuditLogRequest).
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
# Reference §5: the NEWEST body's fields (EARLY's is a subset: a profile passes its own).
NEWEST_BODY_FIELDS: tuple[str, ...] = tuple(_FIELDS)
_STRING_FIELDS = frozenset({"action", "resource_type", "build_reason"})
_UUID_FIELDS = frozenset({"resource_id", "organization_id", "request_id"})


class _Pairs(list[tuple[str, Any]]):
    """A decoded JSON object, kept as its key/value pairs (Go sees duplicates one by one)."""


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, _Pairs):
        return "object"
    return "array"


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
    decoder = json.JSONDecoder(object_pairs_hook=_Pairs, parse_constant=_reject_constant)
    try:
        document, _ = decoder.raw_decode(text, start)
    except json.JSONDecodeError as error:
        raise _bad_json(_go_syntax_error(error, text)) from None
    except RecursionError:
        raise _bad_json("exceeded max depth") from None
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
        if name is None or value is None:
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
        return parse_rfc3339(value)
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
    # github.com/google/uuid ParseBytes errors.
    length = len(text.encode("utf-8"))
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


def _contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(key) or _contains_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_contains_nul(item) for item in value)
    return False


_RFC3339 = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})[Tt](?P<h>[0-9]{2}):(?P<mi>[0-9]{2}):"
    r"(?P<s>[0-9]{2})(?:\.(?P<f>[0-9]+))?(?P<z>[Zz]|[+-][0-9]{2}:[0-9]{2})",
    re.ASCII,
)
_RFC3339_LAYOUT = "2006-01-02T15:04:05Z07:00"


def parse_rfc3339(text: str) -> int:
    """Parse a testgenerate `time` as Go's `time.Time.UnmarshalJSON` does, to microseconds.

    The zero time (`0001-01-01T00:00:00Z`) parses to the sentinel returned by `zero_time_us()`,
    which means "use now". Postgres keeps microseconds, rounding half to even.

    Example:
        >>> parse_rfc3339("1970-01-01T00:00:01.5Z")
        1500000
    """
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise _bad_json(f'parsing time "{text}" as "{_RFC3339_LAYOUT}": cannot parse "{text}"')
    year, month, day = int(match["y"]), int(match["mo"]), int(match["d"])
    hour, minute, second = int(match["h"]), int(match["mi"]), int(match["s"])
    if not 1 <= month <= 12:
        raise _bad_json(f'parsing time "{text}": month out of range')
    if hour > 23 or minute > 59 or second > 59:
        field = "hour" if hour > 23 else "minute" if minute > 59 else "second"
        raise _bad_json(f'parsing time "{text}": {field} out of range')
    try:
        base = datetime(max(year, 1), month, day)
    except ValueError:
        raise _bad_json(f'parsing time "{text}": day out of range') from None
    days = (base - datetime(1970, 1, 1)).days - (365 if year == 0 else 0)
    seconds = days * 86400 + hour * 3600 + minute * 60 + second
    zone = match["z"]
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        offset_hours, offset_minutes = int(zone[1:3]), int(zone[4:6])
        if offset_hours > 24 or offset_minutes > 59:
            raise _bad_json(f'parsing time "{text}": time zone offset out of range')
        seconds -= sign * (offset_hours * 3600 + offset_minutes * 60)
    fraction = match["f"] or ""
    nanos = int((fraction + "000000000")[:9]) if fraction else 0
    micros, remainder = divmod(nanos, 1000)
    if remainder > 500 or (remainder == 500 and micros % 2):
        micros += 1
    return seconds * 1_000_000 + micros


ZERO_TIME_US = -62135596800 * 1_000_000  # 0001-01-01T00:00:00Z, Go's zero time


def build_log(
    fields: dict[str, Any],
    *,
    user_id: uuid.UUID,
    username: str,
    user_agent: str,
    now_us: int,
    rng: random.Random,
    resource_types: Collection[str] = RESOURCE_TYPES,
    actions: Collection[str] = AUDIT_ACTIONS,
) -> AuditLog:
    """The row testgenerate inserts, with Coder's defaults (reference §5), or Coder's 500.

    `resource_types` and `actions` are the database enums (NEWEST by default): other values
    fail the insert.

    Example:
        >>> log = build_log({}, user_id=NIL_UUID, username="admin", user_agent="curl/8",
        ...                 now_us=0, rng=random.Random(0))
        >>> (log.action, log.resource_type, log.resource_target, log.ip, log.status_code)
        ('write', 'user', 'admin', '', 200)
    """
    resource_type = fields.get("resource_type") or "user"
    action = fields.get("action") or "write"
    # Postgres checks the INSERT's parameters in column order: resource_type before action.
    if resource_type not in resource_types:
        raise _enum_error("resource_type", resource_type)
    if action not in actions:
        raise _enum_error("audit_action", action)
    additional_fields = fields.get("additional_fields", {})
    if _contains_nul(additional_fields):  # jsonb cannot hold \u0000
        raise CoderError(500, INTERNAL_ERROR_MESSAGE, "pq: unsupported Unicode escape sequence")
    when = fields.get("time")
    resource_id = fields.get("resource_id", NIL_UUID)
    if resource_id == NIL_UUID:
        resource_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    return AuditLog(
        id=uuid.UUID(int=rng.getrandbits(128), version=4),
        time=now_us if when is None or when == ZERO_TIME_US else when,
        user_id=user_id,
        organization_id=fields.get("organization_id", NIL_UUID),
        ip="",
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
