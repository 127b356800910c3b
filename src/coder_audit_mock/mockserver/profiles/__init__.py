"""Profiles: which Coder version the mock answers as. Every version is a folder here.

```
profiles/__init__.py   the `Profile` interface, discovery, comparison (this module)
profiles/newest/       Coder a6afcd046fd2 (2026-07-08), v2.35.1 as recorded: the default
profiles/coder_2023_01/  Coder e67d131514 (2023-01-03), the seed document's era ("2023-01")
```

Each folder holds everything its version does differently: `facts.py` (plain data, read by the
mock and by the contract kit alike), `kit.py` (what the kit needs beyond the facts),
`profile.py` (`PROFILE`, a `Profile` built from the facts and strategy functions: the engine's,
or the folder's own `search.py`, `pagination.py`, `render.py`, `data.py`), `openapi_build.py`
and the OpenAPI document it builds. Adding a version is adding a folder: every subpackage is
discovered (`version_packages()`), ordered by its facts' `ORDER`; the default is the one whose
facts say `DEFAULT = True`.

A `Profile` is plain data plus a few small strategy functions (the search parser, the
pagination parser, the count rule, the renderer...). The server (`_app.py`), the data
generator, the OpenAPI builder (`tools/build_openapi.py --profile`) and the differential tester
read a profile; none of them branches on a profile's name.

This module imports the stdlib only at import time (the engine's low modules read the
folders' facts, and tools/build_openapi.py loads this folder on its own), so the profiles
themselves are built on first use.

`docs/profiles.md` holds `differences_table()`, checked by a test, so the documentation
cannot drift from the folders.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import pkgutil
import types
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .._auth import TokenCarrier as ReadingCarrier
    from .._generate import DataRules
    from .._model import AuditLog, Deployment, User
    from .._pagination import Page
    from .._search import SearchFilter

# Where the read permission is checked (§1.1 step 2, §1.3 step 2, §1.4).
# ROUTE: a middleware on the whole /api/v2/audit group, before routing (so 403 before 404);
# HANDLER: inside GET's handler only (unknown paths are 404, testgenerate has its own check).
ROUTE = "route middleware, before routing"
HANDLER = "GET handler only"
# When testgenerate checks the caller may *create* audit logs (§1.2 step 3, §1.4).
AT_INSERT = "at insert, after the body: 500 `unauthorized…`"
BEFORE_BODY = "before the body is read: 403"

SearchParser = Callable[..., "SearchFilter"]


@dataclasses.dataclass(frozen=True, slots=True)
class TokenCarrier:
    """Where a session token may travel (§6.1): `kind` and `name`, as facts give them.

    Kinds: "cookie", "query" (parameter), "header", "bearer" (`<name>: Bearer <token>`). The
    kit's rules hold these; the mock's `_auth.TokenCarrier` adds how to read one.

    Example:
        >>> str(TokenCarrier("bearer", "Authorization"))
        'bearer Authorization'
    """

    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"


def _doc(text: str, behaviour: str) -> dict[str, str]:
    """A profile field's meaning and docs/coder-behaviour.md § (rendered in docs/profiles.md)."""
    return {"doc": text, "behaviour": behaviour}


@dataclasses.dataclass(frozen=True, slots=True)
class Profile:
    """One Coder version as the mock reproduces it. Compare two with `differences()`.

    Example:
        >>> get_profile("2023-01").count_cap is None, get_profile("newest").count_cap
        (True, 2000)
    """

    name: str = dataclasses.field(metadata=_doc("profile name (`--profile`)", "§0"))
    coder: str = dataclasses.field(metadata=_doc("Coder commit and date", "§0"))
    package: str = dataclasses.field(metadata=_doc("the folder (package) that holds it", "§0"))
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
    token_carriers: tuple[ReadingCarrier, ...] = dataclasses.field(
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


_NOT_COMPARED = ("name", "coder", "package")


# The Profile fields that are the facts of the same name in upper case (facts.RESOURCE_TYPES...).
_FIELDS_FROM_FACTS = (
    "resource_types",
    "audit_actions",
    "build_reasons",
    "user_statuses",
    "search_keys",
    "filter_resource_types",
    "filter_actions",
    "rejects_bad_search",
    "username_me",
    "count_cap",
    "www_authenticate",
    "forbidden_detail",
    "org_scoped_reads",
    "csrf_check",
    "json_short_control_escapes",
    "response_headers",
    "testgenerate_fields",
)


def profile_from_facts(facts: types.ModuleType, **strategies: Any) -> Profile:
    """A version's `Profile`: its facts' values, and strategy functions (the engine's by default).

    `strategies` give the functions (and `data_rules`) in which the version differs from the
    engine, by field name; the others are the engine's: `_search.parse_search_query`,
    `_pagination.parse_pagination`, `_render.render_log`, no data rules.

    Example:
        >>> from coder_audit_mock.mockserver.profiles.newest import facts
        >>> profile_from_facts(facts, sql_window=None, count_rule=None, username_matches=None).name
        'newest'
    """
    from .._auth import TokenCarrier as ReadingCarrier
    from .._pagination import parse_pagination
    from .._render import render_log
    from .._search import parse_search_query

    engine: dict[str, Any] = {
        "parse_search": parse_search_query,
        "parse_pagination": parse_pagination,
        "render_log": render_log,
        "data_rules": None,
    }
    return Profile(
        name=facts.NAME,
        coder=facts.CODER,
        package=facts.__name__.rpartition(".")[0],
        token_carriers=tuple(ReadingCarrier(kind, name) for kind, name in facts.TOKEN_CARRIERS),
        read_check=HANDLER if facts.READ_CHECK_IN_HANDLER else ROUTE,
        create_check=BEFORE_BODY if facts.CREATE_CHECK_BEFORE_BODY else AT_INSERT,
        openapi_file=facts.OPENAPI_FILE,
        **{field: getattr(facts, field.upper()) for field in _FIELDS_FROM_FACTS},
        **(engine | strategies),
    )


@functools.cache
def version_packages() -> tuple[str, ...]:
    """The module names of the version folders, in their facts' `ORDER` (the default first).

    Every subpackage of `profiles` is a version; only its `facts` module is imported here
    (stdlib only), so the contract kit may call this without importing the mock's engine.

    Example:
        >>> [name.rpartition(".")[2] for name in version_packages()]
        ['newest', 'coder_2023_01']
    """
    found = []
    for module in pkgutil.iter_modules(__path__):
        if module.ispkg:
            package = f"{__name__}.{module.name}"
            facts = importlib.import_module(f"{package}.facts")
            found.append((facts.ORDER, facts.NAME, package))
    return tuple(package for _, _, package in sorted(found))


def _facts(package: str) -> types.ModuleType:
    return importlib.import_module(f"{package}.facts")


def _default_profile() -> str:
    defaults = [_facts(package).NAME for package in version_packages() if _facts(package).DEFAULT]
    if len(defaults) != 1:
        from .._errors import MockServerError

        raise MockServerError(f"exactly one profile must say DEFAULT = True, not {defaults}")
    name: str = defaults[0]
    return name


@functools.cache
def _profiles() -> Mapping[str, Profile]:
    built = (
        importlib.import_module(f"{package}.profile").PROFILE for package in version_packages()
    )
    return types.MappingProxyType({profile.name: profile for profile in built})


# Built on first use (module `__getattr__`): the profiles need the engine, which reads facts.
PROFILES: Mapping[str, Profile]
"""Every profile by name, in the folders' ORDER (the default first)."""
PROFILE_NAMES: tuple[str, ...]
"""Every profile's name, in the folders' ORDER."""
DEFAULT_PROFILE: str
"""The name of the profile whose facts say DEFAULT ("newest")."""


def __getattr__(name: str) -> Any:
    if name == "PROFILES":
        value: Any = _profiles()
    elif name == "PROFILE_NAMES":
        value = tuple(_profiles())
    elif name == "DEFAULT_PROFILE":
        value = _default_profile()
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def get_profile(name: str) -> Profile:
    """The profile called `name`.

    Raises:
        MockServerError: an unknown name; the message lists the known ones.

    Example:
        >>> get_profile("2023-01").read_check
        'GET handler only'
    """
    profiles = _profiles()
    try:
        return profiles[name]
    except KeyError:
        from .._errors import MockServerError

        raise MockServerError(
            f"unknown profile {name!r}: expected one of {', '.join(profiles)}"
        ) from None


def differences(left: Profile, right: Profile) -> list[str]:
    """The names of the fields in which two profiles differ (`name`, `coder`, `package` excluded).

    Example:
        >>> "count_cap" in differences(get_profile("newest"), get_profile("2023-01"))
        True
        >>> differences(get_profile("newest"), get_profile("newest"))
        []
    """
    return [
        field.name
        for field in dataclasses.fields(Profile)
        if field.name not in _NOT_COMPARED
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
    from .._generate import DataRules  # the engine, imported when a table is drawn

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


def differences_table(profiles: Sequence[Profile] | None = None) -> str:
    """The Markdown table of every field in which the profiles differ (docs/profiles.md).

    Args:
        profiles: the columns; every profile, in the folders' ORDER, by default.

    Example:
        >>> differences_table().splitlines()[0]
        '| what | [behaviour](coder-behaviour.md) § | newest | 2023-01 |'
    """
    if profiles is None:
        profiles = tuple(_profiles().values())
    fields = {field.name: field for field in dataclasses.fields(Profile)}
    differing = dict.fromkeys(
        name for other in profiles[1:] for name in ["coder", *differences(profiles[0], other)]
    )
    lines = [
        "| what | [behaviour](coder-behaviour.md) § | "
        + " | ".join(profile.name for profile in profiles)
        + " |",
        "|---|---|" + "---|" * len(profiles),
    ]
    for name in differing:
        metadata = fields[name].metadata
        cells = [_cell(describe_value(getattr(profile, name))) for profile in profiles]
        lines.append(f"| {metadata['doc']} | {metadata['behaviour']} | " + " | ".join(cells) + " |")
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
        >>> len(user_ids_named(get_profile("newest"), d.users, "owner"))
        1
    """
    return frozenset(user.id for user in users.values() if profile.username_matches(user, value))
