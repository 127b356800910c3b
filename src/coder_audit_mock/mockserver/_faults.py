"""The standalone server's fault layer: delays and failed answers on demand, seeded draws.

Coder has none; a frontend developer needs slow answers, 5xx, rate limits and cut connections
to see the UI's loading and error states. The plan is set at start-up (`serve --fault-*`) or
while running (`/_mock/faults`, `_admin`); preflights and the admin paths are never faulted.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import threading
from collections.abc import Sequence
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._asgi import path_matches, send_json
from ._errors import MockServerError
from ._json import json_kind

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
            raise FaultConfigError(where, f"expected an object, got {json_kind(data)}")
        unknown = sorted(set(data) - {"path", "delay_ms", "error_rate", "error_statuses",
                                      "retry_after_s", "timeout_ms", "slow_body_ms"})  # fmt: skip
        if unknown:
            raise FaultConfigError(f"{where}.{unknown[0]}", "unknown field")
        path = data.get("path", DEFAULT_FAULT_PATH)
        if not isinstance(path, str):
            raise FaultConfigError(f"{where}.path", f"expected a string, got {json_kind(path)}")
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


def _number(value: Any, where: str, expected: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FaultConfigError(where, f"expected {expected}, got {json_kind(value)}")
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
            raise FaultConfigError("faults", f"expected an object, got {json_kind(data)}")
        unknown = sorted(set(data) - {"seed", "rules"})
        if unknown:
            raise FaultConfigError(unknown[0], "unknown field")
        seed = data.get("seed", 0)
        if type(seed) is not int:
            raise FaultConfigError("seed", f"expected an integer, got {json_kind(seed)}")
        rules = data.get("rules", [])
        if not isinstance(rules, list):
            raise FaultConfigError("rules", f"expected an array, got {json_kind(rules)}")
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
