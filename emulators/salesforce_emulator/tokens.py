"""Issued OAuth credentials: access tokens, refresh tokens and authorization codes.

Access tokens expire after the org's token TTL (or when expired by the fault API); refresh
tokens live until revoked, and revoking a refresh token kills the access tokens issued from it.
Token responses carry exactly Salesforce's fields: ``issued_at`` in epoch milliseconds as a
string, no ``expires_in``; ``signature`` is an HMAC of the id URL and ``issued_at`` with the
client secret; ``id_token`` (with ``openid``) is HS256-signed with the client secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jwt

if TYPE_CHECKING:
    from .org import Org
    from .users import ConnectedApp, User

DEFAULT_TOKEN_TTL = 7200.0  # Salesforce's default session timeout: two hours


@dataclass
class AccessToken:
    token: str
    user_id: str
    client_id: str | None
    issued: float
    scopes: tuple[str, ...]
    refresh: str | None = None
    expired: bool = False


@dataclass
class RefreshToken:
    token: str
    user_id: str
    client_id: str
    scopes: tuple[str, ...]
    access_tokens: set[str] = field(default_factory=set)


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    user_id: str
    scopes: tuple[str, ...]
    challenge: str | None
    method: str
    issued: float
    used: bool = False


class TokenStore:
    """Issued tokens and authorization codes (in memory: a restart logs everybody out)."""

    def __init__(self, org: Org) -> None:
        self.org = org
        self._lock = threading.Lock()
        self.access: dict[str, AccessToken] = {}
        self.refresh: dict[str, RefreshToken] = {}
        self.codes: dict[str, AuthCode] = {}

    def ttl(self) -> float:
        return self.org.token_ttl if self.org.token_ttl else DEFAULT_TOKEN_TTL

    def issue(
        self,
        user: User,
        app: ConnectedApp | None,
        scopes: tuple[str, ...],
        *,
        with_refresh: bool = False,
        refresh: str | None = None,
    ) -> dict[str, Any]:
        """Create an access token (and a refresh token if asked) and the token response."""
        token = f"{self.org.org_id[:15]}!{secrets.token_urlsafe(72)}"
        issued = time.time()
        client_id = app.client_id if app else None
        with self._lock:
            if with_refresh and app is not None:
                refresh = secrets.token_urlsafe(64)
                self.refresh[refresh] = RefreshToken(refresh, user.id, app.client_id, scopes)
            self.access[token] = AccessToken(token, user.id, client_id, issued, scopes, refresh)
            if refresh and refresh in self.refresh:
                self.refresh[refresh].access_tokens.add(token)
        issued_at = str(int(issued * 1000))
        id_url = f"{self.org.base_url}/id/{self.org.org_id}/{user.id}"
        body: dict[str, Any] = {"access_token": token}
        if with_refresh and refresh:
            body["refresh_token"] = refresh
        secret = app.client_secret if app else "emulator"
        signature = base64.b64encode(
            hmac.new(secret.encode(), (id_url + issued_at).encode(), hashlib.sha256).digest()
        ).decode()
        body.update(
            {
                "signature": signature,
                "scope": " ".join(scopes),
                "instance_url": self.org.base_url,
                "id": id_url,
                "token_type": "Bearer",
                "issued_at": issued_at,
            }
        )
        if "openid" in scopes and app is not None:
            body["id_token"] = jwt.encode(
                {
                    "iss": self.org.base_url,
                    "sub": id_url,
                    "aud": app.client_id,
                    "iat": int(issued),
                    "exp": int(issued) + 300,
                    "preferred_username": user.username,
                },
                app.client_secret,
                algorithm="HS256",
            )
        return body

    def validate(self, token: str) -> AccessToken | None:
        """The live access token, or None if unknown, revoked or expired."""
        with self._lock:
            info = self.access.get(token)
        if info is None or info.expired:
            return None
        if time.time() - info.issued > self.ttl():
            info.expired = True
            return None
        if info.user_id not in self.org.users:
            return None
        return info

    def expire_all(self) -> int:
        """Expire every access token now (refresh tokens stay valid)."""
        with self._lock:
            for info in self.access.values():
                info.expired = True
            return len(self.access)

    def revoke(self, token: str) -> bool:
        with self._lock:
            if token in self.refresh:
                rt = self.refresh.pop(token)
                for access in rt.access_tokens:
                    self.access.pop(access, None)
                return True
            if token in self.access:
                del self.access[token]
                return True
        return False
