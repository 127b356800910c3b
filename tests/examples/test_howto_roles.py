"""How to test what each kind of user gets: one client per role.

`coder_audit_client_for(role)` gives a client signed in as a built-in caller: "owner",
"auditor" (all logs), "org-admin", "org-auditor" (their organization's logs), "member" (403),
"expired" and "suspended" (401), or None for no token at all (401).
"""

import pytest


@pytest.mark.parametrize(("role", "status"), [("auditor", 200), ("member", 403), (None, 401)])
def test_who_may_read_the_audit_log(coder_audit_client_for, role, status):
    response = coder_audit_client_for(role).get("/api/v2/audit")

    assert response.status_code == status


def test_an_organization_admin_sees_only_their_organization(coder_audit_client_for):
    everything = coder_audit_client_for("owner").get("/api/v2/audit").json()["count"]
    their_own = coder_audit_client_for("org-admin").get("/api/v2/audit").json()["count"]

    assert 0 < their_own < everything


def test_the_tokens_for_your_own_headers(coder_audit_client, coder_audit_tokens):
    # Your code may send the token itself, e.g. as a bearer token (§6.1).
    headers = {"Authorization": f"Bearer {coder_audit_tokens['auditor']}"}
    response = coder_audit_client.get("/api/v2/audit", headers=headers)

    assert response.status_code == 200
