"""The signed JWT of the ``jwt_bearer`` flow (RS256, the connected app's certificate)."""

from __future__ import annotations

import time
import uuid
from urllib.parse import urlsplit

from ..exceptions import ConfigurationError
from .connection_settings import PRODUCTION_LOGIN_URL, SANDBOX_LOGIN_URL

__all__ = ["JWT_GRANT_TYPE", "JWT_LIFETIME_SECONDS", "jwt_assertion", "jwt_audience"]

JWT_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
JWT_LIFETIME_SECONDS = 180


def jwt_audience(login_url: str) -> str:
    """Salesforce wants login/test.salesforce.com as ``aud`` even behind My Domain."""
    host = (urlsplit(login_url).hostname or "").lower()
    if host == "test.salesforce.com" or host.endswith(".sandbox.my.salesforce.com"):
        return SANDBOX_LOGIN_URL
    if host.endswith("salesforce.com"):
        return PRODUCTION_LOGIN_URL
    return login_url


def jwt_assertion(client_id: str, username: str, login_url: str, private_key: str | None) -> str:
    """A fresh assertion for ``username`` signed with ``private_key``."""
    import jwt  # imported lazily: only this flow needs pyjwt's crypto backend

    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": username,
        "aud": jwt_audience(login_url),
        "exp": now + JWT_LIFETIME_SECONDS,
        "iat": now,
        "jti": uuid.uuid4().hex,
    }
    try:
        return jwt.encode(claims, private_key, algorithm="RS256")
    except (ValueError, TypeError, jwt.PyJWTError) as exc:
        raise ConfigurationError(
            f"private_key could not sign the JWT ({type(exc).__name__}): supply the RSA "
            "private key in PEM form whose certificate is uploaded to the connected app"
        ) from None
