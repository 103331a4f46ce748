"""Helpers for the client tests (``test_client_*.py``) against the Salesforce emulator.

The emulator itself comes from ``tests/target/conftest.py`` (fixture ``sf``: reset to the
default seed, faults cleared, and a check that no test created a record).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from salesforce_emulator.testing import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    jwt_key_pair,
)
from target_salesforce_update.salesforce import SalesforceClient


@pytest.fixture(autouse=True)
def _client_tests_never_create_records(request: pytest.FixtureRequest) -> Any:
    """Belt and braces next to conftest's check: a client test must never create a record."""
    if "sf" not in request.fixturenames:
        yield
        return
    sf = request.getfixturevalue("sf")
    before = sf.stats()["records_created"]
    yield
    assert sf.stats()["records_created"] == before == 0


def password_config(sf: Any, **overrides: Any) -> dict[str, Any]:
    """Connection settings for the emulator's admin user (password flow, fast retries)."""
    config = {
        "auth_flow": "password",
        "login_url": sf.url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "username": ADMIN_USERNAME,
        "password": ADMIN_PASSWORD,
        "retry_backoff_base": 0.01,
        "request_timeout": 10,
    }
    config.update(overrides)
    return config


def make_client(sf: Any, **overrides: Any) -> SalesforceClient:
    return SalesforceClient.from_config(password_config(sf, **overrides))


def live_records(sf: Any, sobject: str = "Contact") -> list[dict[str, Any]]:
    """The emulator's records of ``sobject`` that are not deleted, in Id order."""
    rows = [r for r in sf.records(sobject) if not r.get("IsDeleted")]
    return sorted(rows, key=lambda r: r["Id"])


def seed_contacts(sf: Any, count: int, tag: str) -> list[dict[str, Any]]:
    """Seed ``count`` contacts (through the inspection API, not the Salesforce API)."""
    sf.seed(
        {
            "records": {
                "Contact": [
                    {"LastName": f"{tag} {i}", "Email": f"{tag}.{i:05d}@example.com"}
                    for i in range(count)
                ]
            }
        }
    )
    rows = [r for r in live_records(sf) if str(r.get("Email") or "").startswith(f"{tag}.")]
    assert len(rows) == count
    return sorted(rows, key=lambda r: r["Email"])


def rsa_key_and_certificate() -> tuple[str, str]:
    """A fresh RSA private key (PEM) and a self-signed certificate for it (PEM)."""
    return jwt_key_pair("target-salesforce-update test")


def refresh_token_via_authorize(sf: Any) -> str:
    """Run the web-server flow (login form + PKCE) and return the issued refresh token."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    state = secrets.token_urlsafe(8)
    authorize = requests.post(
        f"{sf.url}/services/oauth2/authorize",
        data={
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "scope": "api refresh_token",
            "state": state,
            "code_challenge": challenge.decode().rstrip("="),
            "code_challenge_method": "S256",
            "username": ADMIN_USERNAME,
            "password": ADMIN_PASSWORD,
        },
        allow_redirects=False,
        timeout=10,
    )
    assert authorize.status_code == 302, authorize.text
    query = parse_qs(urlsplit(authorize.headers["Location"]).query)
    assert query["state"] == [state]
    token = requests.post(
        f"{sf.url}/services/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        timeout=10,
    )
    assert token.status_code == 200, token.text
    return token.json()["refresh_token"]
