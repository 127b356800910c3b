"""How to arrange the data a test is about.

`@pytest.mark.coder_audit(seed=..., count=..., now=...)` decides the seeded data of one test
(`count=0`: no logs, only the built-in users). `coder_audit_data` then adds organizations,
users and logs: give the fields the test is about, the rest get defaults.
"""

import pytest


def failed_deletions(http):
    """Your code: who tried to delete something and failed."""
    logs = http.get("/api/v2/audit", params={"q": "action:delete"}).json()["audit_logs"]
    return [
        (log["user"]["username"], log["resource_target"])
        for log in logs
        if log["status_code"] >= 400
    ]


@pytest.mark.coder_audit(count=0)
def test_failed_deletions(coder_audit_client, coder_audit_data):
    coder_audit_data.user(username="mallory")
    coder_audit_data.log(
        user="mallory",
        action="delete",
        resource_type="workspace",
        resource_target="prod",
        status_code=403,
    )
    coder_audit_data.log(
        user="mallory", action="delete", resource_type="workspace", resource_target="scratch"
    )  # status_code defaults to 200

    assert failed_deletions(coder_audit_client) == [("mallory", "prod")]


@pytest.mark.coder_audit(seed=7, count=30, now="2024-05-01T12:00:00Z")
def test_a_different_deployment(coder_audit_client):
    logs = coder_audit_client.get("/api/v2/audit", params={"limit": 100}).json()["audit_logs"]

    assert len(logs) == 30
    assert logs[0]["time"] <= "2024-05-01T12:00:00Z"
