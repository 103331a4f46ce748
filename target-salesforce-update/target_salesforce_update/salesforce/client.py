"""``SalesforceClient``: the front door to Salesforce for the target and the manager.

It only composes the parts and keeps one public API: the connection settings become an
:class:`.auth.Authenticator` and a :class:`.tuning.Tuning`; every call goes through one
:class:`.transport.Transport` (session, retries, renewal, limits, call counting); reads and
Collections updates are :class:`.rest.Rest`'s, Bulk API 2.0 jobs :mod:`.bulk2`'s. It reads and
updates existing records and nothing else: there is no insert or upsert path.

Logging: at most one INFO line per write call; request detail at DEBUG. No token, secret or
query string is ever logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any

import requests

from . import bulk2
from .auth import Authenticator, Token, revoke_token
from .rest import COLLECTION_SIZE, Rest, check_sobject
from .retry_policy import MAX_BACKOFF_SECONDS, MAX_RETRY_AFTER_SECONDS, retry_delay
from .save_results import RETRYABLE_RECORD_CODES, RecordError, SaveResult, is_retryable
from .transport import Transport, parse_limit_info
from .tuning import DEFAULT_API_VERSION, MAX_CONCURRENCY, Tuning

if TYPE_CHECKING:
    from ..job_journal import JobJournal

__all__ = [
    "COLLECTION_SIZE",
    "DEFAULT_API_VERSION",
    "MAX_BACKOFF_SECONDS",
    "MAX_CONCURRENCY",
    "MAX_RETRY_AFTER_SECONDS",
    "RETRYABLE_RECORD_CODES",
    "RecordError",
    "SalesforceClient",
    "SaveResult",
    "is_retryable",
    "parse_limit_info",
    "retry_delay",
]


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
        auth = Authenticator(config)
        tuning = Tuning.from_config(config)
        self.logger = logger or logging.getLogger("target_salesforce_update.salesforce")
        self.transport = Transport(auth, tuning, self.logger)
        self.rest = Rest(self.transport)

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], *, logger: logging.Logger | None = None
    ) -> SalesforceClient:
        """Validate the connection settings, log in and return a ready client."""
        client = cls(config, logger=logger)
        try:
            client.transport.ensure_token()
        except BaseException:
            client.close()
            raise
        return client

    def __enter__(self) -> SalesforceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SalesforceClient(flow={self.auth_flow!r}, api_version={self.api_version!r})"

    # ----------------------------------------------------------------- state and settings

    @property
    def _auth(self) -> Authenticator:
        return self.transport.auth

    @property
    def _token(self) -> Token | None:
        return self.transport.token

    @property
    def auth_flow(self) -> str:
        """The OAuth flow in use (inferred from the settings when not configured)."""
        return self.transport.auth.flow

    @property
    def instance_url(self) -> str:
        """Base URL of the org's instance (logs in first when needed)."""
        return self.transport.instance_url

    @property
    def base_path(self) -> str:
        """``/services/data/vNN.0`` for the configured API version."""
        return self.transport.base_path

    @property
    def api_calls(self) -> int:
        """API calls made by this client so far."""
        return self.transport.api_calls

    @property
    def api_usage(self) -> tuple[int, int] | None:
        """``(used, max)`` daily API requests from the last ``Sforce-Limit-Info`` seen."""
        return self.transport.api_usage

    @property
    def api_version(self) -> str:
        return self.transport.tuning.api_version

    @property
    def request_timeout(self) -> float:
        return self.transport.tuning.request_timeout

    @property
    def max_retries(self) -> int:
        return self.transport.tuning.max_retries

    @property
    def max_concurrency(self) -> int:
        return self.transport.tuning.max_concurrency

    @property
    def max_daily_api_usage_percent(self) -> float:
        return self.transport.tuning.max_daily_api_usage_percent

    @property
    def retry_backoff_base(self) -> float:
        return self.transport.tuning.retry_backoff_base

    @property
    def bulk_poll_timeout(self) -> float:
        return self.transport.tuning.bulk_poll_timeout

    @property
    def bulk_max_upload_bytes(self) -> int:
        """Largest CSV upload of one Bulk job (settable, e.g. by tests)."""
        return self.transport.tuning.bulk_max_upload_bytes

    @bulk_max_upload_bytes.setter
    def bulk_max_upload_bytes(self, value: int) -> None:
        self.transport.tuning.bulk_max_upload_bytes = value

    # ----------------------------------------------------------------- raw calls

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One API call through the transport (see :meth:`.transport.Transport.request`)."""
        return self.transport.request(method, path, **kwargs)

    def request_json(self, method: str, path: str, **kwargs: Any) -> Any:
        """:meth:`request` and decode the JSON answer."""
        return self.transport.request_json(method, path, **kwargs)

    def retry_pause(self, attempt: int) -> float:
        """Sleep the backoff before retry number ``attempt + 1``; returns the seconds slept."""
        return self.transport.pause(attempt)

    # ----------------------------------------------------------------- REST

    def describe_global(self) -> dict:
        """``GET sobjects``: every object visible to the user."""
        return self.rest.describe_global()

    def describe(self, sobject: str) -> dict:
        """``GET sobjects/{sobject}/describe``: the raw describe JSON of one object."""
        return self.rest.describe(sobject)

    def limits(self) -> dict:
        """``GET limits``: the org's limits, e.g. ``DailyApiRequests``."""
        return self.rest.limits()

    def userinfo(self) -> dict:
        """The OpenID Connect userinfo of the authenticated user (not an API-counted call)."""
        return self.rest.userinfo()

    def query(self, soql: str) -> Iterator[dict]:
        """Run a SOQL query and yield its records (see :meth:`.rest.Rest.query`)."""
        return self.rest.query(soql)

    def update_records(self, sobject: str, records: Sequence[Mapping]) -> list[SaveResult]:
        """Update existing records with sObject Collections (see
        :meth:`.rest.Rest.update_records`); ``result[i]`` is ``records[i]``'s."""
        return self.rest.update_records(sobject, records)

    # ----------------------------------------------------------------- Bulk API 2.0

    def bulk_update(
        self, sobject: str, records: Sequence[Mapping], *, journal: JobJournal | None = None
    ) -> list[SaveResult]:
        """Update existing records with Bulk API 2.0; ``result[i]`` is ``records[i]``'s.

        Absent key → empty CSV cell (field untouched); ``None`` → ``#N/A`` (field cleared). A
        record holding a literal ``#N/A`` text value goes through Collections instead.
        ``journal`` records each job while it is unfinished (see :mod:`.job_journal`).
        """
        return bulk2.bulk_update(
            self.transport,
            check_sobject(sobject),
            records,
            update_records=self.rest.update_records,
            journal=journal,
        )

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
        return bulk2.bulk_update_file(
            self.transport, check_sobject(sobject), upload, count, journal=journal
        )

    # ----------------------------------------------------------------- housekeeping

    def revoke(self, token: str | None = None) -> None:
        """Revoke ``token`` (default: the refresh token, else the current access token)."""
        transport = self.transport
        if token is None:
            token = transport.auth.refresh_token or (
                transport.token and transport.token.refresh_token
            )
            if token is None:
                token = transport.ensure_token().access_token
        revoke_token(
            transport.session, transport.auth.login_url, token, transport.tuning.request_timeout
        )
        transport.token = None

    def close(self) -> None:
        """Release the connection pool."""
        self.transport.close()
