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
import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import faker

from ._auth import TOKEN_PATTERN
from ._entities import EntityPool, fast_uuid4
from ._errors import MockServerError
from ._events import Event, EventCatalog
from ._gc import cyclic_gc_paused
from ._goparse import US_PER_DAY, US_PER_SECOND
from ._model import (
    BUILTIN_ROLES,
    NIL_UUID,
    APIKey,
    AuditLog,
    Deployment,
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

# Per-log chances (see _LogDrawer).
_SHARED_TIME_RATE = 0.03  # same timestamp as the previous log: one request, several rows
_WHOLE_SECOND_RATE = 0.02  # a time with no fraction, rendered "…:56Z"


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
    pool = EntityPool(fake, now_us)
    deployment = pool.build()
    _add_builtin_keys(deployment, chosen_tokens, now_us)
    events = EventCatalog(pool).build()
    if rules is not None:
        events = _follow_rules(events, rules, deployment)
    # A text seed keeps the log stream apart from Faker's (see the module docstring).
    drawer = _LogDrawer(events, pool, random.Random(f"coder-audit-mock logs {seed}"), now_us)
    with cyclic_gc_paused():
        deployment.logs = drawer.draw(log_count)
    return deployment


def _follow_rules(
    events: list[tuple[float, Event]], rules: DataRules, deployment: Deployment
) -> list[tuple[float, Event]]:
    """The events an older version could have recorded, reshaped; its user statuses only."""
    kept: list[tuple[float, Event]] = []
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
        events: Sequence[tuple[float, Event]],
        pool: EntityPool,
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
        if not count:
            return []
        if not self.events:
            raise MockServerError(
                f"cannot draw {count} logs: the data rules leave no event (resource type and "
                "action) to log"
            )
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
        bisect_right, new_uuid, record = bisect.bisect_right, fast_uuid4, AuditLog
        logs: list[AuditLog] = []
        append = logs.append
        time = now
        for index in range(count):
            if index or not audited:
                row = rows[min(bisect_right(cumulative, random_() * total), last_row)]
            else:
                # The org-admin's organization always has a log (when the version's data rules
                # leave it any event): its readers see something.
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


def _event_row(event: Event) -> tuple[Any, ...]:
    """An event as a flat tuple, unpacked in one step by the drawing loop."""
    return (
        event.resource_type, event.action, event.resource_id, event.resource_target,
        event.organization_id, event.actors, event.statuses, event.diff,
        event.additional_fields, event.origin,
    )  # fmt: skip
