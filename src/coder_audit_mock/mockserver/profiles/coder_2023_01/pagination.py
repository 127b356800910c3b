"""EARLY (2023-01) pagination of `GET /api/v2/audit`: `parsePagination` and the SQL window.

§3.4 EARLY, §3.2, §1.3. Coder's `parsePagination` of 2023-01 read `after_id` (a uuid),
`limit` and `offset` with `strconv.Atoi`: any 64-bit integer, negatives included, with the detail
`Query param "limit" must be a valid integer (strconv.Atoi: parsing "bogus": invalid syntax)`.
Its query parser took the FIRST value of a repeated parameter (`url.Values.Get`; "provided more
than once" came in 2024-03, §0 timeline) and an empty first value as absent.

The handler then passed `int32(limit)` and `int32(offset)` to Postgres (Go's conversion keeps the
low 32 bits), straight through: `LIMIT 0` gives no rows, and Postgres refuses a negative OFFSET
(checked first) or LIMIT with an error the handler answers as 500 (§3.2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from coder_audit_mock.mockserver._errors import CoderError, InvalidPagination, Validation
from coder_audit_mock.mockserver._goparse import (
    GoParseError,
    go_quote,
    parse_go_atoi,
    parse_go_uuid,
)
from coder_audit_mock.mockserver._pagination import Page

from .facts import INTERNAL_ERROR_MESSAGE

_INT32_SPAN = 1 << 32
_INT32_MIN = -(1 << 31)


def _first_value(params: Mapping[str, Sequence[str]], key: str) -> str | None:
    """EARLY `parseQueryParam`: the first value, or None when absent or empty (the default)."""
    values = params.get(key)
    if not values or values[0] == "":
        return None
    return values[0]


def parse_pagination_early(params: Mapping[str, Sequence[str]]) -> Page:
    """Validate `after_id`, `limit` and `offset` as Coder's 2023-01 `parsePagination` did.

    Args:
        params: every query parameter with its values in order; others are ignored.

    Returns:
        The page as given: `limit` and `offset` may be negative or beyond 32 bits here; see
        `sql_window_early` for what Postgres makes of them.

    Raises:
        InvalidPagination: one validation per bad parameter, in the order after_id, limit, offset.

    Example:
        >>> parse_pagination_early({"limit": ["-1", "bogus"], "offset": [""]})
        Page(limit=-1, offset=0, after_id=None)
        >>> try:
        ...     parse_pagination_early({"limit": ["bogus"]})
        ... except InvalidPagination as error:
        ...     print(error.validations[0].detail)
        Query param "limit" must be a valid integer (strconv.Atoi: parsing "bogus": invalid syntax)
    """
    validations: list[Validation] = []
    after_id_text = _first_value(params, "after_id")
    after_id = None if after_id_text is None else parse_go_uuid(after_id_text)
    if after_id_text is not None and after_id is None:
        validations.append(Validation("after_id", 'Query param "after_id" must be a valid uuid'))
    limit = _integer(params, "limit", validations)
    offset = _integer(params, "offset", validations)
    if validations:
        raise InvalidPagination(tuple(validations))
    return Page(limit=limit, offset=offset, after_id=after_id)


def _integer(params: Mapping[str, Sequence[str]], key: str, validations: list[Validation]) -> int:
    text = _first_value(params, key)
    if text is None:
        return 0
    try:
        return parse_go_atoi(text)
    except GoParseError as error:
        detail = f"Query param {go_quote(key)} must be a valid integer ({error})"
        validations.append(Validation(key, detail))
        return 0


def go_int32(value: int) -> int:
    """Go's `int32(value)` of a 64-bit int: the low 32 bits, as a signed number.

    Example:
        >>> go_int32(4294967297), go_int32(2147483648)
        (1, -2147483648)
    """
    return (value - _INT32_MIN) % _INT32_SPAN + _INT32_MIN


def sql_window_early(page: Page) -> tuple[int, int]:
    """(limit, offset) as the 2023-01 query ran them (§3.2): 0 means no rows at all.

    Raises:
        CoderError: 500 with Postgres's error, OFFSET checked before LIMIT (as its executor
            does), for a negative value after Go's int32 conversion.

    Example:
        >>> sql_window_early(Page(limit=0, offset=5))
        (0, 5)
        >>> sql_window_early(Page(limit=-1, offset=0))
        Traceback (most recent call last):
        ...
        coder_audit_mock.mockserver._errors.CoderError: 500: An internal server error occurred. | pq: LIMIT must not be negative
    """
    limit, offset = go_int32(page.limit), go_int32(page.offset)
    if offset < 0:
        raise CoderError(500, INTERNAL_ERROR_MESSAGE, "pq: OFFSET must not be negative")
    if limit < 0:
        raise CoderError(500, INTERNAL_ERROR_MESSAGE, "pq: LIMIT must not be negative")
    return limit, offset
