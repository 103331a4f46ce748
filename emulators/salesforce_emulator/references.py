"""Reference (lookup) field values: well-formed Ids of an allowed object that exists.

Salesforce rejects, per record (REST "sObject Collections" SaveResults, Bulk ``failedResults``):

* a value that is not a 15/18-character Id → ``MALFORMED_ID`` "Account ID: id value of
  incorrect type: S";
* a well-formed Id whose key prefix is not one of the field's ``referenceTo`` objects →
  ``FIELD_INTEGRITY_EXCEPTION`` with the same message;
* a well-formed Id of an allowed object that names no live record →
  ``INVALID_CROSS_REFERENCE_KEY`` "invalid cross reference id".

Objects a reference may point at but the emulator does not hold (Group, Profile, UserRole,
RecordType) are checked by key prefix only. Accepted values are stored in their 18-character
form.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from . import ids
from .metadata import ObjectDef, other_key_prefixes
from .write_errors import RecordError

if TYPE_CHECKING:
    import sqlite3

    from .org import Org
    from .write_results import Outcome, Pending


def _incorrect_type(code: str, fdesc: dict[str, Any], value: Any) -> RecordError:
    return RecordError(
        code, f"{fdesc['label']}: id value of incorrect type: {value}", (fdesc["name"],)
    )


def check(
    org: Org,
    conn: sqlite3.Connection,
    obj: ObjectDef,
    items: Sequence[Pending],
    outcomes: Sequence[Outcome],
) -> None:
    """Validate every reference value of the still-successful items; append errors in place."""
    ref_fields = [f for f in obj.fields.values() if f["type"] == "reference"]
    names = {f["name"] for f in ref_fields}
    if not names:
        return
    others = other_key_prefixes()
    # (target object, 18-character Id) → the items waiting for its existence check
    wanted: dict[str, set[str]] = {}
    checks: list[tuple[int, str, str, str]] = []  # (item index, field, target object, Id)
    for index, (item, out) in enumerate(zip(items, outcomes, strict=False)):
        if out.errors or not names & item.values.keys():
            continue
        for name in names & item.values.keys():
            value = item.values[name]
            if value is None:
                continue
            fdesc = obj.fields[name]
            norm = ids.normalize(value)
            if norm is None:
                out.errors.append(_incorrect_type("MALFORMED_ID", fdesc, value))
                continue
            target = None
            for ref_name in fdesc.get("referenceTo") or []:
                ref_obj = org.object(ref_name)
                prefix = ref_obj.key_prefix if ref_obj else others.get(ref_name)
                if prefix and norm.startswith(prefix):
                    target = ref_obj.name if ref_obj else ""
                    break
            else:
                out.errors.append(_incorrect_type("FIELD_INTEGRITY_EXCEPTION", fdesc, value))
                continue
            item.values[name] = norm
            if target:
                wanted.setdefault(target, set()).add(norm)
                checks.append((index, name, target, norm))
    live: dict[str, set[str]] = {}
    for target, id_set in wanted.items():
        target_obj = org.object(target)
        assert target_obj is not None
        rows = org.store.fetch_by_ids(conn, target_obj, sorted(id_set), ["IsDeleted"])
        live[target] = {rid for rid, (deleted,) in rows.items() if not deleted}
    for index, name, target, norm in checks:
        out = outcomes[index]
        if norm not in live[target] and not any(
            e.status_code == "INVALID_CROSS_REFERENCE_KEY" for e in out.errors
        ):
            out.errors.append(
                RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", (name,))
            )
