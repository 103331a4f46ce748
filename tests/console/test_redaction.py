"""Defence in depth: a secret the console knows of is blanked in any rendered value, even one
that slipped into a run log."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask, render_template_string
from walkme_salesforce.console.security import REDACTED, Redactor
from walkme_salesforce.envfile import update_env


def test_values_from_env_and_secret_named_variables_are_blanked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dotenv = tmp_path / ".env"
    update_env(dotenv, {"SF_PROD_REFRESH_TOKEN": "5Aep861refresh", "SF_PROD_INSTANCE_URL": "x"})
    monkeypatch.setenv("SALESFORCE_CLIENT_SECRET", "consumer-secret-value")
    monkeypatch.setenv("SOME_SETTING", "visible-value")
    app = Flask("redaction")
    app.jinja_env.finalize = Redactor(dotenv)
    with app.test_request_context():
        page = render_template_string(
            "{{ log }}|{{ other }}|{{ number }}",
            log="token=5Aep861refresh and consumer-secret-value in a line",
            other="visible-value",
            number=42,
        )
    assert page == f"token={REDACTED} and {REDACTED} in a line|visible-value|42"
