"""How to test your Coder audit-log client against the in-process mock.

`coder_audit_client` is an `httpx.Client` (Starlette's TestClient) rooted at the mock and
already sending the owner's session token; every test starts from the same seeded 1000 logs.
Hand it to your code wherever your code takes an `httpx.Client`.
"""


def recent_actions(http, *, action, limit=5):
    """Your code: the targets of the newest logs with this action (from your client library)."""
    response = http.get("/api/v2/audit", params={"q": f"action:{action}", "limit": limit})
    response.raise_for_status()
    return [log["resource_target"] for log in response.json()["audit_logs"]]


def test_recent_actions(coder_audit_client):
    targets = recent_actions(coder_audit_client, action="create", limit=3)

    assert len(targets) == 3


def test_a_bad_query_is_a_400_like_coder(coder_audit_client):
    response = coder_audit_client.get("/api/v2/audit", params={"q": "action:crate"})

    assert response.status_code == 400
    assert response.json()["validations"][0]["field"] == "action"
