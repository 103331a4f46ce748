"""The write journal: what this integration has sent to Salesforce but not yet reported.

One small JSON file per integration and object, ``<results_dir>/.journal/<stream>-<object>.json``,
holds an entry for

- every Bulk API 2.0 job, written the moment the job is created (before its data is uploaded
  and long before it is closed) and removed once the job's results are in the results files;
- every Collections write slice, written before the slice is sent and removed once its rows
  are in the results files.

A run that is killed, or stops polling (API limit, our usage ceiling, ``bulk_poll_timeout``),
leaves its entries behind. The next run of the integration reads them before it writes
anything (:mod:`.reconcile`): it aborts or waits for the jobs still running in Salesforce — so
an orphaned job can never overwrite the newer values the new run writes — and reports what
they really did in ``reconciled.csv``.

Salesforce offers nothing to tag an update job with (``externalIdFieldName`` is for upserts),
hence a local file. Each change rewrites the file atomically (temporary file + rename). Each
entry names the org it was written for (its instance URL): environments sharing a
``results_dir`` (meltano.yml's ``sandbox`` and ``prod``) only settle their own org's entries.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import signal
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .salesforce import SalesforceClient
    from .salesforce.transport import Transport

    #: What can abort a job and name its org: the client or its transport.
    Connection = SalesforceClient | Transport

__all__ = ["JobJournal", "abort_running_jobs_on_signal"]

_LOCK = threading.RLock()
#: Bulk jobs of this process that are not finished yet: job id → client (for SIGTERM/SIGINT).
_RUNNING: dict[str, Connection] = {}


def org_of(client: Connection) -> str:
    """The org a journal entry belongs to: its instance URL (scheme and host, lower case)."""
    return client.instance_url.rstrip("/").lower()


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "stream"


class JobJournal:
    """The journal file of one integration (stream) and object."""

    def __init__(self, path: Path, *, run_id: str = "") -> None:
        self.path = path
        self.run_id = run_id
        #: The org this run writes to (:func:`org_of`); set when the run settles the journal.
        self.org = ""
        self._collected: list[str] = []

    def scope(self) -> JobJournal:
        """A view of this journal file with its own list of collected jobs, for one rolling
        Bulk job and the retries of its rows: reporting them forgets only their entries, even
        while the next job runs (and is collected) in another thread."""
        view = copy.copy(self)
        view._collected = []
        return view

    @classmethod
    def for_integration(
        cls, results_dir: str | os.PathLike[str], stream: str, sobject: str, *, run_id: str = ""
    ) -> JobJournal:
        folder = Path(results_dir) / ".journal"
        return cls(folder / f"{_safe(stream)}-{_safe(sobject)}.json", run_id=run_id)

    def entries(self) -> dict[str, dict[str, Any]]:
        """Every entry left in the journal (empty when there is no file)."""
        with _LOCK:
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                return {}
            except (OSError, ValueError):
                return {}
            return data if isinstance(data, dict) else {}

    def _save(self, entries: dict[str, dict[str, Any]]) -> None:
        if not entries:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            with contextlib.suppress(OSError):  # not empty: another integration's journal
                self.path.parent.rmdir()
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
        with temporary.open("w", encoding="utf-8") as handle:
            json.dump(entries, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)

    def add(self, key: str, entry: dict[str, Any]) -> None:
        with _LOCK:
            entries = self.entries()
            entries[key] = {**entry, "run_id": self.run_id, "pid": os.getpid(), "org": self.org}
            self._save(entries)

    def remove(self, key: str) -> None:
        with _LOCK:
            entries = self.entries()
            if entries.pop(key, None) is not None:
                self._save(entries)

    # ------------------------------------------------------------------ Bulk jobs

    def job_created(self, client: Connection, job_id: str, sobject: str) -> None:
        """Record a new Bulk job (before anything is uploaded to it)."""
        self.org = self.org or org_of(client)
        # keyed by org too: two orgs' job ids may coincide (the emulators' do)
        entry = {"kind": "bulk", "job_id": job_id, "object": sobject}
        self.add(f"bulk:{self.org}:{job_id}", entry)
        with _LOCK:
            _RUNNING[job_id] = client

    def job_collected(self, job_id: str) -> None:
        """The job ended and its results were read; its entry goes once they are reported."""
        job_stopped(job_id)
        with _LOCK:
            self._collected.append(job_id)

    def forget_reported(self) -> None:
        """The collected jobs' rows are in the (flushed) results files: drop their entries."""
        with _LOCK:
            collected, self._collected = self._collected, []
            if not collected:
                return
            entries = self.entries()
            for job_id in collected:
                entries.pop(f"bulk:{self.org}:{job_id}", None)
            self._save(entries)

    # ------------------------------------------------------------------ Collections slices

    def slice_started(self, record_ids: list[str]) -> str:
        """Record a Collections slice about to be sent; returns its key."""
        key = f"collections:{uuid.uuid4().hex}"
        self.add(key, {"kind": "collections", "record_ids": record_ids})
        return key


def job_stopped(job_id: str) -> None:
    """This process no longer follows the job (done, or given up): a signal will not abort it."""
    with _LOCK:
        _RUNNING.pop(job_id, None)


def _abort_running(signum: int) -> bool:
    """Abort this process's unfinished Bulk jobs; whether there were any."""
    with _LOCK:
        running = list(_RUNNING.items())
        _RUNNING.clear()
    for job_id, client in running:
        with contextlib.suppress(Exception):
            client.request("PATCH", f"jobs/ingest/{job_id}", json={"state": "Aborted"})
            client.logger.warning(
                "Signal %d: aborted Bulk API 2.0 job %s; the next run reconciles it",
                signum,
                job_id,
            )
    return bool(running)


_INSTALLED = False


def abort_running_jobs_on_signal() -> None:
    """On SIGTERM/SIGINT while a Bulk job of this process is unfinished: abort it and end the
    process by the signal (no drain, no STATE, exit status 128 + signal). With no job
    running, the signal does what it did before (the SDK's handler drains the sinks).

    The SDK's drain is not used while a job runs: it would run inside the interrupted write
    and send the same records again in a second job. Installed once, from the main thread
    (the only one Python lets set handlers). The journal entries stay, so the next run
    reconciles what the aborted jobs had already written.
    """
    global _INSTALLED
    if _INSTALLED or threading.current_thread() is not threading.main_thread():
        return
    _INSTALLED = True
    for signum in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(signum)

        def handler(number: int, frame: Any, previous: Callable | int | None = previous) -> None:
            if not _abort_running(number) and callable(previous):
                previous(number, frame)
                return
            signal.signal(number, signal.SIG_DFL)
            os.kill(os.getpid(), number)

        signal.signal(signum, handler)
