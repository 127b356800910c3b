"""One contract run: the semantic checks, then every Schemathesis check over every phase.

```
run_contract(target, schema=..., seed=..., depth=..., profile=...)
├── probe_target       can the target be used at all? (else UnusableTarget: exit code 3)
├── SEMANTIC_CHECKS    the properties no schema can state (checks.py)
└── Schemathesis       its engine (what `st run` drives), in-process or over HTTP:
│                      phases examples, coverage, fuzzing, stateful (when the document has
│                      links); every check that applies, max_response_time included
└── SEMANTIC_CHECKS    the properties no schema can state (checks.py)
-> ContractReport      failures (check, operation, reason, seed, curl, response), waivers
                       applied, per-check tallies, and a digest of every request sent
```

The engine is Schemathesis's own (`schemathesis.engine.from_schema(schema).execute()`), the
one its command line runs; its CLI itself only speaks HTTP, while the engine calls an ASGI app
in-process just as well, so both targets run the same code.
"""

from __future__ import annotations

import dataclasses
import re
import shlex
import time
import types
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from schemathesis.engine import Status, StopReason, events, from_schema
from schemathesis.engine.recorder import ScenarioRecorder

from ..mockserver import DEFAULT_TOKENS
from ._access import UnusableTarget, guard_mock_data, identify_access
from ._coder import DEFAULT_PROFILE, CoderRules
from ._determinism import reproducible_generation
from ._errors import ContractError, ContractViolation
from ._schema import ContractDocument, coder_profile, load_schema, read_document
from ._target import RequestStream, Target
from ._waivers import DocumentKind, Waiver, WaiverLedger
from .checks import SEMANTIC_CHECKS, CheckOutcome

if TYPE_CHECKING:
    import schemathesis
    from schemathesis.core.failures import Failure

__all__ = [
    "DEPTHS",
    "AppliedWaiver",
    "CheckTally",
    "ContractFailure",
    "ContractReport",
    "Depth",
    "SemanticResult",
    "UnusableTarget",
    "probe_target",
    "run_contract",
]

TOKEN_VARIABLE = "${CODER_SESSION_TOKEN}"
IN_PROCESS_ORIGIN = "http://testserver"  # what the in-process ASGI transport calls the app
MOCK_ORIGIN = "http://127.0.0.1:3000"  # `coder-audit-mock serve` by default
MOCK_NOTE = "# against the mock: coder-audit-mock serve --port 3000 (same seed and log count)\n"
MAX_BODY_CHARS = 2000
# Schemathesis marks each request with a random id; it is no part of what the server receives
# as far as reproducibility goes.
_VOLATILE_HEADERS = frozenset({"x-schemathesis-testcaseid"})


@dataclasses.dataclass(frozen=True, slots=True)
class Depth:
    """How much a run explores (`--depth`; the Coder version is `--profile`).

    Attributes:
        name: "quick" or "thorough".
        max_examples: Schemathesis examples per operation in the fuzzing phase.
        semantic_examples: Hypothesis examples per semantic check.
        continue_on_failure: keep testing an operation after its first failure.

    Example:
        >>> DEPTHS["quick"].max_examples
        25
    """

    name: str
    max_examples: int
    semantic_examples: int
    continue_on_failure: bool


DEPTHS: Mapping[str, Depth] = types.MappingProxyType(
    {
        "quick": Depth(
            "quick",
            max_examples=25,
            semantic_examples=8,
            continue_on_failure=False,
        ),
        "thorough": Depth(
            "thorough",
            max_examples=200,
            semantic_examples=60,
            continue_on_failure=True,
        ),
    }
)


@dataclasses.dataclass(frozen=True, slots=True)
class ContractFailure:
    """One way the server broke the contract, with what it takes to reproduce it.

    Attributes:
        check: the check's name, e.g. "not_a_server_error" or "newest_first".
        operation: e.g. "GET /api/v2/audit" ("" when the check spans operations).
        title: one line saying what went wrong.
        reason: the details: expected versus received.
        seed: the seed of the run that found it.
        curl: a curl command that sends the (minimal) failing request ("" when none).
        response: the response received: status line, headers and (truncated) body.
        code: Schemathesis's failure code, e.g. "ST101" ("" for semantic checks).
        phase: where it was found: examples, coverage, fuzzing, stateful, semantic or engine.

    Example:
        >>> ContractFailure("newest_first", "GET /api/v2/audit", "Logs out of order", "...", 0, "", "").check
        'newest_first'
    """

    check: str
    operation: str
    title: str
    reason: str
    seed: int
    curl: str
    response: str
    code: str = ""
    phase: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class CheckTally:
    """How often one Schemathesis check passed and failed on one operation.

    Example:
        >>> CheckTally("not_a_server_error", "GET /api/v2/audit", passed=120, failed=0).failed
        0
    """

    check: str
    operation: str
    passed: int
    failed: int
    seconds: float = 0.0


@dataclasses.dataclass(frozen=True, slots=True)
class SemanticResult:
    """The outcome of one semantic check (see `coder_audit_mock.contracts.checks`).

    Example:
        >>> SemanticResult("auth_enforced", "passed", "", 8).status
        'passed'
    """

    name: str
    status: str
    reason: str
    examples_run: int
    seconds: float = 0.0


@dataclasses.dataclass(frozen=True, slots=True)
class AppliedWaiver:
    """A waiver a run applied, and how many failures it excused (failure waivers only).

    Example:
        >>> from coder_audit_mock.contracts import WAIVERS
        >>> AppliedWaiver(WAIVERS["user-may-be-null"], excused=0).waiver.reference
        '§4.5'
    """

    waiver: Waiver
    excused: int


@dataclasses.dataclass(frozen=True, slots=True)
class ContractReport:
    """Everything a contract run found.

    Attributes:
        target: the server checked ("in-process mock" or its origin).
        schema: where the API document came from.
        document_kind: project / Coder NEWEST / Coder EARLY / other.
        seed, depth, profile, max_examples: the run's settings (rerun with the same to
            reproduce); `profile` is the Coder version checked for ("newest", "2023-01").
        failures: every distinct failure, Schemathesis's first, then the semantic checks'.
        checks: per Schemathesis check and operation, how often it passed and failed.
        semantic: the semantic checks' outcomes.
        waivers: the waivers applied.
        links: the links the kit added to the document for the stateful phase.
        phases: (phase, what happened) for examples, coverage, fuzzing and stateful.
        requests_sent: every request the run sent: the semantic checks' and Schemathesis's.
        request_digest: SHA-256 of those requests in order (method, URL, headers, body): the
            same seed, depth, profile and schema against the same server give the same digest,
            whatever the install, the entry point or the working directory.
        elapsed_seconds: wall time of the run.
        access: whose token the run used and whether it wrote (`Access.describe`).
        data: what happened to the target's data (a mock's is put back after the run).
        semantic_requests: how many of `requests_sent` the semantic checks sent (first).
        read_only: the run wrote nothing (checks that need writes were left out).

    Example:
        >>> from coder_audit_mock.contracts import open_target
        >>> with open_target() as target:  # doctest: +SKIP
        ...     run_contract(target, seed=3).passed
        True
    """

    target: str
    schema: str
    document_kind: DocumentKind
    seed: int
    depth: str
    profile: str
    max_examples: int
    failures: tuple[ContractFailure, ...]
    checks: tuple[CheckTally, ...]
    semantic: tuple[SemanticResult, ...]
    waivers: tuple[AppliedWaiver, ...]
    links: tuple[str, ...]
    phases: tuple[tuple[str, str], ...]
    requests_sent: int
    request_digest: str
    elapsed_seconds: float
    access: str = ""
    data: str = ""
    semantic_requests: int = 0
    read_only: bool = False

    @property
    def passed(self) -> bool:
        """True when nothing failed."""
        return not self.failures


def probe_target(target: Target) -> None:
    """Raise `UnusableTarget` unless the target's token reads `GET /api/v2/audit` on Coder.

    A server error (5xx) is no reason: that server is broken, and the run says how. What is
    refused: no connection, a 401 (every check would pass on 401s, schemathesis-notes.md §3),
    a 403 (the token's role may not read: the message names it), or an answer that is not
    Coder's JSON (a wrong URL). `run_contract` does this first (`identify_access`).

    Example:
        >>> from coder_audit_mock.contracts import open_target
        >>> with open_target() as target:
        ...     probe_target(target)  # the in-process mock is usable: no error
    """
    identify_access(target)


def run_contract(
    target: Target,
    *,
    schema: str | ContractDocument | None = None,
    seed: int = 0,
    max_examples: int | None = None,
    depth: str = "quick",
    profile: str = DEFAULT_PROFILE,
    semantic: bool = True,
    allow_writes: bool | None = None,
    admin_token: str | None = None,
) -> ContractReport:
    """Check `target` against the contract: the semantic checks, then Schemathesis.

    Args:
        target: the server (see `open_target`) with a token that may read audit logs: an
            owner's runs every check, an auditor's (or an organization reader's) the read-only
            ones. This project's mock by URL needs none (its tokens are read from it).
        schema: the API document: None for the project's own in `profile`
            (`openapi_document(profile)`), a JSON file path or URL (e.g.
            Coder's own Swagger 2.0, with the waivers of `WAIVERS` applied), or a document read
            by `read_document`.
        seed: the same seed sends the same requests; every failure names it.
        max_examples: overrides the depth's examples per operation (and per semantic check).
        depth: "quick" or "thorough" (`DEPTHS`).
        profile: the Coder version the target should answer as: "newest" or "2023-01" (the
            kit's rules of it: `coder_audit_mock.contracts._coder.RULES`, docs/profiles.md).
        semantic: also run `SEMANTIC_CHECKS`.
        allow_writes: None (default): the run writes test audit logs only in-process and into
            this project's mock by URL (whose data it puts back afterwards); any other server
            is checked read-only. True: also write into other servers (an owner's token is
            needed). False: read-only everywhere.
        admin_token: this mock's admin token (`serve --admin-token`), to read its tokens and
            put its data back.

    Raises:
        UnusableTarget: the target cannot be reached, refuses the token, or the token may not
            read audit logs (the message names its role).
        ContractError: a bad argument (unknown depth or profile, unreadable schema, no token).

    Example:
        >>> from coder_audit_mock.contracts import open_target
        >>> with open_target() as target:  # doctest: +SKIP
        ...     report = run_contract(target, seed=7, depth="quick")
        >>> report.passed, report.seed  # doctest: +SKIP
        (True, 7)
    """
    if depth not in DEPTHS:
        raise ContractError(f"unknown depth {depth!r}: expected one of {', '.join(DEPTHS)}")
    coder = coder_profile(profile)
    chosen = DEPTHS[depth]
    examples = chosen.max_examples if max_examples is None else max_examples
    started = time.monotonic()
    target, access = identify_access(target, allow_writes=allow_writes, admin_token=admin_token)
    document = (
        schema
        if isinstance(schema, ContractDocument)
        else read_document(schema, target=target, profile=profile)
    )
    ledger = WaiverLedger()
    bound = load_schema(
        target,
        schema=document,
        seed=seed,
        max_examples=examples,
        continue_on_failure=chosen.continue_on_failure,
        ledger=ledger,
    )
    run = _EngineRun(seed, _CurlRewriter(target), target.stream)
    with guard_mock_data(target, access, admin_token) as restored, reproducible_generation():
        # The semantic checks go first: they reason about the data they read and write, and
        # Schemathesis's writes (logs dated year 0001 or 9999, say) are legal but make that
        # harder.
        semantic_results, semantic_failures = (
            _run_semantic(
                target,
                seed,
                chosen.semantic_examples if max_examples is None else max_examples,
                coder,
            )
            if semantic
            else ((), ())
        )
        semantic_requests = target.stream.count
        run.consume(from_schema(bound).execute())
    excused = ledger.counts()
    return ContractReport(
        target=target.description,
        schema=document.source,
        document_kind=document.kind,
        seed=seed,
        depth=depth,
        profile=coder.name,
        max_examples=examples,
        failures=(*run.failures(), *semantic_failures),
        checks=run.tallies(),
        semantic=semantic_results,
        waivers=tuple(AppliedWaiver(w, excused.get(w.id, 0)) for w in document.waivers),
        links=document.links,
        phases=tuple(run.phases),
        requests_sent=target.stream.count,
        request_digest=target.stream.hexdigest(),
        elapsed_seconds=round(time.monotonic() - started, 2),
        access=access.describe(),
        data=" ".join(restored),
        semantic_requests=semantic_requests,
        read_only=not target.may_write,
    )


class _CurlRewriter:
    """Makes Schemathesis's curl commands runnable by the reader.

    In-process requests go to `http://testserver`: they are pointed at a `serve`d mock instead.
    The owner's token is written as `${CODER_SESSION_TOKEN}` unless it is one of the mock's
    public ones (Schemathesis's own masking is off: it also hid the invalid tokens that
    ignored_auth's reproductions need).
    """

    def __init__(self, target: Target) -> None:
        self.in_process = target.in_process
        token = target.token or ""
        self.secret = token if token and token not in DEFAULT_TOKENS.values() else ""

    def __call__(self, curl: str) -> str:
        if self.secret:
            # Closes the single quotes Schemathesis puts around header values, so the shell
            # expands the variable there.
            curl = curl.replace(self.secret, f"'\"{TOKEN_VARIABLE}\"'")
        if self.in_process and IN_PROCESS_ORIGIN in curl:
            curl = MOCK_NOTE + curl.replace(IN_PROCESS_ORIGIN, MOCK_ORIGIN)
        return curl


class _EngineRun:
    """Reads Schemathesis's event stream into failures, tallies, phases and a request digest."""

    def __init__(self, seed: int, rewrite: _CurlRewriter, stream: RequestStream) -> None:
        self.seed = seed
        self.rewrite = rewrite
        self.phases: list[tuple[str, str]] = []
        self.stream = stream
        self._failures: dict[tuple[str, object], ContractFailure] = {}
        self._tallies: dict[tuple[str, str], list[float]] = {}
        self._successes: dict[str, int] = {}

    def consume(self, stream: Iterable[events.EngineEvent]) -> None:
        for event in stream:
            if isinstance(event, events.PhaseFinished):
                self._phase(event)
            elif isinstance(event, events.ScenarioFinished):
                self._scenario(event.phase.value, event.recorder)
            elif isinstance(event, events.NonFatalError):
                self._error(
                    event.label, event.info.title, event.info.message, event.info.code_sample
                )
            elif isinstance(event, events.FatalError):
                self._error("engine", "Schemathesis stopped", repr(event.exception), None)
            elif isinstance(event, events.Interrupted):
                raise KeyboardInterrupt  # Ctrl-C: the engine stopped; a partial run proves nothing
            elif isinstance(event, events.EngineFinished):
                self._finished(event)

    def _finished(self, event: events.EngineFinished) -> None:
        for failure in event.failures:
            self._add("after_run", failure, failure.operation or "", "", "", "engine")
        if event.stop_reason != StopReason.COMPLETED:
            # E.g. the server stopped answering: the phases left are skipped, not passed.
            why = event.stop_reason.skip_explanation or event.stop_reason.value
            self._error("engine", "Schemathesis stopped early", why, None)

    def failures(self) -> tuple[ContractFailure, ...]:
        silent = [
            ContractFailure(
                check="successful_response",
                operation=operation,
                title="No successful response at all",
                reason="Every request to this operation was refused, so every other check passed "
                "on error responses alone (schemathesis-notes.md §3). May the token read audit "
                "logs (and write them, for testgenerate)?",
                seed=self.seed,
                curl="",
                response="",
                phase="engine",
            )
            for operation, successes in self._successes.items()
            if successes == 0
        ]
        return (*self._failures.values(), *silent)

    def tallies(self) -> tuple[CheckTally, ...]:
        return tuple(
            CheckTally(check, operation, int(passed), int(failed), round(seconds, 3))
            for (operation, check), (passed, failed, seconds) in sorted(self._tallies.items())
        )

    def _phase(self, event: events.PhaseFinished) -> None:
        name = event.phase.name.value
        if name in ("examples", "coverage", "fuzzing", "stateful"):
            skipped = event.phase.skip_reason
            outcome = (
                f"skipped: {skipped.value}"
                if event.status == Status.SKIP and skipped
                else event.status.value
            )
            self.phases.append((name, outcome))

    def _scenario(self, phase: str, recorder: ScenarioRecorder) -> None:
        for case_id, interaction in recorder.interactions.items():
            request = interaction.request
            headers = {
                name: ", ".join(values)
                for name, values in request.headers.items()
                if name.lower() not in _VOLATILE_HEADERS
            }
            self.stream.record(request.method, request.uri, headers, request.body or b"")
            case = recorder.cases.get(case_id)
            if case is not None and interaction.response is not None:
                label = case.value.operation.label
                succeeded = 200 <= interaction.response.status_code < 300
                self._successes[label] = self._successes.get(label, 0) + succeeded
        for case_id, checks in recorder.checks.items():
            node = recorder.cases.get(case_id)
            label = node.value.operation.label if node is not None else recorder.label
            judged = recorder.interactions.get(case_id)
            response = judged.response if judged is not None else None
            # A check's time is that of the answers it judged (JUnit shows it per case).
            seconds = float(getattr(response, "elapsed", 0.0) or 0.0)
            for check in checks:
                tally = self._tallies.setdefault((label, check.name), [0, 0, 0.0])
                tally[check.status == Status.FAILURE] += 1
                tally[2] += seconds
                if check.failure_info is not None:
                    failure = check.failure_info.failure
                    response = recorder.find_response(case_id=failure.case_id or case_id)
                    curl = "\n".join(step.curl for step in check.failure_info.steps) or (
                        check.failure_info.code_sample
                    )
                    self._add(check.name, failure, label, curl, _describe(response), phase)

    def _add(
        self, check: str, failure: Failure, operation: str, curl: str, response: str, phase: str
    ) -> None:
        self._failures.setdefault(
            (check, failure),
            ContractFailure(
                check=check,
                operation=operation,
                title=failure.title,
                reason=failure.message,
                seed=self.seed,
                curl=self.rewrite(curl),
                response=response,
                code=failure.code,
                phase=phase,
            ),
        )

    def _error(self, label: str, title: str, message: str, code_sample: str | None) -> None:
        failure = ContractFailure(
            check="error",
            operation=label,
            title=title,
            reason=message,
            seed=self.seed,
            curl=self.rewrite(code_sample or ""),
            response="",
            phase="engine",
        )
        self._failures.setdefault(("error", (label, title, message)), failure)


def _describe(response: schemathesis.Response | None) -> str:
    """The response as text: status line, headers, then the body (truncated)."""
    if response is None:
        return "(no response)"
    lines = [f"HTTP {response.status_code}"]
    lines += [f"{name}: {value}" for name, values in response.headers.items() for value in values]
    body = response.content.decode("utf-8", "replace")
    if len(body) > MAX_BODY_CHARS:
        body = f"{body[:MAX_BODY_CHARS]}... ({len(body) - MAX_BODY_CHARS} more characters)"
    return "\n".join([*lines, "", body]) if body else "\n".join(lines)


def _run_semantic(
    target: Target, seed: int, max_examples: int, profile: CoderRules
) -> tuple[tuple[SemanticResult, ...], tuple[ContractFailure, ...]]:
    results: list[SemanticResult] = []
    failures: list[ContractFailure] = []
    for name, check in SEMANTIC_CHECKS.items():
        outcome = check.run(target, seed=seed, max_examples=max_examples, profile=profile)
        results.append(
            SemanticResult(
                name, outcome.status, outcome.reason, outcome.examples_run, outcome.seconds
            )
        )
        if outcome.status == "failed":
            failures.append(_semantic_failure(name, outcome, seed))
    return tuple(results), tuple(failures)


def _semantic_failure(name: str, outcome: CheckOutcome, seed: int) -> ContractFailure:
    violation = outcome.violation or ContractViolation(
        check=name, title=outcome.reason or "The check failed", message=outcome.reason
    )
    reason, _, response = violation.message.partition("\n\nResponse:\n")
    return ContractFailure(
        check=name,
        operation=_operation_of(violation.request),
        title=violation.title,
        reason=reason,
        seed=seed,
        curl=violation.request,
        response=response,
        phase="semantic",
    )


def _operation_of(curl: str) -> str:
    """The operation a curl command line sends, e.g. "GET /api/v2/audit" ("" if none)."""
    command = next((line for line in curl.splitlines() if line.startswith("curl")), "")
    try:
        words = shlex.split(command)
    except ValueError:
        return ""
    url = next((word for word in words if re.match(r"https?://", word)), None)
    if url is None:
        return ""
    method = words[words.index("-X") + 1] if "-X" in words[:-1] else "GET"
    return f"{method} {urlsplit(url).path}"
