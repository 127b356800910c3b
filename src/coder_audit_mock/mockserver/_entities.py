"""The deployment's entities, drawn with one seeded Faker: `EntityPool` (see `_generate`).

Organizations, users, templates, workspaces and their builds, agents and apps, groups, keys,
AI and integration resources: everything a log can point at. The pool never depends on
`log_count` or `tokens`, so `log_count=0` yields the same entities.

Example:
    >>> import faker
    >>> fake = faker.Faker()
    >>> fake.seed_instance(0)
    >>> d = EntityPool(fake, now_us=1_783_512_000_000_000).build()
    >>> len(d.organizations) >= 2, len(d.users) >= 40
    (True, True)
"""

from __future__ import annotations

import dataclasses
import ipaddress
import random
import re
import string
import uuid

import faker

from ._goparse import GO_ZERO_TIME_US, US_PER_DAY
from ._model import (
    NIL_UUID,
    APIKey,
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
_TOKEN_NAMES = ("ci", "terraform", "cli", "vscode", "backup-script", "grafana", "deploy-bot")
_SECRET_NAMES = ("GITHUB_TOKEN", "AWS_ACCESS_KEY_ID", "OPENAI_API_KEY", "NPM_TOKEN", "PYPI_TOKEN")
_OAUTH_APP_NAMES = ("jetbrains-gateway", "internal-portal", "grafana", "backstage")
_PROXY_NAMES = ("eu-west", "ap-south", "us-east")
_CUSTOM_ROLE_NAMES = ("qa-lead", "support", "billing-viewer")
_NOTIFICATION_TEMPLATES = ("Workspace Deleted", "User Account Suspended", "Template Deprecated")
_AI_PROVIDERS = ("openai", "anthropic")
_SKILL_NAMES = ("code-review", "sql-helper", "release-notes")
_GATEWAY_KEY_NAMES = ("team-gateway", "ci-gateway")
# Build reasons by transition (§4.3); build #1 is always someone's own action.
_FIRST_BUILD_REASONS: tuple[str, ...] = ("initiator", "initiator", "initiator", "cli", "dashboard")
_BUILD_REASONS_BY_TRANSITION: dict[str, tuple[str, ...]] = {
    "start": ("initiator", "autostart", "autostart", "dashboard", "cli", "ssh_connection",
              "vscode_connection", "jetbrains_connection", "task_resume"),
    "stop": ("initiator", "autostop", "autostop", "dashboard", "cli", "dormancy", "failedstop",
             "task_auto_pause", "task_manual_pause"),
    "delete": ("initiator", "dashboard", "cli", "autodelete", "dormancy"),
}  # fmt: skip


def fast_uuid4(bits: int) -> uuid.UUID:
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


@dataclasses.dataclass(slots=True)
class Named:
    """A resource the deployment does not model as a record, only as log material."""

    id: uuid.UUID
    name: str
    organization_id: uuid.UUID = NIL_UUID


class EntityPool:
    """Draws the deployment's entities with one seeded Faker (and its Random)."""

    def __init__(self, fake: faker.Faker, now_us: int) -> None:
        self.fake = fake
        self.rng: random.Random = fake.random
        self.now = now_us
        self.d = Deployment()
        self.audited_org = NIL_UUID  # the non-default org of the org-admin and org-auditor
        self.phantoms: dict[str, list[Named]] = {}  # hard-deleted resources, by resource type
        self.extras: dict[str, list[Named]] = {}  # unmodelled resources, by resource type
        self.ips: tuple[str, ...] = ()
        self._taken_names: dict[str, int] = {}

    def new_id(self) -> uuid.UUID:
        return fast_uuid4(self.rng.getrandbits(128))

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
            "oauth2_provider_app": [Named(self.new_id(), "legacy-portal")],
            "oauth2_provider_app_secret": [Named(self.new_id(), self._display_secret())],
            "chat": [Named(self.new_id(), "") for _ in range(2)],
            "user_secret": [Named(self.new_id(), "OLD_DEPLOY_KEY")],
        }

    def _extras(self) -> None:
        """Resources Coder audits that the mock keeps only as log material."""
        organizations = list(self.d.organizations)
        self.extras = {
            "license": [Named(self.new_id(), str(n)) for n in range(1, self.rng.randint(2, 3))],
            "workspace_proxy": [Named(self.new_id(), n) for n in _PROXY_NAMES[:2]],
            "custom_role": [
                Named(self.new_id(), self.rng.choice(_CUSTOM_ROLE_NAMES), org)
                for org in organizations
            ],
            "notification_template": [Named(self.new_id(), n) for n in _NOTIFICATION_TEMPLATES],
            "ai_provider": [Named(self.new_id(), n) for n in _AI_PROVIDERS],
            "ai_gateway_key": [Named(self.new_id(), n) for n in _GATEWAY_KEY_NAMES],
            "user_skill": [Named(self.new_id(), n) for n in _SKILL_NAMES],
            # Settings singletons have artificial ids (audit.ResourceID).
            "settings": [Named(self.new_id(), "") for _ in range(3)],
        }
        self.extras["ai_provider_key"] = [
            Named(key_id, str(key_id)) for key_id in (self.new_id(), self.new_id())
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
