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

TLS verification is always on (``requests`` honours ``REQUESTS_CA_BUNDLE``), and only ``https``
URLs are accepted except for loopback hosts, where a local emulator may speak plain HTTP.
"""

from __future__ import annotations

import ipaddress
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from ..exceptions import (
    AuthenticationError,
    ConfigurationError,
    SalesforceError,
    TlsVerificationError,
    redact,
)
from ..settings import AUTH_FLOWS, default

__all__ = [
    "AUTH_FLOWS",
    "PRODUCTION_LOGIN_URL",
    "SANDBOX_LOGIN_URL",
    "Authenticator",
    "Token",
    "check_url",
    "infer_auth_flow",
    "revoke_token",
    "tls_error",
]

PRODUCTION_LOGIN_URL: str = default("login_url")
SANDBOX_LOGIN_URL = "https://test.salesforce.com"
JWT_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
JWT_LIFETIME_SECONDS = 180

# What to tell the user for each OAuth error we can recognise.
_OAUTH_FIXES = {
    "invalid_client_id": "the client_id is not a known connected app consumer key: copy the "
    "Consumer Key from the connected app into client_id",
    "invalid_client": "the client_id/client_secret pair was refused: check client_secret "
    "against the connected app's Consumer Secret",
    "invalid_grant": "the grant was refused",
    "unsupported_grant_type": "this org or login_url does not allow this auth_flow: "
    "client_credentials needs a My Domain login_url and the flow enabled on the connected app",
    "inactive_user": "the user is inactive: activate the user or use another one",
    "inactive_org": "the org is locked, closed or suspended",
}


@dataclass(frozen=True)
class Token:
    """An access token and where to use it. ``repr`` never shows the token."""

    access_token: str = field(repr=False)
    instance_url: str
    identity_url: str | None = None
    refresh_token: str | None = field(default=None, repr=False)
    issued_at: float = field(default_factory=time.time)


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, setting: str) -> str:
    """Validate a Salesforce URL setting and return it without a trailing slash.

    ``https`` is required; ``http`` is accepted only for loopback hosts (a local emulator).
    """
    if not isinstance(url, str) or not url.strip():
        raise ConfigurationError(f"{setting} is empty: set it to an https:// URL")
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigurationError(
            f"{setting} must be an https:// URL such as {PRODUCTION_LOGIN_URL}, got {url!r}"
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigurationError(
            f"{setting} uses http:// with the non-loopback host {parts.hostname!r}; Salesforce "
            "credentials must travel over TLS: use https://"
        )
    if parts.username or parts.password:
        raise ConfigurationError(f"{setting} must not contain credentials")
    return url


def infer_auth_flow(config: Mapping[str, Any]) -> str:
    """Return ``config["auth_flow"]`` or, when absent, the flow the given settings imply."""
    flow = config.get("auth_flow")
    if flow:
        if flow not in AUTH_FLOWS:
            raise ConfigurationError(
                f"auth_flow {flow!r} is not supported: use one of {', '.join(AUTH_FLOWS)}"
            )
        return str(flow)
    if config.get("refresh_token"):
        return "refresh_token"
    if config.get("private_key") or config.get("private_key_path"):
        return "jwt_bearer"
    if config.get("username") and config.get("password"):
        return "password"
    if config.get("client_id") and config.get("client_secret"):
        return "client_credentials"
    if config.get("access_token"):
        return "access_token"
    raise ConfigurationError(
        "no Salesforce credentials configured: set client_id + refresh_token (refresh_token "
        "flow), client_id + username + private_key (jwt_bearer), client_id + client_secret "
        "(client_credentials) or access_token + instance_url"
    )


_REQUIRED = {
    "refresh_token": ("client_id", "refresh_token"),
    "jwt_bearer": ("client_id", "username"),
    "client_credentials": ("client_id", "client_secret"),
    "password": ("client_id", "username", "password"),
    "access_token": ("access_token", "instance_url"),
}


class Authenticator:
    """Obtains (and renews) access tokens for one set of connection settings.

    Holds the secrets for the lifetime of the client; its ``repr`` shows none of them.
    """

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.flow = infer_auth_flow(config)
        missing = [k for k in _REQUIRED[self.flow] if not config.get(k)]
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
            self._private_key = _load_private_key(config)

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
            form = {"grant_type": JWT_GRANT_TYPE, "assertion": self._jwt_assertion()}
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

    def _jwt_audience(self) -> str:
        """Salesforce wants login/test.salesforce.com as ``aud`` even behind My Domain."""
        host = (urlsplit(self.login_url).hostname or "").lower()
        if host == "test.salesforce.com" or host.endswith(".sandbox.my.salesforce.com"):
            return SANDBOX_LOGIN_URL
        if host.endswith("salesforce.com"):
            return PRODUCTION_LOGIN_URL
        return self.login_url

    def _jwt_assertion(self) -> str:
        import jwt  # imported lazily: only this flow needs pyjwt's crypto backend

        now = int(time.time())
        claims = {
            "iss": self._client_id,
            "sub": self._username,
            "aud": self._jwt_audience(),
            "exp": now + JWT_LIFETIME_SECONDS,
            "iat": now,
            "jti": uuid.uuid4().hex,
        }
        try:
            return jwt.encode(claims, self._private_key, algorithm="RS256")
        except (ValueError, TypeError, jwt.PyJWTError) as exc:
            raise ConfigurationError(
                f"private_key could not sign the JWT ({type(exc).__name__}): supply the RSA "
                "private key in PEM form whose certificate is uploaded to the connected app"
            ) from None

    def _token_request(
        self, session: requests.Session, form: dict[str, str], timeout: float
    ) -> Token:
        url = f"{self.login_url}/services/oauth2/token"
        try:
            response = session.post(
                url, data=form, timeout=timeout, headers={"Accept": "application/json"}
            )
        except requests.exceptions.SSLError:
            raise tls_error(self.login_url) from None
        except requests.RequestException as exc:
            raise AuthenticationError(
                f"could not reach {self.login_url} for the {self.flow} flow "
                f"({type(exc).__name__}): check login_url and the network"
            ) from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if response.status_code != 200 or not body.get("access_token"):
            raise self._oauth_error(response.status_code, body)
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

    def _oauth_error(self, status: int, body: Mapping[str, Any]) -> SalesforceError:
        code = str(body.get("error") or f"HTTP {status}")
        description = redact(str(body.get("error_description") or ""), self.secrets)
        fix = _OAUTH_FIXES.get(code, "check the connection settings")
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
        detail = f" ({description})" if description else ""
        return AuthenticationError(
            f"Salesforce refused the {self.flow} login at {self.login_url}: {code}{detail}; {fix}",
            status=status,
            error_code=code,
        )


def tls_error(url: str) -> TlsVerificationError:
    """The error for a certificate that does not verify (never retried: it will not heal)."""
    return TlsVerificationError(
        f"the TLS certificate of {urlsplit(url).netloc} could not be verified: fix the URL, "
        "or point REQUESTS_CA_BUNDLE at the CA bundle that signs it (verification is never "
        "switched off)"
    )


def _load_private_key(config: Mapping[str, Any]) -> str:
    key = config.get("private_key")
    if not key and config.get("private_key_path"):
        path = Path(str(config["private_key_path"])).expanduser()
        try:
            key = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(
                f"private_key_path {str(path)!r} cannot be read ({exc.strerror}): point it at "
                "the PEM file of the connected app's private key"
            ) from None
    if not key or "PRIVATE KEY-----" not in str(key):
        raise ConfigurationError(
            "auth_flow jwt_bearer needs private_key (PEM text) or private_key_path: the RSA "
            "private key whose certificate is uploaded to the connected app"
        )
    return str(key).replace("\\n", "\n")


def revoke_token(session: requests.Session, login_url: str, token: str, timeout: float) -> None:
    """Revoke an access or refresh token (revoking a refresh token ends its sessions too)."""
    url = f"{check_url(login_url, 'login_url')}/services/oauth2/revoke"
    try:
        response = session.post(url, data={"token": token}, timeout=timeout)
    except requests.RequestException as exc:
        raise AuthenticationError(
            f"could not reach {login_url} to revoke the token ({type(exc).__name__})"
        ) from None
    if response.status_code != 200:
        try:
            code = str(response.json().get("error") or "")
        except (ValueError, AttributeError):
            code = ""
        raise AuthenticationError(
            f"Salesforce refused to revoke the token: HTTP {response.status_code} {code}".strip()
            + "; it may already be revoked or expired",
            status=response.status_code,
            error_code=code or None,
        )
