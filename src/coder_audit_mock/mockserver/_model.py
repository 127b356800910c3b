"""The fake deployment's records: what the mock stores, before it is rendered as Coder JSON.

Every enum here is Coder's NEWEST database enum (§4), in the database's order,
re-exported from `profiles/newest/facts.py`.
Times are integer microseconds since the Unix epoch (UTC): Postgres keeps microseconds, and
integers compare and sort fast over a million logs.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from .profiles.newest import facts as _newest

NIL_UUID = uuid.UUID(int=0)

# §4.1-§4.4: the NEWEST database enums, defined once in the version's facts
# (named here too: the engine's modules import them from `_model`).
AUDIT_ACTIONS = _newest.AUDIT_ACTIONS
RESOURCE_TYPES = _newest.RESOURCE_TYPES
BUILD_REASONS = _newest.BUILD_REASONS
USER_STATUSES = _newest.USER_STATUSES
LOGIN_TYPES = _newest.LOGIN_TYPES

# Site-wide role names and their display names (coderd/rbac/roles.go).
SITE_ROLE_DISPLAY_NAMES: dict[str, str] = {
    "owner": "Owner",
    "auditor": "Auditor",
    "template-admin": "Template Admin",
    "user-admin": "User Admin",
}
# Organization-scoped roles that may read that organization's audit logs (§6.3).
ORG_AUDIT_READER_ROLES: frozenset[str] = frozenset({"organization-admin", "organization-auditor"})
# Site-wide roles that may read every audit log (§6.3).
SITE_AUDIT_READER_ROLES: frozenset[str] = frozenset({"owner", "auditor"})


@dataclasses.dataclass(slots=True)
class Organization:
    id: uuid.UUID
    name: str
    display_name: str
    icon: str = ""
    is_default: bool = False
    deleted: bool = False


@dataclasses.dataclass(slots=True)
class User:
    id: uuid.UUID
    username: str
    email: str
    created_at: int
    updated_at: int
    last_seen_at: int
    status: str = "active"
    login_type: str = "password"
    name: str = ""
    avatar_url: str = ""
    site_roles: tuple[str, ...] = ()
    # organization id -> organization-scoped role names held there (membership = key present)
    organization_roles: dict[uuid.UUID, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    is_service_account: bool = False
    deleted: bool = False


@dataclasses.dataclass(slots=True)
class Template:
    id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    display_name: str
    created_by: uuid.UUID
    deleted: bool = False


@dataclasses.dataclass(slots=True)
class TemplateVersion:
    id: uuid.UUID
    template_id: uuid.UUID
    name: str


@dataclasses.dataclass(slots=True)
class Workspace:
    id: uuid.UUID
    organization_id: uuid.UUID
    owner_id: uuid.UUID
    template_id: uuid.UUID
    name: str
    deleted: bool = False


@dataclasses.dataclass(slots=True)
class WorkspaceBuild:
    id: uuid.UUID
    workspace_id: uuid.UUID
    number: int
    reason: str  # one of BUILD_REASONS
    transition: str  # "start" | "stop" | "delete"


@dataclasses.dataclass(slots=True)
class WorkspaceAgent:
    id: uuid.UUID
    workspace_id: uuid.UUID
    name: str


@dataclasses.dataclass(slots=True)
class WorkspaceApp:
    id: uuid.UUID
    agent_id: uuid.UUID
    slug: str


@dataclasses.dataclass(slots=True)
class Group:
    id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    member_ids: tuple[uuid.UUID, ...] = ()


@dataclasses.dataclass(slots=True)
class OAuth2ProviderApp:
    """An OAuth2 app Coder provides (§4.7: its logs link to the app's page)."""

    id: uuid.UUID
    name: str


@dataclasses.dataclass(slots=True)
class OAuth2ProviderAppSecret:
    """A client secret of an OAuth2 app; `display_secret` is the short visible part."""

    id: uuid.UUID
    app_id: uuid.UUID
    display_secret: str


@dataclasses.dataclass(slots=True)
class Task:
    """An AI task run in a workspace (§4.7: soft-deleted, linked by owner)."""

    id: uuid.UUID
    organization_id: uuid.UUID
    owner_id: uuid.UUID
    name: str
    workspace_id: uuid.UUID | None = None
    deleted: bool = False

    @classmethod
    def in_workspace(
        cls, workspace: Workspace, *, id: uuid.UUID, name: str, deleted: bool = False
    ) -> Task:
        """A task run in `workspace`, filed under the workspace's organization and owner.

        Example:
            >>> workspace = Workspace(NIL_UUID, NIL_UUID, NIL_UUID, NIL_UUID, "dev")
            >>> Task.in_workspace(workspace, id=NIL_UUID, name="fix-ci").workspace_id == NIL_UUID
            True
        """
        return cls(
            id=id,
            organization_id=workspace.organization_id,
            owner_id=workspace.owner_id,
            name=name,
            workspace_id=workspace.id,
            deleted=deleted,
        )


@dataclasses.dataclass(slots=True)
class Chat:
    """An agent chat; chats are hard-deleted, so a deleted chat is simply absent (§4.7)."""

    id: uuid.UUID
    organization_id: uuid.UUID
    owner_id: uuid.UUID
    title: str


@dataclasses.dataclass(slots=True)
class UserSecret:
    """A user's secret; hard-deleted like chats (§4.7)."""

    id: uuid.UUID
    user_id: uuid.UUID
    name: str


@dataclasses.dataclass(slots=True)
class APIKey:
    """A session token `<id>-<secret>` (§6.1): 10-character id, 22-character secret."""

    id: str
    secret: str
    user_id: uuid.UUID
    expires_at: int
    token_name: str = ""
    login_type: str = "password"

    @property
    def token(self) -> str:
        return f"{self.id}-{self.secret}"


@dataclasses.dataclass(slots=True)
class AuditLog:
    """One row of Coder's `audit_logs` table.

    `description`, `resource_link`, `is_deleted`, `organization` and `user` are not stored:
    Coder derives them when it answers (§4.5-§4.7), and so does the mock.

    Example:
        >>> log = AuditLog(uuid.UUID(int=1), 0, None, NIL_UUID, "", "curl/8", "user",
        ...                uuid.UUID(int=2), "alice", "create", {}, 201, {})
        >>> (log.action, log.request_id == NIL_UUID)
        ('create', True)
    """

    id: uuid.UUID
    time: int  # microseconds since the epoch, UTC
    user_id: uuid.UUID | None  # None where Coder has no actor (e.g. a failed login)
    organization_id: uuid.UUID
    ip: str  # "" when not recorded (§4.5)
    user_agent: str
    resource_type: str
    resource_id: uuid.UUID
    resource_target: str
    action: str
    diff: dict[str, Any]
    status_code: int
    additional_fields: Any  # the decoded JSON value stored in the jsonb column
    request_id: uuid.UUID = NIL_UUID
    resource_icon: str = ""


# The built-in callers, one per kind of access Coder grants to the audit log (§6.3).
BUILTIN_ROLES: tuple[str, ...] = ("owner", "auditor", "org-admin", "org-auditor", "member")


@dataclasses.dataclass(slots=True)
class Deployment:
    """Everything the fake Coder deployment holds. Audit logs may be in any order here.

    Example:
        >>> deployment = Deployment()
        >>> (deployment.logs, deployment.role_users)
        ([], {})
    """

    organizations: dict[uuid.UUID, Organization] = dataclasses.field(default_factory=dict)
    users: dict[uuid.UUID, User] = dataclasses.field(default_factory=dict)
    templates: dict[uuid.UUID, Template] = dataclasses.field(default_factory=dict)
    template_versions: dict[uuid.UUID, TemplateVersion] = dataclasses.field(default_factory=dict)
    workspaces: dict[uuid.UUID, Workspace] = dataclasses.field(default_factory=dict)
    builds: dict[uuid.UUID, WorkspaceBuild] = dataclasses.field(default_factory=dict)
    agents: dict[uuid.UUID, WorkspaceAgent] = dataclasses.field(default_factory=dict)
    apps: dict[uuid.UUID, WorkspaceApp] = dataclasses.field(default_factory=dict)
    groups: dict[uuid.UUID, Group] = dataclasses.field(default_factory=dict)
    api_keys: dict[str, APIKey] = dataclasses.field(default_factory=dict)  # by key id
    oauth2_apps: dict[uuid.UUID, OAuth2ProviderApp] = dataclasses.field(default_factory=dict)
    oauth2_app_secrets: dict[uuid.UUID, OAuth2ProviderAppSecret] = dataclasses.field(
        default_factory=dict
    )
    tasks: dict[uuid.UUID, Task] = dataclasses.field(default_factory=dict)
    chats: dict[uuid.UUID, Chat] = dataclasses.field(default_factory=dict)
    user_secrets: dict[uuid.UUID, UserSecret] = dataclasses.field(default_factory=dict)
    logs: list[AuditLog] = dataclasses.field(default_factory=list)
    # built-in role name (BUILTIN_ROLES, plus "suspended") -> the user who acts in that role
    role_users: dict[str, uuid.UUID] = dataclasses.field(default_factory=dict)
    # first_builds' index, with the `builds` table and the size it was made from.
    _first_builds: (
        tuple[dict[uuid.UUID, WorkspaceBuild], int, dict[uuid.UUID, WorkspaceBuild]] | None
    ) = dataclasses.field(default=None, init=False, repr=False, compare=False)

    def first_builds(self) -> dict[uuid.UUID, WorkspaceBuild]:
        """Build #1 of every workspace that has one: workspace id -> build.

        Kept until `builds` changes: the store classifies every log when it loads (a million,
        for big deployments), so a scan of the builds per workspace-create log would dominate.
        Builds are only ever added, so the table's identity and size tell when to rebuild.

        Example:
            >>> first = WorkspaceBuild(NIL_UUID, NIL_UUID, 1, "initiator", "start")
            >>> Deployment(builds={first.id: first}).first_builds()[first.workspace_id].reason
            'initiator'
        """
        memo = self._first_builds
        if memo is not None and memo[0] is self.builds and memo[1] == len(self.builds):
            return memo[2]
        index = {build.workspace_id: build for build in self.builds.values() if build.number == 1}
        self._first_builds = (self.builds, len(self.builds), index)
        return index


# The records logs point at, as a scenario file names its sections (`_scenario`):
# section name -> (Deployment attribute, record class).
RECORD_SECTIONS: dict[str, tuple[str, type[Any]]] = {
    "templates": ("templates", Template),
    "template_versions": ("template_versions", TemplateVersion),
    "workspaces": ("workspaces", Workspace),
    "workspace_builds": ("builds", WorkspaceBuild),
    "workspace_agents": ("agents", WorkspaceAgent),
    "workspace_apps": ("apps", WorkspaceApp),
    "groups": ("groups", Group),
    "oauth2_provider_apps": ("oauth2_apps", OAuth2ProviderApp),
    "oauth2_provider_app_secrets": ("oauth2_app_secrets", OAuth2ProviderAppSecret),
    "tasks": ("tasks", Task),
    "chats": ("chats", Chat),
    "user_secrets": ("user_secrets", UserSecret),
}
