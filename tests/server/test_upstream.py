"""`serve --upstream URL` against a stand-in Coder (a small Starlette app on 127.0.0.1).

The stand-in plays the real Coder's part: it knows one session token (an owner's), answers
`users/me`, sets cookies, echoes requests, and answers `entitlements` as the open-source build
(404) or as a deployment with a licence. The mock, in front of it, must forward what it does
not own unchanged, overlay the entitlements, answer the audit routes itself as the caller's
role there, and give a Coder-shaped 502 when the upstream is gone.
(docs/real-coder.md records the same run against a real Coder v2.35.1.)
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

from coder_audit_mock._upstream import upstream_router
from coder_audit_mock.mockserver import MockServer, MockSettings
from coder_audit_mock.mockserver._standalone import ServeOptions, build_app

from ._live import live_server

REAL_TOKEN = "RealToken1-realsecretrealsecret12"
LICENSED = {"licensed": False}


async def me(request: Request) -> Response:
    if request.headers.get("coder-session-token") != REAL_TOKEN and (
        request.cookies.get("coder_session_token") != REAL_TOKEN
    ):
        return JSONResponse({"message": "You are signed out."}, status_code=401)
    return JSONResponse({"username": "real-admin", "roles": [{"name": "owner"}]})


async def echo(request: Request) -> Response:
    body = await request.body()
    response = JSONResponse(
        {
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "body": body.decode(),
            "cookie": request.headers.get("cookie"),
            "token": request.headers.get("coder-session-token"),
        },
        status_code=418,
        headers={"X-Upstream": "yes"},
    )
    response.set_cookie("upstream_cookie", "v1")
    response.set_cookie("second_cookie", "v2")
    return response


async def entitlements(request: Request) -> Response:
    if not LICENSED["licensed"]:
        return JSONResponse({"message": "Route not found."}, status_code=404)
    return JSONResponse(
        {
            "features": {
                "audit_log": {"entitlement": "not_entitled", "enabled": False},
                "scim": {"entitlement": "entitled", "enabled": True},
            },
            "warnings": [],
            "errors": [],
            "has_license": False,
            "trial": True,
            "require_telemetry": False,
            "refreshed_at": "2026-01-01T00:00:00Z",
        }
    )


async def echo_socket(socket: WebSocket) -> None:
    await socket.accept()
    await socket.send_text(f"hello {socket.query_params.get('who')} {socket.headers.get('x-who')}")
    while True:
        message = await socket.receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") == "bye":
            await socket.close(code=4000)
            return
        await socket.send_text("echo " + (message.get("text") or ""))


STAND_IN = Starlette(
    routes=[
        WebSocketRoute("/api/v2/workspaceagents/x/pty", echo_socket),
        Route("/api/v2/users/me", me),
        Route("/api/v2/entitlements", entitlements),
        Route("/{rest:path}", echo, methods=["GET", "POST", "PUT", "DELETE"]),
    ]
)


@pytest.fixture
def proxy() -> Iterator[str]:
    with live_server(STAND_IN) as upstream_url:
        mock = MockServer(MockSettings(log_count=30))
        hook = upstream_router(upstream_url, mock)
        with live_server(build_app(mock, ServeOptions(access_log=False, upstream=hook))) as url:
            yield url


def test_other_requests_pass_through_unchanged(proxy: str) -> None:
    answer = httpx.post(
        proxy + "/api/v2/workspaces/x?a=1&b=2",
        content=b'{"name": "dev"}',
        headers={"Cookie": "coder_session_token=abc; other=1", "Coder-Session-Token": "abc"},
    )
    assert answer.status_code == 418  # the upstream's status, whatever it is
    assert answer.headers["x-upstream"] == "yes"
    assert answer.headers.get_list("set-cookie") == [
        "upstream_cookie=v1; Path=/; SameSite=lax",
        "second_cookie=v2; Path=/; SameSite=lax",
    ]
    assert answer.json() == {
        "method": "POST",
        "path": "/api/v2/workspaces/x",
        "query": "a=1&b=2",
        "body": '{"name": "dev"}',
        "cookie": "coder_session_token=abc; other=1",
        "token": "abc",
    }
    # The proxy keeps no cookies of its own between callers.
    assert httpx.get(proxy + "/api/v2/templates").json()["cookie"] is None


def test_the_audit_routes_are_the_mocks_as_the_callers_upstream_role(proxy: str) -> None:
    signed_in = httpx.get(
        proxy + "/api/v2/audit",
        params={"limit": 3},
        headers={"Cookie": f"coder_session_token={REAL_TOKEN}"},
    )
    assert signed_in.status_code == 200 and len(signed_in.json()["audit_logs"]) == 3
    refused = httpx.get(
        proxy + "/api/v2/audit",
        headers={"Coder-Session-Token": "Unknown000-unknownsecretunknown123"},
    )
    assert refused.status_code == 401  # the real Coder does not know it either: the mock's 401


def test_the_entitlements_get_the_licence_overlay(proxy: str) -> None:
    LICENSED["licensed"] = False
    open_source = httpx.get(proxy + "/api/v2/entitlements").json()
    assert open_source["has_license"] is True and len(open_source["features"]) == 27
    LICENSED["licensed"] = True
    try:
        licensed = httpx.get(proxy + "/api/v2/entitlements").json()
    finally:
        LICENSED["licensed"] = False
    assert licensed["has_license"] is True and licensed["trial"] is True  # the upstream's own
    assert licensed["features"]["audit_log"] == {"entitlement": "entitled", "enabled": True}
    assert licensed["features"]["scim"] == {"entitlement": "entitled", "enabled": True}


def test_an_unreachable_upstream_is_a_coder_shaped_502() -> None:
    mock = MockServer(MockSettings(log_count=1))
    app = build_app(
        mock, ServeOptions(access_log=False, upstream=upstream_router("http://127.0.0.1:9", mock))
    )
    answer = TestClient(app).get("/api/v2/workspaces")
    assert answer.status_code == 502
    assert answer.json()["message"] == "Bad gateway: the upstream Coder could not be reached."
    assert answer.json()["detail"].startswith("http://127.0.0.1:9: ConnectError")


def test_websockets_are_relayed_frame_by_frame() -> None:
    with live_server(STAND_IN) as upstream_url:
        mock = MockServer(MockSettings(log_count=1))
        hook = upstream_router(upstream_url, mock)
        client = TestClient(build_app(mock, ServeOptions(access_log=False, upstream=hook)))
        with client.websocket_connect(
            "/api/v2/workspaceagents/x/pty?who=me", headers={"X-Who": "header"}
        ) as socket:
            assert socket.receive_text() == "hello me header"
            socket.send_text("ping")
            assert socket.receive_text() == "echo ping"
            socket.send_text("bye")
            with pytest.raises(WebSocketDisconnect) as closed:
                socket.receive_text()
            assert closed.value.code == 4000  # the upstream's close code comes through
