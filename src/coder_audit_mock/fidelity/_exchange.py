"""Exchanges: one request exactly as sent and the answer exactly as received, and exact comparison.

```
Exchange(id, purpose, request, answer, volatile)
  request  ExchangeRequest(method, target, headers, body)   target = path + raw query, as sent
  answer   Answer(status, headers, body)                     the headers that matter, body text
send(client, request) -> Answer                              the same bytes to any server
compare(expected, actual, volatile) -> [Mismatch]            status, each header that matters,
                                                             then the body: JSON value by value
                                                             in order (the first differing path
                                                             of each kind), then its bytes
```

Corpus files are JSON Lines, one exchange per line (`read_exchanges`, `write_exchanges`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import httpx

__all__ = [
    "COMPARED_HEADERS",
    "Answer",
    "Exchange",
    "ExchangeRequest",
    "Mismatch",
    "compare",
    "read_exchanges",
    "send",
    "write_exchanges",
]

# The headers whose presence and value are part of the answer (§1.5, §6.2): the body's
# type, the 401/403 challenge, 405's Allow, and the security headers Coder sets on every answer.
COMPARED_HEADERS: tuple[str, ...] = (
    "content-type",
    "www-authenticate",
    "allow",
    "x-content-type-options",
    "x-coder-build-version",
)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z")


@dataclasses.dataclass(frozen=True, slots=True)
class ExchangeRequest:
    """A request exactly as sent: method, raw target, every header the client set, the body.

    Example:
        >>> ExchangeRequest("GET", "/api/v2/audit?limit=1", (("Coder-Session-Token", "t"),)).path
        '/api/v2/audit'
    """

    method: str
    target: str
    headers: tuple[tuple[str, str], ...] = ()
    body: str | None = None

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"method": self.method, "target": self.target}
        data["headers"] = [list(pair) for pair in self.headers]
        if self.body is not None:
            data["body"] = self.body
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ExchangeRequest:
        return cls(
            method=data["method"],
            target=data["target"],
            headers=tuple((str(k), str(v)) for k, v in data.get("headers", [])),
            body=data.get("body"),
        )


@dataclasses.dataclass(frozen=True, slots=True)
class Answer:
    """An answer: status, the headers that matter (lowercase names) and the body's text.

    Example:
        >>> Answer(204, {}, "").json() is None
        True
    """

    status: int
    headers: Mapping[str, str]
    body: str

    def json(self) -> Any:
        """The body as JSON (keys in order), or None when it is empty or not JSON."""
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def as_json(self) -> dict[str, Any]:
        return {"status": self.status, "headers": dict(self.headers), "body": self.body}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Answer:
        return cls(int(data["status"]), dict(data.get("headers", {})), data.get("body", ""))

    @classmethod
    def of(cls, response: httpx.Response) -> Answer:
        headers = {
            name: ", ".join(response.headers.get_list(name))
            for name in COMPARED_HEADERS
            if name in response.headers
        }
        return cls(response.status_code, headers, response.text)


@dataclasses.dataclass(frozen=True, slots=True)
class Exchange:
    """One recorded exchange.

    Attributes:
        id: its number in the corpus.
        purpose: what it exercises, e.g. "search: username of a deleted user".
        request: what was sent.
        answer: what the real server answered.
        volatile: body paths whose values the server chose at random (e.g. the id of a log
            testgenerate wrote); compared as "both a UUID" / "both a time", not by value.

    Example:
        >>> e = Exchange(1, "x", ExchangeRequest("GET", "/"), Answer(404, {}, ""))
        >>> Exchange.from_json(e.as_json()) == e
        True
    """

    id: int
    purpose: str
    request: ExchangeRequest
    answer: Answer
    volatile: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "purpose": self.purpose}
        data["request"] = self.request.as_json()
        data["answer"] = self.answer.as_json()
        if self.volatile:
            data["volatile"] = list(self.volatile)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Exchange:
        return cls(
            id=int(data["id"]),
            purpose=data.get("purpose", ""),
            request=ExchangeRequest.from_json(data["request"]),
            answer=Answer.from_json(data["answer"]),
            volatile=tuple(data.get("volatile", ())),
        )


def read_exchanges(path: str | Path) -> list[Exchange]:
    """Read a corpus file (JSON Lines, one exchange per line).

    Example:
        >>> import tempfile, os
        >>> folder = tempfile.mkdtemp()
        >>> file = os.path.join(folder, "x.jsonl")
        >>> write_exchanges(file, [Exchange(1, "", ExchangeRequest("GET", "/"), Answer(404, {}, ""))])
        >>> [e.id for e in read_exchanges(file)]
        [1]
    """
    with _open_text(Path(path), "r") as handle:
        return [Exchange.from_json(json.loads(line)) for line in handle if line.strip()]


def write_exchanges(path: str | Path, exchanges: Iterable[Exchange]) -> None:
    """Write a corpus file: one compact JSON object per line, in order (see `read_exchanges`).

    A name ending in `.gz` is gzip-compressed, with no time stamp (the same exchanges give the
    same bytes).

    Example:
        >>> write_exchanges(tmp / "exchanges.jsonl", read_exchanges(recorded))  # doctest: +SKIP
    """
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    with _open_text(partial, "w", gz=target.suffix == ".gz") as handle:
        for exchange in exchanges:
            handle.write(json.dumps(exchange.as_json(), ensure_ascii=False) + "\n")
    partial.replace(target)


@contextlib.contextmanager
def _open_text(path: Path, mode: str, gz: bool | None = None) -> Iterator[IO[str]]:
    """A text file, gzip-compressed when its name ends in `.gz` (or `gz` says so)."""
    if path.suffix == ".gz" if gz is None else gz:
        with (
            open(path, mode + "b") as raw,
            gzip.GzipFile(fileobj=raw, mode=mode + "b", mtime=0, filename="") as zipped,
            io.TextIOWrapper(zipped, encoding="utf-8", newline="\n") as text,
        ):
            yield text
    else:
        with open(path, mode, encoding="utf-8", newline="\n") as text:
            yield text


def send(client: httpx.Client, request: ExchangeRequest) -> Answer:
    """Send `request` byte for byte (the target is not re-encoded) and return the answer.

    Example:
        >>> from starlette.testclient import TestClient  # doctest: +SKIP
        >>> send(TestClient(create_app()), ExchangeRequest("GET", "/api/v2/x")).status  # doctest: +SKIP
        404
    """
    url = client.base_url.copy_with(raw_path=request.target.encode("ascii"))
    built = client.build_request(
        request.method,
        url,
        headers=list(request.headers),
        content=None if request.body is None else request.body.encode("utf-8"),
    )
    # httpx adds its own defaults; the exchange says exactly which headers travel.
    for name in list(built.headers):
        if name.lower() not in {k.lower() for k, _ in request.headers} and name.lower() not in (
            "host",
            "content-length",
        ):
            del built.headers[name]
    return Answer.of(client.send(built))


@dataclasses.dataclass(frozen=True, slots=True)
class Mismatch:
    """One way two answers differ: where (status, a header, a body path, or the body's bytes).

    Example:
        >>> print(Mismatch("body.count", "2001", "2000"))
        body.count: 2001 != 2000
    """

    where: str
    expected: str
    actual: str

    def __str__(self) -> str:
        return f"{self.where}: {self.expected} != {self.actual}"


def _volatile_matches(pattern: str, path: str) -> bool:
    return re.fullmatch(re.escape(pattern).replace(r"\[\*\]", r"\[\d+\]"), path) is not None


def _same_kind_of_random(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        for pattern in (_UUID, _RFC3339):
            if pattern.fullmatch(a) and pattern.fullmatch(b):
                return True
    return False


def _walk(
    expected: Any, actual: Any, path: str, volatile: Sequence[str]
) -> Iterator[tuple[str, Any, Any]]:
    """Every (path, expected, actual) where the JSON values differ, keys in order."""
    if any(_volatile_matches(pattern, path) for pattern in volatile):
        if expected != actual and not _same_kind_of_random(expected, actual):
            yield path, expected, actual
        return
    if isinstance(expected, dict) and isinstance(actual, dict):
        if list(expected) != list(actual):
            yield f"{path} (keys)", list(expected), list(actual)
        for key in expected:
            if key in actual:
                yield from _walk(expected[key], actual[key], f"{path}.{key}", volatile)
        return
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            yield f"{path} (length)", len(expected), len(actual)
        for index, (left, right) in enumerate(zip(expected, actual, strict=False)):
            yield from _walk(left, right, f"{path}[{index}]", volatile)
        return
    if type(expected) is not type(actual) or expected != actual:
        yield path, expected, actual


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 160 else text[:157] + "..."


_PAGE_START = '{"audit_logs":['
_DECODER = json.JSONDecoder()


def ties_in_id_order(answer: Answer) -> Answer:
    """`answer` with each run of audit logs of the same `time` put in id order, bytes kept.

    Coder orders a page by `time DESC` alone, so Postgres returns logs of equal time in an
    order that depends on the plan (a top-N heapsort for a small LIMIT, a full sort for a
    large one): the same data answers ties differently at different limits. Comparing two
    servers fairly means comparing ties as a set; each log's bytes are left as they were.

    Example:
        >>> body = '{"audit_logs":[{"id":"b","time":"t"},{"id":"a","time":"t"}],"count":2}'
        >>> ties_in_id_order(Answer(200, {}, body)).body
        '{"audit_logs":[{"id":"a","time":"t"},{"id":"b","time":"t"}],"count":2}'
    """
    text = answer.body
    if not text.startswith(_PAGE_START):
        return answer
    items: list[tuple[str, Any]] = []
    at = len(_PAGE_START)
    try:
        while text[at] != "]":
            value, end = _DECODER.raw_decode(text, at)
            items.append((text[at:end], value))
            at = end + 1 if text[end] == "," else end
    except (ValueError, IndexError):
        return answer
    if not all(isinstance(value, dict) for _, value in items):
        return answer
    runs: list[list[tuple[str, Any]]] = []
    for raw, value in items:
        if runs and runs[-1][-1][1].get("time") == value.get("time"):
            runs[-1].append((raw, value))
        else:
            runs.append([(raw, value)])
    raws = [raw for run in runs for raw, _ in sorted(run, key=lambda item: str(item[1].get("id")))]
    body = _PAGE_START + ",".join(raws) + text[at:]
    return dataclasses.replace(answer, body=body)


def compare(expected: Answer, actual: Answer, volatile: Sequence[str] = ()) -> list[Mismatch]:
    """How `actual` differs from `expected`: status, headers that matter, body (see module doc).

    JSON bodies are compared value by value, keys in order, and every differing path is named
    (`body.audit_logs[3].user.last_seen_at`); equal JSON with different bytes (escaping,
    spacing, the trailing newline) is one `body (bytes)` mismatch at the first differing byte.

    Example:
        >>> a = Answer(200, {}, '{"count":1,"audit_logs":[]}\\n')
        >>> b = Answer(200, {}, '{"count":2,"audit_logs":[]}\\n')
        >>> [str(m) for m in compare(a, b)]
        ['body.count: 1 != 2']
    """
    found: list[Mismatch] = []
    if expected.status != actual.status:
        found.append(Mismatch("status", str(expected.status), str(actual.status)))
    for name in COMPARED_HEADERS:
        left, right = expected.headers.get(name), actual.headers.get(name)
        if left != right:
            found.append(Mismatch(f"header {name}", repr(left), repr(right)))
    left_json, right_json = expected.json(), actual.json()
    if left_json is None or right_json is None:
        if expected.body != actual.body:
            found.append(Mismatch("body", _short(expected.body), _short(actual.body)))
        return found
    differences = list(_walk(left_json, right_json, "body", volatile))
    for where, left, right in differences:
        found.append(Mismatch(where, _short(left), _short(right)))
    if not differences and not volatile and expected.body != actual.body:
        at = next(
            (i for i, (a, b) in enumerate(zip(expected.body, actual.body, strict=False)) if a != b),
            min(len(expected.body), len(actual.body)),
        )
        found.append(
            Mismatch(
                f"body (bytes, at {at})",
                _short(expected.body[max(0, at - 30) : at + 30]),
                _short(actual.body[max(0, at - 30) : at + 30]),
            )
        )
    return found
