"""The console's integration wizard routes: new, edit, the three screens and the object switch."""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, flash, redirect, render_template, request, session, url_for

from ..errors import SetupError
from .accounts import Accounts
from .script_json import script_json
from .wizard import Draft, Wizard


def register_wizard_routes(app: Flask, accounts: Accounts, wizard: Wizard) -> None:
    """Add the wizard: `/wizard/new`, `/integrations/<name>/edit`, `/wizard/<draft>/<screen>`."""

    # -- Wizard ---------------------------------------------------------------------------

    def _draft(draft_id: str) -> Draft:
        draft = wizard.get(draft_id)
        if draft is None or draft_id not in session.get("drafts", []):
            abort(404)
        return draft

    @app.get("/wizard/new")
    def wizard_new() -> Any:
        draft = wizard.start()
        session["drafts"] = [*session.get("drafts", [])[-20:], draft.id]
        return redirect(url_for("wizard_screen", draft_id=draft.id, screen=1))

    @app.get("/integrations/<name>/edit")
    def wizard_edit(name: str) -> Any:
        connected = accounts.connected()
        environment = request.args.get("environment") or (connected[0] if connected else "")
        if environment not in connected:
            raise SetupError("Connect an environment on Accounts before editing an integration.")
        draft = wizard.edit(name, environment)
        session["drafts"] = [*session.get("drafts", [])[-20:], draft.id]
        return redirect(url_for("wizard_screen", draft_id=draft.id, screen=3))

    @app.route("/wizard/<draft_id>/<int:screen>", methods=["GET", "POST"])
    def wizard_screen(draft_id: str, screen: int) -> Any:
        draft = _draft(draft_id)
        error = ""
        if request.method == "POST":
            form = request.form
            if form.get("action") == "back":
                if screen == 3:  # keep the rows as they are for when the admin comes back
                    pairs = zip(form.getlist("column"), form.getlist("field"), strict=False)
                    draft.mapping = {c: f for c, f in pairs if c and f}
                return redirect(
                    url_for("wizard_screen", draft_id=draft.id, screen=max(1, screen - 1))
                )
            try:
                if screen == 1:
                    wizard.set_source(
                        draft,
                        form.get("name", draft.name),
                        form.get("environment", ""),
                        form.get("source", ""),
                        form.get("key", ""),
                        form.get("report_name", ""),
                    )
                    return redirect(url_for("wizard_screen", draft_id=draft.id, screen=2))
                if screen == 2:
                    wizard.set_pair(
                        draft,
                        form.get("sobject", ""),
                        form.get("key", ""),
                        form.get("match_field", ""),
                    )
                    return redirect(url_for("wizard_screen", draft_id=draft.id, screen=3))
                if screen == 3:
                    pairs = list(zip(form.getlist("column"), form.getlist("field"), strict=False))
                    wizard.set_mapping(draft, pairs)
                    if form.get("action") == "save":
                        if draft.preview is None:
                            wizard.run_preview(draft)
                        warnings = wizard.save(draft)
                        verb = "Added" if draft.create else "Updated"
                        flash(f"{verb} integration {draft.name!r}.")
                        for warning in warnings:
                            flash(f"Preflight warning: {warning}")
                        return redirect(url_for("integrations", environment=draft.environment))
                    wizard.run_preview(draft)
            except SetupError as exc:
                error = str(exc)
        if screen == 2 and draft.columns is None:
            return redirect(url_for("wizard_screen", draft_id=draft.id, screen=1))
        if screen == 3 and (draft.described is None or not draft.match_field):
            return redirect(
                url_for("wizard_screen", draft_id=draft.id, screen=2 if draft.columns else 1)
            )
        if screen == 2 and not draft.objects and not error:
            try:
                wizard.load_objects(draft)
            except SetupError as exc:
                error = str(exc)
        if screen == 2 and draft.described is None and draft.sobject and not error:
            try:
                wizard.describe(draft)
            except SetupError as exc:
                error = str(exc)
        return render_template(
            f"wizard{screen}.html",
            draft=draft,
            screen=screen,
            error=error,
            connected=accounts.connected() if screen == 1 else [],
            options_json=script_json(
                {
                    "targets": draft.target_options(),
                    "labels": {
                        c["property"]: f"{c['header']} ({c['type']})" for c in draft.column_rows()
                    },
                }
            )
            if screen == 3
            else "{}",
        ), (400 if error else 200)

    @app.post("/wizard/<draft_id>/object")
    def wizard_object(draft_id: str) -> Any:
        """Screen 2: the object changed — describe it, stay on screen 2."""
        draft = _draft(draft_id)
        draft.sobject = request.form.get("sobject", draft.sobject)
        draft.described = None
        draft.mapping = {}
        return redirect(url_for("wizard_screen", draft_id=draft.id, screen=2))
