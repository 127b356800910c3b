"""The packaged OpenAPI document: valid OpenAPI 3.1, generated, in step with the mock.

The document is built by `tools/build_openapi.py` from the enums in `mockserver/_model.py`
(style-anchors §3.5 drift guard). The search-query pattern must be *sound*: every `q` it admits is
one that Coder (and so the mock) accepts, or Schemathesis reports false ST202 failures.
"""

from __future__ import annotations

import calendar
import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema_rs  # Schemathesis's own validator: always there when schemathesis is
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.core.result import Ok
from starlette.testclient import TestClient

from coder_audit_mock.mockserver import (
    AUDIT_ACTIONS,
    BUILD_REASONS,
    DEFAULT_TOKENS,
    RESOURCE_TYPES,
    _model,
    create_app,
    openapi_document,
    parse_search_query,
)

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "tools" / "build_openapi.py"
DOCUMENT_FILE = (
    ROOT / "src" / "coder_audit_mock" / "mockserver" / "profiles" / "newest" / "openapi.json"
)


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_openapi", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi_document()


def compile_whole(pattern: str) -> re.Pattern[str]:
    # JSON Schema's `$` is the end of the string; Python's also matches before a final newline.
    return re.compile(pattern.removesuffix("$") + r"\Z", re.ASCII)


def pattern_of(document: dict[str, Any], name: str) -> re.Pattern[str]:
    return compile_whole(document["components"]["schemas"][name]["pattern"])


def search_pattern(document: dict[str, Any]) -> re.Pattern[str]:
    return pattern_of(document, "SearchQuery")


def test_document_is_valid_openapi_31_with_exactly_the_two_operations(
    document: dict[str, Any],
) -> None:
    schema = schemathesis.openapi.from_dict(document)
    schema.validate()  # against the OpenAPI 3.1 meta-schema; raises on any violation
    operations = {}
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # an Err names what schemathesis could not load
        operations[result.ok().label] = result.ok().definition.raw["operationId"]
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": "/"}]
    assert operations == {
        "GET /api/v2/audit": "getAuditLogs",
        "POST /api/v2/audit/testgenerate": "generateFakeAuditLog",
    }


def test_every_component_schema_is_json_schema_2020_12(document: dict[str, Any]) -> None:
    for name, schema in document["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), name  # keywords, types, regex syntax
        component_validator(document, name)  # and its references resolve: raises otherwise


def component_validator(document: dict[str, Any], name: str) -> jsonschema_rs.Validator:
    # `#/components/...` references resolve against the root, so the components travel along.
    root = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    return jsonschema_rs.Draft202012Validator(root, validate_formats=True)


def test_enums_are_the_mock_model_enums(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["AuditAction"]["enum"] == list(AUDIT_ACTIONS)
    assert schemas["ResourceType"]["enum"] == list(RESOURCE_TYPES)
    assert schemas["BuildReason"]["enum"] == list(BUILD_REASONS)
    assert schemas["UserStatus"]["enum"] == list(_model.USER_STATUSES)
    assert schemas["LoginType"]["enum"] == list(_model.LOGIN_TYPES)


def test_committed_file_is_the_generator_output(generator: ModuleType) -> None:
    assert DOCUMENT_FILE.read_text(encoding="utf-8") == generator.render(generator.build_document())
    assert generator.main(["--check"]) == 0


def test_check_mode_fails_on_a_stale_file(
    generator: ModuleType,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stale = tmp_path / "openapi.json"
    stale.write_text("{}\n", encoding="utf-8")
    monkeypatch.setattr(generator, "OUTPUT", stale)
    assert generator.main(["--check"]) == 1
    assert "out of date" in capsys.readouterr().err


def test_rendering_is_deterministic_and_ends_with_a_newline(generator: ModuleType) -> None:
    first, second = (
        generator.render(generator.build_document()),
        generator.render(generator.build_document()),
    )
    assert first == second
    assert first.endswith("}\n")
    assert json.loads(first) == openapi_document()


def test_each_call_returns_a_fresh_copy() -> None:
    first = openapi_document()
    first["paths"].clear()
    assert set(openapi_document()["paths"]) == {"/api/v2/audit", "/api/v2/audit/testgenerate"}


def test_the_mock_serves_the_document_unchanged(document: dict[str, Any]) -> None:
    client = TestClient(create_app(log_count=1))
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == document
    # No token needed: the document lives outside /api/v2.
    assert (
        client.get("/openapi.json", headers={"Coder-Session-Token": DEFAULT_TOKENS["owner"]}).json()
        == document
    )


# Answers the owner-only Schemathesis run (test_schemathesis_mock.py) cannot provoke.
AUDIT, TESTGENERATE = "/api/v2/audit", "/api/v2/audit/testgenerate"
BEYOND_THE_OWNER_RUN = [
    ("GET", AUDIT, None, None, 401),
    ("GET", AUDIT, "expired", None, 401),
    ("POST", TESTGENERATE, "suspended", {}, 401),
    ("GET", AUDIT, "member", None, 403),
    ("POST", TESTGENERATE, "member", {}, 403),
    ("POST", TESTGENERATE, "owner", {"additional_fields": "x" * 100}, 413),
    ("POST", TESTGENERATE, "auditor", {}, 500),
]


@pytest.mark.parametrize(("method", "path", "role", "body", "status"), BEYOND_THE_OWNER_RUN)
def test_other_callers_get_documented_answers(
    document: dict[str, Any],
    method: str,
    path: str,
    role: str | None,
    body: dict[str, Any] | None,
    status: int,
) -> None:
    client = TestClient(create_app(log_count=5, max_body_bytes=64))
    headers = {"Coder-Session-Token": DEFAULT_TOKENS[role]} if role else {}
    response = client.request(method, path, headers=headers, json=body)
    assert response.status_code == status
    schemathesis.openapi.from_dict(document)[path][method].validate_response(response)
    if status == 401:  # validate_response reads bodies only; the header is required too
        assert response.headers["WWW-Authenticate"].startswith("Bearer ")


def iter_examples(node: Any, path: str = "") -> list[tuple[str, Any]]:
    """(where, example value) for every Example Object in the document."""
    found: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        if isinstance(node.get("examples"), dict):
            found += [
                (f"{path}/examples/{key}", value["value"])
                for key, value in node["examples"].items()
            ]
        for key, value in node.items():
            found += iter_examples(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += iter_examples(value, f"{path}/{index}")
    return found


def test_every_example_is_valid_for_its_schema(document: dict[str, Any]) -> None:
    responses = document["components"]["responses"]
    checked = 0
    for name, response in responses.items():
        media = response["content"]["application/json"]
        root = {**media["schema"], "components": document["components"]}
        validator = jsonschema_rs.Draft202012Validator(root, validate_formats=True)
        for key, example in media["examples"].items():
            assert validator.is_valid(example["value"]), f"{name}/{key}"
            checked += 1
    q = next(p for p in document["paths"]["/api/v2/audit"]["get"]["parameters"] if p["name"] == "q")
    pattern = search_pattern(document)
    for key, example in q["examples"].items():
        assert pattern.match(example["value"]), key
        checked += 1
    assert checked == len(iter_examples(document))


# --- the search query pattern ---------------------------------------------------------------

UUID = "8e5b2bd4-2f6b-4c2e-9d4a-3f0b6c1e7a52"

ADMITTED = [
    "",
    "   ",
    "workspace",
    "  WorkSpace_Build  ",
    "Workspace Action:CREATE",
    'resource_type:"Workspace" action:"create"',
    'resource_type:"" action:""',
    "resource_type:workspace action:create",
    "resource_type:workspace_build action:start build_reason:initiator",
    "resource_type:api_key action:login",
    "workspace action:create username:me",
    ' resource_target:"my thing" username:alice email:alice@example.com',
    ' resource_target:"a:b"',
    " date_from:2024-02-29 date_to:2000-02-29",
    ' date_to:"1999-12-31"',
    f" organization:{UUID}",
    f" organization:{UUID.upper()}",
    f" organization:{{{UUID}}}",
    f" organization:{UUID.replace('-', '')}",
    f' organization:"urn:uuid:{UUID}"',
    f" request_id:{UUID} resource_id:{UUID}",
]

# Each of these is a 400 in Coder (§2.1, §2.3), or outside the admitted subset.
REFUSED = [
    "foo",  # not a resource type
    "foo bar",  # free words join into one value
    '"workspace"',  # free text keeps its quotes
    "workspace resource_type:user",  # resource_type twice
    "action:create action:delete",  # a key twice
    " action:",  # ends with ':'
    " :create",  # starts with ':'
    " action:bogus",
    " foo:bar",  # unknown key
    " resource_target:a:b",  # two ':' outside quotes
    ' action:"create',  # an unbalanced quote swallows the rest
    " date_from:2023-02-29",  # not a leap year
    " date_from:1900-02-29",
    " date_from:2024-04-31",
    " date_from:2024-13-01",
    " date_from:2024-1-01",
    " date_from:2006",
    f" organization:urn:uuid:{UUID}",  # three ':' unless quoted
    " organization:my-org",  # names are looked up and may not exist
    " request_id:1234",
    " username:\u212aelvin",  # non-ASCII: Go's and Python's lowercasing differ
    " username:a\tb",  # a tab is not a separator: one value with a control character
    "workspace\n",
    # Valid in Coder, outside the subset: keys out of order, or first without a leading space.
    "action:create workspace",
    "action:create",
]


@pytest.mark.parametrize("query", ADMITTED)
def test_pattern_admits(document: dict[str, Any], query: str) -> None:
    assert search_pattern(document).match(query)


@pytest.mark.parametrize("query", REFUSED)
def test_pattern_refuses(document: dict[str, Any], query: str) -> None:
    assert not search_pattern(document).match(query)


def go_date_is_valid(year: int, month: int, day: int) -> bool:
    """Go's time.Parse("2006-01-02"): 4-digit year 0000-9999, real month, real day."""
    if not 1 <= month <= 12:
        return False
    days = [31, 29 if calendar.isleap(year) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return 1 <= day <= days[month - 1]


def test_date_pattern_is_exactly_go_dates(generator: ModuleType) -> None:
    date = re.compile(generator.DATE + r"\Z")
    years = [0, 1, 4, 100, 200, 400, 1600, 1900, 1996, 2000, 2023, 2024, 2100, 2400, 9996, 9999]
    for year in years:
        for month in range(14):
            for day in range(33):
                text = f"{year:04d}-{month:02d}-{day:02d}"
                assert bool(date.match(text)) == go_date_is_valid(year, month, day), text
    for year in range(10000):
        assert bool(date.match(f"{year:04d}-02-29")) == calendar.isleap(year), year


def test_pattern_compiles_as_ecma_262(document: dict[str, Any]) -> None:
    validator = component_validator(document, "SearchQuery")
    pattern = search_pattern(document)
    for query in ADMITTED + REFUSED:
        assert validator.is_valid(query) == bool(pattern.match(query)), query


def go_parse_non_negative_int32(text: str) -> bool:
    """strconv.ParseInt(text, 10, 32) succeeds and the value is not negative (§3.4)."""
    return re.fullmatch(r"[+-]?[0-9]+", text, re.ASCII) is not None and 0 <= int(text) < 2**31


PAGE_NUMBER_SPELLINGS = [
    *[str(n) for n in (0, 1, 9, 10, 99, 100, 999_999_999, 1_000_000_000, 2_147_483_646)],
    *[str(n) for n in (2_147_483_647, 2_147_483_648, 2_147_483_650, 2_200_000_000, 9_999_999_999)],
    *["+5", "05", "+05", "-0", "-00", "+0", "0002147483647", "-1", "-01", "--1", "+-1", "++1"],
    *["8.0", "1e3", " 5", "5 ", "0x10", "1_000", "", "+", "-", "\u0665"],
]


@pytest.mark.parametrize("text", PAGE_NUMBER_SPELLINGS)
def test_page_number_pattern_is_exactly_go_parse_int(document: dict[str, Any], text: str) -> None:
    assert bool(pattern_of(document, "PageNumber").match(text)) == go_parse_non_negative_int32(text)


@given(
    st.integers(min_value=-(2**33), max_value=2**33), st.sampled_from(["", "+", "-", "0", "+00"])
)
def test_page_number_pattern_agrees_with_go_on_any_number(
    document: dict[str, Any], number: int, prefix: str
) -> None:
    text = prefix + str(number)
    assert bool(pattern_of(document, "PageNumber").match(text)) == go_parse_non_negative_int32(text)


GO_UUID_SPELLINGS = {
    UUID: True,
    UUID.upper(): True,
    UUID.replace("-", ""): True,
    f"{{{UUID}}}": True,
    f"x{UUID}y": True,  # Go does not check the two characters around a 38-character uuid
    f"urn:uuid:{UUID}": True,
    f"URN:UUID:{UUID}": True,
    "": False,
    UUID[:-1]: False,
    UUID + "0": False,
    UUID.replace("-", "_"): False,
    UUID.replace("8", "g", 1): False,
    f"urn:uid:{UUID}x": False,
    f"\u00e9{UUID}x": False,  # 39 bytes in UTF-8
    f"{{{UUID.replace('-', '')}}}": False,
}


@pytest.mark.parametrize(("text", "accepted"), GO_UUID_SPELLINGS.items())
def test_go_uuid_pattern_is_what_go_accepts(
    document: dict[str, Any], text: str, accepted: bool
) -> None:
    assert bool(pattern_of(document, "GoUuid").match(text)) == accepted


GO_TIMES = {
    "2024-02-29T23:59:59Z": True,
    "0000-01-01T00:00:00Z": True,
    "2024-01-31T12:00:00.123456789123+23:59": True,
    "2024-01-31T12:00:00-00:00": True,
    "2023-02-29T00:00:00Z": False,
    "2024-01-31t12:00:00Z": False,  # Go wants an upper-case T
    "2024-01-31T12:00:00z": False,  # and Z
    "2024-01-31T23:59:60Z": False,  # no leap second
    "2024-01-31T24:00:00Z": False,
    "2024-01-31T12:00:00+24:00": False,
    "2024-01-31T12:00:00,5Z": False,
    "2024-01-31T12:00:00.Z": False,
    "2024-01-31T12:00:00": False,
    "2024-01-31 12:00:00Z": False,
    "": False,
}


@pytest.mark.parametrize(("text", "accepted"), GO_TIMES.items())
def test_time_pattern_is_go_rfc3339(document: dict[str, Any], text: str, accepted: bool) -> None:
    body = document["components"]["schemas"]["CreateTestAuditLogRequest"]
    assert bool(compile_whole(body["properties"]["time"]["pattern"]).match(text)) == accepted


def refuse_organization_names(name: str) -> None:
    raise AssertionError(f"the pattern admitted an organization name: {name!r}")


def test_every_admitted_query_is_accepted_by_the_mock(document: dict[str, Any]) -> None:
    """Soundness: whatever the pattern admits, the mock's Coder-faithful parser accepts."""

    @settings(
        max_examples=100, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    @given(st.from_regex(search_pattern(document), fullmatch=True))
    def accepted(query: str) -> None:
        parse_search_query(query, resolve_organization=refuse_organization_names)

    accepted()
