"""Hypothesis strategies for Coder's audit-log API: search queries, bad input, testgenerate bodies.

The strategies know Coder's NEWEST search grammar (§2.1) and draw values that exist
in the server's data, so most generated queries match something:

```
Corpus (values read from the server)  ──► search_queries(corpus)   -> SearchQuery  (valid `q`)
                                          invalid_search_queries() -> InvalidInput (bad `q`)
                                          invalid_pagination()     -> InvalidInput (bad limit/offset/after_id)
                                          testgenerate_bodies()    -> dict         (POST body)
```

A `Corpus` is built from `GET /api/v2/audit` pages (`checks.harvest_corpus` does that against a
live or in-process server; `Corpus.from_logs` from logs you already have). Every strategy here
is pure: it sends nothing.

Example:
    >>> from hypothesis import given
    >>> @given(invalid_pagination())
    ... def test_bad_pagination_is_400(case):
    ...     assert case.message == "Query parameters have invalid values."
    >>> test_bad_pagination_is_400()
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from hypothesis import strategies as st

from ._coder import NEWEST_AUDIT_ACTIONS as AUDIT_ACTIONS
from ._coder import NEWEST_BUILD_REASONS as BUILD_REASONS
from ._coder import NEWEST_RESOURCE_TYPES as RESOURCE_TYPES
from ._coder import NEWEST_SEARCH_KEYS, NIL

__all__ = [
    "SEARCH_KEYS",
    "Corpus",
    "InvalidInput",
    "LogFacts",
    "SearchQuery",
    "invalid_pagination",
    "invalid_search_queries",
    "parse_time",
    "search_queries",
    "testgenerate_bodies",
]

# §2.1 step 5: the keys `q` understands, in the order Coder reads them.
SEARCH_KEYS: tuple[str, ...] = NEWEST_SEARCH_KEYS  # §2.1
INVALID_SEARCH_MESSAGE = "Invalid audit search query."  # §1.1 step 4
INVALID_PAGINATION_MESSAGE = "Query parameters have invalid values."  # §1.1 step 3

_US_PER_SECOND = 1_000_000
_US_PER_DAY = 86_400 * _US_PER_SECOND
# §3.3: `date_to` covers its day up to 23:59:59 exactly, not the last fraction.
_END_OF_DAY_US = (86_400 - 1) * _US_PER_SECOND
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
# §4.5: the keys of Coder's `AdditionalFields` struct. A generated object must not
# use them, or a value of the wrong type would make Coder answer the "unknown" shape instead.
_KNOWN_ADDITIONAL_FIELDS = frozenset(
    {"workspace_name", "build_number", "build_reason", "workspace_owner", "workspace_id"}
)
_ZERO_TIME = "0001-01-01T00:00:00Z"  # Go's zero time: testgenerate then uses "now" (§5)


def parse_time(text: object) -> int | None:
    """Microseconds since the epoch of an RFC 3339 time, or None if `text` is not one.

    Accepts what Coder writes (§4.5: `2024-05-01T12:34:56.123456Z`) and any
    RFC 3339 offset; digits past the microsecond are dropped.

    Args:
        text: the JSON value to read (anything that is not a string gives None).

    Example:
        >>> parse_time("1970-01-01T00:00:01.5Z")
        1500000
        >>> parse_time("1970-01-01T02:00:00+02:00"), parse_time("2024-05-01 12:34:56")
        (0, None)
        >>> parse_time("0000-12-31T23:59:59Z") == parse_time("0001-01-01T00:00:00Z") - 1_000_000
        True
    """
    if not isinstance(text, str):
        return None
    match = _RFC3339.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    # Year 0 (1 BC) is valid for Go and Postgres, and a real Coder answers it (a testgenerate
    # `time` of 0000-01-01); Python's datetime starts at year 1, so read it 400 years later
    # (one whole Gregorian cycle, the same calendar) and move it back.
    cycles = 1 if int(year) == 0 else 0
    try:
        moment = dt.datetime(
            int(year) + 400 * cycles, int(month), int(day), int(hour), int(minute), int(second)
        )
    except ValueError:
        return None
    offset = dt.timedelta(0)
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        offset = sign * dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    delta = moment.replace(tzinfo=dt.UTC) - offset - _EPOCH
    micros = int(((fraction or "") + "000000")[:6])
    days = delta.days - 146_097 * cycles
    return (days * 86_400 + delta.seconds) * _US_PER_SECOND + micros


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


@dataclasses.dataclass(frozen=True, slots=True)
class LogFacts:
    """What a search can select one audit log by, read from its JSON (§4.5).

    Fields the JSON lacks or holds with the wrong type are None, so a malformed log from a
    broken server still yields facts.

    Attributes:
        id, resource_id, request_id, organization_id: uuid strings as the server wrote them.
        time_us: the log's `time` in microseconds since the epoch (None if not RFC 3339).
        user_id, username, email: the actor (`user` object), None when `user` is null.
        organization_name: `organization.name` (absent for organization-less logs).
        build_reason: `additional_fields.build_reason` (workspace builds record it).

    Example:
        >>> facts = LogFacts.from_json({"id": "x", "time": "2024-05-01T00:00:00Z", "user": None})
        >>> facts.time_us, facts.username
        (1714521600000000, None)
    """

    id: str | None
    time_us: int | None = None
    user_id: str | None = None
    username: str | None = None
    email: str | None = None
    resource_type: str | None = None
    action: str | None = None
    resource_id: str | None = None
    resource_target: str | None = None
    request_id: str | None = None
    organization_id: str | None = None
    organization_name: str | None = None
    build_reason: str | None = None

    @classmethod
    def from_json(cls, log: object) -> LogFacts:
        """Read the facts of one element of `audit_logs` (anything not an object gives no facts)."""
        if not isinstance(log, Mapping):
            return cls(id=None)
        user = _mapping(log.get("user"))
        organization = _mapping(log.get("organization"))
        extra = _mapping(log.get("additional_fields"))
        facts: dict[str, Any] = {name: _text(log.get(name)) for name in _TOP_LEVEL_TEXTS}
        return cls(
            time_us=parse_time(log.get("time")),
            user_id=_text(user.get("id")),
            username=_text(user.get("username")),
            email=_text(user.get("email")),
            organization_name=_text(organization.get("name")),
            build_reason=_text(extra.get("build_reason")),
            **facts,
        )


# The LogFacts fields read as they are from a log's own string fields.
_TOP_LEVEL_TEXTS = (
    "id",
    "resource_type",
    "action",
    "resource_id",
    "resource_target",
    "request_id",
    "organization_id",
)


@dataclasses.dataclass(frozen=True, slots=True)
class Corpus:
    """Values that exist on the server under test, for strategies to draw from.

    Attributes:
        logs: facts of the logs read, newest first (strategies anchor queries on them).
        caller_id: the user id `username:me` stands for (the owner), if known.
        usernames: lowercased username -> user id, for usernames the server's `username:`
            filter is known to find (deleted users' names are not found, §2.1).
        organizations: lowercased organization name -> id, for names `organization:` resolves
            (a deleted organization's name is a 400, §2.1).

    An empty corpus is allowed: `search_queries` then draws values that need no data.

    Example:
        >>> corpus = Corpus.from_logs([{"id": "1", "action": "create", "user": {"id": "u", "username": "Al"}}])
        >>> corpus.logs[0].action, corpus.usernames
        ('create', {})
    """

    logs: tuple[LogFacts, ...] = ()
    caller_id: str | None = None
    usernames: Mapping[str, str] = dataclasses.field(default_factory=dict)
    organizations: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_logs(
        cls,
        logs: Iterable[object],
        *,
        caller_id: str | None = None,
        usernames: Mapping[str, str] | None = None,
        organizations: Mapping[str, str] | None = None,
    ) -> Corpus:
        """A corpus from `audit_logs` elements you already hold (see the class attributes)."""
        return cls(
            logs=tuple(LogFacts.from_json(log) for log in logs),
            caller_id=caller_id,
            usernames=dict(usernames or {}),
            organizations=dict(organizations or {}),
        )

    @property
    def newest_time_us(self) -> int | None:
        """The newest log time in the corpus, or None when no log has a readable time."""
        times = [log.time_us for log in self.logs if log.time_us is not None]
        return max(times) if times else None


@dataclasses.dataclass(frozen=True, slots=True)
class SearchQuery:
    """A valid search query and what it means.

    Attributes:
        text: the `q` to send, e.g. `Action:CREATE  "username":"Alice"`.
        filters: key -> value as Coder reads it (lowercased, unquoted; uuids canonical; free
            text under `resource_type`). Keys with an empty value are absent: no filter (§2.1).
        anchor: a log the query must return (it was built from that log's values), or None.
        caller_id: the user `username:me` means.
        organization_id: the organization `organization:` selects, by id or resolved name.
        parts: for a query of several terms, each term as a query of its own (with the anchor
            when that term alone keeps it), to test every filter where it does the selecting.

    Example:
        >>> query = SearchQuery(text="action:create", filters={"action": "create"})
        >>> query.unmet(LogFacts(id="1", action="delete"))
        "action:create (the log has action 'delete')"
    """

    text: str
    filters: Mapping[str, str]
    anchor: LogFacts | None = None
    caller_id: str | None = None
    organization_id: str | None = None
    parts: tuple[SearchQuery, ...] = ()

    def unmet(self, log: LogFacts) -> str | None:
        """The first filter `log` does not satisfy, explained, or None if it satisfies all."""
        for key, value in self.filters.items():
            problem = _UNMET[key](self, value, log)
            if problem is not None:
                return f"{key}:{value} ({problem})"
        return None


def _expect(name: str, actual: object, expected: object) -> str | None:
    return None if actual == expected else f"the log has {name} {actual!r}"


def _unmet_username(query: SearchQuery, value: str, log: LogFacts) -> str | None:
    if value == "me":
        return _expect("user id", log.user_id, query.caller_id)
    if log.username is not None and log.username.lower() == value:
        return None
    return f"the log's user is {log.username!r}"


def _day_start(date: str) -> int:
    day = dt.date.fromisoformat(date)
    return (day - _EPOCH.date()).days * _US_PER_DAY


def _unmet_date_from(query: SearchQuery, value: str, log: LogFacts) -> str | None:
    if log.time_us is not None and log.time_us >= _day_start(value):
        return None
    return f"the log has time {_format_us(log.time_us)}"


def _unmet_date_to(query: SearchQuery, value: str, log: LogFacts) -> str | None:
    if log.time_us is not None and log.time_us <= _day_start(value) + _END_OF_DAY_US:
        return None
    return f"the log has time {_format_us(log.time_us)}"


def _unmet_build_reason(query: SearchQuery, value: str, log: LogFacts) -> str | None:
    # §2.1: only workspace_build logs (their build) and workspace+create logs (build
    # #1) can match; builds record their reason in additional_fields (§4.5).
    if log.resource_type == "workspace" and log.action == "create":
        return None
    if log.resource_type == "workspace_build" and log.build_reason in (None, value):
        return None
    return f"the log is {log.resource_type!r}/{log.action!r} with build_reason {log.build_reason!r}"


_UNMET: dict[str, Any] = {
    "request_id": lambda q, v, log: _expect("request_id", log.request_id, v),
    "resource_id": lambda q, v, log: _expect("resource_id", log.resource_id, v),
    "resource_target": lambda q, v, log: _expect("resource_target", log.resource_target, v),
    "username": _unmet_username,
    "email": lambda q, v, log: _expect("email", log.email, v),
    "date_from": _unmet_date_from,
    "date_to": _unmet_date_to,
    "organization": lambda q, v, log: _expect(
        "organization_id", log.organization_id, q.organization_id
    ),
    "resource_type": lambda q, v, log: _expect("resource_type", log.resource_type, v),
    "action": lambda q, v, log: _expect("action", log.action, v),
    "build_reason": _unmet_build_reason,
}


def _format_us(time_us: int | None) -> str:
    if time_us is None:
        return "(unreadable)"
    moment = _EPOCH + dt.timedelta(microseconds=time_us)
    return moment.isoformat().replace("+00:00", "Z")


# -- rendering one `key:value` element -------------------------------------------------------


@st.composite
def _random_case(draw: st.DrawFn, text: str) -> str:
    """`text` with its ASCII letters in a drawn case; shrinks to `text` unchanged.

    Coder lowercases the whole query first (§2.1 step 1), so case never changes
    the meaning; only ASCII letters are flipped so that Go's and Python's lowercasing agree.
    """
    # Mostly mixed case: "as is" and "lower" change nothing in an all-lowercase value.
    style = draw(st.integers(0, 7))
    if style == 0:
        return text
    if style in (1, 2):
        return "".join((c.lower() if style == 1 else c.upper()) if c.isascii() else c for c in text)
    flips = draw(st.randoms(use_true_random=False))
    return "".join(c.swapcase() if c.isascii() and flips.random() < 0.5 else c for c in text)


@st.composite
def _element(draw: st.DrawFn, key: str, value: str) -> str:
    """`key:value` with random case and optional quotes (required around spaces and colons)."""
    key_text = draw(_random_case(key))
    if draw(st.integers(0, 7)) == 0:
        key_text = f'"{key_text}"'  # quotes are trimmed from keys too (§2.1 step 4)
    value_text = draw(_random_case(value))
    if " " in value or ":" in value or draw(st.booleans()):
        value_text = f'"{value_text}"'
    return f"{key_text}:{value_text}"


@st.composite
def _uuid_text(draw: st.DrawFn, value: str) -> str:
    """A form of the uuid Go's parser accepts (§2.1): canonical, bare, braces, urn."""
    form = draw(st.sampled_from(("canonical", "bare", "braces", "urn")))
    if form == "bare":
        return value.replace("-", "")
    if form == "braces":
        return "{" + value + "}"
    if form == "urn":
        return "urn:uuid:" + value
    return value


def _quotable(value: str) -> bool:
    # A value can be written in `q` unless it holds a double quote (no escaping exists) or
    # leading/trailing spaces (quotes keep them, but Coder's UI never sends such values).
    return value != "" and '"' not in value and value == value.strip()


@dataclasses.dataclass(frozen=True, slots=True)
class _Term:
    key: str
    value: str  # as Coder reads it
    text: str  # the element(s) to put in `q`
    keeps_anchor: bool = True
    organization_id: str | None = None


def _findable(corpus: Corpus, log: LogFacts) -> bool:
    """Whether `username:<the log's username>` is known to find the log's user (§2.1)."""
    return log.username is not None and corpus.usernames.get(log.username.lower()) == log.user_id


def _day_of(time_us: int) -> dt.date:
    return (_EPOCH + dt.timedelta(microseconds=time_us)).date()


def _usable_uuid(value: str | None) -> bool:
    try:
        return value is not None and str(uuid.UUID(value)) == value and value != NIL
    except ValueError:
        return False


# -- one term per key, from a source log (or from nothing when `source` is None) -------------

# Keys that select one or a few logs.
_NARROW_KEYS = frozenset({"request_id", "resource_id", "resource_target"})
_WORDS = st.from_regex(r"[a-z][a-z0-9]{0,9}", fullmatch=True)
_RANDOM_DATES = st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31))


@st.composite
def _uuid_term(draw: st.DrawFn, key: str, source: LogFacts | None) -> _Term:
    known: str | None = getattr(source, key) if source is not None else None
    value = known if known is not None and _usable_uuid(known) else str(draw(st.uuids(version=4)))
    text = draw(_uuid_text(value))
    return _Term(key, value, draw(_element(key, text)), keeps_anchor=value == known)


@st.composite
def _exact_text_term(draw: st.DrawFn, key: str, known: str | None) -> _Term:
    """resource_target / email: Coder compares the LOWERCASED value exactly (§2.1)."""
    if known is not None and _quotable(known):
        value = known.lower()
        return _Term(key, value, draw(_element(key, known)), keeps_anchor=value == known)
    value = draw(_WORDS) + ("@example.com" if key == "email" else "")
    return _Term(key, value, draw(_element(key, value)), keeps_anchor=False)


@st.composite
def _username_term(draw: st.DrawFn, corpus: Corpus, source: LogFacts | None) -> _Term:
    me_possible = corpus.caller_id is not None and (
        source is None or source.user_id == corpus.caller_id
    )
    known = source.username if source is not None and _findable(corpus, source) else None
    if me_possible and (known is None or draw(st.booleans())):
        return _Term(
            "username", "me", draw(_element("username", "me")), keeps_anchor=source is not None
        )
    if known is not None:
        return _Term("username", known.lower(), draw(_element("username", known)))
    names = sorted(corpus.usernames) or [draw(_WORDS)]
    value = draw(st.sampled_from(names))
    return _Term("username", value, draw(_element("username", value)), keeps_anchor=False)


@st.composite
def _date_term(draw: st.DrawFn, key: str, source: LogFacts | None) -> _Term:
    if source is None or source.time_us is None:
        day = draw(_RANDOM_DATES)
        return _Term(key, day.isoformat(), draw(_element(key, day.isoformat())), keeps_anchor=False)
    # Days away from the log's own day: mostly 0, the inclusive edge (§3.3), where bugs hide;
    # -1 puts the log just outside the range. Shrinks to 0.
    shift = draw(st.integers(-1, 3)) if draw(st.integers(0, 3)) == 3 else 0
    direction = -1 if key == "date_from" else 1
    day = _day_of(source.time_us) + dt.timedelta(days=direction * shift)
    keeps = shift >= 0
    if key == "date_to" and shift == 0 and source.time_us % _US_PER_DAY > _END_OF_DAY_US:
        keeps = False  # 23:59:59.5 is after `date_to`'s end of day (§3.3)
    return _Term(key, day.isoformat(), draw(_element(key, day.isoformat())), keeps_anchor=keeps)


@st.composite
def _organization_term(draw: st.DrawFn, corpus: Corpus, source: LogFacts | None) -> _Term:
    if (
        source is not None
        and source.organization_id is not None
        and _usable_uuid(source.organization_id)
    ):
        known = source.organization_id
        name = (source.organization_name or "").lower()
        resolvable = corpus.organizations.get(name) == known
        if resolvable and draw(st.booleans()):
            return _Term(
                "organization", name, draw(_element("organization", name)), organization_id=known
            )
        text = draw(_uuid_text(known))
        return _Term(
            "organization", known, draw(_element("organization", text)), organization_id=known
        )
    if bool(corpus.organizations) and draw(st.booleans()):
        name = draw(st.sampled_from(sorted(corpus.organizations)))
        return _Term(
            "organization",
            name,
            draw(_element("organization", name)),
            keeps_anchor=False,
            organization_id=corpus.organizations[name],
        )
    value = str(draw(st.uuids(version=4)))  # a uuid is used as is, no existence check (§2.1)
    return _Term("organization", value, draw(_element("organization", value)), False, value)


@st.composite
def _enum_term(draw: st.DrawFn, key: str, allowed: tuple[str, ...], known: str | None) -> _Term:
    value = known if known is not None and known in allowed else draw(st.sampled_from(allowed))
    if key == "resource_type" and draw(st.booleans()):
        text = draw(_random_case(value))  # free text means resource_type (§2.1)
    else:
        text = draw(_element(key, value))
    return _Term(key, value, text, keeps_anchor=value == known)


@st.composite
def _term(draw: st.DrawFn, key: str, corpus: Corpus, source: LogFacts | None) -> _Term:
    if key in ("request_id", "resource_id"):
        return draw(_uuid_term(key, source))
    if key == "resource_target":
        return draw(_exact_text_term(key, source.resource_target if source else None))
    if key == "email":
        return draw(_exact_text_term(key, source.email if source else None))
    if key == "username":
        return draw(_username_term(corpus, source))
    if key in ("date_from", "date_to"):
        return draw(_date_term(key, source))
    if key == "organization":
        return draw(_organization_term(corpus, source))
    if key == "resource_type":
        return draw(_enum_term(key, RESOURCE_TYPES, source.resource_type if source else None))
    if key == "action":
        return draw(_enum_term(key, AUDIT_ACTIONS, source.action if source else None))
    reason = None
    if source is not None and source.resource_type == "workspace_build":
        reason = source.build_reason
    return draw(_enum_term(key, BUILD_REASONS, reason))


def _facet_available(key: str, corpus: Corpus, anchor: LogFacts) -> bool:
    """Whether `anchor` offers a value for `key` that keeps it in the result."""
    if key in ("request_id", "resource_id", "organization"):
        return _usable_uuid(getattr(anchor, "organization_id" if key == "organization" else key))
    if key in ("resource_target", "email"):
        known = anchor.resource_target if key == "resource_target" else anchor.email
        return known is not None and _quotable(known)
    if key == "username":
        return _findable(corpus, anchor) or (
            anchor.user_id is not None and anchor.user_id == corpus.caller_id
        )
    if key in ("date_from", "date_to"):
        return anchor.time_us is not None
    if key == "resource_type":
        return anchor.resource_type in RESOURCE_TYPES
    if key == "action":
        return anchor.action in AUDIT_ACTIONS
    return anchor.resource_type == "workspace_build" and anchor.build_reason in BUILD_REASONS


@st.composite
def _joined(draw: st.DrawFn, elements: list[str]) -> str:
    """Elements in a drawn order, separated by runs of spaces (§2.1 step 2)."""
    ordered = draw(st.permutations(elements))
    separators = draw(
        st.lists(st.sampled_from((" ", "  ")), min_size=len(ordered), max_size=len(ordered))
    )
    text = "".join(sep + element for sep, element in zip(separators, ordered, strict=True))
    return text[1:] + draw(st.sampled_from(("", " "))) if text else text


@st.composite
def _search_query(draw: st.DrawFn, corpus: Corpus, min_terms: int, max_terms: int) -> SearchQuery:
    anchor = draw(st.sampled_from(corpus.logs)) if corpus.logs else None
    keys = SEARCH_KEYS
    if anchor is not None:
        keys = tuple(key for key in SEARCH_KEYS if _facet_available(key, corpus, anchor))
    # Mostly keys that many logs share, so that every filter does some of the selecting (an
    # ignored `action:` goes unnoticed next to a `resource_id:` that selects one log anyway).
    broad = [key for key in keys if key not in _NARROW_KEYS]
    at_least = min(min_terms, len(broad))
    chosen = draw(
        st.lists(st.sampled_from(broad), unique=True, min_size=at_least, max_size=max_terms)
    )
    narrow = [key for key in keys if key in _NARROW_KEYS]
    if narrow and len(chosen) < max_terms and draw(st.integers(0, 3)) == 0:
        chosen.append(draw(st.sampled_from(narrow)))
    terms: list[_Term] = []
    for key in chosen:
        source = anchor
        if anchor is not None and draw(st.integers(0, 9)) == 0:
            source = draw(st.sampled_from(corpus.logs))  # a value from another log, usually a miss
        term = draw(_term(key, corpus, source))
        if source is not anchor:
            term = dataclasses.replace(term, keeps_anchor=False)
        terms.append(term)
    unused = [key for key in SEARCH_KEYS if key not in chosen]
    elements = [term.text for term in terms]
    if unused and draw(st.integers(0, 7)) == 0:
        # An empty value counts as absent: no filter, no error (§2.1 item 8).
        elements.append(draw(_random_case(draw(st.sampled_from(unused)))) + ':""')
    parts = tuple(
        SearchQuery(
            text=term.text,
            filters={term.key: term.value},
            anchor=anchor if term.keeps_anchor else None,
            caller_id=corpus.caller_id,
            organization_id=term.organization_id,
        )
        for term in terms
    )
    organization = next((t.organization_id for t in terms if t.key == "organization"), None)
    return SearchQuery(
        text=draw(_joined(elements)),
        filters={term.key: term.value for term in terms},
        anchor=anchor if all(term.keeps_anchor for term in terms) else None,
        caller_id=corpus.caller_id,
        organization_id=organization,
        parts=parts if len(parts) > 1 else (),
    )


def search_queries(
    corpus: Corpus, *, min_terms: int = 0, max_terms: int = 4
) -> st.SearchStrategy[SearchQuery]:
    """Valid NEWEST search queries over values that exist on the server (§2.1).

    Each query is built around an *anchor*, a log drawn from `corpus`: up to `max_terms` of
    the anchor's own values (mostly values many logs share; a one-log id or target now and
    then) (request/resource ids, resource target, username or `me`, email,
    a date range around its time, its organization by id or name, resource type as a key or
    as free text, action, build reason), so the anchor is in the result. Now and then a value
    comes from another log or a date range stops just short of the anchor: then the query
    usually matches less or nothing, and `anchor` is None. The text varies what Coder ignores:
    key order, runs of spaces, letter case, optional quotes (required around spaces and
    colons), uuids as canonical, bare hex, `{braces}` or `urn:uuid:`, empty values (`key:""`).
    With an empty corpus the values come from Coder's enums, random dates and random uuids.

    Shrinks towards fewer terms (down to `min_terms`), the newest log as anchor, values
    written as is (no case change, no quotes, canonical uuids) and date ranges that end on the
    anchor's own day.

    Args:
        corpus: values read from the server (an empty `Corpus()` works too).
        min_terms: at least this many keys per query (when the anchor offers that many).
        max_terms: at most this many keys per query; use 1 for broad queries.

    Example:
        >>> from hypothesis import given
        >>> corpus = Corpus.from_logs([{"id": "1", "action": "create", "resource_type": "user"}])
        >>> @given(search_queries(corpus))
        ... def test_filters_are_keys(query):
        ...     assert set(query.filters) <= set(SEARCH_KEYS)
        >>> test_filters_are_keys()
    """
    if not 0 <= min_terms <= max_terms:
        raise ValueError(f"need 0 <= min_terms <= max_terms, got {min_terms!r} and {max_terms!r}")
    return _search_query(corpus, min_terms, max_terms)


# -- invalid input ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class InvalidInput:
    """Query parameters Coder must refuse with 400, and how.

    Attributes:
        params: the query parameters to send (a tuple value sends the parameter repeatedly).
        fields: the `field` of every expected validation, sorted (order is not part of the
            contract: Coder reports unknown keys in Go's random map order, §2.1).
        message: the expected top-level `message`.
        reason: what is wrong, for reports.

    Example:
        >>> case = InvalidInput({"q": "foo:bar"}, ("foo",), "Invalid audit search query.", "unknown key")
        >>> case.fields
        ('foo',)
    """

    params: Mapping[str, str | tuple[str, ...]]
    fields: tuple[str, ...]
    message: str
    reason: str


_MALFORMED = frozenset({"colon at an edge", "two colons"})  # near misses that stop parsing


@dataclasses.dataclass(frozen=True, slots=True)
class _NearMiss:
    elements: tuple[str, ...]
    field: str  # the validation's field ("q" when the element is malformed)
    uses: frozenset[str]  # keys (and "free text") it occupies
    reason: str

    @property
    def stops_parsing(self) -> bool:
        # §2.1 step 4: a malformed element is the only error reported. (An unknown
        # key spelled `q` also has the field "q", but parsing goes on after it.)
        return self.reason in _MALFORMED


_NOT_KEYS = (
    "foo", "user", "users", "type", "actor", "org", "organisation", "resource", "target",
    "date", "from", "to", "status", "ip", "id", "owner", "workspace", "name", "limit", "q",
    "resource-type", "created_at", "time",
)  # fmt: skip
_NOT_ENUM_VALUES = (
    "bogus", "creat", "created", "workspaces", "update", "read", "all", "*", "workspace-build",
    "apikey", "login_failed", "user-admin", "none", "null", "0", "owner",
)  # fmt: skip
_BAD_DATES = (
    "2022-13-01", "2006", "2024-1-05", "yesterday", "2024-02-30", "2024/01/05", "20240105",
    "2024-01-32", "24-01-05", "2024-01-05x", "2024-00-10", "today", "2024-01-5",
)  # fmt: skip
_FREE_TEXT_MISSES = ("foo", "workspaces", "audit", "template-version", "users", '"workspace"')
_ENUMS = {"action": AUDIT_ACTIONS, "resource_type": RESOURCE_TYPES, "build_reason": BUILD_REASONS}


@st.composite
def _bad_uuid(draw: st.DrawFn) -> str:
    value = str(draw(st.uuids()))
    return draw(
        st.sampled_from(
            (
                value[:-1],  # 35 characters
                value + "0",  # 37 characters
                value[:9] + "g" + value[10:],
                "{" + value[:-1] + "}",
                value.replace("-", "")[:31],
                "1234",
                "not-a-uuid",
            )
        )
    )


@st.composite
def _near_miss(draw: st.DrawFn) -> _NearMiss:
    kind = draw(
        st.sampled_from(
            (
                "unknown key",
                "bad enum",
                "bad date",
                "bad uuid",
                "unknown organization",
                "duplicate key",
                "bad free text",
                "colon at an edge",
                "two colons",
            )
        )
    )
    if kind == "unknown key":
        key = draw(st.sampled_from(_NOT_KEYS))
        return _NearMiss((draw(_element(key, draw(_WORDS))),), key, frozenset({key}), kind)
    if kind == "bad enum":
        key = draw(st.sampled_from(sorted(_ENUMS)))
        candidates = _NOT_ENUM_VALUES + AUDIT_ACTIONS + BUILD_REASONS
        value = draw(st.sampled_from([v for v in candidates if v not in _ENUMS[key]]))
        return _NearMiss((draw(_element(key, value)),), key, frozenset({key}), kind)
    if kind == "bad date":
        key = draw(st.sampled_from(("date_from", "date_to")))
        value = draw(st.sampled_from(_BAD_DATES))
        return _NearMiss((draw(_element(key, value)),), key, frozenset({key}), kind)
    if kind == "bad uuid":
        key = draw(st.sampled_from(("request_id", "resource_id")))
        return _NearMiss((draw(_element(key, draw(_bad_uuid()))),), key, frozenset({key}), kind)
    if kind == "unknown organization":
        # Not a uuid, so a name, and no organization has it (§2.1).
        name = "no-such-org-" + draw(_WORDS)
        element = draw(_element("organization", name))
        return _NearMiss((element,), "organization", frozenset({"organization"}), kind)
    if kind == "duplicate key":
        return draw(_duplicate())
    if kind == "bad free text":
        words = draw(st.sampled_from((("foo", "bar"), *((word,) for word in _FREE_TEXT_MISSES))))
        elements = tuple(draw(_random_case(word)) for word in words)
        return _NearMiss(elements, "resource_type", frozenset({"resource_type", "free text"}), kind)
    if kind == "colon at an edge":
        key = draw(st.sampled_from(SEARCH_KEYS))
        element = draw(st.sampled_from((f"{key}:", ":" + draw(_WORDS), ":", f"{key}:create:")))
        return _NearMiss((element,), "q", frozenset({key}), kind)
    key = draw(st.sampled_from(SEARCH_KEYS))
    element = f"{key}:{draw(_WORDS)}:{draw(_WORDS)}"
    return _NearMiss((draw(_random_case(element)),), "q", frozenset({key}), kind)


@st.composite
def _duplicate(draw: st.DrawFn) -> _NearMiss:
    reason = "duplicate key"
    if draw(st.booleans()):
        # Free text and `resource_type:` are the same key (§2.3).
        first, second = draw(st.sampled_from(RESOURCE_TYPES)), draw(st.sampled_from(RESOURCE_TYPES))
        pair = (draw(_random_case(first)), draw(_element("resource_type", second)))
        return _NearMiss(pair, "resource_type", frozenset({"resource_type", "free text"}), reason)
    key = draw(st.sampled_from(SEARCH_KEYS))
    values = [draw(_term(key, Corpus(), None)).value for _ in range(2)]
    elements = tuple(draw(_element(key, value)) for value in values)
    return _NearMiss(elements, key, frozenset({key}), reason)


@st.composite
def _invalid_search_query(draw: st.DrawFn) -> InvalidInput:
    misses: list[_NearMiss] = []
    used: set[str] = set()
    for _ in range(draw(st.integers(1, 2))):
        miss = draw(_near_miss())
        if not miss.uses & used:
            misses.append(miss)
            used |= miss.uses
    context = draw(
        st.lists(
            st.sampled_from([k for k in SEARCH_KEYS if k not in used]), unique=True, max_size=2
        )
    )
    elements = [e for miss in misses for e in miss.elements]
    for key in context:
        term = draw(_term(key, Corpus(), None))
        # Context terms are keys (never free text), so they cannot clash with a free-text miss.
        elements.append(term.text if ":" in term.text else draw(_element(key, term.value)))
    if any(miss.stops_parsing for miss in misses):
        fields: tuple[str, ...] = ("q",)
    else:
        fields = tuple(sorted(miss.field for miss in misses))
    return InvalidInput(
        params={"q": draw(_joined(elements))},
        fields=fields,
        message=INVALID_SEARCH_MESSAGE,
        reason=", ".join(miss.reason for miss in misses),
    )


def invalid_search_queries() -> st.SearchStrategy[InvalidInput]:
    """Search queries one step away from valid, each with the validation fields Coder reports.

    Near-misses (§2.1, §2.3): unknown keys (`foo:bar` -> field `foo`), values outside
    an enum (`action:bogus` -> `action`), bad dates (`date_from:2022-13-01`), bad uuids
    (35 or 37 characters, a non-hex digit), an organization name that does not exist, a key
    given twice (also free text plus `resource_type:`), free text that is not a resource type
    (`foo bar`, or a quoted `"workspace"`, which keeps its quotes), and malformed elements (a
    leading or trailing colon, two colons) which stop parsing with the single field `q`. One or
    two near-misses are mixed with up to two valid terms, in random order and case.

    Shrinks towards a single unknown key with no context terms.

    Example:
        >>> from hypothesis import given
        >>> @given(invalid_search_queries())
        ... def test_fields_named(case):
        ...     assert case.fields and case.message == "Invalid audit search query."
        >>> test_fields_named()
    """
    return _invalid_search_query()


_BAD_INTEGERS = (
    "bogus", "-1", "2147483648", "1.5", "1e3", "0x10", "9999999999999", "-2147483649", "５",
    " 5", "5 ", "ten", "--1", "1_000",
)  # fmt: skip


@st.composite
def _pagination_value(draw: st.DrawFn, name: str, bad: bool) -> str | tuple[str, ...] | None:
    if bad:
        if draw(st.integers(0, 5)) == 0:
            # Given twice: "provided more than once" (§3.4).
            return ("1", "2") if name != "after_id" else (str(draw(st.uuids())),) * 2
        if name == "after_id":
            return draw(_bad_uuid())
        return draw(st.one_of(st.sampled_from(_BAD_INTEGERS), st.integers(max_value=-1).map(str)))
    if draw(st.booleans()):
        return None
    if name == "after_id":
        return str(draw(st.uuids()))  # validated, then ignored for audit logs (§1.1)
    return str(draw(st.integers(0, 2**31 - 1)))


@st.composite
def _invalid_pagination(draw: st.DrawFn) -> InvalidInput:
    names = ("after_id", "limit", "offset")
    bad = draw(st.lists(st.sampled_from(names), unique=True, min_size=1))
    params: dict[str, str | tuple[str, ...]] = {}
    for name in names:
        value = draw(_pagination_value(name, name in bad))
        if value is not None:
            params[name] = value
    # Pagination is validated before `q` (§1.1 steps 3-4, §9 item 12): even a bad
    # query only gets the pagination errors.
    q = draw(st.sampled_from((None, "action:create", "foo:bar", "workspace")))
    if q is not None:
        params["q"] = q
    return InvalidInput(
        params=params,
        fields=tuple(sorted(bad)),
        message=INVALID_PAGINATION_MESSAGE,
        reason="bad " + ", ".join(sorted(bad)),
    )


def invalid_pagination() -> st.SearchStrategy[InvalidInput]:
    """Bad `after_id`, `limit` or `offset`, each with the fields Coder's 400 names (§3.4).

    At least one of the three is bad: a non-uuid `after_id` (35/37 characters, non-hex), a
    `limit`/`offset` that is not a non-negative 32-bit integer (`bogus`, `-1`, `2147483648`,
    `1.5`, a full-width digit...), or a parameter given twice. The others are valid or absent,
    and a `q` (valid or not) may ride along: pagination errors come first and alone.

    Shrinks towards a single bad `after_id` with nothing else.

    Example:
        >>> from hypothesis import given
        >>> @given(invalid_pagination())
        ... def test_fields(case):
        ...     assert set(case.fields) <= {"after_id", "limit", "offset"}
        >>> test_fields()
    """
    return _invalid_pagination()


# -- testgenerate -------------------------------------------------------------------------

_JSON_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | _JSON_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_JSON_TEXT, inner, max_size=3),
    max_leaves=8,
)
_ADDITIONAL_FIELDS = st.dictionaries(
    st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True).filter(
        lambda key: key not in _KNOWN_ADDITIONAL_FIELDS
    ),
    _JSON_VALUES,
    max_size=4,
)
_OFFSETS = (dt.timedelta(0), dt.timedelta(hours=2), dt.timedelta(hours=-7, minutes=-30))


@st.composite
def _rfc3339(draw: st.DrawFn, earliest: dt.datetime, latest: dt.datetime) -> str:
    moment = draw(st.datetimes(earliest.replace(tzinfo=None), latest.replace(tzinfo=None)))
    offset = draw(st.sampled_from(_OFFSETS))
    local = moment.replace(tzinfo=dt.UTC).astimezone(dt.timezone(offset))
    # isoformat gives "+02:00"-style offsets, as RFC 3339 wants; UTC is written "Z" as Coder does.
    text = local.isoformat(timespec="microseconds" if local.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def testgenerate_bodies(
    *,
    earliest: dt.datetime = dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
    latest: dt.datetime = dt.datetime(2025, 12, 31, tzinfo=dt.UTC),
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid `POST /api/v2/audit/testgenerate` bodies (NEWEST `CreateTestAuditLogRequest`, §5).

    Every field is optional: `action` and `resource_type` from Coder's database enums,
    `resource_id`/`request_id` random uuids, `organization_id` a random or the nil uuid,
    `build_reason` from its enum (accepted, then ignored), `time` an RFC 3339 time between
    `earliest` and `latest` in UTC or another offset (or Go's zero time, which means "now"),
    and `additional_fields` a JSON object whose top-level keys avoid Coder's known
    additional-field names (so Coder returns it verbatim, §4.5). Strings never hold U+0000,
    which Postgres `jsonb` refuses.

    Shrinks towards the empty body `{}` (every default), then towards smaller values.

    Args:
        earliest: the earliest `time` to draw (keep it before the server's "now").
        latest: the latest `time` to draw.

    Example:
        >>> from hypothesis import given
        >>> @given(testgenerate_bodies())
        ... def test_known_fields(body):
        ...     assert set(body) <= {"action", "resource_type", "resource_id", "additional_fields",
        ...                          "time", "build_reason", "organization_id", "request_id"}
        >>> test_known_fields()
    """
    if earliest > latest:
        raise ValueError(f"earliest ({earliest}) must not be after latest ({latest})")
    uuids = st.uuids(version=4).map(str)
    return st.fixed_dictionaries(
        {},
        optional={
            "action": st.sampled_from(AUDIT_ACTIONS),
            "resource_type": st.sampled_from(RESOURCE_TYPES),
            "resource_id": uuids,
            "additional_fields": _ADDITIONAL_FIELDS,
            "time": st.one_of(_rfc3339(earliest, latest), st.just(_ZERO_TIME)),
            "build_reason": st.sampled_from(BUILD_REASONS),
            "organization_id": st.one_of(st.just(NIL), uuids),
            "request_id": uuids,
        },
    )


# The name starts with "test": without this, pytest would collect it as a test wherever it is
# imported into a test module.
testgenerate_bodies.__test__ = False  # type: ignore[attr-defined]
