"""Every OAuth flow of the client against the Salesforce emulator (real HTTP)."""

from __future__ import annotations

import logging
import secrets

import pytest
from client_fixtures import (
    _client_tests_never_create_records,  # noqa: F401 - autouse fixture
    make_client,
    password_config,
    refresh_token_via_authorize,
    rsa_key_and_certificate,
)
from salesforce_emulator.testing import ADMIN_USERNAME, CLIENT_ID, CLIENT_SECRET
from target_salesforce_update.exceptions import (
    AuthenticationError,
    ConfigurationError,
    SessionExpiredError,
)
from target_salesforce_update.salesforce import SalesforceClient


def _works(client: SalesforceClient) -> None:
    """A counted call and a query succeed with the client's token."""
    assert client.describe("Contact")["name"] == "Contact"
    assert any(r["Email"] for r in client.query("SELECT Id, Email FROM Contact"))
    assert client.api_usage is not None


def test_password_flow(sf) -> None:
    with make_client(sf) as client:
        assert client.auth_flow == "password"
        assert client.instance_url.startswith("http://127.0.0.1")
        _works(client)
        assert client.userinfo()["preferred_username"] == ADMIN_USERNAME


def test_refresh_token_flow_and_revoke(sf) -> None:
    refresh_token = refresh_token_via_authorize(sf)
    config = {
        "login_url": sf.url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": refresh_token,
    }
    with SalesforceClient.from_config(config) as client:
        assert client.auth_flow == "refresh_token"
        _works(client)
        client.revoke()  # the configured refresh token
    with pytest.raises(AuthenticationError) as excinfo:
        SalesforceClient.from_config(config)
    error = excinfo.value
    assert error.error_code == "invalid_grant"
    assert "authorise the connected app again" in str(error)
    assert refresh_token not in str(error)


def test_refresh_token_flow_without_secret(sf) -> None:
    """Connected apps may allow refresh without the secret (PKCE apps)."""
    config = {"login_url": sf.url, "client_id": CLIENT_ID, "refresh_token": ""}
    config["refresh_token"] = refresh_token_via_authorize(sf)
    with SalesforceClient.from_config(config) as client:
        _works(client)


@pytest.mark.parametrize("from_path", [False, True])
def test_jwt_bearer_flow(sf, tmp_path, from_path: bool) -> None:
    key_pem, certificate = rsa_key_and_certificate()
    client_id = f"jwt-app-{secrets.token_hex(4)}"
    sf.seed(
        {
            "connected_apps": [
                {
                    "client_id": client_id,
                    "client_secret": secrets.token_urlsafe(16),
                    "redirect_uris": [],
                    "certificate": certificate,
                }
            ]
        }
    )
    config = {"login_url": sf.url, "client_id": client_id, "username": ADMIN_USERNAME}
    if from_path:
        path = tmp_path / "server.key"
        path.write_text(key_pem)
        config["private_key_path"] = str(path)
    else:
        config["private_key"] = key_pem
    with SalesforceClient.from_config(config) as client:
        assert client.auth_flow == "jwt_bearer"
        _works(client)


def test_jwt_bearer_wrong_key_is_refused(sf) -> None:
    _, certificate = rsa_key_and_certificate()
    other_key, _ = rsa_key_and_certificate()
    client_id = f"jwt-app-{secrets.token_hex(4)}"
    sf.seed(
        {
            "connected_apps": [
                {
                    "client_id": client_id,
                    "client_secret": "x" * 16,
                    "redirect_uris": [],
                    "certificate": certificate,
                }
            ]
        }
    )
    config = {
        "login_url": sf.url,
        "client_id": client_id,
        "username": ADMIN_USERNAME,
        "private_key": other_key,
    }
    with pytest.raises(AuthenticationError, match="certificate matches private_key") as excinfo:
        SalesforceClient.from_config(config)
    assert "PRIVATE KEY" not in str(excinfo.value)


def test_jwt_bearer_bad_pem_is_a_configuration_error(sf) -> None:
    config = {
        "login_url": sf.url,
        "client_id": CLIENT_ID,
        "username": ADMIN_USERNAME,
        "private_key": "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n",
    }
    with pytest.raises(ConfigurationError, match="private_key could not sign"):
        SalesforceClient.from_config(config)


def test_client_credentials_flow(sf) -> None:
    config = {"login_url": sf.url, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    with SalesforceClient.from_config(config) as client:
        assert client.auth_flow == "client_credentials"
        _works(client)


def test_wrong_client_secret_names_the_fix_and_hides_the_secret(sf) -> None:
    wrong = secrets.token_urlsafe(20)
    config = {"login_url": sf.url, "client_id": CLIENT_ID, "client_secret": wrong}
    with pytest.raises(AuthenticationError, match="Consumer Secret") as excinfo:
        SalesforceClient.from_config(config)
    assert excinfo.value.error_code == "invalid_client"
    assert wrong not in str(excinfo.value)


def test_unknown_client_id(sf) -> None:
    config = password_config(sf, client_id="no-such-app")
    with pytest.raises(AuthenticationError, match="Consumer Key"):
        SalesforceClient.from_config(config)


def test_wrong_password(sf) -> None:
    wrong = secrets.token_urlsafe(12)
    with pytest.raises(AuthenticationError, match="security token") as excinfo:
        make_client(sf, password=wrong)
    assert wrong not in str(excinfo.value)


def test_access_token_flow_cannot_renew(sf) -> None:
    access_token, instance_url = sf.login()
    config = {"access_token": access_token, "instance_url": instance_url}
    with SalesforceClient.from_config(config) as client:
        assert client.auth_flow == "access_token"
        _works(client)
        sf.expire_tokens()
        with pytest.raises(SessionExpiredError, match="renewable auth_flow") as excinfo:
            client.describe("Contact")
        assert access_token not in str(excinfo.value)
        assert excinfo.value.status == 401


@pytest.mark.parametrize("flow", ["password", "refresh_token", "client_credentials"])
def test_expired_token_mid_run_renews_once(sf, caplog, flow: str) -> None:
    config = password_config(sf)
    if flow == "refresh_token":
        config = {
            "login_url": sf.url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": refresh_token_via_authorize(sf),
        }
    elif flow == "client_credentials":
        config = {"login_url": sf.url, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    with SalesforceClient.from_config(config) as client:
        client.describe("Contact")
        before = sf.stats()["requests_by_kind"].get("oauth", 0)
        sf.expire_tokens()
        with caplog.at_level(logging.INFO, logger="target_salesforce_update"):
            rows = list(client.query("SELECT Id FROM Contact"))
            client.describe("Lead")
        assert rows
        assert sf.stats()["requests_by_kind"].get("oauth", 0) == before + 1
        assert caplog.text.count("session expired") == 1


def test_no_secret_reaches_the_logs(sf, caplog) -> None:
    refresh_token = refresh_token_via_authorize(sf)
    config = {
        "login_url": sf.url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": refresh_token,
    }
    # urllib3's logger is set explicitly: other code in the same process (the tap) may hold it
    # at INFO, and this test must see urllib3's request lines to prove they are redacted.
    with (
        caplog.at_level(logging.DEBUG),
        caplog.at_level(logging.DEBUG, logger="urllib3"),
        SalesforceClient.from_config(config) as client,
    ):
        client.describe("Contact")
        list(client.query("SELECT Id, Email FROM Contact WHERE Email = 'x@example.com'"))
        sf.expire_tokens()
        rows = list(client.query("SELECT Id FROM Contact"))
        client.update_records("Contact", [{"Id": rows[0]["Id"], "WalkMe_Segment__c": "A"}])
        access_token = client._token.access_token
    for secret in (refresh_token, CLIENT_SECRET, access_token):
        assert secret not in caplog.text
    # query strings (SOQL with match keys, i.e. PII) stay out of the log, urllib3's included
    assert "x@example.com" not in caplog.text
    assert "x%40example.com" not in caplog.text
    assert "query?…" in caplog.text


def test_http_refused_for_non_loopback_hosts() -> None:
    with pytest.raises(ConfigurationError, match="use https://"):
        SalesforceClient(
            {"login_url": "http://login.salesforce.com", "client_id": "c", "client_secret": "s"}
        )
    with pytest.raises(ConfigurationError, match="use https://"):
        SalesforceClient({"access_token": "t", "instance_url": "http://192.0.2.10"})


def test_tls_is_verified_and_honours_requests_ca_bundle(monkeypatch) -> None:
    from salesforce_emulator.testing import SalesforceEmulator

    with SalesforceEmulator(tls=True) as tls_sf:  # its own emulator: conftest's is plain HTTP
        assert tls_sf.url.startswith("https://") and tls_sf.ca_bundle
        monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
        monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
        with pytest.raises(ConfigurationError, match="REQUESTS_CA_BUNDLE"):
            make_client(tls_sf)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", tls_sf.ca_bundle)
        with make_client(tls_sf) as client:
            _works(client)
        assert tls_sf.stats()["records_created"] == 0
