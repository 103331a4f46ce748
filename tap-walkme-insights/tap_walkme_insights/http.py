"""HTTP with retries, ``Retry-After`` and error messages that never carry a secret.

Retried: HTTP 429, 500, 502, 503, 504, connection errors, timeouts and bodies cut off before
their ``Content-Length``. When and how long to wait is the policy shared with the target
(:mod:`.retry_policy`, urllib3's ``Retry``): ``Retry-After`` when the server sends it (seconds
or an HTTP date, capped at 120 s), otherwise ``backoff_factor * 2**(n-1)`` capped at 30 s,
jittered. 401/403 raise :class:`HttpAuthError` at once.

URLs are shown without their query string or user info (:func:`redact_url`) — a signed link's
signature lives in the query — and exceptions from ``requests`` are re-raised without their
original message (which would contain the full URL).
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

import requests

from tap_walkme_insights.errors import TapWalkMeInsightsError
from tap_walkme_insights.retry_policy import (
    MAX_BACKOFF_SECONDS,
    MAX_RETRY_AFTER_SECONDS,
    RETRY_STATUSES,
    RetrySchedule,
    backoff_seconds,
)

LOGGER = logging.getLogger(__name__)
MAX_RETRY_AFTER = MAX_RETRY_AFTER_SECONDS
MAX_BACKOFF = MAX_BACKOFF_SECONDS
_CHUNK = 1024 * 1024

_QUERY_RE = re.compile(r"\?[^\s\"']*")
# Libraries that log request lines, headers or signed parameters at DEBUG.
_CHATTY_LOGGERS = (
    "urllib3",
    "botocore",
    "aiobotocore",
    "s3fs",
    "fsspec",
    "azure",
    "adlfs",
    "gcsfs",
    "google",
)


class _RedactQueryFilter(logging.Filter):
    """Removes query strings (where signed links keep their signature) from a log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "?" in message:
            record.msg = _QUERY_RE.sub("?…", message)
            record.args = ()
        return True


def protect_logs() -> None:
    """Keep secrets out of third-party DEBUG logs, whatever the root log level.

    urllib3 logs every request line *with its query string* at DEBUG, and cloud SDKs log request
    headers: those loggers are held at INFO, and urllib3's request lines are redacted anyway.
    """
    for name in _CHATTY_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < logging.INFO:
            logger.setLevel(logging.INFO)
    pool_logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, _RedactQueryFilter) for f in pool_logger.filters):
        pool_logger.addFilter(_RedactQueryFilter())


protect_logs()


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def is_plain_http_to_remote(url: str) -> bool:
    """True for an ``http://`` URL whose host is not loopback (only tests and emulators may
    use plain http: anything sent to it, credentials included, crosses the network in clear)."""
    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS


def redact_url(url: str) -> str:
    """Return ``url`` without user info, query string or fragment (safe to log)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    redacted = urlunsplit((parts.scheme, host, parts.path, "", ""))
    return f"{redacted}?…" if parts.query else redacted


class HttpError(TapWalkMeInsightsError, RuntimeError):
    """An HTTP request failed for good (after retries); the message is secret-free."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class HttpAuthError(HttpError):
    """401 or 403: credentials, token or signed link were refused."""


@dataclass
class RetryPolicy:
    """How often and how long to retry."""

    max_retries: int = 5
    backoff_factor: float = 1.0
    timeout: float = 300.0

    def backoff(self, attempt: int) -> float:
        """The shared policy's backoff before retry ``attempt`` (1-based)."""
        return backoff_seconds(attempt, self.backoff_factor)

    def wait(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds before retry ``attempt`` (1-based): ``Retry-After`` or the backoff."""
        seconds = retry_after_seconds(retry_after)
        return seconds if seconds is not None else self.backoff(attempt)


def retry_after_seconds(value: str | None) -> float | None:
    """Parse a ``Retry-After`` header (delta seconds or HTTP date, capped), as the policy does."""
    return RetrySchedule.policy(0, 0.0).retry_after(value)


def _status_message(method: str, url: str, response: requests.Response) -> str:
    return f"{method} {redact_url(url)} returned HTTP {response.status_code} {response.reason}"


class HttpClient:
    """A ``requests`` session with the retry policy and secret-free errors."""

    def __init__(
        self, policy: RetryPolicy | None = None, session: requests.Session | None = None
    ) -> None:
        """Create a client; ``session`` may be shared (connection pooling)."""
        self.policy = policy or RetryPolicy()
        self.session = session or requests.Session()
        self.sleep = time.sleep

    def _wait(self, attempt: int, reason: str, url: str, retry_after: float | None) -> None:
        delay = retry_after if retry_after is not None else self.policy.backoff(attempt)
        LOGGER.warning(
            "%s for %s; retry %d of %d in %.1f s.",
            reason,
            redact_url(url),
            attempt,
            self.policy.max_retries,
            delay,
        )
        self.sleep(delay)

    def _raise_for_auth(self, method: str, url: str, response: requests.Response) -> None:
        if response.status_code in (401, 403):
            hint = (
                "check client_id/client_secret, the region/base_url, and that the API key may "
                "read reports"
                if "Authorization" in response.request.headers
                else "a signed link may have expired or been altered — use a fresh link"
            )
            msg = f"{_status_message(method, url, response)}: access refused; {hint}."
            raise HttpAuthError(msg, response.status_code)

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
        **kwargs: Any,
    ) -> requests.Response:
        """Send a request, retrying transient failures; return a 2xx/3xx response.

        Raises:
            HttpAuthError: on 401/403.
            HttpError: on any other 4xx, or when retries are exhausted.
        """
        attempt = 0
        while True:
            try:
                response = self.session.request(
                    method,
                    url,
                    headers=dict(headers or {}),
                    stream=stream,
                    timeout=self.policy.timeout,
                    **kwargs,
                )
            except (requests.ConnectionError, requests.Timeout) as error:
                attempt += 1
                reason = type(error).__name__
                if attempt > self.policy.max_retries:
                    msg = f"{method} {redact_url(url)} failed after {attempt} attempts: {reason}."
                    raise HttpError(msg) from None
                self._wait(attempt, reason, url, None)
                continue
            if response.status_code in RETRY_STATUSES:
                attempt += 1
                message = _status_message(method, url, response)
                retry_after = retry_after_seconds(response.headers.get("Retry-After"))
                response.close()
                if attempt > self.policy.max_retries:
                    msg = f"{message}; gave up after {attempt} attempts."
                    raise HttpError(msg, response.status_code)
                self._wait(attempt, message, url, retry_after)
                continue
            self._raise_for_auth(method, url, response)
            if response.status_code >= 400:
                msg = f"{_status_message(method, url, response)}."
                response.close()
                raise HttpError(msg, response.status_code)
            return response

    def download(
        self,
        url: str,
        destination: IO[bytes],
        headers_factory: Any = None,
        if_none_match: str | None = None,
    ) -> DownloadInfo | None:
        """Stream ``url`` into ``destination``; a cut-off body restarts the download.

        ``headers_factory`` is called before each attempt (so a renewed token is used).
        Returns the SHA-256 of the body and the validators (ETag, Last-Modified), or ``None``
        when ``if_none_match`` was given and the server answered 304 Not Modified.
        """
        attempt = 0
        while True:
            headers = dict(headers_factory() if headers_factory else {})
            if if_none_match:
                headers["If-None-Match"] = if_none_match
            response = self.request("GET", url, headers=headers, stream=True)
            if response.status_code == 304 and if_none_match:
                response.close()
                return None
            destination.seek(0)
            destination.truncate()
            digest = hashlib.sha256()
            size = 0
            try:
                for chunk in response.iter_content(_CHUNK):
                    destination.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
            except (requests.RequestException, OSError) as error:
                attempt += 1
                reason = f"download cut off after {size} bytes ({type(error).__name__})"
                if attempt > self.policy.max_retries:
                    msg = f"GET {redact_url(url)}: {reason}; gave up after {attempt} attempts."
                    raise HttpError(msg) from None
                self._wait(attempt, reason, url, None)
                continue
            finally:
                response.close()
            destination.flush()
            destination.seek(0)
            return DownloadInfo(
                sha256=digest.hexdigest(),
                size=size,
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
            )


@dataclass(frozen=True)
class DownloadInfo:
    """What identifies a downloaded export."""

    sha256: str
    size: int
    etag: str | None
    last_modified: str | None
