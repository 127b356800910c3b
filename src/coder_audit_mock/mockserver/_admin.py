"""The mock's own admin endpoints, under `/_mock/`, apart from Coder's `/api/v2/` paths.

| method | path | body in | answer |
|---|---|---|---|
| GET | `/_mock` | | this table as JSON |
| POST | `/_mock/reset` | | back to the baseline (seeded data or the loaded scenario); counts |
| GET | `/_mock/scenario` | | the current data as a scenario (`export_scenario`) |
| POST | `/_mock/scenario[?merge=true]` | scenario, JSON or YAML (`Content-Type: application/yaml`) | loads it (as the new baseline, or merged into the current data); counts |
| GET | `/_mock/journal[?method=&path=&status=&since=&until=]` | | `{"entries": [...]}`, the recorded requests, oldest first, filtered |
| DELETE | `/_mock/journal` | | forgets them; `{"cleared": n}` |
| GET | `/_mock/faults` | | the fault plan `{"seed", "rules": [...]}` |
| PUT | `/_mock/faults` | a fault plan | replaces it (draws restart from its seed) |
| DELETE | `/_mock/faults` | | no faults |
| GET | `/_mock/tokens` | | the session tokens: built-in roles and each user's |

Errors are Coder-shaped (`{"message", "detail", "validations"}`, §1.5). When an admin
token is configured every call needs it in the `Mock-Admin-Token` header (401 otherwise).
"""

from __future__ import annotations

import dataclasses
import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ._app import MockServer, read_body
from ._errors import CoderError, Validation
from ._faults import FaultConfigError, FaultInjector, FaultPlan
from ._journal import RequestJournal, select_entries
from ._json import GoJSONResponse
from ._scenario import builtin_tokens, export_scenario, load_scenario, scenario_summary
from ._scenario_entry import ScenarioError
from ._scenario_files import parse_scenario_text

ADMIN_PREFIX = "/_mock"
ADMIN_TOKEN_HEADER = "Mock-Admin-Token"
# Scenario bodies are whole data sets: far above the API's body limit, still bounded.
ADMIN_MAX_BODY_BYTES = 256 << 20

Handler = Callable[[Request], Awaitable[Response]]


@dataclasses.dataclass(frozen=True, slots=True)
class _Endpoint:
    method: str
    path: str
    summary: str
    handler: Handler


class AdminApi:
    """The `/_mock/...` endpoints behind one Starlette endpoint, `handle` (route `/_mock{rest:path}`).

    Args:
        server: the mock whose data the endpoints reset, load and export.
        journal: the request journal the middleware fills.
        faults: the live fault injector.
        token: when set, every call must send it in the `Mock-Admin-Token` header.

    Example:
        >>> from starlette.applications import Starlette
        >>> from starlette.routing import Route
        >>> from starlette.testclient import TestClient
        >>> from coder_audit_mock.mockserver import MockServer, MockSettings
        >>> admin = AdminApi(MockServer(MockSettings(log_count=4)), RequestJournal(), FaultInjector())
        >>> app = Starlette(routes=[Route("/_mock{rest:path}", admin.handle, methods=["GET", "POST"])])
        >>> TestClient(app).post("/_mock/reset").json()["logs"]
        4
    """

    def __init__(
        self,
        server: MockServer,
        journal: RequestJournal,
        faults: FaultInjector,
        *,
        token: str | None = None,
    ) -> None:
        self.server = server
        self.journal = journal
        self.faults = faults
        self.token = token
        endpoints = [
            _Endpoint("GET", "", "this list of admin endpoints", self.index),
            _Endpoint("POST", "/reset", "back to the baseline data", self.reset),
            _Endpoint("GET", "/scenario", "export the current data as a scenario", self.export),
            _Endpoint(
                "POST",
                "/scenario",
                "load a scenario (JSON or YAML) as the new baseline; ?merge=true adds to the "
                "current data instead",
                self.load,
            ),
            _Endpoint(
                "GET", "/journal", "the recorded requests, oldest first", self.journal_entries
            ),
            _Endpoint("DELETE", "/journal", "forget the recorded requests", self.clear_journal),
            _Endpoint("GET", "/faults", "the fault plan", self.get_faults),
            _Endpoint("PUT", "/faults", "replace the fault plan", self.put_faults),
            _Endpoint("DELETE", "/faults", "turn faults off", self.delete_faults),
            _Endpoint(
                "GET", "/tokens", "session tokens of the built-in roles and users", self.tokens
            ),
        ]
        self.endpoints = endpoints
        self._routes: dict[str, dict[str, Handler]] = {}
        for endpoint in endpoints:
            self._routes.setdefault(endpoint.path, {})[endpoint.method] = endpoint.handler

    async def handle(self, request: Request) -> Response:
        """Answer one admin request (authorize, route by path and method)."""
        try:
            self._authorize(request)
            rest = request.url.path[len(ADMIN_PREFIX) :].rstrip("/")
            methods = self._routes.get(rest)
            if methods is None:
                raise CoderError(404, "Route not found.")
            handler = methods.get(request.method)
            if handler is None:
                allowed = ", ".join(methods)
                raise CoderError(
                    405,
                    "Method not allowed.",
                    f"{ADMIN_PREFIX}{rest} accepts {allowed}",
                    headers={"Allow": allowed},
                )
            return await handler(request)
        except CoderError as error:
            return GoJSONResponse(
                error.body(), status_code=error.status_code, headers=error.headers
            )

    def _authorize(self, request: Request) -> None:
        if self.token is None:
            return
        presented = request.headers.get(ADMIN_TOKEN_HEADER, "")
        if not presented:
            raise CoderError(
                401,
                "Admin token required.",
                f"send the admin token (coder-audit-mock serve --admin-token) in the "
                f"{ADMIN_TOKEN_HEADER} header",
            )
        if not hmac.compare_digest(presented.encode(), self.token.encode()):
            raise CoderError(401, "Admin token is invalid.")

    # -- endpoints -----------------------------------------------------------------------

    async def index(self, request: Request) -> Response:
        return GoJSONResponse(
            {
                "endpoints": [
                    {"method": e.method, "path": ADMIN_PREFIX + e.path, "summary": e.summary}
                    for e in self.endpoints
                ],
                "token_header": ADMIN_TOKEN_HEADER,
            }
        )

    async def reset(self, request: Request) -> Response:
        await run_in_threadpool(self.server.reset)
        return GoJSONResponse(scenario_summary(self.server.deployment))

    async def export(self, request: Request) -> Response:
        return GoJSONResponse(await run_in_threadpool(export_scenario, self.server))

    async def load(self, request: Request) -> Response:
        body = await read_body(request, ADMIN_MAX_BODY_BYTES)
        content_type = request.headers.get("content-type", "")
        is_yaml = "yaml" in content_type.lower()
        merge = request.query_params.get("merge", "false").lower() in ("1", "true", "yes")
        try:
            text = body.decode("utf-8")
            data = parse_scenario_text(text, yaml=is_yaml, source="body")
            await run_in_threadpool(lambda: load_scenario(self.server, data, replace=not merge))
        except UnicodeDecodeError as error:
            raise CoderError(400, "Invalid scenario.", f"body: not UTF-8 ({error})") from None
        except ScenarioError as error:
            raise CoderError(
                400,
                "Invalid scenario.",
                str(error),
                validations=tuple(Validation(each.field, each.detail) for each in error.errors),
            ) from None
        return GoJSONResponse(scenario_summary(self.server.deployment))

    async def journal_entries(self, request: Request) -> Response:
        try:
            entries = select_entries(self.journal.entries(), dict(request.query_params))
        except ValueError as error:
            field, _, detail = str(error).partition(": ")
            raise CoderError(
                400, "Invalid journal filter.", str(error), validations=(Validation(field, detail),)
            ) from None
        return GoJSONResponse({"entries": [entry.as_json() for entry in entries]})

    async def clear_journal(self, request: Request) -> Response:
        return GoJSONResponse({"cleared": self.journal.clear()})

    async def get_faults(self, request: Request) -> Response:
        return GoJSONResponse(self.faults.plan.as_json())

    async def put_faults(self, request: Request) -> Response:
        body = await read_body(request, self.server.settings.max_body_bytes)
        try:
            plan = FaultPlan.from_json(json.loads(body))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise CoderError(400, "Request body must be valid JSON.", str(error)) from None
        except FaultConfigError as error:
            raise CoderError(
                400,
                "Invalid fault configuration.",
                str(error),
                validations=(Validation(error.field, error.detail),),
            ) from None
        self.faults.configure(plan)
        return GoJSONResponse(plan.as_json())

    async def delete_faults(self, request: Request) -> Response:
        self.faults.configure(FaultPlan(seed=self.faults.plan.seed))
        return GoJSONResponse(self.faults.plan.as_json())

    async def tokens(self, request: Request) -> Response:
        return GoJSONResponse(session_tokens(self.server))


def session_tokens(server: MockServer) -> dict[str, Any]:
    """The tokens that sign in now: `{"roles": {role: token}, "users": {username: [tokens]}}`.

    Built-in roles are listed while their key exists with its built-in secret.

    Example:
        >>> from coder_audit_mock.mockserver import MockServer, MockSettings
        >>> session_tokens(MockServer(MockSettings(log_count=0)))["roles"]["owner"]
        'owner00000-ownersecret00000000000'
    """
    deployment = server.deployment
    roles = {}
    for role, token in builtin_tokens(server.settings).items():
        key = deployment.api_keys.get(token.split("-")[0])
        if key is not None and key.token == token:
            roles[role] = token
    users: dict[str, list[str]] = {}
    for key in deployment.api_keys.values():
        user = deployment.users.get(key.user_id)
        if user is not None:
            users.setdefault(user.username, []).append(key.token)
    return {"roles": roles, "users": users}
