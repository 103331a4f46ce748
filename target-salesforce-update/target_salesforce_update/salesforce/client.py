"""``SalesforceClient``: the only code in the target that speaks HTTP to Salesforce.

It reads and updates existing records and nothing else: there is no insert or upsert path. One
``requests.Session`` with a connection pool sized for ``max_concurrency`` carries every call; each
call has a timeout and goes through one retry loop (jittered exponential backoff that honours
``Retry-After``) that also renews an expired session once, tracks ``Sforce-Limit-Info`` and stops
before our own daily-usage ceiling is crossed.

Logging: at most one INFO line per write call; request detail at DEBUG. No token, secret or
query string is ever logged.
"""

from __future__ import annotations

import contextlib
import logging
import random
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote as url_quote
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from ..call_meter import carry_meter, count_call
from ..exceptions import (
    ApiUsageCeilingError,
    ConfigurationError,
    InvalidFieldError,
    MalformedQueryError,
    NotFoundError,
    RequestLimitExceededError,
    SalesforceError,
    SessionExpiredError,
    TransientError,
    redact,
)
from ..settings import default
from .auth import Authenticator, Token, revoke_token, tls_error

if TYPE_CHECKING:
    from ..job_journal import JobJournal

__all__ = ["COLLECTION_SIZE", "RecordError", "SalesforceClient", "SaveResult"]

DEFAULT_API_VERSION: str = default("api_version")
COLLECTION_SIZE = 200
MAX_CONCURRENCY = 25
#: Salesforce answers 414/431 when the request line plus headers exceed 16,384 bytes.
MAX_REQUEST_LINE_AND_HEADERS = 16_384
#: Bytes kept for our headers (Host, ``Authorization: Bearer …``, Accept, User-Agent, …).
HEADER_ALLOWANCE = 700
MAX_RETRY_AFTER_SECONDS = 120.0
MAX_BACKOFF_SECONDS = 30.0
_SOBJECT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_RETRY_STATUSES = {429, 500, 502, 503, 504}
_TRANSIENT_CODES = {"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE", "REQUEST_RUNNING_TOO_LONG"}
#: Per-record failures worth sending again (bounded by ``max_retries``, with backoff): row
#: locks and busy servers, which Salesforce documents as transient, and Bulk rows the job
#: never processed. An update sends the same values again, so a retry is harmless.
RETRYABLE_RECORD_CODES = frozenset({*_TRANSIENT_CODES, "UNPROCESSED"})


def is_retryable(errors: Sequence[RecordError]) -> bool:
    """Whether a record's errors are all transient (so the record should be sent again)."""
    return bool(errors) and all(e.status_code in RETRYABLE_RECORD_CODES for e in errors)


_QUERY_STRING = re.compile(r"\?[^\s\"']*")


class _RedactQueryStrings(logging.Filter):
    """Drops query strings from urllib3's DEBUG request lines: SOQL there carries match keys
    (email addresses) that do not belong in logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "?" in message:
            record.msg = _QUERY_STRING.sub("?…", message)
            record.args = ()
        return True


def _protect_urllib3_log() -> None:
    pool_logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, _RedactQueryStrings) for f in pool_logger.filters):
        pool_logger.addFilter(_RedactQueryStrings())


_protect_urllib3_log()


@dataclass(frozen=True)
class RecordError:
    """One error Salesforce reported for one record (``statusCode`` in its JSON)."""

    status_code: str
    message: str
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class SaveResult:
    """The outcome of updating one record; ``id`` is the record's Id when known."""

    id: str | None
    success: bool
    errors: tuple[RecordError, ...] = ()


def _normalise_version(value: Any) -> str:
    text = str(value or DEFAULT_API_VERSION).strip().lstrip("vV")
    if not re.fullmatch(r"\d+(\.\d+)?", text):
        raise ConfigurationError(f"api_version {value!r} is not a version such as 67.0")
    return text if "." in text else f"{text}.0"


def _positive(config: Mapping[str, Any], key: str, *, integer: bool) -> Any:
    """Setting ``key`` (its :mod:`.settings` default when unset) as a positive number."""
    value = config.get(key)
    if value is None:
        value = default(key)
    try:
        number = int(value) if integer else float(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{key} must be a number, got {value!r}") from None
    if number < 0 or (number == 0 and key != "max_retries"):
        raise ConfigurationError(f"{key} must be positive, got {value!r}")
    return number


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


def retry_delay(attempt: int, base: float, retry_after: str | None = None) -> float:
    """Seconds to wait before retry number ``attempt + 1``.

    Jittered exponential backoff (between half and all of ``base * 2**attempt``, capped at
    30 s); a numeric ``Retry-After`` header from the server wins when it asks for longer
    (capped at 120 s so a bad header cannot stall the run).
    """
    delay = min(MAX_BACKOFF_SECONDS, base * (2**attempt))
    delay = random.uniform(delay / 2, delay)
    if retry_after:
        with contextlib.suppress(ValueError):
            delay = max(delay, min(float(retry_after), MAX_RETRY_AFTER_SECONDS))
    return delay


def _strip_attributes(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_attributes(v) for k, v in value.items() if k != "attributes"}
    if isinstance(value, list):
        return [_strip_attributes(v) for v in value]
    return value


def _record_errors(raw: Any) -> tuple[RecordError, ...]:
    errors = []
    for item in raw or ():
        if not isinstance(item, Mapping):
            errors.append(RecordError("UNKNOWN_ERROR", str(item)))
            continue
        errors.append(
            RecordError(
                status_code=str(item.get("statusCode") or item.get("errorCode") or "UNKNOWN"),
                message=str(item.get("message") or ""),
                fields=tuple(str(f) for f in item.get("fields") or ()),
            )
        )
    return tuple(errors)


class SalesforceClient:
    """A small, thread-safe Salesforce REST / Bulk API 2.0 client for updating records.

    Construct with the target's config (see ``auth.py`` for the connection settings); no network
    call happens until the first request. ``from_config`` also logs in, so bad credentials fail
    immediately.

    Tuning settings read from the config (defaults and meaning in :mod:`.settings`):
    ``api_version``, ``request_timeout``, ``max_retries``, ``max_concurrency`` (1-25),
    ``max_daily_api_usage_percent``, ``retry_backoff_base`` and ``bulk_poll_timeout``.
    ``bulk_max_upload_bytes`` (100 MB) is an attribute only.

    ``api_calls`` counts the run's API calls; each call is also added to the
    :class:`.call_meter.CallMeter` current in the calling thread (the stream it is made for).
    """

    def __init__(self, config: Mapping[str, Any], *, logger: logging.Logger | None = None) -> None:
        self.logger = logger or logging.getLogger("target_salesforce_update.salesforce")
        self._auth = Authenticator(config)
        self.api_version: str = _normalise_version(config.get("api_version"))
        self.request_timeout: float = _positive(config, "request_timeout", integer=False)
        self.max_retries: int = _positive(config, "max_retries", integer=True)
        self.max_concurrency: int = _positive(config, "max_concurrency", integer=True)
        if self.max_concurrency > MAX_CONCURRENCY:
            raise ConfigurationError(
                f"max_concurrency {self.max_concurrency} is above {MAX_CONCURRENCY}, the number "
                "of long-running requests Salesforce allows per org at once: lower it"
            )
        self.max_daily_api_usage_percent: float = _positive(
            config, "max_daily_api_usage_percent", integer=False
        )
        self.retry_backoff_base: float = _positive(config, "retry_backoff_base", integer=False)
        self.bulk_max_upload_bytes: int = 100 * 1024 * 1024
        self.bulk_poll_timeout: float = _positive(config, "bulk_poll_timeout", integer=False)
        self.api_calls: int = 0
        self.api_usage: tuple[int, int] | None = None
        self._lock = threading.Lock()
        self._auth_lock = threading.Lock()
        self._token: Token | None = None
        self._token_generation = 0
        self._session = requests.Session()
        self._session.verify = True
        self._session.headers["User-Agent"] = "target-salesforce-update"
        pool = self.max_concurrency + 2
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool, max_retries=0)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], *, logger: logging.Logger | None = None
    ) -> SalesforceClient:
        """Validate the connection settings, log in and return a ready client."""
        client = cls(config, logger=logger)
        try:
            client._ensure_token()
        except BaseException:
            client.close()
            raise
        return client

    def __enter__(self) -> SalesforceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SalesforceClient(flow={self._auth.flow!r}, api_version={self.api_version!r})"

    # ----------------------------------------------------------------- session and tokens

    @property
    def auth_flow(self) -> str:
        """The OAuth flow in use (inferred from the settings when not configured)."""
        return self._auth.flow

    @property
    def instance_url(self) -> str:
        """Base URL of the org's instance (logs in first when needed)."""
        return self._ensure_token().instance_url

    @property
    def base_path(self) -> str:
        """``/services/data/vNN.0`` for the configured API version."""
        return f"/services/data/v{self.api_version}"

    def _ensure_token(self) -> Token:
        token = self._token
        if token is not None:
            return token
        with self._auth_lock:
            if self._token is None:
                self._token = self._auth.authenticate(self._session, self.request_timeout)
                self._token_generation += 1
                self.logger.debug("Authenticated with the %s flow", self._auth.flow)
            return self._token

    def _renew_token(self, failed_generation: int) -> bool:
        """Get a new token unless another thread already did; False if the flow cannot renew."""
        if not self._auth.can_renew:
            return False
        with self._auth_lock:
            if self._token_generation == failed_generation:
                self.logger.info("Salesforce session expired; renewing it (%s)", self._auth.flow)
                self._token = self._auth.authenticate(self._session, self.request_timeout)
                self._token_generation += 1
        return True

    def _secrets(self) -> tuple[str, ...]:
        token = self._token
        extra = (token.access_token, token.refresh_token) if token else ()
        return tuple(s for s in (*self._auth.secrets, *extra) if s)

    # ----------------------------------------------------------------- the request loop

    def _url(self, path: str, instance_url: str) -> str:
        if path.startswith(("http://", "https://")):
            target = urlsplit(path)
            if target.netloc != urlsplit(instance_url).netloc:
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
        if used * 100 >= limit * self.max_daily_api_usage_percent:
            raise ApiUsageCeilingError(
                f"the org has used {used} of its {limit} daily API requests, at or above "
                f"max_daily_api_usage_percent={self.max_daily_api_usage_percent:g}; stopping "
                "before the next call. Run later, or raise the setting if other integrations "
                "can spare the quota"
            )

    def _backoff(self, attempt: int, response: requests.Response | None) -> float:
        retry_after = response.headers.get("Retry-After") if response is not None else None
        return retry_delay(attempt, self.retry_backoff_base, retry_after)

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
        renewed = False
        attempt = 0
        while True:
            token = self._ensure_token()
            generation = self._token_generation
            url = self._url(path, token.instance_url)
            if counted:
                self._check_ceiling()
                with self._lock:
                    self.api_calls += 1
                count_call()
            request_headers = {
                "Authorization": f"Bearer {token.access_token}",
                "Accept": "application/json",
                **(headers or {}),
            }
            started = time.monotonic()
            response: requests.Response | None = None
            if hasattr(data, "seek"):
                data.seek(0)  # type: ignore[union-attr]
            try:
                response = self._send(
                    method,
                    url,
                    json=json,
                    data=data,
                    params=params,
                    headers=request_headers,
                    stream=stream,
                    encoded_query=encoded_query,
                )
            except requests.exceptions.SSLError:
                raise tls_error(url) from None
            except (requests.ConnectionError, requests.Timeout) as exc:
                failure = f"{type(exc).__name__}"
            else:
                failure = ""
            elapsed = time.monotonic() - started
            if response is not None:
                usage = parse_limit_info(response.headers.get("Sforce-Limit-Info"))
                if usage is not None:
                    self.api_usage = usage
                self.logger.debug(
                    "%s %s -> %s (%.2fs)",
                    method,
                    urlsplit(url).path,
                    response.status_code,
                    elapsed,
                )
                if response.status_code < 300:
                    return response
                error_code, message = self._error_details(response)
                if response.status_code == 401 and not renewed and self._renew_token(generation):
                    renewed = True
                    response.close()
                    continue
                retryable = response.status_code in _RETRY_STATUSES or (
                    retry_transient_codes and error_code in _TRANSIENT_CODES
                )
                if not retryable:
                    raise self._error(response.status_code, error_code, message, method, url)
                failure = f"HTTP {response.status_code} {error_code or ''}".strip()
            else:
                self.logger.debug("%s %s failed: %s", method, urlsplit(url).path, failure)
            if attempt >= self.max_retries:
                raise TransientError(
                    f"{method} {urlsplit(url).path} still failing after {attempt + 1} attempts "
                    f"({failure}): Salesforce is unavailable or overloaded; run again later or "
                    "raise max_retries / request_timeout",
                    status=response.status_code if response is not None else None,
                    error_code=(self._error_details(response)[0] if response is not None else None),
                )
            delay = self._backoff(attempt, response)
            if response is not None:
                response.close()
            self.logger.debug("Retrying in %.2fs after %s", delay, failure)
            time.sleep(delay)
            attempt += 1

    def _send(
        self, method: str, url: str, *, stream: bool, encoded_query: str | None, **kwargs: Any
    ) -> requests.Response:
        """What ``Session.request`` does, with ``encoded_query`` appended after preparation."""
        session = self._session
        prepared = session.prepare_request(requests.Request(method, url, **kwargs))
        if encoded_query:
            separator = "&" if "?" in (prepared.url or "") else "?"
            prepared.url = f"{prepared.url}{separator}{encoded_query}"
        settings = session.merge_environment_settings(prepared.url, {}, stream, None, None)
        return session.send(
            prepared,
            timeout=(min(10.0, self.request_timeout), self.request_timeout),
            allow_redirects=True,
            **settings,
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

    def _error_details(self, response: requests.Response) -> tuple[str | None, str]:
        try:
            body = response.json()
        except ValueError:
            return None, response.text[:500]
        if isinstance(body, list) and body and isinstance(body[0], Mapping):
            body = body[0]
        if isinstance(body, Mapping):
            code = body.get("errorCode") or body.get("error")
            message = body.get("message") or body.get("error_description") or ""
            return (str(code) if code else None), str(message)
        return None, str(body)[:500]

    def _error(
        self, status: int, code: str | None, message: str, method: str, url: str
    ) -> SalesforceError:
        message = redact(message, self._secrets())
        where = f"{method} {urlsplit(url).path}"
        text = f"{where} failed: HTTP {status} {code or ''}: {message}".replace("  ", " ")
        if code == "REQUEST_LIMIT_EXCEEDED":
            return RequestLimitExceededError(
                f"{text}. The org's daily API request limit is used up; the run stops. Wait "
                "for the rolling 24-hour window or ask Salesforce for a higher limit",
                status=status,
                error_code=code,
            )
        if status == 401:
            fix = (
                "the access_token expired: supply a new one or use a renewable auth_flow"
                if not self._auth.can_renew
                else "a freshly renewed session was refused too: check the user's access"
            )
            return SessionExpiredError(f"{text}; {fix}", status=status, error_code=code)
        if code == "MALFORMED_QUERY":
            return MalformedQueryError(text, status=status, error_code=code)
        if code in {"INVALID_FIELD", "INVALID_FIELD_FOR_INSERT_UPDATE", "NO_SUCH_COLUMN"}:
            return InvalidFieldError(
                f"{text}; check the field's API name and that the user can see it",
                status=status,
                error_code=code,
            )
        if status == 404 or code in {"NOT_FOUND", "INVALID_TYPE"}:
            return NotFoundError(
                f"{text}; check the object's API name and the user's access to it",
                status=status,
                error_code=code,
            )
        return SalesforceError(text, status=status, error_code=code)

    # ----------------------------------------------------------------- read API

    def _sobject(self, sobject: str) -> str:
        if not _SOBJECT_NAME.match(sobject or ""):
            raise ValueError(f"{sobject!r} is not an sObject API name such as Contact or Custom__c")
        return sobject

    def describe_global(self) -> dict:
        """``GET sobjects``: every object visible to the user."""
        return self.request_json("GET", "sobjects")

    def describe(self, sobject: str) -> dict:
        """``GET sobjects/{sobject}/describe``: the raw describe JSON of one object."""
        return self.request_json("GET", f"sobjects/{self._sobject(sobject)}/describe")

    def limits(self) -> dict:
        """``GET limits``: the org's limits, e.g. ``DailyApiRequests``."""
        return self.request_json("GET", "limits")

    def userinfo(self) -> dict:
        """The OpenID Connect userinfo of the authenticated user (not an API-counted call)."""
        return self.request_json("GET", "/services/oauth2/userinfo", counted=False)

    def query(self, soql: str) -> Iterator[dict]:
        """Run a SOQL query and yield its records (without ``attributes``), page by page.

        Uses ``query`` (never ``queryAll``), so deleted records are not returned.
        """
        encoded = url_quote(soql, safe="")
        request_line = len(f"GET {self.base_path}/query?q= HTTP/1.1") + len(encoded)
        if request_line + HEADER_ALLOWANCE > MAX_REQUEST_LINE_AND_HEADERS:
            raise MalformedQueryError(
                f"the SOQL statement is {len(encoded)} characters once URL-encoded, too long "
                f"for Salesforce's {MAX_REQUEST_LINE_AND_HEADERS}-byte limit on the request "
                "line plus headers: query fewer keys at once"
            )
        path: str | None = "query"
        query: str | None = f"q={encoded}"
        pages = 0
        while path:
            body = self.request_json("GET", path, encoded_query=query)
            query = None
            pages += 1
            for record in body.get("records", ()):
                yield _strip_attributes(record)
            path = None if body.get("done", True) else body.get("nextRecordsUrl")
        self.logger.debug("Query returned %d page(s)", pages)

    # ----------------------------------------------------------------- write API

    def update_records(self, sobject: str, records: Sequence[Mapping]) -> list[SaveResult]:
        """Update existing records with sObject Collections; ``result[i]`` is ``records[i]``'s.

        Each record needs an ``Id``. A key absent from a record leaves that field alone; a
        ``None`` value clears it. Chunks of 200 go out in parallel (up to ``max_concurrency``),
        with ``allOrNone=false``; records that fail with a transient error (UNABLE_TO_LOCK_ROW …,
        see :data:`RETRYABLE_RECORD_CODES`) are re-sent alone, up to ``max_retries`` times.
        """
        self._sobject(sobject)
        if not records:
            return []
        payloads = [_update_payload(sobject, record) for record in records]
        chunks = [
            payloads[i : i + COLLECTION_SIZE] for i in range(0, len(payloads), COLLECTION_SIZE)
        ]
        started = time.monotonic()
        calls_before = self.api_calls
        results: list[SaveResult] = []
        workers = max(1, min(self.max_concurrency, len(chunks)))
        if workers == 1:
            for chunk in chunks:
                results.extend(self._update_chunk(chunk))
        else:
            with ThreadPoolExecutor(workers, thread_name_prefix="sf-update") as pool:
                update_chunk = carry_meter(self._update_chunk)
                futures = [pool.submit(update_chunk, chunk) for chunk in chunks]
                try:
                    for future in futures:
                        results.extend(future.result())
                except BaseException:
                    for future in futures:
                        future.cancel()
                    raise
        failed = sum(1 for r in results if not r.success)
        self.logger.info(
            "Updated %s via Collections: %d records, %d succeeded, %d failed, %d API calls, %.1fs",
            sobject,
            len(results),
            len(results) - failed,
            failed,
            self.api_calls - calls_before,
            time.monotonic() - started,
        )
        return results

    def _update_chunk(self, payloads: list[dict]) -> list[SaveResult]:
        results: list[SaveResult | None] = [None] * len(payloads)
        pending = list(range(len(payloads)))
        for attempt in range(self.max_retries + 1):
            body = {"allOrNone": False, "records": [payloads[i] for i in pending]}
            raw = self.request_json("PATCH", "composite/sobjects", json=body)
            if not isinstance(raw, list) or len(raw) != len(pending):
                raise SalesforceError(
                    f"Collections update returned {len(raw) if isinstance(raw, list) else 'no'} "
                    f"results for {len(pending)} records; cannot tell which record failed"
                )
            locked = []
            for index, item in zip(pending, raw, strict=True):
                result = SaveResult(
                    id=item.get("id") or _record_id(payloads[index]),
                    success=bool(item.get("success")),
                    errors=_record_errors(item.get("errors")),
                )
                results[index] = result
                if not result.success and is_retryable(result.errors):
                    locked.append(index)
            if not locked or attempt >= self.max_retries:
                break
            pending = locked
            delay = self._backoff(attempt, None)
            self.logger.debug("%d records locked; re-sending in %.2fs", len(locked), delay)
            time.sleep(delay)
        return [r for r in results if r is not None]

    def retry_pause(self, attempt: int) -> float:
        """Sleep the backoff before retry number ``attempt + 1``; returns the seconds slept."""
        delay = self._backoff(attempt, None)
        time.sleep(delay)
        return delay

    def bulk_update(
        self, sobject: str, records: Sequence[Mapping], *, journal: JobJournal | None = None
    ) -> list[SaveResult]:
        """Update existing records with Bulk API 2.0; ``result[i]`` is ``records[i]``'s.

        Absent key → empty CSV cell (field untouched); ``None`` → ``#N/A`` (field cleared). A
        record holding a literal ``#N/A`` text value goes through Collections instead.
        ``journal`` records each job while it is unfinished (see :mod:`.job_journal`).
        """
        from .bulk2 import bulk_update

        return bulk_update(self, self._sobject(sobject), records, journal=journal)

    def bulk_update_file(
        self,
        sobject: str,
        upload: IO[bytes],
        count: int,
        *,
        journal: JobJournal | None = None,
    ) -> dict[str, tuple[RecordError, ...]]:
        """One Bulk API 2.0 update job on a ready CSV file of ``count`` records (``Id`` first).

        Returns the errors of the records that failed, keyed by their Id's first 15
        characters; every other record succeeded. See :func:`.bulk2.bulk_update_file`.
        """
        from .bulk2 import bulk_update_file

        return bulk_update_file(self, self._sobject(sobject), upload, count, journal=journal)

    # ----------------------------------------------------------------- housekeeping

    def revoke(self, token: str | None = None) -> None:
        """Revoke ``token`` (default: the refresh token, else the current access token)."""
        if token is None:
            token = self._auth.refresh_token or (self._token and self._token.refresh_token)
            if token is None:
                token = self._ensure_token().access_token
        revoke_token(self._session, self._auth.login_url, token, self.request_timeout)
        self._token = None

    def close(self) -> None:
        """Release the connection pool."""
        self._session.close()


def _record_id(record: Mapping) -> str | None:
    value = record.get("Id", record.get("id"))
    return str(value) if value else None


def _update_payload(sobject: str, record: Mapping) -> dict:
    if not _record_id(record):
        raise ValueError(
            "every record passed to update_records needs an Id: this client only updates "
            "existing records and never creates one"
        )
    payload: dict[str, Any] = {"attributes": {"type": sobject}}
    for key, value in record.items():
        if key == "attributes":
            continue
        payload["Id" if key == "id" else key] = value
    return payload
