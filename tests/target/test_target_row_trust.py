"""A run's word can be trusted (issue 11, target side): honest status, the re-read rule,
per-row rejections instead of blocked integrations, and fidelity fixes (issues 13, 14).

Every test drives the real target against the Salesforce emulator over HTTP.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys

from target_harness import (
    record_message,
    run_target,
    schema_message,
    singer_lines,
    state_message,
    unique_domain,
)

BOOKMARKS = {"bookmarks": {"onboarding": {"export": "v2"}}}


def _contacts(sf, domain: str) -> dict[str, dict]:
    return {
        r["Email"]: r
        for r in sf.records("Contact")
        if (r.get("Email") or "").endswith(domain) and not r.get("IsDeleted")
    }


def _seed(sf, *rows: dict) -> None:
    sf.seed({"records": {"Contact": [{"LastName": "T", **row} for row in rows]}})


def _cli(config: dict, lines: list[str], tmp_path) -> subprocess.CompletedProcess:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return subprocess.run(
        [sys.executable, "-m", "target_salesforce_update.target", "--config", str(path)],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# ---------------------------------------------------------------- 11.5 dry runs


def test_dry_run_prints_no_state_and_summary_says_dry_run(sf, base_config, caplog):
    d = unique_domain()
    _seed(sf, {"Email": f"a@{d}", "WalkMe_Segment__c": "Old"})
    with caplog.at_level(logging.INFO):
        run = run_target(
            base_config(dry_run=True),
            singer_lines([{"email": f"a@{d}", "segment": "New"}], state=BOOKMARKS),
        )
    assert run.error is None, run.error
    assert run.stdout == []  # no STATE: the bookmark must not move past a dry run
    summary = run.summary()
    assert summary["dry_run"] is True
    assert summary["status"] == "completed"
    assert summary["bookmark_withheld"] is True
    assert _contacts(sf, d)[f"a@{d}"]["WalkMe_Segment__c"] == "Old"
    assert any(
        "Bookmark withheld for stream onboarding" in r.getMessage() and "dry run" in r.getMessage()
        for r in caplog.records
    )


def test_dry_run_of_one_stream_keeps_the_other_streams_bookmark(sf, base_config):
    d = unique_domain()
    _seed(sf, {"Email": f"a@{d}"}, {"Email": f"b@{d}"})
    mapping = {"segment": "WalkMe_Segment__c"}
    config = base_config(
        streams={
            "onboarding": {"field_mapping": mapping, "dry_run": True},
            "nps": {"field_mapping": mapping},
        }
    )
    state = {"bookmarks": {"onboarding": {"export": "o2"}, "nps": {"export": "n2"}}}
    lines = [
        schema_message("onboarding"),
        schema_message("nps"),
        record_message({"email": f"a@{d}", "segment": "A"}, "onboarding"),
        record_message({"email": f"b@{d}", "segment": "B"}, "nps"),
        state_message(state),
    ]
    run = run_target(config, lines)
    assert run.error is None, run.error
    assert [json.loads(line) for line in run.stdout] == [{"bookmarks": {"nps": {"export": "n2"}}}]
    contacts = _contacts(sf, d)
    assert contacts[f"a@{d}"].get("WalkMe_Segment__c") is None
    assert contacts[f"b@{d}"]["WalkMe_Segment__c"] == "B"


# ---------------------------------------------------------------- 11.6 the re-read rule


def test_rejected_rows_withhold_the_bookmark_and_the_next_run_rereads_cheaply(
    sf, base_config, caplog
):
    d = unique_domain()
    _seed(sf, {"Email": f"a@{d}"}, {"Email": f"b@{d}"})
    rows = [{"email": f"a@{d}", "segment": "A"}, {"email": f"b@{d}", "progress": "lots"}]
    with caplog.at_level(logging.INFO):
        first = run_target(base_config(), singer_lines(rows, state=BOOKMARKS))
    assert first.error is None, first.error  # fail_on default: failed_rows
    assert first.stdout == []
    summary = first.summary()
    assert summary["status"] == "completed_with_rejections"
    assert summary["bookmark_withheld"] is True
    withheld = [r.getMessage() for r in caplog.records if "Bookmark withheld" in r.getMessage()]
    assert withheld and "1 row(s) rejected" in withheld[0] and "re-reads" in withheld[0]
    summaries = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Summary:")]
    assert "status=completed_with_rejections bookmark=withheld" in summaries[-1]

    # The next run reads the same export again: a's value is already there (no write), b's
    # fixed value lands, and now the bookmark moves.
    before = sf.stats()
    fixed = [{"email": f"a@{d}", "segment": "A"}, {"email": f"b@{d}", "progress": "40"}]
    second = run_target(base_config(), singer_lines(fixed, state=BOOKMARKS))
    assert second.error is None, second.error
    assert second.stdout == [json.dumps(BOOKMARKS)]
    assert second.summary()["status"] == "completed"
    assert second.summary()["counts"]["unchanged"] == 1
    assert sf.stats()["records_updated"] - before["records_updated"] == 1
    assert _contacts(sf, d)[f"b@{d}"]["WalkMe_Onboarding_Progress__c"] == 40


def test_failed_rows_withhold_the_bookmark_even_when_they_do_not_fail_the_job(sf, base_config):
    d = unique_domain()
    sf.seed(
        {
            "validation_rules": [
                {
                    "object": "Contact",
                    "name": "No_Blocked",
                    "field": "WalkMe_Segment__c",
                    "condition": "WalkMe_Segment__c = 'Blocked'",
                    "message": "Blocked is not allowed",
                }
            ]
        }
    )
    _seed(sf, {"Email": f"a@{d}"}, {"Email": f"b@{d}"})
    rows = [{"email": f"a@{d}", "segment": "Fine"}, {"email": f"b@{d}", "segment": "Blocked"}]
    run = run_target(base_config(fail_on="run_failure"), singer_lines(rows, state=BOOKMARKS))
    assert run.error is None, run.error
    assert run.stdout == []
    summary = run.summary()
    assert summary["status"] == "completed_with_failures"
    assert (summary["exit_nonzero"], summary["bookmark_withheld"]) == (False, True)


# ---------------------------------------------------------------- status and fail_on


def test_exit_code_follows_fail_on(sf, base_config, tmp_path):
    d = unique_domain()
    _seed(sf, {"Email": f"a@{d}"})
    lines = singer_lines([{"email": f"a@{d}", "progress": "lots"}], state=BOOKMARKS)
    outcomes = {}
    for fail_on in ("run_failure", "failed_rows", "rejected_rows"):
        done = _cli(base_config(fail_on=fail_on), lines, tmp_path)
        outcomes[fail_on] = done.returncode != 0
        assert done.stdout == ""  # the bookmark is withheld whatever fail_on says
        assert "status=completed_with_rejections" in done.stderr
    assert outcomes == {"run_failure": False, "failed_rows": False, "rejected_rows": True}

    clean = _cli(base_config(fail_on="rejected_rows"), singer_lines([], state=BOOKMARKS), tmp_path)
    assert clean.returncode == 0 and clean.stdout == json.dumps(BOOKMARKS) + "\n"


def test_fail_on_is_checked(sf, base_config):
    run = run_target(base_config(fail_on="never"), singer_lines([{"email": "x@example.com"}]))
    assert run.error is not None
    text = str(run.error) + " ".join(getattr(run.error, "errors", ()))
    assert "fail_on" in text or "never" in text, text


# ---------------------------------------------------------------- 11.8 / 11.11 Id keys


def test_match_on_id_works_and_bad_ids_are_per_row_rejections(sf, base_config):
    d = unique_domain()
    _seed(sf, {"Email": f"a@{d}"}, {"Email": f"b@{d}"}, {"Email": f"c@{d}"})
    sf.seed({"records": {"Account": [{"Name": f"Acme {d}"}]}})
    account_id = next(r["Id"] for r in sf.records("Account") if r["Name"] == f"Acme {d}")
    ids = {r["Email"]: r["Id"] for r in _contacts(sf, d).values()}
    rows = [
        {"id": ids[f"a@{d}"], "segment": "A18"},
        {"id": ids[f"b@{d}"][:15], "segment": "B15"},
        {"id": ids[f"c@{d}"].lower(), "segment": "C18lower"},  # 18-character Ids ignore case
        {"id": "S", "segment": "bad"},
        {"id": "003' OR Name != '", "segment": "bad"},
        {"id": account_id, "segment": "bad"},  # an Account Id: not a Contact
    ]
    schema = {"type": "object", "properties": {"id": {"type": "string"}, "segment": {}}}
    lines = [schema_message(schema=schema)] + [record_message(r, complete=False) for r in rows]
    config = base_config(
        match_property="id", match_field="Id", field_mapping={"segment": "WalkMe_Segment__c"}
    )
    run = run_target(config, lines)
    assert run.error is None, run.error
    segments = {email: r.get("WalkMe_Segment__c") for email, r in _contacts(sf, d).items()}
    assert segments == {f"a@{d}": "A18", f"b@{d}": "B15", f"c@{d}": "C18lower"}
    counts = run.summary()["counts"]
    assert (counts["updated"], counts["rejected"]) == (3, 3)
    failed = run.rows("failed")
    assert [r["row"] for r in failed] == ["4", "5", "6"]
    assert "is not a Salesforce Id" in failed[0]["error_message"]
    assert "is not an Id of this object" in failed[2]["error_message"]
    assert "starts with" not in failed[2]["error_message"]
    # Each message carries its own row's key at most, never another row's.
    for row in failed:
        others = [r["id"] for r in rows if r["id"] != row["key"] and len(r["id"]) > 3]
        assert not [key for key in others if key in row["error_message"]], row


def test_bad_key_on_a_reference_match_field_does_not_block_the_integration(sf, base_config):
    d = unique_domain()
    sf.seed({"records": {"Account": [{"Name": f"Acme {d}"}]}})
    account_id = next(r["Id"] for r in sf.records("Account") if r["Name"] == f"Acme {d}")
    _seed(sf, {"Email": f"a@{d}", "AccountId": account_id})
    rows = [{"account": "bad-key", "segment": "X"}, {"account": account_id, "segment": "Acct"}]
    schema = {"type": "object", "properties": {"account": {"type": "string"}, "segment": {}}}
    lines = [schema_message(schema=schema)] + [record_message(r, complete=False) for r in rows]
    config = base_config(
        match_property="account",
        match_field="AccountId",
        field_mapping={"segment": "WalkMe_Segment__c"},
    )
    run = run_target(config, lines)
    assert run.error is None, run.error
    assert _contacts(sf, d)[f"a@{d}"]["WalkMe_Segment__c"] == "Acct"
    failed = run.rows("failed")
    assert [(r["key"], r["outcome"]) for r in failed] == [("bad-key", "rejected")]
    assert account_id not in failed[0]["error_message"]


# ---------------------------------------------------------------- 11.9 uncoercible values


def test_date_time_that_overflows_is_a_rejected_row_not_a_crash(sf, base_config):
    d = unique_domain()
    _seed(sf, {"Email": f"a@{d}"}, {"Email": f"b@{d}"})
    rows = [
        {"email": f"a@{d}", "last_seen": "0001-01-01T00:00:00+01:00"},
        {"email": f"b@{d}", "last_seen": "2026-03-04T05:06:07Z", "segment": "ok"},
    ]
    run = run_target(base_config(), singer_lines(rows))
    assert run.error is None, run.error
    assert _contacts(sf, d)[f"b@{d}"]["WalkMe_Segment__c"] == "ok"
    failed = run.rows("failed")
    assert [(r["key"], r["outcome"]) for r in failed] == [(f"a@{d}", "rejected")]
    assert "last_seen" in failed[0]["error_message"]
    assert run.summary()["status"] == "completed_with_rejections"


# ---------------------------------------------------------------- 11.10 missing column


def test_mapped_column_missing_from_the_export_is_reported_for_every_row(sf, base_config):
    d = unique_domain()
    _seed(sf, {"Email": f"a@{d}"}, {"Email": f"b@{d}"})
    # An older catalog still declares "segment"; the export (so each record) no longer has it.
    rows = [{"email": f"a@{d}", "progress": "10"}, {"email": f"b@{d}", "progress": "20"}]
    lines = [schema_message()] + [record_message(r, complete=False) for r in rows]
    lines.append(state_message(BOOKMARKS))
    config = base_config(
        field_mapping={"progress": "WalkMe_Onboarding_Progress__c", "segment": "WalkMe_Segment__c"}
    )
    run = run_target(config, lines)
    assert run.stdout == []
    failed = run.rows("failed")
    assert [r["key"] for r in failed] == [f"a@{d}", f"b@{d}"]
    assert all("no 'segment' column" in r["error_message"] for r in failed)
    assert run.summary()["status"] == "completed_with_rejections"


# ---------------------------------------------------------------- 13.3 fidelity


def test_text_compares_trimmed_like_salesforce_stores_it(sf, base_config):
    d = unique_domain()
    _seed(sf, {"Email": f"a@{d}", "WalkMe_Segment__c": "VP"})
    before = sf.stats()
    for _ in range(2):
        run = run_target(base_config(), singer_lines([{"email": f"a@{d}", "segment": " VP "}]))
        assert run.error is None, run.error
        assert run.summary()["counts"]["unchanged"] == 1
    assert sf.stats()["records_updated"] == before["records_updated"]


def test_invalid_reference_id_is_rejected_before_writing(sf, base_config):
    d = unique_domain()
    _seed(sf, {"Email": f"a@{d}"}, {"Email": f"b@{d}"})
    owner = next(iter(_contacts(sf, d).values()))["OwnerId"]
    rows = [{"email": f"a@{d}", "segment": "S"}, {"email": f"b@{d}", "segment": owner[:15]}]
    config = base_config(field_mapping={"segment": "OwnerId"})
    run = run_target(config, singer_lines(rows))
    assert run.error is None, run.error
    failed = run.rows("failed")
    assert [(r["key"], r["outcome"]) for r in failed] == [(f"a@{d}", "rejected")]
    assert "is not a Salesforce Id for OwnerId" in failed[0]["error_message"]
    # The 15-character form is compared as the 18-character Id Salesforce stores: unchanged.
    assert run.summary()["counts"]["unchanged"] == 1


# ---------------------------------------------------------------- 14.8 compound fields


def test_preflight_explains_compound_fields(sf, base_config):
    sf.seed(
        {
            "fields": {
                "Contact": [
                    {
                        "name": "FirstName",
                        "type": "string",
                        "length": 40,
                        "compoundFieldName": "Name",
                    },
                    {
                        "name": "LastName",
                        "type": "string",
                        "length": 80,
                        "nillable": False,
                        "compoundFieldName": "Name",
                    },
                ]
            }
        }
    )
    run = run_target(
        base_config(field_mapping={"segment": "Name"}), singer_lines([{"email": "x@example.com"}])
    )
    assert run.error is not None
    text = str(run.error)
    assert "Name is a compound field" in text
    assert "FirstName" in text and "LastName" in text
    assert "grant Edit" not in text
