"""The standalone server's CORS layer: lets a page on another origin call the mock.

Coder has none (its UI is served from the same origin, §8); a frontend developer running the
UI from a dev server needs one. It sits inside the recorder and outside the fault layer, so
injected faults carry its headers too (`_standalone`).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Collection

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._asgi import encode_headers, send_json

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
        refusal = self._refusal(origin, allowed, headers)
        if refusal is not None:
            await send_json(
                send, 400, {"message": "CORS preflight refused.", "detail": refusal}, [vary]
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
                "headers": encode_headers(answer),
            }
        )

    def _refusal(self, origin: str, allowed: bool, headers: Headers) -> str | None:
        """Why a preflight is refused, naming what to change; None when it is allowed."""
        if not allowed:
            return (
                f"The origin {origin} may not call this mock server; allow it with "
                f"`coder-audit-mock serve --cors-origin {origin}` (or --cors-origin '*')."
            )
        requested = [
            name.strip()
            for name in headers.get("access-control-request-headers", "").split(",")
            if name.strip()
        ]
        refused = [name for name in requested if name.lower() not in self.allow_headers]
        if not refused:
            return None
        return (
            f"The request header(s) {', '.join(refused)} are not allowed; allowed: "
            f"{', '.join(self.allow_headers.values())}."
        )
