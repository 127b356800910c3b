"""Scenario files: JSON or YAML text in (`parse_scenario_text`, `read_scenario_file`) and out.

YAML needs PyYAML (the `yaml` extra); JSON is written as the server would read it back, exact
numbers spelled as given.

Example:
    >>> parse_scenario_text('{"logs": []}', yaml=False)
    {'logs': []}
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._json import ExactNumber, RawJSON, json_text
from ._scenario_entry import ScenarioError

_YAML_SUFFIXES = (".yaml", ".yml")
_JSON_SUFFIXES = (".json",)


def _yaml_module(source: str) -> Any:
    try:
        return importlib.import_module("yaml")
    except ImportError:
        raise ScenarioError(
            source,
            "YAML scenarios need PyYAML: pip install 'coder-audit-mock[yaml]' (or use a .json file)",
        ) from None


def parse_scenario_text(text: str, *, yaml: bool, source: str = "scenario") -> Any:
    """Parse scenario text as JSON or YAML; syntax errors become `ScenarioError(source, ...)`.

    Example:
        >>> parse_scenario_text('{"logs": []}', yaml=False)
        {'logs': []}
    """
    if yaml:
        module = _yaml_module(source)
        try:
            return module.safe_load(text)
        except module.YAMLError as error:
            raise ScenarioError(source, f"invalid YAML: {error}") from None
        except (ValueError, RecursionError) as error:
            raise ScenarioError(source, f"invalid YAML: {_beyond_python(error)}") from None
    try:
        return json.loads(text, parse_float=ExactNumber)
    except json.JSONDecodeError as error:
        raise ScenarioError(
            source, f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from None
    except (ValueError, RecursionError) as error:
        raise ScenarioError(source, f"invalid JSON: {_beyond_python(error)}") from None


def _beyond_python(error: ValueError | RecursionError) -> str:
    """Python's own parsing limits: nesting (recursion) and integers of over 4300 digits."""
    if isinstance(error, RecursionError):
        return "nested too deeply"
    return str(error).split(";")[0]  # drop the hint about sys.set_int_max_str_digits()


def _format_of(path: Path) -> bool:
    """True for YAML, False for JSON, by the file's suffix."""
    suffix = path.suffix.lower()
    if suffix in _YAML_SUFFIXES + _JSON_SUFFIXES:
        return suffix in _YAML_SUFFIXES
    raise ScenarioError(str(path), "unknown file type: name it *.json, *.yaml or *.yml")


def read_scenario_file(path: str | Path) -> Any:
    """Read and parse a scenario file (`*.json`, or `*.yaml`/`*.yml` with PyYAML).

    Raises:
        ScenarioError: naming the file for a missing file, a bad suffix or a syntax error.

    Example:
        >>> import tempfile, os
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = os.path.join(folder, "team.json")
        ...     _ = open(path, "w").write('{"users": [{"username": "alice"}]}')
        ...     read_scenario_file(path)["users"][0]["username"]
        'alice'
    """
    path = Path(path)
    yaml = _format_of(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(str(path), f"cannot read the file: {error}") from None
    return parse_scenario_text(text, yaml=yaml, source=str(path))


def write_scenario_file(path: str | Path, scenario: Mapping[str, Any]) -> None:
    """Write a scenario (e.g. `export_scenario(server)`) as JSON or YAML, by the file's suffix.

    Example:
        >>> import tempfile, os
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = os.path.join(folder, "out.json")
        ...     write_scenario_file(path, {"version": 1, "logs": []})
        ...     read_scenario_file(path)
        {'version': 1, 'logs': []}
    """
    path = Path(path)
    if _format_of(path):
        text = _yaml_module(str(path)).safe_dump(
            dict(scenario), sort_keys=False, allow_unicode=True, width=100
        )
    else:
        # Numbers read from JSON keep their spelling (1E+2 and 100.0 are not the same to jsonb).
        text = json_text(_spelled(dict(scenario)), indent=2, ensure_ascii=False) + "\n"
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise ScenarioError(str(path), f"cannot write the file: {error}") from None


def _spelled(value: Any) -> Any:
    """`value` with every `ExactNumber` as `RawJSON` of its text (for `json_text`)."""
    if isinstance(value, ExactNumber):
        return RawJSON(value.text)
    if isinstance(value, list):
        return [_spelled(item) for item in value]
    if isinstance(value, dict):
        return {key: _spelled(item) for key, item in value.items()}
    return value
