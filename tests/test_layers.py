"""The dependency rule of ARCHITECTURE.md, checked on the source: who may import whom."""

from __future__ import annotations

import ast
import pathlib
import re
import sys

import pytest

SOURCE = pathlib.Path(__file__).resolve().parent.parent / "src" / "coder_audit_mock"

# top-level module names each part must never import (at any depth of the file)
FORBIDDEN = {
    "mockserver": {"schemathesis", "hypothesis", "pytest", "_pytest", "httpx", "uvicorn"},
    # fidelity talks HTTP (httpx) and drives the mock; it never needs the contract kit's stack
    "fidelity": {"schemathesis", "hypothesis", "pytest", "_pytest", "uvicorn"},
}
# the plugin module is loaded in every pytest session of every project that installs the kit
PLUGIN_IMPORT_TIME_ALLOWED = {
    "pytest",
    "_pytest",
    "__future__",
    "collections",
    "contextlib",
    "dataclasses",
    "functools",
    "os",
    "typing",
    "pathlib",
    "sys",
    "types",
    "collections.abc",
}


def imported_modules(path: pathlib.Path, *, top_level_only: bool = False) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("part", sorted(FORBIDDEN))
def test_part_never_imports_forbidden_packages(part: str) -> None:
    for path in sorted((SOURCE / part).rglob("*.py")):
        used = {name.split(".")[0] for name in imported_modules(path)}
        assert not used & FORBIDDEN[part], (
            f"{path.relative_to(SOURCE)} imports {used & FORBIDDEN[part]}"
        )


def test_mockserver_does_not_import_contracts_or_fixtures() -> None:
    for path in sorted((SOURCE / "mockserver").rglob("*.py")):
        text = path.read_text("utf-8")
        assert "contracts" not in {
            n.split(".")[1] for n in imported_modules(path) if n.startswith("coder_audit_mock.")
        }
        assert "from ..contracts" not in text and "from ..fixtures" not in text, path
        assert "fidelity" not in {
            n.split(".")[1] for n in imported_modules(path) if n.startswith("coder_audit_mock.")
        }
        assert "from ..fidelity" not in text, path


def test_plugin_is_import_light() -> None:
    plugin = SOURCE / "fixtures" / "plugin.py"
    if not plugin.exists():
        pytest.skip("plugin not written yet")
    top = {name for name in imported_modules(plugin, top_level_only=True)}
    assert top <= PLUGIN_IMPORT_TIME_ALLOWED, top - PLUGIN_IMPORT_TIME_ALLOWED


# What the contract kit may take from the mock: how to build one in-process (create_app and its
# public tokens), the project's OpenAPI document, which is the schema being checked, and the
# version folders' plain-data facts (`profiles/<version>/facts.py`, `kit.py`, found by
# `version_packages`). Never its parsers, renderers, store or profiles (nor a version's search,
# pagination or render modules): the kit's oracle is its own (contracts/_coder.py), so a bug in
# the mock cannot become the contract (issue 11).
KIT_MAY_USE_FROM_MOCK = {
    "mockserver": {"create_app", "DEFAULT_TOKENS", "openapi_document"},
    "mockserver._document": {"openapi_file_name"},
    "mockserver.profiles": {"version_packages", "TokenCarrier"},
}
KIT_MAY_USE_FROM_A_VERSION = {"facts", "kit"}  # a version folder's plain-data modules


def _kit_may_use(module: str, name: str) -> bool:
    parts = module.split(".")
    if len(parts) == 3 and parts[:2] == ["mockserver", "profiles"]:  # mockserver.profiles.<v>
        return name in KIT_MAY_USE_FROM_A_VERSION
    if len(parts) == 4 and parts[:2] == ["mockserver", "profiles"]:  # ...<v>.facts / .kit
        return parts[3] in KIT_MAY_USE_FROM_A_VERSION
    return name in KIT_MAY_USE_FROM_MOCK.get(module, set())


def _mock_imports(path: pathlib.Path) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 2 and module.startswith("mockserver"):
                found |= {(module, alias.name) for alias in node.names}
            elif node.level == 0 and module.startswith("coder_audit_mock.mockserver"):
                found |= {(module.removeprefix("coder_audit_mock."), a.name) for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {
                (alias.name, "*")
                for alias in node.names
                if alias.name.startswith("coder_audit_mock.mockserver")
            }
    return found


def test_the_contract_kit_judges_by_its_own_rules_not_the_mocks() -> None:
    for path in sorted((SOURCE / "contracts").rglob("*.py")):
        for module, name in _mock_imports(path):
            assert _kit_may_use(module, name), (
                f"{path.relative_to(SOURCE)} imports {name} from {module}"
            )


def test_the_kit_knows_every_coder_version_the_mock_can_answer_as() -> None:
    from coder_audit_mock.contracts._coder import RULES
    from coder_audit_mock.mockserver.profiles import PROFILE_NAMES

    assert tuple(RULES) == PROFILE_NAMES


# The CLI (`_cli/`): `main` imports only the module of the command being run and `--help`
# imports them all, so the registry and the shared layer hold the standard library only, and a
# command module imports its heavy part (the server, the contract kit, an extra) inside
# functions: at module level it may add only the CLI's own helpers.
CLI = SOURCE / "_cli"
ERROR_ROOT = "coder_audit_mock._errors"
CLI_OWN_MODULES = {"_args", "_serve_config"}


def _top_level_imports(path: pathlib.Path) -> tuple[set[str], set[str]]:
    """(absolute modules, relative modules) imported at module level, outside `if` blocks."""
    absolute, relative = set(), set()
    for node in ast.parse(path.read_text("utf-8")).body:
        if isinstance(node, ast.Import):
            absolute |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            absolute.add(node.module)
        elif isinstance(node, ast.ImportFrom):
            relative.add("." * node.level + (node.module or ""))
    return absolute, relative


def _is_stdlib(module: str) -> bool:
    return module.split(".")[0] in sys.stdlib_module_names or module == "__future__"


@pytest.mark.parametrize("path", sorted(CLI.glob("*.py")), ids=lambda path: path.stem)
def test_cli_modules_import_only_the_standard_library_at_import_time(path: pathlib.Path) -> None:
    absolute, relative = _top_level_imports(path)
    # the project's error root is itself stdlib-only (test_the_error_root_imports_nothing)
    assert {name for name in absolute if not _is_stdlib(name)} - {ERROR_ROOT} == set(), path.name
    allowed = (
        {f".{name}" for name in CLI_OWN_MODULES} if path.stem not in CLI_OWN_MODULES else set()
    )
    assert relative <= allowed, f"{path.name} imports {relative - allowed} at module level"


def test_no_cli_code_is_left_in_the_parts() -> None:
    for part in ("contracts", "fidelity", "mockserver", "fixtures"):
        for path in sorted((SOURCE / part).rglob("*.py")):
            assert "_cli" not in {name.split(".")[-1] for name in imported_modules(path)}, (
                f"{path.relative_to(SOURCE)} imports the CLI"
            )
            assert "from .._cli" not in path.read_text("utf-8"), path


def test_the_error_root_imports_nothing() -> None:
    # every part and the CLI's stdlib-only layer subclass it, so it must load nothing else
    assert imported_modules(SOURCE / "_errors.py") <= {"__future__"}


# ARCHITECTURE.md's tree: one line a folder, naming its modules; kept true by this test.
ARCHITECTURE = SOURCE.parent.parent / "ARCHITECTURE.md"


def _architecture_tree() -> dict[str, str]:
    """Each folder of the tree block (relative to src/coder_audit_mock) -> the text of its entry."""
    text = ARCHITECTURE.read_text("utf-8")
    block = text.split("## The tree", 1)[1].split("```", 2)[1]
    entries: dict[str, str] = {}
    current = None
    for line in block.splitlines():
        head = line.split()[0] if line.strip() else ""
        if (
            head.endswith("/")
            and line.startswith(("src/", "  "))
            and len(line) - len(line.lstrip()) < 8
        ):
            current = head.removeprefix("src/coder_audit_mock/").removesuffix("/")
            current = "" if head == "src/coder_audit_mock/" else current
            entries[current] = line[len(line) - len(line.lstrip()) + len(head) :]
        elif current is not None and line.startswith(" " * 20):
            entries[current] += " " + line.strip()
        else:
            current = None
    return entries


def test_the_architecture_tree_names_every_folder_and_module() -> None:
    tree = _architecture_tree()
    folders = {
        str(path.parent.relative_to(SOURCE)).replace(".", "")
        for path in SOURCE.rglob("__init__.py")
    }
    assert folders <= set(tree), f"folders missing from ARCHITECTURE.md: {folders - set(tree)}"
    for folder in folders:
        words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", tree[folder]))
        for path in sorted((SOURCE / folder).glob("*.py")):
            if path.stem != "__init__":
                assert path.stem in words, (
                    f"ARCHITECTURE.md: {folder or '.'}/ does not name {path.stem}"
                )
        for word in words:
            if word.startswith("_") and not word.startswith("__"):
                assert (SOURCE / folder / f"{word}.py").exists() or (
                    SOURCE / folder / word
                ).is_dir(), f"ARCHITECTURE.md names {folder or '.'}/{word}, which does not exist"
