"""Record a real Coder server's audit log as a scenario the mock answers from with the same bodies.

```
record_scenario(url, token)
├── probe         GET /api/v2/buildinfo (a Coder?), /api/v2/users/me (the token), /api/v2/audit
├── logs          every page of GET /api/v2/audit, newest first, until an empty page
├── people        GET /api/v2/users (every page), /api/v2/organizations, each organization's
│                 members (their organization roles); actors of logs that no longer exist
│                 (deleted users) come from the logs' own `user` objects
├── joins         one paged search per build reason (`q=build_reason:R`): which logs Coder joins
│                 to a build of that reason, i.e. which builds exist and why they ran
├── resources     what decides `is_deleted` and `resource_link` (templates, workspaces, builds,
│                 agents, apps, OAuth2 apps and secrets, tasks, chats, user secrets, groups),
│                 rebuilt from each log as Coder rendered it, plus the owner and organization
│                 of workspaces and builds Coder still shows (GET /api/v2/workspacebuilds/{id},
│                 /api/v2/workspaces/{id})
└── callers       each extra session token given: whose it is and when it expires (so the
                  mock lets the same callers in, and refuses the expired ones the same way)
```

The scenario is `base: empty` and lists every field, so the mock renders each log from the same
row data Coder rendered it from. What the audit API never shows (a resource's other fields, a
user's password) is not recorded and does not matter to the audit answers.
"""

from __future__ import annotations

import json
import re
import sys
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import httpx

from ..mockserver._app import AUDIT_PREFIX as AUDIT_PATH
from ..mockserver._json import ExactNumber
from ..mockserver._model import BUILD_REASONS, NIL_UUID, SITE_ROLE_DISPLAY_NAMES
from ..mockserver._render import NEWEST_ADDITIONAL_FIELDS
from ..mockserver._scenario import ORGANIZATION_ROLES, SCENARIO_VERSION
from ._errors import RecordError

__all__ = ["DEFAULT_PAGE_SIZE", "record_scenario"]

DEFAULT_PAGE_SIZE = 1000
_NIL = str(NIL_UUID)
# `API key expired at "2025-12-02 09:30:15.123456 +0000 UTC".` (Go's Time.String)
_EXPIRED = re.compile(r'API key expired at "([^"]+)"')
_GO_TIME = re.compile(r"(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) \+0000 UTC")
_WORKSPACE_LINK = re.compile(r"/@([^/]+)/(.+)")
_BUILD_LINK = re.compile(r"/@([^/]+)/([^/]+)/builds/(.+)")
_TASK_LINK = re.compile(r"/tasks/([^/]+)/(.+)")
_GROUP_LINK = re.compile(r"/organizations/([^/]+)/groups/(.+)")
_SECRET_LINK = re.compile(r"/deployment/oauth2-provider/apps/(.+)")
Progress = Callable[[str], None]


def stderr_progress(message: str) -> None:
    """The default `Progress`: one line on stderr, flushed (shared by `record` and `diff --exact`)."""
    print(message, file=sys.stderr, flush=True)


class _Reader:
    """GETs against the server with one token; every failure becomes a `RecordError`."""

    def __init__(self, client: httpx.Client, token: str) -> None:
        self.client = client
        self.token = token
        self.requests = 0

    def get(
        self, path: str, params: Mapping[str, str] | None = None, *, token: str | None = None
    ) -> httpx.Response:
        self.requests += 1
        try:
            response = self.client.get(
                path, params=params, headers={"Coder-Session-Token": token or self.token}
            )
        except httpx.HTTPError as error:
            raise RecordError(
                f"cannot reach {self.client.base_url}{path}: {error or type(error).__name__}"
            ) from None
        return response

    def json(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        response = self.get(path, params)
        if response.status_code != 200:
            raise RecordError(f"GET {path} answered {response.status_code}: {_message(response)}")
        try:
            # ExactNumber: a number in additional_fields keeps the spelling Postgres gave it
            # (`1.50` stays `1.50`), so the mock answers it back byte for byte.
            return json.loads(response.content, parse_float=ExactNumber)
        except ValueError:
            raise RecordError(f"GET {path} did not answer JSON: {response.text[:200]!r}") from None


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or "(empty body)"
    if isinstance(body, dict) and "message" in body:
        detail = f" ({body['detail']})" if body.get("detail") else ""
        return f"{body['message']}{detail}"
    return response.text[:200]


def _probe(reader: _Reader) -> dict[str, Any]:
    response = reader.get("/api/v2/buildinfo")
    try:
        info = response.json() if response.status_code == 200 else None
    except ValueError:
        info = None
    if not isinstance(info, dict) or "version" not in info:
        raise RecordError(
            f"{reader.client.base_url} does not answer as a Coder server "
            f"(GET /api/v2/buildinfo: {response.status_code} {response.text[:120]!r})"
        )
    me = reader.get("/api/v2/users/me")
    if me.status_code != 200:
        raise RecordError(f"the server refuses the token: {me.status_code} {_message(me)}")
    audit = reader.get(AUDIT_PATH, {"limit": "1"})
    if audit.status_code != 200:
        raise RecordError(
            f"the token cannot read the audit log: {audit.status_code} {_message(audit)} "
            "(record needs an owner's or an auditor's token)"
        )
    return info


def _paged_logs(
    reader: _Reader, query: str, page_size: int, progress: Progress | None, what: str
) -> list[dict[str, Any]]:
    """Every log the query matches, newest first, paging by offset until an empty page."""
    logs: list[dict[str, Any]] = []
    seen: set[str] = set()
    offset = 0
    while True:
        params = {"limit": str(page_size), "offset": str(offset)}
        if query:
            params["q"] = query
        page = reader.json(AUDIT_PATH, params)
        batch = page.get("audit_logs") or []
        if not batch:
            return logs
        for log in batch:
            # Equal times have no tie-breaker in Coder's ORDER BY, so a page boundary inside a
            # run of equal times may show a log twice; it is kept once.
            if log["id"] not in seen:
                seen.add(log["id"])
                logs.append(log)
        offset += len(batch)
        if progress is not None and what:
            progress(f"record: {len(logs)} {what} read")


def _all_users(reader: _Reader, page_size: int) -> list[dict[str, Any]]:
    users: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = reader.json("/api/v2/users", {"limit": str(page_size), "offset": str(offset)})
        batch = page.get("users") or []
        users.extend(batch)
        if not batch or len(users) >= int(page.get("count", 0)):
            return users
        offset += len(batch)


def _go_time_to_rfc3339(text: str) -> str | None:
    match = _GO_TIME.fullmatch(text)
    return None if match is None else f"{match[1]}T{match[2]}Z"


class _Scenario:
    """The scenario being assembled: records keyed by id, in first-seen order."""

    def __init__(self) -> None:
        self.organizations: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.sections: dict[str, dict[str, dict[str, Any]]] = {}
        self.logs: list[dict[str, Any]] = []

    def put(self, section: str, record_id: str, **fields: Any) -> dict[str, Any]:
        table = self.sections.setdefault(section, {})
        record = table.setdefault(record_id, {"id": record_id})
        for key, value in fields.items():
            record.setdefault(key, value)
        return record

    def user_named(self, username: str) -> str | None:
        for user in self.users.values():
            if user["username"] == username and not user["deleted"]:
                return str(user["id"])
        for user in self.users.values():
            if user["username"] == username:
                return str(user["id"])
        return None

    def user_with_display_name(self, name: str) -> str | None:
        """The user whose display name (`users.name`) is `name`: agent links carry it."""
        for user in self.users.values():
            if user.get("name") == name:
                return str(user["id"])
        return None

    def organization_named(self, name: str) -> str | None:
        for organization in self.organizations.values():
            if organization["name"] == name:
                return str(organization["id"])
        return None

    def as_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "version": SCENARIO_VERSION,
            "base": "empty",
            "organizations": list(self.organizations.values()),
            "users": list(self.users.values()),
        }
        for section, table in self.sections.items():
            data[section] = list(table.values())
        data["logs"] = self.logs
        return data


def _user_entry(user: Mapping[str, Any], *, deleted: bool) -> dict[str, Any]:
    roles = [role["name"] for role in user.get("roles") or [] if isinstance(role, dict)]
    return {
        "id": user["id"],
        "username": user["username"],
        "email": user.get("email", ""),
        "name": user.get("name", ""),
        "avatar_url": user.get("avatar_url", ""),
        "status": user.get("status", "active"),
        "login_type": user.get("login_type", ""),
        "roles": [role for role in roles if role in SITE_ROLE_DISPLAY_NAMES],
        "organizations": {},
        "tokens": [],
        "created_at": user["created_at"],
        "updated_at": user.get("updated_at", user["created_at"]),
        "last_seen_at": user.get("last_seen_at", "0001-01-01T00:00:00Z"),
        "is_service_account": bool(user.get("is_service_account", False)),
        "deleted": deleted,
    }


def _stored_additional_fields(log: Mapping[str, Any]) -> Any:
    """What to store so that the mock answers the log's `additional_fields` as Coder did.

    Coder answers the stored JSON as Postgres keeps it, unless it does not decode into its
    `AdditionalFields` struct; then it answers a fixed "unknown" object in Go's field order
    (which a stored object, always in `jsonb` order, never has). Such a log is stored as a
    value that fails decoding the same way; for agents and apps the decoded owner and name
    still make the link, so they are kept beside a field of the wrong type.
    """
    value = log.get("additional_fields")
    unknown = dict(NEWEST_ADDITIONAL_FIELDS.unknown)
    if not (isinstance(value, dict) and list(value.items()) == list(unknown.items())):
        return value
    link = _WORKSPACE_LINK.fullmatch(log.get("resource_link") or "")
    if log["resource_type"] in ("workspace_agent", "workspace_app") and link:
        return {"build_number": 0, "workspace_owner": link[1], "workspace_name": link[2]}
    return [0]


def _add_resources(
    scenario: _Scenario,
    log: Mapping[str, Any],
    joined_reason: str | None,
    lookups: Mapping[str, Mapping[str, Any]],
) -> None:
    """Rebuild the rows behind the log's `is_deleted` and `resource_link` (§4.7)."""
    kind = log["resource_type"]
    rid = log["resource_id"]
    deleted = bool(log.get("is_deleted"))
    link = log.get("resource_link") or ""
    org = log.get("organization_id") or _NIL
    target = log.get("resource_target", "")
    synthetic = str(uuid.uuid5(uuid.NAMESPACE_URL, f"coder-audit-mock:record:{kind}:{rid}"))
    if kind == "template" and not deleted:
        scenario.put("templates", rid, organization_id=org, name=target or "template",
                     display_name=target, created_by=_NIL)  # fmt: skip
    elif kind == "workspace" and (not deleted or joined_reason is not None):
        _workspace(scenario, rid, log, lookups, deleted=deleted, link=link)
        if log["action"] == "create" and joined_reason is not None:
            build_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"coder-audit-mock:record:first:{rid}"))
            scenario.put("workspace_builds", build_id, workspace_id=rid, number=1,
                         reason=joined_reason, transition="start")  # fmt: skip
    elif kind == "workspace_build" and (joined_reason is not None or not deleted):
        found = lookups.get(rid, {})
        workspace_id = found.get("workspace_id") or synthetic
        owner = found.get("workspace_owner_name")
        match = _BUILD_LINK.fullmatch(link)
        if match:
            owner = match[1]
        _workspace(scenario, workspace_id, log, lookups, deleted=deleted, owner=owner)
        scenario.put("workspace_builds", rid, workspace_id=workspace_id,
                     number=int(found.get("build_number") or 1),
                     reason=joined_reason or found.get("reason") or "initiator",
                     transition=found.get("transition") or "start")  # fmt: skip
    elif kind in ("workspace_agent", "workspace_app") and "agent_id" in lookups.get(rid, {}):
        # A known agent or app (from the workspaces' builds): its real workspace, even a
        # deleted one (a caller who may not read it sees it as not deleted, _viewer.py). Only
        # an agent's or app's entry counts: a log may name another resource's id (a workspace,
        # a build) as its agent, as testgenerate lets any client write.
        found = lookups[rid]
        workspace_id = found["workspace_id"]
        workspace = lookups.get(workspace_id, {})
        _workspace(scenario, workspace_id, log, lookups, deleted=bool(workspace.get("deleted")))
        scenario.put("workspace_agents", found["agent_id"], workspace_id=workspace_id,
                     name=found.get("agent_name") or "main")  # fmt: skip
        if kind == "workspace_app":
            scenario.put("workspace_apps", rid, agent_id=found["agent_id"],
                         slug=found.get("slug") or "app")  # fmt: skip
    elif kind in ("workspace_agent", "workspace_app") and not deleted:
        match = _WORKSPACE_LINK.fullmatch(link)
        fields = log.get("additional_fields")
        from_fields = (
            isinstance(fields, dict)
            and fields.get("workspace_owner")
            and fields.get("workspace_name")
        )
        owner, name = (match[1], match[2]) if match and not from_fields else (None, "workspace")
        workspace_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"coder-audit-mock:record:ws:{rid}"))
        _workspace(scenario, workspace_id, log, lookups, deleted=False, owner=owner, name=name)
        agent_id = rid if kind == "workspace_agent" else synthetic
        scenario.put("workspace_agents", agent_id, workspace_id=workspace_id, name="main")
        if kind == "workspace_app":
            scenario.put("workspace_apps", rid, agent_id=agent_id, slug="app")
    elif kind == "oauth2_provider_app" and not deleted:
        scenario.put("oauth2_provider_apps", rid, name=target or "app")
    elif kind == "oauth2_provider_app_secret" and not deleted:
        match = _SECRET_LINK.fullmatch(link)
        scenario.put("oauth2_provider_app_secrets", rid,
                     app_id=match[1] if match else synthetic, display_secret="")  # fmt: skip
    elif kind == "task" and not deleted:
        match = _TASK_LINK.fullmatch(link)
        owner_id = (scenario.user_named(match[1]) if match else None) or _NIL
        scenario.put("tasks", rid, organization_id=org, owner_id=owner_id, name=target or "task")
    elif kind == "chat" and not deleted:
        scenario.put("chats", rid, organization_id=org, owner_id=_NIL, title=target)
    elif kind == "user_secret" and not deleted:
        scenario.put("user_secrets", rid, user_id=_NIL, name=target or "secret")
    elif kind == "group_ai_budget":
        match = _GROUP_LINK.fullmatch(link)
        group_org = scenario.organization_named(match[1]) if match else None
        if match and group_org:
            scenario.put("groups", rid, organization_id=group_org, name=match[2])


def _workspace(
    scenario: _Scenario,
    workspace_id: str,
    log: Mapping[str, Any],
    lookups: Mapping[str, Mapping[str, Any]],
    *,
    deleted: bool,
    link: str = "",
    owner: str | None = None,
    name: str | None = None,
) -> None:
    found = lookups.get(workspace_id, {})
    match = _WORKSPACE_LINK.fullmatch(link)
    if match:
        owner = match[1]
    owner = owner or found.get("owner_name")
    owner_id = (
        found.get("owner_id")
        or (scenario.user_named(owner) if owner else None)
        or (scenario.user_with_display_name(owner) if owner else None)
        or _NIL
    )
    record = scenario.put(
        "workspaces",
        workspace_id,
        organization_id=found.get("organization_id") or log.get("organization_id") or _NIL,
        owner_id=owner_id,
        template_id=found.get("template_id") or _NIL,
        name=found.get("name") or name or log.get("resource_target") or "workspace",
        deleted=deleted,
    )
    if record["owner_id"] == _NIL and owner_id != _NIL:
        record["owner_id"] = owner_id  # a later log names the owner an earlier one could not
    if record["name"] == "workspace" and name and name != "workspace":
        record["name"] = name  # likewise for the name (a link that shows it)
    record["deleted"] = record["deleted"] or deleted


def _lookups(reader: _Reader, logs: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Owner, organization and numbers of the builds and workspaces the logs name."""
    found: dict[str, dict[str, Any]] = {}
    for log in logs:
        rid = log["resource_id"]
        if rid in found:
            continue
        if log["resource_type"] == "workspace_build":
            response = reader.get(f"/api/v2/workspacebuilds/{rid}")
            if response.status_code == 200:
                found[rid] = response.json()
                workspace = found[rid].get("workspace_id")
                if workspace and workspace not in found:
                    found[workspace] = _workspace_lookup(reader, workspace)
        elif log["resource_type"] == "workspace":
            found[rid] = _workspace_lookup(reader, rid)
    _agents_and_apps(reader, found)
    return found


def _agents_and_apps(reader: _Reader, found: dict[str, dict[str, Any]]) -> None:
    """Every workspace's agents and apps, from all its builds (deleted workspaces included).

    Coder finds an agent's workspace through any build, so a log of an agent from an old
    build, or of a deleted workspace, still has a row (is_deleted depends on who asks).
    """
    workspace_ids = [key for key, value in found.items() if "latest_build" in value]
    for query in ("", "deleted:true"):
        response = reader.get("/api/v2/workspaces", {"q": query} if query else {})
        if response.status_code == 200:
            for workspace in response.json().get("workspaces") or []:
                if workspace["id"] not in found:
                    found[workspace["id"]] = _with_deleted(workspace)
                    workspace_ids.append(workspace["id"])
    for workspace_id in dict.fromkeys(workspace_ids):
        response = reader.get(f"/api/v2/workspaces/{workspace_id}/builds")
        if response.status_code != 200:
            continue
        for build in response.json() or []:
            for resource in build.get("resources") or []:
                for agent in resource.get("agents") or []:
                    found.setdefault(agent["id"], {"workspace_id": workspace_id,
                                                   "agent_id": agent["id"],
                                                   "agent_name": agent.get("name")})  # fmt: skip
                    for app in agent.get("apps") or []:
                        found.setdefault(app["id"], {"workspace_id": workspace_id,
                                                     "agent_id": agent["id"],
                                                     "slug": app.get("slug")})  # fmt: skip


def _workspace_lookup(reader: _Reader, workspace_id: str) -> dict[str, Any]:
    response = reader.get(f"/api/v2/workspaces/{workspace_id}", {"include_deleted": "true"})
    return _with_deleted(response.json()) if response.status_code == 200 else {}


def _with_deleted(workspace: dict[str, Any]) -> dict[str, Any]:
    # codersdk.Workspace has no `deleted` field: a deleted one's latest build is "deleted".
    build = workspace.get("latest_build") or {}
    return {**workspace, "deleted": build.get("status") == "deleted"}


def _add_callers(
    reader: _Reader, scenario: _Scenario, tokens: Iterable[str], progress: Progress | None
) -> None:
    for token in tokens:
        key_id = token.split("-")[0]
        me = reader.get("/api/v2/users/me", token=token)
        key = reader.get(f"/api/v2/users/me/keys/{key_id}")  # the recording (owner's) token
        user_id = me.json().get("id") if me.status_code == 200 else None
        expires_at = None
        login_type = "password"
        if key.status_code == 200:
            body = key.json()
            user_id = user_id or body.get("user_id")
            expires_at = body.get("expires_at")
            login_type = body.get("login_type") or login_type
        elif me.status_code == 401:
            match = _EXPIRED.search(me.text)
            expires_at = _go_time_to_rfc3339(match[1]) if match else None
        user = scenario.users.get(user_id or "")
        if user is None:
            if progress is not None:
                progress(
                    f"record: token {key_id}-… belongs to no user the log shows "
                    f"({me.status_code} {_message(me)}); not recorded"
                )
            continue
        entry: dict[str, Any] = {"token": token, "login_type": login_type}
        if expires_at:
            entry["expires_at"] = expires_at
        user["tokens"].append(entry)


def record_scenario(
    url: str,
    token: str,
    *,
    callers: Sequence[str] = (),
    page_size: int = DEFAULT_PAGE_SIZE,
    progress: Progress | None = stderr_progress,
    client: httpx.Client | None = None,
) -> dict[str, Any]:
    """Read a Coder server's audit log and the people behind it as a mock scenario.

    Args:
        url: the server's origin, e.g. `https://coder.example.com`.
        token: an owner's session token (an auditor's reads the log, but not every lookup).
        callers: more session tokens whose holders the mock should let in as Coder does (the
            recording token is always included).
        page_size: logs per request.
        progress: called with a line of progress now and then (default: stderr; None: quiet).
        client: an `httpx.Client` to use (its base URL is replaced by `url`).

    Returns:
        The scenario as data (`write_scenario_file` writes it; `serve --scenario` loads it).

    Raises:
        RecordError: the server is unreachable, is not a Coder, or refuses the token.

    Example (against a running `serve`, whose data it copies):
        >>> import subprocess, sys  # doctest: +SKIP
        >>> data = record_scenario("http://127.0.0.1:3000", "owner00000-ownersecret00000000000")  # doctest: +SKIP
        >>> sorted(data)[:3]  # doctest: +SKIP
        ['base', 'logs', 'organizations']
    """
    origin = url.rstrip("/").removesuffix("/api/v2")
    if not origin.startswith(("http://", "https://")):
        raise RecordError(f"the URL must start with http:// or https://, got {url!r}")
    own = client is None
    http = client or httpx.Client(timeout=60)
    http.base_url = httpx.URL(origin)
    try:
        reader = _Reader(http, token)
        _probe(reader)
        logs = _paged_logs(reader, "", page_size, progress, "logs")
        scenario = _Scenario()
        for organization in reader.json("/api/v2/organizations"):
            scenario.organizations[organization["id"]] = {
                "id": organization["id"],
                "name": organization["name"],
                "display_name": organization.get("display_name", ""),
                "icon": organization.get("icon", ""),
                "is_default": bool(organization.get("is_default", False)),
                "deleted": False,
            }
        for user in _all_users(reader, page_size):
            scenario.users[user["id"]] = _user_entry(user, deleted=False)
        for organization_id in scenario.organizations:
            for member in reader.json(f"/api/v2/organizations/{organization_id}/members"):
                held = scenario.users.get(member.get("user_id", ""))
                if held is not None:
                    roles = [r["name"] for r in member.get("roles") or []]
                    held["organizations"][organization_id] = [
                        role for role in roles if role in ORGANIZATION_ROLES
                    ]
        for log in logs:
            actor = log.get("user")
            if isinstance(actor, dict) and actor["id"] not in scenario.users:
                # In the log but not in the user list: a deleted user (Coder keeps the row).
                scenario.users[actor["id"]] = _user_entry(actor, deleted=True)
        reasons: dict[str, str] = {}
        for reason in BUILD_REASONS:
            for log in _paged_logs(reader, f"build_reason:{reason}", page_size, None, ""):
                reasons[log["id"]] = reason
        lookups = _lookups(reader, logs)
        for log in reversed(logs):  # oldest first, so workspaces take their first owner
            _add_resources(scenario, log, reasons.get(log["id"]), lookups)
        for log in logs:
            actor = log.get("user")
            scenario.logs.append(
                {
                    "id": log["id"],
                    "time": log["time"],
                    "user": actor["id"] if isinstance(actor, dict) else None,
                    "organization": None
                    if log.get("organization_id", _NIL) == _NIL
                    else log["organization_id"],
                    "ip": log.get("ip", ""),
                    "user_agent": log.get("user_agent", ""),
                    "resource_type": log["resource_type"],
                    "resource_id": log["resource_id"],
                    "resource_target": log.get("resource_target", ""),
                    "resource_icon": log.get("resource_icon", ""),
                    "action": log["action"],
                    "diff": log.get("diff") or {},
                    "status_code": log["status_code"],
                    "additional_fields": _stored_additional_fields(log),
                    "request_id": log.get("request_id", _NIL),
                }
            )
        _add_callers(reader, scenario, [token, *callers], progress)
        if progress is not None:
            progress(
                f"record: {len(logs)} logs, {len(scenario.users)} users, "
                f"{len(scenario.organizations)} organizations in {reader.requests} requests"
            )
        return scenario.as_data()
    finally:
        if own:
            http.close()
