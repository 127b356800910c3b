"""The golden corpus: every exchange recorded from a real Coder, replayed against the mock.

The corpus (tests/fidelity/corpus/coder-<version>/) holds a scenario recorded from a real
Coder server and the request/answer pairs recorded against it (docs/real-coder.md tells how to
record them again). The mock, loaded with that scenario, must give the same answer to every
request: status, the headers that matter and the whole body, byte for byte, except where an
entry of the corpus's `differences.json` says why it stays different.
"""

from __future__ import annotations

import collections
from pathlib import Path

import pytest

from coder_audit_mock.fidelity import check_register, open_corpus, replay

CORPORA = sorted(Path(__file__).parent.joinpath("corpus").glob("coder-*"))


@pytest.fixture(scope="module", params=CORPORA, ids=[path.name for path in CORPORA])
def replayed(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    corpus = open_corpus(request.param)
    return corpus, replay(corpus)


def test_there_is_a_corpus_of_at_least_1000_exchanges() -> None:
    assert CORPORA, "no corpus under tests/fidelity/corpus"
    for path in CORPORA:
        corpus = open_corpus(path)
        assert len(corpus.exchanges) >= 1000, (path, len(corpus.exchanges))
        assert corpus.meta["coder_version"] == path.name.removeprefix("coder-")


def test_every_exchange_answers_as_the_real_server(replayed) -> None:  # type: ignore[no-untyped-def]
    corpus, results = replayed
    unexcused, _ = check_register(results, corpus.register)
    report = [
        f"#{result.exchange.id} {result.exchange.purpose} ({result.exchange.request.method} "
        f"{result.exchange.request.target[:120]}): {mismatch}"
        for result, mismatch in unexcused[:40]
    ]
    assert not unexcused, f"{len(unexcused)} differences not in differences.json:\n" + "\n".join(
        report
    )


def test_every_registered_difference_is_still_measured(replayed) -> None:  # type: ignore[no-untyped-def]
    corpus, results = replayed
    _, unused = check_register(results, corpus.register)
    assert not unused, (
        f"entries that excuse nothing any more (remove them): {[e.id for e in unused]}"
    )


def test_registered_differences_stay_few(replayed) -> None:  # type: ignore[no-untyped-def]
    # A register entry must not become a blanket excuse: the exchanges it excuses are counted.
    corpus, results = replayed
    excused: collections.Counter[str] = collections.Counter()
    for result in results:
        for entry in corpus.register:
            if any(entry.excuses(result.exchange, m) for m in result.mismatches):
                excused[entry.id] += 1
    assert sum(excused.values()) <= 15, excused
    assert sum(1 for r in results if not r.mismatches) >= len(results) - 15
