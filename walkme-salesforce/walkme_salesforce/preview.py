"""`preview`: a dry run of one integration — the first N changes as before → after.

Runs the real pipeline with nothing written to Salesforce and no Meltano state touched:

    tap-walkme-insights --config <tap.json>  |  target-salesforce-update --config <target.json>

with both configs resolved by Meltano for the integration's inherited plugins in the chosen
environment, and `dry_run: true` plus a temporary `results_dir` added to the target's. The
target's dry-run results say which records would change and to what (`updated.csv`, outcome
`would_update`, `new_values`); the current values ("before") of those first N records are read
with one SOQL query. Counts of unmatched and ambiguous keys come from its `summary.json`.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from target_salesforce_update.exceptions import SalesforceError
from target_salesforce_update.salesforce import SalesforceClient
from target_salesforce_update.soql import in_clause, quote_identifier

from .errors import SetupError
from .integrations import tap_name, target_name
from .report_columns import find_tap

_TARGET_CODE = (
    "from target_salesforce_update.target import TargetSalesforceUpdate; "
    "TargetSalesforceUpdate.cli()"
)


@contextmanager
def _private_json(document: Mapping[str, Any], folder: Path, name: str) -> Iterator[Path]:
    """A JSON file readable only by this user (configs hold secrets), deleted afterwards."""
    path = folder / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def _tail(path: Path, lines: int = 5) -> str:
    text = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return "\n".join(text[-lines:])


def run_dry(
    project_root: Path,
    tap_config: Mapping[str, Any],
    target_config: Mapping[str, Any],
    work: Path,
    *,
    timeout: float = 900,
) -> dict[str, Any]:
    """Run tap | target with dry_run in `work`; return the target's summary.json."""
    results_dir = work / "results"
    target_config = {**target_config, "dry_run": True, "results_dir": str(results_dir)}
    tap = find_tap(project_root)
    tap_log, target_log = work / "tap.log", work / "target.log"
    with (
        _private_json(tap_config, work, "tap.json") as tap_json,
        _private_json(target_config, work, "target.json") as target_json,
        tap_log.open("w") as tap_err,
        target_log.open("w") as target_err,
    ):
        producer = subprocess.Popen(
            [tap, "--config", str(tap_json)],
            stdout=subprocess.PIPE,
            stderr=tap_err,
            cwd=project_root,
        )
        consumer = subprocess.Popen(
            [sys.executable, "-c", _TARGET_CODE, "--config", str(target_json)],
            stdin=producer.stdout,
            stdout=subprocess.DEVNULL,
            stderr=target_err,
            cwd=project_root,
        )
        assert producer.stdout is not None
        producer.stdout.close()
        try:
            target_code = consumer.wait(timeout=timeout)
            tap_code = producer.wait(timeout=60)
        except subprocess.TimeoutExpired:
            producer.kill()
            consumer.kill()
            producer.wait()
            consumer.wait()
            raise SetupError(f"The preview did not finish within {int(timeout)} s.") from None
    if tap_code != 0:
        raise SetupError(f"The tap failed reading the report:\n{_tail(tap_log)}")
    summaries = sorted(results_dir.glob("*/*/summary.json"))
    if target_code != 0 and not summaries:
        raise SetupError(f"The target failed the dry run:\n{_tail(target_log)}")
    if not summaries:
        raise SetupError("The dry run wrote no results: did the report have any rows?")
    summary = json.loads(summaries[-1].read_text(encoding="utf-8"))
    summary["_folder"] = str(summaries[-1].parent)
    summary["_exit_code"] = target_code
    if target_code != 0:
        summary["_log_tail"] = _tail(target_log)
    return summary


def first_changes(folder: Path, limit: int) -> list[dict[str, Any]]:
    """The first `limit` would-update rows: key, record ids, new values."""
    rows: list[dict[str, Any]] = []
    path = folder / "updated.csv"
    if not path.exists():
        return rows
    with path.open(newline="", encoding="utf-8") as handle:
        for line in csv.DictReader(handle):
            if len(rows) >= limit:
                break
            raw = line.get("new_values") or "{}"
            raw = raw[1:] if raw.startswith("'") else raw
            key = line.get("key") or ""
            rows.append(
                {
                    "key": key[1:] if key.startswith("'") else key,
                    "record_ids": [r for r in (line.get("record_ids") or "").split(";") if r],
                    "new_values": json.loads(raw),
                }
            )
    return rows


def current_values(
    client: SalesforceClient, sobject: str, changes: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """The present values of the changed fields of these records, in one query."""
    ids = sorted({rid for change in changes for rid in change["record_ids"]})
    fields = sorted({name for change in changes for name in change["new_values"]})
    if not ids or not fields:
        return {}
    names = ", ".join(quote_identifier(name) for name in fields)
    soql = f"SELECT Id, {names} FROM {quote_identifier(sobject)} WHERE {in_clause('Id', ids)}"  # noqa: S608 (names validated, values quoted)
    return {str(record["Id"]): record for record in client.query(soql)}


def _show(value: Any) -> str:
    return "(empty)" if value is None or value == "" else json.dumps(value, ensure_ascii=False)


def dry_run_changes(
    project_root: Path,
    tap_config: Mapping[str, Any],
    target_config: Mapping[str, Any],
    *,
    limit: int,
    keep: Callable[[Path], None] | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Dry-run an integration: (summary.json, first `limit` changes, current values by id).

    `keep(folder)` is called with the dry run's results folder before it is deleted (the web
    console reads the unmatched/ambiguous/rejected rows' reasons from it).
    """
    sobject = str(target_config.get("sobject") or "")
    with tempfile.TemporaryDirectory(prefix="salesforce-preview-") as tmp:
        summary = run_dry(project_root, tap_config, target_config, Path(tmp))
        changes = first_changes(Path(summary["_folder"]), limit)
        if keep is not None:
            keep(Path(summary["_folder"]))
        before: dict[str, dict[str, Any]] = {}
        if changes:
            try:
                with SalesforceClient(target_config) as client:
                    before = current_values(client, str(summary.get("object") or sobject), changes)
            except SalesforceError as exc:
                raise SetupError(f"Could not read the current values: {exc}") from None
    return summary, changes, before


#: At most this many rejected rows are listed (all are counted; a real run lists every one in
#: its failed.csv).
MAX_REJECTED_SHOWN = 200


def _cell(value: str | None) -> str:
    """A results-CSV cell as written (the target prefixes formula-like cells with ')."""
    value = value or ""
    return value[1:] if value.startswith("'") else value


def rejected_rows(folder: Path, limit: int = MAX_REJECTED_SHOWN) -> list[dict[str, str]]:
    """The first `limit` rejected rows of a results folder: row, key, reason."""
    path = folder / "failed.csv"
    found: list[dict[str, str]] = []
    if not path.exists():
        return found
    with path.open(newline="", encoding="utf-8") as handle:
        for line in csv.DictReader(handle):
            if line.get("outcome") != "rejected":
                continue
            if len(found) >= limit:
                break
            code, message = _cell(line.get("error_code")), _cell(line.get("error_message"))
            found.append(
                {
                    "row": line.get("row") or "?",
                    "key": _cell(line.get("key")),
                    "reason": f"{code}: {message}" if code and message else code or message,
                }
            )
    return found


def preview(
    project_root: Path,
    name: str,
    tap_config: Mapping[str, Any],
    target_config: Mapping[str, Any],
    *,
    limit: int,
) -> int:
    """Dry-run the integration and print its first changes and its counts."""
    rejected: list[dict[str, str]] = []

    def keep(folder: Path) -> None:
        rejected.extend(rejected_rows(folder))

    summary, changes, before = dry_run_changes(
        project_root, tap_config, target_config, limit=limit, keep=keep
    )
    counts = summary.get("counts") or {}
    print(
        f"Preview of {name!r} ({tap_name(name)} → {target_name(name)}): report "
        f"{summary.get('stream')!r} → {summary.get('object')}, dry run, nothing written."
    )
    if not changes:
        print("No record would change.")
    else:
        print(f"First {len(changes)} change(s), before → after:")
    for change in changes:
        for record_id in change["record_ids"]:
            print(f"  {change['key']}  {summary.get('object')} {record_id}")
            current = before.get(record_id, {})
            for field_name, value in change["new_values"].items():
                print(f"      {field_name}: {_show(current.get(field_name))} → {_show(value)}")
    multiple = summary.get("keys_with_multiple_matches", 0)
    print(
        "Counts: would update {u}, unchanged {c}, unmatched {m}, ambiguous {a} (keys matching "
        "several records: {k}), rejected {r}, failed {f}.".format(
            u=counts.get("updated", 0),
            c=counts.get("unchanged", 0),
            m=counts.get("unmatched", 0),
            a=counts.get("ambiguous", 0),
            k=multiple,
            r=counts.get("rejected", 0),
            f=counts.get("failed", 0),
        )
    )
    rejected_count = int(counts.get("rejected", 0) or 0)
    if rejected:
        print(f"Rejected rows ({rejected_count}), their values would not be written:")
        for row in rejected:
            print(f"  row {row['row']} key {row['key']}: {row['reason']}")
        if rejected_count > len(rejected):
            print(f"  … and {rejected_count - len(rejected)} more.")
    if summary.get("_exit_code"):
        print(f"The dry run reported a failure:\n{summary.get('_log_tail', '')}")
        return 1
    total = int(summary.get("rows") or 0) or sum(int(value or 0) for value in counts.values())
    if rejected_count and rejected_count == total:
        print(
            f"Every row ({total}) was rejected: nothing would be written. Fix the mapping "
            "(`walkme-salesforce edit`) or the report's values, then preview again."
        )
        return 1
    return 0
