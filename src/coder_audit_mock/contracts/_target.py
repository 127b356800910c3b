"""The one place that decides how contract checks reach a server: in-process or by URL.

Checks never branch on the transport: they get a `Target`, whose `client` is an `httpx.Client`
rooted at the server (in-process: Starlette's `TestClient` over the ASGI app; live: a plain
`httpx.Client` with the URL as `base_url`), plus the tokens they may use per role.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx

from ._errors import ContractError

DEFAULT_TIMEOUT_SECONDS = 30.0
UNIDENTIFIED = "a server given by URL is read-only until identify_access says otherwise"


class RequestStream:
    """The requests a run sent, in order, as a count and a SHA-256 digest.

    Each request adds its method, URL, the headers the kit chose (sorted; transport headers
    such as Host and Content-Length follow from these) and its body. Two runs sent the same
    stream exactly when their digests are equal: a CI log and a laptop can be compared.

    Example:
        >>> stream = RequestStream()
        >>> stream.record("GET", "http://testserver/api/v2/audit?limit=1", {"User-Agent": "x"}, b"")
        >>> stream.count, len(stream.hexdigest())
        (1, 64)
    """

    def __init__(self) -> None:
        self._digest = hashlib.sha256()
        self._lock = threading.Lock()
        self.count = 0

    def record(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> None:
        """Add one request to the stream."""
        head = json.dumps([method, url, sorted((k.lower(), v) for k, v in headers.items())])
        with self._lock:
            self.count += 1
            self._digest.update(head.encode())
            self._digest.update(body)

    def hexdigest(self) -> str:
        """The digest of every request recorded so far."""
        with self._lock:
            return self._digest.hexdigest()


@dataclasses.dataclass(frozen=True)
class Target:
    """A server under test.

    Attributes:
        client: an `httpx.Client` whose base URL is the server's origin (paths start `/api/v2`).
        tokens: role -> session token. Roles the target cannot provide are absent, and checks
            needing them are skipped with a reason.
        description: "in-process mock" or the URL, for reports.
        app: the ASGI app when in-process (so Schemathesis can call it directly), else None.
        caller: the role whose token the run uses (a key of `tokens`): "owner" unless the
            token turned out to be another reader's (`identify_access`).
        may_write: whether the run may write audit logs (POST /api/v2/audit/testgenerate). True
            in-process; for a URL only once `identify_access` found this project's mock (whose
            data it then puts back) or `--allow-writes` was given for an owner's token.
        read_only_reason: why `may_write` is False ("" when it is True), for reports.
        stream: every request the kit sends through this target (`RequestStream`).

    Example:
        >>> with open_target() as target:
        ...     target.client.get("/api/v2/audit", headers=target.auth("owner")).status_code
        200
    """

    client: httpx.Client
    tokens: Mapping[str, str]
    description: str
    app: Any = None
    caller: str = "owner"
    may_write: bool = True
    read_only_reason: str = ""
    stream: RequestStream = dataclasses.field(default_factory=RequestStream, compare=False)

    @property
    def in_process(self) -> bool:
        return self.app is not None

    def auth(self, role: str | None = None) -> dict[str, str]:
        """The header that authenticates as `role` (default: the caller's); `KeyError` if none."""
        return {"Coder-Session-Token": self.tokens[role or self.caller]}

    @property
    def token(self) -> str | None:
        """The caller's session token (None when the target has none)."""
        return self.tokens.get(self.caller)


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
            # Read-only until identify_access knows more: a library user who checks a URL
            # directly never writes into a server they did not mean to change.
            yield Target(
                client,
                {**known, **(tokens or {})},
                origin,
                may_write=False,
                read_only_reason=UNIDENTIFIED,
            )
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
