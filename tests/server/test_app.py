"""The two endpoints through the ASGI app: status codes, bodies, order of checks (§1, §3, §6)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from coder_audit_mock.mockserver import DEFAULT_TOKENS, NIL_UUID, create_app
from coder_audit_mock.mockserver._auth import FORBIDDEN_DETAIL, SIGNED_OUT_MESSAGE

from .conftest import AUDIT, TESTGENERATE, auth

OWNER_TOKEN = DEFAULT_TOKENS["owner"]


def body_of(response: httpx.Response) -> Any:
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.content.endswith(b"}\n")  # Go's json.Encoder adds a newline (§1.5)
    return response.json()


# -- authentication (§6.1, §6.2) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "detail"),
    [
        ("abc", "Invalid API key format: incorrect amount of API key parts, expected 2 got 1"),
        ("a-b-c", "Invalid API key format: incorrect amount of API key parts, expected 2 got 3"),
        (
            "short-0123456789012345678901",
            "Invalid API key format: invalid API key ID length, expected 10 got 5",
        ),
        (
            "abcdefghij-short",
            "Invalid API key format: invalid API key secret length, expected 22 got 5",
        ),
        # lengths are bytes, as in Go: "é" is two bytes, so this 9-character id is well-formed
        ("abcdefghé-0123456789012345678901", "API key is invalid."),
        (
            "abcdefghié-0123456789012345678901",
            "Invalid API key format: invalid API key ID length, expected 10 got 11",
        ),
        ("zzzzzzzzzz-0123456789012345678901", "API key is invalid."),
    ],
)
def test_malformed_and_unknown_tokens_get_coders_401(
    shared_client: TestClient, token: str, detail: str
) -> None:
    response = shared_client.get(AUDIT, headers={"Coder-Session-Token": token.encode()})
    assert response.status_code == 401
    assert body_of(response) == {"message": SIGNED_OUT_MESSAGE, "detail": detail}


def test_missing_token(shared_client: TestClient) -> None:
    response = shared_client.get(AUDIT)
    assert response.status_code == 401
    assert body_of(response) == {
        "message": SIGNED_OUT_MESSAGE,
        "detail": 'Cookie "coder_session_token" or query parameter must be provided.',
    }
    # "expired": Coder picks the description from words in the body, and the 401 message says
    # "your session has expired" (recorded from v2.35.1, tests/fidelity/corpus).
    assert response.headers["www-authenticate"] == (
        'Bearer realm="coder", error="invalid_token", error_description="The access token has expired", '
        'resource_metadata="http://testserver/.well-known/oauth-protected-resource"'
    )


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("path", ["", "/api/v2/audit"])
def test_the_challenges_resource_metadata_url_answers_as_a_release_coder(
    shared_client: TestClient, method: str, path: str
) -> None:
    # The 401s point at this URL (recorded from v2.35.1); Coder routes it behind the `oauth2`
    # experiment, off in a release build, so it answers 403 there (coderd/coderd.go,
    # httpmw.RequireExperiment), not the mock's 404 for an unknown route.
    response = shared_client.request(method, "/.well-known/oauth-protected-resource" + path)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.text == (
        '{"message":"OAuth2 Provider Functionality functionality requires enabling the '
        "'oauth2' experiment.\"}\n"
    )


def test_early_coder_has_no_resource_metadata_route() -> None:
    client = TestClient(create_app(log_count=0, profile="2023-01"))
    assert client.get("/.well-known/oauth-protected-resource").status_code == 404


def test_wrong_secret(shared_client: TestClient) -> None:
    key_id = OWNER_TOKEN.split("-")[0]
    response = shared_client.get(AUDIT, headers={"Coder-Session-Token": f"{key_id}-{'x' * 22}"})
    assert response.status_code == 401
    assert body_of(response)["detail"] == "API key secret is invalid."


def test_expired_token(shared_client: TestClient) -> None:
    response = shared_client.get(AUDIT, headers=auth("expired"))
    assert response.status_code == 401
    detail = body_of(response)["detail"]
    assert detail.startswith('API key expired at "') and detail.endswith(' +0000 UTC".')
    assert (
        'error_description="The access token has expired"' in response.headers["www-authenticate"]
    )


def test_suspended_user(shared_client: TestClient) -> None:
    response = shared_client.get(AUDIT, headers=auth("suspended"))
    assert response.status_code == 401
    assert body_of(response) == {
        "message": 'User is not active (status = "suspended"). Contact an admin to reactivate your account.'
    }


@pytest.mark.parametrize(
    "carrier",
    ["cookie", "query", "header", "bearer", "access_token"],
)
def test_every_token_carrier_works(shared_client: TestClient, carrier: str) -> None:
    kwargs: dict[str, object] = {}
    if carrier == "cookie":
        kwargs["headers"] = {"Cookie": f"coder_session_token={OWNER_TOKEN}"}
    elif carrier == "query":
        kwargs["params"] = {"coder_session_token": OWNER_TOKEN}
    elif carrier == "header":
        kwargs["headers"] = {"Coder-Session-Token": OWNER_TOKEN}
    elif carrier == "bearer":
        kwargs["headers"] = {"Authorization": f"Bearer {OWNER_TOKEN}"}
    else:
        kwargs["params"] = {"access_token": OWNER_TOKEN}
    assert shared_client.get(AUDIT, **kwargs).status_code == 200


BAD = "zzzzzzzzzz-0123456789012345678901"


@pytest.mark.parametrize(
    ("higher", "lower"),
    [
        ({"cookie": BAD}, {"query": OWNER_TOKEN}),
        ({"query": BAD}, {"header": OWNER_TOKEN}),
        ({"header": BAD}, {"bearer": OWNER_TOKEN}),
        ({"bearer": BAD}, {"access_token": OWNER_TOKEN}),
    ],
)
def test_carrier_precedence_first_non_empty_wins(
    shared_client: TestClient, higher: dict[str, str], lower: dict[str, str]
) -> None:
    carriers = {**higher, **lower}
    headers: dict[str, str] = {}
    params: dict[str, str] = {}
    for name, token in carriers.items():
        if name == "cookie":
            headers["Cookie"] = f"coder_session_token={token}"
        elif name == "query":
            params["coder_session_token"] = token
        elif name == "header":
            headers["Coder-Session-Token"] = token
        elif name == "bearer":
            headers["Authorization"] = f"Bearer {token}"
        else:
            params["access_token"] = token
    response = shared_client.get(AUDIT, headers=headers, params=params)
    assert response.status_code == 401  # the higher-precedence (bad) token was used
    # and the lower one alone works
    assert (
        shared_client.get(
            AUDIT,
            headers={k: v for k, v in headers.items() if OWNER_TOKEN in v},
            params={k: v for k, v in params.items() if v == OWNER_TOKEN},
        ).status_code
        == 200
    )


def test_empty_carrier_falls_through(shared_client: TestClient) -> None:
    response = shared_client.get(
        AUDIT, headers={"Cookie": "coder_session_token=", "Coder-Session-Token": OWNER_TOKEN}
    )
    assert response.status_code == 200


# -- authorization (§1.1 step 2, §6.3) -------------------------------------------------------


def test_member_gets_403_before_any_parameter_parsing(shared_client: TestClient) -> None:
    response = shared_client.get(
        AUDIT, params={"limit": "bogus", "q": "foo:bar"}, headers=auth("member")
    )
    assert response.status_code == 403
    assert body_of(response) == {"message": "Forbidden.", "detail": FORBIDDEN_DETAIL}
    assert "www-authenticate" not in response.headers


@pytest.mark.parametrize("role", ["owner", "auditor"])
def test_site_wide_readers_see_every_log(shared_client: TestClient, role: str) -> None:
    body = body_of(shared_client.get(AUDIT, params={"limit": 1}, headers=auth(role)))
    assert body["count"] == 1000 and body["count_cap"] == 2000


@pytest.mark.parametrize("role", ["org-admin", "org-auditor"])
def test_organization_readers_see_only_their_organization(
    shared_client: TestClient, role: str
) -> None:
    app = shared_client.app
    deployment = app.state.mock.deployment  # type: ignore[attr-defined]
    user = deployment.users[deployment.role_users[role]]
    allowed = {
        str(org)
        for org, roles in user.organization_roles.items()
        if {"organization-admin", "organization-auditor"} & set(roles)
    }
    body = body_of(shared_client.get(AUDIT, params={"limit": 0}, headers=auth(role)))
    assert body["audit_logs"], "the org readers' organization must have logs"
    assert {log["organization_id"] for log in body["audit_logs"]} <= allowed
    expected = sum(1 for log in deployment.logs if str(log.organization_id) in allowed)
    assert body["count"] == min(expected, 2001)


# -- order of checks and errors (§1.1, §3.4) --------------------------------------------------


def test_pagination_errors_come_before_search_errors(shared_client: TestClient) -> None:
    response = shared_client.get(
        AUDIT, params={"limit": "bogus", "q": "foo:bar"}, headers=auth("owner")
    )
    assert response.status_code == 400
    body = body_of(response)
    assert body["message"] == "Query parameters have invalid values."
    assert [v["field"] for v in body["validations"]] == ["limit"]


def test_search_error_body(shared_client: TestClient) -> None:
    response = shared_client.get(AUDIT, params={"q": "action:bogus foo:bar"}, headers=auth("owner"))
    assert response.status_code == 400
    assert body_of(response) == {
        "message": "Invalid audit search query.",
        "validations": [
            {
                "field": "action",
                "detail": 'Query param "action" has invalid value: "bogus" is not a valid value',
            },
            {"field": "foo", "detail": '"foo" is not a valid query param'},
        ],
    }


def test_unknown_routes(shared_client: TestClient) -> None:
    for path in ("/api/v2/nope", "/api/v2/audit/nope"):
        response = shared_client.get(path, headers=auth("owner"))
        assert response.status_code == 404
        assert body_of(response) == {"message": "Route not found."}
    # the audit group's middlewares run before its routes are matched
    assert shared_client.get("/api/v2/audit/nope").status_code == 401


def test_wrong_method_is_405_with_allow(shared_client: TestClient) -> None:
    response = shared_client.delete(AUDIT, headers=auth("owner"))
    assert response.status_code == 405 and response.headers["allow"] == "GET"
    response = shared_client.get(TESTGENERATE, headers=auth("owner"))
    assert response.status_code == 405 and response.headers["allow"] == "POST"


# -- paging and counting (§3.1) ---------------------------------------------------------------


def test_default_limit_is_100_and_zero_means_default(shared_client: TestClient) -> None:
    for params in ({}, {"limit": "0"}, {"limit": ""}):
        body = body_of(shared_client.get(AUDIT, params=params, headers=auth("owner")))
        assert len(body["audit_logs"]) == 100 and body["count"] == 1000


def test_newest_first_and_pages_concatenate(shared_client: TestClient) -> None:
    whole = body_of(shared_client.get(AUDIT, params={"limit": 1000}, headers=auth("owner")))[
        "audit_logs"
    ]
    deployment = shared_client.app.state.mock.deployment  # type: ignore[attr-defined]
    micros = {str(log.id): log.time for log in deployment.logs}
    times = [micros[log["id"]] for log in whole]
    assert times == sorted(times, reverse=True)
    walked = []
    for offset in range(0, 1000, 37):
        walked += body_of(
            shared_client.get(AUDIT, params={"limit": 37, "offset": offset}, headers=auth("owner"))
        )["audit_logs"]
    assert [log["id"] for log in walked] == [log["id"] for log in whole]


def test_offset_past_the_end_keeps_the_count(shared_client: TestClient) -> None:
    body = body_of(shared_client.get(AUDIT, params={"offset": 5000}, headers=auth("owner")))
    assert body == {"audit_logs": [], "count": 1000, "count_cap": 2000}


def test_count_is_capped_at_2001(make_client: Callable[..., TestClient]) -> None:
    client = make_client(log_count=2100)
    body = body_of(client.get(AUDIT, params={"limit": 1}, headers=auth("owner")))
    assert body["count"] == 2001 and body["count_cap"] == 2000
    # paging still reaches the logs past the cap
    tail = body_of(client.get(AUDIT, params={"limit": 10, "offset": 2095}, headers=auth("owner")))
    assert len(tail["audit_logs"]) == 5 and tail["count"] == 2001


def test_empty_result(shared_client: TestClient) -> None:
    query = {"q": "request_id:11111111-1111-4111-8111-111111111111"}
    body = body_of(shared_client.get(AUDIT, params=query, headers=auth("owner")))
    assert body == {"audit_logs": [], "count": 0, "count_cap": 2000}


def test_username_me_is_the_caller(shared_client: TestClient) -> None:
    deployment = shared_client.app.state.mock.deployment  # type: ignore[attr-defined]
    owner = deployment.users[deployment.role_users["owner"]]
    body = body_of(
        shared_client.get(AUDIT, params={"q": "username:me", "limit": 0}, headers=auth("owner"))
    )
    assert body["count"] > 0
    assert {log["user"]["id"] for log in body["audit_logs"]} == {str(owner.id)}
    by_name = body_of(
        shared_client.get(
            AUDIT,
            params={"q": f"username:{owner.username.upper()}", "limit": 0},
            headers=auth("owner"),
        )
    )
    assert by_name["count"] == body["count"]


def test_every_returned_log_matches_its_filters(shared_client: TestClient) -> None:
    body = body_of(
        shared_client.get(
            AUDIT,
            params={"q": "resource_type:workspace action:create", "limit": 0},
            headers=auth("owner"),
        )
    )
    assert body["count"] > 0
    assert all(
        l["resource_type"] == "workspace" and l["action"] == "create" for l in body["audit_logs"]
    )


# -- testgenerate (§1.2, §5) ------------------------------------------------------------------


def test_testgenerate_defaults_are_visible_at_once(make_client: Callable[..., TestClient]) -> None:
    client = make_client(log_count=10)
    response = client.post(
        TESTGENERATE, json={}, headers={**auth("owner"), "User-Agent": "probe/1.0"}
    )
    assert response.status_code == 204 and response.content == b""
    newest = body_of(client.get(AUDIT, params={"limit": 1}, headers=auth("owner")))
    assert newest["count"] == 11
    log = newest["audit_logs"][0]
    deployment = client.app.state.mock.deployment  # type: ignore[attr-defined]
    owner = deployment.users[deployment.role_users["owner"]]
    assert log["action"] == "write" and log["resource_type"] == "user"
    assert log["resource_target"] == owner.username
    assert log["diff"] == {"foo": {"old": "bar", "new": "baz", "secret": False}}
    assert log["status_code"] == 200 and log["ip"] == "" and log["user_agent"] == "probe/1.0"
    assert log["request_id"] == str(NIL_UUID) and log["organization_id"] == str(NIL_UUID)
    assert "organization" not in log
    assert log["additional_fields"] == {}
    assert log["description"] == "{user} updated user {target}"
    assert log["is_deleted"] is True and log["resource_link"] == ""
    assert log["user"]["id"] == str(owner.id)


def test_testgenerate_given_fields(make_client: Callable[..., TestClient]) -> None:
    client = make_client(log_count=0)
    rid, req = "3f0e8e3c-7b5b-4a36-9a8e-0d3c7b1e2f10", "9a8e0d3c-7b1e-4f10-8e3c-3f0e7b5b4a36"
    body = {
        "action": "create",
        "resource_type": "workspace",
        "resource_id": rid,
        "request_id": req,
        "time": "2024-05-01T12:34:56.123456789+02:00",
        "additional_fields": {"b": 1, "aa": [1]},
        "build_reason": "cli",
    }
    assert client.post(TESTGENERATE, json=body, headers=auth("owner")).status_code == 204
    log = body_of(client.get(AUDIT, params={"q": f"resource_id:{rid}"}, headers=auth("owner")))[
        "audit_logs"
    ][0]
    assert log["time"] == "2024-05-01T10:34:56.123457Z"
    assert log["request_id"] == req and log["action"] == "create"
    assert list(log["additional_fields"]) == ["b", "aa"]  # jsonb key order: shorter keys first


@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        (b"", "EOF"),
        (b"   ", "EOF"),
        (
            b"[]",
            "json: cannot unmarshal array into Go value of type codersdk.CreateTestAuditLogRequest",
        ),
        (
            b'"x"',
            "json: cannot unmarshal string into Go value of type codersdk.CreateTestAuditLogRequest",
        ),
        (
            b'{"action": 5}',
            "json: cannot unmarshal number into Go struct field CreateTestAuditLogRequest.action of type codersdk.AuditAction",
        ),
        (b'{"resource_id": "abc"}', "invalid UUID length: 3"),
        (b'{"time": 5}', "Time.UnmarshalJSON: input is not a JSON string"),
        (b'{"action": ', "unexpected EOF"),
        (b"{x}", "invalid character 'x' looking for beginning of object key string"),
        (b"NaN", "invalid character 'N' looking for beginning of value"),
    ],
)
def test_testgenerate_bad_json(
    make_client: Callable[..., TestClient], payload: bytes, detail: str
) -> None:
    client = make_client(log_count=3)
    response = client.post(TESTGENERATE, content=payload, headers=auth("owner"))
    assert response.status_code == 400
    assert body_of(response) == {"message": "Request body must be valid JSON.", "detail": detail}
    assert body_of(client.get(AUDIT, headers=auth("owner")))["count"] == 3  # nothing stored


def test_testgenerate_invalid_enum_is_coders_500(make_client: Callable[..., TestClient]) -> None:
    client = make_client(log_count=0)
    response = client.post(TESTGENERATE, json={"action": "bogus"}, headers=auth("owner"))
    assert response.status_code == 500
    assert body_of(response) == {
        "message": "An internal server error occurred.",
        "detail": 'pq: invalid input value for enum audit_action: "bogus"',
    }


# Answers of a real Coder v2.35.1 (PostgreSQL 15), recorded 2026-12-04 with curl: Go accepts a
# zone offset up to 23:59, Postgres refuses more than 15 hours when the INSERT binds `time`
# (its second parameter, so before the enums). Found by `check --url` against that server.
@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (
            {"time": "4197-12-31T11:43:13-20:17", "action": "register", "resource_type": None},
            'pq: time zone displacement out of range: "4197-12-31 11:43:13-20:17"',
        ),
        (
            {"time": "0000-02-29T01:02:03.1234567890+16:00", "action": "bogus"},
            'pq: time zone displacement out of range: "0001-03-01 01:02:03.123456789+16:00 BC"',
        ),
        (
            {"time": "2024-01-01T00:00:00+24:00"},  # Go allows offset hours up to 24
            'pq: time zone displacement out of range: "2024-01-01 00:00:00+24:00"',
        ),
        (
            {"time": "2020-01-01T00:00:00.500-16:00"},
            'pq: time zone displacement out of range: "2020-01-01 00:00:00.5-16:00"',
        ),
        (
            {"time": "2020-01-01T1:00:00,25+23:59"},
            'pq: time zone displacement out of range: "2020-01-01 01:00:00.25+23:59"',
        ),
        (
            {"time": "2020-01-01T01:00:00-15:59", "resource_type": "bogus"},
            'pq: invalid input value for enum resource_type: "bogus"',
        ),
    ],
)
def test_testgenerate_zone_offsets_postgres_refuses_are_coders_500(
    make_client: Callable[..., TestClient], body: dict[str, object], detail: str
) -> None:
    client = make_client(log_count=0)
    response = client.post(TESTGENERATE, json=body, headers=auth("owner"))
    assert response.status_code == 500
    assert body_of(response) == {"message": "An internal server error occurred.", "detail": detail}


def test_testgenerate_stores_a_15_hour_offset(make_client: Callable[..., TestClient]) -> None:
    client = make_client(log_count=0)
    body = {"time": "2020-01-01T01:00:00-15:59"}
    assert client.post(TESTGENERATE, json=body, headers=auth("owner")).status_code == 204
    assert client.get(AUDIT, headers=auth("owner")).json()["audit_logs"][0]["time"] == (
        "2020-01-01T16:59:00Z"
    )


# Methods outside chi's methodMap, recorded from v2.35.1 with curl: 405, empty body, no Allow,
# whatever the path and before authentication.
@pytest.mark.parametrize("method", ["QUERY", "BREW"])
@pytest.mark.parametrize("path", [AUDIT, TESTGENERATE, "/api/v2/audit/nonexist", "/foo"])
@pytest.mark.parametrize("headers", [{}, auth("owner")])
def test_methods_chi_does_not_know_are_405_without_allow(
    shared_client: TestClient, method: str, path: str, headers: dict[str, str]
) -> None:
    response = shared_client.request(method, path, headers=headers)
    assert (response.status_code, response.content) == (405, b"")
    assert "allow" not in response.headers and "content-type" not in response.headers


@pytest.mark.parametrize("role", ["auditor", "org-admin", "org-auditor"])
def test_testgenerate_readers_who_cannot_create_get_500(
    make_client: Callable[..., TestClient], role: str
) -> None:
    client = make_client(log_count=0)
    response = client.post(TESTGENERATE, json={}, headers=auth(role))
    assert response.status_code == 500
    assert body_of(response)["detail"].startswith("unauthorized")


def test_testgenerate_member_403(make_client: Callable[..., TestClient]) -> None:
    client = make_client(log_count=0)
    response = client.post(TESTGENERATE, content=b"garbage", headers=auth("member"))
    assert response.status_code == 403


def test_testgenerate_body_limit(make_client: Callable[..., TestClient]) -> None:
    client = make_client(log_count=0, max_body_bytes=1000)
    response = client.post(TESTGENERATE, content=b"{" + b" " * 2000 + b"}", headers=auth("owner"))
    assert response.status_code == 413
    assert body_of(response)["message"] == "Request body too large."


def test_openapi_document_is_served(shared_client: TestClient) -> None:
    document = body_of(shared_client.get("/openapi.json"))
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {"/api/v2/audit", "/api/v2/audit/testgenerate"}


def test_html_is_escaped_like_go(make_client: Callable[..., TestClient]) -> None:
    client = make_client(log_count=0)
    client.post(TESTGENERATE, json={"additional_fields": {"x": "<&>"}}, headers=auth("owner"))
    raw = client.get(AUDIT, headers=auth("owner")).content
    assert b"\\u003c\\u0026\\u003e" in raw and b"<&>" not in raw
    assert json.loads(raw)["audit_logs"][0]["additional_fields"] == {"x": "<&>"}


def test_testgenerate_keeps_a_null_additional_fields(
    make_client: Callable[..., TestClient],
) -> None:
    # json.RawMessage keeps the literal null, so the `{}` default does not apply (§5)
    client = make_client(log_count=0)
    client.post(TESTGENERATE, json={"additional_fields": None}, headers=auth("owner"))
    assert (
        body_of(client.get(AUDIT, headers=auth("owner")))["audit_logs"][0]["additional_fields"]
        is None
    )


@pytest.mark.parametrize(
    ("time", "stored"),
    [
        ("2024-01-01T00:00:00+15:00", "2023-12-31T09:00:00Z"),  # +24:00 parses, Postgres refuses
        ("2024-01-01T1:02:03Z", "2024-01-01T01:02:03Z"),  # and a one-digit hour
        ("2024-01-01T00:00:00,25Z", "2024-01-01T00:00:00.25Z"),  # and a comma before the fraction
    ],
)
def test_testgenerate_time_as_go_parses_it(
    make_client: Callable[..., TestClient], time: str, stored: str
) -> None:
    client = make_client(log_count=0)
    assert client.post(TESTGENERATE, json={"time": time}, headers=auth("owner")).status_code == 204
    assert body_of(client.get(AUDIT, headers=auth("owner")))["audit_logs"][0]["time"] == stored


@pytest.mark.parametrize(
    ("time", "detail"),
    [
        (
            "2024-01-01t00:00:00Z",
            'parsing time "2024-01-01t00:00:00Z" as "2006-01-02T15:04:05Z07:00": cannot parse "t00:00:00Z" as "T"',
        ),
        (
            "2024-01-01T00:00:00z",
            'parsing time "2024-01-01T00:00:00z" as "2006-01-02T15:04:05Z07:00": cannot parse "z" as "Z07:00"',
        ),
        (
            "2024-01-01T00:00:00+25:00",
            'parsing time "2024-01-01T00:00:00+25:00": time zone offset hour out of range',
        ),
        ("2024-02-30T00:00:00Z", 'parsing time "2024-02-30T00:00:00Z": day out of range'),
        ("2024-01-01T24:00:00Z", 'parsing time "2024-01-01T24:00:00Z": hour out of range'),
    ],
)
def test_testgenerate_bad_time(
    make_client: Callable[..., TestClient], time: str, detail: str
) -> None:
    client = make_client(log_count=0)
    response = client.post(TESTGENERATE, json={"time": time}, headers=auth("owner"))
    assert response.status_code == 400
    assert body_of(response) == {"message": "Request body must be valid JSON.", "detail": detail}


def test_a_time_go_cannot_encode_breaks_the_page_as_in_coder(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(log_count=2)
    accepted = client.post(
        TESTGENERATE, json={"time": "9999-12-31T23:59:59-01:00"}, headers=auth("owner")
    )
    assert accepted.status_code == 204
    response = client.get(AUDIT, headers=auth("owner"))
    assert response.status_code == 200
    assert response.content.startswith(b"json: error calling MarshalJSON for type time.Time")
    # pages without that log still work
    assert body_of(client.get(AUDIT, params={"offset": 1}, headers=auth("owner")))["count"] == 3


# -- Coder's root middleware: CSRF (recorded from v2.35.1 in tests/fidelity/corpus) ----------

CSRF_REFUSAL = (
    "Something is wrong with your CSRF token. Please refresh the page. "
    "If this error persists, try clearing your cookies.\n"
)


def test_a_cookie_only_write_is_refused_before_authentication(shared_client: TestClient) -> None:
    # Any cookie value, even an invalid token: the CSRF check runs first (400, not 401).
    for token in (DEFAULT_TOKENS["owner"], "not-a-token"):
        response = shared_client.post(
            TESTGENERATE, json={}, headers={"Cookie": f"coder_session_token={token}"}
        )
        assert (response.status_code, response.text) == (400, CSRF_REFUSAL)
        assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_csrf_lets_through_reads_and_writes_that_show_a_header(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(log_count=0)
    cookie = {"Cookie": f"coder_session_token={DEFAULT_TOKENS['owner']}"}
    assert client.get(AUDIT, headers=cookie).status_code == 200
    both = {**cookie, **auth("owner")}  # the header equals the cookie
    assert client.post(TESTGENERATE, json={}, headers=both).status_code == 204


# -- JSON escapes of U+0008 and U+000C (Go 1.22+: \b, \f; seen with diff --exact) ------------


def test_newest_writes_backspace_and_form_feed_short(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(log_count=0)
    body = {"additional_fields": {"k\b": "a\fb"}}
    assert client.post(TESTGENERATE, json=body, headers=auth("owner")).status_code == 204
    assert (
        b'"additional_fields":{"k\\b":"a\\fb"}' in client.get(AUDIT, headers=auth("owner")).content
    )


# -- building the app from MockSettings, and a client without Starlette's httpx2 warning --------


def test_create_app_takes_mock_settings() -> None:
    from coder_audit_mock.mockserver import MockSettings

    app = create_app(MockSettings(log_count=3, seed=4))
    assert app.state.mock.settings == MockSettings(log_count=3, seed=4)
    with pytest.raises(TypeError, match="give settings or seed, log_count, not both"):
        create_app(MockSettings(), seed=1, log_count=2)


def test_a_client_outside_pytest_prints_no_warning() -> None:
    import subprocess
    import sys

    script = (
        "from coder_audit_mock.fixtures import mock_client\n"
        "from coder_audit_mock.mockserver import MockSettings\n"
        "with mock_client(MockSettings(log_count=4), role='auditor') as client:\n"
        "    print(client.get('/api/v2/audit').json()['count'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "4\n", "")
