"""Try typical wrong answers against an assignment's tests, in this process, and read the feedback they get.

The solution notebook's code cells (all but the test cells and the ones named in `skip`) run once into a namespace.
A wrong answer is code that replaces the student's (a `def` of the same name, usually); `Assignment.run` executes it
in a copy of that namespace, then one test cell: the *released* visible test (what the student sees when running
the notebook: EXPECTED blocks already replaced by numbers) or, with `hidden=True`, the solution's whole test cell
(visible and hidden tests: what the autograder's feedback shows). The outcome says whether the part failed, with
which message, and whether the failure was a raw error raised by the test's own code rather than an assertion.

    a = Assignment("04_descent_ema_momentum")
    out = a.run("ema_test", "def ema(x, beta): ...")
    assert out.failed and out.named
"""
import contextlib
import copy
import io
import json
import textwrap
import warnings
from dataclasses import dataclass

import matplotlib
import numpy as np

from conftest import ROOT

NAMED = "This matches a known mistake"


def _source(cell):
    return "".join(cell["source"])


def _grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or cell.get("id")


def _is_test(cell):
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution")


def _runnable(source):
    """Cell source without IPython magics and shell lines, which plain exec cannot run."""
    return "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))


def _notebook(folder, assignment):
    return json.loads((ROOT / folder / assignment / f"{assignment}.ipynb").read_text())["cells"]


@dataclass
class Outcome:
    failed: bool
    message: str
    raw: str | None = None  # "TypeError: ..." when the test cell raised something other than AssertionError

    @property
    def named(self):
        return self.failed and self.raw is None and NAMED in self.message


def _fresh(namespace):
    """A copy of the namespace in which a wrong answer cannot change the data other runs see (arrays, lists, dicts
    are copied; modules, functions and classes are shared)."""
    out = {}
    for key, value in namespace.items():
        if isinstance(value, (np.ndarray, list, dict, set)):
            try:
                value = copy.deepcopy(value)
            except Exception:
                pass
        out[key] = value
    return out


class Assignment:
    """One assignment's solved namespace and its test cells, released (visible) and full (visible + hidden)."""

    def __init__(self, assignment, skip=()):
        matplotlib.use("Agg")
        self.name = assignment
        solution = _notebook("solutions", assignment)
        release = _notebook("assignments", assignment)
        self.visible = {_grade_id(c): _source(c) for c in release if c["cell_type"] == "code" and _is_test(c)}
        self.full = {_grade_id(c): _source(c) for c in solution if c["cell_type"] == "code" and _is_test(c)}
        self.namespace = {"__name__": f"feedback_{assignment}"}
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for cell in solution:
                gid = _grade_id(cell)
                if cell["cell_type"] != "code" or _is_test(cell) or gid in skip:
                    continue
                exec(compile(_runnable(_source(cell)), gid, "exec"), self.namespace)
        import matplotlib.pyplot as plt
        plt.close("all")

    def run(self, test_id, wrong_code, hidden=False):
        """Replace the student's code by `wrong_code`, run the test cell `test_id`; return its Outcome."""
        tests = self.full if hidden else self.visible
        if test_id not in tests:
            raise KeyError(f"{self.name} has no test cell {test_id!r}; it has {sorted(tests)}")
        ns = _fresh(self.namespace)
        exec(compile(textwrap.dedent(wrong_code), "<wrong answer>", "exec"), ns)
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                exec(compile(_runnable(tests[test_id]), test_id, "exec"), ns)
            except AssertionError as failure:
                return Outcome(True, str(failure))
            except Exception as error:  # the test's own code broke on the wrong answer
                return Outcome(True, str(error), raw=f"{type(error).__name__}: {error}")
            finally:
                import matplotlib.pyplot as plt
                plt.close("all")
        return Outcome(False, "")


def named_share(outcomes):
    """The share of outcomes that failed with a message naming the mistake."""
    outcomes = list(outcomes)
    return sum(o.named for o in outcomes) / len(outcomes)


__all__ = ["Assignment", "Outcome", "NAMED", "named_share"]
