"""Helpers to run the real target in-process over Singer messages and read its results."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

STREAM_SCHEMA = {
    "type": "object",
    "properties": {
        "email": {"type": ["string", "null"]},
        "progress": {"type": ["string", "null"]},
        "completed": {"type": ["string", "null"]},
        "last_seen": {"type": ["string", "null"]},
        "segment": {"type": ["string", "null"]},
        "nps": {"type": ["string", "null"]},
    },
}


def schema_message(stream: str = "onboarding", schema: dict | None = None) -> str:
    return json.dumps(
        {
            "type": "SCHEMA",
            "stream": stream,
            "schema": schema or STREAM_SCHEMA,
            "key_properties": [],
        }
    )


def record_message(row: dict, stream: str = "onboarding", *, complete: bool = True) -> str:
    """A RECORD; ``complete`` gives it every column of :data:`STREAM_SCHEMA` it lacks (as None),
    like the real tap, whose records carry every column of the export."""
    if complete:
        row = {**dict.fromkeys(STREAM_SCHEMA["properties"]), **row}
    return json.dumps({"type": "RECORD", "stream": stream, "record": row})


def state_message(value: dict) -> str:
    return json.dumps({"type": "STATE", "value": value})


def singer_lines(
    rows: Iterable[dict], *, stream: str = "onboarding", state: dict | None = None
) -> list[str]:
    lines = [schema_message(stream)] + [record_message(r, stream) for r in rows]
    if state is not None:
        lines.append(state_message(state))
    return lines


@dataclass
class TargetRun:
    """What a target run produced: stdout lines, the error (if any) and the results folders."""

    stdout: list[str]
    error: BaseException | None
    results_dir: Path
    summaries: list[dict] = field(default_factory=list)

    def summary(self, stream: str = "onboarding") -> dict:
        matches = [s for s in self.summaries if s["stream"] == stream]
        assert matches, f"no summary for {stream}: {self.summaries}"
        return matches[-1]

    def rows(self, category: str, stream: str = "onboarding") -> list[dict]:
        folder = Path(self.summary(stream)["results_dir"])
        with (folder / f"{category}.csv").open(newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))


def run_target(
    config: dict,
    lines: Iterable[str],
    *,
    hooks: dict[int, Callable[[], None]] | None = None,
) -> TargetRun:
    """Run the real target in-process over ``lines``; ``hooks[i]`` runs before line ``i``.

    Hooks let a test change the emulator mid-run (expire tokens, inject faults) between
    messages, without touching the target.
    """
    from target_salesforce_update.target import TargetSalesforceUpdate

    hooks = hooks or {}
    lines = list(lines)

    def feed() -> Iterator[str]:
        for index, line in enumerate(lines):
            if index in hooks:
                hooks[index]()
            yield line + "\n"

    existing = set(Path(config["results_dir"]).glob("*/*/summary.json"))
    out = io.StringIO()
    error: BaseException | None = None
    with contextlib.redirect_stdout(out):
        try:
            target = TargetSalesforceUpdate(config=config)
            target.listen(feed())  # type: ignore[arg-type]
        except Exception as exc:
            error = exc
    results_dir = Path(config["results_dir"])
    new = sorted(
        set(results_dir.glob("*/*/summary.json")) - existing, key=lambda p: p.stat().st_mtime_ns
    )
    summaries = [json.loads(p.read_text()) for p in new]
    return TargetRun(out.getvalue().splitlines(), error, results_dir, summaries)


def unique_domain() -> str:
    return f"t{uuid.uuid4().hex[:8]}.example.com"


def seed_contacts(
    sf, domain: str, count: int = 0, *, rows: Iterable[dict] = (), obj: str = "Contact"
) -> list[str]:
    """Seed ``count`` records ``u<i>@<domain>``, then one per entry of ``rows`` (its fields over
    ``LastName: T``), into ``obj`` (through the inspection API); their e-mails, in order."""
    records = [{"LastName": "T", "Email": f"u{i}@{domain}"} for i in range(count)]
    records += [{"LastName": "T", **row} for row in rows]
    sf.seed({"records": {obj: records}})
    return [r["Email"] for r in records if r.get("Email")]


def contacts(sf, domain: str) -> dict[str, dict]:
    """The org's live Contacts of ``domain``, by e-mail."""
    return {
        r["Email"]: r
        for r in sf.records("Contact")
        if (r.get("Email") or "").endswith(domain) and not r.get("IsDeleted")
    }
