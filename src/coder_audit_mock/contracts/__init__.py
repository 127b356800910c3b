"""Contract tests of Coder's audit-log API, for the mock or any server (a real Coder included).

Run them from the command line (`coder-audit-mock check [--url URL]`), from pytest
(`pytest --pyargs coder_audit_mock.contracts.suite`), or build your own from the parts:

```
open_target(url=None, token=...)   the server: an in-process mock, or any origin by URL
read_document / load_schema        the API document (the project's own, or Coder's Swagger
                                   with the WAIVERS of its known differences) as a
                                   Schemathesis schema bound to the target
run_contract -> ContractReport     every Schemathesis check over every phase, then the
                                   SEMANTIC_CHECKS; render_report / write_junit_xml
checks, strategies                 the named semantic checks and the Hypothesis strategies
run_diff -> DiffReport             the same request stream to two servers, every difference
                                   with a minimal request; render_diff_report
```

The base install (server only) can import this package's errors and waivers; everything else
needs the extra: `pip install 'coder-audit-mock[contracts]'`.

Example:
    >>> from coder_audit_mock.contracts import open_target, run_contract
    >>> with open_target() as target:  # doctest: +SKIP
    ...     run_contract(target, seed=0, depth="quick").passed
    True
"""

from ._errors import ContractError, ContractViolation
from ._waivers import (
    CODER_DOCUMENTS,
    WAIVERS,
    DocumentKind,
    Exchange,
    Waiver,
    WaiverLedger,
    applicable_waivers,
)

try:
    from ._diff import Difference, DiffReport, ProbeRequest, render_diff_report, run_diff
    from ._report import render_failure, render_report, write_junit_xml
    from ._runner import (
        DEPTHS,
        AppliedWaiver,
        CheckTally,
        ContractFailure,
        ContractReport,
        Depth,
        SemanticResult,
        UnusableTarget,
        probe_target,
        run_contract,
    )
    from ._schema import ContractDocument, detect_kind, load_schema, read_document
    from ._target import Target, open_target
    from .checks import (
        DEFAULT_MAX_EXAMPLES,
        SEMANTIC_CHECKS,
        CheckOutcome,
        SemanticCheck,
        harvest_corpus,
    )
    from .strategies import (
        SEARCH_KEYS,
        Corpus,
        InvalidInput,
        LogFacts,
        SearchQuery,
        invalid_pagination,
        invalid_search_queries,
        parse_time,
        search_queries,
        testgenerate_bodies,
    )
except ModuleNotFoundError as _missing:
    # The server-only install: `coder-audit-mock --help` imports this package to list `check`.
    if (_missing.name or "").partition(".")[0] not in {"httpx", "hypothesis", "schemathesis"}:
        raise
    _MISSING_EXTRA = _missing

    def __getattr__(name: str) -> object:
        if name.startswith("_"):  # a submodule: let the import system try (and name the module)
            raise AttributeError(name)
        raise ImportError(
            f"coder_audit_mock.contracts.{name} needs the contracts extra: "
            "pip install 'coder-audit-mock[contracts]'"
        ) from _MISSING_EXTRA


__all__ = [
    "CODER_DOCUMENTS",
    "DEFAULT_MAX_EXAMPLES",
    "DEPTHS",
    "SEARCH_KEYS",
    "SEMANTIC_CHECKS",
    "WAIVERS",
    "AppliedWaiver",
    "CheckOutcome",
    "CheckTally",
    "ContractDocument",
    "ContractError",
    "ContractFailure",
    "ContractReport",
    "ContractViolation",
    "Corpus",
    "Depth",
    "DiffReport",
    "Difference",
    "DocumentKind",
    "Exchange",
    "InvalidInput",
    "LogFacts",
    "ProbeRequest",
    "SearchQuery",
    "SemanticCheck",
    "SemanticResult",
    "Target",
    "UnusableTarget",
    "Waiver",
    "WaiverLedger",
    "applicable_waivers",
    "detect_kind",
    "harvest_corpus",
    "invalid_pagination",
    "invalid_search_queries",
    "load_schema",
    "open_target",
    "parse_time",
    "probe_target",
    "read_document",
    "render_diff_report",
    "render_failure",
    "render_report",
    "run_contract",
    "run_diff",
    "search_queries",
    "testgenerate_bodies",
    "write_junit_xml",
]
