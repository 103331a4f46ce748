"""OAuth 2.0 flows that turn connection settings into a Salesforce access token.

Supported flows (``auth_flow``):

``refresh_token``
    Stored refresh token + connected app ``client_id`` (and ``client_secret`` when the app needs
    it). The usual choice for a scheduled pipeline; renewable.
``jwt_bearer``
    Server-to-server: an RS256 JWT signed with ``private_key`` / ``private_key_path`` whose
    certificate is uploaded to the connected app; ``username`` is the run-as user. Renewable.
``client_credentials``
    Connected app ``client_id`` + ``client_secret`` with a run-as user set on the app; only on a
    My Domain ``login_url``. Renewable.
``password``
    Username-password flow. **For tests and the local emulator only** — Salesforce discourages it
    and it is blocked in many orgs. Renewable.
``access_token``
    A ready ``access_token`` + ``instance_url``. Not renewable: when it expires the run stops.

Every call to the token endpoint is here: the flows above (:meth:`Authenticator.authenticate`),
the web-server flow's code exchange (:func:`exchange_code`; PKCE, the authorize URL and the
loopback receiver are :mod:`.oauth_web_flow`'s) and revocation (:func:`revoke_token`), and
every refusal is built by :func:`.errors.oauth_refusal`. The settings are checked by
:mod:`.connection_settings` (re-exported here).

TLS verification is always on (``requests`` honours ``REQUESTS_CA_BUNDLE``), and only ``https``
URLs are accepted except for loopback hosts, where a local emulator may speak plain HTTP.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests

from ..exceptions import AuthenticationError, ConfigurationError
from .connection_settings import (
    AUTH_FLOWS,
    PRODUCTION_LOGIN_URL,
    REQUIRED_SETTINGS,
    SANDBOX_LOGIN_URL,
    check_url,
    infer_auth_flow,
    load_private_key,
)
from .errors import OAUTH_FIXES, oauth_refusal, tls_error
from .jwt_assertion import JWT_GRANT_TYPE, jwt_assertion

__all__ = [
    "AUTH_FLOWS",
    "PRODUCTION_LOGIN_URL",
    "SANDBOX_LOGIN_URL",
    "Authenticator",
    "Token",
    "WebFlowResult",
    "check_url",
    "exchange_code",
    "infer_auth_flow",
    "oauth_refusal",
    "revoke_token",
    "tls_error",
]


@dataclass(frozen=True)
class Token:
    """An access token and where to use it. ``repr`` never shows the token."""

    access_token: str = field(repr=False)
    instance_url: str
    identity_url: str | None = None
    refresh_token: str | None = field(default=None, repr=False)
    issued_at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class WebFlowResult:
    """What the token endpoint returned for the authorization code. `repr` hides tokens."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    instance_url: str
    identity_url: str | None
    scope: str | None


class CodeVerifier(Protocol):
    """A PKCE pair (:class:`.oauth_web_flow.Pkce`): only its verifier goes to the token call."""

    @property
    def verifier(self) -> str: ...


# ----------------------------------------------------------------- the token endpoint


def _post(
    session: requests.Session, url: str, form: Mapping[str, str], timeout: float, unreachable: str
) -> requests.Response:
    """POST a form to an OAuth endpoint; TLS and network failures become our errors."""
    try:
        return session.post(
            url, data=dict(form), timeout=timeout, headers={"Accept": "application/json"}
        )
    except requests.exceptions.SSLError:
        raise tls_error(url) from None
    except requests.RequestException as exc:
        raise AuthenticationError(unreachable.replace("{error}", type(exc).__name__)) from None


def _json_object(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def token_call(
    session: requests.Session,
    login_url: str,
    form: Mapping[str, str],
    timeout: float,
    *,
    unreachable: str,
    refused: Any,
) -> dict[str, Any]:
    """POST ``form`` to ``/services/oauth2/token``; returns the answer holding an access token.

    ``unreachable`` is the message (with ``{error}``) for a network failure; ``refused(status,
    body)`` builds the error for any other answer.
    """
    response = _post(session, f"{login_url}/services/oauth2/token", form, timeout, unreachable)
    body = _json_object(response)
    if response.status_code != 200 or not body.get("access_token"):
        raise refused(response.status_code, body)
    return body


class Authenticator:
    """Obtains (and renews) access tokens for one set of connection settings.

    Holds the secrets for the lifetime of the client; its ``repr`` shows none of them.
    """

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.flow = infer_auth_flow(config)
        missing = [k for k in REQUIRED_SETTINGS[self.flow] if not config.get(k)]
        if missing:
            raise ConfigurationError(
                f"auth_flow {self.flow} needs {', '.join(missing)}: add "
                f"{'it' if len(missing) == 1 else 'them'} to the target's config"
            )
        self.login_url = check_url(
            str(config.get("login_url") or PRODUCTION_LOGIN_URL), "login_url"
        )
        self._client_id: str | None = config.get("client_id")
        self._client_secret: str | None = config.get("client_secret")
        self._refresh_token: str | None = config.get("refresh_token")
        self._username: str | None = config.get("username")
        self._password: str | None = config.get("password")
        self._access_token: str | None = config.get("access_token")
        self._instance_url: str | None = (
            check_url(str(config["instance_url"]), "instance_url")
            if config.get("instance_url")
            else None
        )
        self._private_key: str | None = None
        if self.flow == "jwt_bearer":
            self._private_key = load_private_key(config)

    def __repr__(self) -> str:
        return f"Authenticator(flow={self.flow!r}, login_url={self.login_url!r})"

    @property
    def can_renew(self) -> bool:
        """Whether a new token can be obtained when the current one expires."""
        return self.flow != "access_token"

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in logs or error text."""
        values = (
            self._client_secret,
            self._refresh_token,
            self._password,
            self._access_token,
            self._private_key,
        )
        return tuple(v for v in values if v)

    @property
    def refresh_token(self) -> str | None:
        """The configured refresh token (used by ``revoke``)."""
        return self._refresh_token

    def authenticate(self, session: requests.Session, timeout: float) -> Token:
        """Run the configured flow and return a fresh token."""
        if self.flow == "access_token":
            assert self._access_token is not None and self._instance_url is not None
            return Token(self._access_token, self._instance_url)
        form: dict[str, str] = {}
        if self.flow == "refresh_token":
            form = {"grant_type": "refresh_token", "refresh_token": self._refresh_token or ""}
            form.update(self._client_form())
        elif self.flow == "jwt_bearer":
            assertion = jwt_assertion(
                self._client_id or "", self._username or "", self.login_url, self._private_key
            )
            form = {"grant_type": JWT_GRANT_TYPE, "assertion": assertion}
        elif self.flow == "client_credentials":
            form = {"grant_type": "client_credentials", **self._client_form()}
        elif self.flow == "password":
            form = {
                "grant_type": "password",
                "username": self._username or "",
                "password": self._password or "",
                **self._client_form(),
            }
        return self._token_request(session, form, timeout)

    def _client_form(self) -> dict[str, str]:
        form = {"client_id": self._client_id or ""}
        if self._client_secret:
            form["client_secret"] = self._client_secret
        return form

    def _token_request(
        self, session: requests.Session, form: dict[str, str], timeout: float
    ) -> Token:
        body = token_call(
            session,
            self.login_url,
            form,
            timeout,
            unreachable=f"could not reach {self.login_url} for the {self.flow} flow "
            "({error}): check login_url and the network",
            refused=self._oauth_error,
        )
        instance_url = body.get("instance_url") or self._instance_url
        if not instance_url:
            raise AuthenticationError(
                f"the {self.flow} flow returned no instance_url: set instance_url in the config"
            )
        return Token(
            access_token=str(body["access_token"]),
            instance_url=check_url(str(instance_url), "instance_url returned by the token call"),
            identity_url=body.get("id"),
            refresh_token=body.get("refresh_token"),
        )

    def _oauth_error(self, status: int, body: Mapping[str, Any]) -> AuthenticationError:
        code = str(body.get("error") or f"HTTP {status}")
        fix = OAUTH_FIXES.get(code, "check the connection settings")
        if code == "invalid_grant":
            fix = {
                "refresh_token": "the refresh token is expired or revoked: authorise the "
                "connected app again to get a new refresh_token",
                "jwt_bearer": "the JWT was refused: check that username is right, that the "
                "user (or their profile) is pre-approved for the connected app and that the "
                "uploaded certificate matches private_key",
                "client_credentials": "check the connected app's run-as user",
                "password": "check username and password (append the security token to the "
                "password when the org requires one)",
            }.get(self.flow, fix)
        return oauth_refusal(
            f"the {self.flow} login at {self.login_url}",
            fix,
            status=status,
            code=code,
            description=str(body.get("error_description") or ""),
            secrets=self.secrets,
        )


def exchange_code(
    login_url: str,
    client_id: str,
    client_secret: str | None,
    code: str,
    redirect_uri: str,
    pkce: CodeVerifier,
    *,
    timeout: float = 60.0,
) -> WebFlowResult:
    """Web-server flow: trade the authorization code (+ PKCE verifier) for tokens."""
    login_url = check_url(login_url, "login_url")
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "code_verifier": pkce.verifier,
    }
    if client_secret:
        form["client_secret"] = client_secret

    def refused(status: int, body: Mapping[str, Any]) -> AuthenticationError:
        return oauth_refusal(
            "the authorization code",
            "check client_id/client_secret against the connected app and retry the login "
            "(a code is single-use and expires after a few minutes)",
            status=status,
            code=str(body.get("error") or f"HTTP {status}"),
            description=str(body.get("error_description") or ""),
            secrets=(code, client_secret, pkce.verifier),
        )

    with requests.Session() as session:
        body = token_call(
            session,
            login_url,
            form,
            timeout,
            unreachable=f"could not reach {login_url} to finish the login ({{error}}): check "
            "the login URL and the network",
            refused=refused,
        )
    return WebFlowResult(
        access_token=str(body["access_token"]),
        refresh_token=body.get("refresh_token"),
        instance_url=check_url(str(body.get("instance_url") or ""), "instance_url"),
        identity_url=body.get("id"),
        scope=body.get("scope"),
    )


def revoke_token(session: requests.Session, login_url: str, token: str, timeout: float) -> None:
    """Revoke an access or refresh token (revoking a refresh token ends its sessions too)."""
    login_url = check_url(login_url, "login_url")
    response = _post(
        session,
        f"{login_url}/services/oauth2/revoke",
        {"token": token},
        timeout,
        f"could not reach {login_url} to revoke the token ({{error}})",
    )
    if response.status_code != 200:
        code = str(_json_object(response).get("error") or "")
        raise oauth_refusal(
            "to revoke the token",
            "it may already be revoked or expired",
            status=response.status_code,
            code=code or None,
            shown=f"HTTP {response.status_code} {code}".strip(),
            secrets=(token,),
        )
