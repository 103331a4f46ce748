"""The Salesforce records one report key meets (by its match category) and the bystanders no key
matches, written to the seed as the report rows are drawn."""

from __future__ import annotations

import random
from typing import Any

from .expected_counts import Tally
from .people import Person, PersonFactory, toggle_case
from .salesforce_seed import BYSTANDER_RATE, UNCHANGED_RATE, RecordWriter, json_string


def record_state(rng: random.Random, category: str) -> str:
    """For a matched key: does its record hold the report's values, stale ones, or none?"""
    if category not in ("match_exact", "match_case"):
        return "none"
    u = rng.random()
    if u < UNCHANGED_RATE:
        return "unchanged"
    return "stale" if u < (1 + UNCHANGED_RATE) / 2 else "none"


def emit_records(
    rng: random.Random,
    sobject: str,
    person: Person,
    category: str,
    state: str,
    values: str,
    seed_writer: RecordWriter,
    tally: Tally,
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


def bystanders(
    factory: PersonFactory, rng: random.Random, tally: Tally, writer: RecordWriter
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
