"""Profiles: which Coder version the mock answers as. EVERY difference between versions is here.

```
"newest"   Coder a6afcd046fd2 (2026-07-08), the default: reference §1.1, §1.2, §2.1, §3.1, §4-§6
"2023-01"  Coder e67d131514 (2023-01-03), the seed document's era: reference §1.3, §1.4, §2.2,
           §3.2, §3.4 EARLY, §4 EARLY, §5 EARLY, §6 EARLY, §8 EARLY, §9
```

A `Profile` is plain data plus a few small strategy functions (the search parser, the
pagination parser, the count rule, the renderer...). The server (`_app.py`), the data
generator, the OpenAPI builder (`tools/build_openapi.py --profile`), the contract kit and the
differential tester read a profile; none of them branches on a profile's name. The EARLY
behaviour itself lives in `_search_early.py`, `_pagination_early.py`, `_render_early.py` and
`_generate_early.py`.

`docs/profiles.md` holds `differences_table()`, checked by a test, so the documentation
cannot drift from this module.
"""

from __future__ import annotations

import dataclasses
import types
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ._auth import (
    FORBIDDEN_DETAIL,
    NEWEST_TOKEN_CARRIERS,
    SESSION_TOKEN_COOKIE,
    SESSION_TOKEN_HEADER,
    TokenCarrier,
)
from ._errors import MockServerError
from ._generate import DataRules
from ._generate_early import early_additional_fields
from ._model import (
    AUDIT_ACTIONS,
    BUILD_REASONS,
    RESOURCE_TYPES,
    USER_STATUSES,
    AuditLog,
    Deployment,
    User,
)
from ._pagination import Page, parse_pagination
from ._pagination_early import parse_pagination_early, sql_window_early
from ._render import render_log
from ._render_early import render_log_early
from ._search import SearchFilter, parse_search_query
from ._search_early import (
    EARLY_FILTER_ACTIONS,
    EARLY_FILTER_RESOURCE_TYPES,
    parse_search_query_early,
)
from ._store import COUNT_CAP, DEFAULT_LIMIT
from ._testgenerate import NEWEST_BODY_FIELDS

NEWEST = "newest"
EARLY = "2023-01"
DEFAULT_PROFILE = NEWEST

# Where the read permission is checked (reference §1.1 step 2, §1.3 step 2, §1.4).
# ROUTE: a middleware on the whole /api/v2/audit group, before routing (so 403 before 404);
# HANDLER: inside GET's handler only (unknown paths are 404, testgenerate has its own check).
ROUTE = "route middleware, before routing"
HANDLER = "GET handler only"
# When testgenerate checks the caller may *create* audit logs (reference §1.2 step 3, §1.4).
AT_INSERT = "at insert, after the body: 500 `unauthorized…`"
BEFORE_BODY = "before the body is read: 403"

SearchParser = Callable[..., SearchFilter]


def _doc(text: str, reference: str) -> dict[str, str]:
    """A profile field's meaning and reference § (rendered in docs/profiles.md)."""
    return {"doc": text, "reference": reference}


@dataclasses.dataclass(frozen=True, slots=True)
class Profile:
    """One Coder version as the mock reproduces it. Compare two with `differences()`.

    Example:
        >>> get_profile("2023-01").count_cap is None, get_profile("newest").count_cap
        (True, 2000)
    """

    name: str = dataclasses.field(metadata=_doc("profile name (`--profile`)", "§0"))
    coder: str = dataclasses.field(metadata=_doc("Coder commit and date", "§0"))
    # -- enums -------------------------------------------------------------------------------
    resource_types: tuple[str, ...] = dataclasses.field(
        metadata=_doc("resource types (database enum)", "§4.2")
    )
    audit_actions: tuple[str, ...] = dataclasses.field(
        metadata=_doc("audit actions (database enum)", "§4.1")
    )
    build_reasons: tuple[str, ...] = dataclasses.field(metadata=_doc("build reasons", "§4.3"))
    user_statuses: tuple[str, ...] = dataclasses.field(metadata=_doc("user statuses", "§4.4"))
    # -- the search query q ------------------------------------------------------------------
    parse_search: SearchParser = dataclasses.field(metadata=_doc("`q` parser", "§2"))
    search_keys: tuple[str, ...] = dataclasses.field(
        metadata=_doc("keys `q` reads (others: see the parser)", "§2")
    )
    filter_resource_types: frozenset[str] = dataclasses.field(
        metadata=_doc("resource types a filter honours", "§2.2")
    )
    filter_actions: frozenset[str] = dataclasses.field(
        metadata=_doc("actions a filter honours", "§2.2")
    )
    rejects_bad_search: bool = dataclasses.field(
        metadata=_doc("unknown keys, bad enums, bad dates, repeated keys are a 400", "§2, §9.6")
    )
    username_matches: Callable[[User, str], bool] = dataclasses.field(
        metadata=_doc("`username:` matches", "§2")
    )
    username_me: bool = dataclasses.field(metadata=_doc("`username:me` means the caller", "§2.1"))
    # -- pagination and count ----------------------------------------------------------------
    parse_pagination: Callable[[Mapping[str, Sequence[str]]], Page] = dataclasses.field(
        metadata=_doc("`limit`/`offset`/`after_id` parser", "§3.4")
    )
    sql_window: Callable[[Page], tuple[int, int]] = dataclasses.field(
        metadata=_doc("LIMIT and OFFSET run", "§3.1, §3.2")
    )
    count_rule: Callable[[int, int], int] = dataclasses.field(
        metadata=_doc("`count`", "§3.1, §3.2, §9.5")
    )
    count_cap: int | None = dataclasses.field(metadata=_doc("`count_cap` field", "§3.1"))
    # -- authentication and authorization ----------------------------------------------------
    token_carriers: tuple[TokenCarrier, ...] = dataclasses.field(
        metadata=_doc("token carriers, first wins", "§6.1")
    )
    www_authenticate: bool = dataclasses.field(
        metadata=_doc("`WWW-Authenticate` header on 401", "§6.2")
    )
    forbidden_detail: str = dataclasses.field(
        metadata=_doc("`detail` of the 403 body", "§1.1, §1.3, §9.13")
    )
    read_check: str = dataclasses.field(
        metadata=_doc("where the read permission is checked", "§1.1, §1.3")
    )
    org_scoped_reads: bool = dataclasses.field(
        metadata=_doc("organization admins/auditors read their org's logs", "§6.3")
    )
    csrf_check: bool = dataclasses.field(
        metadata=_doc("cookie-authenticated unsafe requests need a CSRF token (`_csrf.py`)", "§6.1")
    )
    json_short_control_escapes: bool = dataclasses.field(
        metadata=_doc(
            "audit logs write U+0008/U+000C as `\\b`/`\\f` (Go 1.22+), not `\\u0008`/`\\u000c`",
            "§1.5",
        )
    )
    response_headers: tuple[tuple[str, str], ...] = dataclasses.field(
        metadata=_doc("headers Coder's middleware adds to every answer", "§1.5")
    )
    # -- testgenerate ------------------------------------------------------------------------
    testgenerate_fields: tuple[str, ...] = dataclasses.field(
        metadata=_doc("testgenerate body fields read", "§5")
    )
    create_check: str = dataclasses.field(
        metadata=_doc("testgenerate's owner-only check", "§1.2, §1.4")
    )
    # -- what the logs look like -------------------------------------------------------------
    render_log: Callable[[AuditLog, Deployment, Any], Mapping[str, Any]] = dataclasses.field(
        metadata=_doc("log JSON (user object, additional_fields, description, links)", "§4.5-§4.7")
    )
    data_rules: DataRules | None = dataclasses.field(metadata=_doc("seeded data", "§4, §8"))
    openapi_file: str = dataclasses.field(metadata=_doc("OpenAPI document (package data)", "§7"))


def _username_newest(user: User, value: str) -> bool:
    """`lower(username)` equals the (lowercased) value and the user is not deleted (§2.1)."""
    return not user.deleted and user.username.lower() == value


def _username_early(user: User, value: str) -> bool:
    """`username` equals the (lowercased) value exactly, deleted users included (§2.2)."""
    return user.username == value


def _window_newest(page: Page) -> tuple[int, int]:
    """`COALESCE(NULLIF(limit, 0), 100)`: absent or 0 means 100 (§3.1)."""
    return page.limit or DEFAULT_LIMIT, page.offset


def _count_newest(total: int, page_length: int) -> int:
    """The capped number of matching logs, whatever the page (§3.1)."""
    return total


def _count_early(total: int, page_length: int) -> int:
    """The number of matching logs, but 0 whenever the page is empty (window count, §3.2)."""
    return total if page_length else 0


NEWEST_PROFILE = Profile(
    name=NEWEST,
    coder="a6afcd046fd2 (2026-07-08)",
    resource_types=RESOURCE_TYPES,
    audit_actions=AUDIT_ACTIONS,
    build_reasons=BUILD_REASONS,
    user_statuses=USER_STATUSES,
    parse_search=parse_search_query,
    search_keys=(
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
    ),
    filter_resource_types=frozenset(RESOURCE_TYPES),
    filter_actions=frozenset(AUDIT_ACTIONS),
    rejects_bad_search=True,
    username_matches=_username_newest,
    username_me=True,
    parse_pagination=parse_pagination,
    sql_window=_window_newest,
    count_rule=_count_newest,
    count_cap=COUNT_CAP,
    token_carriers=NEWEST_TOKEN_CARRIERS,
    www_authenticate=True,
    forbidden_detail=FORBIDDEN_DETAIL,
    read_check=ROUTE,
    org_scoped_reads=True,
    csrf_check=True,
    json_short_control_escapes=True,  # built with Go 1.26; recorded from v2.35.1
    # coderd.go's root middleware, seen on every answer of the recorded v2.35.1 corpus.
    response_headers=(("X-Coder-Build-Version", "v2.35.1"), ("X-Content-Type-Options", "nosniff")),
    testgenerate_fields=NEWEST_BODY_FIELDS,
    create_check=AT_INSERT,
    render_log=render_log,
    data_rules=None,
    openapi_file="openapi.json",
)

_EARLY_RESOURCE_TYPES: tuple[str, ...] = (
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
_EARLY_AUDIT_ACTIONS: tuple[str, ...] = ("create", "write", "delete", "start", "stop")
_EARLY_USER_STATUSES: tuple[str, ...] = ("active", "suspended")

EARLY_PROFILE = Profile(
    name=EARLY,
    coder="e67d131514 (2023-01-03)",
    resource_types=_EARLY_RESOURCE_TYPES,
    audit_actions=_EARLY_AUDIT_ACTIONS,
    build_reasons=("initiator", "autostart", "autostop"),
    user_statuses=_EARLY_USER_STATUSES,
    parse_search=parse_search_query_early,
    search_keys=(
        "date_from",
        "date_to",
        "resource_type",
        "resource_id",
        "action",
        "username",
        "email",
    ),
    filter_resource_types=EARLY_FILTER_RESOURCE_TYPES,
    filter_actions=EARLY_FILTER_ACTIONS,
    rejects_bad_search=False,
    username_matches=_username_early,
    username_me=False,
    parse_pagination=parse_pagination_early,
    sql_window=sql_window_early,
    count_rule=_count_early,
    count_cap=None,
    token_carriers=(
        TokenCarrier("cookie", SESSION_TOKEN_COOKIE),
        TokenCarrier("query", SESSION_TOKEN_COOKIE),
        TokenCarrier("header", SESSION_TOKEN_HEADER),
        TokenCarrier("cookie", "coder_devurl_session_token"),
    ),
    www_authenticate=False,
    forbidden_detail="",
    read_check=HANDLER,
    org_scoped_reads=False,
    csrf_check=False,  # not recorded from a 2023-01 server
    json_short_control_escapes=False,  # built with Go 1.19, before encoding/json wrote \b, \f
    response_headers=(),  # not recorded from a 2023-01 server; none are sent
    testgenerate_fields=("action", "resource_type", "resource_id", "time"),
    create_check=BEFORE_BODY,
    render_log=render_log_early,
    data_rules=DataRules(
        resource_types=frozenset(_EARLY_RESOURCE_TYPES),
        actions=frozenset(_EARLY_AUDIT_ACTIONS),
        user_statuses=frozenset(_EARLY_USER_STATUSES),
        reshape_fields=early_additional_fields,
    ),
    openapi_file="openapi-2023-01.json",
)

PROFILES: Mapping[str, Profile] = types.MappingProxyType(
    {NEWEST: NEWEST_PROFILE, EARLY: EARLY_PROFILE}
)
"""Every profile by name; the first is the default."""
PROFILE_NAMES: tuple[str, ...] = tuple(PROFILES)


def get_profile(name: str) -> Profile:
    """The profile called `name`.

    Raises:
        MockServerError: an unknown name; the message lists the known ones.

    Example:
        >>> get_profile("2023-01").read_check
        'GET handler only'
    """
    try:
        return PROFILES[name]
    except KeyError:
        raise MockServerError(
            f"unknown profile {name!r}: expected one of {', '.join(PROFILE_NAMES)}"
        ) from None


def differences(left: Profile, right: Profile) -> list[str]:
    """The names of the fields in which two profiles differ (`name` and `coder` excluded).

    Example:
        >>> "count_cap" in differences(NEWEST_PROFILE, EARLY_PROFILE)
        True
        >>> differences(NEWEST_PROFILE, NEWEST_PROFILE)
        []
    """
    return [
        field.name
        for field in dataclasses.fields(Profile)
        if field.name not in ("name", "coder")
        and getattr(left, field.name) != getattr(right, field.name)
    ]


def describe_value(value: object) -> str:
    """A profile field's value as one line of text for the table of differences.

    Functions are described by the first line of their docstring.

    Example:
        >>> describe_value(("a", "b")), describe_value(None), describe_value(True)
        ('2: a, b', '—', 'yes')
    """
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, frozenset):
        value = tuple(sorted(value))
    if isinstance(value, tuple):
        return f"{len(value)}: " + ", ".join(str(item) for item in value)
    if isinstance(value, DataRules):
        return (
            f"only its {len(value.resource_types)} types, {len(value.actions)} actions and "
            f"{len(value.user_statuses)} user statuses; {describe_value(value.reshape_fields)}"
        )
    if callable(value):
        doc = str(value.__doc__ or getattr(value, "__name__", "")).strip().splitlines()
        return " ".join(line.strip() for line in doc[: _first_paragraph_length(doc)])
    return str(value) if value != "" else '""'


def _first_paragraph_length(lines: list[str]) -> int:
    return next((index for index, line in enumerate(lines) if not line.strip()), len(lines))


def differences_table(profiles: Sequence[Profile] = (NEWEST_PROFILE, EARLY_PROFILE)) -> str:
    """The Markdown table of every field in which the profiles differ (docs/profiles.md).

    Example:
        >>> differences_table().splitlines()[0]
        '| what | reference | newest | 2023-01 |'
    """
    fields = {field.name: field for field in dataclasses.fields(Profile)}
    differing = dict.fromkeys(
        name for other in profiles[1:] for name in ["coder", *differences(profiles[0], other)]
    )
    lines = [
        "| what | reference | " + " | ".join(profile.name for profile in profiles) + " |",
        "|---|---|" + "---|" * len(profiles),
    ]
    for name in differing:
        metadata = fields[name].metadata
        cells = [_cell(describe_value(getattr(profile, name))) for profile in profiles]
        lines.append(f"| {metadata['doc']} | {metadata['reference']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def user_ids_named(
    profile: Profile, users: Mapping[uuid.UUID, User], value: str
) -> frozenset[uuid.UUID]:
    """The ids of the users a `username:` filter matches under `profile` (`me` excluded).

    Example:
        >>> from coder_audit_mock.mockserver._generate import generate_deployment
        >>> d = generate_deployment(log_count=0)
        >>> len(user_ids_named(NEWEST_PROFILE, d.users, "owner"))
        1
    """
    return frozenset(user.id for user in users.values() if profile.username_matches(user, value))
