"""Scenario files: the mock's data as a JSON or YAML document a team keeps in its own repository.

A scenario lists organizations, users and audit logs (plus, optionally, the resources logs
point at); every field a log does not give gets a deterministic default, so a file can be as
short as:

```yaml
organizations:
  - name: acme
users:
  - username: alice
    roles: [auditor]
    organizations: {acme: [organization-admin]}
    tokens: [alice00000-alicesecret00000000000]
logs:
  - {user: alice, action: create, resource_type: workspace, resource_target: dev}
  - {user: alice, action: delete, resource_type: workspace, resource_target: dev, status_code: 500}
```

Top-level keys (all optional):

| key | meaning |
|---|---|
| `version` | `1` |
| `base` | what the file adds to: `builtin` (default: the built-in callers `owner`, `auditor`, `org-admin`, `org-auditor`, `member`, `suspended`, their organizations and their fixed tokens, `DEFAULT_TOKENS`), `seeded` (the whole seeded deployment, logs included) or `empty` |
| `organizations` | list of organization entries (`add_organization`) |
| `users` | list of user entries (`add_user`) |
| `builtin_roles` | `{role: username or id}`: who acts as each built-in caller (journal roles, `/_mock/tokens`); the role's built-in token moves to that user |
| `templates`, `template_versions`, `workspaces`, `workspace_builds`, `workspace_agents`, `workspace_apps`, `groups`, `oauth2_provider_apps`, `oauth2_provider_app_secrets`, `tasks`, `chats`, `user_secrets` | resources logs refer to; they decide `is_deleted`, `resource_link` and the `build_reason` filter (§2.1, §4.7). Fields are those of the records in `_model.py`; ids are UUID strings |
| `logs` | list of audit-log entries (`add_log`) |

Entries are read field by field; an unknown field, a wrong type or an unknown reference raises
`ScenarioError` naming the entry and the field, e.g. `logs[3].action: unknown action "crate";
expected one of create, write, ...`. A field given as `null` counts as not given, except a log's
`user` and `organization`, where `null` means "none"; a log's `user` or `organization` may also
be the id of a row that does not exist (Coder's `audit_logs` has no foreign keys: such a log is
answered with `user: null`, or an organization object with empty fields). Times are RFC 3339
strings.
`export_scenario` writes every field explicitly (`base: empty`), so export then load gives the
same API answers.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import ipaddress
import random
import typing
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ._auth import TOKEN_PATTERN
from ._errors import MockServerError
from ._generate import DEFAULT_TOKENS, KEY_LIFETIME_US, generate_deployment
from ._goparse import US_PER_DAY, US_PER_SECOND, parse_go_uuid
from ._json import json_kind, jsonable
from ._model import (
    AUDIT_ACTIONS,
    BUILD_REASONS,
    BUILTIN_ROLES,
    LOGIN_TYPES,
    NIL_UUID,
    RECORD_SECTIONS,
    RESOURCE_TYPES,
    SITE_ROLE_DISPLAY_NAMES,
    USER_STATUSES,
    APIKey,
    AuditLog,
    Deployment,
    Organization,
    User,
)
from ._references import referenced_ids
from ._render import format_time
from ._scenario_entry import (
    Entry,
    ScenarioError,
    check_list,
    parse_uuid,
)

if TYPE_CHECKING:
    from ._app import MockServer, MockSettings

SCENARIO_VERSION = 1
BASES: tuple[str, ...] = ("builtin", "seeded", "empty")
# The roles `Deployment.role_users` names (the generator's built-in callers).
ROLE_USER_ROLES: tuple[str, ...] = (*BUILTIN_ROLES, "suspended")
ORGANIZATION_ROLES: tuple[str, ...] = (
    "organization-admin",
    "organization-auditor",
    "organization-template-admin",
    "organization-user-admin",
    "organization-workspace-creation-ban",
)
# Resource types whose logs Coder files under an organization; every other type is
# deployment-wide and its logs carry the nil organization id (§4.5).
ORGANIZATION_SCOPED_TYPES: frozenset[str] = frozenset(
    {
        "organization",
        "template",
        "template_version",
        "workspace",
        "workspace_build",
        "workspace_agent",
        "workspace_app",
        "group",
        "group_ai_budget",
        "organization_member",
        "custom_role",
        "idp_sync_settings_group",
        "idp_sync_settings_role",
        "task",
        "chat",
        "user_ai_budget_override",
    }
)
# (section, field) -> allowed values, for record fields that are enums.
_RECORD_CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("workspace_builds", "reason"): BUILD_REASONS,
    ("workspace_builds", "transition"): ("start", "stop", "delete"),
}
SECTIONS: tuple[str, ...] = (
    "version",
    "base",
    "organizations",
    "users",
    "builtin_roles",
    *RECORD_SECTIONS,
    "logs",
)

_ORGANIZATION_FIELDS = ("id", "name", "display_name", "icon", "is_default", "deleted")
_USER_FIELDS = (
    "id",
    "username",
    "email",
    "name",
    "avatar_url",
    "status",
    "login_type",
    "roles",
    "organizations",
    "tokens",
    "created_at",
    "updated_at",
    "last_seen_at",
    "is_service_account",
    "deleted",
)
_TOKEN_FIELDS = ("token", "expires_at", "name", "login_type")
_LOG_FIELDS = (
    "id",
    "time",
    "user",
    "organization",
    "ip",
    "user_agent",
    "resource_type",
    "resource_id",
    "resource_target",
    "resource_icon",
    "action",
    "diff",
    "status_code",
    "additional_fields",
    "request_id",
)


def builtin_tokens(settings: MockSettings) -> dict[str, str]:
    """Role -> the built-in session token for these settings (`DEFAULT_TOKENS` + overrides).

    Example:
        >>> from coder_audit_mock.mockserver import MockSettings
        >>> builtin_tokens(MockSettings())["member"]
        'member0000-membersecret0000000000'
    """
    return {**DEFAULT_TOKENS, **settings.tokens}


# ---------------------------------------------------------------------------------------------
# building a deployment


class _Builder:
    """Adds validated entries to a deployment; every default comes from the seed and a counter.

    Each method reads and checks its whole entry before it changes anything, so a failing entry
    leaves the deployment as it was.
    """

    def __init__(self, deployment: Deployment, settings: MockSettings) -> None:
        self.d = deployment
        self.seed = settings.seed
        self.now = settings.now_us
        self.tokens = builtin_tokens(settings)
        self._newest: int | None = None
        self._log_ids: set[uuid.UUID] | None = None

    def new_id(self, kind: str, counter: int) -> uuid.UUID:
        # A counter (the table's size) keeps ids apart; the seed keeps them reproducible.
        draw = random.Random(f"coder-audit-mock scenario {self.seed} {kind} {counter}")
        return uuid.UUID(int=draw.getrandbits(128), version=4)

    # -- references ----------------------------------------------------------------------

    def organization_ref(self, ref: Any, where: str) -> uuid.UUID:
        return self._find(ref, where, self.d.organizations, "organization", lambda o: o.name)

    def user_ref(self, ref: Any, where: str) -> uuid.UUID:
        return self._find(ref, where, self.d.users, "user", lambda u: u.username)

    def _find(
        self,
        ref: Any,
        where: str,
        table: Mapping[uuid.UUID, Any],
        what: str,
        name_of: Callable[[Any], str],
    ) -> uuid.UUID:
        if not isinstance(ref, str):
            raise ScenarioError(where, f"expected a {what} name or id, got {json_kind(ref)}")
        by_id = parse_go_uuid(ref)
        if by_id is not None and by_id in table:
            return by_id
        named = [record for record in table.values() if name_of(record).lower() == ref.lower()]
        live = [record for record in named if not record.deleted] or named
        if len(live) == 1:
            return typing.cast(uuid.UUID, live[0].id)
        if live:
            raise ScenarioError(where, f'{len(live)} {what}s are named "{ref}"; use the id')
        raise ScenarioError(where, f'no {what} is named "{ref}" or has that id; define it first')

    def default_organization(self) -> uuid.UUID:
        organizations = [o for o in self.d.organizations.values() if not o.deleted]
        chosen = next((o for o in organizations if o.is_default), None) or next(
            iter(organizations), None
        )
        return NIL_UUID if chosen is None else chosen.id

    def _check_unique_name(
        self, where: str, name: str, table: Mapping[uuid.UUID, Any], name_of: Callable[[Any], str]
    ) -> None:
        for record in table.values():
            if not record.deleted and name_of(record).lower() == name.lower():
                raise ScenarioError(where, f'"{name}" is already taken (by {record.id})')

    def _check_new_id(
        self, where: str, record_id: uuid.UUID, table: Mapping[uuid.UUID, Any]
    ) -> None:
        if record_id in table:
            raise ScenarioError(where, f"duplicate id {record_id}")

    # -- entries -------------------------------------------------------------------------

    def organization(self, data: Any, where: str) -> Organization:
        entry = Entry(data, where, _ORGANIZATION_FIELDS)
        deleted = entry.boolean("deleted", False)
        name = entry.name("name")
        if not deleted:
            self._check_unique_name(entry.at("name"), name, self.d.organizations, lambda o: o.name)
        organization = Organization(
            id=entry.ident("id", lambda: self.new_id("organization", len(self.d.organizations))),
            name=name,
            display_name=entry.text("display_name", name),
            icon=entry.text("icon", ""),
            is_default=entry.boolean("is_default", False),
            deleted=deleted,
        )
        self._check_new_id(entry.at("id"), organization.id, self.d.organizations)
        self.d.organizations[organization.id] = organization
        return organization

    def user(self, data: Any, where: str) -> User:
        entry = Entry(data, where, _USER_FIELDS)
        deleted = entry.boolean("deleted", False)
        username = entry.name("username")
        if not deleted:
            self._check_unique_name(
                entry.at("username"), username, self.d.users, lambda u: u.username
            )
        created_at = entry.time("created_at", self.now - 30 * US_PER_DAY)
        user = User(
            id=entry.ident("id", lambda: self.new_id("user", len(self.d.users))),
            username=username,
            email=entry.text("email", f"{username.lower()}@coder.example"),
            created_at=created_at,
            updated_at=entry.time("updated_at", created_at),
            last_seen_at=entry.time("last_seen_at", self.now),
            status=entry.choice("status", "active", USER_STATUSES, "status"),
            login_type=entry.choice("login_type", "password", LOGIN_TYPES, "login type"),
            name=entry.text("name", ""),
            avatar_url=entry.text("avatar_url", ""),
            site_roles=entry.strings("roles", tuple(SITE_ROLE_DISPLAY_NAMES), "site role"),
            organization_roles=self._memberships(entry),
            is_service_account=entry.boolean("is_service_account", False),
            deleted=deleted,
        )
        self._check_new_id(entry.at("id"), user.id, self.d.users)
        keys = self._keys(entry, user.id)
        self.d.users[user.id] = user
        self.d.api_keys.update((key.id, key) for key in keys)
        return user

    def _memberships(self, entry: Entry) -> dict[uuid.UUID, tuple[str, ...]]:
        where = entry.at("organizations")
        value = entry.raw("organizations")
        if value is None:
            default = self.default_organization()
            return {} if default == NIL_UUID else {default: ()}
        if isinstance(value, list):
            value = {ref: [] for ref in value}
        if not isinstance(value, dict):
            raise ScenarioError(
                where,
                f"expected {{organization: [roles]}} or [organizations], got {json_kind(value)}",
            )
        memberships: dict[uuid.UUID, tuple[str, ...]] = {}
        for ref, roles in value.items():
            org_id = self.organization_ref(ref, f"{where}.{ref}")
            memberships[org_id] = Entry({"roles": roles}, f"{where}.{ref}", ("roles",)).strings(
                "roles", ORGANIZATION_ROLES, "organization role"
            )
        return memberships

    def _keys(self, entry: Entry, user_id: uuid.UUID) -> list[APIKey]:
        value = entry.raw("tokens")
        keys: list[APIKey] = []
        for index, item in enumerate(check_list(value, entry.at("tokens"))):
            where = f"{entry.at('tokens')}[{index}]"
            token_entry = Entry(
                {"token": item} if isinstance(item, str) else item, where, _TOKEN_FIELDS
            )
            token = token_entry.text("token")
            match = TOKEN_PATTERN.fullmatch(token)  # §6.1
            if match is None:
                raise ScenarioError(
                    token_entry.at("token"),
                    "expected a Coder session token: 10 letters or digits, '-', 22 letters or "
                    "digits, e.g. alice00000-alicesecret00000000000",
                )
            key_id, secret = match.groups()
            if key_id in self.d.api_keys or any(key.id == key_id for key in keys):
                raise ScenarioError(
                    token_entry.at("token"),
                    f"key id {key_id!r} is already used; each token needs its own first 10 characters",
                )
            keys.append(
                APIKey(
                    id=key_id,
                    secret=secret,
                    user_id=user_id,
                    expires_at=token_entry.time("expires_at", self.now + KEY_LIFETIME_US),
                    token_name=token_entry.text("name", ""),
                    login_type=token_entry.choice(
                        "login_type", "password", LOGIN_TYPES, "login type"
                    ),
                )
            )
        return keys

    def builtin_roles(self, data: Any, where: str) -> None:
        entry = Entry(data, where, ROLE_USER_ROLES)
        chosen = {role: self.user_ref(entry.raw(role), entry.at(role)) for role in entry.data}
        for role, user_id in chosen.items():
            self.d.role_users[role] = user_id
            # The role's built-in token signs in as whoever now holds the role.
            key_id = self.tokens[role].split("-")[0]
            key = self.d.api_keys.get(key_id)
            if key is not None and key.token == self.tokens[role]:
                self.d.api_keys[key_id] = dataclasses.replace(key, user_id=user_id)

    def record(self, section: str, data: Any, where: str) -> None:
        attribute, record_type = RECORD_SECTIONS[section]
        table: dict[uuid.UUID, Any] = getattr(self.d, attribute)
        fields = dataclasses.fields(record_type)
        entry = Entry(data, where, [field.name for field in fields])
        hints = typing.get_type_hints(record_type)
        values: dict[str, Any] = {}
        for field in fields:
            has_default = field.default is not dataclasses.MISSING
            if field.name == "id":
                values["id"] = entry.ident("id", lambda: self.new_id(section, len(table)))
            elif not entry.given(field.name) and has_default:
                values[field.name] = field.default
            else:
                values[field.name] = _record_value(entry, field.name, hints[field.name], section)
        self._check_new_id(entry.at("id"), values["id"], table)
        table[values["id"]] = record_type(**values)

    def log(self, data: Any, where: str) -> AuditLog:
        """Read one log entry (not yet stored: the caller appends or inserts it)."""
        entry = Entry(data, where, _LOG_FIELDS)
        actor = self._actor(entry)
        resource_type = entry.choice("resource_type", "user", RESOURCE_TYPES, "resource type")
        action = entry.choice("action", "write", AUDIT_ACTIONS, "action")
        log = AuditLog(
            id=entry.ident("id", lambda: self.new_id("log", len(self.d.logs))),
            time=entry.time("time", self._next_time()),
            user_id=actor,
            organization_id=self._log_organization(entry, resource_type),
            ip=self._ip(entry),
            user_agent=entry.text("user_agent", ""),
            resource_type=resource_type,
            resource_id=entry.ident(
                "resource_id", lambda: self.new_id("resource", len(self.d.logs))
            ),
            resource_target=entry.text("resource_target", self._username(actor)),
            action=action,
            diff=self._diff(entry),
            status_code=entry.integer("status_code", 200, 100, 599),
            additional_fields=entry.json("additional_fields", {}),
            request_id=entry.ident("request_id", lambda: NIL_UUID),
            resource_icon=entry.text("resource_icon", ""),
        )
        if self._log_ids is None:
            self._log_ids = {existing.id for existing in self.d.logs}
        if log.id in self._log_ids:
            raise ScenarioError(entry.at("id"), f"duplicate id {log.id}")
        self._log_ids.add(log.id)
        newest = self._newest_time()
        self._newest = log.time if newest is None else max(newest, log.time)
        return log

    def _actor(self, entry: Entry) -> uuid.UUID | None:
        if "user" in entry.data:
            ref = entry.raw("user")
            return None if ref is None else self._row_ref(ref, entry.at("user"), self.user_ref)
        owner = self.d.role_users.get("owner")
        if owner in self.d.users:
            return owner
        return next(iter(self.d.users), None)

    @staticmethod
    def _row_ref(ref: Any, where: str, find: Callable[[Any, str], uuid.UUID]) -> uuid.UUID:
        # `audit_logs` has no foreign keys: a log may name a user or organization id that has
        # no row (Coder then answers `user: null`, or an organization with empty fields). A
        # name must still resolve, so a typo is an error.
        parsed = parse_go_uuid(ref) if isinstance(ref, str) else None
        try:
            return find(ref, where)
        except ScenarioError:
            if parsed is None:
                raise
            return parsed

    def _username(self, user_id: uuid.UUID | None) -> str:
        user = None if user_id is None else self.d.users.get(user_id)
        return "" if user is None else user.username

    def _log_organization(self, entry: Entry, resource_type: str) -> uuid.UUID:
        if "organization" in entry.data:
            ref = entry.raw("organization")
            if ref is None:
                return NIL_UUID
            return self._row_ref(ref, entry.at("organization"), self.organization_ref)
        if resource_type in ORGANIZATION_SCOPED_TYPES:
            return self.default_organization()
        return NIL_UUID

    def _ip(self, entry: Entry) -> str:
        ip = entry.text("ip", "")
        if ip:
            try:
                ipaddress.ip_address(ip)
            except ValueError:
                raise ScenarioError(
                    entry.at("ip"), f'expected an IP address such as 127.0.0.1 or "", got {ip!r}'
                ) from None
        return ip

    def _diff(self, entry: Entry) -> dict[str, Any]:
        diff = entry.json("diff", {})
        if not isinstance(diff, dict):
            raise ScenarioError(
                entry.at("diff"),
                f'expected an object such as {{"name": {{"old": "a", "new": "b"}}}}, got {json_kind(diff)}',
            )
        return diff

    def _newest_time(self) -> int | None:
        if self._newest is None and self.d.logs:
            self._newest = max(log.time for log in self.d.logs)
        return self._newest

    def _next_time(self) -> int:
        # Logs without a time follow each other one second apart, from the deployment's `now`:
        # written order is time order, and the last one written is the newest.
        newest = self._newest_time()
        return self.now if newest is None or newest < self.now else newest + US_PER_SECOND


def _record_value(entry: Entry, name: str, hint: Any, section: str) -> Any:
    choices = _RECORD_CHOICES.get((section, name))
    if choices is not None:
        return entry.choice(name, entry.text(name), choices, name)
    if hint is uuid.UUID:
        return entry.ident(name)
    if hint == (uuid.UUID | None):
        return entry.optional_ident(name)
    if hint is str:
        return entry.text(name)
    if hint is bool:
        return entry.boolean(name, False)
    if hint is int:
        return entry.integer(name, None, 0, 2**31 - 1)
    if hint == tuple[uuid.UUID, ...]:
        items = check_list(entry.raw(name), entry.at(name))
        return tuple(parse_uuid(item, f"{entry.at(name)}[{i}]") for i, item in enumerate(items))
    raise MockServerError(f"internal: no scenario reader for {section}.{name}: {hint!r}")


def _base_deployment(base: str, settings: MockSettings) -> Deployment:
    if base == "empty":
        return Deployment()
    if base == "seeded":
        return settings.build_deployment()
    tokens = tuple(sorted(settings.tokens.items()))
    # A deep copy: builders and testgenerate change the deployment they are given.
    return copy.deepcopy(_builtin_callers(settings.seed, settings.now_us, tokens))


@functools.lru_cache(maxsize=8)
def _builtin_callers(seed: int, now_us: int, tokens: tuple[tuple[str, str], ...]) -> Deployment:
    """The built-in callers of the seeded deployment, their organizations and keys, no logs.

    Cached: generating the seeded entities takes a tenth of a second, and every reset of a
    `base: builtin` scenario starts here.
    """
    seeded = generate_deployment(seed=seed, log_count=0, now_us=now_us, tokens=dict(tokens))
    builtin_users = {user_id: seeded.users[user_id] for user_id in seeded.role_users.values()}
    organization_ids = {org for user in builtin_users.values() for org in user.organization_roles}
    return Deployment(
        organizations={
            org_id: organization
            for org_id, organization in seeded.organizations.items()
            if org_id in organization_ids
        },
        users=builtin_users,
        api_keys={
            key_id: key for key_id, key in seeded.api_keys.items() if key.user_id in builtin_users
        },
        role_users=dict(seeded.role_users),
    )


# A scenario reports every bad entry at once, up to this many (a generated file with one
# mistake repeated must not make an answer of megabytes).
MAX_REPORTED_ERRORS = 50


def _apply(builder: _Builder, data: Mapping[str, Any]) -> None:
    """Add every section of an already shape-checked scenario, in dependency order.

    A bad entry is skipped and the rest still checked, so that one `ScenarioError` names every
    mistake (an entry that refers to a skipped one is reported too: it is wrong as written).
    """
    errors: list[ScenarioError] = []

    def checked(add: Callable[[], object]) -> None:
        try:
            add()
        except ScenarioError as error:
            errors.append(error)
            if len(errors) >= MAX_REPORTED_ERRORS:
                raise ScenarioError.of(errors) from None

    def add_log(item: Any, where: str) -> None:
        builder.d.logs.append(builder.log(item, where))

    for index, item in enumerate(check_list(data.get("organizations"), "organizations")):
        checked(functools.partial(builder.organization, item, f"organizations[{index}]"))
    for index, item in enumerate(check_list(data.get("users"), "users")):
        checked(functools.partial(builder.user, item, f"users[{index}]"))
    if data.get("builtin_roles") is not None:
        checked(functools.partial(builder.builtin_roles, data["builtin_roles"], "builtin_roles"))
    for section in RECORD_SECTIONS:
        for index, item in enumerate(check_list(data.get(section), section)):
            checked(functools.partial(builder.record, section, item, f"{section}[{index}]"))
    for index, item in enumerate(check_list(data.get("logs"), "logs")):
        checked(functools.partial(add_log, item, f"logs[{index}]"))
    if errors:
        raise ScenarioError.of(errors)


def _check_top_level(data: Any) -> str:
    """Check the scenario's outer shape; returns its base."""
    if not isinstance(data, dict):
        raise ScenarioError("scenario", f"expected an object of sections, got {json_kind(data)}")
    for key in data:
        if key not in SECTIONS:
            raise ScenarioError(str(key), f"unknown section; expected one of {', '.join(SECTIONS)}")
    version = data.get("version", SCENARIO_VERSION)
    if type(version) is not int or version != SCENARIO_VERSION:
        raise ScenarioError(
            "version", f"unsupported version {version!r}; expected {SCENARIO_VERSION}"
        )
    base = data.get("base", "builtin")
    if base not in BASES:
        raise ScenarioError("base", f"unknown base {base!r}; expected one of {', '.join(BASES)}")
    return typing.cast(str, base)


def build_scenario(data: Any, settings: MockSettings) -> Deployment:
    """The deployment a scenario describes, on top of its base, or `ScenarioError`.

    Example:
        >>> from coder_audit_mock.mockserver import MockSettings
        >>> d = build_scenario({"base": "empty", "users": [{"username": "alice"}],
        ...                     "logs": [{"action": "create"}]}, MockSettings())
        >>> [d.users[log.user_id].username for log in d.logs]
        ['alice']
    """
    base = _check_top_level(data)
    builder = _Builder(_base_deployment(base, settings), settings)
    _apply(builder, data)
    return builder.d


def _shallow_copy(deployment: Deployment) -> Deployment:
    # New tables holding the same records: a failing merge never touches the live deployment.
    return Deployment(
        **{
            field.name: copy.copy(getattr(deployment, field.name))
            for field in dataclasses.fields(Deployment)
            if field.init  # not the derived indexes
        }
    )


# ---------------------------------------------------------------------------------------------
# the public API


def load_scenario(server: MockServer, data: Any, *, replace: bool = True) -> None:
    """Load a scenario (the parsed JSON/YAML object) into a running mock.

    Args:
        server: the mock (`app.state.mock`).
        data: the scenario, e.g. from `read_scenario_file`.
        replace: True: the scenario on its `base` becomes the server's data *and* its baseline,
            so `server.reset()` (and `POST /_mock/reset`) return to it. False: its entries are
            added to the current data (`base` is ignored) until the next reset.

    Raises:
        ScenarioError: naming the entry and field; the server is then unchanged.

    Example:
        >>> from coder_audit_mock.mockserver import MockServer, MockSettings
        >>> server = MockServer(MockSettings(log_count=0))
        >>> load_scenario(server, {"logs": [{"action": "create", "resource_type": "workspace"}]})
        >>> server.reset(); len(server.store)
        1
    """
    settings = server.settings
    if replace:
        frozen = copy.deepcopy(data)  # the caller may change `data` later; resets must not
        first = [build_scenario(frozen, settings)]  # raises before the server changes

        def baseline() -> Deployment:
            # The first reset takes the deployment just validated; later ones rebuild it.
            return first.pop() if first else build_scenario(frozen, settings)

        server.baseline = baseline
        server.reset()
        return
    _check_top_level(data)
    builder = _Builder(_shallow_copy(server.deployment), settings)
    _apply(builder, {key: value for key, value in data.items() if key != "base"})
    server.store.replace(builder.d)


def _export_user(user: User, keys: list[APIKey]) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "username": user.username,
        "email": user.email,
        "name": user.name,
        "avatar_url": user.avatar_url,
        "status": user.status,
        "login_type": user.login_type,
        "roles": list(user.site_roles),
        "organizations": {str(org): list(roles) for org, roles in user.organization_roles.items()},
        "tokens": [
            {
                "token": key.token,
                "expires_at": format_time(key.expires_at),
                "name": key.token_name,
                "login_type": key.login_type,
            }
            for key in keys
        ],
        "created_at": format_time(user.created_at),
        "updated_at": format_time(user.updated_at),
        "last_seen_at": format_time(user.last_seen_at),
        "is_service_account": user.is_service_account,
        "deleted": user.deleted,
    }


def _export_log(log: AuditLog) -> dict[str, Any]:
    """A log as a scenario's `logs` entry: every field of `_LOG_FIELDS`, in its order.

    The entry's fields are the record's, as JSON values (`jsonable`), but for the three below;
    the API's body (`_render.render_log`) is another format, written out on its hot path.
    """
    own = {
        "time": format_time(log.time),
        "user": None if log.user_id is None else str(log.user_id),
        "organization": None if log.organization_id == NIL_UUID else str(log.organization_id),
    }
    return {
        name: own[name] if name in own else jsonable(getattr(log, name)) for name in _LOG_FIELDS
    }


def export_scenario(server: MockServer, logs: Sequence[AuditLog] | None = None) -> dict[str, Any]:
    """The server's current data as a scenario (`base: empty`, every field written out).

    Loading the result into a server with the same settings gives the same API answers;
    tokens are included (a scenario must let its callers sign in). With `logs`, only those
    logs and what they reference (`_references.referenced_ids`: actors, organizations, the
    resources behind their links, and the built-in callers) are written.

    Example:
        >>> from coder_audit_mock.mockserver import MockServer, MockSettings
        >>> server = MockServer(MockSettings(log_count=3))
        >>> exported = export_scenario(server)
        >>> other = MockServer(MockSettings(log_count=0))
        >>> load_scenario(other, exported)
        >>> [log.id for log in other.store.logs] == [log.id for log in server.store.logs]
        True
    """
    d = server.deployment
    chosen = server.store.logs if logs is None else list(logs)
    kept = None if logs is None else referenced_ids(d, chosen)

    def keep(record_id: uuid.UUID) -> bool:
        return kept is None or record_id in kept

    keys_by_user: dict[uuid.UUID, list[APIKey]] = {}
    for key in d.api_keys.values():
        keys_by_user.setdefault(key.user_id, []).append(key)
    scenario: dict[str, Any] = {
        "version": SCENARIO_VERSION,
        "base": "empty",
        "organizations": [
            {field: jsonable(getattr(o, field)) for field in _ORGANIZATION_FIELDS}
            for o in d.organizations.values()
            if keep(o.id)
        ],
        "users": [
            _export_user(u, keys_by_user.get(u.id, [])) for u in d.users.values() if keep(u.id)
        ],
        "builtin_roles": {role: str(user_id) for role, user_id in d.role_users.items()},
    }
    for section, (attribute, record_type) in RECORD_SECTIONS.items():
        records = [record for record in getattr(d, attribute).values() if keep(record.id)]
        if records:
            names = [field.name for field in dataclasses.fields(record_type)]
            scenario[section] = [
                {name: jsonable(getattr(record, name)) for name in names} for record in records
            ]
    scenario["logs"] = [_export_log(log) for log in chosen]
    return scenario


def scenario_summary(deployment: Deployment) -> dict[str, int]:
    """How many organizations, users and logs a deployment holds (for admin answers, banners).

    Example:
        >>> scenario_summary(Deployment())
        {'organizations': 0, 'users': 0, 'logs': 0}
    """
    return {
        "organizations": len(deployment.organizations),
        "users": len(deployment.users),
        "logs": len(deployment.logs),
    }


def _builder_for(server: MockServer) -> _Builder:
    return _Builder(server.deployment, server.settings)


def add_organization(server: MockServer, **fields: Any) -> Organization:
    """Add one organization to the server's current data (until the next reset).

    Fields (as in a scenario file's `organizations` entries):
        name (str, required): letters, digits, single hyphens; unique among live organizations.
        display_name (str): default `name`.
        id (str | UUID): default a UUID drawn from the seed and the number of organizations.
        icon (str): default "".
        is_default (bool): default False.
        deleted (bool): default False (a deleted organization's logs remain, §2.1).

    Raises:
        ScenarioError: `add_organization.<field>: <problem>`; nothing is added.

    Example:
        >>> from coder_audit_mock.mockserver import MockServer, MockSettings
        >>> server = MockServer(MockSettings(log_count=0))
        >>> add_organization(server, name="acme", display_name="Acme Inc").display_name
        'Acme Inc'
    """
    organization = _builder_for(server).organization(fields, "add_organization")
    server.store.deployment_changed()
    return organization


def add_user(server: MockServer, **fields: Any) -> User:
    """Add one user (and their session tokens) to the server's current data.

    Fields (as in a scenario file's `users` entries):
        username (str, required): letters, digits, single hyphens; unique among live users.
        email (str): default `<username>@coder.example`.
        name, avatar_url (str): default "".
        status (str): active (default), suspended or dormant (§4.4).
        login_type (str): password (default), github, oidc, token, none or "".
        roles (list[str]): site roles: owner, auditor, template-admin, user-admin. Default [].
        organizations: `{organization name or id: [organization roles]}` or a list of names;
            roles are organization-admin, organization-auditor (these two may read that
            organization's logs, §6.3), organization-template-admin,
            organization-user-admin, organization-workspace-creation-ban. Default: member of
            the default organization.
        tokens (list): session tokens `<10 chars>-<22 chars>`, each a string or
            `{token, expires_at, name, login_type}`; default none. Expiry default: 10 years.
        created_at, updated_at, last_seen_at (RFC 3339 str or datetime): default 30 days
            before the server's `now`, `created_at`, and `now`.
        id (str | UUID): default drawn from the seed and the number of users.
        is_service_account, deleted (bool): default False.

    Raises:
        ScenarioError: `add_user.<field>: <problem>`; nothing is added.

    Example:
        >>> from coder_audit_mock.mockserver import MockServer, MockSettings
        >>> server = MockServer(MockSettings(log_count=0))
        >>> user = add_user(server, username="alice", roles=["auditor"],
        ...                 tokens=["alice00000-alicesecret00000000000"])
        >>> user.site_roles, server.deployment.api_keys["alice00000"].user_id == user.id
        (('auditor',), True)
    """
    user = _builder_for(server).user(fields, "add_user")
    server.store.deployment_changed()
    return user


def add_log(server: MockServer, **fields: Any) -> AuditLog:
    """Add one audit log to the server's current data; the next GET sees it.

    Fields (as in a scenario file's `logs` entries; every one optional):
        action (str): default "write" (testgenerate's default, §5).
        resource_type (str): default "user" (§5).
        user (str | UUID | User | None): the actor, by username or id; None: no actor
            ("Unauthenticated user" in the UI). Default: the built-in owner, else the first user.
        organization (str | UUID | Organization | None): by name or id; None: the nil
            organization. Default: the default organization for organization-scoped resource
            types (workspace, template, group...), else none.
        time (RFC 3339 str or datetime): default the server's `now`, or one second after the
            newest log if that is later (so logs added without a time come out newest first).
        resource_target (str): default the actor's username (as testgenerate, §5).
        resource_id, id, request_id (str | UUID): default drawn from the seed and the number
            of logs; request_id defaults to the nil UUID.
        status_code (int): default 200; >= 400 gives "unsuccessfully attempted to" (§4.6).
        diff (object): default {}. additional_fields (any JSON, null included): default {}.
        ip, user_agent, resource_icon (str): default "".

    Raises:
        ScenarioError: `add_log.<field>: <problem>`; nothing is added.

    Example:
        >>> from coder_audit_mock.mockserver import MockServer, MockSettings
        >>> server = MockServer(MockSettings(log_count=0))
        >>> log = add_log(server, action="create", resource_type="workspace", resource_target="dev")
        >>> server.store.logs == [log]
        True
    """
    log = _builder_for(server).log(fields, "add_log")
    server.store.insert(log)
    return log
