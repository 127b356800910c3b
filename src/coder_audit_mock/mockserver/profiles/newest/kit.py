"""What the contract kit needs of the "newest" version beyond its facts (plain data, stdlib only).

The kit's `CoderRules` (contracts/_coder.py) are this version's facts plus these flags; the
kit's logic (count, pagination_rejection, window_error...) stays in the kit: its own oracle.

Example:
    >>> WRITE_REFUSAL_STATUS, INT32_PAGINATION
    (500, True)
"""

from __future__ import annotations

CODER = "Coder v2.35.1 (recorded, tests/fidelity/corpus) and a6afcd046fd2 (read)"
NEWEST_SEARCH = True  # `q` follows NEWEST's grammar, which the search strategies draw
EMPTY_PAGE_COUNTS_ZERO = False  # `count` is the capped total on every page (§3.1)
REPEATED_PAGINATION_REJECTED = True  # `limit=1&limit=2` is a 400 (§3.4)
INT32_PAGINATION = True  # limit/offset are non-negative 32-bit integers (§3.4)
WRITE_REFUSAL_STATUS = 500  # testgenerate refuses a non-owner at insert (§1.2 step 3)
NEWEST_SHAPES = True  # logs and users have NEWEST's fields (§4.5)
COUNT_TEXT = "the number of matching logs, at most 2001, whatever limit and offset"

# What this version does, in the words of the waivers that apply to it (contracts/_waivers.py
# words the register itself): waiver id -> field -> text. NEWEST needs none.
WAIVER_TEXTS: dict[str, dict[str, str]] = {}
