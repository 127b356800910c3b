"""What the seeded data looks like under the EARLY (2023-01) profile (§4.5, §8 EARLY).

The generator draws NEWEST data (`_generate`); a profile's `DataRules` keep only what Coder
2023-01 could have recorded and reshape it. This module holds the EARLY reshaping of
`additional_fields`: the camelCase keys of 2023-01 (`workspaceName`, `buildNumber`, plus
`workspaceOwner` on workspace creations), which EARLY's frontend read (§8: a
`workspace_build` row without `workspaceName` crashed that row).
"""

from __future__ import annotations

import uuid
from typing import Any

from ..._model import Deployment

# NEWEST snake_case key -> EARLY camelCase key (§4.5).
_CAMEL_CASE: dict[str, str] = {
    "workspace_name": "workspaceName",
    "build_number": "buildNumber",
    "workspace_owner": "workspaceOwner",
}
# Keys of automatic changes (dormancy, SCIM), which came after 2023-01 (§4.5).
_AUTOMATIC_ACTOR = "automatic_actor"


def early_additional_fields(
    resource_type: str,
    action: str,
    resource_id: uuid.UUID,
    fields: Any,
    deployment: Deployment,
) -> Any:
    """The EARLY `additional_fields` of a NEWEST event, or None when 2023-01 had no such event.

    Known keys become camelCase (empty values dropped: EARLY wrote only what it knew), other
    NEWEST keys (`build_reason`, `workspace_id`, ...) are dropped, and a workspace creation names
    the workspace's owner. Automatic changes (dormancy, SCIM) did not exist: None.

    Example:
        >>> from coder_audit_mock.mockserver._model import NIL_UUID
        >>> early_additional_fields("workspace_build", "start", NIL_UUID,
        ...     {"workspace_name": "dev", "build_number": "3", "build_reason": "initiator",
        ...      "workspace_owner": "", "workspace_id": str(NIL_UUID)}, Deployment())
        {'workspaceName': 'dev', 'buildNumber': '3'}
    """
    if not isinstance(fields, dict):
        return fields
    if _AUTOMATIC_ACTOR in fields:
        return None
    early = {
        _CAMEL_CASE.get(key, key): value
        for key, value in fields.items()
        if (key in _CAMEL_CASE or key in _CAMEL_CASE.values()) and value != ""
    }
    if resource_type == "workspace" and action == "create":
        workspace = deployment.workspaces.get(resource_id)
        owner = None if workspace is None else deployment.users.get(workspace.owner_id)
        if owner is not None:
            early["workspaceOwner"] = owner.username
    return early
