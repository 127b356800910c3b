"""Pagination parameters: Coder's `ParsePagination` rules and messages (§3.4)."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coder_audit_mock.mockserver._errors import InvalidPagination
from coder_audit_mock.mockserver._goparse import parse_go_query
from coder_audit_mock.mockserver._pagination import Page, parse_pagination

AFTER_ID = "d6c1c331-8b4a-4f0e-9a2b-0123456789ab"
OTHER_ID = "5f2005fc-acc4-4b0c-9f35-7e0e4a5a0d7e"
UUID_DETAIL = 'Query param "after_id" must be a valid uuid'
INT_DETAIL = 'Query param "{}" must be a valid 32-bit positive integer: {}'


def more_than_once(key: str, times: int) -> str:
    return (
        f'Query param "{key}" provided more than once, found {times} times. '
        "Only provide 1 instance of this query param."
    )


def details(raw: bytes) -> list[tuple[str, str]]:
    with pytest.raises(InvalidPagination) as caught:
        parse_pagination(parse_go_query(raw))
    assert caught.value.status_code == 400
    assert caught.value.body()["message"] == "Query parameters have invalid values."
    return [(validation.field, validation.detail) for validation in caught.value.validations]


# Coder's pagination test table (§3.4), one row each.
@pytest.mark.parametrize(
    ("raw", "field", "detail"),
    [
        (b"after_id=bogus", "after_id", UUID_DETAIL),
        (b"after_id=" + AFTER_ID[:-1].encode(), "after_id", UUID_DETAIL),  # 35 characters
        (b"after_id=" + AFTER_ID.encode() + b"f", "after_id", UUID_DETAIL),  # 37 characters
        (
            b"limit=bogus",
            "limit",
            INT_DETAIL.format("limit", 'strconv.ParseInt: parsing "bogus": invalid syntax'),
        ),
        (
            b"limit=2147483648",
            "limit",
            INT_DETAIL.format(
                "limit", 'strconv.ParseInt: parsing "2147483648": value out of range'
            ),
        ),
        (b"limit=-1", "limit", INT_DETAIL.format("limit", "value is negative")),
        (
            b"offset=bogus",
            "offset",
            INT_DETAIL.format("offset", 'strconv.ParseInt: parsing "bogus": invalid syntax'),
        ),
        (
            b"offset=2147483648",
            "offset",
            INT_DETAIL.format(
                "offset", 'strconv.ParseInt: parsing "2147483648": value out of range'
            ),
        ),
        (b"offset=-1", "offset", INT_DETAIL.format("offset", "value is negative")),
    ],
)
def test_invalid_parameter_gives_coder_validation(raw: bytes, field: str, detail: str) -> None:
    assert details(raw) == [(field, detail)]


@pytest.mark.parametrize(
    ("raw", "page"),
    [
        (
            f"after_id={AFTER_ID}&offset=100&limit=50".encode(),
            Page(limit=50, offset=100, after_id=uuid.UUID(AFTER_ID)),
        ),
        (b"limit=50", Page(limit=50)),
        (b"offset=150", Page(offset=150)),
        (f"after_id={OTHER_ID}".encode(), Page(after_id=uuid.UUID(OTHER_ID))),
        (b"", Page()),
        (b"limit=0&offset=0", Page()),  # 0 is allowed (and means the default page size)
        (b"limit=2147483647&offset=-0", Page(limit=2147483647)),
        (b"limit=%2B25", Page(limit=25)),  # strconv accepts a leading '+'
        (b"limit=&offset=&after_id=", Page()),  # empty = absent
        (b"q=action%3Acreate&foo=bar", Page()),  # other parameters are not pagination's business
        (f"after_id={{{AFTER_ID.upper()}}}".encode(), Page(after_id=uuid.UUID(AFTER_ID))),
    ],
)
def test_valid_parameters_give_a_page(raw: bytes, page: Page) -> None:
    assert parse_pagination(parse_go_query(raw)) == page


def test_every_bad_parameter_is_reported_in_coder_order() -> None:
    assert details(b"offset=-1&limit=x&after_id=nope") == [
        ("after_id", UUID_DETAIL),
        ("limit", INT_DETAIL.format("limit", 'strconv.ParseInt: parsing "x": invalid syntax')),
        ("offset", INT_DETAIL.format("offset", "value is negative")),
    ]


def test_repeated_parameter_is_an_error() -> None:
    assert details(b"limit=1&limit=2&limit=3&offset=5") == [("limit", more_than_once("limit", 3))]


def test_repeated_parameter_with_empty_first_value_is_absent() -> None:
    # Coder checks `vals.Get(key) == ""` (the FIRST value) before counting the values.
    assert parse_pagination(parse_go_query(b"limit=&limit=5&limit=bogus")) == Page()


def test_repeated_parameter_is_not_parsed() -> None:
    assert details(b"limit=bogus&limit=bogus") == [("limit", more_than_once("limit", 2))]


@given(
    st.integers(0, 2**31 - 1),
    st.integers(0, 2**31 - 1),
    st.none() | st.uuids(),
)
def test_any_valid_combination_parses(limit: int, offset: int, after_id: uuid.UUID | None) -> None:
    params = {"limit": [str(limit)], "offset": [str(offset)]}
    if after_id is not None:
        params["after_id"] = [str(after_id)]
    assert parse_pagination(params) == Page(limit=limit, offset=offset, after_id=after_id)


@given(st.dictionaries(st.sampled_from(["limit", "offset", "after_id", "q"]), st.lists(st.text())))
def test_any_input_gives_a_page_or_coder_validations(params: dict[str, list[str]]) -> None:
    try:
        page = parse_pagination(params)
    except InvalidPagination as error:
        fields = [validation.field for validation in error.validations]
        assert fields == sorted(fields, key=["after_id", "limit", "offset"].index)
        assert len(set(fields)) == len(fields)
    else:
        assert 0 <= page.limit < 2**31
        assert 0 <= page.offset < 2**31
