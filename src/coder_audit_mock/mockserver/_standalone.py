"""The standalone server for frontend work: the faithful API plus CORS, faults, journal and admin.

```
request ─► RequestRecorder (journal + access log) ─► CORSMiddleware ─► FaultMiddleware ─┐
           ┌─────────────────────────────────────────────────────────────────────────────┘
           ├── /_mock...  AdminApi (reset, scenario, journal, faults, tokens); never faulted
           └── anything else: create_app_for(server), Coder's answers (§1)
```
A GET the mock answered before, with nothing written since, goes from the recorder straight to
its cached answer (`_answers`) when there is no CORS layer and no fault rule: the layers between
would only pass it on.
`build_app` is what `coder-audit-mock serve` and the pytest fixtures run.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import uuid
from collections.abc import Callable, Mapping

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ._admin import ADMIN_PREFIX, ADMIN_TOKEN_HEADER, AdminApi
from ._answers import CachedAnswer, request_key
from ._app import AUDIT_PREFIX, MockServer, create_app_for
from ._auth import session_token
from ._cors import DEFAULT_CORS_HEADERS, CORSMiddleware
from ._faults import FaultInjector, FaultMiddleware, FaultPlan
from ._journal import DEFAULT_JOURNAL_SIZE, RequestJournal
from ._recorder import RequestRecorder
from ._scenario import builtin_tokens
from ._webapp import WebAppApi

access_logger = logging.getLogger("coder_audit_mock.access")

_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]


@dataclasses.dataclass(frozen=True, slots=True)
class ServeOptions:
    """How the standalone server wraps the mock API. The defaults add nothing a test would notice.

    Args:
        cors_origins: origins whose pages may call the server (`scheme://host[:port]`), or
            `("*",)` for any; empty (default) means no CORS headers at all.
        faults: the fault plan at start-up (default: none); changeable at `/_mock/faults`.
        admin: serve the `/_mock/` admin endpoints (default True).
        admin_token: when set, admin calls must send it in the `Mock-Admin-Token` header.
        access_log: write one line per request (default True); False is the quiet mode.
        log_line: where access-log lines go (default: the `coder_audit_mock.access` logger at
            INFO level).
        journal_size: how many requests the journal keeps.
        webapp: also answer the calls Coder's web app makes to sign in and render the Audit
            page (`_webapp.WebAppApi`); `serve` turns it on, `--no-webapp` off.
        licensed: with `webapp`, answer `entitlements` as a licensed deployment (False: the
            open-source build's 404).
        upstream: given the mock's own app (the audit routes, and the web app's with `webapp`)
            and a test of which paths it owns, the app that answers everything that is not
            admin (`coder_audit_mock._upstream.upstream_router`: the rest goes to a real Coder).

    Example:
        >>> ServeOptions(cors_origins=("http://localhost:5173",), access_log=False).admin
        True
    """

    cors_origins: tuple[str, ...] = ()
    faults: FaultPlan = dataclasses.field(default_factory=FaultPlan)
    admin: bool = True
    admin_token: str | None = None
    access_log: bool = True
    log_line: Callable[[str], None] | None = None
    journal_size: int = DEFAULT_JOURNAL_SIZE
    webapp: bool = False
    licensed: bool = True
    upstream: Callable[[ASGIApp, Callable[[str], bool]], ASGIApp] | None = None


def build_app(server: MockServer, options: ServeOptions | None = None) -> Starlette:
    """The standalone ASGI app: `create_app_for(server)` plus CORS, faults, journal and admin.

    The app's state holds `mock` (the `MockServer`), `journal` (the `RequestJournal`), `faults`
    (the `FaultInjector`) and `options`.

    Args:
        server: the mock to serve.
        options: what to add around it (default `ServeOptions()`).

    Example:
        >>> from starlette.testclient import TestClient
        >>> from coder_audit_mock.mockserver import DEFAULT_TOKENS, MockServer, MockSettings
        >>> app = build_app(MockServer(MockSettings(log_count=5)), ServeOptions(access_log=False))
        >>> client = TestClient(app)
        >>> client.get("/api/v2/audit", headers={"Coder-Session-Token": DEFAULT_TOKENS["auditor"]}
        ...            ).json()["count"]
        5
        >>> [(e.path, e.role, e.status) for e in app.state.journal.entries()]
        [('/api/v2/audit', 'auditor', 200)]
    """
    options = options or ServeOptions()
    journal = RequestJournal(options.journal_size)
    faults = FaultInjector(options.faults)
    mock_app = create_app_for(server)
    admin_app: ASGIApp | None = None
    if options.admin:
        admin = AdminApi(server, journal, faults, token=options.admin_token)
        admin_app = Starlette(
            routes=[Route(ADMIN_PREFIX + "{rest:path}", admin.handle, methods=_ALL_METHODS)]
        )

    webapp = WebAppApi(server, licensed=options.licensed) if options.webapp else None

    async def local(scope: Scope, receive: Receive, send: Send) -> None:
        if webapp is not None and webapp.handles(scope.get("path", "")):
            await webapp(scope, receive, send)
        else:
            await mock_app(scope, receive, send)

    def owned(path: str) -> bool:
        # In upstream mode, what the mock answers itself (all else goes to the real Coder).
        audit = path == AUDIT_PREFIX or path.startswith(AUDIT_PREFIX + "/")
        return audit or (webapp is not None and webapp.handles(path))

    api = local if options.upstream is None else options.upstream(local, owned)

    async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
        # Plain ASGI, no second router: the admin prefix, else the API (mock or upstream).
        if admin_app is not None and scope.get("path", "").startswith(ADMIN_PREFIX):
            await admin_app(scope, receive, send)
        else:
            await api(scope, receive, send)

    stack: ASGIApp = FaultMiddleware(dispatch, injector=faults, exempt=(ADMIN_PREFIX,))
    if options.cors_origins:
        stack = CORSMiddleware(
            stack,
            origins=options.cors_origins,
            allow_headers=(*DEFAULT_CORS_HEADERS, ADMIN_TOKEN_HEADER),
        )
    log_line = (options.log_line or access_logger.info) if options.access_log else None
    recorder = RequestRecorder(
        stack,
        journal=journal,
        log_line=log_line,
        role_of=_role_finder(server),
        roles_version=lambda: server.store.version,  # tokens and users change only with it
    )
    # Without CORS headers to add, a repeated GET needs nothing from the layers between the
    # recorder and the mock while no fault rule is set: it is answered from the cache at once.
    cached = None if options.cors_origins else _cached_answer_finder(server, faults)
    app = _StandaloneApp(recorder, cached)
    app.state.mock = server
    app.state.journal = journal
    app.state.faults = faults
    app.state.options = options
    return app


class _StandaloneApp(Starlette):
    """The layers composed as plain ASGI; a Starlette only for its `state` and type.

    Lifespan and every request go straight to the middleware stack: recorder (journal, access
    log) -> CORS -> faults -> the admin routes or the mock; a GET the mock answered before,
    with nothing written since, goes from the recorder straight to its cached answer.
    """

    def __init__(
        self,
        recorder: RequestRecorder,
        cached: Callable[[Scope], CachedAnswer | None] | None = None,
    ) -> None:
        super().__init__()
        self._recorder = recorder
        self._cached = cached

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self
        if self._cached is not None and scope["type"] == "http" and scope["method"] == "GET":
            answer = self._cached(scope)
            if answer is not None:
                await self._recorder.replay(scope, answer, send)
                return
        await self._recorder(scope, receive, send)


def _cached_answer_finder(
    server: MockServer, faults: FaultInjector
) -> Callable[[Scope], CachedAnswer | None]:
    """The mock's cached answer to a GET, when no fault rule could touch it and it is no admin call."""

    def cached(scope: Scope) -> CachedAnswer | None:
        if faults.plan.rules or scope["path"].startswith(ADMIN_PREFIX):
            return None
        key = request_key(scope)
        return None if key is None else server.answers.get(key)

    return cached


def _role_finder(server: MockServer) -> Callable[[Headers, Mapping[str, list[str]]], str | None]:
    """For the journal: which built-in role's token a request carries (never the token)."""

    def role_of(headers: Headers, query: Mapping[str, list[str]]) -> str | None:
        # The carrier Coder would use (§6.1), in the server's profile.
        token = session_token(headers, query, server.profile.token_carriers)
        if not token:
            return None
        deployment = server.deployment
        key = deployment.api_keys.get(token.split("-")[0])
        if key is None or key.token != token:
            return None
        for role, builtin in builtin_tokens(server.settings).items():
            if builtin == token:
                return role
        return _role_of_user(deployment.role_users, key.user_id)

    return role_of


def _role_of_user(role_users: Mapping[str, uuid.UUID], user_id: uuid.UUID) -> str | None:
    return next((role for role, holder in role_users.items() if holder == user_id), None)


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps the server on this machine (admin endpoints are safe open).

    Example:
        >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("::1")
        (True, True, True)
        >>> is_loopback("0.0.0.0"), is_loopback("192.168.1.5")
        (False, False)
    """
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
