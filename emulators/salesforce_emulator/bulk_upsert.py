"""Bulk API 2.0 ``upsert``: match each record on the job's external Id field, then update or
insert through :mod:`writes`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import writes
from .metadata import TEXT_TYPES
from .soql import SFCI_FOLD, sfci_fold
from .write_errors import RecordError

if TYPE_CHECKING:
    from .org import Org
    from .users import User


def upsert(
    org: Org, user: User, obj: Any, key: str, pending: list[writes.Pending]
) -> list[writes.Outcome]:
    """Upsert on ``key`` (an external Id field or ``Id``): update the one live match, insert
    when there is none, fail on several (``DUPLICATE_EXTERNAL_ID``)."""
    key_field = obj.field(key) if key != "Id" else None
    text_key = key_field is not None and key_field["type"] in TEXT_TYPES
    # Text keys compare case-insensitively, through the store's sfci_fold index.
    key_sql = f'{SFCI_FOLD}("{key}")' if text_key else f'"{key}"'
    outcomes: list[writes.Outcome | None] = [None] * len(pending)
    updates: list[tuple[int, writes.Pending]] = []
    inserts: list[tuple[int, writes.Pending]] = []
    with org.store.locked() as conn:
        for i, item in enumerate(pending):
            value = item.raw_id if key == "Id" else item.values.get(key)
            if item.errors:
                outcomes[i] = writes.Outcome(None, list(item.errors))
                continue
            if value in (None, ""):
                inserts.append((i, item))
                continue
            if key == "Id":
                updates.append((i, item))
                continue
            matches = [
                r[0]
                for r in conn.execute(
                    f'SELECT "Id" FROM "{obj.name}" WHERE {key_sql} = ? '  # noqa: S608 - identifiers are validated API names
                    'AND "IsDeleted" = 0',
                    (sfci_fold(value),),
                )
            ]
            if len(matches) > 1:
                outcomes[i] = writes.Outcome(
                    None,
                    [
                        RecordError(
                            "DUPLICATE_EXTERNAL_ID",
                            f"{key}: more than one record found for external id field: {matches}",
                            (key,),
                        )
                    ],
                )
            elif matches:
                item.raw_id = matches[0]
                updates.append((i, item))
            else:
                inserts.append((i, item))
    if updates:
        for (i, _), out in zip(
            updates, writes.update(org, user, obj, [p for _, p in updates]), strict=False
        ):
            outcomes[i] = out
    if inserts:
        for (i, _), out in zip(
            inserts, writes.create(org, user, obj, [p for _, p in inserts]), strict=False
        ):
            outcomes[i] = out
    return [o if o is not None else writes.Outcome(None) for o in outcomes]
