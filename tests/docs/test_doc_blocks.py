"""Executable documentation: every console and Python block of README.md and docs/ runs here.

Console blocks run in bash, in a scratch directory per doc, with this environment's
`coder-audit-mock`, `python` and `curl`; the doc's ports (3000, 3001) become free ports of this
run, in commands and in shown output alike. A `coder-audit-mock serve` runs in the background
for as long as the doc's blocks need it: until the next `serve` on its port, or the doc's last
block. A `curl` to a port no block of the doc has served gets a plain `serve` started there
first. Output the doc shows is compared line by line (`...` stands for any lines); a command
without shown output must exit 0. Blocks that cannot run here carry
`<!-- doc-test: not run: REASON -->` in the doc itself (`_blocks.py`).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ._blocks import Block, Command, all_blocks, commands_of, first_mismatch, matches

BLOCKS = all_blocks()
RUN = [block for block in BLOCKS if block.runs]
DOC_PORTS = (3000, 3001)
OWNER_TOKEN = "owner00000-ownersecret00000000000"
START_TIMEOUT_S = 30
COMMAND_TIMEOUT_S = 240  # the slowest block, `check --url`, takes well under a minute


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class DocSession:
    """One doc's scratch directory, port map and background servers, block after block."""

    def __init__(self, doc: Path, workdir: Path) -> None:
        self.doc = doc
        self.workdir = workdir
        self.ports = {doc_port: _free_port() for doc_port in DOC_PORTS}
        self.servers: dict[int, subprocess.Popen[bytes]] = {}  # by this run's port
        self._logs: dict[int, Path] = {}  # each server's output
        self.last_port = 0  # of the server started last
        self.done: set[int] = set()  # lines of the blocks run
        bin_dir = str(Path(sys.executable).parent)
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("CODER_")},
            "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        }

    def rewrite(self, text: str) -> str:
        for doc_port, port in self.ports.items():
            text = re.sub(rf"(?<![0-9]){doc_port}(?![0-9])", str(port), text)
        return text.replace("Coder-Session-Token: TOKEN", f"Coder-Session-Token: {OWNER_TOKEN}")

    # -- running ----------------------------------------------------------------------------

    def run_block(self, block: Block) -> None:
        self.done.add(block.line)
        if block.file_name is not None:
            (self.workdir / block.file_name).write_text(self.rewrite(block.text), "utf-8")
        elif block.language == "python":
            self._run_python(block)
        else:
            for command in commands_of(block):
                self._run_command(block, command)

    def _run_python(self, block: Block) -> None:
        where = self.workdir / f"block_{block.line}"
        where.mkdir()
        if block.conftest:
            (where / "conftest.py").write_text("import pytest\n\n" + block.text, "utf-8")
            (where / "test_uses_conftest.py").write_text(
                "def test_the_override_is_used(coder_audit_seed, coder_audit_client):\n"
                "    assert coder_audit_client.get('/api/v2/audit').status_code == 200\n",
                "utf-8",
            )
            argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(where)]
        elif "def test_" in block.text:
            (where / "test_block.py").write_text("import pytest\n\n" + block.text, "utf-8")
            argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(where)]
        else:
            (where / "block.py").write_text(block.text, "utf-8")
            argv = [sys.executable, "-W", "error", str(where / "block.py")]
        done = subprocess.run(
            argv,
            cwd=where,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
        )
        assert done.returncode == 0, f"{block.id}:\n{done.stdout}\n{done.stderr}"

    def _run_command(self, block: Block, command: Command) -> None:
        text = self.rewrite(command.text)
        shown = None if command.output is None else tuple(map(self.rewrite, command.output))
        background = text.rstrip().endswith("&")
        if re.match(r"^(\S+=\S+\s+)*coder-audit-mock serve\b", text):
            output = self._serve(text.rstrip().rstrip("&"), wait_banner=shown is not None)
            if output is None:  # it is serving
                if shown is not None:
                    self._check_output(block, text, shown, self._banner_of())
                return
            code, lines = output
        else:
            assert not background, f"{block.id}: only `serve` may run in the background: {text}"
            self._ensure_servers(text)
            self._cat_defines_file(text, shown)
            done = subprocess.run(
                ["bash", "-c", text],
                cwd=self.workdir,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=COMMAND_TIMEOUT_S,
                check=False,
            )
            code, lines = done.returncode, (done.stdout + done.stderr).splitlines()
        if shown is None:
            # `diff` exits 1 when it finds differences, which a doc's example is there to show.
            allowed = (0, 1) if re.search(r"coder-audit-mock diff\b", text) else (0,)
            assert code in allowed, f"{block.id}: `{text}` exited {code}:\n" + "\n".join(lines)
        else:
            self._check_output(block, text, shown, lines)

    def _check_output(
        self, block: Block, text: str, shown: tuple[str, ...], lines: list[str]
    ) -> None:
        printed, documented = "\n".join(lines), "\n".join(shown)
        assert matches(shown, lines), (
            f"{block.id}: `{text}`: {first_mismatch(shown, lines)}\n"
            f"--- it printed ---\n{printed}\n--- the doc shows ---\n{documented}"
        )

    def _cat_defines_file(self, text: str, shown: tuple[str, ...] | None) -> None:
        # `$ cat FILE` followed by its content shows a file the next commands read.
        cat = re.fullmatch(r"cat (\S+)", text.strip())
        if cat and shown is not None and not (self.workdir / cat.group(1)).exists():
            (self.workdir / cat.group(1)).write_text("\n".join(shown) + "\n", "utf-8")

    def _ensure_servers(self, text: str) -> None:
        for port in self.ports.values():
            if f"127.0.0.1:{port}" in text and not _listening(port):
                assert self._serve(f"coder-audit-mock serve --port {port} --quiet") is None

    def _serve(self, text: str, wait_banner: bool = False) -> tuple[int, list[str]] | None:
        """Start a `serve` command; None once it listens, else its exit code and output."""
        if "--port" not in text and "--config" not in text:
            text = text.replace("serve", f"serve --port {self.ports[3000]}", 1)
        ports = [port for port in self.ports.values() if str(port) in text] or [
            p for p in self.ports.values() if p != self.ports[3000]
        ]
        for port in ports:
            self._stop(port)
        log = self.workdir / f"serve-{len(self.servers)}-{time.monotonic_ns()}.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                ["bash", "-c", text],
                cwd=self.workdir,
                env=self.env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return process.returncode, log.read_text("utf-8").splitlines()
            for port in ports:
                if _listening(port):
                    self.servers[port] = process
                    self._logs[port] = log
                    self.last_port = port
                    if wait_banner:
                        time.sleep(0.3)
                    return None
            time.sleep(0.05)
        process.kill()
        raise AssertionError(f"`{text}` did not listen within {START_TIMEOUT_S} s")

    def _banner_of(self) -> list[str]:
        return self._logs[self.last_port].read_text("utf-8").splitlines()

    def _stop(self, port: int) -> None:
        process = self.servers.pop(port, None)
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def close(self) -> None:
        for port in list(self.servers):
            self._stop(port)


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[Path, DocSession]]:
    opened: dict[Path, DocSession] = {}
    yield opened
    for session in opened.values():
        session.close()


def _session(sessions: dict[Path, DocSession], doc: Path, tmp: Path) -> DocSession:
    if doc not in sessions:
        session = DocSession(doc, tmp / doc.stem)
        session.workdir.mkdir(parents=True)
        sessions[doc] = session
    return sessions[doc]


@pytest.mark.skipif(shutil.which("curl") is None, reason="the docs' console blocks use curl")
@pytest.mark.parametrize("block", RUN, ids=[block.id for block in RUN])
def test_doc_block_runs_as_written(
    block: Block, sessions: dict[Path, DocSession], tmp_path_factory: pytest.TempPathFactory
) -> None:
    session = _session(sessions, block.doc, tmp_path_factory.getbasetemp() / "docs")
    for earlier in RUN:  # a block may need the files and servers of the ones before it (-k)
        if (
            earlier.doc == block.doc
            and earlier.line < block.line
            and earlier.line not in session.done
        ):
            with contextlib.suppress(AssertionError):
                session.run_block(earlier)
    session.run_block(block)


def test_every_block_runs_or_says_why_not() -> None:
    unmarked = [
        block.id
        for block in BLOCKS
        if block.language in ("console", "python") and not block.runs and not block.skip_reason
    ]
    assert not unmarked
    assert len(RUN) >= 20, [block.id for block in RUN]  # the docs have not lost their examples


def test_the_readme_set_up_installs_what_its_own_examples_need() -> None:
    # The README's `check` and `diff` examples need the contracts extra.
    first = next(block for block in BLOCKS if block.doc.name == "README.md")
    assert (
        ".venv/bin/pip install -e '.[contracts]' && .venv/bin/coder-audit-mock serve" in first.text
    )


def test_no_doc_installs_the_package_from_an_index() -> None:
    # The package is on no index: `pip install coder-audit-mock` alone fails for a newcomer.
    # (Adding an extra to the installed package, `pip install 'coder-audit-mock[...]'`, works.)
    bare = re.compile(r"pip install (-q )?coder-audit-mock(?![\[\w-])")
    offenders = [
        f"{block.id}: {line}"
        for block in BLOCKS
        for line in block.text.splitlines()
        if bare.search(line) and "--find-links" not in line
    ]
    assert not offenders
