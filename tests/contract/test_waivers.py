"""The waiver register: complete entries, applied to exactly the documents they are for, and
each one both needed (the mock, faithful to Coder, breaks the literal Swagger) and narrow (a
failure waiver excuses only the behaviour it describes).

Coder's Swagger files are reference data beside the repository (`../shared/reference/`); the
tests that read them are skipped when they are absent.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from starlette.testclient import TestClient

from coder_audit_mock.contracts import (
    WAIVERS,
    DocumentKind,
    Exchange,
    applicable_waivers,
    detect_kind,
    read_document,
)
from coder_audit_mock.contracts._coder import EARLY_RULES, NEWEST_RULES
from coder_audit_mock.mockserver import (
    AUDIT_ACTIONS,
    DEFAULT_TOKENS,
    RESOURCE_TYPES,
    create_app,
    openapi_document,
)

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
NEWEST = REFERENCE / "coder-audit-swagger.json"
EARLY = REFERENCE / "coder-audit-swagger-2023.json"
needs_newest = pytest.mark.skipif(not NEWEST.exists(), reason=f"reference data absent: {NEWEST}")
needs_early = pytest.mark.skipif(not EARLY.exists(), reason=f"reference data absent: {EARLY}")
INSERT_500 = WAIVERS["testgenerate-insert-500"]
TESTGENERATE = "POST /api/v2/audit/testgenerate"
INTERNAL_ERROR = {"message": "An internal server error occurred.", "detail": "pq: ..."}


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return document


@pytest.mark.parametrize("waiver", WAIVERS.values(), ids=list(WAIVERS))
def test_every_waiver_is_a_complete_entry(waiver: Any) -> None:
    assert WAIVERS[waiver.id] is waiver
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", waiver.id)
    texts = (waiver.swagger_says, waiver.server_does, waiver.reason, waiver.applied_by)
    assert all(text.strip() for text in texts)
    assert waiver.reference.startswith("§")
    assert (waiver.edit is None) != (waiver.excuses is None)  # a document or a failure waiver
    assert waiver.applies_to
    assert waiver.describe().startswith(f"{waiver.id} ({waiver.reference})")


@needs_newest
@needs_early
def test_coders_documents_are_recognised_by_their_marks() -> None:
    newest, early = load(NEWEST), load(EARLY)
    assert detect_kind(newest) is DocumentKind.CODER_NEWEST
    assert detect_kind(early) is DocumentKind.CODER_EARLY
    untitled = {**newest, "info": {"title": "something else"}}
    assert detect_kind(untitled) is DocumentKind.CODER_NEWEST  # testgenerate's x-apidocgen mark
    assert detect_kind({**untitled, "paths": {}}) is DocumentKind.OTHER


def test_the_projects_document_and_others_are_told_apart() -> None:
    assert detect_kind(openapi_document()) is DocumentKind.PROJECT
    other = {"openapi": "3.0.3", "info": {"title": "Zoo"}, "paths": {}}
    assert detect_kind(other) is DocumentKind.OTHER


@needs_newest
def test_newest_swagger_gets_its_waivers() -> None:
    document = read_document(str(NEWEST))
    assert (document.kind, document.base_path) == (DocumentKind.CODER_NEWEST, "/")
    assert [waiver.id for waiver in document.waivers] == [
        "limit-not-required",
        "pagination-int32",
        "empty-query-value-is-absent",
        "after-id-undocumented",
        "q-grammar",
        "error-responses-undocumented",
        "user-may-be-null",
        "user-status-dormant",
        "service-account-email-empty",
        "testgenerate-enums-not-enforced",
        "testgenerate-empty-means-default",
        "additional-fields-any-json",
        "testgenerate-null-fields",
        "additional-fields-may-be-null",
        "undeclared-query-parameters-ignored",
        "testgenerate-insert-500",
        "unknown-method-405-without-allow",
        "csrf-refusal-before-auth",
    ]


@needs_early
def test_early_swagger_gets_its_waivers() -> None:
    document = read_document(str(EARLY))
    assert (document.kind, document.base_path) == (DocumentKind.CODER_EARLY, "/api/v2")
    assert [waiver.id for waiver in document.waivers] == [
        "q-not-required",
        "pagination-int32",
        "empty-query-value-is-absent",
        "q-grammar",
        "error-responses-undocumented",
        "user-may-be-null",
        "testgenerate-empty-means-default",
        "testgenerate-field-formats",
        "testgenerate-null-fields",
        "ip-is-string",
        "additional-fields-object",
        "additional-fields-may-be-null",
        "undeclared-query-parameters-ignored",
        "testgenerate-insert-500",
        "unknown-method-405-without-allow",
        "csrf-refusal-before-auth",
    ]


def test_the_projects_document_gets_only_the_failure_waivers(tmp_path: Path) -> None:
    waivers = read_document().waivers
    assert [w.id for w in waivers] == [
        "undeclared-query-parameters-ignored",
        "testgenerate-insert-500",
        "unknown-method-405-without-allow",
        "csrf-refusal-before-auth",
    ]
    assert all(w.excuses is not None for w in waivers)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"openapi": "3.0.3", "info": {"title": "Zoo"}, "paths": {}}))
    assert read_document(str(other)).waivers == ()


@needs_newest
def test_waivers_do_not_apply_twice_nor_touch_the_source() -> None:
    source = load(NEWEST)
    waived = copy.deepcopy(dict(read_document(str(NEWEST)).content))
    edits = [w for w in applicable_waivers(DocumentKind.CODER_NEWEST) if w.edit is not None]
    assert [w.id for w in edits if w.apply(waived)] == []
    assert load(NEWEST) == source


@needs_newest
def test_newest_waived_document_states_the_servers_contract() -> None:
    content = read_document(str(NEWEST)).content
    get = content["paths"]["/api/v2/audit"]["get"]
    parameters = {parameter["name"]: parameter for parameter in get["parameters"]}
    assert parameters["limit"]["required"] is False
    assert (parameters["offset"]["minimum"], parameters["offset"]["maximum"]) == (0, 2**31 - 1)
    assert parameters["after_id"]["format"] == "uuid"
    assert all(parameters[name]["allowEmptyValue"] for name in ("q", "limit", "offset", "after_id"))
    assert re.fullmatch(parameters["q"]["pattern"], "resource_type:workspace action:create")
    assert not re.fullmatch(parameters["q"]["pattern"], "foo:bar")
    assert set(get["responses"]) == {"200", "400", "401", "403"}
    post = content["paths"]["/api/v2/audit/testgenerate"]["post"]
    assert set(post["responses"]) == {"204", "400", "401", "403", "500"}
    request = content["definitions"]["codersdk.CreateTestAuditLogRequest"]["properties"]
    assert set(request["action"]["enum"]) == {*AUDIT_ACTIONS, "", None}
    assert set(request["resource_type"]["enum"]) == {*RESOURCE_TYPES, "", None}
    assert all(schema["x-nullable"] for schema in request.values())


@pytest.fixture(scope="module")
def audit_page() -> Any:
    """A page of the mock's logs that holds what Coder really sends and its Swagger denies."""
    client = TestClient(create_app())
    response = client.get(
        "/api/v2/audit",
        params={"limit": "1000"},
        headers={"Coder-Session-Token": DEFAULT_TOKENS["owner"]},
    )
    users = [log["user"] for log in response.json()["audit_logs"]]
    assert None in users  # §4.5: unknown actors
    assert any(user and user["status"] == "dormant" for user in users)  # §4.4
    assert any(user and user["email"] == "" for user in users)  # service accounts
    return response


@needs_newest
def test_a_real_page_breaks_the_literal_swagger_and_fits_the_waived_one(audit_page: Any) -> None:
    literal = schemathesis.openapi.from_dict(load(NEWEST))["/api/v2/audit"]["GET"]
    waived = schemathesis.openapi.from_dict(dict(read_document(str(NEWEST)).content))
    assert not literal.is_valid_response(audit_page)
    assert waived["/api/v2/audit"]["GET"].is_valid_response(audit_page)


def exchange(
    body: Any, *, status: int = 500, response: Any = None, code: str = "ST101"
) -> Exchange:
    response = INTERNAL_ERROR if response is None else response
    return Exchange(TESTGENERATE, code, "Server error", body, status, response)


@pytest.mark.parametrize(
    "body",
    [
        {"action": "bogus"},
        {"resource_type": "auditable_group"},  # in Coder's Swagger enum, not in the database's
        {"action": "create", "additional_fields": {"k": ["a\x00b"]}},
        {"time": "2020-01-01T00:00:00-16:00"},  # Go parses it, Postgres refuses the offset
    ],
)
def test_the_insert_500_is_excused_for_what_postgres_refuses(body: Any) -> None:
    assert INSERT_500.excuses is not None and INSERT_500.excuses(exchange(body))


@pytest.mark.parametrize(
    "failed",
    [
        exchange({}),  # valid: the defaults are stored
        exchange({"action": "", "resource_type": None}),  # empty and null mean the defaults
        exchange({"action": "login", "resource_type": "workspace"}),  # database enum values
        exchange({"time": "2020-01-01T00:00:00+15:59"}),  # the largest offset Postgres takes
        exchange({"action": "bogus"}, status=502),
        exchange({"action": "bogus"}, response={"message": "panic", "detail": "TypeError"}),
        exchange({"action": "bogus"}, code="ST108"),  # another check's failure
        Exchange("GET /api/v2/audit", "ST101", "Server error", None, 500, INTERNAL_ERROR),
    ],
)
def test_the_insert_500_waiver_excuses_nothing_else(failed: Exchange) -> None:
    assert INSERT_500.excuses is not None and not INSERT_500.excuses(failed)


UNDECLARED = WAIVERS["undeclared-query-parameters-ignored"]
ACCEPTED = "Invalid data should have been rejected\nExpected: 400, 401, 403"


def accepted(*invalid: str, status: int = 200, operation: str = "GET /api/v2/audit") -> Exchange:
    message = "\n".join([ACCEPTED, *(f"Invalid component: {line}" for line in invalid)])
    return Exchange(operation, "ST201", message, None, status, {"audit_logs": []})


def test_undeclared_query_parameters_are_excused_as_coder_ignores_them() -> None:
    assert UNDECLARED.excuses is not None
    assert UNDECLARED.excuses(accepted("in query - violates `additionalProperties`"))


@pytest.mark.parametrize(
    "failed",
    [
        accepted("parameter `limit` in query - violates `minimum`"),
        accepted("in query - violates `additionalProperties`", "in body - violates `type`"),
        accepted(),  # no invalid component named: nothing to judge by
        accepted("in query - violates `additionalProperties`", status=400),
        accepted("in query - violates `additionalProperties`", operation=TESTGENERATE),
    ],
)
def test_the_undeclared_query_waiver_excuses_nothing_else(failed: Exchange) -> None:
    assert UNDECLARED.excuses is not None and not UNDECLARED.excuses(failed)


UNKNOWN_METHOD = WAIVERS["unknown-method-405-without-allow"]


def no_allow(method: str) -> Exchange:
    message = f"{method} returned 405 without required `Allow` header"
    return Exchange("GET /api/v2/audit", "ST204", message, None, 200, {})


@pytest.mark.parametrize("method", ["QUERY", "BREW", "get"])
def test_a_405_without_allow_is_excused_for_methods_chi_does_not_know(method: str) -> None:
    assert UNKNOWN_METHOD.excuses is not None and UNKNOWN_METHOD.excuses(no_allow(method))


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "TRACE"])
def test_a_405_without_allow_still_fails_for_known_methods(method: str) -> None:
    assert UNKNOWN_METHOD.excuses is not None and not UNKNOWN_METHOD.excuses(no_allow(method))


CSRF = WAIVERS["csrf-refusal-before-auth"]


def probe_failed(status: str, *, operation: str = TESTGENERATE, code: str = "ST401") -> Exchange:
    # ignored_auth's words when its invalid-credentials probe was not refused with 401/403.
    message = (
        f"Expected 401 or 403, got `{status}` for `{operation}` (invalid credentials provided)"
    )
    return Exchange(operation, code, message, None, 200, {})


def test_the_csrf_refusal_of_the_cookie_probe_is_excused() -> None:
    assert CSRF.excuses is not None and CSRF.excuses(probe_failed("400 Bad Request"))


@pytest.mark.parametrize(
    "failed",
    [
        probe_failed("200 OK"),  # accepted an invalid token: a real failure
        probe_failed("500 Internal Server Error"),
        probe_failed("400 Bad Request", operation="GET /api/v2/audit"),  # reads skip CSRF
        probe_failed("400 Bad Request", code="ST101"),
        Exchange(TESTGENERATE, "ST401", "Expected 401 or 403, got `400 Bad Request` for "
                 f"`{TESTGENERATE}`", None, 200, {}),  # no invalid credentials: no-auth probe
    ],
)  # fmt: skip
def test_the_csrf_waiver_excuses_nothing_else(failed: Exchange) -> None:
    assert CSRF.excuses is not None and not CSRF.excuses(failed)


def test_the_csrf_waiver_is_bound_only_where_coder_checks_csrf() -> None:
    ids = [w.id for w in applicable_waivers(DocumentKind.PROJECT, EARLY_RULES)]
    assert "csrf-refusal-before-auth" not in ids
    assert "csrf-refusal-before-auth" in [w.id for w in applicable_waivers(DocumentKind.PROJECT)]


# -- waivers bound to the profile checked for (docs/profiles.md) ----------------------------

NEGATIVE = "negative-pagination-500"
LIMIT_500 = {
    "message": "An internal server error occurred.",
    "detail": "pq: LIMIT must not be negative",
}


def early_waiver(waiver_id: str, kind: DocumentKind = DocumentKind.PROJECT) -> Any:
    [waiver] = [w for w in applicable_waivers(kind, EARLY_RULES) if w.id == waiver_id]
    return waiver


def server_error(query: dict[str, Any], response: Any = LIMIT_500, code: str = "ST101") -> Exchange:
    # The waiver judges the query as sent: each parameter's values, as text, in order.
    sent = {
        name: [str(v) for v in value] if isinstance(value, list) else [str(value)]
        for name, value in query.items()
    }
    return Exchange("GET /api/v2/audit", code, "Server error", None, 500, response, sent)


def test_the_newest_profile_gets_no_2023_waiver() -> None:
    ids = {w.id for kind in DocumentKind for w in applicable_waivers(kind, NEWEST_RULES)}
    assert not ids & {NEGATIVE, "user-organization-ids-null"}
    unbound = WAIVERS[NEGATIVE].excuses
    assert unbound is not None and not unbound(server_error({"limit": -1}))


@pytest.mark.parametrize(
    "query",
    [
        {"limit": -1},
        {"limit": 2**31},
        {"limit": "-5", "offset": 3},
        # Repeated: 2023-01 read the first value (url.Values.Get). This one was a false alarm
        # of `check --profile 2023-01`, seed 0, from an editable install.
        {"limit": [-10000000, "null", "true"]},
        {"limit": ["-3"], "offset": ["", "-9"]},  # an empty first value means absent
    ],
)
@pytest.mark.parametrize("code", ["ST101", "ST103"])
def test_a_2023_server_may_answer_a_negative_limit_with_postgres_500(
    query: dict[str, Any], code: str
) -> None:
    waiver = early_waiver(NEGATIVE)
    assert waiver.excuses(server_error(query, code=code))


@pytest.mark.parametrize(
    "failed",
    [
        server_error({"limit": 5}),  # no negative LIMIT: any 500 is a bug
        server_error({"offset": -1}),  # OFFSET is checked first: its own message
        server_error({"limit": -1}, response={"message": "panic"}),
        server_error({"limit": -1}, code="ST108"),
        server_error({"limit": ["5", "-1"]}),  # the first value wins: LIMIT 5 is no error
    ],
)
def test_the_negative_pagination_waiver_excuses_nothing_else(failed: Exchange) -> None:
    assert not early_waiver(NEGATIVE).excuses(failed)


def test_the_2023_profile_binds_its_enums_grammar_and_pagination() -> None:
    insert_500 = early_waiver("testgenerate-insert-500")
    # `login` is a NEWEST action only: the 2023-01 database refused it (§4.1).
    assert insert_500.excuses(exchange({"action": "login"}))
    assert INSERT_500.excuses is not None and not INSERT_500.excuses(exchange({"action": "login"}))
    document: dict[str, Any] = {
        "swagger": "2.0",
        "basePath": "/api/v2",
        "paths": {"/audit": {"get": {"parameters": [
            {"name": "q", "in": "query", "type": "string"},
            {"name": "limit", "in": "query", "type": "integer"},
        ]}}},
    }  # fmt: skip
    for waiver_id in ("q-grammar", "pagination-int32"):
        assert early_waiver(waiver_id, DocumentKind.CODER_EARLY).apply(document)
    q, limit = document["paths"]["/audit"]["get"]["parameters"]
    early_q = openapi_document("2023-01")["components"]["schemas"]["SearchQuery"]["pattern"]
    assert q["pattern"] == early_q
    assert (limit["minimum"], limit["maximum"]) == (-(2**63), 2**63 - 1)
