"""The mock's `Profile` of the "2023-01" version: its facts and this folder's strategies.

Example:
    >>> PROFILE.name, PROFILE.count_cap, PROFILE.read_check
    ('2023-01', None, 'GET handler only')
"""

from __future__ import annotations

from typing import Any

from ..._generate import DataRules
from ..._model import User
from .. import profile_from_facts
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


# §4, §8: only what Coder 2023-01 could have recorded, reshaped to its fields.
_DATA_RULES = DataRules(
    resource_types=frozenset(facts.RESOURCE_TYPES),
    actions=frozenset(facts.AUDIT_ACTIONS),
    user_statuses=frozenset(facts.USER_STATUSES),
    reshape_fields=early_additional_fields,
)
# Where 2023-01 differs from the engine, by Profile field; every other field is a fact.
_OWN_STRATEGIES: dict[str, Any] = {
    "parse_search": parse_search_query_early,
    "username_matches": _username_early,
    "parse_pagination": parse_pagination_early,
    "sql_window": sql_window_early,
    "count_rule": _count_early,
    "render_log": render_log_early,
    "data_rules": _DATA_RULES,
}
PROFILE = profile_from_facts(facts, **_OWN_STRATEGIES)
