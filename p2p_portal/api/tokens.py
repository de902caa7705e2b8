"""Bearer tokens: how they look, how they are checked. Only digests are stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.utils import timezone

from p2p_portal.models import ApiClient, ApiToken

TOKEN_PREFIX = "p2p"  # noqa: S105  (the public marker of our tokens, not a secret)


@dataclass(frozen=True)
class IssuedToken:
    """A token as created: the secret exists only here, to be shown once."""

    token: ApiToken
    secret: str


class TokenError(Exception):
    """A bearer token was refused; the message says why (it is sent to the client)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def token_digest(secret: str) -> str:
    """SHA-256 of the token: tokens carry 256 random bits, so a fast hash cannot be brute-forced back."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token_secret() -> tuple[str, str]:
    """Return (prefix, full token). The prefix is public and indexed; the rest is the secret."""
    prefix = secrets.token_hex(6)
    return prefix, f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"


def authenticate_bearer(authorization: str) -> tuple[ApiClient, ApiToken]:
    """Check an Authorization header value; return the client and token or raise TokenError."""
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise TokenError("malformed", "Use the header 'Authorization: Bearer <token>'.")
    credentials = credentials.strip()
    parts = credentials.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        raise TokenError("malformed", "This is not a P2P Portal API token (they look like p2p_<id>_<secret>).")
    token = ApiToken.objects.select_related("client").filter(prefix=parts[1]).first()
    if token is None or not hmac.compare_digest(token.digest, token_digest(credentials)):
        raise TokenError("invalid", "The token is not valid.")
    if token.revoked_at is not None:
        raise TokenError("revoked", "The token was revoked.")
    if token.expires_at <= timezone.now():
        raise TokenError("expired", "The token expired; ask your integration admin for a new one.")
    if not token.client.is_active:
        raise TokenError("client_inactive", "The API client of this token is deactivated.")
    return token.client, token
