"""Fair timings: every contender runs in the same loop, one after another, so all see the same machine state.

    stats = compare({"course_lib": step_a, "numpy": step_b}, repeats=25)
    stats["numpy"]["median_s"] / stats["course_lib"]["median_s"]      # how many times faster course_lib is

The machine this runs on is shared and noisy, so a single timing means little. `compare`:

1. warms every contender up (Numba compiles, caches fill, PyTorch allocates its buffers), timing each warm-up
   call;
2. picks for each contender how many calls one sample holds (`inner`), so that a sample lasts at least
   `min_sample_s` (judged by the fastest warm-up call, which another process is least likely to have slowed)
   and the clock's resolution and the loop's own cost do not matter for microsecond calls;
3. takes `repeats` samples of every contender ROUND-ROBIN: repetition k runs all of them once, starting with a
   different one each time, so a burst of load from another process hits all of them alike;
4. reports the median per call (the figure that is compared), the min and max, and the samples themselves.
"""
import math
import time

import numpy as np

__all__ = ["compare", "summarize", "ratio", "target", "ratio_target", "best_of_threads"]


def _seconds_per_call(fn, inner):
    start = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - start) / inner


def summarize(samples, inner=1):
    """Median, min and max of per-call times in seconds (plus how they were taken) as a JSON-ready dict."""
    samples = [float(s) for s in samples]
    return {
        "median_s": float(np.median(samples)),
        "min_s": min(samples),
        "max_s": max(samples),
        "repeats": len(samples),
        "inner": int(inner),
        "samples_s": samples,
    }


def compare(contenders, repeats, warmup=3, min_sample_s=2e-3, setup=None):
    """Time the zero-argument callables in `contenders` ({name: fn}) interleaved; return {name: summarize(...)}.

    `setup`, if given, is {name: fn} called (untimed) before every sample of that contender: e.g. to set the
    thread count PyTorch should use for it.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    setup = setup or {}
    names = list(contenders)
    inner = {}
    for name in names:
        if name in setup:
            setup[name]()
        once = min(_seconds_per_call(contenders[name], 1) for _ in range(max(warmup, 1)))
        inner[name] = max(1, math.ceil(min_sample_s / max(once, 1e-9)))
    samples = {name: [] for name in names}
    for k in range(repeats):
        for j in range(len(names)):
            name = names[(k + j) % len(names)]
            if name in setup:
                setup[name]()
            samples[name].append(_seconds_per_call(contenders[name], inner[name]))
    return {name: summarize(samples[name], inner[name]) for name in names}


def ratio(stats, slower, faster, statistic="median_s"):
    """stats[slower] / stats[faster] (medians, or `statistic`): above 1 when `faster` really is faster (None if
    either is missing)."""
    if stats is None or slower not in stats or faster not in stats:
        return None
    return stats[slower][statistic] / stats[faster][statistic]


def target(row, name, goal, value, value_from_minimums, threshold, higher_is_better=True):
    """A goal's verdict: met if `value` (from the medians) is at least `threshold` (at most, if not
    `higher_is_better`); None when it was not measured in this run.

    `value_from_minimums` is the same figure from the fastest samples, with its own verdict: on a busy machine the
    minimums are what the code can do and the medians include other processes' interference, so the two bracket
    the truth.
    """
    def verdict(x):
        if x is None:
            return None
        return bool(x >= threshold if higher_is_better else x <= threshold)

    return {"row": row, "name": name, "goal": goal, "value": value, "met": verdict(value),
            "value_from_minimums": value_from_minimums, "met_from_minimums": verdict(value_from_minimums)}


def ratio_target(row, name, goal, stats, slower, faster, threshold):
    """The goal "`faster` is at least `threshold` times faster than `slower`" (see `target`)."""
    return target(row, name, goal, ratio(stats, slower, faster), ratio(stats, slower, faster, "min_s"), threshold)


def best_of_threads(stats):
    """Add, for every ``name@threads`` entry, an entry ``name``: the thread count with the lower median (its
    stats, plus "threads")."""
    best = {}
    for key, s in stats.items():
        if "@" in key:
            name, threads = key.split("@")
            if name not in best or s["median_s"] < best[name]["median_s"]:
                best[name] = dict(s, threads=int(threads))
    return {**stats, **best}
