"""Every "§N" the repository cites resolves in docs/coder-behaviour.md, and nothing points outside.

A "§N" (or "§N.M") in src/, tools/, tests/, README.md or docs/ means section N of
docs/coder-behaviour.md, whose sections carry anchors `<a id="sN"></a>`. A "§" qualified by
another document ("docs/real-coder.md §7", "schemathesis-notes.md §4, §8", "RFC 3339 §5.6",
"style-anchors §3.7") is that document's: it is checked against the document's numbered
headings when the document is in this repository, and skipped otherwise.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
BEHAVIOUR = ROOT / "docs" / "coder-behaviour.md"
SCANNED = (ROOT / "src", ROOT / "tools", ROOT / "tests", ROOT / "docs", ROOT / "README.md")
SUFFIXES = frozenset({".py", ".md", ".json", ".toml", ".txt", ".go"})
# Recorded answers of a real Coder: data, not citations.
FIXTURES = (ROOT / "tests" / "fidelity" / "corpus", ROOT / "tests" / "fidelity" / "webapp")

_SECTION = re.compile(r"§(\d+(?:\.\d+)*)")
# A run of sections after a qualifier: "§4, §8", "§6.1-§6.3", "§1.1 and §2".
_RUN = r"(?:§\d+(?:\.\d+)*(?:\s*(?:,|-|and|or)\s*)?)*"
_QUALIFIED = re.compile(
    r"(?P<document>[\w./-]+\.md|RFC \d+|style-anchors|schemathesis-notes)[`)]?,?\s*" + _RUN + r"$"
)
_ANCHOR = re.compile(r'<a id="s(\d+(?:\.\d+)*)"></a>')
_HEADING_NUMBER = re.compile(r"^#+\s+(\d+(?:\.\d+)*)\.?\s", re.MULTILINE)


def _files() -> list[Path]:
    files: list[Path] = []
    for place in SCANNED:
        candidates = [place] if place.is_file() else sorted(place.rglob("*"))
        for path in candidates:
            if not path.is_file() or path.suffix not in SUFFIXES:
                continue
            if any(part in {".venv", "__pycache__", ".git"} for part in path.parts):
                continue
            if any(path.is_relative_to(fixture) for fixture in FIXTURES):
                continue
            files.append(path)
    return files


def _citations(text: str) -> list[tuple[str | None, str]]:
    """(qualifying document or None, section number) of every § in `text`.

    >>> _citations("see §1.1 and docs/real-coder.md §7, schemathesis-notes.md §4, §8")
    [(None, '1.1'), ('docs/real-coder.md', '7'), ('schemathesis-notes.md', '4'), ('schemathesis-notes.md', '8')]
    """
    found: list[tuple[str | None, str]] = []
    for match in _SECTION.finditer(text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        qualifier = _QUALIFIED.search(text[line_start : match.start()])
        found.append((qualifier.group("document") if qualifier else None, match.group(1)))
    return found


def _anchors() -> set[str]:
    return set(_ANCHOR.findall(BEHAVIOUR.read_text(encoding="utf-8")))


def _numbered_headings(document: Path) -> set[str]:
    return set(_HEADING_NUMBER.findall(document.read_text(encoding="utf-8")))


def test_every_behaviour_section_has_its_anchor_and_heading() -> None:
    anchors = _anchors()
    expected = {"0", *(str(n) for n in range(1, 10))}
    expected |= {f"1.{n}" for n in range(1, 6)} | {f"2.{n}" for n in range(1, 4)}
    expected |= {f"3.{n}" for n in range(1, 5)} | {f"4.{n}" for n in range(1, 8)}
    expected |= {f"6.{n}" for n in range(1, 5)} | {f"9.{n}" for n in range(1, 17)}
    assert expected <= anchors, sorted(expected - anchors)


def test_every_cited_section_exists() -> None:
    anchors = _anchors()
    missing: list[str] = []
    for path in _files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for document, number in _citations(text):
            where = f"{path.relative_to(ROOT)}: §{number}"
            if document is None:
                if number not in anchors:
                    missing.append(where)
                continue
            own = ROOT / document if (ROOT / document).is_file() else ROOT / "docs" / document
            if own.is_file() and own != BEHAVIOUR and number not in _numbered_headings(own):
                missing.append(f"{where} (no such numbered heading in {document})")
            if own == BEHAVIOUR and number not in anchors:
                missing.append(where)
    assert not missing, "\n".join(missing)


def _outside_pointers() -> list[str]:
    pattern = re.compile(r"coder-audit-behaviour\.md|\breference §", re.IGNORECASE)
    hits: list[str] = []
    this_test = Path(__file__).resolve()
    for path in [*_files(), ROOT / "ARCHITECTURE.md", ROOT / "CHANGELOG.md"]:
        if path.resolve() == this_test or not path.is_file():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return hits


def test_nothing_points_to_the_reference_outside_the_repository() -> None:
    hits = _outside_pointers()
    assert not hits, f"{len(hits)} lines still cite the outside reference:\n" + "\n".join(hits)


def test_the_docs_no_longer_point_outside() -> None:
    hits = [
        hit
        for hit in _outside_pointers()
        if hit.startswith(("README.md", "docs/")) and not hit.startswith("docs/profiles.md")
    ]
    assert not hits, "\n".join(hits)
