"""The register of known differences between Coder's published Swagger and the real server.

Coder's Swagger 2.0 document (`coderd/apidoc/swagger.json`) is generated from Go comments and
struct tags, and for the audit endpoints it disagrees with what the server does: `limit` is
marked required but is optional, `user` can be `null`, `after_id` is accepted but not listed,
and so on. Checked literally, a correct Coder server would fail. Each difference is one
`Waiver` here: what the Swagger says, what the server does (with the § of
docs/coder-behaviour.md that says so), why that is not a server bug, and how
the waiver is applied. There are two kinds:

```
document waivers   edit the loaded Swagger dict before Schemathesis sees it (`Waiver.apply`),
                   e.g. `limit` becomes optional; only for Coder's own documents
failure waivers    excuse one exactly described failure of one check (`Waiver.excuses`),
                   e.g. testgenerate's 500 for an action outside the database enum; for every
                   document, since no OpenAPI document can make a 500 acceptable to
                   Schemathesis's `not_a_server_error`
```

A waiver never turns a check off: it states the server's real contract as precisely as the
document format allows, so a server that breaks that contract still fails. Every report lists
the waivers it applied (and how many failures each failure waiver excused).
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import re
import threading
import types
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from ..mockserver import openapi_document
from ._coder import INTERNAL_ERROR_MESSAGE, NEWEST_RULES, CoderRules, rules_for

__all__ = [
    "CODER_DOCUMENTS",
    "WAIVERS",
    "DocumentKind",
    "Exchange",
    "Waiver",
    "WaiverLedger",
    "applicable_waivers",
    "query_of_url",
]

MAX_INT32 = 2**31 - 1  # §3.4: limit/offset are parsed as int32
SERVER_ERROR_CODE = "ST101"  # Schemathesis's failure code of `not_a_server_error`
UNSUPPORTED_METHOD_CODE = "ST204"  # Schemathesis's failure code of `unsupported_method`
# The methods Coder's router (go-chi/chi v5.2.4, methodMap) knows; for any other it answers 405
# with no Allow header, whatever the path (recorded from v2.35.1: QUERY, BREW).
ROUTER_METHODS = frozenset(
    {"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"}
)
_NO_ALLOW = re.compile(r"(\S+) returned 405 without required `Allow` header")
# An RFC 3339 zone offset: Postgres refuses one of more than 15 hours (MAX_TZDISP_HOUR).
_ZONE_HOURS = re.compile(r"[+-](\d\d):\d\d")
IGNORED_AUTH_CODE = "ST401"  # Schemathesis's failure code of `ignored_auth`
# How ignored_auth words a refusal of its invalid-credentials probe with a 400.
_PROBE_GOT_400 = "got `400 Bad Request`"
_INVALID_CREDENTIALS = "(invalid credentials provided)"
ACCEPTED_NEGATIVE_CODE = "ST201"  # ... of `negative_data_rejection`
UNDOCUMENTED_STATUS_CODE = "ST103"  # ... of `status_code_conformance`
# How Schemathesis names a query parameter the document does not declare (checks.py).
_UNDECLARED_QUERY = "in query - violates `additionalProperties`"
ERROR_DEFINITION = "coder-audit-mock.Response"  # added to Coder's definitions; no clash possible
NULLABLE = "x-nullable"  # Swagger 2.0's (vendor) spelling of "or null", which Schemathesis reads


class DocumentKind(enum.StrEnum):
    """Which API document a contract run checks against.

    Example:
        >>> DocumentKind.CODER_NEWEST.value
        'coder-newest'
    """

    PROJECT = "project"  # the project's own OpenAPI 3.1 document (the default)
    CODER_NEWEST = "coder-newest"  # Coder's Swagger 2.0, paths /api/v2/audit, basePath "/"
    CODER_EARLY = "coder-early"  # Coder's Swagger 2.0 of early 2023, paths /audit, basePath /api/v2
    OTHER = "other"  # any other document: checked as it is, no waivers


CODER_DOCUMENTS: frozenset[DocumentKind] = frozenset(
    {DocumentKind.CODER_NEWEST, DocumentKind.CODER_EARLY}
)
_EVERY_DOCUMENT: frozenset[DocumentKind] = frozenset(DocumentKind)


@dataclasses.dataclass(frozen=True, slots=True)
class Exchange:
    """One failed request and its response, as a failure waiver judges them.

    Attributes:
        operation: Schemathesis's label, e.g. "POST /api/v2/audit/testgenerate".
        failure_code: Schemathesis's failure code, e.g. "ST101" (not_a_server_error).
        failure_message: the failure's message, which names what was invalid in the request.
        request_body: the request's JSON body, parsed (None when absent or not JSON).
        status_code: the response's status.
        response_body: the response's JSON body, parsed (None when absent or not JSON).
        query: the request's query parameters as sent: each name with its values, in order
            (a repeated parameter has several; `query_of_url` reads them from the URL).

    Example:
        >>> Exchange("GET /api/v2/audit", "ST101", "Server error", None, 500, None).status_code
        500
    """

    operation: str
    failure_code: str
    failure_message: str
    request_body: Any
    status_code: int
    response_body: Any
    query: Mapping[str, list[str]] = dataclasses.field(default_factory=dict)


def query_of_url(url: str) -> dict[str, list[str]]:
    """Each query parameter of `url` with its values in order, as the server reads them.

    Judging the request that was sent (not the generator's Python values) is what makes a
    waiver hold for repeated, empty and odd parameters: `limit=-5&limit=null` is `["-5",
    "null"]`, whatever Python object produced it.

    Example:
        >>> query_of_url("http://h/api/v2/audit?limit=-5&limit=null&q=a+b&offset=")
        {'limit': ['-5', 'null'], 'q': ['a b'], 'offset': ['']}
    """
    query: dict[str, list[str]] = {}
    for name, value in urllib.parse.parse_qsl(
        urllib.parse.urlsplit(url).query, keep_blank_values=True
    ):
        query.setdefault(name, []).append(value)
    return query


@dataclasses.dataclass(frozen=True, slots=True)
class Waiver:
    """One known difference between Coder's Swagger and the real server, and how it is bridged.

    Attributes:
        id: a short stable name, used in reports.
        swagger_says: what the published document states.
        server_does: what the real (NEWEST) server does instead.
        reference: the § of docs/coder-behaviour.md that documents the server's behaviour.
        reason: why a server doing this is correct, i.e. why this is no failure.
        applied_by: how the waiver is applied, in words.
        applies_to: the kinds of document it is applied to.
        edit: for a document waiver, changes the loaded document in place and returns whether
            the document had what it fixes (False: nothing to waive, the waiver is not listed).
        excuses: for a failure waiver, whether a failure is exactly this known behaviour.
        bind: for a waiver that depends on the Coder version checked for: the waiver for a
            Coder version (the kit's `CoderRules`, contracts/_coder.py), or None when it does
            not apply to that version. Without it, the waiver is the same for every profile.

    Example:
        >>> waiver = WAIVERS["limit-not-required"]
        >>> document = {"paths": {"/api/v2/audit": {"get": {"parameters": [
        ...     {"name": "limit", "in": "query", "type": "integer", "required": True}]}}}}
        >>> waiver.apply(document), document["paths"]["/api/v2/audit"]["get"]["parameters"][0]["required"]
        (True, False)
    """

    id: str
    swagger_says: str
    server_does: str
    reference: str
    reason: str
    applied_by: str
    applies_to: frozenset[DocumentKind] = CODER_DOCUMENTS
    edit: Callable[[dict[str, Any]], bool] | None = dataclasses.field(
        default=None, repr=False, compare=False
    )
    excuses: Callable[[Exchange], bool] | None = dataclasses.field(
        default=None, repr=False, compare=False
    )
    bind: Callable[[Waiver, CoderRules], Waiver | None] | None = dataclasses.field(
        default=None, repr=False, compare=False
    )

    def apply(self, document: dict[str, Any]) -> bool:
        """Edit `document` in place; True when it applied (a failure waiver always applies)."""
        return self.edit(document) if self.edit is not None else True

    def describe(self) -> str:
        """The waiver as a few indented lines for a report.

        Example:
            >>> print(WAIVERS["user-may-be-null"].describe().splitlines()[0])
            user-may-be-null (§4.5)
        """
        return "\n".join(
            [
                f"{self.id} ({self.reference})",
                f"  swagger says: {self.swagger_says}",
                f"  server does:  {self.server_does}",
                f"  why accepted: {self.reason}",
                f"  applied by:   {self.applied_by}",
            ]
        )


class WaiverLedger:
    """Counts, per failure waiver, the failures it excused during a run (thread-safe).

    Example:
        >>> ledger = WaiverLedger()
        >>> for body in ('{"action": "x"}', '{"action": "x"}', '{"action": "y"}'):
        ...     ledger.record("testgenerate-insert-500", body)
        >>> dict(ledger.counts())
        {'testgenerate-insert-500': 2}
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[str, set[str]] = {}

    def record(self, waiver_id: str, request: str) -> None:
        """Note that `waiver_id` excused a failure of `request` (any text identifying it).

        Counting distinct requests keeps Hypothesis's replays while shrinking from inflating
        the count.
        """
        with self._lock:
            self._requests.setdefault(waiver_id, set()).add(request)

    def counts(self) -> Mapping[str, int]:
        """Waiver id -> how many distinct requests it excused a failure of."""
        with self._lock:
            return {waiver_id: len(requests) for waiver_id, requests in self._requests.items()}


def applicable_waivers(
    kind: DocumentKind, profile: str | CoderRules = NEWEST_RULES.name
) -> tuple[Waiver, ...]:
    """The waivers that apply to a kind of document and a server in `profile`, in register order.

    `profile` names the Coder version (`RULES`, e.g. "newest") or gives its `CoderRules`.

    Example:
        >>> [waiver.id for waiver in applicable_waivers(DocumentKind.PROJECT)]
        ['undeclared-query-parameters-ignored', 'testgenerate-insert-500', 'unknown-method-405-without-allow', 'csrf-refusal-before-auth']
        >>> [waiver.id for waiver in applicable_waivers(DocumentKind.PROJECT, "2023-01")][-1]
        'negative-pagination-500'
    """
    rules = rules_for(profile)
    bound = (
        waiver if waiver.bind is None else waiver.bind(waiver, rules)
        for waiver in WAIVERS.values()
        if kind in waiver.applies_to
    )
    return tuple(waiver for waiver in bound if waiver is not None)


# -- the register: each waiver's texts (`_REGISTER_TEXT`) and the functions that apply it ------
_Function = TypeVar("_Function", bound=Callable[..., Any])
# waiver id -> (the kinds of document it applies to, "edit" or "excuses", the function)
_APPLIED_BY: dict[str, tuple[frozenset[DocumentKind], str, Callable[..., Any]]] = {}
_BINDS: dict[str, Callable[[Waiver, CoderRules], Waiver | None]] = {}
_NEWEST_SWAGGER = frozenset({DocumentKind.CODER_NEWEST})
_EARLY_SWAGGER = frozenset({DocumentKind.CODER_EARLY})
_SERVED = _EVERY_DOCUMENT - {DocumentKind.OTHER}  # every document a server is checked with
_LABELS = {
    "swagger says": "swagger_says",
    "server does": "server_does",
    "why accepted": "reason",
    "applied by": "applied_by",
}


def _registers(
    waiver_id: str, applies_to: frozenset[DocumentKind], role: str
) -> Callable[[_Function], _Function]:
    def register(function: _Function) -> _Function:
        _APPLIED_BY[waiver_id] = (applies_to, role, function)
        return function

    return register


def _edits(
    waiver_id: str, applies_to: frozenset[DocumentKind] = CODER_DOCUMENTS
) -> Callable[[_Function], _Function]:
    """The decorated function is the document edit of the waiver `waiver_id`."""
    return _registers(waiver_id, applies_to, "edit")


def _excuses(
    waiver_id: str, applies_to: frozenset[DocumentKind] = CODER_DOCUMENTS
) -> Callable[[_Function], _Function]:
    """The decorated function says which failures the waiver `waiver_id` excuses."""
    return _registers(waiver_id, applies_to, "excuses")


def _binds(waiver_id: str) -> Callable[[_Function], _Function]:
    """The decorated function binds the waiver `waiver_id` to a Coder version (`Waiver.bind`)."""

    def register(function: _Function) -> _Function:
        _BINDS[waiver_id] = function
        return function

    return register


def _parse_register(text: str) -> tuple[Waiver, ...]:
    """The waivers `text` describes, in its order, applied by the functions registered for them."""
    waivers = []
    for entry in text.strip().split("\n\n"):
        header, *lines = entry.splitlines()
        waiver_id, _, reference = header.partition(" (")
        fields: dict[str, str] = {}
        label = ""
        for line in lines:
            if line.startswith("    "):
                fields[label] += " " + line.strip()
            else:
                name, _, value = line.strip().partition(": ")
                label = _LABELS[name]
                fields[label] = value
        applies_to, role, function = _APPLIED_BY[waiver_id]
        waivers.append(
            Waiver(
                id=waiver_id,
                swagger_says=fields["swagger_says"],
                server_does=fields["server_does"],
                reference=reference.removesuffix(")"),
                reason=fields["reason"],
                applied_by=fields["applied_by"],
                applies_to=applies_to,
                edit=function if role == "edit" else None,
                excuses=function if role == "excuses" else None,
                bind=_BINDS.get(waiver_id),
            )
        )
    return tuple(waivers)


# -- finding things in a Swagger 2.0 document ------------------------------------------------
# NEWEST spells the paths `/api/v2/audit[...]` (basePath "/"), EARLY `/audit[...]` (basePath
# "/api/v2"), §0 and §7; the helpers accept both.


def audit_operation(document: Mapping[str, Any], method: str, suffix: str) -> dict[str, Any] | None:
    """The operation `method` of the path ending in `suffix` ("/audit", "/audit/testgenerate")."""
    for path, operations in document.get("paths", {}).items():
        if path.endswith(suffix) and isinstance(operations, dict) and method in operations:
            found: dict[str, Any] = operations[method]
            return found
    return None


def _list_logs(document: Mapping[str, Any]) -> dict[str, Any] | None:
    return audit_operation(document, "get", "/audit")


def _test_generate(document: Mapping[str, Any]) -> dict[str, Any] | None:
    return audit_operation(document, "post", "/audit/testgenerate")


def _query_parameters(document: Mapping[str, Any], *names: str) -> Iterator[dict[str, Any]]:
    operation = _list_logs(document) or {}
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "query" and parameter.get("name") in names:
            yield parameter


def _definition(document: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    found = document.get("definitions", {}).get(name)
    return found if isinstance(found, dict) else None


def _property(document: Mapping[str, Any], definition: str, name: str) -> dict[str, Any] | None:
    properties = (_definition(document, definition) or {}).get("properties", {})
    found = properties.get(name)
    return found if isinstance(found, dict) else None


def _replace_property(
    document: Mapping[str, Any], definition: str, name: str, schema: dict[str, Any]
) -> bool:
    if _property(document, definition, name) is None:
        return False
    document["definitions"][definition]["properties"][name] = schema
    return True


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    # Schemathesis keeps `x-nullable` beside a `$ref`; in a request an `enum` must list null too.
    nullable = {**schema, NULLABLE: True}
    if isinstance(schema.get("enum"), list) and None not in schema["enum"]:
        nullable["enum"] = [*schema["enum"], None]
    return nullable


def _edit_property(
    document: Mapping[str, Any],
    definition: str,
    name: str,
    edit: Callable[[dict[str, Any]], dict[str, Any] | None],
) -> bool:
    """Replace one property's schema by `edit(schema)`; False when absent or `edit` gives None.

    Each waiver's edit says what it turns the schema into, or None when the document already
    says so (then the waiver is not among a run's applied ones: a document fixed upstream shows).
    """
    schema = _property(document, definition, name)
    if schema is None:
        return False
    edited = edit(schema)
    return edited is not None and _replace_property(document, definition, name, edited)


def _make_nullable(document: Mapping[str, Any], definition: str, name: str) -> bool:
    """Mark one property `x-nullable` (an edit's body); False when absent or already so."""
    return _edit_property(
        document,
        definition,
        name,
        lambda schema: None if schema.get(NULLABLE) is True else _nullable(schema),
    )


def _typed(json_type: str) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
    """An edit to `{"type": json_type}`, for a property not typed so yet."""
    return lambda schema: None if schema.get("type") == json_type else {"type": json_type}


# -- the document waivers ---------------------------------------------------------------------


@_edits("limit-not-required", _NEWEST_SWAGGER)
def _limit_optional(document: dict[str, Any]) -> bool:
    return _make_optional(document, "limit")


@_edits("q-not-required", _EARLY_SWAGGER)
def _q_optional(document: dict[str, Any]) -> bool:
    return _make_optional(document, "q")


def _make_optional(document: dict[str, Any], name: str) -> bool:
    changed = False
    for parameter in _query_parameters(document, name):
        changed |= parameter.get("required") is True
        parameter["required"] = False
    return changed


@_edits("pagination-int32")
def _pagination_int32(
    document: dict[str, Any], *, minimum: int = 0, maximum: int = MAX_INT32
) -> bool:
    changed = False
    for parameter in _query_parameters(document, "limit", "offset"):
        if parameter.get("minimum") != minimum or parameter.get("maximum") != maximum:
            parameter.update(minimum=minimum, maximum=maximum)
            changed = True
    return changed


@_binds("pagination-int32")
def _bind_pagination_range(waiver: Waiver, profile: CoderRules) -> Waiver:
    """A version that parsed limit/offset as 64-bit integers and kept their low 32 bits (§3.4)."""
    if not _accepts(profile, {"limit": [str(MAX_INT32 + 1)]}):
        return waiver
    return dataclasses.replace(
        _worded(waiver, profile),
        applied_by="`limit` and `offset` get the 64-bit range as minimum and maximum",
        edit=functools.partial(_pagination_int32, minimum=-(2**63), maximum=2**63 - 1),
    )


def _worded(waiver: Waiver, profile: CoderRules) -> Waiver:
    """The waiver in the words the version's kit facts give it (`CoderRules.waiver_texts`)."""
    texts = {field: text for wid, field, text in profile.waiver_texts if wid == waiver.id}
    return dataclasses.replace(
        waiver,
        swagger_says=texts.get("swagger_says", waiver.swagger_says),
        server_does=texts.get("server_does", waiver.server_does),
        reason=texts.get("reason", waiver.reason),
        applied_by=texts.get("applied_by", waiver.applied_by),
    )


@_edits("empty-query-value-is-absent")
def _empty_values(document: dict[str, Any]) -> bool:
    changed = False
    for parameter in _query_parameters(document, "q", "limit", "offset", "after_id"):
        changed |= parameter.get("allowEmptyValue") is not True
        parameter["allowEmptyValue"] = True
    return changed


@_edits("after-id-undocumented", _NEWEST_SWAGGER)
def _after_id(document: dict[str, Any]) -> bool:
    operation = _list_logs(document)
    if operation is None or any(True for _ in _query_parameters(document, "after_id")):
        return False
    operation.setdefault("parameters", []).append(
        {
            "name": "after_id",
            "in": "query",
            "type": "string",
            "format": "uuid",
            "allowEmptyValue": True,
            "description": "After ID (validated, then ignored for audit logs)",
        }
    )
    return True


@functools.cache
def _search_query_pattern(profile: str) -> str | None:
    """The `q` pattern of the profile's own document (its sound subset of Coder's grammar)."""
    document = openapi_document(profile)
    for parameter in document["paths"]["/api/v2/audit"]["get"].get("parameters", []):
        if parameter.get("name") == "q":
            schema = parameter.get("schema", {})
            reference = schema.get("$ref", "")
            if reference.startswith("#/components/schemas/"):
                schema = document["components"]["schemas"][reference.rsplit("/", 1)[1]]
            pattern = schema.get("pattern")
            return pattern if isinstance(pattern, str) else None
    return None


@_edits("q-grammar")
def _search_grammar(document: dict[str, Any], *, profile: str = NEWEST_RULES.name) -> bool:
    pattern = _search_query_pattern(profile)
    changed = False
    for parameter in _query_parameters(document, "q"):
        if pattern is not None and parameter.get("pattern") != pattern:
            parameter["pattern"] = pattern
            changed = True
    return changed


_ERROR_STATUSES = {
    "get": {
        "400": "Invalid limit/offset/after_id or q (§1.1 steps 3-4)",
        "401": "No or invalid session token (§6.2)",
        "403": "The caller may not read audit logs (§1.1 step 2)",
    },
    "post": {
        "400": "The body is not valid JSON of the right shape (§1.2 step 2)",
        "401": "No or invalid session token (§6.2)",
        "403": "The caller may not read audit logs (§1.2)",
        "500": "The insert failed (§1.2 step 3)",
    },
}
# §1.5: codersdk.Response.
_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["message"],
    "properties": {
        "message": {"type": "string"},
        "detail": {"type": "string"},
        "validations": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "detail"],
                "properties": {"field": {"type": "string"}, "detail": {"type": "string"}},
            },
        },
    },
}


@_edits("error-responses-undocumented")
def _error_responses(document: dict[str, Any]) -> bool:
    changed = False
    for method, operation in (("get", _list_logs(document)), ("post", _test_generate(document))):
        if operation is None:
            continue
        responses = operation.setdefault("responses", {})
        for status, description in _ERROR_STATUSES[method].items():
            if status not in responses:
                reference = {"$ref": f"#/definitions/{ERROR_DEFINITION}"}
                responses[status] = {"description": description, "schema": reference}
                changed = True
    if changed:
        document.setdefault("definitions", {})[ERROR_DEFINITION] = dict(_ERROR_SCHEMA)
    return changed


@_edits("user-may-be-null")
def _user_nullable(document: dict[str, Any]) -> bool:
    return _make_nullable(document, "codersdk.AuditLog", "user")


@_edits("user-status-dormant", _NEWEST_SWAGGER)
def _user_status_dormant(document: dict[str, Any]) -> bool:
    status = _property(document, "codersdk.User", "status")
    statuses = (_definition(document, "codersdk.UserStatus") or {}).get("enum", [])
    if status is None or "enum" not in status or "dormant" not in statuses:
        return False
    reference = {"$ref": "#/definitions/codersdk.UserStatus"}
    return _replace_property(document, "codersdk.User", "status", reference)


# An address or nothing: `format: email` refuses "", which service accounts have.
_EMAIL_OR_EMPTY = {"type": "string", "pattern": r"^(|[^@\s]+@[^@\s]+)$"}


@_edits("service-account-email-empty", _NEWEST_SWAGGER)
def _email_may_be_empty(document: dict[str, Any]) -> bool:
    return _edit_property(
        document,
        "codersdk.User",
        "email",
        lambda email: dict(_EMAIL_OR_EMPTY) if email.get("format") == "email" else None,
    )


_REQUEST = "codersdk.CreateTestAuditLogRequest"


@_edits("testgenerate-enums-not-enforced", _NEWEST_SWAGGER)
def _testgenerate_enums(document: dict[str, Any]) -> bool:
    # Only NEWEST documents carry the full enum definitions (§7); EARLY's inline
    # enums equal EARLY's database enums, so there is nothing to widen there.
    changed = False
    for name, definition in (("action", "AuditAction"), ("resource_type", "ResourceType")):
        values = (_definition(document, f"codersdk.{definition}") or {}).get("enum")
        current = _property(document, _REQUEST, name) or {}
        if isinstance(values, list) and not set(values) <= set(current.get("enum", [])):
            schema = {"type": "string", "enum": list(values)}
            changed |= _replace_property(document, _REQUEST, name, schema)
    build_reason = _property(document, _REQUEST, "build_reason")
    if build_reason is not None and ("enum" in build_reason or "allOf" in build_reason):
        changed |= _replace_property(document, _REQUEST, "build_reason", {"type": "string"})
    return changed


@_edits("testgenerate-empty-means-default")
def _testgenerate_empty_defaults(document: dict[str, Any]) -> bool:
    changed = False
    for name in ("action", "resource_type"):
        schema = _property(document, _REQUEST, name)
        if schema is not None and isinstance(schema.get("enum"), list) and "" not in schema["enum"]:
            schema["enum"].append("")
            changed = True
    return changed


_FIELD_FORMATS = {"time": "date-time", "resource_id": "uuid"}


@_edits("testgenerate-field-formats", _EARLY_SWAGGER)
def _testgenerate_formats(document: dict[str, Any]) -> bool:
    changed = False
    for name, wire_format in _FIELD_FORMATS.items():
        schema = _property(document, _REQUEST, name)
        if schema is not None and schema.get("type") == "string" and "format" not in schema:
            schema["format"] = wire_format
            changed = True
    return changed


@_edits("additional-fields-any-json", _NEWEST_SWAGGER)
def _additional_fields_any(document: dict[str, Any]) -> bool:
    return _edit_property(
        document,
        _REQUEST,
        "additional_fields",
        lambda current: {} if current.get("type") == "array" else None,
    )


@_edits("testgenerate-null-fields")
def _testgenerate_nulls(document: dict[str, Any]) -> bool:
    definition = _definition(document, _REQUEST)
    operation = _test_generate(document)
    if definition is None or operation is None:
        return False
    changed = False
    properties = definition.get("properties", {})
    for name, schema in list(properties.items()):
        if schema.get(NULLABLE) is not True:
            properties[name] = _nullable(schema)
            changed = True
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema")
        if (
            parameter.get("in") == "body"
            and isinstance(schema, dict)
            and schema.get(NULLABLE) is not True
        ):
            parameter["schema"] = _nullable(schema)
            changed = True
    return changed


@_edits("ip-is-string", _EARLY_SWAGGER)
def _ip_is_string(document: dict[str, Any]) -> bool:
    return _edit_property(document, "codersdk.AuditLog", "ip", _typed("string"))


@_edits("additional-fields-object", _EARLY_SWAGGER)
def _additional_fields_object(document: dict[str, Any]) -> bool:
    return _edit_property(document, "codersdk.AuditLog", "additional_fields", _typed("object"))


# -- the failure waivers ----------------------------------------------------------------------


@_edits("additional-fields-may-be-null")
def _additional_fields_nullable(document: dict[str, Any]) -> bool:
    return _make_nullable(document, "codersdk.AuditLog", "additional_fields")


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def _insert_fails(body: Any, profile: CoderRules) -> bool:
    """Whether Coder's insert of this testgenerate body fails in Postgres (§1.2, §5).

    The database enums are the profile's (§4.1, §4.2: older versions had fewer).
    """
    if not isinstance(body, dict):
        return False
    action, resource_type = body.get("action"), body.get("resource_type")
    # An empty string or null means the default (§5), which is a valid enum value.
    return (
        (isinstance(action, str) and action != "" and action not in profile.audit_actions)
        or (
            isinstance(resource_type, str)
            and resource_type != ""
            and resource_type not in profile.resource_types
        )
        or _holds_nul(body.get("additional_fields"))
        or _zone_beyond_15_hours(body.get("time"))
    )


def _zone_beyond_15_hours(time: Any) -> bool:
    """Whether a `time` ends in a zone offset Postgres refuses (Go accepts up to 23:59).

    Example:
        >>> [_zone_beyond_15_hours(t) for t in ("2020-01-01T00:00:00-16:00", "2020-01-01T00:00:00+15:59")]
        [True, False]
    """
    if not isinstance(time, str) or len(time) < 6:
        return False
    zone = _ZONE_HOURS.fullmatch(time[-6:])
    return zone is not None and int(zone[1]) > 15


@_excuses("testgenerate-insert-500", _SERVED)
def _excuses_insert_500(exchange: Exchange, profile: CoderRules = NEWEST_RULES) -> bool:
    response = exchange.response_body
    return (
        exchange.failure_code == SERVER_ERROR_CODE
        and exchange.operation.startswith("POST ")
        and exchange.operation.endswith("/audit/testgenerate")
        and exchange.status_code == 500
        and isinstance(response, dict)
        and response.get("message") == INTERNAL_ERROR_MESSAGE
        and _insert_fails(exchange.request_body, profile)
    )


@_excuses("unknown-method-405-without-allow", _SERVED)
def _excuses_method_without_allow(exchange: Exchange) -> bool:
    named = _NO_ALLOW.search(exchange.failure_message)
    return (
        exchange.failure_code == UNSUPPORTED_METHOD_CODE
        and named is not None
        and named[1] not in ROUTER_METHODS
    )


@_excuses("csrf-refusal-before-auth", _SERVED)
def _excuses_csrf_refusal(exchange: Exchange) -> bool:
    # Schemathesis hands the hook the authenticated request and its answer, not the probe's,
    # so only the probe's status (in the message) can be judged here; the probe that draws a
    # 400 is the cookie carrier, the only one Coder's CSRF check refuses.
    return (
        exchange.failure_code == IGNORED_AUTH_CODE
        and exchange.operation.startswith("POST ")
        and _PROBE_GOT_400 in exchange.failure_message
        and _INVALID_CREDENTIALS in exchange.failure_message
    )


@_binds("csrf-refusal-before-auth")
def _bind_csrf_refusal(waiver: Waiver, profile: CoderRules) -> Waiver | None:
    # Coder checked CSRF on cookie-authenticated writes only in later versions (the rules say).
    return waiver if profile.csrf_check else None


@_binds("q-grammar")
def _bind_search_grammar(waiver: Waiver, profile: CoderRules) -> Waiver:
    return dataclasses.replace(
        waiver, edit=functools.partial(_search_grammar, profile=profile.name)
    )


@_binds("testgenerate-insert-500")
def _bind_insert_500(waiver: Waiver, profile: CoderRules) -> Waiver:
    return dataclasses.replace(
        waiver, excuses=functools.partial(_excuses_insert_500, profile=profile)
    )


@_edits("user-organization-ids-null")
def _user_organization_ids_null(document: dict[str, Any]) -> bool:
    return _make_nullable(document, "codersdk.User", "organization_ids")


@_binds("user-organization-ids-null")
def _renders_null_organization_ids(waiver: Waiver, profile: CoderRules) -> Waiver | None:
    """The waiver when the profile's own document says `organization_ids` is null (§4.5)."""
    user = openapi_document(profile.name)["components"]["schemas"]["User"]
    ids = user.get("properties", {}).get("organization_ids", {})
    return _worded(waiver, profile) if ids.get("type") == "null" else None


def _accepts(rules: CoderRules, query: Mapping[str, list[str]]) -> bool:
    """Whether the version's pagination rules let `query` through (no 400, §3.4)."""
    return rules.pagination_rejection(query) is None


@_excuses("negative-pagination-500", _SERVED)
def _excuses_negative_pagination(exchange: Exchange, profile: CoderRules = NEWEST_RULES) -> bool:
    response = exchange.response_body
    return (
        exchange.failure_code in (SERVER_ERROR_CODE, UNDOCUMENTED_STATUS_CODE)
        and exchange.operation.startswith("GET ")
        and exchange.operation.endswith("/audit")
        and exchange.status_code == 500
        and isinstance(response, dict)
        and response.get("message") == INTERNAL_ERROR_MESSAGE
        and response.get("detail") in _NEGATIVE_DETAILS
        and response.get("detail") == profile.window_error(exchange.query)
    )


_NEGATIVE_DETAILS = frozenset({"pq: LIMIT must not be negative", "pq: OFFSET must not be negative"})


@_binds("negative-pagination-500")
def _bind_negative_pagination(waiver: Waiver, profile: CoderRules) -> Waiver | None:
    if _accepts(profile, {"limit": ["-1"]}) or _accepts(profile, {"offset": ["-1"]}):
        excuses = functools.partial(_excuses_negative_pagination, profile=profile)
        return dataclasses.replace(_worded(waiver, profile), excuses=excuses)
    return None


@_excuses("undeclared-query-parameters-ignored", _SERVED)
def _excuses_undeclared_query(exchange: Exchange) -> bool:
    # Schemathesis exempts undeclared query parameters itself, but not in the stateful phase.
    invalid = [
        line
        for line in exchange.failure_message.splitlines()
        if line.startswith("Invalid component:")
    ]
    return (
        exchange.failure_code == ACCEPTED_NEGATIVE_CODE
        and exchange.operation.startswith("GET ")
        and exchange.operation.endswith("/audit")
        and exchange.status_code == 200
        and bool(invalid)
        and all(line.endswith(_UNDECLARED_QUERY) for line in invalid)
    )


# What each waiver says, in register order (the order they are applied): `<id> (<reference>)`, then
# the swagger says / server does / why accepted / applied by texts (continued on indented lines).
# The functions that apply each one say which waiver they are (`_edits`, `_excuses`, `_binds`).
_REGISTER_TEXT = """
limit-not-required (§1.1, §3.1, §7)
  swagger says: GET /api/v2/audit: `limit` is required
  server does: `limit` is optional; absent (or 0) means 100
  why accepted: ParsePagination reads limit with a default; the swagger generator marked it
    required by mistake
  applied by: `limit` gets required: false

q-not-required (§1.1, §2.1)
  swagger says: GET /audit: `q` is required
  server does: `q` is optional; absent or empty means no filter
  why accepted: the handler reads q with an empty default
  applied by: `q` gets required: false

pagination-int32 (§3.4)
  swagger says: `limit` and `offset` are any integer
  server does: they must be non-negative 32-bit integers; others get 400
  why accepted: Coder parses them with strconv.ParseInt(..., 10, 32) and refuses negatives, which
    the swagger generator cannot express
  applied by: `limit` and `offset` get minimum 0 and maximum 2147483647

empty-query-value-is-absent (§3.4, §2.1)
  swagger says: `q`, `limit`, `offset` (and `after_id`) have no empty value
  server does: an empty value (`limit=`) counts as absent
  why accepted: Coder's query parser treats an empty string as not given
  applied by: the parameters get allowEmptyValue: true

after-id-undocumented (§1.1, §3.4, §7)
  swagger says: GET /api/v2/audit has no `after_id` parameter
  server does: `after_id` is accepted, validated as a uuid (400 otherwise) and ignored
  why accepted: ParsePagination reads it for every paginated route; the swagger dropped it
  applied by: an optional query parameter `after_id` (string, format uuid) is added

q-grammar (§2.1)
  swagger says: `q` is any string
  server does: `q` is parsed by the search grammar; anything else gets 400 "Invalid audit search
    query."
  why accepted: the grammar cannot be written in a Swagger type; without it every random string
    would count as valid input wrongly rejected
  applied by: `q` gets the pattern of the project's own document in the profile checked for (a
    sound subset of that profile's grammar)

error-responses-undocumented (§1.1, §1.2, §1.5, §6.2)
  swagger says: only 200 (GET) and 204 (POST) are documented
  server does: 400, 401 and 403 answer bad input, missing tokens and missing permission;
    testgenerate also answers 500 when its insert fails; all with codersdk.Response
  why accepted: Coder's swagger annotations list success responses only
  applied by: those responses are added with a `coder-audit-mock.Response` body schema (message
    required; detail; validations of field/detail)

user-may-be-null (§4.5)
  swagger says: AuditLog.user is a codersdk.User object
  server does: `user` is null when the actor is unknown (e.g. failed logins)
  why accepted: the Go field is a pointer; the generator does not mark pointers nullable
  applied by: `user` gets x-nullable: true

user-status-dormant (§4.4)
  swagger says: User.status is `active` or `suspended`
  server does: `dormant` users exist too
  why accepted: the inline enum on User.status is stale; codersdk.UserStatus lists dormant
  applied by: User.status refers to codersdk.UserStatus (active, dormant, suspended)

service-account-email-empty (§4.5 (is_service_account))
  swagger says: User.email has format email
  server does: service accounts (is_service_account: true) have no email: `""`
  why accepted: an empty string is no email address, but it is what a service account has
  applied by: User.email: a string that is empty or has the shape local@domain

testgenerate-enums-not-enforced (§1.2, §5)
  swagger says: testgenerate's action is one of 5 values, resource_type one of 7 (including
    `auditable_group`), build_reason one of 3
  server does: the handler validates none of them: any database enum value is stored (13 actions,
    35 resource types), others fail the insert with 500; build_reason is accepted and ignored
  why accepted: the inline enums are stale hints that the server never enforces
  applied by: action gets the 13 values of codersdk.AuditAction, resource_type the 35 of
    codersdk.ResourceType, build_reason becomes any string

testgenerate-empty-means-default (§5)
  swagger says: testgenerate's action and resource_type are enum values, "" is none
  server does: "" means the default: action `write`, resource_type `user`
  why accepted: the handler replaces Go's zero value with the default before the insert
  applied by: "" is added to both enums

additional-fields-any-json (§5, §7)
  swagger says: testgenerate's additional_fields is an array of integers
  server does: additional_fields is any JSON value, stored verbatim
  why accepted: json.RawMessage is rendered as []byte by the swagger generator
  applied by: additional_fields accepts any JSON value

testgenerate-field-formats (§1.2 step 2, §5)
  swagger says: testgenerate's time and resource_id are any string
  server does: time must be RFC 3339 and resource_id a uuid; others get 400 "Request body must be
    valid JSON."
  why accepted: the Go fields are time.Time and uuid.UUID, which decode only those forms
  applied by: time gets format date-time, resource_id format uuid

testgenerate-null-fields (§1.2 step 2, §5)
  swagger says: testgenerate's body and fields are typed values
  server does: a JSON null leaves a field (or the whole body) unset, so defaults apply
  why accepted: Go's encoding/json ignores null for non-pointer fields
  applied by: the body and each of its fields get x-nullable: true (and null joins their enums)

ip-is-string (§4.5)
  swagger says: AuditLog.ip is a netip.Addr object
  server does: `ip` is a JSON string (an address, or "")
  why accepted: netip.Addr marshals as text; the generator rendered the struct
  applied by: `ip` becomes type string

additional-fields-object (§4.5)
  swagger says: AuditLog.additional_fields is an array of integers
  server does: additional_fields is a JSON object
  why accepted: json.RawMessage is rendered as []byte by the swagger generator
  applied by: additional_fields becomes type object

additional-fields-may-be-null (§4.5, §5)
  swagger says: AuditLog.additional_fields is an object
  server does: it is null for a log that testgenerate stored with `additional_fields: null`
  why accepted: json.RawMessage keeps a JSON null as the bytes `null`, which are stored and
    returned verbatim
  applied by: additional_fields gets x-nullable: true

undeclared-query-parameters-ignored (§1.1)
  swagger says: (every document) a query parameter it does not declare is invalid input
  server does: GET /api/v2/audit ignores query parameters it does not know
  why accepted: Coder reads only the parameters it knows; Schemathesis itself exempts this in its
    other phases, but not in the stateful one
  applied by: a negative_data_rejection failure of GET .../audit with a 200 is excused only when
    every invalid component it names is an undeclared query parameter

testgenerate-insert-500 (§1.2 step 3)
  swagger says: (every document) a 5xx is a server error
  server does: testgenerate answers 500 "An internal server error occurred." when the insert fails:
    an action or resource_type outside the database enums, or a U+0000 in additional_fields
    (Postgres jsonb refuses it), or a time whose zone offset is over 15 hours (Go parses it,
    Postgres refuses it)
  why accepted: this is what Coder itself answers; it is the documented 500
  applied by: a not_a_server_error failure of POST .../testgenerate is excused only when the
    response is that 500 and the request body holds such a value; any other 500 still fails

unknown-method-405-without-allow (§1.1)
  swagger says: (RFC 9110, checked by unsupported_method) a 405 lists the allowed methods in Allow
  server does: a method Coder's router does not know (not CONNECT, DELETE, GET, HEAD, OPTIONS,
    PATCH, POST, PUT or TRACE; e.g. QUERY) is answered 405 with an empty body and no Allow header,
    on every path
  why accepted: chi answers a method outside its method table before any route is matched; recorded
    from a real v2.35.1 server; known methods do get Allow
  applied by: an unsupported_method failure is excused only when the method it names is outside
    chi's table; a known method's 405 without Allow still fails

csrf-refusal-before-auth (§6.1)
  swagger says: (every document) a request with invalid credentials is answered 401 or 403
  server does: a POST that carries the session only in the coder_session_token cookie (no
    Coder-Session-Token header, no CSRF token) is refused 400 text/plain "Something is wrong with
    your CSRF token. ..." before the token is looked at
  why accepted: Coder's CSRF middleware runs before authentication on every cookie-authenticated
    write; recorded from a real v2.35.1 server (tests/fidelity/corpus)
  applied by: an ignored_auth failure of a POST is excused only when its invalid-credentials probe
    drew a 400 (Schemathesis does not pass the probe's body on); a probe answered 2xx or any other
    status still fails

user-organization-ids-null (§4.5)
  swagger says: User.organization_ids is an array of uuids
  server does: a server of a version whose own document says so answers `organization_ids: null` in
    every audit log's user
  why accepted: that version's handler never filled the (nil) Go slice, which encodes as null
  applied by: organization_ids gets x-nullable: true, only when checking for a profile whose own
    document says it is null

negative-pagination-500 (§3.2, §3.4)
  swagger says: (every document) a 5xx is a server error
  server does: a server of a version that accepts negatives passes a negative limit or offset (also
    one whose low 32 bits are negative, e.g. limit=2147483648) on to Postgres: 500 with detail "pq:
    LIMIT must not be negative" (or OFFSET, checked first)
  why accepted: this is what such a Coder itself answers (its parsePagination had no minimum);
    NEWEST answers 400 instead
  applied by: a not_a_server_error or status_code_conformance failure of GET .../audit is excused
    only when the response is that 500 and the kit's rules of that Coder version
    (contracts/_coder.py) give that very error for the query as sent, repeated parameters included;
    only for a version that accepts negatives
"""
_REGISTER = _parse_register(_REGISTER_TEXT)

WAIVERS: Mapping[str, Waiver] = types.MappingProxyType({waiver.id: waiver for waiver in _REGISTER})
"""The register, by id, in the order waivers are applied."""
