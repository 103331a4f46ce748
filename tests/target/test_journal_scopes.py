"""Each rolling Bulk job has its own view of the write journal (``JobJournal.scope``).

The writer starts the next rolling job before it writes the rows of the job just answered, so
the next job may finish — and be collected in its thread — while the previous job's rows are
still being reported. Reporting a job must then forget only that job's entry: the running job's
entry has to stay until its own rows are in the results files, or a crash in between would
leave a job the next run cannot reconcile.
"""

from __future__ import annotations

from target_salesforce_update.job_journal import JobJournal
from target_salesforce_update.salesforce import SalesforceClient


def test_reporting_one_job_forgets_only_its_own_entry(sf, base_config, tmp_path) -> None:
    client = SalesforceClient.from_config(base_config())
    try:
        journal = JobJournal.for_integration(tmp_path, "onboarding", "Contact", run_id="r1")
        answered, running = journal.scope(), journal.scope()
        answered.job_created(client, "750000000000001AAA", "Contact")
        answered.job_collected("750000000000001AAA")
        running.job_created(client, "750000000000002AAA", "Contact")
        running.job_collected("750000000000002AAA")  # finished while the first is reported

        answered.forget_reported()
        assert [e["job_id"] for e in journal.entries().values()] == ["750000000000002AAA"]
        journal.forget_reported()  # the stream's own view collected neither job
        assert len(journal.entries()) == 1
        running.forget_reported()
        assert journal.entries() == {}
        assert not journal.path.exists()
    finally:
        client.close()
