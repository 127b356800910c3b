"""Errors of the mock server.

```
CoderAuditMockError              the project's misuse root (coder_audit_mock._errors)
└── MockServerError              misuse of the library (bad settings, bad scenario) - a Python error
CoderError                       an error the mock answers with, as Coder's `codersdk.Response` body
├── InvalidPagination            400 "Query parameters have invalid values."  (§3.4)
├── InvalidSearchQuery           400 "Invalid audit search query."            (§2.1)
└── LogLimitReached              507 past --max-logs (_store)
```
The two families are apart on purpose: a `CoderError` is an answer, not a misuse, so
`except MockServerError` never swallows one (and the reverse).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from coder_audit_mock._errors import CoderAuditMockError


class MockServerError(CoderAuditMockError):
    """Root of the mock server's misuse errors (under the project's `CoderAuditMockError`).

    Example:
        >>> try:
        ...     raise MockServerError("bad settings")
        ... except MockServerError as error:
        ...     str(error)
        'bad settings'
    """


@dataclasses.dataclass(frozen=True, slots=True)
class Validation:
    """One entry of Coder's `validations` array: the offending field and why.

    Example:
        >>> Validation("limit", "bad").as_json()
        {'field': 'limit', 'detail': 'bad'}
    """

    field: str
    detail: str

    def as_json(self) -> dict[str, str]:
        return {"field": self.field, "detail": self.detail}


class CoderError(Exception):
    """An error answered as Coder answers it: `codersdk.Response` (§1.5).

    `detail` and `validations` are omitted from the body when empty, as Go's `omitempty` does.

    Example:
        >>> CoderError(404, "Route not found.").body()
        {'message': 'Route not found.'}
    """

    def __init__(
        self,
        status_code: int,
        message: str,
        detail: str = "",
        validations: tuple[Validation, ...] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status_code, message, detail, validations)
        self.status_code = status_code
        self.message = message
        self.detail = detail
        self.validations = tuple(validations)
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message}
        if self.detail:
            body["detail"] = self.detail
        if self.validations:
            body["validations"] = [v.as_json() for v in self.validations]
        return body

    def __str__(self) -> str:
        parts = [f"{self.status_code}: {self.message}"]
        if self.detail:
            parts.append(self.detail)
        parts.extend(f"{v.field}: {v.detail}" for v in self.validations)
        return " | ".join(parts)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code!r}, message={self.message!r}, "
            f"detail={self.detail!r}, validations={self.validations!r})"
        )


class InvalidPagination(CoderError, ValueError):
    """`after_id`, `limit` or `offset` is invalid: 400 with one validation per bad parameter.

    Example:
        >>> InvalidPagination((Validation("limit", "x"),)).status_code
        400
    """

    MESSAGE = "Query parameters have invalid values."

    def __init__(self, validations: tuple[Validation, ...]) -> None:
        super().__init__(400, self.MESSAGE, validations=validations)


class InvalidSearchQuery(CoderError, ValueError):
    """The search query `q` is invalid: 400 with one validation per problem (§2.1).

    Example:
        >>> InvalidSearchQuery((Validation("q", "x"),)).body()["message"]
        'Invalid audit search query.'
    """

    MESSAGE = "Invalid audit search query."

    def __init__(self, validations: tuple[Validation, ...]) -> None:
        super().__init__(400, self.MESSAGE, validations=validations)
