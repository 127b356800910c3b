"""The exact differential: the same requests to two servers that hold the same data.

```
exact_diff(left, right, requests)          -> ExactReport   every request to both, compared
assert_same_answers(left, right, requests) -> None          pytest: raises ExactMismatch
```

Answers are compared by `compare` (status, the headers in `COMPARED_HEADERS`, the whole body
field by field and then byte by byte), after `ties_in_id_order` on both sides: Coder's order
among logs of equal time depends on Postgres's plan, so ties are compared as a set. Each
difference names every differing JSON path, the first one first.

Typical use: `left` a real Coder, `right` the mock loaded with a scenario `record` made of it
(`coder-audit-mock diff --exact` does exactly this), requests from `exchange_requests`.
"""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Iterable, Sequence

import httpx

from ._catalogue import CatalogueEntry
from ._errors import ExactMismatch
from ._exchange import ExchangeRequest, Mismatch, compare, send, ties_in_id_order

__all__ = ["ExactDifference", "ExactReport", "assert_same_answers", "exact_diff"]


@dataclasses.dataclass(frozen=True, slots=True)
class ExactDifference:
    """One request the two servers answered differently.

    Example:
        >>> d = ExactDifference("paging", ExchangeRequest("GET", "/api/v2/audit"),
        ...                     (Mismatch("status", "200", "400"),))
        >>> d.first
        'status'
    """

    purpose: str
    request: ExchangeRequest
    mismatches: tuple[Mismatch, ...]

    @property
    def first(self) -> str:
        """The first differing place, e.g. `body.audit_logs[3].ip`."""
        return self.mismatches[0].where

    def curl(self, origin: str) -> str:
        """A curl command that repeats the request against `origin`."""
        parts = ["curl", "-sS", "-X", self.request.method]
        for name, value in self.request.headers:
            parts += ["-H", f"{name}: {value}"]
        if self.request.body is not None:
            parts += ["--data-binary", self.request.body]
        return shlex.join([*parts, origin.rstrip("/") + self.request.target])


@dataclasses.dataclass(frozen=True, slots=True)
class ExactReport:
    """What `exact_diff` compared and found.

    Example:
        >>> ExactReport(compared=3, differences=()).same
        True
    """

    compared: int
    differences: tuple[ExactDifference, ...]

    @property
    def same(self) -> bool:
        return not self.differences

    def render(self, left: str = "left", right: str = "right", limit: int = 20) -> str:
        """A text report: the counts, then each difference with its paths and a curl."""
        lines = [
            (
                f"exact diff: {self.compared} requests, {len(self.differences)} answered "
                f"differently ({left} != {right})"
            )
        ]
        for difference in self.differences[:limit]:
            lines.append(f"- {difference.purpose}: first difference at {difference.first}")
            lines += [f"    {mismatch}" for mismatch in difference.mismatches[:5]]
            if len(difference.mismatches) > 5:
                lines.append(f"    ... {len(difference.mismatches) - 5} more")
            lines.append(f"    {difference.curl(left)}")
        if len(self.differences) > limit:
            lines.append(f"... {len(self.differences) - limit} more differences")
        return "\n".join(lines)


def _requests(
    requests: Iterable[ExchangeRequest | CatalogueEntry],
) -> Iterable[tuple[str, ExchangeRequest, Sequence[str]]]:
    for item in requests:
        if isinstance(item, CatalogueEntry):
            yield item.purpose, item.request, item.volatile
        else:
            yield f"{item.method} {item.target}", item, ()


def exact_diff(
    left: httpx.Client,
    right: httpx.Client,
    requests: Iterable[ExchangeRequest | CatalogueEntry],
) -> ExactReport:
    """Send every request to both servers, in order, and compare the answers exactly.

    Args:
        left: a client whose base URL is one server (e.g. a real Coder).
        right: a client for the other (e.g. `mock_client(corpus)`, or the URL of `serve`).
        requests: `ExchangeRequest`s, or `exchange_requests(...)` entries (their volatile
            paths, such as the ids of written logs, are not compared).

    Example:
        >>> from starlette.testclient import TestClient  # doctest: +SKIP
        >>> from coder_audit_mock.mockserver import create_app  # doctest: +SKIP
        >>> a, b = TestClient(create_app()), TestClient(create_app())  # doctest: +SKIP
        >>> exact_diff(a, b, [ExchangeRequest("GET", "/api/v2/audit")]).same  # doctest: +SKIP
        True
    """
    compared = 0
    differences = []
    for purpose, request, volatile in _requests(requests):
        compared += 1
        expected = ties_in_id_order(send(left, request))
        actual = ties_in_id_order(send(right, request))
        mismatches = compare(expected, actual, volatile)
        if mismatches:
            differences.append(ExactDifference(purpose, request, tuple(mismatches)))
    return ExactReport(compared, tuple(differences))


def assert_same_answers(
    left: httpx.Client,
    right: httpx.Client,
    requests: Iterable[ExchangeRequest | CatalogueEntry],
) -> None:
    """`exact_diff`, for pytest: raises `ExactMismatch` (an `AssertionError`) on a difference.

    Example:
        >>> assert_same_answers(left_client, right_client, requests)  # doctest: +SKIP
    """
    report = exact_diff(left, right, requests)
    if not report.same:
        raise ExactMismatch(report.render(str(left.base_url), str(right.base_url)))
