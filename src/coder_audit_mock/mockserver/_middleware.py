"""Pure ASGI middlewares of the standalone server: CORS, fault injection, journal and access log.

None of these exist in Coder (Coder's UI is served from the same origin, §8); they are
what a frontend developer needs around the faithful API: calls from another origin, slow or
failing answers on demand, and a trace of what the UI sent.

```
RequestRecorder   one journal entry and one access-log line per request, tokens redacted
└── CORSMiddleware answers preflights, adds Access-Control-* headers (also to injected faults)
    └── FaultMiddleware   delays and/or answers 500/503 on matching paths, seeded RNG
        └── the app
```
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import re
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from typing import Any, TextIO

import anyio
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._answers import CachedAnswer, request_key
from ._errors import MockServerError
from ._goparse import parse_go_query
from ._journal import (
    JOURNAL_BODY_BYTES,
    RequestJournal,
)
from ._json import MEDIA_TYPE, go_json_bytes

# §6.1: the query parameters that carry a session token; their values never reach a
# log line or the journal.
TOKEN_QUERY_PARAMS: frozenset[str] = frozenset({"coder_session_token", "access_token"})
REDACTED = "REDACTED"

# ---------------------------------------------------------------------------------------------
# helpers


async def send_json(
    send: Send, status: int, body: Mapping[str, Any], headers: Iterable[tuple[str, str]] = ()
) -> None:
    """Answer with a Coder-shaped JSON body (§1.5: Go encoding, trailing newline).

    Example:
        >>> import asyncio
        >>> sent = []
        >>> async def collect(message): sent.append(message)
        >>> asyncio.run(send_json(collect, 503, {"message": "x"}))
        >>> sent[1]["body"]
        b'{"message":"x"}\\n'
    """
    payload = go_json_bytes(body) + b"\n"
    raw_headers = [
        (b"content-type", MEDIA_TYPE.encode()),
        (b"content-length", str(len(payload)).encode()),
        *((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": payload})


def redact_query_string(raw: bytes) -> str:
    """The raw query string with the values of token parameters replaced by `REDACTED`.

    Pairs are split on `&` and `;`, and names are percent-decoded before the comparison, so
    that no spelling of a token parameter slips through.

    Example:
        >>> redact_query_string(b"limit=5&coder_session_token=abc-def&access%5Ftoken=x")
        'limit=5&coder_session_token=REDACTED&access%5Ftoken=REDACTED'
    """
    parts = re.split(rb"([&;])", raw)
    for index in range(0, len(parts), 2):
        name = parts[index].partition(b"=")[0]
        decoded = urllib.parse.unquote_plus(name.decode("latin-1")).lower()
        if decoded in TOKEN_QUERY_PARAMS:
            parts[index] = name + b"=" + REDACTED.encode()
    return _printable(b"".join(parts))


def redact_query(query: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """A decoded query with the values of token parameters replaced by `REDACTED`.

    Example:
        >>> redact_query({"q": ["action:create"], "access_token": ["t"]})
        {'q': ['action:create'], 'access_token': ['REDACTED']}
    """
    return {
        name: [REDACTED] * len(values) if name.lower() in TOKEN_QUERY_PARAMS else list(values)
        for name, values in query.items()
    }


def _printable(raw: bytes) -> str:
    # One log line per request: percent-encode anything that could break or forge a line.
    return "".join(chr(byte) if 0x21 <= byte <= 0x7E else f"%{byte:02X}" for byte in raw)


def request_target(scope: Scope) -> str:
    """The request's path and query for a log line: still percent-encoded, tokens redacted.

    Example:
        >>> request_target({"path": "/api/v2/audit", "query_string": b"access_token=s&limit=1"})
        '/api/v2/audit?access_token=REDACTED&limit=1'
    """
    raw_path = scope.get("raw_path") or urllib.parse.quote(scope["path"]).encode()
    target = _printable(raw_path)
    query = scope.get("query_string", b"")
    return f"{target}?{redact_query_string(query)}" if query else target


def path_matches(path: str, prefix: str) -> bool:
    """Whether `path` is `prefix` or lies below it, segment-wise.

    Example:
        >>> path_matches("/api/v2/audit/testgenerate", "/api/v2/audit")
        True
        >>> path_matches("/api/v2/auditx", "/api/v2/audit")
        False
    """
    trimmed = prefix.rstrip("/")
    return path == prefix or path == trimmed or path.startswith(trimmed + "/")


# ---------------------------------------------------------------------------------------------
# CORS

# Headers a browser may send cross-origin: the Coder token carriers (§6.1), JSON
# bodies, and X-CSRF-TOKEN, which Coder's UI adds to every request when its page carries one.
DEFAULT_CORS_HEADERS: tuple[str, ...] = (
    "Accept",
    "Accept-Language",
    "Authorization",
    "Coder-Session-Token",
    "Content-Language",
    "Content-Type",
    "X-CSRF-TOKEN",
)
# Response headers a page may read: the 401 challenge (§6.2), 405's Allow, the
# fault marker.
CORS_EXPOSE_HEADERS = ("WWW-Authenticate", "Allow", "Retry-After", "X-Mock-Fault")
CORS_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
ANY_ORIGIN = "*"


def normalize_origin(text: str) -> str:
    """Check and canonicalize an allowed origin: `*`, or `scheme://host[:port]` as browsers send it.

    Raises ValueError naming the problem (a path, a missing scheme).

    Example:
        >>> normalize_origin("HTTP://LocalHost:5173/")
        'http://localhost:5173'
        >>> normalize_origin("localhost:5173")
        Traceback (most recent call last):
        ...
        ValueError: invalid origin 'localhost:5173': expected scheme://host[:port], e.g. http://localhost:5173
    """
    if text == ANY_ORIGIN:
        return text
    problem = f"invalid origin {text!r}: expected scheme://host[:port], e.g. http://localhost:5173"
    try:
        parts = urllib.parse.urlsplit(text.strip())
        parts.port  # noqa: B018 - reading it validates the port
    except ValueError:
        raise ValueError(problem) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(problem)
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(problem)
    return f"{parts.scheme}://{parts.netloc.lower()}"


class CORSMiddleware:
    """Lets a page on an allowed origin call the mock with a token header and credentials.

    The allowed origin is echoed back (never `*`) together with
    `Access-Control-Allow-Credentials: true`, so that `fetch(url, {credentials: "include"})`
    works as well as a `Coder-Session-Token` header. A preflight from an origin or for a header
    that is not allowed gets a 400 whose JSON names what to change; requests without an
    `Origin` header pass through untouched.

    Args:
        app: the wrapped ASGI app.
        origins: allowed origins (`normalize_origin` form), or `("*",)` for any origin.
        allow_headers: request headers a preflight may ask for (case-insensitive).
        max_age: seconds a browser may cache a preflight answer.

    Example:
        >>> from starlette.testclient import TestClient
        >>> from starlette.responses import PlainTextResponse
        >>> app = CORSMiddleware(PlainTextResponse("ok"), origins=["http://localhost:5173"])
        >>> TestClient(app).get("/", headers={"Origin": "http://localhost:5173"}).headers[
        ...     "access-control-allow-origin"]
        'http://localhost:5173'
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        origins: Collection[str],
        allow_headers: Collection[str] = DEFAULT_CORS_HEADERS,
        max_age: int = 600,
    ) -> None:
        self.app = app
        self.any_origin = ANY_ORIGIN in origins
        self.origins = frozenset(normalize_origin(origin) for origin in origins)
        self.allow_headers = {name.lower(): name for name in allow_headers}
        self.max_age = max_age

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        allowed = self.any_origin or origin.lower() in self.origins
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await self._preflight(send, origin, allowed, headers)
            return
        await self.app(scope, receive, self._adding_headers(send, origin, allowed))

    def _adding_headers(self, send: Send, origin: str, allowed: bool) -> Send:
        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                response_headers.add_vary_header("Origin")
                if allowed:
                    response_headers["Access-Control-Allow-Origin"] = origin
                    response_headers["Access-Control-Allow-Credentials"] = "true"
                    response_headers["Access-Control-Expose-Headers"] = ", ".join(
                        CORS_EXPOSE_HEADERS
                    )
            await send(message)

        return send_with_cors

    async def _preflight(self, send: Send, origin: str, allowed: bool, headers: Headers) -> None:
        vary = ("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
        if not allowed:
            detail = (
                f"The origin {origin} may not call this mock server; allow it with "
                f"`coder-audit-mock serve --cors-origin {origin}` (or --cors-origin '*')."
            )
            await send_json(
                send, 400, {"message": "CORS preflight refused.", "detail": detail}, [vary]
            )
            return
        requested = [
            name.strip()
            for name in headers.get("access-control-request-headers", "").split(",")
            if name.strip()
        ]
        refused = [name for name in requested if name.lower() not in self.allow_headers]
        if refused:
            detail = (
                f"The request header(s) {', '.join(refused)} are not allowed; allowed: "
                f"{', '.join(self.allow_headers.values())}."
            )
            await send_json(
                send, 400, {"message": "CORS preflight refused.", "detail": detail}, [vary]
            )
            return
        answer = [
            vary,
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Credentials", "true"),
            ("Access-Control-Allow-Methods", ", ".join(CORS_METHODS)),
            ("Access-Control-Allow-Headers", ", ".join(self.allow_headers.values())),
            ("Access-Control-Max-Age", str(self.max_age)),
        ]
        if headers.get("access-control-request-private-network") == "true":
            answer.append(("Access-Control-Allow-Private-Network", "true"))
        await send(
            {
                "type": "http.response.start",
                "status": 204,
                "headers": [(k.lower().encode(), v.encode("latin-1")) for k, v in answer],
            }
        )
        await send({"type": "http.response.body", "body": b""})


# ---------------------------------------------------------------------------------------------
# faults

FAULT_STATUSES: tuple[int, ...] = (500, 503)
# Every kind an injected error may take: a Coder-shaped status, or what the network does.
# `drop` cuts the connection after the status line; `timeout` waits `timeout_ms`, then drops;
# `slow_body` answers normally but dribbles the body out over `slow_body_ms`.
FAULT_KINDS: tuple[int | str, ...] = (401, 403, 429, 500, 503, "drop", "timeout", "slow_body")
DEFAULT_TIMEOUT_MS = 30_000.0
DEFAULT_SLOW_BODY_MS = 5_000.0
_SLOW_BODY_CHUNKS = 20
MAX_DELAY_MS = 60_000.0  # a bound, so that no configuration can hang a client for ever
DEFAULT_FAULT_PATH = "/api/v2/"
# Coder-shaped bodies (§1.5) for the injected answers.
_FAULT_MESSAGES = {
    401: "You are signed out or your session has expired. Please sign in again to continue.",
    403: "Forbidden.",
    # Coder's rate limiter (coderd/httpmw/ratelimit.go, its default 512 requests a minute).
    429: "You've been rate limited for sending more than 512 requests in 1m0s.",
    500: "An internal server error occurred.",
    503: "Service unavailable.",
}


class FaultConfigError(MockServerError, ValueError):
    """A fault configuration that cannot be used; `field` names the offending entry.

    Example:
        >>> str(FaultConfigError("rules[0].error_rate", "expected a number from 0 to 1, got 2"))
        'rules[0].error_rate: expected a number from 0 to 1, got 2'
    """

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail


@dataclasses.dataclass(frozen=True, slots=True)
class FaultRule:
    """What to do to requests whose path is `path` or lies below it.

    Args:
        path: a path prefix, matched segment-wise (`/api/v2/audit` covers `/api/v2/audit/...`).
        delay_ms: (min, max) milliseconds to wait before answering, drawn uniformly; equal
            bounds give a fixed delay.
        error_rate: the share of requests, 0 to 1, answered with an injected error.
        error_statuses: the kinds injected errors take, one drawn per error (`FAULT_KINDS`:
            401, 403, 429, 500, 503, "drop", "timeout", "slow_body"; default 500 and 503).
        retry_after_s: the `Retry-After` seconds of a 429 or 503.
        timeout_ms: how long a "timeout" holds the request before it drops the connection.
        slow_body_ms: how long a "slow_body" takes to send its body.

    Example:
        >>> rule = FaultRule(delay_ms=(100, 300), error_rate=0.25)
        >>> rule.as_json()["delay_ms"]
        [100.0, 300.0]
    """

    path: str = DEFAULT_FAULT_PATH
    delay_ms: tuple[float, float] = (0.0, 0.0)
    error_rate: float = 0.0
    error_statuses: tuple[int | str, ...] = FAULT_STATUSES
    retry_after_s: int = 1
    timeout_ms: float = DEFAULT_TIMEOUT_MS
    slow_body_ms: float = DEFAULT_SLOW_BODY_MS

    def __post_init__(self) -> None:
        _check_rule(self, "rule")

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "delay_ms": [float(self.delay_ms[0]), float(self.delay_ms[1])],
            "error_rate": self.error_rate,
            "error_statuses": list(self.error_statuses),
            "retry_after_s": self.retry_after_s,
            "timeout_ms": self.timeout_ms,
            "slow_body_ms": self.slow_body_ms,
        }

    @classmethod
    def from_json(cls, data: Any, where: str = "rule") -> FaultRule:
        """Build a rule from JSON (`delay_ms` a number or `[min, max]`); errors name the field.

        Example:
            >>> FaultRule.from_json({"path": "/api/v2/audit", "delay_ms": 50}).delay_ms
            (50.0, 50.0)
        """
        if not isinstance(data, dict):
            raise FaultConfigError(where, f"expected an object, got {_json_type(data)}")
        unknown = sorted(set(data) - {"path", "delay_ms", "error_rate", "error_statuses",
                                      "retry_after_s", "timeout_ms", "slow_body_ms"})  # fmt: skip
        if unknown:
            raise FaultConfigError(f"{where}.{unknown[0]}", "unknown field")
        path = data.get("path", DEFAULT_FAULT_PATH)
        if not isinstance(path, str):
            raise FaultConfigError(f"{where}.path", f"expected a string, got {_json_type(path)}")
        statuses = data.get("error_statuses", list(FAULT_STATUSES))
        if not isinstance(statuses, list) or not all(type(s) in (int, str) for s in statuses):
            raise FaultConfigError(f"{where}.error_statuses", f"expected a list of {_KINDS_TEXT}")
        delay_ms = _delay_from_json(data.get("delay_ms", 0), f"{where}.delay_ms")
        error_rate = _rate_from_json(data.get("error_rate", 0), f"{where}.error_rate")
        retry_after = data.get("retry_after_s", 1)
        if type(retry_after) is not int:
            raise FaultConfigError(f"{where}.retry_after_s", "expected whole seconds")
        timeout_ms = _number(data.get("timeout_ms", DEFAULT_TIMEOUT_MS), f"{where}.timeout_ms",
                             "milliseconds")  # fmt: skip
        slow_ms = _number(data.get("slow_body_ms", DEFAULT_SLOW_BODY_MS),
                          f"{where}.slow_body_ms", "milliseconds")  # fmt: skip
        try:
            return cls(
                path, delay_ms, error_rate, tuple(statuses), retry_after, timeout_ms, slow_ms
            )
        except FaultConfigError as error:  # raised by __post_init__, which says "rule"
            raise FaultConfigError(where + error.field.removeprefix("rule"), error.detail) from None


def _check_rule(rule: FaultRule, where: str) -> None:
    if not rule.path.startswith("/"):
        raise FaultConfigError(
            f"{where}.path", f"expected a path starting with '/', got {rule.path!r}"
        )
    low, high = rule.delay_ms
    if not 0 <= low <= high <= MAX_DELAY_MS:
        raise FaultConfigError(
            f"{where}.delay_ms",
            f"expected 0 <= min <= max <= {MAX_DELAY_MS:g} milliseconds, got {low:g}-{high:g}",
        )
    if not 0 <= rule.error_rate <= 1:
        raise FaultConfigError(
            f"{where}.error_rate", f"expected a number from 0 to 1, got {rule.error_rate:g}"
        )
    if not rule.error_statuses or not set(rule.error_statuses) <= set(FAULT_KINDS):
        raise FaultConfigError(
            f"{where}.error_statuses",
            f"expected a non-empty list of {_KINDS_TEXT}, got {list(rule.error_statuses)}",
        )
    if not 0 <= rule.retry_after_s <= 3600:
        raise FaultConfigError(f"{where}.retry_after_s", "expected 0 to 3600 seconds")
    for name, value in (("timeout_ms", rule.timeout_ms), ("slow_body_ms", rule.slow_body_ms)):
        if not 0 <= value <= MAX_DELAY_MS:
            raise FaultConfigError(
                f"{where}.{name}", f"expected 0 to {MAX_DELAY_MS:g} milliseconds, got {value:g}"
            )


_KINDS_TEXT = ", ".join(str(kind) for kind in FAULT_KINDS)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def _number(value: Any, where: str, expected: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FaultConfigError(where, f"expected {expected}, got {_json_type(value)}")
    return float(value)


def _delay_from_json(value: Any, where: str) -> tuple[float, float]:
    expected = "milliseconds: a number or [min, max]"
    if isinstance(value, list):
        if len(value) != 2:
            raise FaultConfigError(where, f"expected {expected}, got a list of {len(value)}")
        return _number(value[0], where, expected), _number(value[1], where, expected)
    fixed = _number(value, where, expected)
    return fixed, fixed


def _rate_from_json(value: Any, where: str) -> float:
    return _number(value, where, "a number from 0 to 1")


def parse_delay(text: str) -> tuple[float, float]:
    """Parse a command-line delay: `MS` (fixed) or `MIN-MAX` (uniform), in milliseconds.

    Example:
        >>> parse_delay("250"), parse_delay("100-500")
        ((250.0, 250.0), (100.0, 500.0))
    """
    low_text, dash, high_text = text.partition("-")
    try:
        low = float(low_text)
        high = float(high_text) if dash else low
    except ValueError:
        raise ValueError(
            f"invalid delay {text!r}: expected milliseconds, MS or MIN-MAX, e.g. 250 or 100-500"
        ) from None
    if not 0 <= low <= high <= MAX_DELAY_MS:
        raise ValueError(
            f"invalid delay {text!r}: expected 0 <= MIN <= MAX <= {MAX_DELAY_MS:g} milliseconds"
        )
    return low, high


def parse_rate(text: str) -> float:
    """Parse a command-line error rate, a number from 0 to 1.

    Example:
        >>> parse_rate("0.25")
        0.25
    """
    try:
        rate = float(text)
    except ValueError:
        rate = -1.0
    if not 0 <= rate <= 1:
        raise ValueError(f"invalid error rate {text!r}: expected a number from 0 to 1, e.g. 0.1")
    return rate


@dataclasses.dataclass(frozen=True, slots=True)
class FaultPlan:
    """Every fault rule plus the seed of the draws; empty means no faults (the default).

    The most specific rule (longest `path`) decides a request's fate.

    Example:
        >>> plan = FaultPlan.from_json({"seed": 7, "rules": [{"error_rate": 0.5}]})
        >>> plan.rule_for("/api/v2/audit").error_rate, plan.rule_for("/openapi.json")
        (0.5, None)
    """

    rules: tuple[FaultRule, ...] = ()
    seed: int = 0

    def rule_for(self, path: str) -> FaultRule | None:
        matching = [rule for rule in self.rules if path_matches(path, rule.path)]
        return max(matching, key=lambda rule: len(rule.path.rstrip("/")), default=None)

    def as_json(self) -> dict[str, Any]:
        return {"seed": self.seed, "rules": [rule.as_json() for rule in self.rules]}

    @classmethod
    def from_json(cls, data: Any) -> FaultPlan:
        """Build a plan from `{"seed": int, "rules": [rule, ...]}`; errors name the field."""
        if not isinstance(data, dict):
            raise FaultConfigError("faults", f"expected an object, got {_json_type(data)}")
        unknown = sorted(set(data) - {"seed", "rules"})
        if unknown:
            raise FaultConfigError(unknown[0], "unknown field")
        seed = data.get("seed", 0)
        if type(seed) is not int:
            raise FaultConfigError("seed", f"expected an integer, got {_json_type(seed)}")
        rules = data.get("rules", [])
        if not isinstance(rules, list):
            raise FaultConfigError("rules", f"expected an array, got {_json_type(rules)}")
        return cls(
            rules=tuple(FaultRule.from_json(rule, f"rules[{i}]") for i, rule in enumerate(rules)),
            seed=seed,
        )


@dataclasses.dataclass(frozen=True, slots=True)
class FaultDecision:
    """What happens to one request: wait `delay_s` seconds, then answer `status` (None: normally).

    Example:
        >>> FaultDecision().status is None
        True
    """

    delay_s: float = 0.0
    status: int | str | None = None
    rule: FaultRule | None = None


class FaultInjector:
    """The live fault plan and its random draws; reconfigurable while the server runs.

    Each matching request draws three numbers from a `random.Random` seeded by the plan's seed
    (error?, which status, delay), so the same plan and the same sequence of requests give the
    same faults. Setting a plan restarts the draws.

    Example:
        >>> injector = FaultInjector(FaultPlan((FaultRule(error_rate=1.0, error_statuses=(503,)),)))
        >>> injector.decide("/api/v2/audit").status
        503
        >>> injector.decide("/_mock/reset").status is None
        True
    """

    def __init__(self, plan: FaultPlan | None = None) -> None:
        self._lock = threading.Lock()
        self.configure(plan or FaultPlan())

    @property
    def plan(self) -> FaultPlan:
        return self._plan

    def configure(self, plan: FaultPlan) -> None:
        with self._lock:
            self._plan = plan
            self._rng = random.Random(plan.seed)

    def decide(self, path: str) -> FaultDecision:
        with self._lock:
            rule = self._plan.rule_for(path)
            if rule is None:
                return FaultDecision()
            fails = self._rng.random() < rule.error_rate
            status = rule.error_statuses[int(self._rng.random() * len(rule.error_statuses))]
            delay_ms = self._rng.uniform(*rule.delay_ms)
        return FaultDecision(delay_s=delay_ms / 1000, status=status if fails else None, rule=rule)


class FaultMiddleware:
    """Delays and fails requests as the injector decides; paths under `exempt` are never touched.

    Preflights (OPTIONS) are never delayed or failed either: a failed preflight surfaces in the
    browser as an opaque network error, not as the 500/503 the developer asked for.

    Example:
        >>> from starlette.testclient import TestClient
        >>> from starlette.responses import PlainTextResponse
        >>> rule = FaultRule(path="/", error_rate=1.0, error_statuses=(500,))
        >>> app = FaultMiddleware(PlainTextResponse("ok"), FaultInjector(FaultPlan((rule,))))
        >>> TestClient(app).get("/api/v2/audit").json()["message"]
        'An internal server error occurred.'
    """

    def __init__(
        self, app: ASGIApp, injector: FaultInjector, *, exempt: Sequence[str] = ()
    ) -> None:
        self.app = app
        self.injector = injector
        self.exempt = tuple(exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.injector.plan.rules:  # faults off (the default): this layer costs one check
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope["method"] == "OPTIONS"
            or any(path_matches(path, prefix) for prefix in self.exempt)
        ):
            await self.app(scope, receive, send)
            return
        decision = self.injector.decide(path)
        if decision.delay_s > 0:
            await anyio.sleep(decision.delay_s)
        rule, kind = decision.rule, decision.status
        if kind is None or rule is None:
            await self.app(scope, receive, send)
            return
        if kind == "slow_body":
            await self.app(scope, receive, _dribbling(send, rule.slow_body_ms / 1000))
            return
        if kind in ("drop", "timeout"):
            if kind == "timeout":
                await anyio.sleep(rule.timeout_ms / 1000)
            await _drop(send, str(kind))
            return
        assert isinstance(kind, int)
        detail = (
            f"fault injected by coder-audit-mock: error_rate {rule.error_rate:g} "
            f"on {rule.path} (PUT or DELETE /_mock/faults to change it)"
        )
        headers = [("X-Mock-Fault", str(kind))]
        if kind in (429, 503):
            headers.append(("Retry-After", str(rule.retry_after_s)))
        await send_json(send, kind, {"message": _FAULT_MESSAGES[kind], "detail": detail}, headers)


class DroppedConnection(Exception):
    """Raised to make the ASGI server cut the connection (an injected `drop` or `timeout`)."""


class _QuietDrops(logging.Filter):
    """Keeps the server's traceback for an injected drop out of its error log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], DroppedConnection))


logging.getLogger("uvicorn.error").addFilter(_QuietDrops())


async def _drop(send: Send, kind: str) -> None:
    # ASGI cannot close a socket: an error after the status line makes the server close it, so
    # the client sees an answer cut short (a body shorter than its Content-Length).
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", b"1024"), (b"x-mock-fault", kind.encode())],
        }
    )
    await send({"type": "http.response.body", "body": b"", "more_body": True})
    raise DroppedConnection(kind)


def _dribbling(send: Send, seconds: float) -> Send:
    """`send`, with each body sent in small pieces spread over `seconds`."""

    async def send_slowly(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [*message.get("headers", ()), (b"x-mock-fault", b"slow_body")]
            await send({**message, "headers": headers})
            return
        if message["type"] != "http.response.body":
            await send(message)
            return
        body: bytes = message.get("body", b"")
        size = max(1, -(-len(body) // _SLOW_BODY_CHUNKS))
        pieces = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
        for index, piece in enumerate(pieces):
            await anyio.sleep(seconds / len(pieces))
            last = index == len(pieces) - 1
            await send(
                {**message, "body": piece, "more_body": message.get("more_body", False) or not last}
            )

    return send_slowly


# ---------------------------------------------------------------------------------------------
# journal and access log

RoleOf = Callable[[Headers, Mapping[str, list[str]]], "str | None"]


class BatchedLines:
    """Writes access-log lines to a text stream, flushed at most every `delay_s`, not per line.

    A flush is a system call, as costly as the rest of a cached answer; under load the lines of
    many requests leave in one write, still within `FLUSH_DELAY_S` (10 ms) of their requests for
    whoever reads them. Outside an event loop every line is flushed at once; Python flushes the
    rest at exit.

    Args:
        stream: where lines go; default `sys.stdout`, looked up at each line (tests swap it).
        delay_s: the longest a line waits for its flush.

    Example:
        >>> import io
        >>> out = io.StringIO()
        >>> BatchedLines(out)("GET /api/v2/audit 200 0.1ms")
        >>> out.getvalue()
        'GET /api/v2/audit 200 0.1ms\n'
    """

    FLUSH_DELAY_S = 0.01

    def __init__(self, stream: TextIO | None = None, *, delay_s: float = FLUSH_DELAY_S) -> None:
        self._stream = stream
        self._delay_s = delay_s
        self._flush_pending = False

    def __call__(self, line: str) -> None:
        stream = self._stream or sys.stdout
        stream.write(line + "\n")
        if self._flush_pending:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            stream.flush()
            return
        self._flush_pending = True
        loop.call_later(self._delay_s, self._flush, stream)

    def _flush(self, stream: TextIO) -> None:
        self._flush_pending = False
        stream.flush()


_MEMO_SIZE = 1024


@dataclasses.dataclass(frozen=True, slots=True)
class _RequestFacts:
    """What the recorder derives from a request, and the roles version it was derived under."""

    version: int | None
    role: str | None
    query: dict[str, list[str]]
    target: str


class RequestRecorder:
    """Records every request in a journal and/or writes one access-log line for it.

    The line is `METHOD TARGET STATUS DURATIONms`, e.g.
    `GET /api/v2/audit?limit=25&access_token=REDACTED 200 3.1ms`: the target stays
    percent-encoded (one request, one line) and token query values are redacted; headers and
    cookies are never written.

    Args:
        app: the wrapped ASGI app.
        journal: where entries go (None: no journal).
        log_line: called with each access-log line (None: no access log, the quiet mode).
        role_of: names the built-in role of the request's token, for the journal.
        roles_version: a number that changes whenever `role_of` may answer differently (the
            store's version); lets the recorder remember each distinct request's role.

    Example:
        >>> from starlette.testclient import TestClient
        >>> from starlette.responses import PlainTextResponse
        >>> lines = []
        >>> app = RequestRecorder(PlainTextResponse("ok"), log_line=lines.append)
        >>> _ = TestClient(app).get("/x?coder_session_token=secret")
        >>> lines[0].rsplit(" ", 1)[0]
        'GET /x?coder_session_token=REDACTED 200'
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        journal: RequestJournal | None = None,
        log_line: Callable[[str], None] | None = None,
        role_of: RoleOf | None = None,
        roles_version: Callable[[], int] | None = None,
    ) -> None:
        self.app = app
        self.journal = journal
        self.log_line = log_line
        self.role_of = role_of
        self.roles_version = roles_version
        self._memo: dict[Hashable, _RequestFacts] = {}

    def _facts(self, scope: Scope) -> tuple[str | None, dict[str, list[str]], str]:
        """The request's role, redacted query and log target, remembered per distinct request.

        A client repeating one request (a polling UI, a load test) costs one dictionary lookup
        here instead of parsing the query and resolving the token each time. A role is
        remembered only for as long as `roles_version` stays the same; with a `role_of` but
        no `roles_version`, nothing says when a role changes, so nothing is remembered.
        """
        key = request_key(scope)
        if self.role_of is None:
            version: int | None = 0
        else:
            version = None if self.roles_version is None else self.roles_version()
        facts = None if key is None else self._memo.get(key)
        if facts is not None and facts.version == version:
            return facts.role, facts.query, facts.target
        query = parse_go_query(scope.get("query_string", b""))
        role = None if self.role_of is None else self.role_of(Headers(scope=scope), query)
        facts = _RequestFacts(version, role, redact_query(query), request_target(scope))
        if version is not None and key is not None:
            if len(self._memo) >= _MEMO_SIZE:
                del self._memo[next(iter(self._memo))]  # the oldest
            self._memo[key] = facts
        return facts.role, facts.query, facts.target

    def _record(
        self, scope: Scope, facts: tuple[str | None, Mapping[str, list[str]], str], status: int,
        started: float, arrived: float, body: _BodyCopy | None = None,
    ) -> None:  # fmt: skip
        role, query, target = facts
        duration_ms = (time.perf_counter() - started) * 1000
        if self.journal is not None:
            # The memo's query dict, shared by every repeat of the request: it never changes,
            # and the journal copies it when it is read; headers and body are redacted then.
            self.journal.add(
                scope["method"],
                scope["path"],
                query,
                role,
                status,
                duration_ms,
                arrived=arrived,
                headers=scope.get("headers", ()),
                body=None if body is None else body.data(),
                body_cut=body is not None and body.truncated,
            )
        if self.log_line is not None:
            self.log_line(f"{scope['method']} {target} {status} {duration_ms:.1f}ms")

    async def replay(self, scope: Scope, answer: CachedAnswer, send: Send) -> None:
        """Send a cached answer to an HTTP request and record it, as `__call__` would have.

        The standalone app's shortcut for a repeated GET (`_standalone`): the layers inside
        the recorder would only have passed the request on and the answer back.
        """
        if self.journal is None and self.log_line is None:
            await answer.replay(send)
            return
        started, arrived = time.perf_counter(), time.time()
        facts = self._facts(scope)
        await send(answer.start_message())
        self._record(scope, facts, answer.status, started, arrived)  # before the last byte
        await send(answer.body_message())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (self.journal is None and self.log_line is None):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        arrived = time.time()
        facts = self._facts(scope)
        status = 500  # what the client sees if the app fails before answering
        recorded = False
        body = None
        if self.journal is not None and scope["method"] not in ("GET", "HEAD"):
            body = _BodyCopy(receive)  # only requests that carry a body pay for the copy
            receive = body.receive

        def record() -> None:
            nonlocal recorded
            if not recorded:
                recorded = True
                self._record(scope, facts, status, started, arrived, body)

        async def send_recording_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if body is not None:
                    # Answered before reading the body (a 401, a 403): keep it all the same.
                    await body.drain()
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                # Record before the last byte leaves: a client that has its answer must find
                # its request in the journal.
                record()
            await send(message)

        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            record()


class _BodyCopy:
    """Passes the request's body messages on, keeping the first `JOURNAL_BODY_BYTES` bytes."""

    _DRAIN_SECONDS = 0.05  # how long an unread body may keep the answer waiting

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._chunks = bytearray()
        self._truncated = False
        self._complete = False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            room = JOURNAL_BODY_BYTES - len(self._chunks)
            self._chunks += chunk[:room]
            self._truncated = self._truncated or len(chunk) > room
            self._complete = not message.get("more_body", False)
        else:
            self._complete = True
        return message

    async def drain(self) -> None:
        """Read what the app left unread, up to the kept size and for a moment at most."""
        while not self._complete and not self._truncated:
            try:
                await asyncio.wait_for(self.receive(), self._DRAIN_SECONDS)
            except TimeoutError:
                return

    @property
    def truncated(self) -> bool:
        """More body came than the journal keeps."""
        return self._truncated

    def data(self) -> bytes:
        """The kept bytes (the journal redacts and decodes them when it is read)."""
        return bytes(self._chunks)
