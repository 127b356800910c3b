"""The API document a contract run checks against, and the Schemathesis schema built from it.

```
read_document(location)      the project's OpenAPI 3.1 document (default), a file or a URL;
  -> ContractDocument        its kind (project / Coder NEWEST / Coder EARLY / other), base path
                             and the waivers applied to it (_waivers.py)
load_schema(target, ...)     a Schemathesis schema of that document, bound to the target:
  -> schemathesis schema     in-process (schema.app) or by URL (base URL), the owner's token,
                             the seed, and nothing that persists between runs
```

Determinism (schemathesis-notes.md §5): the seed is explicit (it takes precedence over
derandomizing), there is no Hypothesis example database and no Schemathesis cache, one worker,
and no constants harvested from an app's source, so the same seed sends the same requests to
an in-process mock and to a live one.

The owner's token goes in through an auth provider, never as `case.call(headers=...)` (which
would put the header back into negative cases that drop it, notes §3), and Schemathesis does
not invent values for the document's other token carriers: Coder's carrier precedence
(§6.1) would let an invented cookie override the real header.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import pathlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import schemathesis

from ..mockserver import openapi_document
from ..mockserver._document import openapi_file_name
from ._coder import DEFAULT_PROFILE, CoderRules, rules_for
from ._errors import ContractError
from ._target import Target
from ._waivers import (
    DocumentKind,
    Exchange,
    Waiver,
    WaiverLedger,
    applicable_waivers,
    audit_operation,
    query_of_url,
)

if TYPE_CHECKING:
    from schemathesis.core.failures import Failure

__all__ = [
    "DEFAULT_MAX_EXAMPLES",
    "PROJECT_DOCUMENT",
    "STATEFUL_LINKS",
    "ContractDocument",
    "coder_profile",
    "detect_kind",
    "load_schema",
    "read_document",
]

DEFAULT_MAX_EXAMPLES = 25
DEFAULT_MAX_RESPONSE_SECONDS = 10.0  # Schemathesis's own default once the check is on
DEFAULT_REQUEST_TIMEOUT_SECONDS = 30.0
PROJECT_DOCUMENT = "the project's OpenAPI document (coder_audit_mock/mockserver/{file})"
TOKEN_HEADER = "Coder-Session-Token"  # §6.1
CODER_TITLE = "Coder API"  # info.title of coderd/apidoc/swagger.json
EARLY_BASE_PATH = "/api/v2"  # §0: EARLY puts the prefix in basePath, NEWEST in the paths


@dataclasses.dataclass(frozen=True, slots=True)
class ContractDocument:
    """An API document ready for a contract run: content with waivers applied, and what it is.

    Attributes:
        content: the document (Swagger 2.0 or OpenAPI 3.x) after the waivers were applied.
        source: where it came from, for reports.
        kind: project / Coder NEWEST / Coder EARLY / other.
        base_path: the path its operation paths are relative to ("/" or "/api/v2").
        waivers: the waivers applied to it, in register order.
        links: the links added for Schemathesis's stateful phase (`STATEFUL_LINKS`).

    Example:
        >>> document = read_document()
        >>> document.kind.value, document.base_path, document.links
        ('project', '/', ('ReadNewest', 'SameQuery'))
    """

    content: Mapping[str, Any]
    source: str
    kind: DocumentKind
    base_path: str
    waivers: tuple[Waiver, ...]
    links: tuple[str, ...] = ()


def detect_kind(document: Mapping[str, Any]) -> DocumentKind:
    """Which kind of API document this is.

    Coder's own Swagger 2.0 is recognised by `swagger: "2.0"` with the title "Coder API" or an
    `x-apidocgen` mark on an operation; its `basePath` tells NEWEST ("/") from EARLY
    ("/api/v2"), §0. The project's document is recognised by its title.

    Example:
        >>> detect_kind({"swagger": "2.0", "info": {"title": "Coder API"}, "basePath": "/api/v2"})
        <DocumentKind.CODER_EARLY: 'coder-early'>
    """
    if document.get("swagger") == "2.0" and (
        _info_title(document) == CODER_TITLE or _has_apidocgen_mark(document)
    ):
        base_path = str(document.get("basePath") or "/").rstrip("/")
        return (
            DocumentKind.CODER_EARLY if base_path == EARLY_BASE_PATH else DocumentKind.CODER_NEWEST
        )
    if str(document.get("openapi", "")).startswith("3.") and _info_title(document) == _info_title(
        openapi_document()
    ):
        return DocumentKind.PROJECT
    return DocumentKind.OTHER


def _info_title(document: Mapping[str, Any]) -> object:
    info = document.get("info")
    return info.get("title") if isinstance(info, Mapping) else None


def _has_apidocgen_mark(document: Mapping[str, Any]) -> bool:
    paths = document.get("paths")
    return isinstance(paths, Mapping) and any(
        isinstance(operation, Mapping) and "x-apidocgen" in operation
        for operations in paths.values()
        if isinstance(operations, Mapping)
        for operation in operations.values()
    )


def read_document(
    location: str | None = None, *, target: Target | None = None, profile: str = DEFAULT_PROFILE
) -> ContractDocument:
    """Read an API document and apply the waivers its kind needs.

    Args:
        location: a JSON file path or an http(s) URL; None for the project's own document in
            `profile` (`openapi_document(profile)`).
            A real Coder serves its Swagger at `<origin>/swagger/doc.json` when swagger is on.
        target: when the URL is on this target's origin, it is fetched with the owner's token.
        profile: the Coder version ("newest" or "2023-01") whose project document is the default.

    Raises:
        ContractError: the document cannot be read, is not JSON, or is no OpenAPI document;
            or the profile is unknown.

    Example:
        >>> swagger = read_document("../shared/reference/coder-audit-swagger.json")  # doctest: +SKIP
        >>> swagger.kind, "limit-not-required" in [w.id for w in swagger.waivers]  # doctest: +SKIP
        (<DocumentKind.CODER_NEWEST: 'coder-newest'>, True)
    """
    raw: object
    if location is None:
        raw, source = _project_document(profile)
    elif location.startswith(("http://", "https://")):
        raw, source = _fetch(location, target), location
    else:
        raw, source = _read_file(location), location
    if not isinstance(raw, dict) or not ("swagger" in raw or "openapi" in raw):
        raise ContractError(
            f"{source} is not an OpenAPI document: expected a JSON object with a `swagger` "
            "(2.0) or `openapi` (3.x) field"
        )
    kind = detect_kind(raw)
    content = copy.deepcopy(raw)
    waivers = applicable_waivers(kind, coder_profile(profile))
    applied = tuple(waiver for waiver in waivers if waiver.apply(content))
    links = _add_stateful_links(content) if kind is not DocumentKind.OTHER else ()
    return ContractDocument(content, source, kind, _base_path(content), applied, links)


# Links between the two operations, so that Schemathesis's stateful phase has sequences to run
# (schemathesis-notes.md §7): none of the audit documents has any. They add no requirement:
# each request they lead to is one the document already allows. (A link that copies the
# written `resource_id` into `q` would give `q=resource_id:` when the body had none, which
# the search grammar refuses.)
STATEFUL_LINKS: Mapping[tuple[str, str, str], Mapping[str, Mapping[str, object]]] = {
    # After testgenerate wrote a log, read the newest one.
    ("post", "/audit/testgenerate", "204"): {"ReadNewest": {"parameters": {"limit": 1}}},
    # After a page, ask the same query again.
    ("get", "/audit", "200"): {"SameQuery": {"parameters": {"q": "$request.query.q"}}},
}


def coder_profile(name: str | CoderRules) -> CoderRules:
    """The kit's rules for the Coder version `name`, or a `ContractError` naming the known ones.

    Example:
        >>> coder_profile("2023-01").count_cap is None
        True
    """
    try:
        return rules_for(name)
    except KeyError as error:
        raise ContractError(error.args[0]) from None


def _project_document(profile: str) -> tuple[dict[str, Any], str]:
    """The project's document in `profile`, and where it comes from."""
    openapi_file = openapi_file_name(coder_profile(profile).name)
    return openapi_document(profile), PROJECT_DOCUMENT.format(file=openapi_file)


def _add_stateful_links(content: dict[str, Any]) -> tuple[str, ...]:
    keyword = "x-links" if "swagger" in content else "links"
    list_logs = audit_operation(content, "get", "/audit") or {}
    operation_id = list_logs.get("operationId")
    if not isinstance(operation_id, str):
        return ()
    added: list[str] = []
    for (method, suffix, status), links in STATEFUL_LINKS.items():
        response = ((audit_operation(content, method, suffix) or {}).get("responses") or {}).get(
            status
        )
        if isinstance(response, dict) and keyword not in response:
            response[keyword] = {
                name: {"operationId": operation_id, **copy.deepcopy(dict(link))}
                for name, link in links.items()
            }
            added += links
    return tuple(added)


def _read_file(location: str) -> object:
    path = pathlib.Path(location)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ContractError(
            f"cannot read the schema {location!r}: {error.strerror or error}; give a JSON file "
            "or an http(s) URL"
        ) from None
    return _parse_json(text, location)


def _fetch(url: str, target: Target | None) -> object:
    same_origin = target is not None and url.startswith(str(target.client.base_url).rstrip("/"))
    try:
        if target is not None and same_origin:
            headers = target.auth() if target.token is not None else {}
            response = target.client.get(url, headers=headers)
        else:
            response = httpx.get(url, timeout=DEFAULT_REQUEST_TIMEOUT_SECONDS)
    except httpx.HTTPError as error:
        raise ContractError(f"cannot fetch the schema {url}: {error}") from None
    if response.status_code != 200:
        raise ContractError(
            f"cannot fetch the schema {url}: it answered {response.status_code}; a Coder "
            "server serves its Swagger at /swagger/doc.json only with CODER_SWAGGER_ENABLE=true"
        )
    return _parse_json(response.text, url)


def _parse_json(text: str, source: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ContractError(f"the schema {source} is not JSON: {error}") from None


def _base_path(document: Mapping[str, Any]) -> str:
    if "swagger" in document:
        return str(document.get("basePath") or "/")
    servers = document.get("servers") or [{"url": "/"}]
    return urlsplit(str(servers[0].get("url", "/"))).path or "/"


_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_READ_METHODS = frozenset({"get", "head", "options"})


def load_schema(
    target: Target,
    *,
    schema: str | ContractDocument | None = None,
    seed: int = 0,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
    continue_on_failure: bool = False,
    ledger: WaiverLedger | None = None,
) -> schemathesis.BaseSchema:
    """A Schemathesis schema of the document, bound to `target`, with the owner's token.

    Args:
        target: the server (see `open_target`); in-process targets are called through ASGI.
        schema: a location for `read_document`, an already read document, or None for the
            project's own document.
        seed: Hypothesis's seed: the same seed generates the same requests.
        max_examples: examples per operation in the fuzzing phase (the examples and coverage
            phases add their own deterministic cases).
        continue_on_failure: keep testing an operation after its first failure.
        ledger: records the failures that failure waivers excuse.

    Example:
        >>> from coder_audit_mock.contracts import open_target
        >>> with open_target() as target:
        ...     schema = load_schema(target, seed=1, max_examples=5)
        ...     sorted(schema)
        ['/api/v2/audit', '/api/v2/audit/testgenerate']
    """
    document = (
        schema if isinstance(schema, ContractDocument) else read_document(schema, target=target)
    )
    config: dict[str, Any] = {
        "seed": seed,
        # Generating `q` from the grammar's long pattern is slow by Hypothesis's measure; the
        # run is bounded by max_examples instead.
        "suppress-health-check": ["too_slow"],
        "workers": 1,  # a check's follow-up requests must not interleave with other writes
        "continue-on-failure": continue_on_failure,
        "request-timeout": DEFAULT_REQUEST_TIMEOUT_SECONDS,
        "cache": {"enabled": False},
        # Curl commands keep the real headers: the runner hides the owner's token itself, while
        # Schemathesis's masking also hid the invalid tokens of ignored_auth's reproductions.
        "output": {"sanitization": {"enabled": False}},
        "analysis": {"constants": {"enabled": False}},
        "generation": {
            "max-examples": max_examples,
            "database": "none",
            "deterministic": True,
            "with-security-parameters": False,
        },
        # Listing it turns the check on (all others are on by default).
        "checks": {"max_response_time": DEFAULT_MAX_RESPONSE_SECONDS},
    }
    if target.app is None:
        origin = str(target.client.base_url).rstrip("/")
        config["base-url"] = origin + document.base_path.rstrip("/")
    bound: schemathesis.BaseSchema = schemathesis.openapi.from_dict(
        copy.deepcopy(dict(document.content)), config=schemathesis.Config.from_dict(config)
    )
    if not target.may_write:
        # A read-only run sends no request that could write: every operation but the reads
        # is left out (schemathesis `exclude`); probing GET with other methods stays (405).
        bound = bound.exclude(method=[m for m in _METHODS if m not in _READ_METHODS])
    if target.app is not None:
        bound.app = target.app
    if target.token is not None:
        _authenticate(bound, target.token)
    _excuse_waived_failures(bound, document.waivers, ledger or WaiverLedger())
    return bound


def _authenticate(schema: schemathesis.BaseSchema, token: str) -> None:
    # An auth provider rather than config headers: only then does ST401 (ignored_auth) know the
    # credentials are real and probe each carrier with an invalid token (found by the
    # schemathesis-mock tests under pytest; the engine behaves the same with a provider).
    @schema.auth()
    class OwnerToken:
        """The owner's session token in `Coder-Session-Token` on every request."""

        def get(self, case: schemathesis.Case[Any], context: schemathesis.AuthContext) -> str:
            return token

        def set(
            self, case: schemathesis.Case[Any], data: str, context: schemathesis.AuthContext
        ) -> None:
            case.headers[TOKEN_HEADER] = data


def _excuse_waived_failures(
    schema: schemathesis.BaseSchema, waivers: tuple[Waiver, ...], ledger: WaiverLedger
) -> None:
    excusing = [waiver for waiver in waivers if waiver.excuses is not None]
    if not excusing:
        return

    @schema.hook
    def filter_failure(
        context: schemathesis.HookContext,
        failure: Failure,
        case: schemathesis.Case[Any],
        response: schemathesis.Response,
    ) -> bool:
        exchange = Exchange(
            operation=case.operation.label,
            failure_code=failure.code,
            failure_message=failure.message,
            request_body=case.body if isinstance(case.body, dict | list) else None,
            status_code=response.status_code,
            response_body=_json_or_none(response.content),
            query=query_of_url(str(response.request.url)),
        )
        for waiver in excusing:
            if waiver.excuses is not None and waiver.excuses(exchange):
                ledger.record(
                    waiver.id, f"{case.method} {case.formatted_path} {exchange.request_body!r}"
                )
                return False  # dropped: a known, correct behaviour of the server
        return True


def _json_or_none(content: bytes) -> Any:
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None
