"""The JSON shapes the checks hold answers to (§1.5, §4.5), written here, not read from the mock.

A shape is a function `(value, where) -> problems`; `PAGE_SHAPE` is a NEWEST audit page and
`ERROR_SHAPE` a Coder error body.

Example:
    >>> ERROR_SHAPE({"message": ""}, "body")
    ['body.message is "", expected a non-empty string']
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping

import httpx

from ._coder import NEWEST_AUDIT_ACTIONS, NEWEST_RESOURCE_TYPES
from ._probe import is_int
from .strategies import parse_time

__all__ = ["ERROR_SHAPE", "PAGE_SHAPE", "content_type_problem"]

_Field = Callable[[object, str], list[str]]
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _kind(test: Callable[[object], bool], expected: str) -> _Field:
    def check(value: object, where: str) -> list[str]:
        return [] if test(value) else [f"{where} is {json.dumps(value)[:80]}, expected {expected}"]

    return check


def _object(required: Mapping[str, _Field], optional: Mapping[str, _Field] | None = None) -> _Field:
    def check(value: object, where: str) -> list[str]:
        if not isinstance(value, dict):
            return [f"{where} is {json.dumps(value)[:80]}, expected an object"]
        problems = [f"{where} lacks {key!r}" for key in required if key not in value]
        for key, field in (*required.items(), *(optional or {}).items()):
            if key in value:
                problems += field(value[key], f"{where}.{key}")
        return problems

    return check


def _list_of(item: _Field) -> _Field:
    def check(value: object, where: str) -> list[str]:
        if not isinstance(value, list):
            return [f"{where} is {json.dumps(value)[:80]}, expected an array"]
        return [
            problem for i, element in enumerate(value) for problem in item(element, f"{where}[{i}]")
        ]

    return check


def _nullable(field: _Field) -> _Field:
    return lambda value, where: [] if value is None else field(value, where)


_STRING = _kind(lambda v: isinstance(v, str), "a string")
_BOOL = _kind(lambda v: isinstance(v, bool), "a boolean")
_INT = _kind(is_int, "an integer")
_UUID_TEXT = _kind(lambda v: isinstance(v, str) and bool(_UUID.fullmatch(v)), "a lowercase uuid")
_TIME = _kind(lambda v: parse_time(v) is not None, "an RFC 3339 time")
_USER = _object(
    {
        "id": _UUID_TEXT,
        "username": _STRING,
        "email": _STRING,
        "created_at": _TIME,
        "updated_at": _TIME,
        "last_seen_at": _TIME,
        "status": _kind(lambda v: v in ("active", "suspended", "dormant"), "a user status"),
        "login_type": _STRING,
        "organization_ids": _list_of(_UUID_TEXT),
        "roles": _list_of(_object({"name": _STRING, "display_name": _STRING})),
        "has_ai_seat": _BOOL,
    },
    {"name": _STRING, "avatar_url": _STRING, "is_service_account": _BOOL},
)
_LOG = _object(
    {
        "id": _UUID_TEXT,
        "request_id": _UUID_TEXT,
        "time": _TIME,
        "ip": _STRING,
        "user_agent": _STRING,
        "resource_type": _kind(lambda v: v in NEWEST_RESOURCE_TYPES, "a resource type (§4.2)"),
        "resource_id": _UUID_TEXT,
        "resource_target": _STRING,
        "resource_icon": _STRING,
        "action": _kind(lambda v: v in NEWEST_AUDIT_ACTIONS, "an audit action (§4.1)"),
        "diff": _kind(
            lambda v: (
                isinstance(v, dict)
                and all(
                    isinstance(c, dict) and isinstance(c.get("secret"), bool) for c in v.values()
                )
            ),
            'an object of {"old", "new", "secret": bool}',
        ),
        "status_code": _INT,
        "additional_fields": _kind(lambda v: isinstance(v, dict), "an object"),
        "description": _STRING,
        "resource_link": _STRING,
        "is_deleted": _BOOL,
        "organization_id": _UUID_TEXT,
        "user": _nullable(_USER),
    },
    {
        "organization": _object(
            {"id": _UUID_TEXT, "name": _STRING, "display_name": _STRING, "icon": _STRING}
        )
    },
)
PAGE_SHAPE = _object({"audit_logs": _list_of(_LOG), "count": _INT, "count_cap": _INT})
ERROR_SHAPE = _object(
    {"message": _kind(lambda v: isinstance(v, str) and bool(v), "a non-empty string")},
    {"detail": _STRING, "validations": _list_of(_object({"field": _STRING, "detail": _STRING}))},
)


def content_type_problem(response: httpx.Response) -> str | None:
    value = response.headers.get("content-type", "")
    media_type, *parameters = [part.strip().lower() for part in value.split(";")]
    charset = next(
        (p.partition("=")[2].strip('"') for p in parameters if p.startswith("charset=")), "utf-8"
    )
    if media_type == "application/json" and charset == "utf-8":
        return None
    return f"Content-Type is {value!r}, not 'application/json; charset=utf-8' (§1.5)"
