"""The counts a correct pipeline must produce for one report: its entry in `expected.json`."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .people import AWKWARD_RATES, Person
from .report_catalog import FIELD_MAPPING
from .salesforce_seed import CATEGORY_RATES


class Tally:
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
