"""``POST /services/oauth2/token`` (every grant) and ``POST /services/oauth2/revoke``.

Grants: ``password`` (username + password, optionally followed by the security token),
``client_credentials`` (the app's run-as user), ``refresh_token``, ``authorization_code`` (the
web-server flow's second step, with PKCE) and JWT bearer (RS256 checked against the connected
app's certificate). Errors are HTTP 400 ``{"error", "error_description"}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import TYPE_CHECKING, Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from .oauth_credentials import check_password, client
from .wire import OAuthError, Request, Response, json_response

if TYPE_CHECKING:
    from .org import Org

CODE_TTL = 900.0
"""Seconds an authorization code stays valid (single use)."""
_JWT_AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")


def token(org: Org, req: Request) -> Response:
    """``POST /services/oauth2/token``."""
    form = req.form()
    grant = form.get("grant_type", "")
    if grant == "password":
        app = client(org, req, form, need_secret=True)
        user = org.user_by_name(form.get("username", ""))
        if not check_password(user, form.get("password", "")):
            raise OAuthError("invalid_grant", "authentication failure")
        assert user is not None
        return json_response(org.tokens.issue(user, app, tuple(app.scopes)))
    if grant == "client_credentials":
        app = client(org, req, form, need_secret=True)
        user = org.user_by_name(app.run_as or "")
        if user is None:
            raise OAuthError("invalid_grant", "no client credentials user enabled")
        return json_response(org.tokens.issue(user, app, tuple(app.scopes)))
    if grant == "refresh_token":
        app = client(org, req, form, need_secret=False)
        rt = org.tokens.refresh.get(form.get("refresh_token", ""))
        if rt is None or rt.client_id != app.client_id or rt.user_id not in org.users:
            raise OAuthError("invalid_grant", "expired access/refresh token")
        user = org.users[rt.user_id]
        return json_response(org.tokens.issue(user, app, rt.scopes, refresh=rt.token))
    if grant == "authorization_code":
        return _authorization_code(org, req, form)
    if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
        return _jwt_bearer(org, form)
    raise OAuthError("unsupported_grant_type", "grant type not supported")


def _authorization_code(org: Org, req: Request, form: dict[str, str]) -> Response:
    app = client(org, req, form, need_secret=False)
    with org.tokens._lock:
        code = org.tokens.codes.get(form.get("code", ""))
        if code is None or code.used or time.time() - code.issued > CODE_TTL:
            raise OAuthError("invalid_grant", "expired authorization code")
        code.used = True
    if code.client_id != app.client_id:
        raise OAuthError("invalid_grant", "expired authorization code")
    if form.get("redirect_uri") != code.redirect_uri:
        raise OAuthError("redirect_uri_mismatch", "redirect_uri must match configuration")
    if code.challenge is not None:
        verifier = form.get("code_verifier")
        if not verifier:
            raise OAuthError("invalid_request", "missing code verifier")
        if code.method == "plain":
            computed = verifier
        else:
            computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            computed = computed.decode().rstrip("=")
        if not hmac.compare_digest(computed, code.challenge):
            raise OAuthError("invalid_grant", "invalid code verifier")
    elif form.get("client_secret") is None:
        raise OAuthError("invalid_client", "invalid client credentials")
    user = org.users.get(code.user_id)
    if user is None:
        raise OAuthError("invalid_grant", "inactive user")
    with_refresh = bool({"refresh_token", "offline_access"} & set(code.scopes))
    return json_response(org.tokens.issue(user, app, code.scopes, with_refresh=with_refresh))


def _load_key(pem: str) -> Any:
    data = pem.encode()
    if b"BEGIN CERTIFICATE" in data:
        return x509.load_pem_x509_certificate(data).public_key()
    return load_pem_public_key(data)


def _jwt_bearer(org: Org, form: dict[str, str]) -> Response:
    assertion = form.get("assertion", "")
    try:
        claims = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise OAuthError("invalid_grant", "invalid assertion") from None
    app = org.apps.get(str(claims.get("iss", "")))
    if app is None:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    if not app.certificate:
        raise OAuthError("invalid_grant", "invalid assertion")
    audiences = [*_JWT_AUDIENCES, org.base_url, org.base_url + "/"]
    try:
        jwt.decode(
            assertion,
            _load_key(app.certificate),
            algorithms=["RS256"],
            audience=audiences,
            options={"require": ["exp", "sub", "aud", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise OAuthError("invalid_grant", "expired authorization code") from None
    except jwt.InvalidAudienceError:
        raise OAuthError("invalid_grant", "audience is invalid") from None
    except (jwt.PyJWTError, ValueError):
        raise OAuthError("invalid_grant", "invalid assertion") from None
    user = org.user_by_name(str(claims.get("sub", "")))
    if user is None or not user.active:
        raise OAuthError("invalid_grant", "user hasn't approved this consumer")
    return json_response(
        org.tokens.issue(user, app, tuple(s for s in app.scopes if s != "refresh_token"))
    )


def revoke(org: Org, req: Request) -> Response:
    """``POST /services/oauth2/revoke`` (also GET with ``?token=``)."""
    tok = req.form().get("token", "")
    if not tok or not org.tokens.revoke(tok):
        raise OAuthError("invalid_token", "invalid token")
    return Response(200, b"", content_type=None)
