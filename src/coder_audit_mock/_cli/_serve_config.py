"""`serve`'s flags from environment variables and a config file, as well as the command line.

Every flag `--some-flag` of `coder-audit-mock serve` can also be set by the environment variable
`CODER_AUDIT_MOCK_SOME_FLAG` or by the key `some-flag` (or `some_flag`) of a config file given
by `--config FILE` or `CODER_AUDIT_MOCK_CONFIG` (TOML, JSON, or YAML with PyYAML). The command
line wins over the environment, which wins over the file. A boolean flag takes `true`/`false`
(`1`/`0`, `yes`/`no`); a repeatable flag (`--token`, `--cors-origin`, `--delay`...) takes a
list in the file and space-separated values in a variable, and the values of all three places
add up. The settings are turned into command-line words placed before the real ones, so
argparse checks them with the same messages.
"""

from __future__ import annotations

import argparse
import importlib
import json
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from coder_audit_mock._errors import CoderAuditMockError

__all__ = ["ENV_PREFIX", "serve_argv"]

ENV_PREFIX = "CODER_AUDIT_MOCK_"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


class ConfigError(CoderAuditMockError, ValueError):
    """A setting that cannot be used; the message names the variable or the file's key."""


def serve_argv(
    argv: Sequence[str], parser: argparse.ArgumentParser, environ: Mapping[str, str]
) -> list[str]:
    """`argv` (the words after `serve`) with the config file's and the environment's settings
    put in front, as flags of `parser` (serve's own parser).

    Example:
        >>> parser = argparse.ArgumentParser()
        >>> _ = parser.add_argument("--port"); _ = parser.add_argument("--quiet", action="store_true")
        >>> serve_argv(["--port", "1"], parser, {"CODER_AUDIT_MOCK_QUIET": "yes"})
        ['--quiet', '--port', '1']
    """
    flags = _flags(parser)
    words: list[str] = []
    config = _config_path(argv, environ)
    if config is not None:
        for key, value in _read_config(config).items():
            name = key.replace("_", "-").lower()
            if name not in flags or name == "config":
                raise ConfigError(f"{config}: {key!r} is not a serve flag (see serve --help)")
            words += _words(flags[name], name, value, f"{config}: {key}")
    for variable, value in sorted(environ.items()):
        if not variable.startswith(ENV_PREFIX) or variable == ENV_PREFIX + "CONFIG":
            continue
        name = variable.removeprefix(ENV_PREFIX).replace("_", "-").lower()
        if name not in flags:
            raise ConfigError(f"{variable} is not a serve setting (see serve --help)")
        action = flags[name]
        parsed: Any = value.split() if _repeatable(action) else value
        words += _words(action, name, parsed, variable)
    return [*words, *argv]


def _flags(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {
        option.removeprefix("--"): action
        for action in parser._actions  # argparse keeps no public list of its actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    }


def _repeatable(action: argparse.Action) -> bool:
    return isinstance(action, argparse._AppendAction)


def _words(action: argparse.Action, name: str, value: Any, where: str) -> list[str]:
    if action.nargs == 0:  # store_true
        text = str(value).lower()
        if text in _TRUE:
            return [f"--{name}"]
        if text in _FALSE:
            return []
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    values = value if isinstance(value, list) else [value]
    if len(values) > 1 and not _repeatable(action):
        raise ConfigError(f"{where}: --{name} takes one value, got {len(values)}")
    words = []
    for item in values:
        if isinstance(item, (dict, list)) or item is None:
            raise ConfigError(f"{where}: expected a value, got {json.dumps(item)}")
        words += [f"--{name}", str(item)]
    return words


def _config_path(argv: Sequence[str], environ: Mapping[str, str]) -> Path | None:
    for index, word in enumerate(argv):
        if word == "--config" and index + 1 < len(argv):
            return Path(argv[index + 1])
        if word.startswith("--config="):
            return Path(word.partition("=")[2])
    given = environ.get(ENV_PREFIX + "CONFIG")
    return Path(given) if given else None


def _read_config(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text("utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the config file ({error.strerror})") from None
    try:
        if path.suffix == ".toml":
            data: Any = tomllib.loads(text)
        elif path.suffix in (".yaml", ".yml"):
            try:
                yaml = importlib.import_module("yaml")
            except ImportError:
                raise ConfigError(
                    f"{path}: YAML needs PyYAML: pip install 'coder-audit-mock[yaml]'"
                ) from None
            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except ConfigError:
        raise
    except Exception as error:  # noqa: BLE001 - every parser's error is reported alike
        raise ConfigError(
            f"{path}: not valid {path.suffix.lstrip('.') or 'JSON'}: {error}"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of serve flags to values")
    return data
