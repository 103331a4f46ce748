"""Resources real clients call: SOSL search (hotglue target-salesforce-v3's default e-mail
lookup) and SOAP ``login()`` (simple-salesforce's username/password flow), each checked
against the Salesforce documentation page in the docstring."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from salesforce_emulator.testing import (
    ADMIN_PASSWORD,
    ADMIN_SECURITY_TOKEN,
    ADMIN_USERNAME,
    SalesforceEmulator,
)
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed

Api = Any


def _search(api: Api, sosl: str) -> requests.Response:
    return api.get("/search/", params={"q": sosl})


def test_sosl_email_lookup_returning_contact(api: Api) -> None:
    """REST API Developer Guide, "Search" (``GET /services/data/vXX.X/search/?q=``) and "Search
    for a String" (``{"searchRecords": [{"attributes": {…}, "Id": …}]}``); SOQL and SOSL
    Reference, "IN SearchGroup" (EMAIL FIELDS) and "RETURNING FieldSpec". The shape is hotglue
    target-salesforce-v3's default lookup: FIND {e-mail} IN EMAIL FIELDS RETURNING Contact(Id,
    Email)."""
    response = _search(
        api, "FIND {Katherine.Johnson@example.com} IN EMAIL FIELDS RETURNING Contact(Id, Email)"
    )
    assert response.status_code == 200, response.text
    assert "Sforce-Limit-Info" in response.headers
    records = response.json()["searchRecords"]
    kate = api.ids("Contact")["katherine.johnson@example.com"]
    assert records == [
        {
            "attributes": {
                "type": "Contact",
                "url": f"/services/data/v67.0/sobjects/Contact/{kate}",
            },
            "Id": kate,
            "Email": "Katherine.Johnson@Example.com",
        }
    ]
    both = _search(
        api, "FIND {shared.inbox@example.com} IN EMAIL FIELDS RETURNING Contact(Id), Lead(Id)"
    ).json()["searchRecords"]
    assert [r["attributes"]["type"] for r in both] == ["Contact", "Contact"]
    gone = _search(api, "FIND {deleted.contact@example.com} IN EMAIL FIELDS RETURNING Contact")
    assert gone.json() == {"searchRecords": []}  # deleted records are not found


def test_sosl_wildcards_where_limit_and_errors(api: Api) -> None:
    """SOQL and SOSL Reference, "FIND {SearchQuery}" (``*`` and ``?`` wildcards, reserved
    characters escaped with a backslash), "WHERE" and "LIMIT" in RETURNING."""
    wild = _search(
        api, "FIND {*@example.com} IN EMAIL FIELDS RETURNING Lead(Email WHERE IsConverted = false)"
    )
    emails = sorted(r["Email"] for r in wild.json()["searchRecords"])
    assert emails == ["linus.lead@example.com"]
    limited = _search(api, "FIND {shared*} IN EMAIL FIELDS RETURNING Contact(Id LIMIT 1)")
    assert len(limited.json()["searchRecords"]) == 1
    escaped = _search(api, "FIND {o\\'brien\\-x@example.com} IN EMAIL FIELDS RETURNING Contact")
    assert escaped.status_code == 200 and escaped.json()["searchRecords"] == []
    name = _search(api, "FIND {Hopper} IN NAME FIELDS RETURNING Contact(LastName)")
    assert name.json()["searchRecords"][0]["LastName"] == "Hopper"
    for bad, code in [
        ("SELECT Id FROM Contact", "MALFORMED_SEARCH"),
        ("FIND {x} IN EMAIL FIELDS", "MALFORMED_SEARCH"),
        ("FIND {a OR b} RETURNING Contact", "MALFORMED_SEARCH"),
        ("FIND {alan} RETURNING Nope__c", "INVALID_TYPE"),
        ("FIND {alan} RETURNING Contact(Emial)", "INVALID_FIELD"),
    ]:
        response = _search(api, bad)
        assert response.status_code == 400, bad
        assert response.json()[0]["errorCode"] == code, bad


def _soap_domain(emulator: SalesforceEmulator, version: str) -> str:
    # simple-salesforce posts to https://{domain}.salesforce.com/services/Soap/u/{version}; the
    # fragment points that URL at the emulator without touching the client.
    return f"{emulator.url.removeprefix('https://')}/services/Soap/u/{version}#"


def test_simple_salesforce_username_password_login(
    sf_tls: SalesforceEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SOAP API Developer Guide, "login()" and "LoginResult" (sessionId, serverUrl, userId …);
    "SOAP API End-of-Life Policy": login() is served up to API 64.0. simple-salesforce's
    username/password/security-token flow is that call."""
    assert sf_tls.ca_bundle
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", sf_tls.ca_bundle)
    session = requests.Session()
    session.verify = sf_tls.ca_bundle
    client = Salesforce(
        username=ADMIN_USERNAME,
        password=ADMIN_PASSWORD,
        security_token=ADMIN_SECURITY_TOKEN,
        domain=_soap_domain(sf_tls, "64.0"),
        version="64.0",
        session=session,
    )
    assert client.sf_instance == sf_tls.url.removeprefix("https://")
    assert client.query("SELECT COUNT() FROM Contact")["totalSize"] == 5
    with pytest.raises(SalesforceAuthenticationFailed, match="INVALID_LOGIN"):
        Salesforce(
            username=ADMIN_USERNAME,
            password="wrong",
            security_token=ADMIN_SECURITY_TOKEN,
            domain=_soap_domain(sf_tls, "64.0"),
            version="64.0",
            session=session,
        )
    with pytest.raises(SalesforceAuthenticationFailed, match="UNSUPPORTED_API_VERSION"):
        Salesforce(
            username=ADMIN_USERNAME,
            password=ADMIN_PASSWORD,
            security_token=ADMIN_SECURITY_TOKEN,
            domain=_soap_domain(sf_tls, "65.0"),
            version="65.0",
            session=session,
        )


def test_soap_login_result_and_faults(sf: SalesforceEmulator) -> None:
    """SOAP API Developer Guide, "login()": bad credentials are a LoginFault INVALID_LOGIN
    (HTTP 500); versions before 31.0 are retired ("SOAP API End-of-Life Policy":
    UNSUPPORTED_API_VERSION); the emulator serves no other SOAP call."""
    envelope = (
        '<?xml version="1.0" encoding="utf-8"?><env:Envelope '
        'xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body>'
        '<n1:login xmlns:n1="urn:partner.soap.sforce.com"><n1:username>{u}</n1:username>'
        "<n1:password>{p}</n1:password></n1:login></env:Body></env:Envelope>"
    )
    headers = {"Content-Type": "text/xml", "SOAPAction": "login"}
    ok = requests.post(
        f"{sf.url}/services/Soap/u/62.0",
        data=envelope.format(u=ADMIN_USERNAME, p=ADMIN_PASSWORD + ADMIN_SECURITY_TOKEN),
        headers=headers,
        timeout=10,
    )
    assert ok.status_code == 200
    for tag in ("sessionId", "serverUrl", "metadataServerUrl", "userId", "passwordExpired"):
        assert f"<{tag}>" in ok.text
    session_id = ok.text.split("<sessionId>")[1].split("</sessionId>")[0]
    limits = requests.get(
        f"{sf.url}/services/data/v62.0/limits",
        headers={"Authorization": f"Bearer {session_id}"},
        timeout=10,
    )
    assert limits.status_code == 200
    bad = requests.post(
        f"{sf.url}/services/Soap/u/62.0",
        data=envelope.format(u=ADMIN_USERNAME, p="nope"),
        headers=headers,
        timeout=10,
    )
    assert bad.status_code == 500 and "<sf:exceptionCode>INVALID_LOGIN" in bad.text
    old = requests.post(f"{sf.url}/services/Soap/u/30.0", data=b"", headers=headers, timeout=10)
    assert old.status_code == 500 and "UNSUPPORTED_API_VERSION" in old.text


def test_versions_list_starts_at_31(sf: SalesforceEmulator) -> None:
    """ "SOAP API End-of-Life Policy" / REST "Versions": versions 31.0 and later are supported;
    21.0-30.0 are retired."""
    versions = requests.get(sf.url + "/services/data/", timeout=10).json()
    assert versions[0]["version"] == "31.0" and versions[-1]["version"] == "67.0"
    assert len(versions) == 37
