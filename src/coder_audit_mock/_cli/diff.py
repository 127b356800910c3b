"""`coder-audit-mock diff`: differential testing from the command line.

```
coder-audit-mock diff --left URL|mock[:PROFILE] --right URL|mock[:PROFILE]
                      [--token TOKEN] [--left-token TOKEN] [--right-token TOKEN]
                      [--seed N] [--max-examples N]
coder-audit-mock diff --exact --left URL --right mock [--token TOKEN]
```

`mock` is a fresh in-process mock (`mock:2023-01` in that profile); a URL is a server's origin,
checked with the owner's token from `--left-token`/`--right-token`, else `--token`, else
`CODER_SESSION_TOKEN`. Exit codes: 0 no difference, 1 differences (listed, each with a curl
command), 2 a usage error, 3 a server is unreachable or refuses the token.

`--exact` records the left server (reads only: its audit log, users, organizations and the
resources behind the links), loads the recording into an in-process mock, sends both the
fidelity catalogue (about 1,000 requests) and compares every answer exactly: status, headers,
the whole body. Both hold the same data, so any difference is the mock's.

Only the standard library and the shared argument layer are imported at module level (`--help`
stays quick).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ._args import (
    EXIT_FAILED,
    EXIT_OK,
    TOKEN_VARIABLE,
    Unusable,
    UsageError,
    contract_errors,
    contract_exit_codes,
    natural,
    needs_contracts_extra,
    session_token,
)

if TYPE_CHECKING:
    from ..contracts._target import Target

MOCK = "mock"
EXIT_SAME, EXIT_DIFFERENT = EXIT_OK, EXIT_FAILED
SUMMARY = "Send the same requests to two servers and report every difference."
EXIT_CODES = contract_exit_codes(
    ok="no difference",
    failed="differences (each listed with a curl command)",
    unusable="a server is unreachable, not Coder, or refuses the token",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add diff's flags to its parser."""
    for side in ("left", "right"):
        parser.add_argument(
            f"--{side}",
            required=True,
            metavar="URL|mock[:PROFILE]",
            help=f"the {side} server: an origin such as https://coder.example.com, or `mock` "
            "for an in-process mock (`mock:2023-01` for that profile)",
        )
    parser.add_argument(
        "--token",
        help=f"the owner's session token for URL servers (default: ${TOKEN_VARIABLE})",
    )
    parser.add_argument("--left-token", help="the left server's owner token (default: --token)")
    parser.add_argument("--right-token", help="the right server's owner token (default: --token)")
    parser.add_argument(
        "--seed",
        type=natural,
        default=0,
        metavar="N",
        help="the same seed sends the same requests (default: 0)",
    )
    parser.add_argument(
        "--exact",
        action="store_true",
        help="record the left server (a URL), load the recording into the right (`mock`) and "
        "compare every answer of the fidelity catalogue exactly (reads only)",
    )
    parser.add_argument(
        "--max-examples",
        type=natural,
        default=100,
        metavar="N",
        help="generated requests after the fixed catalogue (default: 100)",
    )


@contextlib.contextmanager
def _open(spec: str, token: str | None) -> Iterator[Target]:
    """The server `spec` names, as a contract `Target`."""
    from ..contracts._coder import RULES
    from ..contracts._target import open_target
    from ..mockserver import create_app

    PROFILE_NAMES = tuple(RULES)  # the kit's versions; a test keeps them the mock's profiles

    name, colon, profile = spec.partition(":")
    if name == MOCK:
        profile = profile if colon else PROFILE_NAMES[0]
        if profile not in PROFILE_NAMES:
            raise UsageError(
                f"unknown profile {profile!r} in {spec!r}: expected one of {', '.join(PROFILE_NAMES)}"
            )
        with open_target(app=create_app(profile=profile)) as target:
            yield dataclasses.replace(target, description=f"mock ({profile})")
        return
    from ..contracts._access import identify_access

    with open_target(spec, token=token) as target:
        # Without a token: this project's mock by URL publishes its tokens (identify_access
        # reads them); any other server is a usage error naming the flags (ContractError).
        yield target if token is not None else identify_access(target, allow_writes=False)[0]


def _run_exact(args: argparse.Namespace, token: str | None) -> int:
    with needs_contracts_extra("diff --exact"):
        from ..fidelity import RecordError, diff_against_mock

    if args.right.partition(":")[0] != MOCK or args.left.partition(":")[0] == MOCK:
        raise UsageError("--exact compares a server with a mock of it: --left URL --right mock")
    if args.right != MOCK:
        raise UsageError("--exact answers as the newest Coder: --right mock, without a profile")
    if token is None:
        raise UsageError(
            f"--exact needs the left server's owner token: --token or ${TOKEN_VARIABLE}"
        )
    try:
        report = diff_against_mock(args.left, token, seed=args.seed)
    except RecordError as error:
        raise Unusable(str(error)) from None
    print(report.render(args.left, "mock of its recording", secret=token), flush=True)
    return EXIT_SAME if report.same else EXIT_DIFFERENT


def run(args: argparse.Namespace) -> int:
    """Compare the two servers and print the differences; return the exit code."""
    with needs_contracts_extra("diff"):
        from ..contracts._diff import render_diff_report, run_diff
        from ..contracts._runner import probe_target

    shared = session_token(args.token)
    if args.exact:
        return _run_exact(args, args.left_token or shared)
    with (
        contract_errors(),
        _open(args.left, args.left_token or shared) as left,
        _open(args.right, args.right_token or shared) as right,
    ):
        for target in (left, right):
            probe_target(target)
        report = run_diff(left, right, seed=args.seed, max_examples=args.max_examples)
    print(render_diff_report(report), flush=True)
    return EXIT_SAME if report.same else EXIT_DIFFERENT
