"""The yardstick for HTTP throughput: an ASGI app that answers every request with one fixed body.

`run.py` captures the mock's `GET /api/v2/audit?limit=25` answer at start and hands its bytes
to this app, so both servers send the same number of bytes with the same content type through
the same uvicorn options; the ratio of their throughputs is then the cost of the mock's own work
(routing, auth, parsing, filtering, rendering), not of HTTP or of the payload size.

Example:
    >>> import asyncio
    >>> app = constant_body_app(b'{"ok":true}\\n', "application/json")
    >>> sent = []
    >>> async def receive(): return {"type": "http.request", "body": b"", "more_body": False}
    >>> async def send(message): sent.append(message)
    >>> asyncio.run(app({"type": "http"}, receive, send))
    >>> sent[0]["status"], sent[1]["body"]
    (200, b'{"ok":true}\\n')
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [
        MutableMapping[str, Any],
        Callable[[], Awaitable[Message]],
        Callable[[Message], Awaitable[None]],
    ],
    Awaitable[None],
]


def constant_body_app(body: bytes, content_type: str) -> ASGIApp:
    """An ASGI app answering every HTTP request with status 200 and exactly `body`.

    It does not read the request, route, or allocate per request: the least work an ASGI app
    can do while sending this body. Non-HTTP scopes (lifespan) are ignored; the benchmark runs
    uvicorn with `lifespan="off"` for both apps.
    """
    start = {
        "type": "http.response.start",
        "status": 200,
        "headers": [
            (b"content-type", content_type.encode("latin-1")),
            (b"content-length", str(len(body)).encode("ascii")),
        ],
    }
    end = {"type": "http.response.body", "body": body}

    async def app(
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] == "http":
            await send(start)
            await send(end)

    return app


def starlette_constant_app(body: bytes, content_type: str) -> Any:
    """A Starlette app answering `GET /api/v2/audit` with `body`: the framework's own floor.

    One route, no middleware of its own: what Starlette's routing, Request and Response add to
    the bare app. The mock is a Starlette app too, but skips the router on its audit routes.
    """
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def audit(request: Request) -> Response:
        return Response(body, media_type=content_type)

    return Starlette(routes=[Route("/api/v2/audit", audit)])
