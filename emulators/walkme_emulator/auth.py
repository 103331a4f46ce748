"""API keys (client id/secret pairs) and the bearer tokens issued for them.

WalkMe issues tokens from `POST /accounts/connect/token` with the client credentials in HTTP
Basic; each API key has its own permissions, so a key may authenticate yet not be allowed to read
reports (→ 403). Tokens are opaque random strings kept in memory with their expiry time.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
from dataclasses import dataclass

MAX_LIVE_TOKENS = 10_000  # bound memory: the oldest tokens are forgotten beyond this


@dataclass(frozen=True)
class ApiKey:
    """One WalkMe API key and whether it may download reports."""

    client_id: str
    client_secret: str
    reports: bool = True


@dataclass(frozen=True)
class Token:
    """An issued bearer token: which key it belongs to and when it stops working (epoch s)."""

    client_id: str
    expires_at: float


def parse_basic(header: str | None) -> tuple[str, str] | None:
    """Decode `Authorization: Basic …` into (client_id, client_secret), or None if absent/bad."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, client_secret = decoded.partition(":")
    if not sep:
        return None
    return client_id, client_secret


def parse_bearer(header: str | None) -> str | None:
    """Return the token of `Authorization: Bearer …`, or None."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


class KeyRing:
    """Known API keys and live tokens; thread-safe."""

    def __init__(self, primary: ApiKey, token_ttl: int) -> None:
        self._lock = threading.Lock()
        self._primary = primary
        self.token_ttl = token_ttl
        self._keys: dict[str, ApiKey] = {primary.client_id: primary}
        self._tokens: dict[str, Token] = {}

    def add_key(self, key: ApiKey) -> None:
        """Register (or replace) an API key."""
        with self._lock:
            self._keys[key.client_id] = key

    def check_client(self, client_id: str, client_secret: str) -> ApiKey | None:
        """Return the key when the id and secret match, else None (constant-time compare)."""
        with self._lock:
            key = self._keys.get(client_id)
        if key is None:
            return None
        if not hmac.compare_digest(key.client_secret.encode(), client_secret.encode()):
            return None
        return key

    def issue(self, key: ApiKey, now: float) -> tuple[str, int]:
        """Issue a new token for `key`; returns (token, expires_in seconds)."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            if len(self._tokens) >= MAX_LIVE_TOKENS:
                self._tokens = {t: v for t, v in self._tokens.items() if v.expires_at > now}
                while len(self._tokens) >= MAX_LIVE_TOKENS:
                    self._tokens.pop(next(iter(self._tokens)))
            self._tokens[token] = Token(key.client_id, now + self.token_ttl)
        return token, self.token_ttl

    def lookup(self, token: str) -> tuple[Token | None, ApiKey | None]:
        """Return the token record and its key (either may be None when unknown)."""
        with self._lock:
            record = self._tokens.get(token)
            key = self._keys.get(record.client_id) if record else None
        return record, key

    def expire_all(self) -> int:
        """Make every issued token expired (they then answer 401); returns how many."""
        with self._lock:
            count = len(self._tokens)
            self._tokens = {t: Token(v.client_id, 0.0) for t, v in self._tokens.items()}
        return count

    def reset(self) -> None:
        """Forget all tokens and every key except the primary one."""
        with self._lock:
            self._tokens.clear()
            self._keys = {self._primary.client_id: self._primary}
