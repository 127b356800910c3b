"""What the contract kit expects of each Coder version: its own oracle, not the mock's code.

The semantic checks and the waivers judge a server by these rules. They are written here, in
the kit, from Coder's behaviour (the § numbers of the behaviour reference, and the answers
recorded from a real Coder v2.35.1 in tests/fidelity/corpus), and never by calling the mock's
parsers, renderers or profiles: a bug in the mock must not become the contract. The mock is
tested by the kit, not the other way round (tests/test_layers.py forbids the import).

```
CoderRules                one Coder version's observable contract (enums, count, paging,
                          tokens, roles, testgenerate, shapes)
  .count(total, n)        the `count` a page of n logs carries when `total` logs match
  .pagination_rejection   the validation fields of the 400 for limit/offset/after_id, or None
  .window_error           the `detail` of Postgres's 500 for a LIMIT/OFFSET it refuses, or None
RULES / rules_for(name)   "newest" (v2.35.1 and the source it was read from), "2023-01"
```

Example:
    >>> rules_for("newest").pagination_rejection({"limit": ["-1"], "offset": ["5"]})
    ('limit',)
    >>> rules_for("2023-01").window_error({"limit": ["-1"]})
    'pq: LIMIT must not be negative'
"""

from __future__ import annotations

import dataclasses
import re
import types
from collections.abc import Mapping, Sequence

__all__ = [
    "DEFAULT_PROFILE",
    "EARLY_RULES",
    "NEWEST_RULES",
    "RULES",
    "CoderRules",
    "TokenCarrier",
    "rules_for",
]

DEFAULT_PROFILE = "newest"
NIL = "00000000-0000-0000-0000-000000000000"
# Reference §4.1, §4.2, §4.3: the database enums of NEWEST (v2.35.1).
NEWEST_AUDIT_ACTIONS = (
    "create",
    "write",
    "delete",
    "start",
    "stop",
    "login",
    "logout",
    "register",
    "request_password_reset",
    "connect",
    "disconnect",
    "open",
    "close",
)
NEWEST_RESOURCE_TYPES = (
    "organization",
    "template",
    "template_version",
    "user",
    "workspace",
    "git_ssh_key",
    "api_key",
    "group",
    "workspace_build",
    "license",
    "workspace_proxy",
    "convert_login",
    "health_settings",
    "oauth2_provider_app",
    "oauth2_provider_app_secret",
    "custom_role",
    "organization_member",
    "notifications_settings",
    "notification_template",
    "idp_sync_settings_organization",
    "idp_sync_settings_group",
    "idp_sync_settings_role",
    "workspace_agent",
    "workspace_app",
    "prebuilds_settings",
    "task",
    "ai_seat",
    "chat",
    "user_secret",
    "ai_provider",
    "ai_provider_key",
    "group_ai_budget",
    "user_skill",
    "ai_gateway_key",
    "user_ai_budget_override",
)
NEWEST_BUILD_REASONS = (
    "initiator",
    "autostart",
    "autostop",
    "dormancy",
    "failedstop",
    "autodelete",
    "dashboard",
    "cli",
    "ssh_connection",
    "vscode_connection",
    "jetbrains_connection",
    "task_auto_pause",
    "task_manual_pause",
    "task_resume",
)
# Reference §2.1: the keys NEWEST's `q` reads.
NEWEST_SEARCH_KEYS = (
    "request_id",
    "resource_id",
    "resource_target",
    "username",
    "email",
    "date_from",
    "date_to",
    "organization",
    "resource_type",
    "action",
    "build_reason",
)
# Reference §5: the fields of NEWEST's CreateTestAuditLogRequest.
NEWEST_TESTGENERATE_FIELDS = (
    "action",
    "resource_type",
    "resource_id",
    "organization_id",
    "request_id",
    "time",
    "build_reason",
    "additional_fields",
)
FORBIDDEN_DETAIL = (  # reference §1.1 step 2: httpapi.Forbidden's detail
    "You don't have permission to view this content. If you believe this is a mistake, "
    "please contact your administrator or try signing in with different credentials."
)
_INT = re.compile(r"[+-]?[0-9]+")  # strconv's base-10 syntax: ASCII digits, one optional sign
_HEX = re.compile(r"[0-9a-fA-F]+")
_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_PAGINATION = ("after_id", "limit", "offset")  # Coder reads (and reports) them in this order


@dataclasses.dataclass(frozen=True, slots=True)
class TokenCarrier:
    """Where a session token may travel (reference §6.1): `kind` and `name`.

    Kinds: "cookie", "query" (parameter), "header", "bearer" (`<name>: Bearer <token>`).

    Example:
        >>> str(TokenCarrier("bearer", "Authorization"))
        'bearer Authorization'
    """

    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"


def go_uuid_ok(text: str) -> bool:
    """Whether `github.com/google/uuid.Parse` accepts `text` (reference §3.4).

    36 characters with dashes at 8, 13, 18, 23; 38 (the first and last character are skipped,
    whatever they are); 45 with a `urn:uuid:` prefix (any case); or 32 bare hex digits.

    Example:
        >>> go_uuid_ok("{d6c1c331-8b4a-4f0e-9a2b-0123456789ab}"), go_uuid_ok("1234")
        (True, False)
    """
    raw = text.encode("utf-8", "surrogateescape")
    if len(raw) == 45 and raw[:9].lower() == b"urn:uuid:":
        raw = raw[9:]
    elif len(raw) == 38:
        raw = raw[1:37]
    if len(raw) == 36:
        if raw[8:9] + raw[13:14] + raw[18:19] + raw[23:24] != b"----":
            return False
        raw = raw[:8] + raw[9:13] + raw[14:18] + raw[19:23] + raw[24:]
    return len(raw) == 32 and _HEX.fullmatch(raw.decode("latin-1")) is not None


def _go_int(text: str, bounds: tuple[int, int]) -> int | None:
    """`strconv.ParseInt(text, 10, bits)`: the value, or None for a syntax or range error."""
    if not _INT.fullmatch(text):
        return None
    value = int(text)
    return value if bounds[0] <= value <= bounds[1] else None


def _go_int32(value: int) -> int:
    """Go's `int32(value)`: the low 32 bits, signed."""
    return (value + 2**31) % 2**32 - 2**31


@dataclasses.dataclass(frozen=True, slots=True)
class CoderRules:
    """One Coder version's audit-log contract as the kit checks it.

    Attributes:
        name: the version's name, as `--profile` spells it: "newest" or "2023-01".
        coder: where the rules come from (release, commit, recording).
        audit_actions, resource_types, build_reasons: the database enums (§4.1-§4.3).
        search_keys: the keys `q` reads (§2.1, §2.2).
        newest_search: `q` follows NEWEST's grammar (every key, enum and `username:me`),
            which the search strategies draw; False skips filters_hold.
        rejects_bad_search: unknown keys, bad values, repeated keys answer 400 (§2.1).
        default_limit: the page size without `limit` (NEWEST 100; 2023-01 ran `LIMIT 0`).
        count_cap: the `count_cap` field, None when the page has none (§3.1, §3.2).
        empty_page_counts_zero: `count` is a window count, 0 on an empty page (§3.2).
        repeated_pagination_rejected: `limit=1&limit=2` is a 400 (§3.4); else the first wins.
        int32_pagination: limit/offset are non-negative 32-bit integers (§3.4); else any
            64-bit integer, passed to Postgres as int32 (which refuses negatives with a 500).
        token_carriers: where the token may travel, first wins (§6.1).
        www_authenticate: a 401 carries a `WWW-Authenticate` challenge (§6.2).
        forbidden_detail: the `detail` of the read refusal's 403 (§1.1, §1.3).
        write_refusal_status: what a reader who may not write gets from testgenerate (§1.2
            step 3: 500 at insert; §1.4: 403 before the body).
        org_scoped_reads: organization admins and auditors read their organizations' logs.
        csrf_check: cookie-authenticated writes need a CSRF token (recorded from v2.35.1).
        testgenerate_fields: the body fields testgenerate reads (§5).
        newest_shapes: logs and users have NEWEST's fields (§4.5); False skips response_shape.
        count_text: the count rule in words, for failure reports.

    Example:
        >>> NEWEST_RULES.count(2500, 0), EARLY_RULES.count(7, 0)
        (2001, 0)
    """

    name: str
    coder: str
    audit_actions: tuple[str, ...]
    resource_types: tuple[str, ...]
    build_reasons: tuple[str, ...]
    search_keys: tuple[str, ...]
    newest_search: bool
    rejects_bad_search: bool
    default_limit: int
    count_cap: int | None
    empty_page_counts_zero: bool
    repeated_pagination_rejected: bool
    int32_pagination: bool
    token_carriers: tuple[TokenCarrier, ...]
    www_authenticate: bool
    forbidden_detail: str
    write_refusal_status: int
    org_scoped_reads: bool
    csrf_check: bool
    testgenerate_fields: tuple[str, ...]
    newest_shapes: bool
    count_text: str

    def count(self, total: int, on_page: int) -> int:
        """The `count` of a page holding `on_page` logs when `total` logs match (§3.1, §3.2).

        Example:
            >>> NEWEST_RULES.count(12, 0), EARLY_RULES.count(12, 3)
            (12, 12)
        """
        if self.empty_page_counts_zero and on_page == 0:
            return 0
        return total if self.count_cap is None else min(total, self.count_cap + 1)

    def pagination_rejection(self, params: Mapping[str, Sequence[str]]) -> tuple[str, ...] | None:
        """The sorted validation fields of the 400 `params` get, or None when accepted (§3.4).

        Args:
            params: each query parameter's values in the order sent (others are ignored).

        Example:
            >>> NEWEST_RULES.pagination_rejection({"limit": ["1", "2"], "after_id": ["x"]})
            ('after_id', 'limit')
            >>> EARLY_RULES.pagination_rejection({"limit": ["1", "2"], "offset": ["-3"]}) is None
            True
        """
        bad = [name for name in _PAGINATION if not self._valid(name, params.get(name, ()))]
        return tuple(sorted(bad)) or None

    def _valid(self, name: str, values: Sequence[str]) -> bool:
        # An absent parameter, or an empty FIRST value, means the default (Go's vals.Get).
        if not values or values[0] == "":
            return True
        if len(values) > 1 and self.repeated_pagination_rejected:
            return False
        if name == "after_id":
            return go_uuid_ok(values[0])
        if self.int32_pagination:
            value = _go_int(values[0], _INT32)
            return value is not None and value >= 0
        return _go_int(values[0], _INT64) is not None

    def window_error(self, params: Mapping[str, Sequence[str]]) -> str | None:
        """The `detail` of the 500 Postgres answers for this LIMIT/OFFSET, or None (§3.2).

        Only for a version that passes 64-bit values on as int32: a negative result is refused,
        OFFSET before LIMIT. None when the pagination is rejected with a 400 first.

        Example:
            >>> EARLY_RULES.window_error({"offset": ["4294967295"], "limit": ["-1"]})
            'pq: OFFSET must not be negative'
            >>> NEWEST_RULES.window_error({"limit": ["-1"]}) is None
            True
        """
        if self.int32_pagination or self.pagination_rejection(params) is not None:
            return None
        for name, word in (("offset", "OFFSET"), ("limit", "LIMIT")):
            values = params.get(name, ())
            value = _go_int(values[0], _INT64) if values and values[0] else 0
            if value is not None and _go_int32(value) < 0:
                return f"pq: {word} must not be negative"
        return None


_SESSION_COOKIE = "coder_session_token"

NEWEST_RULES = CoderRules(
    name="newest",
    coder="Coder v2.35.1 (recorded, tests/fidelity/corpus) and a6afcd046fd2 (read)",
    audit_actions=NEWEST_AUDIT_ACTIONS,
    resource_types=NEWEST_RESOURCE_TYPES,
    build_reasons=NEWEST_BUILD_REASONS,
    search_keys=NEWEST_SEARCH_KEYS,
    newest_search=True,
    rejects_bad_search=True,
    default_limit=100,
    count_cap=2000,
    empty_page_counts_zero=False,
    repeated_pagination_rejected=True,
    int32_pagination=True,
    token_carriers=(
        TokenCarrier("cookie", _SESSION_COOKIE),
        TokenCarrier("query", _SESSION_COOKIE),
        TokenCarrier("header", "Coder-Session-Token"),
        TokenCarrier("bearer", "Authorization"),
        TokenCarrier("query", "access_token"),
    ),
    www_authenticate=True,
    forbidden_detail=FORBIDDEN_DETAIL,
    write_refusal_status=500,
    org_scoped_reads=True,
    csrf_check=True,
    testgenerate_fields=NEWEST_TESTGENERATE_FIELDS,
    newest_shapes=True,
    count_text="the number of matching logs, at most 2001, whatever limit and offset",
)

EARLY_RULES = CoderRules(
    name="2023-01",
    coder="Coder e67d131514 (2023-01-03, read; no server of that era was recorded)",
    audit_actions=("create", "write", "delete", "start", "stop"),
    resource_types=(
        "organization",
        "template",
        "template_version",
        "user",
        "workspace",
        "workspace_build",
        "git_ssh_key",
        "api_key",
        "group",
    ),
    build_reasons=("initiator", "autostart", "autostop"),
    search_keys=(
        "date_from",
        "date_to",
        "resource_type",
        "resource_id",
        "action",
        "username",
        "email",
    ),
    newest_search=False,
    rejects_bad_search=False,
    default_limit=0,
    count_cap=None,
    empty_page_counts_zero=True,
    repeated_pagination_rejected=False,
    int32_pagination=False,
    token_carriers=(
        TokenCarrier("cookie", _SESSION_COOKIE),
        TokenCarrier("query", _SESSION_COOKIE),
        TokenCarrier("header", "Coder-Session-Token"),
        TokenCarrier("cookie", "coder_devurl_session_token"),
    ),
    www_authenticate=False,
    forbidden_detail="",
    write_refusal_status=403,
    org_scoped_reads=False,
    csrf_check=False,
    testgenerate_fields=("action", "resource_type", "resource_id", "time"),
    newest_shapes=False,
    count_text="the number of matching logs on a page that holds some, 0 on an empty page",
)

RULES: Mapping[str, CoderRules] = types.MappingProxyType(
    {rules.name: rules for rules in (NEWEST_RULES, EARLY_RULES)}
)
"""Every Coder version the kit can check for, by name; the first is the default."""


def rules_for(name: str | CoderRules) -> CoderRules:
    """The rules of the Coder version called `name` (a `CoderRules` is returned as it is).

    Raises:
        KeyError: an unknown name; the message lists the known ones.

    Example:
        >>> rules_for("2023-01").default_limit
        0
    """
    if isinstance(name, CoderRules):
        return name
    try:
        return RULES[name]
    except KeyError:
        raise KeyError(f"unknown profile {name!r}: expected one of {', '.join(RULES)}") from None
