"""WalkMe client-credentials token: fetched once, cached, renewed before it expires.

``POST {base_url}/accounts/connect/token`` with HTTP Basic ``client_id:client_secret`` and
``grant_type=client_credentials`` answers ``{"access_token", "token_type", "expires_in"}``
(24 h at WalkMe). The token is renewed when less than a tenth of its lifetime (at most five
minutes) is left, or at once after a 401. Neither the secret nor the token is ever logged.
"""

from __future__ import annotations

import logging
import threading
import time

from tap_walkme_insights.http import (
    HttpAuthError,
    HttpClient,
    HttpError,
    is_plain_http_to_remote,
    redact_url,
)

LOGGER = logging.getLogger(__name__)

REGION_BASE_URLS = {
    "us": "https://api.walkme.com",
    "eu": "https://eu-api.walkme.com",
    "ca": "https://api-ca1.walkmedap.com",
    "fedramp": "https://api.walkmegov.com",
}
TOKEN_PATH = "/accounts/connect/token"  # noqa: S105 - a URL path, not a secret
MAX_RENEW_MARGIN = 300.0


def resolve_base_url(region: str | None, base_url: str | None) -> str:
    """Return the WalkMe API base URL: explicit ``base_url`` first, else the region's.

    The client secret is sent to it, so plain ``http://`` is refused except for loopback hosts.
    """
    if base_url:
        if is_plain_http_to_remote(base_url):
            msg = (
                f"base_url {redact_url(base_url)} uses plain http, which would send the WalkMe "
                "client secret in clear text: use https (plain http only for loopback hosts, "
                "e.g. the emulator)."
            )
            raise ValueError(msg)
        return base_url.rstrip("/")
    key = (region or "us").lower()
    if key not in REGION_BASE_URLS:
        allowed = ", ".join(REGION_BASE_URLS)
        msg = f"Unknown WalkMe region {region!r}: use one of {allowed}, or set base_url."
        raise ValueError(msg)
    return REGION_BASE_URLS[key]


class WalkMeTokenProvider:
    """Hands out a valid bearer token, renewing it before it expires."""

    def __init__(self, http: HttpClient, base_url: str, client_id: str, client_secret: str) -> None:
        """Keep the credentials; no request is made until a token is needed."""
        self._http = http
        self._token_url = f"{base_url.rstrip('/')}{TOKEN_PATH}"
        self._credentials = (client_id, client_secret)
        self._token: str | None = None
        self._renew_at = 0.0
        self._lock = threading.Lock()
        self.clock = time.monotonic
        self.tokens_fetched = 0

    def invalidate(self) -> None:
        """Forget the cached token (after the server refused it)."""
        with self._lock:
            self._token = None

    def token(self) -> str:
        """Return a cached token, fetching a new one when missing or close to expiry."""
        with self._lock:
            if self._token is None or self.clock() >= self._renew_at:
                self._fetch()
            assert self._token is not None
            return self._token

    def headers(self) -> dict[str, str]:
        """``Authorization: Bearer …`` for a request."""
        return {"Authorization": f"Bearer {self.token()}"}

    def _fetch(self) -> None:
        started = self.clock()
        try:
            response = self._http.request(
                "POST",
                self._token_url,
                auth=self._credentials,
                data={"grant_type": "client_credentials"},
                headers={"Accept": "application/json"},
            )
        except HttpError as error:
            refused = error.status is not None and 400 <= error.status < 500
            if not refused or error.status == 429 or isinstance(error, HttpAuthError):
                raise
            msg = (
                f"{error} The WalkMe token request was refused: check client_id/client_secret "
                "and region/base_url."
            )
            raise HttpAuthError(msg, error.status) from None
        try:
            payload = response.json()
            token = str(payload["access_token"])
            lifetime = float(payload.get("expires_in") or 3600)
        except (ValueError, KeyError, TypeError):
            msg = (
                f"POST {redact_url(self._token_url)} did not return a JSON access_token; "
                "check region/base_url."
            )
            raise HttpError(msg, response.status_code) from None
        self._token = token
        self._renew_at = started + lifetime - min(MAX_RENEW_MARGIN, lifetime / 10)
        self.tokens_fetched += 1
        LOGGER.info("Got a WalkMe access token valid for %d s.", int(lifetime))
