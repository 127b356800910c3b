"""The indexed store against a naive reading of the rules: same logs, same order, same count (§3.1)."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coder_audit_mock.mockserver import (
    AuditLog,
    AuditStore,
    Query,
    SearchFilter,
    generate_deployment,
)
from coder_audit_mock.mockserver import _store as store_module
from coder_audit_mock.mockserver._render import joined_build_reason
from coder_audit_mock.mockserver._store import UnencodableLog

DEPLOYMENT = generate_deployment(seed=5, log_count=3000)
STORE = AuditStore(DEPLOYMENT)
LOGS = list(DEPLOYMENT.logs)


def naive(query: Query) -> list[AuditLog]:
    """The rules, read literally: every filter holds; time descending, stored order on ties."""
    search = query.filter

    def keep(log: AuditLog) -> bool:
        checks = [
            search.request_id is None or log.request_id == search.request_id,
            search.resource_id is None or log.resource_id == search.resource_id,
            not search.resource_target or log.resource_target == search.resource_target,
            not search.resource_type or log.resource_type == search.resource_type,
            not search.action or log.action == search.action,
            not search.build_reason or joined_build_reason(log, DEPLOYMENT) == search.build_reason,
            search.date_from is None or log.time >= search.date_from,
            search.date_to is None or log.time <= search.date_to,
            search.organization_id is None or log.organization_id == search.organization_id,
            query.user_ids is None or log.user_id in query.user_ids,
            query.organizations is None or log.organization_id in query.organizations,
        ]
        return all(checks)

    ordered = sorted(enumerate(LOGS), key=lambda item: (-item[1].time, item[0]))
    return [log for _, log in ordered if keep(log)]


def pick(attribute: str) -> st.SearchStrategy[object]:
    return st.sampled_from(sorted({getattr(log, attribute) for log in LOGS}, key=str))


filters = st.builds(
    SearchFilter,
    request_id=st.none() | pick("request_id"),
    resource_id=st.none() | pick("resource_id"),
    resource_target=st.just("") | pick("resource_target"),
    resource_type=st.just("") | pick("resource_type"),
    action=st.just("") | pick("action"),
    build_reason=st.sampled_from(["", "initiator", "autostart", "autostop", "cli"]),
    date_from=st.none() | pick("time"),
    date_to=st.none() | pick("time"),
    organization_id=st.none() | pick("organization_id"),
)
queries = st.builds(
    Query,
    filter=filters,
    user_ids=st.none() | st.frozensets(pick("user_id"), max_size=3),
    organizations=st.none() | st.frozensets(pick("organization_id"), max_size=2),
)


@settings(max_examples=150)
@given(query=queries, offset=st.integers(0, 3100), limit=st.integers(0, 300))
def test_pages_match_the_naive_reading(query: Query, offset: int, limit: int) -> None:
    expected = naive(query)
    page, count = STORE.page(query, limit=limit, offset=offset)
    assert count == min(len(expected), 2001)
    effective = limit or 100
    assert [log.id for log in page] == [log.id for log in expected[offset : offset + effective]]


@pytest.mark.parametrize("scan_limit", [0, 10**9])
def test_both_query_plans_agree(monkeypatch: pytest.MonkeyPatch, scan_limit: int) -> None:
    # scan_limit 0 forces the bitset plan everywhere, a huge one the scan plan
    monkeypatch.setattr(store_module, "_SCAN_LIMIT", scan_limit)
    for query in (
        Query(SearchFilter(action="login")),
        Query(SearchFilter(resource_id=LOGS[0].resource_id)),
        Query(SearchFilter(action="login", date_from=LOGS[100].time), user_ids=frozenset({None})),
        Query(SearchFilter(resource_type="workspace_build", build_reason="initiator")),
    ):
        assert [log.id for log in STORE.matching(query)] == [log.id for log in naive(query)]


def test_insert_in_order_and_out_of_order_keep_the_order() -> None:
    store = AuditStore(generate_deployment(seed=1, log_count=200))
    newest = store.logs[-1]
    later = dataclasses.replace(newest, id=uuid.uuid4(), time=newest.time + 1)
    older = dataclasses.replace(newest, id=uuid.uuid4(), time=store.logs[0].time - 1)
    store.insert(later)
    store.insert(older)
    everything = store.matching(Query(SearchFilter()))
    assert everything[0].id == later.id and everything[-1].id == older.id
    assert [log.time for log in everything] == sorted(
        (log.time for log in everything), reverse=True
    )
    # a broad bitset cached before an insert still sees the new log
    action_query = Query(SearchFilter(action=later.action))
    before = len(store.matching(action_query))
    store.insert(dataclasses.replace(later, id=uuid.uuid4(), time=later.time + 5))
    assert len(store.matching(action_query)) == before + 1


def test_max_logs_refuses_and_stores_nothing() -> None:
    store = AuditStore(generate_deployment(seed=1, log_count=3), max_logs=3)
    with pytest.raises(Exception) as raised:
        store.insert(dataclasses.replace(store.logs[0], id=uuid.uuid4()))
    assert getattr(raised.value, "status_code", None) == 507
    assert len(store) == 3


def test_unencodable_time_is_reported() -> None:
    store = AuditStore(generate_deployment(seed=1, log_count=1))
    far = dataclasses.replace(
        store.logs[0], id=uuid.uuid4(), time=253_402_300_800_000_000
    )  # 10000-01-01
    store.insert(far)
    with pytest.raises(UnencodableLog):
        store.render(far)


def test_the_library_leaves_the_processes_gc_as_it_was() -> None:
    # gc.freeze is process-wide: a user's pytest session that builds a mock keeps its GC (only
    # `serve`, which owns its process, sets freeze_gc).
    import gc

    from coder_audit_mock.mockserver import MockServer, MockSettings

    gc.unfreeze()
    enabled = gc.isenabled()
    server = MockServer(MockSettings(log_count=200))
    server.store.page(Query(SearchFilter(action="create")), limit=5, offset=0)
    assert gc.get_freeze_count() == 0
    assert gc.isenabled() == enabled
    assert server.store.freeze_gc is False


def test_under_serve_a_new_column_index_is_frozen_without_a_full_collection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The first query that filters on a column builds its index inside that request: under
    # `serve` (freeze_gc) the index leaves later GC passes, but the request must not pay for a
    # full collection (one per column, with a million logs, is a latency spike).
    import gc

    from coder_audit_mock.mockserver import MockServer, MockSettings

    server = MockServer(MockSettings(log_count=200))
    server.store.freeze_gc = True
    collections: list[object] = []
    monkeypatch.setattr(gc, "collect", lambda *args: collections.append(args) or 0)
    gc.unfreeze()
    try:
        server.store.page(Query(SearchFilter(action="create")), limit=5, offset=0)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert collections == []
