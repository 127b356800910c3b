"""How to write your own contract test with the schema fixture.

`coder_audit_schema` is the project's OpenAPI document as a Schemathesis schema, bound to the
in-process mock, or to a real server with `--coder-audit-url URL` (and CODER_SESSION_TOKEN), and
sending the owner's token. The same test then checks the mock and your Coder deployment.
"""

import schemathesis
from hypothesis import settings

schema = schemathesis.pytest.from_fixture("coder_audit_schema")


@schema.include(method="GET").parametrize()
@settings(max_examples=10)
def test_listing_conforms_to_the_document(case):
    case.call_and_validate()
