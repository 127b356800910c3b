"""One request stream per seed, whatever the install, the entry point or the working directory.

Hypothesis (6.130 and later) mixes into generation constants it harvests from the source of
every *local* module it finds in `sys.modules`, that is every module outside site-packages and
the standard library: the kit itself in an editable install, but not from a wheel; the user's
own modules under `python -m` or inside their pytest session. The same seed then draws other
values on another install, and Hypothesis caches what it harvested in `.hypothesis/constants/`
in the working directory. Both are switched off for the duration of a run, so what is drawn
depends only on the seed, the depth, the profile and the schema (and nothing is written).

Hypothesis offers no public switch for this (its `settings` have none, 6.170); the one function
it calls for the harvest is replaced while a run lasts and put back afterwards. A test
(`tests/contract/test_determinism.py`) proves the effect: equal stream digests from an editable
install, a wheel and `python -m`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["reproducible_generation"]

_lock = threading.Lock()
_depth = 0
_original: Callable[[], Any] | None = None


@contextmanager
def reproducible_generation() -> Iterator[None]:
    """While inside, Hypothesis draws no constants from local modules' source code.

    Re-entrant: nested uses keep it switched off until the outermost one exits.

    Example:
        >>> from hypothesis.internal.conjecture import providers
        >>> with reproducible_generation():
        ...     len(providers._get_local_constants())
        0
    """
    global _depth, _original
    from hypothesis.internal.conjecture import providers
    from hypothesis.internal.constants_ast import Constants

    with _lock:
        if _depth == 0:
            _original = getattr(providers, "_get_local_constants", None)
            empty = Constants()
            providers._get_local_constants = lambda: empty
            # Choices already computed from harvested constants must go too.
            providers.CONSTANTS_CACHE.cache.clear()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                if _original is not None:
                    providers._get_local_constants = _original
                providers.CONSTANTS_CACHE.cache.clear()
                _original = None
