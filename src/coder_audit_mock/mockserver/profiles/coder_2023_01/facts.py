"""Coder's observable facts of the "2023-01" version, as plain data (stdlib only).

Read by the mock's `Profile` (profile.py), this folder's strategies, the OpenAPI builder and
the contract kit's `CoderRules`: one copy of each. Values equal to the newest version's are
imported from there (the facts of one version may build on another's, never on the engine).

Example:
    >>> NAME, len(RESOURCE_TYPES), COUNT_CAP, DEFAULT_LIMIT
    ('2023-01', 9, None, 0)
"""

from __future__ import annotations

from ..newest import facts as _newest

# The same in both versions: one copy, the newest one's (named here for this folder's readers).
INTERNAL_ERROR_MESSAGE = _newest.INTERNAL_ERROR_MESSAGE
SESSION_TOKEN_COOKIE = _newest.SESSION_TOKEN_COOKIE
SESSION_TOKEN_HEADER = _newest.SESSION_TOKEN_HEADER

NAME = "2023-01"  # the public profile name (`--profile`)
ORDER = 1  # listed after "newest"
DEFAULT = False
CODER = "e67d131514 (2023-01-03)"  # the commit the behaviour was read from, and its date
RELEASE = ""  # no server of that era was recorded
OPENAPI_FILE = "openapi-2023-01.json"  # this folder's document (package data)

AUDIT_ACTIONS: tuple[str, ...] = ("create", "write", "delete", "start", "stop")  # §4.1 EARLY
RESOURCE_TYPES: tuple[str, ...] = (  # §4.2 EARLY, in database order
    "organization",
    "template",
    "template_version",
    "user",
    "workspace",
    "workspace_build",
    "git_ssh_key",
    "api_key",
    "group",
)
BUILD_REASONS: tuple[str, ...] = ("initiator", "autostart", "autostop")  # §4.3 EARLY
USER_STATUSES: tuple[str, ...] = ("active", "suspended")  # §4.4 EARLY

REJECTS_BAD_SEARCH = False  # a bad `q` is ignored: only a few structural errors are a 400 (§2.2)
# §2.2: the keys `q` reads; every other key is ignored.
SEARCH_KEYS: tuple[str, ...] = (
    "date_from",
    "date_to",
    "resource_type",
    "resource_id",
    "action",
    "username",
    "email",
)
# §2.2: `resourceTypeFromString` honoured these (not `group`, although it was a type).
FILTER_RESOURCE_TYPES: frozenset[str] = frozenset(RESOURCE_TYPES) - {"group"}
# §2.2: `actionFromString` honoured these (not `start`/`stop`).
FILTER_ACTIONS: frozenset[str] = frozenset({"create", "write", "delete"})

USERNAME_ME = False  # §2.2: `me` is a username like any other

DEFAULT_LIMIT = 0  # §3.2: no default, `LIMIT 0` without `limit`
COUNT_CAP: int | None = None  # §3.2: no `count_cap` field, `count` uncapped

# §6.1 EARLY, in Coder's order: the first non-empty carrier wins.
TOKEN_CARRIERS: tuple[tuple[str, str], ...] = (
    ("cookie", SESSION_TOKEN_COOKIE),
    ("query", SESSION_TOKEN_COOKIE),
    ("header", SESSION_TOKEN_HEADER),
    ("cookie", "coder_devurl_session_token"),
)
WWW_AUTHENTICATE = False  # §6.2: EARLY 401s carry no challenge
FORBIDDEN_DETAIL = ""  # §1.3 step 2: the 403 has no detail
READ_CHECK_IN_HANDLER = True  # §1.3 step 2: GET's handler checks (unknown paths are 404)
CREATE_CHECK_BEFORE_BODY = True  # §1.4: testgenerate refuses before the body is read
ORG_SCOPED_READS = False  # §6.3: only site-wide readers read
CSRF_CHECK = False  # not recorded from a 2023-01 server

# §5 EARLY: the body fields testgenerate read.
TESTGENERATE_FIELDS: tuple[str, ...] = ("action", "resource_type", "resource_id", "time")

# §4.7: the types whose deletion EARLY looked up; every other type is never deleted.
LOOKED_UP_TYPES: frozenset[str] = frozenset({"template", "user", "workspace", "workspace_build"})

JSON_SHORT_CONTROL_ESCAPES = False  # built with Go 1.19, before encoding/json wrote \b, \f
RESPONSE_HEADERS: tuple[tuple[str, str], ...] = ()  # not recorded from a 2023-01 server
