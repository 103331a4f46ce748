"""The connection settings, checked before any call: URLs, the OAuth flow, its required
values and the JWT private key (:mod:`.auth` runs the flows)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..exceptions import ConfigurationError
from ..settings import AUTH_FLOWS, default

__all__ = [
    "AUTH_FLOWS",
    "PRODUCTION_LOGIN_URL",
    "REQUIRED_SETTINGS",
    "SANDBOX_LOGIN_URL",
    "check_url",
    "infer_auth_flow",
    "load_private_key",
]

PRODUCTION_LOGIN_URL: str = default("login_url")
SANDBOX_LOGIN_URL = "https://test.salesforce.com"


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


#: The settings each flow needs.
REQUIRED_SETTINGS = {
    "refresh_token": ("client_id", "refresh_token"),
    "jwt_bearer": ("client_id", "username"),
    "client_credentials": ("client_id", "client_secret"),
    "password": ("client_id", "username", "password"),
    "access_token": ("access_token", "instance_url"),
}


def load_private_key(config: Mapping[str, Any]) -> str:
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
