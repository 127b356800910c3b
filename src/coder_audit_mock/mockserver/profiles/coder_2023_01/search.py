"""EARLY (2023-01) search query `q` -> `SearchFilter`, as `auditSearchQuery` in `coderd/audit.go` read it.

§2.2 (and §3.2, §3.3). The 2023-01 parser was lenient where NEWEST is strict:

1. An empty `q` is no filter; otherwise the whole query is lowercased.
2. Split on spaces outside double quotes (quotes kept), then each element on `:` outside quotes
   (empty parts dropped, `"` trimmed from both ends of every part). No joining of free words and
   no start/end-colon check: `action:` is the free word `action`.
3. One part sets `resource_type`, two parts set that key, both with `url.Values.Set`: the LAST
   one wins. Zero parts (`:`) or three and more (`a:b:c`) are the one structural error.
4. Keys read: date_from, date_to, resource_type, resource_id, action, username, email. Every
   other key (resource_target, request_id, organization, build_reason, anything) is ignored.
5. Dates parse as `YYYY-MM-DD` with errors ignored (a bad date is Go's zero time); a given
   `date_to` covers its day to 23:59:59, and one before `date_from` is a `q` error.
6. resource_type and action filter only for the values the handler's switch honoured
   (`facts.FILTER_RESOURCE_TYPES`, `facts.FILTER_ACTIONS`); anything else silently means no filter.
7. A bad `resource_id` is the only per-key error.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from coder_audit_mock.mockserver._errors import InvalidSearchQuery, Validation
from coder_audit_mock.mockserver._goparse import (
    GO_ZERO_TIME_US,
    GoParseError,
    go_lower,
    go_quote,
    parse_go_date,
    parse_go_uuid,
)
from coder_audit_mock.mockserver._model import NIL_UUID
from coder_audit_mock.mockserver._render import format_time
from coder_audit_mock.mockserver._search import END_OF_DAY_US, SearchFilter, split_outside_quotes

from .facts import FILTER_ACTIONS, FILTER_RESOURCE_TYPES


def _search_values(query: str) -> dict[str, str]:
    """Each key's value, the last one winning (`searchParams.Set`). `query` is lowercased."""
    values: dict[str, str] = {}
    for element in split_outside_quotes(query, " "):
        parts = [part.strip('"') for part in split_outside_quotes(element, ":")]
        if len(parts) == 1:
            values["resource_type"] = parts[0]
        elif len(parts) == 2:
            values[parts[0]] = parts[1]
        else:
            detail = f"Query element {go_quote(element)} can only contain 1 ':'"
            raise InvalidSearchQuery((Validation("q", detail),))
    return values


def _lenient_date(text: str) -> int:
    """`time.Parse(layout, text)` with the error ignored: Go's zero time when it fails."""
    try:
        return parse_go_date(text)
    except GoParseError:
        return GO_ZERO_TIME_US


def go_time_text(us: int) -> str:
    """Go's `time.Time.String()` of a UTC time, as `%q` prints it inside the date_to error.

    Example:
        >>> go_time_text(-62_135_510_401_000_000)
        '0001-01-01 23:59:59 +0000 UTC'
    """
    return format_time(us).replace("T", " ").removesuffix("Z") + " +0000 UTC"


def parse_search_query_early(
    q: str, *, resolve_organization: Callable[[str], uuid.UUID | None] | None = None
) -> SearchFilter:
    """Parse `q` exactly as Coder's 2023-01 server did (§2.2).

    Args:
        q: the raw query text; "" means no filter.
        resolve_organization: ignored (EARLY had no `organization` key); accepted so that both
            profiles' parsers are called alike.

    Raises:
        InvalidSearchQuery: a `q` error for an element with no or several `:`, or for a
            `date_to` before `date_from`; else a `resource_id` error for a bad uuid.

    Example:
        >>> parse_search_query_early("group Action:Create action:start foo:bar")
        SearchFilter(request_id=None, resource_id=None, resource_target='', username='', email='', date_from=None, date_to=None, organization_id=None, resource_type='', action='', build_reason='')
        >>> try:
        ...     parse_search_query_early("date_from:2022-08-15 date_to:2022-08-14")
        ... except InvalidSearchQuery as error:
        ...     print(error.validations[0].detail)
        DateTo value "2022-08-14 23:59:59 +0000 UTC" cannot be before than DateFrom
    """
    if q == "":
        return SearchFilter()
    values = _search_values(go_lower(q))
    date_from = _lenient_date(values.get("date_from", ""))
    date_to: int | None = None
    if values.get("date_to", ""):
        date_to = _lenient_date(values["date_to"]) + END_OF_DAY_US
        if date_to < date_from:
            detail = (
                f"DateTo value {go_quote(go_time_text(date_to))} cannot be before than DateFrom"
            )
            raise InvalidSearchQuery((Validation("q", detail),))
    resource_id: uuid.UUID | None = None
    if values.get("resource_id", ""):
        resource_id = parse_go_uuid(values["resource_id"])
        if resource_id is None:
            detail = 'Query param "resource_id" must be a valid uuid'
            raise InvalidSearchQuery((Validation("resource_id", detail),))
    resource_type = values.get("resource_type", "")
    action = values.get("action", "")
    return SearchFilter(
        # The SQL skips the nil uuid and Go's zero time (§3.2: skip-if-empty).
        resource_id=None if resource_id == NIL_UUID else resource_id,
        username=values.get("username", ""),
        email=values.get("email", ""),
        date_from=None if date_from == GO_ZERO_TIME_US else date_from,
        date_to=date_to,
        resource_type=resource_type if resource_type in FILTER_RESOURCE_TYPES else "",
        action=action if action in FILTER_ACTIONS else "",
    )
