"""OAuth 2.0 under ``/services/oauth2/`` and the identity URL, as Salesforce answers them.

Flows: web server (``authorize`` + ``authorization_code`` with PKCE and ``state``),
``refresh_token``, ``client_credentials``, JWT bearer (RS256 checked against the connected
app's certificate) and ``password`` (username + password, optionally followed by the security
token). Token responses carry exactly Salesforce's fields: ``issued_at`` in epoch milliseconds
as a string, no ``expires_in``, a ``refresh_token`` only for the web-server flow with the
``refresh_token``/``offline_access`` scope. Access tokens expire after the org's token TTL (or
when expired by the fault API); refresh tokens live until revoked, and revoking a refresh token
kills the access tokens issued from it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from .wire import OAuthError, Request, Response, json_response

if TYPE_CHECKING:
    from .org import Org
    from .users import ConnectedApp, User

DEFAULT_TOKEN_TTL = 7200.0  # Salesforce's default session timeout: two hours
_CODE_TTL = 900.0
_JWT_AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")


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


# -- helpers ---------------------------------------------------------------------------------
def _client(org: Org, req: Request, form: dict[str, str], *, need_secret: bool) -> ConnectedApp:
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


def _scopes(app: ConnectedApp, requested: str | None) -> tuple[str, ...]:
    if requested:
        return tuple(dict.fromkeys(requested.replace(",", " ").split()))
    return tuple(app.scopes)


# -- endpoints -------------------------------------------------------------------------------
def token(org: Org, req: Request) -> Response:
    """``POST /services/oauth2/token``."""
    form = req.form()
    grant = form.get("grant_type", "")
    if grant == "password":
        app = _client(org, req, form, need_secret=True)
        user = org.user_by_name(form.get("username", ""))
        if not check_password(user, form.get("password", "")):
            raise OAuthError("invalid_grant", "authentication failure")
        assert user is not None
        return json_response(org.tokens.issue(user, app, tuple(app.scopes)))
    if grant == "client_credentials":
        app = _client(org, req, form, need_secret=True)
        user = org.user_by_name(app.run_as or "")
        if user is None:
            raise OAuthError("invalid_grant", "no client credentials user enabled")
        return json_response(org.tokens.issue(user, app, tuple(app.scopes)))
    if grant == "refresh_token":
        app = _client(org, req, form, need_secret=False)
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
    app = _client(org, req, form, need_secret=False)
    with org.tokens._lock:
        code = org.tokens.codes.get(form.get("code", ""))
        if code is None or code.used or time.time() - code.issued > _CODE_TTL:
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


def _redirect(location: str) -> Response:
    return Response(302, b"", content_type=None, headers={"Location": location})


def _error_page(status: int, error: str, description: str) -> Response:
    body = (
        f"<!DOCTYPE html><html><head><title>Error</title></head><body><h1>error={error}</h1>"
        f"<p>{html.escape(description)}</p></body></html>"
    )
    return Response(status, body.encode(), content_type="text/html;charset=UTF-8")


def authorize(org: Org, req: Request) -> Response:
    """``GET/POST /services/oauth2/authorize``: web-server flow with a minimal consent page.

    With auto-approve on (``--auto-approve`` or the faults API), GET redirects at once as the
    user named by ``login_hint`` (default: the first Modify-All-Data user).
    """
    params = req.form()
    app = org.apps.get(params.get("client_id", ""))
    if app is None:
        return _error_page(400, "invalid_client_id", "client identifier invalid")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in app.redirect_uris:
        return _error_page(400, "redirect_uri_mismatch", "redirect_uri must match configuration")
    state = params.get("state")

    def back(extra: dict[str, str]) -> Response:
        if state is not None:
            extra["state"] = state
        sep = "&" if "?" in redirect_uri else "?"
        return _redirect(redirect_uri + sep + urlencode(extra))

    if params.get("response_type") != "code":
        return back(
            {
                "error": "unsupported_response_type",
                "error_description": "response type not supported",
            }
        )
    method = params.get("code_challenge_method", "S256")
    if method not in ("S256", "plain"):
        return back(
            {"error": "invalid_request", "error_description": "invalid code_challenge_method"}
        )
    user: User | None = None
    if req.method == "POST" and params.get("action") == "deny":
        return back(
            {"error": "access_denied", "error_description": "end-user denied authorization"}
        )
    if req.method == "POST":
        user = org.user_by_name(params.get("username", ""))
        if not check_password(user, params.get("password", "")):
            return _consent_page(params, app, "Please check your username and password.")
    elif org.auto_approve:
        hint = params.get("login_hint")
        user = org.user_by_name(hint) if hint else org.admin()
        if user is None:
            return back({"error": "access_denied", "error_description": "unknown login_hint"})
    else:
        return _consent_page(params, app, None)
    assert user is not None
    code = secrets.token_urlsafe(48)
    with org.tokens._lock:
        org.tokens.codes[code] = AuthCode(
            code,
            app.client_id,
            redirect_uri,
            user.id,
            _scopes(app, params.get("scope")),
            params.get("code_challenge"),
            method,
            time.time(),
        )
    return back({"code": code})


def _consent_page(params: dict[str, str], app: ConnectedApp, error: str | None) -> Response:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params.items()
        if k not in {"username", "password", "action"}
    )
    err = f'<p class="error">{html.escape(error)}</p>' if error else ""
    body = f"""<!DOCTYPE html>
<html><head><title>Allow Access? | Salesforce emulator</title></head><body>
<h1>Allow Access?</h1><p>{html.escape(app.name)} is asking to access your emulated org.</p>{err}
<form method="post" action="/services/oauth2/authorize">{hidden}
<label>Username <input name="username" autocomplete="username"></label>
<label>Password <input name="password" type="password"></label>
<button name="action" value="allow">Allow</button>
<button name="action" value="deny">Deny</button></form></body></html>"""
    return Response(200, body.encode(), content_type="text/html;charset=UTF-8")


def revoke(org: Org, req: Request) -> Response:
    """``POST /services/oauth2/revoke`` (also GET with ``?token=``)."""
    tok = req.form().get("token", "")
    if not tok or not org.tokens.revoke(tok):
        raise OAuthError("invalid_token", "invalid token")
    return Response(200, b"", content_type=None)


def bearer(req: Request) -> str | None:
    auth = req.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() in {"bearer", "oauth"} and value.strip():
        return value.strip()
    return None


def _identity_user(org: Org, req: Request) -> User | None:
    tok = bearer(req) or req.arg("oauth_token")
    info = org.tokens.validate(tok) if tok else None
    return org.users.get(info.user_id) if info else None


def _urls(org: Org, user: User) -> dict[str, str]:
    base = org.base_url
    return {
        "enterprise": f"{base}/services/Soap/c/{{version}}/{org.org_id[:15]}",
        "metadata": f"{base}/services/Soap/m/{{version}}/{org.org_id[:15]}",
        "partner": f"{base}/services/Soap/u/{{version}}/{org.org_id[:15]}",
        "rest": f"{base}/services/data/v{{version}}/",
        "sobjects": f"{base}/services/data/v{{version}}/sobjects/",
        "search": f"{base}/services/data/v{{version}}/search/",
        "query": f"{base}/services/data/v{{version}}/query/",
        "recent": f"{base}/services/data/v{{version}}/recent/",
        "profile": f"{base}/{user.id}",
        "custom_domain": base,
    }


def userinfo(org: Org, req: Request) -> Response:
    """``GET /services/oauth2/userinfo`` (OpenID Connect shape)."""
    user = _identity_user(org, req)
    if user is None:
        return Response(403, b"Bad_OAuth_Token", content_type="text/plain;charset=UTF-8")
    id_url = f"{org.base_url}/id/{org.org_id}/{user.id}"
    return json_response(
        {
            "sub": id_url,
            "user_id": user.id,
            "organization_id": org.org_id,
            "preferred_username": user.username,
            "nickname": user.username.split("@")[0],
            "name": user.display_name,
            "email": user.email,
            "email_verified": True,
            "given_name": user.first_name,
            "family_name": user.last_name,
            "zoneinfo": "GMT",
            "profile": f"{org.base_url}/{user.id}",
            "urls": _urls(org, user),
            "active": user.active,
            "user_type": "STANDARD",
            "language": "en_US",
            "locale": "en_US",
            "utcOffset": 0,
            "updated_at": "2026-01-01T00:00:00Z",
            "is_app_installed": True,
        }
    )


def identity(org: Org, req: Request, org_id: str, user_id: str) -> Response:
    """``GET /id/{orgId}/{userId}``: the identity URL from the token response."""
    user = _identity_user(org, req)
    if user is None:
        return Response(403, b"Bad_OAuth_Token", content_type="text/plain;charset=UTF-8")
    if org_id[:15] != org.org_id[:15] or user_id[:15] != user.id[:15]:
        return Response(403, b"Bad_Id", content_type="text/plain;charset=UTF-8")
    return json_response(
        {
            "id": f"{org.base_url}/id/{org.org_id}/{user.id}",
            "asserted_user": True,
            "user_id": user.id,
            "organization_id": org.org_id,
            "username": user.username,
            "nick_name": user.username.split("@")[0],
            "display_name": user.display_name,
            "email": user.email,
            "email_verified": True,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "timezone": "GMT",
            "status": {"created_date": None, "body": None},
            "urls": _urls(org, user),
            "active": user.active,
            "user_type": "STANDARD",
            "language": "en_US",
            "locale": "en_US",
            "utcOffset": 0,
            "last_modified_date": "2026-01-01T00:00:00.000+0000",
            "is_app_installed": True,
        }
    )
