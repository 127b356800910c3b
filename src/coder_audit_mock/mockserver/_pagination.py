"""Pagination parameters of `GET /api/v2/audit`: `after_id`, `limit`, `offset` (§3.4).

Coder's `ParsePagination` (`coderd/pagination.go`) reads, in this order, `after_id` (a uuid),
`limit` and `offset` (non-negative 32-bit integers, `PositiveInt32`), and reports every bad one
together: 400 `Query parameters have invalid values.` with one validation per parameter.
An empty value is absent; a repeated parameter is an error, unless its first value is empty
(§3.4; the rules live in `QueryParamParser`). Audit logs ignore `after_id` after
validating it (§1.1); a limit of 0 means Coder's default of 100 (§3.1).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping, Sequence

from coder_audit_mock.mockserver._errors import InvalidPagination
from coder_audit_mock.mockserver._goparse import QueryParamParser


@dataclasses.dataclass(frozen=True, slots=True)
class Page:
    """A validated page request.

    Attributes:
        limit: rows wanted; 0 when absent or given as 0 (the store then applies Coder's 100).
        offset: rows to skip; 0 when absent.
        after_id: the parsed `after_id`, or None when absent (validated, then ignored).

    Example:
        >>> Page(limit=25, offset=50)
        Page(limit=25, offset=50, after_id=None)
    """

    limit: int = 0
    offset: int = 0
    after_id: uuid.UUID | None = None


def parse_pagination(params: Mapping[str, Sequence[str]]) -> Page:
    """Validate `after_id`, `limit` and `offset` exactly as Coder's `ParsePagination` does.

    Args:
        params: every query parameter with its values in order (e.g. from `parse_go_query`);
            parameters other than the three are ignored.

    Raises:
        InvalidPagination: listing, in the order after_id, limit, offset, each bad parameter.

    Example:
        >>> parse_pagination({"limit": ["25"], "offset": [""]})
        Page(limit=25, offset=0, after_id=None)
        >>> try:
        ...     parse_pagination({"limit": ["bogus"], "offset": ["-1"]})
        ... except InvalidPagination as error:
        ...     for validation in error.validations:
        ...         print(validation.field, "|", validation.detail)
        limit | Query param "limit" must be a valid 32-bit positive integer: strconv.ParseInt: parsing "bogus": invalid syntax
        offset | Query param "offset" must be a valid 32-bit positive integer: value is negative
    """
    parser = QueryParamParser(params)
    # Read in Coder's order: the validations come out in this order.
    after_id = parser.uuid("after_id")
    limit = parser.positive_int32("limit")
    offset = parser.positive_int32("offset")
    if parser.validations:
        raise InvalidPagination(tuple(parser.validations))
    return Page(limit=limit, offset=offset, after_id=after_id)
