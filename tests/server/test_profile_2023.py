"""The 2023-01 profile through the app: every EARLY rule of the reference, pinned.

§1.3, §1.4 (handlers), §2.2 (search), §3.2 and §3.4 EARLY (pagination, count), §4 EARLY
(enums, shapes, descriptions, links), §5 EARLY (testgenerate), §6 EARLY (auth), §9. The NEWEST
profile's behaviour is pinned by the other tests of this directory; where a rule differs, a test
here also checks that the default profile still answers the NEWEST way.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from coder_audit_mock.mockserver import NIL_UUID, AuditLog, create_app, openapi_document
from coder_audit_mock.mockserver._errors import InvalidSearchQuery
from coder_audit_mock.mockserver.profiles import (
    PROFILE_NAMES,
    differences,
    differences_table,
    get_profile,
)
from coder_audit_mock.mockserver.profiles.coder_2023_01.profile import PROFILE as EARLY_PROFILE
from coder_audit_mock.mockserver.profiles.coder_2023_01.search import parse_search_query_early
from coder_audit_mock.mockserver.profiles.newest.profile import PROFILE as NEWEST_PROFILE

from .conftest import AUDIT, TESTGENERATE, auth

ROOT = Path(__file__).resolve().parents[2]
EARLY = "2023-01"
FORBIDDEN = {"message": "Forbidden."}
SIGNED_OUT = "You are signed out or your session has expired. Please sign in again to continue."
EARLY_LOG_KEYS = [
    "id",
    "request_id",
    "time",
    "organization_id",
    "ip",
    "user_agent",
    "resource_type",
    "resource_id",
    "resource_target",
    "resource_icon",
    "action",
    "diff",
    "status_code",
    "additional_fields",
    "description",
    "resource_link",
    "is_deleted",
    "user",
]
EARLY_USER_KEYS = [
    "id",
    "username",
    "email",
    "created_at",
    "last_seen_at",
    "status",
    "organization_ids",
    "roles",
    "avatar_url",
]
ALL = {"limit": "100000"}


@pytest.fixture(scope="module")
def early() -> Iterator[TestClient]:
    """A read-only client over the default 1000-log deployment, 2023-01 profile."""
    with TestClient(create_app(profile=EARLY)) as client:
        yield client


@pytest.fixture
def make_early() -> Callable[..., TestClient]:
    def make(**settings: Any) -> TestClient:
        return TestClient(create_app(profile=EARLY, **settings))

    return make


def get(client: TestClient, role: str = "owner", **params: str) -> httpx.Response:
    return client.get(AUDIT, params=params, headers=auth(role))


def page(client: TestClient, **params: str) -> dict[str, Any]:
    response = get(client, **params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def stored(client: TestClient) -> list[AuditLog]:
    """Every stored log, newest first, equal times in stored order (the order the API answers in)."""
    logs: list[AuditLog] = client.app.state.mock.store.logs  # type: ignore[attr-defined]
    return sorted(logs, key=lambda log: -log.time)  # stable: ties keep the stored order


def ids_for(client: TestClient, q: str) -> list[str]:
    return [log["id"] for log in page(client, q=q, **ALL)["audit_logs"]]


def ids_where(client: TestClient, keep: Callable[[AuditLog], bool]) -> list[str]:
    return [str(log.id) for log in stored(client) if keep(log)]


def every_id(client: TestClient) -> list[str]:
    return ids_where(client, lambda log: True)


def search_error(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["message"] == "Invalid audit search query."
    validations: list[dict[str, str]] = body["validations"]
    return validations


# -- the profile itself -----------------------------------------------------------------------


def test_profiles_are_named_and_newest_is_the_default() -> None:
    assert PROFILE_NAMES == ("newest", EARLY)
    assert create_app().state.mock.profile is NEWEST_PROFILE
    assert get_profile(EARLY) is EARLY_PROFILE
    with pytest.raises(Exception, match="unknown profile '1999': expected one of newest, 2023-01"):
        create_app(profile="1999")


def test_docs_profiles_md_holds_the_table_of_differences() -> None:
    text = (ROOT / "docs" / "profiles.md").read_text(encoding="utf-8")
    assert differences_table() in text, (
        "docs/profiles.md is out of date; paste the output of\n"
        "  python -c 'from coder_audit_mock.mockserver.profiles import differences_table as t;"
        ' print(t(), end="")\''
    )
    assert len(differences(NEWEST_PROFILE, EARLY_PROFILE)) >= 20


def test_same_seed_same_bytes_and_early_data_differs_from_newest() -> None:
    first = TestClient(create_app(profile=EARLY, log_count=50)).get(
        AUDIT, params=ALL, headers=auth("owner")
    )
    second = TestClient(create_app(profile=EARLY, log_count=50)).get(
        AUDIT, params=ALL, headers=auth("owner")
    )
    newest = TestClient(create_app(log_count=50)).get(AUDIT, params=ALL, headers=auth("owner"))
    assert first.content == second.content
    assert first.content != newest.content


# -- data: only EARLY enums and shapes (§4 EARLY, §8 EARLY) ------------------------------------


def test_seeded_data_uses_only_early_enums(early: TestClient) -> None:
    logs = page(early, **ALL)["audit_logs"]
    assert len(logs) == 1000
    assert {log["resource_type"] for log in logs} <= set(EARLY_PROFILE.resource_types)
    assert {log["action"] for log in logs} <= set(EARLY_PROFILE.audit_actions)
    assert {log["user"]["status"] for log in logs if log["user"]} <= {"active", "suspended"}
    # every honoured filter value has data, so the filter tests below are not vacuous
    assert {log["resource_type"] for log in logs} >= {"workspace", "workspace_build", "group"}


def test_workspace_builds_carry_camel_case_additional_fields(early: TestClient) -> None:
    builds = page(early, q="resource_type:workspace_build", **ALL)["audit_logs"]
    assert builds
    for log in builds:
        fields = log["additional_fields"]
        assert set(fields) == {"workspaceName", "buildNumber"}, fields
        assert fields["buildNumber"].isdigit()
    creations = page(early, q="resource_type:workspace action:create", **ALL)["audit_logs"]
    assert creations and all("workspaceOwner" in log["additional_fields"] for log in creations)


# -- shapes (§4.5-§4.7 EARLY, §1.3 step 6) ----------------------------------------------------


def test_log_and_user_objects_have_the_early_shape(early: TestClient) -> None:
    body = page(early, limit="50")
    assert list(body) == ["audit_logs", "count"]  # no count_cap (§3.1 is NEWEST only)
    for log in body["audit_logs"]:
        assert list(log) == EARLY_LOG_KEYS  # Go field order; no `organization` object
        user = log["user"]
        assert list(user) == EARLY_USER_KEYS
        assert user["organization_ids"] is None
        assert user["last_seen_at"] == "0001-01-01T00:00:00Z"
        assert isinstance(user["avatar_url"], str)
        assert all(list(role) == ["name", "display_name"] for role in user["roles"])


def test_early_descriptions(early: TestClient) -> None:
    logs = page(early, **ALL)["audit_logs"]
    verbs = {"create": "created", "write": "updated", "delete": "deleted", "start": "started",
             "stop": "stopped"}  # fmt: skip
    for log in logs:
        verb = verbs[log["action"]]
        kind = log["resource_type"]
        if kind == "workspace_build" and log["action"] != "delete":
            number = log["additional_fields"]["buildNumber"]
            expected = f"{{user}} {verb} build #{number} for workspace {{target}}"
        elif kind == "git_ssh_key":
            expected = f"{{user}} {verb} the git ssh key"
        else:
            friendly = {
                "api_key": "api key",
                "template_version": "template version",
                "workspace_build": "workspace",
                "git_ssh_key": "git ssh key",
            }
            expected = f"{{user}} {verb} {friendly.get(kind, kind)} {{target}}"
        assert log["description"] == expected  # no "unsuccessfully attempted" wording (§4.6)
    assert any(log["status_code"] >= 400 for log in logs)


def test_early_resource_links(early: TestClient) -> None:
    logs = page(early, **ALL)["audit_logs"]
    checked = set()
    for log in logs:
        fields, target, actor = log["additional_fields"], log["resource_target"], log["user"]
        if log["is_deleted"]:
            assert log["resource_link"] == ""
            continue
        kind = log["resource_type"]
        if kind == "workspace":
            owner = fields.get("workspaceOwner") or actor["username"]
            expected = f"/@{owner}/{target}"
        elif kind == "workspace_build":
            expected = (
                f"/@{actor['username']}/{fields['workspaceName']}/builds/{fields['buildNumber']}"
            )
        elif kind == "template":
            expected = f"/templates/{target}"
        elif kind == "user":
            expected = f"/users?filter={target}"
        else:
            expected = ""
        assert log["resource_link"] == expected, log
        checked.add(kind)
    assert checked >= {"workspace", "workspace_build", "template", "user", "group"}


def test_responses_conform_to_the_early_openapi_document(early: TestClient) -> None:
    document = openapi_document(EARLY)
    components = document["components"]

    def validator(schema: dict[str, Any]) -> Any:
        return jsonschema_rs.validator_for({**schema, "components": components})

    ok = validator({"$ref": "#/components/schemas/AuditLogResponse"})
    error = validator({"$ref": "#/components/schemas/Response"})
    forbidden = validator(
        components["responses"]["Forbidden"]["content"]["application/json"]["schema"]
    )
    for params in ({"limit": "1000"}, {}, {"q": "resource_type:workspace_build", "limit": "5"}):
        ok.validate(page(early, **params))
    for params in ({"limit": "bogus"}, {"q": "a:b:c"}, {"limit": "-1"}):
        error.validate(get(early, **params).json())
    forbidden.validate(get(early, "member").json())
    with pytest.raises(ValueError):
        forbidden.validate(get(TestClient(create_app(log_count=0)), "member").json())


def test_the_early_openapi_document_is_current_and_served(early: TestClient) -> None:
    spec = importlib.util.spec_from_file_location(
        "build_openapi", ROOT / "tools" / "build_openapi.py"
    )
    assert spec is not None and spec.loader is not None
    generator: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    assert generator.main(["--profile", EARLY, "--check"]) == 0
    assert early.get("/openapi.json").json() == openapi_document(EARLY)
    assert openapi_document(EARLY)["info"]["x-coder-audit-mock-profile"] == EARLY


@settings(max_examples=300, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.text(alphabet=st.sampled_from(' :"ab\té'), max_size=14))
def test_the_early_search_pattern_is_exactly_the_well_formed_queries(q: str) -> None:
    # §2.2: the pattern admits a query iff no element has zero or several ':' fields.
    pattern = openapi_document(EARLY)["components"]["schemas"]["SearchQuery"]["pattern"]
    admitted = re.fullmatch(pattern.removeprefix("^").removesuffix("$"), q) is not None
    try:
        parse_search_query_early(q)
        well_formed = True
    except InvalidSearchQuery as error:
        well_formed = "can only contain 1 ':'" not in error.validations[0].detail
    assert admitted == well_formed


# -- search (§2.2) -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "q",
    [
        "foo:bar",  # unknown key
        "resource_target:x",  # documented, never read
        "request_id:bogus",
        "organization:nope",
        "build_reason:bogus",
        "resource_type:bogus",  # bad enum
        "resource_type:group",  # a real type, but not honoured by the filter
        "resource_type:license",
        "action:bogus",
        "action:start",  # a real action, not honoured
        "action:stop",
        "date_from:2022-13-01",  # a bad date_from: no lower bound
        "bogus",  # free text: resource_type bogus, ignored
        "action:",  # no start/end-colon check: the free word "action"
        ":create",
        'resource_type:""',
    ],
)
def test_what_early_ignores_filters_nothing(early: TestClient, q: str) -> None:
    body = page(early, q=q, **ALL)
    assert [log["id"] for log in body["audit_logs"]] == every_id(early)
    assert body["count"] == 1000
    # NEWEST rejects most of these (§2.1): the default profile is unchanged
    newest = TestClient(create_app(log_count=0)).get(AUDIT, params={"q": q}, headers=auth("owner"))
    if q not in ("resource_target:x", "resource_type:group", "resource_type:license",
                 "action:start", "action:stop", 'resource_type:""'):  # fmt: skip
        assert newest.status_code == 400


@pytest.mark.parametrize("resource_type", sorted(EARLY_PROFILE.filter_resource_types))
def test_honoured_resource_types_filter(early: TestClient, resource_type: str) -> None:
    expected = ids_where(early, lambda log: log.resource_type == resource_type)
    assert expected
    assert ids_for(early, f"resource_type:{resource_type}") == expected


@pytest.mark.parametrize("action", ["create", "write", "delete"])
def test_honoured_actions_filter(early: TestClient, action: str) -> None:
    expected = ids_where(early, lambda log: log.action == action)
    assert expected and ids_for(early, f"action:{action}") == expected


def test_free_text_is_a_resource_type_and_the_last_one_wins(early: TestClient) -> None:
    workspaces = ids_where(early, lambda log: log.resource_type == "workspace")
    users = ids_where(early, lambda log: log.resource_type == "user")
    assert ids_for(early, "workspace") == workspaces
    assert ids_for(early, '"Workspace"') == workspaces  # lowercased, quotes trimmed
    assert ids_for(early, "workspace user") == users  # no joining of free words (§2.2)
    assert ids_for(early, "workspace resource_type:user") == users


def test_a_repeated_key_last_one_wins(early: TestClient) -> None:
    deletes = ids_where(early, lambda log: log.action == "delete")
    assert ids_for(early, "action:create action:delete") == deletes
    assert ids_for(early, "Action:CREATE action:bogus") == every_id(early)  # last: ignored
    newest = TestClient(create_app(log_count=0))
    response = newest.get(AUDIT, params={"q": "action:create action:delete"}, headers=auth("owner"))
    assert search_error(response)[0]["field"] == "action"  # NEWEST: provided more than once


def test_filters_combine_and_the_query_is_lowercased(early: TestClient) -> None:
    expected = ids_where(
        early, lambda log: log.resource_type == "workspace" and log.action == "create"
    )
    assert expected and ids_for(early, "Resource_Type:WORKSPACE ACTION:Create") == expected


def test_three_parts_or_no_part_is_the_only_structural_error(early: TestClient) -> None:
    for q, element in (("a:b:c", "a:b:c"), ("workspace :", ":"), ("x::", None)):
        response = get(early, q=q, limit="5")
        if element is None:  # "x::" is one field: the free word x
            assert response.status_code == 200
            continue
        assert search_error(response) == [
            {"field": "q", "detail": f"Query element {json.dumps(element)} can only contain 1 ':'"}
        ]
    assert get(early, q='resource_type:"a:b"', limit="5").status_code == 200  # quoted ':'


def test_bad_resource_id_is_the_only_key_error(early: TestClient) -> None:
    response = get(early, q="resource_id:bogus foo:bar action:nope", limit="5")
    assert search_error(response) == [
        {"field": "resource_id", "detail": 'Query param "resource_id" must be a valid uuid'}
    ]
    target = stored(early)[0].resource_id
    expected = ids_where(early, lambda log: log.resource_id == target)
    assert ids_for(early, f"resource_id:{str(target).upper()}") == expected
    assert ids_for(early, f"resource_id:{NIL_UUID}") == every_id(early)  # nil: no filter


def test_date_to_before_date_from_is_a_q_error(early: TestClient) -> None:
    response = get(early, q="date_from:2022-08-15 date_to:2022-08-14")
    assert search_error(response) == [
        {
            "field": "q",
            "detail": 'DateTo value "2022-08-14 23:59:59 +0000 UTC" cannot be before than DateFrom',
        }
    ]
    # a bad date_to is 0001-01-01 23:59:59: before any real date_from
    response = get(early, q="date_from:2022-08-15 date_to:bogus resource_id:bogus")
    assert search_error(response) == [
        {
            "field": "q",
            "detail": 'DateTo value "0001-01-01 23:59:59 +0000 UTC" cannot be before than DateFrom',
        }
    ]
    assert get(early, q="date_from:2022-08-15 date_to:2022-08-15", limit="1").status_code == 200


def test_dates_bound_inclusively_and_a_bad_date_to_matches_nothing(early: TestClient) -> None:
    newest = page(early, limit="1")["audit_logs"][0]["time"]
    date = newest[:10]
    day_us = stored(early)[0].time // 86_400_000_000 * 86_400_000_000
    start, end = day_us, day_us + 86_399_000_000  # 00:00:00 to 23:59:59 UTC (§3.3)
    expected = ids_where(early, lambda log: start <= log.time <= end)
    assert expected and ids_for(early, f"date_from:{date} date_to:{date}") == expected
    assert ids_for(early, f"date_to:{date}") == ids_where(early, lambda log: log.time <= end)
    assert page(early, q="date_to:bogus", **ALL) == {"audit_logs": [], "count": 0}


def test_username_is_compared_exactly_after_lowercasing(early: TestClient) -> None:
    users = early.app.state.mock.deployment.users  # type: ignore[attr-defined]
    mixed = next(u for u in users.values() if u.username != u.username.lower())
    assert ids_for(early, f"username:{mixed.username}") == []  # lowercased query never matches
    deleted = next(
        u for u in users.values()
        if u.deleted and any(log.user_id == u.id for log in stored(early))
    )  # fmt: skip
    expected = ids_where(early, lambda log: log.user_id == deleted.id)
    assert ids_for(early, f"username:{deleted.username}") == expected  # deleted users too
    assert ids_for(early, "username:me") == []  # no `me` in 2023-01


def test_email_is_compared_exactly(early: TestClient) -> None:
    users = early.app.state.mock.deployment.users  # type: ignore[attr-defined]
    actor_ids = {log.user_id for log in stored(early)}
    user = next(
        u for u in users.values() if u.id in actor_ids and u.email == u.email.lower() and u.email
    )
    assert ids_for(early, f"email:{user.email}") == ids_where(
        early, lambda log: log.user_id == user.id
    )


# -- pagination and count (§3.2, §3.4 EARLY, §9.4, §9.5) ---------------------------------------


def test_no_limit_or_limit_zero_is_an_empty_page_with_count_zero(early: TestClient) -> None:
    for params in ({}, {"limit": "0"}, {"limit": ""}, {"offset": "5"}):
        response = get(early, **params)
        assert response.content == b'{"audit_logs":[],"count":0}\n'


def test_count_is_the_uncapped_total_unless_the_page_is_empty(
    make_early: Callable[..., TestClient],
) -> None:
    client = make_early(log_count=2500)
    body = page(client, limit="3")
    assert len(body["audit_logs"]) == 3 and body["count"] == 2500  # no cap at 2001 (§3.1 NEWEST)
    assert page(client, limit="3", offset="2499")["count"] == 2500
    assert page(client, limit="3", offset="2500") == {"audit_logs": [], "count": 0}
    assert page(client, limit="3", q="resource_type:user")["count"] == len(
        ids_where(client, lambda log: log.resource_type == "user")
    )


@pytest.mark.parametrize(
    ("params", "validations"),
    [
        (
            {"limit": "bogus"},
            [("limit", 'Query param "limit" must be a valid integer (strconv.Atoi: parsing "bogus": invalid syntax)')],
        ),
        (
            {"offset": "99999999999999999999"},
            [("offset", 'Query param "offset" must be a valid integer (strconv.Atoi: parsing "99999999999999999999": value out of range)')],
        ),
        (
            {"offset": "1.5", "limit": "x", "after_id": "bogus"},
            [
                ("after_id", 'Query param "after_id" must be a valid uuid'),
                ("limit", 'Query param "limit" must be a valid integer (strconv.Atoi: parsing "x": invalid syntax)'),
                ("offset", 'Query param "offset" must be a valid integer (strconv.Atoi: parsing "1.5": invalid syntax)'),
            ],
        ),
    ],
)  # fmt: skip
def test_pagination_errors_name_atoi(
    early: TestClient, params: dict[str, str], validations: list[tuple[str, str]]
) -> None:
    response = get(early, **params, q="a:b:c")  # pagination is checked first (§1.3)
    assert response.status_code == 400
    assert response.json() == {
        "message": "Query parameters have invalid values.",
        "validations": [{"field": field, "detail": detail} for field, detail in validations],
    }


def test_a_repeated_page_parameter_takes_the_first_value(early: TestClient) -> None:
    response = early.get(f"{AUDIT}?limit=2&limit=bogus&offset=&offset=x", headers=auth("owner"))
    assert response.status_code == 200
    assert len(response.json()["audit_logs"]) == 2


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"limit": "-1"}, "pq: LIMIT must not be negative"),
        ({"limit": "5", "offset": "-1"}, "pq: OFFSET must not be negative"),
        ({"limit": "-1", "offset": "-1"}, "pq: OFFSET must not be negative"),  # OFFSET first
        ({"limit": "0", "offset": "-7"}, "pq: OFFSET must not be negative"),
        ({"limit": "2147483648"}, "pq: LIMIT must not be negative"),  # int32(2^31) < 0
    ],
)
def test_negative_limit_or_offset_is_postgres_500(
    early: TestClient, params: dict[str, str], detail: str
) -> None:
    response = get(early, **params)
    assert response.status_code == 500
    assert response.json() == {"message": "An internal server error occurred.", "detail": detail}
    assert get(early, **params, q="a:b:c").status_code == 400  # the search error comes first


def test_limit_and_offset_keep_their_low_32_bits(early: TestClient) -> None:
    assert len(page(early, limit="4294967298")["audit_logs"]) == 2
    assert page(early, limit="4294967296") == {"audit_logs": [], "count": 0}
    assert page(early, limit="1", offset="4294967297")["audit_logs"][0]["id"] == every_id(early)[1]
    assert len(page(early, limit="+5")["audit_logs"]) == 5


def test_pages_are_newest_first_and_concatenate(early: TestClient) -> None:
    walked = [
        log["id"]
        for offset in range(0, 60, 20)
        for log in page(early, limit="20", offset=str(offset))["audit_logs"]
    ]
    assert walked == every_id(early)[:60]


# -- authentication and authorization (§6 EARLY, §1.3, §9.13) ----------------------------------


@pytest.mark.parametrize(
    ("headers", "params"),
    [
        ({"Cookie": "coder_session_token=" + "owner00000-ownersecret00000000000"}, {}),
        ({}, {"coder_session_token": "owner00000-ownersecret00000000000"}),
        ({"Coder-Session-Token": "owner00000-ownersecret00000000000"}, {}),
        ({"Cookie": "coder_devurl_session_token=owner00000-ownersecret00000000000"}, {}),
    ],
)
def test_early_token_carriers(
    early: TestClient, headers: dict[str, str], params: dict[str, str]
) -> None:
    assert early.get(AUDIT, params={**params, "limit": "1"}, headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("headers", "params"),
    [
        ({"Authorization": "Bearer owner00000-ownersecret00000000000"}, {}),
        ({}, {"access_token": "owner00000-ownersecret00000000000"}),
    ],
)
def test_newest_only_carriers_are_not_read(
    early: TestClient, headers: dict[str, str], params: dict[str, str]
) -> None:
    response = early.get(AUDIT, params=params, headers=headers)
    assert response.status_code == 401
    assert response.json() == {
        "message": SIGNED_OUT,
        "detail": 'Cookie "coder_session_token" or query parameter must be provided.',
    }
    assert "www-authenticate" not in response.headers  # §6.2: NEWEST only
    newest = TestClient(create_app(log_count=0)).get(AUDIT, params=params, headers=headers)
    assert newest.status_code == 200


def test_401s_carry_no_challenge(early: TestClient) -> None:
    for role in ("expired", "suspended"):
        response = get(early, role)
        assert response.status_code == 401 and "www-authenticate" not in response.headers
    assert get(early, "expired").json()["detail"].startswith('API key expired at "')


@pytest.mark.parametrize("role", ["member", "org-admin", "org-auditor"])
def test_only_site_wide_readers_may_read(early: TestClient, role: str) -> None:
    response = get(early, role, limit="bogus")  # 403 before pagination (§9.12)
    assert response.status_code == 403
    assert response.content == b'{"message":"Forbidden."}\n'


def test_auditor_reads_everything(early: TestClient) -> None:
    assert [log["id"] for log in page_as(early, "auditor")] == every_id(early)


def page_as(client: TestClient, role: str) -> list[dict[str, Any]]:
    response = get(client, role, **ALL)
    assert response.status_code == 200
    logs: list[dict[str, Any]] = response.json()["audit_logs"]
    return logs


def test_the_read_check_is_in_the_get_handler(early: TestClient) -> None:
    # An unknown path under /audit is a 404 even for a member (NEWEST: 403 from the route
    # middleware, §1.1); a wrong method is chi's 405.
    assert early.get(AUDIT + "/nope", headers=auth("member")).status_code == 404
    assert early.put(AUDIT, headers=auth("member")).status_code == 405
    newest = TestClient(create_app(log_count=0))
    assert newest.get(AUDIT + "/nope", headers=auth("member")).status_code == 403


# -- testgenerate (§1.4, §5 EARLY) --------------------------------------------------------------


@pytest.mark.parametrize("role", ["auditor", "org-admin", "member"])
def test_testgenerate_is_owner_only_before_the_body_is_read(
    make_early: Callable[..., TestClient], role: str
) -> None:
    client = make_early(log_count=0)
    for body in (b"", b"{", b'{"action": "bogus"}', b"{}"):
        response = client.post(TESTGENERATE, content=body, headers=auth(role))
        assert response.status_code == 403
        assert response.json() == FORBIDDEN
    assert page(client, **ALL)["count"] == 0


def test_testgenerate_reads_only_the_early_fields(make_early: Callable[..., TestClient]) -> None:
    client = make_early(log_count=0)
    body = {
        "action": "create",
        "resource_type": "template",
        "time": "2023-01-02T03:04:05Z",
        "additional_fields": {"workspaceName": "x"},
        "organization_id": 5,  # NEWEST: a type error (400); EARLY: an unknown field
        "request_id": "not-a-uuid",
        "build_reason": ["anything"],
    }
    response = client.post(TESTGENERATE, json=body, headers=auth("owner"))
    assert response.status_code == 204, response.text
    log = page(client, **ALL)["audit_logs"][0]
    assert (log["action"], log["resource_type"], log["time"]) == (
        "create",
        "template",
        "2023-01-02T03:04:05Z",
    )
    assert log["additional_fields"] == {}
    assert log["request_id"] == log["organization_id"] == str(NIL_UUID)
    assert log["resource_target"] == "owner"
    assert log["diff"] == {"foo": {"old": "bar", "new": "baz", "secret": False}}
    newest = TestClient(create_app(log_count=0)).post(
        TESTGENERATE, json=body, headers=auth("owner")
    )
    assert newest.status_code == 400


def test_testgenerate_defaults(make_early: Callable[..., TestClient]) -> None:
    client = make_early(log_count=0)
    assert client.post(TESTGENERATE, content=b"{}", headers=auth("owner")).status_code == 204
    body = page(client, **ALL)
    assert body["count"] == 1
    log = body["audit_logs"][0]
    assert (log["action"], log["resource_type"], log["ip"], log["status_code"]) == (
        "write",
        "user",
        "",
        200,
    )
    assert log["description"] == "{user} updated user {target}"
    assert (log["is_deleted"], log["resource_link"]) == (True, "")


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"resource_type": "license"}, 'pq: invalid input value for enum resource_type: "license"'),
        ({"action": "login"}, 'pq: invalid input value for enum audit_action: "login"'),
        ({"resource_type": "workspace_agent", "action": "connect"},
         'pq: invalid input value for enum resource_type: "workspace_agent"'),
    ],
)  # fmt: skip
def test_testgenerate_newest_enum_values_fail_the_early_insert(
    make_early: Callable[..., TestClient], body: dict[str, str], detail: str
) -> None:
    client = make_early(log_count=0)
    response = client.post(TESTGENERATE, json=body, headers=auth("owner"))
    assert response.status_code == 500
    assert response.json() == {"message": "An internal server error occurred.", "detail": detail}
    assert page(client, **ALL)["count"] == 0


def test_testgenerate_bad_json_is_still_400_for_owners(
    make_early: Callable[..., TestClient],
) -> None:
    client = make_early(log_count=0)
    response = client.post(TESTGENERATE, content=b"", headers=auth("owner"))
    assert response.status_code == 400
    assert response.json() == {"message": "Request body must be valid JSON.", "detail": "EOF"}


# -- the pytest fixtures (coder_audit marker) ---------------------------------------------------


@pytest.mark.coder_audit(profile=EARLY, count=7)
def test_the_fixture_marker_selects_the_profile(coder_audit_client: TestClient) -> None:
    response = coder_audit_client.get(AUDIT)
    assert response.content == b'{"audit_logs":[],"count":0}\n'  # no limit: an empty page
    assert coder_audit_client.get(AUDIT, params={"limit": "10"}).json()["count"] == 7


def test_early_writes_backspace_and_form_feed_as_unicode_escapes() -> None:
    # Coder 2023-01 was built with Go 1.19: encoding/json wrote \u0008 and \u000c then (Go 1.22
    # made them \b and \f, which the newest profile answers; test_app.py).
    from coder_audit_mock.mockserver import MockServer, MockSettings, create_app_for, load_scenario

    server = MockServer(MockSettings(profile=EARLY, log_count=0))
    load_scenario(server, {"logs": [{"additional_fields": {"k\b": "a\fb"}}]})
    with TestClient(create_app_for(server)) as client:
        content = get(client, limit="10").content  # 2023-01 has no default page size
    assert b'"k\\u0008":"a\\u000cb"' in content
