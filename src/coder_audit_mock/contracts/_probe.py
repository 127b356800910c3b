"""How a semantic check talks to its target: one door for every request (`Probe`).

Every request a check sends goes through `Probe.send`, which refuses writes in a read-only run,
records the request in the target's stream (the run's digest) and times it; `Probe.fail` turns
an unexpected answer into a `ContractViolation` with a curl command that replays it.

Example:
    >>> from coder_audit_mock.contracts._target import open_target
    >>> with open_target() as target:
    ...     Probe(target, "example").page({"limit": 1}).count > 0
    True
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from typing import Any, NoReturn

import httpx

from .._curl import curl_command, token_variable
from ..mockserver import DEFAULT_TOKENS
from ._errors import ContractViolation
from ._paths import AUDIT_PATH
from ._target import Target
from .strategies import LogFacts

__all__ = [
    "CALLER",
    "DEFAULT_LIMIT",
    "USER_AGENT",
    "NoResponse",
    "Page",
    "Probe",
    "ReadOnly",
    "describe_response",
    "is_int",
]

# Sent on every request; testgenerate stores it as the log's user_agent (§5).
USER_AGENT = "coder-audit-mock-contracts"
DEFAULT_LIMIT = 100  # §3.1: absent or 0 means 100


class NoResponse(Exception):
    """The request got no HTTP response (refused, reset, timed out)."""


class ReadOnly(Exception):
    """A check tried to write during a read-only run (a bug in the check: never sent)."""


CALLER = "caller"  # `role=` meaning: the token the run was given (`Target.caller`)
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclasses.dataclass(frozen=True, slots=True)
class Page:
    """A 200 answer of GET /api/v2/audit, read."""

    response: httpx.Response
    logs: list[Any]
    count: int
    count_cap: object

    @property
    def facts(self) -> list[LogFacts]:
        return [LogFacts.from_json(log) for log in self.logs]


class Probe:
    """Sends a check's requests and turns unexpected answers into violations named after it."""

    def __init__(self, target: Target, check: str) -> None:
        self.target = target
        self.check = check
        self.last_seconds = 0.0

    def send(
        self,
        method: str,
        path: str = AUDIT_PATH,
        *,
        role: str | None = CALLER,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request as `role` (default: the caller; None: no token) and time it."""
        if method not in _READS and not self.target.may_write:
            # The one door every semantic request goes through: a read-only run cannot write,
            # whatever a check asks for (checks skip their writing parts before this).
            raise ReadOnly(f"{method} {path} refused: {self.target.read_only_reason}")
        token = self.target.auth(None if role == CALLER else role) if role else {}
        sent = {"User-Agent": USER_AGENT, **token, **(headers or {})}
        client = self.target.client
        request = client.build_request(
            method,
            path,
            params={k: v for k, v in (params or {}).items() if v is not None},
            json=body,
            headers=sent,
        )
        self.target.stream.record(method, str(request.url), sent, request.content)
        started = time.perf_counter()
        try:
            response = client.send(request)
        except httpx.HTTPError as error:
            raise NoResponse(f"{method} {path}: {type(error).__name__}: {error}") from error
        self.last_seconds = time.perf_counter() - started
        return response

    def fail(self, title: str, message: str, response: httpx.Response | None = None) -> NoReturn:
        if response is not None:
            message = f"{message}\n\nResponse:\n{describe_response(response)}"
        request = self.curl(response.request) if response is not None else ""
        raise ContractViolation(check=self.check, title=title, message=message, request=request)

    def json_body(self, response: httpx.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError:
            self.fail(
                f"{what}: the body is not JSON", "Coder always answers JSON (§1.5).", response
            )

    def page(self, params: Mapping[str, Any], *, role: str = CALLER) -> Page:
        """GET /api/v2/audit, requiring a 200 with `audit_logs` (a list) and an integer `count`."""
        response = self.send("GET", params=params, role=role)
        if response.status_code != 200:
            self.fail(
                f"GET /api/v2/audit answered {response.status_code}, not 200",
                f"The request is valid (parameters {dict(params)!r}) and made as {role!r}.",
                response,
            )
        body = self.json_body(response, "GET /api/v2/audit")
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("audit_logs"), list)
            or not is_int(body.get("count"))
        ):
            self.fail(
                "The page is not {audit_logs: [...], count: <integer>, ...}",
                "§1.1 step 9 gives the page's shape.",
                response,
            )
        return Page(response, body["audit_logs"], body["count"], body.get("count_cap"))

    def try_page(self, params: Mapping[str, Any]) -> Page | None:
        """Like `page`, but None instead of a violation (for optional look-ups)."""
        try:
            return self.page(params)
        except ContractViolation:
            return None

    def curl(self, request: httpx.Request) -> str:
        """A curl command sending `request`; tokens that are not the mock's public ones are hidden."""
        url = str(request.url)
        note = ""
        if self.target.in_process:
            origin = f"{request.url.scheme}://{request.url.netloc.decode()}"
            url = url.replace(origin, "http://127.0.0.1:3000", 1)
            note = "# against the mock: coder-audit-mock --port 3000 (same seed and log count)\n"
        headers = [
            (name, request.headers[name])
            for name in (
                "Coder-Session-Token",
                "Authorization",
                "Cookie",
                "Content-Type",
                "User-Agent",
            )
            if name in request.headers
        ]
        body = request.content.decode("utf-8", "replace") if request.content else None
        # Tokens only sit in words shlex had to single-quote (a header with a space, a URL
        # with "?"), so closing the quote around a "${VARIABLE}" keeps the command valid.
        hidden: dict[str, str] = {}
        for role, token in self.target.tokens.items():
            if token not in DEFAULT_TOKENS.values():
                hidden.setdefault(token, token_variable(role, self.target.caller))
        return note + curl_command(request.method, url, headers, body, hidden=hidden)


def describe_response(response: httpx.Response, limit: int = 2000) -> str:
    text = response.content.decode("utf-8", "replace")
    if len(text) > limit:
        text = f"{text[:limit]}... ({len(text) - limit} more characters)"
    content_type = response.headers.get("content-type", "(none)")
    return f"HTTP {response.status_code}\nContent-Type: {content_type}\n\n{text}"


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
