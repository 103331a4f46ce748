"""What keeps the console safe: CSRF tokens, the access token login, the Host check, redaction.

- Every state-changing request (POST) must carry the session's CSRF token (form field
  `csrf_token` or header `X-CSRF-Token`); otherwise 400.
- When `WALKME_SALESFORCE_CONSOLE_TOKEN` is set, every page but the login page and static files
  needs a session that logged in with it. A non-loopback bind requires it (see `server`).
- On a loopback bind the Host header must name a loopback address (no DNS rebinding).
- Every value rendered into a page passes `redact`, which blanks any secret the console knows
  of (values from `.env` and the process environment whose names say secret/token/password/key).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path

from flask import abort, g, has_request_context, request, session

from ..envfile import read_env

TOKEN_VARIABLE = "WALKME_SALESFORCE_CONSOLE_TOKEN"  # noqa: S105 - a variable name
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SECRET_NAME = re.compile(r"(SECRET|TOKEN|PASSWORD|PRIVATE_KEY|PASSPHRASE)", re.IGNORECASE)
REDACTED = "••••••"


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def csrf_token() -> str:
    """The session's CSRF token (made on first use)."""
    token = session.get(CSRF_FIELD)
    if not token:
        token = session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return str(token)


def check_csrf() -> None:
    """Abort with 400 unless a POST carries the session's CSRF token."""
    if request.method in SAFE_METHODS:
        return
    expected = session.get(CSRF_FIELD)
    given = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    if not expected or not hmac.compare_digest(str(expected), given):
        abort(400, description="Missing or wrong CSRF token: reload the page and try again.")


def token_matches(given: str, expected: str) -> bool:
    """Constant-time comparison of the login token."""
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def check_host(allowed: Iterable[str]) -> None:
    """Abort with 400 when the Host header is not one of `allowed` (loopback binds only)."""
    host = (request.host or "").lower()
    if host not in allowed:
        abort(400, description=f"Host {host!r} is not served here.")


class Redactor:
    """Replaces every known secret value in rendered text with a placeholder."""

    def __init__(self, dotenv: Path) -> None:
        self.dotenv = dotenv
        self.extra: set[str] = set()

    def values(self) -> set[str]:
        """Secret values: `.env` entries and process variables with secret-like names."""
        found = {v for k, v in read_env(self.dotenv).items() if _SECRET_NAME.search(k)}
        found |= {v for k, v in os.environ.items() if _SECRET_NAME.search(k)}
        found |= self.extra
        return {v for v in found if v and len(v) >= 6}

    def _current(self) -> list[str]:
        """The values, read once per request (longest first)."""
        if has_request_context():
            cached = getattr(g, "_console_secrets", None)
            if cached is None:
                cached = g._console_secrets = sorted(self.values(), key=len, reverse=True)
            return cached
        return sorted(self.values(), key=len, reverse=True)

    def __call__(self, value: object) -> object:
        if not isinstance(value, str) or not value:
            return value
        for secret in self._current():
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value
