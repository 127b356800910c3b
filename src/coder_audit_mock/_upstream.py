"""`serve --upstream URL`: the mock answers the audit routes, a real Coder everything else.

```
request ─► /_mock/...                        admin (never forwarded)
        ─► /api/v2/audit[/...]               the mock, as the caller's role (below)
        ─► web-app routes, with --upstream-webapp: the mock (users/me, authcheck, ...)
        ─► /api/v2/entitlements, /appearance  the real Coder's answer with the mock's licence
                                              overlay (audit_log and appearance entitled), or
                                              the mock's whole answer when Coder has none (404)
        ─► anything else                      forwarded unchanged: method, path, query, headers,
                                              cookies and body; the answer comes back as it is
```

The browser signs in to the real Coder, so the mock sees the real Coder's session token. The
first time a token reaches a mock route, the proxy asks the real Coder who it is
(`GET /api/v2/users/me`) and answers as the mock's built-in caller of the same standing (an
owner as `owner`, an auditor as `auditor`, anyone else as `member`), remembering the answer
for a minute. A token the real Coder refuses reaches the mock unchanged (and gets its 401).

WebSockets to forwarded paths (a workspace's terminal, the notifications watch) are relayed
frame by frame to the same path upstream (`wsproto`, which uvicorn uses too); one the upstream
refuses, or cannot be reached for, is closed with code 1011.

An upstream that cannot be reached gives a Coder-shaped 502.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import time
import urllib.parse
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import httpx
import wsproto
import wsproto.connection
import wsproto.events
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coder_audit_mock.mockserver import MockServer
from coder_audit_mock.mockserver._admin import session_tokens
from coder_audit_mock.mockserver._auth import session_token
from coder_audit_mock.mockserver._json import go_json_bytes
from coder_audit_mock.mockserver._permissions import entitlements_body
from coder_audit_mock.mockserver._render import format_time

__all__ = ["upstream_router"]

_HOP_BY_HOP = frozenset(
    {
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
        "trailer", "transfer-encoding", "upgrade", "host",
    }
)  # fmt: skip
_CREDENTIAL_HEADERS = frozenset({"coder-session-token", "authorization"})
_IDENTITY_SECONDS = 60.0
_OVERLAID = ("/api/v2/entitlements", "/api/v2/appearance")
_BAD_GATEWAY = "Bad gateway: the upstream Coder could not be reached."


def upstream_router(
    base_url: str,
    server: MockServer,
    *,
    client: httpx.AsyncClient | None = None,
) -> Callable[[ASGIApp, Callable[[str], bool]], ASGIApp]:
    """The `ServeOptions.upstream` hook that forwards what the mock does not own to `base_url`.

    Example:
        >>> from coder_audit_mock.mockserver import MockServer, MockSettings
        >>> from coder_audit_mock.mockserver._standalone import ServeOptions, build_app
        >>> server = MockServer(MockSettings(log_count=1))
        >>> hook = upstream_router("http://127.0.0.1:9", server)
        >>> app = build_app(server, ServeOptions(access_log=False, upstream=hook))
        >>> from starlette.testclient import TestClient
        >>> TestClient(app).get("/api/v2/workspaces").status_code  # nothing listens on port 9
        502
    """

    def hook(local: ASGIApp, owned: Callable[[str], bool]) -> ASGIApp:
        return _UpstreamRouter(base_url, server, local, owned, client)

    return hook


class _UpstreamRouter:
    def __init__(
        self,
        base_url: str,
        server: MockServer,
        local: ASGIApp,
        owned: Callable[[str], bool],
        client: httpx.AsyncClient | None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.server = server
        self.local = local
        self.owned = owned
        self._client = client
        self._owns_client = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._identities: dict[str, tuple[float, str | None]] = {}

    @property
    def client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._client is None or (self._owns_client and self._loop is not loop):
            # Made on first use, inside the serving event loop (a test client may run each
            # request in a loop of its own: a client's connections belong to one loop).
            self._loop, self._owns_client = loop, True
            # A jar that keeps nothing: every caller's cookies are its own, passed through.
            jar = http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(60.0, connect=5.0), cookies=jar, follow_redirects=False
            )
        return self._client

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if self.owned(path):
            await self.local(await self._as_mock_caller(scope), receive, send)
        elif scope["type"] == "websocket":
            await relay_websocket(self.base_url, scope, receive, send)
        elif scope["type"] != "http":
            await self.local(scope, receive, send)
        elif path in _OVERLAID:
            await self._overlay(scope, receive, send)
        else:
            await self._forward(scope, receive, send)

    # -- identity ---------------------------------------------------------------------------

    async def _as_mock_caller(self, scope: Scope) -> Scope:
        """The scope, its real-Coder token swapped for the token of the mock's matching role."""
        if scope["type"] != "http":
            return scope
        headers = Headers(scope=scope)
        token = session_token(headers, {})
        if not token or self._known_to_mock(token):
            return scope
        role = await self._role_of(token)
        mock_token = session_tokens(self.server)["roles"].get(role or "")
        if mock_token is None:
            return scope
        kept = [
            (name, value)
            for name, value in scope["headers"]
            if name.decode("latin-1").lower() not in (*_CREDENTIAL_HEADERS, "cookie")
        ]
        kept.append((b"coder-session-token", mock_token.encode()))
        return {**scope, "headers": kept}

    def _known_to_mock(self, token: str) -> bool:
        key = self.server.deployment.api_keys.get(token.split("-")[0])
        return key is not None and key.token == token

    async def _role_of(self, token: str) -> str | None:
        cached = self._identities.get(token)
        if cached is not None and time.monotonic() - cached[0] < _IDENTITY_SECONDS:
            return cached[1]
        try:
            answer = await self.client.get(
                self.base_url + "/api/v2/users/me", headers={"Coder-Session-Token": token}
            )
        except httpx.HTTPError:
            return None
        role = None
        if answer.status_code == 200:
            roles = {r.get("name") for r in answer.json().get("roles", []) if isinstance(r, dict)}
            role = "owner" if "owner" in roles else "auditor" if "auditor" in roles else "member"
        self._identities[token] = (time.monotonic(), role)
        return role

    # -- forwarding ---------------------------------------------------------------------------

    def _request(self, scope: Scope, body: AsyncIterator[bytes] | bytes) -> httpx.Request:
        raw_path = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"")
        url = (
            self.base_url
            + raw_path.decode("latin-1")
            + ("?" + query.decode("latin-1") if query else "")
        )
        headers = [
            (name, value)
            for name, value in scope["headers"]
            if name.decode("latin-1").lower() not in _HOP_BY_HOP
            and name.decode("latin-1").lower() != "content-length"
        ]
        has_body = any(
            n.lower() in (b"content-length", b"transfer-encoding") for n, _ in scope["headers"]
        )
        return self.client.build_request(
            scope["method"], url, headers=headers, content=body if has_body else None
        )

    async def _forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = self._request(scope, _body(receive))
        try:
            response = await self.client.send(request, stream=True)
        except httpx.HTTPError as error:
            await _bad_gateway(send, self.base_url, error)
            return
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": _response_headers(response),
                }
            )
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await response.aclose()

    async def _overlay(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = self._request(scope, _body(receive))
        try:
            response = await self.client.send(request)
        except httpx.HTTPError as error:
            await _bad_gateway(send, self.base_url, error)
            return
        body = response.content
        status = response.status_code
        if status == 404:  # the open-source build: no licence at all, the mock's whole answer
            status, body = 200, go_json_bytes(self._licensed(scope["path"], None))
        elif status == 200:
            body = go_json_bytes(self._licensed(scope["path"], response.json()))
        headers = [
            (name, value)
            for name, value in _response_headers(response)
            if name not in (b"content-length", b"content-encoding")
        ]
        if status == 200:
            headers = [(n, v) for n, v in headers if n != b"content-type"]
            headers.append((b"content-type", b"application/json; charset=utf-8"))
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _licensed(self, path: str, upstream: Any) -> Any:
        if path == "/api/v2/appearance":
            return upstream if isinstance(upstream, dict) else {
                "application_name": "", "logo_url": "", "docs_url": "",
                "service_banner": {"enabled": False}, "announcement_banners": [],
            }  # fmt: skip
        users = sum(1 for u in self.server.deployment.users.values() if not u.deleted)
        licensed = entitlements_body(
            user_count=users, refreshed_at=format_time(self.server.settings.now_us)
        )
        if not isinstance(upstream, dict):
            return licensed
        # The real deployment's answer, with what the Audit page needs switched on.
        features = dict(upstream.get("features") or {})
        for name in ("audit_log", "appearance"):
            features[name] = {**features.get(name, {}), "entitlement": "entitled", "enabled": True}
        return {**upstream, "features": features, "has_license": True}


async def _body(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            return
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return


def _response_headers(response: httpx.Response) -> list[tuple[bytes, bytes]]:
    return [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in response.headers.multi_items()
        if name.lower() not in _HOP_BY_HOP
    ]


async def _bad_gateway(send: Send, base_url: str, error: Exception) -> None:
    body = go_json_bytes(
        {"message": _BAD_GATEWAY, "detail": f"{base_url}: {type(error).__name__}: {error}"}
    )
    await send(
        {
            "type": "http.response.start",
            "status": 502,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def relay_websocket(base_url: str, scope: Scope, receive: Receive, send: Send) -> None:
    """Relay one WebSocket between the ASGI client and the same path on `base_url`."""
    target = urllib.parse.urlsplit(base_url)
    secure = target.scheme == "https"
    port = target.port or (443 if secure else 80)
    await receive()  # websocket.connect
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(target.hostname, port, ssl=secure or None), 10
        )
    except (OSError, TimeoutError):
        await send({"type": "websocket.close", "code": 1011})
        return
    connection = wsproto.WSConnection(wsproto.ConnectionType.CLIENT)
    query = scope.get("query_string", b"").decode("latin-1")
    path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
    headers = [
        (name, value)
        for name, value in scope["headers"]
        if not name.lower().startswith(b"sec-websocket-")
        and name.lower().decode("latin-1") not in _HOP_BY_HOP
    ]
    writer.write(
        connection.send(
            wsproto.events.Request(
                host=target.netloc,
                target=path + ("?" + query if query else ""),
                extra_headers=headers,
                subprotocols=list(scope.get("subprotocols", [])),
            )
        )
    )
    try:
        accepted = await _handshake(connection, reader)
        if accepted is None:
            await send({"type": "websocket.close", "code": 1011})
            return
        await send({"type": "websocket.accept", "subprotocol": accepted.subprotocol})
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(_upstream_to_client, connection, reader, send, tasks.cancel_scope)
            tasks.start_soon(_client_to_upstream, connection, writer, receive, tasks.cancel_scope)
    finally:
        writer.close()


async def _handshake(
    connection: wsproto.WSConnection, reader: asyncio.StreamReader
) -> wsproto.events.AcceptConnection | None:
    while True:
        data = await asyncio.wait_for(reader.read(65536), 30)
        connection.receive_data(data or None)
        for event in connection.events():
            if isinstance(event, wsproto.events.AcceptConnection):
                return event
            if isinstance(event, (wsproto.events.RejectConnection, wsproto.events.RejectData)):
                return None
        if not data:
            return None


async def _upstream_to_client(
    connection: wsproto.WSConnection,
    reader: asyncio.StreamReader,
    send: Send,
    scope: anyio.CancelScope,
) -> None:
    while True:
        data = await reader.read(65536)
        connection.receive_data(data or None)
        for event in connection.events():
            if isinstance(event, wsproto.events.TextMessage):
                await send({"type": "websocket.send", "text": event.data})
            elif isinstance(event, wsproto.events.BytesMessage):
                await send({"type": "websocket.send", "bytes": bytes(event.data)})
            elif isinstance(event, wsproto.events.CloseConnection):
                await send({"type": "websocket.close", "code": event.code})
                scope.cancel()
                return
        if not data:
            await send({"type": "websocket.close", "code": 1011})
            scope.cancel()
            return


async def _client_to_upstream(
    connection: wsproto.WSConnection,
    writer: asyncio.StreamWriter,
    receive: Receive,
    scope: anyio.CancelScope,
) -> None:
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            if connection.state == wsproto.connection.ConnectionState.OPEN:
                writer.write(
                    connection.send(wsproto.events.CloseConnection(message.get("code", 1000)))
                )
                await writer.drain()
            scope.cancel()
            return
        if message.get("text") is not None:
            writer.write(connection.send(wsproto.events.TextMessage(data=message["text"])))
        elif message.get("bytes") is not None:
            writer.write(connection.send(wsproto.events.BytesMessage(data=message["bytes"])))
        await writer.drain()
