"""The Bulk API 2.0 path keeps the run's word (issue 11): retried row locks, literal ``#N/A``,
values with CR/LF/quotes/commas, and a cut poll reconciled by the next run."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest
from target_harness import (
    contacts,
    record_message,
    run_target,
    schema_message,
    seed_contacts,
    state_message,
    unique_domain,
)


def lines_for(rows: list[dict]) -> list[str]:
    return [schema_message()] + [record_message(row) for row in rows]


def test_bulk_row_locks_are_retried_until_every_value_lands(sf, base_config):
    """10 % UNABLE_TO_LOCK_ROW on a Bulk job: the locked rows are sent again (bounded by
    max_retries) and every value lands; nothing ends in failed.csv."""
    d = unique_domain()
    emails = seed_contacts(sf, d, 400)
    sf.faults(seed=11, lock_rate=0.1)
    run = run_target(
        base_config(write_method="bulk", max_retries=6),
        lines_for([{"email": e, "segment": f"Locked {i}"} for i, e in enumerate(emails)]),
    )
    sf.faults(clear=True)
    assert run.error is None, run.error
    found = contacts(sf, d)
    wrong = [e for i, e in enumerate(emails) if found[e].get("WalkMe_Segment__c") != f"Locked {i}"]
    assert wrong == [], f"{len(wrong)} value(s) did not land, e.g. {wrong[:3]}"
    assert run.summary()["counts"]["failed"] == 0
    assert run.summary()["counts"]["updated"] == 400
    assert run.rows("failed") == []


@pytest.mark.parametrize("write_method", ["bulk", "collections"])
def test_literal_na_lands_as_text_on_both_paths(sf, base_config, write_method):
    """``#N/A`` is Bulk's null marker: a row sending it as text must still store the text,
    exactly as Collections does, and other rows of the job still go through Bulk."""
    d = unique_domain()
    emails = seed_contacts(sf, d, 6)
    values = ["#N/A", "kept", "#N/A", "also kept", " #N/A ", "plain"]
    run = run_target(
        base_config(write_method=write_method),
        lines_for(
            [
                {"email": e, "segment": v, "progress": "50"}
                for e, v in zip(emails, values, strict=True)
            ]
        ),
    )
    assert run.error is None, run.error
    found = contacts(sf, d)
    stored = [found[e].get("WalkMe_Segment__c") for e in emails]
    # The text lands — as sent, or trimmed the way Salesforce trims text — never as null.
    assert all(got in {sent, sent.strip()} for got, sent in zip(stored, values, strict=True)), (
        stored
    )
    assert all(found[e].get("WalkMe_Onboarding_Progress__c") == 50 for e in emails)
    updated = {row["key"]: row for row in run.rows("updated")}
    assert set(updated) == set(emails)
    if write_method == "bulk":
        assert run.summary()["write_calls"]["bulk"] == 1


#: One value per character class a survey answer or segment may hold.
CHARACTER_CLASSES = {
    "bare CR": "first\rsecond",
    "LF": "first\nsecond",
    "CRLF": "first\r\nsecond",
    "CR at end": "ends\r",
    "quote": 'say "hi"',
    "lone quote": '"',
    "comma": "a, b, c",
    "tab": "a\tb",
    "unicode": "Zoë — 東京 🎉",
    "leading and trailing spaces": "  padded  ",
    "quote then comma": '","',
    "empty": "",
}


def test_every_character_class_round_trips_through_bulk_like_collections(sf, base_config):
    """The same values written through Bulk and through Collections land identically, and the
    row's other field lands too (a bare CR used to cut the row; a CRLF failed the whole job)."""
    d = unique_domain()
    names = list(CHARACTER_CLASSES)
    emails = seed_contacts(sf, d, 2 * len(names))
    bulk_emails, rest_emails = emails[: len(names)], emails[len(names) :]
    comment = {"segment": "WalkMe_NPS_Comment__c", "progress": "WalkMe_Onboarding_Progress__c"}
    for method, batch in (("bulk", bulk_emails), ("collections", rest_emails)):
        rows = [
            {"email": e, "segment": CHARACTER_CLASSES[name], "progress": str(10 + i)}
            for i, (e, name) in enumerate(zip(batch, names, strict=True))
        ]
        run = run_target(base_config(write_method=method, field_mapping=comment), lines_for(rows))
        assert run.error is None, (method, run.error)
        assert run.summary()["counts"]["failed"] == 0, (method, run.rows("failed"))
    found = contacts(sf, d)
    for i, name in enumerate(names):
        via_bulk = found[bulk_emails[i]]
        via_rest = found[rest_emails[i]]
        assert via_bulk.get("WalkMe_NPS_Comment__c") == via_rest.get("WalkMe_NPS_Comment__c"), (
            name,
            via_bulk.get("WalkMe_NPS_Comment__c"),
            via_rest.get("WalkMe_NPS_Comment__c"),
        )
        assert via_bulk.get("WalkMe_Onboarding_Progress__c") == 10 + i, name
        if name != "empty":
            assert via_bulk.get("WalkMe_NPS_Comment__c") not in (None, ""), name


def test_a_cut_bulk_poll_is_reconciled_by_the_next_run(sf, base_config):
    """A run stops polling its job (bulk_poll_timeout) and reports every row "not confirmed";
    the job finishes in Salesforce. The next run reads the job's results before writing and
    reports what it really did in reconciled.csv and the summary."""
    d = unique_domain()
    emails = seed_contacts(sf, d, 30)
    sf.faults(bulk_delay_ms=1500)
    first = run_target(
        base_config(write_method="bulk", bulk_poll_timeout=0.3),
        lines_for([{"email": e, "segment": "Cut"} for e in emails]),
    )
    assert first.error is not None
    assert first.summary()["status"] == "failed"
    assert {row["error_code"] for row in first.rows("failed")} == {"TIMEOUT"}
    sf.faults(bulk_delay_ms=0)
    deadline = time.monotonic() + 20
    while set(r.get("WalkMe_Segment__c") for r in contacts(sf, d).values()) != {"Cut"}:
        assert time.monotonic() < deadline, "the cut job never finished in the emulator"
        time.sleep(0.1)

    second = run_target(
        base_config(write_method="bulk"),
        lines_for([{"email": e, "segment": "Cut"} for e in emails]),
    )
    assert second.error is None, second.error
    summary = second.summary()
    assert summary["reconciled"] == {"written": 30}
    folder = summary["results_dir"]
    with (Path(folder) / "reconciled.csv").open(newline="", encoding="utf-8") as handle:
        lines = list(csv.DictReader(handle))
    ids = {r["Id"][:15] for r in contacts(sf, d).values()}
    assert {line["record_id"][:15] for line in lines} == ids
    assert {line["outcome"] for line in lines} == {"written"}
    assert summary["counts"]["unchanged"] == 30  # the values were already there
    # Reconciled once: nothing is left in the journal for a third run to settle.
    assert not (Path(base_config()["results_dir"]) / ".journal").exists()


def test_bulk_retries_are_bounded_and_rows_still_locked_are_retried_next_run(sf, base_config):
    """Every row locked every time: max_retries follow-up rounds (by Collections, as few rows
    are left), then each row is in failed.csv with its last error — never reported updated —
    the status is not ``completed``, the bookmark is withheld, and the next run writes them."""
    d = unique_domain()
    emails = seed_contacts(sf, d, 10)
    rows = [{"email": e, "segment": "Later"} for e in emails]
    lines = [*lines_for(rows), state_message({"rows": 10})]
    sf.faults(lock_rate=1.0)
    run = run_target(base_config(write_method="bulk", max_retries=2), lines)
    sf.faults(clear=True)
    summary = run.summary()
    assert summary["write_calls"] == {"bulk": 1, "collections": 2}
    assert summary["counts"]["failed"] == 10 and summary["counts"]["updated"] == 0
    assert {row["error_code"] for row in run.rows("failed")} == {"UNABLE_TO_LOCK_ROW"}
    assert {row["key"] for row in run.rows("failed")} == set(emails)
    assert all(r.get("WalkMe_Segment__c") is None for r in contacts(sf, d).values())
    assert summary["status"] == "completed_with_failures"
    assert summary["bookmark_withheld"] is True
    assert not any('"rows": 10' in line for line in run.stdout), run.stdout

    again = run_target(base_config(write_method="bulk", max_retries=2), lines)
    assert again.error is None, again.error
    assert again.summary()["status"] == "completed"
    assert any('"rows": 10' in line for line in again.stdout), again.stdout
    assert {r.get("WalkMe_Segment__c") for r in contacts(sf, d).values()} == {"Later"}
