"""The sink of ``meltano config test``'s stream: log in, preflight every integration, write nothing.

The target chooses it (:meth:`.target.TargetSalesforceUpdate.get_sink_class`) for the stream
``meltano_test_stream`` unless the config has an integration of that name.
"""

from __future__ import annotations

from .integration import resolve_integration
from .preflight import check_integration
from .sink_base import SalesforceSinkBase
from .sink_context import Connection


class ConnectionTestSink(SalesforceSinkBase):
    """Bad credentials or an integration that would fail make the test fail; nothing is ever
    written for this stream and its records are dropped."""

    def start(self, connection: Connection) -> None:
        """Log in and preflight every configured integration (the target calls this once)."""
        client = connection.client  # logs in first: bad credentials fail the test
        names = [""] if self.config.get("sobject") else []
        names += [name for name in (self.config.get("streams") or {}) if name]
        checked = []
        for name in names:
            integration = resolve_integration(self.config, name)
            plan = check_integration(integration, connection.describe(integration.sobject), None)
            checked.append(f"{name or 'default'} ({plan.sobject}.{plan.match.name})")
        self.logger.info(
            "Stream %s (sent by `meltano config test`): connected to %s; preflight passed for "
            "%s; nothing is written for this stream",
            self.stream_name,
            client.instance_url,
            ", ".join(checked) or "no integration configured yet",
        )

    def process_record(self, record: dict, context: dict) -> None:
        """Drop the record."""

    def process_batch(self, context: dict) -> None:
        """Nothing to write."""
