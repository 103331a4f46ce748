"""The Bulk job poll schedule: a first wait sized to the job, then the job's own progress."""

from __future__ import annotations

import pytest
from target_salesforce_update.salesforce.bulk_jobs import (
    MAX_POLL_SECONDS,
    MIN_POLL_SECONDS,
    PollSchedule,
)

INGEST = PollSchedule(first_seconds=0.25, records_per_second=20_000)


def test_the_first_wait_is_the_queue_time_plus_a_third_of_the_expected_processing():
    assert INGEST.first_wait(0) == pytest.approx(0.25)
    assert INGEST.first_wait(60_000) == pytest.approx(0.25 + 1.0)
    assert INGEST.first_wait(10_000_000) == MAX_POLL_SECONDS


def test_a_query_job_is_first_polled_after_an_eighth_of_its_expected_time():
    from target_salesforce_update.salesforce.bulk_query import POLL_SCHEDULE

    # 959,027 records at 50,000 a second: 19.2 s expected, first poll after 0.5 + 2.4 s.
    assert POLL_SCHEDULE.first_wait(959_027) == pytest.approx(0.5 + 959_027 / 50_000 / 8)
    assert POLL_SCHEDULE.first_wait(5_000) == pytest.approx(0.5 + 0.1 / 8)


def test_progress_reported_part_way_times_the_next_poll_for_the_rest():
    # 30,000 of 60,000 done 2 s after closing: the rest should take 2 s more.
    assert INGEST.next_wait(60_000, 30_000, 2.0, 1.25) == pytest.approx(2.0 * 1.1 + 0.1)
    # Nearly done: never less than the minimum wait.
    assert INGEST.next_wait(60_000, 59_999, 2.0, 1.25) == pytest.approx(MIN_POLL_SECONDS, abs=1e-3)
    # Slow progress: never more than the maximum wait.
    assert INGEST.next_wait(60_000, 10, 2.0, 1.25) == MAX_POLL_SECONDS


def test_without_progress_each_wait_is_half_as_long_again():
    assert INGEST.next_wait(60_000, 0, 1.25, 1.25) == pytest.approx(1.875)
    # A count above the expected records (the estimate was low) is no progress to go by.
    assert INGEST.next_wait(100, 150, 1.0, 1.0) == pytest.approx(1.5)
    assert INGEST.next_wait(60_000, 0, 30.0, 9.0) == MAX_POLL_SECONDS
