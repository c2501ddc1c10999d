"""Grade one student's submission of one assignment, in a process of its own:
``python -m course_lib.instructor.grade.worker JOB.json``.

The parent (`instructor.grade.run`) starts one worker per submission, in a new process group, with a private HOME,
IPYTHONDIR, NUMBA_CACHE_DIR, MPLCONFIGDIR and Jupyter folders, so that nothing one student's code leaves behind
(a Numba ``cache=True`` function compiled in a notebook, an IPython startup file, a matplotlib setting) reaches the
next student. The worker

1. reads the submitted notebook leniently and rebuilds it around the instructor's cells (`repair.restore`);
2. scans the cells the student controls (`scan.scan`);
3. runs the notebook ONE CELL AT A TIME in a fresh kernel (nbclient), with a timeout per cell:

   - a cell that times out is interrupted (SIGINT); if the kernel does not answer within a few seconds (an endless
     loop inside compiled Numba code never returns to Python, where SIGINT is handled), the kernel is killed,
     a new one is started, every cell that had finished is run again silently to rebuild the state, and grading
     continues after the stuck cell;
   - a cell that kills the kernel (``os._exit``, a crash in compiled code) is handled the same way;
   - before every test cell the guard (`instructor.grade.guard`) puts back whatever student code changed in NumPy,
     course_lib, the tests' helper names and IPython's input transformers, and reports it;

4. scores the test cells by nbgrader's rule (`nbgrader.utils.determine_grade`) after two documented changes:

   - stderr output in a TEST cell does not cost the points: the cell's assertions decide. A warning that the
     student's code triggers inside a test (a NumPy RuntimeWarning, a DeprecationWarning) is shown to the student
     in the feedback as ordinary output. nbgrader itself scores any stderr output as 0;
   - the value of a test cell's last expression is not read as partial credit (nbgrader would give full credit
     for a trailing ``False`` and partial credit for a number the student's code controls): a test cell scores
     its points when it raises nothing, and 0 when it raises;

5. writes the autograded notebook, the student's feedback (HTML) and the result (JSON) atomically, and after each
   test cell a progress file, from which the parent reports the parts already graded if the whole submission
   hits its wall-clock limit.
"""
import ast
import copy
import json
import os
import signal
import sys
import time
from pathlib import Path

# nbformat imports jsonschema, which imports rfc3987_syntax when it is installed, and that compiles a grammar on
# import: about 3 s of CPU in every worker. Notebooks never use its URI formats, so the worker goes without it.
sys.modules.setdefault("rfc3987_syntax", None)

import nbformat  # noqa: E402  (after the line above)
from jupyter_core.utils import run_sync  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import CellTimeoutError, DeadKernelError  # noqa: E402
from nbformat.v4 import new_code_cell, new_notebook, new_output  # noqa: E402

from course_lib.instructor.grade import judge, kernel, report, sandbox  # noqa: E402  [judge hook: judge]
from course_lib.instructor.grade.repair import (SubmissionError, grade_id, kind, load_submission,  # noqa: E402
                                               restore, role)
from course_lib.instructor.grade.scan import protected_names, scan  # noqa: E402
from course_lib.instructor.release import read_notebook  # noqa: E402

OUTPUT_LIMIT = 100_000  # characters of stream output kept per cell; the rest is counted, not stored
INTERRUPT_GRACE = 5.0  # seconds a kernel gets to answer after SIGINT before it is killed
GUARD_TIMEOUT = 30.0  # seconds for one call of the guard
MAX_RESTARTS = 3  # kernel restarts per notebook; after that the remaining cells are not run
READONLY_TIMEOUT = 600.0  # seconds for the instructor's read-only cells (imports may compile kernels); they run no
#                           student code, so the per-cell timeout that stops students' loops does not apply to them
_GUARD = "__import__('course_lib.instructor.grade.guard', fromlist=['guard'])."


class _GiveUp(Exception):
    """The kernel could not be brought back to a usable state."""


class _Client(NotebookClient):
    """nbclient's client with a cap on each cell's stream output (a loop printing forever must not fill memory)."""

    def output(self, outs, msg, display_id, cell_index):
        if msg["msg_type"] == "stream":
            kept = self._kept.get(cell_index, 0)
            text = msg["content"].get("text", "")
            room = max(OUTPUT_LIMIT - kept, 0)
            if len(text) > room:
                self._dropped[cell_index] = self._dropped.get(cell_index, 0) + len(text) - room
                if not room:
                    return None
                msg["content"]["text"] = text[:room]
            self._kept[cell_index] = kept + min(len(text), room)
        return super().output(outs, msg, display_id, cell_index)


def _error(name, value):
    return new_output("error", ename=name, evalue=value, traceback=[f"{name}: {value}"])


def _hand_connection_file_to(km, uid):
    """Make the connection file jupyter_client writes (0600, the grader's) readable by the sandbox's user only."""
    write = km.write_connection_file

    def write_and_give(**kwargs):
        write(**kwargs)
        os.chown(km.connection_file, uid, uid)

    km.write_connection_file = write_and_give


class Runner:
    """Runs the code cells of `nb` in order in a fresh kernel, surviving hung cells and dead kernels.

    `events` collects what went wrong ("cell X timed out ..."), `restored` what the guard had to put back before
    which test cell. `on_test(index)` is called after each test cell has run.
    """

    def __init__(self, nb, cwd, cell_timeout, on_test=None, uid=None, limits=None, cgroups=()):
        self.nb, self.cwd, self.cell_timeout = nb, str(cwd), float(cell_timeout)
        self.uid = uid  # the sandbox's user: the kernel must be able to read its connection file
        self.limits = limits  # sandbox.Limits, to say in words which one a cell hit
        self.cgroups = cgroups  # the kernel's control groups (their cgroup.procs files), whose OOM kills are counted
        self.oom_kills = 0
        self.garbled = False
        self.on_test = on_test or (lambda index: None)
        self.protect = {i: protected_names(c.source) for i, c in enumerate(nb.cells)
                        if c.cell_type == "code" and role(c) == "readonly"}
        self.done, self.events, self.restored, self.not_run = [], [], [], []
        self.restarts = 0
        self.client = None
        self._timeout = self.cell_timeout

    # -- the kernel ------------------------------------------------------------------------------------------------

    def start(self):
        self.client = _Client(self.nb, timeout_func=lambda cell: self._timeout, allow_errors=True,
                              kernel_name=kernel.NAME, resources={"metadata": {"path": self.cwd}},
                              startup_timeout=120, shutdown_kernel="immediate", record_timing=False)
        self.client._kept, self.client._dropped = {}, {}
        self.client.km = self.client.create_kernel_manager()
        # Unix sockets, not TCP ports: a free port picked for one kernel can be taken by another kernel starting
        # at the same moment ("Address already in use"), which leaves the client waiting for a dead kernel.
        self.client.km.transport = "ipc"
        self.client.km.ip = str(Path(os.environ.get("JUPYTER_RUNTIME_DIR", self.cwd)) / f"k{self.restarts}")
        if self.uid is not None:  # in the sandbox's own folder, readable by its user
            self.client.km.connection_file = f"{self.client.km.ip}.json"
            _hand_connection_file_to(self.client.km, self.uid)
        try:
            self.client.start_new_kernel()
            self.client.start_new_kernel_client()
        except Exception as exc:
            raise _GiveUp(f"the kernel did not start ({type(exc).__name__}: {exc})") from None
        self.snapshot_taken = False
        self._guard("install()")

    def close(self):
        client, self.client = self.client, None
        if client is None or client.km is None:
            return
        try:
            if client.kc is not None:
                client.kc.stop_channels()
            run_sync(client.km.shutdown_kernel)(now=True)
        except Exception:  # the kernel is gone already
            pass

    def _guard(self, call, timeout=GUARD_TIMEOUT):
        """Evaluate a guard function in the kernel through user_expressions (no input transformer sees it)."""
        return self._expression(_GUARD + call, timeout)

    def _expression(self, expression, timeout):
        msg_id = self.client.kc.execute("", silent=True, store_history=False, user_expressions={"r": expression})
        self._timeout = timeout
        try:
            reply = self.client.wait_for_reply(msg_id, new_code_cell(""))
        finally:
            self._timeout = self.cell_timeout
        value = (reply or {}).get("content", {}).get("user_expressions", {}).get("r", {})
        if value.get("status") != "ok":
            raise _GiveUp(f"the grader's guard could not run in the kernel ({value.get('ename', 'no reply')}: "
                          f"{value.get('evalue', '')})")
        return ast.literal_eval(value["data"]["text/plain"])

    def _restart(self, why):
        self.close()
        self.restarts += 1
        if self.restarts > MAX_RESTARTS:
            raise _GiveUp(f"{why}; gave up after {MAX_RESTARTS} kernel restarts")
        self.start()
        for index in list(self.done):
            if self._run(index, record=False) != "ok":
                raise _GiveUp(f"{why}; after a restart the earlier cells could not be run again")

    # -- cells -----------------------------------------------------------------------------------------------------

    def _label(self, index):
        return grade_id(self.nb.cells[index]) or f"#{index + 1}"

    def _run(self, index, record):
        """Run cell `index` (a silent copy unless `record`); return 'ok', 'timeout' or 'dead'."""
        cell = self.nb.cells[index]
        what = role(cell)
        try:
            if what in ("student", "test") and not self.snapshot_taken:
                self._guard("snapshot()")
                self.snapshot_taken = True
            if what == "readonly" and self.snapshot_taken:
                self._guard("readonly_start()")
            if what == "test":
                changed = self._guard("before_test()")
                if changed and record:
                    self.restored.append((self._label(index), changed))
        except (CellTimeoutError, DeadKernelError):
            return "dead"  # the kernel is not answering even the guard: treat it as lost
        target = cell if record else copy.deepcopy(cell)
        self._timeout = max(self.cell_timeout, READONLY_TIMEOUT) if what == "readonly" else self.cell_timeout
        try:
            self.client.execute_cell(target, index)
        except CellTimeoutError:
            return "timeout"
        except DeadKernelError:
            return "dead"
        except ValueError as exc:  # "Invalid Signature": a garbled message (a thread that could not start while
            if "Signature" not in str(exc):  # sending, or code writing to the kernel's sockets): do not trust it
                raise
            self.garbled = True
            return "dead"
        finally:
            self._timeout = self.cell_timeout
        if what == "readonly":
            try:
                self._guard(f"protect({self.protect.get(index, [])!r})")
            except (CellTimeoutError, DeadKernelError):
                return "dead"
        return "ok"

    def _after_timeout(self):
        """True if the kernel came back after SIGINT (a Python loop), False if it is stuck (compiled code)."""
        try:
            run_sync(self.client.km.interrupt_kernel)()
            self._expression("1", INTERRUPT_GRACE)
            return True
        except (CellTimeoutError, DeadKernelError, _GiveUp):
            return False

    def _limit_that_killed(self):
        """'memory limit of 4 GiB exceeded' when the kernel's memory group killed it since the last check."""
        kills = sandbox.oom_kills(self.cgroups)
        if kills > self.oom_kills and self.limits is not None:
            self.oom_kills = kills
            return f"memory limit of {sandbox.size_text(self.limits.memory)} exceeded"
        return None

    def _note_limit(self, index):
        """If cell `index` failed on a grading limit (memory, processes, file size), say which, in words."""
        if self.limits is None:
            return
        for output in self.nb.cells[index].outputs:
            if output.output_type == "error":
                reason = self.limits.reason(output.ename, output.evalue)
                if reason:
                    self.events.append(f"cell {self._label(index)}: {reason}")
                    output.evalue = f"{reason} ({output.evalue})" if output.evalue else reason
                return

    def _skip(self, indices, why):
        """Mark the cells in `indices` that have not finished as not run (so a test among them scores 0)."""
        self.events.append(why)
        self.not_run = [i for i in indices if i not in self.done]
        for index in self.not_run:
            self.nb.cells[index].outputs.append(_error("NotRun", f"not run: {why}"))

    def run(self):
        indices = [i for i, c in enumerate(self.nb.cells) if c.cell_type == "code"]
        try:
            self.start()
        except _GiveUp as exc:
            self._skip(indices, str(exc))
            return
        for position, index in enumerate(indices):
            cell = self.nb.cells[index]
            try:
                outcome = self._run(index, record=True)
                if outcome == "timeout":
                    if self._after_timeout():
                        why = f"cell {self._label(index)} did not finish within {self.cell_timeout:g} s and was " \
                              "interrupted"
                        cell.outputs.append(_error("TimeoutError", f"this cell did not finish within "
                                                                   f"{self.cell_timeout:g} s"))
                        self.events.append(why)  # not in self.done: a restart must not run it again
                    else:
                        why = f"cell {self._label(index)} did not finish within {self.cell_timeout:g} s and " \
                              "ignored the interrupt (stuck in compiled code?): the kernel was restarted"
                        cell.outputs.append(_error("TimeoutError", f"this cell did not finish within "
                                                                   f"{self.cell_timeout:g} s and could not be "
                                                                   "interrupted"))
                        self.events.append(why)
                        self._restart(why)
                elif outcome == "dead":
                    why = f"the kernel died while running cell {self._label(index)}: it was restarted"
                    limit = self._limit_that_killed()
                    if self.garbled:
                        self.garbled = False
                        why = (f"the kernel sent a garbled message while running cell {self._label(index)}: it was "
                               "stopped and restarted")
                    if limit:
                        why = f"cell {self._label(index)}: {limit}: the kernel was stopped and restarted"
                    cell.outputs.append(_error("DeadKernelError", "the kernel died while running this cell "
                                                                  "(os._exit, a crash or running out of memory)"))
                    self.events.append(why)
                    self._restart(why)
                else:
                    self.done.append(index)
            except _GiveUp as exc:
                self._skip(indices[position:], str(exc))
                break
            self._note_limit(index)
            dropped = self.client._dropped.get(index, 0) if self.client else 0
            if dropped:
                cell.outputs.append(new_output("stream", name="stdout",
                                               text=f"\n[... {dropped} more characters of output not kept]\n"))
            if role(cell) == "test":
                self.on_test(index)
        self.close()


# ----------------------------------------------------------------------------------------------------------------
# Scores


def _message(cell):
    from course_lib.instructor.verify import _first_line

    for output in cell.get("outputs", []):
        if output.output_type == "error":
            return _first_line(f"{output.ename}: {output.evalue}" if output.evalue else output.ename)
    return ""


def neutralise(cell):
    """A test cell's outputs as they are scored: no execute_result, stderr shown as stdout (see module doc)."""
    outputs = []
    for output in cell.outputs:
        if output.output_type == "execute_result":
            continue
        if output.output_type == "stream" and output.name == "stderr":
            output = new_output("stream", name="stdout", text=output.text)
        outputs.append(output)
    cell.outputs = outputs


def determine_grade(cell, handed_out=None):
    """(score, points) of a graded cell by nbgrader's rule (`nbgrader.utils.determine_grade`), for a test cell
    that `neutralise` has cleaned: an error output scores 0, anything else the cell's points (and, unlike
    nbgrader, a test cell that never ran scores 0 too). A written answer
    scores 0 when it is still what the release handed out (`handed_out`), else None: it waits for a human.

    Written out here because importing nbgrader costs every worker seconds; a test checks that both agree."""
    points = float(cell.metadata["nbgrader"].get("points", 0))
    if kind(cell) == "answer":
        return (0.0 if handed_out is not None and cell.source == handed_out else None), points
    if any(output.output_type == "error" for output in cell.get("outputs", [])):
        return 0.0, points
    if cell.get("execution_count") is None:  # never ran (nbclient numbers every cell the kernel answered)
        return 0.0, points
    return points, points


def score_cells(nb, notebook, release=None, upto=None):
    """[{notebook, cell, kind, score, max_score, message}] for the graded cells of an executed notebook (test
    cells only up to cell index `upto`, for progress reports). `release` is what students were given."""
    handed_out = {grade_id(c): c.source for c in release.cells} if release is not None else {}
    rows = []
    for index, cell in enumerate(nb.cells):
        what = kind(cell)
        if what not in ("test", "answer") or (upto is not None and (what != "test" or index > upto)):
            continue
        if what == "test":
            neutralise(cell)
        score, points = determine_grade(cell, handed_out.get(grade_id(cell)))
        rows.append({"notebook": notebook, "cell": grade_id(cell), "kind": what, "score": score,
                     "max_score": points, "message": _message(cell) if what == "test" else ""})
    return rows


def unscored(source, notebook, message):
    """Rows for a notebook that could not be run: every graded cell of `source` scores 0."""
    return [{"notebook": notebook, "cell": grade_id(c), "kind": kind(c), "score": 0.0,
             "max_score": float(c.metadata.nbgrader.get("points", 0)), "message": message}
            for c in source.cells if kind(c) in ("test", "answer")]


# ----------------------------------------------------------------------------------------------------------------
# One job


def write_atomic(path, data):
    """Write bytes or text to `path` through a temporary file and a rename: a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    os.replace(tmp, path)


def _write_notebook(nb, path):
    write_atomic(path, nbformat.writes(nb) + "\n")


def _grade_file(job, spec, path, on_rows):
    """Grade the handed-in file `path` as the assignment's notebook `spec`; return {status, reasons, flags, rows,
    nb} (nb None when it could not be run). `on_rows(rows, flags)` reports progress after each test cell."""
    name, stem = spec["name"], spec["name"][:-len(".ipynb")]
    source, release = read_notebook(spec["source"]), read_notebook(spec["release"])
    out = {"status": "graded", "reasons": [], "flags": [], "rows": [], "nb": None}
    problem = None
    if path is None:
        out["status"], problem = "missing", "not submitted"
        out["reasons"].append(f"{name} was not submitted")
    else:
        try:
            submitted = load_submission(Path(path).read_text(encoding="utf-8", errors="replace"))
        except SubmissionError as exc:
            out["status"], problem = "invalid", f"the notebook could not be read: it is {exc}"
            out["reasons"].append(f"{name if path == spec['submitted'] else Path(path).name} is {exc}")
    if problem:
        out["rows"] = unscored(source, stem, problem)
        return out
    nb, repairs = restore(submitted, source, release)
    out["flags"] += [f"repaired: {note}" for note in repairs] + scan(nb, source)
    session = judge.Session(spec.get("judge"), name)  # [judge hook] outside judgement, see grade.judge

    def on_test(index):
        session.after_test(runner, nb.cells[index])  # [judge hook] replay this part in the kernel, judge here
        rows = score_cells(copy.deepcopy(nb), stem, upto=index)  # answers are scored at the end
        on_rows(rows, out["flags"] + session.apply(rows))  # [judge hook]

    runner = Runner(nb, job["run_dir"], job["cell_timeout"], on_test=on_test,
                    uid=(job.get("sandbox") or {}).get("uid"), cgroups=(job.get("sandbox") or {}).get("cgroups"),
                    limits=sandbox.Limits(*job["limits"]) if job.get("limits") else None)
    try:
        runner.run()
    finally:
        runner.close()
    if runner.events:
        out["status"] = "partial"
        out["reasons"] += [f"{name}: {event}" for event in runner.events]
        out["flags"] += [f"tamper: {event}" for event in runner.events if "guard could not run" in event]
    for test, changed in runner.restored:
        out["flags"].append(f"tamper: before test cell {test} the grader had to restore {', '.join(changed)}")
    out["rows"], out["nb"] = score_cells(nb, stem, release), nb
    out["flags"] += session.apply(out["rows"])  # [judge hook] a part whose results do not match scores 0
    return out


def _points(rows):
    return sum(r["score"] or 0.0 for r in rows if r["kind"] == "test")


def grade_job(job):
    """Grade the job's notebooks; return the result dict (see `course_lib.instructor.grade.run` for its fields).

    A notebook handed in more than once (``X.ipynb`` and ``X-Copy1.ipynb``, see `collect`) is graded in every
    copy and the copy with the most points kept (the one named as the assignment's on a tie); the others and their
    points are reported as a flag, so the instructor sees which file counted."""
    started = time.monotonic()
    result = {"student": job["student"], "assignment": job["assignment"], "hash": job["hash"], "status": "graded",
              "reasons": [], "flags": [], "cells": []}
    progress = []
    if job.get("skipped"):
        result["flags"].append(f"handed in but not part of the assignment (not graded): {', '.join(job['skipped'])}")

    for spec in job["notebooks"]:
        name, stem = spec["name"], spec["name"][:-len(".ipynb")]
        candidates = [spec["submitted"]] + spec.get("copies", [])
        graded = []
        for path in candidates:
            def on_rows(rows, flags):
                write_atomic(job["progress"], json.dumps({"rows": progress + rows, "flags": result["flags"] + flags}))

            graded.append((path, _grade_file(job, spec, path, on_rows)))
        path, best = max(graded, key=lambda g: _points(g[1]["rows"]))  # max keeps the first of equals
        if len(graded) > 1:
            shown = ", ".join(f"{Path(p).name if p else name + ' (missing)'} {_points(g['rows']):g}"
                              for p, g in graded)
            result["flags"].append(f"handed in more than once: {shown} points; kept {Path(path).name}")
        if best["status"] != "graded":
            result["status"] = best["status"]
        result["reasons"] += best["reasons"]
        result["flags"] += best["flags"]
        rows = best["rows"]
        progress += rows
        result["cells"] += rows
        if best["nb"] is not None:
            _write_notebook(best["nb"], Path(job["autograded"]) / name)
            write_atomic(Path(job["feedback"]) / f"{stem}.html", report.feedback_html(best["nb"], job, rows))
        else:
            write_atomic(Path(job["feedback"]) / f"{stem}.html", report.feedback_html(new_notebook(), job, rows))

    result["score"] = sum(r["score"] or 0.0 for r in result["cells"] if r["kind"] == "test")
    result["max_score"] = sum(r["max_score"] for r in result["cells"] if r["kind"] == "test")
    result["seconds"] = round(time.monotonic() - started, 1)
    return result


def _terminate(signum, frame):
    raise SystemExit(128 + signum)  # unwinds through Runner.close(), which kills the kernel


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    job = json.loads(Path(argv[0]).read_text())
    signal.signal(signal.SIGTERM, _terminate)
    box = job.get("sandbox")
    os.environ["JUPYTER_PATH"] = kernel.write_kernelspec(job["jupyter_path"], sandbox.prefix(box) if box else ())
    result = grade_job(job)
    write_atomic(job["result"], json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
