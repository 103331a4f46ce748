"""Key groups: the rows of a batch that share one match key, and the results line they earn.

A :class:`KeyGroup` is built per key (:func:`group_rows`), gets the records its key matched and
the changes per record, then the failures Salesforce reported; :func:`report` turns it into one
results line per row (``unmatched``, ``ambiguous``, ``failed``, ``updated`` or ``unchanged``).
No HTTP here.
"""

from __future__ import annotations

import typing as t
from collections.abc import Sequence
from dataclasses import dataclass, field

from .matching import PreparedRow, changed_fields, merge_values, row_preparer

if t.TYPE_CHECKING:
    from .preflight import Plan
    from .results import StreamResults
    from .spool import SpooledGroup

__all__ = ["KeyGroup", "diff_groups", "group_rows", "report", "report_written", "restore"]


@dataclass(slots=True)
class KeyGroup:
    """Rows sharing one key, the records it matched and what to write to each."""

    key: str
    key_text: str
    rows: list[PreparedRow]
    records: list[dict] = field(default_factory=list)
    changes: dict[str, dict[str, t.Any]] = field(default_factory=dict)  # Id -> changed fields
    failures: dict[str, tuple[str, str]] = field(default_factory=dict)  # Id -> (code, message)
    reported: bool = False
    #: ``(position, raw key)`` of each row, when rebuilt from the spool (``rows`` is empty).
    row_keys: list[tuple[int, t.Any]] | None = None


def group_rows(records: Sequence[dict], plan: Plan, results: StreamResults) -> dict[str, KeyGroup]:
    """Coerce each record to a row (rejected rows are reported here) and group rows by key."""
    groups: dict[str, KeyGroup] = {}
    first = results.reserve_positions(len(records))
    prepare_row = row_preparer(plan)
    for offset, record in enumerate(records):
        row = prepare_row(first + offset, record)
        if row.error or row.key is None:
            results.add("rejected", row=row.position, key=row.raw_key, error_message=row.error)
            continue
        group = groups.get(row.key)
        if group is None:
            groups[row.key] = KeyGroup(row.key, row.text or row.key, [row])
        else:
            group.rows.append(row)
    return groups


def restore(spooled: SpooledGroup) -> KeyGroup:
    """A key group rebuilt from the spool, enough to report its rows."""
    records = [{"Id": record_id} for record_id in spooled.record_ids]
    return KeyGroup("", "", [], records, spooled.changes, row_keys=spooled.rows)


def report(results: StreamResults, group: KeyGroup, policy: str, *, stopped: bool = False) -> None:
    """Write one results line per row of ``group`` (once: a reported group is skipped).

    ``policy`` is the integration's ``multiple_matches``; ``stopped`` marks a batch left
    unwritten because another of its keys matched several records under ``fail``.
    """
    if group.reported:
        return
    group.reported = True
    ids = [str(r["Id"]) for r in group.records]
    outcome: str
    extra: dict[str, t.Any] = {}
    if not group.records:
        outcome = "unmatched"
        extra = {"error_message": "no record has this key; nothing was created"}
    elif len(group.records) > 1 and policy in {"skip", "fail"}:
        outcome = "ambiguous"
        extra = {
            "error_code": "MULTIPLE_MATCHES",
            "error_message": f"{len(ids)} records match; multiple_matches={policy}",
        }
    elif stopped:
        outcome = "failed"
        extra = {
            "error_code": "NOT_WRITTEN",
            "error_message": "another key of this batch matched several records "
            "(multiple_matches=fail)",
        }
    elif group.failures:
        outcome = "failed"
        ids = list(group.failures)
        extra = {
            "error_code": ";".join(sorted({code for code, _ in group.failures.values()})),
            "error_message": " | ".join(
                f"{rid}: {msg}" for rid, (_, msg) in group.failures.items()
            ),
        }
    elif group.changes:
        outcome = "updated"
        changed = _merged(group.changes)
        extra = {"fields_changed": sorted(changed), "new_values": changed}
    else:
        outcome = "unchanged"
    row_keys = group.row_keys
    if row_keys is None:
        row_keys = [(row.position, row.raw_key) for row in group.rows]
    results.add_rows(outcome, row_keys, record_ids=ids, **extra)


def report_written(results: StreamResults, spooled: SpooledGroup) -> None:
    """The ``updated`` lines of a spooled group whose every record was written: what
    :func:`report` writes for :func:`restore` of it, without rebuilding the group."""
    changed = _merged(spooled.changes)
    results.add_rows(
        "updated",
        spooled.rows,
        record_ids=spooled.record_ids,
        fields_changed=sorted(changed),
        new_values=changed,
    )


def _merged(changes: dict[str, dict[str, t.Any]]) -> dict[str, t.Any]:
    """Every record's changes in one mapping (a single record's own, not copied)."""
    if len(changes) == 1:
        (changed,) = changes.values()
        return changed
    merged: dict[str, t.Any] = {}
    for fields in changes.values():
        merged.update(fields)
    return merged


def diff_groups(
    groups: dict[str, KeyGroup],
    found: dict[str, list[dict]],
    plan: Plan,
    results: StreamResults,
) -> list[KeyGroup]:
    """Give each group the records its key matched and the changes each record needs.

    Keys matching several records follow ``multiple_matches``: ``skip`` leaves them without
    changes; ``fail`` too, and they are returned (the caller stops the batch).
    """
    ambiguous_fail: list[KeyGroup] = []
    policy = plan.integration.multiple_matches
    for key, group in groups.items():
        group.records = found.get(key, [])
        if len(group.records) > 1:
            results.keys_with_multiple_matches += 1
            if policy == "fail":
                ambiguous_fail.append(group)
                continue
            if policy == "skip":
                continue
        desired = merge_values(group.rows)
        for sf_record in group.records:
            changes = changed_fields(desired, sf_record, plan)
            if changes:
                group.changes[str(sf_record["Id"])] = changes
    return ambiguous_fail
