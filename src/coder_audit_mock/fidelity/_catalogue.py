"""The exact-fidelity request catalogue: requests drawn from a deployment's own data.

`exchange_requests(scenario, tokens)` builds, from a recorded scenario (`record_scenario`), the
requests whose answers two servers holding that data must give byte for byte. The values come
from the data, so filters match real rows: every search key with values that exist (each
resource type, action and build reason, every username and email, ids and targets taken from
logs, organizations by name and id, dates at the data's own day edges), bad values for each
key, quoting, free text and combinations; pagination at and around the data's edges and the
count cap; every token carrier and kind of 401; every role's view of each resource type;
unknown routes and methods; testgenerate bodies that are refused. With `writes=True` (only for
a throwaway server) it ends with testgenerate calls that write, each followed by a read of
what it wrote.

The same scenario and seed give the same list, in the same order.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
import uuid
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from ..mockserver._model import AUDIT_ACTIONS, BUILD_REASONS, RESOURCE_TYPES
from ._exchange import ExchangeRequest

__all__ = ["CatalogueEntry", "exchange_requests"]

AUDIT = "/api/v2/audit"
TESTGENERATE = "/api/v2/audit/testgenerate"
USER_AGENT = "coder-audit-mock-fidelity/1"
_NIL = "00000000-0000-0000-0000-000000000000"
_UNKNOWN_UUID = "5f2005fc-38f4-4c3c-9d5d-3b7fdf6c1a11"
# Roles a corpus may hold tokens for; requests for a role without a token are left out.
ROLES: tuple[str, ...] = (
    "owner",
    "auditor",
    "org-admin",
    "org-auditor",
    "member",
    "template-admin",
    "user-admin",
    "mixed-case",
)
READERS: tuple[str, ...] = ("auditor", "org-admin", "org-auditor")


@dataclasses.dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """One request of the catalogue, what it exercises, and the body paths the server randomises.

    Example:
        >>> entry = CatalogueEntry("paging: limit 1", ExchangeRequest("GET", "/api/v2/audit?limit=1"))
        >>> entry.writes
        False
    """

    purpose: str
    request: ExchangeRequest
    volatile: tuple[str, ...] = ()
    writes: bool = False


def _q(value: str) -> str:
    # Encode like a browser's URLSearchParams would, but spaces as %20 (both parse the same).
    return quote(value, safe="")


class _Builder:
    def __init__(self, scenario: Mapping[str, Any], tokens: Mapping[str, str], seed: int) -> None:
        self.scenario = scenario
        self.tokens = dict(tokens)
        self.rng = random.Random(f"coder-audit-mock catalogue {seed}")
        self.entries: list[CatalogueEntry] = []
        self.logs: list[dict[str, Any]] = list(scenario.get("logs") or [])

    # -- building requests ----------------------------------------------------------------

    def headers(
        self, role: str | None, carrier: str = "header", token: str | None = None
    ) -> list[tuple[str, str]]:
        headers: list[tuple[str, str]] = [("User-Agent", USER_AGENT)]
        value = token if token is not None else (self.tokens.get(role) if role else None)
        if value is None:
            return headers
        if carrier == "header":
            headers.append(("Coder-Session-Token", value))
        elif carrier == "bearer":
            headers.append(("Authorization", f"Bearer {value}"))
        elif carrier == "cookie":
            headers.append(("Cookie", f"coder_session_token={value}"))
        elif carrier == "devurl_cookie":
            headers.append(("Cookie", f"coder_devurl_session_token={value}"))
        return headers

    def query_token(self, role: str | None, carrier: str, token: str | None) -> list[str]:
        value = token if token is not None else (self.tokens.get(role) if role else None)
        if value is None:
            return []
        if carrier == "query":
            return [f"coder_session_token={_q(value)}"]
        if carrier == "access_token":
            return [f"access_token={_q(value)}"]
        return []

    def add(
        self,
        purpose: str,
        params: Sequence[str] = (),
        *,
        role: str | None = "owner",
        carrier: str = "header",
        token: str | None = None,
        method: str = "GET",
        path: str = AUDIT,
        body: str | None = None,
        extra_headers: Sequence[tuple[str, str]] = (),
        volatile: Sequence[str] = (),
        writes: bool = False,
    ) -> None:
        if role is not None and token is None and role not in self.tokens:
            return
        parts = [*params, *self.query_token(role, carrier, token)]
        target = path + ("?" + "&".join(parts) if parts else "")
        headers = self.headers(role, carrier, token) + list(extra_headers)
        if any(value != value.strip(" \t") for _, value in headers):
            return  # HTTP/1.1 strips a header value's outer whitespace: not sendable as such
        if body is not None and not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", "application/json"))
        request = ExchangeRequest(method, target, tuple(headers), body)
        self.entries.append(CatalogueEntry(purpose, request, tuple(volatile), writes))

    def search(self, purpose: str, q: str, limit: int = 3, **kw: Any) -> None:
        self.add(purpose, [f"q={_q(q)}", f"limit={limit}"], **kw)

    # -- facts from the data --------------------------------------------------------------

    def distinct(self, field: str) -> list[Any]:
        seen: dict[str, Any] = {}
        for log in self.logs:
            value = log.get(field)
            seen.setdefault(json.dumps(value, sort_keys=True), value)
        return list(seen.values())

    def sample(self, values: Sequence[Any], count: int) -> list[Any]:
        values = list(values)
        return values if len(values) <= count else self.rng.sample(values, count)

    def log_days(self) -> list[str]:
        days = sorted({str(log["time"])[:10] for log in self.logs})
        return days

    # -- the catalogue --------------------------------------------------------------------

    def build(self, writes: bool) -> list[CatalogueEntry]:
        self.paging()
        self.search_keys()
        self.search_grammar()
        self.combinations()
        self.auth()
        self.roles()
        self.routes()
        self.csrf()
        self.testgenerate_refused()
        if writes:
            self.testgenerate_writes()
        return self.entries

    def paging(self) -> None:
        total = len(self.logs)
        self.add("paging: no parameters (default limit 100)")
        for limit in ("0", "1", "2", "5", "25"):
            self.add(f"paging: limit {limit}", [f"limit={limit}"] if limit != "0" else ["limit=0"])
        for offset in ("0", "1", "7", "99", str(total - 3), str(total - 1), str(total),
                       str(total + 1), "2000", "2001", "100000", "2147483647"):  # fmt: skip
            self.add(f"paging: offset {offset}", ["limit=3", f"offset={offset}"])
        self.add("paging: the page past the count cap", ["limit=5", "offset=1998"])
        self.add("paging: a big limit at the end", ["limit=2147483647", f"offset={total - 2}"])
        self.add("paging: frontend's first page", ["offset=0", "limit=25"])
        self.add("paging: frontend's second page", ["offset=25", "limit=25"])
        bad = ("-1", "-0", "bogus", "2147483648", "4294967297", "99999999999999999999", "+5",
               "05", "1.5", "0x10", "1e2", " 5", "5 ", "%205", "", "\u00bd", "%FF", "٣")  # fmt: skip
        for value in bad:
            self.add(
                f"paging: limit {value!r}", [f"limit={_q(value) if '%' not in value else value}"]
            )
            self.add(
                f"paging: offset {value!r}",
                ["limit=1", f"offset={_q(value) if '%' not in value else value}"],
            )
        for value in (_UNKNOWN_UUID, "bogus", _UNKNOWN_UUID[:-1], _UNKNOWN_UUID + "a",
                      "{" + _UNKNOWN_UUID + "}", "urn:uuid:" + _UNKNOWN_UUID,
                      _UNKNOWN_UUID.replace("-", ""), _UNKNOWN_UUID.upper(), _NIL, ""):  # fmt: skip
            self.add(f"paging: after_id {value!r}", ["limit=2", f"after_id={_q(value)}"])
        self.add("paging: every parameter bad at once", ["after_id=x", "limit=-1", "offset=y"])
        self.add("paging: limit repeated", ["limit=1", "limit=2"])
        self.add("paging: offset repeated", ["limit=1", "offset=1", "offset=2"])
        self.add("paging: after_id repeated", ["limit=1", f"after_id={_NIL}", f"after_id={_NIL}"])
        self.add(
            "paging: q repeated (the first counts)", ["q=action%3Acreate", "q=bogus", "limit=2"]
        )
        self.add("paging: bad paging and bad q (paging first)", ["limit=x", "q=bogus"])
        self.add("paging: unknown parameters ignored", ["limit=1", "foo=bar", "page=3"])
        self.add("paging: empty q", ["q=", "limit=2"])
        self.add("paging: q of spaces", ["q=%20%20%20", "limit=2"])

    def search_keys(self) -> None:
        for resource_type in RESOURCE_TYPES:
            self.search(f"search: resource_type {resource_type}", f"resource_type:{resource_type}")
        for action in AUDIT_ACTIONS:
            self.search(f"search: action {action}", f"action:{action}")
        for reason in BUILD_REASONS:
            self.search(f"search: build_reason {reason}", f"build_reason:{reason}")
        users = self.scenario.get("users") or []
        for user in users:
            name = user["username"]
            self.search(f"search: username {name}", f"username:{name}")
            self.search(f"search: username {name} upper-cased", f"username:{name.upper()}")
            self.search(f"search: email of {name}", f"email:{user['email']}")
        self.search("search: username me", "username:me")
        self.search("search: username nobody", "username:nobody-here")
        self.search("search: email unknown", "email:nobody@example.com")
        for organization in self.scenario.get("organizations") or []:
            self.search(f"search: organization {organization['name']}",
                        f"organization:{organization['name']}")  # fmt: skip
            self.search(f"search: organization id {organization['name']}",
                        f"organization:{organization['id']}")  # fmt: skip
        org_ids = [v for v in self.distinct("organization") if v]
        for org_id in org_ids:
            self.search("search: organization id from a log", f"organization:{org_id}")
        self.search("search: organization unknown name", "organization:no-such-org")
        self.search("search: organization unknown id", f"organization:{_UNKNOWN_UUID}")
        self.search("search: organization nil id", f"organization:{_NIL}")
        by_type: dict[str, list[dict[str, Any]]] = {}
        for log in self.logs:
            by_type.setdefault(log["resource_type"], []).append(log)
        for resource_type, logs in sorted(by_type.items()):
            for log in self.sample(logs, 2):
                self.search(f"search: resource_id of a {resource_type} log",
                            f"resource_id:{log['resource_id']}")  # fmt: skip
        request_ids = [v for v in self.distinct("request_id") if v and v != _NIL]
        for request_id in self.sample(request_ids, 8):
            self.search("search: request_id from a log", f"request_id:{request_id}")
        self.search("search: request_id nil", f"request_id:{_NIL}")
        for target in self.distinct("resource_target"):
            quoted = (
                f'resource_target:"{target}"'
                if (" " in target or ":" in target)
                else (f"resource_target:{target}")
            )
            self.search(f"search: resource_target {target!r}", quoted)
        days = self.log_days()
        edges = days[:2] + days[len(days) // 2 : len(days) // 2 + 2] + days[-2:]
        for day in edges:
            self.search(f"search: date_from {day}", f"date_from:{day}")
            self.search(f"search: date_to {day}", f"date_to:{day}")
            self.search(f"search: one day {day}", f"date_from:{day} date_to:{day}", limit=10)
        for day in self.sample(days, 10):
            self.search(f"search: the day {day}", f"date_from:{day} date_to:{day}", limit=10)
        for value in ("2022-13-01", "2022-02-30", "2024-02-29", "2023-02-29", "2006", "20240101",
                      "2024-1-1", "2024-01-01T00:00:00Z", "yesterday", "0000-01-01",
                      "9999-12-31", "0001-01-01"):  # fmt: skip
            self.search(f"search: date_from {value!r}", f"date_from:{value}")
            self.search(f"search: date_to {value!r}", f"date_to:{value}")
        self.search("search: date_to before date_from", "date_from:2026-01-02 date_to:2026-01-01")
        invalid = {
            "resource_type": ("bogus", "Workspace_Build", "auditable_group", "workspace build"),
            "action": ("bogus", "created", "Login"),
            "build_reason": ("bogus", "Initiator"),
            "resource_id": ("bogus", "1234", _UNKNOWN_UUID[:-1]),
            "request_id": ("bogus", "{" + _UNKNOWN_UUID + "}"),
            "organization": ("not a name",),
        }
        for key, values in invalid.items():
            for value in values:
                text = f'{key}:"{value}"' if " " in value else f"{key}:{value}"
                self.search(f"search: {key} {value!r}", text)
        for key in ("resource_type", "action", "username", "email", "date_from", "date_to",
                    "organization", "resource_id", "request_id", "build_reason",
                    "resource_target"):  # fmt: skip
            self.search(f"search: {key} empty (quoted)", f'{key}:""')
            self.search(f"search: {key} given twice", f"{key}:a {key}:b")
        for key in ("foo", "user", "target", "resource", "Q", "limit", "page"):
            self.search(f"search: unknown key {key}", f"{key}:x")
        self.search("search: several unknown keys", "foo:1 bar:2")
        self.search("search: an unknown key and a bad enum", "action:bogus foo:bar")

    def search_grammar(self) -> None:
        cases = {
            "free text: a resource type": "workspace",
            "free text: upper-cased": "WORKSPACE",
            "free text: quoted": '"workspace"',
            "free text: two words": "workspace build",
            "free text: two words, one valid": "template foo",
            "free text: and resource_type": "workspace resource_type:user",
            "free text: bogus": "bogus",
            "grammar: key case": "Action:CREATE",
            "grammar: value case": "action:Create",
            "grammar: leading colon": ":create",
            "grammar: trailing colon": "action:",
            "grammar: lone colon": ":",
            "grammar: two colons": "a:b:c",
            "grammar: two colons quoted": 'resource_target:"a:b"',
            "grammar: unclosed quote": 'resource_target:"open',
            "grammar: quote in the key": '"action":create',
            "grammar: spaces around": "  action:create   resource_type:workspace  ",
            "grammar: tab": "action:create\tresource_type:workspace",
            "grammar: newline": "action:create\nresource_type:workspace",
            "grammar: empty quoted free text": '""',
            "grammar: only quotes": '"" ""',
            "grammar: a colon inside quotes only": '":"',
            "grammar: escaped quote": 'resource_target:"a\\"b"',
            "grammar: unicode key": "\u00e4ction:create",
            "grammar: HTML in a value": "resource_target:<b>&amp;",
            "grammar: percent": "resource_target:100%",
            "grammar: plus": "resource_target:a+b",
            "grammar: username me upper": "username:ME",
            "grammar: very long value": "resource_target:" + "x" * 3000,
            "grammar: many elements": " ".join(f"k{i}:v" for i in range(40)),
        }
        for purpose, q in cases.items():
            self.search(purpose, q)
        self.add(
            "grammar: q with a raw plus", ["q=action:create+resource_type:workspace", "limit=2"]
        )
        self.add("grammar: q with %2B", ["q=action%3Acreate%2Bx", "limit=2"])
        self.add("grammar: q with a bad escape", ["q=action%3Acreate%ZZ", "limit=2"])
        self.add("grammar: q with invalid UTF-8", ["q=resource_target%3A%FF%FE", "limit=2"])
        self.add("grammar: a semicolon in the query", ["q=action:create;limit=2"])
        self.add("grammar: a key of invalid UTF-8", ["q=%FF%3Ax", "limit=2"])
        self.add("grammar: username of invalid UTF-8", ["q=username%3A%FFab", "limit=2"])
        self.add("grammar: resource_id of invalid UTF-8", ["q=resource_id%3A%FF", "limit=2"])
        self.add("paging: offset of a cut UTF-8 sequence", ["limit=1", "offset=%C3"])
        self.add("paging: after_id of invalid UTF-8", ["limit=1", "after_id=%FF%FE"])
        self.add("paging: limit of UTF-8 digits", ["limit=%EF%BC%91"])

    def combinations(self) -> None:
        simple: list[str] = []
        simple += [f"resource_type:{t}" for t in ("workspace", "template", "user",
                                                    "workspace_build", "api_key", "group")]  # fmt: skip
        simple += [f"action:{a}" for a in ("create", "write", "delete", "start", "login")]
        simple += [
            f"username:{u['username']}" for u in self.sample(self.scenario.get("users") or [], 5)
        ]
        simple += [f"build_reason:{r}" for r in ("initiator", "autostart", "cli")]
        days = self.log_days()
        if days:
            simple += [f"date_from:{days[len(days) // 3]}", f"date_to:{days[2 * len(days) // 3]}"]
        simple += [f"organization:{o['name']}" for o in self.scenario.get("organizations") or []]
        for _ in range(160):
            count = self.rng.choice((2, 2, 2, 3, 3, 4))
            chosen = self.rng.sample(simple, count)
            if len({part.split(":")[0] for part in chosen}) < count:
                continue  # a repeated key is covered above; combinations filter
            self.search("combination", " ".join(chosen), limit=self.rng.choice((1, 2, 5)))

    def auth(self) -> None:
        carriers = ("header", "bearer", "cookie", "query", "access_token", "devurl_cookie")
        for carrier in carriers:
            self.add(f"auth: owner via {carrier}", ["limit=1"], carrier=carrier)
            for role in ("expired", "suspended", "deleted"):
                if role in self.tokens:
                    self.add(f"auth: {role} token via {carrier}", ["limit=1"], role=role,
                             carrier=carrier)  # fmt: skip
        owner = self.tokens.get("owner", "")
        key_id, _, _secret = owner.partition("-")
        bogus = {
            "one part": "abcdef",
            "three parts": "abc-def-ghi",
            "short id": "abc-" + "x" * 22,
            "long id": "abcdefghijk-" + "x" * 22,
            "short secret": "abcdefghij-xyz",
            "long secret": "abcdefghij-" + "x" * 23,
            "unknown id": "abcdefghij-" + "x" * 22,
            "wrong secret": f"{key_id}-" + "y" * 22,
            "empty": "",
            "only a dash": "-",
            "spaces around": f" {owner} ",
            "lower-cased": owner.lower(),
            "non-ASCII": "abcdefghij-" + "\u00e9" * 22,
        }
        for purpose, token in bogus.items():
            for carrier in ("header", "cookie", "query", "bearer"):
                if purpose == "non-ASCII" and carrier in ("header", "cookie", "bearer"):
                    continue  # not sendable as an HTTP header value
                self.add(f"auth: {purpose} token via {carrier}", ["limit=1"], token=token,
                         carrier=carrier)  # fmt: skip
        self.add("auth: none", ["limit=1"], role=None)
        self.add("auth: none, bad paging", ["limit=x"], role=None)
        self.add("auth: header and query (query wins)", ["limit=1", "coder_session_token=abcdef"])
        self.add("auth: cookie and header (cookie wins)", ["limit=1"],
                 extra_headers=[("Cookie", "coder_session_token=abcdef")])  # fmt: skip
        self.add("auth: empty cookie, then header", ["limit=1"],
                 extra_headers=[("Cookie", "coder_session_token=")])  # fmt: skip
        self.add("auth: bearer lower-case scheme", ["limit=1"], role=None,
                 extra_headers=[("Authorization", f"bearer {owner}")])  # fmt: skip
        self.add("auth: basic scheme", ["limit=1"], role=None,
                 extra_headers=[("Authorization", f"Basic {owner}")])  # fmt: skip
        self.add("auth: bearer without a token", ["limit=1"], role=None,
                 extra_headers=[("Authorization", "Bearer")])  # fmt: skip
        self.add("auth: two cookies", ["limit=1"], role=None,
                 extra_headers=[("Cookie", f"coder_session_token=abcdef; coder_session_token={owner}")])  # fmt: skip
        self.add("auth: header in lower case", ["limit=1"], role=None,
                 extra_headers=[("coder-session-token", owner)])  # fmt: skip
        for role in ("expired", "suspended"):
            if role in self.tokens:
                self.add(f"auth: {role}, bad paging", ["limit=x"], role=role)
                self.add(f"auth: {role}, testgenerate", [], role=role, method="POST",
                         path=TESTGENERATE, body="{}")  # fmt: skip

    def roles(self) -> None:
        for role in ROLES:
            self.add(f"role {role}: first page", ["limit=5"], role=role)
            self.add(f"role {role}: bad paging", ["limit=x"], role=role)
            self.add(f"role {role}: bad q", ["q=bogus"], role=role)
            self.add(f"role {role}: page past the end", ["limit=2", "offset=2148"], role=role)
            self.add(f"role {role}: username me", ["q=username%3Ame", "limit=2"], role=role)
            for organization in self.scenario.get("organizations") or []:
                self.add(f"role {role}: organization by name",
                         [f"q=organization%3A{_q(organization['name'])}", "limit=2"], role=role)  # fmt: skip
            self.add(f"role {role}: organization unknown id",
                     [f"q=organization%3A{_UNKNOWN_UUID}", "limit=2"], role=role)  # fmt: skip
        # What each reader sees of every resource type: is_deleted and resource_link are
        # looked up with the caller's own permissions.
        for role in ("owner", *READERS):
            for resource_type in RESOURCE_TYPES:
                self.search(f"role {role}: resource_type {resource_type}",
                            f"resource_type:{resource_type}", limit=4, role=role)  # fmt: skip

    def routes(self) -> None:
        for method in ("PUT", "PATCH", "DELETE", "POST", "HEAD", "OPTIONS"):
            self.add(f"route: {method} /api/v2/audit", [], method=method)
            self.add(f"route: {method} /api/v2/audit without a token", [], method=method, role=None)
        for method in ("GET", "PUT", "DELETE"):
            self.add(f"route: {method} testgenerate", [], method=method, path=TESTGENERATE)
        for path in ("/api/v2/audit/", "/api/v2/audit/x", "/api/v2/audit/testgenerate/",
                     "/api/v2/audit/testgenerate/x", "/api/v2/auditx", "/api/v2/audit//",
                     "/api/v2/Audit", "/api/v2/audit/%2e%2e", "/api/v2/nonexistent",
                     "/api/v2/audit/logs"):  # fmt: skip
            self.add(f"route: GET {path}", ["limit=1"], path=path)
            self.add(f"route: GET {path} without a token", ["limit=1"], path=path, role=None)
        self.add("route: HEAD with paging", ["limit=1"], method="HEAD")

    def routes_with_slashes(self) -> None:
        # Coder's singleSlashMW: routing sees runs of slashes as one.
        for path in ("//api/v2/audit", "/api//v2/audit", "/api/v2//audit/", "/api/v2/audit///"):
            self.add(f"route: GET {path}", ["limit=1"], path=path)
        self.add("route: POST //api/v2/audit//testgenerate, bad body", [], method="POST",
                 path="//api/v2/audit//testgenerate", body="{")  # fmt: skip
        self.add("route: GET /api/v2/audit//testgenerate", [], path="/api/v2/audit//testgenerate")

    def csrf(self) -> None:
        """Cookie-authenticated unsafe requests (Coder's CSRF middleware). Bodies never store."""
        self.routes_with_slashes()
        owner = self.tokens.get("owner", "")
        other = next((t for r, t in self.tokens.items() if r != "owner"), "")
        cases: list[tuple[str, list[tuple[str, str]], list[str]]] = [
            ("cookie only", [], []),
            ("cookie and the same header", [("Coder-Session-Token", owner)], []),
            ("cookie and another header", [("Coder-Session-Token", other)], []),
            ("cookie and a bearer header", [("Authorization", "Bearer x")], []),
            ("cookie and a bogus X-CSRF-Token", [("X-CSRF-Token", "bogus")], []),
            (
                "cookie and a well-formed unknown X-CSRF-Token",
                [("X-CSRF-Token", "A" * 88), ("Cookie", "csrf_token=" + "B" * 44)],
                [],
            ),
            ("cookie and the same query token", [], [f"coder_session_token={owner}"]),
            ("cookie and a provisioner key", [("Coder-Provisioner-Daemon-Key", "x")], []),
            ("cookie and an Origin header", [("Origin", "http://evil.example")], []),
        ]
        for purpose, headers, params in cases:
            self.add(f"csrf: testgenerate, {purpose}", params, method="POST", path=TESTGENERATE,
                     body="{", carrier="cookie", extra_headers=headers)  # fmt: skip
        self.add("csrf: testgenerate, an empty cookie and the header", [], method="POST",
                 path=TESTGENERATE, body="{",
                 extra_headers=[("Cookie", "coder_session_token=")])  # fmt: skip
        for method in ("PUT", "DELETE", "PATCH", "POST"):
            self.add(f"csrf: {method} /api/v2/audit with a cookie", [], method=method,
                     carrier="cookie")  # fmt: skip
        self.add("csrf: POST /api/v2/nonexistent with a cookie", [], method="POST",
                 path="/api/v2/nonexistent", carrier="cookie")  # fmt: skip
        self.add("csrf: testgenerate as an auditor with a cookie", [], method="POST",
                 path=TESTGENERATE, body="{", carrier="cookie", role="auditor")  # fmt: skip
        self.add("csrf: GET with a cookie is never checked", ["limit=1"], carrier="cookie",
                 extra_headers=[("Coder-Session-Token", other)])  # fmt: skip

    def testgenerate_refused(self) -> None:
        bodies = {
            "empty": "",
            "not JSON": "{",
            "null": "null",
            "array": "[]",
            "string": '"x"',
            "number": "1",
            "trailing garbage": "{} x",
            "two objects": "{}{}",
            "action a number": '{"action": 1}',
            "action null then empty": '{"action": null}',
            "resource_id bad": '{"resource_id": "abc"}',
            "resource_id number": '{"resource_id": 5}',
            "organization_id bad": '{"organization_id": "nope"}',
            "request_id bad": '{"request_id": "00000000-0000-0000-0000-00000000000g"}',
            "time not RFC 3339": '{"time": "2024-01-01"}',
            "time a number": '{"time": 1700000000}',
            "time with a bad zone": '{"time": "2024-01-01T00:00:00+25:00"}',
            "time year 10000": '{"time": "10000-01-01T00:00:00Z"}',
            "additional_fields a string": '{"additional_fields": "x"}',
            "build_reason a number": '{"build_reason": 1}',
            "deeply nested": '{"additional_fields": ' + "[" * 600 + "]" * 600 + "}",
            "unknown enum action": '{"action": "bogus"}',
            "unknown enum resource_type": '{"resource_type": "bogus"}',
            "action case": '{"action": "Create"}',
            "two type errors": '{"action": 1, "resource_type": 2}',
            "type error then a syntax error": '{"action": 1, "resource_type": }',
        }
        for purpose, body in bodies.items():
            self.add(f"testgenerate refused: {purpose}", [], method="POST", path=TESTGENERATE,
                     body=body, role="member")  # fmt: skip
            self.add(f"testgenerate refused as auditor: {purpose}", [], method="POST",
                     path=TESTGENERATE, body=body, role="auditor")  # fmt: skip
        for role in ROLES:
            if role != "owner":
                self.add(f"testgenerate refused: role {role}", [], method="POST",
                         path=TESTGENERATE, body='{"action":"create"}', role=role)  # fmt: skip
        self.add("testgenerate refused: no token", [], method="POST", path=TESTGENERATE,
                 body="{}", role=None)  # fmt: skip
        self.add("testgenerate refused: no token, bad body", [], method="POST",
                 path=TESTGENERATE, body="{", role=None)  # fmt: skip
        self.add("testgenerate: cookie without CSRF token", [], method="POST",
                 path=TESTGENERATE, body='{"action":"bogus"}', carrier="cookie")  # fmt: skip
        for purpose, body in bodies.items():
            if purpose.startswith("unknown enum") or purpose in ("empty", "not JSON", "array",
                                                                 "resource_id bad", "two type errors",
                                                                 "time not RFC 3339", "deeply nested",
                                                                 "action case"):  # fmt: skip
                self.add(f"testgenerate refused as owner: {purpose}", [], method="POST",
                         path=TESTGENERATE, body=body)  # fmt: skip

    def testgenerate_writes(self) -> None:
        org_ids = [o["id"] for o in self.scenario.get("organizations") or []]
        shapes: tuple[Any, ...] = (
            {},
            {"workspace_name": "dev", "build_number": "3"},
            {"z": 1, "aa": 2, "b": {"y": 1, "x": [3, 2]}},
            None,
            [1, 2],
            "text",
            12.5,
        )
        raw_fields = (
            '{"price": 1.0, "exp": 1E+2, "tiny": 1e-7, "big": 123456789012345678901234567890}',
            '{"a":1,"a":2}',
            '{"html": "<a&b>", "sep": "\\u2028", "esc": "\\u00e9\\n\\t\\\\"}',
            '{ "spaced" : [ 1 , 2 ] }',
            '{"n": [1.50, -0, -0.0, 0.1e1, 1E-10, 5e+3, 1.0E0, 100, 2.5e-3, 1e21, -1.25e2]}',
            '{"workspace_name": "w", "build_number": 7, "nested": {"f": 0.000001}}',
        )
        base = dt.datetime(2026, 11, 20, 10, 0, 0, tzinfo=dt.UTC)
        for index in range(len(shapes) + len(raw_fields) + 12):
            request_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
            resource_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
            moment = base + dt.timedelta(minutes=index, microseconds=index * 1001)
            fields: dict[str, Any] = {
                "action": AUDIT_ACTIONS[index % len(AUDIT_ACTIONS)],
                "resource_type": RESOURCE_TYPES[(index * 7) % len(RESOURCE_TYPES)],
                "resource_id": resource_id,
                "request_id": request_id,
                "time": moment.isoformat().replace("+00:00", "Z"),
            }
            if index % 3 == 0 and org_ids:
                fields["organization_id"] = org_ids[0]
            if index % 4 == 1:
                fields["build_reason"] = "autostart"
            raw_extra = ""
            if index < len(shapes):
                fields["additional_fields"] = shapes[index]
            elif index < len(shapes) + len(raw_fields):
                raw_extra = raw_fields[index - len(shapes)]
            body = json.dumps(fields)
            if raw_extra:
                body = body[:-1] + ', "additional_fields": ' + raw_extra + "}"
            self.add(f"testgenerate writes #{index}", [], method="POST", path=TESTGENERATE,
                     body=body, writes=True)  # fmt: skip
            self.search(f"testgenerate read-back #{index}", f"request_id:{request_id}",
                        volatile=["body.audit_logs[*].id"])  # fmt: skip
        # Defaults: no body fields at all (time now, random resource id).
        self.add("testgenerate writes: defaults", [], method="POST", path=TESTGENERATE,
                 body="{}", writes=True)  # fmt: skip
        self.add("testgenerate read-back: defaults (newest log)", ["limit=1"],
                 volatile=["body.audit_logs[*].id", "body.audit_logs[*].time",
                           "body.audit_logs[*].resource_id"])  # fmt: skip
        self.add("testgenerate writes: keys in other cases", [], method="POST",
                 path=TESTGENERATE, writes=True,
                 body='{"ACTION": "delete", "Resource_Type": "template", '
                 f'"request_id": "{_UNKNOWN_UUID}", "Time": "2026-11-21T00:00:00.5+02:00"}}')  # fmt: skip
        self.search("testgenerate read-back: keys in other cases", f"request_id:{_UNKNOWN_UUID}",
                    volatile=["body.audit_logs[*].id", "body.audit_logs[*].resource_id"])  # fmt: skip
        self.add("paging: count after the writes", ["limit=1"],
                 volatile=["body.audit_logs[*].id", "body.audit_logs[*].time",
                           "body.audit_logs[*].resource_id"])  # fmt: skip


def exchange_requests(
    scenario: Mapping[str, Any],
    tokens: Mapping[str, str],
    *,
    writes: bool = False,
    seed: int = 0,
) -> list[CatalogueEntry]:
    """The catalogue for a deployment's data (see the module doc).

    Args:
        scenario: the deployment's data as `record_scenario` returns it.
        tokens: role -> session token; requests for roles without a token are left out.
            Roles: owner, auditor, org-admin, org-auditor, member, template-admin, user-admin,
            mixed-case, and the refused kinds expired, suspended, deleted.
        writes: end with testgenerate calls that write (never against a server that matters).
        seed: decides the sampled values and combinations.

    Example:
        >>> entries = exchange_requests({"logs": [], "users": []}, {"owner": "a" * 10 + "-" + "b" * 22})
        >>> entries[0].request.target
        '/api/v2/audit'
        >>> any(entry.writes for entry in entries)
        False
    """
    return _Builder(scenario, tokens, seed).build(writes)
