"""PKCE, the authorize URL and the loopback redirect listener (real HTTP on 127.0.0.1)."""

from __future__ import annotations

import base64
import hashlib
import socket
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from target_salesforce_update.exceptions import AuthenticationError, ConfigurationError
from target_salesforce_update.salesforce.oauth_web_flow import (
    LoopbackReceiver,
    Pkce,
    authorize_url,
    check_redirect_uri,
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_pkce_challenge_is_s256_of_verifier() -> None:
    pkce = Pkce.new()
    assert 43 <= len(pkce.verifier) <= 128
    digest = hashlib.sha256(pkce.verifier.encode()).digest()
    assert pkce.challenge == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert pkce.verifier not in repr(pkce)
    assert Pkce.new().verifier != pkce.verifier


def test_authorize_url_carries_pkce_and_state_only() -> None:
    pkce = Pkce.new()
    url = authorize_url(
        "https://test.salesforce.com/", "CID", "http://localhost:1717/cb", "ST", pkce
    )
    parts = urlsplit(url)
    assert (parts.netloc, parts.path) == ("test.salesforce.com", "/services/oauth2/authorize")
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["response_type"] == "code"
    assert query["code_challenge"] == pkce.challenge
    assert query["code_challenge_method"] == "S256"
    assert query["state"] == "ST"
    assert "refresh_token" in query["scope"]
    assert pkce.verifier not in url


def test_non_loopback_http_login_and_redirect_refused() -> None:
    with pytest.raises(ConfigurationError, match="TLS"):
        authorize_url("http://login.example.com", "CID", "http://localhost:1/cb", "s", Pkce.new())
    for uri in ("https://localhost:1717/cb", "http://example.com:80/cb", "http://localhost/cb"):
        with pytest.raises(ConfigurationError, match="loopback"):
            check_redirect_uri(uri)


def test_receiver_ignores_wrong_state_and_returns_code() -> None:
    port = free_port()
    uri = f"http://localhost:{port}/OauthRedirect"
    with LoopbackReceiver(uri, "good-state") as receiver:
        base = f"http://127.0.0.1:{port}/OauthRedirect"
        forged = requests.get(base, params={"code": "evil", "state": "bad"}, timeout=5)
        assert forged.status_code == 400
        assert requests.get(f"http://127.0.0.1:{port}/other", timeout=5).status_code == 404
        ok = requests.get(base, params={"code": "the-code", "state": "good-state"}, timeout=5)
        assert ok.status_code == 200
        assert "connected" in ok.text
        assert receiver.wait(5) == "the-code"


def test_receiver_reports_denial_and_timeout() -> None:
    port = free_port()
    uri = f"http://localhost:{port}/cb"
    with LoopbackReceiver(uri, "s") as receiver:
        threading.Thread(
            target=requests.get,
            args=(f"http://127.0.0.1:{port}/cb",),
            kwargs={"params": {"error": "access_denied", "state": "s"}, "timeout": 5},
        ).start()
        with pytest.raises(AuthenticationError, match="access_denied"):
            receiver.wait(5)
    with (
        LoopbackReceiver(f"http://localhost:{free_port()}/cb", "s") as receiver,
        pytest.raises(AuthenticationError, match="no authorization arrived"),
    ):
        receiver.wait(0.2)


def test_busy_port_is_a_clear_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(ConfigurationError, match="cannot listen"):
            LoopbackReceiver(f"http://localhost:{port}/cb", "s")
