"""coder-audit-mock: a Coder-faithful mock of Coder's audit-log API, with contract tests and pytest fixtures.

Subpackages:
    `coder_audit_mock.mockserver`  the mock server (Starlette + Faker only)
    `coder_audit_mock.contracts`   Schemathesis/Hypothesis contract checks, for the mock or any server
    `coder_audit_mock.fixtures`    the pytest plugin (`pytest11` entry point `coder_audit`)

Errors: every misuse error of every part subclasses `CoderAuditMockError` (see `_errors`).

Example:
    >>> import coder_audit_mock
    >>> isinstance(coder_audit_mock.__version__, str)
    True
"""

from coder_audit_mock._errors import CoderAuditMockError

# The one place the version is written: pyproject.toml reads it ([tool.hatch.version]), and
# CHANGELOG.md has a section for it.
__version__ = "0.1.0"

__all__ = ["CoderAuditMockError", "__version__"]
