"""Fixtures for the emulator tests: real emulator subprocesses, reached over HTTP(S) only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from salesforce_emulator.testing import SalesforceEmulator


class Api:
    """A requests session against one emulator's data API with a bearer token."""

    def __init__(self, emulator: SalesforceEmulator, token: str, version: str = "67.0") -> None:
        self.emulator = emulator
        self.base = f"{emulator.url}/services/data/v{version}"
        self.session = requests.Session()
        if emulator.ca_bundle:
            self.session.verify = emulator.ca_bundle
        self.session.headers["Authorization"] = f"Bearer {token}"

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.base + path

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.session.get(self.url(path), timeout=30, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return self.session.post(self.url(path), timeout=30, **kw)

    def patch(self, path: str, **kw: Any) -> requests.Response:
        return self.session.patch(self.url(path), timeout=30, **kw)

    def put(self, path: str, **kw: Any) -> requests.Response:
        return self.session.put(self.url(path), timeout=30, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.session.delete(self.url(path), timeout=30, **kw)

    def query(self, soql: str) -> requests.Response:
        return self.get("/query", params={"q": soql})

    def ids(self, obj: str, where: str = "") -> dict[str, str]:
        """Email (lower case) → Id of live records."""
        response = self.query(f"SELECT Id, Email FROM {obj} {where}")
        assert response.status_code == 200, response.text
        return {r["Email"].lower(): r["Id"] for r in response.json()["records"] if r["Email"]}


@pytest.fixture(scope="session")
def _sf_session() -> Iterator[SalesforceEmulator]:
    with SalesforceEmulator(extra_args=["--bulk-delay-ms", "20"]) as emulator:
        yield emulator


@pytest.fixture
def sf(_sf_session: SalesforceEmulator) -> SalesforceEmulator:
    """The shared HTTP emulator, reset to the default seed before each test."""
    _sf_session.reset()
    _sf_session.faults(bulk_delay_ms=20)
    return _sf_session


@pytest.fixture
def api(sf: SalesforceEmulator) -> Api:
    """Admin data API session on the shared HTTP emulator."""
    return Api(sf, sf.access_token())


@pytest.fixture(scope="session")
def _sf_tls_session() -> Iterator[SalesforceEmulator]:
    with SalesforceEmulator(tls=True, extra_args=["--bulk-delay-ms", "20"]) as emulator:
        yield emulator


@pytest.fixture
def sf_tls(_sf_tls_session: SalesforceEmulator) -> SalesforceEmulator:
    """The shared HTTPS emulator (certificate verification on), reset before each test."""
    _sf_tls_session.reset()
    _sf_tls_session.faults(bulk_delay_ms=20)
    return _sf_tls_session


@pytest.fixture
def make_api() -> type[Api]:
    """The Api class, for sessions as another user: ``make_api(sf, token)``."""
    return Api
