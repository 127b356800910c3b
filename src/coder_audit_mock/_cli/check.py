"""`coder-audit-mock check`: the contract run from the command line.

```
coder-audit-mock check [--url URL] [--token TOKEN] [--role-token ROLE=TOKEN ...]
                       [--allow-writes] [--mock-admin-token TOKEN] [--schema PATH_OR_URL]
                       [--seed N] [--max-examples N] [--depth quick|thorough]
                       [--profile newest|2023-01] [--junit-xml PATH]
```

Without `--url` (or `CODER_URL`) it checks a fresh in-process mock; with one it checks that
server with the token from `--token` or `CODER_SESSION_TOKEN`: an owner's runs every check, an
auditor's the read-only ones. This project's mock served by URL needs no token (its tokens are
read from `/_mock/tokens`). A server that is not this mock is checked read-only unless
`--allow-writes` is given; this mock may be written to and gets its data back afterwards.
`--profile` names the Coder version the target should answer as (docs/profiles.md).

Exit codes: 0 every check passed, 1 a check failed, 2 a usage error (a missing contracts extra
included), 3 the target is unreachable, not Coder, or refuses the token (Schemathesis's own CLI
answers 1 for both of the last two; schemathesis-notes.md §4).

Only the standard library and the shared argument layer are imported at module level:
`coder-audit-mock --help` must work without the contracts extra.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys

from ._args import (
    EXIT_FAILED,
    EXIT_OK,
    PROG,
    ROLES,
    TOKEN_VARIABLE,
    UsageError,
    contract_errors,
    contract_exit_codes,
    natural,
    needs_contracts_extra,
    positive,
    profile_name,
)

SUMMARY = "Check a server (default: an in-process mock) against Coder's audit-log contract."
EXIT_CODES = contract_exit_codes(
    ok="every check passed (partial and skipped checks say why in the report)",
    failed="a contract check failed (each failure has a curl command)",
    unusable="unreachable, not Coder, the token refused or unable to read (role named)",
)
URL_VARIABLE = "CODER_URL"  # the Coder CLI's own variable name, as is TOKEN_VARIABLE
# Hypothesis keeps caches (unicode tables) in ./.hypothesis unless told otherwise: a check run
# writes nothing into the working directory, so they go to the user's cache directory.
HYPOTHESIS_STORAGE_VARIABLE = "HYPOTHESIS_STORAGE_DIRECTORY"
EXIT_PASSED = EXIT_OK
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
_DEPTHS = ("quick", "thorough")  # the keys of _runner.DEPTHS, which needs the extra
# The roles the semantic checks know (checks._role_answers), for --role-token.
ROLE_NAMES = tuple(ROLES)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add check's flags to its parser."""
    parser.add_argument(
        "--url",
        help=f"origin of the server to check, e.g. https://coder.example.com (default: "
        f"${URL_VARIABLE}; else a fresh in-process mock)",
    )
    parser.add_argument(
        "--token",
        help=f"a session token (default: ${TOKEN_VARIABLE}): an owner's runs every check, an "
        "auditor's the read-only ones; this project's mock needs none (it publishes its tokens)",
    )
    parser.add_argument(
        "--role-token",
        action="append",
        default=[],
        type=_role_token,
        metavar="ROLE=TOKEN",
        help=f"a token for the role checks, repeatable; ROLE is one of {', '.join(ROLE_NAMES)} "
        "(this project's mock: discovered)",
    )
    parser.add_argument(
        "--allow-writes",
        action="store_true",
        help="let the run write test audit logs (POST /api/v2/audit/testgenerate) into a server "
        "that is not this project's mock; without it such a server is checked read-only and the "
        "checks that need writes are skipped, saying so",
    )
    parser.add_argument(
        "--mock-admin-token",
        metavar="TOKEN",
        help="the admin token of a mock served with --admin-token, to read its tokens and put "
        "its data back after the run",
    )
    parser.add_argument(
        "--schema",
        metavar="PATH_OR_URL",
        help="the API document to check against (default: the project's own OpenAPI "
        "document of the --profile); Coder's Swagger 2.0, e.g. <origin>/swagger/doc.json, "
        "gets the waivers of its known differences from the real server",
    )
    parser.add_argument(
        "--seed",
        type=natural,
        default=0,
        metavar="N",
        help="the same seed sends the same requests, whatever the install (default: 0)",
    )
    parser.add_argument(
        "--max-examples",
        type=positive,
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
        type=profile_name,
        default="newest",
        help="the Coder version the server should answer as: newest (default) or 2023-01; "
        "the in-process mock answers as it (docs/profiles.md lists the differences)",
    )
    parser.add_argument("--junit-xml", metavar="PATH", help="also write the report as JUnit XML")


def _role_token(text: str) -> tuple[str, str]:
    role, equals, token = text.partition("=")
    if not equals or not token.strip():
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected ROLE=TOKEN")
    if role not in ROLE_NAMES:
        raise argparse.ArgumentTypeError(
            f"invalid role {role!r}: expected one of {', '.join(ROLE_NAMES)}"
        )
    return role, token.strip()


def _from_environment(value: str | None, variable: str) -> str | None:
    # An empty variable counts as unset, as in the Coder CLI.
    chosen = value if value is not None else os.environ.get(variable, "")
    return chosen.strip() or None


def _cache_outside_the_working_directory() -> None:
    if os.environ.get(HYPOTHESIS_STORAGE_VARIABLE):
        return
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    os.environ[HYPOTHESIS_STORAGE_VARIABLE] = os.path.join(cache, "coder-audit-mock", "hypothesis")


def run(args: argparse.Namespace) -> int:
    """Run the contract against the target and print the report; return the exit code."""
    with needs_contracts_extra("check"):
        from ..contracts import _report, _runner, _target
    url = _from_environment(args.url, URL_VARIABLE)
    token = _from_environment(args.token, TOKEN_VARIABLE)
    roles = dict(args.role_token)
    if len(roles) != len(args.role_token):
        raise UsageError("--role-token: a role is given twice")
    if url is None and (token is not None or roles):
        raise UsageError("--token and --role-token need --url (the in-process mock has its own)")
    junit = pathlib.Path(args.junit_xml) if args.junit_xml else None
    if junit is not None and not junit.parent.is_dir():
        raise UsageError(f"argument --junit-xml: directory {str(junit.parent)!r} does not exist")
    _cache_outside_the_working_directory()
    try:
        with (
            contract_errors(),
            _target.open_target(url, token=token, tokens=roles, profile=args.profile) as target,
        ):
            report = _runner.run_contract(
                target,
                schema=args.schema,
                seed=args.seed,
                max_examples=args.max_examples,
                depth=args.depth,
                profile=args.profile,
                allow_writes=True if args.allow_writes else None,
                admin_token=args.mock_admin_token,
            )
    except KeyboardInterrupt:
        print(f"{PROG} check: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(_report.render_report(report), flush=True)
    if junit is not None:
        _report.write_junit_xml(report, junit)
        print(f"JUnit XML written to {junit}", file=sys.stderr)
    return EXIT_PASSED if report.passed else EXIT_FAILED
