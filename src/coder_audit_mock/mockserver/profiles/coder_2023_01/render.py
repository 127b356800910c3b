"""Derive Coder's JSON for one audit log, EARLY (2023-01) shapes (§4.5-§4.7 EARLY parts).

What differs from NEWEST (`_render`):

- key order of `codersdk.AuditLog`: `organization_id` right after `time`; no `organization`;
- `user`: id, username, email, created_at, last_seen_at (always Go's zero time), status,
  organization_ids (always `null`), roles, avatar_url (always present);
- `additional_fields` in camelCase (`workspaceName`, `buildNumber`, `workspaceOwner`);
- `description`: `{user} <verb>`, ` build #<n> for` for workspace builds, no status wording,
  `api key` for tokens;
- `resource_link`: workspaces and builds are linked through the actor or `workspaceOwner`, not a
  database lookup; `is_deleted` is looked up for templates, users, workspaces and builds only.

Diffs, times, ips and the jsonb key order are rendered as in NEWEST (`_render`).
"""

from __future__ import annotations

from typing import Any

from ..._model import AuditLog, Deployment, User
from ..._render import (
    FRIENDLY_ACTIONS,
    FRIENDLY_RESOURCES,
    AdditionalFieldsShape,
    KnownFields,
    decode_additional_fields,
    format_time,
    is_deleted,
    render_log,
    render_roles,
)
from .facts import LOOKED_UP_TYPES, RESOURCE_TYPES

# §4.2: the friendly names of EARLY's nine types are NEWEST's, but EARLY said "api key" where
# NEWEST says "token". (The five EARLY actions have the same verbs in both versions, §4.1.)
_FRIENDLY_RESOURCES: dict[str, str] = {
    **{resource_type: FRIENDLY_RESOURCES[resource_type] for resource_type in RESOURCE_TYPES},
    "api_key": "api key",
}
# Go's zero time.Time: EARLY's audit query did not select last_seen_at (§4.5).
_ZERO_TIME_TEXT = "0001-01-01T00:00:00Z"
# §4.5: EARLY's `codersdk.AuditLog` is NEWEST's but for `organization_id`, which came
# right after `time`, and `organization`, which it did not have.
_LEADING_KEYS = ("id", "request_id", "time", "organization_id")

# §4.5: EARLY's struct had camelCase JSON names; a stored value that does not decode
# comes back as the struct filled with "unknown", in its field order. (The key set of that
# fallback is derived from the fields EARLY read; testgenerate of 2023-01 always stored `{}`, so
# no request can produce it.)
EARLY_ADDITIONAL_FIELDS = AdditionalFieldsShape(
    json_names={
        "workspacename": "workspace_name",
        "buildnumber": "build_number",
        "workspaceowner": "workspace_owner",
    },
    unknown={"workspaceName": "unknown", "buildNumber": "unknown", "workspaceOwner": "unknown"},
)


def describe_early(log: AuditLog, fields: KnownFields) -> str:
    """The EARLY `description` template (§4.6 EARLY).

    Args:
        log: the stored row.
        fields: its decoded additional fields (the build number comes from there).

    Example:
        >>> import dataclasses
        >>> from coder_audit_mock.mockserver import _generate, _render
        >>> some_log = _generate.generate_deployment(log_count=1).logs[0]
        >>> start = dataclasses.replace(some_log, resource_type="workspace_build", action="start")
        >>> describe_early(start, _render.KnownFields(build_number="3"))
        '{user} started build #3 for workspace {target}'
    """
    text = "{user} " + FRIENDLY_ACTIONS.get(log.action, "unknown")
    if log.resource_type == "workspace_build" and log.action != "delete":
        text += f" build #{fields.build_number} for" if fields.build_number else " build for"
    if log.resource_type == "git_ssh_key":
        return text + " the git ssh key"
    return text + " " + _FRIENDLY_RESOURCES.get(log.resource_type, "unknown") + " {target}"


def resource_link_early(log: AuditLog, fields: KnownFields, actor: User | None) -> str:
    """The EARLY `resource_link` of a resource that is not deleted (§4.7 EARLY column).

    Example:
        >>> import dataclasses
        >>> from coder_audit_mock.mockserver._generate import generate_deployment
        >>> from coder_audit_mock.mockserver._render import KnownFields
        >>> log = generate_deployment(log_count=1).logs[0]
        >>> workspace = dataclasses.replace(log, resource_type="workspace", resource_target="dev")
        >>> resource_link_early(workspace, KnownFields(workspace_owner="bob"), None)
        '/@bob/dev'
    """
    target = log.resource_target
    actor_name = "" if actor is None else actor.username
    if log.resource_type == "template":
        return f"/templates/{target}"
    if log.resource_type == "user":
        return f"/users?filter={target}"
    if log.resource_type == "workspace":
        return f"/@{fields.workspace_owner or actor_name}/{target}"
    if log.resource_type == "workspace_build":
        if not fields.workspace_name or not fields.build_number:
            return ""
        return f"/@{actor_name}/{fields.workspace_name}/builds/{fields.build_number}"
    return ""


def render_user_early(user: User) -> dict[str, Any]:
    """The EARLY `codersdk.User` of a log's actor, in Go field order (§4.5).

    Example:
        >>> from coder_audit_mock.mockserver._model import NIL_UUID
        >>> u = User(id=NIL_UUID, username="alice", email="a@example.com", created_at=0,
        ...          updated_at=0, last_seen_at=0, site_roles=("owner",))
        >>> body = render_user_early(u)
        >>> body["last_seen_at"], body["organization_ids"], body["avatar_url"]
        ('0001-01-01T00:00:00Z', None, '')
    """
    return {
        "id": str(user.id),
        "username": user.username,
        "email": user.email,
        "created_at": format_time(user.created_at),
        "last_seen_at": _ZERO_TIME_TEXT,
        "status": user.status,
        "organization_ids": None,
        "roles": render_roles(user),
        "avatar_url": user.avatar_url,
    }


def render_log_early(log: AuditLog, d: Deployment, viewer: object = None) -> dict[str, Any]:
    """One EARLY `codersdk.AuditLog` as Coder 2023-01 answered it, keys in Go order (§4.5).

    `viewer` is ignored: before dbauthz (February 2023) the lookups ran with the server's own
    rights, so every caller saw the same links.

    Args:
        log: the stored row.
        d: the deployment, for the live lookups.

    Example:
        >>> from coder_audit_mock.mockserver._generate import generate_deployment
        >>> d = generate_deployment(log_count=1)
        >>> list(render_log_early(d.logs[0], d))[:5]
        ['id', 'request_id', 'time', 'organization_id', 'ip']
    """
    additional_fields, fields = decode_additional_fields(
        log.additional_fields, EARLY_ADDITIONAL_FIELDS
    )
    actor = None if log.user_id is None else d.users.get(log.user_id)
    deleted = log.resource_type in LOOKED_UP_TYPES and is_deleted(log, d)
    own = {
        "additional_fields": additional_fields,
        "description": describe_early(log, fields),
        "resource_link": "" if deleted else resource_link_early(log, fields, actor),
        "is_deleted": deleted,
        "user": None if actor is None else render_user_early(actor),
    }
    # Every other key is serialised as NEWEST does (the engine's serialiser), in its order.
    newest = render_log(log, d)
    body = {key: newest[key] for key in _LEADING_KEYS}
    body.update(
        (key, value) for key, value in newest.items() if key not in ("organization", "user")
    )
    body.update(own)  # in place, but `user`, which comes last
    return body
