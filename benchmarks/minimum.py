"""The fewest Salesforce API calls an input allows (REST `IN` matching + the cheapest write).

    minimum = describe + match queries + writes

* the OAuth token request is not an API call (Salesforce and the emulator do not count it);
* describe = 1: the object's field types and permissions, needed before any write.
* match queries = max(⌈Σ encoded key bytes / query budget⌉, ⌈matched records / 2,000⌉): every
  distinct non-empty key (trimmed, case-folded as SOQL compares) must appear once, URL-encoded
  with its quotes and a `%2C` separator, in a `SELECT … WHERE Email IN (…)` whose request line
  plus headers fit Salesforce's 16,384 bytes (`GET /services/data/v67.0/query?q=… HTTP/1.1`,
  700 bytes left for headers); a query
  page holds at most 2,000 records.
* writes = 0 when nothing changes, else min(⌈changed / 200⌉ Collections calls, 5 per Bulk job):
  a Bulk API 2.0 job needs create, upload, close, ≥ 1 status poll and failedResults (successes
  are the rest); one job takes ≤ 100 MB of CSV (≈ 150 bytes per record here).

A Bulk *query* of
the whole object would need even fewer calls (≈ 4 + result pages) but reads every record of the
object, not only the report's keys; it is discussed in RESULTS.md, not used as the minimum.
"""

from __future__ import annotations

import csv
import math
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

REQUEST_LINE_LIMIT = 16_384
#: Salesforce caps the request line *plus* headers at 16,384 bytes: room for Host,
#: Authorization (a ~112-character bearer token), User-Agent, Accept and the like.
HEADER_ALLOWANCE = 700
QUERY_PATH = "/services/data/v67.0/query?q="
PAGE_RECORDS = 2_000
COLLECTION_RECORDS = 200
BULK_CALLS_PER_JOB = 5
BULK_JOB_BYTES = 100 * 1024 * 1024
BULK_BYTES_PER_RECORD = 150
FORMULA = (
    "min calls = 1 describe + max(ceil(sum of URL-encoded quoted keys + separators / "
    "(16,384 B request line + headers - 700 B headers - query prefix)), "
    "ceil(matched records / 2,000)) + (0 if nothing changes else "
    "min(ceil(changed / 200), 5 x ceil(changed x 150 B / 100 MB)))"
)


def soql_literal(text: str) -> str:
    """A SOQL string literal as the target sends it (backslash, quotes, controls escaped)."""
    escaped = (
        text.replace("\\", "\\\\")
        .replace("'", "\\'")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f"'{escaped}'"


@dataclass
class Minimum:
    """The minimum and its parts for one input."""

    distinct_keys: int
    queries: int
    writes: int

    @property
    def total(self) -> int:
        """describe + queries + writes."""
        return 1 + self.queries + self.writes


def minimum_calls(
    csv_path: Path, key_column: str, select_fields: list[str], matched: int, changed: int
) -> Minimum:
    """The minimum for the report at ``csv_path`` (``matched``/``changed`` from expected.json)."""
    seen: set[str] = set()
    key_bytes = 0
    with csv_path.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            key = (row.get(key_column) or "").strip()
            folded = key.casefold()
            if not key or folded in seen:
                continue
            seen.add(folded)
            key_bytes += len(urllib.parse.quote_plus(soql_literal(key))) + 3
    head = f"SELECT {', '.join(select_fields)} FROM Contact WHERE Email IN ()"
    budget = (
        REQUEST_LINE_LIMIT
        - HEADER_ALLOWANCE
        - len(f"GET {QUERY_PATH} HTTP/1.1")
        - len(urllib.parse.quote_plus(head))
    )
    queries = max(math.ceil(key_bytes / budget), math.ceil(matched / PAGE_RECORDS))
    if changed == 0:
        writes = 0
    else:
        jobs = math.ceil(changed * BULK_BYTES_PER_RECORD / BULK_JOB_BYTES)
        writes = min(math.ceil(changed / COLLECTION_RECORDS), BULK_CALLS_PER_JOB * jobs)
    return Minimum(len(seen), queries, writes)


def minimum_calls_in_child(
    csv_path: Path, key_column: str, select_fields: list[str], matched: int, changed: int
) -> Minimum:
    """:func:`minimum_calls` in a child process, so the benchmark's own memory stays small.

    Linux reports a child's peak RSS (``ru_maxrss``) as at least its parent's peak at the time
    it was started, so the process that starts the measured tap and target must stay lean: a
    set of 1M keys here would otherwise show up as the tap's and target's "peak".
    """
    import json
    import subprocess
    import sys

    args = {
        "csv": str(csv_path),
        "key_column": key_column,
        "select_fields": select_fields,
        "matched": matched,
        "changed": changed,
    }
    answer = subprocess.run(
        [sys.executable, __file__, json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return Minimum(**json.loads(answer.stdout))


if __name__ == "__main__":
    import json
    import sys
    from dataclasses import asdict

    given = json.loads(sys.argv[1])
    result = minimum_calls(
        Path(given["csv"]),
        given["key_column"],
        given["select_fields"],
        given["matched"],
        given["changed"],
    )
    print(json.dumps(asdict(result)))
