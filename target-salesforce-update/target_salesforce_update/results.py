"""Results files, like Salesforce Data Loader's success and error files, plus a run summary.

For each run and stream the target writes, under ``<results_dir>/<stream>/<UTC time>-<run id>/``:

- ``updated.csv``, ``unchanged.csv``, ``unmatched.csv``, ``ambiguous.csv``, ``failed.csv`` —
  one line per input row (rejected rows go to ``failed.csv`` with outcome ``rejected``);
- ``summary.json`` — stream, object, environment, times, counts, API calls, the status and
  its reason, ``dry_run``, ``fail_on``, ``exit_nonzero``, ``bookmark_withheld`` and the
  ``match_strategy`` chosen (``chosen`` and the ``reason`` also logged);

and logs one ``Summary: key=value ...`` line (parsed by the demo and run-history tools) plus a
``Progress:`` line at most every ``progress_interval`` seconds. Files are appended batch by
batch, so memory stays bounded however long the report is.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import os
import re
import threading
import time
import uuid
from pathlib import Path
from typing import IO, Any

from .settings import default

#: The outcome files, in summary order.
CATEGORIES = ("updated", "unchanged", "unmatched", "ambiguous", "failed")
#: Counted outcomes (``rejected`` rows are written to failed.csv).
COUNTS = (*CATEGORIES, "rejected")
COLUMNS = (
    "row",
    "key",
    "outcome",
    "record_ids",
    "fields_changed",
    "new_values",
    "error_code",
    "error_message",
)
_UNSAFE_START = ("=", "+", "-", "@", "\t", "\r")

#: Every mapped value of every matched row landed (or, in a dry run, would have been sent).
STATUS_COMPLETED = "completed"
#: The stream ran to its end, but some rows were rejected before writing (a value or key that
#: does not fit the field, a missing column): their values did not land.
STATUS_COMPLETED_WITH_REJECTIONS = "completed_with_rejections"
#: The stream ran to its end, but Salesforce refused (or did not confirm) some rows' writes;
#: rejected rows may be present too. Takes precedence over ``completed_with_rejections``.
STATUS_COMPLETED_WITH_FAILURES = "completed_with_failures"
#: The run stopped (preflight, a fatal Salesforce error, ``multiple_matches: fail``...).
STATUS_FAILED = "failed"
#: Every status a finished stream can have (``running`` only while it runs).
RUN_STATUSES = (
    STATUS_COMPLETED,
    STATUS_COMPLETED_WITH_REJECTIONS,
    STATUS_COMPLETED_WITH_FAILURES,
    STATUS_FAILED,
)
#: ``fail_on`` values (see :mod:`.integration`) by the statuses that make the target exit
#: non-zero under each.
_NONZERO_UNDER: dict[str, frozenset[str]] = {
    "run_failure": frozenset({STATUS_FAILED}),
    "failed_rows": frozenset({STATUS_FAILED, STATUS_COMPLETED_WITH_FAILURES}),
    "rejected_rows": frozenset(
        {STATUS_FAILED, STATUS_COMPLETED_WITH_FAILURES, STATUS_COMPLETED_WITH_REJECTIONS}
    ),
}


#: ``json.dumps(..., default=str, ensure_ascii=False)`` builds a new encoder on every call
#: (non-default arguments); one shared encoder writes the same text for every updated row.
_encode_values = json.JSONEncoder(default=str, ensure_ascii=False).encode


def spreadsheet_safe(value: Any) -> str:
    """Text for a CSV cell that a spreadsheet will not run as a formula.

    Cells starting with ``= + - @`` (or a tab/carriage return) get a leading ``'``.
    """
    text = "" if value is None else str(value)
    if text.startswith(_UNSAFE_START):
        return "'" + text
    return text


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
        self._files: dict[str, IO[str]] = {}
        self._writers: dict[str, Any] = {}
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

    def _writer(self, category: str) -> Any:
        if category not in self._writers:
            self.open()
        return self._writers[category]

    def open(self) -> None:
        """Create the run folder and every CSV with its header (empty files say 'none')."""
        with self._lock:
            if self._writers:
                return
            self.folder.mkdir(parents=True, exist_ok=True)
            for category in CATEGORIES:
                # backslashreplace: a key with bytes that were not UTF-8 is still reported
                handle = (self.folder / f"{category}.csv").open(
                    "w", newline="", encoding="utf-8", errors="backslashreplace"
                )
                writer = csv.writer(handle)
                writer.writerow(COLUMNS)
                self._files[category] = handle
                self._writers[category] = writer

    def add(
        self,
        outcome: str,
        *,
        row: int,
        key: Any,
        record_ids: list[str] | tuple[str, ...] = (),
        fields_changed: list[str] | tuple[str, ...] = (),
        new_values: dict[str, Any] | None = None,
        error_code: str = "",
        error_message: str = "",
    ) -> None:
        """Count one input row's outcome and write its line."""
        with self._lock:
            category = "failed" if outcome == "rejected" else outcome
            self.counts[outcome] += 1
            shown = outcome
            if self.dry_run and outcome == "updated":
                shown = "would_update"
            values = _encode_values(new_values) if new_values else ""
            self._writer(category).writerow(
                [
                    row,
                    spreadsheet_safe(key),
                    shown,
                    spreadsheet_safe(";".join(record_ids)),
                    ";".join(fields_changed),
                    spreadsheet_safe(values),
                    spreadsheet_safe(error_code),
                    spreadsheet_safe(error_message),
                ]
            )

    def flush(self) -> None:
        """Push written lines to disk (called after each batch)."""
        with self._lock:
            for handle in self._files.values():
                handle.flush()

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
        """The status the rows so far earn, and its reason (empty for ``completed``).

        Unmatched rows (no record has the key; nothing is created) and ambiguous rows skipped
        by ``multiple_matches: skip`` are reported outcomes the integration's settings chose:
        they are counted and listed, but do not change the status.
        """
        with self._lock:
            failed, rejected = self.counts["failed"], self.counts["rejected"]
        parts = []
        if failed:
            parts.append(f"{failed} row(s) failed: Salesforce refused or did not confirm the write")
        if rejected:
            parts.append(
                f"{rejected} row(s) rejected before writing (a value or key that does not fit)"
            )
        reason = "; ".join(parts) + (f"; see failed.csv in {self.folder}" if parts else "")
        if failed:
            return STATUS_COMPLETED_WITH_FAILURES, reason
        if rejected:
            return STATUS_COMPLETED_WITH_REJECTIONS, reason
        return STATUS_COMPLETED, ""

    @property
    def exit_nonzero(self) -> bool:
        """True when this stream's status makes the target exit non-zero under ``fail_on``."""
        return self.status in _NONZERO_UNDER.get(self.fail_on, _NONZERO_UNDER["failed_rows"])

    def withhold_reason(self) -> str:
        """Why this stream's bookmark must not move past this export ("" when it may).

        The re-read rule: a dry run, a failed run, or any rejected or failed row keeps the
        bookmark where it was, so the next run reads the newest export again; change detection
        then writes only the values that still differ.
        """
        if self.dry_run:
            return "dry run (nothing was written)"
        if self.status == STATUS_FAILED:
            return "the run failed"
        status, reason = self.row_status()
        return "" if status == STATUS_COMPLETED else reason

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
        self.open()
        for handle in self._files.values():
            handle.close()
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
