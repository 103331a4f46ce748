"""The console's routes (Flask); each handler calls the manager via accounts/wizard/jobs/history.

Screens: Accounts (`/accounts`), Integrations (`/`), the wizard (`/wizard/...`), Run now
(`POST /integrations/<name>/run` + `/integrations/<name>/progress`), the Log
(`/integrations/<name>/log`, `/runs/<id>`, `/runs/<id>/results.csv`, `/runs/<id>/log`).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from flask import (
    Flask,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from target_salesforce_update.exceptions import SalesforceError
from target_salesforce_update.salesforce.auth import PRODUCTION_LOGIN_URL, SANDBOX_LOGIN_URL

from ..errors import SetupError
from ..integration_commands import remove
from ..integrations import job_name, list_integrations, read_integration
from ..run_history import COUNT_KEYS
from . import history, security
from .accounts import Accounts
from .jobs import Runs
from .run_routes import register_run_routes
from .schedule import describe_interval, next_run, schedule_of
from .wizard import Wizard
from .wizard_routes import register_wizard_routes

HERE = Path(__file__).parent


def create_app(
    project_root: Path,
    *,
    token: str | None = None,
    allowed_hosts: set[str] | None = None,
    run_env: dict[str, str] | None = None,
) -> Flask:
    """The console for one Meltano project."""
    app = Flask(
        __name__, template_folder=str(HERE / "templates"), static_folder=str(HERE / "static")
    )
    app.secret_key = secrets.token_bytes(32)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=1_000_000,
    )
    root = Path(project_root).resolve()
    accounts = Accounts(root)
    wizard = Wizard(accounts)
    runs = Runs(root, run_env)
    redactor = security.Redactor(root / ".env")
    app.jinja_env.finalize = redactor
    app.jinja_env.globals.update(csrf_token=security.csrf_token, COUNT_KEYS=COUNT_KEYS)
    app.extensions["walkme_console"] = {"accounts": accounts, "wizard": wizard, "runs": runs}

    @app.before_request
    def guard() -> Any:
        if allowed_hosts is not None:
            security.check_host(allowed_hosts)
        if token and request.endpoint not in {"login", "static"} and not session.get("authed"):
            if request.method in security.SAFE_METHODS:
                return redirect(url_for("login", next=request.path))
            abort(401)
        security.check_csrf()
        return None

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self' https: http:",
        )
        return response

    @app.errorhandler(SetupError)
    def setup_error(exc: SetupError) -> Any:
        return render_template("error.html", message=str(exc)), 400

    @app.errorhandler(SalesforceError)
    def salesforce_error(exc: SalesforceError) -> Any:
        return render_template("error.html", message=f"Salesforce said: {exc}"), 502

    # -- login (only when a token is configured) ----------------------------------------

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        if not token:
            return redirect(url_for("integrations"))
        error = ""
        if request.method == "POST":
            if security.token_matches(request.form.get("token", ""), token):
                session.clear()
                session["authed"] = True
                target = request.args.get("next") or "/"
                return redirect(
                    target if target.startswith("/") and not target.startswith("//") else "/"
                )
            error = "Wrong access token."
        return render_template("login.html", error=error), (401 if error else 200)

    # -- Accounts -------------------------------------------------------------------------

    @app.get("/accounts")
    def accounts_page() -> Any:
        return render_template(
            "accounts.html",
            statuses=accounts.all_status(),
            environments=accounts.environments(),
            defaults={
                "login_url": _env("SALESFORCE_LOGIN_URL"),
                "client_id": _env("SALESFORCE_CLIENT_ID"),
                "secret_from_env": bool(_env("SALESFORCE_CLIENT_SECRET")),
            },
            production=PRODUCTION_LOGIN_URL,
            sandbox=SANDBOX_LOGIN_URL,
        )

    @app.post("/accounts/connect")
    def accounts_connect() -> Any:
        form = request.form
        environment = form.get("environment", "").strip()
        if environment not in accounts.environments():
            raise SetupError(f"Unknown environment {environment!r}: choose one from meltano.yml.")
        choice = form.get("org", "production")
        login_url = {"production": PRODUCTION_LOGIN_URL, "sandbox": SANDBOX_LOGIN_URL}.get(
            choice, form.get("login_url", "").strip()
        )
        client_id = form.get("client_id", "").strip() or _env("SALESFORCE_CLIENT_ID")
        client_secret = form.get("client_secret", "") or _env("SALESFORCE_CLIENT_SECRET") or None
        state, url = accounts.begin(
            environment,
            login_url,
            client_id,
            client_secret,
            url_for("accounts_callback", _external=True),
        )
        session["oauth_state"] = state
        return redirect(url)

    @app.get("/accounts/callback")
    def accounts_callback() -> Any:
        state = request.args.get("state", "")
        expected = session.pop("oauth_state", None)
        if not expected or not secrets.compare_digest(str(expected), state):
            raise SetupError(
                "The sign-in came back with a state this browser did not start (a forged or "
                "stale link): nothing was stored. Start Add account again."
            )
        if request.args.get("error"):
            accounts.cancel(state)
            raise SetupError(
                f"Salesforce refused: {request.args.get('error')} "
                f"{request.args.get('error_description', '')}".strip()
            )
        status = accounts.finish(state, request.args.get("code", ""))
        flash(f"Connected {status.environment!r} as {status.username or 'unknown user'}.")
        return redirect(url_for("accounts_page"))

    @app.post("/accounts/<environment>/check")
    def accounts_check(environment: str) -> Any:
        accounts.status(environment, refresh=True)
        flash(f"Checked {environment!r} again.")
        return redirect(url_for("accounts_page"))

    @app.post("/accounts/<environment>/disconnect")
    def accounts_disconnect(environment: str) -> Any:
        if environment not in accounts.environments():
            abort(404)
        accounts.disconnect(environment)
        flash(f"Disconnected {environment!r}: the token was revoked and removed from .env.")
        return redirect(url_for("accounts_page"))

    # -- Integrations grid ----------------------------------------------------------------

    @app.get("/")
    def integrations() -> Any:
        document = accounts.project().load()
        connected = accounts.connected()
        environment = request.args.get("environment") or (connected[0] if connected else "")
        rows = []
        for name in list_integrations(document):
            try:
                item = read_integration(document, name)
            except SetupError as exc:
                rows.append({"name": name, "error": str(exc)})
                continue
            interval = schedule_of(document, name)
            last = history.last_run(root, name)
            active = runs.get(name)
            rows.append(
                {
                    "name": name,
                    "report": item.stream,
                    "object": item.sobject,
                    "schedule": describe_interval(interval),
                    "next": _when(next_run(interval)),
                    "last": last,
                    "last_totals": history.totals(last) if last else {},
                    "last_duration": history.duration_text(last) if last else "",
                    "running": bool(active and active.ended is None),
                }
            )
        return render_template(
            "integrations.html", rows=rows, connected=connected, environment=environment
        )

    @app.get("/integrations/<name>/remove")
    def remove_confirm(name: str) -> Any:
        read_integration(accounts.project().load(), name)
        return render_template("remove.html", name=name, job=job_name(name))

    @app.post("/integrations/<name>/remove")
    def remove_integration(name: str) -> Any:
        remove(accounts.project(), name, assume_yes=True)
        flash(f"Removed integration {name!r}, its job and its schedule.")
        return redirect(url_for("integrations"))

    register_run_routes(app, root, accounts, runs)
    register_wizard_routes(app, accounts, wizard)

    return app


def _env(name: str) -> str:
    import os

    return os.environ.get(name, "")


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
