"""Finding the records of a batch's keys: SOQL ``IN`` queries or the stream's Bulk snapshot.

:class:`RecordLookup` asks the stream's :class:`.match_strategy.Matcher` which strategy a
batch gets, runs the batch's ``IN`` queries (up to ``max_concurrency`` at once), or looks the
keys up in the Bulk query snapshot (keys handed out before are read fresh by ``IN``). It records
the strategy and its reason in the summary. No results lines are written here.
"""

from __future__ import annotations

import typing as t
from concurrent.futures import ThreadPoolExecutor

from .call_meter import carry_meter
from .coercion import CoercionError
from .exceptions import SalesforceError
from .match_strategy import FALLBACK_ERRORS, Choice, Matcher
from .matching import index_records, match_key, match_queries
from .soql import redact_literals

if t.TYPE_CHECKING:
    from .preflight import Plan
    from .results import StreamResults
    from .salesforce import SalesforceClient

__all__ = ["RecordLookup"]


class RecordLookup:
    """The records of each key of a batch, by the strategy the stream's matcher chooses."""

    def __init__(
        self, plan: Plan, client: SalesforceClient, results: StreamResults, matcher: Matcher
    ) -> None:
        self.plan = plan
        self.client = client
        self.results = results
        self.matcher = matcher
        self._pool: ThreadPoolExecutor | None = None

    @property
    def loading(self) -> bool:
        """Whether the stream's Bulk snapshot is being read in the background."""
        return self.matcher.loading

    def close(self) -> None:
        """Stop the query threads and drop the snapshot."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
        self.matcher.close()

        return True

    def find(self, keys: list[str], *, may_defer: bool = False) -> dict[str, list[dict]] | None:
        """The records of each of the batch's keys, by the match strategy the
        :class:`.match_strategy.Matcher` chooses: this batch's ``IN`` queries, or a lookup in
        the stream's Bulk query snapshot (keys handed out before are read fresh by ``IN``).
        None when ``may_defer`` and this batch starts the snapshot read in the background.
        """
        plan = self.plan
        matcher = self.matcher
        # Once the snapshot is read every batch is joined with it: no IN statement to count.
        statements = [] if matcher.snapshot is not None else list(match_queries(plan, keys))
        try:
            choice = matcher.choose(len(statements), len(keys))
        except FALLBACK_ERRORS as exc:
            if matcher.setting != "auto":
                raise
            matcher.give_up_bulk(exc)
            choice = matcher.choose(len(statements), len(keys))
        matcher.log(choice)
        self._record_strategy(choice)
        if choice.strategy == "bulk_query" and matcher.snapshot is None:
            if may_defer and not matcher.started:
                matcher.start_snapshot()
                return None
            try:
                matcher.read_snapshot()
            except FALLBACK_ERRORS as exc:
                if matcher.setting != "auto":
                    raise
                matcher.give_up_bulk(exc)
                choice = matcher.choose(len(statements), len(keys))
                self._record_strategy(choice)
        if choice.strategy == "in_query":
            matcher.in_query_calls += len(statements)
            return self._in_queries(statements)
        texts: dict[str, str] = {}
        for text in keys:
            try:
                folded = match_key(text, plan.match)
            except CoercionError:
                continue
            if folded is not None:
                texts[folded] = text
        found, seen = matcher.lookup(list(texts))
        if seen:
            # This run may have written these records since the snapshot: read them fresh.
            again = self._in_queries(list(match_queries(plan, [texts[k] for k in seen])))
            found.update(again)
        return found

    def _record_strategy(self, choice: Choice) -> None:
        """Put the strategy into the summary when it changes, with the reason that is logged
        (later batches of a read snapshot keep the reason it was chosen for)."""
        recorded = self.results.match_strategy
        if recorded is None or recorded["chosen"] != choice.strategy:
            self.results.match_strategy = {"chosen": choice.strategy, "reason": choice.reason}

    def _in_queries(self, statements: list[str]) -> dict[str, list[dict]]:
        """Run the batch's match queries, up to ``max_concurrency`` at once.

        Each statement holds distinct keys, so the answers are merged in statement order
        without overlap. The first failure cancels the statements not yet started.
        """
        plan = self.plan
        client = self.client

        def run(statement: str) -> dict[str, list[dict]]:
            try:
                return index_records(client.query(statement), plan)
            except SalesforceError as exc:
                # Salesforce quotes the statement in its errors: other rows' keys.
                exc.message = redact_literals(exc.message)
                exc.args = (exc.message,)
                raise

        found: dict[str, list[dict]] = {}
        workers = max(1, min(client.max_concurrency, len(statements)))
        if workers == 1:
            answers: t.Iterable[dict[str, list[dict]]] = map(run, statements)
        else:
            answers = self._query_pool(workers).map(carry_meter(run), statements)
        for answer in answers:
            for key, matched in answer.items():
                found.setdefault(key, []).extend(matched)
            self.results.maybe_log_progress()
        return found

    def _query_pool(self, workers: int) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(workers, thread_name_prefix="sf-query")
        return self._pool
