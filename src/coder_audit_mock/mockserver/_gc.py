"""The cyclic garbage collector around the mock's bulk allocations, with no lasting effect.

Building a deployment or a column index allocates millions of acyclic records; each is a
tracked container, so the collector would rescan the growing lists again and again. Pausing it
for the build halves the time for a million logs, and the previous state is put back.

Freezing the seeded data out of every later GC pass (`gc.freeze`) is process-wide, so the
library never does it on its own: a user's pytest session that imports the mock keeps its GC
as it was. Only the `serve` command, which owns its process, opts in (`AuditStore.freeze_gc`).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["cyclic_gc_paused", "freeze_survivors"]


@contextlib.contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector inside the block; restore its state after it.

    Example:
        >>> import gc
        >>> with cyclic_gc_paused():
        ...     gc.isenabled()
        False
        >>> gc.isenabled()
        True
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def freeze_survivors(*, collect: bool = True) -> None:
    """Collect, then move every object left into the permanent generation (`gc.freeze`).

    Process-wide: only a process that owns its interpreter (`serve`) calls it, so that a
    collection costs the same with a million seeded logs as with none (no latency spikes).
    `collect=False` skips the full collection, for a freeze after a build that freed nothing
    (a column index, built by the first query that filters on it: a request must not pay for
    a full collection).

    Example:
        >>> import gc
        >>> freeze_survivors(); gc.get_freeze_count() > 0
        True
        >>> gc.unfreeze()
    """
    if collect:
        gc.collect()
    gc.freeze()
