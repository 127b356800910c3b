"""The project's OpenAPI 3.1 document of the 2023-01 profile (Coder as of 2023-01-03).

Written from the EARLY rules of docs/coder-behaviour.md (§1.3, §1.4, §2.2, §3.2,
§3.4 EARLY, §4 EARLY, §5 EARLY, §6 EARLY) and from this folder's `facts`, with the building
blocks of tools/build_openapi.py (`base`); Coder's 2023 Swagger is reference data and is never
copied. `python tools/build_openapi.py --profile 2023-01` writes `openapi-2023-01.json` beside
this module.

What the document states differently from NEWEST's:

- `q` is lenient: the only search 400s are an element with no or several `:` outside quotes, a
  bad `resource_id` and a `date_to` before `date_from`. Its pattern is EXACTLY the well-formed
  queries (every element one or two colon-separated fields), so every query outside it is a 400
  (Schemathesis's negative_data_rejection holds); inside it, `resource_id:`/`date_to:` values
  can still be refused, which a generator drawing random keys does not meet;
- limit/offset: the document admits 0..2147483647 (Go's `strconv.Atoi` reads more, but the
  2023-01 query's int32 conversion turns some of it negative: a 500 from Postgres);
- no `count_cap`; `count` uncapped; the EARLY user object and log keys; EARLY enums;
- 401s carry no `WWW-Authenticate`; the 403 has no `detail`; the EARLY token carriers;
- testgenerate reads action, resource_type, resource_id and time only; non-owners get 403 before
  the body is read.
"""

from __future__ import annotations

import copy
from typing import Any

from . import facts

JsonObject = dict[str, Any]
ZERO_TIME = "0001-01-01T00:00:00Z"

# One colon-separated field of an element: characters other than space, ':' and '"', or a closed
# quoted stretch (which may hold both). A quote left open runs to the end of the query.
_FIELD = '(?:[^ :"]|"[^"]*")+'
_OPEN_FIELD = '(?:[^ :"]|"[^"]*")*"[^"]*'
_ELEMENT = f"(?::*{_FIELD}(?::+{_FIELD})?:*)"
_LAST_OPEN_ELEMENT = f"(?::*(?:{_OPEN_FIELD}|{_FIELD}:+{_OPEN_FIELD}))"
# §2.2: elements are split on spaces outside quotes; each must have one or two non-empty fields.
EARLY_SEARCH_PATTERN = f"^ *(?:(?:{_ELEMENT} +)*(?:{_ELEMENT} *|{_LAST_OPEN_ELEMENT}))?$"

EARLY_SEARCH_EXAMPLES: dict[str, tuple[str, str]] = {
    "empty": ("", "no filter"),
    "free_text": ("workspace", "a bare word filters by resource type"),
    "ui_preset": ("resource_type:workspace action:create", "a preset of the 2023 web UI (§8)"),
    "ignored": ("resource_type:group action:start foo:bar", "not honoured: no filter at all"),
    "last_wins": ("action:create action:delete", "a repeated key: the last one wins"),
    "dates": ("date_from:2023-01-01 date_to:2023-01-31", "both bounds inclusive, UTC"),
    "bad_date": ("date_from:2023-13-01", "a bad date is ignored"),
}


def _schemas(base: Any) -> JsonObject:
    schemas: JsonObject = copy.deepcopy(base.schemas())
    for name in ("LoginType", "MinimalOrganization", "SlimRole", "JsonWithoutNul"):
        del schemas[name]
    schemas["AuditAction"] = base.enum_schema(facts.AUDIT_ACTIONS, "EARLY `audit_action` (§4.1).")
    schemas["ResourceType"] = base.enum_schema(
        facts.RESOURCE_TYPES, "EARLY `resource_type` (§4.2)."
    )
    schemas["BuildReason"] = base.enum_schema(facts.BUILD_REASONS, "EARLY build reasons (§4.3).")
    schemas["UserStatus"] = base.enum_schema(facts.USER_STATUSES, "EARLY user status (§4.4).")
    schemas["PageNumber"]["description"] = (
        "0..2147483647: optional '+', leading zeros allowed, '-0' is zero. Coder 2023-01 read "
        "any 64-bit integer (strconv.Atoi) and passed its low 32 bits to Postgres: a negative "
        "result is a 500 (§3.2, §3.4)."
    )
    schemas["SearchQuery"] = {
        "type": "string",
        "pattern": EARLY_SEARCH_PATTERN,
        "description": "Audit search query (§2.2); see the `q` parameter.",
    }
    schemas["AuditLogResponse"] = base.closed_object(
        {
            "audit_logs": {"type": "array", "items": base.ref("AuditLog")},
            "count": {
                "type": "integer",
                "minimum": 0,
                "description": "Matching logs, uncapped; 0 whenever the page is empty (§3.2).",
            },
        },
        ["audit_logs", "count"],
        "A page of audit logs, newest first (§1.3).",
    )
    schemas["AuditLog"] = _audit_log_schema(base, schemas["AuditLog"]["properties"])
    schemas["User"] = _user_schema(base)
    schemas["Role"] = base.closed_object(
        {"name": {"type": "string"}, "display_name": {"type": "string"}},
        ["name", "display_name"],
        "A site role and its display name.",
    )
    schemas["CreateTestAuditLogRequest"] = _testgenerate_body_schema(base)
    return schemas


def _audit_log_schema(base: Any, newest: JsonObject) -> JsonObject:
    keys = (
        "id", "request_id", "time", "organization_id", "ip", "user_agent", "resource_type",
        "resource_id", "resource_target", "resource_icon", "action", "diff", "status_code",
        "additional_fields", "description", "resource_link", "is_deleted", "user",
    )  # fmt: skip
    properties = {key: newest[key] for key in keys}
    properties["organization_id"] = {
        **base.UUID_STRING,
        "description": "The nil uuid for logs without organization.",
    }
    properties["additional_fields"] = {
        "type": "object",
        "description": (
            "The stored JSON object; 2023-01 used camelCase keys (`workspaceName`, "
            "`buildNumber`, `workspaceOwner`), §4.5. testgenerate stores `{}`."
        ),
    }
    properties["description"] = {
        "type": "string",
        "description": "`{user} <verb> [build #n for] <resource> {target}` (§4.6 EARLY).",
    }
    log: JsonObject = base.closed_object(properties, keys, "One audit log, 2023-01 shape (§4.5).")
    return log


def _user_schema(base: Any) -> JsonObject:
    properties: JsonObject = {
        "id": base.UUID_STRING,
        "username": {"type": "string", "minLength": 1},
        "email": {"type": "string"},
        "created_at": base.DATE_TIME_STRING,
        "last_seen_at": {"const": ZERO_TIME, "description": "Not selected in 2023-01 (§4.5)."},
        "status": base.ref("UserStatus"),
        "organization_ids": {"type": "null", "description": "Always null in audit logs (§4.5)."},
        "roles": {"type": "array", "items": base.ref("Role"), "description": "Site-wide roles."},
        "avatar_url": {"type": "string", "description": "Always present, possibly empty."},
    }
    user: JsonObject = base.closed_object(
        properties, properties, "The acting user, 2023-01 shape (§4.5)."
    )
    return user


def _testgenerate_body_schema(base: Any) -> JsonObject:
    go_uuid_or_null = base.nullable(base.ref("GoUuid"))
    return {
        "type": ["object", "null"],
        "description": (
            "Every field is optional; other fields (additional_fields, build_reason, "
            "organization_id, request_id) did not exist in 2023-01 and are ignored (§5)."
        ),
        "properties": {
            "action": base.enum_or_default("AuditAction", "write"),
            "resource_type": base.enum_or_default("ResourceType", "user"),
            "resource_id": {**go_uuid_or_null, "description": "Absent or nil: a new random uuid."},
            "time": {
                "type": ["string", "null"],
                "pattern": base.whole(base.GO_RFC3339),
                "description": "RFC 3339 as Go reads it; absent or the zero time: now.",
            },
        },
    }


def _responses(base: Any) -> JsonObject:
    responses: JsonObject = copy.deepcopy(base.responses())
    responses["SearchOrPageError"] = base.error_response(
        "Bad `limit`/`offset`/`after_id` (§3.4 EARLY), else a malformed `q` element, a bad "
        "`resource_id` or a `date_to` before `date_from` (§2.2).",
        [base.INVALID_PAGINATION, base.INVALID_SEARCH],
        {
            "pagination": {
                "message": base.INVALID_PAGINATION,
                "validations": [
                    {
                        "field": "limit",
                        "detail": 'Query param "limit" must be a valid integer (strconv.Atoi: '
                        'parsing "bogus": invalid syntax)',
                    }
                ],
            },
            "search": {
                "message": base.INVALID_SEARCH,
                "validations": [
                    {"field": "q", "detail": "Query element \"a:b:c\" can only contain 1 ':'"}
                ],
            },
        },
        constraints={"required": ["validations"]},
    )
    del responses["Unauthorized"]["headers"]  # §6.2: the challenge header is NEWEST only
    responses["Forbidden"] = base.error_response(
        "The caller may not read (GET) or create (testgenerate) audit logs (§1.3, §1.4).",
        ["Forbidden."],
        {"forbidden": {"message": "Forbidden."}},
        constraints={"not": {"required": ["detail"]}},
    )
    responses["InternalError"] = base.error_response(
        "A Postgres error, as in Coder 2023-01: testgenerate's insert of an `action` or "
        "`resource_type` outside the database enums (§1.4, §5); GET's negative LIMIT or OFFSET "
        "after the int32 conversion (§3.2).",
        [base.INTERNAL_ERROR],
        {
            "enum": {
                "message": base.INTERNAL_ERROR,
                "detail": 'pq: invalid input value for enum resource_type: "license"',
            },
            "limit": {"message": base.INTERNAL_ERROR, "detail": "pq: LIMIT must not be negative"},
        },
        constraints={
            "required": ["detail"],
            "properties": {
                "message": {"const": base.INTERNAL_ERROR},
                "detail": {"pattern": "^pq: "},
            },
        },
    )
    return responses


def _security_schemes() -> JsonObject:
    # §6.1 EARLY, in Coder's order.
    kinds = {"cookie": "cookie", "query": "query", "header": "header"}
    return {
        f"{kind}.{name}": {"type": "apiKey", "in": kinds[kind], "name": name}
        for kind, name in facts.TOKEN_CARRIERS
    }


def _paths(base: Any, security: JsonObject) -> JsonObject:
    paths: JsonObject = copy.deepcopy(base.paths())
    get_logs = paths["/api/v2/audit"]["get"]
    get_logs["description"] = (
        "Checks run in this order: 401, 403, pagination 400, search 400, then Postgres's 500 "
        "for a negative LIMIT or OFFSET (§1.3, §3.2)."
    )
    get_logs["responses"]["500"] = base.response_ref("InternalError")
    for parameter in get_logs["parameters"]:
        if parameter["name"] == "q":
            parameter["description"] = (
                "Search query (§2.2), e.g. `resource_type:workspace action:create`. Keys read: "
                + ", ".join(facts.SEARCH_KEYS)
                + "; others are ignored, and so are resource types and actions that the filter "
                "does not honour; a repeated key: the last one wins; bad dates are ignored."
            )
            parameter["examples"] = {
                name: {"summary": summary, "value": value}
                for name, (value, summary) in EARLY_SEARCH_EXAMPLES.items()
            }
        elif parameter["name"] == "limit":
            parameter["description"] = "Page size; 0 or absent: an empty page, count 0 (§3.2)."
    generate = paths["/api/v2/audit/testgenerate"]["post"]
    generate["description"] = (
        "Stores one log, with defaults for what the body leaves out (§1.4, §5). Owners only: "
        "everyone else gets 403 before the body is read."
    )
    for operation in (get_logs, generate):
        operation["security"] = [{name: []} for name in security]
    return paths


def build_document(base: Any) -> JsonObject:
    """The 2023-01 document, from `base` (build_openapi.py's names) and the EARLY profile."""
    document: JsonObject = base.build_document()
    security = _security_schemes()
    document["info"]["summary"] = (
        "Coder's audit-log endpoints as Coder answered them on 2023-01-03 (profile 2023-01)."
    )
    document["info"]["description"] = (
        "Written by the coder-audit-mock project from the EARLY parts of its behaviour reference "
        f"(Coder commit {facts.CODER}) and generated by tools/build_openapi.py --profile "
        "2023-01; section numbers (§) are those of the project's docs/coder-behaviour.md."
    )
    document["info"]["x-coder-audit-mock-profile"] = facts.NAME
    document["paths"] = _paths(base, security)
    document["components"] = {
        "schemas": _schemas(base),
        "responses": _responses(base),
        "securitySchemes": security,
    }
    return document
