"""The OAuth 2.0 web-server flow with PKCE and `state`, received on a loopback redirect.

This is how a person connects an org from the command line (what WalkMe's wizard does with its
"Connect" button): open the authorize URL in a browser, log in and approve, and Salesforce
redirects to `http://localhost:PORT/PATH?code=…&state=…`, where a one-shot local listener waits.
The code is then exchanged, with the PKCE verifier, for an access token, the instance URL and a
refresh token (the connected app must grant the `refresh_token` scope) by `auth.exchange_code`,
where every token-endpoint call lives; this module holds PKCE, the authorize URL and the
loopback receiver.

- PKCE (RFC 7636, S256): the verifier never leaves this process until the token call, so an
  intercepted code is useless.
- `state`: a random value checked on the redirect, so a forged redirect is refused.
- The listener binds to the loopback interface only and answers exactly one matching request.

Nothing here logs or returns secrets in error messages.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from ..exceptions import AuthenticationError, ConfigurationError, redact
from .auth import check_url

DEFAULT_REDIRECT_URI = "http://localhost:1717/OauthRedirect"
DEFAULT_SCOPE = "api refresh_token"


@dataclass(frozen=True)
class Pkce:
    """A PKCE verifier and its S256 challenge. `repr` hides the verifier."""

    verifier: str = field(repr=False)
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        """Make a fresh 64-character verifier (RFC 7636 allows 43 to 128)."""
        verifier = secrets.token_urlsafe(48)
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
        return cls(verifier=verifier, challenge=challenge)


def authorize_url(
    login_url: str,
    client_id: str,
    redirect_uri: str,
    state: str,
    pkce: Pkce,
    scope: str = DEFAULT_SCOPE,
    *,
    prompt_login: bool = False,
) -> str:
    """The URL a person opens to approve the connected app (no secret is in it)."""
    login_url = check_url(login_url, "login_url")
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
        "scope": scope,
    }
    if prompt_login:
        params["prompt"] = "login"
    return f"{login_url}/services/oauth2/authorize?{urlencode(params)}"


def check_redirect_uri(redirect_uri: str) -> tuple[str, int, str]:
    """Return (host, port, path) of a loopback `http://` redirect URI, or explain the problem."""
    parts = urlsplit(redirect_uri)
    host = (parts.hostname or "").lower()
    if parts.scheme != "http" or host not in {"localhost", "127.0.0.1"} or not parts.port:
        raise ConfigurationError(
            f"redirect URI {redirect_uri!r} is not a loopback address this command can listen "
            f"on: use http://localhost:PORT/PATH (e.g. {DEFAULT_REDIRECT_URI}) and add exactly "
            "that URI to the connected app's callback URLs"
        )
    return host, parts.port, parts.path or "/"


class LoopbackReceiver:
    """A one-shot HTTP listener on 127.0.0.1 that captures the authorization redirect."""

    def __init__(self, redirect_uri: str, expected_state: str) -> None:
        _host, port, self.path = check_redirect_uri(redirect_uri)
        self.expected_state = expected_state
        self.params: dict[str, str] | None = None
        self._done = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != receiver.path or receiver._done.is_set():
                    self.send_error(404)
                    return
                params = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if params.get("state") != receiver.expected_state:
                    # Not our redirect (or forged): refuse and keep waiting for the real one.
                    self._reply(400, "This sign-in response does not match the pending request.")
                    return
                receiver.params = params
                if "code" in params:
                    self._reply(200, "Salesforce is connected. You can close this window.")
                else:
                    self._reply(400, "Salesforce did not authorise the app. See the terminal.")
                receiver._done.set()

            def _reply(self, status: int, message: str) -> None:
                body = (
                    f"<!doctype html><title>target-salesforce-update</title>"
                    f"<p>{html.escape(message)}</p>"
                ).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Silence access logs: the query string carries the authorization code."""

        try:
            self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        except OSError as exc:
            raise ConfigurationError(
                f"cannot listen on 127.0.0.1:{port} for the OAuth redirect ({exc.strerror}): "
                "free the port or use --redirect-uri with another port registered on the "
                "connected app"
            ) from None
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> LoopbackReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait(self, timeout: float) -> str:
        """Wait for the redirect and return the authorization code, or raise with the reason."""
        if not self._done.wait(timeout):
            raise AuthenticationError(
                f"no authorization arrived within {int(timeout)} s: open the printed URL, log "
                "in and approve the app (or raise --timeout)"
            )
        params = self.params or {}
        if "code" not in params:
            error = params.get("error", "unknown_error")
            description = params.get("error_description", "")
            raise AuthenticationError(
                f"Salesforce did not authorise the app: {error}"
                + (f" ({redact(description)})" if description else "")
                + "; check the connected app's callback URL, OAuth scopes and the user's access",
                error_code=error,
            )
        return params["code"]
