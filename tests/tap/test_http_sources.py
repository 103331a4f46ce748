"""https sources against the WalkMe emulator: signed links, bearer token, retries, auth errors.

Every test talks real HTTP to `walkme-emulator serve` running as a subprocess.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from tap_walkme_insights.http import HttpAuthError, HttpClient, HttpError, RetryPolicy
from tap_walkme_insights.tap import TapWalkMeInsights
from tap_walkme_insights.walkme_auth import WalkMeTokenProvider
from walkme_tap_helpers import run_tap

REPORT = (
    "\ufeffEnd User ID,Onboarding Progress (%),Onboarding Completed,Total sessions\n"
    "ann@x.com,45.5,true,12\n"
    "bob@x.com,100,false,3\n"
    "ANN@x.com,50,true,13\n"
).encode()


def signed_config(url: str, **extra: object) -> dict[str, object]:
    return {
        "report_name": "onboarding",
        "source": url,
        "key_column": "End User ID",
        "backoff_factor": 0.05,
        **extra,
    }


def bearer_config(emulator, url: str, **extra: object) -> dict[str, object]:
    credentials = {
        "base_url": emulator.url,
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
    }
    return signed_config(url, **{**credentials, **extra})


def test_signed_link_needs_no_token_and_bookmarks_the_content(emulator, caplog) -> None:
    published = emulator.publish("onboarding", REPORT)
    result = run_tap(signed_config(published.signed_url), caplog=caplog)
    assert [r["end_user_id"] for r in result.records["onboarding"]] == ["bob@x.com", "ANN@x.com"]
    export = result.state["bookmarks"]["onboarding"]["export"]
    assert export["kind"] == "https"
    assert "?" not in export["url"].rstrip("?…")
    assert "Signature" not in str(result.state)
    assert len(export["sha256"]) == 64
    assert emulator.stats()["token_requests"] == 0
    assert export["etag"] == published.etag
    # Same export behind the link → a conditional GET answered 304, nothing new.
    downloads = emulator.stats()["downloads"]
    again = run_tap(signed_config(published.signed_url), state=result.state, caplog=caplog)
    assert "onboarding" not in again.records
    assert "not modified since the last sync" in again.logs
    assert emulator.stats()["statuses"].get("304") == 1
    assert again.state["bookmarks"]["onboarding"]["export"] == export
    # A new export behind the same link is read.
    emulator.publish("onboarding", REPORT + b"carl@x.com,10,false,1\n")
    newer = run_tap(signed_config(published.signed_url), state=again.state)
    assert [r["end_user_id"] for r in newer.records["onboarding"]][-1] == "carl@x.com"
    assert emulator.stats()["downloads"] > downloads


def test_bearer_url_uses_one_cached_token(emulator) -> None:
    published = emulator.publish("onboarding", REPORT)
    result = run_tap(bearer_config(emulator, published.url))
    assert len(result.records["onboarding"]) == 2
    stats = emulator.stats()
    assert stats["token_requests"] == 1  # discovery and sync share the token
    assert stats["downloads"] >= 2


def test_signed_link_on_walkme_host_gets_no_token_even_with_credentials(emulator) -> None:
    published = emulator.publish("onboarding", REPORT)
    result = run_tap(bearer_config(emulator, published.signed_url))
    assert len(result.records["onboarding"]) == 2
    assert emulator.stats()["token_requests"] == 0


def test_expired_token_is_renewed_after_a_401(emulator) -> None:
    published = emulator.publish("onboarding", REPORT)
    tap = TapWalkMeInsights(
        config=bearer_config(emulator, published.url), parse_env_config=False
    )  # discovery fetched a token
    emulator.expire_tokens()
    import io
    from contextlib import redirect_stdout

    with redirect_stdout(io.StringIO()) as out:
        tap.sync_all()
    assert out.getvalue().count('"type":"RECORD"') == 2
    assert emulator.stats()["token_requests"] == 2


def test_token_renewed_before_expiry(walkme) -> None:
    http = HttpClient(RetryPolicy(max_retries=1, timeout=10))
    provider = WalkMeTokenProvider(http, walkme.url, walkme.client_id, walkme.client_secret)
    now = [1000.0]
    provider.clock = lambda: now[0]
    first = provider.token()
    now[0] += 60
    assert provider.token() == first
    assert provider.tokens_fetched == 1
    now[0] += 86400 - 60 - 299  # inside the last 5 minutes of a 24 h token
    provider.token()
    assert provider.tokens_fetched == 2


def test_429_with_retry_after_and_5xx_are_retried(emulator, caplog) -> None:
    published = emulator.publish("onboarding", REPORT)
    emulator.faults(fail_next=[429, 503], retry_after=1)
    started = time.monotonic()
    result = run_tap(signed_config(published.signed_url), caplog=caplog)
    assert len(result.records["onboarding"]) == 2
    assert time.monotonic() - started >= 1.0  # Retry-After: 1 was honoured
    assert "HTTP 429" in result.logs
    assert "retry 1 of 5 in 1.0 s" in result.logs
    assert "HTTP 503" in result.logs


def test_cut_off_body_is_downloaded_again(emulator, caplog) -> None:
    published = emulator.publish("onboarding", REPORT)
    tap = TapWalkMeInsights(config=signed_config(published.signed_url), parse_env_config=False)
    emulator.faults(fail_next=["cut_off"])
    import io
    from contextlib import redirect_stdout

    caplog.set_level("INFO")
    with redirect_stdout(io.StringIO()) as out:
        tap.sync_all()
    assert out.getvalue().count('"type":"RECORD"') == 2
    assert "download cut off" in caplog.text
    assert emulator.stats()["partial_downloads"] >= 1


def test_gives_up_after_max_retries_with_a_clear_error(emulator) -> None:
    published = emulator.publish("onboarding", REPORT)
    emulator.faults(fail_next=[503, 503, 503])
    with pytest.raises(Exception, match=r"HTTP 503.*gave up after 3 attempts") as raised:
        run_tap(signed_config(published.signed_url, max_retries=2))
    assert "Signature" not in str(raised.value)


def test_wrong_client_secret_is_a_clear_error_without_the_secret(emulator) -> None:
    published = emulator.publish("onboarding", REPORT)
    wrong = "wrong-" + emulator.client_secret
    config = bearer_config(emulator, published.url, client_secret=wrong)
    with pytest.raises(HttpAuthError) as raised:
        run_tap(config)
    message = str(raised.value)
    assert "HTTP 401" in message
    assert "client_id/client_secret" in message
    assert wrong not in message
    assert emulator.client_secret not in message


def test_key_without_report_access_is_403(emulator) -> None:
    published = emulator.publish("onboarding", REPORT)
    emulator.add_client("no-reports", "no-reports-secret-123", reports=False)
    config = bearer_config(
        emulator, published.url, client_id="no-reports", client_secret="no-reports-secret-123"
    )
    with pytest.raises(HttpAuthError, match=r"HTTP 403.*may read reports"):
        run_tap(config)


def test_expired_signed_link_is_a_clear_error_without_the_signature(emulator) -> None:
    emulator.publish("onboarding", REPORT)
    url = emulator.signed_url("onboarding", ttl=60)
    signature = parse_qs(urlsplit(url).query)["Signature"][0]
    emulator.advance_clock(120)
    with pytest.raises(HttpAuthError) as raised:
        run_tap(signed_config(url))
    message = str(raised.value)
    assert "HTTP 403" in message
    assert "fresh link" in message
    assert signature not in message
    assert "Expires=" not in message


def test_connection_refused_is_retried_then_reported() -> None:
    with requests.Session() as session:
        client = HttpClient(RetryPolicy(max_retries=1, backoff_factor=0.01, timeout=2), session)
        with pytest.raises(HttpError, match="ConnectionError") as raised:
            client.request("GET", "http://127.0.0.1:9/report.csv?Signature=abc")
    assert "abc" not in str(raised.value)


def test_plain_http_is_refused_for_non_loopback_hosts() -> None:
    from singer_sdk.exceptions import ConfigValidationError

    with pytest.raises(ConfigValidationError, match="use https"):
        run_tap(signed_config("http://example.com/r.csv?sig=1"))


def test_token_request_is_retried_on_429(emulator) -> None:
    published = emulator.publish("onboarding", REPORT)
    emulator.faults(fail_next=[429], retry_after=0, routes=["token"])
    result = run_tap(bearer_config(emulator, published.url))
    assert len(result.records["onboarding"]) == 2
    assert emulator.stats()["token_requests"] == 2
