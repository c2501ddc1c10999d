"""Run the benchmarks, print the tables and write results.json (``make bench`` runs this).

    python -m benchmarks                          # everything, 21 interleaved repetitions per figure
    python -m benchmarks --only optimizer,mlp     # some rows (names or numbers 1-4)
    python -m benchmarks --quick                  # tiny sizes, 2 repetitions: checks that the code runs
    python -m benchmarks --output /tmp/r.json
    python -m benchmarks --show benchmarks/results.json   # the tables of an earlier run

The rows: 1 optimizer (one optimizer step), 2 mlp (one training step), 3 startup (import and first calls),
4 interactivity (one slider move in each explorer). See each module's docstring for what is timed and how.
"""
import argparse
import json
import time
from pathlib import Path

import numpy as np

from benchmarks import interactivity, machine, mlp_step, optimizer_step, report, startup

ROWS = ("optimizer", "mlp", "startup", "interactivity")
REPEATS = 21  # at least 20 per figure; odd, so the median is one of the samples
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results.json"


def _rows(text):
    chosen = []
    for item in text.split(","):
        item = item.strip()
        if item.isdigit() and 1 <= int(item) <= len(ROWS):
            item = ROWS[int(item) - 1]
        if item not in ROWS:
            raise argparse.ArgumentTypeError(f"unknown row {item!r}; choose from {', '.join(ROWS)} (or 1-4)")
        chosen.append(item)
    return [row for row in ROWS if row in chosen]


def run_rows(rows, quick=False, repeats=REPEATS, on_row=None):
    """{row: its results} for the chosen rows, with the quick or the full settings; `on_row(name, result)` is
    called as each row finishes (to print its table while the next one runs)."""
    out = {}
    warmup = 1 if quick else 3
    threads = (1,) if quick else None  # quick: one thread count (the second one only doubles the time)
    min_sample_s = 1e-4 if quick else 2e-3
    for row in rows:
        start = time.perf_counter()
        load_before = machine.load_average()
        if row == "optimizer":
            sizes = optimizer_step.QUICK_SIZES if quick else optimizer_step.SIZES
            out[row] = optimizer_step.run(sizes=sizes, repeats=repeats, warmup=warmup, min_sample_s=min_sample_s,
                                          threads=threads)
        elif row == "mlp":
            cases = mlp_step.QUICK_CASES if quick else mlp_step.CASES
            out[row] = mlp_step.run(cases=cases, repeats=repeats, warmup=warmup, min_sample_s=min_sample_s,
                                    fit_steps=10 if quick else mlp_step.FIT_STEPS,
                                    threads=threads or mlp_step.THREADS)
        elif row == "startup":
            out[row] = (startup.run(cold_runs=1, warm_runs=1, tour=["ema", "seeding"]) if quick
                        else startup.run())
        else:
            out[row] = (interactivity.run(moves=repeats, render_moves=0, every_control=False) if quick
                        else interactivity.run(moves=repeats))
        out[row]["seconds"] = time.perf_counter() - start
        out[row]["load_average"] = {"before": load_before, "after": machine.load_average()}
        if on_row is not None:
            on_row(row, out[row])
    return out


def _jsonable(value):
    """NumPy scalars (a cost in float32, a count in int64) as plain Python numbers for json."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes, 2 repetitions, 1 thread, no rendering: checks that the code runs")
    parser.add_argument("--only", type=_rows, default=list(ROWS), metavar="ROWS",
                        help=f"comma-separated rows: {', '.join(ROWS)} (or 1-4)")
    parser.add_argument("--repeats", type=int, default=None,
                        help=f"repetitions per figure (default {REPEATS}; quick 2)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help=f"default {DEFAULT_OUTPUT}")
    parser.add_argument("--show", type=Path, metavar="RESULTS",
                        help="print the tables of a results.json written earlier, and run nothing")
    args = parser.parse_args(argv)
    if args.show is not None:
        print(report.format_run(json.loads(args.show.read_text())))
        return None
    repeats = args.repeats if args.repeats is not None else (2 if args.quick else REPEATS)
    if repeats < 1:
        parser.error("--repeats must be at least 1")

    started = time.time()
    info = machine.describe()
    print(report.format_machine(info), flush=True)

    def show(name, row):
        print("\n" + report.format_row(name, _jsonable(row)), flush=True)

    rows = run_rows(args.only, quick=args.quick, repeats=repeats, on_row=show)
    results = _jsonable({
        "machine": info,
        "load_average_after": machine.load_average(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(started)),
        "seconds": time.time() - started,
        "settings": {"quick": args.quick, "repeats": repeats, "rows": args.only},
        "rows": rows,
    })
    print("\n" + report.format_targets([t for row in results["rows"].values() for t in row["targets"]]))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=1) + "\n")
    print(f"\nwrote {args.output} ({results['seconds']:.0f} s)")
    return results


if __name__ == "__main__":
    main()
