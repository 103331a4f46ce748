"""Settings and stream wiring that fail before any Salesforce call."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from singer_sdk.exceptions import ConfigValidationError
from target_harness import record_message, run_target, schema_message
from target_salesforce_update.integration import IntegrationConfigError
from target_salesforce_update.target import TargetSalesforceUpdate


def offline_config(tmp_path) -> dict:
    # Port 9 on loopback: nothing listens; any network call would fail loudly.
    return {
        "login_url": "http://127.0.0.1:9",
        "auth_flow": "access_token",
        "access_token": "offline-token",
        "instance_url": "http://127.0.0.1:9",
        "results_dir": str(tmp_path / "results"),
        "streams": {
            "onboarding": {
                "sobject": "Contact",
                "match_property": "email",
                "field_mapping": {"progress": "WalkMe_Onboarding_Progress__c"},
            }
        },
    }


def test_stream_without_integration_fails_before_any_call(tmp_path):
    run = run_target(
        offline_config(tmp_path),
        [schema_message("other"), record_message({"email": "a@x.io"}, "other")],
    )
    assert isinstance(run.error, IntegrationConfigError)
    assert "Stream 'other' has no integration" in str(run.error)
    assert "streams.other" in str(run.error)
    assert run.stdout == []


def test_about_lists_every_setting():
    about = TargetSalesforceUpdate.config_jsonschema["properties"]
    for name in (
        "login_url",
        "client_id",
        "client_secret",
        "refresh_token",
        "private_key",
        "access_token",
        "instance_url",
        "api_version",
        "max_daily_api_usage_percent",
        "sobject",
        "match_property",
        "match_field",
        "field_mapping",
        "streams",
        "multiple_matches",
        "null_values",
        "write_method",
        "bulk_threshold",
        "query_batch_size",
        "dry_run",
        "results_dir",
        "fail_on",
        "fail_on_rejections",
        "environment",
    ):
        assert name in about, name
        assert about[name].get("description"), name
    for secret in ("client_secret", "refresh_token", "password", "private_key", "access_token"):
        assert about[secret].get("writeOnly") or about[secret].get("secret"), secret
    assert (
        TargetSalesforceUpdate.config_jsonschema["properties"]["validate_records"]["default"]
        is False
    )


def test_cli_exit_code_on_config_error(tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(offline_config(tmp_path)))
    lines = (
        "\n".join([schema_message("other"), record_message({"email": "a@x.io"}, "other")]) + "\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "target_salesforce_update.target", "--config", str(config)],
        input=lines,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode != 0
    assert proc.stdout == ""
    assert "has no integration" in proc.stderr


@pytest.mark.parametrize("bad", [{"multiple_matches": "first"}, {"null_values": "zero"}])
def test_invalid_policy_is_rejected(tmp_path, bad):
    config = offline_config(tmp_path)
    config.update(bad)
    with pytest.raises(ConfigValidationError) as info:
        TargetSalesforceUpdate(config=config)
    assert any(next(iter(bad.values())) in str(error) for error in info.value.errors)
