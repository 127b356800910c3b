"""What the contract kit expects of each Coder version: its own oracle, not the mock's code.

The semantic checks and the waivers judge a server by these rules. They are written here, in
the kit, from Coder's behaviour (the § numbers of the behaviour reference, and the answers
recorded from a real Coder v2.35.1 in tests/fidelity/corpus), and never by calling the mock's
parsers, renderers, store or profiles: a bug in the mock must not become the contract. The
*values* (enums, keys, carriers, messages) are the version folders' plain-data `facts.py` and
`kit.py` (mockserver/profiles/<version>/), one copy of each Coder fact for the mock and the kit;
the *logic* that judges a server by them is here. The mock is tested by the kit, not the
other way round (tests/test_layers.py forbids the import).

```
CoderRules                one Coder version's observable contract (enums, count, paging,
                          tokens, roles, testgenerate, shapes)
  .count(total, n)        the `count` a page of n logs carries when `total` logs match
  .pagination_rejection   the validation fields of the 400 for limit/offset/after_id, or None
  .window_error           the `detail` of Postgres's 500 for a LIMIT/OFFSET it refuses, or None
RULES / rules_for(name)   "newest" (v2.35.1 and the source it was read from), "2023-01":
                          one per folder of mockserver/profiles, from its facts.py and kit.py
```

Example:
    >>> rules_for("newest").pagination_rejection({"limit": ["-1"], "offset": ["5"]})
    ('limit',)
    >>> rules_for("2023-01").window_error({"limit": ["-1"]})
    'pq: LIMIT must not be negative'
"""

from __future__ import annotations

import dataclasses
import importlib
import re
import types
from collections.abc import Mapping, Sequence
from types import ModuleType

from ..mockserver.profiles import TokenCarrier, version_packages
from ..mockserver.profiles.coder_2023_01 import facts as _early
from ..mockserver.profiles.newest import facts as _newest

__all__ = [
    "DEFAULT_PROFILE",
    "EARLY_RULES",
    "NEWEST_RULES",
    "RULES",
    "CoderRules",
    "TokenCarrier",
    "rules_for",
]

# Coder's facts, one copy each, in the version folders (plain data, stdlib only; the kit never
# reads the mock's parsers, renderers or profiles). NEWEST's enums are named here for the kit.
NIL = "00000000-0000-0000-0000-000000000000"
NEWEST_AUDIT_ACTIONS = _newest.AUDIT_ACTIONS  # §4.1
NEWEST_RESOURCE_TYPES = _newest.RESOURCE_TYPES  # §4.2
NEWEST_BUILD_REASONS = _newest.BUILD_REASONS  # §4.3
NEWEST_SEARCH_KEYS = _newest.SEARCH_KEYS  # §2.1
NEWEST_TESTGENERATE_FIELDS = _newest.TESTGENERATE_FIELDS  # §5
FORBIDDEN_DETAIL = _newest.FORBIDDEN_DETAIL  # §1.1 step 2: httpapi.Forbidden's detail
INTERNAL_ERROR_MESSAGE = _newest.INTERNAL_ERROR_MESSAGE  # §1.2 step 3
_INT = re.compile(r"[+-]?[0-9]+")  # strconv's base-10 syntax: ASCII digits, one optional sign
_HEX = re.compile(r"[0-9a-fA-F]+")
_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_PAGINATION = ("after_id", "limit", "offset")  # Coder reads (and reports) them in this order


def go_uuid_ok(text: str) -> bool:
    """Whether `github.com/google/uuid.Parse` accepts `text` (§3.4).

    36 characters with dashes at 8, 13, 18, 23; 38 (the first and last character are skipped,
    whatever they are); 45 with a `urn:uuid:` prefix (any case); or 32 bare hex digits.

    Example:
        >>> go_uuid_ok("{d6c1c331-8b4a-4f0e-9a2b-0123456789ab}"), go_uuid_ok("1234")
        (True, False)
    """
    raw = text.encode("utf-8", "surrogateescape")
    if len(raw) == 45 and raw[:9].lower() == b"urn:uuid:":
        raw = raw[9:]
    elif len(raw) == 38:
        raw = raw[1:37]
    if len(raw) == 36:
        if raw[8:9] + raw[13:14] + raw[18:19] + raw[23:24] != b"----":
            return False
        raw = raw[:8] + raw[9:13] + raw[14:18] + raw[19:23] + raw[24:]
    return len(raw) == 32 and _HEX.fullmatch(raw.decode("latin-1")) is not None


def _go_int(text: str, bounds: tuple[int, int]) -> int | None:
    """`strconv.ParseInt(text, 10, bits)`: the value, or None for a syntax or range error."""
    if not _INT.fullmatch(text):
        return None
    value = int(text)
    return value if bounds[0] <= value <= bounds[1] else None


def _go_int32(value: int) -> int:
    """Go's `int32(value)`: the low 32 bits, signed."""
    return (value + 2**31) % 2**32 - 2**31


@dataclasses.dataclass(frozen=True, slots=True)
class CoderRules:
    """One Coder version's audit-log contract as the kit checks it.

    Attributes:
        name: the version's name, as `--profile` spells it: "newest" or "2023-01".
        coder: where the rules come from (release, commit, recording).
        audit_actions, resource_types, build_reasons: the database enums (§4.1-§4.3).
        search_keys: the keys `q` reads (§2.1, §2.2).
        newest_search: `q` follows NEWEST's grammar (every key, enum and `username:me`),
            which the search strategies draw; False skips filters_hold.
        rejects_bad_search: unknown keys, bad values, repeated keys answer 400 (§2.1).
        default_limit: the page size without `limit` (NEWEST 100; 2023-01 ran `LIMIT 0`).
        count_cap: the `count_cap` field, None when the page has none (§3.1, §3.2).
        empty_page_counts_zero: `count` is a window count, 0 on an empty page (§3.2).
        repeated_pagination_rejected: `limit=1&limit=2` is a 400 (§3.4); else the first wins.
        int32_pagination: limit/offset are non-negative 32-bit integers (§3.4); else any
            64-bit integer, passed to Postgres as int32 (which refuses negatives with a 500).
        token_carriers: where the token may travel, first wins (§6.1).
        www_authenticate: a 401 carries a `WWW-Authenticate` challenge (§6.2).
        forbidden_detail: the `detail` of the read refusal's 403 (§1.1, §1.3).
        write_refusal_status: what a reader who may not write gets from testgenerate (§1.2
            step 3: 500 at insert; §1.4: 403 before the body).
        org_scoped_reads: organization admins and auditors read their organizations' logs.
        csrf_check: cookie-authenticated writes need a CSRF token (recorded from v2.35.1).
        testgenerate_fields: the body fields testgenerate reads (§5).
        newest_shapes: logs and users have NEWEST's fields (§4.5); False skips response_shape.
        count_text: the count rule in words, for failure reports.
        waiver_texts: (waiver id, field, text): how the waivers that apply to this version
            word what it does (contracts/_waivers.py).

    Example:
        >>> NEWEST_RULES.count(2500, 0), EARLY_RULES.count(7, 0)
        (2001, 0)
    """

    name: str
    coder: str
    audit_actions: tuple[str, ...]
    resource_types: tuple[str, ...]
    build_reasons: tuple[str, ...]
    search_keys: tuple[str, ...]
    newest_search: bool
    rejects_bad_search: bool
    default_limit: int
    count_cap: int | None
    empty_page_counts_zero: bool
    repeated_pagination_rejected: bool
    int32_pagination: bool
    token_carriers: tuple[TokenCarrier, ...]
    www_authenticate: bool
    forbidden_detail: str
    write_refusal_status: int
    org_scoped_reads: bool
    csrf_check: bool
    testgenerate_fields: tuple[str, ...]
    newest_shapes: bool
    count_text: str
    waiver_texts: tuple[tuple[str, str, str], ...] = ()

    def count(self, total: int, on_page: int) -> int:
        """The `count` of a page holding `on_page` logs when `total` logs match (§3.1, §3.2).

        Example:
            >>> NEWEST_RULES.count(12, 0), EARLY_RULES.count(12, 3)
            (12, 12)
        """
        if self.empty_page_counts_zero and on_page == 0:
            return 0
        return total if self.count_cap is None else min(total, self.count_cap + 1)

    def pagination_rejection(self, params: Mapping[str, Sequence[str]]) -> tuple[str, ...] | None:
        """The sorted validation fields of the 400 `params` get, or None when accepted (§3.4).

        Args:
            params: each query parameter's values in the order sent (others are ignored).

        Example:
            >>> NEWEST_RULES.pagination_rejection({"limit": ["1", "2"], "after_id": ["x"]})
            ('after_id', 'limit')
            >>> EARLY_RULES.pagination_rejection({"limit": ["1", "2"], "offset": ["-3"]}) is None
            True
        """
        bad = [name for name in _PAGINATION if not self._valid(name, params.get(name, ()))]
        return tuple(sorted(bad)) or None

    def _valid(self, name: str, values: Sequence[str]) -> bool:
        # An absent parameter, or an empty FIRST value, means the default (Go's vals.Get).
        if not values or values[0] == "":
            return True
        if len(values) > 1 and self.repeated_pagination_rejected:
            return False
        if name == "after_id":
            return go_uuid_ok(values[0])
        if self.int32_pagination:
            value = _go_int(values[0], _INT32)
            return value is not None and value >= 0
        return _go_int(values[0], _INT64) is not None

    def window_error(self, params: Mapping[str, Sequence[str]]) -> str | None:
        """The `detail` of the 500 Postgres answers for this LIMIT/OFFSET, or None (§3.2).

        Only for a version that passes 64-bit values on as int32: a negative result is refused,
        OFFSET before LIMIT. None when the pagination is rejected with a 400 first.

        Example:
            >>> EARLY_RULES.window_error({"offset": ["4294967295"], "limit": ["-1"]})
            'pq: OFFSET must not be negative'
            >>> NEWEST_RULES.window_error({"limit": ["-1"]}) is None
            True
        """
        if self.int32_pagination or self.pagination_rejection(params) is not None:
            return None
        for name, word in (("offset", "OFFSET"), ("limit", "LIMIT")):
            values = params.get(name, ())
            value = _go_int(values[0], _INT64) if values and values[0] else 0
            if value is not None and _go_int32(value) < 0:
                return f"pq: {word} must not be negative"
        return None


# The CoderRules fields that are a version's facts (or kit flags) of the same name in upper case.
_RULES_FROM_FACTS = (
    "audit_actions",
    "resource_types",
    "build_reasons",
    "search_keys",
    "rejects_bad_search",
    "default_limit",
    "count_cap",
    "www_authenticate",
    "forbidden_detail",
    "org_scoped_reads",
    "csrf_check",
    "testgenerate_fields",
)
_RULES_FROM_KIT = (
    "newest_search",
    "empty_page_counts_zero",
    "repeated_pagination_rejected",
    "int32_pagination",
    "write_refusal_status",
    "newest_shapes",
    "count_text",
)


def _rules_of(package: str) -> CoderRules:
    """One version's rules: its folder's facts (shared with the mock) and kit flags."""
    facts: ModuleType = importlib.import_module(f"{package}.facts")
    kit: ModuleType = importlib.import_module(f"{package}.kit")
    return CoderRules(
        name=facts.NAME,
        coder=kit.CODER,
        token_carriers=tuple(TokenCarrier(kind, name) for kind, name in facts.TOKEN_CARRIERS),
        waiver_texts=tuple(
            (waiver_id, field, text)
            for waiver_id, texts in kit.WAIVER_TEXTS.items()
            for field, text in texts.items()
        ),
        **{field: getattr(facts, field.upper()) for field in _RULES_FROM_FACTS},
        **{field: getattr(kit, field.upper()) for field in _RULES_FROM_KIT},
    )


RULES: Mapping[str, CoderRules] = types.MappingProxyType(
    {rules.name: rules for rules in map(_rules_of, version_packages())}
)
"""Every Coder version the kit can check for, by name, in the folders' ORDER (default first)."""
DEFAULT_PROFILE: str = next(
    name
    for name, package in zip(RULES, version_packages(), strict=True)
    if importlib.import_module(f"{package}.facts").DEFAULT
)
NEWEST_RULES = RULES[_newest.NAME]
"""The rules of Coder NEWEST (v2.35.1)."""
EARLY_RULES = RULES[_early.NAME]
"""The rules of Coder as of 2023-01-03."""


def rules_for(name: str | CoderRules) -> CoderRules:
    """The rules of the Coder version called `name` (a `CoderRules` is returned as it is).

    Raises:
        KeyError: an unknown name; the message lists the known ones.

    Example:
        >>> rules_for("2023-01").default_limit
        0
    """
    if isinstance(name, CoderRules):
        return name
    try:
        return RULES[name]
    except KeyError:
        raise KeyError(f"unknown profile {name!r}: expected one of {', '.join(RULES)}") from None
