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
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .people import AWKWARD_RATES, Person, PersonFactory, toggle_case
from .salesforce_seed import (
    BYSTANDER_RATE,
    CATEGORY_RATES,
    UNCHANGED_RATE,
    RecordWriter,
    assemble_seed,
    json_string,
    pick_category,
)

DEFAULT_AS_OF = "2026-11-26T09:00:00Z"
REPORTS = ("onboarding", "nps")
SOBJECTS = {"onboarding": "Contact", "nps": "Lead"}
EMPTY_KEY_RATE = 0.002
GENERATOR_VERSION = 1
PARALLEL_MIN_ROWS = 100_000  # below this, starting a second process costs more than it saves

ONBOARDING_HEADER = (
    "End User ID",
    "Account Name",
    "Onboarding Progress (%)",
    "Onboarding Completed",
    "First seen timestamp",
    "Last seen timestamp",
    "Total sessions",
    "Average session duration (min)",
    "Feature Adoption",
    "Country",
)
NPS_HEADER = (
    "End User ID",
    "Survey Name",
    "Survey ID",
    "Question",
    "Answer",
    "Answer Freetext",
    "Date (UTC)",
    "Question Date & Time (UTC)",
)
FIELD_MAPPING = {
    "onboarding": {
        "Onboarding Progress (%)": "WalkMe_Onboarding_Progress__c",
        "Onboarding Completed": "WalkMe_Onboarding_Completed__c",
        "First seen timestamp": "WalkMe_First_Seen__c",
        "Last seen timestamp": "WalkMe_Last_Seen__c",
        "Total sessions": "WalkMe_Total_Sessions__c",
        "Average session duration (min)": "WalkMe_Avg_Session_Minutes__c",
        "Feature Adoption": "WalkMe_Feature_Adoption__c",
    },
    "nps": {
        "Answer": "WalkMe_NPS_Score__c",
        "Answer Freetext": "WalkMe_NPS_Comment__c",
        "Date (UTC)": "WalkMe_NPS_Survey_Date__c",
    },
}
COUNTRIES = (
    "United States",
    "United States",
    "United States",
    "United Kingdom",
    "Germany",
    "France",
    "Canada",
    "India",
    "Japan",
    "Brazil",
    "Australia",
    "Israel",
    "Netherlands",
    "España",
    "Côte d'Ivoire",
    "Korea, Republic of",
    "Curaçao",
    "Türkiye",
    "",
)
QUESTION = "How likely are you to recommend Acme Cloud to a friend or colleague?"
COMMENTS_GOOD = (
    "Love the new dashboards",
    "Great onboarding, the walkthroughs saved me hours",
    'The "Quick start" guide is excellent',
    "Fast, simple, reliable",
    "Très bien, merci !",
    "Support answered in minutes, thanks Zoë",
)
COMMENTS_BAD = (
    "Too slow, especially exports",
    "Pricing is confusing, and the invoices too",
    "I can't find the settings page",
    'Search returns "nothing found" for things that exist',
    "Login loops on Safari; had to clear cookies, twice",
    "Das Menü ist unübersichtlich",
)
SURVEYS = (  # name, id, window start, window end (UTC dates)
    ("Quarterly NPS \u2013 Q1 2026", "40117", "2026-01-05", "2026-03-27"),
    ("Quarterly NPS \u2013 Q2 2026", "40231", "2026-04-06", "2026-06-26"),
    ("Quarterly NPS \u2013 Q3 2026", "40388", "2026-07-06", "2026-09-25"),
    ("Quarterly NPS \u2013 Q4 2026", "40502", "2026-10-05", "2026-11-25"),
)


class GeneratorError(ValueError):
    """Bad generator arguments; the message names the argument and what is allowed."""


def _epoch(text: str) -> int:
    value = text.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise GeneratorError(
            f"--as-of {text!r} is not an ISO 8601 time; use e.g. 2026-11-26T09:00:00Z"
        ) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return int(parsed.timestamp())


class _Clock:
    """Fast epoch → text formatting (a per-day cache), the hot path of the generator."""

    def __init__(self) -> None:
        self._days: dict[int, str] = {}
        self._times = [
            f"{h:02d}:{m:02d}:{sec:02d}" for h in range(24) for m in range(60) for sec in range(60)
        ]

    def day(self, epoch: int) -> str:
        day = epoch // 86400
        text = self._days.get(day)
        if text is None:
            text = self._days[day] = time.strftime("%Y-%m-%d", time.gmtime(day * 86400))
        return text

    def iso(self, epoch: int) -> str:
        text = self._days.get(epoch // 86400) or self.day(epoch)
        return f"{text}T{self._times[epoch % 86400]}Z"

    def salesforce(self, epoch: int) -> str:
        """The Salesforce emulator's datetime storage form, `YYYY-MM-DDTHH:MM:SS.000+0000`."""
        return f"{self.day(epoch)}T{self._times[epoch % 86400]}.000+0000"


class _Tally:
    """Counts for one report's entry in expected.json."""

    def __init__(self, sobject: str) -> None:
        self.sobject = sobject
        self.rows = 0
        self.empty_key_rows = 0
        self.distinct_keys = 0
        self.categories: Counter[str] = Counter({c: 0 for c in CATEGORY_RATES[sobject]})
        self.unchanged = 0
        self.ambiguous_records = 0
        self.bystanders = 0
        self.awkward: Counter[str] = Counter({k: 0 for k in AWKWARD_RATES})

    def key(self, person: Person, category: str, unchanged: bool, records: int) -> None:
        self.distinct_keys += 1
        self.categories[category] += 1
        self.unchanged += unchanged
        if category == "duplicated":
            self.ambiguous_records += records
        for kind in person.awkward:
            self.awkward[kind] += 1

    def as_json(self, report: str) -> dict[str, Any]:
        c = self.categories
        should_match = c["match_exact"] + c["match_case"]
        return {
            "file": f"{report}.csv",
            "sobject": self.sobject,
            "key_column": "End User ID",
            "match_field": "Email",
            "rows": self.rows,
            "empty_key_rows": self.empty_key_rows,
            "distinct_keys": self.distinct_keys,
            "duplicate_key_rows": self.rows - self.empty_key_rows - self.distinct_keys,
            "keys": dict(c),
            "should_match": should_match,
            "unchanged": self.unchanged,
            "should_update": should_match - self.unchanged,
            "unmatched": c["missing"] + c["deleted_only"],
            "ambiguous": c["duplicated"],
            "ambiguous_records": self.ambiguous_records,
            "deleted_only": c["deleted_only"],
            "converted": c.get("converted", 0),
            "bystander_records": self.bystanders,
            "awkward_keys": dict(self.awkward),
            "field_mapping": FIELD_MAPPING[report],
        }


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
    now = _epoch(as_of_text)
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
    writer_fn = _write_onboarding if report == "onboarding" else _write_nps
    tally = _Tally(SOBJECTS[report])
    with (
        RecordWriter(part) as records,
        (out_dir / f"{report}.csv").open("w", encoding="utf-8", newline="") as out,
    ):
        if bom:
            out.write("\ufeff")
        writer_fn(rng, rows, now, csv.writer(out), records, tally)
    return tally.as_json(report), records.count


def _record_state(rng: random.Random, category: str) -> str:
    """For a matched key: does its record hold the report's values, stale ones, or none?"""
    if category not in ("match_exact", "match_case"):
        return "none"
    u = rng.random()
    if u < UNCHANGED_RATE:
        return "unchanged"
    return "stale" if u < (1 + UNCHANGED_RATE) / 2 else "none"


def _emit_records(
    rng: random.Random,
    sobject: str,
    person: Person,
    category: str,
    state: str,
    values: str,
    seed_writer: RecordWriter,
    tally: _Tally,
) -> None:
    """Write the Salesforce records one key meets and count the key.

    `values` is a JSON fragment (`,"Field":value…`) with the record's WalkMe fields, or "".
    """
    records = 0
    if category != "missing":
        email = person.key.strip()
        head = f'{{"FirstName":{json_string(person.first_name)}'
        head += f',"LastName":{json_string(person.last_name)}'
        if sobject == "Lead":
            head += f',"Company":{json_string(person.account_name)}'
            status = "Closed - Converted" if category == "converted" else "Open - Not Contacted"
            head += f',"Status":"{status}"'
        add = seed_writer.add_json
        if category == "match_exact":
            add(f'{head},"Email":{json_string(email)}{values}}}')
            records = 1
        elif category == "match_case":
            add(f'{head},"Email":{json_string(toggle_case(email))}{values}}}')
            records = 1
        elif category == "duplicated":
            records = 3 if rng.random() < 0.2 else 2
            for i in range(records):
                spelling = toggle_case(email) if i == 1 else email
                add(f'{head},"Email":{json_string(spelling)}}}')
        elif category == "deleted_only":
            add(f'{head},"Email":{json_string(email)},"IsDeleted":true}}')
            records = 1
        elif category == "converted":
            add(f'{head},"Email":{json_string(email)},"IsConverted":true}}')
            records = 1
    tally.key(person, category, state == "unchanged", records)


def _bystanders(
    factory: PersonFactory, rng: random.Random, tally: _Tally, writer: RecordWriter
) -> None:
    """Records no report key matches; a correct pipeline never touches them."""
    sobject = tally.sobject
    tally.bystanders = count = int(tally.distinct_keys * BYSTANDER_RATE)
    for _ in range(count):
        person = factory.next()
        record: dict[str, Any] = {
            "FirstName": person.first_name,
            "LastName": person.last_name,
            "Email": person.email.lower(),
        }
        if sobject == "Lead":
            record["Company"] = person.account_name
        if rng.random() < 0.5:
            record["WalkMe_Segment__c"] = "not in any report"
        writer.add(record)


def _write_onboarding(
    rng: random.Random,
    rows: int,
    now: int,
    writer: Any,
    seed_writer: RecordWriter,
    tally: _Tally,
) -> None:
    factory = PersonFactory(rng)
    clock = _Clock()
    iso = clock.iso
    random_ = rng.random
    writerow = writer.writerow
    writerow(ONBOARDING_HEADER)
    for _ in range(rows):
        tally.rows += 1
        if random_() < EMPTY_KEY_RATE:
            tally.empty_key_rows += 1
            writer.writerow(["", "", "0.00", "false", "", "", "0", "", "Low", ""])
            continue
        person = factory.next()
        first_seen = now - 3600 - int(random_() * 720 * 86400)
        span = now - first_seen
        last_seen = first_seen + int(span * (1 - random_() ** 3))
        days_active = max(1, (last_seen - first_seen) // 86400)
        if random_() < 0.02:
            sessions, average = 0, ""
            last_seen = first_seen
        else:
            sessions = 1 + int(days_active * random_() * 3)
            average = f"{0.5 + random_() * 44.5:.2f}"
        progress = 100.0 if random_() < 0.3 else round(random_() * 99.99, 2)
        completed = "true" if progress == 100.0 else "false"
        adoption = "High" if sessions > 300 else "Medium" if sessions > 60 else "Low"
        country = COUNTRIES[int(random_() * len(COUNTRIES))]
        writerow(
            [
                person.key,
                person.account_name,
                f"{progress:.2f}",
                completed,
                iso(first_seen),
                iso(last_seen),
                str(sessions),
                average,
                adoption,
                country,
            ]
        )
        category = pick_category("Contact", random_())
        state = _record_state(rng, category)
        values = ""
        if state == "unchanged":
            values = (
                f',"WalkMe_Onboarding_Progress__c":{progress!r}'
                f',"WalkMe_Onboarding_Completed__c":{completed}'
                f',"WalkMe_First_Seen__c":"{clock.salesforce(first_seen)}"'
                f',"WalkMe_Last_Seen__c":"{clock.salesforce(last_seen)}"'
                f',"WalkMe_Total_Sessions__c":{sessions}'
                f',"WalkMe_Feature_Adoption__c":"{adoption}"'
            )
            if average:
                values += f',"WalkMe_Avg_Session_Minutes__c":{float(average)!r}'
        elif state == "stale":
            older = last_seen - 86400 - int(random_() * 1e6)
            values = (
                f',"WalkMe_Onboarding_Progress__c":{round(progress * random_(), 2)!r}'
                ',"WalkMe_Onboarding_Completed__c":false'
                f',"WalkMe_First_Seen__c":"{clock.salesforce(first_seen)}"'
                f',"WalkMe_Last_Seen__c":"{clock.salesforce(older)}"'
                f',"WalkMe_Total_Sessions__c":{max(0, sessions - 1 - int(random_() * 20))}'
                ',"WalkMe_Feature_Adoption__c":"Low"'
            )
        _emit_records(rng, "Contact", person, category, state, values, seed_writer, tally)
    _bystanders(factory, rng, tally, seed_writer)


def _nps_comment(rng: random.Random, score: int) -> str:
    u = rng.random()
    if u < 0.4:
        return ""
    pool = COMMENTS_GOOD if score >= 7 else COMMENTS_BAD
    text = pool[int(rng.random() * len(pool))]
    if u > 0.9:
        text += "\n" + pool[int(rng.random() * len(pool))]  # a line break inside the cell
    elif u > 0.8:
        text += ", but " + pool[int(rng.random() * len(pool))].lower()
    return text


def _write_nps(
    rng: random.Random,
    rows: int,
    now: int,
    writer: Any,
    seed_writer: RecordWriter,
    tally: _Tally,
) -> None:
    factory = PersonFactory(rng)
    clock = _Clock()
    random_ = rng.random
    windows = [
        (name, sid, _epoch(start + "T00:00:00Z"), _epoch(end + "T23:59:59Z"))
        for name, sid, start, end in SURVEYS
    ]
    windows = [w for w in windows if w[2] < now] or windows[:1]
    writer.writerow(NPS_HEADER)
    written = 0
    while written < rows:
        if random_() < EMPTY_KEY_RATE:
            name, sid, start, end = windows[-1]
            moment = min(now, start + int(random_() * (end - start)))
            score = int(random_() * 11)
            writer.writerow(
                ["", name, sid, QUESTION, str(score), "", clock.day(moment), clock.iso(moment)]
            )
            written += 1
            tally.rows += 1
            tally.empty_key_rows += 1
            continue
        person = factory.next()
        u = random_()
        answers = 1 if u < 0.85 else 2 if u < 0.97 else 3
        answers = min(answers, rows - written, len(windows))
        if answers == 1:
            chosen = [int(random_() * len(windows))]
        else:
            chosen = sorted(rng.sample(range(len(windows)), answers))
        last: tuple[int, str, int] = (0, "", 0)
        last_key = person.key
        for i, window_index in enumerate(chosen):
            name, sid, start, end = windows[window_index]
            moment = min(now - 60, start + int(random_() * (end - start)))
            v = random_()
            score = 9 + int(random_() * 2) if v < 0.45 else 7 + int(random_() * 2)
            if v > 0.75:
                score = int(random_() * 7)
            comment = _nps_comment(rng, score)
            key = person.key
            if i > 0 and random_() < 0.3:
                key = person.key.strip().lower() if random_() < 0.5 else f" {person.key.strip()}"
            writer.writerow(
                [
                    key,
                    name,
                    sid,
                    QUESTION,
                    str(score),
                    comment,
                    clock.day(moment),
                    clock.iso(moment),
                ]
            )
            last = (score, comment, moment)
            last_key = key
        written += answers
        tally.rows += answers
        score, comment, moment = last
        category = pick_category("Lead", random_())
        state = _record_state(rng, category)
        values = ""
        if state == "unchanged":
            values = (
                f',"WalkMe_NPS_Score__c":{score},"WalkMe_NPS_Survey_Date__c":"{clock.day(moment)}"'
            )
            if comment:
                values += f',"WalkMe_NPS_Comment__c":{json_string(comment)}'
        elif state == "stale":
            values = (
                f',"WalkMe_NPS_Score__c":{int(random_() * 11)}'
                f',"WalkMe_NPS_Survey_Date__c":"{clock.day(moment - 120 * 86400)}"'
                ',"WalkMe_NPS_Comment__c":"(previous survey)"'
            )
        # Records are spelled relative to the row that wins (the last), like a correct tap sees it.
        person = person._replace(key=last_key)
        _emit_records(rng, "Lead", person, category, state, values, seed_writer, tally)
    _bystanders(factory, rng, tally, seed_writer)
