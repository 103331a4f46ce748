"""Checks shared by the OAuth endpoints (and SOAP ``login()``): the connected app's client
credentials, a user's password (optionally followed by the security token), requested scopes."""

from __future__ import annotations

import base64
import hmac
from typing import TYPE_CHECKING

from .wire import OAuthError, Request

if TYPE_CHECKING:
    from .org import Org
    from .users import ConnectedApp, User


def client(org: Org, req: Request, form: dict[str, str], *, need_secret: bool) -> ConnectedApp:
    client_id, secret = form.get("client_id"), form.get("client_secret")
    auth = req.headers.get("authorization", "")
    if auth.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(auth[6:].strip()).decode()
            client_id, _, secret = decoded.partition(":")
        except (ValueError, UnicodeDecodeError):
            raise OAuthError("invalid_client", "invalid client credentials") from None
    app = org.apps.get(client_id or "")
    if app is None:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    if (need_secret or secret is not None) and not hmac.compare_digest(
        (secret or "").encode(), app.client_secret.encode()
    ):
        raise OAuthError("invalid_client", "invalid client credentials")
    return app


def check_password(user: User | None, password: str) -> bool:
    if user is None or not user.active:
        return False
    candidates = [user.password]
    if user.security_token:
        candidates.append(user.password + user.security_token)
    return any(hmac.compare_digest(password.encode(), c.encode()) for c in candidates)


def scopes(app: ConnectedApp, requested: str | None) -> tuple[str, ...]:
    if requested:
        return tuple(dict.fromkeys(requested.replace(",", " ").split()))
    return tuple(app.scopes)
