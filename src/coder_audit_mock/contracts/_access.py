"""Before a run: who the token belongs to, whether the target is this project's mock, what to write.

```
identify_access(target)   -> (Target, Access)
  is it this mock?         GET /_mock (the admin API of `coder-audit-mock serve`)
  whose token is it?       the mock's GET /_mock/tokens, else Coder's GET /api/v2/users/me
  may it read?             GET /api/v2/audit?limit=1: 401 or 403 is UnusableTarget (exit 3)
  may the run write?       in-process: yes; this mock by URL: yes, and its data is put back
                           afterwards (`guard_mock_data`); any other server: only with
                           allow_writes=True (`--allow-writes`) and an owner's token
```

A contract run must never damage the server it checks: against a production Coder every
testgenerate call is a real row in a real audit log. So a server that is not this mock is
checked read-only unless the user says otherwise, and the checks that need writes say they
were skipped.

Example:
    >>> from coder_audit_mock.contracts._target import open_target
    >>> with open_target() as target:
    ...     checked, access = identify_access(target)
    >>> access.caller, access.may_write
    ('owner', True)
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx

from ._errors import ContractError
from ._paths import AUDIT_PATH, USERS_ME_PATH
from ._target import Target

__all__ = ["Access", "UnusableTarget", "guard_mock_data", "identify_access"]

MOCK_INDEX_PATH = "/_mock"
MOCK_TOKENS_PATH = "/_mock/tokens"
MOCK_SCENARIO_PATH = "/_mock/scenario"
MOCK_RESET_PATH = "/_mock/reset"
MOCK_ADMIN_HEADER = "Mock-Admin-Token"
# Site roles of Coder's users/me that read every audit log (§6.3).
_SITE_READERS = ("owner", "auditor")
ORG_READER = "org-reader"  # a token that reads, without a site-wide reading role


class UnusableTarget(ContractError):
    """The target cannot be checked: unreachable, not a Coder server, or the token is refused.

    Example:
        >>> raise UnusableTarget("cannot reach http://127.0.0.1:9: connection refused")
        Traceback (most recent call last):
        ...
        coder_audit_mock.contracts._access.UnusableTarget: cannot reach http://127.0.0.1:9: connection refused
    """


@dataclasses.dataclass(frozen=True, slots=True)
class Access:
    """What `identify_access` found out about the target and its token.

    Attributes:
        caller: the token's role: "owner", "auditor", "org-reader" (reads without a site-wide
            role: an organization admin or auditor), or a role name the mock gave.
        username: the token's user ("" when the server did not say).
        site_roles: the site roles Coder's `users/me` listed (empty for the mock).
        mock: the target answers this project's admin API (`/_mock`), so it is this mock.
        may_write: the run may write audit logs.
        read_only_reason: why not ("" when it may).
        discovered: the roles whose tokens were read from the mock's `/_mock/tokens`.
        restorable: the mock's admin API answers (its data can be exported and put back).
        in_process: the target is an app in this process (nothing shared to damage).

    Example:
        >>> Access("auditor", "ann", ("auditor",), False, False, "an auditor may not write").may_write
        False
    """

    caller: str
    username: str
    site_roles: tuple[str, ...]
    mock: bool
    may_write: bool
    read_only_reason: str
    discovered: tuple[str, ...] = ()
    restorable: bool = False
    in_process: bool = False

    def describe(self) -> str:
        """One line for the report, e.g. "owner (admin); writes allowed, data put back"."""
        who = f"{self.caller} ({self.username})" if self.username else self.caller
        writes = (
            (
                "writes allowed (an app in this process)"
                if self.in_process
                else "writes allowed; this mock's data is put back afterwards"
                if self.restorable
                else "writes allowed (--allow-writes): test audit logs stay on the server"
            )
            if self.may_write
            else f"read-only: {self.read_only_reason}"
        )
        return f"{who}; {writes}"


def _get(target: Target, path: str, headers: Mapping[str, str], **params: str) -> httpx.Response:
    where = target.description
    try:
        return target.client.get(path, headers=dict(headers), params=params)
    except httpx.HTTPError as error:
        raise UnusableTarget(f"cannot reach {where}: {type(error).__name__}: {error}") from None


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _admin_headers(admin_token: str | None) -> dict[str, str]:
    return {MOCK_ADMIN_HEADER: admin_token} if admin_token else {}


def _mock_admin(target: Target, admin_token: str | None) -> bool | None:
    """True: this mock, admin API usable; False: this mock, admin token missing; None: no mock."""
    response = _get(target, MOCK_INDEX_PATH, _admin_headers(admin_token))
    body = _json(response)
    if not isinstance(body, dict):
        return None
    if response.status_code == 200 and body.get("token_header") == MOCK_ADMIN_HEADER:
        return True
    if response.status_code == 401 and str(body.get("message", "")).startswith("Admin token"):
        return False
    return None


def _mock_roles(target: Target, admin_token: str | None) -> dict[str, str]:
    body = _json(_get(target, MOCK_TOKENS_PATH, _admin_headers(admin_token)))
    roles = body.get("roles") if isinstance(body, dict) else None
    if not isinstance(roles, dict):
        return {}
    return {str(role): token for role, token in roles.items() if isinstance(token, str)}


def _coder_user(target: Target, token: str) -> tuple[str, tuple[str, ...]] | None:
    """(username, site role names) from Coder's `GET /api/v2/users/me`, None if unanswered."""
    response = _get(target, USERS_ME_PATH, {"Coder-Session-Token": token})
    if response.status_code == 401:
        raise UnusableTarget(
            f"{target.description} refused the token: GET {USERS_ME_PATH} answered 401 "
            f"{_message(response)}; give a valid session token with --token or "
            "CODER_SESSION_TOKEN"
        )
    body = _json(response)
    if response.status_code != 200 or not isinstance(body, dict):
        return None  # e.g. this mock, which has no users/me: its tokens tell the role
    roles = tuple(
        str(role.get("name")) for role in body.get("roles") or [] if isinstance(role, dict)
    )
    return str(body.get("username") or ""), roles


def _message(response: httpx.Response) -> str:
    body = _json(response)
    return repr(body.get("message")) if isinstance(body, dict) else "(no JSON body)"


def _read_probe(target: Target, token: str, who: str) -> None:
    """Raise `UnusableTarget` unless the token reads `GET /api/v2/audit` on a Coder-like server.

    A server error (5xx) is no reason: that server is broken, and the run says how.
    """
    where = target.description
    response = _get(target, AUDIT_PATH, {"Coder-Session-Token": token}, limit="1")
    if response.status_code >= 500:
        return
    if response.status_code == 401:
        whose = f" of {who}" if who else ""
        raise UnusableTarget(
            f"{where} refused the token{whose}: GET {AUDIT_PATH} answered 401 "
            f"{_message(response)}; give a valid session token with --token or "
            "CODER_SESSION_TOKEN"
        )
    if response.status_code == 403:
        raise UnusableTarget(
            f"the token is {who or 'a user'}'s, who may not read audit logs: GET {AUDIT_PATH} "
            f"answered 403 "
            f"{_message(response)}; give an owner's token (every check) or an auditor's "
            "(the read-only checks)"
        )
    if response.status_code != 200 or not isinstance(_json(response), dict):
        content_type = response.headers.get("content-type", "no content type")
        raise UnusableTarget(
            f"{where} does not look like a Coder server: GET {AUDIT_PATH} answered "
            f"{response.status_code} ({content_type}); give the server's origin, e.g. "
            "https://coder.example.com"
        )


def identify_access(
    target: Target, *, allow_writes: bool | None = None, admin_token: str | None = None
) -> tuple[Target, Access]:
    """Find out whose token the target was given and what the run may do; adapt the target.

    Args:
        target: from `open_target`; its "owner" token (if any) is the one to identify.
        allow_writes: True lets the run write into a server that is not this mock (an owner's
            token is still needed); False keeps every target read-only; None (default):
            writes only in-process and into this mock by URL.
        admin_token: this mock's admin token (`serve --admin-token`), if it has one.

    Returns:
        The target with the caller's role, the mock's role tokens added (tokens given by the
        user win) and `may_write` set; and the `Access` found.

    Raises:
        UnusableTarget: no connection, a refused token, a token that may not read audit logs
            (its role is named), or an answer that is not Coder's.

    Example:
        >>> from coder_audit_mock.contracts._target import open_target
        >>> with open_target(tokens={}) as target:
        ...     identify_access(target, allow_writes=False)[1].read_only_reason
        'allow_writes=False (--read-only)'
    """
    if target.in_process:
        return _in_process(target, allow_writes)
    mock = _mock_admin(target, admin_token)
    roles = _mock_roles(target, admin_token) if mock else {}
    token = target.tokens.get(target.caller) or roles.get("owner")
    if token is None:
        raise ContractError(
            f"checking {target.description} needs a session token: --token TOKEN or "
            "CODER_SESSION_TOKEN (this project's mock publishes its tokens at /_mock/tokens)"
        )
    known = _who(target, token, roles)
    caller, username, site_roles = known or (target.caller, "", ())
    _read_probe(target, token, "" if known is None else _label(caller, username, site_roles))
    may_write, reason = _writes(caller, mock, allow_writes)
    given = {role: value for role, value in target.tokens.items() if role != target.caller}
    discovered = {role: value for role, value in roles.items() if role not in given}
    tokens = {**discovered, **given, caller: token}
    checked = dataclasses.replace(
        target, tokens=tokens, caller=caller, may_write=may_write, read_only_reason=reason
    )
    access = Access(
        caller=caller,
        username=username,
        site_roles=site_roles,
        mock=mock is not None,
        may_write=may_write,
        read_only_reason=reason,
        discovered=tuple(sorted(role for role in discovered if role != caller)),
        restorable=mock is True,
    )
    return checked, access


def _in_process(target: Target, allow_writes: bool | None) -> tuple[Target, Access]:
    # An app in the caller's own process: nothing shared to damage, and its tokens are known.
    if target.token is None:
        raise ContractError(
            f"checking needs a session token for the role {target.caller!r}: give it with "
            "--token or CODER_SESSION_TOKEN"
        )
    _read_probe(target, target.token, "")
    may_write = allow_writes is not False and target.caller == "owner"
    reason = "" if may_write else _writes(target.caller, True, allow_writes)[1]
    checked = dataclasses.replace(target, may_write=may_write, read_only_reason=reason)
    return checked, Access(target.caller, "", (), True, may_write, reason, in_process=True)


def _who(
    target: Target, token: str, mock_roles: Mapping[str, str]
) -> tuple[str, str, tuple[str, ...]] | None:
    """(caller role, username, site roles) of `token`; None when the server does not say."""
    for role, value in mock_roles.items():
        if value == token:
            return role, "", ()
    user = _coder_user(target, token)
    if user is None:
        return None
    username, site_roles = user
    caller = next((role for role in _SITE_READERS if role in site_roles), ORG_READER)
    return caller, username, site_roles


def _label(caller: str, username: str, site_roles: tuple[str, ...]) -> str:
    """Who the token belongs to, for messages: "mia (site roles: none)", "ann (auditor)"."""
    if caller == ORG_READER:  # not yet known to read anything: say what Coder listed
        return f"{username or 'a user'} (site roles: {', '.join(site_roles) or 'none'})"
    return f"{username} ({caller})" if username else caller


def _writes(caller: str, mock: bool | None, allow_writes: bool | None) -> tuple[bool, str]:
    """(may the run write, why not) for a caller on this mock (True), this mock without its
    admin token (False) or another server (None)."""
    if allow_writes is False:
        return False, "allow_writes=False (--read-only)"
    if caller != "owner":
        return False, f"the token is an {caller}'s, and only owners may write audit logs (§1.2)"
    if mock or allow_writes:
        return True, ""
    if mock is False:
        return False, (
            "this mock has an admin token (serve --admin-token), without which its data cannot "
            "be put back: give it with --mock-admin-token, or allow writes with --allow-writes"
        )
    return False, (
        "not this project's mock, so nothing is written (--allow-writes lets the run write "
        "test audit logs with POST /api/v2/audit/testgenerate)"
    )


@contextmanager
def guard_mock_data(
    target: Target, access: Access, admin_token: str | None = None
) -> Iterator[list[str]]:
    """Around a run against this mock by URL: put its data back as it was found.

    Yields a list that, after the block, holds one line saying what was done. The data is
    exported before (`GET /_mock/scenario`); afterwards the mock is reset to its baseline
    and compared, and when that is not what was found (data had been added since the last
    reset) the export is loaded back.

    Example:
        >>> from coder_audit_mock.contracts._target import open_target
        >>> with open_target() as target:
        ...     with guard_mock_data(target, identify_access(target)[1]) as outcome:
        ...         pass
        >>> outcome
        ['nothing to put back: an in-process mock']
    """
    outcome: list[str] = []
    if target.in_process or not access.restorable or not access.may_write:
        why = (
            "an in-process mock"
            if target.in_process
            else "nothing was written"
            if not access.may_write
            else "writes were allowed into a server whose data the kit cannot export"
        )
        try:
            yield outcome
        finally:
            outcome.append(f"nothing to put back: {why}")
        return
    headers = _admin_headers(admin_token)
    before = _export(target, headers)
    try:
        yield outcome
    finally:
        outcome.append(_restore(target, headers, before))


def _export(target: Target, headers: Mapping[str, str]) -> bytes:
    response = target.client.get(MOCK_SCENARIO_PATH, headers=dict(headers))
    response.raise_for_status()
    return response.content


def _logs(scenario: bytes) -> int:
    data = json.loads(scenario)
    return len(data.get("logs") or []) if isinstance(data, dict) else 0


def _restore(target: Target, headers: Mapping[str, str], before: bytes) -> str:
    try:
        target.client.post(MOCK_RESET_PATH, headers=dict(headers)).raise_for_status()
        if _export(target, headers) == before:
            return f"data put back: reset to its baseline, {_logs(before)} logs as before"
        loaded = target.client.post(
            MOCK_SCENARIO_PATH,
            headers={**headers, "Content-Type": "application/json"},
            content=before,
        )
        loaded.raise_for_status()
        if _export(target, headers) == before:
            return (
                f"data put back: {_logs(before)} logs as before (loaded back from the export "
                "taken before the run, which is now the mock's baseline)"
            )
        return "WARNING: the mock's data could not be put back exactly as it was"
    except httpx.HTTPError as error:
        return f"WARNING: the mock's data could not be put back: {type(error).__name__}: {error}"
