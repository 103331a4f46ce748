"""OAuth 2.0 flows and their error shapes, over HTTP."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from salesforce_emulator.testing import (
    ADMIN_PASSWORD,
    ADMIN_SECURITY_TOKEN,
    ADMIN_USERNAME,
    CLIENT_ID,
    CLIENT_SECRET,
    INTEGRATION_USERNAME,
    REDIRECT_URI,
    SalesforceEmulator,
)

TOKEN_FIELDS = {
    "access_token",
    "signature",
    "scope",
    "instance_url",
    "id",
    "token_type",
    "issued_at",
}


def _token(sf: SalesforceEmulator, **form: str) -> requests.Response:
    return requests.post(sf.url + "/services/oauth2/token", data=form, timeout=10)


def _api_ok(sf: SalesforceEmulator, token: str) -> int:
    return requests.get(
        sf.api_base + "/limits", headers={"Authorization": f"Bearer {token}"}, timeout=10
    ).status_code


def _password(sf: SalesforceEmulator, **over: str) -> requests.Response:
    form = {
        "grant_type": "password",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "username": ADMIN_USERNAME,
        "password": ADMIN_PASSWORD,
        **over,
    }
    return _token(sf, **form)


def test_password_flow_response_shape(sf: SalesforceEmulator) -> None:
    response = _password(sf)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == TOKEN_FIELDS  # no refresh_token, no expires_in
    assert body["token_type"] == "Bearer"
    assert body["instance_url"] == sf.url
    assert isinstance(body["issued_at"], str) and body["issued_at"].isdigit()
    assert abs(int(body["issued_at"]) / 1000 - time.time()) < 60
    assert body["id"].startswith(f"{sf.url}/id/00D")
    assert _api_ok(sf, body["access_token"]) == 200
    # the password may carry the security token, as Salesforce expects from untrusted IPs
    assert _password(sf, password=ADMIN_PASSWORD + ADMIN_SECURITY_TOKEN).status_code == 200


@pytest.mark.parametrize(
    ("over", "error", "description"),
    [
        ({"password": "wrong"}, "invalid_grant", "authentication failure"),
        ({"username": "nobody@example.com"}, "invalid_grant", "authentication failure"),
        ({"client_id": "unknown"}, "invalid_client_id", "client identifier invalid"),
        ({"client_secret": "wrong"}, "invalid_client", "invalid client credentials"),
        ({"grant_type": "magic"}, "unsupported_grant_type", "grant type not supported"),
    ],
)
def test_token_errors(
    sf: SalesforceEmulator, over: dict[str, str], error: str, description: str
) -> None:
    response = _password(sf, **over)
    assert response.status_code == 400
    assert response.json() == {"error": error, "error_description": description}


def test_client_credentials_with_basic_auth(sf: SalesforceEmulator) -> None:
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    response = requests.post(
        sf.url + "/services/oauth2/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "refresh_token" not in body
    assert body["id"].endswith(sf.records("User")[0]["Id"])  # run-as user: the admin


def _authorize(
    sf: SalesforceEmulator,
    challenge: str | None,
    state: str = "xyz",
    scope: str = "api refresh_token",
) -> str:
    params = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "state": state,
        "scope": scope,
    }
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    response = requests.get(
        sf.url + "/services/oauth2/authorize", params=params, allow_redirects=False, timeout=10
    )
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    query = parse_qs(location.query)
    assert query["state"] == [state]
    return query["code"][0]


def test_web_server_flow_with_pkce_refresh_and_revoke(sf: SalesforceEmulator) -> None:
    sf.faults(auto_approve=True)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    code = _authorize(sf, challenge.decode().rstrip("="))
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uri": REDIRECT_URI,
    }
    wrong = _token(sf, **form, code_verifier="not-the-verifier")
    assert wrong.status_code == 400
    assert (
        wrong.json()
        == {"error": "invalid_grant", "error_description": "expired authorization code"}
        or wrong.json()["error"] == "invalid_grant"
    )
    code = _authorize(sf, challenge.decode().rstrip("="))
    wrong = _token(sf, **{**form, "code": code}, code_verifier="not-the-verifier")
    assert wrong.json() == {"error": "invalid_grant", "error_description": "invalid code verifier"}
    code = _authorize(sf, challenge.decode().rstrip("="))
    response = _token(sf, **{**form, "code": code}, code_verifier=verifier)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == TOKEN_FIELDS | {"refresh_token"}
    assert body["scope"] == "api refresh_token"
    # a code works once
    again = _token(sf, **{**form, "code": code}, code_verifier=verifier)
    assert again.json()["error"] == "invalid_grant"
    # refresh: a new access token, no new refresh token
    refreshed = _token(
        sf,
        grant_type="refresh_token",
        refresh_token=body["refresh_token"],
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )
    assert refreshed.status_code == 200
    assert "refresh_token" not in refreshed.json()
    new_access = refreshed.json()["access_token"]
    assert _api_ok(sf, new_access) == 200
    # revoking the refresh token kills the access tokens issued from it
    revoke = requests.post(
        sf.url + "/services/oauth2/revoke", data={"token": body["refresh_token"]}, timeout=10
    )
    assert revoke.status_code == 200
    assert _api_ok(sf, new_access) == 401
    assert _api_ok(sf, body["access_token"]) == 401
    dead = _token(
        sf,
        grant_type="refresh_token",
        refresh_token=body["refresh_token"],
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )
    assert dead.status_code == 400
    assert dead.json() == {
        "error": "invalid_grant",
        "error_description": "expired access/refresh token",
    }
    bad = requests.post(sf.url + "/services/oauth2/revoke", data={"token": "nope"}, timeout=10)
    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid_token"


def test_authorize_consent_page_and_redirect_errors(sf: SalesforceEmulator) -> None:
    params = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "state": "s1",
    }
    page = requests.get(sf.url + "/services/oauth2/authorize", params=params, timeout=10)
    assert page.status_code == 200
    assert "<form" in page.text and 'name="password"' in page.text
    login = requests.post(
        sf.url + "/services/oauth2/authorize",
        data={**params, "username": ADMIN_USERNAME, "password": ADMIN_PASSWORD, "action": "allow"},
        allow_redirects=False,
        timeout=10,
    )
    assert login.status_code == 302
    assert "code=" in login.headers["Location"] and "state=s1" in login.headers["Location"]
    deny = requests.post(
        sf.url + "/services/oauth2/authorize",
        data={**params, "action": "deny"},
        allow_redirects=False,
        timeout=10,
    )
    assert "error=access_denied" in deny.headers["Location"]
    mismatch = requests.get(
        sf.url + "/services/oauth2/authorize",
        params={**params, "redirect_uri": "https://evil.example/cb"},
        allow_redirects=False,
        timeout=10,
    )
    assert mismatch.status_code == 400
    assert "redirect_uri_mismatch" in mismatch.text


def _key_and_cert() -> tuple[bytes, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jwt-test")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pem, cert.public_bytes(serialization.Encoding.PEM).decode()


def test_jwt_bearer_flow(sf: SalesforceEmulator) -> None:
    key, cert = _key_and_cert()
    other_key, _ = _key_and_cert()
    client_id = "jwt-app-" + secrets.token_hex(4)
    sf.seed(
        {
            "connected_apps": [
                {"client_id": client_id, "client_secret": secrets.token_hex(8), "certificate": cert}
            ]
        }
    )

    def assertion(signing_key: bytes, **over: object) -> str:
        claims = {
            "iss": client_id,
            "sub": INTEGRATION_USERNAME,
            "aud": "https://login.salesforce.com",
            "exp": int(time.time()) + 180,
            **over,
        }
        return jwt.encode(claims, signing_key, algorithm="RS256")

    grant = "urn:ietf:params:oauth:grant-type:jwt-bearer"
    ok = _token(sf, grant_type=grant, assertion=assertion(key))
    assert ok.status_code == 200, ok.text
    assert set(ok.json()) == TOKEN_FIELDS
    assert _api_ok(sf, ok.json()["access_token"]) == 200
    forged = _token(sf, grant_type=grant, assertion=assertion(other_key))
    assert forged.json() == {"error": "invalid_grant", "error_description": "invalid assertion"}
    expired = _token(sf, grant_type=grant, assertion=assertion(key, exp=int(time.time()) - 10))
    assert expired.status_code == 400 and expired.json()["error"] == "invalid_grant"
    wrong_aud = _token(sf, grant_type=grant, assertion=assertion(key, aud="https://x.example"))
    assert wrong_aud.json()["error"] == "invalid_grant"
    unknown = _token(sf, grant_type=grant, assertion=assertion(key, iss="nope"))
    assert unknown.json() == {
        "error": "invalid_client_id",
        "error_description": "client identifier invalid",
    }


def test_token_ttl_expiry_answers_invalid_session() -> None:
    with SalesforceEmulator(token_ttl=1) as sf:
        token = sf.access_token()
        assert _api_ok(sf, token) == 200
        time.sleep(1.2)
        response = requests.get(
            sf.api_base + "/limits", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert response.status_code == 401
        assert response.json() == [
            {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
        ]


def test_userinfo_and_identity_url(sf: SalesforceEmulator) -> None:
    body = _password(sf).json()
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    info = requests.get(sf.url + "/services/oauth2/userinfo", headers=headers, timeout=10)
    assert info.status_code == 200
    assert info.json()["preferred_username"] == ADMIN_USERNAME
    identity = requests.get(body["id"], headers=headers, timeout=10)
    assert identity.status_code == 200
    assert identity.json()["username"] == ADMIN_USERNAME
    assert identity.json()["urls"]["rest"].startswith(sf.url)
    bad = requests.get(
        sf.url + "/services/oauth2/userinfo", headers={"Authorization": "Bearer nope"}, timeout=10
    )
    assert bad.status_code == 403
