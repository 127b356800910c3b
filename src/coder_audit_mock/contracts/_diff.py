"""Differential testing: the same request stream to two servers, and every way their answers differ.

```
run_diff(left, right, seed=0, max_examples=100) -> DiffReport
├── request_stream(seed, ...)   a fixed catalogue of known-interesting requests, then
│                               `max_examples` drawn from the grammar with random.Random(seed):
│                               valid and invalid search queries, pagination, token carriers,
│                               roles, testgenerate refusals, unknown routes
├── observe(response)           what may be compared: normalised facts per aspect
│                               (status, headers, error, validations, shape, count, page,
│                               order, filter); ids, times and generated names never count
├── compare                     aspect by aspect; a status difference hides the rest
└── minimise                    drop parameters and search elements while the aspect still
                                differs: each difference comes with a minimal request
```

The uses: the mock against a real Coder (`--left mock --right https://coder.example.com`), one
Coder version against the next, or two mock profiles (`--left mock --right mock:2023-01`).
Nothing in the stream writes data: testgenerate is only sent where both versions refuse it
(no token, non-owners, bodies that fail), so a diff can run against a production server.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import random
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import httpx

from .. import _curl
from ..mockserver import DEFAULT_TOKENS
from ._paths import AUDIT_PATH, TESTGENERATE_PATH
from ._target import Target

__all__ = [
    "ASPECTS",
    "DEFAULT_DIFF_EXAMPLES",
    "DiffReport",
    "Difference",
    "ProbeRequest",
    "render_diff_report",
    "request_stream",
    "run_diff",
]

DEFAULT_DIFF_EXAMPLES = 100
# Each difference is minimised with at most this many extra request pairs.
MAX_MINIMISE_STEPS = 40
# What is compared, in report order. A status difference hides the others of that request.
ASPECTS: tuple[str, ...] = (
    "status",
    "headers",
    "error",
    "validations",
    "shape",
    "count",
    "page",
    "order",
    "filter",
)
# Maps whose keys are data, not shape (§4.5): only their values' shape counts.
_DATA_KEYED = frozenset({"diff"})
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z| [+-]\d{4} [A-Z]+|[+-]\d{2}:\d{2})"
)
_SPACE_FIELD = re.compile(r'(?:[^ "]+|"[^"]*"?)+')
# Headers whose presence or value is part of the contract (§1.5, §6.2).
_COMPARED_HEADERS = ("content-type", "www-authenticate", "allow")


@dataclasses.dataclass(frozen=True, slots=True)
class ProbeRequest:
    """One request of the stream, the same for both servers.

    Attributes:
        method: "GET", "POST", ...
        path: e.g. "/api/v2/audit".
        params: the query parameters in order (a name may repeat).
        role: whose session token to send (a key of `Target.tokens`), or None for none.
        carrier: how the token travels: header, bearer, cookie, query, access_token or
            devurl_cookie (§6.1).
        token: a literal token to send instead of a role's (e.g. a malformed one).
        body: the request body (JSON text), or None.
        purpose: what the request exercises, for the report.

    Example:
        >>> ProbeRequest("GET", "/api/v2/audit", (("limit", "5"),)).target()
        '/api/v2/audit?limit=5'
    """

    method: str
    path: str
    params: tuple[tuple[str, str], ...] = ()
    role: str | None = "owner"
    carrier: str = "header"
    token: str | None = None
    body: str | None = None
    purpose: str = dataclasses.field(default="", compare=False)

    def target(self) -> str:
        """The path with its query string."""
        return self.path + ("?" + urlencode(self.params) if self.params else "")

    def token_text(self, tokens: Mapping[str, str]) -> str | None:
        """The token sent, or None (no token, or a role this server has no token for)."""
        if self.token is not None:
            return self.token
        return None if self.role is None else tokens.get(self.role)

    def needs(self) -> str | None:
        """The role whose token both servers must have for this request to be sent."""
        return self.role if self.token is None else None


def _carry(
    request: ProbeRequest, token: str | None
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Headers and extra query parameters carrying `token` as the request says (§6.1)."""
    if token is None:
        return {}, []
    carriers: dict[str, tuple[dict[str, str], list[tuple[str, str]]]] = {
        "header": ({"Coder-Session-Token": token}, []),
        "bearer": ({"Authorization": f"Bearer {token}"}, []),
        "cookie": ({"Cookie": f"coder_session_token={token}"}, []),
        "devurl_cookie": ({"Cookie": f"coder_devurl_session_token={token}"}, []),
        "query": ({}, [("coder_session_token", token)]),
        "access_token": ({}, [("access_token", token)]),
    }
    return carriers[request.carrier]


def send(target: Target, request: ProbeRequest) -> httpx.Response:
    """Send `request` to `target` (cookies go in a header: no cookie jar carries over).

    Example:
        >>> from coder_audit_mock.contracts import open_target
        >>> with open_target() as target:
        ...     send(target, ProbeRequest("GET", "/api/v2/audit", (("limit", "1"),))).status_code
        200
    """
    headers, extra = _carry(request, request.token_text(target.tokens))
    if request.body is not None:
        headers["Content-Type"] = "application/json"
    query = urlencode([*request.params, *extra])
    url = request.path + ("?" + query if query else "")
    body = None if request.body is None else request.body.encode()
    return target.client.request(request.method, url, headers=headers, content=body)


# -- observing a response ------------------------------------------------------------------------


def _normalised(text: str) -> str:
    """Ids and times differ between servers by nature: replace them with placeholders."""
    return _TIME.sub("<time>", _UUID.sub("<uuid>", text))


def _json_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, int | float) else "string"


def _shape(
    value: Any, path: str = ".", found: dict[str, set[str]] | None = None
) -> dict[str, set[str]]:
    """Every path of a JSON value with the kinds seen there, array items merged.

    E.g. `audit_logs[].user.roles[].name` -> {"string"}. The keys of `diff` are data (the
    changed fields, §4.5), so only its being an object counts.
    """
    found = {} if found is None else found
    found.setdefault(path, set()).add(_json_kind(value))
    if isinstance(value, dict) and path.rsplit(".", 1)[-1] not in _DATA_KEYED:
        for name, item in value.items():
            _shape(item, f"{path.rstrip('.')}.{name}" if path != "." else name, found)
    elif isinstance(value, list):
        for item in value:
            _shape(item, path + "[]", found)
    return found


def _shape_text(value: Any) -> str:
    return "\n".join(
        f"{path}: {'|'.join(sorted(kinds))}" for path, kinds in sorted(_shape(value).items())
    )


def _shape_paths(text: str) -> dict[str, str]:
    return dict(line.rsplit(": ", 1) for line in text.splitlines())


def _search_elements(query: str) -> list[tuple[str, str]]:
    """`q` as (key, value) pairs, free words as resource_type (both versions, §2)."""
    pairs = []
    for element in _SPACE_FIELD.findall(query.lower()):
        key, colon, value = element.partition(":")
        if colon and key and value and ":" not in value:
            pairs.append((key.strip('"'), value.strip('"')))
        elif not colon:
            pairs.append(("resource_type", element.strip('"')))
    return pairs


def _log_field(log: Mapping[str, Any], key: str) -> object:
    found = log.get("user")
    user: Mapping[str, Any] = found if isinstance(found, dict) else {}
    fields = {
        "resource_type": log.get("resource_type"),
        "action": log.get("action"),
        "resource_id": log.get("resource_id"),
        "resource_target": log.get("resource_target"),
        "username": str(user.get("username", "")).lower(),
        "email": user.get("email"),
        "request_id": log.get("request_id"),
        "organization": log.get("organization_id"),
    }
    return fields.get(key, _UNCHECKABLE)


_UNCHECKABLE = object()


def _filters_holding(query: str, logs: Sequence[Mapping[str, Any]]) -> str:
    """Which `q` filters every returned log satisfies (a filter ignored by a server fails)."""
    if not logs:
        return "empty page"
    holding = []
    for key, value in _search_elements(query):
        if key in ("date_from", "date_to"):
            times = [str(log.get("time", ""))[:10] for log in logs]
            ok = (
                all(t >= value for t in times)
                if key == "date_from"
                else all(t <= value for t in times)
            )
        elif key == "username" and value == "me":
            continue  # NEWEST's caller: not comparable across servers
        else:
            found = [_log_field(log, key) for log in logs]
            if any(item is _UNCHECKABLE for item in found):
                continue
            ok = all(str(item).lower() == value for item in found)
        holding.append(f"{key}:{value} {'holds' if ok else 'does not hold'}")
    return "; ".join(holding) or "no checkable filter"


# Count and page are compared as classes that hold whatever the data: servers with other logs
# still agree on them, while the known differences (a count of 0 for an empty page, §3.2; no
# default limit, §3.1; a page longer than asked) change the class.


def _count_class(count: object, page_length: int) -> str:
    if not isinstance(count, int) or isinstance(count, bool):
        return f"not an integer: {count!r}"
    if page_length == 0:
        return "0 with an empty page" if count == 0 else "more than 0 with an empty page"
    return "at least the page length" if count >= page_length else "less than the page length"


def _page_class(request: ProbeRequest, page_length: int) -> str:
    limits = [value for name, value in request.params if name == "limit"]
    wanted = int(limits[0]) if len(limits) == 1 and limits[0].isdigit() else 0
    # No usable limit: NEWEST's default page is 100 logs (§3.1).
    most = wanted or 100
    if page_length == 0:
        return "empty"
    return f"1 to {most} logs" if page_length <= most else f"more than {most} logs"


def _times_descending(logs: Sequence[Mapping[str, Any]]) -> str:
    times = [str(log.get("time", "")) for log in logs]
    return "newest first" if all(a >= b for a, b in itertools.pairwise(times)) else "out of order"


def observe(request: ProbeRequest, response: httpx.Response) -> dict[str, str]:
    """The facts of a response that two servers must agree on, by aspect (see `ASPECTS`).

    Example:
        >>> response = httpx.Response(403, json={"message": "Forbidden."})
        >>> observe(ProbeRequest("GET", "/api/v2/audit"), response)["error"]
        'Forbidden.'
    """
    facts = {"status": str(response.status_code)}
    facts["headers"] = "; ".join(
        f"{name}: {_normalised(response.headers[name]) if name != 'www-authenticate' else 'present'}"
        for name in _COMPARED_HEADERS
        if name in response.headers
    )
    try:
        body = response.json() if response.content else None
    except ValueError:
        facts["shape"] = "not JSON"
        return facts
    facts["shape"] = _shape_text(body)
    if not isinstance(body, dict):
        return facts
    if "message" in body:
        facts["error"] = _normalised(
            " | ".join(str(body[key]) for key in ("message", "detail") if key in body)
        )
    if isinstance(body.get("validations"), list):
        facts["validations"] = "; ".join(
            sorted(
                _normalised(f"{item.get('field')}: {item.get('detail')}")
                for item in body["validations"]
                if isinstance(item, dict)
            )
        )
    logs = body.get("audit_logs")
    if isinstance(logs, list):
        dict_logs = [log for log in logs if isinstance(log, dict)]
        facts["count"] = _count_class(body.get("count"), len(logs))
        facts["page"] = _page_class(request, len(logs))
        facts["order"] = _times_descending(dict_logs)
        query = next((value for name, value in request.params if name == "q"), "")
        if query:
            facts["filter"] = _filters_holding(query, dict_logs)
    return facts


# -- the report ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Difference:
    """One way the two servers answer the same (minimal) request differently.

    Attributes:
        aspect: one of `ASPECTS`.
        request: the minimal request that shows it.
        left, right: what each server answered, as far as this aspect goes.
        curl: a command sending the request (`$CODER_URL` is the server's origin).

    Example:
        >>> d = Difference("status", ProbeRequest("GET", "/api/v2/audit"), "200", "401", "")
        >>> d.aspect, d.request.path
        ('status', '/api/v2/audit')
    """

    aspect: str
    request: ProbeRequest
    left: str
    right: str
    curl: str


@dataclasses.dataclass(frozen=True, slots=True)
class DiffReport:
    """What a differential run found.

    Attributes:
        left, right: the two servers ("in-process mock (2023-01)" or a URL).
        seed: the seed of the request stream (the same seed sends the same requests).
        requests_sent: request pairs sent, minimisation included.
        differences: every distinct difference, in the order found.
        skipped: requests not sent because a server had no token for their role.

    Example:
        >>> DiffReport("a", "b", 0, 0, (), 0).same
        True
    """

    left: str
    right: str
    seed: int
    requests_sent: int
    differences: tuple[Difference, ...]
    skipped: int

    @property
    def same(self) -> bool:
        """True when no difference was found."""
        return not self.differences

    def aspects(self) -> set[str]:
        """The aspects in which the servers differ."""
        return {difference.aspect for difference in self.differences}


def curl_command(request: ProbeRequest, tokens: Mapping[str, str]) -> str:
    """A curl command for `request` against `$CODER_URL`; private tokens become variables.

    Example:
        >>> curl_command(ProbeRequest("GET", "/api/v2/audit", (("q", "a b"),), role=None), {})
        'curl -sS -i "$CODER_URL"\\'/api/v2/audit?q=a+b\\''
    """
    token = request.token_text(tokens)
    headers, extra = _carry(request, token)
    query = urlencode([*request.params, *extra])
    if request.body is not None:
        headers = {**headers, "Content-Type": "application/json"}
    hidden = (
        {token: _curl.token_variable(str(request.role))}
        if token is not None and request.token is None and token not in DEFAULT_TOKENS.values()
        else None
    )
    return _curl.curl_command(
        request.method,
        request.path + ("?" + query if query else ""),
        headers.items(),
        request.body,
        origin_variable="CODER_URL",
        hidden=hidden,
    )


def _who(request: ProbeRequest) -> str:
    if request.token is not None:
        return f"the token {request.token!r} via {request.carrier}"
    if request.role is None:
        return "no token"
    return f"the {request.role}'s token via {request.carrier}"


def render_diff_report(report: DiffReport) -> str:
    """The report as text: a summary line, then each difference with its curl command.

    Example:
        >>> print(render_diff_report(DiffReport("mock", "mock:2023-01", 0, 12, (), 0)))
        mock vs mock:2023-01: no differences in 12 request pairs (seed 0)
    """
    found = f"{len(report.differences)} differences" if report.differences else "no differences"
    summary = (
        f"{report.left} vs {report.right}: {found} in {report.requests_sent} request pairs "
        f"(seed {report.seed})"
    )
    if report.skipped:
        summary += f"; {report.skipped} requests skipped: a server has no token for their role"
    lines = [summary]
    for number, difference in enumerate(report.differences, 1):
        request = difference.request
        lines += [
            "",
            f"{number}. [{difference.aspect}] {request.method} {request.target()}  ({_who(request)})",
            f"   left:  {difference.left}",
            f"   right: {difference.right}",
            f"   reproduce: {difference.curl}",
        ]
    return "\n".join(lines)


# -- the run -------------------------------------------------------------------------------------


class _Pair:
    """Both servers, how to compare their answers to one request, and their shape vocabularies.

    Shapes are compared over the whole run, not per request: which optional keys a page holds
    depends on its data (a user without an avatar has no `avatar_url`). A key is a difference
    only when one server never answers with it, for a status both servers answer with.
    """

    def __init__(self, left: Target, right: Target) -> None:
        self.sides = (left, right)
        self.sent = 0
        # per side: "<status> <path>" -> kinds seen there, and the first request that showed it
        self.vocabulary: tuple[dict[str, set[str]], dict[str, set[str]]] = ({}, {})
        self.first_seen: tuple[dict[str, ProbeRequest], dict[str, ProbeRequest]] = ({}, {})

    def can_send(self, request: ProbeRequest) -> bool:
        role = request.needs()
        return role is None or all(role in side.tokens for side in self.sides)

    def exchange(self, request: ProbeRequest) -> tuple[dict[str, str], dict[str, str]]:
        """Send `request` to both servers; their facts (see `observe`)."""
        self.sent += 1
        left, right = (observe(request, send(side, request)) for side in self.sides)
        return left, right

    def differing(
        self, request: ProbeRequest, *, learn: bool = False
    ) -> dict[str, tuple[str, str]]:
        """Aspect -> (left fact, right fact) for every per-request aspect the answers differ in."""
        facts = self.exchange(request)
        left, right = facts
        if learn and left["status"] == right["status"]:
            # Only answers of the same status teach shapes: a status difference is reported
            # as such, and its bodies' shapes would only repeat it.
            for side, observed in enumerate(facts):
                self._learn(side, request, observed)
        if left["status"] != right["status"]:
            return {"status": (_summary(left), _summary(right))}
        return {
            aspect: (left.get(aspect, "—"), right.get(aspect, "—"))
            for aspect in ASPECTS
            if aspect != "shape" and left.get(aspect) != right.get(aspect)
        }

    def _learn(self, side: int, request: ProbeRequest, facts: Mapping[str, str]) -> None:
        for path, kinds in _shape_paths(facts.get("shape", "")).items():
            key = f"{facts['status']} {path}"
            self.vocabulary[side].setdefault(key, set()).update(kinds.split("|"))
            self.first_seen[side].setdefault(key, request)

    def shows(self, side: int, key: str, request: ProbeRequest) -> bool:
        """Whether one server's answer to `request` has the shape path `key`."""
        self.sent += 1
        facts = observe(request, send(self.sides[side], request))
        status, _, path = key.partition(" ")
        return facts["status"] == status and path in _shape_paths(facts.get("shape", ""))

    def minimise(
        self, request: ProbeRequest, still: Callable[[ProbeRequest], bool]
    ) -> ProbeRequest:
        """The smallest request (greedily) for which `still` holds."""
        steps = 0
        improved = True
        while improved and steps < MAX_MINIMISE_STEPS:
            improved = False
            for smaller in _reductions(request):
                steps += 1
                if still(smaller):
                    request, improved = smaller, True
                    break
                if steps >= MAX_MINIMISE_STEPS:
                    break
        return request

    def shape_differences(self) -> list[Difference]:
        """Keys one server never answers with, and paths whose kinds never meet (§4.5)."""
        left, right = self.vocabulary
        statuses = {key.split(" ", 1)[0] for key in left} & {key.split(" ", 1)[0] for key in right}
        groups: dict[tuple[int, ProbeRequest], list[str]] = {}
        for side, (mine, theirs) in enumerate(((left, right), (right, left))):
            missing = {k for k in mine if k.split(" ", 1)[0] in statuses and k not in theirs}
            for key in sorted(missing):
                if not any(parent in missing for parent in _ancestors(key)):
                    groups.setdefault((side, self.first_seen[side][key]), []).append(key)
        differences = [
            self._one_sided(side, request, keys) for (side, request), keys in groups.items()
        ]
        clashes = sorted(k for k in left if k in right and left[k].isdisjoint(right[k]))
        for key in clashes:
            request = self.minimise(self.first_seen[0][key], functools.partial(self.shows, 0, key))
            differences.append(
                _difference(
                    "shape",
                    request,
                    self.sides[0].tokens,
                    f"{key}: {'|'.join(sorted(left[key]))}",
                    f"{key}: {'|'.join(sorted(right[key]))}",
                )
            )
        return differences

    def _shows_all(self, side: int, keys: list[str], request: ProbeRequest) -> bool:
        return all(self.shows(side, key, request) for key in keys)

    def still_differs(self, aspect: str, facts: tuple[str, str], request: ProbeRequest) -> bool:
        """Whether `request` shows the same difference in `aspect` (for `minimise`)."""
        return self.differing(request).get(aspect) == facts

    def _one_sided(self, side: int, request: ProbeRequest, keys: list[str]) -> Difference:
        request = self.minimise(request, functools.partial(self._shows_all, side, keys))
        has = "has " + ", ".join(keys)
        never = "never has " + ("it" if len(keys) == 1 else "them")
        left, right = (has, never) if side == 0 else (never, has)
        return _difference("shape", request, self.sides[0].tokens, left, right)


def _ancestors(key: str) -> Iterator[str]:
    """`200 a[].b.c` -> `200 a[].b`, `200 a[]`, `200 a`."""
    while True:
        parent = re.sub(r"(\[\]|\.[^.\[]+)$", "", key)
        if parent == key or parent.endswith(" "):
            return
        yield parent
        key = parent


def _difference(
    aspect: str, request: ProbeRequest, tokens: Mapping[str, str], left: str, right: str
) -> Difference:
    return Difference(aspect, request, left, right, curl_command(request, tokens))


def _summary(facts: Mapping[str, str]) -> str:
    text = facts["status"]
    if "error" in facts:
        text += " " + facts["error"]
    if "validations" in facts:
        text += " [" + facts["validations"] + "]"
    if "count" in facts:
        text += f" (page {facts['page']}, count {facts['count']})"
    return text


def _reductions(request: ProbeRequest) -> Iterator[ProbeRequest]:
    """Smaller variants: one parameter fewer, or one search element fewer."""
    params = request.params
    for index in range(len(params)):
        yield dataclasses.replace(request, params=params[:index] + params[index + 1 :])
    for index, (name, value) in enumerate(params):
        if name != "q":
            continue
        elements = _SPACE_FIELD.findall(value)
        for drop in range(len(elements)) if len(elements) > 1 else ():
            shorter = " ".join(elements[:drop] + elements[drop + 1 :])
            yield dataclasses.replace(
                request, params=params[:index] + (("q", shorter),) + params[index + 1 :]
            )


def run_diff(
    left: Target,
    right: Target,
    *,
    seed: int = 0,
    max_examples: int = DEFAULT_DIFF_EXAMPLES,
) -> DiffReport:
    """Send the request stream of `seed` to both targets and report every difference.

    Args:
        left, right: the servers (see `open_target`); each needs an owner's token. Requests
            for a role only one of them has a token for are skipped.
        seed: decides the generated part of the stream.
        max_examples: how many generated requests follow the fixed catalogue.

    Example:
        >>> from coder_audit_mock.contracts import open_target
        >>> with open_target() as left, open_target() as right:
        ...     run_diff(left, right, max_examples=5).same
        True
    """
    pair = _Pair(left, right)
    found: dict[tuple[str, str, str], Difference] = {}
    skipped = 0
    for request in request_stream(seed, max_examples):
        if not pair.can_send(request):
            skipped += 1
            continue
        for aspect, facts in pair.differing(request, learn=True).items():
            # One entry per distinct difference: the same facts from another request add nothing.
            if (aspect, *facts) in found:
                continue
            minimal = pair.minimise(request, functools.partial(pair.still_differs, aspect, facts))
            found[(aspect, *facts)] = _difference(aspect, minimal, left.tokens, *facts)
    differences = [*found.values(), *pair.shape_differences()]
    order = {aspect: index for index, aspect in enumerate(ASPECTS)}
    differences.sort(key=lambda difference: order[difference.aspect])
    return DiffReport(
        left=left.description,
        right=right.description,
        seed=seed,
        requests_sent=pair.sent,
        differences=tuple(differences),
        skipped=skipped,
    )


# -- the request stream --------------------------------------------------------------------------

_UUID_EXAMPLE = "5f2005fc-38f4-4c3c-9d5d-3b7fdf6c1a11"
# Search elements (§2): valid in both versions, valid in one only, invalid in both.
_SEARCH_ELEMENTS: tuple[str, ...] = (
    "resource_type:workspace",
    "resource_type:template",
    "resource_type:user",
    "resource_type:group",
    "resource_type:workspace_build",
    "resource_type:license",
    "resource_type:bogus",
    "workspace",
    "user",
    "Workspace",
    '"workspace"',
    "action:create",
    "action:write",
    "action:delete",
    "action:start",
    "action:login",
    "action:bogus",
    "Action:CREATE",
    "username:owner",
    "username:Owner",
    "username:me",
    "email:nobody@example.com",
    "date_from:2020-01-01",
    "date_to:2099-12-31",
    "date_from:2099-01-01",
    "date_to:2000-01-01",
    "date_from:2022-13-01",
    "date_to:bogus",
    f"resource_id:{_UUID_EXAMPLE}",
    "resource_id:bogus",
    f"request_id:{_UUID_EXAMPLE}",
    'resource_target:"my thing"',
    "build_reason:initiator",
    "build_reason:bogus",
    f"organization:{_UUID_EXAMPLE}",
    "foo:bar",
    "action:",
    ":create",
    "a:b:c",
    "foo bar",
)
_PAGE_VALUES: tuple[str, ...] = (
    "0", "1", "5", "25", "100", "", "-1", "bogus", "2147483648", "4294967297", "+5", "05",
    "99999999999999999999", "1.5",
)  # fmt: skip
_OFFSETS: tuple[str, ...] = ("0", "5", "100000", "-1", "x", "")
_AFTER_IDS: tuple[str, ...] = (_UUID_EXAMPLE, "bogus", "")
_ROLES: tuple[str, ...] = ("owner", "owner", "owner", "owner", "auditor", "org-admin", "member")
_CARRIERS: tuple[str, ...] = (
    "header",
    "bearer",
    "cookie",
    "query",
    "access_token",
    "devurl_cookie",
)
_BOGUS_TOKENS: tuple[str, ...] = (
    "not-a-token",
    "abcdefghij-0123456789abcdefghijkl",
    "abc-def",
    "owner00000-wrongsecret000000000000",
)
_BODIES: tuple[str, ...] = ("", "{", "null", "{}", '{"action": "bogus"}', '{"resource_id": "abc"}')


def _get(*params: tuple[str, str], purpose: str = "", **fields: Any) -> ProbeRequest:
    return ProbeRequest("GET", AUDIT_PATH, tuple(params), purpose=purpose, **fields)


def _catalogue() -> list[ProbeRequest]:
    """Requests each known to separate Coder versions (§0 timeline, §9)."""
    five = ("limit", "5")
    requests = [
        _get(five, purpose="a page"),
        _get(purpose="no limit: 100 logs, or an empty page (§9.4)"),
        _get(("limit", "0"), purpose="limit 0"),
        _get(five, ("offset", "100000"), purpose="offset past the end: count (§9.5)"),
        _get(("limit", "bogus"), purpose="pagination error text (§3.4)"),
        _get(("limit", "-1"), purpose="negative limit (§3.2, §3.4)"),
        _get(("offset", "-1"), five, purpose="negative offset"),
        _get(("limit", "2147483648"), purpose="beyond int32"),
        _get(five, ("limit", "6"), purpose="a repeated parameter"),
        _get(("after_id", "bogus"), five, purpose="after_id is validated"),
    ]
    requests += [
        _get(("q", element), five, purpose="search element")
        for element in (
            "foo:bar",
            "resource_type:bogus",
            "resource_type:group",
            "action:start",
            "action:create action:delete",
            "date_from:2022-13-01",
            "date_from:2099-01-01 date_to:2000-01-01",
            "resource_target:x",
            "username:me",
            "action:",
            "a:b:c",
            "resource_id:bogus",
            "workspace",
        )
    ]
    requests += [
        _get(five, role=None, purpose="no token (§6.2)"),
        _get(five, role=None, token=_BOGUS_TOKENS[1], purpose="unknown key id"),
        _get(five, carrier="bearer", purpose="Authorization: Bearer (§6.1)"),
        _get(five, carrier="access_token", purpose="query access_token (§6.1)"),
        _get(five, carrier="devurl_cookie", purpose="cookie coder_devurl_session_token (§6.1)"),
        _get(five, role="member", purpose="403 body (§9.13)"),
        _get(five, role="org-admin", purpose="organization-scoped reads (§6.3)"),
        _get(five, role="auditor", purpose="site-wide auditor"),
        ProbeRequest("GET", AUDIT_PATH + "/nope", role="member", purpose="unknown route"),
        ProbeRequest(
            "POST", TESTGENERATE_PATH, role="auditor", body="{", purpose="order of checks"
        ),
        ProbeRequest(
            "POST", TESTGENERATE_PATH, role="auditor", body="{}", purpose="non-owner insert"
        ),
        ProbeRequest("POST", TESTGENERATE_PATH, role="member", body="{}", purpose="member"),
        ProbeRequest(
            "POST", TESTGENERATE_PATH, body='{"action": "bogus"}', purpose="enum at insert"
        ),
    ]
    return requests


def _random_query(rng: random.Random) -> str:
    count = rng.choice((1, 1, 2, 2, 3))
    return " ".join(rng.choice(_SEARCH_ELEMENTS) for _ in range(count))


def _random_request(rng: random.Random) -> ProbeRequest:
    roll = rng.random()
    if roll < 0.08:
        return ProbeRequest(
            "POST",
            TESTGENERATE_PATH,
            role=rng.choice(("auditor", "org-admin", "member", None)),
            body=rng.choice(_BODIES),
            purpose="testgenerate refused",
        )
    if roll < 0.12:
        return _get(("limit", "1"), role=None, token=rng.choice(_BOGUS_TOKENS), purpose="bad token")
    params: list[tuple[str, str]] = []
    if rng.random() < 0.8:
        params.append(("q", _random_query(rng)))
    if rng.random() < 0.85:
        params.append(("limit", rng.choice(_PAGE_VALUES) if rng.random() < 0.3 else "5"))
    if rng.random() < 0.25:
        params.append(("offset", rng.choice(_OFFSETS)))
    if rng.random() < 0.1:
        params.append(("after_id", rng.choice(_AFTER_IDS)))
    if params and rng.random() < 0.05:
        params.append(rng.choice(params))  # a repeated parameter
    rng.shuffle(params)
    return _get(
        *params,
        role=rng.choice(_ROLES),
        carrier=rng.choice(_CARRIERS) if rng.random() < 0.2 else "header",
        purpose="generated",
    )


def request_stream(
    seed: int = 0, max_examples: int = DEFAULT_DIFF_EXAMPLES
) -> Iterator[ProbeRequest]:
    """The requests a diff sends: the fixed catalogue, then `max_examples` drawn with `seed`.

    Example:
        >>> first = list(request_stream(3, 10))
        >>> first == list(request_stream(3, 10)), len(first) > 10
        (True, True)
    """
    yield from _catalogue()
    rng = random.Random(f"coder-audit-mock diff {seed}")
    for _ in range(max_examples):
        yield _random_request(rng)
