"""Which records a set of audit logs needs, so that an export of those logs answers alike.

A log names its actor, its organization and its resource; a resource names its parents (a
build its workspace, a workspace its template and owner, an app its agent...). The closure
over those links, plus the built-in callers (their tokens must keep signing in), is what
`export_scenario(server, logs)` writes.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable

from ._model import AuditLog, Deployment

__all__ = ["referenced_ids"]

# The Deployment attributes that hold records with an `id`, and the other records they link to.
_TABLES = (
    "organizations", "users", "templates", "template_versions", "workspaces", "builds",
    "agents", "apps", "groups", "oauth2_apps", "oauth2_app_secrets", "tasks", "chats",
    "user_secrets",
)  # fmt: skip


def referenced_ids(deployment: Deployment, logs: Iterable[AuditLog]) -> set[uuid.UUID]:
    """The ids of every record the logs reach through their links, built-in callers included.

    Example:
        >>> from coder_audit_mock.mockserver import MockServer, MockSettings
        >>> server = MockServer(MockSettings(log_count=20))
        >>> log = server.store.logs[0]
        >>> ids = referenced_ids(server.deployment, [log])
        >>> log.organization_id in ids or log.organization_id.int == 0
        True
    """
    by_id = {
        record_id: record
        for table in _TABLES
        for record_id, record in getattr(deployment, table).items()
    }
    wanted: list[uuid.UUID] = [*deployment.role_users.values()]
    for log in logs:
        wanted += [log.resource_id, log.organization_id]
        if log.user_id is not None:
            wanted.append(log.user_id)
    seen: set[uuid.UUID] = set()
    while wanted:
        record_id = wanted.pop()
        if record_id in seen or record_id not in by_id:
            continue
        seen.add(record_id)
        record = by_id[record_id]
        for field in dataclasses.fields(record):
            value = getattr(record, field.name)
            if isinstance(value, uuid.UUID) and field.name != "id":
                wanted.append(value)
        if hasattr(record, "organization_roles"):  # a user's memberships
            wanted += list(record.organization_roles)
    # Every record that links to a kept one as its child (an agent of a kept workspace...) is
    # not needed: links point from child to parent, and the logs named the children.
    return seen
