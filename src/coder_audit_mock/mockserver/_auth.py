"""Who is calling, and what they may see (§6).

Authentication follows Coder's API-key middleware (`coderd/httpmw/apikey.go`): the first
non-empty token carrier wins, the token is split into a 10-byte id and a 22-byte secret, the
id is looked up, the secret compared in constant time, then expiry and the user's status are
checked. Every failure is a 401 with Coder's message and detail, and the `WWW-Authenticate`
challenge of NEWEST Coder.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from starlette.datastructures import Headers

from . import profiles
from ._errors import CoderError
from ._goparse import go_bytes
from ._model import (
    ORG_AUDIT_READER_ROLES,
    SITE_AUDIT_READER_ROLES,
    APIKey,
    Deployment,
    User,
)
from .profiles.newest import facts as _newest

# The shape of a session token Coder issues (§6.1): a 10-character id, '-', a 22-character secret.
TOKEN_PATTERN = re.compile(r"([A-Za-z0-9]{10})-([A-Za-z0-9]{22})")
# Coder's names and messages (§6.1, §6.2, §1.1 step 2): the version's facts own them.
SESSION_TOKEN_COOKIE = _newest.SESSION_TOKEN_COOKIE
SESSION_TOKEN_HEADER = _newest.SESSION_TOKEN_HEADER
SIGNED_OUT_MESSAGE = _newest.SIGNED_OUT_MESSAGE
FORBIDDEN_MESSAGE = _newest.FORBIDDEN_MESSAGE
FORBIDDEN_DETAIL = _newest.FORBIDDEN_DETAIL  # the route's own 403 (no WWW-Authenticate, §6.2)


@dataclasses.dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated caller: the user, the key they used, and their audit-log read scope.

    `readable_organizations` is None for site-wide readers (owner, auditor), who see every log
    including organization-less ones; otherwise the organizations whose logs they may read
    (§3.1, §6.3), possibly empty (then the route answers 403).
    """

    user: User
    key: APIKey
    readable_organizations: frozenset[uuid.UUID] | None

    @property
    def may_read_audit_logs(self) -> bool:
        return self.readable_organizations is None or bool(self.readable_organizations)

    @property
    def may_create_audit_logs(self) -> bool:
        # Only owners have site-wide `create` on `audit_log` (§5 "Who may call it").
        return "owner" in self.user.site_roles


def find_cookie(headers: Headers, name: str) -> str:
    """The first non-empty cookie called `name`, as Go's `r.Cookie(name)` finds it.

    Example:
        >>> find_cookie(Headers({"cookie": 'a=1; coder_session_token="t"'}), "coder_session_token")
        't'
    """
    for header in headers.getlist("cookie"):
        for part in header.split(";"):
            cookie_name, sep, value = part.strip().partition("=")
            if sep and cookie_name == name:
                if len(value) > 1 and value[0] == value[-1] == '"':
                    value = value[1:-1]
                return value
    return ""


@dataclasses.dataclass(frozen=True, slots=True)
class TokenCarrier(profiles.TokenCarrier):
    """A `profiles.TokenCarrier` (kind and name, §6.1) that reads a request's token.

    Example:
        >>> TokenCarrier("query", "access_token").read(Headers({}), {"access_token": ["t"]})
        't'
    """

    def read(self, headers: Headers, query: Mapping[str, list[str]]) -> str:
        """The token this carrier holds in a request, or "" (carriers are read until one holds one)."""
        if self.kind == "query":
            return _first(query, self.name)
        if self.kind == "cookie":
            value = find_cookie(headers, self.name)
        elif self.kind == "header":
            value = headers.get(self.name, "")
        else:  # bearer
            value = headers.get(self.name, "")
            value = value[7:].strip() if value[:7].lower() == "bearer " else ""
        return _header_text(value) if value else ""


# §6.1 NEWEST, in Coder's order (the version's facts): the first non-empty one wins.
NEWEST_TOKEN_CARRIERS: tuple[TokenCarrier, ...] = tuple(
    TokenCarrier(*carrier) for carrier in _newest.TOKEN_CARRIERS
)


def session_token(
    headers: Headers,
    query: Mapping[str, list[str]],
    carriers: tuple[TokenCarrier, ...] = NEWEST_TOKEN_CARRIERS,
) -> str:
    """The session token from the first carrier that holds one, in Coder's order (§6.1).

    NEWEST carriers by default: cookie `coder_session_token`, query `coder_session_token`, header
    `Coder-Session-Token`, `Authorization: Bearer`, query `access_token`.

    Example:
        >>> session_token(Headers({"authorization": "Bearer abc"}), {})
        'abc'
    """
    for carrier in carriers:
        token = carrier.read(headers, query)
        if token:
            return token
    return ""


def _header_text(value: str) -> str:
    # ASGI header bytes reach Starlette decoded as latin-1; Go sees the raw (UTF-8) bytes.
    return value.encode("latin-1").decode("utf-8", "surrogateescape")


def _first(query: Mapping[str, list[str]], name: str) -> str:
    values = query.get(name)
    return values[0] if values else ""


def split_token(token: str) -> tuple[str, str]:
    """Split `<id>-<secret>` as Coder's `SplitAPIToken` does; lengths are counted in bytes.

    Raises the 401 `CoderError` with Coder's "Invalid API key format" detail.

    Example:
        >>> split_token("abcdefghij-0123456789012345678901")
        ('abcdefghij', '0123456789012345678901')
    """
    parts = token.split("-")
    if len(parts) != 2:
        raise _unauthorized(
            f"Invalid API key format: incorrect amount of API key parts, expected 2 got {len(parts)}"
        )
    key_id, secret = parts
    id_length = len(go_bytes(key_id))
    if id_length != 10:
        raise _unauthorized(
            f"Invalid API key format: invalid API key ID length, expected 10 got {id_length}"
        )
    secret_length = len(go_bytes(secret))
    if secret_length != 22:
        raise _unauthorized(
            "Invalid API key format: invalid API key secret length, "
            f"expected 22 got {secret_length}"
        )
    return key_id, secret


def go_time_string(microseconds: int) -> str:
    """Go's `time.Time.String()` for a UTC database time, as in the "expired" 401 detail.

    Example:
        >>> go_time_string(0)
        '1970-01-01 00:00:00 +0000 UTC'
        >>> go_time_string(1_500_000)
        '1970-01-01 00:00:01.5 +0000 UTC'
    """
    seconds, micros = divmod(microseconds, 1_000_000)
    text = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")
    if micros:
        text += "." + f"{micros:06d}".rstrip("0")
    return text + " +0000 UTC"


def authenticate(
    deployment: Deployment,
    headers: Headers,
    query: Mapping[str, list[str]],
    *,
    now_us: int,
    carriers: tuple[TokenCarrier, ...] = NEWEST_TOKEN_CARRIERS,
) -> Caller:
    """Authenticate a request or raise Coder's 401 (§6.1, §6.2).

    Example:
        >>> from coder_audit_mock.mockserver._generate import generate_deployment, DEFAULT_TOKENS
        >>> d = generate_deployment(log_count=0)
        >>> caller = authenticate(d, Headers({"coder-session-token": DEFAULT_TOKENS["owner"]}), {},
        ...                       now_us=0)
        >>> caller.may_create_audit_logs
        True
    """
    token = session_token(headers, query, carriers)
    if not token:
        raise _unauthorized(f'Cookie "{SESSION_TOKEN_COOKIE}" or query parameter must be provided.')
    key_id, secret = split_token(token)
    key = deployment.api_keys.get(key_id)
    if key is None:
        raise _unauthorized("API key is invalid.")
    # Coder stores sha256(secret) and compares with subtle.ConstantTimeCompare.
    presented = hashlib.sha256(go_bytes(secret)).digest()
    expected = hashlib.sha256(key.secret.encode("utf-8")).digest()
    if not hmac.compare_digest(presented, expected):
        raise _unauthorized("API key secret is invalid.")
    if key.expires_at < now_us:
        raise _unauthorized(f'API key expired at "{go_time_string(key.expires_at)}".')
    user = deployment.users.get(key.user_id)
    if user is None or user.deleted:
        raise _unauthorized("API key is invalid.")
    if user.status != "active":
        # Coder re-activates dormant users on use (ActivateDormantUser); the mock's dormant
        # users hold no keys, so any other status here is a refusal.
        message = (
            f'User is not active (status = "{user.status}"). '
            "Contact an admin to reactivate your account."
        )
        raise CoderError(401, message, headers=_challenge(_description(message, "")))
    return Caller(user=user, key=key, readable_organizations=_read_scope(user, deployment))


def _read_scope(user: User, deployment: Deployment) -> frozenset[uuid.UUID] | None:
    if SITE_AUDIT_READER_ROLES.intersection(user.site_roles):
        return None
    return frozenset(
        org_id
        for org_id, roles in user.organization_roles.items()
        if ORG_AUDIT_READER_ROLES.intersection(roles)
        and org_id in deployment.organizations
        and not deployment.organizations[org_id].deleted
    )


def forbidden(detail: str = FORBIDDEN_DETAIL) -> CoderError:
    """The 403 for callers who may not read audit logs (§1.1 step 2; EARLY §1.3: no detail).

    Example:
        >>> forbidden().body()["message"], forbidden("").body()
        ('Forbidden.', {'message': 'Forbidden.'})
    """
    return CoderError(403, FORBIDDEN_MESSAGE, detail)


def _unauthorized(detail: str) -> CoderError:
    return CoderError(
        401,
        SIGNED_OUT_MESSAGE,
        detail,
        headers=_challenge(_description(SIGNED_OUT_MESSAGE, detail)),
    )


def _description(message: str, detail: str) -> str:
    """The challenge's `error_description`, as `buildWWWAuthenticateHeader` picks it.

    Coder looks for words in the 401 body: "expired" in the message or the detail, else
    "audience" or "mismatch" in the message. The usual 401 message itself says "your session
    has expired", so a missing or unknown token is also described as expired (seen in the
    recorded v2.35.1 corpus); the inactive-user 401 is the one that says "invalid".

    Example:
        >>> _description(SIGNED_OUT_MESSAGE, "API key is invalid.")
        'The access token has expired'
        >>> _description('User is not active (status = "suspended").', "")
        'The access token is invalid'
    """
    if "expired" in message or "expired" in detail:
        return "The access token has expired"
    if "audience" in message or "mismatch" in message:
        return "The access token audience does not match this resource"
    return "The access token is invalid"


# The challenge's resource_metadata URL. Coder v2.35.1 routes it (coderd/coderd.go) behind the
# `oauth2` experiment, which a release build has off (`GET /api/v2/experiments` is `[]` in the
# recorded corpus), so there it answers 403 with httpmw.RequireExperiment's message: the mock
# answers the same, for every method and every path below it (chi's `/*`).
PROTECTED_RESOURCE_PATH = "/.well-known/oauth-protected-resource"
OAUTH2_EXPERIMENT_OFF = (
    "OAuth2 Provider Functionality functionality requires enabling the 'oauth2' experiment."
)


def _challenge(description: str) -> dict[str, str]:
    # The resource_metadata URL needs the request's host; the app fills `{base}` in.
    return {
        "WWW-Authenticate": (
            f'Bearer realm="coder", error="invalid_token", error_description="{description}", '
            f'resource_metadata="{{base}}{PROTECTED_RESOURCE_PATH}"'
        )
    }
