"""Before a run writes: settle what an earlier run of the integration left unfinished.

The earlier run's :class:`.job_journal.JobJournal` entries are read, and for each

- Bulk API 2.0 job still ``Open`` or ``UploadComplete`` (not started): the job is aborted, so
  it can never overwrite the values this run is about to write;
- job ``InProgress``: this run waits for it to end (``bulk_poll_timeout``) before writing;
- job that ended (or just ended): its ``successfulResults``, ``failedResults`` and
  ``unprocessedrecords`` are read;
- Collections slice in flight when the run was killed: its records are listed as
  ``unknown`` (the request may or may not have landed; this run compares them again).

Only the entries written for the org this run writes to are read; another org's (an
environment sharing the ``results_dir``) wait for that org's next run.

An entry whose process is still alive on this machine (another run of the integration going on
at the same time) is never aborted: this run waits for its job and leaves it to its owner.

What really happened goes to ``reconciled.csv`` in this run's results folder, one line per
record (``job_id, record_id, outcome, error_code, error_message, previous_run_id``, outcome
``written``, ``failed``, ``not_written`` or ``unknown``), and the counts to the summary's
``reconciled`` entry. The rows themselves are written again by this run when the export is
read again (no STATE was saved past them), and change detection skips those already in place.
"""

from __future__ import annotations

import csv
import logging
import os
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .exceptions import NotFoundError, SalesforceError
from .job_journal import org_of
from .salesforce.bulk2 import parse_bulk_error, result_rows, wait_for_job

if TYPE_CHECKING:
    from .job_journal import JobJournal
    from .salesforce import SalesforceClient

__all__ = ["RECONCILED_COLUMNS", "reconcile_journal"]

RECONCILED_COLUMNS = (
    "job_id",
    "record_id",
    "outcome",
    "error_code",
    "error_message",
    "previous_run_id",
)
_NOT_STARTED = {"Open", "UploadComplete"}


def reconcile_journal(
    client: SalesforceClient, journal: JobJournal, folder: Path, logger: logging.Logger
) -> Counter[str]:
    """Settle every entry of ``journal``; write ``folder/reconciled.csv``; return the counts.

    Raises:
        SalesforceError: Salesforce could not be asked (the entries stay for the next run).
    """
    journal.org = org_of(client)
    entries = {
        key: entry
        for key, entry in journal.entries().items()
        if entry.get("org") in (None, "", journal.org)
    }
    counts: Counter[str] = Counter()
    if not entries:
        return counts
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "reconciled.csv"
    new_file = not path.exists()
    with path.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        if new_file:
            writer.writerow(RECONCILED_COLUMNS)
        for key, entry in entries.items():
            previous = str(entry.get("run_id") or "")
            if _another_live_process(entry):
                # A run of this integration is still going (another process on this machine):
                # never abort its job; wait for it, and leave the reporting to that run.
                if entry.get("kind") == "bulk":
                    wait_for_job(client.transport, str(entry.get("job_id")))
                continue
            if entry.get("kind") == "bulk":
                rows = _bulk_job(client, str(entry.get("job_id")), logger)
            else:
                rows = [
                    (
                        "",
                        str(record_id),
                        "unknown",
                        "RUN_KILLED",
                        "the run was killed while this record's Collections update was in "
                        "flight; it is compared and written again by this run",
                    )
                    for record_id in entry.get("record_ids") or []
                ]
            for row in rows:
                writer.writerow([*row, previous])
                counts[row[2]] += 1
            handle.flush()
            journal.remove(key)
    logger.info(
        "Reconciled %d unfinished write(s) of an earlier run: %s (see %s)",
        len(entries),
        " ".join(f"{name}={count}" for name, count in sorted(counts.items())) or "nothing",
        path,
    )
    return counts


def _another_live_process(entry: dict[str, Any]) -> bool:
    pid = entry.get("pid")
    if not isinstance(pid, int) or pid == os.getpid() or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, owned by someone else
        return True
    return True


def _bulk_job(
    client: SalesforceClient, job_id: str, logger: logging.Logger
) -> list[tuple[str, str, str, str, str]]:
    try:
        info = client.request_json("GET", f"jobs/ingest/{job_id}")
    except NotFoundError:
        return [(job_id, "", "unknown", "JOB_NOT_FOUND", "Salesforce no longer knows this job")]
    state = str(info.get("state"))
    if state in _NOT_STARTED:
        try:
            client.request("PATCH", f"jobs/ingest/{job_id}", json={"state": "Aborted"})
            logger.warning(
                "Aborted Bulk API 2.0 job %s (%s) left by an earlier run, so it cannot "
                "overwrite newer values",
                job_id,
                state,
            )
        except SalesforceError:
            pass  # it started meanwhile: wait for it below
        info = client.request_json("GET", f"jobs/ingest/{job_id}")
        state = str(info.get("state"))
    if state == "InProgress":
        logger.warning(
            "Bulk API 2.0 job %s of an earlier run is still running: waiting for it to end "
            "before writing",
            job_id,
        )
        info = wait_for_job(client.transport, job_id, int(info.get("numberRecordsProcessed") or 0))
        state = str(info.get("state"))
    rows: list[tuple[str, str, str, str, str]] = []
    for row in result_rows(client.transport, job_id, "successfulResults/"):
        rows.append((job_id, row.get("sf__Id") or row.get("Id") or "", "written", "", ""))
    for row in result_rows(client.transport, job_id, "failedResults/"):
        errors = parse_bulk_error(row.get("sf__Error", ""))
        rows.append(
            (
                job_id,
                row.get("sf__Id") or row.get("Id") or "",
                "failed",
                ";".join(e.status_code for e in errors),
                " | ".join(e.message for e in errors),
            )
        )
    for row in result_rows(client.transport, job_id, "unprocessedrecords/"):
        rows.append(
            (job_id, row.get("Id") or "", "not_written", state.upper(), f"job ended {state}")
        )
    if not rows:
        rows.append((job_id, "", "not_written", state.upper(), f"job ended {state}: no records"))
    return rows


def reconciled_summary(counts: Counter[str]) -> dict[str, Any]:
    """The summary's ``reconciled`` entry."""
    return dict(sorted(counts.items()))
