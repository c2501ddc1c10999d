"""Row 4: how long a slider move takes in each exploration of `course_lib.widgets`.

Every explorer is an `Explorer` whose ``update(values)`` recomputes what the figure shows; it records the time of
the last update in ``app.last_update_seconds``. Here each explorer is built with its defaults (the values a
student sees first) and its controls are moved one after another, round-robin, to points inside their ranges
(35% and 65% of a slider, the next option of a dropdown, the other state of a checkbox), at least `moves` times
and at least once per control. Reported per explorer: the median, min and max compute time per move, the slowest
control (by median), and the time the explorer then takes to draw its picture (``render``: `Explorer.draw`, a
blit of its animated artists or, when limits or legends changed, the whole figure; what the live canvas does in
the kernel before the changed pixels travel to the browser; it is not part of the target), with the share of moves
that needed a whole-figure draw (``full_draw_share``).

The browser row (`benchmarks.browser`: slider input to new pixels in JupyterLab in Chromium, the number a student
feels) runs after these in a full run (not --quick) when ``COURSE_BENCH_BROWSER`` is not 0; its results
are under "browser" and its targets (p95 <= 100 ms per explorer) join this row's.

An explorer that works in a background thread and has ``app.wait()`` (the training playground) is timed from
the move until ``wait()`` returns, i.e. until the new network is trained and drawn. Only its learning rate is
moved (by -20% and +25%), so every update trains the default network (what the goal is about) again.

Every explorer is measured twice, on two copies moved alternately: as a student gets it (OpenBLAS's default
thread count, one per core; the target is judged on this), and with BLAS limited to one thread
(``one_blas_thread``), because the small matrix products of the explorers that train or propagate through
networks pay for the second thread (see docs/performance.md).

Explorers are found, not listed: every public function of a module in `course_lib.widgets` that builds an
`Explorer` with no arguments, so one that lands later is measured without touching this file. The training
playground is any such function with "playground" in its name; its goal is 150 ms per update, the others' 50 ms.
"""
import importlib
import inspect
import pkgutil
import time

import numpy as np

from benchmarks import blas
from benchmarks.timing import summarize, target

__all__ = ["discover", "run"]

EXPLORER_GOAL_S = 0.050
PLAYGROUND_GOAL_S = 0.150


def discover():
    """{name: function} of the public functions in course_lib.widgets' modules that take no required arguments."""
    import course_lib.widgets as package

    found = {}
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for name in getattr(module, "__all__", ()):
            fn = getattr(module, name, None)
            if not inspect.isfunction(fn):
                continue
            required = [p for p in inspect.signature(fn).parameters.values()
                        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD,
                                                               p.KEYWORD_ONLY)]
            if not required:
                found[name] = fn
    return found


def _movable(control):
    layout = getattr(control, "layout", None)
    hidden = layout is not None and layout.display == "none"
    return not getattr(control, "disabled", False) and not hidden


def _targets_for(control):
    """Two values to move `control` between, or None if it is not a kind of control moved here (text boxes)."""
    import ipywidgets as widgets

    if isinstance(control, widgets.FloatLogSlider):
        return [control.base ** (control.min + f * (control.max - control.min)) for f in (0.35, 0.65)]
    if isinstance(control, (widgets.FloatSlider, widgets.IntSlider)):
        values = [control.min + f * (control.max - control.min) for f in (0.35, 0.65)]
        return [int(round(v)) for v in values] if isinstance(control, widgets.IntSlider) else values
    if isinstance(control, widgets.Checkbox):
        return [not control.value, control.value]
    if isinstance(control, widgets.SelectMultiple):
        values = [v[1] if isinstance(v, tuple) else v for v in control.options]
        current = tuple(control.value)
        fewer = current[:-1] if len(current) > 1 else tuple(values[:2])
        return [fewer, current]
    if isinstance(control, (widgets.Dropdown, widgets.RadioButtons, widgets.ToggleButtons)):
        if len(control.options) < 2:
            return None
        values = [v[1] if isinstance(v, tuple) else v for v in control.options]
        k = values.index(control.value)
        return [values[(k + 1) % len(values)], control.value]
    return None


def _use_blas(threads, default):
    if threads is not None or default is not None:
        blas.set_threads(default if threads is None else threads)


def _move(app, name, value, background):
    """Set one control; the seconds until the explorer has updated (until trained, for a background one)."""
    start = time.perf_counter()
    app.controls[name].value = value
    if background:
        app.wait()
        return time.perf_counter() - start
    return app.last_update_seconds


def measure(build, moves=20, render_moves=5, every_control=True):
    """Build one explorer and move its controls `moves` times (and each at least once with `every_control`);
    the timings (see the module docstring), or None if `build` returns something other than an `Explorer`.

    Two copies are built: one runs with OpenBLAS's default thread count, one with a single BLAS thread, and
    every move is made on both, in alternating order. The first copy's figure is rendered after the first
    `render_moves` moves (rendering takes far longer than updating).
    """
    from course_lib.widgets import Explorer

    conditions = {"default": None, "one_blas_thread": 1} if blas.available() else {"default": None}
    default_threads = max(blas.get_threads(), default=None)
    apps, build_s = {}, None
    try:
        for label, threads in conditions.items():
            _use_blas(threads, default_threads)
            start = time.perf_counter()
            apps[label] = build()
            build_s = build_s or time.perf_counter() - start
            if not isinstance(apps[label], Explorer):
                return None
        app = apps["default"]
        background = callable(getattr(app, "wait", None))
        if background and "lr" in app.controls:  # retrain the default net, with a slightly different learning rate
            lr = app.controls["lr"].value
            plan = {"lr": [lr * 0.8, lr * 1.25]}
            for label, threads in conditions.items():
                _use_blas(threads, default_threads)
                apps[label].wait()  # the run that building it started
        else:
            plan = {name: _targets_for(c) for name, c in app.controls.items()}
        names = [name for name, values in plan.items() if values is not None]
        labels = list(conditions)
        samples = {label: [] for label in labels}
        render, per_control, errors, full_draws = [], {}, [], []
        wanted = max(moves, len(names)) if every_control else moves
        for k in range(10 * wanted):  # controls hidden for the current setting are skipped, so try more often
            if len(samples["default"]) >= wanted:
                break
            name = names[k % len(names)]
            if not _movable(app.controls[name]):  # this explorer hides or disables it for the current setting
                continue
            value = plan[name][(k // len(names)) % 2]
            for j in range(len(labels)):
                label = labels[(k + j) % len(labels)]
                _use_blas(conditions[label], default_threads)
                samples[label].append(_move(apps[label], name, value, background))
            _use_blas(None, default_threads)
            if app.error is not None:
                errors.append(f"{name}: {type(app.error).__name__}: {app.error}")
            per_control.setdefault(name, []).append(samples["default"][-1])
            if len(render) < render_moves:
                start = time.perf_counter()
                full_draws.append(app.draw())
                render.append(time.perf_counter() - start)
    finally:
        _use_blas(None, default_threads)
    slowest = max(per_control, key=lambda n: np.median(per_control[n])) if per_control else None
    compute = samples["default"]
    return {
        "build_s": build_s,
        "background": background,
        "controls_moved": sorted(per_control),
        "moves": len(compute),
        "compute": summarize(compute) if compute else None,
        "one_blas_thread": summarize(samples["one_blas_thread"]) if compute and len(labels) > 1 else None,
        "render": summarize(render) if render else None,
        "full_draw_share": float(np.mean(full_draws)) if full_draws else None,
        "slowest_control": slowest,
        "slowest_control_median_s": float(np.median(per_control[slowest])) if slowest else None,
        # each control at its fastest, then the slowest of those: a worst case that other processes cannot inflate
        "slowest_control_min_s": max(min(v) for v in per_control.values()) if per_control else None,
        "errors": errors,
    }


def run(moves=20, render_moves=5, every_control=True, browser_moves=None):
    """Measure every explorer found (arguments as for `measure`); {"results": [...], "targets": [...]}."""
    import matplotlib

    matplotlib.use("Agg")  # no windows; the explorers draw into plain figures
    results = []
    for name, build in discover().items():
        try:
            probe = measure(build, moves, render_moves, every_control)
        except Exception as exc:  # reported, not raised: one broken explorer must not hide the others' figures
            results.append({"explorer": name, "error": f"{type(exc).__name__}: {exc}", "compute": None,
                            "goal_s": _goal(name)})
            continue
        if probe is not None:
            results.append({"explorer": name, "goal_s": _goal(name), **probe})
    out = {"results": results, "targets": targets(results)}
    import os

    # Not in the quick run (render_moves=0): it starts JupyterLab and runs every lecture notebook's explorers.
    if render_moves > 0 and os.environ.get("COURSE_BENCH_BROWSER", "1") != "0":
        from benchmarks import browser

        out["browser"] = browser.run(moves=browser_moves or 6)
        out["targets"] += out["browser"]["targets"]
    return out


def _goal(name):
    return PLAYGROUND_GOAL_S if "playground" in name else EXPLORER_GOAL_S


def targets(results):
    """Median compute time per update within the goal, per explorer; the playground's even if it is missing.

    The figure "from minimums" is the slowest control's fastest update (the cheapest control's minimum would
    say nothing about the others)."""
    out = []
    for r in results:
        compute, goal_ms = r["compute"], r["goal_s"] * 1e3
        value, fastest = (None, None) if compute is None else (compute["median_s"] * 1e3,
                                                               r["slowest_control_min_s"] * 1e3)
        out.append(target("interactivity", r["explorer"], f"<= {goal_ms:.0f} ms", value, fastest, goal_ms,
                          higher_is_better=False))
    if not any("playground" in r["explorer"] for r in results):  # not in course_lib.widgets (yet)
        out.append(target("interactivity", "training playground (not found)", "<= 150 ms", None, None, 150.0,
                          higher_is_better=False))
    return out
