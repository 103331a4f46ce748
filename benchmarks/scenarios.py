"""The measured scenarios: tap | target (and its re-run), the no-op floor, the naive client,
and `meltano run` — each against its own copy of the emulated org (see :mod:`emulated_org`).

Every Salesforce figure is the difference of the emulator's ``/__emulator/stats`` before and
after the step, so nothing is estimated except the naive client's extrapolation (stated).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chosen_strategy import match_strategy
from emulated_org import org_for, stats_delta
from measurement import NOOP, NOOP_MSGSPEC, PIPELINE, Measurement
from paths import BENCHMARKS, ROOT
from processes import run_command, run_pipeline
from run_configs import KEY_COLUMN, target_config, write_config
from world import World

#: Requests that write records: an unchanged re-run must make none.
WRITE_KINDS = ("collections_update", "bulk_ingest", "sobject_update")


def measure_pipeline(
    world: World,
    latency_ms: int,
    env: Mapping[str, str],
    work: Path,
    extra: Mapping[str, Any],
    timeout_s: float,
    label: str = PIPELINE,
    rerun: bool = True,
) -> Measurement:
    """tap-walkme-insights | target-salesforce-update on a fresh org, then (``rerun``) again."""
    tag = f"{world.rows}-{latency_ms}ms-" + (
        "pipeline" if label == PIPELINE else "".join(c for c in label if c.isalnum() or c in "_=")
    )
    tap_config = write_config(
        work / "configs" / f"tap-{world.rows}.json",
        {"report_name": "onboarding", "source": str(world.csv), "key_column": KEY_COLUMN},
    )
    with org_for(world, f"run-{tag}", latency_ms, env, work) as org:
        settings = dict(extra)
        prototypes = str(settings.pop("prototypes", "")).replace("+", ",")
        config = write_config(
            work / "configs" / f"target-{tag}.json",
            target_config(org.url, work / "results" / tag, settings),
        )
        tap = ["tap-walkme-insights", "--config", str(tap_config)]
        target = ["target-salesforce-update", "--config", str(config)]
        run_env = dict(env)
        if prototypes:
            launcher = [sys.executable, str(BENCHMARKS / "prototypes.py")]
            tap = [*launcher, "tap", "--config", str(tap_config)]
            target = [*launcher, "target", "--config", str(config)]
            run_env["BENCH_PROTOTYPES"] = prototypes
        before = org.stats()
        emulator_cpu = org.cpu_s()
        first = run_pipeline(
            tap,
            target,
            env=run_env,
            cwd=ROOT,
            log=work / "logs" / f"{tag}.log",
            timeout_s=timeout_s,
        )
        middle = org.stats()
        emulator_cpu = org.cpu_s() - emulator_cpu
        strategy = match_strategy(work / "logs" / f"{tag}.log", work / "results" / tag)
        second = None
        if rerun:
            second = run_pipeline(
                tap,
                target,
                env=run_env,
                cwd=ROOT,
                log=work / "logs" / f"{tag}-rerun.log",
                timeout_s=timeout_s,
            )
        after = org.stats()
    calls, kinds, updated = stats_delta(before, middle)
    _, rerun_kinds, _ = stats_delta(middle, after)
    both = [first, second] if second else [first]
    return Measurement(
        rows=world.rows,
        latency_ms=latency_ms,
        pipeline=label,
        wall_s=first.wall_s,
        api_calls=calls,
        calls_by_kind=kinds,
        records_updated=updated,
        rerun_update_calls=(
            sum(rerun_kinds.get(kind, 0) for kind in WRITE_KINDS) if second else None
        ),
        rerun_wall_s=second.wall_s if second else None,
        tap_rss_mb=max(r.producer.max_rss_mb for r in both),
        target_rss_mb=max(r.consumer.max_rss_mb for r in both),
        tap_cpu_s=first.producer.cpu_s,
        target_cpu_s=first.consumer.cpu_s,
        emulator_cpu_s=emulator_cpu,
        match_strategy=strategy,
    )


def measure_noop(
    world: World, env: Mapping[str, str], work: Path, timeout_s: float, *, msgspec: bool = False
) -> Measurement:
    """The floor: minimal singer-sdk tap → minimal singer-sdk target, same CSV.

    With ``msgspec`` both use singer-sdk's msgspec writer/reader: the difference between the two
    floors is what switching JSON libraries would save the real tap and target.
    """
    tap_config = write_config(
        work / "configs" / f"noop-tap-{world.rows}.json",
        {"path": str(world.csv), "key_column": KEY_COLUMN},
    )
    target_config_path = write_config(work / "configs" / "noop-target.json", {})
    suffix = "-msgspec" if msgspec else ""
    result = run_pipeline(
        [sys.executable, str(BENCHMARKS / "noop_tap.py"), "--config", str(tap_config)],
        [sys.executable, str(BENCHMARKS / "noop_target.py"), "--config", str(target_config_path)],
        env={**env, "BENCH_MSGSPEC": "1" if msgspec else "0"},
        cwd=ROOT,
        log=work / "logs" / f"noop-{world.rows}{suffix}.log",
        timeout_s=timeout_s,
    )
    return Measurement(
        rows=world.rows,
        latency_ms=0,
        pipeline=NOOP_MSGSPEC if msgspec else NOOP,
        wall_s=result.wall_s,
        tap_rss_mb=result.producer.max_rss_mb,
        target_rss_mb=result.consumer.max_rss_mb,
        tap_cpu_s=result.producer.cpu_s,
        target_cpu_s=result.consumer.cpu_s,
    )


def measure_naive(
    world: World,
    latency_ms: int,
    sample: int,
    env: Mapping[str, str],
    work: Path,
    timeout_s: float,
) -> Measurement:
    """One lookup + one PATCH per row on the first ``sample`` rows, extrapolated linearly."""
    sample = min(sample, world.rows)
    with org_for(world, f"naive-{world.rows}-{latency_ms}ms", latency_ms, env, work) as org:
        before = org.stats()
        log = work / "logs" / f"naive-{world.rows}-{latency_ms}ms.log"
        run_command(
            [
                sys.executable,
                str(BENCHMARKS / "naive_client.py"),
                "--url",
                org.url,
                "--csv",
                str(world.csv),
                "--rows",
                str(sample),
            ],
            env=env,
            cwd=ROOT,
            log=log,
            timeout_s=timeout_s,
        )
        after = org.stats()
    measured = json.loads(log.read_text(encoding="utf-8").strip().splitlines()[-1])
    calls, kinds, updated = stats_delta(before, after)
    scale = world.rows / measured["rows"]
    return Measurement(
        rows=world.rows,
        latency_ms=latency_ms,
        pipeline="naive 1 lookup + 1 PATCH/row",
        wall_s=measured["wall_s"] * scale,
        api_calls=round(calls * scale),  # the one OAuth login is not an API call
        calls_by_kind={k: v if k == "oauth" else round(v * scale) for k, v in kinds.items()},
        records_updated=round(updated * scale),
        note=f"extrapolated x{scale:g} from {measured['rows']} rows "
        f"({measured['wall_s']:.1f}s, {calls} calls)",
    )


def measure_meltano(
    world: World, env: Mapping[str, str], work: Path, extra: Mapping[str, Any], timeout_s: float
) -> Measurement:
    """`meltano run tap-walkme-insights--onboarding target-salesforce-update--onboarding`.

    Uses the repository's Meltano project and its installed plugins, with the demo environment's
    settings overridden by environment variables (source = the local CSV, login = this org) and
    a throw-away system database, so the project's state and run history are untouched.
    """
    from salesforce_emulator import testing

    with org_for(world, f"meltano-{world.rows}", 0, env, work) as org:
        settings = {
            "TAP_WALKME_INSIGHTS__ONBOARDING_SOURCE": str(world.csv),
            "TAP_WALKME_INSIGHTS__ONBOARDING_KEY_COLUMN": KEY_COLUMN,
            "TARGET_SALESFORCE_UPDATE_LOGIN_URL": org.url,
            "TARGET_SALESFORCE_UPDATE_AUTH_FLOW": "password",
            "TARGET_SALESFORCE_UPDATE_USERNAME": testing.ADMIN_USERNAME,
            "TARGET_SALESFORCE_UPDATE_PASSWORD": testing.ADMIN_PASSWORD
            + testing.ADMIN_SECURITY_TOKEN,
            "TARGET_SALESFORCE_UPDATE_CLIENT_ID": testing.CLIENT_ID,
            "TARGET_SALESFORCE_UPDATE_CLIENT_SECRET": testing.CLIENT_SECRET,
            "TARGET_SALESFORCE_UPDATE_RESULTS_DIR": str(work / "results" / "meltano"),
            "TARGET_SALESFORCE_UPDATE_PROGRESS_INTERVAL": "3600",
            "DEMO_SALESFORCE_URL": org.url,
            "DEMO_WALKME_URL": "http://127.0.0.1:9",
        }
        for key, value in extra.items():
            name = f"TARGET_SALESFORCE_UPDATE_{key.upper()}"
            settings[name] = value if isinstance(value, str) else json.dumps(value)
        system_db = work / "meltano-system.db"
        system_db.unlink(missing_ok=True)
        run_env = {
            **env,
            **settings,
            "MELTANO_PROJECT_ROOT": str(ROOT),
            "MELTANO_DATABASE_URI": f"sqlite:///{system_db}",
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        run_env.pop("MELTANO_ENVIRONMENT", None)
        command = [
            "meltano",
            "--environment",
            "demo",
            "run",
            "--no-state-update",
            "--full-refresh",
            "tap-walkme-insights--onboarding",
            "target-salesforce-update--onboarding",
        ]
        before = org.stats()
        emulator_cpu = org.cpu_s()
        wall, result = run_command(
            command,
            env=run_env,
            cwd=ROOT,
            log=work / "logs" / f"meltano-{world.rows}.log",
            timeout_s=timeout_s,
        )
        after = org.stats()
        emulator_cpu = org.cpu_s() - emulator_cpu
    calls, kinds, updated = stats_delta(before, after)
    return Measurement(
        rows=world.rows,
        latency_ms=0,
        pipeline="meltano run",
        match_strategy=match_strategy(
            work / "logs" / f"meltano-{world.rows}.log", work / "results" / "meltano"
        ),
        emulator_cpu_s=emulator_cpu,
        wall_s=wall,
        api_calls=calls,
        calls_by_kind=kinds,
        records_updated=updated,
        target_rss_mb=result.max_rss_mb,
        target_cpu_s=result.cpu_s,
        note="includes Meltano start-up and its system-db migration; RSS = largest process "
        "(meltano, tap or target), CPU = all of them",
    )
