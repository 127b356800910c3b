"""The mock's `Profile` of the "newest" version: its facts and the engine's own strategies.

Example:
    >>> PROFILE.name, PROFILE.count_cap, PROFILE.read_check
    ('newest', 2000, 'route middleware, before routing')
"""

from __future__ import annotations

from ..._auth import TokenCarrier
from ..._model import User
from ..._pagination import Page, parse_pagination
from ..._render import render_log
from ..._search import parse_search_query
from .. import AT_INSERT, ROUTE, Profile
from . import facts


def _username_newest(user: User, value: str) -> bool:
    """`lower(username)` equals the (lowercased) value and the user is not deleted (§2.1)."""
    return not user.deleted and user.username.lower() == value


def _window_newest(page: Page) -> tuple[int, int]:
    """`COALESCE(NULLIF(limit, 0), 100)`: absent or 0 means 100 (§3.1)."""
    return page.limit or facts.DEFAULT_LIMIT, page.offset


def _count_newest(total: int, page_length: int) -> int:
    """The capped number of matching logs, whatever the page (§3.1)."""
    return total


PROFILE = Profile(
    name=facts.NAME,
    coder=facts.CODER,
    package=__name__.rpartition(".")[0],
    resource_types=facts.RESOURCE_TYPES,
    audit_actions=facts.AUDIT_ACTIONS,
    build_reasons=facts.BUILD_REASONS,
    user_statuses=facts.USER_STATUSES,
    parse_search=parse_search_query,
    search_keys=facts.SEARCH_KEYS,
    filter_resource_types=frozenset(facts.RESOURCE_TYPES),
    filter_actions=frozenset(facts.AUDIT_ACTIONS),
    rejects_bad_search=facts.REJECTS_BAD_SEARCH,
    username_matches=_username_newest,
    username_me=True,
    parse_pagination=parse_pagination,
    sql_window=_window_newest,
    count_rule=_count_newest,
    count_cap=facts.COUNT_CAP,
    token_carriers=tuple(TokenCarrier(*carrier) for carrier in facts.TOKEN_CARRIERS),
    www_authenticate=facts.WWW_AUTHENTICATE,
    forbidden_detail=facts.FORBIDDEN_DETAIL,
    read_check=ROUTE,
    org_scoped_reads=facts.ORG_SCOPED_READS,
    csrf_check=facts.CSRF_CHECK,
    json_short_control_escapes=facts.JSON_SHORT_CONTROL_ESCAPES,
    response_headers=facts.RESPONSE_HEADERS,
    testgenerate_fields=facts.TESTGENERATE_FIELDS,
    create_check=AT_INSERT,
    render_log=render_log,
    data_rules=None,
    openapi_file=facts.OPENAPI_FILE,
)
