"""Safe defaults: `serve` listens on 127.0.0.1 unless told otherwise, and the `/_mock/` admin
endpoints (which hand out every token and can replace the data) are off, or need the admin
token, on any address other machines can reach.

The exposed cases are checked without exposing anything: the CLI runs with `--host 0.0.0.0`
(or `::`) but its socket is swapped for a loopback one and uvicorn's loop for a stand-in that
keeps the app, which the test then calls in-process.
"""

from __future__ import annotations

import pathlib
import socket
from collections.abc import Callable

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.testclient import TestClient

from coder_audit_mock import _cli
from coder_audit_mock._cli import serve as serve_command
from coder_audit_mock.mockserver._admin import ADMIN_TOKEN_HEADER

from ._support import AUDIT, LOOPBACK, ServedMock, auth, record

ADMIN_TOKEN = "reliability-admin-token"
ADMIN_PATHS = ("/_mock", "/_mock/tokens", "/_mock/journal", "/_mock/scenario", "/_mock/faults")


def listening_addresses(port: int) -> list[str]:
    """The local addresses with a listening TCP socket on `port` (Linux `/proc/net/tcp*`)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = pathlib.Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.append(address)
    return found


def test_serve_listens_on_loopback_by_default(start_mock: Callable[..., ServedMock]) -> None:
    served = start_mock("--logs", "5", "--quiet", default_host=True)
    addresses = listening_addresses(served.port)
    if not addresses:
        pytest.skip("no /proc/net/tcp on this system to read the listening address from")
    assert addresses == ["0100007F"]  # 127.0.0.1, and nothing else
    record("safe defaults", default_bind="127.0.0.1")


def test_serve_is_unreachable_on_other_addresses(start_mock: Callable[..., ServedMock]) -> None:
    served = start_mock("--logs", "5", "--quiet", default_host=True)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks a local address
        own_address = probe.getsockname()[0]
    if own_address.startswith("127."):
        pytest.skip("this machine has no address other than loopback")
    with pytest.raises(OSError), socket.create_connection((own_address, served.port), timeout=2):
        pass


def app_served_on(host: str, *flags: str, monkeypatch: pytest.MonkeyPatch) -> Starlette:
    """The app `coder-audit-mock serve --host HOST FLAGS` would serve, bound nowhere but here."""
    served: list[Starlette] = []

    def loopback_socket(host: str, port: int) -> socket.socket:
        sock = socket.socket()
        sock.bind((LOOPBACK, 0))
        return sock

    def keep_app(server: uvicorn.Server, sockets: list[socket.socket]) -> None:
        served.append(server.config.app)
        server.started = True

    monkeypatch.setattr(serve_command, "_listen", loopback_socket)
    monkeypatch.setattr(uvicorn.Server, "run", keep_app)
    assert _cli.main(["serve", "--host", host, "--port", "0", "--quiet", *flags]) == 0
    (app,) = served
    return app


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10"])
def test_admin_endpoints_are_off_on_reachable_hosts(
    host: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    client = TestClient(app_served_on(host, monkeypatch=monkeypatch))
    assert "Admin endpoints off" in capsys.readouterr().out
    for path in ADMIN_PATHS:
        for method in ("GET", "POST", "PUT", "DELETE"):
            answer = client.request(method, path, headers={ADMIN_TOKEN_HEADER: ADMIN_TOKEN})
            assert answer.status_code == 404, (method, path)
            assert answer.json() == {"message": "Route not found."}
    assert client.get(AUDIT, headers=auth("owner")).status_code == 200  # the API itself works
    record("safe defaults", admin_when_exposed="off unless --admin-token")


@pytest.mark.parametrize(
    "presented",
    [None, "", ADMIN_TOKEN.upper(), ADMIN_TOKEN[:-1], ADMIN_TOKEN + "x", " " + ADMIN_TOKEN + "x"],
    ids=["missing", "empty", "upper-case", "prefix", "longer", "padded-longer"],
)
def test_admin_token_guards_exposed_admin_endpoints(
    presented: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = app_served_on("0.0.0.0", "--admin-token", ADMIN_TOKEN, monkeypatch=monkeypatch)
    client = TestClient(app)
    headers = {} if presented is None else {ADMIN_TOKEN_HEADER: presented}
    for path in ADMIN_PATHS:
        answer = client.get(path, headers=headers)
        assert answer.status_code == 401, path
        assert "owner" not in answer.text
    assert client.get("/_mock/tokens", headers={ADMIN_TOKEN_HEADER: ADMIN_TOKEN}).status_code == 200


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_admin_endpoints_are_on_for_loopback_hosts(
    host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = TestClient(app_served_on(host, monkeypatch=monkeypatch))
    assert client.get("/_mock").status_code == 200
