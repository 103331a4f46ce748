"""``python -m salesforce_emulator.speedcheck --rows 100000``: how fast is the emulator?

Benchmarks of the pipeline must measure the client, not the emulator. This script measures the
emulator alone, over real HTTP, on a synthetic org of ``--rows`` Contacts, and prints one line
per figure (``--json`` for a machine-readable copy):

* start-up with a streamed seed file of that size (seed loading);
* match queries (``SELECT Id, Email, … FROM Contact WHERE Email IN (…)``) with 1 and 300 keys;
* one Bulk API 2.0 update job of every row, one field (``--bulk-delay-ms 0``);
* the same single-field update through sObject Collections, 200 records per call, 4 callers.

Wall times swing with other work on the machine; the emulator's CPU seconds (from ``/proc``,
Linux only) do not, so both are shown. Nothing is downloaded; everything runs on loopback.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from .testing import API_VERSION, SalesforceEmulator

FIELDS = (
    "Id, Email, WalkMe_Onboarding_Progress__c, WalkMe_Onboarding_Completed__c, "
    "WalkMe_First_Seen__c, WalkMe_Last_Seen__c, WalkMe_Total_Sessions__c, "
    "WalkMe_Avg_Session_Minutes__c, WalkMe_Feature_Adoption__c"
)


def write_seed(path: Path, rows: int) -> None:
    """A seed of ``rows`` Contacts shaped like the generator's (one record per line)."""
    with path.open("w", encoding="utf-8") as out:
        out.write('{"records": {"Contact": [\n')
        for n in range(rows):
            record: dict[str, Any] = {
                "FirstName": f"First{n}",
                "LastName": f"Last{n}",
                "Email": f"Speed.User{n}@Example.com",
            }
            if n % 2:
                record.update(
                    {
                        "WalkMe_Onboarding_Progress__c": n % 100 + 0.25,
                        "WalkMe_Onboarding_Completed__c": False,
                        "WalkMe_Last_Seen__c": "2026-11-20T00:38:37.000+0000",
                        "WalkMe_Feature_Adoption__c": "Low",
                    }
                )
            out.write(("," if n else "") + json.dumps(record, separators=(",", ":")) + "\n")
        out.write("]}}\n")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process (Linux ``/proc``), None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Client:
    """A keep-alive HTTP/1.1 connection with the bearer token (stdlib only)."""

    def __init__(self, instance_url: str, token: str) -> None:
        self.host = urlsplit(instance_url).netloc
        self.prefix = f"/services/data/v{API_VERSION}"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.conn = http.client.HTTPConnection(self.host, timeout=300)

    def call(self, method: str, path: str, body: Any = None, content_type: str = "") -> Any:
        headers = dict(self.headers)
        data: bytes | None = None
        if isinstance(body, bytes):
            data, headers["Content-Type"] = body, content_type or "text/csv"
        elif body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        self.conn.request(method, self.prefix + path, body=data, headers=headers)
        response = self.conn.getresponse()
        raw = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path[:80]} -> {response.status}: {raw[:300]!r}")
        ctype = response.getheader("Content-Type") or ""
        return json.loads(raw) if raw and ctype.startswith("application/json") else raw


def timed(samples: int, action: Callable[[int], Any]) -> list[float]:
    out = []
    for n in range(samples):
        started = time.perf_counter()
        action(n)
        out.append(time.perf_counter() - started)
    return out


def run(rows: int, workdir: Path) -> dict[str, Any]:
    seed = workdir / "speed-seed.json"
    write_seed(seed, rows)
    results: dict[str, Any] = {"rows": rows, "seed_mb": round(seed.stat().st_size / 1e6, 1)}
    started = time.perf_counter()
    with SalesforceEmulator(
        seeds=("default", str(seed)),
        extra_args=["--bulk-delay-ms", "0"],
        start_timeout=900,
    ) as sf:
        results["start_with_seed_s"] = round(time.perf_counter() - started, 2)
        assert sf.process is not None
        pid = sf.process.pid
        results["start_cpu_s"] = cpu_seconds(pid)
        token, instance = sf.login()
        client = Client(instance, token)

        def query(keys: list[int]) -> int:
            literals = ", ".join(f"'speed.user{k}@example.com'" for k in keys)
            soql = f"SELECT {FIELDS} FROM Contact WHERE Email IN ({literals})"  # noqa: S608 - SOQL of fixed test keys
            return client.call("GET", f"/query?q={quote(soql)}")["totalSize"]

        for keys in (1, 300):
            samples = 40 if keys == 1 else 30
            cpu = cpu_seconds(pid)
            times = timed(samples, lambda n, k=keys: query([(n * k + i) % rows for i in range(k)]))
            after = cpu_seconds(pid)
            results[f"query_{keys}_keys_median_ms"] = round(statistics.median(times) * 1000, 1)
            if cpu is not None and after is not None:
                results[f"query_{keys}_keys_cpu_ms"] = round((after - cpu) / samples * 1000, 1)

        ids = _all_ids(client)

        cpu = cpu_seconds(pid)
        started = time.perf_counter()
        job = client.call(
            "POST", "/jobs/ingest", {"object": "Contact", "operation": "update", "lineEnding": "LF"}
        )
        data = ("Id,WalkMe_Segment__c\n" + "".join(f"{i},Bulk\n" for i in ids)).encode()
        client.call("PUT", f"/jobs/ingest/{job['id']}/batches", data)
        client.call("PATCH", f"/jobs/ingest/{job['id']}", {"state": "UploadComplete"})
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            info = client.call("GET", f"/jobs/ingest/{job['id']}")
            if info["state"] in {"JobComplete", "Failed"}:
                break
            time.sleep(0.05)
        client.call("GET", f"/jobs/ingest/{job['id']}/failedResults")
        results["bulk_update_s"] = round(time.perf_counter() - started, 2)
        results["bulk_processed"] = info["numberRecordsProcessed"]
        after = cpu_seconds(pid)
        if cpu is not None and after is not None:
            results["bulk_update_cpu_s"] = round(after - cpu, 2)

        def collections(chunk: list[str]) -> int:
            caller = Client(instance, token)
            answer = caller.call(
                "PATCH",
                "/composite/sobjects",
                {
                    "allOrNone": False,
                    "records": [
                        {"attributes": {"type": "Contact"}, "id": i, "WalkMe_Segment__c": "Col"}
                        for i in chunk
                    ],
                },
            )
            return sum(1 for r in answer if r["success"])

        cpu = cpu_seconds(pid)
        started = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            done = sum(pool.map(collections, [ids[i : i + 200] for i in range(0, len(ids), 200)]))
        results["collections_update_s"] = round(time.perf_counter() - started, 2)
        results["collections_updated"] = done
        after = cpu_seconds(pid)
        if cpu is not None and after is not None:
            results["collections_update_cpu_s"] = round(after - cpu, 2)
    return results


def _all_ids(client: Client) -> list[str]:
    soql = "SELECT Id FROM Contact WHERE Email != null"
    page = client.call("GET", "/query?q=" + quote(soql))
    ids = [r["Id"] for r in page["records"]]
    while not page["done"]:
        page = client.call("GET", page["nextRecordsUrl"][len(client.prefix) :])
        ids += [r["Id"] for r in page["records"]]
    return ids


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m salesforce_emulator.speedcheck", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rows", type=int, default=100_000, help="Contacts in the org")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sf-speedcheck-") as tmp:
        results = run(args.rows, Path(tmp))
    for key, value in results.items():
        print(f"{key:32s} {value}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
