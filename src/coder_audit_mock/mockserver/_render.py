"""Derive Coder's JSON for one audit log, NEWEST shapes (§4.5-§4.7).

Coder stores only the `audit_logs` row; `description`, `resource_link`, `is_deleted`, the
`organization` object and the `user` object are worked out when it answers (`coderd/audit.go`,
`convertAuditLog`), partly by looking resources up live. This module does the same against a
`Deployment`. Every dict it returns is already in Go's key order, so encoding it in order gives
Coder's bytes.
"""

from __future__ import annotations

import dataclasses
import functools
import uuid
from collections.abc import Mapping
from typing import Any

from ._errors import MockServerError
from ._goparse import parse_go_uuid
from ._json import go_float_text, pg_numeric_text
from ._model import (
    NIL_UUID,
    SITE_ROLE_DISPLAY_NAMES,
    AuditLog,
    Deployment,
    Organization,
    User,
    Workspace,
)
from ._viewer import FULL_VIEW, Viewer

# §4.1: `codersdk.AuditAction.Friendly()`.
FRIENDLY_ACTIONS: dict[str, str] = {
    "create": "created",
    "write": "updated",
    "delete": "deleted",
    "start": "started",
    "stop": "stopped",
    "login": "logged in",
    "logout": "logged out",
    "register": "registered",
    "request_password_reset": "password reset requested",
    "connect": "connected",
    "disconnect": "disconnected",
    "open": "opened",
    "close": "closed",
}

# §4.2: `codersdk.ResourceType.FriendlyString()` (NEWEST; some keep underscores).
FRIENDLY_RESOURCES: dict[str, str] = {
    "organization": "organization",
    "template": "template",
    "template_version": "template version",
    "user": "user",
    "workspace": "workspace",
    "git_ssh_key": "git ssh key",
    "api_key": "token",
    "group": "group",
    "workspace_build": "workspace",
    "license": "license",
    "workspace_proxy": "workspace proxy",
    "convert_login": "login type conversion",
    "health_settings": "health_settings",
    "oauth2_provider_app": "oauth2 app",
    "oauth2_provider_app_secret": "oauth2 app secret",
    "custom_role": "custom role",
    "organization_member": "organization member",
    "notifications_settings": "notifications_settings",
    "notification_template": "notification template",
    "idp_sync_settings_organization": "settings",
    "idp_sync_settings_group": "settings",
    "idp_sync_settings_role": "settings",
    "workspace_agent": "workspace agent",
    "workspace_app": "workspace app",
    "prebuilds_settings": "prebuilds_settings",
    "task": "task",
    "ai_seat": "ai seat",
    "chat": "chat",
    "user_secret": "user secret",
    "ai_provider": "ai provider",
    "ai_provider_key": "ai provider key",
    "group_ai_budget": "group ai budget",
    "user_skill": "user skill",
    "ai_gateway_key": "ai gateway key",
    "user_ai_budget_override": "user ai budget override",
}

# §4.6 rule 4: api_key logins/logouts/registrations have no target.
_AUTH_ACTIONS = frozenset({"login", "logout", "register"})
_SEE_OTHER = 303
_CHAT_ACL_FIELDS = frozenset({"user_acl", "group_acl"})

# Go's time.Time JSON range: MarshalJSON refuses years outside [0, 9999].
_MIN_YEAR = 0
_MAX_YEAR = 9999
_US_PER_SECOND = 1_000_000
_SECONDS_PER_DAY = 86_400


def format_time(us: int) -> str:
    """Go's RFC 3339 JSON time (`time.RFC3339Nano`) for UTC microseconds since the epoch.

    Trailing zeros of the fraction are dropped, and the fraction with them when it is zero
    (§4.5). Years 0-9999 only, like Go's `Time.MarshalJSON`.

    Args:
        us: microseconds since 1970-01-01T00:00:00Z (negative before it).

    Example:
        >>> format_time(1_714_566_896_123_456)
        '2024-05-01T12:34:56.123456Z'
        >>> format_time(1_714_566_896_120_000)
        '2024-05-01T12:34:56.12Z'
        >>> format_time(-62_135_596_800_000_000)
        '0001-01-01T00:00:00Z'
    """
    seconds, micros = divmod(us, _US_PER_SECOND)
    days, second_of_day = divmod(seconds, _SECONDS_PER_DAY)
    year, date = _date_text(days)
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        raise MockServerError(
            f"time {us} µs is in year {year}: JSON times must be in years 0-9999 (as in Go)"
        )
    hour, rest = divmod(second_of_day, 3600)
    minute, second = divmod(rest, 60)
    text = f"{date}T{hour:02d}:{minute:02d}:{second:02d}"
    if micros:
        text += "." + f"{micros:06d}".rstrip("0")
    return text + "Z"


@functools.lru_cache(maxsize=4096)
def _date_text(days: int) -> tuple[int, str]:
    """The year and `YYYY-MM-DD` of a day count; cached, as logs cluster in a few months."""
    year, month, day = _civil_from_days(days)
    return year, f"{year:04d}-{month:02d}-{day:02d}"


def _civil_from_days(days: int) -> tuple[int, int, int]:
    """Proleptic Gregorian (year, month, day) of a day count from 1970-01-01.

    Howard Hinnant's `civil_from_days`: pure integer arithmetic, so it covers year 0 (which
    Go accepts and `datetime` cannot represent) and is fast enough for a million logs.
    """
    shifted = days + 719_468
    era = shifted // 146_097
    day_of_era = shifted - era * 146_097
    year_of_era = (
        day_of_era - day_of_era // 1460 + day_of_era // 36_524 - day_of_era // 146_096
    ) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    month_index = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * month_index + 2) // 5 + 1
    month = month_index + 3 if month_index < 10 else month_index - 9
    year = year_of_era + era * 400 + (1 if month <= 2 else 0)
    return year, month, day


def describe(log: AuditLog) -> str:
    """The `description` template of a log, NEWEST rules in order (§4.6).

    `{user}` and `{target}` stay literal: the UI substitutes them.

    Args:
        log: the stored row; only action, resource type, status code and diff matter.

    Example:
        >>> from coder_audit_mock.mockserver._model import NIL_UUID
        >>> log = AuditLog(id=NIL_UUID, time=0, user_id=None, organization_id=NIL_UUID, ip="",
        ...                user_agent="", resource_type="template", resource_id=NIL_UUID,
        ...                resource_target="docker", action="delete", diff={}, status_code=403,
        ...                additional_fields={})
        >>> describe(log)
        '{user} unsuccessfully attempted to delete template {target}'
    """
    action = log.action
    # Rule 1: anyone who knows an email can ask for a reset, so no actor is named.
    prefix = "" if action == "request_password_reset" else "{user} "
    chat_text = _chat_description(log)
    if chat_text is not None:
        return prefix + chat_text
    parts = [prefix, _outcome(action, log.status_code)]
    resource_type = log.resource_type
    if resource_type == "api_key" and action in _AUTH_ACTIONS:
        return "".join(parts)
    friendly_resource = FRIENDLY_RESOURCES.get(resource_type, "unknown")
    if resource_type == "git_ssh_key":
        parts.append(" the " + friendly_resource)
        return "".join(parts)
    parts.append(" for" if action == "request_password_reset" else " " + friendly_resource)
    if resource_type == "convert_login":
        parts.append(" to")
    parts.append(" {target}")
    return "".join(parts)


def _outcome(action: str, status_code: int) -> str:
    """Rule 3: the verb, or the raw action behind a redirect/failure wording."""
    if status_code == _SEE_OTHER:
        return "was redirected attempting to " + action
    if status_code >= 400:
        return "unsuccessfully attempted to " + action
    return FRIENDLY_ACTIONS.get(action, "unknown")


def _chat_description(log: AuditLog) -> str | None:
    """Rule 2: the special texts of a successful chat `write`, or None to fall through.

    One `archived` entry flipping false->true (or back) archives (unarchives); entries that
    are all `user_acl`/`group_acl` are a sharing change. Anything mixed falls through.
    """
    if (
        log.resource_type != "chat"
        or log.action != "write"
        or log.status_code >= 400
        or log.status_code == _SEE_OTHER
    ):
        return None
    diff = _decode_diff(log.diff)
    if len(diff) == 1 and "archived" in diff:
        field = diff["archived"]
        old, new = field.get("old"), field.get("new")
        if old is False and new is True:
            return "archived chat {target}"
        if old is True and new is False:
            return "unarchived chat {target}"
        return None
    if diff and all(name in _CHAT_ACL_FIELDS for name in diff):
        return "updated sharing for chat {target}"
    return None


@dataclasses.dataclass(slots=True)
class KnownFields:
    """Coder's `audit.AdditionalFields` struct after `json.Unmarshal` (possibly partial)."""

    workspace_name: str = ""
    build_number: str = ""
    build_reason: str = ""
    workspace_owner: str = ""
    workspace_id: uuid.UUID = NIL_UUID


@dataclasses.dataclass(frozen=True, slots=True)
class AdditionalFieldsShape:
    """One Coder version's `audit.AdditionalFields` struct (§4.5).

    Attributes:
        json_names: each JSON name (lowercase, as Go matches it) -> the `KnownFields` attribute.
        unknown: what Coder answers instead of stored JSON that does not decode into the struct.

    Example:
        >>> NEWEST_ADDITIONAL_FIELDS.json_names["build_number"]
        'build_number'
    """

    json_names: Mapping[str, str]
    unknown: Mapping[str, str]


_UUID_FIELD = "workspace_id"
# The shape NEWEST Coder substitutes when the stored JSON does not decode (§4.5), as
# `json.Marshal` writes the struct: Go field order, nil uuid for the unset workspace_id.
NEWEST_ADDITIONAL_FIELDS = AdditionalFieldsShape(
    json_names={
        name: name
        for name in (
            "workspace_name",
            "build_number",
            "build_reason",
            "workspace_owner",
            _UUID_FIELD,
        )
    },
    unknown={
        "workspace_name": "unknown",
        "build_number": "unknown",
        "build_reason": "unknown",
        "workspace_owner": "unknown",
        _UUID_FIELD: str(NIL_UUID),
    },
)


def _go_fold(key: str) -> str:
    """Fold a JSON key the way Go matches it to a field name (`bytes.EqualFold`).

    The struct's names are ASCII, so only ASCII letters and the two non-ASCII letters whose
    simple case folding reaches ASCII (KELVIN SIGN -> k, LONG S -> s) can match.
    """
    if key.isascii():
        return key.lower()
    return "".join(
        "k" if c == "\u212a" else "s" if c == "\u017f" else c.lower() if c.isascii() else c
        for c in key
    )


def _decode_known_fields(
    value: Any, shape: AdditionalFieldsShape = NEWEST_ADDITIONAL_FIELDS
) -> tuple[KnownFields, bool]:
    """Mimic `json.Unmarshal(additional_fields, &audit.AdditionalFields{})`.

    Returns the decoded struct and whether decoding succeeded. Like Go: `null` decodes to the
    zero struct without error; a non-object is an error; a known field (matched
    case-insensitively) of the wrong JSON type is an error but decoding goes on; an unparsable
    `workspace_id` string stops decoding at once (an `UnmarshalText` error).
    """
    fields = KnownFields()
    if value is None:
        return fields, True
    if not isinstance(value, dict):
        return fields, False
    ok = True
    for key, item in value.items():
        name = shape.json_names.get(_go_fold(key))
        if item is None or name is None:
            continue
        if name == _UUID_FIELD:
            if not isinstance(item, str):
                ok = False
                continue
            parsed = parse_go_uuid(item)
            if parsed is None:
                return fields, False
            fields.workspace_id = parsed
        elif isinstance(item, str):
            setattr(fields, name, item)
        else:
            ok = False
    return fields, ok


def normalize_additional_fields(value: Any) -> Any:
    """`additional_fields` as Coder returns it (§4.5).

    A value that does not decode into Coder's `AdditionalFields` struct (a non-object, or a
    known field holding the wrong JSON type) becomes the "unknown" shape; anything else comes
    back as Postgres `jsonb` stores it: object keys ordered shorter first, then bytewise,
    at every depth. `null` decodes without error in Go, so it stays `null`.

    Args:
        value: the decoded JSON stored for the log.

    Example:
        >>> normalize_additional_fields({"workspace_owner": "", "build_number": "3"})
        {'build_number': '3', 'workspace_owner': ''}
        >>> normalize_additional_fields([0])["build_number"]
        'unknown'
    """
    return decode_additional_fields(value)[0]


def decode_additional_fields(
    value: Any, shape: AdditionalFieldsShape = NEWEST_ADDITIONAL_FIELDS
) -> tuple[Any, KnownFields]:
    """The returned `additional_fields` and the struct Coder decoded from the stored `jsonb`.

    Go decodes the stored bytes, so it meets the keys in `jsonb` order; that order matters
    because a bad `workspace_id` stops decoding (see `_decode_known_fields`).

    Args:
        value: the decoded JSON stored for the log.
        shape: the Coder version's struct (NEWEST by default).

    Example:
        >>> decode_additional_fields({"build_number": "3"})[1].build_number
        '3'
    """
    stored = _jsonb_order(value)
    fields, ok = _decode_known_fields(stored, shape)
    return (stored if ok else dict(shape.unknown)), fields


def _utf8(key: str) -> bytes:
    return key.encode("utf-8", "surrogatepass")


def _jsonb_key(key: str) -> tuple[int, bytes]:
    encoded = _utf8(key)
    return len(encoded), encoded


def _jsonb_order(value: Any) -> Any:
    """A value as Postgres `jsonb` writes it out (Coder passes the text on as `RawMessage`).

    Keys by byte length, then bytewise; arrays keep their order; numbers in `numeric`'s
    spelling (`pg_numeric_text`).
    """
    if isinstance(value, dict):
        return {key: _jsonb_order(value[key]) for key in sorted(value, key=_jsonb_key)}
    if isinstance(value, list):
        return [_jsonb_order(item) for item in value]
    if isinstance(value, float):
        return pg_numeric_text(value)
    return value


def _go_map_order(value: Any) -> Any:
    """A value decoded into Go's `any` and encoded again.

    Maps have their keys sorted bytewise (UTF-8) at every depth; every number became a
    float64 (`go_float_text`: 1.0 is written 1, big integers lose their last digits).
    """
    if isinstance(value, dict):
        return {key: _go_map_order(value[key]) for key in sorted(value, key=_utf8)}
    if isinstance(value, list):
        return [_go_map_order(item) for item in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return go_float_text(value)
    return value


def _decode_diff(diff: Any) -> dict[str, dict[str, Any]]:
    """Mimic `json.Unmarshal(diff, &codersdk.AuditDiff{})` with its error ignored.

    A non-object diff leaves the map empty; a field that is not an object decodes to the zero
    `AuditDiffField`; `old`/`new` are kept only when not null, `secret` only when a bool.
    """
    if not isinstance(diff, dict):
        return {}
    decoded: dict[str, dict[str, Any]] = {}
    for name, field in diff.items():
        entry: dict[str, Any] = {}
        if isinstance(field, dict):
            for key in ("old", "new"):
                if field.get(key) is not None:
                    entry[key] = field[key]
            secret = field.get("secret")
            entry["secret"] = secret if isinstance(secret, bool) else False
        else:
            entry["secret"] = False
        decoded[name] = entry
    return decoded


def render_diff(diff: Any) -> dict[str, Any]:
    """The `diff` object in Go's encoding order.

    `codersdk.AuditDiff` is a map, so its field names come sorted; each entry is an
    `AuditDiffField` struct, so `old`, `new`, `secret` stay in struct order (the recorded
    corpus, tests/fidelity/corpus, shows it), and the values inside are maps again.

    Example:
        >>> render_diff({"b": {"secret": True, "new": {"z": 1, "a": 2}, "old": 0}, "a": 7})
        {'a': {'secret': False}, 'b': {'old': 0, 'new': {'a': 2, 'z': 1}, 'secret': True}}
    """
    decoded = _decode_diff(diff)
    return {
        name: {key: _go_map_order(item) for key, item in decoded[name].items()}
        for name in sorted(decoded, key=_utf8)
    }


def is_deleted(log: AuditLog, d: Deployment, viewer: Viewer | None = FULL_VIEW) -> bool:
    """Whether the log's resource is gone, looked up live as `viewer` (§4.7).

    No row means deleted; a row the viewer may not read means NOT deleted (Go's zero value,
    see `_viewer.py`), except for builds, whose zero workspace id then finds no row.

    Args:
        log: the stored row.
        d: the deployment holding the resources.
        viewer: the caller's read permissions (default: an owner's, everything).

    Example:
        >>> from coder_audit_mock.mockserver._generate import generate_deployment
        >>> d = generate_deployment(log_count=0)
        >>> owner = d.users[d.role_users["owner"]]
        >>> log = AuditLog(id=NIL_UUID, time=0, user_id=None, organization_id=NIL_UUID, ip="",
        ...                user_agent="", resource_type="user", resource_id=owner.id,
        ...                resource_target=owner.username, action="write", diff={},
        ...                status_code=200, additional_fields={})
        >>> is_deleted(log, d)
        False
    """
    resource_type = log.resource_type
    rid = log.resource_id
    if resource_type == "template":
        template = d.templates.get(rid)
        if template is None:
            return True
        return template.deleted and _may(viewer, "template", template.organization_id)
    if resource_type == "user":
        user = d.users.get(rid)
        if user is None:
            return True
        return user.deleted and _may(viewer, "user", owner_id=user.id)
    if resource_type == "workspace_build":
        build = d.builds.get(rid)
        workspace = None if build is None else d.workspaces.get(build.workspace_id)
        if workspace is None or not _may_workspace(viewer, workspace):
            return (
                True  # dbauthz checks the build through its workspace; then GetWorkspaceByID(nil)
            )
        return workspace.deleted
    if resource_type in _WORKSPACE_PROXIED:
        workspace_id = _workspace_of(resource_type, rid, d)
        workspace = None if workspace_id is None else d.workspaces.get(workspace_id)
        if workspace is None:
            return True
        return workspace.deleted and _may_workspace(viewer, workspace)
    if resource_type == "task":
        task = d.tasks.get(rid)
        if task is None:
            return True
        return task.deleted and _may(viewer, "task", task.organization_id, task.owner_id)
    if resource_type == "oauth2_provider_app_secret" and not _may(viewer, "oauth2_app_secret"):
        return False  # dbauthz checks the permission before it looks for the row
    table = _HARD_DELETED.get(resource_type)
    if table is not None:
        return rid not in getattr(d, table)
    return False


def _may(
    viewer: Viewer | None,
    kind: str,
    organization_id: uuid.UUID | None = None,
    owner_id: uuid.UUID | None = None,
) -> bool:
    if viewer is None:
        return kind != "user_secret"
    return viewer.may_read(kind, organization_id=organization_id, owner_id=owner_id)


def _may_workspace(viewer: Viewer | None, workspace: Workspace) -> bool:
    return _may(viewer, "workspace", workspace.organization_id, workspace.owner_id)


def _readable_user(viewer: Viewer | None, d: Deployment, user_id: uuid.UUID) -> User | None:
    user = d.users.get(user_id)
    return user if user is not None and _may(viewer, "user", owner_id=user.id) else None


# Types whose deletion Coder judges through their workspace (§4.7).
_WORKSPACE_PROXIED = frozenset({"workspace", "workspace_build", "workspace_agent", "workspace_app"})
# Types that are gone when their row is gone: resource type -> Deployment attribute.
_HARD_DELETED: dict[str, str] = {
    "oauth2_provider_app": "oauth2_apps",
    "oauth2_provider_app_secret": "oauth2_app_secrets",
    "chat": "chats",
    "user_secret": "user_secrets",
}


def _workspace_of(resource_type: str, rid: uuid.UUID, d: Deployment) -> uuid.UUID | None:
    """The workspace a workspace/build/agent/app id belongs to, or None when a row is missing."""
    if resource_type == "workspace":
        return rid
    if resource_type == "workspace_build":
        build = d.builds.get(rid)
        return None if build is None else build.workspace_id
    if resource_type == "workspace_app":
        app = d.apps.get(rid)
        if app is None:
            return None
        rid = app.agent_id
    agent = d.agents.get(rid)
    return None if agent is None else agent.workspace_id


def resource_link(log: AuditLog, d: Deployment, viewer: Viewer | None = FULL_VIEW) -> str:
    """The UI path of the log's resource, NEWEST table (§4.7); "" when deleted.

    It takes `is_deleted`'s arguments, and every lookup runs as `viewer`: a row it may not
    read gives "" (`_viewer.py`).

    Example:
        >>> from coder_audit_mock.mockserver._generate import generate_deployment
        >>> d = generate_deployment(log_count=1)
        >>> owner = d.users[d.role_users["owner"]]
        >>> about = {"resource_type": "user", "resource_id": owner.id, "resource_target": "root"}
        >>> resource_link(dataclasses.replace(d.logs[0], **about), d)  # the target names it
        '/users?filter=root'
    """
    if is_deleted(log, d, viewer):
        return ""
    return _live_link(log, d, decode_additional_fields(log.additional_fields)[1], viewer)


def _live_link(
    log: AuditLog, d: Deployment, fields: KnownFields, viewer: Viewer | None = FULL_VIEW
) -> str:
    """`auditLogResourceLink` for a resource that is not deleted."""
    resource_type = log.resource_type
    target = log.resource_target
    rid = log.resource_id
    if resource_type == "template":
        return f"/templates/{target}"
    if resource_type == "user":
        return f"/users?filter={target}"
    if resource_type == "workspace":
        workspace = d.workspaces.get(rid)
        if workspace is None or not _may_workspace(viewer, workspace):
            return ""
        owner = _readable_user(viewer, d, workspace.owner_id)
        return "" if owner is None else f"/@{owner.username}/{target}"
    if resource_type == "workspace_build":
        return _build_link(rid, d, fields, viewer)
    if resource_type in ("workspace_agent", "workspace_app"):
        if fields.workspace_owner and fields.workspace_name:
            return f"/@{fields.workspace_owner}/{fields.workspace_name}"
        workspace_id = _workspace_of(resource_type, rid, d)
        workspace = None if workspace_id is None else d.workspaces.get(workspace_id)
        if workspace is None or not _may_workspace(viewer, workspace):
            return ""
        # workspaces_expanded.owner_name is the owner's display name (users.name), not the
        # username: the recorded corpus shows "/@Mia Member/dev". An owner row that is gone
        # leaves it empty.
        owner = d.users.get(workspace.owner_id)
        return f"/@{'' if owner is None else owner.name}/{workspace.name}"
    if resource_type == "oauth2_provider_app":
        return f"/deployment/oauth2-provider/apps/{rid}"
    if resource_type == "oauth2_provider_app_secret":
        secret = d.oauth2_app_secrets.get(rid)
        if secret is None or not _may(viewer, "oauth2_app_secret"):
            return ""
        return f"/deployment/oauth2-provider/apps/{secret.app_id}"
    if resource_type == "task":
        return _task_link(rid, d, viewer)
    if resource_type == "chat":
        return f"/agents/{rid}"
    if resource_type == "group_ai_budget":
        return _group_link(rid, d, viewer)
    return ""


def _build_link(
    build_id: uuid.UUID, d: Deployment, fields: KnownFields, viewer: Viewer | None
) -> str:
    # The path takes the name and number from additional_fields, the owner from the database.
    if not fields.workspace_name or not fields.build_number:
        return ""
    build = d.builds.get(build_id)
    workspace = None if build is None else d.workspaces.get(build.workspace_id)
    if workspace is None or not _may_workspace(viewer, workspace):
        return ""
    owner = _readable_user(viewer, d, workspace.owner_id)
    if owner is None:
        return ""
    return f"/@{owner.username}/{fields.workspace_name}/builds/{fields.build_number}"


def _task_link(task_id: uuid.UUID, d: Deployment, viewer: Viewer | None) -> str:
    task = d.tasks.get(task_id)
    if task is None or not _may(viewer, "task", task.organization_id, task.owner_id):
        return ""
    owner = _readable_user(viewer, d, task.owner_id)
    return "" if owner is None else f"/tasks/{owner.username}/{task.id}"


def _group_link(group_id: uuid.UUID, d: Deployment, viewer: Viewer | None) -> str:
    group = d.groups.get(group_id)
    if group is None or not _may(viewer, "group", group.organization_id):
        return ""
    organization = d.organizations.get(group.organization_id)
    if organization is None or not _may(viewer, "organization", organization.id):
        return ""
    return f"/organizations/{organization.name}/groups/{group.name}"


def joined_build_reason(log: AuditLog, d: Deployment) -> str | None:
    """The build reason the `build_reason:` filter sees for a log (§2.1).

    `workspace_build` logs join the build whose id is the resource id; `workspace` + `create`
    logs join build #1 of that workspace; every other log joins nothing (None).

    Args:
        log: the stored row.
        d: the deployment holding the builds.

    Example:
        >>> from coder_audit_mock.mockserver._generate import generate_deployment
        >>> d = generate_deployment(log_count=0)
        >>> build = next(iter(d.builds.values()))
        >>> log = AuditLog(id=NIL_UUID, time=0, user_id=None, organization_id=NIL_UUID, ip="",
        ...                user_agent="", resource_type="workspace_build", resource_id=build.id,
        ...                resource_target="", action="start", diff={}, status_code=200,
        ...                additional_fields={})
        >>> joined_build_reason(log, d) == build.reason
        True
    """
    if log.resource_type == "workspace_build":
        build = d.builds.get(log.resource_id)
        return None if build is None else build.reason
    if log.resource_type == "workspace" and log.action == "create":
        first = d.first_builds().get(log.resource_id)
        return None if first is None else first.reason
    return None


def render_user(user: User) -> dict[str, Any]:
    """The NEWEST `codersdk.User` object of a log's actor (§4.5).

    Go field order; `name`, `avatar_url` and `is_service_account` are omitted when empty;
    `organization_ids` is always `[]` (Coder leaves it blank here) and `roles` holds the site
    roles only.

    Args:
        user: the actor.

    Example:
        >>> from coder_audit_mock.mockserver._model import NIL_UUID
        >>> u = User(id=NIL_UUID, username="alice", email="a@example.com", created_at=0,
        ...          updated_at=0, last_seen_at=0, site_roles=("owner",))
        >>> render_user(u)["roles"]
        [{'name': 'owner', 'display_name': 'Owner'}]
        >>> "name" in render_user(u)
        False
    """
    body: dict[str, Any] = {"id": str(user.id), "username": user.username}
    if user.name:
        body["name"] = user.name
    if user.avatar_url:
        body["avatar_url"] = user.avatar_url
    body["email"] = user.email
    body["created_at"] = format_time(user.created_at)
    body["updated_at"] = format_time(user.updated_at)
    body["last_seen_at"] = format_time(user.last_seen_at)
    body["status"] = user.status
    body["login_type"] = user.login_type
    if user.is_service_account:
        body["is_service_account"] = True
    body["organization_ids"] = []
    body["roles"] = render_roles(user)
    body["has_ai_seat"] = False
    return body


def render_roles(user: User) -> list[dict[str, str]]:
    """The user's site roles as `[{name, display_name}]` (both versions, §4.5).

    Example:
        >>> u = User(id=NIL_UUID, username="a", email="", created_at=0, updated_at=0,
        ...          last_seen_at=0, site_roles=("auditor", "custom"))
        >>> render_roles(u)
        [{'name': 'auditor', 'display_name': 'Auditor'}, {'name': 'custom', 'display_name': ''}]
    """
    # db2sdk: a role rbac does not know still appears, with an empty display name.
    return [
        {"name": role, "display_name": SITE_ROLE_DISPLAY_NAMES.get(role, "")}
        for role in user.site_roles
    ]


def _render_organization(organization_id: uuid.UUID, d: Deployment) -> dict[str, str]:
    # A LEFT JOIN: an organization id with no row still yields the object, with empty fields.
    organization = d.organizations.get(organization_id) or Organization(
        id=organization_id, name="", display_name=""
    )
    return {
        "id": str(organization_id),
        "name": organization.name,
        "display_name": organization.display_name,
        "icon": organization.icon,
    }


def render_log(log: AuditLog, d: Deployment, viewer: Viewer | None = FULL_VIEW) -> dict[str, Any]:
    """One `codersdk.AuditLog` as Coder answers it, keys in Go order (§4.5).

    `organization` is omitted for logs without an organization (nil uuid); `user` is `None`
    (JSON null) when the actor is unknown.

    Args:
        log: the stored row.
        d: the deployment, for the live lookups.
        viewer: the caller's read permissions for those lookups (default: an owner's).

    Example:
        >>> from coder_audit_mock.mockserver._generate import generate_deployment
        >>> d = generate_deployment(log_count=3)
        >>> list(render_log(d.logs[0], d))[:4]
        ['id', 'request_id', 'time', 'ip']
    """
    additional_fields, fields = decode_additional_fields(log.additional_fields)
    deleted = is_deleted(log, d, viewer)
    body: dict[str, Any] = {
        "id": str(log.id),
        "request_id": str(log.request_id),
        "time": format_time(log.time),
        "ip": log.ip,
        "user_agent": log.user_agent,
        "resource_type": log.resource_type,
        "resource_id": str(log.resource_id),
        "resource_target": log.resource_target,
        "resource_icon": log.resource_icon,
        "action": log.action,
        "diff": render_diff(log.diff),
        "status_code": log.status_code,
        "additional_fields": additional_fields,
        "description": describe(log),
        "resource_link": "" if deleted else _live_link(log, d, fields, viewer),
        "is_deleted": deleted,
        "organization_id": str(log.organization_id),
    }
    if log.organization_id != NIL_UUID:
        body["organization"] = _render_organization(log.organization_id, d)
    actor = None if log.user_id is None else d.users.get(log.user_id)
    body["user"] = None if actor is None else render_user(actor)
    return body
