"""One error root for the target: every exception class it defines descends from
TargetSalesforceUpdateError; configuration errors are also ValueError; a TLS failure mid-run is
reported as a TLS connection problem with its fix."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import requests
import target_salesforce_update
from salesforce_emulator.testing import SalesforceEmulator
from target_harness import run_target, singer_lines
from target_salesforce_update.coercion import CoercionError
from target_salesforce_update.exceptions import (
    AccessDeniedError,
    ApiUsageCeilingError,
    AuthenticationError,
    BadRequestError,
    BulkJobError,
    ConfigurationError,
    InvalidFieldError,
    MalformedQueryError,
    NotFoundError,
    RequestLimitExceededError,
    SalesforceError,
    SessionExpiredError,
    TargetSalesforceUpdateError,
    TlsVerificationError,
    TransientError,
)
from target_salesforce_update.integration import IntegrationConfigError
from target_salesforce_update.preflight import PreflightError
from target_salesforce_update.sinks import TargetRunError

#: class → the bases it must have besides the root (configuration errors are ValueError).
HIERARCHY: dict[type[BaseException], tuple[type[BaseException], ...]] = {
    SalesforceError: (),
    AuthenticationError: (SalesforceError,),
    SessionExpiredError: (SalesforceError,),
    RequestLimitExceededError: (SalesforceError,),
    ApiUsageCeilingError: (SalesforceError,),
    MalformedQueryError: (SalesforceError,),
    InvalidFieldError: (SalesforceError,),
    NotFoundError: (SalesforceError,),
    TransientError: (SalesforceError,),
    AccessDeniedError: (SalesforceError,),
    BadRequestError: (SalesforceError,),
    BulkJobError: (SalesforceError,),
    ConfigurationError: (SalesforceError, ValueError),
    TlsVerificationError: (ConfigurationError, ValueError),
    IntegrationConfigError: (ValueError,),
    CoercionError: (ValueError,),
    PreflightError: (),
    TargetRunError: (),
}


def _package_exception_classes() -> set[type[BaseException]]:
    found: set[type[BaseException]] = set()
    for module_info in pkgutil.iter_modules(target_salesforce_update.__path__):
        module = importlib.import_module(f"target_salesforce_update.{module_info.name}")
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == module.__name__:
                found.add(value)
    return found


def test_every_error_class_descends_from_the_one_root() -> None:
    classes = _package_exception_classes()
    assert classes == set(HIERARCHY) | {TargetSalesforceUpdateError}, "update HIERARCHY"
    for cls, bases in HIERARCHY.items():
        assert issubclass(cls, TargetSalesforceUpdateError), cls
        for base in bases:
            assert issubclass(cls, base), (cls, base)
    not_value_errors = set(HIERARCHY) - {c for c, b in HIERARCHY.items() if ValueError in b}
    assert not any(issubclass(cls, ValueError) for cls in not_value_errors)


def test_a_tls_failure_mid_run_is_reported_as_a_tls_problem_with_the_fix(
    tmp_path, monkeypatch, base_config
) -> None:
    """The certificate stops verifying between the login/describe and the first match query
    (as when a TLS-intercepting proxy appears): the run stops naming TLS and the fix."""
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with SalesforceEmulator(tls=True) as tls_sf:
        assert tls_sf.ca_bundle
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", tls_sf.ca_bundle)
        config = base_config(login_url=tls_sf.url, results_dir=str(tmp_path / "results"))
        lines = singer_lines([{"email": "ada@example.com", "progress": "50"}])

        def untrusted() -> None:  # a CA bundle that does not sign the emulator's certificate
            monkeypatch.setenv("REQUESTS_CA_BUNDLE", requests.certs.where())

        run = run_target(config, lines, hooks={1: untrusted})
        assert tls_sf.stats()["records_created"] == 0
    assert isinstance(run.error, TargetRunError), run.error
    summary = run.summary()
    assert summary["status"] == "failed"
    text = str(run.error) + " " + str(summary.get("error"))
    assert "TLS connection to Salesforce failed" in text
    assert "REQUESTS_CA_BUNDLE" in text
    assert "Salesforce stopped the run" not in text
