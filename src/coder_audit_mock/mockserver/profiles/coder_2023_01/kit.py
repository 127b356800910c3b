"""What the contract kit needs of the "2023-01" version beyond its facts (plain data, stdlib only).

The kit's `CoderRules` (contracts/_coder.py) are this version's facts plus these flags, and the
waivers (contracts/_waivers.py) word their version-specific texts from `WAIVER_TEXTS`.

Example:
    >>> WRITE_REFUSAL_STATUS, INT32_PAGINATION
    (403, False)
"""

from __future__ import annotations

CODER = "Coder e67d131514 (2023-01-03, read; no server of that era was recorded)"
NEWEST_SEARCH = False  # a lenient `q` (§2.2): the kit skips filters_hold
EMPTY_PAGE_COUNTS_ZERO = True  # a window count: 0 on an empty page (§3.2)
REPEATED_PAGINATION_REJECTED = False  # the first value wins (url.Values.Get, §3.4)
INT32_PAGINATION = False  # any 64-bit integer, passed to Postgres as int32 (§3.2, §3.4)
WRITE_REFUSAL_STATUS = 403  # testgenerate refuses a non-owner before the body (§1.4)
NEWEST_SHAPES = False  # the 2023-01 log and user objects (§4.5): the kit skips response_shape
COUNT_TEXT = "the number of matching logs on a page that holds some, 0 on an empty page"
