"""Record the golden corpus from a real Coder: seed it, record its data, record the exchanges.

One command, given a fresh, throwaway Coder server and its database (docs/real-coder.md says how
to run one from a Coder binary you built):

    python tools/real_coder/corpus.py --url http://127.0.0.1:7080 \\
        --postgres-url 'postgres://postgres@127.0.0.1:5433/coder?sslmode=disable'

It runs `seed.py` (users, roles, resources, 2,150 audit rows), then records into
`tests/fidelity/corpus/coder-<version>/`:

- `scenario.json`: `coder-audit-mock record` of the server (every log, user, organization and
  the resources behind `is_deleted`/`resource_link`, with the callers' session tokens);
- `exchanges.jsonl`: the fidelity catalogue (`coder_audit_mock.fidelity.exchange_requests`,
  with writes) sent to the server, one request and its answer per line, in order;
- `meta.json`: the server's version line, when and where it was recorded, the counts.

`--skip-seed --state FILE` records a server seeded before. The default test run replays every
exchange against the mock loaded with the scenario (tests/fidelity/test_corpus.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import seed

from coder_audit_mock.fidelity import (
    Exchange,
    exchange_requests,
    record_scenario,
    send,
    write_corpus_scenario,
    write_exchanges,
)

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fidelity" / "corpus"


def _server_now(postgres_url: str) -> str:
    text = seed.run_sql(postgres_url, "SELECT to_char(now() AT TIME ZONE 'UTC', "
                        "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"');")  # fmt: skip
    return text.strip()


def record(url: str, postgres_url: str, state: dict[str, Any], out: Path | None) -> Path:
    tokens: dict[str, str] = state["tokens"]
    started = time.monotonic()
    client = httpx.Client(base_url=url, timeout=60)
    info = client.get("/api/v2/buildinfo").json()
    version = info["version"].split("+")[0]
    folder = out or CORPUS / f"coder-{version}"
    folder.mkdir(parents=True, exist_ok=True)
    recorded_at = _server_now(postgres_url)
    scenario = record_scenario(
        url, tokens["owner"], callers=[t for role, t in tokens.items() if role != "owner"]
    )
    entries = exchange_requests(scenario, tokens, writes=True)
    exchanges = []
    for number, entry in enumerate(entries, start=1):
        answer = send(client, entry.request)
        exchanges.append(
            Exchange(number, entry.purpose, entry.request, answer, volatile=entry.volatile)
        )
        if number % 200 == 0:
            print(f"corpus: {number}/{len(entries)} exchanges", file=sys.stderr, flush=True)
    write_corpus_scenario(folder / "scenario.json", scenario)
    write_exchanges(folder / "exchanges.jsonl", exchanges)
    meta = {
        "coder_version": info["version"],
        "buildinfo": {k: info.get(k) for k in ("version", "external_url", "agent_api_version")},
        "version_line": client.get("/api/v2/buildinfo").headers.get("x-coder-build-version"),
        "recorded_at": recorded_at,
        "access_url": url,
        "roles": sorted(tokens),
        "logs": len(scenario["logs"]),
        "users": len(scenario["users"]),
        "exchanges": len(exchanges),
        "writes": sum(1 for entry in entries if entry.writes),
        "seconds": round(time.monotonic() - started, 1),
        "recorded_on": dt.date.today().isoformat(),
    }
    (folder / "meta.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(f"corpus: {len(exchanges)} exchanges, {meta['logs']} logs -> {folder}", file=sys.stderr)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the fresh Coder's URL (its access URL)")
    parser.add_argument("--postgres-url", required=True, help="that Coder's database")
    parser.add_argument("--state", default=None, help="seed state file (default: a temp file)")
    parser.add_argument("--skip-seed", action="store_true", help="the server is seeded already")
    parser.add_argument(
        "--out", type=Path, default=None, help="corpus folder (default: by version)"
    )
    args = parser.parse_args(argv)
    state_path = Path(args.state or "/tmp/coder-audit-mock-seed.json")
    if not args.skip_seed:
        seed.main(["--url", args.url, "--postgres-url", args.postgres_url,
                   "--state", str(state_path)])  # fmt: skip
    state = json.loads(state_path.read_text(encoding="utf-8"))
    record(args.url, args.postgres_url, state, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
