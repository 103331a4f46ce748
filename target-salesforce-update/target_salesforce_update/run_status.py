"""A stream's status, from its rows and how its run ended, and what follows from it: whether
the target exits non-zero (``fail_on``) and whether the stream's bookmark is withheld.

:class:`.results.StreamResults` keeps a stream's counts and asks these rules.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "RUN_STATUSES",
    "STATUS_COMPLETED",
    "STATUS_COMPLETED_WITH_FAILURES",
    "STATUS_COMPLETED_WITH_REJECTIONS",
    "STATUS_FAILED",
    "exits_nonzero",
    "row_status",
    "withhold_reason",
]

#: Every mapped value of every matched row landed (or, in a dry run, would have been sent).
STATUS_COMPLETED = "completed"
#: The stream ran to its end, but some rows were rejected before writing (a value or key that
#: does not fit the field, a missing column): their values did not land.
STATUS_COMPLETED_WITH_REJECTIONS = "completed_with_rejections"
#: The stream ran to its end, but Salesforce refused (or did not confirm) some rows' writes;
#: rejected rows may be present too. Takes precedence over ``completed_with_rejections``.
STATUS_COMPLETED_WITH_FAILURES = "completed_with_failures"
#: The run stopped (preflight, a fatal Salesforce error, ``multiple_matches: fail``...).
STATUS_FAILED = "failed"
#: Every status a finished stream can have (``running`` only while it runs).
RUN_STATUSES = (
    STATUS_COMPLETED,
    STATUS_COMPLETED_WITH_REJECTIONS,
    STATUS_COMPLETED_WITH_FAILURES,
    STATUS_FAILED,
)
#: ``fail_on`` values (see :mod:`.integration`) by the statuses that make the target exit
#: non-zero under each.
_NONZERO_UNDER: dict[str, frozenset[str]] = {
    "run_failure": frozenset({STATUS_FAILED}),
    "failed_rows": frozenset({STATUS_FAILED, STATUS_COMPLETED_WITH_FAILURES}),
    "rejected_rows": frozenset(
        {STATUS_FAILED, STATUS_COMPLETED_WITH_FAILURES, STATUS_COMPLETED_WITH_REJECTIONS}
    ),
}


def row_status(failed: int, rejected: int, folder: Path) -> tuple[str, str]:
    """The status ``failed`` and ``rejected`` rows earn, and its reason (empty for
    ``completed``); the reason points at ``failed.csv`` in the results ``folder``.

    Unmatched rows (no record has the key; nothing is created) and ambiguous rows skipped
    by ``multiple_matches: skip`` are reported outcomes the integration's settings chose:
    they are counted and listed, but do not change the status.
    """
    parts = []
    if failed:
        parts.append(f"{failed} row(s) failed: Salesforce refused or did not confirm the write")
    if rejected:
        parts.append(
            f"{rejected} row(s) rejected before writing (a value or key that does not fit)"
        )
    reason = "; ".join(parts) + (f"; see failed.csv in {folder}" if parts else "")
    if failed:
        return STATUS_COMPLETED_WITH_FAILURES, reason
    if rejected:
        return STATUS_COMPLETED_WITH_REJECTIONS, reason
    return STATUS_COMPLETED, ""


def exits_nonzero(status: str, fail_on: str) -> bool:
    """True when a stream with ``status`` makes the target exit non-zero under ``fail_on``."""
    return status in _NONZERO_UNDER.get(fail_on, _NONZERO_UNDER["failed_rows"])


def withhold_reason(*, dry_run: bool, status: str, rows: tuple[str, str]) -> str:
    """Why a stream's bookmark must not move past this export ("" when it may); ``rows`` is
    its :func:`row_status`.

    The re-read rule: a dry run, a failed run, or any rejected or failed row keeps the
    bookmark where it was, so the next run reads the newest export again; change detection
    then writes only the values that still differ.
    """
    if dry_run:
        return "dry run (nothing was written)"
    if status == STATUS_FAILED:
        return "the run failed"
    earned, reason = rows
    return "" if earned == STATUS_COMPLETED else reason
