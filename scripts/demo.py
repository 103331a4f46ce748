#!/usr/bin/env python3
"""`make demo`: the sample integrations end to end, through `meltano run`, against local emulators.

Steps (each one printed as it happens):

1. `meltano install` — the two custom plugins from this repository's folders;
2. `walkme-emulator generate` — a deterministic demo world in demo-output/world/: the
   onboarding and NPS report exports and a matching Salesforce seed (contacts, leads,
   duplicates, deleted and converted records, keys in awkward shapes);
3. start the Salesforce emulator (its data in demo-output/salesforce.db) and the WalkMe
   emulator (serving the reports) on free loopback ports;
4. `meltano --environment demo run <job>` for each integration's job, then the onboarding job
   once more to show that state is kept (no new export → nothing to do);
5. each run's summary — updated / unchanged / unmatched / ambiguous / failed — and the run
   history (`walkme-salesforce runs`);
6. stop the emulators; the Salesforce data, the results files and the run history stay.

Steps 2, 3 and 6 are scripts/demo_emulators.py's `demo_emulators` (also `make emulators`).
Credentials: the WalkMe emulator gets a client id/secret generated for this demo; the Salesforce
emulator's demo user comes from its built-in `default` seed (emulator-only values). Both are
handed to Meltano as environment variables of the child processes only — never printed, never
written to meltano.yml or .env.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

from demo_emulators import demo_emulators, salesforce_demo_admin
from walkme_salesforce.run_history import COUNT_KEYS, parse_summary_line

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "demo-output"
WORLD = OUT / "world"
RUN_LOGS = OUT / "runs"
ROWS = int(os.environ.get("DEMO_ROWS", "200"))
SEED = os.environ.get("DEMO_SEED", "42")
JOBS = ("walkme-onboarding-to-salesforce", "walkme-nps-to-salesforce")
STARTED = time.time()
RUN_TIMEOUT_S = 600


def salesforce_demo_settings() -> dict[str, str]:
    """Target settings (as env vars) for the Salesforce emulator's built-in demo admin.

    The emulator-only demo credentials of its `default` seed (emulators/README.md), read from
    the installed package. The demo itself passes them as the `DEMO_SALESFORCE_*` variables the
    `demo` environment refers to (see scripts/demo_emulators.py); tests use these names.
    """
    admin = salesforce_demo_admin()
    return {
        "TARGET_SALESFORCE_UPDATE_AUTH_FLOW": "password",
        "TARGET_SALESFORCE_UPDATE_USERNAME": admin["username"],
        "TARGET_SALESFORCE_UPDATE_PASSWORD": admin["password"],
        "TARGET_SALESFORCE_UPDATE_CLIENT_ID": admin["client_id"],
        "TARGET_SALESFORCE_UPDATE_CLIENT_SECRET": admin["client_secret"],
    }


def say(message: str) -> None:
    """Print a demo step (flushed, so it interleaves with child output correctly)."""
    print(message, flush=True)


def run(
    command: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    log: Path | None = None,
    check: bool = True,
    timeout: float = RUN_TIMEOUT_S,
) -> subprocess.CompletedProcess[str]:
    """Run a command; its output goes to `log` (and is shown when it fails)."""
    result = subprocess.run(
        list(command),
        cwd=ROOT,
        env=env,
        text=True,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(result.stdout + result.stderr, encoding="utf-8")
    if check and result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        where = f" (full output: {log})" if log else ""
        raise SystemExit(f"demo: `{' '.join(command[:3])} …` failed{where}")
    return result


def summaries(output: str) -> list[dict[str, str]]:
    """The target's `Summary:` lines in a `meltano run` output."""
    return [s for line in output.splitlines() if (s := parse_summary_line(line)) is not None]


def show_summary(job: str, result: subprocess.CompletedProcess[str], run_id: str) -> int:
    """Print one run's outcome (status, counts per stream); return how many things went wrong."""
    problems = int(result.returncode != 0)
    status = "completed" if result.returncode == 0 else f"FAILED (exit {result.returncode})"
    found = summaries(result.stdout + result.stderr)
    say(f"  {job}: {status}   run id {run_id}")
    for summary in found:
        if all(summary.get(key, "0") == "0" for key in COUNT_KEYS):
            say(f"    report {summary['stream']}: nothing to sync — this export was already synced")
            continue
        counts = "  ".join(f"{key} {summary.get(key, '0')}" for key in COUNT_KEYS)
        say(f"    report {summary['stream']} → {summary.get('object', '?')}:  {counts}")
        verdict = check_expected(summary)
        problems += verdict.startswith("DIFFERS")
        say(f"    {verdict}")
        if summary.get("results"):
            say(f"    results: {Path(summary['results']).relative_to(ROOT)}")
    if result.returncode != 0:
        say(f"    see demo-output/runs/{job}-{run_id[:8]}.log or: make run-log RUN={run_id}")
    return problems


def is_secret(env_name: str) -> bool:
    """Whether a target setting env var holds a secret (password, client secret…)."""
    return env_name.endswith(("_PASSWORD", "_CLIENT_SECRET", "_REFRESH_TOKEN", "_PRIVATE_KEY"))


def secrets_in_logs(values: list[str]) -> list[str]:
    """Files among the demo's logs and results that contain one of `values`."""
    files = [*RUN_LOGS.glob("*.log"), *(OUT / "salesforce-results").rglob("*.*")]
    files += [OUT / "salesforce-emulator.log", OUT / "walkme-emulator.log"]
    files += [log for log in meltano_log_dir().glob("*/*/elt.log") if log.stat().st_mtime > STARTED]
    leaked = []
    for path in files:
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            if any(value and value in text for value in values):
                leaked.append(str(path))
    return leaked


def meltano_log_dir() -> Path:
    """Meltano's run-log directory for this project (`meltano logs dir`)."""
    import platformdirs

    return Path(platformdirs.user_log_path("meltano")) / "elt"


def check_expected(summary: dict[str, str]) -> str:
    """Compare a first sync's counts with the generator's expected.json for that report."""
    import json

    try:
        expected = json.loads((WORLD / "expected.json").read_text(encoding="utf-8"))
        report = expected["reports"][summary["stream"]]
    except (OSError, ValueError, KeyError):
        return "(no expected.json entry to compare with)"
    unmatched = report["unmatched"]
    if report.get("sobject") == "Lead":
        unmatched += report.get("converted", 0)  # converted leads are never matched
    want = {
        "updated": report["should_update"],
        "unchanged": report["unchanged"],
        "unmatched": unmatched,
        "ambiguous": report["ambiguous"],
    }
    got = {key: int(summary.get(key, "0")) for key in want}
    if got == want:
        return "as the demo world's expected.json predicts"
    return f"DIFFERS from expected.json: expected {want}"


def main() -> int:
    """Run the whole demo; return the exit code."""
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env.pop("MELTANO_ENVIRONMENT", None)
    env["MELTANO_PROJECT_ROOT"] = str(ROOT)
    meltano = [str(bin_dir / "meltano"), "--environment", "demo"]

    say("==> Fresh demo folder: demo-output/ (previous demo data removed)")
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    say("==> meltano install (the two custom plugins, from this repository)")
    run([*meltano, "install"], env=env, log=OUT / "install.log")

    say(f"==> walkme-emulator generate: {ROWS} rows per report, seed {SEED} → demo-output/world/")
    say("==> Starting the Salesforce emulator (data: demo-output/salesforce.db) and the WalkMe")
    say("    emulator (reports: demo-output/world/), as `make emulators` starts them")
    with ExitStack() as stack:
        try:
            running = stack.enter_context(demo_emulators(OUT, rows=ROWS, seed=SEED))
        except RuntimeError as error:
            raise SystemExit(f"demo: {error}") from None
        say(f"    Salesforce {running.salesforce_url}   WalkMe {running.walkme_url}")
        run_env = {**env, **running.env}
        failed = 0

        def run_job(job: str) -> None:
            nonlocal failed
            run_id = str(uuid.uuid4())
            result = run(
                [*meltano, "run", job],
                env={**run_env, "MELTANO_RUN_ID": run_id},
                log=RUN_LOGS / f"{job}-{run_id[:8]}.log",
                check=False,
            )
            failed += show_summary(job, result, run_id)

        say("==> Running the sample integrations: meltano --environment demo run <job>")
        for job in JOBS:
            run_job(job)
        say(f"==> {JOBS[0]} again: state remembers the export it synced")
        run_job(JOBS[0])
        say("==> Stopping the emulators")

    leaked = secrets_in_logs([value for name, value in running.env.items() if is_secret(name)])
    if leaked:
        say(f"!!! a credential appears in: {', '.join(leaked)}")
        failed += 1
    else:
        say("==> Checked: no credential appears in the run logs or results files")

    say("\n==> Run history (make runs):")
    history = run(
        [
            str(Path(sys.executable).with_name("walkme-salesforce")),
            "runs",
            "--environment",
            "demo",
            "--limit",
            str(len(JOBS) + 1),
        ],
        env=env,
        check=False,
    )
    say(history.stdout.rstrip())
    say("""
Left for you to inspect:
  demo-output/world/                 the generated WalkMe reports and Salesforce seed
  demo-output/salesforce.db          the Salesforce emulator's data after the runs (SQLite)
  demo-output/salesforce-results/    results CSVs + summary.json per run and report
  demo-output/runs/                  each `meltano run` console output
  make runs / make run-log RUN=<id>  the run history and one run's full log
""")
    if failed:
        say(f"!!! The demo found {failed} problem(s); see the lines marked above.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
