"""Plain-ASGI helpers shared by the standalone server's layers (`_cors`, `_faults`, `_recorder`).

Nothing here exists in Coder; these are the few pieces of raw ASGI the layers around the
faithful API have in common: answering with a Coder-shaped JSON body, encoding response
headers, and matching a path against a prefix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from starlette.types import Send

from ._json import MEDIA_TYPE, go_json_bytes


def encode_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    """ASGI's raw form of response headers: lower-case latin-1 names, latin-1 values.

    Example:
        >>> encode_headers([("Retry-After", "1")])
        [(b'retry-after', b'1')]
    """
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers]


async def send_json(
    send: Send, status: int, body: Mapping[str, Any], headers: Iterable[tuple[str, str]] = ()
) -> None:
    """Answer with a Coder-shaped JSON body (§1.5: Go encoding, trailing newline).

    Example:
        >>> import asyncio
        >>> sent = []
        >>> async def collect(message): sent.append(message)
        >>> asyncio.run(send_json(collect, 503, {"message": "x"}))
        >>> sent[1]["body"]
        b'{"message":"x"}\\n'
    """
    payload = go_json_bytes(body) + b"\n"
    raw_headers = [
        (b"content-type", MEDIA_TYPE.encode()),
        (b"content-length", str(len(payload)).encode()),
        *encode_headers(headers),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": payload})


def path_matches(path: str, prefix: str) -> bool:
    """Whether `path` is `prefix` or lies below it, segment-wise.

    Example:
        >>> path_matches("/api/v2/audit/testgenerate", "/api/v2/audit")
        True
        >>> path_matches("/api/v2/auditx", "/api/v2/audit")
        False
    """
    trimmed = prefix.rstrip("/")
    return path == prefix or path == trimmed or path.startswith(trimmed + "/")
