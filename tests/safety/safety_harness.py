"""Helpers for the crash, fault, hostile-input and secrets suite (``tests/safety``).

Everything here drives the real console scripts (``target-salesforce-update``,
``tap-walkme-insights``) as subprocesses over real HTTP against the emulators, so a test can
SIGKILL them exactly as an operating system or an operator would. Nothing of the tap or the
target is imported or patched here.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
TARGET = str(BIN / "target-salesforce-update")
TAP = str(BIN / "tap-walkme-insights")
STREAM = "onboarding"
RUN_TIMEOUT_S = 120.0

#: Fields the integration under test maps (source property → Contact field).
FIELD_MAPPING = {
    "progress": "WalkMe_Onboarding_Progress__c",
    "completed": "WalkMe_Onboarding_Completed__c",
    "last_seen": "WalkMe_Last_Seen__c",
    "segment": "WalkMe_Segment__c",
}

SCHEMA = {
    "type": "object",
    "properties": {
        "email": {"type": ["string", "null"]},
        "progress": {"type": ["number", "string", "null"]},
        "completed": {"type": ["boolean", "string", "null"]},
        "last_seen": {"type": ["string", "null"]},
        "segment": {"type": ["string", "null"]},
    },
}

#: Fields that legitimately differ between two runs writing the same values.
#: ``CreatedDate`` is the time the seed was applied (every reset), the others every write's.
VOLATILE_FIELDS = {"CreatedDate", "LastModifiedDate", "SystemModstamp", "LastModifiedById"}


# ---------------------------------------------------------------------------- Singer input


def schema_line(stream: str = STREAM, schema: Mapping[str, Any] | None = None) -> str:
    return json.dumps(
        {"type": "SCHEMA", "stream": stream, "schema": schema or SCHEMA, "key_properties": []}
    )


def record_line(row: Mapping[str, Any], stream: str = STREAM) -> str:
    """A RECORD carrying every column of :data:`SCHEMA` (None when the row has none), as the
    real tap emits them: a mapped column missing from a record is a rejected row."""
    return json.dumps(
        {
            "type": "RECORD",
            "stream": stream,
            "record": {**dict.fromkeys(SCHEMA["properties"]), **row},
        }
    )


def state_line(value: Mapping[str, Any]) -> str:
    return json.dumps({"type": "STATE", "value": dict(value)})


def bookmark(upto: int, stream: str = STREAM) -> dict[str, Any]:
    """A tap-like bookmark saying "rows 1..upto of the export were synced"."""
    return {"bookmarks": {stream: {"export": "export-1", "rows_synced": upto}}}


def singer_text(
    rows: list[Mapping[str, Any]], *, state_every: int = 0, stream: str = STREAM
) -> str:
    """SCHEMA, the RECORDs, a STATE every ``state_every`` rows (if > 0) and a final STATE."""
    lines = [schema_line(stream)]
    for index, row in enumerate(rows, start=1):
        lines.append(record_line(row, stream))
        if state_every and index % state_every == 0 and index < len(rows):
            lines.append(state_line(bookmark(index, stream)))
    lines.append(state_line(bookmark(len(rows), stream)))
    return "\n".join(lines) + "\n"


def contact_rows(count: int, tag: str, *, variant: str = "v1") -> list[dict[str, Any]]:
    """``count`` report rows for the contacts :func:`contact_seed` creates, all with changes."""
    segments = ("Alpha", "Beta", "Gamma")
    return [
        {
            "email": f"{tag}.{i:05d}@example.com",
            "progress": round((i * 7) % 100 + 0.25, 2),
            "completed": i % 2 == 0,
            "last_seen": f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:15:00Z",
            "segment": f"{segments[i % 3]} {variant}",
        }
        for i in range(count)
    ]


def contact_seed(count: int, tag: str) -> dict[str, Any]:
    """A seed of ``count`` contacts whose e-mails :func:`contact_rows` uses."""
    return {
        "records": {
            "Contact": [
                {"LastName": f"{tag} {i}", "Email": f"{tag}.{i:05d}@example.com"}
                for i in range(count)
            ]
        }
    }


#: Contacts seeded (by tests/safety/conftest.py) for the crash and fault tests.
CONTACTS = 600
TAG = "safety"
#: One report row per tagged contact, each changing its four mapped fields.
ROWS = contact_rows(CONTACTS, TAG)
#: The Singer input: SCHEMA, the rows with a tap-like STATE every 150 rows, a final STATE.
INPUT = singer_text(ROWS, state_every=150)
FINAL_STATE = bookmark(len(ROWS))


# ---------------------------------------------------------------------------- configuration


def default_seed() -> dict[str, Any]:
    """The emulator's built-in ``default`` seed (emulator-only demo credentials)."""
    from importlib import resources

    text = resources.files("salesforce_emulator.seeds").joinpath("default.json").read_text()
    return json.loads(text)


def target_config(sf: Any, results_dir: Path, **overrides: Any) -> dict[str, Any]:
    """Target settings for the emulator's demo admin and a Contact integration by e-mail."""
    seed = default_seed()
    admin = next(u for u in seed["users"] if u.get("modify_all_data"))
    app = seed["connected_apps"][0]
    config: dict[str, Any] = {
        "login_url": sf.url,
        "auth_flow": "password",
        "username": admin["username"],
        "password": admin["password"] + (admin.get("security_token") or ""),
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "retry_backoff_base": 0.01,
        "request_timeout": 15,
        "results_dir": str(results_dir),
        "sobject": "Contact",
        "match_property": "email",
        "match_field": "Email",
        "field_mapping": dict(FIELD_MAPPING),
    }
    config.update(overrides)
    return config


def write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- running


@dataclass
class Finished:
    """A finished (or killed) subprocess: exit status and what it wrote."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def states(self) -> list[dict[str, Any]]:
        """The state values the target printed on stdout, in order (a target prints the bare
        value of each STATE it confirms, one JSON object a line; Meltano saves the last)."""
        found = []
        for line in self.stdout.splitlines():
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                found.append(value.get("value", value) if value.get("type") == "STATE" else value)
        return found


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a child: no MELTANO_/TARGET_/TAP_ leftovers from the caller."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MELTANO_", "TARGET_SALESFORCE", "TAP_WALKME"))
    }
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra or {})
    return env


def start_target(config_path: Path, input_path: Path, out_dir: Path) -> subprocess.Popen[bytes]:
    """Start ``target-salesforce-update --config … < input`` with stdout/stderr to files."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with (
        input_path.open("rb") as stdin,
        (out_dir / "stdout").open("wb") as stdout,
        (out_dir / "stderr").open("wb") as stderr,
    ):
        return subprocess.Popen(
            [TARGET, "--config", str(config_path)],
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            env=child_env(),
            start_new_session=True,
        )


def collect(process: subprocess.Popen[bytes], out_dir: Path, timeout: float) -> Finished:
    """Wait (bounded) for ``process`` and read what it wrote."""
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
        raise AssertionError(f"the process did not finish within {timeout:.0f} s") from None
    return Finished(
        process.returncode,
        (out_dir / "stdout").read_text(encoding="utf-8", errors="replace"),
        (out_dir / "stderr").read_text(encoding="utf-8", errors="replace"),
    )


def run_target(
    config: Mapping[str, Any],
    input_text: str | bytes,
    work: Path,
    *,
    timeout: float = RUN_TIMEOUT_S,
) -> Finished:
    """Run the target CLI to completion over ``input_text``."""
    work.mkdir(parents=True, exist_ok=True)
    config_path = write_json(work / "config.json", dict(config))
    input_path = work / "input.singer"
    data = input_text.encode("utf-8") if isinstance(input_text, str) else input_text
    input_path.write_bytes(data)
    return collect(start_target(config_path, input_path, work), work, timeout)


def wait_for(
    process: subprocess.Popen[bytes],
    sf: Any,
    condition: Callable[[dict[str, Any]], bool],
    *,
    timeout: float = 60.0,
    poll_s: float = 0.005,
) -> dict[str, Any]:
    """Poll ``sf.stats()`` until ``condition`` holds while ``process`` runs; return the stats.

    Fails when the process ends first or the condition never holds within ``timeout`` (the
    process is then killed): a test that means to act mid-run must really act mid-run.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stats = sf.stats()
        if condition(stats):
            return stats
        if process.poll() is not None:
            raise AssertionError(
                f"the process ended (exit {process.returncode}) before the chosen point: {stats}"
            )
        time.sleep(poll_s)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    raise AssertionError(f"the chosen point was not reached within {timeout:.0f} s: {sf.stats()}")


def kill_when(
    process: subprocess.Popen[bytes],
    sf: Any,
    condition: Callable[[dict[str, Any]], bool],
    *,
    timeout: float = 60.0,
) -> dict[str, Any]:
    """SIGKILL ``process`` (its whole session) as soon as ``condition(sf.stats())`` holds."""
    stats = wait_for(process, sf, condition, timeout=timeout)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    return stats


def kinds(stats: Mapping[str, Any]) -> dict[str, int]:
    return dict(stats.get("requests_by_kind") or {})


# ---------------------------------------------------------------------------- the org


def org_snapshot(sf: Any, sobject: str = "Contact") -> dict[str, dict[str, Any]]:
    """Every record of ``sobject`` keyed by Id, without the fields every write changes."""
    return {
        str(r["Id"]): {k: v for k, v in r.items() if k not in VOLATILE_FIELDS}
        for r in sf.records(sobject)
    }


def diff_snapshots(actual: Mapping[str, Any], expected: Mapping[str, Any]) -> list[str]:
    """Human-readable differences between two snapshots (empty when equal)."""
    problems = []
    for rid in sorted(set(actual) | set(expected)):
        if rid not in actual:
            problems.append(f"{rid}: missing")
        elif rid not in expected:
            problems.append(f"{rid}: unexpected record {actual[rid]}")
        elif actual[rid] != expected[rid]:
            fields = sorted(
                k
                for k in set(actual[rid]) | set(expected[rid])
                if actual[rid].get(k) != expected[rid].get(k)
            )
            problems.append(
                f"{rid}: "
                + ", ".join(
                    f"{k}={actual[rid].get(k)!r} (want {expected[rid].get(k)!r})" for k in fields
                )
            )
    return problems[:20]


def rows_applied(
    snapshot: Mapping[str, Mapping[str, Any]], rows: Iterable[Mapping[str, Any]]
) -> list[str]:
    """E-mails of ``rows`` whose segment value is not (yet) on their Contact."""
    by_email = {str(r.get("Email") or "").casefold(): r for r in snapshot.values()}
    missing = []
    for row in rows:
        record = by_email.get(str(row["email"]).casefold())
        if record is None or record.get("WalkMe_Segment__c") != row["segment"]:
            missing.append(str(row["email"]))
    return missing


# ---------------------------------------------------------------------------- results files


def summaries(results_dir: Path) -> list[dict[str, Any]]:
    paths = sorted(results_dir.glob("*/*/summary.json"), key=lambda p: p.stat().st_mtime_ns)
    return [json.loads(p.read_text(encoding="utf-8")) for p in paths]


def results_rows(summary: Mapping[str, Any], category: str) -> list[dict[str, str]]:
    path = Path(summary["results_dir"]) / f"{category}.csv"
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def all_csv_cells(results_dir: Path) -> Iterable[tuple[Path, str]]:
    """Every cell (header included) of every results CSV under ``results_dir``."""
    for path in sorted(results_dir.rglob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                for cell in row:
                    yield path, cell


def wrong_writes(
    snapshot: Mapping[str, Mapping[str, Any]],
    before: Mapping[str, Mapping[str, Any]],
    rows: Iterable[Mapping[str, Any]],
) -> list[str]:
    """Records that changed but do not hold their own row's segment (written to the wrong
    record, or half-written); compared with the snapshot ``before`` the run."""
    wanted = {str(r["email"]).casefold(): r["segment"] for r in rows}
    problems = []
    for rid, record in snapshot.items():
        if record == before.get(rid):
            continue
        email = str(record.get("Email") or "").casefold()
        if wanted.get(email) != record.get("WalkMe_Segment__c"):
            problems.append(f"{rid} ({email}): {record.get('WalkMe_Segment__c')!r}")
    return problems


def admin_api(sf: Any, method: str, path: str, body: Any = None) -> Any:
    """Call the emulator's Salesforce REST API as the demo admin (what an admin does in
    Setup), e.g. ``admin_api(sf, "GET", "jobs/ingest")``."""
    import requests

    token = sf.access_token()
    response = requests.request(
        method,
        f"{sf.api_base}/{path}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=15,
    )
    response.raise_for_status()
    return response.json() if response.content else None


# ---------------------------------------------------------------------------- Meltano


ROOT = Path(__file__).resolve().parents[2]
MELTANO = str(BIN / "meltano")


def meltano_installed() -> None:
    """Fail (with the fix) when `make plugins` has not installed the plugins into .meltano/."""
    for kind, name in (
        ("extractors", "tap-walkme-insights"),
        ("loaders", "target-salesforce-update"),
    ):
        if not (ROOT / ".meltano" / kind / name / "venv" / "bin" / name).exists():
            raise AssertionError(f"Meltano plugin {name} is not installed: run `make plugins`")


def meltano_env(work: Path, sf: Any, walkme: Any) -> dict[str, str]:
    """Environment for `meltano` in this project's `demo` environment (as tests/e2e and `make
    demo` set it): the test's own system DB, log folder and results folder, the emulators' URLs
    and the WalkMe credentials; Salesforce credentials are added by the caller."""
    work.mkdir(parents=True, exist_ok=True)
    return child_env(
        {
            "MELTANO_ENVIRONMENT": "demo",
            "MELTANO_DATABASE_URI": f"sqlite:///{work / 'meltano.db'}",
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "XDG_STATE_HOME": str(work / "state"),
            "TARGET_SALESFORCE_UPDATE_RESULTS_DIR": str(work / "results"),
            "DEMO_SALESFORCE_URL": sf.url,
            "DEMO_WALKME_URL": walkme.url,
            "TAP_WALKME_INSIGHTS_CLIENT_ID": walkme.client_id,
            "TAP_WALKME_INSIGHTS_CLIENT_SECRET": walkme.client_secret,
        }
    )


def demo_salesforce_env() -> dict[str, str]:
    """The target's settings for the emulator's demo admin, exactly as `make demo` passes them."""
    seed = default_seed()
    admin = next(u for u in seed["users"] if u.get("modify_all_data"))
    app = seed["connected_apps"][0]
    return {
        "TARGET_SALESFORCE_UPDATE_AUTH_FLOW": "password",
        "TARGET_SALESFORCE_UPDATE_USERNAME": admin["username"],
        "TARGET_SALESFORCE_UPDATE_PASSWORD": admin["password"]
        + (admin.get("security_token") or ""),
        "TARGET_SALESFORCE_UPDATE_CLIENT_ID": app["client_id"],
        "TARGET_SALESFORCE_UPDATE_CLIENT_SECRET": app["client_secret"],
    }


def meltano_state(work: Path, state_id: str) -> dict[str, Any]:
    """The singer state Meltano saved for ``state_id`` in the test's system DB ({} if none)."""
    from meltano_db import saved_singer_state

    return saved_singer_state(work / "meltano.db", state_id)
