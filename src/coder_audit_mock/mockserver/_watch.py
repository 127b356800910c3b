"""`serve --scenario FILE --watch`: reload the scenario when its file changes.

A thread looks at the file's modification time and size every `interval` seconds. On a change
it reads and loads the file as `POST /_mock/scenario` would (it becomes the new baseline); a
file that cannot be read or does not validate leaves the old data in place, and the log line
says why. Editors that save by renaming a new file over the old one are seen too (the time
changes).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

from ._app import MockServer
from ._scenario import load_scenario, scenario_summary
from ._scenario_entry import ScenarioError
from ._scenario_files import read_scenario_file

__all__ = ["ScenarioWatcher"]


class ScenarioWatcher:
    """Reloads `path` into `server` whenever the file changes; `start()` / `stop()`.

    Example:
        >>> import tempfile, time
        >>> from coder_audit_mock.mockserver import MockServer, MockSettings
        >>> folder = tempfile.mkdtemp()
        >>> path = Path(folder, "team.json")
        >>> _ = path.write_text('{"logs": []}')
        >>> server, lines = MockServer(MockSettings(log_count=0)), []
        >>> watcher = ScenarioWatcher(server, path, lines.append, interval=0.01)
        >>> watcher.check()  # nothing changed since it was created
        False
        >>> _ = path.write_text('{"logs": [{"action": "create"}]}'); os.utime(path, (1, 1))
        >>> watcher.check(), len(server.store)
        (True, 1)
        >>> _ = path.write_text('{"logs": [{"action": "crate"}]}'); os.utime(path, (2, 2))
        >>> watcher.check(), len(server.store), lines[-1].split(":")[0]
        (True, 1, 'kept the previous data')
    """

    def __init__(
        self,
        server: MockServer,
        path: str | Path,
        log_line: Callable[[str], None],
        *,
        interval: float = 0.5,
    ) -> None:
        self.server = server
        self.path = Path(path)
        self.log_line = log_line
        self.interval = interval
        self._seen = self._stamp()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scenario-watch", daemon=True)

    def _stamp(self) -> tuple[int, int] | None:
        try:
            status = os.stat(self.path)
        except OSError:
            return None
        return status.st_mtime_ns, status.st_size

    def check(self) -> bool:
        """Reload if the file changed since the last look; True when it had changed."""
        stamp = self._stamp()
        if stamp == self._seen:
            return False
        self._seen = stamp
        try:
            load_scenario(self.server, read_scenario_file(self.path))
        except ScenarioError as error:
            self.log_line(f"kept the previous data: {self.path}: {error}")
            return True
        counts = scenario_summary(self.server.deployment)
        self.log_line(
            f"reloaded {self.path}: {counts['organizations']} organizations, "
            f"{counts['users']} users, {counts['logs']} logs"
        )
        return True

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except Exception as error:  # noqa: BLE001 - the watcher must outlive any one file
                self.log_line(f"kept the previous data: {self.path}: {error}")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
