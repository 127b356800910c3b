"""The audit search query `q`: Coder's NEWEST grammar, keys and messages (§2.1, §2.3, §3.3)."""

from __future__ import annotations

import datetime
import string
import time
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coder_audit_mock.mockserver._errors import InvalidSearchQuery
from coder_audit_mock.mockserver._goparse import US_PER_DAY, US_PER_SECOND
from coder_audit_mock.mockserver._model import AUDIT_ACTIONS, BUILD_REASONS, RESOURCE_TYPES
from coder_audit_mock.mockserver._search import SearchFilter, parse_search_query

ORGANIZATIONS = {
    "acme": uuid.UUID("0b9b7f4e-6f7d-4f57-a3c1-3c5a4b1e2d10"),
    "coder": uuid.UUID("7d3c1e44-1c3a-4d5e-9c1b-5a8f2e6d4b20"),
}
SOME_ID = uuid.UUID("d6c1c331-8b4a-4f0e-9a2b-0123456789ab")
EPOCH = datetime.date(1970, 1, 1)
END_OF_DAY = (23 * 3600 + 59 * 60 + 59) * US_PER_SECOND
SECONDS_BUDGET = 2.0  # generous for slow CI; a quadratic algorithm would take minutes on 1 MB


def parse(q: str) -> SearchFilter:
    return parse_search_query(q, resolve_organization=ORGANIZATIONS.get)


def errors(q: str) -> list[tuple[str, str]]:
    with pytest.raises(InvalidSearchQuery) as caught:
        parse(q)
    assert caught.value.status_code == 400
    assert caught.value.body()["message"] == "Invalid audit search query."
    return [(validation.field, validation.detail) for validation in caught.value.validations]


def midnight(text: str) -> int:
    return (datetime.date.fromisoformat(text) - EPOCH).days * US_PER_DAY


def more_than_once(key: str, times: int) -> str:
    return (
        f'Query param "{key}" provided more than once, found {times} times. '
        "Only provide 1 instance of this query param."
    )


def organization_error(name: str) -> tuple[str, str]:
    return (
        "organization",
        (
            f'Query param "organization" has invalid value: organization "{name}" either does not '
            "exist, or you are unauthorized to view it"
        ),
    )


def enum_error(key: str, value: str) -> tuple[str, str]:
    return key, f'Query param "{key}" has invalid value: "{value}" is not a valid value'


# --- §2.3, the worked examples, row by row ---------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("workspace", SearchFilter(resource_type="workspace")),
        ("Action:CREATE", SearchFilter(action="create")),
        ('resource_target:"my thing"', SearchFilter(resource_target="my thing")),
        ('resource_target:"a:b"', SearchFilter(resource_target="a:b")),
        ("username:me", SearchFilter(username="me")),
        (f"organization:{SOME_ID}", SearchFilter(organization_id=SOME_ID)),  # no existence check
    ],
)
def test_worked_examples_that_filter(q: str, expected: SearchFilter) -> None:
    assert parse(q) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("action:", [("q", "Query element \"action:\" cannot start or end with ':'")]),
        (":create", [("q", "Query element \":create\" cannot start or end with ':'")]),
        ("action:create action:delete", [("action", more_than_once("action", 2))]),
        ("foo bar", [enum_error("resource_type", "foo bar")]),
        (
            "date_from:2022-13-01",
            [
                (
                    "date_from",
                    (
                        'Query param "date_from" must be a valid date format (2006-01-02): '
                        'parsing time "2022-13-01": month out of range'
                    ),
                )
            ],
        ),
        ("build_reason:foo", [enum_error("build_reason", "foo")]),
        (
            "action:bogus foo:bar",
            [enum_error("action", "bogus"), ("foo", '"foo" is not a valid query param')],
        ),
        # the free-text consequences listed with them
        ("invalid", [enum_error("resource_type", "invalid")]),
        ("workspace resource_type:user", [("resource_type", more_than_once("resource_type", 2))]),
    ],
)
def test_worked_examples_that_fail(q: str, expected: list[tuple[str, str]]) -> None:
    assert errors(q) == expected


# --- each key -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("", SearchFilter()),
        ("   ", SearchFilter()),
        (f"request_id:{SOME_ID}", SearchFilter(request_id=SOME_ID)),
        (f"resource_id:{{{str(SOME_ID).upper()}}}", SearchFilter(resource_id=SOME_ID)),
        (f'resource_id:"urn:uuid:{SOME_ID}"', SearchFilter(resource_id=SOME_ID)),
        (f"request_id:{SOME_ID.hex}", SearchFilter(request_id=SOME_ID)),
        ("resource_target:MyWorkspace", SearchFilter(resource_target="myworkspace")),
        ("username:Alice", SearchFilter(username="alice")),
        ("email:Ann@Example.COM", SearchFilter(email="ann@example.com")),
        ("date_from:2022-08-15", SearchFilter(date_from=midnight("2022-08-15"))),
        ("date_to:2022-08-15", SearchFilter(date_to=midnight("2022-08-15") + END_OF_DAY)),
        ("organization:ACME", SearchFilter(organization_id=ORGANIZATIONS["acme"])),
        ("resource_type:workspace_build", SearchFilter(resource_type="workspace_build")),
        ("action:request_password_reset", SearchFilter(action="request_password_reset")),
        ("build_reason:failedstop", SearchFilter(build_reason="failedstop")),
    ],
)
def test_each_key_filters(q: str, expected: SearchFilter) -> None:
    assert parse(q) == expected


@pytest.mark.parametrize(
    ("q", "field", "detail"),
    [
        ("request_id:bogus", "request_id", 'Query param "request_id" must be a valid uuid'),
        (
            f"resource_id:{str(SOME_ID)[:-1]}",
            "resource_id",
            'Query param "resource_id" must be a valid uuid',
        ),
        (
            "date_to:2022-02-30",
            "date_to",
            (
                'Query param "date_to" must be a valid date format (2006-01-02): '
                'parsing time "2022-02-30": day out of range'
            ),
        ),
        (
            "date_from:2006",
            "date_from",
            (
                'Query param "date_from" must be a valid date format (2006-01-02): '
                'parsing time "2006" as "2006-01-02": cannot parse "" as "-"'
            ),
        ),
        ("organization:Nowhere", *organization_error("nowhere")),
        ("resource_type:Bogus", *enum_error("resource_type", "bogus")),
        ("action:start_build", *enum_error("action", "start_build")),
        ("build_reason:initiator,cli", *enum_error("build_reason", "initiator,cli")),
    ],
)
def test_each_key_reports_its_own_validation(q: str, field: str, detail: str) -> None:
    assert errors(q) == [(field, detail)]


def test_all_key_errors_come_together_in_coder_order_then_unknown_keys_as_given() -> None:
    q = (
        "zzz:1 build_reason:x action:x resource_type:x organization:nope date_to:x date_from:x "
        "email:a email:b username:a username:b resource_target:a resource_target:b "
        "resource_id:x request_id:x aaa:2"
    )
    date_error = 'must be a valid date format (2006-01-02): parsing time "x" as "2006-01-02": '
    assert errors(q) == [
        ("request_id", 'Query param "request_id" must be a valid uuid'),
        ("resource_id", 'Query param "resource_id" must be a valid uuid'),
        ("resource_target", more_than_once("resource_target", 2)),
        ("username", more_than_once("username", 2)),
        ("email", more_than_once("email", 2)),
        ("date_from", f'Query param "date_from" {date_error}cannot parse "x" as "2006"'),
        ("date_to", f'Query param "date_to" {date_error}cannot parse "x" as "2006"'),
        organization_error("nope"),
        enum_error("resource_type", "x"),
        enum_error("action", "x"),
        enum_error("build_reason", "x"),
        ("zzz", '"zzz" is not a valid query param'),
        ("aaa", '"aaa" is not a valid query param'),
    ]


# --- the grammar ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        (
            "  action:create   resource_type:user ",
            SearchFilter(action="create", resource_type="user"),
        ),
        ("action::create", SearchFilter(action="create")),  # empty parts are dropped
        ('"Action":create', SearchFilter(action="create")),  # quotes trimmed from the key
        ('resource_target:"foo bar', SearchFilter(resource_target="foo bar")),  # unclosed quote
        ('resource_target:"""my thing"""', SearchFilter(resource_target="my thing")),
        ('resource_target:":x"', SearchFilter(resource_target=":x")),
        ("resource_target:İSTANBUL", SearchFilter(resource_target="istanbul")),  # Go's ToLower
        ('resource_type:""', SearchFilter()),  # empty = absent
        ('action:"" action:create', SearchFilter()),  # only the FIRST value decides "absent"
        ('resource_type:"" workspace', SearchFilter()),  # free text goes after key:value tokens
        (f"request_id:{uuid.UUID(int=0)}", SearchFilter()),  # nil uuid = no filter, as in SQL
        (f"organization:{uuid.UUID(int=0)}", SearchFilter()),
        ("date_from:0001-01-01 date_to:0001-01-01", SearchFilter()),  # Go's zero time = no filter
        (
            "date_from:2022-08-16 date_to:2022-08-15",
            SearchFilter(
                date_from=midnight("2022-08-16"), date_to=midnight("2022-08-15") + END_OF_DAY
            ),
        ),  # no ordering check between the bounds
    ],
)
def test_grammar_details(q: str, expected: SearchFilter) -> None:
    assert parse(q) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        # a malformed element stops parsing: later elements and key errors are not reported
        ("action:bogus a:b:c :x", [("q", "Query element \"a:b:c\" can only contain 1 ':'")]),
        ("action:bogus :x a:b:c", [("q", "Query element \":x\" cannot start or end with ':'")]),
        (
            "action:create\tresource_type:user",
            [("q", "Query element \"action:create\\tresource_type:user\" can only contain 1 ':'")],
        ),  # only ' ' separates
        ('a:"b:c":d', [("q", 'Query element "a:\\"b:c\\":d" can only contain 1 \':\'')]),
        # quotes of free text are kept in the resource_type value
        ('"workspace"', [enum_error("resource_type", '\\"workspace\\"')]),
        ('"a:b"', [enum_error("resource_type", '\\"a:b\\"')]),
        # `""` closes at once, so the space splits: `thing""` is free text
        ('resource_target:""my thing""', [enum_error("resource_type", 'thing\\"\\"')]),
        ('action:"create:"', [enum_error("action", "create:")]),
        ("foo BAR  baz", [enum_error("resource_type", "foo bar baz")]),
        # unknown keys are quoted the Go way, and the field is the key itself
        ("a\u00a0b:1", [("a\u00a0b", '"a\\u00a0b" is not a valid query param')]),
        ('"":x', [("", '"" is not a valid query param')]),
    ],
)
def test_grammar_errors(q: str, expected: list[tuple[str, str]]) -> None:
    assert errors(q) == expected


def test_organization_names_are_resolved_lowercased_and_only_when_not_uuids() -> None:
    asked: list[str] = []

    def resolve(name: str) -> uuid.UUID | None:
        asked.append(name)
        return ORGANIZATIONS.get(name)

    assert parse_search_query("organization:CODER", resolve_organization=resolve) == SearchFilter(
        organization_id=ORGANIZATIONS["coder"]
    )
    parse_search_query(f"organization:{SOME_ID}", resolve_organization=resolve)
    assert asked == ["coder"]


# --- properties -----------------------------------------------------------------------------------

STRING_ALPHABET = string.ascii_lowercase + string.digits + "-_.@+/ :'"


@st.composite
def mixed_case(draw: st.DrawFn, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(char.upper() if flip else char for char, flip in zip(text, flips, strict=True))


@st.composite
def spelled_uuids(draw: st.DrawFn) -> tuple[str, uuid.UUID]:
    """A non-nil uuid in any of the spellings google/uuid accepts, in any case."""
    value = draw(st.uuids().filter(lambda candidate: candidate.int != 0))
    spelling = draw(st.sampled_from(["{}", "{{{}}}", "urn:uuid:{}", "hex"]))
    text = value.hex if spelling == "hex" else spelling.format(value)
    return draw(mixed_case(text)), value


def strings_of(alphabet: str) -> st.SearchStrategy[tuple[str, str]]:
    return st.text(alphabet, min_size=1, max_size=12).flatmap(
        lambda value: mixed_case(value).map(lambda spelled: (spelled, value))
    )


def enum_values(values: tuple[str, ...]) -> st.SearchStrategy[tuple[str, str]]:
    return st.sampled_from(values).flatmap(
        lambda value: mixed_case(value).map(lambda spelled: (spelled, value))
    )


def dates(*, end_of_day: bool) -> st.SearchStrategy[tuple[str, int]]:
    later = END_OF_DAY if end_of_day else 0
    return st.dates(min_value=datetime.date(1, 1, 2)).map(
        lambda date: (date.isoformat(), midnight(date.isoformat()) + later)
    )


VALUES: dict[str, st.SearchStrategy[tuple[str, object]]] = {
    "request_id": spelled_uuids(),
    "resource_id": spelled_uuids(),
    "resource_target": strings_of(STRING_ALPHABET),
    "username": strings_of(STRING_ALPHABET) | st.just(("ME", "me")),
    "email": strings_of(STRING_ALPHABET),
    "date_from": dates(end_of_day=False),
    "date_to": dates(end_of_day=True),
    "organization": spelled_uuids()
    | st.sampled_from(sorted(ORGANIZATIONS)).flatmap(
        lambda name: mixed_case(name).map(lambda spelled: (spelled, ORGANIZATIONS[name]))
    ),
    "resource_type": enum_values(RESOURCE_TYPES),
    "action": enum_values(AUDIT_ACTIONS),
    "build_reason": enum_values(BUILD_REASONS),
}


@st.composite
def valid_queries(draw: st.DrawFn) -> tuple[str, SearchFilter]:
    """A valid `q` built from the grammar, and the filter it must parse to.

    Keys in any order and case, optionally quoted; values in any case, quoted when they must be
    (a space or `:`) and sometimes when they need not; `resource_type` sometimes as bare free
    text; runs of spaces around everything.
    """
    keys = draw(st.lists(st.sampled_from(sorted(VALUES)), unique=True))
    tokens: list[str] = []
    expected: dict[str, object] = {}
    for key in keys:
        spelled, value = draw(VALUES[key])
        expected["organization_id" if key == "organization" else key] = value
        if key == "resource_type" and draw(st.booleans()):
            tokens.append(spelled)
            continue
        if " " in spelled or ":" in spelled or draw(st.booleans()):
            spelled = f'"{spelled}"'
        spelled_key = draw(mixed_case(key))
        if draw(st.booleans()):
            spelled_key = f'"{spelled_key}"'
        tokens.append(f"{spelled_key}:{spelled}")
    spaces = st.text(" ", min_size=1, max_size=3)
    q = draw(st.text(" ", max_size=2))
    for token in draw(st.permutations(tokens)):
        q += token + draw(spaces)
    return q, SearchFilter(**expected)  # type: ignore[arg-type]


@given(valid_queries())
def test_a_valid_query_parses_to_the_filter_it_was_built_from(
    case: tuple[str, SearchFilter],
) -> None:
    q, expected = case
    assert parse(q) == expected


# Text made of the grammar's own pieces reaches the interesting paths far more often than st.text().
QUERY_SOUP = st.lists(
    st.sampled_from([" ", ":", '"', "a", "B", "é", "İ", "\t", "\x00", "\u00a0"])
    | st.sampled_from(sorted(VALUES) + ["workspace", "create", "2022-01-01", str(SOME_ID)]),
    max_size=30,
).map("".join)


@given(QUERY_SOUP | st.text())
def test_any_text_parses_or_gives_coder_validations(q: str) -> None:
    try:
        parse(q)
    except InvalidSearchQuery as error:
        assert error.validations
        if any(validation.field == "q" for validation in error.validations):
            assert len(error.validations) == 1
        for validation in error.validations:
            validation.detail.encode("utf-8")  # always JSON-encodable


def _big_queries() -> dict[str, str]:
    megabyte = 1 << 20
    return {
        "spaces": " " * megabyte,
        "quotes": '"' * megabyte,
        "key_values": "a:b " * (megabyte // 4),
        "quoted_free_text": '"a:b" ' * (megabyte // 6),
        "free_words": "ab " * (megabyte // 3),
        "unknown_keys": "".join(f"k{i}:v " for i in range(megabyte // 10)),
        "colons": ":" * megabyte,
        "controls": "resource_type:" + "é\x01\u00a0" * (megabyte // 6),
        "long_date": "date_from:" + "1" * megabyte,
    }


@pytest.mark.parametrize("name", sorted(_big_queries()))
def test_a_megabyte_query_parses_quickly(name: str) -> None:
    q = _big_queries()[name]
    start = time.perf_counter()
    try:
        parse(q)
    except InvalidSearchQuery:
        pass
    assert time.perf_counter() - start < SECONDS_BUDGET
