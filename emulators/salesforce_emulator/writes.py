"""The one write path shared by single-record REST, sObject Collections and Bulk API 2.0.

Callers turn their wire format into :class:`Pending` records (field values already converted
to the stored form; conversion failures recorded as errors), then call :func:`update`,
:func:`create` or :func:`delete`, which check Ids, permissions, values and validation rules,
inject row-lock faults, honour all-or-none, and write the surviving records with
``executemany`` in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import ids, references
from .metadata import ObjectDef
from .record_defaults import default_values
from .store import decode, now_iso, q
from .validation import RecordError, check_value, round_number

if TYPE_CHECKING:
    from .org import Org
    from .users import User


ROLLED_BACK = RecordError(
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "Record rolled back because not all records were valid and the request was using AllOrNone "
    "header",
)
_SYSTEM_STAMP = ("LastModifiedDate", "SystemModstamp")
MAX_DUPLICATE_UPDATES = 12
"""SOAP ``update()``: of duplicate Ids in one call the first 12 are processed, the rest fail."""


@dataclass
class Pending:
    """One record to write: its Id (update/delete) and converted field values."""

    raw_id: Any = None
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[RecordError] = field(default_factory=list)


@dataclass
class Outcome:
    """The result of one record (a SaveResult)."""

    id: str | None
    errors: list[RecordError] = field(default_factory=list)
    created: bool = False

    @property
    def success(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        if self.success:
            return {"id": self.id, "success": True, "errors": []}
        out: dict[str, Any] = {"success": False, "errors": [e.to_json() for e in self.errors]}
        if self.id and self.errors == [ROLLED_BACK]:
            # REST "Update Records Using sObject Collections": a rolled-back record keeps its id.
            out = {"id": self.id, **out}
        return out


def _insufficient() -> RecordError:
    return RecordError("INSUFFICIENT_ACCESS_OR_READONLY", "insufficient access rights on object id")


def _check_fields(
    obj: ObjectDef,
    user: User,
    values: dict[str, Any],
    action: str,
    locked_cache: dict[tuple[str, ...], list[str]] | None = None,
) -> list[RecordError]:
    errors: list[RecordError] = []
    flag = "updateable" if action == "edit" else "createable"
    # The read-only fields of a column set are the same for every record of a request.
    shape = tuple(values)
    locked = locked_cache.get(shape) if locked_cache is not None else None
    if locked is None:
        locked = [
            name
            for name in values
            if not obj.fields[name].get(flag, True) or not user.field_editable(obj.name, name)
        ]
        if locked_cache is not None:
            locked_cache[shape] = locked
    if locked:
        errors.append(
            RecordError(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                f"Unable to create/update fields: {', '.join(locked)}. Please check the security "
                "settings of this field and verify that it is read/write for your profile or "
                "permission set.",
                tuple(locked),
            )
        )
    for name, value in values.items():
        if name in locked:
            continue
        err = check_value(obj.fields[name], value)
        if err is not None:
            errors.append(err)
    return errors


def _check_rules(org: Org, obj: ObjectDef, merged: dict[str, Any]) -> list[RecordError]:
    return [rule.error() for rule in org.rules_for(obj.name) if rule.fails(merged)]


def _finish(
    org: Org, outcomes: list[Outcome], all_or_none: bool, *, faults: bool = True
) -> list[int]:
    """Apply lock faults and all-or-none; return the indexes to write."""
    for i, out in enumerate(outcomes):
        if faults and out.success and org.faults.row_locked():
            out.errors.append(
                RecordError(
                    "UNABLE_TO_LOCK_ROW",
                    f"unable to obtain exclusive access to this record or 1 records: {out.id}",
                )
            )
            outcomes[i] = out
    if all_or_none and any(not o.success for o in outcomes):
        for out in outcomes:
            if out.success:
                out.errors.append(ROLLED_BACK)
        return []
    return [i for i, o in enumerate(outcomes) if o.success]


def _recompute_names(conn: Any, obj: ObjectDef, record_ids: Sequence[str]) -> None:
    if not {"FirstName", "LastName", "Name"} <= set(obj.fields) or obj.fields["Name"].get(
        "updateable"
    ):
        return
    conn.executemany(
        f"UPDATE {q(obj.name)} SET \"Name\" = NULLIF(TRIM(COALESCE(\"FirstName\", '') || ' ' || "  # noqa: S608 - identifiers are validated API names
        "COALESCE(\"LastName\", '')), '') WHERE \"Id\" = ?",
        [(rid,) for rid in record_ids],
    )


def _resolve_ids(
    obj: ObjectDef, items: Sequence[Pending], outcomes: list[Outcome], verb: str
) -> None:
    for item, out in zip(items, outcomes, strict=False):
        if out.errors:
            continue
        if item.raw_id in (None, ""):
            out.errors.append(
                RecordError("MISSING_ARGUMENT", f"Id not specified in an {verb} call")
            )
            continue
        norm = ids.normalize(item.raw_id)
        if norm is None or not norm.startswith(obj.key_prefix):
            out.errors.append(
                RecordError(
                    "MALFORMED_ID",
                    f"{obj.label} ID: id value of incorrect type: {item.raw_id}",
                    ("Id",),
                )
            )
            continue
        out.id = norm


def _limit_duplicates(outcomes: list[Outcome]) -> None:
    seen: dict[str, int] = {}
    for out in outcomes:
        if out.errors or out.id is None:
            continue
        seen[out.id] = seen.get(out.id, 0) + 1
        if seen[out.id] > MAX_DUPLICATE_UPDATES:
            out.errors.append(
                RecordError(
                    "DUPLICATE_VALUE",
                    f"Maximum number of duplicate updates in one batch ({MAX_DUPLICATE_UPDATES} "
                    f"allowed). Attempt to update Id more than once in this API call: {out.id}",
                )
            )


def update(
    org: Org,
    user: User,
    obj: ObjectDef,
    items: Sequence[Pending],
    *,
    all_or_none: bool = False,
    dry_run: bool = False,
) -> list[Outcome]:
    """Update existing records; one Outcome per item, in order. ``dry_run`` checks everything
    (no lock faults) and writes nothing: all-or-none across object types checks each type first.
    """
    outcomes = [Outcome(None, list(p.errors)) for p in items]
    _resolve_ids(obj, items, outcomes, "update")
    _limit_duplicates(outcomes)
    can_edit = user.can(obj.name, "edit")
    locked_cache: dict[tuple[str, ...], list[str]] = {}
    for item, out in zip(items, outcomes, strict=False):
        if out.errors:
            continue
        if not can_edit:
            out.errors.append(_insufficient())
            continue
        out.errors.extend(_check_fields(obj, user, item.values, "edit", locked_cache))
    rules = org.rules_for(obj.name)
    is_lead = obj.name == "Lead"
    extra = ["IsDeleted"] + (["IsConverted"] if is_lead else [])
    # Only the columns the rules read are fetched and decoded (a rule sees the record as it
    # would be after the write: stored values overlaid with the new ones).
    rule_columns = {(obj.field(n) or {}).get("name") for rule in rules for n in rule.names}
    columns = extra + sorted(c for c in rule_columns if c and c not in extra)
    rule_verdicts: dict[tuple[Any, ...], list[RecordError]] = {}
    with org.store.locked() as conn:
        references.check(org, conn, obj, items, outcomes)
        wanted = [o.id for o in outcomes if o.id and not o.errors]
        existing = org.store.fetch_by_ids(conn, obj, wanted, columns)
        for item, out in zip(items, outcomes, strict=False):
            if out.errors or out.id is None:
                continue
            row = existing.get(out.id)
            if row is None:
                out.errors.append(
                    RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
                )
                continue
            current = dict(zip(columns, row, strict=False))
            if current.get("IsDeleted"):
                out.errors.append(RecordError("ENTITY_IS_DELETED", "entity is deleted"))
                continue
            if is_lead and current.get("IsConverted"):
                out.errors.append(
                    RecordError("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead")
                )
                continue
            if rules:
                # Rules read only their own fields: overlay just those of the new values. Their
                # verdict depends on nothing else, so records alike are judged once per request.
                touched = tuple((k, v) for k, v in item.values.items() if k in rule_columns)
                verdict = rule_verdicts.get((row, touched))
                if verdict is None:
                    merged = {k: decode(obj.fields[k]["type"], v) for k, v in current.items()}
                    merged.update({k: decode(obj.fields[k]["type"], v) for k, v in touched})
                    verdict = rule_verdicts[(row, touched)] = _check_rules(org, obj, merged)
                out.errors.extend(verdict)
        to_write = _finish(org, outcomes, all_or_none, faults=not dry_run)
        if dry_run:
            return outcomes
        if to_write:
            now = now_iso()
            changes = []
            for i in to_write:
                values = {k: round_number(obj.fields[k], v) for k, v in items[i].values.items()}
                values.update(
                    {"LastModifiedDate": now, "SystemModstamp": now, "LastModifiedById": user.id}
                )
                changes.append((outcomes[i].id, values))
            conn.execute("BEGIN")
            try:
                org.store.update_rows(conn, obj, changes)
                if any({"FirstName", "LastName"} & set(items[i].values) for i in to_write):
                    _recompute_names(conn, obj, [outcomes[i].id for i in to_write])
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
    org.stats.add(updated=len(to_write))
    return outcomes


def create(
    org: Org,
    user: User,
    obj: ObjectDef,
    items: Sequence[Pending],
    *,
    all_or_none: bool = False,
    dry_run: bool = False,
) -> list[Outcome]:
    """Insert new records (the target never calls this; tests prove it)."""
    outcomes = [Outcome(None, list(p.errors)) for p in items]
    can_create = user.can(obj.name, "create")
    required = [
        name
        for name, f in obj.fields.items()
        if not f.get("nillable", True)
        and f.get("createable", True)
        and f["type"] != "boolean"
        and not f.get("defaultedOnCreate")
    ]
    for item, out in zip(items, outcomes, strict=False):
        if out.errors:
            continue
        if not can_create:
            out.errors.append(_insufficient())
            continue
        missing = [r for r in required if item.values.get(r) in (None, "")]
        if missing:
            out.errors.append(
                RecordError(
                    "REQUIRED_FIELD_MISSING",
                    f"Required fields are missing: [{', '.join(missing)}]",
                    tuple(missing),
                )
            )
            continue
        out.errors.extend(
            e
            for e in _check_fields(obj, user, item.values, "create")
            if e.status_code != "REQUIRED_FIELD_MISSING"
        )
        if not out.errors and org.rules_for(obj.name):
            merged = {k: decode(obj.fields[k]["type"], v) for k, v in item.values.items()}
            out.errors.extend(_check_rules(org, obj, merged))
    with org.store.locked() as conn:
        references.check(org, conn, obj, items, outcomes)
        if dry_run:
            _finish(org, outcomes, all_or_none, faults=False)
            return outcomes
        valid = [i for i, o in enumerate(outcomes) if o.success]
        new_ids = iter(org.store.new_ids(obj.key_prefix, len(valid)))
        for i in valid:
            outcomes[i].id = next(new_ids)
        to_write = _finish(org, outcomes, all_or_none)
        if to_write:
            now = now_iso()
            rows = []
            template = default_values(obj, now, user.id)
            for i in to_write:
                row = {k: round_number(obj.fields[k], v) for k, v in items[i].values.items()}
                row = {**template, **row, "Id": outcomes[i].id}
                rows.append(row)
            conn.execute("BEGIN")
            try:
                org.store.insert_rows(conn, obj, rows)
                _recompute_names(conn, obj, [r["Id"] for r in rows])
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        for i, out in enumerate(outcomes):
            out.created = out.success
            if not out.success and i in valid:
                out.id = None
    org.stats.add(created=len(to_write))
    return outcomes


def delete(
    org: Org, user: User, obj: ObjectDef, items: Sequence[Pending], *, all_or_none: bool = False
) -> list[Outcome]:
    """Soft-delete records (``IsDeleted`` = 1, as the recycle bin keeps them)."""
    outcomes = [Outcome(None, list(p.errors)) for p in items]
    _resolve_ids(obj, items, outcomes, "delete")
    can_delete = user.can(obj.name, "delete")
    with org.store.locked() as conn:
        wanted = [o.id for o in outcomes if o.id and not o.errors]
        existing = org.store.fetch_by_ids(conn, obj, wanted, ["IsDeleted"])
        for out in outcomes:
            if out.errors or out.id is None:
                continue
            if not can_delete:
                out.errors.append(_insufficient())
            elif out.id not in existing:
                out.errors.append(
                    RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
                )
            elif existing[out.id][0]:
                out.errors.append(RecordError("ENTITY_IS_DELETED", "entity is deleted"))
        to_write = _finish(org, outcomes, all_or_none)
        if to_write:
            now = now_iso()
            conn.execute("BEGIN")
            try:
                org.store.update_rows(
                    conn,
                    obj,
                    [
                        (
                            outcomes[i].id,
                            {
                                "IsDeleted": 1,
                                "LastModifiedDate": now,
                                "SystemModstamp": now,
                                "LastModifiedById": user.id,
                            },
                        )
                        for i in to_write
                    ],
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
    org.stats.add(deleted=len(to_write))
    return outcomes
