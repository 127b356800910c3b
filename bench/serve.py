"""Serve the mock or the bare app under uvicorn with the benchmark's one set of options.

`run.py` starts this script as a subprocess for each baseline it loads, so that every baseline
runs with exactly the same uvicorn settings: one worker, 127.0.0.1, no access log, no lifespan,
and uvicorn's fastest stack, uvloop and httptools (`--loop`/`--http` pick others). The mock
itself is measured as users run it, `coder-audit-mock serve`, not through this script.

Example:
    $ python bench/serve.py bare --port 8002 --body-file /tmp/body.json
    $ python bench/serve.py starlette --port 8003 --body-file /tmp/body.json
    $ python bench/serve.py mock --port 8001 --logs 100000
"""

from __future__ import annotations

import argparse
import pathlib
from collections.abc import Sequence
from typing import Any

import uvicorn

HOST = "127.0.0.1"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def uvicorn_config(
    app: Any, port: int, loop: str = "uvloop", http: str = "httptools"
) -> uvicorn.Config:
    """The uvicorn options every baseline runs with (the fairness of the ratio rests here)."""
    return uvicorn.Config(
        app,
        host=HOST,
        port=port,
        workers=1,
        loop=loop,
        http=http,
        lifespan="off",
        access_log=False,
        log_level="warning",
        server_header=False,
    )


def _build_app(args: argparse.Namespace) -> Any:
    if args.app in ("bare", "starlette"):
        from bare_app import constant_body_app, starlette_constant_app

        build = constant_body_app if args.app == "bare" else starlette_constant_app
        return build(pathlib.Path(args.body_file).read_bytes(), args.content_type)
    from coder_audit_mock.mockserver import create_app

    return create_app(seed=args.seed, log_count=args.logs)


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line and serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("app", choices=("bare", "starlette", "mock"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--logs", type=int, default=100_000, help="mock: number of audit logs")
    parser.add_argument("--seed", type=int, default=0, help="mock: seed of the fake data")
    parser.add_argument("--body-file", help="bare: the file whose bytes every answer carries")
    parser.add_argument("--content-type", default=JSON_CONTENT_TYPE, help="bare: Content-Type")
    parser.add_argument("--loop", default="uvloop", help="uvicorn's event loop (default uvloop)")
    parser.add_argument("--http", default="httptools", help="uvicorn's HTTP parser (httptools)")
    args = parser.parse_args(argv)
    if args.app != "mock" and not args.body_file:
        parser.error(f"{args.app} needs --body-file")
    config = uvicorn_config(_build_app(args), args.port, args.loop, args.http)
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
