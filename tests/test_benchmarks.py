"""The benchmarks keep working: a quick run of every row, and the pieces that decide what a figure means.

Nothing here asserts a timing (timings belong in benchmarks/results.json and docs/performance.md). The quick run
(`python -m benchmarks --quick`: tiny sizes, 2 repetitions, one thread count) takes about 20 s on 2 quiet cores,
most of it importing PyTorch and starting the fresh processes of the start-up row.
"""
import json
import math
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT

if str(ROOT) not in sys.path:  # `benchmarks` is a folder of the repository, not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks import bandwidth, timing  # noqa: E402
from benchmarks.__main__ import ROWS, _rows  # noqa: E402


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """(stdout, stderr, results) of one quick run writing its JSON into a temporary folder, not the repo."""
    output = tmp_path_factory.mktemp("bench") / "results.json"
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--output", str(output)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout, done.stderr, json.loads(output.read_text())


def test_quick_run_prints_a_table_per_row_and_the_verdicts(quick_run):
    stdout, _, results = quick_run
    for title in ("Optimizer step", "MLP training step", "Start-up in a fresh process", "Interactivity",
                  "Targets"):
        assert title in stdout, f"no {title!r} table in the output"
    assert results["machine"]["cpu"] in stdout


def test_quick_run_writes_nothing_to_stderr(quick_run):
    """No warning from Numba, NumPy or PyTorch may reach stderr in normal use."""
    assert quick_run[1] == ""


def test_results_json_has_every_row_with_its_keys(quick_run):
    results = quick_run[2]
    assert set(results["rows"]) == set(ROWS)
    for key in ("cpu", "cores", "memory_gib", "numpy", "numba", "torch", "load_average"):
        assert key in results["machine"]
    optimizer = results["rows"]["optimizer"]["results"]
    assert {(r["optimizer"], r["dtype"]) for r in optimizer} == {
        (name, dtype) for name in ("adam", "sgd_momentum", "rmsprop") for dtype in ("float32", "float64")}
    for r in optimizer:
        assert {"course_lib", "numpy", "limit"} <= set(r["timings"])
        assert {"size", "bytes_per_step", "ratios", "gb_s", "fraction_of_limit", "max_rel_diff"} <= set(r)
    for r in results["rows"]["mlp"]["results"]:
        assert {"course_lib", "numpy"} <= set(r["timings"])
        assert {"case", "dtype", "ratios", "agreement"} <= set(r)
    assert {"course_lib_fit", "course_lib", "numpy"} <= set(results["rows"]["mlp"]["fit"]["timings"])
    startup = results["rows"]["startup"]
    for kind in ("cold", "warm"):
        assert {"import_s", "first_calls_s", "total_s", "process_s", "kernels"} <= set(startup[kind])
        assert startup[kind]["failed"] == []
    explorers = results["rows"]["interactivity"]["results"]
    assert {"ema_explorer", "step_size_explorer"} <= {r["explorer"] for r in explorers}
    for r in explorers:
        assert "error" not in r, r.get("error")
        assert r["compute"]["repeats"] >= 1
    for row in results["rows"].values():
        for target in row["targets"]:
            assert {"row", "name", "goal", "value", "met", "value_from_minimums", "met_from_minimums"} <= set(target)
            assert (target["met"] is None) == (target["value"] is None)
            assert (target["met_from_minimums"] is None) == (target["value_from_minimums"] is None)


def test_every_timing_and_ratio_is_finite_and_positive(quick_run):
    rows = quick_run[2]["rows"]
    figures = []
    for r in rows["optimizer"]["results"]:
        figures += list(r["ratios"].values()) + list(r["gb_s"].values()) + [r["fraction_of_limit"]]
    for r in rows["mlp"]["results"] + [rows["mlp"]["fit"]]:
        figures += list(r["ratios"].values())
    for r in rows["optimizer"]["results"] + rows["mlp"]["results"] + [rows["mlp"]["fit"]]:
        for stats in r["timings"].values():
            figures += [stats["median_s"], stats["min_s"], stats["max_s"]]
            assert stats["min_s"] <= stats["median_s"] <= stats["max_s"]
    figures.append(rows["startup"]["cold_over_warm"])
    figures += [r["compute"]["median_s"] for r in rows["interactivity"]["results"]]
    assert figures and all(isinstance(x, float) and math.isfinite(x) and x > 0 for x in figures)


def test_contenders_compute_the_same_updates_as_course_lib(quick_run):
    """The benchmark compares like with like: after the same steps, every implementation's parameters match."""
    rows = quick_run[2]["rows"]
    for r in rows["optimizer"]["results"]:
        tol = 1e-6 if r["dtype"] == "float32" else 1e-12
        for name, diff in r["max_rel_diff"].items():
            assert diff < tol, f"{r['optimizer']} {r['dtype']}: {name} differs from course_lib by {diff:.1e}"
    for r in rows["mlp"]["results"]:
        # Adam's first step divides g by |g| + eps, so float32 rounding of a tiny gradient can move its sign
        tol = 1e-4 if r["dtype"] == "float32" else 1e-10
        for name, diff in r["agreement"].items():
            assert diff["cost_diff"] < tol and diff["max_rel_diff"] < tol, f"{r['case']} {r['dtype']} {name}: {diff}"


def test_show_prints_the_same_tables_from_the_saved_results(quick_run, tmp_path):
    stdout, _, results = quick_run
    saved = tmp_path / "results.json"
    saved.write_text(json.dumps(results))
    shown = subprocess.run([sys.executable, "-m", "benchmarks", "--show", str(saved)], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    targets = stdout[stdout.index("Targets"):stdout.index("\nwrote ")]
    assert targets.strip() == shown.stdout[shown.stdout.index("Targets"):].strip()


def test_rows_are_chosen_by_name_or_number_in_the_report_order():
    assert _rows("mlp,1") == ["optimizer", "mlp"]
    assert _rows("4") == ["interactivity"]
    with pytest.raises(Exception, match="unknown row 'gpu'"):
        _rows("optimizer,gpu")


def test_compare_interleaves_contenders_round_robin_starting_with_each_in_turn():
    calls = []
    contenders = {name: (lambda name=name: calls.append(name)) for name in "abc"}
    stats = timing.compare(contenders, repeats=3, warmup=1, min_sample_s=0.0)
    assert calls[:3] == ["a", "b", "c"]  # the warm-up, once each
    assert calls[3:] == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]
    assert all(s["repeats"] == 3 and s["inner"] == 1 for s in stats.values())


def test_compare_runs_a_fast_call_often_enough_to_fill_a_sample():
    count = [0]

    def tiny():
        count[0] += 1

    stats = timing.compare({"tiny": tiny}, repeats=2, warmup=1, min_sample_s=1e-3)
    assert stats["tiny"]["inner"] > 10
    assert count[0] == 1 + 2 * stats["tiny"]["inner"]


def test_best_of_threads_picks_the_faster_thread_count_per_contender():
    stats = {"torch@1": {"median_s": 2.0}, "torch@2": {"median_s": 1.5}, "numpy": {"median_s": 3.0}}
    best = timing.best_of_threads(stats)
    assert best["torch"] == {"median_s": 1.5, "threads": 2}
    assert timing.ratio(best, "numpy", "torch") == 2.0


def test_bandwidth_kernels_move_the_optimizers_arrays_with_one_add_each():
    rng = np.random.default_rng(1)
    p, g, a, b = (rng.standard_normal(5) for _ in range(4))
    p1, a1, b1 = p.copy(), a.copy(), b.copy()
    bandwidth._stream_4r3w_kernel(p1, g, a1, b1)
    np.testing.assert_array_equal(a1, a + g)
    np.testing.assert_array_equal(b1, b + g)
    np.testing.assert_array_equal(p1, p + a)
    p2, s2 = p.copy(), a.copy()
    bandwidth._stream_3r2w_kernel(p2, g, s2)
    np.testing.assert_array_equal(s2, a + g)
    np.testing.assert_array_equal(p2, p + a)
    assert bandwidth.traffic_bytes("4r3w", 1000, 4) == 7 * 4000  # Adam: read theta, g, m, v; write theta, m, v
    assert bandwidth.traffic_bytes("3r2w", 1000, 8) == 5 * 8000


def test_adam_step_script_keeps_its_run_interface():
    from benchmarks import adam_step

    rows = adam_step.run(sizes=[1000], repeats=2)
    assert len(rows) == 1
    assert {"size", "repeats", "course_lib_ms", "numpy_ms", "ratio", "course_lib_gb_s", "max_rel_diff"} <= set(rows[0])
    assert rows[0]["max_rel_diff"] < 1e-6


def test_breakdown_times_every_part_and_its_variants_compute_the_same_update():
    from benchmarks import breakdown

    parts = breakdown.run(calls=2)

    def leaves(tree):
        for key, value in tree.items():
            if isinstance(value, dict):
                yield from leaves(value)
            else:
                yield key, value

    for key, value in leaves(parts):
        assert math.isfinite(value) and value >= 0, key
    for size, figures in parts["Adam kernel, second division (float32)"].items():
        # multiplying by the reciprocal changes the update by a rounding error, not more
        assert figures["max difference of the updates (relative)"] < 1e-6, size


def test_docs_performance_shows_exactly_the_committed_run():
    """docs/performance.md's table is the committed results.json, printed by `--show`: neither can drift alone,
    and the page holds a real run (no placeholder left)."""
    import json
    from pathlib import Path

    from benchmarks import report

    root = Path(__file__).resolve().parents[1]
    page = (root / "docs" / "performance.md").read_text()
    results = json.loads((root / "benchmarks" / "results.json").read_text())
    assert results["settings"]["quick"] is False and results["settings"]["repeats"] >= 20
    assert set(results["settings"]["rows"]) == {"optimizer", "mlp", "startup", "interactivity"}
    block = page.split("## Results\n\n```\n", 1)[1].split("```\n", 1)[0]
    assert block == report.format_run(results) + "\n"
    assert "RUN_" not in page
    started = results["started"][:16]  # "2026-11-22 10:42"
    assert started in page
