"""Semantic checks: properties of Coder's audit-log API that no schema can express.

Each check is a `SemanticCheck` with a name, a description, what it needs from the target
(role tokens, existing logs) and `run(target, seed=..., max_examples=...)`, which explores the
property with Hypothesis and returns a `CheckOutcome`: passed, failed (with a
`ContractViolation` holding a curl command that reproduces the request and the response
received) or skipped (with the reason). `run` never raises for what the server does: a network
error is a failed outcome too.

```
SEMANTIC_CHECKS
├── filters_hold                   every log satisfies every filter of `q`; the log it was built from is there
├── count_consistent               `count` ignores limit/offset, equals the matching logs, capped at 2000 (+1)
├── pages_concatenate              pages walked with limit/offset == the whole list; default 100; past end []
├── newest_first                   logs come newest first, within and across pages
├── invalid_input_rejected         bad q/limit/offset/after_id -> 400 in Coder's shape, right validations
├── auth_enforced                  no or unknown token -> 401; owner -> 200 (every carrier); testgenerate 204 ""
├── roles_enforced                 member 403 (before 400), auditors read, only owners write, org readers scoped
├── testgenerate_read_your_writes  a testgenerate log is found with the fields sent and Coder's defaults
├── response_shape                 JSON Content-Type, RFC 3339 times, uuid ids, key types, error bodies
└── response_time                  every answer within a time limit (2 s unless configured)
```

Determinism: a run draws from Hypothesis seeded with `seed`, with no example database, no
deadline and no shrinking (a failing example is reported as found), so the same seed sends
the same requests to the same server.

Example:
    >>> from coder_audit_mock.contracts._target import open_target
    >>> with open_target() as target:
    ...     outcome = SEMANTIC_CHECKS["newest_first"].run(target, seed=1, max_examples=3)
    >>> outcome.status
    'passed'
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import ipaddress
import json
import time
import types
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import httpx
from hypothesis import HealthCheck, Phase, Verbosity, assume, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from ..mockserver.profiles.newest import facts as _newest
from ._coder import (
    INTERNAL_ERROR_MESSAGE,
    NEWEST_RULES,
    NEWEST_TESTGENERATE_FIELDS,
    NIL,
    CoderRules,
    TokenCarrier,
    rules_for,
)
from ._determinism import reproducible_generation
from ._errors import ContractViolation
from ._harvest import harvest, harvest_corpus
from ._paths import AUDIT_PATH, TESTGENERATE_PATH
from ._probe import DEFAULT_LIMIT, USER_AGENT, NoResponse, Page, Probe
from ._shapes import ERROR_SHAPE, PAGE_SHAPE, content_type_problem
from ._target import Target
from .strategies import (
    INVALID_PAGINATION_MESSAGE,
    INVALID_SEARCH_MESSAGE,
    Corpus,
    LogFacts,
    invalid_pagination,
    invalid_search_queries,
    parse_time,
    search_queries,
    testgenerate_bodies,
)

if TYPE_CHECKING:  # names only annotations use
    from .strategies import InvalidInput, SearchQuery

__all__ = [
    "DEFAULT_MAX_EXAMPLES",
    "SEMANTIC_CHECKS",
    "CheckOutcome",
    "OutcomeStatus",
    "SemanticCheck",
    "harvest_corpus",
]

DEFAULT_MAX_EXAMPLES = 25
MAX_INT32 = 2**31 - 1  # §3.4: the largest limit/offset Coder accepts

# §6.2, §1.1 step 2, §1.2: the messages Coder answers with.
SIGNED_OUT_MESSAGE = (
    "You are signed out or your session has expired. Please sign in again to continue."
)
INACTIVE_USER_MESSAGE_PREFIX = "User is not active"
FORBIDDEN_MESSAGE = "Forbidden."
# §5: every testgenerate row carries this diff.
TESTGENERATE_DIFF = {"foo": {"old": "bar", "new": "baz", "secret": False}}
# §4.7: these types look their resource up live; a random resource id is not found,
# so the log is deleted and unlinked.
_LOOKED_UP_TYPES = _newest.LOOKED_UP_TYPES

OutcomeStatus = Literal["passed", "partial", "failed", "skipped"]


@dataclasses.dataclass(frozen=True, slots=True)
class CheckOutcome:
    """What one run of a `SemanticCheck` found.

    Attributes:
        status: "passed"; "partial" (what ran passed, but part of the check could not run:
            `reason` says which); "failed"; or "skipped" (none of it ran).
        violation: for "failed", the first violation found (its `request` is a curl command).
        reason: why it failed or was skipped; for a partial pass, what was not checked.
        examples_run: how many Hypothesis examples were executed.
        seconds: how long the check took (wall time).

    Example:
        >>> CheckOutcome("skipped", reason="needs a token for role 'member'").status
        'skipped'
    """

    status: OutcomeStatus
    violation: ContractViolation | None = None
    reason: str = ""
    examples_run: int = 0
    seconds: float = 0.0


# -- the checks' examples -----------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class _Context:
    corpus: Corpus
    roles: frozenset[str]
    options: Mapping[str, float]
    rules: CoderRules = NEWEST_RULES  # the Coder version the target should answer as
    may_write: bool = True  # False: a read-only run (`Target.may_write`)


_Example = Callable[[Probe, _Context, st.DataObject], None]
_Outcome = Literal["found", "missing", "inconclusive"]
_ANCHOR_PAGES = 5
_FILTER_PAGE_LIMIT = 200


def _look_for_anchor(
    probe: Probe, params: dict[str, Any], page: Page, anchor: LogFacts
) -> tuple[_Outcome, Page]:
    """Walk the result newest first until the anchor shows up or older logs begin."""
    for _ in range(_ANCHOR_PAGES):
        facts = page.facts
        if any(fact.id == anchor.id for fact in facts):
            return "found", page
        oldest = facts[-1].time_us if facts else None
        if len(facts) < params["limit"] or (
            oldest is not None and anchor.time_us is not None and oldest < anchor.time_us
        ):
            return "missing", page
        params = {**params, "offset": params.get("offset", 0) + len(facts)}
        page = probe.page(params)
    return "inconclusive", page


def _filters_hold(probe: Probe, context: _Context, data: st.DataObject) -> None:
    """§2.1, §3.1, §3.3: each filter holds for every log; AND; dates inclusive."""
    query: SearchQuery = data.draw(search_queries(context.corpus, min_terms=1), label="query")
    for each in (query, *query.parts):
        _check_filters(probe, each)


def _check_filters(probe: Probe, query: SearchQuery) -> None:
    params: dict[str, Any] = {"q": query.text, "limit": _FILTER_PAGE_LIMIT}
    page = probe.page(params)
    for position, facts in enumerate(page.facts):
        unmet = query.unmet(facts)
        if unmet is not None:
            probe.fail(
                f"A returned log does not satisfy {unmet.partition(' (')[0]}",
                f"q={query.text!r} reads as {dict(query.filters)!r}; log #{position} "
                f"({facts.id}) fails {unmet}.",
                page.response,
            )
    if query.anchor is None:
        return
    outcome, last = _look_for_anchor(probe, params, page, query.anchor)
    if outcome == "missing":
        anchor = query.anchor
        probe.fail(
            "A log matching every filter is missing",
            f"q={query.text!r} reads as {dict(query.filters)!r}. Log {anchor.id} has those very "
            f"values ({dataclasses.asdict(anchor)!r}) but is not in the result.",
            last.response,
        )


def _count_consistent(probe: Probe, context: _Context, data: st.DataObject) -> None:
    """§3.1, §3.2: the profile's count rule whatever the page, and its count_cap.

    NEWEST: count = min(matching, 2001) on every page, count_cap = 2000. 2023-01: the matching
    logs on a page that holds some, 0 on an empty one, and no count_cap.
    """
    rules = context.rules
    query: SearchQuery = data.draw(search_queries(context.corpus, max_terms=1), label="query")
    windows = data.draw(
        st.lists(
            st.tuples(st.one_of(st.none(), st.integers(1, 50)), st.integers(0, 150)),
            min_size=2,
            max_size=3,
        ),
        label="(limit, offset) pairs",
    )
    seen = [(limit, offset, probe.page({"q": query.text, "limit": limit, "offset": offset}))
            for limit, offset in windows]  # fmt: skip
    total = max(page.count for _, _, page in seen)
    if total == 0:  # 2023-01 counts 0 on empty pages (§3.2): a one-log page tells the total
        total = probe.page({"q": query.text, "limit": 1}).count
    if any(page.count != rules.count(total, len(page.logs)) for _, _, page in seen):
        listing = ", ".join(f"limit={lim} offset={off} -> {page.count}" for lim, off, page in seen)
        probe.fail(
            "count depends on limit/offset",
            f"q={query.text!r}: {listing}; expected: {rules.count_text}",
            seen[-1][2].response,
        )
    first = seen[0][2]
    cap = rules.count_cap
    if first.count_cap != cap:
        probe.fail(
            f"count_cap is not {cap}" if cap is not None else "count_cap is present",
            f"count_cap is {first.count_cap!r} (§3.1, §3.2).",
            first.response,
        )
    if cap is not None and total > cap + 1:
        probe.fail(
            "count is not capped",
            f"count is {total}; Coder counts at most {cap + 1} (§3.1).",
            first.response,
        )
    if cap is not None and total > cap:
        beyond = probe.page({"q": query.text, "limit": 1, "offset": cap})
        if not beyond.logs:
            probe.fail(
                f"count says over {cap} logs match, but offset {cap} is empty",
                "",
                beyond.response,
            )
        return
    every = probe.page({"q": query.text, "limit": total + 1})
    if len(every.logs) != total:
        probe.fail(
            "count is not the number of matching logs",
            f"q={query.text!r}: count is {total}, but limit={total + 1} returns "
            f"{len(every.logs)} logs.",
            every.response,
        )


def _tie_groups(facts: Sequence[LogFacts]) -> list[tuple[int | None, list[str | None]]]:
    """Consecutive logs sharing a time, with their ids sorted (Coder has no tie-breaker, §3.1)."""
    groups: list[tuple[int | None, list[str | None]]] = []
    for fact in facts:
        if groups and groups[-1][0] == fact.time_us:
            groups[-1][1].append(fact.id)
        else:
            groups.append((fact.time_us, [fact.id]))
    return [(moment, sorted(ids, key=str)) for moment, ids in groups]


def _order_problem(walked: Sequence[LogFacts], whole: Sequence[LogFacts]) -> str | None:
    ids = [fact.id for fact in walked]
    twice = next((ident for ident in ids if ids.count(ident) > 1), None)
    if twice is not None:
        return f"log {twice} appears on two pages"
    if ids == [fact.id for fact in whole]:
        return None
    walked_groups, whole_groups = _tie_groups(walked), _tie_groups(whole)
    # The last group may be cut by the window differently: compare only its time and size.
    if walked_groups[:-1] == whole_groups[:-1] and [
        (moment, len(ids)) for moment, ids in walked_groups[-1:]
    ] == [(moment, len(ids)) for moment, ids in whole_groups[-1:]]:
        return None
    at = next(i for i, (a, b) in enumerate(zip(walked, whole, strict=False)) if a.id != b.id)
    return f"position {at}: the pages give {walked[at].id}, the single request gives {whole[at].id}"


def _pages_concatenate(probe: Probe, context: _Context, data: st.DataObject) -> None:
    """§3.1, §3.2, §1.1 step 9: limit/offset paging, the profile's default limit
    (NEWEST 100, 2023-01 none: an empty page), [] past the end."""
    rules = context.rules
    default_limit = rules.default_limit
    query: SearchQuery = data.draw(search_queries(context.corpus, max_terms=1), label="query")
    whole = probe.page({"q": query.text})
    # 2023-01's count is 0 on an empty page (§3.2): a one-log page tells the total.
    total = whole.count if whole.logs else probe.page({"q": query.text, "limit": 1}).count
    exact = rules.count_cap is None or total <= rules.count_cap
    expected = min(default_limit, total) if exact else default_limit
    if len(whole.logs) != expected:
        probe.fail(
            f"Without limit, the page does not hold Coder's default of {default_limit} logs",
            f"q={query.text!r}: count is {total}, so the page should hold {expected} logs, "
            f"not {len(whole.logs)} (§3.1, §3.2).",
            whole.response,
        )
    if not whole.logs and total:
        whole = probe.page({"q": query.text, "limit": DEFAULT_LIMIT})
    size = data.draw(st.integers(1, max(1, min(len(whole.logs), 25))), label="page size")
    span = min(len(whole.logs), size * 6)
    walked: list[LogFacts] = []
    for offset in range(0, span, size):
        page = probe.page({"q": query.text, "limit": size, "offset": offset})
        wanted = min(size, total - offset) if exact else size
        if len(page.logs) != wanted:
            probe.fail(
                f"limit={size} offset={offset} returned {len(page.logs)} logs, not {wanted}",
                f"q={query.text!r}, count {total}.",
                page.response,
            )
        walked += page.facts
    problem = _order_problem(walked[:span], whole.facts[:span])
    if problem is not None:
        probe.fail(
            "Pages walked with limit/offset differ from the whole list",
            f"q={query.text!r}, pages of {size} over the first {span} logs: {problem}.",
            page.response,
        )
    past = [MAX_INT32] + (
        [total + data.draw(st.integers(0, 1000), label="beyond")] if exact else []
    )
    for offset in past:
        beyond = probe.page({"q": query.text, "offset": offset})
        if beyond.logs:
            probe.fail(
                "An offset past the end returned logs",
                f"q={query.text!r}, count {total}, offset {offset}: expected [] (§1.1 step 9).",
                beyond.response,
            )


def _newest_first(probe: Probe, context: _Context, data: st.DataObject) -> None:
    """§3.1: ORDER BY time DESC, within a page and from one page to the next."""
    query: SearchQuery = data.draw(search_queries(context.corpus, max_terms=2), label="query")
    limit = data.draw(st.integers(2, 50), label="limit")
    offset = data.draw(st.integers(0, 60), label="offset")
    page = probe.page({"q": query.text, "limit": limit, "offset": offset})
    times = _times(probe, page)
    for position in range(len(times) - 1):
        if times[position] < times[position + 1]:
            probe.fail(
                "Logs are not newest first",
                f"q={query.text!r}: log #{position + 1} is newer than log #{position} (§3.1).",
                page.response,
            )
    if len(times) == limit:
        following = probe.page({"q": query.text, "limit": 1, "offset": offset + limit})
        later = _times(probe, following)
        if later and later[0] > times[-1]:
            probe.fail(
                "The next page starts with a newer log",
                f"q={query.text!r}: offset {offset + limit} is newer than the last log of "
                f"limit={limit} offset={offset} (§3.1).",
                following.response,
            )


def _times(probe: Probe, page: Page) -> list[int]:
    """The page's log times, or a violation if one is unreadable (no order to check then)."""
    times: list[int] = []
    for position, fact in enumerate(page.facts):
        if fact.time_us is None:
            probe.fail(
                "A log's time is unreadable, so the order cannot be checked",
                f"log #{position} is {json.dumps(page.logs[position])[:300]}; its time is not "
                "RFC 3339 (§4.5).",
                page.response,
            )
        times.append(fact.time_us)
    return times


def _invalid_input_rejected(probe: Probe, context: _Context, data: st.DataObject) -> None:
    """§1.1 steps 3-4, §2.1, §3.4: 400, Coder's message, one validation per problem.

    The kit's own rules are the oracle: the strategies know which fields NEWEST names, and the
    version's `CoderRules` say what it accepts instead (2023-01 ignores a bad `q`, §2.2; it
    takes the first of repeated values and passes a negative limit on to Postgres, §3.4).
    Input the version accepts is not checked here.
    """
    case = data.draw(st.one_of(invalid_search_queries(), invalid_pagination()), label="input")
    rejection = _rejection(context.rules, case)
    if rejection is None:
        return
    message, expected_fields = rejection
    response = probe.send("GET", params=case.params)
    where = f"{case.reason} ({dict(case.params)!r})"
    if response.status_code != 400:
        probe.fail(f"Invalid input answered {response.status_code}, not 400", where, response)
    body = probe.json_body(response, "The 400")
    problems = ERROR_SHAPE(body, "body")
    if problems:
        probe.fail("The 400 is not in Coder's error shape", f"{where}: {problems[0]}.", response)
    if body["message"] != message:
        probe.fail(
            "The 400 has the wrong message",
            f"{where}: message {body['message']!r}, expected {message!r}.",
            response,
        )
    fields = tuple(sorted(v["field"] for v in body.get("validations", [])))
    if fields != expected_fields:
        probe.fail(
            "The 400's validations name the wrong fields",
            f"{where}: fields {list(fields)}, expected {list(expected_fields)}.",
            response,
        )
    if any(not v["detail"] for v in body["validations"]):
        probe.fail("A validation has an empty detail", where, response)


def _rejection(rules: CoderRules, case: InvalidInput) -> tuple[str, tuple[str, ...]] | None:
    """(message, sorted validation fields) of the 400 `rules` expect for `case`, or None.

    Pagination is validated before the search query, and alone (§1.1 steps 3-4, §1.3).
    """
    params = {
        name: [value] if isinstance(value, str) else list(value)
        for name, value in case.params.items()
    }
    fields = rules.pagination_rejection(params)
    if fields is not None:
        return INVALID_PAGINATION_MESSAGE, fields
    if case.message == INVALID_SEARCH_MESSAGE and rules.rejects_bad_search:
        return case.message, case.fields
    return None


def _expect_error(
    probe: Probe, response: httpx.Response, status: int, message: str, what: str
) -> None:
    if response.status_code != status:
        probe.fail(f"{what} answered {response.status_code}, not {status}", "", response)
    body = probe.json_body(response, what)
    actual = body.get("message") if isinstance(body, dict) else None
    if not (isinstance(actual, str) and actual.startswith(message)):
        probe.fail(f"{what}: wrong message", f"message {actual!r}, expected {message!r}.", response)


def _carried(token: str, carrier: TokenCarrier) -> tuple[dict[str, str], dict[str, str]]:
    """(headers, query parameters) presenting `token` through one of the profile's carriers."""
    if carrier.kind == "header":
        return {carrier.name: token}, {}
    if carrier.kind == "bearer":
        return {carrier.name: f"Bearer {token}"}, {}
    if carrier.kind == "cookie":
        return {"Cookie": f"{carrier.name}={token}"}, {}
    return {}, {carrier.name: token}


_BOGUS_TOKENS = st.one_of(
    st.from_regex(r"[a-z0-9]{10}-[A-Za-z0-9]{22}", fullmatch=True),
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40),
)


def _auth_enforced(probe: Probe, context: _Context, data: st.DataObject) -> None:
    """§6.1, §6.2, §1.2 step 4: tokens required; the caller reads, owners write.

    The version's rules give the carriers (NEWEST five, 2023-01 four) and whether a 401
    carries a `WWW-Authenticate` challenge. A read-only run sends no testgenerate.
    """
    rules = context.rules
    carrier = data.draw(st.sampled_from(rules.token_carriers), label="carrier")
    headers, params = _carried(probe.target.auth()["Coder-Session-Token"], carrier)
    response = probe.send("GET", role=None, headers=headers, params=params)
    if response.status_code != 200:
        probe.fail(
            f"The {probe.target.caller}'s token in the {carrier} got {response.status_code}, "
            "not 200",
            "",
            response,
        )
    calls = (("GET", AUDIT_PATH), ("POST", TESTGENERATE_PATH))
    for method, path in calls if context.may_write else calls[:1]:
        response = probe.send(method, path, role=None, body={} if method == "POST" else None)
        _expect_error(probe, response, 401, SIGNED_OUT_MESSAGE, f"{method} {path} without a token")
        if ("www-authenticate" in response.headers) != rules.www_authenticate:
            probe.fail(
                f"{method} {path} without a token: the 401 "
                + ("lacks" if rules.www_authenticate else "has")
                + " a WWW-Authenticate header",
                f"Coder {rules.name} (§6.2).",
                response,
            )
    bogus = data.draw(_BOGUS_TOKENS, label="unknown token")
    response = probe.send("GET", role=None, headers={"Coder-Session-Token": bogus})
    _expect_error(probe, response, 401, SIGNED_OUT_MESSAGE, "An unknown token")
    if not context.may_write:
        return
    response = probe.send("POST", TESTGENERATE_PATH, body={})
    if response.status_code != 204 or response.content:
        probe.fail(
            "The owner's testgenerate did not answer 204 with an empty body",
            f"{len(response.content)} bytes of body (§1.2 step 4).",
            response,
        )


def _role_answers(rules: CoderRules) -> dict[str, tuple[int, int]]:
    """role -> (GET status, testgenerate status) under `rules` (§1.2, §1.4, §6.2, §6.3)."""
    # A reader who may not create logs: NEWEST refuses at insert with a 500 (§1.2 step 3),
    # 2023-01 before reading the body with a 403 (§1.4).
    refused_write = rules.write_refusal_status
    org_reader = (200, refused_write) if rules.org_scoped_reads else (403, 403)
    return {
        "member": (403, 403),
        "auditor": (200, refused_write),
        "org-admin": org_reader,
        "org-auditor": org_reader,
        "expired": (401, 401),
        "suspended": (401, 401),
    }


_ROLES = tuple(_role_answers(NEWEST_RULES))
_STATUS_MESSAGES = {403: FORBIDDEN_MESSAGE, 500: INTERNAL_ERROR_MESSAGE, 401: SIGNED_OUT_MESSAGE}
# GET parameters for a role's read, with the message of the 400 a reader gets for them.
_ROLE_READS: tuple[tuple[dict[str, str], str], ...] = (
    ({}, ""),
    ({"limit": "bogus"}, INVALID_PAGINATION_MESSAGE),
    ({"q": "foo:bar"}, INVALID_SEARCH_MESSAGE),
)


def _roles_enforced(probe: Probe, context: _Context, data: st.DataObject) -> None:
    """§1.1 step 2, §1.2, §6.3, §9 item 12: who may read and write, checked first.

    Every example tries every role the target has a token for: readers read a page (and
    organization readers must see only their organizations), then each role makes one drawn
    request: a testgenerate, or a read with good or bad parameters.
    """
    answers = _role_answers(context.rules)
    # 2023-01 ignores a bad `q` (§2.2): only NEWEST answers it with a 400.
    reads = [read for read in _ROLE_READS if context.rules.rejects_bad_search or "q" not in read[0]]
    for role in sorted(context.roles & set(answers)):
        read_status, write_status = answers[role]
        if read_status == 200:
            _check_read_scope(probe, role, probe.page({}, role=role))
        if context.may_write and data.draw(st.booleans(), label=f"{role} writes"):
            response = probe.send("POST", TESTGENERATE_PATH, role=role, body={})
            _expect_refusal(
                probe, role, response, write_status, f"testgenerate as {role!r}", context.rules
            )
            continue
        params, bad_request_message = data.draw(st.sampled_from(reads), label="params")
        what = f"GET /api/v2/audit as {role!r} with {params!r}"
        response = probe.send("GET", role=role, params=params)
        if read_status != 200:
            _expect_refusal(probe, role, response, read_status, what, context.rules)
        elif params:  # permissions come first: a reader gets the 400, a member the 403
            _expect_error(probe, response, 400, bad_request_message, what)


def _expect_refusal(
    probe: Probe, role: str, response: httpx.Response, status: int, what: str, rules: CoderRules
) -> None:
    message = INACTIVE_USER_MESSAGE_PREFIX if role == "suspended" else _STATUS_MESSAGES[status]
    _expect_error(probe, response, status, message, what)
    detail = response.json().get("detail", "")  # omitted when empty (§1.5)
    if status == 403 and detail != rules.forbidden_detail:
        probe.fail(
            f"{what}: the 403 lacks Coder's detail",
            f"detail {detail!r}, expected {rules.forbidden_detail!r} (§1.1, §1.3).",
            response,
        )


def _check_read_scope(probe: Probe, role: str, page: Page) -> None:
    if not role.startswith("org-"):
        return
    for fact in page.facts:
        if fact.organization_id == NIL:
            probe.fail(
                f"An organization-scoped reader ({role}) sees an organization-less log",
                f"log {fact.id} has the nil organization_id; only site-wide readers see those "
                "(§3.1).",
                page.response,
            )


_LOCATOR_LIMIT = 500


def _locator(body: Mapping[str, Any], now_span: tuple[int, int] | None = None) -> str:
    """A `q` that finds the log `body` writes among few others.

    A log written "now" (no `time`) is looked for from the day of `now_span`'s start to the day
    after its end (the newest log before the write, and the server's Date header: a mock's
    clock may be pinned, a real server's is not): a real server may hold hundreds of older test
    logs of the same kind, many sharing one time (year 0, year 9999), whose order at a page
    edge changes from one request to the next (Postgres sorts by time alone, §3.1).
    """
    if "resource_id" in body:
        return f"resource_id:{body['resource_id']}"
    if "request_id" in body:
        return f"request_id:{body['request_id']}"
    terms = [
        "username:me",
        f"resource_type:{body.get('resource_type') or 'user'}",
        f"action:{body.get('action') or 'write'}",
    ]
    moment = parse_time(body.get("time"))
    if moment is not None and body.get("time") != "0001-01-01T00:00:00Z":
        day = (dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=moment)).date().isoformat()
        terms += [f"date_from:{day}", f"date_to:{day}"]
    elif now_span is not None:
        first, last = (
            (dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=moment)).date()
            for moment in now_span
        )
        terms += [f"date_from:{first.isoformat()}", f"date_to:{last + dt.timedelta(days=1)}"]
    return " ".join(terms)


def _written_log_problems(
    body: Mapping[str, Any],
    log: Mapping[str, Any],
    *,
    newest_before: int | None,
    caller_id: str | None,
) -> list[str]:
    """How the stored log differs from what testgenerate should have written (§5)."""
    expected: dict[str, Any] = {
        "action": body.get("action") or "write",
        "resource_type": body.get("resource_type") or "user",
        "diff": TESTGENERATE_DIFF,
        "status_code": 200,
        "additional_fields": body.get("additional_fields", {}),
        "user_agent": USER_AGENT,
        "request_id": body.get("request_id", NIL),
        "organization_id": body.get("organization_id", NIL),
    }
    if "resource_id" in body:
        expected["resource_id"] = body["resource_id"]
    actor = log.get("user")
    user: Mapping[str, Any] = actor if isinstance(actor, dict) else {}
    expected["resource_target"] = user.get("username")  # always the caller's username
    if expected["resource_type"] in _LOOKED_UP_TYPES:
        expected |= {"is_deleted": True, "resource_link": ""}
    if "action" not in body and "resource_type" not in body:
        expected["description"] = "{user} updated user {target}"
    problems = [
        f"{field} is {json.dumps(log.get(field))[:200]}, expected {json.dumps(value)[:200]}"
        for field, value in expected.items()
        if log.get(field) != value
    ]
    # Coder's source reads as if ip stays empty, but a real v2.35.1 server stores the caller's
    # address (tests/fidelity/corpus): either is accepted, anything else is not an address.
    if not _is_empty_or_ip(log.get("ip")):
        problems.append(f'ip is {json.dumps(log.get("ip"))[:200]}, expected "" or an IP address')
    if "resource_id" not in body and log.get("resource_id") in (None, NIL):
        problems.append("resource_id should be a new random uuid")
    if caller_id is not None and user.get("id") != caller_id:
        problems.append(f"user.id is {user.get('id')!r}, expected the caller {caller_id!r}")
    if expected["organization_id"] == NIL and "organization" in log:
        problems.append("an organization object is present for the nil organization_id")
    problems += _written_time_problems(body, log, newest_before)
    return problems


def _is_empty_or_ip(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return value == "" or bool(ipaddress.ip_address(value))
    except ValueError:
        return False


def _written_time_problems(
    body: Mapping[str, Any], log: Mapping[str, Any], newest_before: int | None
) -> list[str]:
    written = parse_time(log.get("time"))
    given = parse_time(body.get("time"))
    if given is not None and body.get("time") != "0001-01-01T00:00:00Z":
        return (
            [] if written == given else [f"time is {log.get('time')!r}, expected {body['time']!r}"]
        )
    if written is None or (newest_before is not None and written < newest_before):
        return [
            f"time is {log.get('time')!r}; without a time the log is written now, after every other"
        ]
    return []


def _date_header_us(response: httpx.Response | None) -> int | None:
    """The response's Date header in microseconds since 1970, or None when absent or bad."""
    value = None if response is None else response.headers.get("date")
    if not value:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return int(moment.timestamp()) * 1_000_000


def _testgenerate_read_your_writes(probe: Probe, context: _Context, data: st.DataObject) -> None:
    """§5: the log is in GET at once, with the fields sent and Coder's defaults."""
    newest = context.corpus.newest_time_us
    latest = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    if newest is not None:
        latest = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=newest)
    body = data.draw(
        testgenerate_bodies(earliest=latest - dt.timedelta(days=365), latest=latest), label="body"
    )
    # "Now" is the server's clock, read from the listing's Date header (whole seconds, rounded
    # down, so never later than the server's now). Logs dated after it were written with an
    # explicit future `time` (by Schemathesis, by another client: a real server holds logs
    # dated an hour or years ahead) and must not count as "every other". Without a Date
    # header (an in-process app) the local clock stands in, a day ahead for skew.
    listing = probe.page({"limit": 100})
    server_now = _date_header_us(listing.response)
    horizon = server_now
    if horizon is None:
        horizon = int(time.time() * 1_000_000) + 86_400_000_000
    recent = [
        moment
        for fact in listing.facts
        if (moment := fact.time_us) is not None and moment <= horizon
    ]
    newest_before = max(recent) if recent else None
    span = sorted(moment for moment in (newest_before, server_now) if moment is not None)
    locator = {
        "q": _locator(body, (span[0], span[-1]) if span else None),
        "limit": _LOCATOR_LIMIT,
    }
    found = probe.page(locator)
    # A full page cannot tell a new log from one pushed in across the page edge.
    assume(len(found.logs) < _LOCATOR_LIMIT)
    before = {fact.id for fact in found.facts}
    response = probe.send("POST", TESTGENERATE_PATH, body=body)
    if response.status_code != 204:
        probe.fail(f"testgenerate answered {response.status_code}, not 204", "", response)
    after = probe.page(locator)
    new = [log for log, fact in zip(after.logs, after.facts, strict=True) if fact.id not in before]
    if len(new) != 1:
        probe.fail(
            "The log testgenerate wrote is not found"
            if not new
            else "testgenerate wrote several logs",
            f"POST {json.dumps(body)[:300]} answered 204; then q={locator['q']!r} shows "
            f"{len(new)} new logs (expected 1, §5).",
            after.response,
        )
    if not isinstance(new[0], dict):
        probe.fail("The written log is not a JSON object", "", after.response)
    problems = _written_log_problems(
        body, new[0], newest_before=newest_before, caller_id=context.corpus.caller_id
    )
    if problems:
        probe.fail(
            "The written log differs from the request and Coder's defaults",
            f"POST {json.dumps(body)[:300]}:\n- " + "\n- ".join(problems),
            after.response,
        )


def _response_shape(probe: Probe, context: _Context, data: st.DataObject) -> None:
    """§1.5, §4.5: JSON everywhere, Coder's field types, error body shape."""
    kinds = ["page", "invalid input", "no token", "unknown token"]
    kinds += ["member"] if "member" in context.roles else []
    kind = data.draw(st.sampled_from(kinds), label="request")
    if kind == "page":
        query: SearchQuery = data.draw(search_queries(context.corpus, max_terms=2), label="query")
        limit = data.draw(st.integers(1, 50), label="limit")
        response = probe.send("GET", params={"q": query.text, "limit": limit})
    elif kind == "invalid input":
        case = data.draw(st.one_of(invalid_search_queries(), invalid_pagination()), label="input")
        response = probe.send("GET", params=case.params)
    elif kind == "member":
        response = probe.send("GET", role="member")
    else:
        token = data.draw(_BOGUS_TOKENS, label="token") if kind == "unknown token" else None
        response = probe.send(
            "GET", role=None, headers={"Coder-Session-Token": token} if token else {}
        )
    problem = content_type_problem(response)
    if problem is not None:
        probe.fail("Wrong Content-Type", problem, response)
    body = probe.json_body(response, f"The answer to {kind!r}")
    problems = (PAGE_SHAPE if response.status_code == 200 else ERROR_SHAPE)(body, "body")
    if problems:
        shown = "\n- ".join(problems[:10])
        probe.fail(f"The {response.status_code} body has the wrong shape", f"- {shown}", response)


def _response_time(probe: Probe, context: _Context, data: st.DataObject) -> None:
    """Every answer within `max_seconds` (a budget the project sets, not a Coder rule)."""
    params: dict[str, Any] = data.draw(
        st.one_of(
            search_queries(context.corpus, max_terms=2).map(lambda query: {"q": query.text}),
            invalid_search_queries().map(lambda case: dict(case.params)),
        ),
        label="params",
    )
    params["limit"] = data.draw(st.sampled_from((None, 1, 25, 100, 1000)), label="limit")
    response = probe.send("GET", params=params)
    limit = context.options["max_seconds"]
    if probe.last_seconds > limit:
        probe.fail(
            f"An answer took {probe.last_seconds:.2f} s, over the {limit:g} s limit",
            f"Parameters {params!r}.",
            response,
        )


# -- running ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SemanticCheck:
    """One named property of the audit-log API and how to explore it.

    Attributes:
        name: the check's name, as used in reports and `ContractViolation.check`.
        description: one line saying what it verifies (with § numbers).
        needs: what the target must provide beyond the caller's token (any reader's): role
            names (tokens), "logs" (at least one audit log the caller can read) and "writes"
            (the run may write, `Target.may_write`). Missing needs skip the check.
        harvest: whether the check first reads a `Corpus` from the target.
        options: tunable numbers (e.g. `max_seconds` for response_time); see `configured`.
        wants: roles the check also uses when the target has their tokens; without them a
            pass is "partial", its `reason` naming them.
        writes: what part of the check writes, if any ("" none); a read-only run leaves that
            part out and the pass is "partial".
        uses_caller: the check sends requests with the caller's token (else only with the
            tokens of `needs` and `wants`).
        unsupported: why the check cannot apply to a profile (None: it applies); the check is
            then skipped with that reason.

    Example:
        >>> check = SEMANTIC_CHECKS["response_time"].configured(max_seconds=0.5)
        >>> check.name, check.options["max_seconds"], check.needs
        ('response_time', 0.5, ())
    """

    name: str
    description: str
    needs: tuple[str, ...]
    example: _Example = dataclasses.field(repr=False, compare=False)
    harvest: bool = True
    options: Mapping[str, float] = dataclasses.field(default_factory=dict)
    wants: tuple[str, ...] = ()
    writes: str = ""
    uses_caller: bool = True
    unsupported: Callable[[CoderRules], str | None] = dataclasses.field(
        default=lambda rules: None, repr=False, compare=False
    )

    def configured(self, **options: float) -> SemanticCheck:
        """A copy with some `options` changed; unknown option names are an error."""
        unknown = set(options) - set(self.options)
        if unknown:
            raise ValueError(
                f"{self.name} has no option(s) {sorted(unknown)}; it has {sorted(self.options)}"
            )
        return dataclasses.replace(self, options={**self.options, **options})

    def _missing(self, target: Target) -> str | None:
        if self.uses_caller and target.token is None:
            provided = ", ".join(sorted(target.tokens)) or "none"
            return (
                f"needs the caller's token (role {target.caller!r}, one that reads audit logs); "
                f"the target provides: {provided}"
            )
        if "writes" in self.needs and not target.may_write:
            return f"needs to write audit logs; this run is read-only: {target.read_only_reason}"
        roles = [
            need
            for need in self.needs
            if need not in ("logs", "writes") and need not in target.tokens
        ]
        if roles:
            provided = ", ".join(sorted(target.tokens)) or "none"
            return f"needs a token for role(s) {', '.join(map(repr, roles))}; the target provides: {provided}"
        return None

    def run(
        self,
        target: Target,
        *,
        seed: int = 0,
        max_examples: int = DEFAULT_MAX_EXAMPLES,
        profile: str | CoderRules = "newest",
    ) -> CheckOutcome:
        """Explore the property on `target`; never raises for what the server does.

        Args:
            target: the server (see `open_target`).
            seed: Hypothesis's seed: the same seed sends the same requests.
            max_examples: how many examples to try (each sends a few requests).
            profile: the Coder version the target should answer as: "newest", "2023-01" or
                its `CoderRules` (the kit's own statement of that version's contract).

        Example:
            >>> from coder_audit_mock.contracts._target import open_target
            >>> with open_target(tokens={}) as target:
            ...     SEMANTIC_CHECKS["auth_enforced"].run(target, max_examples=2).status
            'passed'
        """
        started = time.perf_counter()
        outcome = self._run(target, seed, max_examples, rules_for(profile))
        return dataclasses.replace(outcome, seconds=round(time.perf_counter() - started, 3))

    def _run(self, target: Target, seed: int, max_examples: int, rules: CoderRules) -> CheckOutcome:
        missing = self._missing(target)
        if missing is None:
            missing = self.unsupported(rules)
        if missing is not None:
            return CheckOutcome("skipped", reason=missing)
        probe = Probe(target, self.name)
        try:
            corpus = harvest(probe, 300, 20) if self.harvest else Corpus()
        except Exception as error:  # noqa: BLE001 - report, never crash
            return _failure(self.name, error, 0, "reading the target's logs first")
        if "logs" in self.needs and not corpus.logs:
            return CheckOutcome(
                "skipped",
                reason="needs at least one audit log the caller can read; the target has none "
                "(POST /api/v2/audit/testgenerate writes some)",
            )
        context = _Context(
            corpus, frozenset(target.tokens), self.options, rules, may_write=target.may_write
        )
        with reproducible_generation():
            outcome = self._explore(probe, context, seed, max_examples)
        left_out = [
            f"without a token for {', '.join(unchecked)}"
            for unchecked in [[role for role in self.wants if role not in target.tokens]]
            if unchecked
        ]
        if self.writes and not target.may_write:
            left_out.append(f"{self.writes} (read-only: {target.read_only_reason})")
        if outcome.status == "passed" and left_out:
            return dataclasses.replace(
                outcome, status="partial", reason="not checked: " + "; ".join(left_out)
            )
        return outcome

    def _explore(
        self, probe: Probe, context: _Context, seed: int, max_examples: int
    ) -> CheckOutcome:
        first_error: list[Exception] = []
        examples = 0

        @hypothesis_seed(seed)
        @settings(
            max_examples=max_examples,
            database=None,
            deadline=None,
            derandomize=False,
            phases=(Phase.explicit, Phase.generate),  # no shrinking: every step hits the server
            suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet,
            report_multiple_bugs=False,
        )
        @given(st.data())
        def explore(data: st.DataObject) -> None:
            nonlocal examples
            examples += 1
            try:
                self.example(probe, context, data)
            except Exception as error:
                first_error[:] = first_error or [error]
                raise

        try:
            explore()
        except Exception as error:  # noqa: BLE001 - report, never crash
            return _failure(self.name, first_error[0] if first_error else error, examples, "")
        return CheckOutcome("passed", examples_run=examples)


def _failure(check: str, error: BaseException, examples: int, during: str) -> CheckOutcome:
    if isinstance(error, ContractViolation):
        if error.check != check:
            error = ContractViolation(
                check=check, title=error.title, message=error.message, request=error.request
            )
        return CheckOutcome("failed", violation=error, reason=error.title, examples_run=examples)
    if isinstance(error, NoResponse):
        reason = f"no response from the server{' while ' + during if during else ''}: {error}"
        violation = ContractViolation(
            check=check, title="No response from the server", message=reason
        )
        return CheckOutcome("failed", violation=violation, reason=reason, examples_run=examples)
    reason = (
        f"the check stopped on {type(error).__name__}: {error} "
        "(an answer it could not read, or a bug in the check)"
    )
    return CheckOutcome("failed", reason=reason, examples_run=examples)


def _newest_search_only(rules: CoderRules) -> str | None:
    """Why filters_hold cannot apply: the strategies draw NEWEST's `q` grammar (§2.1)."""
    if rules.newest_search:
        return None
    return (
        f"profile {rules.name}: its search (keys {', '.join(rules.search_keys)}; no "
        "username:me) is not what the search strategies draw (NEWEST §2.1); "
        "tests/server/test_profile_2023.py pins it (§2.2)"
    )


def _newest_testgenerate_only(rules: CoderRules) -> str | None:
    """Why read-your-writes cannot apply: NEWEST bodies, located with `username:me` (§5)."""
    if set(rules.testgenerate_fields) >= set(NEWEST_TESTGENERATE_FIELDS) and rules.newest_search:
        return None
    return (
        f"profile {rules.name}: testgenerate reads only {', '.join(rules.testgenerate_fields)}"
        " and `username:me` is no filter, while the check writes NEWEST bodies and finds them "
        "with username:me (§5); tests/server/test_profile_2023.py pins 2023-01's writes (§1.4)"
    )


def _newest_shapes_only(rules: CoderRules) -> str | None:
    """Why response_shape cannot apply: its shapes are NEWEST's (§4.5)."""
    if rules.newest_shapes:
        return None
    return (
        f"profile {rules.name}: the check's shapes are NEWEST's (§4.5); Schemathesis's "
        "response_schema_conformance checks this profile's shapes against its own document"
    )


def _check(
    name: str,
    description: str,
    example: _Example,
    needs: tuple[str, ...] = (),
    **kwargs: Any,
) -> SemanticCheck:
    return SemanticCheck(name, description, needs, example, **kwargs)


SEMANTIC_CHECKS: Mapping[str, SemanticCheck] = types.MappingProxyType(
    {
        check.name: check
        for check in (
            _check(
                "filters_hold",
                "Every returned log satisfies every filter in q, and the log a query was built "
                "from is in its result (§2.1, §3.1, §3.3).",
                _filters_hold,
                ("logs",),
                unsupported=_newest_search_only,
            ),
            _check(
                "count_consistent",
                "count ignores limit/offset and equals the matching logs, capped at 2001 with "
                "count_cap 2000 (§3.1).",
                _count_consistent,
                ("logs",),
            ),
            _check(
                "pages_concatenate",
                "Pages walked with limit/offset concatenate to the whole list; no limit means "
                "100; an offset past the end gives [] (§3.1, §1.1).",
                _pages_concatenate,
                ("logs",),
            ),
            _check(
                "newest_first",
                "Logs come newest first, within a page and across pages (§3.1).",
                _newest_first,
                ("logs",),
            ),
            _check(
                "invalid_input_rejected",
                "An invalid q, limit, offset or after_id gets 400 with Coder's message and the "
                "right validations fields, never a 500 (§1.1, §2.1, §3.4).",
                _invalid_input_rejected,
                harvest=False,
            ),
            _check(
                "auth_enforced",
                "No or an unknown token gets 401, the owner's token 200 through every carrier; "
                "the owner's testgenerate answers 204 with an empty body (§6.1, §6.2, §1.2).",
                _auth_enforced,
                harvest=False,
                writes="testgenerate without a token (401) and with the owner's (204)",
            ),
            _check(
                "roles_enforced",
                "A member gets 403 (even with bad parameters), auditors read, only owners "
                "write, organization readers see only their organizations (§1.1, §1.2, §6.3).",
                _roles_enforced,
                ("member",),
                harvest=False,
                wants=tuple(sorted(set(_ROLES) - {"member"})),
                writes="testgenerate as each role (refused)",
                uses_caller=False,
            ),
            _check(
                "testgenerate_read_your_writes",
                "A testgenerate log is found by GET at once, with the fields sent and Coder's "
                "defaults for the rest (§5).",
                _testgenerate_read_your_writes,
                ("writes",),
                unsupported=_newest_testgenerate_only,
            ),
            _check(
                "response_shape",
                "JSON Content-Type, RFC 3339 times, uuid ids and Coder's key types on pages and "
                "error bodies (§1.5, §4.5).",
                _response_shape,
                wants=("member",),
                unsupported=_newest_shapes_only,
            ),
            _check(
                "response_time",
                "Every answer arrives within max_seconds (default 2 s).",
                _response_time,
                harvest=False,
                options={"max_seconds": 2.0},
            ),
        )
    }
)
