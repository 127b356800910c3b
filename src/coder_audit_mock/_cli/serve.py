"""`coder-audit-mock serve`: the mock API over HTTP, with seeded data (or a scenario file).

Every flag can also come from a `CODER_AUDIT_MOCK_<FLAG>` variable or a `--config FILE`
(`_serve_config`). Only the standard library and the shared argument layer are imported at
module level: `--help` and bad flags answer without loading the server.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import errno
import os
import re
import socket
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from ._args import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    PROG,
    ROLES,
    CliError,
    UsageError,
    bounded_int,
    profile_name,
)

if TYPE_CHECKING:
    import uvicorn
    from starlette.applications import Starlette

    from coder_audit_mock.mockserver import AuditLog, MockServer
    from coder_audit_mock.mockserver._faults import FaultPlan
    from coder_audit_mock.mockserver._standalone import ServeOptions
    from coder_audit_mock.mockserver._watch import ScenarioWatcher

SUMMARY = "Serve the mock API over HTTP, with seeded data."
EXIT_CODES = (
    (EXIT_OK, "stopped (Ctrl-C or SIGTERM)"),
    (EXIT_FAILED, "cannot start: the port is taken, the scenario file is bad, ..."),
    (EXIT_USAGE, "a usage error (a bad flag or value)"),
)


def with_settings(words: Sequence[str], parser: argparse.ArgumentParser) -> list[str]:
    """serve's `words` with its `CODER_AUDIT_MOCK_*` variables and config file put in front."""
    from ._serve_config import ConfigError, serve_argv

    try:
        return serve_argv(words, parser, os.environ)
    except ConfigError as error:
        raise UsageError(str(error)) from None


# A token of the shape of §6.1 (TOKEN_PATTERN), for the --token help and errors.
_TOKEN_EXAMPLE = "0123456789-abcdefghijklmnopqrstuv"
# --now's grammar: RFC 3339 §5.6 as written, which is not Go's time.RFC3339 (parse_go_rfc3339):
# `t`/`z` may be lower case, the hour has two digits, only `.` starts the fraction (any length).
_RFC3339 = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(?:[Zz]|([+-])(\d{2}):(\d{2}))"
)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# The fake deployment reaches years before `now` (users, logs) and its clock runs on after it,
# while JSON times must stay in years 0-9999 as in Go: keep `now` well inside that range.
_EARLIEST_NOW = _EPOCH
_LATEST_NOW = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)
MAX_LOGS = 1_000_000  # the store is built for a million logs; more only exhausts memory


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add serve's flags to its parser."""
    parser.add_argument(
        "--host",
        type=_host,
        default="127.0.0.1",
        help="address to listen on (default: %(default)s, this machine only)",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=3000,
        help="port to listen on; 0 picks a free one (default: %(default)s, where Coder's UI "
        "dev server sends /api)",
    )
    parser.add_argument(
        "--seed", type=_seed, default=0, help="seed of the fake data (default: %(default)s)"
    )
    parser.add_argument(
        "--logs",
        dest="log_count",
        type=_log_count,
        default=1000,
        metavar="N",
        help=f"number of audit logs, 0 to {MAX_LOGS} (default: %(default)s)",
    )
    parser.add_argument(
        "--max-logs",
        type=_max_logs,
        default=None,
        metavar="N",
        help="store at most N audit logs: testgenerate beyond them answers 507 and stores "
        "nothing, so that memory stays bounded (default: no limit, as in Coder)",
    )
    parser.add_argument(
        "--now",
        type=_now,
        default=None,
        metavar="RFC3339|now",
        help="the time the newest logs lead up to; 'now' is the wall clock "
        "(default: a fixed time, so that the data is the same on every run)",
    )
    _repeatable(
        parser,
        "--token",
        "tokens",
        _role_token,
        "ROLE=TOKEN",
        f"use TOKEN for ROLE instead of the built-in one (repeatable); ROLE is one of "
        f"{', '.join(ROLES)}; TOKEN looks like {_TOKEN_EXAMPLE}",
    )
    parser.add_argument(
        "--profile",
        type=profile_name,
        default="newest",
        help="the Coder version to answer as: newest (default) or 2023-01, Coder as of "
        "2023-01-03 (docs/profiles.md lists the differences)",
    )
    _add_standalone_arguments(parser)
    _switch(
        parser,
        "--quiet",
        "no access log (otherwise one line per request: method, path, status, duration; "
        "token query values redacted)",
    )


def _switch(parser: argparse.ArgumentParser, flag: str, help: str) -> None:
    """Add `flag`, a switch: given, it is on (a config file or variable says true or false)."""
    parser.add_argument(flag, action="store_true", help=help)


def _repeatable(
    parser: argparse.ArgumentParser,
    flag: str,
    dest: str,
    type: Callable[[str], object],
    metavar: str,
    help: str,
) -> None:
    """Add `flag`, which may be given more than once: `args.<dest>` lists its values in order."""
    parser.add_argument(
        flag, dest=dest, type=type, action="append", default=[], metavar=metavar, help=help
    )


def _host(text: str) -> str:
    # An empty host would make the socket listen on every interface: binding beyond this
    # machine must be spelled out (e.g. --host 0.0.0.0).
    if not text.strip():
        raise argparse.ArgumentTypeError("empty host: give an address such as 127.0.0.1")
    return text


def _port(text: str) -> int:
    return bounded_int(text, "port", 0, 65535)


def _seed(text: str) -> int:
    # Negative seeds are refused: random.Random(-n) draws the same numbers as Random(n), so two
    # different seeds would silently give the same data.
    return bounded_int(text, "seed", 0, None)


def _log_count(text: str) -> int:
    return bounded_int(text, "log count", 0, MAX_LOGS)


def _max_logs(text: str) -> int:
    # 0 is allowed: a server whose data testgenerate must never change.
    return bounded_int(text, "max logs", 0, None)


def _now(text: str) -> dt.datetime:
    """--now's value: the wall clock for "now", else an RFC 3339 time (_RFC3339).

    A thin wrapper over the one parser, `parse_go_rfc3339`, because --now has always accepted
    a different set than Go's (tests/server/test_cli.py pins it): lower-case `t` and `z`, and
    offsets under 24 hours only; a fraction is cut to microseconds, not rounded.
    """
    if text == "now":
        return dt.datetime.now(dt.UTC)
    problem = "expected RFC 3339 such as 2024-05-01T12:00:00Z, or 'now' for the wall clock"
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise argparse.ArgumentTypeError(f"invalid time {text!r}: {problem}")
    date, clock, fraction, sign, offset_h, offset_m = match.groups()
    if sign and int(offset_h) * 60 + int(offset_m) >= 24 * 60:
        raise argparse.ArgumentTypeError(f"invalid time {text!r}: an offset must be under 24h")
    # Imported here: `--help` and a malformed time must not load the server.
    from coder_audit_mock.mockserver._goparse import GoParseError, parse_go_rfc3339

    cut = f".{fraction[:6]}" if fraction else ""
    zone = f"{sign}{offset_h}:{offset_m}" if sign else "Z"
    try:
        moment_us = parse_go_rfc3339(f"{date}T{clock}{cut}{zone}")
    except GoParseError as error:
        raise argparse.ArgumentTypeError(f"invalid time {text!r}: {error}") from None
    since_epoch = dt.timedelta(microseconds=moment_us)  # no datetime yet: years 0 and 9999+
    if not _EARLIEST_NOW - _EPOCH <= since_epoch < _LATEST_NOW - _EPOCH:
        raise argparse.ArgumentTypeError(
            f"invalid time {text!r}: expected a time from {rfc3339(_EARLIEST_NOW)} to before "
            f"{rfc3339(_LATEST_NOW)}"
        )
    return _EPOCH + since_epoch


def _role_token(text: str) -> tuple[str, str]:
    role, equals, token = text.partition("=")
    if not equals:
        raise argparse.ArgumentTypeError(
            f"invalid value {text!r}: expected ROLE=TOKEN, ROLE one of {', '.join(ROLES)}"
        )
    if role not in ROLES:
        raise argparse.ArgumentTypeError(
            f"unknown role {role!r} in {text!r}: expected one of {', '.join(ROLES)}"
        )
    # Imported here: `--help` must not load the server.
    from coder_audit_mock.mockserver._auth import TOKEN_PATTERN

    if not TOKEN_PATTERN.fullmatch(token):
        raise argparse.ArgumentTypeError(
            f"invalid token {token!r} for {role}: expected 10 letters or digits, '-', then 22 "
            f"letters or digits, like {_TOKEN_EXAMPLE}"
        )
    return role, token


def _merge_tokens(
    defaults: Mapping[str, str], overrides: Sequence[tuple[str, str]]
) -> dict[str, str]:
    tokens = dict(defaults)
    given: set[str] = set()
    for role, token in overrides:
        if role in given:
            raise UsageError(f"argument --token: {role} is given more than once")
        given.add(role)
        tokens[role] = token
    holders: dict[str, str] = {}
    for role, token in tokens.items():
        if token in holders:
            raise UsageError(
                f"argument --token: {holders[token]} and {role} would share token {token}; "
                "each role needs its own"
            )
        holders[token] = role
    return tokens


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C or SIGTERM (or export a scenario and exit); return the exit code."""
    # Imported here, not at the top: `--help` and bad flags answer without loading the server.
    import uvicorn

    from coder_audit_mock.mockserver import DEFAULT_NOW_US, DEFAULT_TOKENS
    from coder_audit_mock.mockserver._admin import session_tokens
    from coder_audit_mock.mockserver._gc import freeze_survivors
    from coder_audit_mock.mockserver._standalone import build_app

    tokens = _merge_tokens(DEFAULT_TOKENS, args.tokens)
    now: dt.datetime = args.now or _EPOCH + dt.timedelta(microseconds=DEFAULT_NOW_US)
    if args.upstream_webapp and not args.upstream:
        raise UsageError("--upstream-webapp needs --upstream URL")
    if args.watch and not args.scenario:
        raise UsageError("--watch needs --scenario FILE: the file to reload")
    if (args.export_query or args.export_limit is not None) and not args.export_scenario:
        raise UsageError("--export-query and --export-limit need --export-scenario PATH")
    if args.export_scenario is not None:
        return _export_and_exit(args, now, tokens)
    options, notes = _serve_options(args)
    try:
        # Bind before generating the data, so that a busy port fails at once.
        with _listen(args.host, args.port) as sock:
            mock = _mock_server(args, now, tokens)
            # serve owns its process: the data it serves leaves every later GC pass, once here
            # (after any --scenario) and again on each reload (the library never does; _gc.py).
            # An --export-scenario run exits instead and skips it.
            mock.store.freeze_gc = True
            freeze_survivors()
            if args.upstream:
                from coder_audit_mock._upstream import upstream_router

                options = dataclasses.replace(
                    options,
                    upstream=upstream_router(args.upstream, mock),
                    webapp=args.upstream_webapp,
                )
            app = build_app(mock, options)
            url = _url(args.host, sock.getsockname()[1])
            roles = session_tokens(mock)["roles"]  # a scenario may have moved or dropped some
            print(banner(url, args.seed, len(mock.store), now, roles, args.profile), flush=True)
            for line in notes(url):
                print(line, flush=True)
            server = uvicorn.Server(_uvicorn_config(app, args.host, sock))
            watcher = _watcher(args, mock)
            server.run(sockets=[sock])
            if watcher is not None:
                watcher.stop()
            # Not started: uvicorn has logged why (the app's lifespan start-up failed).
            return 0 if server.started else 1
    except KeyboardInterrupt:
        # uvicorn shuts down gracefully on the first Ctrl-C, then re-raises it.
        return 0


def _watcher(args: argparse.Namespace, mock: MockServer) -> ScenarioWatcher | None:
    from coder_audit_mock.mockserver._watch import ScenarioWatcher

    if not args.watch:
        return None
    watcher = ScenarioWatcher(mock, args.scenario, lambda line: print(line, flush=True))
    watcher.start()
    print(f"Watching {args.scenario}: saved changes are loaded at once", flush=True)
    return watcher


def _listen(host: str, port: int) -> socket.socket:
    """Bind a TCP socket to host:port for uvicorn, turning OS errors into one-line messages."""
    where = f"{_bracketed(host)}:{port}"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as error:
        raise CliError(f"cannot listen on {where}: unknown host ({error.strerror})") from None
    sock = socket.socket(family, kind, proto)
    try:
        if sys.platform != "win32":
            # Lets a restarted server take the port while the old one's connections linger
            # in TIME_WAIT; a port with a live listener still fails (on Windows it would not).
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise CliError(
                f"cannot listen on {where}: the port is already in use; stop what runs "
                "there or choose another port with --port"
            ) from None
        raise CliError(f"cannot listen on {where}: {error.strerror}") from None
    return sock


def _uvicorn_config(app: Starlette, host: str, sock: socket.socket) -> uvicorn.Config:
    import copy

    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from coder_audit_mock._http import http_protocol

    # The banner already says where the server listens: keep uvicorn's start-up chatter out
    # (warnings and errors still show). Its access log stays off: it would print query strings
    # with their session tokens; the app's own access log redacts them (and obeys --quiet).
    logging_config = copy.deepcopy(LOGGING_CONFIG)
    logging_config["loggers"]["uvicorn.error"]["level"] = "WARNING"
    return uvicorn.Config(
        app,
        host=host,
        port=sock.getsockname()[1],
        log_config=logging_config,
        access_log=False,
        lifespan="on",
        server_header=False,  # Coder (Go net/http) sends no Server header
        # uvloop when installed (uvicorn's "auto"); httptools, with h11 for the methods it
        # refuses (see _http): the fastest parser, answering as h11 does.
        loop="auto",
        http=http_protocol(),
    )


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _url(host: str, port: int) -> str:
    return f"http://{_bracketed(host)}:{port}"


def rfc3339(moment: dt.datetime) -> str:
    """`moment` in UTC as RFC 3339 with a `Z`, as Coder writes times.

    Example:
        >>> rfc3339(dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC))
        '2024-05-01T12:00:00Z'
    """
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def banner(
    url: str,
    seed: int,
    log_count: int,
    now: dt.datetime,
    tokens: Mapping[str, str],
    profile: str | None = None,
) -> str:
    """The start-up text of `serve`: where it listens, what data it holds, which tokens work.

    Args:
        url: the base URL the server listens on.
        seed, log_count, now: the data's settings.
        tokens: role -> session token.
        profile: the Coder version answered as; named unless it is the default profile
            (None: the default).

    Example:
        >>> print(banner("http://127.0.0.1:3000", 0, 5, dt.datetime(2024, 5, 1, tzinfo=dt.UTC),
        ...              {"owner": "0123456789-abcdefghijklmnopqrstuv"}))  # doctest: +ELLIPSIS
        coder-audit-mock serving a mock of Coder's audit-log API
          URL   http://127.0.0.1:3000/api/v2/audit
        ...
    """
    from coder_audit_mock.mockserver.profiles import DEFAULT_PROFILE

    profile = profile or DEFAULT_PROFILE
    width = max(map(len, tokens), default=0)
    rows = [f"  {role:<{width}}  {token}  {ROLES.get(role, '')}" for role, token in tokens.items()]
    example = next(iter(tokens.values()), "TOKEN")
    return "\n".join(
        [
            f"{PROG} serving a mock of Coder's audit-log API"
            + ("" if profile == DEFAULT_PROFILE else f" as Coder {profile} (--profile)"),
            f"  URL   {url}/api/v2/audit",
            f"  seed  {seed}",
            f"  logs  {log_count}",
            f"  now   {rfc3339(now)}",
            "Tokens (send one as the Coder-Session-Token header):",
            *rows,
            f"Try: curl -H 'Coder-Session-Token: {example}' '{url}/api/v2/audit?limit=5'",
            "Press Ctrl-C to stop.",
        ]
    )


# ---------------------------------------------------------------------------------------------
# serve: the standalone options (CORS, faults, scenarios, admin endpoints; docs/frontend.md)


def _add_standalone_arguments(parser: argparse.ArgumentParser) -> None:
    _repeatable(
        parser,
        "--cors-origin",
        "cors_origins",
        _cors_origin,
        "ORIGIN",
        "let pages from ORIGIN (scheme://host[:port], or '*' for any origin) call the "
        "server with the Coder-Session-Token header and credentials (repeatable; default: "
        "no CORS)",
    )
    _repeatable(
        parser,
        "--delay",
        "delays",
        _delay,
        "[PATH=]MS|MIN-MAX",
        "wait MS milliseconds, or a random time from MIN to MAX, before answering requests "
        "under PATH (default /api/v2/); repeatable, one per PATH",
    )
    _repeatable(
        parser,
        "--error-rate",
        "error_rates",
        _error_rate,
        "[PATH=]RATE",
        "answer this share (0 to 1) of the requests under PATH (default /api/v2/) with a "
        "Coder-shaped 500 or 503; repeatable, one per PATH; the draws follow --seed",
    )
    _repeatable(
        parser,
        "--error-kinds",
        "error_kinds",
        _error_kinds,
        "[PATH=]KIND,...",
        "what the injected errors under PATH are, one drawn per error: 401, 403, 429 "
        "(with Retry-After), 500, 503, drop (the connection is cut), timeout (held 30 s, then "
        "cut), slow_body (the answer dribbles out over 5 s); default 500,503",
    )
    parser.add_argument(
        "--scenario",
        metavar="PATH",
        help="start from this scenario file (.json, or .yaml/.yml with PyYAML) instead of the "
        "seeded data; POST /_mock/reset returns to it",
    )
    _switch(
        parser,
        "--watch",
        "with --scenario: reload the file whenever it changes (a file that does not "
        "validate keeps the old data; the log says why)",
    )
    parser.add_argument(
        "--export-scenario",
        metavar="PATH",
        help="write the starting data (seeded, or --scenario) to PATH as a scenario file "
        "(.json, .yaml) and exit without serving",
    )
    parser.add_argument(
        "--export-query",
        metavar="Q",
        help="with --export-scenario: export only the logs this search query selects (the "
        "API's q, e.g. 'action:create resource_type:workspace'), and only what they reference",
    )
    parser.add_argument(
        "--export-limit",
        type=_log_count,
        metavar="N",
        help="with --export-scenario: export only the newest N (matching) logs, and only what "
        "they reference",
    )
    parser.add_argument(
        "--admin-token",
        type=_admin_token,
        metavar="TOKEN",
        help=f"require TOKEN ({_ADMIN_TOKEN_RULE}) in the Mock-Admin-Token header of /_mock/ "
        "calls; without it the admin endpoints are off when --host is not a loopback address",
    )
    _switch(parser, "--no-admin", "no /_mock/ admin endpoints")
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="read serve's settings from FILE (TOML, JSON or YAML: flag names as keys); every "
        "flag can also be set as CODER_AUDIT_MOCK_<FLAG> (e.g. CODER_AUDIT_MOCK_PORT=3001); "
        "the command line wins, then the environment, then the file",
    )
    _switch(
        parser,
        "--no-webapp",
        "answer only the audit-log API: no users/me, authcheck, entitlements... for "
        "Coder's web app (docs/frontend.md)",
    )
    parser.add_argument(
        "--upstream",
        metavar="URL",
        type=_upstream_url,
        help="forward every request the mock does not answer to the real Coder at URL (HTTP; "
        "headers, cookies and bodies unchanged), overlaying its entitlements so that the Audit "
        "page shows; the audit routes are the mock's, answered as the caller's role there",
    )
    _switch(
        parser,
        "--upstream-webapp",
        "with --upstream: answer the web app's routes (users/me, authcheck, ...) from the "
        "mock too, instead of the real Coder",
    )
    _switch(
        parser,
        "--unlicensed",
        "answer entitlements and appearance 404, as Coder's open-source build does (the "
        "web app then shows the Audit page's Premium paywall)",
    )


def _cors_origin(text: str) -> str:
    from coder_audit_mock.mockserver._cors import normalize_origin

    try:
        return normalize_origin(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _path_and_value(text: str) -> tuple[str, str]:
    """`[PATH=]VALUE` -> (PATH, VALUE); PATH defaults to every Coder API path."""
    from coder_audit_mock.mockserver._faults import DEFAULT_FAULT_PATH

    path, equals, value = text.rpartition("=")
    if not equals:
        return DEFAULT_FAULT_PATH, text
    if not path.startswith("/"):
        raise argparse.ArgumentTypeError(
            f"invalid path {path!r} in {text!r}: expected a path such as /api/v2/audit"
        )
    return path, value


def _delay(text: str) -> tuple[str, tuple[float, float]]:
    from coder_audit_mock.mockserver._faults import parse_delay

    path, value = _path_and_value(text)
    try:
        return path, parse_delay(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _error_rate(text: str) -> tuple[str, float]:
    from coder_audit_mock.mockserver._faults import parse_rate

    path, value = _path_and_value(text)
    try:
        return path, parse_rate(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _error_kinds(text: str) -> tuple[str, tuple[int | str, ...]]:
    from coder_audit_mock.mockserver._faults import FAULT_KINDS

    path, value = _path_and_value(text)
    kinds: list[int | str] = []
    for word in value.split(","):
        kind: int | str = int(word) if word.strip().isdigit() else word.strip()
        if kind not in FAULT_KINDS:
            choices = ", ".join(str(k) for k in FAULT_KINDS)
            raise argparse.ArgumentTypeError(f"invalid error kind {word!r}: expected {choices}")
        kinds.append(kind)
    return path, tuple(kinds)


def _upstream_url(text: str) -> str:
    import urllib.parse

    parsed = urllib.parse.urlsplit(text)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise argparse.ArgumentTypeError(
            f"invalid upstream {text!r}: expected http(s)://host[:port] of a Coder"
        )
    return text.rstrip("/")


# Sent as an HTTP header value: printable ASCII without spaces, long enough to matter.
_ADMIN_TOKEN_MIN = 8
_ADMIN_TOKEN_RULE = f"at least {_ADMIN_TOKEN_MIN} printable ASCII characters, no spaces"


def _admin_token(text: str) -> str:
    if len(text) < _ADMIN_TOKEN_MIN or not all(33 <= ord(char) <= 126 for char in text):
        raise argparse.ArgumentTypeError(f"invalid admin token: use {_ADMIN_TOKEN_RULE}")
    return text


def _fault_plan(args: argparse.Namespace) -> FaultPlan:
    from coder_audit_mock.mockserver._faults import FAULT_STATUSES, FaultPlan, FaultRule

    delays: dict[str, tuple[float, float]] = {}
    rates: dict[str, float] = {}
    kinds: dict[str, tuple[int | str, ...]] = {}
    for flag, given, chosen in (
        ("--delay", args.delays, delays),
        ("--error-rate", args.error_rates, rates),
        ("--error-kinds", args.error_kinds, kinds),
    ):
        for path, value in given:
            if path in chosen:
                raise UsageError(f"argument {flag}: {path} is given more than once")
            chosen[path] = value
    rules = tuple(
        FaultRule(
            path=path,
            delay_ms=delays.get(path, (0.0, 0.0)),
            error_rate=rates.get(path, 0.0),
            error_statuses=kinds.get(path, FAULT_STATUSES),
        )
        for path in dict.fromkeys([*delays, *rates, *kinds])
    )
    return FaultPlan(rules=rules, seed=args.seed)


def _serve_options(args: argparse.Namespace) -> tuple[ServeOptions, Callable[[str], list[str]]]:
    """The standalone options, and the banner notes about them (given the server's URL)."""
    from coder_audit_mock.mockserver._admin import ADMIN_PREFIX, ADMIN_TOKEN_HEADER
    from coder_audit_mock.mockserver._recorder import BatchedLines
    from coder_audit_mock.mockserver._standalone import ServeOptions, is_loopback

    admin = not args.no_admin
    exposed = admin and args.admin_token is None and not is_loopback(args.host)
    options = ServeOptions(
        cors_origins=tuple(args.cors_origins),
        faults=_fault_plan(args),
        admin=admin and not exposed,
        admin_token=args.admin_token,
        access_log=not args.quiet,
        log_line=BatchedLines(),  # one flush per event-loop turn, not per line
        webapp=not args.no_webapp,
        licensed=not args.unlicensed,
    )

    def notes(url: str) -> list[str]:
        lines = []
        if options.admin:
            needs = f" (send the {ADMIN_TOKEN_HEADER} header)" if options.admin_token else ""
            lines.append(
                f"Admin: {url}{ADMIN_PREFIX}{needs}: reset, scenario, journal, faults, tokens"
            )
        elif exposed:
            lines.append(
                f"Admin endpoints off: {args.host} is reachable from other machines; "
                "give --admin-token TOKEN to turn them on"
            )
        if args.upstream:
            lines.append(
                f"Upstream: {args.upstream} answers everything but the audit routes"
                + (" and the web app's" if args.upstream_webapp else "")
                + " (its entitlements overlaid with the mock's licence)"
            )
        elif options.webapp:
            lines.append(
                "Coder's web app: sign in with a built-in user's email and the password "
                "SomeSecurePassword! (CODER_HOST=" + url + " pnpm dev in Coder's site/)"
            )
        if options.cors_origins:
            lines.append(f"CORS: pages from {', '.join(options.cors_origins)} may call it")
        for rule in options.faults.rules:
            low, high = rule.delay_ms
            delay = f"{low:g}" if low == high else f"{low:g}-{high:g}"
            lines.append(
                f"Faults on {rule.path}: delay {delay} ms, error rate {rule.error_rate:g} "
                f"({', '.join(str(k) for k in rule.error_statuses)}) "
                f"(change at {url}{ADMIN_PREFIX}/faults)"
            )
        return lines

    return options, notes


def _mock_server(
    args: argparse.Namespace, now: dt.datetime, tokens: Mapping[str, str]
) -> MockServer:
    """The mock with the seeded data, or with `--scenario` loaded as its baseline."""
    from coder_audit_mock.mockserver import MockServer, MockSettings
    from coder_audit_mock.mockserver._scenario import load_scenario
    from coder_audit_mock.mockserver._scenario_entry import ScenarioError
    from coder_audit_mock.mockserver._scenario_files import read_scenario_file

    settings = MockSettings(
        seed=args.seed,
        log_count=args.log_count,
        now_us=(now - _EPOCH) // dt.timedelta(microseconds=1),
        tokens=tokens,
        max_logs=args.max_logs,
        profile=args.profile,
    )
    server = MockServer(settings)
    if args.scenario:
        try:
            load_scenario(server, read_scenario_file(args.scenario))
        except ScenarioError as error:
            # Name the file once: read errors already start with it, entry errors do not.
            where = "" if error.field == args.scenario else f"{args.scenario}: "
            raise CliError(f"--scenario {where}{error}") from None
    return server


def _export_and_exit(args: argparse.Namespace, now: dt.datetime, tokens: Mapping[str, str]) -> int:
    from coder_audit_mock.mockserver._scenario import export_scenario
    from coder_audit_mock.mockserver._scenario_entry import ScenarioError
    from coder_audit_mock.mockserver._scenario_files import write_scenario_file

    server = _mock_server(args, now, tokens)
    logs = None
    if args.export_query is not None or args.export_limit is not None:
        logs = _chosen_logs(server, args.export_query or "", args.export_limit)
    try:
        write_scenario_file(args.export_scenario, export_scenario(server, logs))
    except ScenarioError as error:
        raise CliError(str(error)) from None
    count = len(server.store) if logs is None else len(logs)
    print(f"wrote {count} logs to {args.export_scenario}")
    return 0


def _chosen_logs(server: MockServer, q: str, limit: int | None) -> list[AuditLog]:
    """The logs `GET /api/v2/audit?q=Q` gives the owner, newest first, at most `limit`."""
    import warnings

    with warnings.catch_warnings():  # Starlette 1.x would rather have httpx2; httpx works
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from coder_audit_mock.mockserver import create_app_for
    from coder_audit_mock.mockserver._admin import session_tokens

    owner = session_tokens(server)["roles"].get("owner")
    if owner is None:
        raise CliError("--export-query needs the built-in owner (its token) in the data")
    client = TestClient(create_app_for(server))
    wanted = limit if limit is not None else len(server.store)
    ids: list[str] = []
    while len(ids) < wanted:
        page = min(1000, wanted - len(ids))
        answer = client.get(
            "/api/v2/audit",
            params={"q": q, "limit": page, "offset": len(ids)},
            headers={"Coder-Session-Token": owner},
        )
        if answer.status_code != 200:
            raise CliError(f"--export-query {q!r}: {answer.json().get('message', answer.text)}")
        found = [log["id"] for log in answer.json()["audit_logs"]]
        ids += found
        if len(found) < page:
            break
    by_id = {str(log.id): log for log in server.store.logs}
    return [by_id[log_id] for log_id in ids]
