"""The one write path shared by single-record REST, sObject Collections and Bulk API 2.0.

Callers turn their wire format into :class:`Pending` records (field values already converted
to the stored form; conversion failures recorded as errors), then call :func:`update`,
:func:`create` or :func:`delete`, which check Ids, permissions, values and validation rules,
inject row-lock faults, honour all-or-none, and write the surviving records with
``executemany`` in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from . import references, write_checks
from .metadata import ObjectDef
from .record_defaults import default_values
from .store import decode, now_iso, q
from .validation import round_number, rounder
from .write_checks import MAX_DUPLICATE_UPDATES
from .write_errors import RecordError
from .write_results import ROLLED_BACK, Outcome, Pending

if TYPE_CHECKING:
    from .org import Org
    from .users import User

# Names the callers use as ``writes.Pending`` etc.
__all__ = [
    "MAX_DUPLICATE_UPDATES",
    "ROLLED_BACK",
    "Outcome",
    "Pending",
    "create",
    "delete",
    "update",
]


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
    write_checks.resolve_ids(obj, items, outcomes, "update")
    write_checks.limit_duplicates(outcomes)
    can_edit = user.can(obj.name, "edit")
    plans: dict[tuple[str, ...], write_checks.FieldPlan] = {}
    for item, out in zip(items, outcomes, strict=False):
        if out.errors:
            continue
        if not can_edit:
            out.errors.append(write_checks.insufficient())
            continue
        errors = write_checks.check_fields(obj, user, item.values, "edit", plans)
        if errors:
            out.errors.extend(errors)
    rules = org.rules_for(obj.name)
    is_lead = obj.name == "Lead"
    extra = ["IsDeleted"] + (["IsConverted"] if is_lead else [])
    # Only the columns the rules read are fetched and decoded (a rule sees the record as it
    # would be after the write: stored values overlaid with the new ones).
    rule_columns = {(obj.field(n) or {}).get("name") for rule in rules for n in rule.names}
    columns = extra + sorted(c for c in rule_columns if c and c not in extra)
    rule_verdicts: dict[tuple[Any, ...], list[RecordError]] = {}
    # The fields of a column set that the rules read (in the record's order), per column set.
    rule_keys: dict[tuple[str, ...], tuple[str, ...]] = {}
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
            if row[0]:  # IsDeleted
                out.errors.append(RecordError("ENTITY_IS_DELETED", "entity is deleted"))
                continue
            if is_lead and row[1]:  # IsConverted
                out.errors.append(
                    RecordError("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead")
                )
                continue
            if rules:
                # Rules read only their own fields: overlay just those of the new values. Their
                # verdict depends on nothing else, so records alike are judged once per request.
                values = item.values
                shape = tuple(values)
                keys = rule_keys.get(shape)
                if keys is None:
                    keys = rule_keys[shape] = tuple(k for k in shape if k in rule_columns)
                touched = tuple((k, values[k]) for k in keys) if keys else ()
                verdict = rule_verdicts.get((row, touched))
                if verdict is None:
                    current = dict(zip(columns, row, strict=False))
                    merged = {k: decode(obj.fields[k]["type"], v) for k, v in current.items()}
                    merged.update({k: decode(obj.fields[k]["type"], v) for k, v in touched})
                    verdict = rule_verdicts[(row, touched)] = write_checks.check_rules(
                        org, obj, merged
                    )
                if verdict:
                    out.errors.extend(verdict)
        to_write = write_checks.finish(org, outcomes, all_or_none, faults=not dry_run)
        if dry_run:
            return outcomes
        if to_write:
            groups, names_changed = _update_groups(obj, user, items, outcomes, to_write)
            conn.execute("BEGIN")
            try:
                org.store.update_groups(conn, obj, groups)
                if names_changed:
                    _recompute_names(conn, obj, [outcomes[i].id for i in to_write])
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
    org.stats.add(updated=len(to_write))
    return outcomes


_AUDIT = ("LastModifiedDate", "SystemModstamp", "LastModifiedById")


def _update_groups(
    obj: ObjectDef,
    user: User,
    items: Sequence[Pending],
    outcomes: Sequence[Outcome],
    to_write: Sequence[int],
) -> tuple[dict[tuple[str, ...], list[tuple[Any, ...]]], bool]:
    """The ``UPDATE`` parameters of the records to write, grouped by column set as
    :meth:`Store.update_rows` groups them — each record's values rounded to their field's
    scale, then the audit fields (``{**rounded, LastModifiedDate: now, …}``) and its Id —, and
    whether any record sets FirstName or LastName. Each column set's plan (its columns and the
    rounding of each value) is worked out once."""
    now = now_iso()
    audit = (now, now, user.id)
    groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    # column set -> (the group's columns, its parameter list, rounders or None for a set
    # naming an audit field, which takes the general path)
    plans: dict[tuple[str, ...], tuple[tuple[str, ...], list[tuple[Any, ...]], list[Any] | None]]
    plans = {}
    names_changed = False
    for i in to_write:
        values = items[i].values
        record_id = outcomes[i].id
        shape = tuple(values)
        plan = plans.get(shape)
        if plan is None:
            cols = tuple(dict.fromkeys((*shape, *_AUDIT)))
            rounders = (
                [rounder(obj.fields[k]) for k in shape] if set(shape).isdisjoint(_AUDIT) else None
            )
            plan = plans[shape] = (cols, groups.setdefault(cols, []), rounders)
            names_changed = names_changed or not {"FirstName", "LastName"}.isdisjoint(shape)
        cols, params, rounders = plan
        if rounders is not None:
            params.append(
                (
                    *[
                        v if r is None else r(v)
                        for r, v in zip(rounders, values.values(), strict=False)
                    ],
                    *audit,
                    record_id,
                )
            )
        else:
            merged = {k: round_number(obj.fields[k], v) for k, v in values.items()}
            merged.update(zip(_AUDIT, audit, strict=True))
            params.append((*(merged[c] for c in cols), record_id))
    return groups, names_changed


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
    plans: dict[tuple[str, ...], write_checks.FieldPlan] = {}
    for item, out in zip(items, outcomes, strict=False):
        if out.errors:
            continue
        if not can_create:
            out.errors.append(write_checks.insufficient())
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
            for e in write_checks.check_fields(obj, user, item.values, "create", plans)
            if e.status_code != "REQUIRED_FIELD_MISSING"
        )
        if not out.errors and org.rules_for(obj.name):
            merged = {k: decode(obj.fields[k]["type"], v) for k, v in item.values.items()}
            out.errors.extend(write_checks.check_rules(org, obj, merged))
    with org.store.locked() as conn:
        references.check(org, conn, obj, items, outcomes)
        if dry_run:
            write_checks.finish(org, outcomes, all_or_none, faults=False)
            return outcomes
        valid = [i for i, o in enumerate(outcomes) if o.success]
        new_ids = iter(org.store.new_ids(obj.key_prefix, len(valid)))
        for i in valid:
            outcomes[i].id = next(new_ids)
        to_write = write_checks.finish(org, outcomes, all_or_none)
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
    write_checks.resolve_ids(obj, items, outcomes, "delete")
    can_delete = user.can(obj.name, "delete")
    with org.store.locked() as conn:
        wanted = [o.id for o in outcomes if o.id and not o.errors]
        existing = org.store.fetch_by_ids(conn, obj, wanted, ["IsDeleted"])
        for out in outcomes:
            if out.errors or out.id is None:
                continue
            if not can_delete:
                out.errors.append(write_checks.insufficient())
            elif out.id not in existing:
                out.errors.append(
                    RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
                )
            elif existing[out.id][0]:
                out.errors.append(RecordError("ENTITY_IS_DELETED", "entity is deleted"))
        to_write = write_checks.finish(org, outcomes, all_or_none)
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
