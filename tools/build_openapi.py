"""Build the project's own OpenAPI 3.1 document for Coder's audit-log API.

The document describes Coder NEWEST (docs/coder-behaviour.md, cited as §n) and
is generated from the facts in `coder_audit_mock.mockserver.profiles.newest.facts`, so the two cannot drift. We
write it ourselves; Coder's Swagger files are reference data and are never copied.

    python tools/build_openapi.py           # (re)write mockserver/profiles/newest/openapi.json
    python tools/build_openapi.py --check   # exit 1 if the committed file is not what this builds
    python tools/build_openapi.py --profile 2023-01   # another version's document, in its folder

Every rule the server enforces is in the schemas, because Schemathesis's `positive_data_acceptance`
(ST202) and `negative_data_rejection` (ST201) take the document as the whole truth
(schemathesis-notes.md §8). Inputs that Coder parses with Go get patterns that are exactly what
the Go parser accepts; the search query `q`, whose grammar no JSON Schema can state simply, gets a
pattern for a large *sound* subset: every query it admits, Coder accepts.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MOCKSERVER = ROOT / "src" / "coder_audit_mock" / "mockserver"

JsonObject = dict[str, Any]


PROFILES_DIR = MOCKSERVER / "profiles"


def load_profiles() -> ModuleType:
    """`coder_audit_mock.mockserver.profiles`, loaded from its folder as a stand-alone package.

    Importing it by name would run the mock's `__init__` (the whole server, Starlette and
    Faker); the version folders' `facts` and `openapi_build` modules need the stdlib only, and
    so does this generator.
    """
    name = "_coder_audit_profiles"
    spec = importlib.util.spec_from_file_location(
        name, PROFILES_DIR / "__init__.py", submodule_search_locations=[str(PROFILES_DIR)]
    )
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {PROFILES_DIR}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its version folders import their facts relatively
    spec.loader.exec_module(module)
    return module


_profiles = load_profiles()
# This module builds the NEWEST document (profiles/newest/openapi_build.py says so); the other
# versions' builders start from it.
_newest = importlib.import_module(f"{_profiles.__name__}.newest.facts")

INT32_MAX = 2**31 - 1
COUNT_CAP = _newest.COUNT_CAP  # §3.1: count_cap is 2000 and count at most count_cap + 1

SIGNED_OUT = _newest.SIGNED_OUT_MESSAGE
SUSPENDED = (
    'User is not active (status = "suspended"). Contact an admin to reactivate your account.'
)
FORBIDDEN_DETAIL = _newest.FORBIDDEN_DETAIL
INTERNAL_ERROR = _newest.INTERNAL_ERROR_MESSAGE
INVALID_JSON = "Request body must be valid JSON."
INVALID_PAGINATION = "Query parameters have invalid values."
INVALID_SEARCH = "Invalid audit search query."
TOO_LARGE = "Request body too large."
EXAMPLE_UUID = "8e5b2bd4-2f6b-4c2e-9d4a-3f0b6c1e7a52"


# --- regular-expression building blocks (ECMA-262 and Python `re` alike) ------------------------


def any_case(text: str) -> str:
    """`ab_c` -> `[Aa][Bb]_[Cc]`: the text in any letter case (Coder lowercases `q` first)."""
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in text)


def group(alternatives: Iterable[str]) -> str:
    return "(?:" + "|".join(alternatives) + ")"


def whole(pattern: str) -> str:
    return f"^{pattern}$"


def decimal_at_most(limit: int) -> str:
    """Digit strings (leading zeros allowed) of 0..limit: 25 -> (?:[0-9]{1,1}|[0-1][0-9]{1}|2[0-5])."""
    digits = str(limit)
    alternatives = [f"[0-9]{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    for index, digit in enumerate(digits[:-1]):
        if digit != "0":
            rest = len(digits) - index - 1
            alternatives.append(f"{digits[:index]}[0-{int(digit) - 1}][0-9]{{{rest}}}")
    alternatives.append(f"{digits[:-1]}[0-{digits[-1]}]")
    return group(alternatives)


HEX = "[0-9A-Fa-f]"
CANONICAL_UUID = f"{HEX}{{8}}-{HEX}{{4}}-{HEX}{{4}}-{HEX}{{4}}-{HEX}{{12}}"
URN_UUID = any_case("urn:uuid:") + CANONICAL_UUID

# YYYY-MM-DD exactly as Go's time.Parse("2006-01-02") accepts it (§2.1, §3.3): years 0000-9999,
# real months, real days, leap years by the Gregorian rule (year 0000 is one).
LEAP_YEAR = group(
    ["[0-9]{2}" + group(["0[48]", "[2468][048]", "[13579][26]"]), "(?:[02468][048]|[13579][26])00"]
)
MONTH_DAY = group(
    [
        "(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])",
        "(?:0[13-9]|1[0-2])-(?:29|30)",
        "(?:0[13578]|1[02])-31",
    ]
)
DATE = group(["[0-9]{4}-" + MONTH_DAY, LEAP_YEAR + "-02-29"])


# --- request inputs that Coder parses with Go ---------------------------------------------------
#
# OpenAPI 3.1 schemas are JSON Schema 2020-12, where `format` only annotates: Schemathesis then
# draws "" or any text as a "valid" uuid or date-time and reports Coder's 400 as ST202. So each
# such input has a `pattern` that is exactly what the Go parser accepts: exact, not just sound,
# because ST201 needs every value outside it to be refused too.

# github.com/google/uuid.Parse: canonical (either case), 32 hex digits, `urn:uuid:` (any case) +
# canonical, or 38 bytes whose first and last are NOT checked (meant as {braces}, but any one-byte
# character passes). No `format: uuid` here: validators that assert it refuse the 32-digit, braced
# and urn spellings Go (and so Coder) accepts.
ONE_BYTE = "[\\u0000-\\u007F]"
GO_UUID = group([CANONICAL_UUID, f"{HEX}{{32}}", ONE_BYTE + CANONICAL_UUID + ONE_BYTE, URN_UUID])

# limit and offset (§3.4): strconv.ParseInt(s, 10, 32), then Coder refuses negatives; an empty
# value (`limit=`) counts as absent. Decision:
#   * a string whose pattern is exactly Go's spellings of 0..2147483647: an optional '+', any
#     number of leading zeros ("+5", "05"), and "-0"/"-00" (zero is not negative). `type: integer`
#     with minimum/maximum would be wrong twice: it admits "8.0" (8.0 is an integer in JSON Schema),
#     which Go refuses (a false ST202 that Schemathesis's coverage phase really sends), and it says
#     nothing about which spellings of a number are accepted;
#   * `allowEmptyValue: true` for the empty value, as Coder (and the mock) read it: Schemathesis
#     takes it as "the schema or the empty string", so `limit=` is neither a false ST201 nor needs
#     to be in the pattern.
GO_PAGE_NUMBER = group(["[+]?0*" + decimal_at_most(INT32_MAX), "-0+"])

# time.Time.UnmarshalJSON, Go's strict RFC 3339: DATE, then 'T' (upper case), hours 00-23, minutes
# and seconds 00-59 (no leap second), a '.' and any number of digits, 'Z' (upper case) or an offset
# up to +-23:59. No `format: date-time` beside it: every such string is a date-time, and
# Schemathesis's coverage phase then spends seconds searching for a pattern match that breaks the
# format before it gives up.
CLOCK = "(?:[01][0-9]|2[0-3]):[0-5][0-9]"
GO_RFC3339 = f"{DATE}T{CLOCK}:[0-5][0-9](?:[.][0-9]+)?(?:Z|[+-]{CLOCK})"


# --- the search query `q` (§2.1) ----------------------------------------------------------------
#
# Coder lowercases the whole query, splits it on spaces outside double quotes, joins the words
# without ':' into one free-text element (a resource_type value) and parses `key:value` elements;
# a key given twice, an unknown key or a bad value is a 400. The pattern admits:
#   * each element at most once, in the fixed order of SEARCH_SLOTS, separated by spaces (runs of
#     spaces collapse in Coder, and leading/trailing ones vanish);
#   * keys and values in any letter case ([Aa] classes);
#   * values bare or in one pair of double quotes (Coder trims them); quoted values may hold spaces
#     and ':'; `key:""` is the empty value, which Coder treats as absent;
#   * enum values from _model (resource_type, action, build_reason); free text is exactly one bare
#     resource_type word, in the resource_type slot (both at once is a 400);
#   * dates as DATE; uuids as Go reads them, braces only as {} and urn:uuid: only quoted (its ':'
#     would split the element);
#   * organization by uuid only (a name is looked up and may not exist: 400);
#   * string values (resource_target, username, email) of printable ASCII;
#   * "" and blank queries (no filter).
# Nothing else (no Unicode: Go's and Python's lowercasing differ), so every query it admits is one
# Coder answers with 200.
#
# Size matters: Schemathesis rebuilds the Hypothesis strategy for this pattern many times per run,
# and the cost grows faster than the pattern. Letting any element come first without a leading
# space takes an alternation over which one does, repeating each later element once per branch
# (about three times the size; a 50-example run took a minute instead of seconds). So the pattern
# is linear: every element after the first slot is preceded by at least one space, and a query
# that does not start with resource_type (or free text) starts with a space. Coder ignores
# leading spaces, so the subset stays sound and loses only that spelling.

ENUM_SLOTS: dict[str, Sequence[str]] = {
    "resource_type": _newest.RESOURCE_TYPES,
    "action": _newest.AUDIT_ACTIONS,
    "build_reason": _newest.BUILD_REASONS,
}
# Coder's own order of the keys (§2.1 step 5) with its last three moved to the front: free text is
# the most common query, and the web UI's presets start with resource_type, action (§8).
SEARCH_SLOTS: tuple[str, ...] = _newest.SEARCH_KEYS[-3:] + _newest.SEARCH_KEYS[:-3]
BARE_UUID = group([CANONICAL_UUID, f"{HEX}{{32}}", rf"\{{{CANONICAL_UUID}\}}"])
# Printable ASCII without '"' (quotes toggle the splitting) and, when bare, without ':' and ' '.
BARE_TEXT = "[!#-9;-~]+"
QUOTED_TEXT = "[ !#-~]*"
# Per key: (bare value, what a pair of quotes may hold).
ENUM_VALUES = {key: group(any_case(value) for value in enum) for key, enum in ENUM_SLOTS.items()}
SLOT_VALUES: dict[str, tuple[str, str]] = {
    **{key: (values, values) for key, values in ENUM_VALUES.items()},
    "date_from": (DATE, DATE),
    "date_to": (DATE, DATE),
    "organization": (BARE_UUID, group([BARE_UUID, URN_UUID])),
    "request_id": (BARE_UUID, group([BARE_UUID, URN_UUID])),
    "resource_id": (BARE_UUID, group([BARE_UUID, URN_UUID])),
    "resource_target": (BARE_TEXT, QUOTED_TEXT),
    "username": (BARE_TEXT, QUOTED_TEXT),
    "email": (BARE_TEXT, QUOTED_TEXT),
}


def slot_pattern(key: str) -> str:
    bare, quoted = SLOT_VALUES[key]
    element = any_case(key) + ":" + group([bare, f'"(?:{quoted})?"'])
    if key == "resource_type":
        return group([element, bare])  # a bare free-text word means resource_type (§2.1 step 4)
    return element


def search_query_pattern() -> str:
    """The whole-string pattern of the search queries this document admits (see above)."""
    first, *rest = (slot_pattern(key) for key in SEARCH_SLOTS)
    return "^ *(?:" + first + ")?" + "".join(f"(?: +{slot})?" for slot in rest) + " *$"


SEARCH_EXAMPLES: dict[str, tuple[str, str]] = {
    "empty": ("", "no filter"),
    "free_text": ("workspace", "a bare word filters by resource type"),
    "ui_preset": (
        "resource_type:workspace_build action:start build_reason:initiator",
        "a preset of the web UI",
    ),
    "any_case": ("Workspace Action:CREATE", "the query is lowercased first"),
    "quoted": (
        ' resource_target:"my thing" username:me',
        "quotes keep spaces; me is the caller; not starting with resource_type: a leading space",
    ),
    "dates": ("workspace date_from:2024-02-29 date_to:2024-03-01", "both bounds inclusive, UTC"),
    "organization": (f" organization:{EXAMPLE_UUID}", "an unknown organization id is no error"),
}


# --- schemas -------------------------------------------------------------------------------------


def ref(name: str) -> JsonObject:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: JsonObject) -> JsonObject:
    return {"anyOf": [schema, {"type": "null"}]}


# What Coder writes: lowercase canonical uuids and RFC 3339 times (§4.5).
UUID_STRING: JsonObject = {
    "type": "string",
    "format": "uuid",
    "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
}
DATE_TIME_STRING: JsonObject = {"type": "string", "format": "date-time"}


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
        "request_id": {**UUID_STRING, "description": "The nil uuid when not recorded."},
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
                "The stored JSON as is (§4.5): normally an object; null where testgenerate was "
                "given `null` (Go's json.RawMessage keeps it). Stored values that are not objects "
                "come back as Coder's object of `unknown` values."
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
    return closed_object(
        properties,
        set(properties) - {"organization"},
        "One audit log (§4.5); `organization` is omitted when the log has none.",
    )


def user_schema() -> JsonObject:
    properties: JsonObject = {
        "id": UUID_STRING,
        "username": {"type": "string", "minLength": 1},
        "name": {"type": "string", "minLength": 1, "description": "Omitted when empty."},
        "avatar_url": {"type": "string", "format": "uri", "description": "Omitted when empty."},
        "email": {
            "type": "string",
            "anyOf": [{"format": "email"}, {"maxLength": 0}],
            "description": "Empty for service accounts, which may have no email.",
        },
        "created_at": DATE_TIME_STRING,
        "updated_at": DATE_TIME_STRING,
        "last_seen_at": DATE_TIME_STRING,
        "status": ref("UserStatus"),
        "login_type": ref("LoginType"),
        "is_service_account": {"const": True, "description": "Omitted when false."},
        "organization_ids": {
            "type": "array",
            "items": UUID_STRING,
            "maxItems": 0,
            "description": "Always empty in audit logs (§4.5).",
        },
        "roles": {"type": "array", "items": ref("SlimRole"), "description": "Site-wide roles."},
        "has_ai_seat": {"type": "boolean"},
        "theme_preference": {"type": "string", "deprecated": True},
    }
    optional = {"name", "avatar_url", "is_service_account", "theme_preference"}
    return closed_object(
        properties, set(properties) - optional, "The acting user, NEWEST `codersdk.User` (§4.5)."
    )


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


def enum_or_default(name: str, default: str) -> JsonObject:
    return {
        "description": f"Empty or null: `{default}` (§5). Other strings fail at insert (500).",
        "anyOf": [ref(name), {"type": ["string", "null"], "maxLength": 0}],
    }


def testgenerate_body_schema() -> JsonObject:
    go_uuid_or_null = nullable(ref("GoUuid"))
    return {
        "type": ["object", "null"],
        "description": (
            "Every field is optional; unknown fields are ignored and `null` leaves a field unset "
            "(Go's encoding/json). A null body means all defaults (§5)."
        ),
        "properties": {
            "action": enum_or_default("AuditAction", "write"),
            "resource_type": enum_or_default("ResourceType", "user"),
            "resource_id": {**go_uuid_or_null, "description": "Absent or nil: a new random uuid."},
            "additional_fields": {
                **ref("JsonWithoutNul"),
                "description": (
                    "Any JSON, stored as given; unlike the other fields, `null` too (Go's "
                    "json.RawMessage keeps it). Strings holding U+0000 fail at insert (500): "
                    "Postgres jsonb refuses them."
                ),
            },
            "time": {
                "type": ["string", "null"],
                "pattern": whole(GO_RFC3339),
                "description": "RFC 3339 as Go reads it; absent or the zero time: now.",
            },
            "build_reason": {
                "description": "Accepted but neither checked nor stored (§5).",
                "anyOf": [ref("BuildReason"), {"type": ["string", "null"]}],
            },
            "organization_id": {**go_uuid_or_null, "description": "Absent: no organization."},
            "request_id": {**go_uuid_or_null, "description": "Absent: the nil uuid."},
        },
    }


def json_without_nul_schema() -> JsonObject:
    text = {"type": "string", "pattern": "^[^\\u0000]*$"}
    return {
        "description": "Any JSON value whose strings and object keys hold no U+0000.",
        "anyOf": [
            {"type": ["null", "boolean", "number"]},
            text,
            {"type": "array", "items": ref("JsonWithoutNul")},
            {
                "type": "object",
                "propertyNames": text,
                "additionalProperties": ref("JsonWithoutNul"),
            },
        ],
    }


def schemas() -> JsonObject:
    any_json = {"description": "Any JSON; omitted when null."}
    return {
        "AuditAction": enum_schema(_newest.AUDIT_ACTIONS, "Database enum `audit_action` (§4.1)."),
        "ResourceType": enum_schema(
            _newest.RESOURCE_TYPES, "Database enum `resource_type` (§4.2)."
        ),
        "BuildReason": enum_schema(_newest.BUILD_REASONS, "Database enum `build_reason` (§4.3)."),
        "UserStatus": enum_schema(_newest.USER_STATUSES, "User status (§4.4)."),
        "LoginType": enum_schema(_newest.LOGIN_TYPES, "Login type (§4.4)."),
        "GoUuid": {
            "type": "string",
            "pattern": whole(GO_UUID),
            "description": (
                "A uuid as Go's uuid.Parse reads it: canonical (either case), 32 hex digits, "
                "`urn:uuid:` + canonical, or 38 characters whose first and last are not checked."
            ),
        },
        "PageNumber": {
            "type": "string",
            "pattern": whole(GO_PAGE_NUMBER),
            "description": (
                "0..2147483647 as Go's strconv.ParseInt(s, 10, 32) reads it: optional '+', "
                "leading zeros allowed, '-0' is zero (§3.4)."
            ),
        },
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
                    "description": "Matching logs; more than `count_cap` means more (§3.1).",
                },
                "count_cap": {"const": COUNT_CAP},
            },
            ["audit_logs", "count", "count_cap"],
            "A page of audit logs, newest first (§1.1).",
        ),
        "AuditLog": audit_log_schema(),
        "AuditDiff": {
            "type": "object",
            "additionalProperties": ref("AuditDiffField"),
            "description": "Changed field name -> old and new value (§4.5).",
        },
        "AuditDiffField": closed_object(
            {"old": any_json, "new": any_json, "secret": {"type": "boolean"}},
            ["secret"],
            "One changed field; secrets come back as zero values.",
        ),
        "MinimalOrganization": closed_object(
            {
                "id": UUID_STRING,
                "name": {"type": "string"},
                "display_name": {"type": "string"},
                "icon": {"type": "string"},
            },
            ["id", "name", "display_name", "icon"],
            "The log's organization (§4.5).",
        ),
        "User": user_schema(),
        "SlimRole": closed_object(
            {
                "name": {"type": "string"},
                "display_name": {"type": "string"},
                "organization_id": {"type": "string"},
            },
            ["name", "display_name"],
            "A role and its display name.",
        ),
        "Response": error_schema(),
        "ValidationError": closed_object(
            {"field": {"type": "string"}, "detail": {"type": "string"}},
            ["field", "detail"],
            "One invalid input and why.",
        ),
        "CreateTestAuditLogRequest": testgenerate_body_schema(),
        "JsonWithoutNul": json_without_nul_schema(),
    }


# --- parameters ----------------------------------------------------------------------------------


def query_parameter(name: str, schema: JsonObject, description: str) -> JsonObject:
    # allowEmptyValue: Coder reads `name=` as if the parameter were absent (§3.4).
    return {
        "name": name,
        "in": "query",
        "required": False,
        "allowEmptyValue": True,
        "description": description,
        "schema": schema,
    }


def audit_parameters() -> list[JsonObject]:
    search = query_parameter(
        "q",
        ref("SearchQuery"),
        "Search query (§2.1), e.g. `resource_type:workspace action:create`; only the first `q` "
        "is read. The pattern admits a sound subset of what Coder accepts: each key at most "
        f"once, in the order {', '.join(SEARCH_SLOTS)}; one free-text resource type in place of "
        "resource_type; organization by uuid; a query not starting with resource_type (or free "
        "text) starts with a space.",
    )
    search["examples"] = {
        name: {"summary": summary, "value": value}
        for name, (value, summary) in SEARCH_EXAMPLES.items()
    }
    return [
        search,
        query_parameter("limit", ref("PageNumber"), "Page size; 0 or absent: 100 (§3.1)."),
        query_parameter("offset", ref("PageNumber"), "Logs to skip (§1.1)."),
        # Validated, then ignored for audit logs (§1.1): no keyset pagination here.
        query_parameter("after_id", ref("GoUuid"), "Validated as a uuid, otherwise ignored."),
    ]


# --- responses -----------------------------------------------------------------------------------


def error_response(
    description: str,
    messages: Sequence[str],
    examples: JsonObject,
    *,
    constraints: JsonObject | None = None,
) -> JsonObject:
    """A `Response` body whose `message` is one of `messages`, plus `constraints` if any."""
    narrowed: JsonObject = {
        "properties": {"message": {"enum": list(messages)}},
        **(constraints or {}),
    }
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {"allOf": [ref("Response"), narrowed]},
                "examples": {name: {"value": value} for name, value in examples.items()},
            }
        },
    }


def responses() -> JsonObject:
    return {
        "SearchOrPageError": error_response(
            "Bad `limit`/`offset`/`after_id` (§3.4), else a bad `q` (§2.1); all problems listed.",
            [INVALID_PAGINATION, INVALID_SEARCH],
            {
                "pagination": {
                    "message": INVALID_PAGINATION,
                    "validations": [
                        {
                            "field": "limit",
                            "detail": 'Query param "limit" must be a valid 32-bit positive '
                            'integer: strconv.ParseInt: parsing "bogus": invalid syntax',
                        }
                    ],
                },
                "search": {
                    "message": INVALID_SEARCH,
                    "validations": [
                        {
                            "field": "action",
                            "detail": 'Query param "action" has invalid value: "bogus" is not a '
                            "valid value",
                        },
                        {"field": "foo", "detail": '"foo" is not a valid query param'},
                    ],
                },
            },
            constraints={"required": ["validations"]},
        ),
        "InvalidBody": error_response(
            "The body is not JSON of the right shape (§1.2 step 2); `detail` is Go's error.",
            [INVALID_JSON],
            {
                "empty": {"message": INVALID_JSON, "detail": "EOF"},
                "uuid": {"message": INVALID_JSON, "detail": "invalid UUID length: 3"},
            },
            constraints={"required": ["detail"]},
        ),
        "Unauthorized": {
            **error_response(
                "No, malformed, unknown or expired token, or a suspended user (§6.2).",
                [SIGNED_OUT, SUSPENDED],
                {
                    "no_token": {
                        "message": SIGNED_OUT,
                        "detail": 'Cookie "coder_session_token" or query parameter must be provided.',
                    }
                },
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
            [TOO_LARGE],
            {
                "too_large": {
                    "message": TOO_LARGE,
                    "detail": "The mock server accepts request bodies of at most 1048576 bytes.",
                }
            },
        ),
        # The detail is the database error: Postgres (`pq: ...`) or dbauthz (`unauthorized...`).
        # Pinning that keeps a crash of an implementation from passing as Coder's 500.
        "InternalError": error_response(
            "The insert failed, as in Coder (§1.2 step 3): an `action`/`resource_type` outside "
            "the database enums, a U+0000 in `additional_fields`, or a caller who may read but "
            "not create audit logs.",
            [INTERNAL_ERROR],
            {
                "enum": {
                    "message": INTERNAL_ERROR,
                    "detail": 'pq: invalid input value for enum audit_action: "bogus"',
                }
            },
            constraints={
                "required": ["detail"],
                "properties": {
                    "message": {"const": INTERNAL_ERROR},
                    "detail": {"pattern": "^(?:pq: |unauthorized)"},
                },
            },
        ),
    }


def response_ref(name: str) -> JsonObject:
    return {"$ref": f"#/components/responses/{name}"}


# --- security (§6.1: the first non-empty carrier wins) ------------------------------------------

SECURITY_SCHEMES: JsonObject = {
    "CoderSessionToken": {"type": "apiKey", "in": "header", "name": "Coder-Session-Token"},
    "CoderSessionTokenCookie": {"type": "apiKey", "in": "cookie", "name": "coder_session_token"},
    "CoderSessionTokenQuery": {"type": "apiKey", "in": "query", "name": "coder_session_token"},
    "BearerToken": {"type": "http", "scheme": "bearer", "description": "`Authorization: Bearer`"},
    "AccessTokenQuery": {"type": "apiKey", "in": "query", "name": "access_token"},
}


# --- paths ---------------------------------------------------------------------------------------


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
        "Stores one log, with defaults for what the body leaves out (§1.2, §5). Owners only.",
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
    """The whole document (the single source of `openapi.json`)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Coder audit-log API (coder-audit-mock)",
            "version": "1.0.0",
            "summary": "Coder's audit-log endpoints as the current Coder server answers them.",
            "description": (
                "Written by the coder-audit-mock project from its behaviour reference of Coder "
                f"commit {_newest.CODER} and generated by tools/build_openapi.py; "
                "section numbers (§) are those of the project's docs/coder-behaviour.md."
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
    """Pretty JSON, keys sorted, trailing newline: the same document always gives the same bytes."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# --profile: which Coder version the document describes. Every folder of mockserver/profiles is
# one; its `openapi_build.build_document(base)` builds it from this module's names, and its facts
# name the file it is written to, in the folder.
_VERSIONS: dict[str, str] = {
    importlib.import_module(f"{package}.facts").NAME: package
    for package in _profiles.version_packages()
}
PROFILES = tuple(_VERSIONS)
DEFAULT_PROFILE = _profiles.DEFAULT_PROFILE


def output_file(profile: str) -> Path:
    """Where a profile's document is written: its folder, the file its facts name."""
    package = _VERSIONS[profile]
    folder = PROFILES_DIR / package.rpartition(".")[2]
    file_name: str = importlib.import_module(f"{package}.facts").OPENAPI_FILE
    return folder / file_name


OUTPUT = output_file(DEFAULT_PROFILE)


def build_profile_document(profile: str) -> JsonObject:
    """The document of a profile, built by its folder's `openapi_build.py`."""
    builder = importlib.import_module(f"{_VERSIONS[profile]}.openapi_build")
    # This module's names, however it was loaded (as a script, or from its file by a test).
    document: JsonObject = builder.build_document(SimpleNamespace(**globals()))
    return document


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the project's OpenAPI 3.1 document.")
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed file differs")
    parser.add_argument(
        "--profile", choices=PROFILES, default=DEFAULT_PROFILE, help="the Coder version described"
    )
    args = parser.parse_args(argv)
    # OUTPUT is the default's file (a test points it elsewhere); the others are in their folders.
    output = OUTPUT if args.profile == DEFAULT_PROFILE else output_file(args.profile)
    text = render(build_profile_document(args.profile))
    if args.check:
        current = output.read_text(encoding="utf-8") if output.exists() else ""
        if current != text:
            flag = "" if args.profile == DEFAULT_PROFILE else f" --profile {args.profile}"
            print(
                f"{output} is out of date: run python tools/build_openapi.py{flag}", file=sys.stderr
            )
            return 1
        return 0
    output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
