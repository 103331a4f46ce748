"""OAuth 2.0 under ``/services/oauth2/``, as Salesforce answers it: this module routes each
endpoint to :mod:`.oauth_token` (token, revoke), :mod:`.oauth_authorize` (authorize) and
:mod:`.identity` (userinfo; the identity URL is routed by :mod:`.dispatch`).

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

from typing import TYPE_CHECKING

from .identity import userinfo
from .oauth_authorize import authorize
from .oauth_token import revoke, token
from .wire import OAuthError, Request, Response, not_found

if TYPE_CHECKING:
    from .org import Org

_ENDPOINTS = {
    "token": (("POST",), token),
    "authorize": (("GET", "POST"), authorize),
    "revoke": (("GET", "POST"), revoke),
    "userinfo": (("GET", "POST"), userinfo),
}


def handle(org: Org, req: Request) -> Response:
    """Answer a request under ``/services/oauth2/`` (not counted against API limits)."""
    org.stats.request("oauth", counted=False)
    name = req.path[len("/services/oauth2/") :].rstrip("/")
    methods, endpoint = _ENDPOINTS.get(name, ((), None))
    if endpoint is None or req.method not in methods:
        raise not_found()
    try:
        return endpoint(org, req)
    except OAuthError as exc:
        return exc.response()
