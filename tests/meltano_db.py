"""Read what Meltano saved in a test's system database, without starting Meltano.

Shared by the e2e and safety suites (``tests/`` is on ``sys.path`` through the root conftest).
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any


def saved_singer_state(database: Path, state_id: str) -> dict[str, Any]:
    """The singer state saved for ``state_id`` ({} if none): what ``meltano state get`` prints
    under ``singer_state`` — the completed state with any partial state merged over it."""
    if not database.exists():
        return {}
    with closing(sqlite3.connect(database)) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        if "state" not in tables:
            return {}
        row = connection.execute(
            "SELECT completed_state, partial_state FROM state WHERE state_id = ?", (state_id,)
        ).fetchone()
    if row is None:
        return {}
    completed = json.loads(row[0] or "{}").get("singer_state", {})
    partial = json.loads(row[1] or "{}").get("singer_state", {})
    return completed | partial
