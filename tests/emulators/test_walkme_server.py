"""The WalkMe emulator over real HTTP: tokens, downloads, signed links, faults, inspection."""

from __future__ import annotations

import http.client
import json
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from walkme_emulator.testing import EmulatorError, WalkMeEmulator

CSV = "End User ID,Onboarding Progress (%)\r\nzoë@example.com,45.50\r\n".encode()
TIMEOUT = 10
SIGN = [sys.executable, "-m", "walkme_emulator.cli", "sign", "--report", "cli"]


@pytest.fixture(scope="module")
def walkme(tmp_path_factory):
    secret = "wm-secret-" + secrets.token_hex(8)
    reports = tmp_path_factory.mktemp("walkme-reports")
    with WalkMeEmulator(reports, client_id="wm-test-client", client_secret=secret) as emulator:
        yield emulator


@pytest.fixture(autouse=True)
def fresh(walkme):
    walkme.reset()
    walkme.publish("demo", CSV)
    yield


def token_response(walkme, client_id=None, client_secret=None, grant="client_credentials"):
    return requests.post(
        walkme.token_url,
        auth=(client_id or walkme.client_id, client_secret or walkme.client_secret),
        data={"grant_type": grant},
        timeout=TIMEOUT,
    )


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_listening_url_is_loopback(walkme):
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", walkme.url)


def test_token_with_basic_client_credentials(walkme):
    response = token_response(walkme)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 86400
    assert len(body["access_token"]) > 20
    assert response.headers["Cache-Control"] == "no-store"


def test_token_rejects_wrong_secret_missing_basic_and_wrong_grant(walkme):
    wrong = token_response(walkme, client_secret="nope")
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    in_body = requests.post(
        walkme.token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": walkme.client_id,
            "client_secret": walkme.client_secret,
        },
        timeout=TIMEOUT,
    )
    assert in_body.status_code == 401
    assert "HTTP Basic" in in_body.json()["error_description"]
    assert token_response(walkme, grant="password").status_code == 400


def test_authenticated_download(walkme):
    response = requests.get(walkme.report_url("demo"), headers=bearer(walkme.token()), timeout=10)
    assert response.status_code == 200
    assert response.content == CSV
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["ETag"]
    assert response.headers["Last-Modified"].endswith("GMT")


def test_download_without_or_with_bad_token_is_401(walkme):
    missing = requests.get(walkme.report_url("demo"), timeout=TIMEOUT)
    assert missing.status_code == 401
    assert "connect/token" in missing.json()["message"]
    unknown = requests.get(walkme.report_url("demo"), headers=bearer("nope"), timeout=TIMEOUT)
    assert unknown.status_code == 401
    assert unknown.json()["error"] == "invalid_token"


def test_token_expires_on_the_emulator_clock(walkme):
    token = walkme.token()
    url = walkme.report_url("demo")
    assert requests.get(url, headers=bearer(token), timeout=TIMEOUT).status_code == 200
    walkme.advance_clock(86401)
    expired = requests.get(url, headers=bearer(token), timeout=TIMEOUT)
    assert expired.status_code == 401
    assert "expired" in expired.json()["message"]
    walkme.reset()
    walkme.publish("demo", CSV)
    token = walkme.token()
    assert walkme.expire_tokens() >= 1
    assert requests.get(url, headers=bearer(token), timeout=TIMEOUT).status_code == 401


def test_key_without_report_access_is_403(walkme):
    walkme.add_client("no-reports", "s3cret-no-reports", reports=False)
    response = token_response(walkme, "no-reports", "s3cret-no-reports")
    assert response.status_code == 200
    token = response.json()["access_token"]
    forbidden = requests.get(walkme.report_url("demo"), headers=bearer(token), timeout=TIMEOUT)
    assert forbidden.status_code == 403
    assert forbidden.json()["error"] == "insufficient_scope"


def test_unknown_report_is_404(walkme):
    url = walkme.report_url("nothing-here")
    assert requests.get(url, headers=bearer(walkme.token()), timeout=TIMEOUT).status_code == 404


def test_signed_link_valid_expired_tampered(walkme):
    url = walkme.signed_url("demo", ttl=60)
    assert re.search(r"/g_reports/[0-9a-f-]{36}\.csv\?Expires=\d+&Signature=[0-9a-f]{64}$", url)
    ok = requests.get(url, timeout=TIMEOUT)
    assert ok.status_code == 200
    assert ok.content == CSV

    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    tampered = {**query, "Expires": str(int(query["Expires"]) + 3600)}
    bad = requests.get(f"{walkme.url}{parts.path}?{urlencode(tampered)}", timeout=TIMEOUT)
    assert bad.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in bad.text
    unsigned = requests.get(f"{walkme.url}{parts.path}", timeout=TIMEOUT)
    assert unsigned.status_code == 403
    assert "<Code>AccessDenied</Code>" in unsigned.text

    walkme.advance_clock(61)
    expired = requests.get(url, timeout=TIMEOUT)
    assert expired.status_code == 403
    assert expired.headers["Content-Type"] == "application/xml"
    assert "Request has expired" in expired.text


def test_signed_link_from_cli_sign_command(tmp_path):
    key = "k-" + secrets.token_hex(8)
    with WalkMeEmulator(tmp_path, signing_key=key) as walkme:
        walkme.publish("cli", b"a,b\r\n1,2\r\n")
        signed = subprocess.run(
            [*SIGN, "--ttl", "120", "--signing-key", key, "--base-url", walkme.url],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.strip()
        assert requests.get(signed, timeout=TIMEOUT).content == b"a,b\r\n1,2\r\n"
        other_key = subprocess.run(
            [*SIGN, "--signing-key", "wrong", "--base-url", walkme.url],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.strip()
        assert requests.get(other_key, timeout=TIMEOUT).status_code == 403


def test_etag_conditional_get_and_range(walkme):
    url = walkme.signed_url("demo")
    first = requests.get(url, timeout=TIMEOUT)
    again = requests.get(url, headers={"If-None-Match": first.headers["ETag"]}, timeout=TIMEOUT)
    assert again.status_code == 304
    assert again.content == b""
    partial = requests.get(url, headers={"Range": "bytes=10-"}, timeout=TIMEOUT)
    assert partial.status_code == 206
    assert partial.content == CSV[10:]
    assert partial.headers["Content-Range"] == f"bytes 10-{len(CSV) - 1}/{len(CSV)}"
    bad = requests.get(url, headers={"Range": f"bytes={len(CSV)}-"}, timeout=TIMEOUT)
    assert bad.status_code == 416


def test_publish_by_path_streams_a_large_file(walkme, tmp_path):
    big = tmp_path / "big.csv"
    line = b"someone+tag@example.com,12.50\r\n"
    with big.open("wb") as out:
        out.write(b"End User ID,Value\r\n")
        for _ in range(100_000):
            out.write(line)
    published = walkme.publish("big", big)
    assert published.size == big.stat().st_size
    response = requests.get(published.signed_url, stream=True, timeout=TIMEOUT)
    received = sum(len(chunk) for chunk in response.iter_content(1 << 16))
    assert received == published.size
    assert walkme.stats()["downloads"] == 1


def test_fail_next_then_success_with_retry_after(walkme):
    walkme.faults(fail_next=[429, 503], retry_after=7)
    first = token_response(walkme)
    assert first.status_code == 429
    assert first.headers["Retry-After"] == "7"
    assert token_response(walkme).status_code == 503
    assert token_response(walkme).status_code == 200
    stats = walkme.stats()
    assert stats["faults"] == {"429": 1, "503": 1}
    assert stats["token_requests"] == 3
    assert stats["tokens_issued"] == 1
    # the recent log says when each request arrived, in order (tests check Retry-After waits)
    tokens = [r for r in stats["recent"] if r["route"].endswith("/accounts/connect/token")]
    assert [r["status"] for r in tokens] == [429, 503, 200]
    assert 0 < tokens[0]["at"] <= tokens[1]["at"] <= tokens[2]["at"]


def _statuses(walkme, url, count):
    return [requests.get(url, timeout=TIMEOUT).status_code for _ in range(count)]


def test_rate_faults_are_deterministic(walkme):
    url = walkme.signed_url("demo", ttl=600)
    walkme.faults(seed=7, rate_429=0.3, rate_5xx=0.2, retry_after=0)
    first = _statuses(walkme, url, 30)
    walkme.faults(seed=7, rate_429=0.3, rate_5xx=0.2, retry_after=0)
    second = _statuses(walkme, url, 30)
    assert first == second
    assert 429 in first
    assert any(500 <= s < 600 for s in first)
    assert 200 in first
    walkme.faults(seed=8, rate_429=0.3, rate_5xx=0.2, retry_after=0)
    assert _statuses(walkme, url, 30) != first


def test_faults_can_target_one_route(walkme):
    walkme.faults(rate_429=1.0, routes=["signed"])
    assert token_response(walkme).status_code == 200
    assert requests.get(walkme.signed_url("demo"), timeout=TIMEOUT).status_code == 429


def test_cut_off_body_breaks_the_download_and_range_resumes(walkme):
    url = walkme.signed_url("demo")
    walkme.faults(fail_next=["cut_off"], cut_off_fraction=0.5)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(url, timeout=TIMEOUT).content
    stats = walkme.stats()
    assert stats["partial_downloads"] == 1
    assert stats["faults"]["cut_off"] == 1
    half = len(CSV) // 2
    rest = requests.get(url, headers={"Range": f"bytes={half}-"}, timeout=TIMEOUT)
    assert rest.status_code == 206
    assert rest.content == CSV[half:]


def test_slow_start_and_slow_body(walkme):
    url = walkme.signed_url("demo")
    walkme.faults(slow_ms=300, body_delay_ms=300)
    started = time.monotonic()
    assert requests.get(url, timeout=TIMEOUT).content == CSV
    assert time.monotonic() - started >= 0.55


def test_fault_settings_are_validated(walkme):
    with pytest.raises(EmulatorError, match="rate_429 must be a number between 0 and 1"):
        walkme.faults(rate_429=2)
    with pytest.raises(EmulatorError, match="unknown fault setting"):
        walkme.faults(rate_428=0.1)


def test_stats_count_routes_and_the_log_holds_no_secret(walkme):
    token = walkme.token()
    requests.get(walkme.report_url("demo"), headers=bearer(token), timeout=TIMEOUT)
    signed = walkme.signed_url("demo")
    requests.get(signed, timeout=TIMEOUT)
    token_response(walkme, client_secret="wrong-" + secrets.token_hex(4))
    stats = walkme.stats()
    assert stats["routes"]["POST /accounts/connect/token"] == 2
    assert stats["routes"]["GET /insights/reports/{name}.csv"] == 1
    assert stats["routes"]["GET /g_reports/{uuid}.csv"] == 1
    assert stats["downloads"] == 2
    log = Path(walkme.log_path).read_text(encoding="utf-8")
    assert "GET /g_reports/{uuid}.csv 200" in log
    signature = parse_qs(urlsplit(signed).query)["Signature"][0]
    for secret in (token, walkme.client_secret, signature):
        assert secret not in log


def test_keep_alive_survives_unread_bodies_and_bad_requests(walkme):
    host, port = urlsplit(walkme.url).netloc.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=TIMEOUT)
    try:
        connection.request("POST", "/__emulator/nowhere", body=b'{"x": 1}')
        response = connection.getresponse()
        assert response.status == 404
        response.read()
        connection.request("POST", "/somewhere/else", body=b"a=1")
        response = connection.getresponse()
        assert response.status == 404
        response.read()
        connection.request("GET", "/__emulator/health")
        response = connection.getresponse()
        assert response.status == 200
        assert json.loads(response.read()) == {"ok": True}
    finally:
        connection.close()
    raw = socket.create_connection((host, int(port)), timeout=TIMEOUT)
    try:
        raw.sendall(
            b"POST /accounts/connect/token HTTP/1.1\r\nHost: x\r\nContent-Length: ab\r\n\r\n"
        )
        assert raw.recv(1024).startswith(b"HTTP/1.1 400")
    finally:
        raw.close()
    assert requests.get(f"{walkme.url}/__emulator/health", timeout=TIMEOUT).ok
