"""The Salesforce side of the demo world: which records each report key meets, written streaming.

Every distinct report key gets one *match category*, drawn at a documented rate per sObject:

| category       | Contact (onboarding) | Lead (NPS) | records written                            |
|----------------|----------------------|------------|--------------------------------------------|
| `match_exact`  | 72 %                 | 62 %       | one live record, `Email` = trimmed key      |
| `match_case`   |  8 %                 |  8 %       | one live record, `Email` in another case    |
| `missing`      | 10 %                 | 10 %       | none                                       |
| `duplicated`   |  5 %                 |  5 %       | two (20 %: three) live records, same e-mail |
| `deleted_only` |  5 %                 |  5 %       | one record with `IsDeleted: true`           |
| `converted`    |  —                   | 10 %       | one Lead with `IsConverted: true`           |

Of the matched keys (`match_exact` + `match_case`) 10 % are *unchanged*: their record already holds
the report's values in every mapped field; the others hold stale values (always an older last
seen / survey date) or, half of the time, no WalkMe values at all. Another 5 % of extra records
(bystanders) match no key: nothing may touch them.

The seed is Salesforce-emulator seed JSON with `records` only (the WalkMe custom fields come from
the emulator's built-in `default` seed), written record by record (one part file per report,
joined at the end) so a million-row world never sits in memory.
"""

from __future__ import annotations

import bisect
import json
import shutil
from collections.abc import Mapping, Sequence
from json.encoder import encode_basestring as json_string  # quotes and escapes; keeps non-ASCII
from pathlib import Path
from typing import IO, Any

CATEGORY_RATES: dict[str, dict[str, float]] = {
    "Contact": {
        "match_exact": 0.72,
        "match_case": 0.08,
        "missing": 0.10,
        "duplicated": 0.05,
        "deleted_only": 0.05,
    },
    "Lead": {
        "match_exact": 0.62,
        "match_case": 0.08,
        "missing": 0.10,
        "duplicated": 0.05,
        "deleted_only": 0.05,
        "converted": 0.10,
    },
}
__all__ = ["CATEGORY_RATES", "RecordWriter", "assemble_seed", "json_string", "pick_category"]

UNCHANGED_RATE = 0.10
BYSTANDER_RATE = 0.05


def _cumulative(rates: dict[str, float]) -> tuple[list[float], list[str]]:
    bounds, names, total = [], [], 0.0
    for category, rate in rates.items():
        total += rate
        bounds.append(total)
        names.append(category)
    return bounds, names


_CUMULATIVE = {sobject: _cumulative(rates) for sobject, rates in CATEGORY_RATES.items()}


def pick_category(sobject: str, u: float) -> str:
    """Map a uniform draw in [0, 1) to a match category of `sobject`."""
    bounds, names = _CUMULATIVE[sobject]
    return names[min(bisect.bisect_right(bounds, u), len(names) - 1)]


class RecordWriter:
    """Write one sObject's records, one JSON object per line, as the body of a JSON array.

    Each report writes its own part file (so reports can be generated in parallel);
    `assemble_seed` joins the parts into the seed. Hot paths pass records already encoded
    (`add_json`, built with `json_string`), because encoding dicts with floats through `json`
    costs several microseconds per record. With `path=None` records are only counted.
    """

    BATCH = 1000

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.count = 0
        self._out: IO[str] | None = None
        self._first_batch = True
        self._pending: list[str] = []

    def __enter__(self) -> RecordWriter:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._out = self.path.open("w", encoding="utf-8", newline="\n")
        return self

    def add(self, record: Mapping[str, Any]) -> None:
        """Append one record given as a mapping."""
        self.add_json(json.dumps(record, ensure_ascii=False, separators=(",", ":")))

    def add_json(self, record: str) -> None:
        """Append one record given as a JSON object text."""
        self.count += 1
        if self._out is not None:
            self._pending.append(record)
            if len(self._pending) >= self.BATCH:
                self._flush()

    def _flush(self) -> None:
        if self._out is None or not self._pending:
            return
        self._out.write("\n" if self._first_batch else ",\n")
        self._out.write(",\n".join(self._pending))
        self._first_batch = False
        self._pending.clear()

    def __exit__(self, *exc: object) -> None:
        if self._out is not None:
            self._flush()
            self._out.close()


def assemble_seed(seed_path: Path, parts: Sequence[tuple[str, Path]]) -> None:
    """Join per-sObject part files into `{"records": {"Contact": [...], ...}}`, then delete them.

    Streams the parts (no record is held in memory), so it works for any size.
    """
    seed_path.parent.mkdir(parents=True, exist_ok=True)
    with seed_path.open("w", encoding="utf-8", newline="\n") as out:
        out.write('{"records": {')
        for index, (sobject, part) in enumerate(parts):
            out.write(f"{', ' if index else ''}{json.dumps(sobject)}: [")
            with part.open(encoding="utf-8", newline="") as source:
                shutil.copyfileobj(source, out, 1 << 20)
            out.write("\n]")
        out.write("}}\n")
    for _, part in parts:
        part.unlink(missing_ok=True)
