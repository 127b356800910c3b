"""Errors of the fidelity tools.

```
FidelityError(CoderAuditMockError) misuse or an unusable server: fix the call or the server
└── RecordError                   `record` cannot read the server (unreachable, not a Coder,
                                  the token refused); nothing is written
ExactMismatch(AssertionError)     two answers that should be identical are not (pytest: an F)
```
"""

from __future__ import annotations

from coder_audit_mock._errors import CoderAuditMockError


class FidelityError(CoderAuditMockError):
    """Root of the fidelity tools' misuse errors; the message names the fix.

    Example:
        >>> str(FidelityError("no corpus at tests/fidelity/corpus"))
        'no corpus at tests/fidelity/corpus'
    """


class RecordError(FidelityError):
    """The server cannot be recorded: unreachable, not a Coder, or the token is refused.

    Example:
        >>> str(RecordError("the server refuses the token: 401"))
        'the server refuses the token: 401'
    """


class ExactMismatch(AssertionError):
    """Answers that should be byte-for-byte the same differ; the message names the first path.

    Example:
        >>> str(ExactMismatch("exchange 12: body.audit_logs[0].ip: '::1' != ''"))
        "exchange 12: body.audit_logs[0].ip: '::1' != ''"
    """
