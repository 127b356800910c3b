"""Seed a fresh, throwaway Coder server with a rich audit-log data set (for the golden corpus).

Given a running Coder (its URL) and its PostgreSQL database (its URL), this:

1. bootstraps the first user (an owner) and one user per role the corpus needs: auditor,
   organization admin, organization auditor, member, template admin, user admin, a suspended
   user, a dormant user, a deleted user, a mixed-case user; each (but the dormant one) logs in,
   and the session tokens are kept;
2. makes real resources through Coder's API, built by Coder's `echo` provisioner (no Terraform):
   templates (one deleted), workspaces with several builds (one workspace deleted), their agents
   and apps, OAuth2 apps and secrets (one app deleted); and rows the open-source API cannot make
   (tasks, user secrets, groups) straight into their tables;
3. inserts audit-log rows straight into `audit_logs` (the open-source build records none by
   itself, and testgenerate makes only one shape): every action and resource type the database
   enums accept, every status-code wording, users known, deleted and unknown, organizations
   default, none and missing, IPv4/IPv6/null addresses, diffs and `additional_fields` of every
   shape Coder's renderer reads, times spread over years with duplicates and date edges, and
   enough rows to pass the count cap (2,000);
4. freezes what reading changes: every session's `last_used` is moved to the future, so no
   request made while recording updates a user's `last_seen_at`.

It writes what the recorder needs (tokens by role, ids) to `--state`. Never point it at a
server whose data matters: it creates users, changes roles and writes rows.

    python tools/real_coder/seed.py --url http://127.0.0.1:7080 \\
        --postgres-url postgres://postgres@127.0.0.1:5433/coder --state /tmp/coder-seed.json

`tools/real_coder/corpus.py` runs this, then records (docs/real-coder.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import random
import secrets
import subprocess
import sys
import tarfile
import time
import uuid
from typing import Any

import httpx

NIL = "00000000-0000-0000-0000-000000000000"
SEED = 20261203

# Coder's database enums (coderd/database/dump.sql, v2.35.1), in database order.
AUDIT_ACTIONS = (
    "create", "write", "delete", "start", "stop", "login", "logout", "register",
    "request_password_reset", "connect", "disconnect", "open", "close",
)  # fmt: skip
RESOURCE_TYPES = (
    "organization", "template", "template_version", "user", "workspace", "git_ssh_key",
    "api_key", "group", "workspace_build", "license", "workspace_proxy", "convert_login",
    "health_settings", "oauth2_provider_app", "oauth2_provider_app_secret", "custom_role",
    "organization_member", "notifications_settings", "notification_template",
    "idp_sync_settings_organization", "idp_sync_settings_group", "idp_sync_settings_role",
    "workspace_agent", "workspace_app", "prebuilds_settings", "task", "ai_seat", "chat",
    "user_secret", "ai_provider", "ai_provider_key", "group_ai_budget", "user_skill",
    "ai_gateway_key", "user_ai_budget_override",
)  # fmt: skip
BUILD_REASONS = (
    "initiator", "autostart", "autostop", "dormancy", "failedstop", "autodelete", "dashboard",
    "cli", "ssh_connection", "vscode_connection", "jetbrains_connection", "task_auto_pause",
    "task_manual_pause", "task_resume",
)  # fmt: skip
# Coder purges these actions' rows older than 90 days at start-up and every 10 minutes.
PURGED_ACTIONS = frozenset({"connect", "disconnect", "open", "close"})

# Users the corpus needs: username -> (site roles, organization roles, how it ends up).
USERS: dict[str, dict[str, Any]] = {
    "audra": {"name": "Audra Auditor", "site": ["auditor"], "role": "auditor"},
    "orson": {"name": "Orson Orgadmin", "org": ["organization-admin"], "role": "org-admin"},
    "otto": {"org": ["organization-auditor"], "role": "org-auditor"},
    "mia": {"name": "Mia Member", "role": "member"},
    "tara": {"site": ["template-admin"], "role": "template-admin"},
    "uma": {"site": ["user-admin"], "role": "user-admin"},
    "sven": {"name": "Sven Suspended", "role": "suspended", "then": "suspend"},
    "dora": {"role": None, "status": "dormant"},
    "dee": {"name": "Dee Deleted", "role": "deleted", "then": "delete"},
    "MixedCase": {"email": "Mixed.Case@Example.COM", "name": "Mixed Case", "role": "mixed-case"},
    "nolo": {"login_type": "none", "role": None},
}


# -- HTTP and SQL helpers ------------------------------------------------------------------------


class Coder:
    def __init__(self, url: str) -> None:
        self.client = httpx.Client(base_url=url.rstrip("/"), timeout=60)
        self.token = ""

    def call(self, method: str, path: str, *, token: str | None = None, **kw: Any) -> Any:
        headers = kw.pop("headers", {})
        use = self.token if token is None else token
        if use:
            headers["Coder-Session-Token"] = use
        response = self.client.request(method, path, headers=headers, **kw)
        self.client.cookies.clear()  # Coder's login sets a cookie; a cookie and a header is a CSRF error
        if response.status_code >= 400:
            raise SystemExit(f"seed: {method} {path} -> {response.status_code} {response.text}")
        return response.json() if response.content else None


def sql_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def run_sql(postgres_url: str, script: str) -> str:
    done = subprocess.run(
        ["psql", postgres_url, "-v", "ON_ERROR_STOP=1", "-q", "-At", "-f", "-"],
        input=script,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"seed: psql failed:\n{done.stderr}")
    return done.stdout


# -- echo-provisioner templates ------------------------------------------------------------------


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, payload: bytes | str) -> bytes:
    data = payload.encode() if isinstance(payload, str) else payload
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def echo_template_archive(agent_name: str, app_slug: str) -> bytes:
    """A template for Coder's echo provisioner: every stage succeeds; one agent with one app.

    The echo provisioner answers each stage with the protobuf `Response` in `0.<stage>.protobuf`
    (provisionersdk/proto/provisioner.proto: Response.parse=2, init=3, plan=4, apply=5, graph=6;
    GraphComplete.resources=3; Resource.name=1, type=2, agents=3; Agent.id=1, name=2,
    operating_system=5, architecture=6, apps=8, token=9; App.slug=1, display_name=2, url=4).
    """
    app = _field(1, app_slug) + _field(2, app_slug.title()) + _field(4, "http://localhost:8080")
    agent = (
        _field(1, str(uuid.uuid4()))
        + _field(2, agent_name)
        + _field(5, "linux")
        + _field(6, "amd64")
        + _field(8, app)
        + _field(9, str(uuid.uuid4()))
    )
    resource = _field(1, "dev") + _field(2, "null_resource") + _field(3, agent)
    files = {
        "0.parse.protobuf": _field(2, b""),
        "0.init.protobuf": _field(3, b""),
        "0.plan.protobuf": _field(4, b""),
        "0.apply.protobuf": _field(5, b""),
        "0.graph.protobuf": _field(6, _field(3, resource)),
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def wait_job(coder: Coder, path: str, pick: Any) -> dict[str, Any]:
    for _ in range(120):
        body = coder.call("GET", path)
        job = pick(body)["job"]
        if job["status"] not in ("pending", "running"):
            if job["status"] != "succeeded":
                raise SystemExit(f"seed: job at {path} ended {job['status']}: {job.get('error')}")
            return body
        time.sleep(0.5)
    raise SystemExit(f"seed: job at {path} did not finish in 60 s")


def make_template(coder: Coder, org: str, name: str, agent: str, app: str) -> dict[str, Any]:
    upload = coder.call(
        "POST",
        "/api/v2/files",
        content=echo_template_archive(agent, app),
        headers={"Content-Type": "application/x-tar"},
    )
    version = coder.call(
        "POST",
        f"/api/v2/organizations/{org}/templateversions",
        json={"storage_method": "file", "file_id": upload["hash"], "provisioner": "echo"},
    )
    wait_job(coder, f"/api/v2/templateversions/{version['id']}", lambda body: body)
    template = coder.call(
        "POST",
        f"/api/v2/organizations/{org}/templates",
        json={"name": name, "display_name": name.replace("-", " ").title(),
              "template_version_id": version["id"]},
    )  # fmt: skip
    template["version_id"] = version["id"]
    return template


def build(coder: Coder, workspace: str, transition: str) -> dict[str, Any]:
    made = coder.call(
        "POST", f"/api/v2/workspaces/{workspace}/builds", json={"transition": transition}
    )
    return wait_job(coder, f"/api/v2/workspacebuilds/{made['id']}", lambda body: body)


# -- bootstrap ----------------------------------------------------------------------------------


def bootstrap(coder: Coder, postgres_url: str) -> dict[str, Any]:
    password = "Corpus-" + secrets.token_urlsafe(18)
    first = coder.client.get("/api/v2/users/first")
    if first.status_code != 404:
        raise SystemExit(
            "seed: this Coder already has its first user; seed only a fresh, throwaway server"
        )
    coder.call(
        "POST",
        "/api/v2/users/first",
        json={"email": "admin@example.com", "username": "admin", "name": "Ada Admin",
              "password": password},
    )  # fmt: skip
    login = coder.call(
        "POST", "/api/v2/users/login", json={"email": "admin@example.com", "password": password}
    )
    coder.token = login["session_token"]
    org = coder.call("GET", "/api/v2/organizations")[0]
    state: dict[str, Any] = {
        "organization": org,
        "users": {"admin": coder.call("GET", "/api/v2/users/me")},
        "tokens": {"owner": coder.token},
    }
    for username, spec in USERS.items():
        body = {
            "email": spec.get("email", f"{username.lower()}@example.com"),
            "username": username,
            "password": password,
            "organization_ids": [org["id"]],
            "user_status": spec.get("status", "active"),
        }
        if spec.get("login_type"):
            body["login_type"] = spec["login_type"]
            body.pop("password")
        if spec.get("name"):
            body["name"] = spec["name"]
        user = coder.call("POST", "/api/v2/users", json=body)
        if spec.get("site"):
            coder.call("PUT", f"/api/v2/users/{user['id']}/roles", json={"roles": spec["site"]})
        if spec.get("org"):
            coder.call(
                "PUT",
                f"/api/v2/organizations/{org['id']}/members/{user['id']}/roles",
                json={"roles": spec["org"]},
            )
        if spec.get("role"):
            token = coder.call(
                "POST",
                "/api/v2/users/login",
                json={"email": body["email"], "password": password},
            )["session_token"]
            state["tokens"][spec["role"]] = token
        state["users"][username] = user
    # An avatar and a second site role, which only SQL (or OIDC) sets.
    run_sql(
        postgres_url,
        "UPDATE users SET avatar_url = 'https://example.com/avatars/audra.png' "
        "WHERE username = 'audra';\n",
    )
    return state


def make_resources(coder: Coder, postgres_url: str, state: dict[str, Any]) -> None:
    org = state["organization"]["id"]
    users = state["users"]
    live = make_template(coder, org, "docker-dev", "main", "code-server")
    gone = make_template(coder, org, "old-kube", "main", "terminal")
    resources: dict[str, Any] = {"templates": {"live": live["id"], "deleted": gone["id"]}}
    resources["template_version"] = live["version_id"]

    def workspace(owner: str, name: str) -> dict[str, Any]:
        made = coder.call(
            "POST",
            f"/api/v2/organizations/{org}/members/{users[owner]['id']}/workspaces",
            json={"template_id": live["id"], "name": name},
        )
        return wait_job(coder, f"/api/v2/workspaces/{made['id']}", lambda b: b["latest_build"])

    dev = workspace("mia", "dev")
    builds = [dev["latest_build"]]
    for transition in ("stop", "start", "stop", "start", "stop", "start"):
        builds.append(build(coder, dev["id"], transition))
    scratch = workspace("orson", "scratch")
    scratch_builds = [scratch["latest_build"], build(coder, scratch["id"], "delete")]
    mixed = workspace("MixedCase", "Proj-X")
    coder.call("DELETE", f"/api/v2/templates/{gone['id']}")
    # Reasons the API cannot choose (autostart, dormancy...) are set on the real build rows.
    reasons = list(BUILD_REASONS)
    all_builds = builds + scratch_builds + [mixed["latest_build"]]
    updates = [
        f"UPDATE workspace_builds SET reason = {sql_literal(reasons[i % len(reasons)])} "
        f"WHERE id = {sql_literal(b['id'])};"
        for i, b in enumerate(all_builds)
    ]
    run_sql(postgres_url, "\n".join(updates) + "\n")
    agents = {}
    # The live workspaces' agents of their latest build: Coder's API lists no others, so a
    # recording can rebuild them (scratch's agent is of a deleted workspace on purpose).
    dev = coder.call("GET", f"/api/v2/workspaces/{dev['id']}")
    for name, ws in (("dev", dev), ("scratch", scratch), ("mixed", mixed)):
        resource = ws["latest_build"]["resources"][0]
        agent = resource["agents"][0]
        agents[name] = {"agent": agent["id"], "app": agent["apps"][0]["id"]}
    resources["workspaces"] = {
        "dev": {"id": dev["id"], "owner": "mia", "builds": [b["id"] for b in builds]},
        "scratch": {"id": scratch["id"], "owner": "orson",
                    "builds": [b["id"] for b in scratch_builds]},
        "mixed": {"id": mixed["id"], "owner": "MixedCase",
                  "builds": [mixed["latest_build"]["id"]]},
    }  # fmt: skip
    resources["agents"] = agents
    # OAuth2 apps need the `oauth2` experiment through the API; their rows are simple.
    ids = [str(uuid.UUID(int=random.Random(f"oauth2:{i}").getrandbits(128))) for i in range(4)]
    apps = [{"app": ids[0], "secret": ids[1]}, {"app": ids[2], "secret": ids[3]}]
    run_sql(
        postgres_url,
        "INSERT INTO oauth2_provider_apps (id, created_at, updated_at, name, icon, callback_url) "
        f"VALUES ({sql_literal(ids[0])}, now(), now(), 'grafana', '', 'http://127.0.0.1:9/g');\n"
        "INSERT INTO oauth2_provider_app_secrets (id, created_at, hashed_secret, display_secret, "
        f"app_id, secret_prefix) VALUES ({sql_literal(ids[1])}, now(), '\\x00', 'abc', "
        f"{sql_literal(ids[0])}, '\\x01');\n",
    )
    resources["oauth2"] = {"live": apps[0], "deleted": apps[1]}
    # Rows the open-source API cannot make, straight into their tables.
    task_live, task_gone, task_later = (str(uuid.UUID(int=random.Random(i).getrandbits(128)))
                                        for i in (1, 2, 3))  # fmt: skip
    secret_id = str(uuid.UUID(int=random.Random(4).getrandbits(128)))
    group_id = str(uuid.UUID(int=random.Random(5).getrandbits(128)))
    mia = users["mia"]["id"]
    run_sql(
        postgres_url,
        "INSERT INTO tasks (id, organization_id, owner_id, name, workspace_id, "
        "template_version_id, prompt, created_at, deleted_at) VALUES\n"
        f"({sql_literal(task_live)}, {sql_literal(org)}, {sql_literal(mia)}, 'fix-bug', NULL, "
        f"{sql_literal(live['version_id'])}, 'fix the bug', now(), NULL),\n"
        f"({sql_literal(task_gone)}, {sql_literal(org)}, {sql_literal(mia)}, 'old-task', NULL, "
        f"{sql_literal(live['version_id'])}, 'done', now(), now() - interval '1 day'),\n"
        f"({sql_literal(task_later)}, {sql_literal(org)}, {sql_literal(mia)}, 'later-task', "
        f"NULL, {sql_literal(live['version_id'])}, 'soon', now(), now() + interval '3650 days');\n"
        "INSERT INTO user_secrets (id, user_id, name, description, value) VALUES "
        f"({sql_literal(secret_id)}, {sql_literal(mia)}, 'GITHUB_TOKEN', '', 'x');\n"
        "INSERT INTO groups (id, name, organization_id, display_name) VALUES "
        f"({sql_literal(group_id)}, 'platform', {sql_literal(org)}, 'Platform Team');\n",
    )
    resources["tasks"] = {"live": task_live, "deleted": task_gone, "deleted_later": task_later}
    resources["user_secret"] = secret_id
    resources["group"] = group_id
    state["resources"] = resources


def finish_users(coder: Coder, postgres_url: str, state: dict[str, Any]) -> None:
    users = state["users"]
    for username, spec in USERS.items():
        if spec.get("then") == "suspend":
            coder.call("PUT", f"/api/v2/users/{users[username]['id']}/status/suspend")
        elif spec.get("then") == "delete":
            coder.call("DELETE", f"/api/v2/users/{users[username]['id']}")
    # One more member session, expired a year and a day before the recording.
    expired = coder.call("POST", f"/api/v2/users/{users['mia']['id']}/keys")["key"]
    key_id = expired.split("-")[0]
    state["tokens"]["expired"] = expired
    run_sql(
        postgres_url,
        f"UPDATE api_keys SET expires_at = '2025-12-02 09:30:15.123456+00' "
        f"WHERE id = {sql_literal(key_id)};\n"
        # No request made while recording may change what the answers show: a key used in
        # the future is never "last used over an hour ago", and an expiry decades away is
        # never refreshed, so last_seen_at stays as it is now.
        "UPDATE api_keys SET last_used = now() + interval '30 days', "
        "expires_at = GREATEST(expires_at, now() + interval '3650 days') "
        f"WHERE id <> {sql_literal(key_id)};\n",
    )


# -- audit rows ----------------------------------------------------------------------------------

IPS = ("127.0.0.1", "10.1.2.3", "::1", "2001:db8::8a2e:370:7334", "::ffff:192.0.2.1",
       "192.168.10.0/24", None, "0.0.0.0")  # fmt: skip
USER_AGENTS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "coder/v2.35.1 (linux/amd64)",
    "curl/8.5.0",
    "",
    None,
    "Go-http-client/1.1",
    "agent <&> \"quoted\" 'single' \u00e9\u00e8 \u2603",
    "x" * 256,
)
TARGETS = ("dev", "docker-dev", "Mixed Case Target", 'quote"inside', "colon:inside",
           "caf\u00e9 \u2603", "<script>alert(1)</script>", "", "a&b", "trailing ")  # fmt: skip
ICONS = ("", "", "", "/icon/code.svg", "/emojis/1f4bb.png")
STATUSES = (200, 200, 200, 201, 204, 303, 400, 401, 403, 404, 409, 500)

DIFFS: tuple[str, ...] = (
    "{}",
    '{"name": {"old": "dev", "new": "dev-2", "secret": false}}',
    '{"password": {"old": "", "new": "", "secret": true}}',
    (
        '{"ttl_ms": {"old": 3600000, "new": 7200000, "secret": false}, '
        '"autostart": {"old": null, "new": "CRON_TZ=UTC 0 9 * * 1-5", "secret": false}}'
    ),
    (
        '{"members": {"old": [], "new": [{"user_id": "6b3c4f6e-0a63-4a1e-9c1a-0d2e3f4a5b6c", '
        '"group_id": "7c4d5e6f-1b2c-4d3e-8f9a-0b1c2d3e4f5a"}], "secret": false}}'
    ),
    (
        '{"deleted": {"old": false, "new": true, "secret": false}, '
        '"dormant_at": {"old": {"Time": "0001-01-01T00:00:00Z", "Valid": false}, '
        '"new": {"Time": "2026-01-02T03:04:05Z", "Valid": true}, "secret": false}}'
    ),
    '{"zeta": {"old": 1.5, "new": 1e21, "secret": false}, "Alpha": {"new": [1, "two", null]}}',
    '{"odd": "not an object", "secret_only": {"secret": true}}',
    "[1, 2, 3]",
    '"just a string"',
    '{"b": {"old": {"z": 1, "a": 2}, "new": {"nested": {"y": [true, false]}}, "secret": false}}',
    '{"unicode \u00e9": {"old": "<b>", "new": "&amp;", "secret": false}}',
)
CHAT_DIFFS = (
    '{"archived": {"old": false, "new": true, "secret": false}}',
    '{"archived": {"old": true, "new": false, "secret": false}}',
    '{"user_acl": {"old": {}, "new": {"x": ["read"]}, "secret": false}}',
    (
        '{"user_acl": {"old": {}, "new": {}, "secret": false}, '
        '"group_acl": {"old": {}, "new": {}, "secret": false}}'
    ),
    '{"archived": {"old": false, "new": true, "secret": false}, "title": {"old": "a", "new": "b"}}',
    '{"archived": {"old": "no", "new": "yes", "secret": false}}',
)
ADDITIONAL_FIELDS: tuple[str, ...] = (
    "{}",
    "{}",
    '{"automatic_actor": "coder", "automatic_subsystem": "dormancy"}',
    '{"automatic_actor": "coder", "automatic_subsystem": "scim"}',
    (
        '{"connection_type": "SSH", "reason": "", "workspace_owner": "mia", '
        '"workspace_name": "dev", "agent_name": "main"}'
    ),
    "null",
    "[0]",
    '"a string"',
    "42",
    '{"build_number": 3}',
    '{"workspace_id": "not-a-uuid", "build_number": "1"}',
    '{"Workspace_Name": "dev", "BUILD_NUMBER": "7", "extra": {"z": 1, "aa": 2, "b": [3, {"k": 1}]}}',
    '{"workspace_name": "dev", "workspace_name": "dup-last-wins"}',
    '{"price": 1.0, "big": 12345678901234567890, "exp": 1E+2, "neg": -0.0, "tiny": 1e-7}',
    '{"html": "<a href=\\"x\\">&</a>", "line": "a\\u2028b", "emoji": "\\ud83d\\ude00"}',
    '{"\u00e9t\u00e9": "summer", "z": "last", "a": "first", "mm": "mid"}',
    '{"workspace_id": "d6c1c331-8b4b-4f4e-9d8e-000000000001", "workspace_owner": null}',
)


def _time_text(us: int) -> str:
    moment = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=us)
    return moment.isoformat().replace("+00:00", "Z")


def audit_rows(state: dict[str, Any], now_us: int) -> list[dict[str, Any]]:
    """The rows to insert, deterministic for the seed (apart from the server's own ids)."""
    rng = random.Random(SEED)
    users = state["users"]
    org = state["organization"]["id"]
    res = state["resources"]
    unknown_org = "0e9f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
    unknown_user = "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9"
    actors = [u["id"] for u in users.values()] + [NIL, unknown_user]
    day = 86_400 * 1_000_000
    years_ago = now_us - 7 * 365 * day

    # Resource ids per type: real rows where Coder has them (live and deleted), else random.
    ws = res["workspaces"]
    known: dict[str, list[tuple[str, str]]] = {
        "template": [(res["templates"]["live"], "docker-dev"),
                     (res["templates"]["deleted"], "old-kube")],
        "template_version": [(res["template_version"], "wandering-version")],
        "user": [(u["id"], u["username"]) for u in users.values()],
        "workspace": [(w["id"], name) for name, w in
                      (("dev", ws["dev"]), ("scratch", ws["scratch"]), ("Proj-X", ws["mixed"]))],
        "workspace_build": [(b, "dev") for b in ws["dev"]["builds"]]
        + [(b, "scratch") for b in ws["scratch"]["builds"]]
        + [(b, "Proj-X") for b in ws["mixed"]["builds"]],
        "workspace_agent": [(a["agent"], "main") for a in res["agents"].values()],
        "workspace_app": [(a["app"], "code-server") for a in res["agents"].values()],
        "oauth2_provider_app": [(res["oauth2"]["live"]["app"], "grafana"),
                                (res["oauth2"]["deleted"]["app"], "jupyter")],
        "oauth2_provider_app_secret": [(res["oauth2"]["live"]["secret"], "secret"),
                                       (res["oauth2"]["deleted"]["secret"], "secret")],
        "task": [(res["tasks"]["live"], "fix-bug"), (res["tasks"]["deleted"], "old-task"),
                 (res["tasks"]["deleted_later"], "later-task")],
        "user_secret": [(res["user_secret"], "GITHUB_TOKEN")],
        "group_ai_budget": [(res["group"], "platform")],
        "organization": [(org, "coder")],
        "group": [(res["group"], "platform")],
    }  # fmt: skip
    build_numbers = {
        b: (name, str(i + 1))
        for name, w in (("dev", ws["dev"]), ("scratch", ws["scratch"]), ("Proj-X", ws["mixed"]))
        for i, b in enumerate(w["builds"])
    }
    org_types = {
        "organization", "template", "template_version", "workspace", "workspace_build",
        "workspace_agent", "workspace_app", "group", "group_ai_budget", "organization_member",
        "custom_role", "idp_sync_settings_group", "idp_sync_settings_role", "task", "chat",
        "user_ai_budget_override",
    }  # fmt: skip

    def row(resource_type: str, action: str, when: int, **over: Any) -> dict[str, Any]:
        choices = known.get(resource_type)
        if choices and rng.random() < 0.8:
            rid, target = rng.choice(choices)
        else:
            rid, target = str(uuid.UUID(int=rng.getrandbits(128), version=4)), rng.choice(TARGETS)
        fields = rng.choice(ADDITIONAL_FIELDS)
        if resource_type == "workspace_build" and rid in build_numbers:
            name, number = build_numbers[rid]
            fields = json.dumps({
                "workspace_name": name, "build_number": number,
                "build_reason": rng.choice(BUILD_REASONS), "workspace_owner": "",
                "workspace_id": ws["dev"]["id"],
            })  # fmt: skip
        elif resource_type in ("workspace_agent", "workspace_app") and rng.random() < 0.5:
            fields = json.dumps({"workspace_owner": "mia", "workspace_name": "dev"})
        diff = rng.choice(CHAT_DIFFS if resource_type == "chat" else DIFFS)
        values = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "time": _time_text(when),
            "user_id": rng.choice(actors),
            "organization_id": (
                rng.choice((org, org, org, unknown_org)) if resource_type in org_types
                else rng.choice((NIL, NIL, NIL, org))
            ),
            "ip": rng.choice(IPS),
            "user_agent": rng.choice(USER_AGENTS),
            "resource_type": resource_type,
            "resource_id": rid,
            "resource_target": target,
            "action": action,
            "diff": diff,
            "status_code": rng.choice(STATUSES),
            "additional_fields": fields,
            "request_id": rng.choice((NIL, NIL, str(uuid.UUID(int=rng.getrandbits(128),
                                                               version=4)))),
            "resource_icon": rng.choice(ICONS),
        }  # fmt: skip
        values.update(over)
        return values

    def when_for(action: str) -> int:
        if action in PURGED_ACTIONS:  # kept: younger than Coder's 90-day purge
            return now_us - rng.randrange(1, 80 * day)
        return rng.randrange(years_ago, now_us - day)

    rows = []
    # Every action with every resource type the database accepts.
    for resource_type in RESOURCE_TYPES:
        for action in AUDIT_ACTIONS:
            rows.append(row(resource_type, action, when_for(action)))
    # The api_key login/logout/register wording, password resets, git ssh keys, chats: again,
    # with every status-code wording.
    for status in (200, 303, 400, 500):
        for resource_type, action in (("api_key", "login"), ("api_key", "logout"),
                                      ("api_key", "register"), ("user", "request_password_reset"),
                                      ("git_ssh_key", "write"), ("chat", "write"),
                                      ("convert_login", "create")):  # fmt: skip
            rows.append(row(resource_type, action, when_for(action), status_code=status))
    # Workspace create logs of every real workspace (build #1 decides build_reason).
    for name, w in (("dev", ws["dev"]), ("scratch", ws["scratch"]), ("Proj-X", ws["mixed"])):
        for _ in range(2):
            rows.append(row("workspace", "create", when_for("create"), resource_id=w["id"],
                            resource_target=name, status_code=201))  # fmt: skip
    # Duplicates of time: groups of rows at one instant, and date edges.
    shared = [now_us - 400 * day + 123_456, now_us - 30 * day, now_us - 3 * day + 500_000]
    for instant in shared:
        for _ in range(4):
            rows.append(row(rng.choice(("workspace", "template", "user")), "write", instant))
    edge_day = (now_us - 200 * day) // day * day
    for offset in (0, 1, 999_999, day - 1_000_000, day - 500_000, day - 1, day):
        rows.append(row("template", "write", edge_day + offset))
    # Old and far rows: the first days of the epoch era, and a future-dated one.
    for when in (0, 946_684_799_999_999, 946_684_800_000_000, now_us + 365 * day):
        rows.append(row("user", "write", when))
    # Bulk rows past the count cap (2,000), plain shapes.
    while len(rows) < 2_150:
        resource_type = rng.choice(("workspace", "workspace_build", "template", "user", "api_key"))
        action = rng.choice(("create", "write", "delete", "start", "stop", "login"))
        rows.append(row(resource_type, action, when_for(action)))
    return rows


def insert_audit_rows(postgres_url: str, rows: list[dict[str, Any]]) -> None:
    columns = ("id", "time", "user_id", "organization_id", "ip", "user_agent", "resource_type",
               "resource_id", "resource_target", "action", "diff", "status_code",
               "additional_fields", "request_id", "resource_icon")  # fmt: skip
    casts = {"ip": "::inet", "diff": "::jsonb", "additional_fields": "::jsonb",
             "resource_type": "::resource_type", "action": "::audit_action"}  # fmt: skip
    lines = ["BEGIN;"]
    for values in rows:
        rendered = ", ".join(
            sql_literal(values[name]) + (casts.get(name, "") if values[name] is not None else "")
            for name in columns
        )
        lines.append(f"INSERT INTO audit_logs ({', '.join(columns)}) VALUES ({rendered});")
    lines.append("COMMIT;")
    run_sql(postgres_url, "\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the fresh Coder's URL")
    parser.add_argument("--postgres-url", required=True, help="that Coder's database")
    parser.add_argument("--state", required=True, help="where to write tokens and ids (JSON)")
    args = parser.parse_args(argv)
    coder = Coder(args.url)
    started = time.monotonic()
    state = bootstrap(coder, args.postgres_url)
    make_resources(coder, args.postgres_url, state)
    finish_users(coder, args.postgres_url, state)
    now_us = int(
        run_sql(args.postgres_url, "SELECT (extract(epoch from now()) * 1000000)::bigint;")
    )
    rows = audit_rows(state, now_us)
    insert_audit_rows(args.postgres_url, rows)
    state["audit_rows"] = len(rows)
    state["url"] = args.url
    with open(args.state, "w", encoding="utf-8") as out:
        json.dump(state, out, indent=1)
    print(
        f"seed: {len(state['users'])} users, {len(rows)} audit rows, "
        f"{len(state['tokens'])} tokens in {time.monotonic() - started:.1f} s -> {args.state}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
