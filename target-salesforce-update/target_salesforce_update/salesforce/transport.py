"""``Transport``: the one HTTP session to Salesforce and the one retry loop every call goes through.

One ``requests.Session`` with a connection pool sized for ``max_concurrency`` carries every
call; each call has a timeout and:

1. gets the current token (logging in on first use) and resolves its URL on the instance;
2. if counted, checks our own daily-usage ceiling (``max_daily_api_usage_percent``) against
   the last ``Sforce-Limit-Info`` seen, then counts the call for the run and for the stream's
   :class:`.call_meter.CallMeter`;
3. is sent; a 401 renews the session once through the :class:`.auth.Authenticator`;
4. a transient failure (status, ``errorCode``, connection error, timeout) is retried under
   :mod:`.retry_policy` (urllib3's ``Retry``: backoff, ``Retry-After``, caps);
5. any other failure becomes the named error of :mod:`.errors`.

Logging: request lines at DEBUG, path only — never a token, secret or query string (urllib3's
own DEBUG lines lose their query string too).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Mapping
from typing import IO, Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError

from ..call_meter import count_call
from ..exceptions import (
    ApiUsageCeilingError,
    ConfigurationError,
    SalesforceError,
    TransientError,
)
from .auth import Authenticator, Token
from .errors import error_details, error_for, tls_error
from .log_redaction import protect_urllib3_log
from .retry_policy import RETRY_STATUSES, RetrySchedule, retry_delay
from .save_results import TRANSIENT_CODES
from .tuning import Tuning

__all__ = ["Transport", "parse_limit_info"]

protect_urllib3_log()


def parse_limit_info(header: str | None) -> tuple[int, int] | None:
    """Return ``(used, max)`` from ``Sforce-Limit-Info``, ignoring other segments.

    The header may carry ``per-app-api-usage=…`` after ``api-usage=…``; only the segment whose
    key is exactly ``api-usage`` counts.
    """
    if not header:
        return None
    for segment in re.split(r"[;,]", header):
        key, _, value = segment.strip().partition("=")
        if key.strip().lower() != "api-usage":
            continue
        match = re.match(r"\s*(\d+)\s*/\s*(\d+)", value)
        if match:
            return int(match.group(1)), int(match.group(2))
    return None


class Transport:
    """Session, tokens, limits, call counting and the retry loop (thread-safe)."""

    def __init__(self, auth: Authenticator, tuning: Tuning, logger: logging.Logger) -> None:
        self.auth = auth
        self.tuning = tuning
        self.logger = logger
        self.api_calls = 0
        self.api_usage: tuple[int, int] | None = None
        self._lock = threading.Lock()
        self._auth_lock = threading.Lock()
        self.token: Token | None = None
        self._token_generation = 0
        self.session = requests.Session()
        self.session.verify = True
        self.session.headers["User-Agent"] = "target-salesforce-update"
        pool = tuning.max_concurrency + 2
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool, max_retries=0)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    # ----------------------------------------------------------------- tokens

    @property
    def base_path(self) -> str:
        """``/services/data/vNN.0`` for the configured API version."""
        return f"/services/data/v{self.tuning.api_version}"

    @property
    def instance_url(self) -> str:
        """Base URL of the org's instance (logs in first when needed)."""
        return self.ensure_token().instance_url

    def ensure_token(self) -> Token:
        """The current token; logs in when there is none."""
        token = self.token
        if token is not None:
            return token
        with self._auth_lock:
            if self.token is None:
                self.token = self.auth.authenticate(self.session, self.tuning.request_timeout)
                self._token_generation += 1
                self.logger.debug("Authenticated with the %s flow", self.auth.flow)
            return self.token

    def _renew_token(self, failed_generation: int) -> bool:
        """Get a new token unless another thread already did; False if the flow cannot renew."""
        if not self.auth.can_renew:
            return False
        with self._auth_lock:
            if self._token_generation == failed_generation:
                self.logger.info("Salesforce session expired; renewing it (%s)", self.auth.flow)
                self.token = self.auth.authenticate(self.session, self.tuning.request_timeout)
                self._token_generation += 1
        return True

    def secrets(self) -> tuple[str, ...]:
        """Every secret value this transport knows (removed from error text)."""
        token = self.token
        extra = (token.access_token, token.refresh_token) if token else ()
        return tuple(s for s in (*self.auth.secrets, *extra) if s)

    # ----------------------------------------------------------------- one call

    def url(self, path: str, instance_url: str) -> str:
        """The full URL of ``path`` (relative to the API version, the instance, or a full
        URL on the instance host — never another host: the session would go with it)."""
        if path.startswith(("http://", "https://")):
            if urlsplit(path).netloc != urlsplit(instance_url).netloc:
                raise ConfigurationError(
                    "refusing to send the session to a host other than the instance_url"
                )
            return path
        if path.startswith("/"):
            return instance_url + path
        return f"{instance_url}{self.base_path}/{path}"

    def _check_ceiling(self) -> None:
        usage = self.api_usage
        if usage is None or usage[1] <= 0:
            return
        used, limit = usage
        ceiling = self.tuning.max_daily_api_usage_percent
        if used * 100 >= limit * ceiling:
            raise ApiUsageCeilingError(
                f"the org has used {used} of its {limit} daily API requests, at or above "
                f"max_daily_api_usage_percent={ceiling:g}; stopping before the next call. Run "
                "later, or raise the setting if other integrations can spare the quota"
            )

    def _count(self) -> None:
        self._check_ceiling()
        with self._lock:
            self.api_calls += 1
        count_call()

    def _send(
        self,
        method: str,
        url: str,
        token: Token,
        *,
        headers: Mapping[str, str] | None,
        stream: bool,
        encoded_query: str | None,
        **kwargs: Any,
    ) -> requests.Response:
        """What ``Session.request`` does, with ``encoded_query`` appended after preparation."""
        request_headers = {
            "Authorization": f"Bearer {token.access_token}",
            "Accept": "application/json",
            **(headers or {}),
        }
        session = self.session
        prepared = session.prepare_request(
            requests.Request(method, url, headers=request_headers, **kwargs)
        )
        if encoded_query:
            separator = "&" if "?" in (prepared.url or "") else "?"
            prepared.url = f"{prepared.url}{separator}{encoded_query}"
        settings = session.merge_environment_settings(prepared.url, {}, stream, None, None)
        timeout = self.tuning.request_timeout
        return session.send(
            prepared, timeout=(min(10.0, timeout), timeout), allow_redirects=True, **settings
        )

    def _observe(self, method: str, url: str, response: requests.Response, started: float) -> None:
        usage = parse_limit_info(response.headers.get("Sforce-Limit-Info"))
        if usage is not None:
            self.api_usage = usage
        self.logger.debug(
            "%s %s -> %s (%.2fs)",
            method,
            urlsplit(url).path,
            response.status_code,
            time.monotonic() - started,
        )

    # ----------------------------------------------------------------- the retry loop

    def request(
        self,
        method: str,
        path: str,
        *,
        counted: bool = True,
        json: Any = None,
        data: bytes | str | IO[bytes] | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
        retry_transient_codes: bool = True,
        encoded_query: str | None = None,
    ) -> requests.Response:
        """Send one API request with retries, session renewal and limit tracking.

        ``path`` is relative to ``/services/data/vNN.0/`` unless it starts with ``/`` (relative
        to the instance) or is a full URL on the instance host. ``encoded_query`` is an
        already percent-encoded query string appended as is: requests would otherwise re-scan
        a 15 KB match query character by character. ``data`` may be a binary file, which is
        streamed (and rewound before a retry). Returns the successful response; raises a
        :class:`SalesforceError` subclass otherwise.
        """
        schedule = RetrySchedule.policy(self.tuning.max_retries, self.tuning.retry_backoff_base)
        renewed = False
        while True:
            token = self.ensure_token()
            generation = self._token_generation
            url = self.url(path, token.instance_url)
            if counted:
                self._count()
            if hasattr(data, "seek"):
                data.seek(0)  # type: ignore[union-attr]
            started = time.monotonic()
            response: requests.Response | None = None
            try:
                response = self._send(
                    method,
                    url,
                    token,
                    json=json,
                    data=data,
                    params=params,
                    headers=headers,
                    stream=stream,
                    encoded_query=encoded_query,
                )
            except requests.exceptions.SSLError:
                raise tls_error(url) from None
            except (requests.ConnectionError, requests.Timeout) as exc:
                failure, code = type(exc).__name__, None
                self.logger.debug("%s %s failed: %s", method, urlsplit(url).path, failure)
            else:
                self._observe(method, url, response, started)
                if response.status_code < 300:
                    return response
                code, message = error_details(response)
                if response.status_code == 401 and not renewed and self._renew_token(generation):
                    renewed = True
                    response.close()
                    continue
                if not self._retryable(response.status_code, code, retry_transient_codes):
                    raise self._error(response.status_code, code, message, method, url)
                failure = f"HTTP {response.status_code} {code or ''}".strip()
            schedule = self._next_retry(schedule, method, url, response, failure, code)
            self._pause(schedule, response, failure)

    @staticmethod
    def _retryable(status: int, code: str | None, retry_transient_codes: bool) -> bool:
        return status in RETRY_STATUSES or (retry_transient_codes and code in TRANSIENT_CODES)

    def _next_retry(
        self,
        schedule: RetrySchedule,
        method: str,
        url: str,
        response: requests.Response | None,
        failure: str,
        code: str | None,
    ) -> RetrySchedule:
        """Count one more retry, or raise :class:`TransientError` when none is left."""
        try:
            return schedule.increment(method, urlsplit(url).path)
        except MaxRetryError:
            attempts = schedule.retries_done() + 1
            raise TransientError(
                f"{method} {urlsplit(url).path} still failing after {attempts} attempts "
                f"({failure}): Salesforce is unavailable or overloaded; run again later or "
                "raise max_retries / request_timeout",
                status=response.status_code if response is not None else None,
                error_code=code,
            ) from None

    def _pause(
        self, schedule: RetrySchedule, response: requests.Response | None, failure: str
    ) -> None:
        retry_after = response.headers.get("Retry-After") if response is not None else None
        delay = schedule.wait(retry_after)
        if response is not None:
            response.close()
        self.logger.debug("Retrying in %.2fs after %s", delay, failure)
        time.sleep(delay)

    def _error(
        self, status: int, code: str | None, message: str, method: str, url: str
    ) -> SalesforceError:
        return error_for(
            status,
            code,
            message,
            f"{method} {urlsplit(url).path}",
            secrets=self.secrets(),
            can_renew=self.auth.can_renew,
        )

    def request_json(self, method: str, path: str, **kwargs: Any) -> Any:
        """:meth:`request` and decode the JSON answer (a non-JSON answer is a SalesforceError)."""
        response = self.request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise SalesforceError(
                f"{method} {urlsplit(response.url).path} answered HTTP {response.status_code} "
                f"with {response.headers.get('Content-Type') or 'no content type'} instead of "
                "JSON: check instance_url and api_version",
                status=response.status_code,
            ) from None

    def pause(self, attempt: int) -> float:
        """Sleep the policy's backoff before retry number ``attempt + 1`` (record-level
        retries, which have no answer of their own to read); returns the seconds slept."""
        delay = retry_delay(attempt, self.tuning.retry_backoff_base)
        time.sleep(delay)
        return delay

    def close(self) -> None:
        """Release the connection pool."""
        self.session.close()
