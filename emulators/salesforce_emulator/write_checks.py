"""The checks of the write path, record by record: Ids, duplicate Ids, permissions and
field-level security, values, validation rules, then row-lock faults and all-or-none."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from . import ids
from .metadata import ObjectDef
from .validation import value_checker
from .write_errors import RecordError
from .write_results import ROLLED_BACK, Outcome, Pending

if TYPE_CHECKING:
    from .org import Org
    from .users import User

MAX_DUPLICATE_UPDATES = 12
"""SOAP ``update()``: of duplicate Ids in one call the first 12 are processed, the rest fail."""


def insufficient() -> RecordError:
    return RecordError("INSUFFICIENT_ACCESS_OR_READONLY", "insufficient access rights on object id")


FieldPlan = tuple[list[str], list[tuple[str, Callable[[Any], RecordError | None]]]]
"""Of one column set: its read-only fields, and the value check of each other field."""


def check_fields(
    obj: ObjectDef,
    user: User,
    values: dict[str, Any],
    action: str,
    plans: dict[tuple[str, ...], FieldPlan] | None = None,
) -> list[RecordError]:
    errors: list[RecordError] = []
    # The read-only fields and value checks of a column set are the same for every record of
    # a request: ``plans`` keeps them per column set.
    shape = tuple(values)
    plan = plans.get(shape) if plans is not None else None
    if plan is None:
        flag = "updateable" if action == "edit" else "createable"
        locked = [
            name
            for name in values
            if not obj.fields[name].get(flag, True) or not user.field_editable(obj.name, name)
        ]
        checks = [(name, value_checker(obj.fields[name])) for name in values if name not in locked]
        plan = (locked, checks)
        if plans is not None:
            plans[shape] = plan
    locked, checks = plan
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
    for name, check in checks:
        err = check(values[name])
        if err is not None:
            errors.append(err)
    return errors


def check_rules(org: Org, obj: ObjectDef, merged: dict[str, Any]) -> list[RecordError]:
    return [rule.error() for rule in org.rules_for(obj.name) if rule.fails(merged)]


def finish(
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


def resolve_ids(
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


def limit_duplicates(outcomes: list[Outcome]) -> None:
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
