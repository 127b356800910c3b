"""How to test an async client: `coder_audit_async_client` is an `httpx.AsyncClient`.

It calls the in-process mock through ASGI, with the owner's token; any async test plugin runs
it (here anyio's, which comes with Starlette).
"""

import pytest


async def count_logs(http):
    """Your async code."""
    response = await http.get("/api/v2/audit", params={"limit": 1})
    return response.json()["count"]


@pytest.mark.anyio
async def test_count_logs(coder_audit_async_client):
    assert await count_logs(coder_audit_async_client) == 1000
