"""A report's columns exactly as the tap sees them: property names, types and headers.

The target's field mapping is keyed by the tap's Singer property names (the report header in
snake_case, see docs/architecture.md), and preflight checks types against the tap's JSON schema.
So rather than guess, `add`/`edit` run the tap's own discovery on the report:

    tap-walkme-insights --config <tmp.json> --discover

with the base tap's resolved Meltano config (WalkMe credentials, region…) plus this report's
`report_name`, `source` and `key_column`. The executable is found on PATH, then in Meltano's
plugin venv. The temporary config holds secrets, so it is created 0600 and deleted at once.

When the export cannot be read from this machine, `--columns name:type,…` gives the columns by
hand (property names; types string, integer, number, boolean, date-time).

Discovery also takes a sample of the report's values — the first `SAMPLE_ROWS` records the tap
emits when it reads the export with the same config (no state: the newest export) — so that
`add`/`edit` can check them against each Salesforce field's type, length and picklist before
saving (:func:`.mapping.sample_problem`), and only offer fields they fit. The sample stays in
memory; it is never printed or written.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import SetupError

TAP_EXECUTABLE = "tap-walkme-insights"
#: Records read for the value check of `add`/`edit`.
SAMPLE_ROWS = 200
COLUMN_TYPES = ("string", "integer", "number", "boolean", "date-time")


@dataclass
class ReportColumns:
    """The stream schema of one report plus each property's original header."""

    stream: str
    schema: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    key_property: str | None = None
    #: Property → the values of the first records of the export (empty: not sampled).
    samples: dict[str, list[Any]] = field(default_factory=dict)
    #: Why no sample could be read ("" when sampled or not asked for).
    sample_error: str = ""

    @property
    def properties(self) -> dict[str, Any]:
        """Property name → JSON schema."""
        return dict(self.schema.get("properties") or {})

    def type_of(self, prop: str) -> str:
        """A short type label for listings, e.g. `number` or `string (date-time)`."""
        schema = self.properties.get(prop) or {}
        kinds = schema.get("type")
        kinds = [kinds] if isinstance(kinds, str) else list(kinds or [])
        label = "/".join(k for k in kinds if k != "null") or "any"
        return f"{label} ({schema['format']})" if schema.get("format") else label

    def resolve(self, name: str) -> str:
        """The property a user meant: a property name or a header, case-insensitively."""
        if name in self.properties:
            return name
        wanted = name.strip().casefold()
        for prop, header in self.headers.items():
            if header.strip().casefold() == wanted or prop.casefold() == wanted:
                return prop
        raise SetupError(
            f"{name!r} is not a column of report {self.stream!r}. Columns: "
            + ", ".join(f"{p} ({self.headers.get(p, p)})" for p in self.properties)
        )


def from_columns_flag(stream: str, text: str, key: str | None) -> ReportColumns:
    """Parse `--columns "end_user_id:string,total_sessions:integer,…"`."""
    properties: dict[str, Any] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, _, kind = part.partition(":")
        kind = (kind or "string").strip()
        if kind not in COLUMN_TYPES:
            raise SetupError(
                f"--columns: type {kind!r} of {name!r} is not one of {', '.join(COLUMN_TYPES)}."
            )
        if kind == "date-time":
            properties[name.strip()] = {"type": ["string", "null"], "format": "date-time"}
        else:
            properties[name.strip()] = {"type": [kind, "null"]}
    if not properties:
        raise SetupError("--columns is empty: list the report's columns as name:type,…")
    return ReportColumns(
        stream=stream, schema={"type": "object", "properties": properties}, key_property=key
    )


def find_tap(project_root: Path) -> str:
    """The tap executable: on PATH, else in Meltano's plugin virtualenv."""
    found = shutil.which(TAP_EXECUTABLE)
    if found:
        return found
    venv = project_root / ".meltano" / "extractors" / TAP_EXECUTABLE / "venv" / "bin"
    candidate = venv / TAP_EXECUTABLE
    if candidate.is_file():
        return str(candidate)
    raise SetupError(
        f"Cannot find {TAP_EXECUTABLE} to read the report's columns: run `meltano install` "
        "(or put it on PATH), or give the columns with --columns name:type,…"
    )


def discover(
    project_root: Path,
    base_config: Mapping[str, Any],
    *,
    stream: str,
    source: str,
    key_column: str,
    timeout: float = 300,
    sample_rows: int = SAMPLE_ROWS,
) -> ReportColumns:
    """Run the tap's discovery on one report and return its schema, headers and a sample."""
    config = {k: v for k, v in base_config.items() if k not in {"reports", "report_name", "source"}}
    config.update({"report_name": stream, "source": source, "key_column": key_column})
    executable = find_tap(project_root)
    fd, path = tempfile.mkstemp(prefix="tap-config-", suffix=".json")
    samples: dict[str, list[Any]] = {}
    sample_error = ""
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(config, handle)
        try:
            result = subprocess.run(
                [executable, "--config", path, "--discover"],
                capture_output=True,
                text=True,
                timeout=timeout,
                cwd=project_root,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise SetupError(
                f"Reading the report's columns took over {int(timeout)} s; check the source, "
                "or give the columns with --columns."
            ) from None
        if result.returncode == 0 and sample_rows > 0:
            samples, sample_error = sample_records(
                executable, path, project_root, limit=sample_rows, timeout=timeout
            )
    finally:
        Path(path).unlink(missing_ok=True)
    if result.returncode != 0:
        raise SetupError(
            f"The tap could not read report {stream!r} from its source: "
            f"{_last_error(result.stderr)}"
        )
    try:
        catalog = json.loads(result.stdout)
    except ValueError:
        raise SetupError("The tap's discovery printed no catalog JSON.") from None
    columns = parse_catalog(catalog, stream)
    columns.samples = samples
    columns.sample_error = sample_error
    return columns


def sample_records(
    executable: str, config_path: str, project_root: Path, *, limit: int, timeout: float
) -> tuple[dict[str, list[Any]], str]:
    """Run the tap (no state) and keep the values of its first `limit` records, by property.

    Returns (samples, error): the tap is stopped once enough records arrived; an error (the
    tap failed, or timed out) leaves the samples collected so far and says why.
    """
    samples: dict[str, list[Any]] = {}
    seen = 0
    process = subprocess.Popen(
        [executable, "--config", config_path],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        cwd=project_root,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    timer = threading.Timer(timeout, process.kill)
    timer.start()
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if '"RECORD"' not in line:
                continue
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if message.get("type") != "RECORD":
                continue
            for prop, value in (message.get("record") or {}).items():
                samples.setdefault(prop, []).append(value)
            seen += 1
            if seen >= limit:
                break
    finally:
        stopped_early = seen >= limit
        if process.poll() is None:
            process.terminate()
        try:
            _, stderr = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            _, stderr = process.communicate()
        timer.cancel()
    del stderr  # may quote report values: not shown
    if not stopped_early and process.returncode not in (0, None):
        return samples, f"the tap exited with code {process.returncode} reading the export"
    return samples, ""


def _last_error(stderr: str) -> str:
    """The most useful line of the tap's stderr (its error message, not a traceback)."""
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    for line in reversed(lines):
        if "Error" in line or "error" in line:
            return line
    return lines[-1] if lines else "no error output"


def parse_catalog(catalog: Mapping[str, Any], stream: str) -> ReportColumns:
    """Pull one stream's schema, key property and headers out of a Singer catalog."""
    entries = catalog.get("streams") or []
    entry = next(
        (e for e in entries if stream in {e.get("tap_stream_id"), e.get("stream")}),
        entries[0] if len(entries) == 1 else None,
    )
    if entry is None:
        raise SetupError(f"The tap's catalog has no stream {stream!r}.")
    headers: dict[str, str] = {}
    key_property = None
    for item in entry.get("metadata") or []:
        breadcrumb = item.get("breadcrumb") or []
        meta = item.get("metadata") or {}
        if len(breadcrumb) == 2 and breadcrumb[0] == "properties":
            header = meta.get("walkme-column") or meta.get("walkme_column")
            if header:
                headers[breadcrumb[1]] = str(header)
        elif not breadcrumb:
            keys = meta.get("table-key-properties") or []
            key_property = keys[0] if keys else None
    key_property = key_property or (entry.get("key_properties") or [None])[0]
    return ReportColumns(
        stream=str(entry.get("stream") or stream),
        schema=dict(entry.get("schema") or {}),
        headers=headers,
        key_property=key_property,
    )
