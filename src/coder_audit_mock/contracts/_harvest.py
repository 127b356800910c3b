"""The corpus a run draws from: values that exist on the target (`harvest_corpus`).

Example:
    >>> from coder_audit_mock.contracts._target import open_target
    >>> with open_target() as target:
    ...     len(harvest_corpus(target, max_logs=150).logs)  # whole pages of 100
    200
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Iterable
from typing import Any

from ._coder import NIL
from ._paths import USERS_ME_PATH
from ._probe import DEFAULT_LIMIT, Probe
from ._target import Target
from .strategies import Corpus

__all__ = ["harvest", "harvest_corpus"]


def _most_common(
    values: Iterable[tuple[str | None, str | None]], limit: int
) -> list[tuple[str, str]]:
    """The `limit` most frequent (lowercased name, id) pairs with both present.

    The most frequent names are worth confirming: queries are anchored on logs, and these
    names cover the most of them.
    """
    counts = collections.Counter(
        (name.lower(), ident) for name, ident in values if name and ident and '"' not in name
    )
    return [pair for pair, _ in counts.most_common(limit)]


def _caller_id(probe: Probe) -> str | None:
    """The owner's user id: from GET /api/v2/users/me (real Coder), else from `username:me`."""
    try:
        response = probe.send("GET", USERS_ME_PATH)
        body = response.json() if response.status_code == 200 else None
    except ValueError:
        body = None
    caller = body.get("id") if isinstance(body, dict) else None
    if isinstance(caller, str):
        return caller
    page = probe.try_page({"q": "username:me", "limit": 1})
    return page.facts[0].user_id if page is not None and page.logs else None


def _verified(probe: Probe, key: str, pairs: list[tuple[str, str]], field: str) -> dict[str, str]:
    """Names the server's `key:` filter finds, each with the id of what it found.

    Deleted users and organizations keep their names in old logs, but `username:` and
    `organization:` do not find them (§2.1): only names confirmed here are used.
    """
    found: dict[str, str] = {}
    for name, ident in pairs:
        page = probe.try_page({"q": f'{key}:"{name}"', "limit": 1})
        if page is not None and page.logs and getattr(page.facts[0], field) == ident:
            found[name] = ident
    return found


def harvest(probe: Probe, max_logs: int, max_probes: int) -> Corpus:
    logs: list[Any] = []
    while len(logs) < max_logs:
        page = probe.page({"limit": DEFAULT_LIMIT, "offset": len(logs)})
        logs.extend(page.logs)
        if len(page.logs) < DEFAULT_LIMIT:
            break
    corpus = Corpus.from_logs(logs)
    users = _most_common(((f.username, f.user_id) for f in corpus.logs), max_probes)
    organizations = _most_common(
        ((f.organization_name, f.organization_id) for f in corpus.logs if f.organization_id != NIL),
        max_probes,
    )
    return dataclasses.replace(
        corpus,
        caller_id=_caller_id(probe),
        usernames=_verified(probe, "username", users, "user_id"),
        organizations=_verified(probe, "organization", organizations, "organization_id"),
    )


def harvest_corpus(target: Target, *, max_logs: int = 300, max_probes: int = 20) -> Corpus:
    """Read values that exist on `target` with the owner's token, for the strategies.

    Walks `GET /api/v2/audit` pages (newest first) until `max_logs` logs, learns the owner's
    user id (`/api/v2/users/me`, else `username:me`), and confirms up to `max_probes`
    usernames and organization names with one filtered request each.

    Args:
        target: the server; it must provide an "owner" token.
        max_logs: at most this many logs are read.
        max_probes: at most this many usernames (and as many organization names) are confirmed.

    Raises:
        ContractViolation: if the owner cannot read a page (check "harvest").

    Example:
        >>> from coder_audit_mock.contracts._target import open_target
        >>> with open_target() as target:
        ...     corpus = harvest_corpus(target, max_logs=100)
        >>> len(corpus.logs), corpus.caller_id is not None
        (100, True)
    """
    return harvest(Probe(target, "harvest"), max_logs, max_probes)
