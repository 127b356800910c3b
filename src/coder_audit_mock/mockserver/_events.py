"""The event catalog: every kind of audit row the fake deployment can log (see `_generate`).

An `Event` is one resource, one action, its diff and additional fields, who may do it and with
which statuses; `EventCatalog` derives the weighted events from an `EntityPool`, following
Coder's rules for each resource type (§2.1, §4.5-§4.7). Logs are then drawn from it.

Example:
    >>> from coder_audit_mock.mockserver._generate import generate_deployment
    >>> {log.action for log in generate_deployment(log_count=200).logs} >= {"create", "write"}
    True
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ._entities import EntityPool
from ._errors import MockServerError
from ._json import jsonable
from ._model import (
    NIL_UUID,
    Chat,
    Group,
    Organization,
    User,
    Workspace,
    WorkspaceAgent,
    WorkspaceApp,
    WorkspaceBuild,
)

# `audit.noID` ("51A51C" = "Static"): the resource id of deployment-wide IdP sync settings.
_STATIC_RESOURCE_ID = uuid.UUID("51a51c00-0000-0000-0000-000000000000")
_FAILURE_RATE = 0.06  # share of an event's weight that fails (status >= 400, empty diff)
_FAILURE_STATUSES = (400, 403, 403, 403, 404, 409, 500)
_BACKGROUND_BUILD_REASONS = frozenset(
    {"autostart", "autostop", "dormancy", "failedstop", "autodelete", "task_auto_pause"}
)
# How often each resource type appears, relative to the others.
_TYPE_WEIGHTS: dict[str, float] = {
    "workspace_build": 24,
    "workspace": 11,
    "api_key": 20,
    "user": 7,
    "template": 4,
    "template_version": 4,
    "group": 3,
    "organization": 1.2,
    "organization_member": 2,
    "git_ssh_key": 1,
    "workspace_agent": 2.5,
    "workspace_app": 2.5,
    "chat": 1.5,
    "task": 0.8,
    "license": 0.3,
    "workspace_proxy": 0.4,
    "convert_login": 0.3,
    "health_settings": 0.2,
    "notifications_settings": 0.2,
    "prebuilds_settings": 0.2,
    "oauth2_provider_app": 0.4,
    "oauth2_provider_app_secret": 0.3,
    "custom_role": 0.4,
    "notification_template": 0.3,
    "idp_sync_settings_organization": 0.2,
    "idp_sync_settings_group": 0.2,
    "idp_sync_settings_role": 0.2,
    "ai_seat": 0.3,
    "user_secret": 0.5,
    "ai_provider": 0.2,
    "ai_provider_key": 0.2,
    "group_ai_budget": 0.2,
    "user_skill": 0.3,
    "ai_gateway_key": 0.2,
    "user_ai_budget_override": 0.2,
}
_CONNECTION_TYPES = ("SSH", "VS Code Remote", "JetBrains", "Web Terminal")


@dataclasses.dataclass(frozen=True, slots=True)
class Event:
    """One kind of audit row: what happened to which resource. Many logs repeat an event."""

    resource_type: str
    action: str
    resource_id: uuid.UUID
    resource_target: str
    organization_id: uuid.UUID
    actors: tuple[uuid.UUID | None, ...]  # drawn uniformly; repeat an id to favour it
    statuses: tuple[int, ...]  # drawn uniformly
    diff: dict[str, Any]
    additional_fields: Any
    # "request": an API call; "agent": reported by a workspace agent (no user agent or request
    # id); "background": Coder's own jobs (no ip, user agent or request id).
    origin: str = "request"


def _zero(value: Any) -> Any:
    """Go's zero value of a field's type; slices are nil, i.e. JSON null (omitted, §4.5)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 0
    if isinstance(value, uuid.UUID):
        return NIL_UUID
    if isinstance(value, str):
        return ""
    if isinstance(value, dict):  # a sql.Null* struct: {"String": …, "Valid": …}
        return {k: _zero(v) for k, v in value.items()}
    return None


def _diff(
    old: Mapping[str, Any], new: Mapping[str, Any], secrets: Iterable[str] = ()
) -> dict[str, Any]:
    """Coder's `audit.Diff`: changed fields as `{old, new, secret}`; secrets show zero values."""
    hidden = frozenset(secrets)
    changes: dict[str, Any] = {}
    for name in dict.fromkeys([*old, *new]):
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        if name in hidden:
            changes[name] = {"old": "", "new": "", "secret": True}
            continue
        field: dict[str, Any] = {}
        if before is not None:
            field["old"] = jsonable(before)
        if after is not None:
            field["new"] = jsonable(after)
        field["secret"] = False
        changes[name] = field
    return changes


def _zeros(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _zero(value) for name, value in fields.items()}


# Success statuses: POST creates answer 201, other writes 200, token deletion 204.
_SUCCESS_STATUS = {"create": 201, "write": 200, "delete": 200}
_SUCCESS_STATUS_EXCEPTIONS = {("api_key", "delete"): 204}


@dataclasses.dataclass(frozen=True, slots=True)
class _Subject:
    """A resource as Coder's `audit.ResourceID`/`ResourceTarget` describe it, and who acts on it."""

    resource_type: str
    resource_id: uuid.UUID
    target: str
    actors: tuple[uuid.UUID | None, ...]
    organization_id: uuid.UUID = NIL_UUID

    def event(
        self,
        action: str,
        statuses: tuple[int, ...],
        diff: dict[str, Any] | None = None,
        additional_fields: Any = None,
        origin: str = "request",
    ) -> Event:
        return Event(
            resource_type=self.resource_type,
            action=action,
            resource_id=self.resource_id,
            resource_target=self.target,
            organization_id=self.organization_id,
            actors=self.actors,
            statuses=statuses,
            diff={} if diff is None else diff,
            additional_fields={} if additional_fields is None else additional_fields,
            origin=origin,
        )


_CRUD = ("create", "write", "delete")
_CREATE_WRITE = ("create", "write")
_CREATE_DELETE = ("create", "delete")


class EventCatalog:
    """Turns the entity pool into weighted events, grouped by resource type."""

    def __init__(self, pool: EntityPool) -> None:
        self.pool = pool
        self.d = pool.d
        self.rng = pool.rng
        self.by_type: dict[str, list[tuple[float, Event]]] = {t: [] for t in _TYPE_WEIGHTS}
        self.owners = tuple(pool.site_role_holders("owner"))

    def build(self) -> list[tuple[float, Event]]:
        """Every event with its weight; each resource type gets its `_TYPE_WEIGHTS` share."""
        self._workspace_events()
        self._account_events()
        self._template_events()
        self._organization_events()
        self._integration_events()
        self._ai_events()
        weighted: list[tuple[float, Event]] = []
        for resource_type, entries in self.by_type.items():
            total = sum(weight for weight, _ in entries)
            if not total:
                raise MockServerError(f"internal: no audit events for {resource_type!r}")
            share = _TYPE_WEIGHTS[resource_type] / total
            weighted.extend((weight * share, event) for weight, event in entries)
        return weighted

    def add(self, weight: float, event: Event, *, can_fail: bool = True) -> None:
        """Add an event; unless told otherwise a share of its weight fails (status >= 400).

        Coder records diffs only for successful requests, so the failing twin has `{}`.
        """
        entries = self.by_type[event.resource_type]
        if not can_fail:
            entries.append((weight, event))
            return
        entries.append((weight * (1 - _FAILURE_RATE), event))
        failed = dataclasses.replace(event, statuses=_FAILURE_STATUSES, diff={})
        entries.append((weight * _FAILURE_RATE, failed))

    def crud(
        self,
        subject: _Subject,
        fields: Mapping[str, Any],
        actions: Sequence[str] = _CRUD,
        changes: Sequence[Mapping[str, Any]] = (),
        secrets: Sequence[str] = (),
    ) -> None:
        """create/write/delete events of one resource, diffs derived from its fields.

        A create diffs zero values against `fields`, a delete the reverse, and each of
        `changes` is one kind of write.
        """
        diffs: dict[str, list[dict[str, Any]]] = {
            "create": [_diff(_zeros(fields), fields, secrets)],
            "write": [_diff(fields, {**fields, **change}, secrets) for change in changes] or [{}],
            "delete": [_diff(fields, _zeros(fields), secrets)],
        }
        for action in actions:
            status = _SUCCESS_STATUS_EXCEPTIONS.get(
                (subject.resource_type, action), _SUCCESS_STATUS[action]
            )
            for diff in diffs[action]:
                self.add(1.0 / len(diffs[action]), subject.event(action, (status,), diff))

    # -- actors ----------------------------------------------------------------------------

    def admins(self, organization_id: uuid.UUID, *site_roles: str) -> tuple[uuid.UUID, ...]:
        """Who administers something: site owners, the given site roles, the org's admins."""
        people = {*self.owners, *self.pool.site_role_holders(*site_roles)}
        ordered = [user_id for user_id in self.d.users if user_id in people]
        if organization_id != NIL_UUID:
            ordered += self.pool.org_role_holders(organization_id, "organization-admin")
        return tuple(ordered) or self.owners

    @staticmethod
    def mostly(user_id: uuid.UUID, others: Sequence[uuid.UUID]) -> tuple[uuid.UUID, ...]:
        """Mostly the user, sometimes one of two administrators."""
        return (user_id, user_id, user_id, *others[:2])

    # -- workspaces ----------------------------------------------------------------------------

    def _workspace_events(self) -> None:
        d = self.d
        for workspace in d.workspaces.values():
            org = workspace.organization_id
            subject = _Subject("workspace", workspace.id, workspace.name,
                               self.mostly(workspace.owner_id, self.admins(org)), org)  # fmt: skip
            fields = {
                "name": workspace.name,
                "owner_id": workspace.owner_id,
                "organization_id": org,
                "template_id": workspace.template_id,
                "ttl": {"Int64": 28_800_000_000_000, "Valid": True},
            }
            changes = (
                {"ttl": {"Int64": 3_600_000_000_000, "Valid": True}},
                {"autostart_schedule": {"String": "CRON_TZ=Europe/Berlin 30 8 * * 1-5",
                                        "Valid": True}},
                {"automatic_updates": "always"},
            )  # fmt: skip
            self.crud(subject, fields, _CRUD if workspace.deleted else _CREATE_WRITE, changes)
        for build in d.builds.values():
            self._build_event(build)
        for agent in d.agents.values():
            self._agent_events(agent)
        for app in d.apps.values():
            self._app_events(app)
        for task in d.tasks.values():
            subject = _Subject("task", task.id, task.name,
                               self.mostly(task.owner_id, self.owners), task.organization_id)  # fmt: skip
            fields = {"name": task.name, "workspace_id": task.workspace_id, "prompt": "Fix it"}
            actions = _CREATE_DELETE if task.deleted else _CREATE_WRITE
            self.crud(subject, fields, actions, ({"prompt": "Fix it and add a test"},))

    @staticmethod
    def _build_fields(workspace: Workspace, build: WorkspaceBuild) -> dict[str, str]:
        """NEWEST additional fields of a workspace build (§4.5), Go struct order."""
        return {
            "workspace_name": workspace.name,
            "build_number": str(build.number),
            "build_reason": build.reason,
            "workspace_owner": "",
            "workspace_id": str(workspace.id),
        }

    def _build_event(self, build: WorkspaceBuild) -> None:
        """The build's own transition; automatic builds come from Coder, not a request."""
        workspace = self.d.workspaces[build.workspace_id]
        subject = _Subject("workspace_build", build.id, "", (workspace.owner_id,),
                           workspace.organization_id)  # fmt: skip
        fields = self._build_fields(workspace, build)
        if build.reason in _BACKGROUND_BUILD_REASONS:
            event = subject.event(build.transition, (200,), None, fields, origin="background")
        else:
            event = subject.event(build.transition, (201,), None, fields)
        self.add(1.0, event)
        if build.number == 2 and self.rng.random() < 0.1:
            # Rows from EARLY Coder kept camelCase keys, which NEWEST ignores (no build link).
            legacy = {"workspaceName": workspace.name, "buildNumber": str(build.number)}
            self.add(0.05, dataclasses.replace(event, additional_fields=legacy), can_fail=False)

    def _agent_events(self, agent: WorkspaceAgent) -> None:
        """Deprecated connect/disconnect rows (§4.1), with `connection_type`."""
        workspace = self.d.workspaces[agent.workspace_id]
        latest = max(
            (b for b in self.d.builds.values() if b.workspace_id == workspace.id),
            key=lambda b: b.number,
        )
        subject = _Subject("workspace_agent", agent.id, agent.name, (workspace.owner_id,),
                           workspace.organization_id)  # fmt: skip
        for connection_type in self.rng.sample(_CONNECTION_TYPES, 2):
            fields = {
                **self._build_fields(workspace, latest),
                "agent_id": str(agent.id),
                "connection_type": connection_type,
            }
            for action in ("connect", "disconnect"):
                event = subject.event(action, (200,), None, fields, origin="agent")
                self.add(1.0, event, can_fail=False)

    def _app_events(self, app: WorkspaceApp) -> None:
        """Deprecated open/close rows; path-based apps often answer 303 (§4.6)."""
        workspace = self.d.workspaces[self.d.agents[app.agent_id].workspace_id]
        owner = self.d.users[workspace.owner_id]
        subject = _Subject("workspace_app", app.id, app.slug, (owner.id,),
                           workspace.organization_id)  # fmt: skip
        fields = {
            "workspace_name": workspace.name,
            "workspace_owner": owner.username,
            "workspace_id": str(workspace.id),
            "slug_or_port": app.slug,
        }
        for action, statuses in (("open", (200, 200, 200, 303)), ("close", (200,))):
            self.add(1.0, subject.event(action, statuses, None, fields, "agent"), can_fail=False)

    # -- accounts: users, sessions, tokens, ssh keys -------------------------------------------

    def _account_events(self) -> None:
        user_admins = self.admins(NIL_UUID, "user-admin")
        for user in self.d.users.values():
            self._user_events(user, user_admins)
            if not user.is_service_account:
                self._session_events(user)
                self._ssh_key_events(user)
        for key in self.d.api_keys.values():
            if key.token_name:
                # audit.ResourceID of an API key is its user; the target is the token name.
                subject = _Subject("api_key", key.user_id, key.token_name, (key.user_id,))
                fields = {"token_name": key.token_name, "lifetime_seconds": 2_592_000,
                          "user_id": key.user_id, "hashed_secret": "x"}  # fmt: skip
                self.crud(subject, fields, _CREATE_DELETE, secrets=("hashed_secret",))

    def _user_events(self, user: User, user_admins: tuple[uuid.UUID, ...]) -> None:
        subject = _Subject("user", user.id, user.username, user_admins)
        fields = {
            "username": user.username,
            "email": user.email,
            "status": "active",
            "login_type": user.login_type,
            "rbac_roles": list(user.site_roles) or None,
            "hashed_password": "x" if user.login_type == "password" else "",
        }
        changes: list[dict[str, Any]] = [{"name": user.name or "Pat Doe"}]
        if user.site_roles:
            changes.append({"rbac_roles": None})
        if user.status == "suspended":
            changes.append({"status": "suspended"})
        actions = _CRUD if user.deleted else _CREATE_WRITE
        self.crud(subject, fields, actions, changes, secrets=("hashed_password",))
        itself = dataclasses.replace(subject, actors=(user.id,))
        if user.status == "dormant":
            # Coder's dormancy job marks the user itself (§4.5 automatic actors).
            dormancy = {"automatic_actor": "coder", "automatic_subsystem": "dormancy"}
            diff = _diff({"status": "active"}, {"status": "dormant"})
            event = itself.event("write", (200,), diff, dormancy, origin="background")
            self.add(1.0, event, can_fail=False)
        if user.login_type == "password":
            passcode = "hashed_one_time_passcode"
            diff = _diff({passcode: ""}, {passcode: "x"}, (passcode,))
            self.add(0.3, itself.event("request_password_reset", (204,), diff))

    def _ssh_key_events(self, user: User) -> None:
        # audit.ResourceID of a git SSH key is its user; the target is the public key.
        public_key = self._public_key()
        subject = _Subject("git_ssh_key", user.id, public_key, (user.id,))
        fields = {"user_id": user.id, "public_key": public_key, "private_key": "x"}
        regenerated = {"public_key": self._public_key(), "private_key": "y"}
        self.crud(subject, fields, _CREATE_WRITE, (regenerated,), secrets=("private_key",))

    def _public_key(self) -> str:
        return "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + f"{self.rng.getrandbits(160):040x}"

    def _session_events(self, user: User) -> None:
        """login/logout/register on api_key: no diff, no target (§4.6 rule 4).

        A failed login creates no key, so its resource id is nil; when the account is unknown
        there is no actor either (`user` null, §4.5).
        """
        itself = _Subject("api_key", user.id, "", (user.id,))
        no_key = _Subject("api_key", NIL_UUID, "", (user.id,))
        oauth = user.login_type in ("github", "oidc")
        success = (307,) if oauth else (201,)  # OAuth callbacks redirect
        weighted: list[tuple[float, Event]] = []
        if user.status == "suspended":
            weighted.append((1.0, no_key.event("login", (403,))))
        else:
            weighted += [
                (8.0, itself.event("login", success)),
                (0.8, no_key.event("login", (401, 401, 400))),
                (0.5, dataclasses.replace(no_key, actors=(None,)).event("login", (401, 400))),
                (2.5, itself.event("logout", (200,))),
            ]
        if oauth and user.status != "suspended":
            key_fields = {"user_id": user.id, "login_type": user.login_type, "hashed_secret": "x"}
            diff = _diff(_zeros(key_fields), key_fields, ("hashed_secret",))
            weighted += [
                (0.3, no_key.event("login", (303,))),
                (0.2, itself.event("register", success, diff)),
            ]
        for weight, event in weighted:
            self.add(weight, event, can_fail=False)

    # -- templates ---------------------------------------------------------------------------

    def _template_events(self) -> None:
        d = self.d
        for template in d.templates.values():
            org = template.organization_id
            subject = _Subject("template", template.id, template.name,
                               self.admins(org, "template-admin"), org)  # fmt: skip
            fields = {"name": template.name, "display_name": template.display_name,
                      "organization_id": org, "provisioner": "terraform",
                      "created_by": template.created_by, "default_ttl": 0}  # fmt: skip
            changes = ({"default_ttl": 28_800_000_000_000},
                       {"display_name": template.display_name + " (beta)"},
                       {"require_active_version": True})  # fmt: skip
            self.crud(subject, fields, _CRUD if template.deleted else _CREATE_WRITE, changes)
            if not template.deleted:
                # A refused delete: the template is still in use by workspaces.
                self.add(0.1, subject.event("delete", (400, 403)), can_fail=False)
        for version in d.template_versions.values():
            template = d.templates[version.template_id]
            org = template.organization_id
            subject = _Subject("template_version", version.id, version.name,
                               self.admins(org, "template-admin"), org)  # fmt: skip
            fields = {"name": version.name, "template_id": template.id,
                      "organization_id": org, "message": ""}  # fmt: skip
            self.crud(subject, fields, _CREATE_WRITE, ({"message": "Pin the base image"},))

    # -- organizations, groups, members, roles, sync ---------------------------------------

    def _organization_events(self) -> None:
        d = self.d
        for organization in d.organizations.values():
            subject = _Subject("organization", organization.id, organization.name, self.owners,
                               organization.id)  # fmt: skip
            fields: dict[str, Any] = {"name": organization.name, "icon": organization.icon,
                                      "display_name": organization.display_name}  # fmt: skip
            changes = ({"display_name": organization.display_name + " Inc."},
                       {"icon": "/emojis/1f680.png"})  # fmt: skip
            actions: tuple[str, ...] = ("write",) if organization.is_default else _CREATE_WRITE
            if organization.deleted:
                actions = _CRUD
            self.crud(subject, fields, actions, changes)
            self._membership_events(organization)
        for group in d.groups.values():
            self._group_events(group)
        for role in self.pool.extras["custom_role"]:
            org = role.organization_id
            subject = _Subject("custom_role", role.id, role.name, self.admins(org), org)
            fields = {"name": role.name, "display_name": role.name.title(),
                      "organization_id": org,
                      "org_permissions": [{"resource_type": "workspace", "action": "read"}]}  # fmt: skip
            self.crud(subject, fields, changes=({"display_name": role.name.title() + " v2"},))
        self._sync_settings_events()

    def _membership_events(self, organization: Organization) -> None:
        admins = self.admins(organization.id)
        for member in self.pool.members(organization.id):
            if organization.is_default and self.rng.random() < 0.7:
                continue  # joining the default organization is implicit
            # audit.ResourceID of a membership is the user; the target is the username.
            subject = _Subject("organization_member", member.id, member.username, admins,
                               organization.id)  # fmt: skip
            roles = list(member.organization_roles[organization.id])
            fields = {"user_id": member.id, "organization_id": organization.id,
                      "roles": roles or None}  # fmt: skip
            self.crud(subject, fields, changes=({"roles": [*roles, "organization-user-admin"]},))

    def _group_events(self, group: Group) -> None:
        org = group.organization_id
        actors = self.admins(org, "user-admin")
        members = [{"user_id": str(u), "group_id": str(group.id)} for u in group.member_ids]
        fields = {"name": group.name, "display_name": "", "organization_id": org,
                  "quota_allowance": 0, "members": members}  # fmt: skip
        changes = ({"members": members[:-1]}, {"quota_allowance": 10})
        everyone = group.id == org  # the "Everyone" group is neither created nor deleted
        subject = _Subject("group", group.id, group.name, actors, org)
        self.crud(subject, fields, ("write",) if everyone else _CREATE_WRITE, changes)
        if not everyone:
            budget = _Subject("group_ai_budget", group.id, group.name, actors, org)
            self.crud(budget, {"limit_micros": 50_000_000}, changes=({"limit_micros": 8},))

    def _sync_settings_events(self) -> None:
        """IdP sync settings: one static resource id (`audit.noID`) and fixed targets."""
        subject = _Subject("idp_sync_settings_organization", _STATIC_RESOURCE_ID,
                           "Organization Sync", self.owners)  # fmt: skip
        mapping = {"engineering": [str(self.pool.audited_org)]}
        self.crud(subject, {"field": "", "mapping": None}, ("write",),
                  ({"field": "groups", "mapping": mapping},))  # fmt: skip
        for organization in self.d.organizations.values():
            for resource_type, target in (
                ("idp_sync_settings_group", "Organization Group Sync"),
                ("idp_sync_settings_role", "Organization Role Sync"),
            ):
                subject = _Subject(resource_type, _STATIC_RESOURCE_ID, target,
                                   self.admins(organization.id), organization.id)  # fmt: skip
                self.crud(subject, {"field": ""}, ("write",), ({"field": "groups"},))

    # -- deployment integrations ---------------------------------------------------------------

    def _integration_events(self) -> None:
        extras, owners = self.pool.extras, self.owners
        for item in extras["license"]:
            subject = _Subject("license", item.id, item.name, owners)
            self.crud(subject, {"uuid": item.id, "jwt": "x"}, _CREATE_DELETE, secrets=("jwt",))
        for item in extras["workspace_proxy"]:
            subject = _Subject("workspace_proxy", item.id, item.name, owners)
            fields = {"name": item.name, "url": f"https://{item.name}.proxy.coder.example",
                      "token_hashed_secret": "x"}  # fmt: skip
            self.crud(subject, fields, changes=({"url": f"https://{item.name}.coder.example"},),
                      secrets=("token_hashed_secret",))  # fmt: skip
        for item in extras["notification_template"]:
            subject = _Subject("notification_template", item.id, item.name, owners)
            self.crud(subject, {"method": ""}, ("write",), ({"method": "smtp"},))
        settings: tuple[tuple[str, dict[str, Any]], ...] = (
            ("health_settings", {"dismissed_healthchecks": ["DERP"]}),
            ("notifications_settings", {"notifier_paused": True}),
            ("prebuilds_settings", {"reconciliation_paused": True}),
        )
        for (resource_type, change), singleton in zip(settings, extras["settings"], strict=True):
            # Settings have no target and an artificial id (audit.ResourceTarget/ResourceID).
            subject = _Subject(resource_type, singleton.id, "", owners)
            self.crud(subject, _zeros(change), ("write",), (change,))
        for app in self.d.oauth2_apps.values():
            subject = _Subject("oauth2_provider_app", app.id, app.name, owners)
            fields = {"name": app.name, "callback_url": f"https://{app.name}.coder.example/cb"}
            self.crud(subject, fields, _CREATE_WRITE, ({"icon": "/icon/code.svg"},))
        for secret in self.d.oauth2_app_secrets.values():
            subject = _Subject("oauth2_provider_app_secret", secret.id, secret.display_secret,
                               owners)  # fmt: skip
            secret_fields = {"app_id": secret.app_id, "hashed_secret": "x"}
            self.crud(subject, secret_fields, ("create",), secrets=("hashed_secret",))
        for resource_type in ("oauth2_provider_app", "oauth2_provider_app_secret"):
            for gone in self.pool.phantoms[resource_type]:
                subject = _Subject(resource_type, gone.id, gone.name, owners)
                self.crud(subject, {"name": gone.name}, ("delete",))
        password_users = [u for u in self.pool.live_users() if u.login_type == "password"]
        converted = [u for u in password_users if self.rng.random() < 0.1]
        if not converted and password_users:  # every seed must give every type its share
            converted = [self.rng.choice(password_users)]
        for user in converted:
            # The target of a login conversion is the login type converted to.
            subject = _Subject("convert_login", user.id, "oidc", (user.id,))
            fields = {"from_login_type": "password", "to_login_type": "oidc"}
            self.crud(subject, fields, ("create",))

    # -- AI resources and chats ----------------------------------------------------------------

    def _ai_events(self) -> None:
        d, extras, owners = self.d, self.pool.extras, self.owners
        users = [u for u in self.pool.live_users() if not u.is_service_account]
        for chat in d.chats.values():
            self._chat_events(chat)
        for gone in self.pool.phantoms["chat"]:
            owner = self.rng.choice(users)
            org = self.rng.choice(list(owner.organization_roles))
            subject = _Subject("chat", gone.id, str(gone.id)[:8], (owner.id,), org)
            self.crud(subject, {"title": "Old chat"}, ("delete",))
        for secret in d.user_secrets.values():
            subject = _Subject("user_secret", secret.id, secret.name, (secret.user_id,))
            fields = {"name": secret.name, "value": "x"}
            self.crud(subject, fields, _CREATE_WRITE, ({"value": "y"},), secrets=("value",))
        for gone in self.pool.phantoms["user_secret"]:
            subject = _Subject("user_secret", gone.id, gone.name, owners)
            self.crud(subject, {"name": gone.name}, ("delete",))
        for item in extras["ai_provider"]:
            subject = _Subject("ai_provider", item.id, item.name, owners)
            self.crud(subject, {"name": item.name, "enabled": True}, changes=({"enabled": False},))
        for item in extras["ai_provider_key"]:
            # audit.ResourceTarget of a provider key is its id.
            subject = _Subject("ai_provider_key", item.id, item.name, owners)
            self.crud(subject, {"key": "x"}, _CREATE_DELETE, secrets=("key",))
        for item in extras["ai_gateway_key"]:
            subject = _Subject("ai_gateway_key", item.id, item.name, owners)
            fields = {"name": item.name, "hashed_secret": "x"}
            self.crud(subject, fields, _CREATE_DELETE, secrets=("hashed_secret",))
        for item in extras["user_skill"]:
            subject = _Subject("user_skill", item.id, item.name, (self.rng.choice(users).id,))
            fields = {"name": item.name, "description": ""}
            self.crud(subject, fields, changes=({"description": "Reviews diffs"},))
        for user in self.rng.sample(users, min(4, len(users))):
            # AI seats and budget overrides are identified by their user.
            seat = _Subject("ai_seat", user.id, "AI Seat", owners)
            self.crud(seat, {"has_ai_seat": True}, _CREATE_DELETE)
            org = self.rng.choice(list(user.organization_roles))
            override = _Subject("user_ai_budget_override", user.id, user.username,
                                self.admins(org), org)  # fmt: skip
            self.crud(override, {"limit_micros": 20_000_000}, _CREATE_WRITE,
                      ({"limit_micros": 40_000_000},))  # fmt: skip

    def _chat_events(self, chat: Chat) -> None:
        """Writes whose diffs drive the special chat descriptions (§4.6 rule 2)."""
        # audit.ResourceTarget of a chat is the first 8 characters of its id.
        subject = _Subject("chat", chat.id, str(chat.id)[:8], (chat.owner_id,),
                           chat.organization_id)  # fmt: skip
        shared = {str(chat.owner_id): {"permissions": ["read"]}}
        fields = {"title": chat.title, "archived": False, "user_acl": {}, "group_acl": {}}
        changes = ({"archived": True}, {"user_acl": shared}, {"group_acl": shared},
                   {"title": chat.title + " (2)"})  # fmt: skip
        self.crud(subject, fields, _CREATE_WRITE, changes)
        unarchived = _diff({"archived": True}, {"archived": False})
        self.add(1.0, subject.event("write", (200,), unarchived))
