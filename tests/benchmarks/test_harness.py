"""Pure and tiny-process tests of the benchmark harness (benchmarks/): the minimum-calls
formula, the target checks and the RSS/CPU-measuring pipeline runner. No emulator, no timing
assertions — the benchmark's own figures are checked by reading its output, not here."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.append(str(BENCHMARKS))

from minimum import minimum_calls, soql_literal  # noqa: E402
from processes import BenchmarkError, run_pipeline  # noqa: E402
from scenarios import NOOP, PIPELINE, Measurement  # noqa: E402
from table import check_targets, render_table  # noqa: E402

FIELDS = ["Id", "Email"]


def _csv(tmp_path: Path, keys: list[str]) -> Path:
    path = tmp_path / "report.csv"
    path.write_text("End User ID,Score\n" + "".join(f"{k},1\n" for k in keys), encoding="utf-8")
    return path


def test_soql_literal_escapes_quotes_and_backslashes() -> None:
    assert soql_literal("o'brien\\x@example.com") == "'o\\'brien\\\\x@example.com'"


def test_minimum_counts_distinct_trimmed_casefolded_keys(tmp_path: Path) -> None:
    path = _csv(tmp_path, ["a@x.example", " A@X.example ", "b@x.example", ""])
    minimum = minimum_calls(path, "End User ID", FIELDS, matched=2, changed=2)
    assert minimum.distinct_keys == 2
    assert minimum.queries == 1
    assert minimum.writes == 1  # 2 changed records: one Collections call
    assert minimum.total == 1 + 1 + 1  # describe + query + write


def test_minimum_writes_pick_the_cheaper_of_collections_and_bulk(tmp_path: Path) -> None:
    path = _csv(tmp_path, ["a@x.example"])
    assert minimum_calls(path, "End User ID", FIELDS, matched=1, changed=0).writes == 0
    assert minimum_calls(path, "End User ID", FIELDS, matched=1, changed=800).writes == 4
    assert minimum_calls(path, "End User ID", FIELDS, matched=1, changed=80_000).writes == 5


def test_minimum_queries_grow_with_key_bytes(tmp_path: Path) -> None:
    keys = [f"user{i:06d}@example.com" for i in range(3_000)]
    minimum = minimum_calls(_csv(tmp_path, keys), "End User ID", FIELDS, matched=3_000, changed=0)
    # ~30 encoded bytes per key, ~15,600 bytes per query: 6 queries, never fewer pages than
    # 3,000 records / 2,000 per page.
    assert 5 <= minimum.queries <= 7


def _row(pipeline: str, **values: object) -> Measurement:
    base: dict = {"rows": 100_000, "latency_ms": 0, "pipeline": pipeline, "wall_s": 10.0}
    return Measurement(**{**base, **values})


def test_check_targets_reports_pass_and_fail_from_measurements_only(tmp_path: Path) -> None:
    path = _csv(tmp_path, ["a@x.example"])
    minimums = {100_000: minimum_calls(path, "End User ID", FIELDS, matched=1, changed=1)}
    rows = [
        _row(NOOP, wall_s=10.0, tap_cpu_s=1.0, target_cpu_s=1.0),
        _row(PIPELINE, wall_s=20.0, api_calls=3, rerun_update_calls=0),
    ]
    lines = check_targets(rows, minimums)
    assert any(line.startswith("PASS") and "x minimum" in line for line in lines)
    assert any(line.startswith("PASS") and "re-run" in line for line in lines)
    assert any(line.startswith("FAIL") and "no-op SDK floor" in line for line in lines)
    assert "| 100,000 |" in render_table(rows, minimums)


def test_run_pipeline_measures_each_side(tmp_path: Path) -> None:
    producer = [sys.executable, "-c", "print('x' * 10)"]
    consumer = [sys.executable, "-c", "import sys; assert sys.stdin.read().strip() == 'x' * 10"]
    result = run_pipeline(
        producer, consumer, env={}, cwd=tmp_path, log=tmp_path / "log.txt", timeout_s=30
    )
    assert result.producer.returncode == 0
    assert result.consumer.returncode == 0
    assert result.producer.max_rss_mb > 1
    assert result.consumer.cpu_s >= 0


def test_run_pipeline_names_the_failing_side_and_its_log(tmp_path: Path) -> None:
    with pytest.raises(BenchmarkError, match="consumer exit 3"):
        run_pipeline(
            [sys.executable, "-c", "print(1)"],
            [sys.executable, "-c", "import sys; sys.exit(3)"],
            env={},
            cwd=tmp_path,
            log=tmp_path / "log.txt",
            timeout_s=30,
        )


def test_run_pipeline_kills_an_overrun(tmp_path: Path) -> None:
    with pytest.raises(BenchmarkError, match="overran"):
        run_pipeline(
            [sys.executable, "-c", "import time; time.sleep(30)"],
            [sys.executable, "-c", "import sys; sys.stdin.read()"],
            env={},
            cwd=tmp_path,
            log=tmp_path / "log.txt",
            timeout_s=1,
        )
