"""The write journal belongs to one org: a run against another org leaves its entries alone.

meltano.yml gives the `sandbox` and `prod` environments one `results_dir`, so both keep their
journals in the same `<results_dir>/.journal/<stream>-<object>.json`. A prod run must not
settle — and so forget — the Bulk job a cut sandbox run left there: the sandbox's next run has
to find it (to abort or wait for it, and to report what it did), or that job could land over
newer values unseen (issue 11, item 4).
"""

from __future__ import annotations

import time
from pathlib import Path

from salesforce_emulator.testing import SalesforceEmulator
from target_harness import record_message, run_target, schema_message, unique_domain


def test_a_run_against_another_org_leaves_the_journal_entries_of_this_org(sf, base_config):
    domain = unique_domain()
    emails = [f"u{i}@{domain}" for i in range(20)]
    seed = {"records": {"Contact": [{"LastName": "T", "Email": e} for e in emails]}}
    sf.seed(seed)
    lines = [schema_message()] + [record_message({"email": e, "segment": "Org A"}) for e in emails]
    journal = Path(base_config()["results_dir"]) / ".journal"

    # org A: the run stops polling its job (bulk_poll_timeout); the job is left in the journal
    sf.faults(bulk_delay_ms=1500)
    cut = run_target(base_config(write_method="bulk", bulk_poll_timeout=0.3), lines)
    assert cut.error is not None and cut.summary()["status"] == "failed"
    assert list(journal.glob("*.json")), "the cut job is not in the journal"
    sf.faults(bulk_delay_ms=0)

    # org B (another environment, same results_dir): its run must not settle org A's job
    with SalesforceEmulator() as other_org:
        other_org.seed(seed)
        other = run_target(base_config(login_url=other_org.url, write_method="bulk"), lines)
    assert other.error is None, other.error
    assert not other.summary().get("reconciled"), other.summary()["reconciled"]
    assert list(journal.glob("*.json")), "a run against another org forgot org A's job"

    # org A's next run finds its job and reports what it did
    deadline = time.monotonic() + 20
    while any(
        r.get("WalkMe_Segment__c") != "Org A"
        for r in sf.records("Contact")
        if (r.get("Email") or "").endswith(domain)
    ):
        assert time.monotonic() < deadline, "the cut job never finished in the emulator"
        time.sleep(0.1)
    again = run_target(base_config(write_method="bulk"), lines)
    assert again.error is None, again.error
    assert again.summary()["reconciled"] == {"written": 20}, again.summary()
    assert not journal.exists()
