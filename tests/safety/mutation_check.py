"""Show that the safety tests fail when a promise is broken (a developer tool, not a test).

For each mutation: copy ``target_salesforce_update`` to a temporary folder, break one thing in
the copy, and run the safety tests that guard it with ``PYTHONPATH`` pointing at the broken copy
(the target's console script then imports it). The repository is never modified. Every line of
the output must say ``caught``::

    .venv/bin/python tests/safety/mutation_check.py            # all mutations (a few minutes)
    .venv/bin/python tests/safety/mutation_check.py writes-skipped
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "target-salesforce-update" / "target_salesforce_update"

# name: (file in the package, text, replacement, pytest arguments: a file under tests/safety,
# or a path from the repository root)
MUTATIONS: dict[str, tuple[str, str, str, list[str]]] = {
    "writes-skipped": (
        "writer.py",
        "        if integration.dry_run or not any(group.changes for group in groups):",
        "        if True:",
        ["test_safety_crash.py", "-k", "collections"],
    ),
    "state-printed-before-writing": (
        "target.py",
        "        self.settle()\n        withheld = self._withheld_streams()",
        "        withheld = self._withheld_streams()",
        # a STATE the SDK prints mid-stream (max record age) must wait for the write spool
        ["tests/target/test_target_faults.py", "-k", "mid_stream_state or spool_is_written"],
    ),
    "fatal-salesforce-error-swallowed": (
        "sinks.py",
        "            self._process(records)\n"
        "        except SalesforceError as exc:\n"
        "            context.count_calls()\n"
        "            self._fail(exc.run_stopped_message())",
        "            self._process(records)\n"
        "        except SalesforceError as exc:\n"
        "            context.count_calls()\n"
        "            return",
        ["test_safety_faults.py", "-k", "daily_api"],
    ),
    "no-formula-escaping": (
        "results_files.py",
        "    if text.startswith(_UNSAFE_START):",
        "    if False:",
        ["test_safety_hostile_input.py", "-k", "formula"],
    ),
    "quote-escapes-only-quotes": (
        "soql.py",
        '    return "\'" + value.translate(_ESCAPE_TABLE) + "\'"',
        '    return "\'" + value.replace("\'", "\\\\\'") + "\'"',
        ["test_safety_properties.py", "-k", "quote"],
    ),
    "datetime-offset-ignored": (
        "date_values.py",
        "    moment = moment.astimezone(dt.timezone.utc)\n",
        "    moment = moment.replace(tzinfo=dt.timezone.utc)\n",
        ["test_safety_properties.py", "-k", "datetimes"],
    ),
    "http-allowed-to-any-host": (
        "salesforce/connection_settings.py",
        '    if not host:\n        return False\n    if host.lower() == "localhost":',
        '    if True:\n        return True\n    if host.lower() == "localhost":',
        ["test_safety_secrets.py", "-k", "target_refuses_http"],
    ),
    "access-token-logged": (
        "salesforce/transport.py",
        '            "Authorization": f"Bearer {token.access_token}",',
        '            "Authorization": f"Bearer {token.access_token}"'
        " if not __import__('logging').getLogger(__name__).warning("
        "'auth Bearer %s', token.access_token) else '',",
        ["test_safety_secrets.py", "-k", "target_at_debug_level"],
    ),
    "dry-run-state-printed": (
        "run_status.py",
        '    if dry_run:\n        return "dry run (nothing was written)"\n',
        "",
        ["tests/target/test_target_row_trust.py", "-k", "dry_run"],
    ),
    "bookmark-moved-past-failed-rows": (
        "target.py",
        "        withheld = self._withheld_streams()\n",
        "        withheld = {}\n",
        ["tests/target/test_target_row_trust.py", "-k", "withhold"],
    ),
    "status-says-completed-despite-bad-rows": (
        "results.py",
        "        if status is None or status == STATUS_COMPLETED:\n"
        "            status, reason = self.row_status()\n",
        "        if status is None or status == STATUS_COMPLETED:\n"
        '            status, reason = STATUS_COMPLETED, ""\n',
        ["tests/target/test_target_row_trust.py", "-k", "withhold or fail_on"],
    ),
    # issue 11: the Bulk path and the write journal
    "bulk-row-locks-not-retried": (
        "bulk_outcome.py",
        "            wanted = {key for key, errors in failures.items() if is_retryable(errors)}",
        "            wanted: set[str] = set()",
        ["test_safety_bulk_journal.py", "-k", "row_locks"],
    ),
    "literal-na-sent-through-bulk": (
        "salesforce/bulk_csv.py",
        "    return any(\n        isinstance(value, str) and value.strip() == NULL_CELL",
        "    return False and any(\n        isinstance(value, str) and value.strip() == NULL_CELL",
        ["tests/target/test_target_bulk_trust.py", "-k", "literal_na"],
    ),
    "bare-cr-left-unquoted": (
        "salesforce/bulk_csv.py",
        """_QUOTE_WHEN = frozenset(',"\\r\\n')""",
        """_QUOTE_WHEN = frozenset(',"\\n')""",
        ["tests/target/test_target_bulk_trust.py", "-k", "character_class"],
    ),
    "orphaned-bulk-job-left-running": (
        "reconcile.py",
        "    if state in _NOT_STARTED:",
        "    if False:",
        ["test_safety_bulk_journal.py", "-k", "orphaned"],
    ),
    "cut-bulk-poll-not-reconciled": (
        "reconcile.py",
        "        for key, entry in journal.entries().items()\n",
        "        for key, entry in {}.items()\n",
        ["tests/target/test_target_bulk_trust.py", "-k", "cut_bulk_poll"],
    ),
    "journal-settled-for-another-org": (
        "reconcile.py",
        '        if entry.get("org") in (None, "", journal.org)',
        "        if True",
        ["tests/target/test_target_journal_orgs.py"],
    ),
    "collections-slice-not-journaled": (
        "writer.py",
        '                    entry = journal.slice_started([p["Id"] for p in payloads])',
        "                    entry = None",
        ["test_safety_bulk_journal.py", "-k", "collections_write"],
    ),
    "sigterm-leaves-bulk-job-running": (
        "job_journal.py",
        "            if not _abort_running(number) and callable(previous):",
        "            if callable(previous):",
        ["test_safety_bulk_journal.py", "-k", "sigterm"],
    ),
}


def _paths(tests: list[str]) -> list[str]:
    first = tests[0] if tests[0].startswith("tests/") else f"tests/safety/{tests[0]}"
    return [first, *tests[1:]]


def run(name: str, work: Path) -> bool:
    """Apply mutation ``name`` to a copy and return True when the guarding tests fail."""
    file, text, replacement, tests = MUTATIONS[name]
    copy = work / name
    shutil.copytree(PACKAGE, copy / PACKAGE.name)
    path = copy / PACKAGE.name / file
    source = path.read_text(encoding="utf-8")
    if source.count(text) != 1:
        raise SystemExit(f"{name}: the code to break changed in {file}; update this mutation")
    path.write_text(source.replace(text, replacement), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *_paths(tests)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(copy)},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    caught = done.returncode == 1
    print(f"{name}: {'caught' if caught else 'NOT CAUGHT'} ({lines[-1] if lines else '?'})")
    return caught


def main(names: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="safety-mutations-") as work:
        results = [run(name, Path(work)) for name in names or list(MUTATIONS)]
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
