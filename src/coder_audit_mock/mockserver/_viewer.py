"""What the caller of GET /api/v2/audit may read, for the lookups behind `is_deleted` and links.

Coder fills a log's `is_deleted` and `resource_link` by looking the resource up in the
database with the caller's own permissions (dbauthz, `coderd/rbac/roles.go`). A lookup ends in
one of three ways, and each shows in the answer (recorded from Coder v2.35.1):

- found: the row decides (`deleted`, names for the link);
- no row: `is_deleted` is true;
- not authorized: an error that is not "no rows", so the handler goes on with Go's zero value:
  `is_deleted` is false and the link is "" (a build checks its workspace next, with the zero
  id, and that lookup finds no row: `is_deleted` true).

So an auditor, who may not read workspaces, sees a deleted workspace as not deleted and
without a link. Owners read everything (`FULL_VIEW`); the rules below are the read
permissions of the built-in roles that may read audit logs, as `roles.go` grants them.
"""

from __future__ import annotations

import dataclasses
import uuid

from ._model import User

__all__ = ["FULL_VIEW", "Viewer", "viewer_of"]


@dataclasses.dataclass(frozen=True, slots=True)
class Viewer:
    """A caller's read permissions over the resources audit logs point at.

    Example:
        >>> from coder_audit_mock.mockserver._model import NIL_UUID
        >>> org = uuid.UUID(int=1)
        >>> auditor = Viewer(user_id=NIL_UUID, site_roles=frozenset({"auditor"}))
        >>> auditor.may_read("template", organization_id=org), auditor.may_read("workspace", organization_id=org)
        (True, False)
    """

    user_id: uuid.UUID
    site_roles: frozenset[str] = frozenset()
    # organization id -> the caller's roles there (membership alone: an empty set)
    organizations: tuple[tuple[uuid.UUID, frozenset[str]], ...] = ()

    def _roles_in(self, organization_id: uuid.UUID | None) -> frozenset[str] | None:
        for org, roles in self.organizations:
            if org == organization_id:
                return roles
        return None

    def may_read(
        self,
        kind: str,
        *,
        organization_id: uuid.UUID | None = None,
        owner_id: uuid.UUID | None = None,
    ) -> bool:
        """Whether a `kind` row of that organization and owner is readable (`roles.go`).

        `kind` is the rbac resource: template, user, workspace (builds, agents and apps are
        authorized through it), task, chat, user_secret, oauth2_app, oauth2_app_secret, group,
        organization.
        """
        site = self.site_roles
        if "owner" in site:
            return kind not in ("user_secret",) or owner_id == self.user_id
        own = owner_id is not None and owner_id == self.user_id
        org_roles = self._roles_in(organization_id)
        org_admin = org_roles is not None and "organization-admin" in org_roles
        if kind == "oauth2_app":  # the member role: every user reads OAuth2 apps
            return True
        if kind == "template":  # auditors; members through the Everyone group's ACL
            return bool(site & {"auditor", "template-admin"}) or org_roles is not None
        if kind == "user":  # site-wide readers, organization (user) admins anywhere, oneself
            return (
                own
                or bool(site & {"auditor", "user-admin", "template-admin"})
                or any(
                    roles & {"organization-admin", "organization-user-admin"}
                    for _, roles in self.organizations
                )
            )
        if kind in ("workspace", "task", "chat"):  # their owner and the organization's admins
            return own or org_admin
        if kind == "group":
            return (
                bool(site & {"auditor", "user-admin"})
                or org_admin
                or (
                    org_roles is not None
                    and bool(org_roles & {"organization-auditor", "organization-user-admin"})
                )
            )
        if kind == "organization":
            return "auditor" in site or org_roles is not None
        if kind == "user_secret":
            return own
        return False  # oauth2_app_secret: site-wide owners only


FULL_VIEW: Viewer | None = None
"""The view of an owner (and of the renderer when no caller is given): everything readable."""


def viewer_of(user: User) -> Viewer | None:
    """The caller's view; None (`FULL_VIEW`) for owners, whose answers are cached once.

    Example:
        >>> from coder_audit_mock.mockserver._model import NIL_UUID
        >>> u = User(id=NIL_UUID, username="a", email="", created_at=0, updated_at=0,
        ...          last_seen_at=0, site_roles=("owner",))
        >>> viewer_of(u) is FULL_VIEW
        True
    """
    if "owner" in user.site_roles:
        return FULL_VIEW
    return Viewer(
        user_id=user.id,
        site_roles=frozenset(user.site_roles),
        organizations=tuple(
            sorted(
                ((org, frozenset(roles)) for org, roles in user.organization_roles.items()),
                key=lambda item: item[0].int,
            )
        ),
    )
