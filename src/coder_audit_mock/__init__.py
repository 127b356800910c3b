"""coder-audit-mock: a Coder-faithful mock of Coder's audit-log API, with contract tests and pytest fixtures.

Subpackages:
    `coder_audit_mock.mockserver`  the mock server (Starlette + Faker only)
    `coder_audit_mock.contracts`   Schemathesis/Hypothesis contract checks, for the mock or any server
    `coder_audit_mock.fixtures`    the pytest plugin (`pytest11` entry point `coder_audit`)

Example:
    >>> import coder_audit_mock
    >>> isinstance(coder_audit_mock.__version__, str)
    True
"""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("coder-audit-mock")
except _metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
