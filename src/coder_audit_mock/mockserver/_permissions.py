"""What Coder's web app asks before it renders: permission checks and the licence's features.

`authorize` answers one `POST /api/v2/authcheck` check (`codersdk.AuthorizationCheck`) from the
caller's roles. The grants below are what Coder v2.35.1's RBAC answered, per role, to the web
app's 33 start-up checks (`site/permissions.json`) and to the Audit page's per-organization
`audit_log` read check, recorded in `tests/fidelity/webapp/coder-v2.35.1.jsonl`; a check outside
them is refused, as Coder's RBAC refuses what no role grants. Owners pass every check, even one
naming an action RBAC does not know (recorded: `"action": "bogus"` -> true).

`entitlements_body` is a licensed deployment's `codersdk.Entitlements` (codersdk/deployment.go):
every `FeatureNames` entry present, entitled and enabled, so the web app shows the Audit page
instead of its Premium paywall. The open-source build answers `/api/v2/entitlements` with 404
(recorded), which the web app reads as "no licence".
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from ._model import User

__all__ = ["FEATURE_NAMES", "authorize", "entitlements_body"]

# codersdk.FeatureNames, v2.35.1, in its order (Go's map encoding sorts the keys anyway).
FEATURE_NAMES: tuple[str, ...] = (
    "user_limit", "audit_log", "connection_log", "browser_only", "scim", "template_rbac",
    "high_availability", "multiple_external_auth", "external_provisioner_daemons", "appearance",
    "advanced_template_scheduling", "workspace_proxy", "user_role_management",
    "external_token_encryption", "workspace_batch_actions", "task_batch_actions",
    "access_control", "control_shared_ports", "custom_roles", "multiple_organizations",
    "workspace_prebuilds", "managed_agent_limit", "workspace_external_agent", "aibridge",
    "boundary", "service_accounts", "ai_governance_user_limit",
)  # fmt: skip
# FeatureName.UsesLimit: these carry `limit` and `actual`.
_LIMIT_FEATURES = frozenset({"user_limit", "managed_agent_limit", "ai_governance_user_limit"})
_LICENSED_LIMIT = 1000

# (resource_type, action) pairs each role grants, from the recorded answers. A site role's
# grants hold everywhere; an organization role's only for a check with `any_org` or naming an
# organization where the user holds that role (`site` lists what such a role grants site-wide).
_SITE_GRANTS: dict[str, frozenset[tuple[str, str]]] = {
    "auditor": frozenset(
        {
            ("user", "read"),
            ("aibridge_interception", "read"),
            ("audit_log", "read"),
            ("connection_log", "read"),
            ("group", "read"),
            ("organization_member", "read"),
            ("deployment_config", "read"),
            ("deployment_stats", "read"),
        }
    ),
}
_ORG_GRANTS: dict[str, frozenset[tuple[str, str]]] = {
    "organization-admin": frozenset(
        {
            ("assign_org_role", "assign"),
            ("chat", "create"),
            ("template", "create"),
            ("group", "update"),
            ("organization", "update"),
            ("idpsync_settings", "read"),
            ("aibridge_interception", "read"),
            ("audit_log", "read"),
            ("connection_log", "read"),
            ("organization_member", "read"),
        }
    ),
    "organization-auditor": frozenset(
        {("audit_log", "read"), ("connection_log", "read"), ("organization_member", "read")}
    ),
    # Every member of an organization (the implicit organization-member role).
    "": frozenset({("organization_member", "read")}),
}
# Granted site-wide by holding the organization role anywhere (recorded: an organization
# admin's `viewAllUsers`, `viewAnyAIBridgeInterception` without `any_org` are true).
_ORG_ROLE_SITE_GRANTS: dict[str, frozenset[tuple[str, str]]] = {
    "organization-admin": frozenset({("user", "read"), ("aibridge_interception", "read")}),
}
# Everyone signed in (the member role): workspace proxies are listed to all.
_MEMBER_GRANTS = frozenset({("workspace_proxy", "read")})


def authorize(user: User, check: Mapping[str, Any]) -> bool:
    """Whether `user` passes one authcheck entry (`{"object": {...}, "action": ...}`).

    Example:
        >>> from coder_audit_mock.mockserver._model import NIL_UUID
        >>> auditor = User(id=NIL_UUID, username="a", email="", created_at=0, updated_at=0,
        ...                last_seen_at=0, site_roles=("auditor",))
        >>> authorize(auditor, {"object": {"resource_type": "audit_log"}, "action": "read"})
        True
        >>> authorize(auditor, {"object": {"resource_type": "user"}, "action": "update"})
        False
    """
    if "owner" in user.site_roles:
        return True
    target = check.get("object")
    target = target if isinstance(target, Mapping) else {}
    pair = (str(target.get("resource_type", "")), str(check.get("action", "")))
    if pair in _MEMBER_GRANTS:
        return True
    if any(pair in _SITE_GRANTS.get(role, ()) for role in user.site_roles):
        return True
    any_org = target.get("any_org") is True
    organization = _uuid_or_none(target.get("organization_id"))
    for organization_id, roles in user.organization_roles.items():
        for role in (*roles, ""):
            if pair in _ORG_ROLE_SITE_GRANTS.get(role, ()):
                return True
            if (any_org or organization == organization_id) and pair in _ORG_GRANTS.get(role, ()):
                return True
    return False


def entitlements_body(*, user_count: int, refreshed_at: str) -> dict[str, Any]:
    """A licensed deployment's `GET /api/v2/entitlements` answer (codersdk.Entitlements).

    Example:
        >>> body = entitlements_body(user_count=3, refreshed_at="2026-01-01T00:00:00Z")
        >>> body["has_license"], body["features"]["audit_log"]
        (True, {'entitlement': 'entitled', 'enabled': True})
        >>> body["features"]["user_limit"]["actual"]
        3
    """
    features: dict[str, Any] = {}
    for name in sorted(FEATURE_NAMES):  # Go encodes a map with its keys sorted
        feature: dict[str, Any] = {"entitlement": "entitled", "enabled": True}
        if name in _LIMIT_FEATURES:
            feature["limit"] = _LICENSED_LIMIT
            feature["actual"] = user_count if name != "managed_agent_limit" else 0
        features[name] = feature
    return {
        "features": features,
        "warnings": [],
        "errors": [],
        "has_license": True,
        "trial": False,
        "require_telemetry": False,
        "refreshed_at": refreshed_at,
    }


def _uuid_or_none(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None
