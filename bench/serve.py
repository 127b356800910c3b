"""Serve the mock or the bare app under uvicorn with the benchmark's one set of options.

`run.py` starts this script as a subprocess for each app it loads, so that both run with exactly
the same uvicorn settings (one worker, 127.0.0.1, no access log, no lifespan, uvicorn's default
`auto` loop and HTTP implementations: uvloop and httptools when installed, else asyncio and h11).

Example:
    $ python bench/serve.py mock --port 8001 --logs 100000
    $ python bench/serve.py bare --port 8002 --body-file /tmp/body.json
"""

from __future__ import annotations

import argparse
import pathlib
from collections.abc import Sequence
from typing import Any

import uvicorn

HOST = "127.0.0.1"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def uvicorn_config(app: Any, port: int) -> uvicorn.Config:
    """The uvicorn options every benchmarked app runs with (the fairness of the ratio rests here)."""
    return uvicorn.Config(
        app,
        host=HOST,
        port=port,
        workers=1,
        loop="auto",
        http="auto",
        lifespan="off",
        access_log=False,
        log_level="warning",
        server_header=False,
    )


def _build_app(args: argparse.Namespace) -> Any:
    if args.app == "bare":
        from bare_app import constant_body_app

        return constant_body_app(pathlib.Path(args.body_file).read_bytes(), args.content_type)
    from coder_audit_mock.mockserver import create_app

    return create_app(seed=args.seed, log_count=args.logs)


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line and serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("app", choices=("mock", "bare"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--logs", type=int, default=100_000, help="mock: number of audit logs")
    parser.add_argument("--seed", type=int, default=0, help="mock: seed of the fake data")
    parser.add_argument("--body-file", help="bare: the file whose bytes every answer carries")
    parser.add_argument("--content-type", default=JSON_CONTENT_TYPE, help="bare: Content-Type")
    args = parser.parse_args(argv)
    if args.app == "bare" and not args.body_file:
        parser.error("bare needs --body-file")
    uvicorn.Server(uvicorn_config(_build_app(args), args.port)).run()


if __name__ == "__main__":
    main()
