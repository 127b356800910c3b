"""The kit's own rules (contracts/_coder.py) against the strategies and against the mock.

The kit's rules are written apart from the mock, so they can disagree with it: here they are
held to the strategies' own knowledge of Coder's validations, and the mock is held to them
(the kit tests the mock, never the other way round).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from coder_audit_mock.contracts import invalid_pagination
from coder_audit_mock.contracts._coder import EARLY_RULES, NEWEST_RULES, RULES, go_uuid_ok
from coder_audit_mock.mockserver._errors import CoderError
from coder_audit_mock.mockserver.profiles import get_profile

# Values that sit on the edges of Go's strconv and google/uuid parsing.
_INTEGERS = [
    "", "0", "-0", "+5", "7", "-1", "2147483647", "2147483648", "-2147483648", "-2147483649",
    "4294967295", "4294967296", "9223372036854775807", "9223372036854775808", "bogus", "1.5",
    " 5", "5 ", "\uff15", "0x10", "1_000", "--1", "+-1", "1e3", "null",
]  # fmt: skip
_UUIDS = [
    "", "d6c1c331-8b4a-4f0e-9a2b-0123456789ab", "D6C1C331-8B4A-4F0E-9A2B-0123456789AB",
    "{d6c1c331-8b4a-4f0e-9a2b-0123456789ab}", "xd6c1c331-8b4a-4f0e-9a2b-0123456789abx",
    "urn:uuid:d6c1c331-8b4a-4f0e-9a2b-0123456789ab", "URN:UUID:d6c1c331-8b4a-4f0e-9a2b-0123456789ab",
    "d6c1c3318b4a4f0e9a2b0123456789ab", "d6c1c331-8b4a-4f0e-9a2b-0123456789a",
    "d6c1c331-8b4a-4f0e-9a2b-01234567-9ab", "d6c1c331x8b4a-4f0e-9a2b-0123456789ab", "1234",
    "\u00e96c1c331-8b4a-4f0e-9a2b-0123456789a",
]  # fmt: skip
_VALUES = {"limit": _INTEGERS, "offset": _INTEGERS, "after_id": _UUIDS}
PAGINATION = st.fixed_dictionaries(
    {},
    optional={
        name: st.lists(st.sampled_from(values), min_size=1, max_size=3)
        for name, values in _VALUES.items()
    },
)


@settings(max_examples=300, database=None, derandomize=True)
@given(PAGINATION)
def test_the_mock_paginates_as_the_kits_rules_say(params: dict[str, list[str]]) -> None:
    for rules in RULES.values():
        profile = get_profile(rules.name)
        try:
            profile.sql_window(profile.parse_pagination(params))
        except CoderError as error:
            if error.status_code == 400:
                fields = tuple(sorted(v.field for v in error.validations))
                assert (fields, None) == (
                    rules.pagination_rejection(params),
                    rules.window_error(params),
                ), rules.name
            else:
                assert error.detail == rules.window_error(params), rules.name
                assert rules.pagination_rejection(params) is None
            continue
        assert rules.pagination_rejection(params) is None, rules.name
        assert rules.window_error(params) is None, rules.name


@settings(max_examples=200, database=None, derandomize=True)
@given(invalid_pagination())
def test_newest_rules_name_the_fields_the_strategies_expect(case: object) -> None:
    params = {
        name: [value] if isinstance(value, str) else list(value)
        for name, value in case.params.items()  # type: ignore[attr-defined]
    }
    assert NEWEST_RULES.pagination_rejection(params) == case.fields  # type: ignore[attr-defined]


def test_2023_takes_the_first_of_repeated_values_and_64_bit_integers() -> None:
    assert EARLY_RULES.pagination_rejection({"limit": ["-10000000", "null"]}) is None
    assert EARLY_RULES.window_error({"limit": ["-10000000", "null"]}) == (
        "pq: LIMIT must not be negative"
    )
    assert EARLY_RULES.window_error({"limit": ["2147483648"]}) == "pq: LIMIT must not be negative"
    assert EARLY_RULES.window_error({"limit": ["4294967296"]}) is None  # its low 32 bits are 0
    assert EARLY_RULES.pagination_rejection({"offset": ["9223372036854775808"]}) == ("offset",)


def test_uuids_as_google_uuid_parses_them() -> None:
    accepted = [text for text in _UUIDS if go_uuid_ok(text)]
    assert accepted == [
        "d6c1c331-8b4a-4f0e-9a2b-0123456789ab",
        "D6C1C331-8B4A-4F0E-9A2B-0123456789AB",
        "{d6c1c331-8b4a-4f0e-9a2b-0123456789ab}",
        "xd6c1c331-8b4a-4f0e-9a2b-0123456789abx",
        "urn:uuid:d6c1c331-8b4a-4f0e-9a2b-0123456789ab",
        "URN:UUID:d6c1c331-8b4a-4f0e-9a2b-0123456789ab",
        "d6c1c3318b4a4f0e9a2b0123456789ab",
    ]
