"""The one root of every misuse error the project raises, in every part.

A misuse error means "fix the call": bad settings, an unusable target, a bad scenario file.
Two other families are kept apart from it on purpose, as Schemathesis keeps its own:

```
CoderAuditMockError(Exception)          misuse: fix the call (catch this one to catch them all)
├── MockServerError                     mockserver: bad settings, bad scenario, unencodable log
├── ContractError                       contracts: no target, both targets, an unusable server
├── FidelityError                       fidelity: no corpus, an unrecordable server
├── LiveServerError (also RuntimeError) fixtures: the live server did not start in time
└── CliError, ConfigError               the command line: one line on stderr and an exit code

CoderError(Exception)                   an HTTP answer shaped as Coder's `codersdk.Response`
                                        (400/401/403/404/500...): the mock ANSWERS with it, it
                                        is no misuse and never escapes to a caller as one
AssertionError
├── ContractViolation                   the server under test broke the contract (pytest: F)
└── ExactMismatch                       two answers that should be identical are not
```

This module is stdlib-only and imports nothing, so every part (and the import-light pytest
plugin) can subclass the root without loading another part.
"""

from __future__ import annotations

__all__ = ["CoderAuditMockError"]


class CoderAuditMockError(Exception):
    """Root of every misuse error of coder-audit-mock; the message names the fix.

    Example:
        >>> from coder_audit_mock.mockserver import MockServerError
        >>> from coder_audit_mock.contracts import ContractError
        >>> issubclass(MockServerError, CoderAuditMockError), issubclass(ContractError, CoderAuditMockError)
        (True, True)
        >>> try:
        ...     raise ContractError("give a URL or an app, not both")
        ... except CoderAuditMockError as error:
        ...     str(error)
        'give a URL or an app, not both'
    """
