"""The tap and the target retry under the same policy (docs/architecture.md, "Retries").

The two plugins are separate packages, so each has its own copy of ``retry_policy.py`` built on
urllib3's ``Retry``; this test proves the copies decide the same: the same statuses, the same
caps, and — with the same random seed — the same wait before every retry, with and without
``Retry-After`` (seconds, HTTP date, garbage).
"""

from __future__ import annotations

import email.utils
import random
import time
from pathlib import Path

import pytest
import tap_walkme_insights.retry_policy as tap_policy
import target_salesforce_update.salesforce.retry_policy as target_policy
from tap_walkme_insights.http import RetryPolicy
from target_salesforce_update.salesforce.client import retry_delay

HEADERS = [None, "0", "7", "100000", "junk", "Wed, 21 Oct 2015 07:28:00 GMT"]


def test_both_copies_are_the_same_code() -> None:
    def body(module: object) -> str:
        text = Path(module.__file__).read_text(encoding="utf-8")  # type: ignore[attr-defined]
        return text[text.index('"""', 3) :]  # the docstrings name each other

    assert body(tap_policy) == body(target_policy)
    assert tap_policy.RETRY_STATUSES == target_policy.RETRY_STATUSES == {429, 500, 502, 503, 504}
    assert tap_policy.MAX_BACKOFF_SECONDS == target_policy.MAX_BACKOFF_SECONDS == 30.0
    assert tap_policy.MAX_RETRY_AFTER_SECONDS == target_policy.MAX_RETRY_AFTER_SECONDS == 120.0


@pytest.mark.parametrize("header", HEADERS)
@pytest.mark.parametrize("factor", [0.01, 0.5, 1.0, 4.0])
def test_tap_and_target_wait_the_same(header: str | None, factor: float) -> None:
    for retry in range(1, 9):
        random.seed(retry)
        target_wait = retry_delay(retry - 1, factor, header)
        random.seed(retry)
        tap_wait = RetryPolicy(backoff_factor=factor).wait(retry, header)
        assert tap_wait == target_wait, (retry, factor, header)
        if header in {"7", "100000", "0"}:
            assert target_wait == min(float(header), 120.0)
        elif header and header.endswith("GMT"):
            assert target_wait == 0.0  # a date in the past: retry now
        else:
            backoff = min(30.0, factor * 2 ** (retry - 1))
            assert backoff / 2 <= target_wait <= backoff


def test_retry_after_as_a_future_http_date_is_honoured_and_capped() -> None:
    soon = email.utils.formatdate(time.time() + 60, usegmt=True)
    later = email.utils.formatdate(time.time() + 3600, usegmt=True)
    assert 55 <= retry_delay(0, 0.5, soon) <= 60
    assert RetryPolicy().wait(1, later) == retry_delay(0, 0.5, later) == 120.0
