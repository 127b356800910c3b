"""A Coder-faithful, in-memory mock of Coder's audit-log API.

`create_app()` gives an ASGI app that answers `GET /api/v2/audit` and
`POST /api/v2/audit/testgenerate` exactly as a current Coder server does, over a deterministic,
Faker-seeded fake deployment. This package needs only Starlette and Faker.

Example:
    >>> from starlette.testclient import TestClient
    >>> from coder_audit_mock.mockserver import DEFAULT_TOKENS, create_app
    >>> client = TestClient(create_app(seed=1, log_count=20))
    >>> response = client.get("/api/v2/audit", params={"q": "action:create"},
    ...                       headers={"Coder-Session-Token": DEFAULT_TOKENS["owner"]})
    >>> response.status_code
    200
"""

from ._app import DEFAULT_MAX_BODY_BYTES, MockServer, MockSettings, create_app, create_app_for
from ._document import openapi_document
from ._errors import CoderError, InvalidPagination, InvalidSearchQuery, MockServerError, Validation
from ._faults import FaultPlan, FaultRule
from ._generate import (
    DEFAULT_LOG_COUNT,
    DEFAULT_NOW_US,
    DEFAULT_SEED,
    DEFAULT_TOKENS,
    generate_deployment,
)
from ._journal import JournalEntry, RequestJournal
from ._model import (
    AUDIT_ACTIONS,
    BUILD_REASONS,
    BUILTIN_ROLES,
    NIL_UUID,
    RESOURCE_TYPES,
    AuditLog,
    Deployment,
)
from ._pagination import Page, parse_pagination
from ._render import format_time, render_log
from ._scenario import add_log, add_organization, add_user, export_scenario, load_scenario
from ._scenario_entry import ScenarioError
from ._scenario_files import read_scenario_file, write_scenario_file
from ._search import SearchFilter, parse_search_query
from ._standalone import ServeOptions, build_app
from ._store import COUNT_CAP, DEFAULT_LIMIT, AuditStore, Query

__all__ = [
    "AUDIT_ACTIONS",
    "BUILD_REASONS",
    "BUILTIN_ROLES",
    "COUNT_CAP",
    "DEFAULT_LIMIT",
    "DEFAULT_LOG_COUNT",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_NOW_US",
    "DEFAULT_SEED",
    "DEFAULT_TOKENS",
    "NIL_UUID",
    "RESOURCE_TYPES",
    "AuditLog",
    "AuditStore",
    "CoderError",
    "Deployment",
    "FaultPlan",
    "FaultRule",
    "InvalidPagination",
    "InvalidSearchQuery",
    "JournalEntry",
    "MockServer",
    "MockServerError",
    "MockSettings",
    "Page",
    "Query",
    "RequestJournal",
    "ScenarioError",
    "SearchFilter",
    "ServeOptions",
    "Validation",
    "add_log",
    "add_organization",
    "add_user",
    "build_app",
    "create_app",
    "create_app_for",
    "export_scenario",
    "format_time",
    "generate_deployment",
    "load_scenario",
    "openapi_document",
    "parse_pagination",
    "parse_search_query",
    "read_scenario_file",
    "render_log",
    "write_scenario_file",
]
