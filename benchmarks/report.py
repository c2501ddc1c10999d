"""Plain-text tables of a benchmark run (what ``python -m benchmarks`` prints and docs/performance.md shows).

Times are medians per call with [min-max] of the repetitions; "x2.5" after a contender's time is its time over
course_lib's (above 1: course_lib is faster).
"""

__all__ = ["format_time", "format_machine", "format_row", "format_targets", "format_run"]


def format_time(seconds):
    """3 significant digits in a readable unit: '812 ns', '41.2 us', '3.07 ms', '1.25 s'."""
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def _spread(stats):
    threads = f" @{stats['threads']}" if "threads" in stats else ""
    return (f"{format_time(stats['median_s'])} [{format_time(stats['min_s'])}-{format_time(stats['max_s'])}]"
            f"{threads}")


def _vs(stats, key, reference):
    if key not in stats:
        return "n/a"
    times = stats[key]["median_s"] / stats[reference]["median_s"]
    threads = f" @{stats[key]['threads']}" if "threads" in stats[key] else ""
    return f"{format_time(stats[key]['median_s'])} x{times:.2f}{threads}"


def _table(header, rows):
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    line = lambda cells: "  ".join(str(c).rjust(w) for c, w in zip(cells, widths))  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def format_optimizer(row):
    header = ["optimizer", "dtype", "N", "course_lib [min-max]", "numpy", "torch", "torch_foreach", "torch_fused",
              "limit", "GB/s", "% limit"]
    rows = []
    for r in row["results"]:
        t = r["timings"]
        rows.append([r["optimizer"], r["dtype"], f"{r['size']:.0e}", _spread(t["course_lib"]),
                     *(_vs(t, k, "course_lib") for k in ("numpy", "torch", "torch_foreach", "torch_fused")),
                     format_time(t["limit"]["median_s"]), f"{r['gb_s']['course_lib']:.1f}",
                     f"{100 * r['fraction_of_limit']:.0f}%"])
    return ("Optimizer step (time per step; other contenders: time x(their time / course_lib's) @threads; "
            "limit: the bandwidth kernel)\n" + _table(header, rows))


def format_mlp(row):
    header = ["case", "dtype", "course_lib [min-max]", "numpy", "torch", "torch@2"]
    rows = [[r["case"], r["dtype"], _spread(r["timings"]["course_lib"]),
             *(_vs(r["timings"], k, "course_lib") for k in ("numpy", "torch", "torch@2"))]
            for r in row["results"]]
    fit = row["fit"]
    t = fit["timings"]
    fit_line = (f"{fit['steps']} full-batch steps on 600 spiral points (float64): train.fit "
                f"{_spread(t['course_lib_fit'])}"
                + "".join(f" | {label} {_vs(t, key, 'course_lib_fit')}"
                          for label, key in (("course_lib loop", "course_lib"), ("numpy", "numpy"),
                                             ("torch", "torch"))))
    return ("MLP training step (forward + backward + Adam; each at its faster thread count @t, x = its time / "
            "course_lib's)\n" + _table(header, rows) + "\n" + fit_line)


def format_startup(row):
    header = ["cache", "runs", "import course_lib", "first calls", "import + first calls", "whole process",
              "kernels called"]
    rows = []
    for kind in ("cold", "warm"):
        s = row[kind]
        k = s["kernels"]
        rows.append([kind, s["total_s"]["repeats"], _spread(s["import_s"]), _spread(s["first_calls_s"]),
                     _spread(s["total_s"]), _spread(s["process_s"]), f"{k['called']}/{k['total']}"])
    notes = [f"cold / warm = x{row['cold_over_warm']:.1f}; tour: {row['tour']}"]
    slow = sorted(row["warm"]["modules_median_s"].items(), key=lambda kv: -kv[1])[:3]
    notes.append("warm, slowest parts: " + ", ".join(f"{name} {format_time(s)}" for name, s in slow))
    for kind in ("cold", "warm"):
        for problem in row[kind]["failed"]:
            notes.append(f"{kind} run failed: {problem}")
        for text in row[kind]["stderr"]:
            notes.append(f"{kind} run wrote to stderr: {text.strip()[:300]}")
    return "Start-up in a fresh process\n" + _table(header, rows) + "\n" + "\n".join(notes)


def format_interactivity(row):
    header = ["explorer", "moves", "compute per update [min-max]", "slowest control", "1 BLAS thread",
              "render (Agg)", "goal"]
    rows = []
    for r in row["results"]:
        goal = f"{r['goal_s'] * 1e3:.0f} ms"
        if r["compute"] is None:
            rows.append([r["explorer"], 0, r.get("error", "nothing moved"), "-", "-", "-", goal])
            continue
        one = r.get("one_blas_thread")
        rows.append([r["explorer"] + (" (until trained)" if r.get("background") else ""), r["moves"],
                     _spread(r["compute"]), f"{r['slowest_control']} {format_time(r['slowest_control_median_s'])}",
                     format_time(one and one["median_s"]), format_time(r["render"] and r["render"]["median_s"]),
                     goal])
    return "Interactivity: one control move (compute time; render is extra)\n" + _table(header, rows)


def format_targets(targets):
    words = {True: "met", False: "MISSED", None: "not measured"}
    rows = []
    for t in targets:
        value, low = t["value"], t["value_from_minimums"]
        rows.append([t["row"], t["name"], t["goal"], "-" if value is None else f"{value:.3g}", words[t["met"]],
                     "-" if low is None else f"{low:.3g}", words[t["met_from_minimums"]]])
    return ("Targets (verdict on the medians; the same figure from the fastest samples beside it)\n"
            + _table(["row", "target", "goal", "median", "verdict", "from minimums", "verdict"], rows))


FORMATTERS = {"optimizer": format_optimizer, "mlp": format_mlp, "startup": format_startup,
              "interactivity": format_interactivity}


def format_machine(m):
    return (f"{m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; Python {m['python']}, NumPy {m['numpy']}, "
            f"Numba {m['numba']}, PyTorch {m['torch'] or 'not installed'}; load average {m['load_average']}")


def format_row(name, row):
    """One row's table, then how long it took and the load average around it."""
    load = row["load_average"]
    return FORMATTERS[name](row) + f"\n({row['seconds']:.0f} s, load average {load['before']} -> {load['after']})"


def format_run(results):
    """The whole report: machine line, one table per row that was run, then every target's verdict."""
    parts = [format_machine(results["machine"]) + f" before, {results['load_average_after']} after"]
    parts += [format_row(name, row) for name, row in results["rows"].items()]
    parts.append(format_targets([t for row in results["rows"].values() for t in row["targets"]]))
    return "\n\n".join(parts)
