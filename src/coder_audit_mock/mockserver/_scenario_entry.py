"""Reading one scenario entry field by field, and the error that names the field (`ScenarioError`).

`Entry` wraps one JSON object of a scenario file: each accessor reads a field with its default,
checks its type and range, and raises `ScenarioError("logs[3].action", ...)` otherwise; unknown
fields are refused when the entry is opened. Times are read by the one RFC 3339 parser
(`_goparse.parse_go_rfc3339`, as testgenerate reads a `time`).

Example:
    >>> Entry({"name": "acme"}, "organizations[0]", ("name", "icon")).text("icon", "")
    ''
    >>> Entry({"nmae": "acme"}, "organizations[0]", ("name",))
    Traceback (most recent call last):
    ...
    coder_audit_mock.mockserver._scenario_entry.ScenarioError: organizations[0].nmae: unknown field; expected one of name
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
import uuid
from collections.abc import Callable, Collection, Sequence
from typing import Any

from ._errors import MockServerError
from ._goparse import GoParseError, parse_go_rfc3339, parse_go_uuid
from ._json import json_kind
from ._model import (
    Organization,
    User,
)
from ._testgenerate import MAX_JSON_DEPTH

# Coder names: letters and digits in hyphen-separated runs (codersdk.NameValid, without the
# length limit, which generated names with a uniqueness suffix may exceed).
_NAME_RE = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")


class ScenarioError(MockServerError, ValueError):
    """A scenario that cannot be loaded; `field` names the entry and field, e.g. `logs[3].action`.

    Example:
        >>> error = ScenarioError("logs[3].action", 'unknown action "crate"')
        >>> str(error)
        'logs[3].action: unknown action "crate"'
        >>> error.field
        'logs[3].action'
    """

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail
        # Every error found in the scenario, this one first (`ScenarioError.of`).
        self.errors: tuple[ScenarioError, ...] = (self,)

    @classmethod
    def of(cls, errors: Sequence[ScenarioError]) -> ScenarioError:
        """One error standing for all of `errors`: the first's field and detail, every message.

        Example:
            >>> error = ScenarioError.of([ScenarioError("logs[0].action", "bad"),
            ...                           ScenarioError("logs[2].time", "bad")])
            >>> str(error), error.field, len(error.errors)
            ('logs[0].action: bad; logs[2].time: bad', 'logs[0].action', 2)
        """
        if len(errors) == 1:
            return errors[0]
        combined = cls(errors[0].field, errors[0].detail)
        combined.args = ("; ".join(str(error) for error in errors),)
        combined.errors = tuple(errors)
        return combined

    def __repr__(self) -> str:
        return f"ScenarioError(field={self.field!r}, detail={self.detail!r})"


def plain(value: Any) -> Any:
    """Python conveniences the builders accept, as the JSON a file would hold."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, (Organization, User)):
        return str(value.id)
    if isinstance(value, tuple):
        return [plain(item) for item in value]
    return value


class Entry:
    """One object of a scenario, read field by field; errors name `where.field`."""

    def __init__(self, data: Any, where: str, fields: Collection[str]) -> None:
        if not isinstance(data, dict):
            raise ScenarioError(where, f"expected an object, got {json_kind(data)}")
        for key in data:
            if key not in fields:
                raise ScenarioError(
                    f"{where}.{key}", f"unknown field; expected one of {', '.join(fields)}"
                )
        self.data = {key: plain(value) for key, value in data.items()}
        self.where = where

    def at(self, key: str) -> str:
        return f"{self.where}.{key}"

    def given(self, key: str) -> bool:
        return self.data.get(key) is not None

    def raw(self, key: str) -> Any:
        return self.data.get(key)

    def text(self, key: str, default: str | None = None) -> str:
        value = self.data.get(key)
        if value is None:
            if default is None:
                raise ScenarioError(self.at(key), "required")
            return default
        if not isinstance(value, str):
            raise ScenarioError(self.at(key), f"expected a string, got {json_kind(value)}")
        return value

    def name(self, key: str, default: str | None = None) -> str:
        value = self.text(key, default)
        if not _NAME_RE.fullmatch(value):
            raise ScenarioError(
                self.at(key),
                f"invalid name {value!r}: use letters, digits and single hyphens, e.g. dev-team",
            )
        return value

    def choice(self, key: str, default: str, choices: Collection[str], what: str) -> str:
        value = self.text(key, default)
        if value not in choices:
            raise ScenarioError(
                self.at(key), f'unknown {what} "{value}"; expected one of {", ".join(choices)}'
            )
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise ScenarioError(self.at(key), f"expected true or false, got {json_kind(value)}")
        return value

    def integer(self, key: str, default: int | None, low: int, high: int) -> int:
        value = self.data.get(key)
        if value is None:
            if default is None:
                raise ScenarioError(self.at(key), "required")
            return default
        if type(value) is not int or not low <= value <= high:
            raise ScenarioError(
                self.at(key), f"expected an integer from {low} to {high}, got {value!r}"
            )
        return value

    def ident(self, key: str, default: Callable[[], uuid.UUID] | None = None) -> uuid.UUID:
        value = self.data.get(key)
        if value is None:
            if default is None:
                raise ScenarioError(self.at(key), "required")
            return default()
        return parse_uuid(value, self.at(key))

    def optional_ident(self, key: str) -> uuid.UUID | None:
        value = self.data.get(key)
        return None if value is None else parse_uuid(value, self.at(key))

    def time(self, key: str, default: int) -> int:
        value = self.data.get(key)
        if value is None:
            return default
        return parse_time(value, self.at(key))

    def strings(self, key: str, choices: Collection[str], what: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            raise ScenarioError(
                self.at(key), f"expected an array of {what}s, got {json_kind(value)}"
            )
        for index, item in enumerate(value):
            if item not in choices:
                raise ScenarioError(
                    f"{self.at(key)}[{index}]",
                    f"unknown {what} {item!r}; expected one of {', '.join(choices)}",
                )
        return tuple(value)

    def json(self, key: str, default: Any) -> Any:
        # Only a missing key takes the default: an explicit null is a JSON value (a log's
        # additional_fields may be null in Coder's database, and Coder answers null).
        if key not in self.data:
            return copy.deepcopy(default)
        value = self.data[key]
        check_json(value, self.at(key))
        return value


def parse_uuid(value: Any, where: str) -> uuid.UUID:
    parsed = parse_go_uuid(value) if isinstance(value, str) else None
    if parsed is None:
        raise ScenarioError(
            where, f"expected a UUID such as 3fa85f64-5717-4562-b3fc-2c963f66afa6, got {value!r}"
        )
    return parsed


def parse_time(value: Any, where: str) -> int:
    if isinstance(value, dt.datetime):  # YAML reads unquoted timestamps as datetimes
        value = value.replace(tzinfo=value.tzinfo or dt.UTC).isoformat()
    if not isinstance(value, str):
        raise ScenarioError(
            where, f"expected an RFC 3339 time such as 2024-05-01T12:00:00Z, got {json_kind(value)}"
        )
    try:
        return parse_go_rfc3339(value)
    except GoParseError as error:  # the parser testgenerate's `time` uses, with Go's message
        raise ScenarioError(where, f"expected an RFC 3339 time: {error}") from None


def check_json(value: Any, where: str, depth: int = 0) -> None:
    # What the API must write back later: JSON has no Infinity or NaN (Python's parser and YAML's
    # .inf accept them), and values nested deeper than testgenerate accepts are walked
    # recursively on every read.
    if depth > MAX_JSON_DEPTH:
        raise ScenarioError(where, f"nested more than {MAX_JSON_DEPTH} deep")
    if isinstance(value, float) and not math.isfinite(value):
        raise ScenarioError(where, f"expected a finite number, got {value}")
    if value is None or isinstance(value, (str, bool, int, float)):
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            check_json(item, f"{where}[{index}]", depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ScenarioError(where, f"object keys must be strings, got {key!r}")
            check_json(item, f"{where}.{key}", depth + 1)
        return
    raise ScenarioError(
        where, f"expected a JSON value, got {json_kind(value)} (quote times and dates in YAML)"
    )


def check_list(data: Any, where: str) -> list[Any]:
    if data is None:
        return []
    if not isinstance(data, list):
        raise ScenarioError(where, f"expected an array of entries, got {json_kind(data)}")
    return data
