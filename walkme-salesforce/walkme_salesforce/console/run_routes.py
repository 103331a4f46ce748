"""The console's Run now and Log routes: start a run, follow it, browse past runs and results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Flask,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)

from ..errors import SetupError
from ..integrations import read_integration
from . import history
from .accounts import Accounts
from .jobs import RunRefused, Runs
from .script_json import script_json


def register_run_routes(app: Flask, root: Path, accounts: Accounts, runs: Runs) -> None:
    """Add Run now (`/integrations/<name>/run`, `…/running`, `…/progress`) and the Log
    (`/integrations/<name>/log`, `/runs/<id>`, `/runs/<id>/results.csv`, `/runs/<id>/log`)."""

    # -- Run now --------------------------------------------------------------------------

    @app.post("/integrations/<name>/run")
    def run_now(name: str) -> Any:
        read_integration(accounts.project().load(), name)
        environment = request.form.get("environment", "")
        if environment not in accounts.connected():
            raise SetupError(f"Environment {environment!r} is not connected: connect it first.")
        try:
            runs.start(name, environment)
        except RunRefused as exc:
            flash(str(exc), "error")
            return redirect(url_for("run_page", name=name)), 303
        return redirect(url_for("run_page", name=name))

    @app.get("/integrations/<name>/running")
    def run_page(name: str) -> Any:
        active = runs.get(name)
        if active is None:
            return redirect(url_for("log_page", name=name))
        return render_template("running.html", name=name, run=active.view())

    @app.get("/integrations/<name>/progress")
    def run_progress(name: str) -> Any:
        active = runs.get(name)
        if active is None:
            abort(404)
        return jsonify(active.view())

    # -- Log ------------------------------------------------------------------------------

    @app.get("/integrations/<name>/log")
    def log_page(name: str) -> Any:
        item = read_integration(accounts.project().load(), name)
        found = history.runs_of(root, name)
        return render_template(
            "log.html",
            name=name,
            item=item,
            runs=found,
            totals=history.totals,
            duration=history.duration_text,
            chart=script_json(history.chart_data(found)),
        )

    @app.get("/runs/<run_id>")
    def run_detail(run_id: str) -> Any:
        run = _run(run_id)
        outcome = request.args.get("outcome", "")
        query = request.args.get("q", "")
        rows = []
        more = False
        for index, row in enumerate(history.result_rows(run, outcome, query)):
            if index >= history.PAGE_ROWS:
                more = True
                break
            rows.append(row)
        return render_template(
            "run.html",
            run=run,
            rows=rows,
            more=more,
            outcome=outcome,
            q=query,
            outcomes=(*history.RESULT_FILES, "rejected"),
            duration=history.duration_text(run),
        )

    @app.get("/runs/<run_id>/results.csv")
    def run_csv(run_id: str) -> Any:
        run = _run(run_id)
        rows = history.result_rows(run, request.args.get("outcome", ""), request.args.get("q", ""))
        return Response(
            stream_with_context(history.rows_csv(rows)),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="run-{run.run_id[:8]}.csv"'},
        )

    @app.get("/runs/<run_id>/log")
    def run_log(run_id: str) -> Any:
        run = _run(run_id)
        return render_template("run_log.html", run=run, text=history.log_text(run))

    def _run(run_id: str) -> Any:
        try:
            return history.run_by_id(root, run_id)
        except LookupError:
            abort(404)
