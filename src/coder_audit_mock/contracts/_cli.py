"""`coder-audit-mock check`: the contract run from the command line.

```
coder-audit-mock check [--url URL] [--token TOKEN] [--schema PATH_OR_URL] [--seed N]
                       [--max-examples N] [--depth quick|thorough] [--profile newest|2023-01]
                       [--junit-xml PATH]
```

Without `--url` (or `CODER_URL`) it checks a fresh in-process mock; with one it checks that
server with the owner's token from `--token` or `CODER_SESSION_TOKEN`. `--profile` names the Coder
version the target should answer as (docs/profiles.md): it picks the default document and the
semantic checks' rules, and the in-process mock answers as that version. Exit codes: 0 every
check passed, 1 a check failed, 2 a usage error, 3 the target is unreachable or unusable
(Schemathesis's own CLI answers 1 for both of the last two; schemathesis-notes.md §4).

Only the standard library and the base CLI are imported at module level: `coder-audit-mock
--help` must work without the contracts extra.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys

from .._cli import PROG, CliError, Subcommand, UsageError
from .._cli import _profile as _profile_name

URL_VARIABLE = "CODER_URL"  # the Coder CLI's own variable names
TOKEN_VARIABLE = "CODER_SESSION_TOKEN"
EXIT_PASSED, EXIT_FAILED, EXIT_UNUSABLE = 0, 1, 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
_EXTRA_MODULES = frozenset({"schemathesis", "hypothesis", "httpx"})
_DEPTHS = ("quick", "thorough")  # the keys of _runner.DEPTHS, which needs the extra


class _UnusableTarget(CliError):
    """The target cannot be checked at all: one line on stderr, exit code 3."""

    exit_code = EXIT_UNUSABLE


def _add_check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        help=f"origin of the server to check, e.g. https://coder.example.com (default: "
        f"${URL_VARIABLE}; else a fresh in-process mock). It needs an owner's token: the run "
        "writes test audit logs with POST /api/v2/audit/testgenerate",
    )
    parser.add_argument("--token", help=f"the owner's session token (default: ${TOKEN_VARIABLE})")
    parser.add_argument(
        "--schema",
        metavar="PATH_OR_URL",
        help="the API document to check against (default: the project's own OpenAPI "
        "document of the --profile); Coder's Swagger 2.0, e.g. <origin>/swagger/doc.json, "
        "gets the waivers of its known differences from the real server",
    )
    parser.add_argument(
        "--seed",
        type=_natural,
        default=0,
        metavar="N",
        help="the same seed sends the same requests (default: 0)",
    )
    parser.add_argument(
        "--max-examples",
        type=_positive,
        metavar="N",
        help="examples per operation and per semantic check (default: the depth's)",
    )
    parser.add_argument(
        "--depth",
        choices=_DEPTHS,
        default="quick",
        help="quick: well under a minute against the in-process mock (CI); thorough: 8 times "
        "the examples, and every failure of an operation, not just its first (default: quick)",
    )
    parser.add_argument(
        "--profile",
        type=_profile_name,
        default="newest",
        help="the Coder version the server should answer as: newest (default) or 2023-01; "
        "the in-process mock answers as it (docs/profiles.md lists the differences)",
    )
    parser.add_argument("--junit-xml", metavar="PATH", help="also write the report as JUnit XML")


def _natural(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected an integer 0 or more")
    return int(text)


def _positive(text: str) -> int:
    value = _natural(text)
    if value == 0:
        raise argparse.ArgumentTypeError("invalid value '0': expected an integer 1 or more")
    return value


def _from_environment(value: str | None, variable: str) -> str | None:
    # An empty variable counts as unset, as in the Coder CLI.
    chosen = value if value is not None else os.environ.get(variable, "")
    return chosen.strip() or None


def _run_check(args: argparse.Namespace) -> int:
    try:
        from . import _errors, _report, _runner, _target
    except ModuleNotFoundError as error:
        if error.name not in _EXTRA_MODULES:
            raise
        raise CliError(
            "check needs the contracts extra: pip install 'coder-audit-mock[contracts]'"
        ) from None
    url = _from_environment(args.url, URL_VARIABLE)
    token = _from_environment(args.token, TOKEN_VARIABLE)
    if url is not None and token is None:
        raise UsageError(
            f"checking {url} needs the owner's session token: --token TOKEN or ${TOKEN_VARIABLE}"
        )
    junit = pathlib.Path(args.junit_xml) if args.junit_xml else None
    if junit is not None and not junit.parent.is_dir():
        raise UsageError(f"argument --junit-xml: directory {str(junit.parent)!r} does not exist")
    try:
        with _target.open_target(url, token=token, profile=args.profile) as target:
            report = _runner.run_contract(
                target,
                schema=args.schema,
                seed=args.seed,
                max_examples=args.max_examples,
                depth=args.depth,
                profile=args.profile,
            )
    except KeyboardInterrupt:
        print(f"{PROG} check: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except _runner.UnusableTarget as error:
        raise _UnusableTarget(str(error)) from None
    except _errors.ContractError as error:
        raise UsageError(str(error)) from None
    print(_report.render_report(report), flush=True)
    if junit is not None:
        _report.write_junit_xml(report, junit)
        print(f"JUnit XML written to {junit}", file=sys.stderr)
    return EXIT_PASSED if report.passed else EXIT_FAILED


CHECK = Subcommand(
    name="check",
    summary="Check a server (default: an in-process mock) against Coder's audit-log contract.",
    add_arguments=_add_check_arguments,
    run=_run_check,
)
