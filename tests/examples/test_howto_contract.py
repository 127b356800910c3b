"""How to write your own contract tests with the schema fixture.

`coder_audit_schema` is the project's OpenAPI document as a Schemathesis schema bound to the
in-process mock, or to a real server with `--coder-audit-url URL` (and CODER_SESSION_TOKEN),
sending the owner's token. The same tests then check the mock and your Coder deployment.

The first test works on every pytest the kit supports. The second uses
`schemathesis.pytest.from_fixture`, which on pytest 9.2 fails with `AttributeError: 'Function'
object has no attribute '_nodeid'` (Schemathesis 4.32 sets a private attribute pytest 9.2
removed): on pytest 9.2 it skips and says so. The kit itself does not need it.
"""

import pytest
import schemathesis
from hypothesis import settings


def test_the_queries_your_client_sends_conform(coder_audit_schema, coder_audit_target):
    listing = coder_audit_schema["/api/v2/audit"]["GET"]
    for query in ({"limit": 5}, {"q": "action:create", "offset": 25}, {"q": "action:bogus"}):
        case = listing.Case(query=query, headers=coder_audit_target.auth("auditor"))

        response = case.call()

        case.validate_response(response)  # status, headers and body as the document says


schema = schemathesis.pytest.from_fixture("coder_audit_schema")


@pytest.mark.slow  # generating requests from the document's patterns takes a while
@pytest.mark.skipif(
    pytest.version_tuple >= (9, 2),
    reason="schemathesis.pytest.from_fixture breaks on pytest 9.2 (Node._nodeid was removed)",
)
@schema.include(method="GET").parametrize()
@settings(max_examples=10)
def test_generated_listing_requests_conform(case):
    case.call_and_validate()
