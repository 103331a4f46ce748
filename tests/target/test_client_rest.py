"""REST behaviour of SalesforceClient against the emulator: describe, query, Collections updates,
retries, limits and the usage ceiling."""

from __future__ import annotations

import logging
import time
from urllib.parse import quote as url_quote

import pytest
from client_fixtures import (
    _client_tests_never_create_records,  # noqa: F401 - autouse fixture
    live_records,
    make_client,
    seed_contacts,
)
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from salesforce_emulator.testing import INTEGRATION_PASSWORD, INTEGRATION_USERNAME
from target_salesforce_update.exceptions import (
    ApiUsageCeilingError,
    InvalidFieldError,
    MalformedQueryError,
    NotFoundError,
    RequestLimitExceededError,
    TransientError,
)
from target_salesforce_update.matching import MAX_ENCODED_QUERY_CHARS
from target_salesforce_update.salesforce.client import SaveResult, retry_delay
from target_salesforce_update.soql import in_clause, in_clause_batches, quote


def test_describe_and_describe_global(sf) -> None:
    with make_client(sf) as client:
        names = {o["name"] for o in client.describe_global()["sobjects"]}
        assert {"Contact", "Lead"} <= names
        fields = {f["name"]: f for f in client.describe("Contact")["fields"]}
        assert fields["WalkMe_Segment__c"]["type"] == "string"
        with pytest.raises(NotFoundError, match="object's API name"):
            client.describe("No_Such_Object__c")
        with pytest.raises(ValueError, match="sObject API name"):
            client.describe("Contact/../../limits")


def test_query_strips_attributes_and_skips_deleted(sf) -> None:
    with make_client(sf) as client:
        rows = list(client.query("SELECT Id, Email FROM Contact"))
    expected = {r["Id"] for r in live_records(sf)}
    assert {r["Id"] for r in rows} == expected
    assert all(set(r) == {"Id", "Email"} for r in rows)


def test_query_follows_next_records_url(sf) -> None:
    contacts = seed_contacts(sf, 2100, "paged")
    with make_client(sf) as client:
        calls = client.api_calls
        rows = list(client.query("SELECT Id FROM Contact WHERE Email LIKE 'paged.%'"))
        assert client.api_calls - calls == 2  # two pages of up to 2,000
    assert sorted(r["Id"] for r in rows) == sorted(c["Id"] for c in contacts)


def test_query_errors(sf) -> None:
    with make_client(sf) as client:
        with pytest.raises(MalformedQueryError) as excinfo:
            list(client.query("SELEC Id FROM Contact"))
        assert excinfo.value.error_code == "MALFORMED_QUERY"
        assert excinfo.value.status == 400
        with pytest.raises(InvalidFieldError, match="field's API name"):
            list(client.query("SELECT Nope__c FROM Contact"))
        with pytest.raises(MalformedQueryError, match="too long"):
            list(client.query("SELECT Id FROM Contact WHERE Email = " + quote("x" * 20000)))


def test_query_filled_to_the_match_budget_fits_the_request_line_limit(sf) -> None:
    """A statement of MAX_ENCODED_QUERY_CHARS encoded characters (what the sink packs keys up
    to) is accepted by the server's 16,384-byte request-line check with the client's real
    headers; one that could not fit is refused before it is sent."""
    head = "SELECT Id FROM Contact WHERE Email IN ("
    keys: list[str] = []
    statement = head + ")"
    while True:
        candidate = head + ",".join([*keys, quote(f"k{len(keys):05d}@budget.example.com")]) + ")"
        if len(url_quote(candidate, safe="")) > MAX_ENCODED_QUERY_CHARS:
            break
        keys.append(quote(f"k{len(keys):05d}@budget.example.com"))
        statement = candidate
    assert len(url_quote(statement, safe="")) > MAX_ENCODED_QUERY_CHARS - 60
    with make_client(sf) as client:
        calls = client.api_calls
        assert list(client.query(statement)) == []
        assert client.api_calls - calls == 1
        with pytest.raises(MalformedQueryError, match="16384-byte limit"):
            list(client.query(head + ",".join(keys + keys[:20]) + ")"))
        assert client.api_calls - calls == 1


def test_in_clause_batches_query_every_key(sf) -> None:
    contacts = seed_contacts(sf, 300, "batched")
    keys = [c["Email"].upper() for c in contacts]  # Email compares case-insensitively
    found: set[str] = set()
    with make_client(sf) as client:
        for batch in in_clause_batches("Email", keys, max_chars=3000, max_values=100):
            soql = f"SELECT Id FROM Contact WHERE {in_clause('Email', batch)}"
            found |= {r["Id"] for r in client.query(soql)}
    assert found == {c["Id"] for c in contacts}


@example(email="o'brien@example.com")
@example(email="back\\slash\\'@example.com")
@example(email='"quoted"\n\t\r\b\f@example.com')
@example(email="' OR Email != '")
@example(email="%_*@example.com")
@example(email="ÜNÏCØDÉ@EXAMPLE.COM")
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    email=st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=80)
)
def test_quoted_email_matches_exactly_that_record(sf, email: str) -> None:
    """Whatever the string, ``WHERE Email = quote(s)`` finds exactly the records whose Email is
    ``s`` (compared case-insensitively, as Salesforce does) and nothing else."""
    sf.seed({"records": {"Contact": [{"LastName": "Quoted", "Email": email}]}})
    stored = [r for r in live_records(sf) if r.get("LastName") == "Quoted"][-1]["Email"]
    expected = {
        r["Id"]
        for r in live_records(sf)
        if r.get("Email") is not None and r["Email"].casefold() == stored.casefold()
    }
    with make_client(sf) as client:
        rows = list(client.query(f"SELECT Id, Email FROM Contact WHERE Email = {quote(stored)}"))
    assert {r["Id"] for r in rows} == expected
    assert expected


def test_update_records_in_order_with_per_record_errors(sf) -> None:
    contacts = seed_contacts(sf, 450, "ordered")
    deleted = next(r for r in sf.records("Contact") if r.get("IsDeleted"))
    records: list[dict] = []
    for i, contact in enumerate(contacts):
        if i % 50 == 7:
            records.append({"Id": contact["Id"], "WalkMe_Segment__c": "x" * 81})  # too long
        else:
            records.append({"Id": contact["Id"], "WalkMe_Segment__c": f"seg {i}"})
    records.insert(100, {"Id": "003000000000000AAA", "WalkMe_Segment__c": "ghost"})
    records.insert(300, {"Id": deleted["Id"], "WalkMe_Segment__c": "gone"})
    with make_client(sf, max_concurrency=3) as client:
        results = client.update_records("Contact", records)
        assert client.api_calls >= 3  # 452 records → 3 Collections calls
    assert len(results) == len(records)
    for record, result in zip(records, results, strict=True):
        assert isinstance(result, SaveResult)
        assert result.id == record["Id"]
        value = record["WalkMe_Segment__c"]
        if value == "ghost":
            assert not result.success
            assert result.errors[0].status_code in {"INVALID_CROSS_REFERENCE_KEY", "MALFORMED_ID"}
        elif value == "gone":
            assert not result.success
            assert result.errors[0].status_code == "ENTITY_IS_DELETED"
        elif len(value) > 80:
            assert not result.success
            assert result.errors[0].status_code == "STRING_TOO_LONG"
            assert result.errors[0].fields == ("WalkMe_Segment__c",)
        else:
            assert result.success, result
            assert result.errors == ()
    stored = {r["Id"]: r["WalkMe_Segment__c"] for r in live_records(sf)}
    for record, result in zip(records, results, strict=True):
        if result.success:
            assert stored[record["Id"]] == record["WalkMe_Segment__c"]


def test_update_records_null_clears_absent_leaves_alone(sf) -> None:
    a, b = seed_contacts(sf, 2, "nulls")
    with make_client(sf) as client:
        first = client.update_records(
            "Contact",
            [
                {"Id": a["Id"], "WalkMe_Segment__c": "keep", "WalkMe_NPS_Comment__c": "hello"},
                {"Id": b["Id"], "WalkMe_Segment__c": "keep", "WalkMe_NPS_Comment__c": "hello"},
            ],
        )
        second = client.update_records(
            "Contact",
            [
                {"Id": a["Id"], "WalkMe_NPS_Comment__c": None},  # Segment absent: untouched
                {"Id": b["Id"], "WalkMe_Segment__c": "changed"},  # Comment absent: untouched
            ],
        )
    assert all(r.success for r in first + second)
    stored = {r["Id"]: r for r in live_records(sf)}
    assert stored[a["Id"]]["WalkMe_Segment__c"] == "keep"
    assert stored[a["Id"]]["WalkMe_NPS_Comment__c"] is None
    assert stored[b["Id"]]["WalkMe_Segment__c"] == "changed"
    assert stored[b["Id"]]["WalkMe_NPS_Comment__c"] == "hello"


def test_update_records_read_only_field_fails_per_record(sf) -> None:
    contact = live_records(sf)[0]
    with make_client(sf, username=INTEGRATION_USERNAME, password=INTEGRATION_PASSWORD) as client:
        [result] = client.update_records(
            "Contact", [{"Id": contact["Id"], "WalkMe_NPS_Score__c": 9}]
        )
    assert not result.success
    assert result.errors[0].status_code == "INVALID_FIELD_FOR_INSERT_UPDATE"


def test_update_records_refuses_records_without_id(sf) -> None:
    with make_client(sf) as client:
        calls = client.api_calls
        with pytest.raises(ValueError, match="never creates"):
            client.update_records("Contact", [{"Email": "new@example.com", "LastName": "New"}])
        assert client.api_calls == calls
        assert client.update_records("Contact", []) == []


def test_update_records_runs_chunks_in_parallel(sf) -> None:
    contacts = seed_contacts(sf, 800, "parallel")  # 4 Collections calls
    records = [{"Id": c["Id"], "WalkMe_Segment__c": "p"} for c in contacts]
    sf.faults(latency_ms=250)
    timings = {}
    for concurrency in (1, 4):
        with make_client(sf, max_concurrency=concurrency) as client:
            client.describe("Contact")  # log in first
            started = time.monotonic()
            assert all(r.success for r in client.update_records("Contact", records))
            timings[concurrency] = time.monotonic() - started
    sf.faults(clear=True)
    assert timings[1] >= 1.0
    assert timings[4] < timings[1] / 2


def test_update_logs_one_info_line(sf, caplog) -> None:
    contacts = seed_contacts(sf, 410, "logged")
    with make_client(sf) as client, caplog.at_level(logging.INFO):
        client.update_records(
            "Contact", [{"Id": c["Id"], "WalkMe_Segment__c": "x"} for c in contacts]
        )
    info = [r for r in caplog.records if r.levelno >= logging.INFO and "salesforce" in r.name]
    assert len(info) == 1
    assert "410 records, 410 succeeded, 0 failed, 3 API calls" in info[0].getMessage()


def test_5xx_and_dropped_connections_are_retried(sf) -> None:
    contacts = seed_contacts(sf, 250, "flaky")
    sf.faults(seed=7, error_rate=0.3, error_status=503, drop_rate=0.15)
    with make_client(sf, max_retries=10) as client:
        assert client.describe("Contact")["name"] == "Contact"
        rows = list(client.query("SELECT Id FROM Contact WHERE Email LIKE 'flaky.%'"))
        results = client.update_records(
            "Contact", [{"Id": c["Id"], "WalkMe_Segment__c": "ok"} for c in contacts]
        )
        calls = client.api_calls
    sf.faults(clear=True)
    assert len(rows) == 250
    assert all(r.success for r in results)
    assert calls > 4  # some attempts failed and were repeated
    assert all(
        r["WalkMe_Segment__c"] == "ok"
        for r in live_records(sf)
        if r["Id"] in {c["Id"] for c in contacts}
    )


@pytest.mark.parametrize("status", [500, 502, 503])
def test_persistent_5xx_gives_transient_error(sf, status: int) -> None:
    with make_client(sf, max_retries=2) as client:
        client.describe("Contact")
        sf.faults(error_rate=1.0, error_status=status)
        calls = client.api_calls
        with pytest.raises(TransientError, match="after 3 attempts") as excinfo:
            client.describe("Contact")
        assert client.api_calls - calls == 3
        assert excinfo.value.status == status


def test_row_locks_are_resent_until_they_succeed(sf) -> None:
    contacts = seed_contacts(sf, 300, "locked")
    sf.faults(seed=3, lock_rate=0.3)
    with make_client(sf, max_retries=10) as client:
        results = client.update_records(
            "Contact", [{"Id": c["Id"], "WalkMe_Segment__c": "unlocked"} for c in contacts]
        )
        calls = client.api_calls
    sf.faults(clear=True)
    assert all(r.success for r in results), [r for r in results if not r.success][:3]
    assert calls > 2  # the locked records went out again
    stored = {r["Id"]: r["WalkMe_Segment__c"] for r in live_records(sf)}
    assert all(stored[c["Id"]] == "unlocked" for c in contacts)


def test_row_locks_that_persist_are_reported_per_record(sf) -> None:
    contacts = seed_contacts(sf, 5, "stuck")
    sf.faults(lock_rate=1.0)
    with make_client(sf, max_retries=2) as client:
        results = client.update_records(
            "Contact", [{"Id": c["Id"], "WalkMe_Segment__c": "x"} for c in contacts]
        )
        assert client.api_calls == 3
    assert [r.errors[0].status_code for r in results] == ["UNABLE_TO_LOCK_ROW"] * 5


def test_request_limit_exceeded_is_fatal_at_once(sf) -> None:
    with make_client(sf) as client:
        client.describe("Contact")
        sf.faults(api_remaining=0)
        calls = client.api_calls
        with pytest.raises(RequestLimitExceededError, match="daily API request limit") as exc:
            client.describe("Contact")
        assert client.api_calls - calls == 1  # no retries
        assert exc.value.error_code == "REQUEST_LIMIT_EXCEEDED"
        assert exc.value.status == 403


def test_usage_ceiling_stops_before_the_call(sf) -> None:
    sf.faults(api_limit=1000, api_remaining=60)  # 940/1000 used
    with make_client(sf, max_daily_api_usage_percent=95) as client:
        client.describe("Contact")  # 941/1000 → still under 95 %
        assert client.api_usage == (941, 1000)
        for _ in range(9):
            client.limits()
        assert client.api_usage == (950, 1000)
        server_calls = sf.stats()["api_calls"]
        with pytest.raises(ApiUsageCeilingError, match="max_daily_api_usage_percent=95"):
            client.describe("Contact")
        assert sf.stats()["api_calls"] == server_calls  # nothing was sent


def test_limits(sf) -> None:
    with make_client(sf) as client:
        limits = client.limits()
    assert limits["DailyApiRequests"]["Max"] > 0


def test_retry_delay_is_jittered_exponential_and_honours_retry_after() -> None:
    for attempt in range(6):
        delay = retry_delay(attempt, 0.5)
        assert 0.25 * 2**attempt <= delay <= min(30.0, 0.5 * 2**attempt)
    assert retry_delay(20, 0.5) <= 30.0
    assert retry_delay(0, 0.01, "7") == 7.0
    assert retry_delay(0, 0.01, "100000") == 120.0
    assert retry_delay(0, 0.01, "Wed, 21 Oct 2015 07:28:00 GMT") <= 0.01
