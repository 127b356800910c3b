"""The fake deployment: determinism, coherence with the reference, built-in callers, speed."""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import ipaddress
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coder_audit_mock.mockserver._entities import fast_uuid4
from coder_audit_mock.mockserver._errors import MockServerError
from coder_audit_mock.mockserver._generate import (
    DEFAULT_LOG_COUNT,
    DEFAULT_NOW_US,
    DEFAULT_SEED,
    DEFAULT_TOKENS,
    LOG_WINDOW_US,
    TOKEN_ROLES,
    DataRules,
    generate_deployment,
)
from coder_audit_mock.mockserver._json import json_text
from coder_audit_mock.mockserver._model import (
    AUDIT_ACTIONS,
    BUILD_REASONS,
    BUILTIN_ROLES,
    NIL_UUID,
    RESOURCE_TYPES,
    AuditLog,
    Deployment,
)
from coder_audit_mock.mockserver._render import is_deleted, render_log, resource_link

# §4.1/§4.2 and Coder's handlers: which actions each resource type is audited with.
_CRUD = {"create", "write", "delete"}
ALLOWED_ACTIONS: dict[str, set[str]] = collections.defaultdict(lambda: _CRUD)
ALLOWED_ACTIONS.update(
    {
        "workspace_build": {"start", "stop", "delete"},
        "api_key": {"login", "logout", "register", "create", "delete"},
        "user": {"create", "write", "delete", "request_password_reset"},
        "template_version": {"create", "write"},
        "git_ssh_key": {"create", "write"},
        "workspace_agent": {"connect", "disconnect"},
        "workspace_app": {"open", "close"},
        "license": {"create", "delete"},
        "convert_login": {"create"},
    }
)
# Resource types audited with an organization (audit.ResourceRequiresOrgID) and without.
ORG_SCOPED = {
    "template", "template_version", "workspace", "workspace_build", "group", "custom_role",
    "organization_member", "organization", "idp_sync_settings_group", "idp_sync_settings_role",
    "group_ai_budget", "user_ai_budget_override", "chat", "task", "workspace_agent",
    "workspace_app",
}  # fmt: skip
ORG_LESS = set(RESOURCE_TYPES) - ORG_SCOPED
UUID_TEXT = "00000000-0000-0000-0000-000000000000"


@pytest.fixture(scope="module")
def deployment() -> Deployment:
    return generate_deployment(log_count=20_000)


def rendered_json(d: Deployment) -> str:
    # json_text: rendered numbers in additional_fields keep the spelling Coder gives them.
    return json_text([render_log(log, d) for log in d.logs])


# -- determinism -------------------------------------------------------------------------------


def test_same_arguments_give_identical_deployments() -> None:
    first = generate_deployment(seed=7, log_count=500)
    second = generate_deployment(seed=7, log_count=500)
    assert first == second
    assert rendered_json(first) == rendered_json(second)


def test_a_different_seed_gives_different_data() -> None:
    first = generate_deployment(seed=1, log_count=200)
    second = generate_deployment(seed=2, log_count=200)
    assert set(first.users).isdisjoint(second.users)
    assert rendered_json(first) != rendered_json(second)


def test_a_different_now_moves_every_time() -> None:
    earlier = generate_deployment(log_count=50, now_us=DEFAULT_NOW_US - 10**9)
    later = generate_deployment(log_count=50)
    assert [log.time + 10**9 for log in earlier.logs] == [log.time for log in later.logs]


def test_identical_in_another_process_with_other_hash_randomisation() -> None:
    code = (
        "import hashlib;from coder_audit_mock.mockserver._json import json_text;"
        "from coder_audit_mock.mockserver._generate import generate_deployment;"
        "from coder_audit_mock.mockserver._render import render_log;"
        "d = generate_deployment(seed=11, log_count=300);"
        "print(hashlib.sha256(json_text([render_log(l, d) for l in d.logs]).encode()).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    here = generate_deployment(seed=11, log_count=300)
    expected = hashlib.sha256(rendered_json(here).encode()).hexdigest()
    assert result.stdout.strip() == expected


def test_neither_the_global_random_nor_faker_global_state_is_used() -> None:
    state = random.getstate()
    generate_deployment(log_count=100)
    assert random.getstate() == state


def test_log_count_does_not_change_the_entities_or_tokens() -> None:
    none = generate_deployment(log_count=0)
    some = generate_deployment(log_count=300)
    assert none.logs == []
    assert len(some.logs) == 300
    assert dataclasses.replace(some, logs=[]) == none


def test_more_logs_keep_the_first_ones() -> None:
    assert generate_deployment(log_count=400).logs[:100] == generate_deployment(log_count=100).logs


def test_defaults() -> None:
    assert (DEFAULT_SEED, DEFAULT_LOG_COUNT) == (0, 1000)
    assert DEFAULT_NOW_US == 1_783_512_000_000_000  # 2026-07-08T12:00:00Z
    assert len(generate_deployment().logs) == DEFAULT_LOG_COUNT


def test_negative_log_count_is_refused() -> None:
    with pytest.raises(MockServerError, match="log_count"):
        generate_deployment(log_count=-1)


@given(st.integers(min_value=0, max_value=2**128 - 1))
def test_fast_uuid4_equals_uuid_with_version_4(bits: int) -> None:
    fast, slow = fast_uuid4(bits), uuid.UUID(int=bits, version=4)
    assert (fast, str(fast), hash(fast), fast.version, fast.is_safe) == (
        slow, str(slow), hash(slow), slow.version, slow.is_safe,
    )  # fmt: skip


# -- built-in callers and tokens ---------------------------------------------------------------


def test_builtin_users_have_exactly_their_roles(deployment: Deployment) -> None:
    d = deployment
    users = {role: d.users[user_id] for role, user_id in d.role_users.items()}
    assert set(users) == {*BUILTIN_ROLES, "suspended"}
    default_org = next(o for o in d.organizations.values() if o.is_default)
    assert default_org.name == "coder"
    audited = d.organizations[
        next(iter(users["org-admin"].organization_roles.keys() - {default_org.id}))
    ]
    assert not audited.is_default and not audited.deleted
    expectations = {
        "owner": (("owner",), {}),
        "auditor": (("auditor",), {}),
        "org-admin": ((), {audited.id: ("organization-admin",)}),
        "org-auditor": ((), {audited.id: ("organization-auditor",)}),
        "member": ((), {}),
        "suspended": ((), {}),
    }
    for role, (site_roles, org_roles) in expectations.items():
        user = users[role]
        assert user.username == role
        assert user.site_roles == site_roles
        assert user.organization_roles == {default_org.id: (), **org_roles}
        assert not user.deleted
        assert user.status == ("suspended" if role == "suspended" else "active")
    assert any(log.organization_id == audited.id for log in d.logs)


@pytest.mark.parametrize("log_count", [1, 2])
def test_the_org_admins_organization_has_a_log_even_in_tiny_deployments(log_count: int) -> None:
    d = generate_deployment(log_count=log_count, seed=5)
    org_admin = d.users[d.role_users["org-admin"]]
    audited = {org for org, roles in org_admin.organization_roles.items() if roles}
    assert any(log.organization_id in audited for log in d.logs)


def test_default_tokens_are_documented_and_well_formed() -> None:
    assert set(DEFAULT_TOKENS) == set(TOKEN_ROLES) == {*BUILTIN_ROLES, "expired", "suspended"}
    for role, token in DEFAULT_TOKENS.items():
        key_id, secret = token.split("-")
        assert (len(key_id), len(secret)) == (10, 22)
        assert key_id.isalnum() and secret.isalnum()
        assert secret.startswith(role.replace("-", "") + "secret")


def test_builtin_keys(deployment: Deployment) -> None:
    d = deployment
    keys = {token: key for key in d.api_keys.values() for token in [key.token]}
    holders = {**d.role_users, "expired": d.role_users["owner"]}
    for role, token in DEFAULT_TOKENS.items():
        key = keys[token]
        assert key.user_id == holders[role]
        if role == "expired":
            assert key.expires_at == DEFAULT_NOW_US - 86_400 * 10**6
        else:
            assert key.expires_at > DEFAULT_NOW_US + 365 * 86_400 * 10**6
    assert list(d.api_keys)[: len(TOKEN_ROLES)] == [
        t.split("-")[0] for t in DEFAULT_TOKENS.values()
    ]


def test_only_active_users_hold_generated_keys(deployment: Deployment) -> None:
    builtin = {t.split("-")[0] for t in DEFAULT_TOKENS.values()}
    for key in deployment.api_keys.values():
        user = deployment.users[key.user_id]
        if key.id not in builtin:
            assert user.status == "active" and not user.deleted and key.token_name


def test_tokens_override_some_roles() -> None:
    custom = "abcdefghij-ABCDEFGHIJKLMNOPQRSTUV"
    d = generate_deployment(log_count=0, tokens={"member": custom})
    assert d.api_keys["abcdefghij"].secret == "ABCDEFGHIJKLMNOPQRSTUV"
    assert d.api_keys["abcdefghij"].user_id == d.role_users["member"]
    assert "member0000" not in d.api_keys
    assert d.api_keys["owner00000"].token == DEFAULT_TOKENS["owner"]
    assert dataclasses.replace(d, api_keys={}) == dataclasses.replace(
        generate_deployment(log_count=0), api_keys={}
    )


@pytest.mark.parametrize(
    "token",
    [
        "short-ABCDEFGHIJKLMNOPQRSTUV",
        "abcdefghij-short",
        "abcdefghijABCDEFGHIJKLMNOPQRSTUV",
        "abcdefghij-ABCDEFGHIJKLMNOPQRST-V",
        "abcdefgh-j-ABCDEFGHIJKLMNOPQRSTUV",
        "abcdéfghij-ABCDEFGHIJKLMNOPQRSTUV",
        "",
        42,
    ],
)
def test_malformed_tokens_name_the_role_and_the_format(token: Any) -> None:
    with pytest.raises(MockServerError) as caught:
        generate_deployment(log_count=0, tokens={"auditor": token})
    message = str(caught.value)
    assert "'auditor'" in message
    assert "<10-char id>-<22-char secret>" in message


def test_unknown_roles_are_refused_with_the_valid_ones() -> None:
    with pytest.raises(MockServerError, match="unknown role 'admin'.*owner, auditor"):
        generate_deployment(log_count=0, tokens={"admin": DEFAULT_TOKENS["owner"]})


def test_two_roles_cannot_share_a_key_id() -> None:
    with pytest.raises(MockServerError, match="'owner' and 'member' share the key id"):
        generate_deployment(log_count=0, tokens={"member": "owner00000-ABCDEFGHIJKLMNOPQRSTUV"})


# -- the entity pool ---------------------------------------------------------------------------


def test_entity_pool_shape(deployment: Deployment) -> None:
    d = deployment
    assert 2 <= len(d.organizations) <= 4
    assert 40 <= len(d.users) <= 80
    assert list(d.users)[:6] == [d.role_users[r] for r in (*BUILTIN_ROLES, "suspended")]
    statuses = collections.Counter(u.status for u in d.users.values())
    assert set(statuses) == {"active", "suspended", "dormant"}
    assert any(u.deleted for u in d.users.values())
    site_roles = {r for u in d.users.values() for r in u.site_roles}
    assert site_roles <= {"owner", "auditor", "template-admin", "user-admin"}
    org_roles = {r for u in d.users.values() for rs in u.organization_roles.values() for r in rs}
    assert org_roles == {"organization-admin", "organization-auditor"}
    assert any(u.username != u.username.lower() for u in d.users.values())
    assert len({u.username.lower() for u in d.users.values()}) == len(d.users)
    assert all(
        w.owner_id in d.users and w.template_id in d.templates for w in d.workspaces.values()
    )
    assert all(v.template_id in d.templates for v in d.template_versions.values())


def test_builds_are_numbered_per_workspace_with_every_reason(deployment: Deployment) -> None:
    d = deployment
    numbers: dict[uuid.UUID, list[int]] = collections.defaultdict(list)
    for build in d.builds.values():
        numbers[build.workspace_id].append(build.number)
        assert build.transition in ("start", "stop", "delete")
    for workspace_id, seen in numbers.items():
        assert sorted(seen) == list(range(1, len(seen) + 1))
        last = max((b for b in d.builds.values() if b.workspace_id == workspace_id),
                   key=lambda b: b.number)  # fmt: skip
        assert (last.transition == "delete") == d.workspaces[workspace_id].deleted
    assert {b.reason for b in d.builds.values()} == set(BUILD_REASONS)
    assert {b.reason for b in d.builds.values() if b.number == 1} <= {
        "initiator",
        "cli",
        "dashboard",
    }


def test_every_workspace_has_builds_agents_and_apps(deployment: Deployment) -> None:
    d = deployment
    assert {b.workspace_id for b in d.builds.values()} == set(d.workspaces)
    assert {a.workspace_id for a in d.agents.values()} == set(d.workspaces)
    assert {a.agent_id for a in d.apps.values()} == set(d.agents)


def test_groups_include_everyone_with_the_organization_id(deployment: Deployment) -> None:
    d = deployment
    for organization in d.organizations.values():
        everyone = d.groups[organization.id]
        assert everyone.name == "Everyone"
        members = {u.id for u in d.users.values() if organization.id in u.organization_roles}
        assert set(everyone.member_ids) == members
    for group in d.groups.values():
        assert set(group.member_ids) <= set(d.users)


# -- the logs ----------------------------------------------------------------------------------


def test_log_count_is_honoured_and_ids_are_unique(deployment: Deployment) -> None:
    assert len(deployment.logs) == 20_000
    assert len({log.id for log in deployment.logs}) == 20_000


def test_every_action_resource_pair_is_allowed_and_all_appear(deployment: Deployment) -> None:
    pairs = {(log.resource_type, log.action) for log in deployment.logs}
    for resource_type, action in pairs:
        assert action in ALLOWED_ACTIONS[resource_type], (resource_type, action)
    assert {t for t, _ in pairs} == set(RESOURCE_TYPES)
    assert {a for _, a in pairs} == set(AUDIT_ACTIONS)


def _resolves(log: AuditLog, d: Deployment) -> bool:
    """Whether resource_id names the modelled entity and resource_target its name."""
    rid, target = log.resource_id, log.resource_target
    by_type: dict[str, Callable[[], bool]] = {
        "workspace": lambda: d.workspaces[rid].name == target,
        "workspace_build": lambda: rid in d.builds and target == "",
        "template": lambda: d.templates[rid].name == target,
        "template_version": lambda: d.template_versions[rid].name == target,
        "user": lambda: d.users[rid].username == target,
        "organization_member": lambda: d.users[rid].username == target,
        "user_ai_budget_override": lambda: d.users[rid].username == target,
        "git_ssh_key": lambda: rid in d.users and target.startswith("ssh-ed25519 "),
        "convert_login": lambda: rid in d.users and target == "oidc",
        "ai_seat": lambda: rid in d.users and target == "AI Seat",
        "group": lambda: d.groups[rid].name == target,
        "group_ai_budget": lambda: d.groups[rid].name == target,
        "organization": lambda: d.organizations[rid].name == target,
        "workspace_agent": lambda: d.agents[rid].name == target,
        "workspace_app": lambda: d.apps[rid].slug == target,
        "task": lambda: d.tasks[rid].name == target,
        "chat": lambda: target == str(rid)[:8] and (rid in d.chats) != (log.action == "delete"),
        "oauth2_provider_app": lambda: (rid in d.oauth2_apps) != (log.action == "delete"),
        "user_secret": lambda: (rid in d.user_secrets) != (log.action == "delete"),
    }
    check = by_type.get(log.resource_type)
    return True if check is None else bool(check())


def test_resource_ids_and_targets_resolve(deployment: Deployment) -> None:
    d = deployment
    for log in d.logs:
        if log.resource_type == "api_key":
            if log.action in ("login", "logout", "register"):
                assert log.resource_target == ""
                assert log.resource_id in d.users or (
                    log.resource_id == NIL_UUID and log.status_code >= 300
                ), log
            else:
                assert log.resource_id == log.user_id
                names = {k.token_name for k in d.api_keys.values() if k.user_id == log.user_id}
                assert log.resource_target in names
            continue
        assert _resolves(log, d), log


def test_organizations_follow_the_resource_scope(deployment: Deployment) -> None:
    d = deployment
    for log in d.logs:
        if log.resource_type in ORG_LESS:
            assert log.organization_id == NIL_UUID, log
        else:
            assert log.organization_id in d.organizations, log
    owners: dict[str, Callable[[uuid.UUID], uuid.UUID]] = {
        "workspace": lambda rid: d.workspaces[rid].organization_id,
        "template": lambda rid: d.templates[rid].organization_id,
        "group": lambda rid: d.groups[rid].organization_id,
        "organization": lambda rid: rid,
    }
    for log in d.logs:
        if log.resource_type in owners:
            assert owners[log.resource_type](log.resource_id) == log.organization_id


def test_actors(deployment: Deployment) -> None:
    d = deployment
    anonymous = [log for log in d.logs if log.user_id is None]
    assert anonymous
    for log in anonymous:
        assert (log.resource_type, log.action) == ("api_key", "login")
        assert log.status_code >= 400 and log.resource_id == NIL_UUID
    assert all(log.user_id in d.users for log in d.logs if log.user_id is not None)
    actors = {log.user_id for log in d.logs}
    assert {d.role_users["owner"], d.role_users["org-admin"], d.role_users["member"]} <= actors


def test_diffs_only_for_successful_non_auth_requests(deployment: Deployment) -> None:
    secret_fields = 0
    for log in deployment.logs:
        if log.status_code >= 400 or log.action in ("login", "logout"):
            assert log.diff == {}, log
        for field in log.diff.values():
            assert set(field) <= {"old", "new", "secret"} and isinstance(field["secret"], bool)
            if field["secret"]:
                secret_fields += 1
                assert field == {"old": "", "new": "", "secret": True}
    assert secret_fields
    group_members = [log.diff["members"] for log in deployment.logs if "members" in log.diff]
    assert group_members
    assert all(set(m) == {"user_id", "group_id"} for f in group_members for m in f.get("new", []))


def test_additional_fields_shapes(deployment: Deployment) -> None:
    d = deployment
    shapes: collections.Counter[str] = collections.Counter()
    for log in d.logs:
        fields = log.additional_fields
        assert isinstance(fields, dict)
        if log.resource_type == "workspace_build" and "build_number" in fields:
            build = d.builds[log.resource_id]
            workspace = d.workspaces[build.workspace_id]
            assert fields == {
                "workspace_name": workspace.name,
                "build_number": str(build.number),
                "build_reason": build.reason,
                "workspace_owner": "",
                "workspace_id": str(workspace.id),
            }
            shapes["build"] += 1
        elif "automatic_actor" in fields:
            assert fields == {"automatic_actor": "coder", "automatic_subsystem": "dormancy"}
            assert (log.resource_type, log.action, log.user_id) == (
                "user",
                "write",
                log.resource_id,
            )
            shapes["automatic"] += 1
        elif "connection_type" in fields:
            assert log.resource_type == "workspace_agent"
            shapes["connection"] += 1
        elif "workspaceName" in fields:
            shapes["legacy"] += 1
        elif fields:
            assert log.resource_type == "workspace_app"
        else:
            shapes["empty"] += 1
    assert set(shapes) == {"build", "automatic", "connection", "legacy", "empty"}


def test_status_codes_drive_every_description_branch(deployment: Deployment) -> None:
    codes = collections.Counter(log.status_code for log in deployment.logs)
    assert {200, 201, 204, 303, 307} <= set(codes)
    assert {400, 401, 403, 404, 409, 500} <= set(codes)
    failures = sum(n for code, n in codes.items() if code >= 400)
    assert 0.03 < failures / len(deployment.logs) < 0.15
    assert codes[200] + codes[201] > len(deployment.logs) * 0.7


def test_ips_user_agents_and_request_ids(deployment: Deployment) -> None:
    logs = deployment.logs
    for log in logs:
        if log.ip:
            assert str(ipaddress.ip_address(log.ip)) == log.ip  # canonical text, as Go prints it
    kinds = {ipaddress.ip_address(log.ip).version for log in logs if log.ip}
    assert kinds == {4, 6}
    assert any(log.ip == "" for log in logs)
    agents = {log.user_agent for log in logs}
    assert any(a.startswith("Mozilla/5.0") for a in agents)
    assert any(a.startswith("Coder v2.") for a in agents)
    assert any(a.startswith("Go-http-client/") for a in agents)
    assert "" in agents
    assert any(log.request_id == NIL_UUID for log in logs)
    requests = [log.request_id for log in logs if log.request_id != NIL_UUID]
    assert len(set(requests)) == len(requests)


def test_times_spread_over_ninety_days_with_shared_and_whole_seconds(
    deployment: Deployment,
) -> None:
    times = [log.time for log in deployment.logs]
    assert all(DEFAULT_NOW_US - LOG_WINDOW_US < t <= DEFAULT_NOW_US for t in times)
    assert max(times) - min(times) > LOG_WINDOW_US * 0.95
    counts = collections.Counter(times)
    assert 100 < sum(n for n in counts.values() if n > 1) < 2000
    assert any(t % 10**6 == 0 for t in times)
    assert sum(t % 10 != 0 for t in times) > len(times) * 0.8  # microsecond precision


def test_deleted_resources_are_reported_deleted_without_links(deployment: Deployment) -> None:
    d = deployment
    deleted = [log for log in d.logs if is_deleted(log, d)]
    assert {log.resource_type for log in deleted} >= {
        "template", "user", "workspace", "workspace_build", "chat", "user_secret",
        "oauth2_provider_app", "oauth2_provider_app_secret", "task",
    }  # fmt: skip
    assert all(resource_link(log, d) == "" for log in deleted)
    linked = {log.resource_type for log in d.logs if resource_link(log, d)}
    assert linked == {
        "template", "user", "workspace", "workspace_build", "workspace_agent", "workspace_app",
        "oauth2_provider_app", "oauth2_provider_app_secret", "task", "chat", "group_ai_budget",
    }  # fmt: skip


def test_every_log_renders_to_json(deployment: Deployment) -> None:
    for log in deployment.logs[:3000]:
        json_text(render_log(log, deployment), allow_nan=False)


# -- speed -------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(("log_count", "budget_s"), [(100_000, 1.0), (1_000_000, 12.0)])
def test_generation_speed(log_count: int, budget_s: float) -> None:
    # CPU time of this process: other processes on a shared machine do not count against it.
    started = time.process_time()
    generate_deployment(log_count=log_count)
    assert time.process_time() - started < budget_s


@pytest.mark.parametrize("seed", [42, 46, *range(0, 200, 7)])
def test_every_seed_generates_a_deployment(seed: int) -> None:
    # seeds 42 and 46 once drew no login conversion and raised "no audit events"
    deployment = generate_deployment(seed=seed, log_count=30)
    assert len(deployment.logs) == 30


def _only(resource_types: set[str], actions: set[str]) -> DataRules:
    return DataRules(
        frozenset(resource_types),
        frozenset(actions),
        frozenset({"active", "suspended"}),
        lambda rtype, action, rid, fields, d: fields,
    )


def test_data_rules_that_leave_the_audited_organization_no_event_still_draw_logs() -> None:
    # User events carry no organization, so the org-admin's organization has none to log.
    deployment = generate_deployment(log_count=20, rules=_only({"user"}, {"create"}))
    assert len(deployment.logs) == 20
    assert {(log.resource_type, log.action) for log in deployment.logs} == {("user", "create")}


def test_data_rules_that_leave_no_event_are_an_error_not_a_crash() -> None:
    nothing = _only(set(), set())
    assert generate_deployment(log_count=0, rules=nothing).logs == []
    with pytest.raises(MockServerError, match="cannot draw 5 logs: the data rules leave no event"):
        generate_deployment(log_count=5, rules=nothing)
