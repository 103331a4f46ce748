"""`POST /accounts/connect/token` [token]: WalkMe's OAuth client-credentials grant.

Client id and secret in HTTP Basic, form body `grant_type=client_credentials` →
`{"access_token", "token_type": "bearer", "expires_in"}`; 401 `invalid_client` for missing or
wrong credentials (credentials in the form body are not accepted, as on WalkMe), 400
`unsupported_grant_type` for any other grant, 405 for another method.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from .auth import parse_basic

if TYPE_CHECKING:
    from .server import Handler

MAX_FORM_BYTES = 1 << 16


def handle(handler: Handler) -> None:
    route = "POST /accounts/connect/token"
    if handler.command != "POST":
        handler.discard_body()
        handler.send_json(
            f"{handler.command} /accounts/connect/token",
            405,
            {"error": "method_not_allowed", "error_description": "Use POST."},
            {"Allow": "POST"},
        )
        return
    handler.state.stats.count("token_requests")
    if handler.apply_fault("token", route) is None:
        return
    body = handler.read_body(MAX_FORM_BYTES)
    if body is None:
        handler.send_json(route, 413, {"error": "invalid_request", "error_description": "Too big"})
        return
    form = parse_qs(body.decode("utf-8", "replace"))
    credentials = parse_basic(handler.headers.get("Authorization"))
    if credentials is None:
        hint = (
            " (client_id/client_secret in the form body are not accepted)"
            if "client_secret" in form or "client_id" in form
            else ""
        )
        handler.send_json(
            route,
            401,
            {
                "error": "invalid_client",
                "error_description": "Client authentication failed: send the client id and "
                f"secret as HTTP Basic authorization{hint}.",
            },
            {"WWW-Authenticate": 'Basic realm="walkme"'},
        )
        return
    grant = form.get("grant_type", [""])[0]
    if grant != "client_credentials":
        handler.send_json(
            route,
            400,
            {
                "error": "unsupported_grant_type",
                "error_description": "grant_type must be client_credentials.",
            },
        )
        return
    key = handler.state.keyring.check_client(*credentials)
    if key is None:
        handler.send_json(
            route,
            401,
            {"error": "invalid_client", "error_description": "Invalid client credentials."},
            {"WWW-Authenticate": 'Basic realm="walkme"'},
        )
        return
    token, expires_in = handler.state.keyring.issue(key, handler.state.now())
    handler.state.stats.count("tokens_issued")
    handler.send_json(
        route,
        200,
        {"access_token": token, "token_type": "bearer", "expires_in": expires_in},
        {"Cache-Control": "no-store", "Pragma": "no-cache"},
    )
