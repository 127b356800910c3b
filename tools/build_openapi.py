"""Build the project's own OpenAPI 3.1 document for Coder's audit-log API.

The document describes Coder NEWEST (reference: shared/reference/coder-audit-behaviour.md, cited as
§n below) and is generated from the enums in `coder_audit_mock.mockserver._model`, so the two can
never drift. It is written by us; Coder's Swagger files are reference data and never copied.

    python tools/build_openapi.py           # (re)write src/coder_audit_mock/mockserver/openapi.json
    python tools/build_openapi.py --check   # exit 1 if the committed file is not what this builds

Every rule the server enforces is in the schemas, because Schemathesis's `positive_data_acceptance`
(ST202) and `negative_data_rejection` (ST201) treat the document as the whole truth
(schemathesis-notes.md §8). Where Coder accepts more than a schema can say simply (the search
query `q`), the schema describes a large *sound* subset: everything it admits, Coder accepts.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MOCKSERVER = ROOT / "src" / "coder_audit_mock" / "mockserver"
OUTPUT = MOCKSERVER / "openapi.json"


def load_model() -> ModuleType:
    """`coder_audit_mock.mockserver._model`, loaded from its file.

    Importing it by name would run the package's `__init__` (the whole server, Starlette and
    Faker); `_model` depends on the stdlib only, so the generator needs nothing else.
    """
    spec = importlib.util.spec_from_file_location("_coder_audit_model", MOCKSERVER / "_model.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {MOCKSERVER / '_model.py'}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building classes
    spec.loader.exec_module(module)
    return module


_model = load_model()

JsonObject = dict[str, Any]

INT32_MAX = 2**31 - 1
COUNT_CAP = 2000  # §3.1: the handler passes count_cap = 2000; count is at most count_cap + 1

SIGNED_OUT = "You are signed out or your session has expired. Please sign in again to continue."
FORBIDDEN_DETAIL = (
    "You don't have permission to view this content. If you believe this is a mistake, please "
    "contact your administrator or try signing in with different credentials."
)
INTERNAL_ERROR = "An internal server error occurred."
INVALID_JSON = "Request body must be valid JSON."
INVALID_PAGINATION = "Query parameters have invalid values."
INVALID_SEARCH = "Invalid audit search query."
EXAMPLE_UUID = "8e5b2bd4-2f6b-4c2e-9d4a-3f0b6c1e7a52"


def ref(name: str) -> JsonObject:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: JsonObject) -> JsonObject:
    return {"anyOf": [schema, {"type": "null"}]}


UUID_STRING: JsonObject = {"type": "string", "format": "uuid"}
DATE_TIME_STRING: JsonObject = {"type": "string", "format": "date-time"}


# --- the search query `q` (§2.1) -------------------------------------------------------------
#
# Coder lowercases the whole query, splits it on spaces outside double quotes, collects the words
# without ':' into one free-text element (a resource_type value) and parses `key:value` elements;
# a key given twice, an unknown key or a bad value is a 400. The pattern built here admits:
#   * any number of spaces around and between elements (runs of spaces collapse; "" and "  " are
#     the empty query);
#   * each element at most once, in the fixed order of SEARCH_SLOTS below (ECMA-262 has no cheap
#     way to say "any order, no repeats", and lookaheads are out: Hypothesis cannot generate
#     from them), so the pattern is an alternation over which slot comes first;
#   * keys in any letter case ([Aa] classes: the query is lowercased before parsing);
#   * values bare, or wrapped in one pair of double quotes (Coder trims them); inside quotes a
#     value may hold spaces and ':'; `key:""` is the empty value, which Coder treats as absent;
#   * enum values from _model (resource_type, action, build_reason); free text is exactly one
#     bare resource_type word, and it takes the resource_type slot (both at once is a 400);
#   * dates YYYY-MM-DD that Go's time.Parse("2006-01-02") accepts, leap years exact;
#   * uuids in the spellings Go's uuid.Parse accepts: canonical, 32 hex digits, {braced}, and
#     (quoted only, it holds ':') urn:uuid:...;
#   * organization by uuid only (a name is looked up and may not exist: 400);
#   * string values (resource_target, username, email) of printable ASCII.
# Nothing else: Unicode lowercasing, repeated quotes and organization names stay out, so every
# string the pattern matches is a query Coder answers with 200.

ENUM_SLOTS: dict[str, Sequence[str]] = {
    "resource_type": _model.RESOURCE_TYPES,
    "build_reason": _model.BUILD_REASONS,
    "action": _model.AUDIT_ACTIONS,
}
# Slot order: the web UI's order for its presets (resource_type, action, build_reason, §8), then
# biggest alternatives first. The alternation over "which slot comes first" repeats slot k in k
# branches, so putting the long enum alternations first keeps the pattern small.
SEARCH_SLOTS: tuple[str, ...] = (
    "resource_type",
    "action",
    "build_reason",
    "date_from",
    "date_to",
    "organization",
    "request_id",
    "resource_id",
    "resource_target",
    "username",
    "email",
)
DATE_KEYS = frozenset({"date_from", "date_to"})
UUID_KEYS = frozenset({"organization", "request_id", "resource_id"})
STRING_KEYS = frozenset({"resource_target", "username", "email"})


def any_case(text: str) -> str:
    """`abc_d` -> `[Aa][Bb][Cc]_[Dd]`: the text in any letter case (Coder lowercases first)."""
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in text)


def group(alternatives: Iterable[str]) -> str:
    return "(?:" + "|".join(alternatives) + ")"


HEX = "[0-9A-Fa-f]"
CANONICAL_UUID = f"{HEX}{{8}}-{HEX}{{4}}-{HEX}{{4}}-{HEX}{{4}}-{HEX}{{12}}"
BARE_UUID = group([CANONICAL_UUID, f"{HEX}{{32}}", rf"\{{{CANONICAL_UUID}\}}"])
QUOTED_ONLY_UUID = any_case("urn:uuid:") + CANONICAL_UUID

YEAR = "[0-9]{4}"
LEAP_YEAR = group(["[0-9]{2}" + group(["0[48]", "[2468][048]", "[13579][26]"]), "(?:[02468][048]|[13579][26])00"])
MONTH_DAY = group(
    [
        "(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])",
        "(?:0[13-9]|1[0-2])-(?:29|30)",
        "(?:0[13578]|1[02])-31",
    ]
)
DATE = group([f"{YEAR}-{MONTH_DAY}", f"{LEAP_YEAR}-02-29"])

# Printable ASCII without '"' (quotes toggle splitting) and, when bare, without ':' and ' '.
BARE_TEXT = "[!#-9;-~]+"
QUOTED_TEXT = "[ !#-~]*"


def slot_value(key: str) -> tuple[str, str]:
    """(bare, quoted-only) value patterns of one search key; quoted values also admit the bare ones."""
    if key in ENUM_SLOTS:
        return group(any_case(value) for value in ENUM_SLOTS[key]), ""
    if key in DATE_KEYS:
        return DATE, ""
    if key in UUID_KEYS:
        return BARE_UUID, QUOTED_ONLY_UUID
    if key in STRING_KEYS:
        return BARE_TEXT, QUOTED_TEXT
    raise ValueError(f"no value pattern for search key {key!r}")


def slot_pattern(key: str) -> str:
    bare, quoted_only = slot_value(key)
    quoted_body = group([bare, quoted_only]) if quoted_only else bare
    element = any_case(key) + ":" + group([bare, f'"(?:{quoted_body})?"'])
    if key == "resource_type":
        return group([element, bare])  # a bare free-text word means resource_type (§2.1 step 4)
    return element


def search_query_pattern() -> str:
    """The whole-string ECMA-262 pattern of the search queries this document admits (see above)."""
    slots = [slot_pattern(key) for key in SEARCH_SLOTS]
    starts = []
    for first, slot in enumerate(slots):
        rest = "".join(f"(?: +{later})?" for later in slots[first + 1 :])
        starts.append(slot + rest)
    return "^ *" + group(starts) + "? *$"


SEARCH_EXAMPLES: dict[str, tuple[str, str]] = {
    "empty": ("", "no filter"),
    "free_text": ("workspace", "a bare word filters by resource type"),
    "ui_preset": ("resource_type:workspace_build action:start build_reason:initiator", "a preset of the web UI"),
    "any_case": ("Action:CREATE", "the query is lowercased first"),
    "quoted": ('resource_target:"my thing" username:me', "quotes keep spaces; me is the caller"),
    "dates": ("date_from:2024-02-29 date_to:2024-03-01", "both bounds inclusive, UTC"),
    "organization": (f"organization:{EXAMPLE_UUID}", "an unknown organization id is no error"),
}


# --- parameters ------------------------------------------------------------------------------
#
# limit / offset (§3.4): Coder parses them with strconv.ParseInt(s, 10, 32) and rejects negatives,
# and treats an empty value (`limit=`) as absent. So:
#   * schema: integer 0..2147483647, which puts every bound in the document (ST202/ST201 stay true);
#   * allowEmptyValue: true, so `limit=` is documented as accepted (Schemathesis reads it as
#     "the schema or the empty string"), matching Coder and the mock instead of giving ST201;
#   * spellings: Go also accepts "+5", "05" and "-0". A query parameter is text, and an integer
#     schema says what number the text denotes, not how it is spelled; Schemathesis reads the sent
#     text back with Python's int() (ASCII, no '_' or spaces), which accepts exactly those
#     spellings too, so neither check misjudges them. No string pattern is needed.
# after_id (§1.1, §3.4): a uuid, validated (400) but ignored; empty means absent. `format: uuid` is
# used knowingly: Go's uuid.Parse also accepts 32 hex digits, {braces} and urn:uuid:, which
# format-aware tools may call invalid, but no tool *generates* those as non-uuids (only random
# text), so negative checks stay true; positive generation draws canonical uuids, which Go accepts.


def page_parameter(name: str, description: str) -> JsonObject:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "allowEmptyValue": True,
        "description": description,
        "schema": {"type": "integer", "minimum": 0, "maximum": INT32_MAX},
    }


def audit_parameters() -> list[JsonObject]:
    return [
        {
            "name": "q",
            "in": "query",
            "required": False,
            "allowEmptyValue": True,
            "description": (
                "Search query (§2.1), e.g. `resource_type:workspace action:create`. The pattern "
                "admits a sound subset of what Coder accepts: each key at most once, in a fixed "
                "order. Only the first `q` is read."
            ),
            "schema": ref("SearchQuery"),
            "examples": {
                name: {"summary": summary, "value": value} for name, (value, summary) in SEARCH_EXAMPLES.items()
            },
        },
        page_parameter("limit", "Page size; 0, empty or absent means 100 (§3.1). No maximum but int32."),
        page_parameter("offset", "Rows to skip; beyond the data the page is empty but `count` is not (§1.1)."),
        {
            "name": "after_id",
            "in": "query",
            "required": False,
            "allowEmptyValue": True,
            "description": "Validated as a uuid (400 otherwise) but ignored for audit logs (§1.1).",
            "schema": UUID_STRING,
        },
    ]


# --- schemas ---------------------------------------------------------------------------------


def enum_schema(values: Sequence[str], description: str) -> JsonObject:
    return {"type": "string", "enum": list(values), "description": description}


def closed_object(properties: JsonObject, required: Iterable[str], description: str) -> JsonObject:
    """An object with exactly these properties: a mock that adds or renames a field fails ST108."""
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "required": sorted(required),
        "additionalProperties": False,
    }


def audit_log_schema() -> JsonObject:
    properties: JsonObject = {
        "id": UUID_STRING,
        "request_id": {**UUID_STRING, "description": "The nil uuid when not recorded (testgenerate)."},
        "time": DATE_TIME_STRING,
        "ip": {
            "type": "string",
            "description": "The client address as text, or empty when not recorded (§4.5).",
            "anyOf": [{"maxLength": 0}, {"format": "ipv4"}, {"format": "ipv6"}],
        },
        "user_agent": {"type": "string"},
        "resource_type": ref("ResourceType"),
        "resource_id": UUID_STRING,
        "resource_target": {"type": "string"},
        "resource_icon": {"type": "string"},
        "action": ref("AuditAction"),
        "diff": ref("AuditDiff"),
        "status_code": {"type": "integer", "minimum": 100, "maximum": 599},
        "additional_fields": {
            "type": ["object", "null"],
            "description": (
                "Stored JSON, returned as is (§4.5): normally an object; JSON null when testgenerate "
                "stored a null. Stored values that are not objects come back as Coder's "
                "`unknown` object."
            ),
        },
        "description": {
            "type": "string",
            "description": "A template with `{user}` / `{target}` placeholders (§4.6).",
        },
        "resource_link": {"type": "string", "description": "Empty when `is_deleted` (§4.7)."},
        "is_deleted": {"type": "boolean"},
        "organization_id": {
            **UUID_STRING,
            "deprecated": True,
            "description": "Use `organization.id`; the nil uuid for logs without organization.",
        },
        "organization": ref("MinimalOrganization"),
        "user": {**nullable(ref("User")), "description": "Null when the actor is unknown (§4.5)."},
    }
    required = [name for name in properties if name != "organization"]
    return closed_object(properties, required, "One audit log (§4.5). `organization` is omitted when the log has none.")


def user_schema() -> JsonObject:
    properties: JsonObject = {
        "id": UUID_STRING,
        "username": {"type": "string", "minLength": 1},
        "name": {"type": "string", "minLength": 1, "description": "Omitted when empty."},
        "avatar_url": {"type": "string", "format": "uri", "description": "Omitted when empty."},
        "email": {"type": "string", "format": "email"},
        "created_at": DATE_TIME_STRING,
        "updated_at": DATE_TIME_STRING,
        "last_seen_at": DATE_TIME_STRING,
        "status": ref("UserStatus"),
        "login_type": ref("LoginType"),
        "is_service_account": {"type": "boolean", "const": True, "description": "Omitted when false."},
        "organization_ids": {
            "type": "array",
            "items": UUID_STRING,
            "maxItems": 0,
            "description": "Always empty in audit logs (§4.5).",
        },
        "roles": {"type": "array", "items": ref("SlimRole"), "description": "Site-wide roles only."},
        "has_ai_seat": {"type": "boolean"},
        "theme_preference": {"type": "string", "deprecated": True},
    }
    optional = {"name", "avatar_url", "is_service_account", "theme_preference"}
    return closed_object(properties, set(properties) - optional, "The acting user, NEWEST `codersdk.User` (§4.5).")


def error_schema() -> JsonObject:
    return closed_object(
        {
            "message": {"type": "string", "minLength": 1},
            "detail": {"type": "string", "minLength": 1, "description": "Omitted when empty."},
            "validations": {
                "type": "array",
                "minItems": 1,
                "items": ref("ValidationError"),
                "description": "Omitted when empty.",
            },
        },
        ["message"],
        "Coder's `codersdk.Response` error body (§1.5).",
    )


def nullable_enum(name: str, default: str) -> JsonObject:
    return {
        "description": f"Empty or null means `{default}` (§5). Other strings fail at insert (500).",
        "anyOf": [ref(name), {"type": ["string", "null"], "maxLength": 0}],
    }


def test_audit_log_request_schema() -> JsonObject:
    nullable_uuid = {"type": ["string", "null"], "format": "uuid"}
    return {
        "type": ["object", "null"],
        "description": (
            "Every field is optional; unknown fields are ignored and `null` leaves a field unset "
            "(Go's encoding/json). A null body means all defaults (§5)."
        ),
        "properties": {
            "action": nullable_enum("AuditAction", "write"),
            "resource_type": nullable_enum("ResourceType", "user"),
            "resource_id": {**nullable_uuid, "description": "Absent or nil: a new random uuid."},
            "additional_fields": {
                "description": (
                    "Any JSON, stored verbatim (not a string or number of bytes, whatever Coder's "
                    "Swagger says). Strings must not hold U+0000: Postgres jsonb refuses them (500)."
                ),
                "$ref": "#/components/schemas/JsonWithoutNul",
            },
            "time": {**DATE_TIME_STRING, "type": ["string", "null"], "description": "Zero or absent: now."},
            "build_reason": {
                "description": "Accepted but neither validated nor stored (§5).",
                "anyOf": [ref("BuildReason"), {"type": ["string", "null"]}],
            },
            "organization_id": {**nullable_uuid, "description": "Absent: no organization."},
            "request_id": nullable_uuid,
        },
    }


def json_without_nul_schema() -> JsonObject:
    text = {"type": "string", "pattern": "^[^\\u0000]*$"}
    return {
        "description": "Any JSON value whose strings (and object keys) hold no U+0000.",
        "anyOf": [
            {"type": ["null", "boolean", "number"]},
            text,
            {"type": "array", "items": {"$ref": "#/components/schemas/JsonWithoutNul"}},
            {
                "type": "object",
                "propertyNames": text,
                "additionalProperties": {"$ref": "#/components/schemas/JsonWithoutNul"},
            },
        ],
    }


def schemas() -> JsonObject:
    return {
        "AuditAction": enum_schema(_model.AUDIT_ACTIONS, "Database enum `audit_action` (§4.1)."),
        "ResourceType": enum_schema(_model.RESOURCE_TYPES, "Database enum `resource_type` (§4.2)."),
        "BuildReason": enum_schema(_model.BUILD_REASONS, "Database enum `build_reason` (§4.3)."),
        "UserStatus": enum_schema(_model.USER_STATUSES, "User status (§4.4)."),
        "LoginType": enum_schema(_model.LOGIN_TYPES, "Login type (§4.4)."),
        "SearchQuery": {
            "type": "string",
            "pattern": search_query_pattern(),
            "description": "Audit search query (§2.1); see the `q` parameter.",
        },
        "AuditLogResponse": closed_object(
            {
                "audit_logs": {"type": "array", "items": ref("AuditLog")},
                "count": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": COUNT_CAP + 1,
                    "description": "Matching logs, capped: more than `count_cap` means more (§3.1).",
                },
                "count_cap": {"type": "integer", "const": COUNT_CAP},
            },
            ["audit_logs", "count", "count_cap"],
            "A page of audit logs, newest first (§1.1).",
        ),
        "AuditLog": audit_log_schema(),
        "AuditDiff": {
            "type": "object",
            "additionalProperties": ref("AuditDiffField"),
            "description": "Changed field name -> old/new values (§4.5).",
        },
        "AuditDiffField": closed_object(
            {"old": {"description": "Any JSON; omitted when null."}, "new": {"description": "Any JSON; omitted when null."}, "secret": {"type": "boolean"}},
            ["secret"],
            "One changed field; secrets come back as zero values.",
        ),
        "MinimalOrganization": closed_object(
            {"id": UUID_STRING, "name": {"type": "string"}, "display_name": {"type": "string"}, "icon": {"type": "string"}},
            ["id", "name", "display_name", "icon"],
            "The log's organization (§4.5).",
        ),
        "User": user_schema(),
        "SlimRole": closed_object(
            {"name": {"type": "string"}, "display_name": {"type": "string"}, "organization_id": {"type": "string"}},
            ["name", "display_name"],
            "A role name and its display name.",
        ),
        "Response": error_schema(),
        "ValidationError": closed_object(
            {"field": {"type": "string"}, "detail": {"type": "string"}},
            ["field", "detail"],
            "One invalid input and why.",
        ),
        "CreateTestAuditLogRequest": test_audit_log_request_schema(),
        "JsonWithoutNul": json_without_nul_schema(),
    }


# --- responses -------------------------------------------------------------------------------


def error_response(description: str, messages: Sequence[str], examples: JsonObject, *, needs: Sequence[str] = ()) -> JsonObject:
    """A `Response` body whose `message` is one of `messages` and which must carry `needs`."""
    schema: JsonObject = {"allOf": [ref("Response"), {"properties": {"message": {"enum": list(messages)}}}]}
    if needs:
        schema["allOf"][1]["required"] = list(needs)
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": schema,
                "examples": {name: {"value": value} for name, value in examples.items()},
            }
        },
    }


def responses() -> JsonObject:
    return {
        "SearchOrPageError": error_response(
            "Invalid `limit`/`offset`/`after_id` (§3.4), then invalid `q` (§2.1); every problem is listed.",
            [INVALID_PAGINATION, INVALID_SEARCH],
            {
                "pagination": {
                    "message": INVALID_PAGINATION,
                    "validations": [
                        {
                            "field": "limit",
                            "detail": 'Query param "limit" must be a valid 32-bit positive integer: '
                            'strconv.ParseInt: parsing "bogus": invalid syntax',
                        }
                    ],
                },
                "search": {
                    "message": INVALID_SEARCH,
                    "validations": [
                        {"field": "action", "detail": 'Query param "action" has invalid value: "bogus" is not a valid value'},
                        {"field": "foo", "detail": '"foo" is not a valid query param'},
                    ],
                },
            },
            needs=["validations"],
        ),
        "InvalidBody": error_response(
            "The body is not JSON of the right shape (§1.2 step 2); `detail` is Go's decoder error.",
            [INVALID_JSON],
            {"empty": {"message": INVALID_JSON, "detail": "EOF"}, "uuid": {"message": INVALID_JSON, "detail": "invalid UUID length: 3"}},
            needs=["detail"],
        ),
        "Unauthorized": {
            **error_response(
                "No, malformed, unknown or expired token, or an inactive user (§6.2).",
                [SIGNED_OUT, 'User is not active (status = "suspended"). Contact an admin to reactivate your account.', 'User is not active (status = "dormant"). Contact an admin to reactivate your account.'],
                {"no_token": {"message": SIGNED_OUT, "detail": 'Cookie "coder_session_token" or query parameter must be provided.'}},
            ),
            "headers": {"WWW-Authenticate": {"$ref": "#/components/headers/WWW-Authenticate"}},
        },
        "Forbidden": error_response(
            "The caller may not read audit logs (§1.1 step 2, §6.3).",
            ["Forbidden."],
            {"forbidden": {"message": "Forbidden.", "detail": FORBIDDEN_DETAIL}},
        ),
        "PayloadTooLarge": error_response(
            "The mock refuses bodies over its size limit (Coder itself sets none).",
            ["Request body too large."],
            {"too_large": {"message": "Request body too large.", "detail": "The mock server accepts request bodies of at most 1048576 bytes."}},
        ),
        "InternalError": error_response(
            "As Coder: the insert failed, e.g. an `action`/`resource_type` outside the database enums, "
            "or a caller who may read but not create audit logs (§1.2 step 3).",
            [INTERNAL_ERROR],
            {"enum": {"message": INTERNAL_ERROR, "detail": 'pq: invalid input value for enum audit_action: "bogus"'}},
            needs=["detail"],
        ),
    }


def response_ref(name: str) -> JsonObject:
    return {"$ref": f"#/components/responses/{name}"}


# --- security (§6.1: first non-empty carrier wins) --------------------------------------------

SECURITY_SCHEMES: JsonObject = {
    "CoderSessionToken": {"type": "apiKey", "in": "header", "name": "Coder-Session-Token"},
    "CoderSessionTokenCookie": {"type": "apiKey", "in": "cookie", "name": "coder_session_token"},
    "CoderSessionTokenQuery": {"type": "apiKey", "in": "query", "name": "coder_session_token"},
    "BearerToken": {"type": "http", "scheme": "bearer", "description": "`Authorization: Bearer <token>`"},
    "AccessTokenQuery": {"type": "apiKey", "in": "query", "name": "access_token"},
}


def operation(operation_id: str, summary: str, description: str, answers: JsonObject) -> JsonObject:
    return {
        "operationId": operation_id,
        "tags": ["Audit"],
        "summary": summary,
        "description": description,
        "security": [{name: []} for name in SECURITY_SCHEMES],
        "responses": {
            **answers,
            "401": response_ref("Unauthorized"),
            "403": response_ref("Forbidden"),
        },
    }


def paths() -> JsonObject:
    get_logs = operation(
        "getAuditLogs",
        "Get audit logs",
        "Checks run in this order: 401, 403, pagination 400, search 400 (§9.12).",
        {
            "200": {
                "description": "A page of logs, newest first.",
                "content": {"application/json": {"schema": ref("AuditLogResponse")}},
            },
            "400": response_ref("SearchOrPageError"),
        },
    )
    get_logs["parameters"] = audit_parameters()
    generate = operation(
        "generateFakeAuditLog",
        "Generate fake audit log",
        "Inserts one log with defaults for what the body leaves out (§1.2, §5); only owners may.",
        {
            "204": {"description": "Stored; no body."},
            "400": response_ref("InvalidBody"),
            "413": response_ref("PayloadTooLarge"),
            "500": response_ref("InternalError"),
        },
    )
    generate["requestBody"] = {
        "required": True,
        "content": {"application/json": {"schema": ref("CreateTestAuditLogRequest")}},
    }
    return {"/api/v2/audit": {"get": get_logs}, "/api/v2/audit/testgenerate": {"post": generate}}


def build_document() -> JsonObject:
    """The whole document as a dict (the single source of `openapi.json`)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Coder audit-log API (coder-audit-mock)",
            "version": "1.0.0",
            "summary": "Coder's audit-log endpoints as the current Coder server answers them.",
            "description": (
                "Written by the coder-audit-mock project from its behaviour reference of Coder "
                "commit a6afcd046fd2 (2026-07-08); generated by tools/build_openapi.py. Section "
                "numbers (§) refer to that reference."
            ),
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": "/"}],
        "tags": [{"name": "Audit"}],
        "paths": paths(),
        "components": {
            "schemas": schemas(),
            "responses": responses(),
            "headers": {
                "WWW-Authenticate": {
                    "required": True,
                    "description": 'Bearer realm="coder", error="invalid_token", ... (§6.2)',
                    "schema": {"type": "string", "pattern": "^Bearer "},
                }
            },
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


def render(document: JsonObject) -> str:
    """Pretty, key-sorted JSON with a trailing newline: the same dict always gives the same bytes."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed file differs")
    args = parser.parse_args(argv)
    text = render(build_document())
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date: run python tools/build_openapi.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
