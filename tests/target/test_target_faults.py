"""Failures: permissions, expired sessions, 503s and locks, API limits — and what STATE says."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

from target_harness import (
    record_message,
    run_target,
    schema_message,
    seed_contacts,
    singer_lines,
    state_message,
    unique_domain,
)


def segments(sf, domain: str) -> dict[str, str | None]:
    return {
        r["Email"]: r.get("WalkMe_Segment__c")
        for r in sf.records("Contact")
        if (r.get("Email") or "").endswith(domain) and not r.get("IsDeleted")
    }


def exhaust_quota_after(sf, kind: str, calls: int) -> Callable[[], None]:
    """A hook that waits (≤ 10 s) until the emulator has answered ``calls`` more requests of
    ``kind`` — the batch in flight in the target's worker thread — then uses up the quota."""
    start = sf.stats()["requests_by_kind"].get(kind, 0)

    def hook() -> None:
        deadline = time.monotonic() + 10
        while sf.stats()["requests_by_kind"].get(kind, 0) < start + calls:
            assert time.monotonic() < deadline, f"no {kind} request came"
            time.sleep(0.02)
        sf.faults(api_remaining=0)

    return hook


def batched_lines(emails: list[str], value: str, per_state: int = 2) -> list[str]:
    lines = [schema_message()]
    for i, email in enumerate(emails):
        lines.append(record_message({"email": email, "segment": value}))
        if (i + 1) % per_state == 0:
            lines.append(state_message({"row": i + 1}))
    return lines


def test_field_the_user_may_not_edit_fails_preflight_before_any_write(sf, base_config):
    d = unique_domain()
    seed_contacts(sf, d, 1)
    before = sf.stats()
    config = base_config(restricted=True, field_mapping={"nps": "WalkMe_NPS_Score__c"})
    run = run_target(config, singer_lines([{"email": f"u0@{d}", "nps": "9"}], state={"s": 1}))
    assert run.error is not None
    text = str(run.error)
    assert "WalkMe_NPS_Score__c" in text and "not editable for this user" in text
    assert "field-level security" in text
    assert run.stdout == []
    after = sf.stats()
    assert after["records_updated"] == before["records_updated"]
    assert after["requests_by_kind"].get("query", 0) == before["requests_by_kind"].get("query", 0)
    assert run.summaries[-1]["status"] == "failed"


def test_token_expiry_mid_run_is_renewed_once(sf, base_config):
    d = unique_domain()
    emails = seed_contacts(sf, d, 6)
    lines = batched_lines(emails, "Renewed")
    # batch_size_rows=2: three batches; every token dies before the second batch's records.
    hooks = {4: sf.expire_tokens}
    run = run_target(base_config(batch_size_rows=2), lines, hooks=hooks)
    assert run.error is None, run.error
    assert set(segments(sf, d).values()) == {"Renewed"}
    assert run.summary()["counts"]["updated"] == 6
    assert run.stdout[-1] == json.dumps({"row": 6})


def test_503s_and_lock_errors_are_retried(sf, base_config):
    d = unique_domain()
    emails = seed_contacts(sf, d, 30)
    sf.faults(seed=7, error_rate=0.3, error_status=503, lock_rate=0.3)
    run = run_target(
        base_config(max_retries=8),
        singer_lines([{"email": e, "segment": "Retried"} for e in emails]),
    )
    sf.faults(clear=True)
    assert run.error is None, run.error
    assert set(segments(sf, d).values()) == {"Retried"}
    assert run.summary()["counts"] == {
        "updated": 30,
        "unchanged": 0,
        "unmatched": 0,
        "ambiguous": 0,
        "failed": 0,
        "rejected": 0,
    }


def test_request_limit_exceeded_stops_the_run_without_state(sf, base_config):
    d = unique_domain()
    emails = seed_contacts(sf, d, 6)
    lines = batched_lines(emails, "Limited")
    # Enough quota for the describe and the first batch, not for the rest.
    # write_method collections writes each batch as it is processed.
    run = run_target(
        base_config(batch_size_rows=2, write_method="collections"),
        lines,
        hooks={4: exhaust_quota_after(sf, "collections_update", 1)},
    )
    sf.faults(clear=True)
    assert run.error is not None
    assert "REQUEST_LIMIT_EXCEEDED" in str(run.error) or "Limit exceeded" in str(run.error)
    # The SDK prints STATE only after draining every sink; the run stopped first.
    assert run.stdout == []
    summary = run.summary()
    assert summary["status"] == "failed"
    assert summary["counts"]["updated"] == 2  # the first batch was written and reported
    written = [e for e, v in segments(sf, d).items() if v == "Limited"]
    assert len(written) == 2


def test_request_limit_exceeded_with_changes_waiting_in_the_spool(sf, base_config):
    """write_method auto: the first batch's changes wait for the stream's write; when the
    second batch hits the limit they, and the second batch's own rows, are reported as not
    written (every row received gets a line), and no STATE is printed."""
    d = unique_domain()
    emails = seed_contacts(sf, d, 6)
    lines = batched_lines(emails, "Spooled")
    run = run_target(
        base_config(batch_size_rows=2),
        lines,
        hooks={4: exhaust_quota_after(sf, "query", 1)},
    )
    sf.faults(clear=True)
    assert run.error is not None
    # Salesforce's refusal, or the target's own quota guard when a response's usage header
    # (Sforce-Limit-Info) already said the quota was used up: which comes first is timing.
    assert any(
        sign in str(run.error)
        for sign in ("REQUEST_LIMIT_EXCEEDED", "Limit exceeded", "daily API requests")
    ), run.error
    assert run.stdout == []
    summary = run.summary()
    assert summary["status"] == "failed"
    assert summary["counts"]["updated"] == 0
    assert summary["counts"]["failed"] == 4  # 2 spooled + the 2 of the batch that hit it
    failed = run.rows("failed")
    assert len(failed) == 4
    assert {r["error_code"] for r in failed} == {"NOT_WRITTEN"}
    assert all("not written, the run stopped" in r["error_message"] for r in failed)
    assert set(segments(sf, d).values()) == {None}


def test_state_is_printed_only_after_the_spool_is_written(sf, base_config):
    """Batches of 2 rows, STATE after each: every change waits in the spool until the STATE
    is due; the one Bulk job runs before it (bulk_threshold 1), then STATE is printed."""
    d = unique_domain()
    emails = seed_contacts(sf, d, 6)
    before = sf.stats()["requests_by_kind"]
    run = run_target(
        base_config(batch_size_rows=2, bulk_threshold=1),
        batched_lines(emails, "Once"),
    )
    assert run.error is None, run.error
    assert [json.loads(line) for line in run.stdout] == [{"row": 6}]
    assert set(segments(sf, d).values()) == {"Once"}
    assert run.summary()["counts"]["updated"] == 6
    assert run.summary()["write_calls"] == {"collections": 0, "bulk": 1}
    after = sf.stats()["requests_by_kind"]
    assert after.get("collections_update", 0) == before.get("collections_update", 0)


def test_daily_usage_ceiling_stops_before_crossing(sf, base_config):
    d = unique_domain()
    emails = seed_contacts(sf, d, 2)
    run = run_target(
        base_config(max_daily_api_usage_percent=0.0001),
        singer_lines([{"email": e, "segment": "Ceiling"} for e in emails], state={"s": 1}),
    )
    assert run.error is not None
    assert "max_daily_api_usage_percent" in str(run.error)
    assert run.stdout == []
    assert set(segments(sf, d).values()) == {None}


def _cli(
    config: dict, lines: list[str], tmp_path, env: dict | None = None
) -> subprocess.CompletedProcess:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return subprocess.run(
        [sys.executable, "-m", "target_salesforce_update.target", "--config", str(path)],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )


def test_cli_stdout_has_exactly_the_state_and_exit_code_reflects_failure(sf, base_config, tmp_path):
    d = unique_domain()
    emails = seed_contacts(sf, d, 3)
    ok = _cli(base_config(), batched_lines(emails, "Cli", per_state=1), tmp_path)
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert ok.stdout == json.dumps({"row": 3}) + "\n"
    assert (
        "Summary: stream=onboarding object=Contact updated=3 unchanged=0 unmatched=0" in ok.stderr
    )
    assert "status=completed results=" in ok.stderr

    sf.faults(api_remaining=0)
    bad = _cli(base_config(), batched_lines(emails, "Cli2", per_state=1), tmp_path)
    sf.faults(clear=True)
    assert bad.returncode != 0
    assert bad.stdout == ""
    assert "status=failed" in bad.stderr


def test_meltano_config_test_stream_writes_nothing(sf, base_config, tmp_path):
    before = sf.stats()
    lines = [
        json.dumps(
            {
                "type": "SCHEMA",
                "stream": "meltano_test_stream",
                "schema": {
                    "type": "object",
                    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
                },
                "key_properties": ["id"],
            }
        ),
        json.dumps(
            {"type": "RECORD", "stream": "meltano_test_stream", "record": {"id": 1, "name": "test"}}
        ),
        json.dumps({"type": "STATE", "value": {"bookmarks": {"meltano_test_stream": {}}}}),
    ]
    proc = _cli(base_config(), lines, tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    # meltano config test fails on any output line containing "error" or "exception".
    assert "error" not in proc.stderr.lower() and "exception" not in proc.stderr.lower()
    assert "nothing is written for this stream" in proc.stderr
    after = sf.stats()
    assert after["records_updated"] == before["records_updated"]
    assert after["requests_by_kind"].get("query", 0) == before["requests_by_kind"].get("query", 0)

    broken = base_config(password="wrong-password")
    proc = _cli(broken, lines, tmp_path)
    assert proc.returncode != 0


def test_retries_exhausted_fail_the_run_without_state(sf, base_config):
    d = unique_domain()
    emails = seed_contacts(sf, d, 2)
    lines = singer_lines([{"email": e, "segment": "Never"} for e in emails], state={"s": 1})
    # Describe succeeds first; then every call answers 503.
    run = run_target(
        base_config(max_retries=1),
        lines,
        hooks={1: lambda: sf.faults(error_rate=1.0, error_status=503)},
    )
    sf.faults(clear=True)
    assert run.error is not None
    assert run.stdout == []
    summary = run.summary()
    assert (summary["status"] == "failed" and "503" in (summary["error"] or "")) or summary["error"]
    assert set(segments(sf, d).values()) == {None}


def test_mid_stream_state_waits_for_the_spool(sf, base_config):
    """A STATE the SDK prints mid-stream (its max-record-age drain, here after every record)
    comes only after every change received before it is written; until then none is."""
    from target_salesforce_update.target import TargetSalesforceUpdate

    d = unique_domain()
    emails = seed_contacts(sf, d, 4)
    lines = [
        schema_message(),
        record_message({"email": emails[0], "segment": "Mid"}),
        record_message({"email": emails[1], "segment": "Mid"}),
        state_message({"row": 2}),
        record_message({"email": emails[2], "segment": "Mid"}),
        record_message({"email": emails[3], "segment": "Mid"}),
    ]
    out = io.StringIO()
    seen: list[tuple[str, dict]] = []

    def feed() -> Iterator[str]:
        for line in lines:
            seen.append((out.getvalue(), segments(sf, d)))
            yield line + "\n"

    target = TargetSalesforceUpdate(config=base_config(batch_size_rows=100, bulk_threshold=1))
    target._MAX_RECORD_AGE_IN_MINUTES = -1  # the SDK drains all sinks after every record
    with contextlib.redirect_stdout(out):
        target.listen(feed())  # type: ignore[arg-type]
    # Before the STATE was read nothing was printed, and the spooled rows stayed unwritten.
    for printed, values in seen[:4]:
        assert printed == ""
        assert set(values.values()) == {None}
    # Once the record after it was read, the STATE was out — and rows 1-3 were written.
    printed, values = seen[5]
    assert printed == json.dumps({"row": 2}) + "\n"
    assert [values[e] for e in emails[:3]] == ["Mid", "Mid", "Mid"]
    assert values[emails[3]] is None
    assert set(segments(sf, d).values()) == {"Mid"}
    assert set(out.getvalue().splitlines()) == {json.dumps({"row": 2})}
