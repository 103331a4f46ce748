"""Pure and tiny-process tests of the benchmark harness (benchmarks/): the minimum-calls
formula, the target checks, the RSS/CPU-measuring pipeline runner, the options plan and the
progress line. No emulator, no timing assertions — the benchmark's own figures are checked by
reading its output, not here."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.append(str(BENCHMARKS))

from measurement import NOOP, PIPELINE, Measurement  # noqa: E402
from minimum import minimum_calls, soql_literal  # noqa: E402
from processes import BenchmarkError, run_pipeline  # noqa: E402
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


# ---------------------------------------------------------------- issue 17 lines (fixed inputs)

from baseline import parse_baselines, was  # noqa: E402
from chosen_strategy import match_strategy  # noqa: E402
from issue17_targets import check_issue17, size_label  # noqa: E402
from linearity import cost_of  # noqa: E402

BASELINES = parse_baselines(
    {
        "baselines": [
            {
                "commit": "b96f927",
                "label": "before",
                "source": "Run F",
                "measurements": [
                    {
                        "rows": 1_000_000,
                        "latency_ms": 0,
                        "wall_s": 215.56,
                        "api_calls": 3196,
                        "tap_cpu_s": 43.6,
                        "target_cpu_s": 153.2,
                        "tap_rss_mb": 126,
                        "target_rss_mb": 175,
                    },
                    {"rows": 100_000, "latency_ms": 0, "wall_s": 100.0},
                    {"rows": 100_000, "latency_ms": 100, "wall_s": 140.0},
                ],
            },
            {
                "commit": "9bcd365",
                "label": "start of this round",
                "source": "lead",
                "measurements": [{"rows": 1_000_000, "latency_ms": 0, "wall_s": 116.31}],
            },
        ]
    }
)


def _pipe(rows: int, latency_ms: int, wall_s: float, cpu: float, **values: object) -> Measurement:
    return Measurement(
        rows=rows,
        latency_ms=latency_ms,
        pipeline=PIPELINE,
        wall_s=wall_s,
        tap_cpu_s=cpu / 2,
        target_cpu_s=cpu / 2,
        **values,  # type: ignore[arg-type]
    )


def test_was_lists_every_baseline_that_has_the_figure() -> None:
    text = was(BASELINES, 1_000_000, 0, "wall_s", lambda v: f"{v:.1f} s")
    assert text == "was 215.6 s at b96f927, 116.3 s at 9bcd365"
    assert was(BASELINES, 5_000, 0, "wall_s", str) == ""


def test_baseline_file_rejects_unknown_figures() -> None:
    bad = {"baselines": [{"commit": "x", "label": "y", "source": "z", "measurements": [
        {"rows": 1, "latency_ms": 0, "wall_seconds": 3}]}]}  # fmt: skip
    with pytest.raises(ValueError, match=r"unknown figure.*wall_seconds"):
        parse_baselines(bad)


def test_committed_baseline_file_parses() -> None:
    from baseline import load_baselines

    commits = [b.commit for b in load_baselines()]
    assert "b96f927" in commits and "9bcd365" in commits


def test_issue17_lines_judge_each_target_beside_the_baselines() -> None:
    rows = [
        _pipe(
            1_000_000,
            0,
            52.1,
            50.0,
            api_calls=22,
            tap_rss_mb=90,
            target_rss_mb=210,
            match_strategy="bulk_query",
        ),
        _pipe(5_000, 0, 5.0, 3.0, api_calls=11),
    ]
    rows[0].tap_cpu_s, rows[0].target_cpu_s = 15.0, 35.0
    lines = check_issue17(rows, BASELINES, probe_rows=100)
    assert (
        "PASS  1M @ 0 ms: wall 52.1 s (was 215.6 s at b96f927, 116.3 s at 9bcd365; "
        "target ≤ 60 s)" in lines
    )
    assert "PASS  1M @ 0 ms: API calls 22 [bulk_query] (was 3,196 at b96f927; target ≤ 30)" in lines
    assert "FAIL  5k @ 0 ms: API calls 11 (target ≤ 10)" in lines
    assert "PASS  1M @ 0 ms: target CPU 35.0 s (was 153.2 s at b96f927; target ≤ 40 s)" in lines
    assert "PASS  1M @ 0 ms: tap CPU 15.0 s (was 43.6 s at b96f927; target ≤ 20 s)" in lines
    assert "FAIL  1M @ 0 ms: target peak RSS 210 MB (was 175 MB at b96f927; target ≤ 200 MB)" in (
        lines
    )
    assert "PASS  1M @ 0 ms: tap peak RSS 90 MB (was 126 MB at b96f927; target ≤ 150 MB)" in lines


def test_marginal_cost_removes_the_probe_and_raw_keeps_it() -> None:
    probe = _pipe(100, 0, 5.0, 2.0)
    cost = cost_of(_pipe(10_100, 0, 15.0, 12.0), probe)
    assert cost.raw_wall == pytest.approx(15.0 / 10.1)
    assert cost.marginal_wall == pytest.approx(1.0)  # (15 - 5) s / 10k rows
    assert cost.marginal_cpu == pytest.approx(1.0)  # (12 - 2) s / 10k rows


def test_linearity_judges_marginal_cpu_not_raw() -> None:
    # Perfectly linear per-row work (0.1 CPU-s per 1k) on top of 3 s fixed: raw figures spread
    # 3.9x, marginal ones 1.0x -> PASS.
    def run(n: int) -> Measurement:
        return _pipe(n, 0, 4.0 + n / 10_000, 3.0 + n / 10_000)

    rows = [run(100), run(10_000), run(100_000), run(1_000_000)]
    lines = check_issue17(rows, BASELINES, probe_rows=100)
    verdict = next(line for line in lines if "linearity" in line)
    assert verdict.startswith("PASS  linearity 10k, 100k, 1M: marginal tap+target CPU")
    assert "largest/smallest 1.00 x" in verdict
    assert any(line.strip().startswith("10,000 rows: raw wall") for line in lines)
    # A per-row cost growing with size fails.
    rows[3] = _pipe(1_000_000, 0, 300.0, 3.0 + 1_000_000 / 5_000)
    verdict = next(line for line in check_issue17(rows, BASELINES, 100) if "linearity" in line)
    assert verdict.startswith("FAIL  linearity")


def test_linearity_needs_two_sizes_and_the_probe() -> None:
    one = check_issue17([_pipe(100, 0, 4, 3), _pipe(10_000, 0, 6, 4)], BASELINES, 100)
    assert any(line.startswith("INFO  linearity not judged") for line in one)
    no_probe = check_issue17([_pipe(10_000, 0, 6, 4), _pipe(100_000, 0, 20, 14)], BASELINES, 100)
    assert any(
        line.startswith("FAIL  linearity not judged: no fixed-cost probe") for line in no_probe
    )


def test_latency_ratio_judged_at_100k_with_the_baseline_ratio() -> None:
    rows = [_pipe(100_000, 0, 20.0, 10.0), _pipe(100_000, 100, 24.0, 10.0),
            _pipe(10_000, 0, 5.0, 3.0), _pipe(10_000, 100, 10.0, 3.0)]  # fmt: skip
    lines = check_issue17(rows, BASELINES, probe_rows=100)
    assert (
        "PASS  100k @ 100 ms: wall 24.0 s = 1.20 x the 0 ms wall 20.0 s "
        "(was 1.40 x at b96f927; target ≤ 1.3 x)" in lines
    )
    assert any(line.startswith("INFO  10k @ 100 ms: wall 10.0 s = 2.00 x") for line in lines)


def test_size_labels() -> None:
    assert [size_label(n) for n in (1_000_000, 100_000, 5_000, 100)] == [
        "1M", "100k", "5k", "100 rows"]  # fmt: skip


def test_match_strategy_from_summary_json_else_from_the_log(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    log.write_text(
        "INFO Stream onboarding → Contact: match strategy in_query (3 key(s) need 1 IN query)\n"
        "INFO Stream onboarding → Contact: match strategy bulk_query (a Bulk query ≈ 5 calls)\n",
        encoding="utf-8",
    )
    results = tmp_path / "results"
    assert match_strategy(log, results) == "in_query→bulk_query"
    summary = results / "onboarding" / "20261202T000000-x" / "summary.json"
    summary.parent.mkdir(parents=True)
    summary.write_text('{"match_strategy": "bulk_query"}', encoding="utf-8")
    assert match_strategy(log, results) == "bulk_query"
    assert match_strategy(tmp_path / "absent.log", tmp_path / "none") is None


# ---------------------------------------------------------------- options and printed lines

from emulated_org import stats_delta  # noqa: E402
from options import parse_args, plan_of  # noqa: E402
from report import print_progress  # noqa: E402


def test_quick_preset_adds_100_ms_at_10k_only() -> None:
    plan = plan_of(parse_args(["--quick"]))
    assert plan.sizes == [1_000, 10_000]
    assert [plan.latencies_at(n) for n in plan.sizes] == [[0], [0, 100]]
    assert plan.meltano_sizes == []
    assert plan.naive_sample == 50


def test_latencies_option_replaces_the_presets_extra_latencies() -> None:
    plan = plan_of(parse_args(["--sizes", "100000", "--latencies", "100,0"]))
    assert plan.sizes == [100_000]
    assert plan.latencies_at(100_000) == [0, 100]
    assert plan_of(parse_args(["--latencies", "0"])).latencies_at(100_000) == [0]
    assert plan.meltano_sizes == [100_000]
    assert plan.naive_sample == 200


def test_target_settings_and_variants_parse_json_else_keep_text() -> None:
    args = parse_args(
        ["--target-setting", "batch_size_rows=50000", "--target-setting", "write_method=bulk",
         "--variant", 'one:batch_size_rows=100000,match_strategy="in_query"']
    )  # fmt: skip
    plan = plan_of(args)
    assert plan.extra == {"batch_size_rows": 50_000, "write_method": "bulk"}
    assert plan.variants == [("one", {"batch_size_rows": 100_000, "match_strategy": "in_query"})]


def test_stats_delta_counts_only_kinds_that_moved() -> None:
    before = {"api_calls": 5, "records_updated": 1, "requests_by_kind": {"query": 2, "oauth": 1}}
    after = {"api_calls": 9, "records_updated": 4,
             "requests_by_kind": {"query": 2, "oauth": 1, "bulk_ingest": 4}}  # fmt: skip
    assert stats_delta(before, after) == (4, {"bulk_ingest": 4}, 3)


def test_progress_line_layout(capsys: pytest.CaptureFixture[str]) -> None:
    print_progress(_row(NOOP, wall_s=0.65, tap_rss_mb=47.0, target_rss_mb=49.04, tap_cpu_s=0.3))
    assert capsys.readouterr().out == (
        "  no-op SDK floor                     0 ms      0.65s  calls=None re-run writes=None "
        "RSS MB tap=47.0 target=49.0 CPU s tap=0.3 target=— emulator=— strategy=—  \n"
    )


def test_short_runs_keep_the_run_with_the_median_cpu() -> None:
    """The probe and the small tap → target runs are measured three times; the kept one is
    the median by tap + target CPU, and its note gives the spread."""
    from run import REPEAT_MAX_ROWS, median_of_runs

    cpu = iter([(0.5, 0.9), (0.4, 0.6), (0.7, 0.9)])

    def measure() -> Measurement:
        tap, target = next(cpu)
        return Measurement(10_000, 0, PIPELINE, 1.8, tap_cpu_s=tap, target_cpu_s=target)

    kept = median_of_runs(measure)
    assert (kept.tap_cpu_s, kept.target_cpu_s) == (0.5, 0.9)
    assert kept.note == "median CPU of 3 runs (1.00 to 1.60 s)"
    assert REPEAT_MAX_ROWS == 100_000


# ---------------------------------------------------------------- machine speed (fixed inputs)

from machine_speed import load_reference, parse_reference, speed_lines  # noqa: E402

REFERENCE = parse_reference(
    {
        "machine_reference": {
            "commit": "1036d0b",
            "source": "Run J",
            "noop_floor": [
                {"rows": 100_000, "tap_cpu_s": 2.7, "target_cpu_s": 5.6},
                {"rows": 1_000_000, "tap_cpu_s": 25.3, "target_cpu_s": 53.1},
            ],
        }
    }
)


def _floor(rows: int, tap_cpu_s: float, target_cpu_s: float) -> Measurement:
    return Measurement(
        rows=rows,
        latency_ms=0,
        pipeline=NOOP,
        wall_s=1.0,
        tap_cpu_s=tap_cpu_s,
        target_cpu_s=target_cpu_s,
    )


def test_machine_speed_divides_the_1m_run_by_the_floors_factor() -> None:
    lean = _pipe(1_000_000, 0, 90.0, 0.0)
    lean.tap_cpu_s, lean.target_cpu_s = 27.0, 68.6
    rows = [_floor(100_000, 5.0, 11.6), _floor(1_000_000, 50.6, 106.2), lean]
    assert speed_lines(rows, REFERENCE) == [
        "INFO  machine speed: the no-op SDK floor at 1,000,000 rows took 156.8 CPU-s "
        "(tap + target) here, 78.4 on the machine of 1036d0b (Run J): 2.00 x its time; at that "
        "machine's speed the 1,000,000-row run's target CPU would be ≈ 34.3 s and tap CPU "
        "≈ 13.5 s (not judged: the lines above judge the raw figures)"
    ]


def test_machine_speed_uses_the_largest_floor_and_says_when_there_is_none() -> None:
    (line,) = speed_lines([_floor(100_000, 2.7, 5.6)], REFERENCE)
    assert line.endswith("(Run J): 1.00 x its time")  # no 1M run: the factor only
    assert speed_lines([_pipe(5_000, 0, 1.0, 1.0)], REFERENCE) == [
        "INFO  machine speed not measured: needs the no-op SDK floor at one of "
        "100,000, 1,000,000 rows"
    ]
    assert speed_lines([_floor(100_000, 2.7, 5.6)], None) == []


def test_machine_reference_rejects_a_floor_without_cpu_and_the_committed_one_parses() -> None:
    bad = {"machine_reference": {"commit": "x", "source": "y", "noop_floor": [{"rows": 1}]}}
    with pytest.raises(ValueError, match=r"lacks tap_cpu_s"):
        parse_reference(bad)
    committed = load_reference()
    assert committed is not None and committed.floor_cpu_s[1_000_000] == pytest.approx(78.4)
