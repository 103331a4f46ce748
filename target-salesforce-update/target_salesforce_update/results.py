"""One stream's outcomes in one run: counts, progress, the summary and its status.

For each run and stream the target writes, under ``<results_dir>/<stream>/<UTC time>-<run id>/``:

- ``updated.csv``, ``unchanged.csv``, ``unmatched.csv``, ``ambiguous.csv``, ``failed.csv`` —
  one line per input row (rejected rows go to ``failed.csv`` with outcome ``rejected``;
  :mod:`.results_files`);
- ``summary.json`` — stream, object, environment, times, counts, API calls, the status and
  its reason, ``dry_run``, ``fail_on``, ``exit_nonzero``, ``bookmark_withheld`` and the
  ``match_strategy`` chosen (``chosen`` and the ``reason`` also logged);

and logs one ``Summary: key=value ...`` line (parsed by the demo and run-history tools) plus a
``Progress:`` line at most every ``progress_interval`` seconds. The status rules (which status
the rows earn, ``fail_on``, the withheld bookmark) are :mod:`.run_status`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from .results_files import CATEGORIES, ResultsFiles
from .run_status import STATUS_COMPLETED, STATUS_FAILED, exits_nonzero, row_status, withhold_reason
from .settings import default

#: Counted outcomes (``rejected`` rows are written to failed.csv).
COUNTS = (*CATEGORIES, "rejected")


def utc_now() -> dt.datetime:
    """The current time in UTC (timezone-aware)."""
    return dt.datetime.now(dt.timezone.utc)


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _folder_name(stream: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", stream).strip("._") or "stream"


def run_id() -> str:
    """Meltano's run id when running under ``meltano run``, else a fresh one."""
    return os.environ.get("MELTANO_RUN_ID") or uuid.uuid4().hex


class StreamResults:
    """Collects outcomes for one stream of one run and writes the results files."""

    def __init__(
        self,
        *,
        results_dir: str | os.PathLike[str],
        stream: str,
        sobject: str,
        environment: str = "",
        dry_run: bool = False,
        fail_on: str = "failed_rows",
        logger: logging.Logger | None = None,
        progress_interval: float = default("progress_interval"),
    ) -> None:
        self.stream = stream
        self.sobject = sobject
        self.environment = environment
        self.dry_run = dry_run
        self.fail_on = fail_on
        self.logger = logger or logging.getLogger("target_salesforce_update.results")
        self.progress_interval = progress_interval
        self.started_at = utc_now()
        self._started_clock = time.monotonic()
        self._last_progress = self._started_clock
        self.run_id = run_id()
        stamp = self.started_at.strftime("%Y%m%dT%H%M%SZ")
        self.folder = Path(results_dir) / _folder_name(stream) / f"{stamp}-{self.run_id[:8]}"
        self.counts: dict[str, int] = dict.fromkeys(COUNTS, 0)
        self.rows = 0
        self.records_written = 0
        self.keys_with_multiple_matches = 0
        self.api_calls = 0
        self.api_usage: tuple[int, int] | None = None
        self.write_calls: dict[str, int] = {"collections": 0, "bulk": 0}
        #: Outcomes of an earlier run's unfinished writes, settled by this run (reconcile.py).
        self.reconciled: dict[str, int] = {}
        #: The match strategy chosen for the stream's batches and why (:mod:`.match_strategy`):
        #: ``{"chosen": "in_query" | "bulk_query", "reason": ...}``, updated when it changes.
        self.match_strategy: dict[str, str] | None = None
        self.status = "running"
        self.error = ""
        self.reason = ""
        self.finished = False
        self._files = ResultsFiles(self.folder)
        # One stream's results may be fed by several sinks (a new sink after a schema change),
        # each processing batches in its own worker thread: rows, counts and files are guarded.
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ rows

    def next_position(self) -> int:
        """Number the next input row of the stream (1-based, across batches)."""
        with self._lock:
            self.rows += 1
            return self.rows

    def reserve_positions(self, count: int) -> int:
        """Number the next ``count`` input rows at once; returns the first one's position."""
        with self._lock:
            first = self.rows + 1
            self.rows += count
            return first

    def add(self, outcome: str, *, row: int, key: Any, **cells: Any) -> None:
        """Count one input row's outcome and write its line (``cells``: as :meth:`add_rows`)."""
        self.add_rows(outcome, [(row, key)], **cells)

    def add_rows(
        self,
        outcome: str,
        rows: list[tuple[int, Any]],
        *,
        record_ids: list[str] | tuple[str, ...] = (),
        fields_changed: list[str] | tuple[str, ...] = (),
        new_values: dict[str, Any] | None = None,
        error_code: str = "",
        error_message: str = "",
    ) -> None:
        """Count and write rows sharing one outcome (``(row number, key as read)`` each)."""
        with self._lock:
            self.counts[outcome] += len(rows)
            shown = outcome
            if self.dry_run and outcome == "updated":
                shown = "would_update"
            self._files.write_rows(
                "failed" if outcome == "rejected" else outcome,
                rows,
                outcome=shown,
                record_ids=record_ids,
                fields_changed=fields_changed,
                new_values=new_values,
                error_code=error_code,
                error_message=error_message,
            )

    def flush(self) -> None:
        """Push written lines to disk (called after each batch)."""
        with self._lock:
            self._files.flush()

    # ------------------------------------------------------------------ logging

    def _counts_text(self) -> str:
        return " ".join(f"{name}={self.counts[name]}" for name in COUNTS)

    def maybe_log_progress(self) -> None:
        """Log a progress line if ``progress_interval`` seconds passed since the last one."""
        now = time.monotonic()
        if now - self._last_progress < self.progress_interval:
            return
        self._last_progress = now
        self.logger.info(
            "Progress: stream=%s object=%s rows=%d %s api_calls=%d elapsed=%ds",
            self.stream,
            self.sobject,
            self.rows,
            self._counts_text(),
            self.api_calls,
            int(now - self._started_clock),
        )

    def summary(self) -> dict[str, Any]:
        """The summary document (also written to ``summary.json``)."""
        ended = utc_now()
        return {
            "stream": self.stream,
            "object": self.sobject,
            "environment": self.environment,
            "run_id": os.environ.get("MELTANO_RUN_ID") or self.run_id,
            "started_at": _iso(self.started_at),
            "ended_at": _iso(ended),
            "duration_seconds": round(time.monotonic() - self._started_clock, 3),
            "dry_run": self.dry_run,
            "status": self.status,
            "reason": self.reason or None,
            "error": self.error or None,
            "fail_on": self.fail_on,
            "exit_nonzero": self.exit_nonzero,
            "bookmark_withheld": bool(self.withhold_reason()),
            "rows": self.rows,
            "counts": dict(self.counts),
            "records_updated": self.records_written,
            "keys_with_multiple_matches": self.keys_with_multiple_matches,
            "api_calls": self.api_calls,
            "api_usage": (
                {"used": self.api_usage[0], "max": self.api_usage[1]} if self.api_usage else None
            ),
            "write_calls": dict(self.write_calls),
            "match_strategy": dict(self.match_strategy) if self.match_strategy else None,
            "reconciled": dict(self.reconciled),
            "results_dir": str(self.folder),
            "files": {category: f"{category}.csv" for category in CATEGORIES},
        }

    # ------------------------------------------------------------------ status

    def row_status(self) -> tuple[str, str]:
        """The status the rows so far earn, and its reason (:func:`.run_status.row_status`)."""
        with self._lock:
            failed, rejected = self.counts["failed"], self.counts["rejected"]
        return row_status(failed, rejected, self.folder)

    @property
    def exit_nonzero(self) -> bool:
        """True when this stream's status makes the target exit non-zero under ``fail_on``."""
        return exits_nonzero(self.status, self.fail_on)

    def withhold_reason(self) -> str:
        """Why this stream's bookmark must not move past this export ("" when it may;
        :func:`.run_status.withhold_reason`)."""
        return withhold_reason(dry_run=self.dry_run, status=self.status, rows=self.row_status())

    # ------------------------------------------------------------------ summary

    def finish(self, status: str | None = None, error: str = "") -> dict[str, Any]:
        """Close the CSVs, write ``summary.json`` and log the summary line (once).

        ``status`` is ``failed`` when the run stopped; by default it follows the rows
        (:meth:`row_status`).
        """
        if self.finished:
            return self.summary()
        self.finished = True
        if status is None or status == STATUS_COMPLETED:
            status, reason = self.row_status()
        else:
            reason = error
        self.status = status
        self.error = error
        self.reason = reason
        with self._lock:
            self._files.close()
        document = self.summary()
        path = self.folder / "summary.json"
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        dry = " dry_run=true" if self.dry_run else ""
        withheld = " bookmark=withheld" if document["bookmark_withheld"] else ""
        self.logger.info(
            "Summary: stream=%s object=%s %s api_calls=%d status=%s%s%s results=%s",
            self.stream,
            self.sobject,
            self._counts_text(),
            self.api_calls,
            status,
            dry,
            withheld,
            self.folder,
        )
        if reason and status != STATUS_FAILED:
            self.logger.warning("Stream %s: %s: %s", self.stream, status, reason)
        return document
