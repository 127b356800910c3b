"""The code blocks of the project's Markdown docs, and what each one asks the test suite to do.

A block is run unless the line just before its fence (blank lines aside) is a marker:

    <!-- doc-test: not run: REASON -->   the block cannot run here; REASON says why, in the doc
    <!-- doc-test: file NAME -->          the block is the file NAME (e.g. a scenario) that later
                                          blocks of the same doc read
    <!-- doc-test: conftest -->           the Python block is a conftest.py, run with a test that
                                          uses it

Console blocks: a line starting with `$ ` is a command (a trailing backslash continues it) and
the lines up to the next command are its output, checked (a line `...` stands for any lines);
a block without `$` is a list of commands whose output is not shown. Python blocks with a
`def test_` are pytest modules; others are scripts.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
DOCS = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
# The languages the suite runs; other blocks (js, json, yaml, plain text) are shown, not run,
# unless a `file` marker makes them a file.
RUN_LANGUAGES = frozenset({"console", "python"})

_FENCE = re.compile(r"^```(\S*)\s*$")
_MARKER = re.compile(r"^<!-- doc-test: (not run: (?P<reason>.+?)|file (?P<file>\S+)|conftest) -->$")


@dataclasses.dataclass(frozen=True)
class Block:
    doc: Path
    line: int  # of the opening fence, 1-based
    language: str
    text: str
    skip_reason: str | None = None
    file_name: str | None = None
    conftest: bool = False

    @property
    def id(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.line}"

    @property
    def runs(self) -> bool:
        return self.skip_reason is None and (
            self.language in RUN_LANGUAGES or self.file_name is not None
        )


@dataclasses.dataclass(frozen=True)
class Command:
    text: str  # one shell command, continuations joined
    output: tuple[str, ...] | None  # None: none shown


def blocks_of(doc: Path) -> list[Block]:
    lines = doc.read_text("utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        end = index + 1
        while not lines[end].startswith("```"):
            end += 1
        marker = _marker_before(lines, index)
        found.append(
            Block(
                doc=doc,
                line=index + 1,
                language=opening.group(1),
                text="\n".join(lines[index + 1 : end]) + "\n",
                skip_reason=marker.group("reason") if marker else None,
                file_name=marker.group("file") if marker else None,
                conftest=bool(marker and marker.group(0).endswith("conftest -->")),
            )
        )
        index = end + 1
    return found


def _marker_before(lines: list[str], fence: int) -> re.Match[str] | None:
    above = fence - 1
    while above >= 0 and not lines[above].strip():
        above -= 1
    return _MARKER.match(lines[above].strip()) if above >= 0 else None


def all_blocks() -> list[Block]:
    return [block for doc in DOCS for block in blocks_of(doc)]


def commands_of(block: Block) -> list[Command]:
    """The block's shell commands, each with the output the doc shows for it."""
    lines = block.text.splitlines()
    prompted = any(line.startswith("$ ") for line in lines)
    commands: list[Command] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if prompted and not line.startswith("$ "):
            index += 1  # output before the first prompt cannot be
            continue
        text = line[2:] if prompted else line
        while index + 1 < len(lines):
            if text.endswith("\\"):  # a continued line
                text = text[:-1] + " " + lines[index + 1].strip()
            elif _strip_comment(text).count("'") % 2:  # a quoted string goes on
                text = text + "\n" + lines[index + 1]
            else:
                break
            index += 1
        index += 1
        output: list[str] = []
        while prompted and index < len(lines) and not lines[index].startswith("$ "):
            output.append(lines[index])
            index += 1
        if _strip_comment(text).strip():
            commands.append(Command(text, tuple(output) if output else None))
    return commands


def _strip_comment(text: str) -> str:
    return re.sub(r"(^|\s)#.*$", "", text)


def matches(shown: tuple[str, ...], actual: list[str]) -> bool:
    """Whether `actual` lines are what the doc shows, a line `...` standing for any lines."""
    expected = [line.rstrip() for line in shown]
    got = [line.rstrip() for line in actual]
    return _match(expected, got)


def _match(expected: list[str], got: list[str]) -> bool:
    if not expected:
        return not got
    if expected[0].strip() in ("...", "…"):
        return any(_match(expected[1:], got[skip:]) for skip in range(len(got) + 1))
    return bool(got) and got[0] == expected[0] and _match(expected[1:], got[1:])


def first_mismatch(shown: tuple[str, ...], actual: list[str]) -> str:
    """The first shown line not found where the doc puts it (greedy, for failure messages)."""
    got = [line.rstrip() for line in actual]
    position, wildcard = 0, False
    for line in (line.rstrip() for line in shown):
        if line.strip() in ("...", "…"):
            wildcard = True
            continue
        if wildcard:
            while position < len(got) and got[position] != line:
                position += 1
        if position >= len(got) or got[position] != line:
            near = got[position] if position < len(got) else "(end of output)"
            return f"the doc shows {line!r} where the command printed {near!r}"
        position, wildcard = position + 1, False
    return "the output goes on past what the doc shows" if position < len(got) else "?"
