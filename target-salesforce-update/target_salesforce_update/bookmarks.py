"""The re-read rule: which STATE the target may print when some streams' values did not land.

A Singer STATE printed by the target is saved by Meltano at once and tells the tap, on the next
run, that everything before it was synced. When a stream had rejected or failed rows, or ran
as a dry run, its bookmark must not move past this export: the next run then reads the newest
export again and change detection writes only the values that still differ.

:func:`withhold_bookmarks` drops those streams' entries from a standard Singer state
(``{"bookmarks": {stream: ...}}``): Meltano saves the state the target prints as the complete
state, so the stream has no bookmark next time and the tap reads its newest export. A state of
any other shape, one without an entry for such a stream, or one left without bookmarks, is not
printed at all (Meltano keeps the previous state, whose bookmark points before this export).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any


def withhold_bookmarks(state: Mapping[str, Any], streams: Collection[str]) -> dict | None:
    """``state`` without the bookmarks of ``streams``; None when nothing may be printed."""
    if not streams:
        return dict(state)
    bookmarks = state.get("bookmarks")
    if not isinstance(bookmarks, Mapping) or any(name not in bookmarks for name in streams):
        return None  # not the standard shape, or no entry known to be the stream's
    kept = {name: value for name, value in bookmarks.items() if name not in streams}
    if not kept:
        return None
    trimmed = dict(state)
    trimmed["bookmarks"] = kept
    if trimmed.get("currently_syncing") in streams:
        trimmed["currently_syncing"] = None
    return trimmed
