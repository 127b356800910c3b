"""The routes the contract kit sends requests to, written once for all its modules.

The kit's own copy, not the mock's (`mockserver._app` routes them): the kit states what Coder
serves, so a route the mock moved would be caught, not followed (tests/test_layers.py).

Example:
    >>> AUDIT_PATH, TESTGENERATE_PATH
    ('/api/v2/audit', '/api/v2/audit/testgenerate')
"""

from __future__ import annotations

AUDIT_PATH = "/api/v2/audit"  # §1.1
TESTGENERATE_PATH = AUDIT_PATH + "/testgenerate"  # §1.2
USERS_ME_PATH = "/api/v2/users/me"
