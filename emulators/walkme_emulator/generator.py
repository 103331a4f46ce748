"""`walkme-emulator generate`: a deterministic demo world — WalkMe reports, a matching Salesforce
seed and `expected.json` with the exact counts a correct pipeline must produce.

Files written to `--out` (UTF-8, CRLF line ends, RFC 4180 quoting, optional BOM):

- `onboarding.csv` — one row per end user: `End User ID, Account Name, Onboarding Progress (%),
  Onboarding Completed, First seen timestamp, Last seen timestamp, Total sessions, Average session
  duration (min), Feature Adoption, Country`; matched against **Contact**;
- `nps.csv` — one row per survey answer: `End User ID, Survey Name, Survey ID, Question, Answer,
  Answer Freetext, Date (UTC), Question Date & Time (UTC)`; matched against **Lead**; 15 % of
  respondents answered 2-3 quarterly surveys, their rows consecutive and oldest first (so "last
  row wins" keeps the newest answer), the repeated key sometimes in another case or with spaces;
- `salesforce-seed.json` (or `--salesforce-seed PATH`) — see `salesforce_seed.py`;
- `expected.json` — per report: rows, empty-key rows, distinct keys, keys per match category,
  `should_match`, `should_update`, `unchanged`, `unmatched`, `ambiguous`, awkward-key counts.

Value formats: timestamps ISO 8601 UTC with `Z` (`2026-11-26T14:03:22Z`), dates `YYYY-MM-DD`,
booleans `true`/`false`, progress 0-100 with two decimals (`100.00` exactly when completed), NPS
answers 0-10, free text sometimes with commas, quotes, line breaks and non-ASCII. About 0.2 % of
rows have an empty `End User ID`. The export time (`--as-of`) is fixed, not the wall clock, so a
seed always gives byte-identical files. Rows are written as they are drawn: memory stays flat and
a million rows per report take tens of seconds.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import random
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from .clock import utc_epoch
from .expected_counts import Tally
from .report_catalog import REPORTS, SOBJECTS
from .report_rows import write_nps, write_onboarding
from .salesforce_seed import RecordWriter, assemble_seed

DEFAULT_AS_OF = "2026-11-26T09:00:00Z"
GENERATOR_VERSION = 1
PARALLEL_MIN_ROWS = 100_000  # below this, starting a second process costs more than it saves


class GeneratorError(ValueError):
    """Bad generator arguments; the message names the argument and what is allowed."""


def _as_of_epoch(text: str) -> int:
    try:
        return utc_epoch(text)
    except ValueError as exc:
        raise GeneratorError(
            f"--as-of {text!r} is not an ISO 8601 time; use e.g. 2026-11-26T09:00:00Z"
        ) from exc


def generate(
    *,
    rows: int,
    out_dir: Path,
    seed: int = 42,
    reports: Sequence[str] = REPORTS,
    salesforce_seed_path: Path | None = None,
    as_of: str | None = None,
    bom: bool = False,
    jobs: int | None = None,
) -> dict[str, Any]:
    """Write the demo world and return what was written to `expected.json`.

    `jobs`: processes generating reports side by side (default: 2 from `PARALLEL_MIN_ROWS` rows
    on, else 1); the output is the same whatever the value.
    """
    if rows < 0:
        raise GeneratorError(f"--rows must be 0 or more, got {rows}")
    unknown = [r for r in reports if r not in REPORTS]
    if unknown or not reports:
        raise GeneratorError(
            f"unknown report(s) {unknown}; choose from {', '.join(REPORTS)}"
            if unknown
            else "--reports is empty; choose from onboarding, nps"
        )
    as_of_text = as_of or DEFAULT_AS_OF
    now = _as_of_epoch(as_of_text)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    seed_path = salesforce_seed_path or out_dir / "salesforce-seed.json"
    jobs_list = [
        (report, rows, seed, now, out_dir, bom, seed_path.with_name(f".{seed_path.name}.{report}"))
        for report in REPORTS
        if report in reports
    ]
    workers = jobs if jobs is not None else (2 if rows >= PARALLEL_MIN_ROWS else 1)
    workers = max(1, min(workers, len(jobs_list), os.cpu_count() or 1))
    if workers > 1:
        # Reports use independent random streams, so generating them side by side gives the same
        # bytes. "spawn" avoids forking a process that may run threads (test helpers do).
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            results = list(pool.map(_generate_report, *zip(*jobs_list, strict=True)))
    else:
        results = [_generate_report(*job) for job in jobs_list]
    tallies = {job[0]: tally for job, (tally, _) in zip(jobs_list, results, strict=True)}
    counts = {SOBJECTS[job[0]]: count for job, (_, count) in zip(jobs_list, results, strict=True)}
    assemble_seed(seed_path, [(SOBJECTS[job[0]], job[6]) for job in jobs_list])
    expected = {
        "generator": {
            "version": GENERATOR_VERSION,
            "seed": seed,
            "rows_per_report": rows,
            "as_of": as_of_text,
            "bom": bom,
        },
        "key_normalisation": "trim surrounding whitespace, then Unicode case folding "
        "(str.strip().casefold()); Salesforce compares Email case-insensitively",
        "duplicate_keys": "rows repeating a key are consecutive, oldest first: last row wins",
        "categories": {
            "match_exact": "one live record whose Email equals the trimmed key",
            "match_case": "one live record whose Email differs from the key only in case",
            "missing": "no record",
            "duplicated": "two or three live records with that Email (ambiguous)",
            "deleted_only": "only a record with IsDeleted true (queries skip it: unmatched)",
            "converted": "one Lead with IsConverted true (a real org rejects updates to it)",
        },
        "reports": tallies,
        "salesforce_seed": {"path": str(seed_path), "records": counts},
    }
    (out_dir / "expected.json").write_text(
        json.dumps(expected, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return expected


def _generate_report(
    report: str, rows: int, seed: int, now: int, out_dir: Path, bom: bool, part: Path
) -> tuple[dict[str, Any], int]:
    """Write one report CSV and its sObject's seed records to `part`; return (tally, records)."""
    rng = random.Random(f"walkme-demo:{seed}:{report}")
    writer_fn = write_onboarding if report == "onboarding" else write_nps
    tally = Tally(SOBJECTS[report])
    with (
        RecordWriter(part) as records,
        (out_dir / f"{report}.csv").open("w", encoding="utf-8", newline="") as out,
    ):
        if bom:
            out.write("\ufeff")
        writer_fn(rng, rows, now, csv.writer(out), records, tally)
    return tally.as_json(report), records.count
