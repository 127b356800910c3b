"""The one place that decides how contract checks reach a server: in-process or by URL.

Checks never branch on the transport: they get a `Target`, whose `client` is an `httpx.Client`
rooted at the server (in-process: Starlette's `TestClient` over the ASGI app; live: a plain
`httpx.Client` with the URL as `base_url`), plus the tokens they may use per role.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx

from ._errors import ContractError

DEFAULT_TIMEOUT_SECONDS = 30.0


@dataclasses.dataclass(frozen=True)
class Target:
    """A server under test.

    Attributes:
        client: an `httpx.Client` whose base URL is the server's origin (paths start `/api/v2`).
        tokens: role -> session token; "owner" is the one most checks need. Roles the target
            cannot provide are absent, and checks needing them are skipped with a reason.
        description: "in-process mock" or the URL, for reports.
        app: the ASGI app when in-process (so Schemathesis can call it directly), else None.

    Example:
        >>> with open_target() as target:
        ...     target.client.get("/api/v2/audit", headers=target.auth("owner")).status_code
        200
    """

    client: httpx.Client
    tokens: Mapping[str, str]
    description: str
    app: Any = None

    @property
    def in_process(self) -> bool:
        return self.app is not None

    def auth(self, role: str = "owner") -> dict[str, str]:
        """The header that authenticates as `role`; raises `KeyError` if the target has none."""
        return {"Coder-Session-Token": self.tokens[role]}


@contextmanager
def open_target(
    url: str | None = None,
    *,
    token: str | None = None,
    tokens: Mapping[str, str] | None = None,
    app: Any = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    profile: str = "newest",
) -> Iterator[Target]:
    """Open a `Target`: the given URL, or else the given ASGI app, or else a fresh in-process mock.

    Args:
        url: the server's origin, e.g. `http://127.0.0.1:3000` (a trailing `/api/v2` is removed).
        token: the owner's session token for a URL target (a real server's tokens are not known).
        tokens: role -> token, overriding or adding to what the target provides.
        app: an ASGI app to test in-process instead of a fresh mock.
        timeout: per-request timeout in seconds for a URL target.
        profile: the Coder version a fresh in-process mock answers as: "newest" or "2023-01"
            (`create_app(profile=...)`, docs/profiles.md); ignored for a URL or an app.

    Example:
        >>> with open_target(tokens={"member": "x"}) as target:
        ...     sorted(target.tokens)[:2]
        ['auditor', 'expired']
    """
    if url is not None and app is not None:
        raise ContractError("give a URL or an app to check, not both")
    if url is not None:
        origin = url.rstrip("/")
        origin = origin.removesuffix("/api/v2")
        if not origin.startswith(("http://", "https://")):
            raise ContractError(
                f"the URL to check must start with http:// or https://, got {url!r}"
            )
        known = {"owner": token} if token else {}
        with httpx.Client(base_url=origin, timeout=timeout) as client:
            yield Target(client, {**known, **(tokens or {})}, origin)
        return
    with warnings.catch_warnings():
        # Starlette 1.x asks for httpx2 when TestClient is imported with httpx; both work.
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from starlette.testclient import TestClient

    from ..mockserver import DEFAULT_TOKENS, create_app

    asgi_app = app if app is not None else create_app(profile=profile)
    known = dict(DEFAULT_TOKENS) if app is None or token is None else {"owner": token}
    with TestClient(asgi_app, raise_server_exceptions=False) as client:
        yield Target(client, {**known, **(tokens or {})}, "in-process mock", app=asgi_app)
