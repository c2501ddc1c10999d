"""Row 3: start-up, ``import course_lib`` plus the first call of every public kernel, in fresh processes.

Numba compiles a kernel on its first call and, with ``cache=True``, saves the machine code on disk; the next
process loads it instead of compiling. Both cases matter to a student: the very first run after installing
(cold cache) and every kernel restart after that (warm cache). Each run here is a new Python process running
`benchmarks.first_calls` with ``NUMBA_CACHE_DIR`` pointing at a temporary folder:

- cold: a new empty folder for every run, so everything is compiled;
- warm: the folder the last cold run filled, so everything is loaded from it.

The warm start-up gets 21 runs like every other figure (about 2 s each). A cold run compiles everything, about
half a minute, so 20 of them would take longer than `make bench` may (10 minutes): there are 3 by default.
Median, min and max are reported. Whatever a run writes to stderr is recorded: in normal use no warning may
reach it.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.timing import summarize, target

__all__ = ["run"]

ROOT = Path(__file__).resolve().parents[1]
MEASURES = ("import_s", "first_calls_s", "total_s", "process_s")


def _one_run(cache_dir, tour):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir))
    command = [sys.executable, "-m", "benchmarks.first_calls"] + (["--only", ",".join(tour)] if tour else [])
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    process_s = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"benchmarks.first_calls failed ({done.returncode}):\n{done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    report["total_s"] = report["import_s"] + report["first_calls_s"]
    report["process_s"] = process_s
    report["stderr"] = done.stderr
    return report


def _summary(runs):
    out = {m: summarize([r[m] for r in runs]) for m in MEASURES}
    modules = runs[0]["modules"]
    out["modules_median_s"] = {name: summarize([r["modules"][name] for r in runs])["median_s"] for name in modules}
    out["failed"] = sorted({f for r in runs for f in r["failed"]})
    out["stderr"] = sorted({r["stderr"] for r in runs if r["stderr"]})
    out["kernels"] = runs[-1]["kernels"]
    return out


def run(cold_runs=3, warm_runs=21, tour=None):
    """Time cold and warm start-ups; `tour` limits the first calls to some parts of course_lib.warmup.TOUR.

    There is always at least one cold run: it fills the cache that the warm runs load from.
    """
    cold, warm = [], []
    with tempfile.TemporaryDirectory(prefix="course-bench-cache-") as scratch:
        for k in range(max(cold_runs, 1)):
            cache = Path(scratch) / f"cold{k}"
            cache.mkdir()
            cold.append(_one_run(cache, tour))
        for _ in range(warm_runs):
            warm.append(_one_run(cache, tour))
    result = {"cold": _summary(cold), "warm": _summary(warm), "tour": list(tour) if tour else "all"}
    result["cold_over_warm"] = result["cold"]["total_s"]["median_s"] / result["warm"]["total_s"]["median_s"]
    result["targets"] = targets(result)
    return result


def targets(result):
    """Issue 9's goal: import + first calls under 2 s with a warm cache (only judged on the full tour)."""
    total = result["warm"]["total_s"]
    if result["tour"] != "all":  # a partial tour says nothing about the goal
        return [target("startup", "warm-cache import + first calls", "<= 2 s", None, None, 2.0, False)]
    return [target("startup", "warm-cache import + first calls", "<= 2 s", total["median_s"], total["min_s"], 2.0,
                   higher_is_better=False)]
