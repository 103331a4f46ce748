"""The rows of each demo report, drawn one at a time: `write_onboarding` (one row per end user)
and `write_nps` (one row per survey answer, repeat respondents' rows consecutive, oldest first).
Each row's key also gets its Salesforce records through `seed_records`."""

from __future__ import annotations

import random
from typing import Any

from .clock import Clock, utc_epoch
from .expected_counts import Tally
from .people import PersonFactory
from .report_catalog import (
    COMMENTS_BAD,
    COMMENTS_GOOD,
    COUNTRIES,
    EMPTY_KEY_RATE,
    NPS_HEADER,
    ONBOARDING_HEADER,
    QUESTION,
    SURVEYS,
)
from .salesforce_seed import RecordWriter, json_string, pick_category
from .seed_records import bystanders, emit_records, record_state


def write_onboarding(
    rng: random.Random,
    rows: int,
    now: int,
    writer: Any,
    seed_writer: RecordWriter,
    tally: Tally,
) -> None:
    factory = PersonFactory(rng)
    clock = Clock()
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
        state = record_state(rng, category)
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
        emit_records(rng, "Contact", person, category, state, values, seed_writer, tally)
    bystanders(factory, rng, tally, seed_writer)


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


def write_nps(
    rng: random.Random,
    rows: int,
    now: int,
    writer: Any,
    seed_writer: RecordWriter,
    tally: Tally,
) -> None:
    factory = PersonFactory(rng)
    clock = Clock()
    random_ = rng.random
    windows = [
        (name, sid, utc_epoch(start + "T00:00:00Z"), utc_epoch(end + "T23:59:59Z"))
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
        state = record_state(rng, category)
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
        emit_records(rng, "Lead", person, category, state, values, seed_writer, tally)
    bystanders(factory, rng, tally, seed_writer)
