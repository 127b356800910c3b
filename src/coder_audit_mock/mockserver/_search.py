"""The audit search query `q` -> `SearchFilter`, as Coder's NEWEST `searchquery.AuditLogs` reads it.

§2.1 (grammar, keys, validation details), §2.3 (worked examples), §3.3 (date bounds).
The pipeline, each step named after the Go code it mirrors (`coderd/searchquery/search.go`):

1. `strings.ToLower` on the whole query (`go_lower`).
2. `splitQueryParameterByDelimiter(q, ' ', true)`: split on spaces outside double quotes, quotes
   kept, empty fields dropped (`strings.FieldsFunc`).
3. `processTokens`: tokens with a `:` stay; the others are joined by single spaces into ONE
   free-text element, placed last.
4. `searchTerms`: an element starting or ending with `:` is a `q` error, and so is one with more
   than one `:` outside quotes; either stops parsing at once. Otherwise the element is split on
   `:` outside quotes (empty parts dropped, `"` trimmed from both ends of each part): one part is
   free text, added as a `resource_type` value (the element as is, quotes included); two parts
   are a key and a value.
5. `QueryParamParser`: keys read in a fixed order, every problem collected (see `_goparse`),
   then one error per unknown key.

All of it is linear in the length of `q`: the splits are single regular-expression scans whose
alternatives start with different characters, so they never backtrack.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Callable

from coder_audit_mock.mockserver._errors import InvalidSearchQuery, Validation
from coder_audit_mock.mockserver._goparse import (
    GO_ZERO_TIME_US,
    US_PER_SECOND,
    GoParseError,
    QueryParamParser,
    go_lower,
    go_quote,
    parse_go_uuid,
)
from coder_audit_mock.mockserver._model import (
    AUDIT_ACTIONS,
    BUILD_REASONS,
    NIL_UUID,
    RESOURCE_TYPES,
)

# A field of `strings.FieldsFunc` with the quote toggle: runs of non-delimiter characters and
# quoted stretches (an unclosed quote runs to the end), glued together.
_SPACE_FIELD = re.compile(r'(?:[^ "]+|"[^"]*"?)+')
_COLON_FIELD = re.compile(r'(?:[^:"]+|"[^"]*"?)+')
_FIELDS_BY_DELIMITER = {" ": _SPACE_FIELD, ":": _COLON_FIELD}

# §3.3: `date_to` covers its day up to 23:59:59, not to the last fraction of a second.
END_OF_DAY_US = (23 * 3600 + 59 * 60 + 59) * US_PER_SECOND


@dataclasses.dataclass(frozen=True, slots=True)
class SearchFilter:
    """What `q` asks for. Empty strings and None mean "no filter" (§2.1, §3.1).

    Attributes:
        request_id: exact `request_id` (a nil uuid is no filter, as in Coder's SQL).
        resource_id: exact `resource_id` (nil = no filter).
        resource_target: exact, already lowercased.
        username: compared with the lowercased username of a non-deleted user; `me` is kept
            literally for the app to replace with the caller.
        email: exact, already lowercased.
        date_from: inclusive lower bound, microseconds since the epoch (UTC).
        date_to: inclusive upper bound: the given day + 23:59:59 (§3.3).
        organization_id: the organization, given as a uuid or resolved from its name.
        resource_type: a database `resource_type` value.
        action: a database `audit_action` value.
        build_reason: a database `build_reason` value.

    Example:
        >>> SearchFilter(action="create") == parse_search_query("Action:CREATE",
        ...                                                     resolve_organization=lambda name: None)
        True
    """

    request_id: uuid.UUID | None = None
    resource_id: uuid.UUID | None = None
    resource_target: str = ""
    username: str = ""
    email: str = ""
    date_from: int | None = None
    date_to: int | None = None
    organization_id: uuid.UUID | None = None
    resource_type: str = ""
    action: str = ""
    build_reason: str = ""


def split_outside_quotes(text: str, delimiter: str) -> list[str]:
    """`splitQueryParameterByDelimiter(text, delimiter, true)`: the fields between `delimiter`s
    outside double quotes, quotes kept, empty fields dropped (both EARLY and NEWEST use it).

    Args:
        text: the text to split.
        delimiter: " " or ":".

    Example:
        >>> split_outside_quotes('a  b:"c d" e', " ")
        ['a', 'b:"c d"', 'e']
    """
    return _FIELDS_BY_DELIMITER[delimiter].findall(text)


def _query_error(detail: str) -> InvalidSearchQuery:
    return InvalidSearchQuery((Validation("q", detail),))


def _element_parts(element: str) -> list[str]:
    """`splitQueryParameterByDelimiter(element, ':', false)`."""
    if ":" not in element:  # e.g. the free text: one part, whatever its quotes
        return [element]
    if '"' not in element:
        return [part for part in element.split(":") if part]
    return [part.strip('"') for part in split_outside_quotes(element, ":")]


def _search_values(query: str) -> dict[str, list[str]]:
    """`searchTerms` for audit logs: each key's values, in order. `query` is already lowercased."""
    tokens = split_outside_quotes(query, " ")
    elements = [token for token in tokens if ":" in token]
    free_words = [token for token in tokens if ":" not in token]
    if free_words:
        elements.append(" ".join(free_words))
    values: dict[str, list[str]] = {}
    for element in elements:
        key, _, value = element.partition(":")
        if key and value and ":" not in value and '"' not in element:
            values.setdefault(key, []).append(value)  # the common `key:value`, decided quickly
            continue
        if element.startswith(":") or element.endswith(":"):
            raise _query_error(f"Query element {go_quote(element)} cannot start or end with ':'")
        parts = _element_parts(element)
        if len(parts) == 1:
            values.setdefault("resource_type", []).append(element)
        elif len(parts) == 2:
            values.setdefault(parts[0], []).append(parts[1])
        else:
            raise _query_error(f"Query element {go_quote(element)} can only contain 1 ':'")
    return values


def _organization_parser(
    resolve_organization: Callable[[str], uuid.UUID | None],
) -> Callable[[str], uuid.UUID]:
    """`parseOrganization`: a uuid as is (no existence check), else an organization name."""

    def parse(value: str) -> uuid.UUID:
        organization_id = parse_go_uuid(value)
        if organization_id is None:
            organization_id = resolve_organization(value)
        if organization_id is None:
            raise GoParseError(
                f"organization {go_quote(value)} either does not exist, "
                "or you are unauthorized to view it"
            )
        return organization_id

    return parse


def _unless_nil(value: uuid.UUID | None) -> uuid.UUID | None:
    # Coder's SQL skips a uuid filter equal to the nil uuid (§3.1).
    return None if value == NIL_UUID else value


def _unless_zero_time(value: int | None) -> int | None:
    # Coder's SQL skips a date equal to Go's zero time, 0001-01-01 00:00:00 (§3.1),
    # and `AuditLogs` adds 23:59:59 to `date_to` only when it is not that zero time.
    return None if value == GO_ZERO_TIME_US else value


_NO_FILTER = SearchFilter()


def parse_search_query(
    q: str,
    *,
    resolve_organization: Callable[[str], uuid.UUID | None],
) -> SearchFilter:
    """Parse the audit search query `q` exactly as Coder's NEWEST server does (§2.1).

    Args:
        q: the raw query text; "" means no filter.
        resolve_organization: called with a (lowercased) `organization:` value that is not a
            uuid; returns the id of the non-deleted organization of that name that the caller
            may see, or None.

    Raises:
        InvalidSearchQuery: with Coder's validations: a single `q` error for a malformed element,
            else one per bad key in the order request_id, resource_id, resource_target, username,
            email, date_from, date_to, organization, resource_type, action, build_reason, then
            one per unknown key (Go's order there is random; the mock keeps the order of `q`).

    Example:
        >>> search = parse_search_query('workspace Action:Create resource_target:"My Thing"',
        ...                             resolve_organization=lambda name: None)
        >>> search.resource_type, search.action, search.resource_target
        ('workspace', 'create', 'my thing')
        >>> try:
        ...     parse_search_query("action:bogus foo:bar", resolve_organization=lambda name: None)
        ... except InvalidSearchQuery as error:
        ...     for validation in error.validations:
        ...         print(validation.field, "|", validation.detail)
        action | Query param "action" has invalid value: "bogus" is not a valid value
        foo | "foo" is not a valid query param
    """
    if not q.strip(" "):  # the common case, a UI page without a filter: nothing to parse
        return _NO_FILTER
    parser = QueryParamParser(_search_values(go_lower(q)))
    # Keyword arguments are evaluated left to right: this is Coder's reading (and error) order.
    search = SearchFilter(
        request_id=_unless_nil(parser.uuid("request_id")),
        resource_id=_unless_nil(parser.uuid("resource_id")),
        resource_target=parser.string("resource_target"),
        username=parser.string("username"),
        email=parser.string("email"),
        date_from=_unless_zero_time(parser.date("date_from")),
        date_to=_unless_zero_time(parser.date("date_to")),
        organization_id=_unless_nil(
            parser.custom("organization", _organization_parser(resolve_organization))
        ),
        resource_type=parser.enum("resource_type", RESOURCE_TYPES),
        action=parser.enum("action", AUDIT_ACTIONS),
        build_reason=parser.enum("build_reason", BUILD_REASONS),
    )
    parser.reject_unparsed()
    if parser.validations:
        raise InvalidSearchQuery(tuple(parser.validations))
    if search.date_to is None:
        return search
    return dataclasses.replace(search, date_to=search.date_to + END_OF_DAY_US)
