"""Errors of the contract kit: two families, kept apart as Schemathesis keeps them.

```
ContractError(CoderAuditMockError) you asked for something impossible (no target, both targets,
                                  a missing extra, an unreadable schema): fix the call
ContractViolation(AssertionError) the server under test broke the contract: pytest reports an F
```
"""

from __future__ import annotations

from coder_audit_mock._errors import CoderAuditMockError


class ContractError(CoderAuditMockError):
    """Misuse of the contract kit; the message names the fix.

    Example:
        >>> str(ContractError("give a URL or an app, not both"))
        'give a URL or an app, not both'
    """


class ContractViolation(AssertionError):
    """The server under test broke the audit-log contract.

    Shown as the title, a blank line, then the message (like Schemathesis's `Failure`).

    Example:
        >>> print(ContractViolation(check="newest_first", title="Logs out of order", message="log 2 is older"))
        [newest_first] Logs out of order
        <BLANKLINE>
        log 2 is older
    """

    def __init__(self, *, check: str, title: str, message: str, request: str = "") -> None:
        super().__init__(title)
        self.check = check
        self.title = title
        self.message = message
        self.request = request  # a reproducing request, e.g. a curl command

    def __str__(self) -> str:
        text = f"[{self.check}] {self.title}\n\n{self.message}"
        if self.request:
            text += f"\n\nReproduce with:\n{self.request}"
        return text
