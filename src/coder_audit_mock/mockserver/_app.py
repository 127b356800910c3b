"""The Starlette app: Coder's `/api/v2/audit` route group, answered as Coder answers it.

Where a request goes (§1.1, §1.2):

```
/api/v2/audit[/...]  -> authenticate (401) -> may read audit logs? (403)
                        ├── GET  /api/v2/audit              -> pagination (400) -> q (400) -> page
                        ├── POST /api/v2/audit/testgenerate -> body (413, 400) -> insert (500) -> 204
                        └── anything else                   -> 405 (known path) or 404
/api/v2/...          -> 404 {"message":"Route not found."}
/openapi.json        -> the project's OpenAPI 3.1 document
```
Like chi's sub-router middlewares in Coder, authentication and the read check run before the
route is matched, so an unknown path under `/api/v2/audit/` without a token is a 401.

Every difference between Coder versions comes from the server's `Profile` (one folder per
version under `profiles/`; `create_app(profile="2023-01")`): where the read check runs, the
parsers, the count, the renderer.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import random
import re
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from ._answers import AnswerCache, allow_caching, request_key
from ._auth import (
    OAUTH2_EXPERIMENT_OFF,
    PROTECTED_RESOURCE_PATH,
    Caller,
    authenticate,
    forbidden,
)
from ._csrf import SAFE_METHODS, csrf_refusal
from ._errors import CoderError
from ._generate import DEFAULT_LOG_COUNT, DEFAULT_NOW_US, DEFAULT_SEED, generate_deployment
from ._goparse import parse_go_query
from ._json import MEDIA_TYPE, GoJSONResponse
from ._model import Deployment
from ._store import AuditStore, Query, UnencodableLog, page_body
from ._testgenerate import INTERNAL_ERROR_MESSAGE, build_log, decode_request
from ._viewer import viewer_of
from .profiles import BEFORE_BODY, DEFAULT_PROFILE, ROUTE, Profile, get_profile, user_ids_named

logger = logging.getLogger("coder_audit_mock")

DEFAULT_MAX_BODY_BYTES = 1 << 20
ROUTE_NOT_FOUND = "Route not found."
AUDIT_PREFIX = "/api/v2/audit"
OPENAPI_PATH = "/openapi.json"
# Where the path routing sees is kept when it differs from the request's (see _SLASHES).
ROUTE_PATH_KEY = "coder_audit_mock.route_path"
_SLASHES = re.compile("/+")
# The methods each audit route answers (chi answers others with 405 and an Allow header).
_AUDIT_ROUTES = {"": "GET", "/": "GET", "/testgenerate": "POST"}
# chi's methodMap (go-chi/chi v5.2.4, tree.go): a method outside it, in any case spelling other
# than this one, is answered 405 with an empty body and no Allow header by the first router,
# whatever the path and before authentication (seen from v2.35.1: QUERY, BREW, "get").
CHI_METHODS = frozenset(
    {"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"}
)


@dataclasses.dataclass(frozen=True, slots=True)
class MockSettings:
    """Everything that decides the mock's data; the same settings give byte-identical answers.

    Example:
        >>> MockSettings(seed=3).log_count
        1000
    """

    seed: int = DEFAULT_SEED
    log_count: int = DEFAULT_LOG_COUNT
    now_us: int = DEFAULT_NOW_US
    tokens: Mapping[str, str] = dataclasses.field(default_factory=dict)
    max_logs: int | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    profile: str = DEFAULT_PROFILE  # the Coder version answered as (profiles.PROFILES)

    def build_deployment(self) -> Deployment:
        return generate_deployment(
            seed=self.seed,
            log_count=self.log_count,
            now_us=self.now_us,
            tokens=self.tokens,
            rules=get_profile(self.profile).data_rules,
        )


class MockServer:
    """The mock's state and handlers: one fake deployment, its audit-log store and a clock.

    The clock starts at the settings' `now` and advances with real time, so logs written by
    testgenerate are always newer than the seeded ones and seeded tokens expire relative to the
    seeded `now`, never to the machine's date.

    Example:
        >>> server = MockServer(MockSettings(log_count=10))
        >>> len(server.store)
        10
    """

    def __init__(self, settings: MockSettings, *, clock: Callable[[], int] | None = None) -> None:
        self.settings = settings
        self.profile: Profile = get_profile(settings.profile)
        self.baseline: Callable[[], Deployment] = settings.build_deployment
        self.store = AuditStore(
            self.baseline(),
            max_logs=settings.max_logs,
            count_cap=self.profile.count_cap,
            renderer=self.profile.render_log,
            short_control_escapes=self.profile.json_short_control_escapes,
        )
        started = time.monotonic_ns()
        self.clock = clock or (lambda: settings.now_us + (time.monotonic_ns() - started) // 1000)
        self._ids = random.Random(f"testgenerate:{settings.seed}")
        # Whole answers to repeated GETs (_answers); the clock is looked up on each call, as
        # tests may swap it.
        self.answers = AnswerCache(version=lambda: self.store.version, clock=lambda: self.clock())

    @property
    def deployment(self) -> Deployment:
        return self.store.deployment

    def reset(self) -> None:
        """Back to the baseline (the seeded deployment, or a loaded scenario); ids start over.

        `baseline` is a function that builds a fresh `Deployment`; scenario loading replaces it.
        """
        self.store.replace(self.baseline())
        self._ids = random.Random(f"testgenerate:{self.settings.seed}")

    # -- the /api/v2/audit route group ---------------------------------------------------

    async def audit_group(self, request: Request) -> Response:
        profile = self.profile
        query = parse_go_query(request.scope.get("query_string", b""))
        caller = self._authenticate(request, query)
        if profile.read_check == ROUTE and not caller.may_read_audit_logs:
            raise forbidden(profile.forbidden_detail)
        route = request.scope.get(ROUTE_PATH_KEY, request.scope["path"])[len(AUDIT_PREFIX) :]
        method = _AUDIT_ROUTES.get(route)
        if method is None:
            raise CoderError(404, ROUTE_NOT_FOUND)
        if request.method != method:
            return Response(status_code=405, headers={"Allow": method})
        if method == "GET":
            if not caller.may_read_audit_logs:  # read_check HANDLER: the handler's own check (§1.3)
                raise forbidden(profile.forbidden_detail)
            response = self.list_logs(caller, query)
            # A page is a function of the request, the data and the caller: the same request
            # may be answered again from the cache until a write or the key's expiry (the
            # first moment authenticate would refuse it).
            allow_caching(request.scope, until_us=caller.key.expires_at + 1)
            return response
        return await self.test_generate(request, caller)

    def _authenticate(self, request: Request, query: Mapping[str, list[str]]) -> Caller:
        profile = self.profile
        try:
            caller = authenticate(
                self.deployment,
                request.headers,
                query,
                now_us=self.clock(),
                carriers=profile.token_carriers,
            )
        except CoderError as error:
            if not profile.www_authenticate:  # this version's 401s carry no challenge (§6.2)
                error.headers.pop("WWW-Authenticate", None)
            raise
        if not profile.org_scoped_reads and caller.readable_organizations is not None:
            # When the profile says so, only site-wide readers may read (§6.3).
            caller = dataclasses.replace(caller, readable_organizations=frozenset())
        return caller

    def list_logs(self, caller: Caller, query: Mapping[str, list[str]]) -> Response:
        """GET /api/v2/audit (§1.1 steps 3-9; §1.3 steps 3-6)."""
        profile = self.profile
        page = profile.parse_pagination(query)
        q_values = query.get("q")
        search = profile.parse_search(
            q_values[0] if q_values else "",
            resolve_organization=lambda name: self._organization_named(caller, name),
        )
        limit, offset = profile.sql_window(page)
        user_ids: frozenset[uuid.UUID | None] | None = None
        if search.username == "me" and profile.username_me:
            user_ids = frozenset({caller.user.id})
        elif search.username:
            user_ids = frozenset(user_ids_named(profile, self.deployment.users, search.username))
        if search.email:
            by_email = frozenset(
                user.id for user in self.deployment.users.values() if user.email == search.email
            )
            user_ids = by_email if user_ids is None else user_ids & by_email
        logs, count = (
            self.store.page(
                Query(search, user_ids=user_ids, organizations=caller.readable_organizations),
                limit=limit,
                offset=offset,
            )
            if limit
            else ([], 0)  # a window of LIMIT 0, when the profile's sql_window gives one (§3.2)
        )
        try:
            body = page_body(
                self.store, logs, profile.count_rule(count, len(logs)), viewer_of(caller.user)
            )
        except UnencodableLog:
            return Response(UnencodableLog.GO_ERROR_BODY, media_type=MEDIA_TYPE)
        return GoJSONResponse(body)

    def _organization_named(self, caller: Caller, name: str) -> uuid.UUID | None:
        # §2.1: looked up among non-deleted organizations the caller may see.
        site_wide = caller.readable_organizations is None
        for organization in self.deployment.organizations.values():
            if organization.deleted or organization.name.lower() != name:
                continue
            if site_wide or organization.id in caller.user.organization_roles:
                return organization.id
        return None

    async def test_generate(self, request: Request, caller: Caller) -> Response:
        """POST /api/v2/audit/testgenerate (§1.2, §5; §1.4)."""
        profile = self.profile
        if profile.create_check == BEFORE_BODY and not caller.may_create_audit_logs:
            raise forbidden(profile.forbidden_detail)
        body = await read_body(request, self.settings.max_body_bytes)
        fields = decode_request(body, profile.testgenerate_fields)
        if not caller.may_create_audit_logs:
            # Auditors and organization admins pass the route's read check, but dbauthz
            # refuses the insert and the handler reports it as a 500 (§1.2 step 3).
            raise CoderError(500, INTERNAL_ERROR_MESSAGE, "unauthorized: rbac: forbidden")
        log = build_log(
            fields,
            user_id=caller.user.id,
            username=caller.user.username,
            user_agent=request.headers.get("user-agent", ""),
            now_us=self.clock(),
            rng=self._ids,
            ip=_client_ip(request),
            resource_types=profile.resource_types,
            actions=profile.audit_actions,
        )
        self.store.insert(log)
        return Response(status_code=204)


def _client_ip(request: Request) -> str:
    """The peer's address as Coder stores it (no proxy headers are trusted, Coder's default)."""
    client = request.scope.get("client")
    if not client:
        return ""
    try:
        return str(ipaddress.ip_address(client[0]))
    except ValueError:  # e.g. a test client's made-up host name: Go's ParseIP gives nil
        return ""


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing more than `limit` bytes with 413 before reading it all.

    Coder itself sets no limit; the mock documents one so that no body can exhaust memory.
    """
    declared = request.headers.get("content-length", "")
    # Compared as digit strings (length first): int() refuses more than 4300 digits, and an
    # ASGI server other than uvicorn may pass any Content-Length on.
    digits = declared.lstrip("0") if declared.isascii() and declared.isdigit() else ""
    if (len(digits), digits) > (len(str(limit)), str(limit)):
        raise _too_large(limit)
    received = bytearray()
    try:
        async for chunk in request.stream():
            received += chunk
            if len(received) > limit:
                raise _too_large(limit)
    except ClientDisconnect:
        # The client left (or uvicorn refused the rest of the body) before the body was
        # complete: Go's decoder reads "unexpected EOF". Nothing is stored, nobody reads the
        # answer, and a client leaving is not the server's error to log with a traceback.
        raise CoderError(400, "Request body must be valid JSON.", "unexpected EOF") from None
    return bytes(received)


def _too_large(limit: int) -> CoderError:
    return CoderError(
        413,
        "Request body too large.",
        f"The mock server accepts request bodies of at most {limit} bytes.",
    )


def _coder_error_response(request: Request, error: Exception) -> Response:
    assert isinstance(error, CoderError)  # registered for CoderError only
    headers = dict(error.headers)
    challenge = headers.get("WWW-Authenticate")
    if challenge is not None:
        base = f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"
        headers["WWW-Authenticate"] = challenge.replace("{base}", _go_quote_safe(base))
    return GoJSONResponse(error.body(), status_code=error.status_code, headers=headers)


def _go_quote_safe(text: str) -> str:
    # The value sits inside Go's %q: keep the header parseable whatever Host the client sent.
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _unexpected_error(request: Request, error: Exception) -> Response:
    # A bug in the mock must still answer in Coder's shape, never with a traceback.
    logger.exception("unexpected error answering %s %s", request.method, request.url.path)
    return GoJSONResponse(
        {"message": INTERNAL_ERROR_MESSAGE, "detail": f"{type(error).__name__}: {error}"},
        status_code=500,
    )


async def _route_not_found(request: Request) -> Response:
    return GoJSONResponse({"message": ROUTE_NOT_FOUND}, status_code=404)


async def _oauth2_experiment_off(request: Request) -> Response:
    return GoJSONResponse({"message": OAUTH2_EXPERIMENT_OFF}, status_code=403)


def create_app(
    settings: MockSettings | None = None,
    *,
    seed: int = DEFAULT_SEED,
    log_count: int = DEFAULT_LOG_COUNT,
    now: datetime | None = None,
    tokens: Mapping[str, str] | None = None,
    max_logs: int | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    clock: Callable[[], int] | None = None,
    profile: str = DEFAULT_PROFILE,
) -> Starlette:
    """Build the mock Coder audit-log API as an ASGI app.

    Args:
        settings: all of the fields below but `clock` at once (`MockSettings`); give either
            settings or those fields, not both.
        seed: decides every generated name, id and time (same seed, same data).
        log_count: how many audit logs the fake deployment starts with.
        now: the deployment's present; logs lie in the 90 days before it. Default fixed.
        tokens: role -> session token, replacing the built-in tokens (`DEFAULT_TOKENS`).
        max_logs: refuse testgenerate beyond this many stored logs (None: no limit).
        max_body_bytes: larger request bodies get 413.
        clock: microseconds since the epoch "now" for testgenerate and token expiry.
        profile: the Coder version to answer as: "newest" (default) or "2023-01"
            (`profiles.PROFILES`).

    The app's state holds the `MockServer` as `app.state.mock` (reset it with `.reset()`).

    Example:
        >>> from starlette.testclient import TestClient
        >>> from coder_audit_mock.mockserver import DEFAULT_TOKENS
        >>> client = TestClient(create_app(log_count=5))
        >>> client.get("/api/v2/audit", headers={"Coder-Session-Token": DEFAULT_TOKENS["owner"]}).json()["count"]
        5
        >>> create_app(MockSettings(log_count=2)).state.mock.settings.log_count
        2
    """
    if settings is not None:
        fields = {
            "seed": seed != DEFAULT_SEED,
            "log_count": log_count != DEFAULT_LOG_COUNT,
            "now": now is not None,
            "tokens": tokens is not None,
            "max_logs": max_logs is not None,
            "max_body_bytes": max_body_bytes != DEFAULT_MAX_BODY_BYTES,
            "profile": profile != DEFAULT_PROFILE,
        }
        if any(fields.values()):
            given = ", ".join(name for name, is_given in fields.items() if is_given)
            raise TypeError(f"create_app: give settings or {given}, not both")
        return create_app_for(MockServer(settings, clock=clock))
    settings = MockSettings(
        seed=seed,
        log_count=log_count,
        now_us=DEFAULT_NOW_US if now is None else _to_microseconds(now),
        tokens=dict(tokens or {}),
        max_logs=max_logs,
        max_body_bytes=max_body_bytes,
        profile=profile,
    )
    return create_app_for(MockServer(settings, clock=clock))


class _MockApp(Starlette):
    """Starlette, with the audit route group answered without the router and middleware stack.

    A GET answered before, with nothing written since, is replayed from the server's `answers`.
    Every `/api/v2/audit` request goes to `MockServer.audit_group`, which matches its own
    routes (as chi's sub-router does, after authentication), so Starlette's route matching
    and exception middlewares only add time there: about a third of the mock's own cost per
    request in `bench/`. Errors are answered exactly as the registered handlers answer them.
    """

    def __init__(self, server: MockServer, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._server = server
        self._extra_headers = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in server.profile.response_headers
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        if scope["method"] == "GET":
            # GET is exempt from the CSRF check and known to chi: a replayed answer skips
            # nothing that could have answered differently (see _answers).
            key = request_key(scope)
            if key is not None:
                answer = self._server.answers.get(key)
                if answer is not None:
                    await answer.replay(send)
                    return
                send = self._server.answers.recording(key, scope, send)
        extra = self._extra_headers
        if extra:
            send = _adding_headers(send, extra)
        path = scope.get("path", "")
        if self._server.profile.csrf_check and scope["method"] not in SAFE_METHODS:
            refusal = csrf_refusal(
                scope["method"],
                path,
                Headers(scope=scope),
                parse_go_query(scope.get("query_string", b"")),
            )
            if refusal is not None:  # Go's http.Error, before authentication and routing
                text = PlainTextResponse(refusal + "\n", status_code=400)
                await text(scope, receive, send)
                return
        if scope["method"] not in CHI_METHODS:
            await Response(status_code=405)(scope, receive, send)
            return
        if "//" in path:  # Coder's singleSlashMW: routing sees runs of slashes as one
            path = _SLASHES.sub("/", path)
            scope[ROUTE_PATH_KEY] = path
        if not (path == AUDIT_PREFIX or path.startswith(AUDIT_PREFIX + "/")):
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self
        request = Request(scope, receive)
        try:
            response = await self._server.audit_group(request)
        except CoderError as error:
            response = _coder_error_response(request, error)
        except Exception as error:  # noqa: BLE001 - a bug still gets Coder's shape, no traceback
            response = _unexpected_error(request, error)
        await response(scope, receive, send)


def _adding_headers(send: Send, headers: list[tuple[bytes, bytes]]) -> Send:
    """`send`, with `headers` added to the response start (Coder's root middleware)."""

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", ()), *headers]}
        await send(message)

    return send_with_headers


def create_app_for(server: MockServer) -> Starlette:
    """Wrap an existing `MockServer` in the ASGI app (for callers that build the server first).

    Example:
        >>> server = MockServer(MockSettings(log_count=3))
        >>> create_app_for(server).state.mock is server
        True
    """

    async def openapi(request: Request) -> Response:
        from ._document import openapi_document

        return GoJSONResponse(openapi_document(server.profile.name))

    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]
    app = _MockApp(
        server,
        routes=[
            Route(AUDIT_PREFIX, server.audit_group, methods=methods),
            Route(AUDIT_PREFIX + "/{rest:path}", server.audit_group, methods=methods),
            Route(OPENAPI_PATH, openapi, methods=["GET"]),
            *_protected_resource_routes(server.profile, methods),
            Route("/{rest:path}", _route_not_found, methods=methods),
        ],
        exception_handlers={CoderError: _coder_error_response, Exception: _unexpected_error},
    )
    app.state.mock = server
    return app


def _protected_resource_routes(profile: Profile, methods: list[str]) -> list[Route]:
    # Only where the 401s point there (profile.www_authenticate); a version without the
    # challenge had no such route either (404).
    if not profile.www_authenticate:
        return []
    return [
        Route(PROTECTED_RESOURCE_PATH, _oauth2_experiment_off, methods=methods),
        Route(PROTECTED_RESOURCE_PATH + "/{rest:path}", _oauth2_experiment_off, methods=methods),
    ]


def _to_microseconds(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
