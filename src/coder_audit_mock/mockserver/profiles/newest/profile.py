"""The mock's `Profile` of the "newest" version: its facts and the engine's own strategies.

Example:
    >>> PROFILE.name, PROFILE.count_cap, PROFILE.read_check
    ('newest', 2000, 'route middleware, before routing')
"""

from __future__ import annotations

from ..._model import User
from ..._pagination import Page
from .. import profile_from_facts
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


# The engine's parsers and renderer are NEWEST's: only these three are this folder's own.
PROFILE = profile_from_facts(
    facts, username_matches=_username_newest, sql_window=_window_newest, count_rule=_count_newest
)
