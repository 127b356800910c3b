"""The mock's `Profile` of the "2023-01" version: its facts and this folder's strategies.

Example:
    >>> PROFILE.name, PROFILE.count_cap, PROFILE.read_check
    ('2023-01', None, 'GET handler only')
"""

from __future__ import annotations

from ..._auth import TokenCarrier
from ..._generate import DataRules
from ..._model import User
from .. import BEFORE_BODY, HANDLER, Profile
from . import facts
from .data import early_additional_fields
from .pagination import parse_pagination_early, sql_window_early
from .render import render_log_early
from .search import parse_search_query_early


def _username_early(user: User, value: str) -> bool:
    """`username` equals the (lowercased) value exactly, deleted users included (§2.2)."""
    return user.username == value


def _count_early(total: int, page_length: int) -> int:
    """The number of matching logs, but 0 whenever the page is empty (window count, §3.2)."""
    return total if page_length else 0


PROFILE = Profile(
    name=facts.NAME,
    coder=facts.CODER,
    package=__name__.rpartition(".")[0],
    resource_types=facts.RESOURCE_TYPES,
    audit_actions=facts.AUDIT_ACTIONS,
    build_reasons=facts.BUILD_REASONS,
    user_statuses=facts.USER_STATUSES,
    parse_search=parse_search_query_early,
    search_keys=facts.SEARCH_KEYS,
    filter_resource_types=facts.FILTER_RESOURCE_TYPES,
    filter_actions=facts.FILTER_ACTIONS,
    rejects_bad_search=facts.REJECTS_BAD_SEARCH,
    username_matches=_username_early,
    username_me=False,
    parse_pagination=parse_pagination_early,
    sql_window=sql_window_early,
    count_rule=_count_early,
    count_cap=facts.COUNT_CAP,
    token_carriers=tuple(TokenCarrier(*carrier) for carrier in facts.TOKEN_CARRIERS),
    www_authenticate=facts.WWW_AUTHENTICATE,
    forbidden_detail=facts.FORBIDDEN_DETAIL,
    read_check=HANDLER,
    org_scoped_reads=facts.ORG_SCOPED_READS,
    csrf_check=facts.CSRF_CHECK,
    json_short_control_escapes=facts.JSON_SHORT_CONTROL_ESCAPES,
    response_headers=facts.RESPONSE_HEADERS,
    testgenerate_fields=facts.TESTGENERATE_FIELDS,
    create_check=BEFORE_BODY,
    render_log=render_log_early,
    data_rules=DataRules(
        resource_types=frozenset(facts.RESOURCE_TYPES),
        actions=frozenset(facts.AUDIT_ACTIONS),
        user_statuses=frozenset(facts.USER_STATUSES),
        reshape_fields=early_additional_fields,
    ),
    openapi_file=facts.OPENAPI_FILE,
)
