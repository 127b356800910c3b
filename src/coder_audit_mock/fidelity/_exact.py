"""The exact differential: the same requests to two servers that hold the same data.

```
exact_diff(left, right, requests)          -> ExactReport   every request to both, compared
assert_same_answers(left, right, requests) -> None          pytest: raises ExactMismatch
diff_against_mock(url, token)              -> ExactReport   record a server, compare it with
                                                            a mock of the recording
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
import time
from collections.abc import Iterable, Sequence

import httpx

from .._curl import curl_command
from ._catalogue import CatalogueEntry, exchange_requests
from ._corpus import scenario_client
from ._errors import ExactMismatch
from ._exchange import ExchangeRequest, Mismatch, compare, send, ties_in_id_order
from ._record import Progress, record_scenario, stderr_progress

__all__ = [
    "ExactDifference",
    "ExactReport",
    "assert_same_answers",
    "diff_against_mock",
    "exact_diff",
]


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

    def curl(self, origin: str, secret: str | None = None) -> str:
        """A curl command that repeats the request against `origin`.

        `secret` (a session token) is written as `${CODER_SESSION_TOKEN}`, never in clear.

        Example:
            >>> d = ExactDifference("p", ExchangeRequest("GET", "/api/v2/audit",
            ...                     (("Coder-Session-Token", "s3cret"),)), ())
            >>> command = d.curl("http://c", secret="s3cret")
            >>> "s3cret" in command, command.endswith('"${CODER_SESSION_TOKEN}" http://c/api/v2/audit')
            (False, True)
        """
        return curl_command(
            self.request.method,
            origin.rstrip("/") + self.request.target,
            self.request.headers,
            self.request.body,
            options=("-sS",),
            always_method=True,
            url_last=True,
            data_option="--data-binary",
            hidden_in_headers={secret: "CODER_SESSION_TOKEN"} if secret else None,
        )


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

    def render(
        self, left: str = "left", right: str = "right", limit: int = 20, secret: str | None = None
    ) -> str:
        """A text report: the counts, then each difference with its paths and a curl.

        Example:
            >>> print(ExactReport(compared=3, differences=()).render("coder", "mock"))
            exact diff: 3 requests, 0 answered differently (coder != mock)
        """
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
            lines.append(f"    {difference.curl(left, secret)}")
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


def diff_against_mock(
    url: str,
    token: str,
    *,
    progress: Progress | None = stderr_progress,
    seed: int = 0,
) -> ExactReport:
    """Record the server at `url`, load the recording into a mock, and diff the two exactly.

    Sends only what cannot write: the catalogue without its writes, and without any
    testgenerate call that carries a working token (one the mock refuses might be stored by
    the server: a difference there would be a log written into it). Any difference is the
    mock's: both sides hold the same data.

    Args:
        url: a Coder server's origin.
        token: an owner's session token (the catalogue's requests use it; refused and
            unauthenticated requests are sent as well).
        progress: called with progress lines (default: stderr; None: quiet).
        seed: decides the catalogue's sampled values.

    Raises:
        RecordError: the server cannot be recorded (unreachable, not a Coder, token refused).

    Example:
        >>> diff_against_mock("http://127.0.0.1:7080", owner_token).same  # doctest: +SKIP
        True
    """
    scenario = record_scenario(url, token, progress=progress)
    entries = [
        entry
        for entry in exchange_requests(scenario, {"owner": token}, writes=False, seed=seed)
        if not _may_write(entry.request, token)
    ]
    now_us = time.time_ns() // 1000
    with (
        httpx.Client(base_url=url, timeout=60.0) as left,
        scenario_client(scenario, base_url=url, now_us=now_us) as right,
    ):
        return exact_diff(left, right, entries)


def _may_write(request: ExchangeRequest, token: str) -> bool:
    """Whether a server might store something for `request`: a POST carrying the token."""
    if request.method == "GET":
        return False
    carried = " ".join(value for _, value in request.headers) + request.target
    return token in carried
