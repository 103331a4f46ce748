"""Baseline: what many integrations do — one SOQL lookup and one PATCH per row.

For each row of the CSV: ``GET /query?q=SELECT Id FROM Contact WHERE Email = '<key>'``, then
one ``PATCH /sobjects/Contact/<Id>`` with every mapped value for each record found (no diff, no
batching, no concurrency). Run on a sample of rows; the caller extrapolates linearly. Usage:
``python naive_client.py --url URL --csv FILE --rows N`` (emulator demo credentials from the
built-in seed); prints one JSON line ``{"rows", "lookups", "patches", "errors", "wall_s"}``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from typing import Any

import requests

API = "/services/data/v67.0"
KEY_COLUMN = "End User ID"
#: report column → (Salesforce field, converter): the minimum a naive script would do.
MAPPING: dict[str, tuple[str, Any]] = {
    "Onboarding Progress (%)": ("WalkMe_Onboarding_Progress__c", float),
    "Onboarding Completed": ("WalkMe_Onboarding_Completed__c", lambda v: v.lower() == "true"),
    "First seen timestamp": ("WalkMe_First_Seen__c", str),
    "Last seen timestamp": ("WalkMe_Last_Seen__c", str),
    "Total sessions": ("WalkMe_Total_Sessions__c", float),
    "Average session duration (min)": ("WalkMe_Avg_Session_Minutes__c", float),
    "Feature Adoption": ("WalkMe_Feature_Adoption__c", str),
}


def login(session: requests.Session, url: str) -> str:
    """Password-flow token with the emulator's demo admin; returns the instance URL."""
    from salesforce_emulator import testing

    answer = session.post(
        f"{url}/services/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": testing.CLIENT_ID,
            "client_secret": testing.CLIENT_SECRET,
            "username": testing.ADMIN_USERNAME,
            "password": testing.ADMIN_PASSWORD + testing.ADMIN_SECURITY_TOKEN,
        },
        timeout=30,
    )
    answer.raise_for_status()
    token = answer.json()
    session.headers["Authorization"] = f"Bearer {token['access_token']}"
    return str(token["instance_url"])


def quote(text: str) -> str:
    """A SOQL string literal (backslash and quote escaped)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def run(url: str, path: str, rows: int) -> dict[str, Any]:
    """Process the first ``rows`` rows one by one; return the counts and wall time."""
    session = requests.Session()
    base = login(session, url) + API
    counts = {"rows": 0, "lookups": 0, "patches": 0, "errors": 0}
    started = time.perf_counter()
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if counts["rows"] >= rows:
                break
            counts["rows"] += 1
            key = row[KEY_COLUMN].strip()
            if not key:
                continue
            soql = f"SELECT Id FROM Contact WHERE Email = {quote(key)}"
            found = session.get(f"{base}/query", params={"q": soql}, timeout=60)
            counts["lookups"] += 1
            if not found.ok:
                counts["errors"] += 1
                continue
            body = {
                field: convert(row[column])
                for column, (field, convert) in MAPPING.items()
                if row.get(column, "").strip()
            }
            for record in found.json()["records"]:
                answer = session.patch(
                    f"{base}/sobjects/Contact/{record['Id']}", json=body, timeout=60
                )
                counts["patches"] += 1
                counts["errors"] += not answer.ok
    counts["wall_s"] = time.perf_counter() - started
    return counts


def main() -> int:
    """Command line; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--csv", required=True)
    parser.add_argument("--rows", type=int, default=200)
    args = parser.parse_args()
    print(json.dumps(run(args.url, args.csv, args.rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
