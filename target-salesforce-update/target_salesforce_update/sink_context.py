"""What the target hands each sink when it builds it: the sinks never call back into the target.

- :class:`Connection` (one per run, shared by every sink): the Salesforce client, logged in on
  first use, and the describe cache;
- :class:`StreamContext` (one per sink): the connection, the stream's resolved integration,
  its results collector (shared by every sink of the stream) and a :class:`.call_meter.CallMeter`
  counting the API calls made for this sink.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .call_meter import CallMeter
from .exceptions import NotFoundError
from .integration import Integration
from .results import StreamResults
from .salesforce import SalesforceClient

__all__ = ["Connection", "StreamContext"]


class Connection:
    """The run's Salesforce client (created, and logged in, on first use) and describe cache."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self._config = config
        self._client: SalesforceClient | None = None
        self._lock = threading.Lock()
        self._describes: dict[str, dict | None] = {}

    @property
    def client(self) -> SalesforceClient:
        """The Salesforce client, logged in on first use."""
        with self._lock:
            if self._client is None:
                self._client = SalesforceClient.from_config(
                    self._config, logger=logging.getLogger("target_salesforce_update.salesforce")
                )
            return self._client

    @property
    def api_usage(self) -> tuple[int, int] | None:
        """The org's latest daily API usage (used, max) from ``Sforce-Limit-Info``."""
        return self._client.api_usage if self._client is not None else None

    def describe(self, sobject: str) -> dict | None:
        """The object's describe (cached per run); None when the user cannot see the object."""
        key = sobject.lower()
        if key not in self._describes:
            try:
                self._describes[key] = self.client.describe(sobject)
            except NotFoundError:
                self._describes[key] = None
        return self._describes[key]

    def close(self) -> None:
        """Release the client's connections (when it was ever created)."""
        if self._client is not None:
            self._client.close()


@dataclass
class StreamContext:
    """Everything one stream's sink works with."""

    connection: Connection
    integration: Integration
    results: StreamResults
    meter: CallMeter = field(default_factory=CallMeter)

    @property
    def client(self) -> SalesforceClient:
        return self.connection.client

    def count_calls(self) -> None:
        """Move the calls metered so far, and the org's usage, into the results."""
        self.results.api_calls += self.meter.take()
        self.results.api_usage = self.connection.api_usage
