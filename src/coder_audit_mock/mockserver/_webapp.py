"""The calls Coder's web app makes to log in and render the Audit page, answered as Coder does.

Coder's web app (`site/`, v2.35.1) served by its Vite dev server fetches everything from the
API: `users/me` (a 401 sends it to /login), `users/first`, `authcheck`, `entitlements`,
`buildinfo`, `organizations`, `appearance`, `experiments`, and on the Audit page
`users?limit=25&q=` and a per-organization `authcheck`. `WebAppApi` answers exactly those
routes (and the login, logout and a few cheap extras that would show errors otherwise) over the
mock's own users and organizations. Every other path goes on to the audit mock, which answers
404 `Route not found.` (never 401: once signed in, any 401 signs the web app out).

Each answer's fields, types and error shapes follow what a real Coder v2.35.1 answered,
recorded in `tests/fidelity/webapp/coder-v2.35.1.jsonl` and compared by
`tests/fidelity/test_webapp.py`. The licensed overlay (`entitlements`, `appearance`) is the
enterprise build's answer designed from codersdk's types; `licensed=False` answers both with
the open-source build's recorded 404, which the web app reads as "no licence".

Every built-in user signs in with its email and the password `SomeSecurePassword!` (the one
Coder's own `scripts/develop.sh` gives its admin).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from ._app import ROUTE_NOT_FOUND, MockServer, read_body
from ._auth import SESSION_TOKEN_COOKIE, Caller, authenticate
from ._csrf import SAFE_METHODS, csrf_refusal
from ._errors import CoderError, Validation
from ._goparse import parse_go_query
from ._json import GoJSONResponse
from ._model import APIKey, Organization, User
from ._pagination import parse_pagination
from ._permissions import authorize, entitlements_body
from ._render import format_time, render_user
from ._testgenerate import _go_syntax_error

__all__ = ["BUILTIN_PASSWORD", "WEBAPP_ROUTES", "WebAppApi"]

BUILTIN_PASSWORD = "SomeSecurePassword!"
_SESSION_SECONDS = 365 * 24 * 3600  # Coder's default session lifetime (the recorded Max-Age)
_INVALID_JSON = "Request body must be valid JSON."
# Recorded from v2.35.1 (users/me/appearance, users/authmethods, buildinfo's constants).
_USER_APPEARANCE = {
    "theme_preference": "",
    "theme_mode": "",
    "theme_light": "",
    "theme_dark": "",
    "terminal_font": "",
}
_AUTH_METHODS = {
    "password": {"enabled": True},
    "github": {"enabled": False, "default_provider_configured": False},
    "oidc": {"enabled": False, "signInText": "", "iconUrl": ""},
}
# codersdk.UserQuery's keys (searchquery.Users, v2.35.1): others are a 400.
_USER_SEARCH_KEYS = frozenset(
    {
        "search", "name", "status", "role", "login_type", "last_seen_before", "last_seen_after",
        "created_before", "created_after", "github_com_user_id", "service_account",
    }
)  # fmt: skip

Handler = Callable[["WebAppApi", Request], Awaitable[Response]]


@dataclasses.dataclass(frozen=True, slots=True)
class _Route:
    method: str
    handler: Handler
    authenticated: bool = True


class WebAppApi:
    """The web app's routes as an ASGI app; `handles(path)` says which paths are its own.

    Args:
        server: the mock whose users, organizations and tokens answer.
        licensed: answer `entitlements` and `appearance` as a licensed (enterprise)
            deployment; False answers them 404, as the open-source build does.

    Example:
        >>> from starlette.testclient import TestClient
        >>> from coder_audit_mock.mockserver import DEFAULT_TOKENS, MockServer, MockSettings
        >>> api = WebAppApi(MockServer(MockSettings(log_count=0)))
        >>> api.handles("/api/v2/users/me"), api.handles("/api/v2/workspaces")
        (True, False)
        >>> me = TestClient(api).get("/api/v2/users/me",
        ...                          headers={"Coder-Session-Token": DEFAULT_TOKENS["auditor"]})
        >>> me.status_code, [role["name"] for role in me.json()["roles"]]
        (200, ['auditor'])
    """

    def __init__(self, server: MockServer, *, licensed: bool = True) -> None:
        self.server = server
        self.licensed = licensed
        self._keys = random.Random(f"webapp-sessions:{server.settings.seed}")

    def handles(self, path: str) -> bool:
        return path in WEBAPP_ROUTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._watch(scope, receive, send)
            return
        request = Request(scope, receive)
        extra = dict(self.server.profile.response_headers)
        try:
            response = await self._answer(request)
        except CoderError as error:
            response = GoJSONResponse(
                error.body(), status_code=error.status_code, headers=_challenge(request, error)
            )
        response.headers.update(extra)
        await response(scope, receive, send)

    async def _answer(self, request: Request) -> Response:
        path = request.url.path
        routes = WEBAPP_ROUTES.get(path, {})
        route = routes.get(request.method)
        if route is None:
            if request.method == "HEAD" and "GET" in routes:
                route = routes["GET"]
            elif path == "/api/v2/entitlements" or path == "/api/v2/appearance":
                raise CoderError(404, ROUTE_NOT_FOUND)
            else:
                return Response(status_code=405, headers={"Allow": ", ".join(routes)})
        if request.method not in SAFE_METHODS:
            refusal = csrf_refusal(
                request.method,
                path,
                request.headers,
                parse_go_query(request.scope.get("query_string", b"")),
            )
            if refusal is not None:
                return PlainTextResponse(refusal + "\n", status_code=400)
        return await route.handler(self, request)

    async def _watch(self, scope: Scope, receive: Receive, send: Send) -> None:
        """`notifications/inbox/watch`: for a signed-in caller, a socket that stays quiet."""
        try:
            self.authenticate(scope)
        except CoderError:
            await receive()  # websocket.connect; closing before accepting refuses the upgrade
            await send({"type": "websocket.close", "code": 1008})
            return
        await _hold_websocket(receive, send)

    # -- helpers -----------------------------------------------------------------------------

    def caller(self, request: Request) -> Caller:
        return self.authenticate(request.scope)

    def authenticate(self, scope: Scope) -> Caller:
        """The signed-in caller of a request or WebSocket, or Coder's 401 `CoderError`."""
        server = self.server
        return authenticate(
            server.deployment,
            Headers(scope=scope),
            parse_go_query(scope.get("query_string", b"")),
            now_us=server.clock(),
            carriers=server.profile.token_carriers,
        )

    def user_body(self, user: User) -> dict[str, Any]:
        """`codersdk.User` as `users/me` and `users` answer it (organization ids filled in)."""
        # A log's actor object, with the memberships that Coder leaves blank there.
        body = render_user(user)
        body["organization_ids"] = [str(org) for org in user.organization_roles]
        return body

    def organization_body(self, organization: Organization) -> dict[str, Any]:
        created = format_time(self._epoch())
        return {
            "id": str(organization.id),
            "name": organization.name,
            "display_name": organization.display_name,
            "icon": organization.icon,
            "description": "Builtin default organization." if organization.is_default else "",
            "created_at": created,
            "updated_at": created,
            "is_default": organization.is_default,
            "default_org_member_roles": ["organization-workspace-access"],
        }

    def _epoch(self) -> int:
        # The deployment's creation: its oldest user (deterministic for a seed).
        users = self.server.deployment.users.values()
        return min((user.created_at for user in users), default=self.server.settings.now_us)

    def new_session(self, user: User) -> APIKey:
        rng = self._keys
        alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        key = APIKey(
            id="".join(rng.choice(alphabet) for _ in range(10)),
            secret="".join(rng.choice(alphabet) for _ in range(22)),
            user_id=user.id,
            expires_at=self.server.clock() + _SESSION_SECONDS * 1_000_000,
        )
        self.server.deployment.api_keys[key.id] = key
        self.server.store.sessions_changed()
        return key


# -- handlers ---------------------------------------------------------------------------------


async def _me(api: WebAppApi, request: Request) -> Response:
    return GoJSONResponse(api.user_body(api.caller(request).user))


async def _first_user(api: WebAppApi, request: Request) -> Response:
    # Recorded: 200 with this message once an owner exists (the mock always has one).
    return GoJSONResponse({"message": "The initial user has already been created!"})


async def _auth_methods(api: WebAppApi, request: Request) -> Response:
    return GoJSONResponse(_AUTH_METHODS)


async def _build_info(api: WebAppApi, request: Request) -> Response:
    base = f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"
    seed = api.server.settings.seed
    return GoJSONResponse(
        {
            "external_url": "https://github.com/coder/coder",
            "version": "v2.35.1",
            "dashboard_url": base,
            # False, or the login page sends telemetry out (a real Coder's default is true).
            "telemetry": False,
            "workspace_proxy": False,
            "agent_api_version": "1.0",
            "provisioner_api_version": "1.18",
            "upgrade_message": "",
            "deployment_id": str(uuid.UUID(bytes=hashlib.sha256(f"{seed}".encode()).digest()[:16])),
            "webpush_public_key": "",
        }
    )


async def _authcheck(api: WebAppApi, request: Request) -> Response:
    user = api.caller(request).user
    document = await _json_body(api, request, "AuthorizationRequest")
    checks = document.get("checks") or {}
    if not isinstance(checks, dict):
        raise CoderError(400, _INVALID_JSON, _go_type_error(checks, "AuthorizationRequest.checks"))
    answers = {
        name: authorize(user, check if isinstance(check, dict) else {})
        for name, check in sorted(checks.items())  # Go encodes map keys sorted
    }
    return GoJSONResponse(answers)


async def _organizations(api: WebAppApi, request: Request) -> Response:
    user = api.caller(request).user
    everyone = bool({"owner", "auditor"} & set(user.site_roles))
    organizations = [
        api.organization_body(organization)
        for organization in api.server.deployment.organizations.values()
        if not organization.deleted and (everyone or organization.id in user.organization_roles)
    ]
    return GoJSONResponse(organizations)


async def _users(api: WebAppApi, request: Request) -> Response:
    caller = api.caller(request).user
    query = parse_go_query(request.scope.get("query_string", b""))
    page = parse_pagination(query)
    words = _user_search((query.get("q") or [""])[0])
    sees_all = bool({"owner", "auditor", "user-admin"} & set(caller.site_roles)) or any(
        "organization-admin" in roles for roles in caller.organization_roles.values()
    )
    users = sorted(
        (
            user
            for user in api.server.deployment.users.values()
            if not user.deleted and (sees_all or user.id == caller.id) and _matches(user, words)
        ),
        key=lambda user: user.username.lower(),
    )
    window = users[page.offset : page.offset + page.limit] if page.limit else users[page.offset :]
    return GoJSONResponse({"users": [api.user_body(u) for u in window], "count": len(users)})


async def _login(api: WebAppApi, request: Request) -> Response:
    document = await _json_body(api, request, "LoginWithPasswordRequest")
    email, password = document.get("email"), document.get("password")
    validations = []
    if not isinstance(email, str) or "@" not in email:
        validations.append(
            Validation("email", f'Validation failed for tag "email" with value: "{email or ""}"')
        )
    if not isinstance(password, str) or not password:
        validations.append(
            Validation("password", 'Validation failed for tag "required" with value: ""')
        )
    if validations:
        raise CoderError(400, "Validation failed.", validations=tuple(validations))
    user = next(
        (
            u
            for u in api.server.deployment.users.values()
            if not u.deleted and u.email and u.email == email
        ),
        None,
    )
    if user is None or password != BUILTIN_PASSWORD or user.login_type != "password":
        raise CoderError(401, "Incorrect email or password.")
    if user.status == "suspended":
        raise CoderError(
            401, "Your account is suspended. Contact an admin to reactivate your account."
        )
    key = api.new_session(user)
    response = GoJSONResponse({"session_token": key.token}, status_code=201)
    response.headers.append(
        "Set-Cookie",
        f"{SESSION_TOKEN_COOKIE}={key.token}; Path=/; Max-Age={_SESSION_SECONDS}; "
        "HttpOnly; SameSite=Lax",
    )
    return response


async def _logout(api: WebAppApi, request: Request) -> Response:
    caller = api.caller(request)
    api.server.deployment.api_keys.pop(caller.key.id, None)
    # A signed-out token must get its 401 at once, not a cached answer (_answers).
    api.server.store.sessions_changed()
    response = GoJSONResponse({"message": "Logged out!"})
    response.headers.append(
        "Set-Cookie", f"{SESSION_TOKEN_COOKIE}=; Path=/; Max-Age=0; SameSite=Lax"
    )
    return response


async def _entitlements(api: WebAppApi, request: Request) -> Response:
    if not api.licensed:
        raise CoderError(404, ROUTE_NOT_FOUND)
    api.caller(request)
    users = sum(1 for u in api.server.deployment.users.values() if not u.deleted)
    return GoJSONResponse(
        entitlements_body(user_count=users, refreshed_at=format_time(api.server.settings.now_us))
    )


async def _appearance(api: WebAppApi, request: Request) -> Response:
    if not api.licensed:
        raise CoderError(404, ROUTE_NOT_FOUND)
    # codersdk.AppearanceConfig with nothing configured (support_links is omitempty).
    return GoJSONResponse(
        {
            "application_name": "",
            "logo_url": "",
            "docs_url": "",
            "service_banner": {"enabled": False},
            "announcement_banners": [],
        }
    )


async def _healthz(api: WebAppApi, request: Request) -> Response:
    # Recorded: 200 "OK" as text/plain, without a token (Coder's dev server proxies /healthz).
    return PlainTextResponse("OK")


def _constant(body: Any, *, authenticated: bool = True) -> Handler:
    async def answer(api: WebAppApi, request: Request) -> Response:
        if authenticated:
            api.caller(request)
        return GoJSONResponse(body)

    return answer


WEBAPP_ROUTES: dict[str, dict[str, _Route]] = {
    "/api/v2/users/me": {"GET": _Route("GET", _me)},
    "/api/v2/users/first": {"GET": _Route("GET", _first_user, authenticated=False)},
    "/api/v2/users/authmethods": {"GET": _Route("GET", _auth_methods, authenticated=False)},
    "/api/v2/users/login": {"POST": _Route("POST", _login, authenticated=False)},
    "/api/v2/users/logout": {"POST": _Route("POST", _logout)},
    "/api/v2/users": {"GET": _Route("GET", _users)},
    "/api/v2/authcheck": {"POST": _Route("POST", _authcheck)},
    "/api/v2/buildinfo": {"GET": _Route("GET", _build_info, authenticated=False)},
    "/api/v2/entitlements": {"GET": _Route("GET", _entitlements)},
    "/api/v2/appearance": {"GET": _Route("GET", _appearance)},
    "/api/v2/organizations": {"GET": _Route("GET", _organizations)},
    "/api/v2/experiments": {"GET": _Route("GET", _constant([]))},
    "/api/v2/users/me/appearance": {"GET": _Route("GET", _constant(_USER_APPEARANCE))},
    "/api/v2/notifications/inbox": {
        "GET": _Route("GET", _constant({"notifications": [], "unread_count": 0}))
    },
    "/api/v2/notifications/inbox/watch": {"GET": _Route("GET", _constant({}))},
    "/api/v2/tasks": {"GET": _Route("GET", _constant({"tasks": [], "count": 0}))},
    "/healthz": {"GET": _Route("GET", _healthz)},
}


def _user_search(text: str) -> dict[str, list[str]]:
    """Coder's user search (searchquery.Users): `key:value` pairs; bare words are `search`."""
    terms: dict[str, list[str]] = {}
    invalid = []
    for word in text.lower().split():
        key, sep, value = word.partition(":")
        if not sep:
            key, value = "search", word
        if key not in _USER_SEARCH_KEYS:
            invalid.append(Validation(key, f'"{key}" is not a valid query param'))
            continue
        terms.setdefault(key, []).append(value)
    if invalid:
        raise CoderError(400, "Invalid user search query.", validations=tuple(invalid))
    return terms


def _matches(user: User, terms: dict[str, list[str]]) -> bool:
    for word in terms.get("search", ()):
        if word not in user.username.lower() and word not in user.email.lower():
            return False
    statuses = terms.get("status")
    if statuses and user.status not in statuses:
        return False
    roles = terms.get("role")
    if roles and not set(roles) & set(user.site_roles):
        return False
    login_types = terms.get("login_type")
    return not login_types or user.login_type in login_types


async def _json_body(api: WebAppApi, request: Request, go_type: str) -> dict[str, Any]:
    """The request's JSON object, refused as Coder's `httpapi.Read` refuses a bad one."""
    text = (await read_body(request, api.server.settings.max_body_bytes)).decode("utf-8", "replace")
    if not text.strip():
        raise CoderError(400, _INVALID_JSON, "EOF")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise CoderError(400, _INVALID_JSON, _go_syntax_error(error, text)) from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise CoderError(400, _INVALID_JSON, _go_type_error(document, go_type))
    return document


def _go_type_error(value: Any, field: str) -> str:
    kind = (
        "string" if isinstance(value, str) else
        "bool" if isinstance(value, bool) else
        "number" if isinstance(value, (int, float)) else
        "array" if isinstance(value, list) else "object"
    )  # fmt: skip
    return f"json: cannot unmarshal {kind} into Go value of type codersdk.{field}"


def _challenge(request: Request, error: CoderError) -> dict[str, str]:
    headers = dict(error.headers)
    challenge = headers.get("WWW-Authenticate")
    if challenge is not None:
        base = f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"
        headers["WWW-Authenticate"] = challenge.replace("{base}", base.replace('"', '\\"'))
    return headers


async def _hold_websocket(receive: Receive, send: Send) -> None:
    """`notifications/inbox/watch`: accept, send nothing, close when the client does."""
    while True:
        message = await receive()
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
        elif message["type"] == "websocket.disconnect":
            return
