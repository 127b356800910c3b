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

# What this version does, in the words of the waivers that apply to it (contracts/_waivers.py
# words the register itself for any version): waiver id -> field -> text.
WAIVER_TEXTS: dict[str, dict[str, str]] = {
    "pagination-int32": {
        "server_does": "a 2023-01 server reads them with strconv.Atoi (any 64-bit integer; "
        "others get 400) and passes their low 32 bits to Postgres, which refuses a negative one "
        "with a 500 (see negative-pagination-500)",
    },
    "user-organization-ids-null": {
        "server_does": "a 2023-01 server answers `organization_ids: null` in every audit log's "
        "user",
        "reason": "the 2023-01 handler never filled the (nil) Go slice, which encodes as null",
    },
    "negative-pagination-500": {
        "server_does": "a 2023-01 server passes a negative limit or offset (also one whose low "
        '32 bits are negative, e.g. limit=2147483648) on to Postgres: 500 with detail "pq: LIMIT '
        'must not be negative" (or OFFSET, checked first)',
        "reason": "this is what Coder 2023-01 itself answers (its parsePagination had no "
        "minimum); NEWEST answers 400 instead",
    },
}
