"""A deterministic fake Coder deployment: organizations, users, templates, workspaces, keys, logs.

`generate_deployment(seed=…, log_count=…, now_us=…)` builds the same `Deployment` for the same
arguments in any process. Two private generators decide everything, never the global RNG or
the clock:

* a `faker.Faker()` seeded with `seed_instance(seed)` (and its own `random.Random`) draws the
  small entity pool: names, emails, ids, roles, builds... The pool never depends on
  `log_count` or `tokens`, so `log_count=0` yields the same users, organizations and keys;
* a `random.Random` seeded with the text `f"coder-audit-mock logs {seed}"` draws the logs (its
  own stream: `random.Random(seed)` would repeat Faker's draws, so log ids would repeat entity
  ids). It picks precomputed events (a resource, an action, its diff and additional fields)
  and per-log details (actor, status, time, ip, user agent, ids). No Faker call and no copy
  happens per log, which keeps a million logs within seconds. Logs built from the same event share its `diff` and
  `additional_fields` objects: treat them as read-only.

Every log follows the reference: valid action/resource pairs, resource ids and targets as
Coder's `audit.ResourceID`/`ResourceTarget` derive them (so `is_deleted`, `resource_link`
and the `build_reason` join resolve, §2.1, §4.7), diffs only on successful non-auth requests
with secrets blanked (§4.5), the NEWEST `additional_fields` shapes (§4.5), nil organization
for organization-less resources, and status codes that drive every description rule (§4.6).

The built-in callers (§6.3) have fixed usernames and fixed session tokens,
`DEFAULT_TOKENS`, so a frontend or a test can sign in without reading anything first.
"""

from __future__ import annotations

import bisect
import dataclasses
import ipaddress
import random
import re
import string
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import faker

from ._auth import TOKEN_PATTERN
from ._errors import MockServerError
from ._gc import cyclic_gc_paused
from ._goparse import GO_ZERO_TIME_US, US_PER_DAY, US_PER_SECOND
from ._model import (
    BUILTIN_ROLES,
    NIL_UUID,
    APIKey,
    AuditLog,
    Chat,
    Deployment,
    Group,
    OAuth2ProviderApp,
    OAuth2ProviderAppSecret,
    Organization,
    Task,
    Template,
    TemplateVersion,
    User,
    UserSecret,
    Workspace,
    WorkspaceAgent,
    WorkspaceApp,
    WorkspaceBuild,
)

DEFAULT_SEED = 0
DEFAULT_LOG_COUNT = 1000
DEFAULT_NOW_US = 1_783_512_000_000_000  # 2026-07-08T12:00:00Z: the NEWEST reference date (§0)

# Session tokens `<10-char id>-<22-char secret>` (§6.1), readable on purpose: the
# id names the role and the secret is `<role>secret` padded with zeros to 22 characters.
DEFAULT_TOKENS: dict[str, str] = {
    "owner": "owner00000-ownersecret00000000000",
    "auditor": "auditor000-auditorsecret000000000",
    "org-admin": "orgadmin00-orgadminsecret00000000",
    "org-auditor": "orgauditor-orgauditorsecret000000",
    "member": "member0000-membersecret0000000000",
    # an owner's key that expired one day before `now_us`
    "expired": "expired000-expiredsecret000000000",
    # the key of the suspended user: authenticates, then "User is not active"
    "suspended": "suspended0-suspendedsecret0000000",
}
TOKEN_ROLES: tuple[str, ...] = (*BUILTIN_ROLES, "expired", "suspended")
TOKEN_FORMAT = "<10-char id>-<22-char secret> of ASCII letters and digits"

LOG_WINDOW_US = 90 * US_PER_DAY  # logs fall in (now - 90 days, now]
# The built-in callers' session tokens live this long; a scenario's token defaults to it too.
KEY_LIFETIME_US = 10 * 365 * US_PER_DAY
# `audit.noID` ("51A51C" = "Static"): the resource id of deployment-wide IdP sync settings.
_STATIC_RESOURCE_ID = uuid.UUID("51a51c00-0000-0000-0000-000000000000")

# Per-log chances (see _LogDrawer).
_SHARED_TIME_RATE = 0.03  # same timestamp as the previous log: one request, several rows
_WHOLE_SECOND_RATE = 0.02  # a time with no fraction, rendered "…:56Z"
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

_TEMPLATE_NAMES = ("docker", "kubernetes", "aws-linux", "aws-windows", "gcp-linux", "azure-vm",
    "devcontainer", "jupyter", "nix", "gpu-ml", "podman", "fly-machines")  # fmt: skip
_VERSION_ADJECTIVES = ("brave", "calm", "eager", "gifted", "jolly", "keen", "lucid", "nifty",
    "quirky", "vibrant")  # fmt: skip
_VERSION_SURNAMES = ("turing", "hopper", "lovelace", "curie", "noether", "shannon", "ritchie",
    "knuth", "hamilton")  # fmt: skip
_WORKSPACE_NAMES = ("dev", "main", "sandbox", "api", "frontend", "backend", "data", "ml", "docs",
    "infra", "demo")  # fmt: skip
_GROUP_NAMES = ("developers", "data-science", "platform", "security", "qa", "design", "sre")
_APP_SLUGS = ("code-server", "vscode-desktop", "jupyter", "terminal", "filebrowser", "cursor")
_CONNECTION_TYPES = ("SSH", "VS Code Remote", "JetBrains", "Web Terminal")
_TOKEN_NAMES = ("ci", "terraform", "cli", "vscode", "backup-script", "grafana", "deploy-bot")
_SECRET_NAMES = ("GITHUB_TOKEN", "AWS_ACCESS_KEY_ID", "OPENAI_API_KEY", "NPM_TOKEN", "PYPI_TOKEN")
_OAUTH_APP_NAMES = ("jetbrains-gateway", "internal-portal", "grafana", "backstage")
_PROXY_NAMES = ("eu-west", "ap-south", "us-east")
_CUSTOM_ROLE_NAMES = ("qa-lead", "support", "billing-viewer")
_NOTIFICATION_TEMPLATES = ("Workspace Deleted", "User Account Suspended", "Template Deprecated")
_AI_PROVIDERS = ("openai", "anthropic")
_SKILL_NAMES = ("code-review", "sql-helper", "release-notes")
_GATEWAY_KEY_NAMES = ("team-gateway", "ci-gateway")
_BROWSER_AGENTS = (
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/137.0.0.0 Safari/537.36"
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/136.0.0.0 Safari/537.36 Edg/136.0.0.0"
    ),
    "Mozilla/5.0 (X11; Linux x86_64; rv:139.0) Gecko/20100101 Firefox/139.0",
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/18.5 Safari/605.1.15"
    ),
)
_TOOL_AGENTS = (
    "Coder v2.24.1+7c9cd10 (linux/amd64)",
    "Coder v2.23.3+2a4b8f1 (darwin/arm64)",
    "Coder v2.24.0+e0f4a32 (windows/amd64)",
    "Go-http-client/1.1",
    "Go-http-client/2.0",
    "Terraform/1.12.2 terraform-provider-coderd/0.0.11",
    "curl/8.5.0",
)

# Build reasons by transition (§4.3); build #1 is always someone's own action.
_FIRST_BUILD_REASONS: tuple[str, ...] = ("initiator", "initiator", "initiator", "cli", "dashboard")
_BUILD_REASONS_BY_TRANSITION: dict[str, tuple[str, ...]] = {
    "start": ("initiator", "autostart", "autostart", "dashboard", "cli", "ssh_connection",
              "vscode_connection", "jetbrains_connection", "task_resume"),
    "stop": ("initiator", "autostop", "autostop", "dashboard", "cli", "dormancy", "failedstop",
             "task_auto_pause", "task_manual_pause"),
    "delete": ("initiator", "dashboard", "cli", "autodelete", "dormancy"),
}  # fmt: skip


@dataclasses.dataclass(frozen=True, slots=True)
class _Event:
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


@dataclasses.dataclass(frozen=True, slots=True)
class DataRules:
    """What the data of an older Coder version may hold (a profile's data constraints).

    Applied to the NEWEST event catalog after it is drawn, so the entity pool and the log
    stream's random draws stay those of the same seed.

    Attributes:
        resource_types: the version's resource types; events of other types are left out.
        actions: the version's actions; events with other actions are left out.
        user_statuses: the version's user statuses; users with another become `active`.
        reshape_fields: (resource type, action, resource id, NEWEST additional fields,
            deployment) -> the version's additional fields, or None to leave the event out.

    Example:
        >>> rules = DataRules(frozenset({"user"}), frozenset({"create"}), frozenset({"active"}),
        ...                   lambda rtype, action, rid, fields, d: fields)
        >>> d = generate_deployment(log_count=20, rules=rules)
        >>> {(log.resource_type, log.action) for log in d.logs}
        {('user', 'create')}
    """

    resource_types: frozenset[str]
    actions: frozenset[str]
    user_statuses: frozenset[str]
    reshape_fields: Callable[[str, str, uuid.UUID, Any, Deployment], Any]


def generate_deployment(
    *,
    seed: int = DEFAULT_SEED,
    log_count: int = DEFAULT_LOG_COUNT,
    now_us: int = DEFAULT_NOW_US,
    tokens: Mapping[str, str] | None = None,
    rules: DataRules | None = None,
) -> Deployment:
    """Build a coherent fake Coder deployment with `log_count` audit logs.

    Args:
        seed: decides everything; the same arguments give an identical deployment.
        log_count: how many audit logs, spread over the 90 days before `now_us`.
        now_us: "now" in microseconds since the epoch (the clock is never read).
        tokens: session tokens overriding `DEFAULT_TOKENS` for some of `TOKEN_ROLES`.
        rules: an older Coder version's constraints (None: NEWEST data).

    Raises:
        MockServerError: a negative `log_count`, an unknown role or a malformed token in
            `tokens`, or two roles sharing a key id.

    Example:
        >>> d = generate_deployment(log_count=10)
        >>> len(d.logs), d.users[d.role_users["owner"]].site_roles
        (10, ('owner',))
        >>> d.api_keys["owner00000"].token == DEFAULT_TOKENS["owner"]
        True
    """
    if log_count < 0:
        raise MockServerError(f"log_count must be 0 or more, got {log_count}")
    chosen_tokens = _checked_tokens(tokens or {})
    fake = faker.Faker()
    fake.seed_instance(seed)
    pool = _EntityPool(fake, now_us)
    deployment = pool.build()
    _add_builtin_keys(deployment, chosen_tokens, now_us)
    events = _EventCatalog(pool).build()
    if rules is not None:
        events = _follow_rules(events, rules, deployment)
    # A text seed keeps the log stream apart from Faker's (see the module docstring).
    drawer = _LogDrawer(events, pool, random.Random(f"coder-audit-mock logs {seed}"), now_us)
    with cyclic_gc_paused():
        deployment.logs = drawer.draw(log_count)
    return deployment


def _follow_rules(
    events: list[tuple[float, _Event]], rules: DataRules, deployment: Deployment
) -> list[tuple[float, _Event]]:
    """The events an older version could have recorded, reshaped; its user statuses only."""
    kept: list[tuple[float, _Event]] = []
    for weight, event in events:
        if event.resource_type not in rules.resource_types or event.action not in rules.actions:
            continue
        fields = rules.reshape_fields(
            event.resource_type,
            event.action,
            event.resource_id,
            event.additional_fields,
            deployment,
        )
        if fields is not None:
            kept.append((weight, dataclasses.replace(event, additional_fields=fields)))
    for user in deployment.users.values():
        if user.status not in rules.user_statuses:
            user.status = "active"
    return kept


def _checked_tokens(overrides: Mapping[str, str]) -> dict[str, str]:
    """DEFAULT_TOKENS with `overrides` applied, each validated (§6.1 token shape)."""
    chosen = dict(DEFAULT_TOKENS)
    for role, token in overrides.items():
        if role not in DEFAULT_TOKENS:
            raise MockServerError(
                f"tokens: unknown role {role!r}; expected one of {', '.join(TOKEN_ROLES)}"
            )
        if not isinstance(token, str) or TOKEN_PATTERN.fullmatch(token) is None:
            raise MockServerError(
                f"tokens[{role!r}] = {token!r} is not a Coder session token: expected "
                f"{TOKEN_FORMAT}, e.g. {DEFAULT_TOKENS[role]!r}"
            )
        chosen[role] = token
    owners: dict[str, str] = {}
    for role, token in chosen.items():
        key_id = token[:10]
        if key_id in owners:
            raise MockServerError(
                f"tokens: roles {owners[key_id]!r} and {role!r} share the key id {key_id!r}; "
                "each role needs its own 10-character id"
            )
        owners[key_id] = role
    return chosen


def _add_builtin_keys(deployment: Deployment, tokens: Mapping[str, str], now_us: int) -> None:
    """One session key per built-in role, plus the expired owner key and the suspended one."""
    valid_until = now_us + KEY_LIFETIME_US
    holders = {**deployment.role_users, "expired": deployment.role_users["owner"]}
    builtin: dict[str, APIKey] = {}
    for role in TOKEN_ROLES:
        key_id, secret = tokens[role].split("-")
        if key_id in deployment.api_keys:
            raise MockServerError(
                f"tokens[{role!r}]: key id {key_id!r} is already used by a generated key; "
                "choose another 10-character id"
            )
        expires_at = now_us - US_PER_DAY if role == "expired" else valid_until
        builtin[key_id] = APIKey(
            id=key_id, secret=secret, user_id=holders[role], expires_at=expires_at
        )
    # Built-in keys first: they are the ones people look for.
    deployment.api_keys = {**builtin, **deployment.api_keys}


def _fast_uuid4(bits: int) -> uuid.UUID:
    """`uuid.UUID(int=bits, version=4)` without its argument checks (twice as fast).

    UUID is immutable through `__setattr__`, so the slots are filled as its `__init__` does.
    """
    value = _new_object(_UUID)
    _set_slot(value, "int", (bits & _UUID_KEEP) | _UUID_V4_BITS)
    _set_slot(value, "is_safe", _UUID_UNKNOWN_SAFETY)
    return value


_new_object, _set_slot = object.__new__, object.__setattr__
_UUID, _UUID_UNKNOWN_SAFETY = uuid.UUID, uuid.SafeUUID.unknown
_UUID_KEEP = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_UUID_V4_BITS = (4 << 76) | (0x8000 << 48)


def _slug(text: str, limit: int = 32) -> str:
    """A Coder name: letters and digits in runs joined by single hyphens, at most `limit` long."""
    return re.sub(r"[^A-Za-z0-9]+", "-", text)[:limit].strip("-")


# ----------------------------------------------------------------------------------------------
# The entity pool (Faker)
# ----------------------------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class _Named:
    """A resource the deployment does not model as a record, only as log material."""

    id: uuid.UUID
    name: str
    organization_id: uuid.UUID = NIL_UUID


class _EntityPool:
    """Draws the deployment's entities with one seeded Faker (and its Random)."""

    def __init__(self, fake: faker.Faker, now_us: int) -> None:
        self.fake = fake
        self.rng: random.Random = fake.random
        self.now = now_us
        self.d = Deployment()
        self.audited_org = NIL_UUID  # the non-default org of the org-admin and org-auditor
        self.phantoms: dict[str, list[_Named]] = {}  # hard-deleted resources, by resource type
        self.extras: dict[str, list[_Named]] = {}  # unmodelled resources, by resource type
        self.ips: tuple[str, ...] = ()
        self._taken_names: dict[str, int] = {}

    def new_id(self) -> uuid.UUID:
        return _fast_uuid4(self.rng.getrandbits(128))

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def unique(self, namespace: str, name: str) -> str:
        """`name`, or `name-2`, `name-3`... if already taken in `namespace` (case-insensitive)."""
        key = f"{namespace}\0{name.lower()}"
        count = self._taken_names.get(key, 0) + 1
        self._taken_names[key] = count
        return name if count == 1 else f"{name}-{count}"

    def past(self, low_days: float, high_days: float) -> int:
        """A microsecond time between `high_days` and `low_days` before now."""
        span = int((high_days - low_days) * US_PER_DAY)
        return self.now - int(low_days * US_PER_DAY) - self.rng.randrange(span)

    def build(self) -> Deployment:
        self._organizations()
        self._users()
        self._templates()
        self._workspaces()
        self._groups()
        self._ai_and_integrations()
        self._user_keys()
        self._ip_pool()
        return self.d

    # -- organizations and users --------------------------------------------------------------

    def _organizations(self) -> None:
        count = self.rng.randint(2, 4)
        default = Organization(self.new_id(), "coder", "Coder", is_default=True)
        self.d.organizations[default.id] = default
        for index in range(1, count):
            company = self.fake.company()
            name = self.unique("org", _slug(company.lower()) or f"org-{index}")
            organization = Organization(
                id=self.new_id(),
                name=name,
                display_name=company,
                icon="/emojis/1f3e2.png" if self.chance(0.5) else "",
                # A fourth organization has been deleted: its logs remain (§2.1).
                deleted=index == 3,
            )
            self.d.organizations[organization.id] = organization
        self.audited_org = list(self.d.organizations)[1]

    def _users(self) -> None:
        default_org = next(iter(self.d.organizations))
        audited = self.audited_org
        # Built-in callers first (§6.3): fixed usernames, no other roles.
        builtins: tuple[tuple[str, tuple[str, ...], dict[uuid.UUID, tuple[str, ...]], str], ...] = (
            ("owner", ("owner",), {}, "active"),
            ("auditor", ("auditor",), {}, "active"),
            ("org-admin", (), {audited: ("organization-admin",)}, "active"),
            ("org-auditor", (), {audited: ("organization-auditor",)}, "active"),
            ("member", (), {}, "active"),
            ("suspended", (), {}, "suspended"),
        )
        for username, site_roles, org_roles, status in builtins:
            user = self._user(username, site_roles=site_roles, status=status)
            user.organization_roles = {default_org: (), **org_roles}
            self.d.role_users[username] = user.id
        for _ in range(self.rng.randint(40, 80) - len(builtins)):
            self._random_user(default_org)

    def _user(self, username: str | None, *, site_roles: tuple[str, ...], status: str) -> User:
        """A user named by Faker; the username is derived from the name unless given."""
        first, last = self.fake.first_name(), self.fake.last_name()
        created = self.past(120, 800)
        local_part = self.unique("email", f"{first}.{last}".lower())
        user = User(
            id=self.new_id(),
            username=self.unique("user", username or self._username(first, last)),
            email=f"{local_part}@{self._domain()}",
            created_at=created,
            updated_at=created + self.rng.randrange(self.now - created),
            last_seen_at=self.past(0, 14),
            status=status,
            name=f"{first} {last}",
            site_roles=site_roles,
        )
        self.d.users[user.id] = user
        return user

    def _username(self, first: str, last: str) -> str:
        """A Coder username in one of the usual styles; one in ten keeps its capitals, which
        the username filter must match case-insensitively (§2.1)."""
        styles = (
            f"{first}{last}".lower(),
            f"{first[0]}{last}".lower(),
            f"{first}-{last}".lower(),
            f"{first}{self.rng.randint(1, 99)}".lower(),
            f"{first}{last}",
        )
        weights = (3, 3, 2, 1, 1)
        return _slug(self.rng.choices(styles, weights)[0]) or "user"

    def _domain(self) -> str:
        return "coder.example" if self.chance(0.7) else self.fake.free_email_domain()

    def _random_user(self, default_org: uuid.UUID) -> None:
        roll = self.rng.random()
        status = "active" if roll < 0.8 else "dormant" if roll < 0.9 else "suspended"
        site_roles = tuple(
            role
            for role, probability in (
                ("owner", 0.03),
                ("auditor", 0.03),
                ("template-admin", 0.06),
                ("user-admin", 0.04),
            )
            if self.chance(probability)
        )
        user = self._user(None, site_roles=site_roles, status=status)
        self._style_user(user)
        user.organization_roles = {default_org: ()}
        for organization in list(self.d.organizations.values())[1:]:
            if self.chance(0.2 if organization.deleted else 0.4):
                roles: tuple[str, ...] = ()
                if self.chance(0.1):
                    admin = self.chance(0.6)
                    roles = ("organization-admin",) if admin else ("organization-auditor",)
                user.organization_roles[organization.id] = roles

    def _style_user(self, user: User) -> None:
        """Vary login types, avatars, names, mixed-case emails, never-seen and deleted users."""
        roll = self.rng.random()
        if roll < 0.05:
            # Service accounts have no email, no name and no way to log in.
            user.login_type, user.is_service_account = "none", True
            user.username = self.unique("user", f"{self.fake.word()}-bot")
            user.email, user.name = "", ""
        elif roll < 0.25:
            user.login_type = "github"
            user.avatar_url = (
                f"https://avatars.githubusercontent.com/u/{self.rng.randint(1000, 99999999)}?v=4"
            )
        elif roll < 0.45:
            user.login_type = "oidc"
        if self.chance(0.15):
            user.name = ""
        if user.email and self.chance(0.1):
            # Stored mixed-case: the email filter compares exactly and so never matches (§2.1).
            local, _, domain = user.email.partition("@")
            user.email = f"{local.title()}@{domain.capitalize()}"
        if user.status == "dormant":
            user.last_seen_at = self.past(91, 200)
        if self.chance(0.05):
            user.last_seen_at = GO_ZERO_TIME_US  # never seen
        user.deleted = self.chance(0.05)

    def members(self, organization_id: uuid.UUID) -> list[User]:
        return [u for u in self.d.users.values() if organization_id in u.organization_roles]

    def site_role_holders(self, *roles: str) -> list[uuid.UUID]:
        return [u.id for u in self.d.users.values() if set(roles) & set(u.site_roles)]

    def org_role_holders(self, organization_id: uuid.UUID, role: str) -> list[uuid.UUID]:
        return [
            u.id
            for u in self.d.users.values()
            if role in u.organization_roles.get(organization_id, ())
        ]

    def live_users(self) -> list[User]:
        return [u for u in self.d.users.values() if not u.deleted]

    # -- templates, workspaces, builds ---------------------------------------------------------

    def _templates(self) -> None:
        for organization in self.d.organizations.values():
            low = 3 if organization.is_default else 2
            names = self.rng.sample(_TEMPLATE_NAMES, self.rng.randint(low, low + 3))
            authors = self.site_role_holders("owner", "template-admin")
            for name in names:
                template = Template(
                    id=self.new_id(),
                    organization_id=organization.id,
                    name=name,
                    display_name=name.replace("-", " ").title(),
                    created_by=self.rng.choice(authors),
                    deleted=self.chance(0.1),
                )
                self.d.templates[template.id] = template
                for _ in range(self.rng.randint(1, 4)):
                    version_name = (
                        f"{self.rng.choice(_VERSION_ADJECTIVES)}_"
                        f"{self.rng.choice(_VERSION_SURNAMES)}{self.rng.randint(0, 9)}"
                    )
                    version = TemplateVersion(self.new_id(), template.id, version_name)
                    self.d.template_versions[version.id] = version

    def _workspaces(self) -> None:
        roles = self.d.role_users
        for user in list(self.d.users.values()):
            if user.is_service_account:
                continue
            builtin = user.id in roles.values()
            if not builtin and not self.chance(0.65):
                continue
            for _ in range(self.rng.randint(1, 2 if builtin else 3)):
                self._workspace(
                    user,
                    prefer=self.audited_org
                    if user.id in (roles["org-admin"], roles["org-auditor"])
                    else None,
                )
        self._cover_build_reasons()

    def _workspace(self, owner: User, prefer: uuid.UUID | None) -> None:
        choices = [
            t
            for t in self.d.templates.values()
            if not t.deleted
            and t.organization_id in owner.organization_roles
            and (prefer is None or t.organization_id == prefer)
        ]
        if not choices:
            return
        template = self.rng.choice(choices)
        workspace = Workspace(
            id=self.new_id(),
            organization_id=template.organization_id,
            owner_id=owner.id,
            template_id=template.id,
            name=self.unique(f"workspace {owner.id}", self.rng.choice(_WORKSPACE_NAMES)),
            deleted=owner.deleted or self.chance(0.12),
        )
        self.d.workspaces[workspace.id] = workspace
        count = self.rng.randint(1, 6)
        for number in range(1, count + 1):
            transition = "start" if number % 2 else "stop"
            self._build(workspace, number, transition)
        if workspace.deleted:
            self._build(workspace, count + 1, "delete")
        for agent_name in ("main", "dev") if self.chance(0.2) else ("main",):
            agent = WorkspaceAgent(self.new_id(), workspace.id, agent_name)
            self.d.agents[agent.id] = agent
            for slug in self.rng.sample(_APP_SLUGS, self.rng.randint(1, 3)):
                app = WorkspaceApp(self.new_id(), agent.id, slug)
                self.d.apps[app.id] = app

    def _build(self, workspace: Workspace, number: int, transition: str) -> None:
        reasons = _FIRST_BUILD_REASONS if number == 1 else _BUILD_REASONS_BY_TRANSITION[transition]
        build = WorkspaceBuild(
            self.new_id(), workspace.id, number, self.rng.choice(reasons), transition
        )
        self.d.builds[build.id] = build

    def _cover_build_reasons(self) -> None:
        """Give every build reason at least one build, so each `build_reason:` filter matches."""
        present = {b.reason for b in self.d.builds.values()}
        for transition, reasons in _BUILD_REASONS_BY_TRANSITION.items():
            candidates = [
                b for b in self.d.builds.values() if b.transition == transition and b.number > 1
            ]
            for reason in reasons:
                if reason not in present and candidates:
                    self.rng.choice(candidates).reason = reason
                    present.add(reason)

    # -- groups, AI and integration resources --------------------------------------------------

    def _groups(self) -> None:
        for organization in self.d.organizations.values():
            members = self.members(organization.id)
            # Coder's "Everyone" group has the organization's id.
            everyone = Group(
                organization.id, organization.id, "Everyone", tuple(u.id for u in members)
            )
            self.d.groups[everyone.id] = everyone
            for name in self.rng.sample(_GROUP_NAMES, self.rng.randint(1, 4)):
                chosen = self.rng.sample(members, min(len(members), self.rng.randint(2, 8)))
                group = Group(self.new_id(), organization.id, name, tuple(u.id for u in chosen))
                self.d.groups[group.id] = group

    def _ai_and_integrations(self) -> None:
        users = [u for u in self.live_users() if not u.is_service_account]
        for name in self.rng.sample(_OAUTH_APP_NAMES, 2):
            app = OAuth2ProviderApp(self.new_id(), name)
            self.d.oauth2_apps[app.id] = app
            for _ in range(self.rng.randint(1, 2)):
                secret = OAuth2ProviderAppSecret(self.new_id(), app.id, self._display_secret())
                self.d.oauth2_app_secrets[secret.id] = secret
        for _ in range(self.rng.randint(4, 8)):
            self._task()
        for _ in range(self.rng.randint(4, 10)):
            owner = self.rng.choice(users)
            chat = Chat(
                self.new_id(),
                self.rng.choice(list(owner.organization_roles)),
                owner.id,
                self.fake.sentence(nb_words=4).rstrip("."),
            )
            self.d.chats[chat.id] = chat
        for name in self.rng.sample(_SECRET_NAMES, self.rng.randint(3, 5)):
            secret_owner = self.rng.choice(users)
            user_secret = UserSecret(self.new_id(), secret_owner.id, name)
            self.d.user_secrets[user_secret.id] = user_secret
        self._phantoms()
        self._extras()

    def _display_secret(self) -> str:
        return f"{self.rng.getrandbits(24):06x}"

    def _task(self) -> None:
        workspaces = [w for w in self.d.workspaces.values() if not w.deleted]
        if not workspaces:
            return
        workspace = self.rng.choice(workspaces)
        task = Task.in_workspace(
            workspace,
            id=self.new_id(),
            name=self.unique("task", f"task-{self.fake.word()}"),
            deleted=self.chance(0.2),
        )
        self.d.tasks[task.id] = task

    def _phantoms(self) -> None:
        """Hard-deleted resources: their logs remain, their rows do not (is_deleted, §4.7)."""
        self.phantoms = {
            "oauth2_provider_app": [_Named(self.new_id(), "legacy-portal")],
            "oauth2_provider_app_secret": [_Named(self.new_id(), self._display_secret())],
            "chat": [_Named(self.new_id(), "") for _ in range(2)],
            "user_secret": [_Named(self.new_id(), "OLD_DEPLOY_KEY")],
        }

    def _extras(self) -> None:
        """Resources Coder audits that the mock keeps only as log material."""
        organizations = list(self.d.organizations)
        self.extras = {
            "license": [_Named(self.new_id(), str(n)) for n in range(1, self.rng.randint(2, 3))],
            "workspace_proxy": [_Named(self.new_id(), n) for n in _PROXY_NAMES[:2]],
            "custom_role": [
                _Named(self.new_id(), self.rng.choice(_CUSTOM_ROLE_NAMES), org)
                for org in organizations
            ],
            "notification_template": [_Named(self.new_id(), n) for n in _NOTIFICATION_TEMPLATES],
            "ai_provider": [_Named(self.new_id(), n) for n in _AI_PROVIDERS],
            "ai_gateway_key": [_Named(self.new_id(), n) for n in _GATEWAY_KEY_NAMES],
            "user_skill": [_Named(self.new_id(), n) for n in _SKILL_NAMES],
            # Settings singletons have artificial ids (audit.ResourceID).
            "settings": [_Named(self.new_id(), "") for _ in range(3)],
        }
        self.extras["ai_provider_key"] = [
            _Named(key_id, str(key_id)) for key_id in (self.new_id(), self.new_id())
        ]

    def _user_keys(self) -> None:
        """Named API tokens of some active users (dormant users hold no keys)."""
        alphabet = string.ascii_letters + string.digits
        for user in self.live_users():
            if user.status != "active" or user.id in self.d.role_users.values():
                continue
            if not self.chance(0.25):
                continue
            key = APIKey(
                id="".join(self.rng.choices(alphabet, k=10)),
                secret="".join(self.rng.choices(alphabet, k=22)),
                user_id=user.id,
                expires_at=self.now + self.rng.randint(-60, 300) * US_PER_DAY,
                token_name=self.unique(f"token {user.id}", self.rng.choice(_TOKEN_NAMES)),
                login_type="token",
            )
            self.d.api_keys[key.id] = key

    def _ip_pool(self) -> None:
        ipv4 = [self.fake.ipv4_public() for _ in range(60)]
        ipv4 += [self.fake.ipv4_private() for _ in range(40)]
        ipv6 = [
            str(ipaddress.IPv6Address((0x20010DB8 << 96) | self.rng.getrandbits(64)))
            for _ in range(15)
        ]
        self.ips = (*ipv4, *ipv6, "", "")


# ----------------------------------------------------------------------------------------------
# The event catalog
# ----------------------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


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
            field["old"] = _jsonable(before)
        if after is not None:
            field["new"] = _jsonable(after)
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
    ) -> _Event:
        return _Event(
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


class _EventCatalog:
    """Turns the entity pool into weighted events, grouped by resource type."""

    def __init__(self, pool: _EntityPool) -> None:
        self.pool = pool
        self.d = pool.d
        self.rng = pool.rng
        self.by_type: dict[str, list[tuple[float, _Event]]] = {t: [] for t in _TYPE_WEIGHTS}
        self.owners = tuple(pool.site_role_holders("owner"))

    def build(self) -> list[tuple[float, _Event]]:
        """Every event with its weight; each resource type gets its `_TYPE_WEIGHTS` share."""
        self._workspace_events()
        self._account_events()
        self._template_events()
        self._organization_events()
        self._integration_events()
        self._ai_events()
        weighted: list[tuple[float, _Event]] = []
        for resource_type, entries in self.by_type.items():
            total = sum(weight for weight, _ in entries)
            if not total:
                raise MockServerError(f"internal: no audit events for {resource_type!r}")
            share = _TYPE_WEIGHTS[resource_type] / total
            weighted.extend((weight * share, event) for weight, event in entries)
        return weighted

    def add(self, weight: float, event: _Event, *, can_fail: bool = True) -> None:
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
        weighted: list[tuple[float, _Event]] = []
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


# ----------------------------------------------------------------------------------------------
# Drawing the logs
# ----------------------------------------------------------------------------------------------


# AuditLog is built positionally in the hot loop (keyword arguments cost three times as much);
# this is the field order that relies on, checked when the module loads.
_AUDIT_LOG_FIELDS = (
    "id", "time", "user_id", "organization_id", "ip", "user_agent", "resource_type",
    "resource_id", "resource_target", "action", "diff", "status_code", "additional_fields",
    "request_id",
)  # fmt: skip
if tuple(f.name for f in dataclasses.fields(AuditLog))[: len(_AUDIT_LOG_FIELDS)] != (
    _AUDIT_LOG_FIELDS
):  # pragma: no cover - guards against a reordered model
    raise MockServerError("AuditLog fields changed order: update _generate._LogDrawer.draw")


class _LogDrawer:
    """Draws audit logs from the weighted events with one `random.Random`: no Faker, no copies."""

    def __init__(
        self,
        events: Sequence[tuple[float, _Event]],
        pool: _EntityPool,
        rng: random.Random,
        now_us: int,
    ) -> None:
        self.events = [event for _, event in events]
        self.cumulative: list[float] = []
        total = 0.0
        for weight, _ in events:
            total += weight
            self.cumulative.append(total)
        self.audited = [e for e in self.events if e.organization_id == pool.audited_org]
        self.ips = pool.ips
        self.user_agents = (*_BROWSER_AGENTS, *_BROWSER_AGENTS, *_TOOL_AGENTS)
        self.rng = rng
        self.now = now_us

    def draw(self, count: int) -> list[AuditLog]:
        """`count` logs. The loop is the generator's hot path: locals only, tuples, no calls
        beyond the random draws, the two uuids and the record itself."""
        random_ = self.rng.random
        getrandbits = self.rng.getrandbits
        rows = [_event_row(event) for event in self.events]
        audited = [_event_row(event) for event in self.audited]
        cumulative = self.cumulative
        last_row = len(rows) - 1
        total = cumulative[-1]
        ips, user_agents = self.ips, self.user_agents
        ip_count, agent_count = len(ips), len(user_agents)
        now = self.now
        earliest = now - LOG_WINDOW_US + 1
        bisect_right, new_uuid, record = bisect.bisect_right, _fast_uuid4, AuditLog
        logs: list[AuditLog] = []
        append = logs.append
        time = now
        for index in range(count):
            if index:
                row = rows[min(bisect_right(cumulative, random_() * total), last_row)]
            else:
                # The org-admin's organization always has a log: its readers see something.
                row = audited[int(random_() * len(audited))]
            rtype, action, rid, target, org, actors, statuses, diff, fields, origin = row
            if not index or random_() >= _SHARED_TIME_RATE:
                time = now - int(random_() * LOG_WINDOW_US)
                if random_() < _WHOLE_SECOND_RATE and time - time % US_PER_SECOND >= earliest:
                    time -= time % US_PER_SECOND
            if origin == "request":
                ip = ips[int(random_() * ip_count)]
                user_agent = user_agents[int(random_() * agent_count)]
                request_id = new_uuid(getrandbits(128))
            elif origin == "agent":
                ip, user_agent, request_id = ips[int(random_() * ip_count)], "", NIL_UUID
            else:
                ip, user_agent, request_id = "", "", NIL_UUID
            log = record(
                new_uuid(getrandbits(128)), time, actors[int(random_() * len(actors))], org, ip,
                user_agent, rtype, rid, target, action, diff,
                statuses[int(random_() * len(statuses))], fields, request_id,
            )  # fmt: skip
            append(log)
        return logs


def _event_row(event: _Event) -> tuple[Any, ...]:
    """An event as a flat tuple, unpacked in one step by the drawing loop."""
    return (
        event.resource_type, event.action, event.resource_id, event.resource_target,
        event.organization_id, event.actors, event.statuses, event.diff,
        event.additional_fields, event.origin,
    )  # fmt: skip
