"""Coder's JSON for a log: time format, descriptions, links, deletion, users, organizations."""

from __future__ import annotations

import dataclasses
import datetime
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coder_audit_mock.mockserver._errors import MockServerError
from coder_audit_mock.mockserver._model import (
    NIL_UUID,
    RESOURCE_TYPES,
    AuditLog,
    Chat,
    Deployment,
    Group,
    OAuth2ProviderApp,
    OAuth2ProviderAppSecret,
    Organization,
    Task,
    Template,
    User,
    UserSecret,
    Workspace,
    WorkspaceAgent,
    WorkspaceApp,
    WorkspaceBuild,
)
from coder_audit_mock.mockserver._render import (
    describe,
    format_time,
    is_deleted,
    joined_build_reason,
    normalize_additional_fields,
    render_log,
    render_user,
    resource_link,
)

ZERO_TIME_US = -62_135_596_800_000_000
UNKNOWN_FIELDS = {
    "workspace_name": "unknown",
    "build_number": "unknown",
    "build_reason": "unknown",
    "workspace_owner": "unknown",
    "workspace_id": "00000000-0000-0000-0000-000000000000",
}


def ident(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


# A small hand-built deployment: every lookup rule of §4.7 has a live and a gone case.
ORG, OTHER_ORG, MISSING = ident(1), ident(2), ident(999)
ALICE, BOB, GONE_USER = ident(10), ident(11), ident(12)
TEMPLATE, OLD_TEMPLATE = ident(20), ident(21)
WORKSPACE, OLD_WORKSPACE, ORPHAN_WORKSPACE = ident(30), ident(31), ident(32)
BUILD_1, BUILD_3, OLD_BUILD = ident(40), ident(41), ident(42)
AGENT, OLD_AGENT, APP = ident(50), ident(51), ident(52)
GROUP, OAUTH_APP, OAUTH_SECRET = ident(60), ident(61), ident(62)
TASK, OLD_TASK, CHAT, SECRET = ident(70), ident(71), ident(72), ident(73)


@pytest.fixture
def d() -> Deployment:
    users = [
        User(ALICE, "alice", "alice@example.com", 0, 0, 0, site_roles=("owner",)),
        User(BOB, "Bob", "bob@example.com", 0, 0, 0, name="Bob Builder"),
        User(GONE_USER, "gone", "gone@example.com", 0, 0, 0, deleted=True),
    ]
    return Deployment(
        organizations={
            ORG: Organization(ORG, "coder", "Coder", icon="/emojis/1f3e2.png", is_default=True),
            OTHER_ORG: Organization(OTHER_ORG, "acme", "Acme Inc."),
        },
        users={u.id: u for u in users},
        templates={
            TEMPLATE: Template(TEMPLATE, ORG, "docker", "Docker", ALICE),
            OLD_TEMPLATE: Template(OLD_TEMPLATE, ORG, "old", "Old", ALICE, deleted=True),
        },
        workspaces={
            WORKSPACE: Workspace(WORKSPACE, ORG, BOB, TEMPLATE, "dev"),
            OLD_WORKSPACE: Workspace(OLD_WORKSPACE, ORG, BOB, TEMPLATE, "old", deleted=True),
            ORPHAN_WORKSPACE: Workspace(ORPHAN_WORKSPACE, ORG, MISSING, TEMPLATE, "orphan"),
        },
        builds={
            BUILD_1: WorkspaceBuild(BUILD_1, WORKSPACE, 1, "cli", "start"),
            BUILD_3: WorkspaceBuild(BUILD_3, WORKSPACE, 3, "autostart", "start"),
            OLD_BUILD: WorkspaceBuild(OLD_BUILD, OLD_WORKSPACE, 1, "initiator", "start"),
        },
        agents={
            AGENT: WorkspaceAgent(AGENT, WORKSPACE, "main"),
            OLD_AGENT: WorkspaceAgent(OLD_AGENT, OLD_WORKSPACE, "main"),
        },
        apps={APP: WorkspaceApp(APP, AGENT, "code-server")},
        groups={GROUP: Group(GROUP, OTHER_ORG, "developers")},
        oauth2_apps={OAUTH_APP: OAuth2ProviderApp(OAUTH_APP, "grafana")},
        oauth2_app_secrets={OAUTH_SECRET: OAuth2ProviderAppSecret(OAUTH_SECRET, OAUTH_APP, "a1b2")},
        tasks={
            TASK: Task(TASK, ORG, BOB, "fix-tests", WORKSPACE),
            OLD_TASK: Task(OLD_TASK, ORG, BOB, "old-task", deleted=True),
        },
        chats={CHAT: Chat(CHAT, ORG, BOB, "Help")},
        user_secrets={SECRET: UserSecret(SECRET, BOB, "GITHUB_TOKEN")},
    )


def log_of(**changes: Any) -> AuditLog:
    base = AuditLog(
        id=ident(1000),
        time=1_714_566_896_123_456,
        user_id=ALICE,
        organization_id=NIL_UUID,
        ip="127.0.0.1",
        user_agent="Go-http-client/1.1",
        resource_type="user",
        resource_id=BOB,
        resource_target="Bob",
        action="write",
        diff={},
        status_code=200,
        additional_fields={},
    )
    return dataclasses.replace(base, **changes)


# -- format_time -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("us", "text"),
    [
        (0, "1970-01-01T00:00:00Z"),
        (1, "1970-01-01T00:00:00.000001Z"),
        (10, "1970-01-01T00:00:00.00001Z"),
        (120_000, "1970-01-01T00:00:00.12Z"),
        (1_714_566_896_123_456, "2024-05-01T12:34:56.123456Z"),
        (1_714_566_896_000_000, "2024-05-01T12:34:56Z"),
        (-1, "1969-12-31T23:59:59.999999Z"),
        (951_782_400_000_000, "2000-02-29T00:00:00Z"),
        (ZERO_TIME_US, "0001-01-01T00:00:00Z"),
        (-62_167_219_200_000_000, "0000-01-01T00:00:00Z"),  # Go's year 0: datetime has none
        (253_402_300_799_999_999, "9999-12-31T23:59:59.999999Z"),
    ],
)
def test_format_time(us: int, text: str) -> None:
    assert format_time(us) == text


@pytest.mark.parametrize("us", [-62_167_219_200_000_001, 253_402_300_800_000_000])
def test_format_time_refuses_years_go_cannot_encode(us: int) -> None:
    with pytest.raises(MockServerError, match="years 0-9999"):
        format_time(us)


@given(st.datetimes(min_value=datetime.datetime(1, 1, 1)))
def test_format_time_agrees_with_datetime(moment: datetime.datetime) -> None:
    utc = moment.replace(tzinfo=datetime.UTC)
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
    us = (utc - epoch) // datetime.timedelta(microseconds=1)
    expected = f"{utc.year:04d}" + utc.strftime("-%m-%dT%H:%M:%S")
    if utc.microsecond:
        expected += "." + f"{utc.microsecond:06d}".rstrip("0")
    assert format_time(us) == expected + "Z"


# -- describe (§4.6) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource_type", "action", "status", "text"),
    [
        ("workspace", "create", 201, "{user} created workspace {target}"),
        ("workspace", "create", 400, "{user} unsuccessfully attempted to create workspace {target}"),
        ("user", "write", 200, "{user} updated user {target}"),
        ("workspace_build", "start", 201, "{user} started workspace {target}"),
        ("workspace_build", "stop", 500, "{user} unsuccessfully attempted to stop workspace {target}"),
        ("api_key", "create", 201, "{user} created token {target}"),
        ("api_key", "delete", 204, "{user} deleted token {target}"),
        ("api_key", "login", 201, "{user} logged in"),
        ("api_key", "login", 401, "{user} unsuccessfully attempted to login"),
        ("api_key", "login", 303, "{user} was redirected attempting to login"),
        ("api_key", "logout", 200, "{user} logged out"),
        ("api_key", "register", 307, "{user} registered"),
        ("git_ssh_key", "write", 200, "{user} updated the git ssh key"),
        ("git_ssh_key", "create", 403, "{user} unsuccessfully attempted to create the git ssh key"),
        ("user", "request_password_reset", 204, "password reset requested for {target}"),
        ("user", "request_password_reset", 429,
         "unsuccessfully attempted to request_password_reset for {target}"),
        ("convert_login", "create", 201, "{user} created login type conversion to {target}"),
        ("template", "delete", 403, "{user} unsuccessfully attempted to delete template {target}"),
        ("template_version", "write", 200, "{user} updated template version {target}"),
        ("workspace_app", "open", 303, "{user} was redirected attempting to open workspace app {target}"),
        ("workspace_agent", "connect", 200, "{user} connected workspace agent {target}"),
        ("workspace_agent", "disconnect", 200, "{user} disconnected workspace agent {target}"),
        ("workspace_app", "close", 200, "{user} closed workspace app {target}"),
        ("health_settings", "write", 200, "{user} updated health_settings {target}"),
        ("idp_sync_settings_role", "write", 200, "{user} updated settings {target}"),
        ("oauth2_provider_app_secret", "delete", 200, "{user} deleted oauth2 app secret {target}"),
        ("chat", "create", 201, "{user} created chat {target}"),
        ("not_a_type", "create", 201, "{user} created unknown {target}"),
        ("workspace", "not_an_action", 200, "{user} unknown workspace {target}"),
        ("workspace", "not_an_action", 404, "{user} unsuccessfully attempted to not_an_action workspace {target}"),
    ],
)  # fmt: skip
def test_describe(resource_type: str, action: str, status: int, text: str) -> None:
    log = log_of(resource_type=resource_type, action=action, status_code=status)
    assert describe(log) == text


FRIENDLY = {
    "organization": "organization", "template": "template", "template_version": "template version",
    "user": "user", "workspace": "workspace", "git_ssh_key": None, "api_key": "token",
    "group": "group", "workspace_build": "workspace", "license": "license",
    "workspace_proxy": "workspace proxy",
    "convert_login": "login type conversion to",  # rule 7 adds " to"
    "health_settings": "health_settings", "oauth2_provider_app": "oauth2 app",
    "oauth2_provider_app_secret": "oauth2 app secret", "custom_role": "custom role",
    "organization_member": "organization member",
    "notifications_settings": "notifications_settings",
    "notification_template": "notification template",
    "idp_sync_settings_organization": "settings", "idp_sync_settings_group": "settings",
    "idp_sync_settings_role": "settings", "workspace_agent": "workspace agent",
    "workspace_app": "workspace app", "prebuilds_settings": "prebuilds_settings", "task": "task",
    "ai_seat": "ai seat", "chat": "chat", "user_secret": "user secret",
    "ai_provider": "ai provider", "ai_provider_key": "ai provider key",
    "group_ai_budget": "group ai budget", "user_skill": "user skill",
    "ai_gateway_key": "ai gateway key", "user_ai_budget_override": "user ai budget override",
}  # fmt: skip


@pytest.mark.parametrize("resource_type", RESOURCE_TYPES)
def test_every_resource_type_has_its_friendly_name(resource_type: str) -> None:
    text = describe(log_of(resource_type=resource_type, action="delete"))
    friendly = FRIENDLY[resource_type]
    expected = "{user} deleted the git ssh key" if friendly is None else (
        f"{{user}} deleted {friendly} {{target}}"
    )  # fmt: skip
    assert text == expected


def chat_write(diff: dict[str, Any], status: int = 200, action: str = "write") -> str:
    return describe(log_of(resource_type="chat", action=action, status_code=status, diff=diff))


ACL = {"old": {}, "new": {"user-1": {"permissions": ["read"]}}, "secret": False}


@pytest.mark.parametrize(
    ("diff", "text"),
    [
        ({"archived": {"old": False, "new": True, "secret": False}}, "{user} archived chat {target}"),
        ({"archived": {"old": True, "new": False, "secret": False}}, "{user} unarchived chat {target}"),
        ({"user_acl": ACL}, "{user} updated sharing for chat {target}"),
        ({"group_acl": ACL}, "{user} updated sharing for chat {target}"),
        ({"user_acl": ACL, "group_acl": ACL}, "{user} updated sharing for chat {target}"),
        # Anything else falls through to the ordinary wording.
        ({"archived": {"old": False, "new": True, "secret": False},
          "pin_order": {"old": 1, "new": 0, "secret": False}}, "{user} updated chat {target}"),
        ({"user_acl": ACL, "pin_order": {"old": 1, "new": 0, "secret": False}},
         "{user} updated chat {target}"),
        ({"archived": {"old": False, "new": False, "secret": False}}, "{user} updated chat {target}"),
        ({"archived": {"old": "false", "new": "true", "secret": False}}, "{user} updated chat {target}"),
        ({"archived": {"new": True, "secret": False}}, "{user} updated chat {target}"),
        ({}, "{user} updated chat {target}"),
        ({"title": {"old": "a", "new": "b", "secret": False}}, "{user} updated chat {target}"),
    ],
)  # fmt: skip
def test_chat_write_descriptions(diff: dict[str, Any], text: str) -> None:
    assert chat_write(diff) == text


def test_chat_special_texts_need_a_successful_write() -> None:
    archived = {"archived": {"old": False, "new": True, "secret": False}}
    assert chat_write(archived, status=400) == (
        "{user} unsuccessfully attempted to write chat {target}"
    )
    assert (
        chat_write(archived, status=303)
        == "{user} was redirected attempting to write chat {target}"
    )
    assert (
        chat_write({"user_acl": ACL}, action="create", status=201) == "{user} created chat {target}"
    )


# -- is_deleted and resource_link (§4.7) ---------------------------------------------


@pytest.mark.parametrize(
    ("resource_type", "resource_id", "target", "fields", "deleted", "link"),
    [
        ("template", TEMPLATE, "docker", {}, False, "/templates/docker"),
        ("template", OLD_TEMPLATE, "old", {}, True, ""),
        ("template", MISSING, "x", {}, True, ""),
        ("user", BOB, "Bob", {}, False, "/users?filter=Bob"),
        ("user", GONE_USER, "gone", {}, True, ""),
        ("user", MISSING, "x", {}, True, ""),
        # The owner comes from the database, the name from resource_target.
        ("workspace", WORKSPACE, "renamed", {}, False, "/@Bob/renamed"),
        ("workspace", OLD_WORKSPACE, "old", {}, True, ""),
        ("workspace", ORPHAN_WORKSPACE, "orphan", {}, False, ""),
        ("workspace", MISSING, "x", {}, True, ""),
        # Builds: name and number from additional_fields, owner from the database.
        ("workspace_build", BUILD_3, "", {"workspace_name": "dev", "build_number": "3",
                                          "workspace_owner": "ignored"}, False, "/@Bob/dev/builds/3"),
        ("workspace_build", BUILD_3, "", {"workspace_name": "dev"}, False, ""),
        ("workspace_build", BUILD_3, "", {"workspaceName": "dev", "buildNumber": "3"}, False, ""),
        ("workspace_build", OLD_BUILD, "", {"workspace_name": "old", "build_number": "1"}, True, ""),
        ("workspace_build", MISSING, "", {"workspace_name": "x", "build_number": "1"}, True, ""),
        # Agents and apps: additional_fields when both are given, else the database.
        ("workspace_agent", AGENT, "main", {"workspace_owner": "carol", "workspace_name": "w"},
         False, "/@carol/w"),
        # The database fallback reads workspaces_expanded.owner_name: the owner's display name
        # (recorded from v2.35.1: "/@Mia Member/dev"), where every other link has the username.
        ("workspace_agent", AGENT, "main", {"workspace_owner": "", "workspace_name": "w"},
         False, "/@Bob Builder/dev"),
        ("workspace_agent", OLD_AGENT, "main", {}, True, ""),
        ("workspace_agent", MISSING, "main", {}, True, ""),
        ("workspace_app", APP, "code-server", {}, False, "/@Bob Builder/dev"),
        ("workspace_app", APP, "code-server", {"workspace_owner": "x", "workspace_name": "y"},
         False, "/@x/y"),
        ("workspace_app", MISSING, "code-server", {}, True, ""),
        ("oauth2_provider_app", OAUTH_APP, "grafana", {}, False,
         f"/deployment/oauth2-provider/apps/{OAUTH_APP}"),
        ("oauth2_provider_app", MISSING, "x", {}, True, ""),
        ("oauth2_provider_app_secret", OAUTH_SECRET, "a1b2", {}, False,
         f"/deployment/oauth2-provider/apps/{OAUTH_APP}"),
        ("oauth2_provider_app_secret", MISSING, "x", {}, True, ""),
        ("task", TASK, "fix-tests", {}, False, f"/tasks/Bob/{TASK}"),
        ("task", OLD_TASK, "old-task", {}, True, ""),
        ("task", MISSING, "x", {}, True, ""),
        ("chat", CHAT, str(CHAT)[:8], {}, False, f"/agents/{CHAT}"),
        ("chat", MISSING, "x", {}, True, ""),
        ("user_secret", SECRET, "GITHUB_TOKEN", {}, False, ""),
        ("user_secret", MISSING, "x", {}, True, ""),
        ("group_ai_budget", GROUP, "developers", {}, False, "/organizations/acme/groups/developers"),
        ("group_ai_budget", MISSING, "x", {}, False, ""),
        # Everything else is never deleted and never linked.
        ("group", MISSING, "x", {}, False, ""),
        ("organization", ORG, "coder", {}, False, ""),
        ("license", MISSING, "1", {}, False, ""),
        ("api_key", BOB, "ci", {}, False, ""),
    ],
)  # fmt: skip
def test_deletion_and_links(
    d: Deployment,
    resource_type: str,
    resource_id: uuid.UUID,
    target: str,
    fields: dict[str, Any],
    deleted: bool,
    link: str,
) -> None:
    log = log_of(resource_type=resource_type, resource_id=resource_id, resource_target=target,
                 additional_fields=fields)  # fmt: skip
    assert is_deleted(log, d) is deleted
    assert resource_link(log, d) == link
    rendered = render_log(log, d)
    assert (rendered["is_deleted"], rendered["resource_link"]) == (deleted, link)


def test_build_links_use_what_go_decoded_before_a_type_error(d: Deployment) -> None:
    # A number where a string belongs: Go reports an error (so the unknown shape is returned)
    # but keeps decoding, so the link still has the name and number it did decode.
    fields = {"workspace_name": "dev", "build_number": "3", "build_reason": 7}
    log = log_of(resource_type="workspace_build", resource_id=BUILD_3, additional_fields=fields)
    rendered = render_log(log, d)
    assert rendered["additional_fields"] == UNKNOWN_FIELDS
    assert rendered["resource_link"] == "/@Bob/dev/builds/3"
    # A bad uuid stops decoding at once; jsonb puts workspace_id before workspace_name.
    fields = {"workspace_name": "dev", "build_number": "3", "workspace_id": "nope"}
    log = dataclasses.replace(log, additional_fields=fields)
    assert render_log(log, d)["resource_link"] == ""


def test_joined_build_reason(d: Deployment) -> None:
    def reason(**changes: Any) -> str | None:
        return joined_build_reason(log_of(**changes), d)

    assert (
        reason(resource_type="workspace_build", resource_id=BUILD_3, action="start") == "autostart"
    )
    assert reason(resource_type="workspace_build", resource_id=MISSING, action="start") is None
    assert reason(resource_type="workspace", resource_id=WORKSPACE, action="create") == "cli"
    assert reason(resource_type="workspace", resource_id=WORKSPACE, action="write") is None
    assert reason(resource_type="workspace", resource_id=ORPHAN_WORKSPACE, action="create") is None
    assert reason(resource_type="user", resource_id=BUILD_3, action="create") is None
    # Builds added later are seen (the first-build index is rebuilt).
    d.builds[ident(43)] = WorkspaceBuild(ident(43), ORPHAN_WORKSPACE, 1, "dashboard", "start")
    assert reason(resource_type="workspace", resource_id=ORPHAN_WORKSPACE, action="create") == (
        "dashboard"
    )


# -- users and whole logs (§4.5) -----------------------------------------------------


def test_render_user_full_shape() -> None:
    user = User(
        ALICE, "alice", "Alice@Example.com", 1_000_000, 2_500_000, ZERO_TIME_US,
        status="dormant", login_type="oidc", name="Alice A.", avatar_url="https://a/b.png",
        site_roles=("owner", "auditor", "template-admin", "user-admin", "custom"),
        organization_roles={ORG: ("organization-admin",)}, is_service_account=True,
    )  # fmt: skip
    assert render_user(user) == {
        "id": str(ALICE),
        "username": "alice",
        "name": "Alice A.",
        "avatar_url": "https://a/b.png",
        "email": "Alice@Example.com",
        "created_at": "1970-01-01T00:00:01Z",
        "updated_at": "1970-01-01T00:00:02.5Z",
        "last_seen_at": "0001-01-01T00:00:00Z",
        "status": "dormant",
        "login_type": "oidc",
        "is_service_account": True,
        "organization_ids": [],
        "roles": [
            {"name": "owner", "display_name": "Owner"},
            {"name": "auditor", "display_name": "Auditor"},
            {"name": "template-admin", "display_name": "Template Admin"},
            {"name": "user-admin", "display_name": "User Admin"},
            {"name": "custom", "display_name": ""},
        ],
        "has_ai_seat": False,
    }
    assert list(render_user(user)) == [
        "id", "username", "name", "avatar_url", "email", "created_at", "updated_at",
        "last_seen_at", "status", "login_type", "is_service_account", "organization_ids",
        "roles", "has_ai_seat",
    ]  # fmt: skip


def test_render_user_omits_empty_optional_fields() -> None:
    user = User(BOB, "bob", "", 0, 0, 0)
    assert list(render_user(user)) == [
        "id", "username", "email", "created_at", "updated_at", "last_seen_at", "status",
        "login_type", "organization_ids", "roles", "has_ai_seat",
    ]  # fmt: skip
    assert render_user(user)["roles"] == []


LOG_KEYS = [
    "id", "request_id", "time", "ip", "user_agent", "resource_type", "resource_id",
    "resource_target", "resource_icon", "action", "diff", "status_code", "additional_fields",
    "description", "resource_link", "is_deleted", "organization_id", "organization", "user",
]  # fmt: skip


def test_render_log_with_an_organization(d: Deployment) -> None:
    log = log_of(resource_type="template", resource_id=TEMPLATE, resource_target="docker",
                 organization_id=ORG, request_id=ident(5))  # fmt: skip
    rendered = render_log(log, d)
    assert list(rendered) == LOG_KEYS
    assert rendered["organization"] == {
        "id": str(ORG), "name": "coder", "display_name": "Coder", "icon": "/emojis/1f3e2.png",
    }  # fmt: skip
    assert rendered["organization_id"] == str(ORG)
    assert rendered["request_id"] == str(ident(5))
    assert rendered["time"] == "2024-05-01T12:34:56.123456Z"
    assert rendered["user"] == render_user(d.users[ALICE])
    assert rendered["description"] == "{user} updated template {target}"


def test_render_log_without_an_organization_or_actor(d: Deployment) -> None:
    log = log_of(user_id=None, resource_type="api_key", action="login", status_code=401,
                 resource_id=NIL_UUID, resource_target="", ip="")  # fmt: skip
    rendered = render_log(log, d)
    assert list(rendered) == [k for k in LOG_KEYS if k != "organization"]
    assert rendered["user"] is None
    assert rendered["organization_id"] == "00000000-0000-0000-0000-000000000000"
    assert rendered["request_id"] == "00000000-0000-0000-0000-000000000000"
    assert rendered["ip"] == ""


def test_render_log_joins_missing_rows_like_a_left_join(d: Deployment) -> None:
    rendered = render_log(log_of(organization_id=MISSING, user_id=MISSING), d)
    assert rendered["organization"] == {
        "id": str(MISSING), "name": "", "display_name": "", "icon": "",
    }  # fmt: skip
    assert rendered["user"] is None


def test_render_log_diff_is_sorted_and_drops_null_old_and_new(d: Deployment) -> None:
    diff = {
        "zeta": {"old": "a", "new": "b", "secret": False},
        "alpha": {"new": {"b": 1, "a": [{"y": 1, "x": 2}]}, "old": None, "secret": False},
        "hashed_password": {"old": "", "new": "", "secret": True},
        "odd": "not an object",
        "weird": {"old": 1, "secret": "yes", "extra": True},
    }
    rendered = render_log(log_of(diff=diff), d)["diff"]
    assert rendered == {
        "alpha": {"new": {"a": [{"x": 2, "y": 1}], "b": 1}, "secret": False},
        "hashed_password": {"old": "", "new": "", "secret": True},
        "odd": {"secret": False},
        "weird": {"old": 1, "secret": False},
        "zeta": {"old": "a", "new": "b", "secret": False},
    }
    assert list(rendered) == sorted(rendered)
    assert list(rendered["alpha"]["new"]) == ["a", "b"]
    assert list(rendered["alpha"]["new"]["a"][0]) == ["x", "y"]
    assert render_log(log_of(diff=["not", "a", "map"]), d)["diff"] == {}


# -- additional_fields (§4.5) --------------------------------------------------------


def test_additional_fields_come_back_in_jsonb_key_order() -> None:
    fields = {
        "workspace_owner": "",
        "workspace_name": "dev",
        "workspace_id": "7f0f2f39-6f2b-4a8e-9a55-8b5f3c3d2e11",
        "build_reason": "initiator",
        "build_number": "3",
        "extra": {"zz": 1, "b": [{"yy": 1, "a": 2}], "é": 0, "f": 0},
    }
    normalized = normalize_additional_fields(fields)
    assert normalized == fields
    assert list(normalized) == [
        "extra", "build_number", "build_reason", "workspace_id", "workspace_name",
        "workspace_owner",
    ]  # fmt: skip
    # Shorter first, then bytewise; "é" is two bytes long, so it sorts with "zz".
    assert list(normalized["extra"]) == ["b", "f", "zz", "é"]
    assert list(normalized["extra"]["b"][0]) == ["a", "yy"]


@pytest.mark.parametrize(
    "value",
    [
        [0],
        "text",
        12,
        True,
        {"build_number": 3},
        {"workspace_name": ["dev"]},
        {"build_reason": {}},
        {"workspace_owner": False},
        {"workspace_id": "not-a-uuid"},
        {"workspace_id": ""},
        {"workspace_id": 5},
        {"Build_Number": 3},  # Go matches field names case-insensitively
        {"WORKSPACE_NAME": 1},
        {"wor\u212aspace_name": 1},  # KELVIN SIGN folds to k
        {"build_number": "3", "other": 1, "\u017fomething": 2, "workspace_owner": 4},
    ],
)
def test_values_coder_cannot_decode_become_the_unknown_shape(value: Any) -> None:
    normalized = normalize_additional_fields(value)
    assert normalized == UNKNOWN_FIELDS
    assert list(normalized) == list(UNKNOWN_FIELDS)  # json.Marshal order of the Go struct


@pytest.mark.parametrize(
    "value",
    [
        {},
        None,  # Go decodes null into a struct without error
        {"workspace_name": None, "build_number": None, "workspace_id": None},
        {"workspace_id": "7F0F2F39-6F2B-4A8E-9A55-8B5F3C3D2E11"},
        {"workspace_id": "{7f0f2f39-6f2b-4a8e-9a55-8b5f3c3d2e11}"},
        {"workspace_id": "urn:uuid:7f0f2f39-6f2b-4a8e-9a55-8b5f3c3d2e11"},
        {"workspace_id": "7f0f2f396f2b4a8e9a558b5f3c3d2e11"},
        {"workspaceName": 1, "buildNumber": 2},  # unknown keys may hold anything
        {"automatic_actor": "coder", "automatic_subsystem": "dormancy"},
        {"workspace_namex": 1, "Build_Reason": "cli"},
    ],
)
def test_values_coder_decodes_are_kept(value: Any) -> None:
    assert normalize_additional_fields(value) == value
