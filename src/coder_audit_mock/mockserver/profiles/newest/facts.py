"""Coder's observable facts of the "newest" version, as plain data (stdlib only).

One copy of each: the mock's `Profile` (profile.py), its engine (`_model`, `_auth`, `_store`,
`_testgenerate`), the OpenAPI builder and the contract kit's `CoderRules` all read them here.
Behaviour (parsers, renderers, the kit's oracle) is never here: only values.

Example:
    >>> NAME, len(RESOURCE_TYPES), COUNT_CAP, TOKEN_CARRIERS[-1]
    ('newest', 35, 2000, ('query', 'access_token'))
"""

from __future__ import annotations

NAME = "newest"  # the public profile name (`--profile`)
ORDER = 0  # versions are listed by ORDER (docs/profiles.md's columns, PROFILE_NAMES)
DEFAULT = True  # the profile used when none is named
CODER = "a6afcd046fd2 (2026-07-08)"  # the commit the behaviour was read from, and its date
RELEASE = "v2.35.1"  # the release recorded in tests/fidelity/corpus
OPENAPI_FILE = "openapi.json"  # this folder's document (package data)

# §4.1, database enum `audit_action`.
AUDIT_ACTIONS: tuple[str, ...] = (
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
# §4.2, database enum `resource_type`, in database order (35 values).
RESOURCE_TYPES: tuple[str, ...] = (
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
# §4.3, database enum `build_reason` (what `build_reason:` accepts).
BUILD_REASONS: tuple[str, ...] = (
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
USER_STATUSES: tuple[str, ...] = ("active", "suspended", "dormant")  # §4.4
LOGIN_TYPES: tuple[str, ...] = ("", "password", "github", "oidc", "token", "none")  # §4.4

REJECTS_BAD_SEARCH = (
    True  # unknown keys, bad enums, bad dates, repeated keys are a 400 (§2.1, §9.6)
)
# §2.1: the keys `q` reads.
SEARCH_KEYS: tuple[str, ...] = (
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

FILTER_RESOURCE_TYPES: frozenset[str] = frozenset(RESOURCE_TYPES)  # §2.1: a filter honours all
FILTER_ACTIONS: frozenset[str] = frozenset(AUDIT_ACTIONS)
USERNAME_ME = True  # §2.1: `username:me` means the caller

DEFAULT_LIMIT = 100  # §3.1: COALESCE(NULLIF(limit, 0), 100)
COUNT_CAP = 2000  # §3.1: count_cap = 2000; count is at most 2001

# §6.1, in Coder's order: the first non-empty carrier wins. (kind, name); kinds:
# "cookie", "query" (parameter), "header", "bearer" (`<name>: Bearer <token>`).
SESSION_TOKEN_COOKIE = "coder_session_token"
SESSION_TOKEN_HEADER = "Coder-Session-Token"
TOKEN_CARRIERS: tuple[tuple[str, str], ...] = (
    ("cookie", SESSION_TOKEN_COOKIE),
    ("query", SESSION_TOKEN_COOKIE),
    ("header", SESSION_TOKEN_HEADER),
    ("bearer", "Authorization"),
    ("query", "access_token"),
)
WWW_AUTHENTICATE = True  # §6.2: a 401 carries a challenge

# §6.2, §1.1 step 2, §1.2: the messages Coder answers with.
SIGNED_OUT_MESSAGE = (
    "You are signed out or your session has expired. Please sign in again to continue."
)
FORBIDDEN_MESSAGE = "Forbidden."
# §1.1 step 2: httpapi.Forbidden's detail (no WWW-Authenticate on this one, §6.2).
FORBIDDEN_DETAIL = (
    "You don't have permission to view this content. If you believe this is a mistake, "
    "please contact your administrator or try signing in with different credentials."
)
INTERNAL_ERROR_MESSAGE = "An internal server error occurred."  # §1.2 step 3
READ_CHECK_IN_HANDLER = False  # §1.1 step 2: a middleware on the route group checks reads
CREATE_CHECK_BEFORE_BODY = False  # §1.2 step 3: testgenerate refuses at insert, after the body
ORG_SCOPED_READS = True  # §6.3: organization admins/auditors read their org's logs
CSRF_CHECK = True  # cookie-authenticated unsafe requests need a CSRF token (recorded)

# §5: the fields of CreateTestAuditLogRequest, in struct order.
TESTGENERATE_FIELDS: tuple[str, ...] = (
    "action",
    "resource_type",
    "resource_id",
    "additional_fields",
    "time",
    "build_reason",
    "organization_id",
    "request_id",
)

# §4.7: these types look their resource up live; a random resource id is not found,
# so the log is deleted and unlinked.
LOOKED_UP_TYPES: frozenset[str] = frozenset({"user", "template", "workspace"})

JSON_SHORT_CONTROL_ESCAPES = True  # built with Go 1.26: U+0008/U+000C as \b, \f (§1.5)
# coderd.go's root middleware, seen on every answer of the recorded v2.35.1 corpus (§1.5).
RESPONSE_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Coder-Build-Version", RELEASE),
    ("X-Content-Type-Options", "nosniff"),
)
