"""How to verify what your client sent (like WireMock's verify).

`coder_audit_journal` holds the requests the mock received in this test: method, path,
decoded query, which built-in role's token was sent (never the token) and the status.
"""


def next_page(http, *, page, size=25):
    """Your code: one page of the audit log, as the Coder UI asks for it."""
    return http.get("/api/v2/audit", params={"limit": size, "offset": page * size, "q": ""})


def test_asks_for_the_second_page(coder_audit_client, coder_audit_journal):
    next_page(coder_audit_client, page=1)

    coder_audit_journal.assert_called(
        times=1,
        method="GET",
        path="/api/v2/audit",
        role="owner",
        query={"limit": "25", "offset": "25"},
    )
    coder_audit_journal.assert_not_called(method="POST")


def test_every_call_is_listed(coder_audit_client_for, coder_audit_journal):
    coder_audit_client_for("member").get("/api/v2/audit")

    [call] = coder_audit_journal.requests(role="member")
    assert call.status == 403
