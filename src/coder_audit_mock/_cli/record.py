"""`coder-audit-mock record`: a real Coder's audit log as a scenario file.

```
coder-audit-mock record --url URL [--token TOKEN] [--caller TOKEN ...] -o FILE
                        [--page-size N] [--quiet]
```

Reads every page of the server's audit log and the users, organizations and resources behind
it, and writes a scenario that `serve --scenario FILE` answers from with the same bodies.
Progress goes to stderr. Exit codes: 0 written, 2 a usage error, 3 the server is unreachable,
is not a Coder or refuses the token; the file is written only when everything was read (a
temporary file is renamed into place), so a failure leaves no half-written scenario.

Only the standard library and the shared argument layer are imported at module level (`--help`
stays quick).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ._args import (
    EXIT_OK,
    EXIT_UNUSABLE,
    EXIT_USAGE,
    TOKEN_VARIABLE,
    CliError,
    Unusable,
    UsageError,
    session_token,
)

SUMMARY = "Record a real Coder's audit log, users and organizations as a scenario file."
EXIT_CODES = (
    (EXIT_OK, "the scenario file was written"),
    (EXIT_USAGE, "a usage error"),
    (
        EXIT_UNUSABLE,
        "the server is unreachable, not Coder, or refuses the token (no file is written)",
    ),
)


def _page_size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= 10_000:
        raise argparse.ArgumentTypeError(f"expected 1 to 10000, got {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add record's flags to its parser."""
    parser.add_argument(
        "--url", required=True, help="the Coder server's origin, e.g. https://coder.example.com"
    )
    parser.add_argument(
        "--token",
        help=f"an owner's session token (an auditor's reads the log but not every lookup; "
        f"default: ${TOKEN_VARIABLE})",
    )
    parser.add_argument(
        "--caller",
        action="append",
        default=[],
        metavar="TOKEN",
        help="another session token the mock should accept as the server does (its user, "
        "roles and expiry are recorded; repeatable)",
    )
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        type=Path,
        metavar="FILE",
        help="the scenario file to write (.json, or .yaml/.yml with PyYAML installed)",
    )
    parser.add_argument(
        "--page-size",
        type=_page_size,
        default=1000,
        metavar="N",
        help="logs per request (default: 1000)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")


def run(args: argparse.Namespace) -> int:
    """Record the server and write the scenario file; return the exit code."""
    from ..fidelity._errors import RecordError
    from ..fidelity._record import record_scenario
    from ..fidelity._record import stderr_progress as progress
    from ..mockserver import write_scenario_file
    from ..mockserver._scenario_entry import ScenarioError

    token = session_token(args.token)
    if not token:
        raise UsageError(f"record needs a session token: --token or ${TOKEN_VARIABLE}")
    output: Path = args.output
    if output.is_dir():
        raise UsageError(f"--output {output} is a directory: name the scenario file")
    if not output.parent.is_dir():
        raise UsageError(f"--output {output}: the folder {output.parent} does not exist")
    try:
        scenario = record_scenario(
            args.url, token, callers=args.caller, page_size=args.page_size,
            progress=None if args.quiet else progress,
        )  # fmt: skip
    except RecordError as error:
        raise Unusable(str(error)) from None
    partial = output.with_name(f".{output.name}.partial{output.suffix}")
    try:
        write_scenario_file(partial, scenario)
        partial.replace(output)
    except (ScenarioError, OSError) as error:
        partial.unlink(missing_ok=True)
        raise CliError(f"cannot write {output}: {error}") from None
    if not args.quiet:
        progress(f"record: wrote {output} ({len(scenario['logs'])} logs)")
    return 0
