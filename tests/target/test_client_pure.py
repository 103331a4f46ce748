"""Pure tests of client helpers that need no server: redaction, limit headers, config checks,
Bulk CSV cells and error parsing."""

from __future__ import annotations

import datetime as dt
import decimal
import random
import secrets

import pytest
from target_salesforce_update.exceptions import (
    AuthenticationError,
    ConfigurationError,
    SalesforceError,
    redact,
)
from target_salesforce_update.salesforce.auth import check_url, infer_auth_flow
from target_salesforce_update.salesforce.bulk_csv import (
    csv_cell,
    csv_chunks,
    csv_columns,
    csv_record_line,
    csv_row,
    needs_collections,
    parse_bulk_error,
)
from target_salesforce_update.salesforce.client import (
    RecordError,
    SalesforceClient,
    parse_limit_info,
)


def test_redact_known_and_pattern_secrets() -> None:
    secret = secrets.token_urlsafe(24)
    session = "00D000000000001!AQ" + secrets.token_urlsafe(40)
    text = (
        f"bad secret {secret}; session {session}; Authorization: Bearer abc.def; "
        "refresh_token=5Aep861abc&client_secret=xyz; errorCode: INVALID_FIELD"
    )
    cleaned = redact(text, [secret])
    for leaked in (secret, session, "abc.def", "5Aep861abc", "xyz"):
        assert leaked not in cleaned
    assert "errorCode: INVALID_FIELD" in cleaned


def test_errors_redact_their_message() -> None:
    session = "00D000000000001!AQ" + secrets.token_urlsafe(40)
    error = AuthenticationError(f"token {session} refused", status=400, error_code="invalid_grant")
    assert session not in str(error)
    assert (error.status, error.error_code) == (400, "invalid_grant")
    assert isinstance(error, SalesforceError)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("api-usage=18/15000", (18, 15000)),
        ("api-usage=18/15000; per-app-api-usage=17/250(appName=sample)", (18, 15000)),
        ("per-app-api-usage=17/250(appName=sample); api-usage=19/15000", (19, 15000)),
        ("per-app-api-usage=17/250(appName=sample)", None),
        ("garbage", None),
        (None, None),
    ],
)
def test_parse_limit_info(header: str | None, expected: tuple[int, int] | None) -> None:
    assert parse_limit_info(header) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://login.salesforce.com",
        "http://10.0.0.5:8080",
        "ftp://login.salesforce.com",
        "login.salesforce.com",
        "https://user:pw@login.salesforce.com",
        "",
    ],
)
def test_check_url_refuses(url: str) -> None:
    with pytest.raises(ConfigurationError):
        check_url(url, "login_url")


@pytest.mark.parametrize(
    "url",
    [
        "https://login.salesforce.com/",
        "https://acme.my.salesforce.com",
        "http://127.0.0.1:8443",
        "http://localhost:1",
        "http://[::1]:9",
    ],
)
def test_check_url_accepts(url: str) -> None:
    assert check_url(url, "login_url") == url.rstrip("/")


def test_http_instance_url_refused_for_remote_host() -> None:
    with pytest.raises(ConfigurationError, match="https://"):
        SalesforceClient({"access_token": "x" * 20, "instance_url": "http://acme.example.com"})


@pytest.mark.parametrize(
    ("config", "flow"),
    [
        ({"client_id": "c", "refresh_token": "r", "access_token": "a"}, "refresh_token"),
        ({"client_id": "c", "username": "u", "private_key_path": "/k.pem"}, "jwt_bearer"),
        ({"client_id": "c", "username": "u", "password": "p"}, "password"),
        ({"client_id": "c", "client_secret": "s"}, "client_credentials"),
        ({"access_token": "a", "instance_url": "https://x.my.salesforce.com"}, "access_token"),
    ],
)
def test_infer_auth_flow(config: dict, flow: str) -> None:
    assert infer_auth_flow(config) == flow


def test_missing_settings_name_the_fix() -> None:
    with pytest.raises(ConfigurationError, match="no Salesforce credentials"):
        SalesforceClient({})
    with pytest.raises(ConfigurationError, match="refresh_token"):
        SalesforceClient({"auth_flow": "refresh_token", "client_id": "c"})
    with pytest.raises(ConfigurationError, match="not supported"):
        SalesforceClient({"auth_flow": "magic"})
    with pytest.raises(ConfigurationError, match="private_key"):
        SalesforceClient({"auth_flow": "jwt_bearer", "client_id": "c", "username": "u"})
    with pytest.raises(ConfigurationError, match="cannot be read"):
        SalesforceClient(
            {"client_id": "c", "username": "u", "private_key_path": "/nonexistent/key.pem"}
        )
    with pytest.raises(ConfigurationError, match="max_concurrency"):
        SalesforceClient(
            {"access_token": "a", "instance_url": "https://x.io", "max_concurrency": 26}
        )
    with pytest.raises(ConfigurationError, match="request_timeout"):
        SalesforceClient(
            {"access_token": "a", "instance_url": "https://x.io", "request_timeout": 0}
        )
    with pytest.raises(ConfigurationError, match="api_version"):
        SalesforceClient({"access_token": "a", "instance_url": "https://x.io", "api_version": "x"})


def test_client_repr_hides_secrets() -> None:
    secret = secrets.token_urlsafe(16)
    client = SalesforceClient({"client_id": "c", "client_secret": secret, "refresh_token": secret})
    assert secret not in repr(client)
    assert secret not in repr(client._auth)
    assert client.api_version == "67.0"
    client.close()


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (None, "#N/A"),
        ("", "#N/A"),
        (True, "true"),
        (False, "false"),
        (7, "7"),
        (3.0, "3"),
        (0.00001, "0.00001"),
        (dt.date(2024, 5, 6), "2024-05-06"),
        (dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc), "2024-05-06T07:08:09.000Z"),
        ("text, with comma", "text, with comma"),
    ],
)
def test_csv_cell(value: object, cell: str) -> None:
    assert csv_cell(value) == cell


def test_csv_record_line_is_csv_row_of_csv_cells() -> None:
    """The spool's one-pass line equals the cell-by-cell composition, and says None exactly
    when the record needs Collections (a literal #N/A)."""
    rng = random.Random(5)
    texts = [
        "",
        " ",
        "a",
        "x,y",
        'say "hi"',
        "line\nbreak",
        "cr\r",
        " lead",
        "trail ",
        "#N/A",
        " #N/A ",
        "é",
        "=1+1",
    ]
    pool = [
        None,
        True,
        False,
        0,
        7,
        -3,
        2.5,
        3.0,
        1e-05,
        1e20,
        decimal.Decimal("1.10"),
        dt.date(2024, 5, 6),
        dt.datetime(2024, 5, 6, 7, 8, 9),
        *texts,
    ]
    columns = ["A", "B", "C", "D"]
    for _ in range(3000):
        fields = {c: rng.choice(pool) for c in columns if rng.random() < 0.7}
        if rng.random() < 0.05:
            fields["Extra"] = rng.choice(texts)  # not a column: only the #N/A check sees it
        expected = csv_row(
            ["003000000000001AAA", *(csv_cell(fields[c]) if c in fields else "" for c in columns)]
        )
        line = csv_record_line("003000000000001AAA", fields, columns)
        assert line == (None if needs_collections(fields) else expected), fields


def test_float_cells_are_plain_decimals_of_the_shortest_repr() -> None:
    """A float's upload cell is its shortest repr in plain decimal form (no exponent)."""
    rng = random.Random(11)
    values = [0.1, -2.5, 1e-05, 1.5e-07, 1.25e16, 123456789.125, 16.96, -0.0001, 3.0, 1e20]
    values += [rng.uniform(-1e6, 1e6) for _ in range(500)]
    values += [rng.random() * 10 ** rng.randint(-12, 20) for _ in range(500)]
    for value in values:
        expected = format(decimal.Decimal(repr(value)), "f")
        if value == int(value):
            expected = str(int(value))
        assert csv_cell(value) == expected, value
        assert "e" not in csv_cell(value).lower()


def test_csv_chunks_absent_vs_null_and_split() -> None:
    records = [
        {"Id": "003000000000001", "A": None, "B": 'x,"y"\nz'},
        {"Id": "003000000000002", "B": "b"},
        {"id": "003000000000003", "A": 1},
    ]
    columns = csv_columns(records)
    assert columns == ["Id", "A", "B"]
    [(indices, payload)] = list(csv_chunks(records, columns, 10_000))
    assert indices == [0, 1, 2]
    assert payload.decode() == (
        'Id,A,B\n003000000000001,#N/A,"x,""y""\nz"\n003000000000002,,b\n003000000000003,1,\n'
    )
    chunks = list(csv_chunks(records, columns, 50))
    assert [c[0] for c in chunks] == [[0], [1, 2]]
    assert all(len(c[1]) <= 50 for c in chunks)
    with pytest.raises(ValueError, match="needs an Id"):
        list(csv_chunks([{"A": 1}], ["Id", "A"], 1000))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "FIELD_CUSTOM_VALIDATION_EXCEPTION:Score: must be positive:WalkMe_NPS_Score__c --",
            RecordError(
                "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                "Score: must be positive",
                ("WalkMe_NPS_Score__c",),
            ),
        ),
        (
            "ENTITY_IS_DELETED:entity is deleted:--",
            RecordError("ENTITY_IS_DELETED", "entity is deleted"),
        ),
        (
            "STRING_TOO_LONG:too long:A__c,B__c --",
            RecordError("STRING_TOO_LONG", "too long", ("A__c", "B__c")),
        ),
        ("something odd", RecordError("UNKNOWN_ERROR", "something odd")),
    ],
)
def test_parse_bulk_error(text: str, expected: RecordError) -> None:
    assert parse_bulk_error(text) == (expected,)
