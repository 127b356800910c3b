"""Fidelity against a real Coder: record a server, replay recorded answers, compare exactly.

```
record_scenario(url, token)      a real server's audit log, users and organizations as a
                                 scenario that `serve --scenario` answers from identically
exchange_requests(scenario, ...) the requests two servers with that data must answer alike
send / compare                   one request byte for byte; answers compared field by field
read_exchanges / write_exchanges a recorded corpus (JSON Lines, gzip for .gz)
open_corpus / replay             a corpus folder replayed against the mock loaded with its
check_register                   scenario; mismatches not excused by differences.json
exact_diff / diff_against_mock   the same requests to two servers with the same data
```

Needs only the base install (httpx); the mock server itself never imports this package.

Example:
    >>> from coder_audit_mock.fidelity import Answer, compare
    >>> [str(m) for m in compare(Answer(200, {}, '{"a":1}'), Answer(200, {}, '{"a":2}'))]
    ['body.a: 1 != 2']
"""

from ._catalogue import CatalogueEntry, exchange_requests
from ._corpus import (
    Corpus,
    RegisterEntry,
    Replayed,
    check_register,
    mock_client,
    open_corpus,
    replay,
    scenario_client,
    write_corpus_scenario,
)
from ._errors import ExactMismatch, FidelityError, RecordError
from ._exact import (
    ExactDifference,
    ExactReport,
    assert_same_answers,
    diff_against_mock,
    exact_diff,
)
from ._exchange import (
    COMPARED_HEADERS,
    Answer,
    Exchange,
    ExchangeRequest,
    Mismatch,
    compare,
    read_exchanges,
    send,
    write_exchanges,
)
from ._record import DEFAULT_PAGE_SIZE, record_scenario

__all__ = [
    "COMPARED_HEADERS",
    "DEFAULT_PAGE_SIZE",
    "Answer",
    "CatalogueEntry",
    "Corpus",
    "ExactDifference",
    "ExactMismatch",
    "ExactReport",
    "Exchange",
    "ExchangeRequest",
    "FidelityError",
    "Mismatch",
    "RecordError",
    "RegisterEntry",
    "Replayed",
    "assert_same_answers",
    "check_register",
    "compare",
    "diff_against_mock",
    "exact_diff",
    "exchange_requests",
    "mock_client",
    "open_corpus",
    "read_exchanges",
    "record_scenario",
    "replay",
    "scenario_client",
    "send",
    "write_corpus_scenario",
    "write_exchanges",
]
