"""The `coder-audit-mock` command line (also `python -m coder_audit_mock`).

Exit codes follow click's (style-anchors §3.7): 0 ok, 1 runtime error, 2 usage error. Every
error is one line on stderr, `coder-audit-mock <command>: error: <what and how to fix it>`;
argparse's multi-line usage dump is kept for `--help` only.

Each command is one module of this package, named in `COMMANDS`, which holds:
- `SUMMARY`: its line in `coder-audit-mock --help`;
- `EXIT_CODES`: (code, meaning) for each exit code it uses, shown in its --help;
- `add_arguments(parser)`: adds its flags;
- `run(args) -> int`: does the work, raising `UsageError` or `CliError` (from `_args`);
- optionally `with_settings(words, parser) -> list[str]`: settings found elsewhere
  (environment, config file) put in front of its words, as flags.
`main` imports only the module of the command being run (`--help` imports them all), so a
command module imports only the standard library and `_args` at module level; heavy or
optional things (the server, an extra such as schemathesis) are imported inside `run`, the
extra within `needs_contracts_extra("check")`, which turns its ImportError into one line.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from ._args import PROG, CliError, Subcommand, UsageError

__all__ = ["COMMANDS", "main"]

# The command table, the only place where a command is registered: name -> its module.
COMMANDS: dict[str, str] = {
    "serve": f"{__name__}.serve",
    "check": f"{__name__}.check",
    "diff": f"{__name__}.diff",
    "record": f"{__name__}.record",
}


class _BadFlags(UsageError):
    """argparse refused the command line; `prog` names the (sub)command whose flags were bad."""

    def __init__(self, prog: str, message: str) -> None:
        super().__init__(message)
        self.prog = prog


class _Exit(Exception):
    """argparse finished early (`--help`, `--version`): `main` returns this status."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line and whose exits return from `main`.

    argparse prints the whole usage block and calls `sys.exit(2)` on a bad value; a frontend
    developer needs just the bad value and the fix, and tests need `main` to return.
    """

    def error(self, message: str) -> NoReturn:
        raise _BadFlags(self.prog, f"{message} (see `{self.prog} --help`)")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            sys.stderr.write(message)
        raise _Exit(status)


def main(argv: Sequence[str] | None = None) -> int:
    """Run `coder-audit-mock` with `argv` (default: `sys.argv[1:]`) and return the exit code.

    Args:
        argv: the arguments after the program name.

    Example:
        >>> main(["serve", "--port", "abc"])  # prints the one-line error on stderr
        2
    """
    words = sys.argv[1:] if argv is None else list(argv)
    # A named command loads only its own module: `serve` has no use for the contract kit's.
    named = words[0] if words and words[0] in COMMANDS else None
    parser, subcommands = _build_parser(tuple(COMMANDS) if named is None else (named,))
    prog = PROG if named is None else f"{PROG} {named}"
    try:
        if named is not None and (with_settings := subcommands[named].with_settings):
            words = [named, *with_settings(words[1:], _subparser(parser, named))]
        args = parser.parse_args(words)
        return subcommands[args.command].run(args)
    except _Exit as early:
        return early.status
    except CliError as error:
        where = error.prog if isinstance(error, _BadFlags) else prog
        print(f"{where}: error: {error}", file=sys.stderr)
        return error.exit_code


def _build_parser(
    names: Sequence[str] = tuple(COMMANDS),
) -> tuple[_Parser, dict[str, Subcommand]]:
    parser = _Parser(
        prog=PROG,
        description="A mock of Coder's audit-log API (GET /api/v2/audit) with seeded data.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    subcommands = {}
    for name in names:
        subcommand = _load(name)
        subcommand.add_arguments(
            commands.add_parser(
                subcommand.name,
                help=subcommand.summary,
                description=subcommand.summary,
                epilog=subcommand.epilog(),
                # Keeps the epilog's one-line-per-exit-code layout.
                formatter_class=argparse.RawDescriptionHelpFormatter,
            )
        )
        subcommands[subcommand.name] = subcommand
    return parser, subcommands


def _load(name: str) -> Subcommand:
    module = importlib.import_module(COMMANDS[name])
    return Subcommand(
        name,
        module.SUMMARY,
        module.add_arguments,
        module.run,
        module.EXIT_CODES,
        getattr(module, "with_settings", None),
    )


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    # argparse keeps no public handle on its subparsers.
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    subparser: argparse.ArgumentParser = commands.choices[name]
    return subparser


def _version() -> str:
    from coder_audit_mock import __version__

    return __version__
