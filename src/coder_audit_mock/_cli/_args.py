"""What every `coder-audit-mock` command shares: its errors, exit codes and common flag types.

Only the standard library is imported at module level: `coder-audit-mock --help` loads this
module and every command's, and must answer at once, without the optional extras installed.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
from collections.abc import Callable, Iterator, Sequence

from coder_audit_mock._errors import CoderAuditMockError

PROG = "coder-audit-mock"


class CliError(CoderAuditMockError):
    """A failure that `main` reports as one line on stderr, with exit code 1.

    Example:
        >>> CliError("127.0.0.1:3000 is already in use").exit_code
        1
    """

    exit_code = 1


class UsageError(CliError):
    """A bad flag or combination of flags: one line on stderr, exit code 2.

    Example:
        >>> UsageError("--token owner=... given twice").exit_code
        2
    """

    exit_code = 2


# What every command's exit code means (each command lists the ones it uses in --help).
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNUSABLE = 0, 1, 2, 3


class Unusable(CliError):
    """The server cannot be used at all (unreachable, not Coder, the token refused): exit code 3.

    Example:
        >>> Unusable("cannot reach http://127.0.0.1:9").exit_code
        3
    """

    exit_code = EXIT_UNUSABLE


CONTRACTS_EXTRA = "pip install 'coder-audit-mock[contracts]'"
# The distributions of the contracts extra, by the name their modules import as.
_EXTRA_MODULES = frozenset({"schemathesis", "hypothesis"})


class MissingExtra(UsageError):
    """A command needs an optional extra that is not installed: one line, exit code 2.

    Example:
        >>> print(MissingExtra("check"))
        check needs the contracts extra, which is not installed: pip install 'coder-audit-mock[contracts]'
    """

    def __init__(self, command: str) -> None:
        super().__init__(
            f"{command} needs the contracts extra, which is not installed: {CONTRACTS_EXTRA}"
        )


@contextlib.contextmanager
def needs_contracts_extra(command: str) -> Iterator[None]:
    """Turn the ImportError of a missing contracts extra inside the block into `MissingExtra`.

    Any other import error is a bug and propagates.

    Example:
        >>> with needs_contracts_extra("check"):
        ...     import json  # present: nothing happens
    """
    try:
        yield
    except ModuleNotFoundError as error:
        if (error.name or "").partition(".")[0] not in _EXTRA_MODULES:
            raise
        raise MissingExtra(command) from None


def contract_exit_codes(ok: str, failed: str, unusable: str) -> tuple[tuple[int, str], ...]:
    """The exit codes of a command that runs the contract kit, with what each means for it.

    Example:
        >>> contract_exit_codes("no difference", "differences", "a server is unreachable")[2]
        (2, 'a usage error, the contracts extra not installed included')
    """
    return (
        (EXIT_OK, ok),
        (EXIT_FAILED, failed),
        (EXIT_USAGE, "a usage error, the contracts extra not installed included"),
        (EXIT_UNUSABLE, unusable),
    )


@contextlib.contextmanager
def contract_errors() -> Iterator[None]:
    """Turn the contract kit's errors inside the block into one-line errors of the command.

    A target that cannot be checked at all is `Unusable` (exit code 3); a misuse of the kit
    (a bad schema, a role it does not know...) is a `UsageError` (exit code 2).

    Example:
        >>> with contract_errors():  # needs the contracts extra
        ...     pass
    """
    from coder_audit_mock.contracts._errors import ContractError
    from coder_audit_mock.contracts._runner import UnusableTarget

    try:
        yield
    except UnusableTarget as error:
        raise Unusable(str(error)) from None
    except ContractError as error:
        raise UsageError(str(error)) from None


@dataclasses.dataclass(frozen=True, slots=True)
class Subcommand:
    """One `coder-audit-mock <name>` command: its flags and what it does.

    Args:
        name: the word on the command line.
        summary: one line for `coder-audit-mock --help`.
        add_arguments: adds the command's flags to its (already created) parser.
        run: does the work with the parsed flags and returns the exit code; raises `UsageError`
            for a bad combination of flags and `CliError` for a runtime failure.
        exit_codes: (code, meaning) for each exit code the command uses, shown in its --help.
        with_settings: given the words after the command's name and its parser, returns them
            with the settings found elsewhere (environment, config file) put in front, as flags;
            raises `UsageError` for a bad setting. None: the command line is all there is.

    Example:
        >>> hello = Subcommand("hello", "Say hello.", lambda parser: None, lambda args: 0)
        >>> hello.run(argparse.Namespace())
        0
    """

    name: str
    summary: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    exit_codes: tuple[tuple[int, str], ...] = ()
    with_settings: Callable[[Sequence[str], argparse.ArgumentParser], list[str]] | None = None

    def epilog(self) -> str | None:
        """The "exit codes" block of the command's --help (None when there are none)."""
        if not self.exit_codes:
            return None
        return "exit codes:\n" + "\n".join(
            f"  {code}  {meaning}" for code, meaning in self.exit_codes
        )


# -- flag types shared by the commands ------------------------------------------------------

# The built-in callers (§6.2, §6.3) and what each gets from GET /api/v2/audit: the
# roles `serve --token` and `check --role-token` accept.
ROLES: dict[str, str] = {
    "owner": "200, every log",
    "auditor": "200, every log",
    "org-admin": "200, its organization's logs",
    "org-auditor": "200, its organization's logs",
    "member": "403",
    "expired": "401, API key expired",
    "suspended": "401, user is not active",
}
TOKEN_VARIABLE = "CODER_SESSION_TOKEN"  # the Coder CLI's own variable name


def session_token(given: str | None) -> str | None:
    """The session token of `--token`, else of `$CODER_SESSION_TOKEN` (None when neither).

    Example:
        >>> session_token("0123456789-abcdefghijklmnopqrstuv")
        '0123456789-abcdefghijklmnopqrstuv'
    """
    return given or os.environ.get(TOKEN_VARIABLE, "").strip() or None


def profile_name(text: str) -> str:
    """The `--profile` type: the name of a Coder version the mock can answer as.

    Example:
        >>> profile_name("2023-01")
        '2023-01'
    """
    # Imported here: `--help` must not load the server.
    from coder_audit_mock.mockserver.profiles import PROFILE_NAMES

    if text not in PROFILE_NAMES:
        raise argparse.ArgumentTypeError(
            f"unknown profile {text!r}: expected one of {', '.join(PROFILE_NAMES)}"
        )
    return text


def bounded_int(text: str, what: str, low: int, high: int | None) -> int:
    """`text` as an integer from `low` to `high` (None: no limit), else a message naming `what`.

    Example:
        >>> bounded_int("3000", "port", 0, 65535)
        3000
    """
    try:
        value: int | None = int(text)
    except ValueError:
        value = None
    if value is None or value < low or (high is not None and value > high):
        expected = f"from {low} to {high}" if high is not None else f"{low} or more"
        raise argparse.ArgumentTypeError(f"invalid {what} {text!r}: expected an integer {expected}")
    return value


def natural(text: str) -> int:
    """The type of a seed or a count: digits only, 0 or more.

    Example:
        >>> natural("7")
        7
    """
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected an integer 0 or more")
    return int(text)


def positive(text: str) -> int:
    """The type of a count that must be 1 or more.

    Example:
        >>> positive("25")
        25
    """
    value = natural(text)
    if value == 0:
        raise argparse.ArgumentTypeError("invalid value '0': expected an integer 1 or more")
    return value
