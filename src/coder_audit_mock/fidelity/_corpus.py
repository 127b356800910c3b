"""A recorded corpus: a real server's data, its exchanges, and the register of measured differences.

```
tests/fidelity/corpus/coder-v2.35.1/
├── meta.json          the server's version, when and where it was recorded, counts
├── scenario.json      `record` of the server: what the mock loads
├── exchanges.jsonl    request/answer pairs, in the order they were sent
└── differences.json   the register: every answer the mock still gives differently, and why
```

`replay(corpus)` loads the scenario into a fresh in-process mock (its clock at the recording
time, its host the recorded access URL), sends every exchange in order and compares each answer
exactly (`compare`). `check_register` then requires every mismatch to be excused by a register
entry and every entry to excuse at least one mismatch, so a fixed difference is noticed.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from ._errors import FidelityError
from ._exchange import Exchange, Mismatch, compare, read_exchanges, send, ties_in_id_order

__all__ = [
    "Corpus",
    "RegisterEntry",
    "Replayed",
    "check_register",
    "open_corpus",
    "replay",
]


@dataclasses.dataclass(frozen=True, slots=True)
class RegisterEntry:
    """A measured difference that stays, with the reason and the evidence.

    Attributes:
        id: a short name, e.g. "order-of-equal-times".
        where: a regular expression the mismatch's place must match in full, e.g.
            `body\\.audit_logs\\[\\d+\\]\\.id`.
        purposes: a regular expression the exchange's purpose must match (default: any).
        reason: why the mock answers differently and why that stays.

    Example:
        >>> entry = RegisterEntry("x", r"header x-coder-build-version", ".*", "not sent")
        >>> entry.excuses(Exchange.from_json({"id": 1, "purpose": "p", "request": {"method": "GET", "target": "/"},
        ...     "answer": {"status": 200}}), Mismatch("header x-coder-build-version", "'v'", "None"))
        True
    """

    id: str
    where: str
    purposes: str
    reason: str

    def excuses(self, exchange: Exchange, mismatch: Mismatch) -> bool:
        return (
            re.fullmatch(self.where, mismatch.where) is not None
            and re.fullmatch(self.purposes, exchange.purpose) is not None
        )


@dataclasses.dataclass(frozen=True)
class Corpus:
    """A corpus folder, read (see the module doc).

    Example:
        >>> corpus = open_corpus("tests/fidelity/corpus/coder-v2.35.1")  # doctest: +SKIP
        >>> corpus.meta["coder_version"]  # doctest: +SKIP
        'v2.35.1'
    """

    folder: Path
    meta: Mapping[str, Any]
    scenario: Mapping[str, Any]
    exchanges: Sequence[Exchange]
    register: Sequence[RegisterEntry]


def open_corpus(folder: str | Path) -> Corpus:
    """Read a corpus folder; `FidelityError` names what is missing.

    Example:
        >>> open_corpus("/nonexistent")
        Traceback (most recent call last):
        ...
        coder_audit_mock.fidelity._errors.FidelityError: no corpus at /nonexistent: meta.json is missing
    """
    path = Path(folder)
    names = {}
    for name in ("meta.json", "scenario.json", "exchanges.jsonl"):
        # Plain text in the repository (reviewable diffs); a `.gz` copy is read as well.
        found = next((path / n for n in (name, name + ".gz") if (path / n).is_file()), None)
        if found is None:
            raise FidelityError(f"no corpus at {path}: {name} is missing")
        names[name] = found
    register_path = path / "differences.json"
    register = []
    if register_path.is_file():
        for item in json.loads(register_path.read_text(encoding="utf-8")):
            register.append(
                RegisterEntry(
                    id=item["id"],
                    where=item["where"],
                    purposes=item.get("purposes", ".*"),
                    reason=item["reason"],
                )
            )
    return Corpus(
        folder=path,
        meta=json.loads(names["meta.json"].read_text(encoding="utf-8")),
        scenario=_read_scenario(names["scenario.json"]),
        exchanges=read_exchanges(names["exchanges.jsonl"]),
        register=tuple(register),
    )


@dataclasses.dataclass(frozen=True, slots=True)
class Replayed:
    """One exchange replayed: what the mock answered and how it differs from the recording.

    Example:
        >>> results = replay(open_corpus("tests/fidelity/corpus/coder-v2.35.1"))  # doctest: +SKIP
        >>> [(r.exchange.id, r.answer_status) for r in results if r.mismatches][:1]  # doctest: +SKIP
        [(412, 200)]
    """

    exchange: Exchange
    answer_status: int
    mismatches: tuple[Mismatch, ...]


def _read_scenario(path: Path) -> Any:
    # The scenario parser keeps each number's spelling, which jsonb answers depend on.
    from ..mockserver._scenario_files import parse_scenario_text

    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return parse_scenario_text(data.decode("utf-8"), yaml=False, source=str(path))


def write_corpus_scenario(path: str | Path, scenario: Mapping[str, Any]) -> None:
    """Write a corpus's scenario as `write_scenario_file` does, gzip-compressed for `.gz`.

    Example:
        >>> write_corpus_scenario(folder / "scenario.json", record_scenario(url, token))  # doctest: +SKIP
    """
    from ..mockserver._scenario_files import write_scenario_file

    target = Path(path)
    if target.suffix != ".gz":
        write_scenario_file(target, scenario)
        return
    plain = target.with_name(target.stem + ".partial.json")
    write_scenario_file(plain, scenario)
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(gzip.compress(plain.read_bytes(), mtime=0))
    plain.unlink()
    partial.replace(target)


def _now_microseconds(text: str) -> int:
    from ..mockserver._testgenerate import parse_rfc3339

    return parse_rfc3339(text)


@contextmanager
def mock_client(corpus: Corpus) -> Iterator[httpx.Client]:
    """An in-process mock loaded with the corpus's scenario, reached at the recorded URL.

    Example:
        >>> corpus = open_corpus("tests/fidelity/corpus/coder-v2.35.1")  # doctest: +SKIP
        >>> with mock_client(corpus) as client:  # doctest: +SKIP
        ...     client.get("/api/v2/buildinfo").status_code
        404
    """
    with scenario_client(
        corpus.scenario,
        base_url=str(corpus.meta["access_url"]),
        now_us=_now_microseconds(str(corpus.meta["recorded_at"])),
    ) as client:
        yield client


@contextmanager
def scenario_client(
    scenario: Mapping[str, Any], *, base_url: str, now_us: int
) -> Iterator[httpx.Client]:
    """An in-process mock loaded with `scenario` (as `record_scenario` gives it), as a client.

    Args:
        scenario: the data to answer from.
        base_url: the URL the client says it talks to (the real server's, so that links and
            the CSRF check see the same origin).
        now_us: the mock's clock, in microseconds since 1970 (the moment of the recording).

    Example:
        >>> with scenario_client({"logs": []}, base_url="http://coder", now_us=0) as c:
        ...     c.get("/api/v2/audit", headers={"Coder-Session-Token": "x"}).status_code
        401
    """
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from starlette.testclient import TestClient

    from ..mockserver import MockServer, MockSettings, create_app_for, load_scenario

    server = MockServer(MockSettings(log_count=0, now_us=now_us))
    load_scenario(server, dict(scenario))
    app = create_app_for(server)
    # The recorder talked to Coder over loopback, and testgenerate stores the caller's address.
    with TestClient(
        app, base_url=base_url, raise_server_exceptions=False, client=("127.0.0.1", 50000)
    ) as client:
        yield client


def replay(corpus: Corpus, client: httpx.Client | None = None) -> list[Replayed]:
    """Send every exchange, in order, to `client` (default: a mock of the corpus) and compare.

    Example:
        >>> results = replay(open_corpus("tests/fidelity/corpus/coder-v2.35.1"))  # doctest: +SKIP
        >>> sum(1 for r in results if r.mismatches)  # doctest: +SKIP
        0
    """
    if client is None:
        with mock_client(corpus) as own:
            return replay(corpus, own)
    results = []
    for exchange in corpus.exchanges:
        answer = send(client, exchange.request)
        # Ties in time come in plan-dependent order from Coder (`ties_in_id_order`).
        mismatches = compare(
            ties_in_id_order(exchange.answer), ties_in_id_order(answer), exchange.volatile
        )
        results.append(Replayed(exchange, answer.status, tuple(mismatches)))
    return results


def check_register(
    results: Sequence[Replayed], register: Sequence[RegisterEntry]
) -> tuple[list[tuple[Replayed, Mismatch]], list[RegisterEntry]]:
    """Mismatches no entry excuses, and entries that excused nothing (both must be empty).

    Example:
        >>> check_register([], [])
        ([], [])
    """
    unexcused: list[tuple[Replayed, Mismatch]] = []
    used: set[str] = set()
    for result in results:
        for mismatch in result.mismatches:
            entry = next((e for e in register if e.excuses(result.exchange, mismatch)), None)
            if entry is None:
                unexcused.append((result, mismatch))
            else:
                used.add(entry.id)
    return unexcused, [entry for entry in register if entry.id not in used]
