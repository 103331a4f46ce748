"""``GET/POST /services/oauth2/authorize``: the web-server flow's first step, with a minimal
consent page (or at once with auto-approve), PKCE ``code_challenge`` and ``state``."""

from __future__ import annotations

import html
import secrets
import time
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from .oauth_credentials import check_password, scopes
from .tokens import AuthCode
from .wire import Request, Response

if TYPE_CHECKING:
    from .org import Org
    from .users import ConnectedApp, User


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
            scopes(app, params.get("scope")),
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
