"""The integration wizard's drafts: what the admin chose so far, between the three screens.

Screen 1: name, environment (connected ones only), report source (and key column, which the
tap's discovery needs). Screen 2: the report's columns (the tap's own discovery,
`report_columns.discover`), the Salesforce object (`describe.listed_objects`, then describe),
and the unique-identifier pair (`mapping.match_candidates`). Screen 3: mapping rows, each column
offered only the fields `mapping.target_candidates` allows (updateable, type fits, not the match
field). Preview is the dry run (`preview.dry_run_changes`); Save is
`integration_commands.store_integration`, which runs the target's preflight first.

Drafts live in this process's memory, keyed by a random id tied to the browser session.
"""

from __future__ import annotations

import csv
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from target_salesforce_update.exceptions import SalesforceError
from target_salesforce_update.salesforce import SalesforceClient

from .. import report_columns
from ..describe import field_rows, listed_objects
from ..errors import SetupError
from ..integration_commands import ADD_DEFAULTS, describe_object, store_integration
from ..integrations import Integration, check_name, list_integrations, read_integration
from ..mapping import match_candidates, target_candidates, validate
from ..preview import dry_run_changes
from ..report_columns import ReportColumns
from .accounts import Accounts

REASON_FILES = ("unmatched", "ambiguous", "failed")
REASON_ROWS = 5


@dataclass
class Draft:
    """One integration being created or edited."""

    id: str
    create: bool
    name: str = ""
    environment: str = ""
    source: str = ""
    key_column: str = ""
    report_name: str | None = None
    sobject: str = "Contact"
    match_field: str = ""
    mapping: dict[str, str] = field(default_factory=dict)
    #: The target's policies (multiple_matches, null_values): a new integration gets what
    #: `add` writes (skip duplicates), an edited one keeps its own.
    target_extra: dict[str, Any] = field(default_factory=lambda: dict(ADD_DEFAULTS))
    columns: ReportColumns | None = None
    described: dict[str, Any] | None = None
    objects: list[dict[str, Any]] = field(default_factory=list)
    preview: dict[str, Any] | None = None

    @property
    def stream(self) -> str:
        """The report's stream name."""
        return self.report_name or self.name

    @property
    def key_property(self) -> str:
        """The key column as the tap's property name."""
        assert self.columns is not None
        return self.columns.resolve(self.key_column)

    def integration(self) -> Integration:
        """The Integration the manager would write."""
        return Integration(
            name=self.name,
            source=self.source,
            key_column=self.key_column,
            report_name=self.report_name,
            sobject=self.sobject,
            match_property=self.key_property,
            match_field=self.match_field,
            field_mapping=dict(self.mapping),
            target_extra=dict(self.target_extra),
        )

    # What the screens show -----------------------------------------------------------

    def column_rows(self) -> list[dict[str, str]]:
        """Report columns: property, header, type."""
        assert self.columns is not None
        return [
            {
                "property": p,
                "header": self.columns.headers.get(p, p),
                "type": self.columns.type_of(p),
            }
            for p in self.columns.properties
        ]

    def match_fields(self) -> list[dict[str, Any]]:
        """Fields that can be the Salesforce side of the pair, with their uniqueness marks."""
        assert self.columns is not None and self.described is not None
        rows = {r["name"]: r for r in field_rows(self.described)}
        names = match_candidates(self.columns, self.key_property, self.described)
        return [rows[n] for n in names if n in rows]

    def target_options(self) -> dict[str, list[str]]:
        """Column → fields it may be mapped to (the match field excluded)."""
        assert self.columns is not None and self.described is not None
        key = self.key_property
        return {
            prop: target_candidates(self.columns, prop, self.described, {self.match_field})
            for prop in self.columns.properties
            if prop != key
        }


class Wizard:
    """Drafts plus the manager calls behind each screen."""

    def __init__(self, accounts: Accounts) -> None:
        self.accounts = accounts
        self._drafts: dict[str, Draft] = {}
        self._lock = threading.Lock()

    def get(self, draft_id: str) -> Draft | None:
        """A draft by id."""
        with self._lock:
            return self._drafts.get(draft_id)

    def _new(self, create: bool) -> Draft:
        draft = Draft(id=secrets.token_urlsafe(12), create=create)
        with self._lock:
            self._drafts[draft.id] = draft
        return draft

    def start(self) -> Draft:
        """A new integration."""
        return self._new(True)

    def edit(self, name: str, environment: str) -> Draft:
        """An existing integration, loaded and described, ready for screen 3."""
        integration = read_integration(self.accounts.project().load(), name)
        draft = self._new(False)
        draft.name = integration.name
        draft.environment = environment
        draft.source = integration.source
        draft.key_column = integration.key_column
        draft.report_name = integration.report_name
        draft.sobject = integration.sobject
        draft.match_field = integration.match_field
        draft.mapping = dict(integration.field_mapping)
        draft.target_extra = dict(integration.target_extra)
        self.discover(draft)
        self.describe(draft)
        return draft

    # Screen 1 → 2 ------------------------------------------------------------------------

    def set_source(
        self, draft: Draft, name: str, environment: str, source: str, key: str, report_name: str
    ) -> None:
        """Screen 1's answers; reads the report's columns with the tap's discovery."""
        if draft.create:
            draft.name = check_name(name.strip())
            if draft.name in list_integrations(self.accounts.project().load()):
                raise SetupError(f"Integration {draft.name!r} already exists: edit it instead.")
        if environment not in self.accounts.connected():
            raise SetupError(
                f"Environment {environment!r} is not connected: connect it on Accounts first."
            )
        if not source.strip():
            raise SetupError("Give the report export to read (path, URL or s3://… of the CSV).")
        if not key.strip():
            raise SetupError("Give the report column holding the unique identifier.")
        draft.environment = environment
        draft.source = source.strip()
        draft.key_column = key.strip()
        draft.report_name = report_name.strip() or None
        self.discover(draft)
        draft.key_column = draft.key_property
        self.load_objects(draft)

    def discover(self, draft: Draft) -> None:
        """The report's columns as the tap sees them."""
        draft.columns = report_columns.discover(
            self.accounts.root,
            self.accounts.tap_config(draft.environment),
            stream=draft.stream,
            source=draft.source,
            key_column=draft.key_column,
        )
        draft.key_column = draft.columns.resolve(draft.key_column)

    def _client(self, draft: Draft) -> SalesforceClient:
        return SalesforceClient(self.accounts.config(draft.environment))

    def load_objects(self, draft: Draft) -> None:
        """Objects the connected user can query and update."""
        try:
            with self._client(draft) as client:
                draft.objects = listed_objects(client)
        except SalesforceError as exc:
            raise SetupError(f"Could not list the org's objects: {exc}") from None

    def describe(self, draft: Draft) -> None:
        """Describe the draft's object."""
        try:
            with self._client(draft) as client:
                described = describe_object(client, draft.sobject)
        except SalesforceError as exc:
            raise SetupError(f"Could not describe {draft.sobject}: {exc}") from None
        if described is None:
            raise SetupError(f"Object {draft.sobject!r} does not exist or this user cannot see it.")
        draft.described = described
        draft.sobject = str(described.get("name") or draft.sobject)

    # Screen 2 → 3 ------------------------------------------------------------------------

    def set_pair(self, draft: Draft, sobject: str, key: str, match_field: str) -> None:
        """Screen 2's answers: the object and the unique-identifier pair."""
        if not sobject:
            raise SetupError("Choose the Salesforce object to update.")
        changed_object = sobject != draft.sobject or draft.described is None
        draft.sobject = sobject
        if key and key != draft.key_column:
            draft.key_column = key
            self.discover(draft)
        if changed_object:
            self.describe(draft)
            draft.mapping = {}
        names = {f["name"] for f in draft.match_fields()}
        if match_field not in names:
            raise SetupError(
                f"{match_field or '(none)'} cannot match {draft.key_column}: choose one of "
                + ", ".join(sorted(names))
            )
        draft.match_field = match_field
        draft.mapping.pop(draft.key_property, None)
        draft.mapping = {k: v for k, v in draft.mapping.items() if v != match_field}

    # Screen 3 ----------------------------------------------------------------------------

    def set_mapping(self, draft: Draft, pairs: list[tuple[str, str]]) -> None:
        """Screen 3's rows; validated with the target's preflight."""
        mapping: dict[str, str] = {}
        for column, target in pairs:
            if column and target:
                if column in mapping:
                    raise SetupError(f"Column {column} is mapped twice; keep one row for it.")
                mapping[column] = target
        if not mapping:
            raise SetupError("Map at least one report column to a Salesforce field.")
        draft.mapping = mapping
        draft.preview = None
        assert draft.columns is not None
        validate(draft.integration(), draft.described, draft.columns, None)

    def run_preview(self, draft: Draft, limit: int = 10) -> dict[str, Any]:
        """The dry run of the draft: first changes before → after, counts, reasons."""
        assert draft.columns is not None
        integration = draft.integration()
        validate(integration, draft.described, draft.columns, None)
        tap = {
            k: v
            for k, v in self.accounts.tap_config(draft.environment).items()
            if k not in {"reports", "report_name", "source", "key_column"}
        }
        tap.update(integration.tap_config())
        target = {**self.accounts.config(draft.environment), **integration.target_config()}
        target.pop("streams", None)
        reasons: dict[str, list[dict[str, str]]] = {}

        def keep(folder: Path) -> None:
            for name in REASON_FILES:
                reasons[name] = _first_rows(folder / f"{name}.csv", REASON_ROWS)

        summary, changes, before = dry_run_changes(
            self.accounts.root, tap, target, limit=limit, keep=keep
        )
        rows = []
        for change in changes:
            for record_id in change["record_ids"]:
                current = before.get(record_id, {})
                rows.append(
                    {
                        "key": change["key"],
                        "record_id": record_id,
                        "fields": [
                            {"field": f, "before": current.get(f), "after": value}
                            for f, value in change["new_values"].items()
                        ],
                    }
                )
        draft.preview = {
            "counts": summary.get("counts") or {},
            "keys_with_multiple_matches": summary.get("keys_with_multiple_matches", 0),
            "changes": rows,
            "reasons": reasons,
            "failed": bool(summary.get("_exit_code")),
        }
        return draft.preview

    def save(self, draft: Draft) -> list[str]:
        """Validate with preflight and write the integration (the manager's store_integration)."""
        assert draft.columns is not None and draft.described is not None
        warnings = store_integration(
            self.accounts.project(draft.environment),
            draft.integration(),
            draft.described,
            draft.columns,
            create=draft.create,
        )
        with self._lock:
            self._drafts.pop(draft.id, None)
        return warnings


def _first_rows(path: Path, limit: int) -> list[dict[str, str]]:
    """The first rows of a results CSV: key, outcome and the reason."""
    rows: list[dict[str, str]] = []
    if not path.exists():
        return rows
    with path.open(newline="", encoding="utf-8") as handle:
        for line in csv.DictReader(handle):
            if len(rows) >= limit:
                break
            key = line.get("key") or ""
            rows.append(
                {
                    "key": key[1:] if key.startswith("'") else key,
                    "outcome": line.get("outcome") or "",
                    "reason": " ".join(
                        x for x in (line.get("error_code"), line.get("error_message")) if x
                    ),
                }
            )
    return rows
