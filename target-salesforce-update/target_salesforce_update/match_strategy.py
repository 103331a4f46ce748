"""How a stream's keys are matched to records: filled SOQL ``IN`` queries per batch, or one
Bulk API 2.0 query job over the object joined locally — whichever costs fewer API calls.

Cost, in API calls (see the target README, "Match strategies"):

* ``in_query``: the batch's ``IN`` statements (≈ distinct keys / keys per statement, ≈ 330
  e-mail keys each); exact, :func:`.matching.match_queries` builds them.
* ``bulk_query``: 1 create + polls + ceil(records / page size) pages, read once for the whole
  stream, where records = ``SELECT COUNT() FROM X WHERE <match> != null`` (1 call, asked once,
  only when the batch needs more ``IN`` statements than the cheapest possible Bulk read).

A batch is matched before the rest of the stream is known, so ``auto`` decides per batch, as
in rent-or-buy: it keeps renting (``IN`` queries) while the calls spent on them so far plus
this batch's stay within the Bulk read's cost, and buys (runs the Bulk job once; every later
batch is joined with it, no more calls) as soon as they would not. A stream that fits in one
batch (up to ``batch_size_rows``) gets the cheaper of the two exactly; a longer one pays at most
about twice the cheaper one's calls, and at most one COUNT() call more.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import soql
from .call_meter import carry_meter
from .exceptions import BulkJobError, InvalidFieldError, MalformedQueryError, NotFoundError
from .match_snapshot import MatchSnapshot
from .salesforce.bulk_query import DEFAULT_PAGE_RECORDS, count_records, query_pages

if TYPE_CHECKING:
    from .preflight import Plan
    from .salesforce import SalesforceClient

#: Errors of the COUNT() or the Bulk read after which ``auto`` goes on with ``IN`` queries (the
#: object or a field may not be supported by Bulk query, or the job failed). Daily-limit, usage
#: ceiling, authentication and exhausted-retry errors still stop the run.
FALLBACK_ERRORS = (BulkJobError, InvalidFieldError, MalformedQueryError, NotFoundError)

#: Expected polls of a query job: one, plus one per million records (bigger jobs run longer).
_RECORDS_PER_EXTRA_POLL = 1_000_000
#: The fewest calls a Bulk read can take: COUNT() + create + 1 poll + 1 page. A batch needing
#: no more ``IN`` statements than this (with what was spent before) never asks for COUNT().
MIN_BULK_CALLS = 4


def bulk_query_calls(records: int, page_records: int = DEFAULT_PAGE_RECORDS) -> int:
    """Estimated API calls of one Bulk query job reading ``records`` rows (COUNT() excluded)."""
    polls = 1 + records // _RECORDS_PER_EXTRA_POLL
    pages = max(1, math.ceil(records / page_records))
    return 1 + polls + pages


@dataclass(frozen=True)
class Choice:
    """The strategy for one batch and why."""

    strategy: str  # in_query | bulk_query
    reason: str


def where_clause(plan: Plan) -> str:
    """``<match> != null`` plus the plan's own filter (e.g. Leads not converted)."""
    field_name = soql.quote_identifier(plan.match.name)
    extra = f" AND {plan.extra_filter}" if plan.extra_filter else ""
    return f"{field_name} != null{extra}"


class Matcher:
    """Per-stream state of the match strategy: calls spent on ``IN`` queries, the object's
    record count once asked, and the Bulk snapshot once read."""

    def __init__(
        self,
        plan: Plan,
        client: SalesforceClient,
        *,
        page_records: int = DEFAULT_PAGE_RECORDS,
        logger: logging.Logger | None = None,
    ) -> None:
        self.plan = plan
        self.client = client
        self.setting = plan.integration.match_strategy
        self.page_records = page_records
        self.logger = logger or logging.getLogger("target_salesforce_update.match_strategy")
        self.in_query_calls = 0
        self.records: int | None = None
        self.snapshot: MatchSnapshot | None = None
        self._lock = threading.Lock()
        self._logged: str | None = None
        self._reading: Future[MatchSnapshot] | None = None
        self._reader: ThreadPoolExecutor | None = None

    def choose(self, statements: int, keys: int) -> Choice:
        """The strategy for a batch needing ``statements`` ``IN`` queries for ``keys`` keys."""
        sobject = self.plan.sobject
        if self.snapshot is not None:
            return Choice("bulk_query", "the Bulk snapshot of this stream is already read")
        if self.setting == "in_query":
            return Choice("in_query", "match_strategy is in_query")
        if self.setting == "bulk_query":
            return Choice("bulk_query", "match_strategy is bulk_query")
        spent = self.in_query_calls
        if spent + statements <= MIN_BULK_CALLS:
            return Choice(
                "in_query",
                f"{keys} key(s) need {statements} IN quer(y/ies) ({spent} spent before), no "
                f"more than the cheapest Bulk read ({MIN_BULK_CALLS} calls)",
            )
        if self.records is None:
            self.records = count_records(
                self.client.transport,
                f"SELECT COUNT() FROM {soql.quote_identifier(sobject)} "  # noqa: S608
                f"WHERE {where_clause(self.plan)}",
            )
        bulk = bulk_query_calls(self.records, self.page_records)
        detail = (
            f"{keys} key(s) need {statements} IN quer(y/ies) ({spent} spent before); a Bulk "
            f"query of the {self.records:,} {sobject} record(s) with {self.plan.match.name} set "
            f"≈ {bulk} calls"
        )
        if spent + statements > bulk:
            return Choice("bulk_query", detail)
        return Choice("in_query", detail)

    def give_up_bulk(self, exc: Exception) -> None:
        """``auto`` only: the Bulk read failed; use ``IN`` queries for the rest of the stream."""
        self.setting = "in_query"
        self._reading = None
        self.logger.warning(
            "Stream %s → %s: the Bulk query match failed (%s); matching with SOQL IN queries "
            "instead for the rest of the stream",
            self.plan.integration.stream,
            self.plan.sobject,
            exc,
        )
        self._logged = "in_query"

    def log(self, choice: Choice) -> None:
        """Log the choice when it differs from the last one logged."""
        if choice.strategy == self._logged:
            return
        self._logged = choice.strategy
        self.logger.info(
            "Stream %s → %s: match strategy %s (%s)",
            self.plan.integration.stream,
            self.plan.sobject,
            choice.strategy,
            choice.reason,
        )

    def start_snapshot(self) -> None:
        """Start the Bulk read in a background thread (its calls count on the current meter):
        the sink goes on reading batches meanwhile and keeps them in its backlog."""
        with self._lock:
            if self._reading is not None or self.snapshot is not None:
                return
            self._reader = ThreadPoolExecutor(1, thread_name_prefix="sf-bulk-read")
            self._reading = self._reader.submit(carry_meter(self._read))

    @property
    def started(self) -> bool:
        """Whether the Bulk read was started (it may be running, done or failed)."""
        return self._reading is not None or self.snapshot is not None

    @property
    def loading(self) -> bool:
        """Whether the background Bulk read is still running."""
        reading = self._reading
        return reading is not None and not reading.done()

    def read_snapshot(self) -> MatchSnapshot:
        """The stream's snapshot: waits for the background read (re-raising its error; a
        failed read is not retried) or runs the Bulk query job now."""
        reading = self._reading
        if reading is not None:
            try:
                return reading.result()
            finally:
                self._stop_reader()
        return self._read()

    def _stop_reader(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.shutdown(wait=False)

    def _read(self) -> MatchSnapshot:
        """Run the Bulk query job once and spill its rows into a :class:`MatchSnapshot`."""
        with self._lock:
            if self.snapshot is not None:
                return self.snapshot
            plan = self.plan
            columns = ", ".join(soql.quote_identifier(name) for name in plan.select_fields)
            statement = (
                f"SELECT {columns} FROM {soql.quote_identifier(plan.sobject)} "  # noqa: S608
                f"WHERE {where_clause(plan)}"
            )
            snapshot = MatchSnapshot(plan.match, plan.specs_by_field)
            try:
                stored = snapshot.load(
                    query_pages(
                        self.client.transport,
                        statement,
                        expected_records=self.records or 0,
                        page_records=self.page_records,
                    )
                )
            except BaseException:
                snapshot.close()
                raise
            self.logger.info(
                "Stream %s → %s: Bulk query read %d record(s) with %s set into a local snapshot",
                plan.integration.stream,
                plan.sobject,
                stored,
                plan.match.name,
            )
            self.snapshot = snapshot
            return snapshot

    def lookup(self, keys: Sequence[str]) -> tuple[dict[str, list[dict]], list[str]]:
        """See :meth:`MatchSnapshot.lookup` (reads the snapshot first if needed)."""
        return self.read_snapshot().lookup(keys)

    def close(self) -> None:
        reading = self._reading
        if reading is not None and self.snapshot is None:
            # The stream stopped while the Bulk read ran: let it end, then drop its file.
            with contextlib.suppress(Exception):
                self.snapshot = reading.result()
        self._reading = None
        self._stop_reader()
        if self.snapshot is not None:
            self.snapshot.close()
            self.snapshot = None
