"""`course grade`: autograde a whole class, each submission in a process of its own, and keep what was done.

1. `collect` finds the submissions; nbgrader's generate_assignment (through `instructor.release.generate`) builds
   a course with each assignment's source, release and a gradebook of its cells, kept in the user's cache folder
   (``~/.cache/course-grade/courses/<hash of the sources>``) for the next run.
2. Each submission gets a fingerprint: the hash of its files, of the assignment's source notebook and of the grading
   settings. A submission whose fingerprint matches its state file (``OUT/.course-grade/<assignment>/<student>.json``)
   is not graded again; anything else is (``--force`` regrades everything).
3. Up to ``jobs`` workers run at once (`instructor.grade.worker`), each in its own process group with a private
   HOME, IPYTHONDIR, NUMBA_CACHE_DIR, MPLCONFIGDIR and Jupyter folders and a wall-clock limit; a worker that
   exceeds it is killed with its whole process group, and the parts it had graded are kept (status ``timeout``).
   The private Numba cache starts as a copy of course_lib's compiled kernels (`instructor.grade.kernel_cache`).
4. As each result arrives its state file is written (atomically), it is recorded in the gradebook, and the progress
   bar moves: an interrupted run loses at most the submissions being graded at that moment.
5. grades.csv (`instructor.grade.report`) and the summary table cover every submission found, graded now or before.

The submissions folder is only ever read.
"""
import hashlib
import importlib.metadata
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from nbformat.v4 import new_notebook

from course_lib.instructor.grade import gradebook, judge, kernel_cache, report, sandbox  # [judge hook: judge]
from course_lib.instructor.grade.collect import CollectError, collect
from course_lib.instructor.grade.repair import grade_id, kind
from course_lib.instructor.grade.worker import unscored, write_atomic
from course_lib.instructor.release import RELEASE_DIR, SOURCE_DIR, ReleaseError, generate, known_ids, read_notebook
from course_lib.instructor.verify import CELL_TIMEOUT  # seconds per cell, as for `course verify`

GRADER_VERSION = "2"  # part of every fingerprint: bump it when a change to the grader changes scores
TIME_LIMIT = 1800.0  # seconds of wall-clock time per submission
STATE = ".course-grade"
_KILL_GRACE = 5.0
_PRIVATE = {"HOME": "home", "IPYTHONDIR": "ipython", "NUMBA_CACHE_DIR": "numba", "MPLCONFIGDIR": "matplotlib",
            "XDG_CACHE_HOME": "cache", "XDG_CONFIG_HOME": "config", "JUPYTER_CONFIG_DIR": "jupyter-config",
            "JUPYTER_DATA_DIR": "jupyter-data", "JUPYTER_RUNTIME_DIR": "jupyter-runtime"}


class GradeError(Exception):
    """Grading could not start or could not record its results (the message says why)."""


@dataclass
class GradeRun:
    """What one `course grade` did: every result (dicts as in grades.csv), how many were graded now."""

    results: list
    regraded: int
    unchanged: int
    out: Path
    problems: list = field(default_factory=list)
    notes: list = field(default_factory=list)  # worth knowing, not a failure

    @property
    def exit_code(self):
        return 1 if self.problems or any(r["status"] == "error" for r in self.results) else 0

    def summary(self):
        text = report.summary(self.results, self.regraded, self.unchanged)
        text += f"\ngrades: {self.out / 'grades.csv'}; feedback: {self.out / 'feedback'}"
        text += "".join(f"\nnote: {n}" for n in self.notes)
        return text + "".join(f"\nproblem: {p}" for p in self.problems)


def _fingerprint(sub, course, cell_timeout):
    digest = hashlib.sha256(f"{GRADER_VERSION}\n{cell_timeout:g}\n".encode())
    for name, path in sorted(sub.notebooks.items()):
        digest.update(name.encode() + b"\0")
        digest.update((course / SOURCE_DIR / sub.assignment / name).read_bytes())
        digest.update(Path(path).read_bytes() if path else b"(missing)")
        for extra in sub.copies.get(name, []):
            digest.update(b"copy\0" + Path(extra).name.encode() + b"\0" + Path(extra).read_bytes())
    if sub.folder is not None:
        for extra in sorted(p for p in Path(sub.folder).rglob("*") if p.is_file() and p.suffix != ".ipynb"):
            digest.update(str(extra.relative_to(sub.folder)).encode() + b"\0" + extra.read_bytes())
    return digest.hexdigest()


def _state_path(out, sub):
    return out / STATE / sub.assignment / f"{sub.student}.json"


def _read_state(path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _retry(action, attempts=4):
    """Run `action`, again after a pause if it fails: two graders creating the same assignment or tables in a
    shared database at the same moment make one of them fail on a unique constraint; the second try finds them."""
    for attempt in range(attempts):
        try:
            return action()
        except ImportError:
            raise
        except Exception:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5 + attempt)


def _cache_dir():
    """Where generated courses are kept between runs: the user's cache folder (XDG_CACHE_HOME or ~/.cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "course-grade"


MANIFEST = "manifest.json"  # beside the template's course folder: the sha256 of each of its files


def _manifest(course):
    """{path: sha256} of every file of a template course: what `_template` and `TemplateGuard` check it against."""
    course = Path(course)
    return {str(p.relative_to(course)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(course.rglob("*")) if p.is_file()}


class TemplateGuard:
    """The template course as it was when grading started, kept in the grader's memory: `restore()` before each
    student puts back any file that changed (student code that could reach the cache: no sandbox) and says so."""

    def __init__(self, course):
        self.course = Path(course)
        self.files = {p: p.read_bytes() for p in sorted(self.course.rglob("*")) if p.is_file()}

    def restore(self):
        changed = []
        for path, data in self.files.items():
            try:
                same = path.read_bytes() == data
            except OSError:
                same = False
            if not same:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                changed.append(str(path.relative_to(self.course)))
        extra = [p for p in self.course.rglob("*") if p.is_file() and p not in self.files]
        for path in extra:
            path.unlink()
            changed.append(str(path.relative_to(self.course)))
        return changed


def _template(root, chosen, notes=None):
    """The course nbgrader generated for `chosen` (sources, releases, a gradebook of their cells), kept in the
    user's cache folder under the hash of the sources and nbgrader_config.py (all that the course depends on), so
    that a re-run, another --out or a copy of the course does not generate it again: nbgrader's
    generate_assignment takes tens of seconds."""
    digest = hashlib.sha256(f"{GRADER_VERSION} nbgrader {importlib.metadata.version('nbgrader')}".encode())
    config = root / "nbgrader_config.py"
    digest.update(config.read_bytes() if config.is_file() else b"")
    for aid in chosen:
        folder = root / SOURCE_DIR / aid
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(f"{aid}/{path.relative_to(folder)}".encode() + b"\0" + path.read_bytes())
    kept = _cache_dir() / "courses" / digest.hexdigest()[:24]
    if (kept / "course" / ".complete").is_file():
        recorded = _read_state(kept / MANIFEST)
        if recorded == _manifest(kept / "course"):
            return kept / "course"
        if notes is not None and recorded is not None:  # (none: built by a grader that kept no checksums)
            notes.append(f"the cached template {kept} did not match its checksums (changed since it was built): "
                         "it was built again")
        shutil.rmtree(kept, ignore_errors=True)
    kept.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=kept.parent))
    try:
        generate(root, chosen, building, database=True)
        (building / "course" / ".complete").touch()
        (building / MANIFEST).write_text(json.dumps(_manifest(building / "course"), indent=1))
        try:
            os.replace(building, kept)
        except OSError:  # another grader finished the same template first
            pass
    except ReleaseError as exc:
        raise GradeError(str(exc)) from None
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return kept / "course"


def _job(sub, fingerprint, course, out, work, cell_timeout, kernels=(), box=None):
    """Prepare `work` for one worker and return (job file, environment). The worker's private Numba cache starts
    with `kernels`, course_lib's compiled kernels (`kernel_cache`), so they are loaded instead of compiled.

    Everything the student's kernel may see lies in ``work/box`` (its working folder ``run``, HOME, caches, the
    kernel's sockets); job.json, the result and the log lie beside it, out of the sandbox's view. `box` is the
    sandbox and limits for this job (`Isolation.job`): uid None when the machine gives no sandbox."""
    inside = work / "box"
    run_dir = inside / "run"
    if sub.folder is not None:  # the student's other files, as nbgrader copies them
        shutil.copytree(sub.folder, run_dir, ignore=shutil.ignore_patterns(".*", "*.ipynb", "__pycache__"))
    run_dir.mkdir(parents=True, exist_ok=True)
    release = course / RELEASE_DIR / sub.assignment
    shutil.copytree(release, run_dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.ipynb"))
    job = {
        "student": sub.student, "assignment": sub.assignment, "hash": fingerprint,
        "skipped": sub.skipped,
        "notebooks": [{"name": name, "submitted": str(path) if path else None,
                       "copies": [str(p) for p in sub.copies.get(name, [])],
                       "source": str(course / SOURCE_DIR / sub.assignment / name),
                       "release": str(release / name),
                       "judge": judge.spec(course, sub.assignment, name)}  # [judge hook]
                      for name, path in sorted(sub.notebooks.items())],
        "run_dir": str(run_dir), "jupyter_path": str(work / "jupyter"), "cell_timeout": cell_timeout,
        "result": str(work / "result.json"), "progress": str(work / "progress.json"),
        "autograded": str(out / "autograded" / sub.student / sub.assignment),
        "feedback": str(out / "feedback" / sub.student / sub.assignment),
        "sandbox": dict(box, box=str(inside)) if box and box["uid"] else None,
        "limits": box["stated"] if box else None,  # as the reasons state them
    }
    (work / "job.json").write_text(json.dumps(job, indent=1))
    env = dict(os.environ)
    for variable, folder in _PRIVATE.items():
        (inside / folder).mkdir(exist_ok=True)
        env[variable] = str(inside / folder)
    kernel_cache.seed(inside / _PRIVATE["NUMBA_CACHE_DIR"], kernels)
    if box and box["uid"]:
        sandbox.give(inside, box["uid"])
    package_parent = str(Path(__file__).resolve().parents[3])  # the folder holding course_lib/
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH")) if p)
    env["PYTHONHASHSEED"] = "0"  # the same submission gives the same run
    env["PYTHONNOUSERSITE"] = "1"
    env.pop("JPY_PARENT_PID", None)
    if box:
        env[sandbox.ENV] = box["limits"]
        if not box["cgroups"]:  # the memory limit is an rlimit of address space: fewer arenas, less reserved
            env.setdefault("MALLOC_ARENA_MAX", "2")
    return work / "job.json", env


class Isolation:
    """How this run isolates students (`course_lib.instructor.grade.sandbox`): probed once; `note` says what is off."""

    def __init__(self, limits, secrets, enabled=True):
        self.limits = limits
        self.support = sandbox.probe() if enabled else sandbox.Support(False, sandbox.OFF, "turned off")
        package_dir = Path(__file__).resolve().parents[2]  # course_lib/
        self.hidden = [str(Path(p).resolve()) for p in secrets]
        self.readonly = [str(p) for p in sandbox.readonly_paths(secrets, package_dir)] if self.support.sandbox else []
        self.cgroups = sandbox.Cgroups.create() if self.support.sandbox else None

    @property
    def note(self):
        if self.support.sandbox and self.cgroups is None:
            return (f"no memory control group could be made here, so the memory limit "
                    f"({sandbox.size_text(self.limits.memory)}) is a limit of address space (plus "
                    f"{sandbox.size_text(sandbox.RESERVED)} for what a kernel only reserves)")
        return self.support.note(self.limits)

    def job(self, number):
        uid = sandbox.uid_for(number) if self.support.sandbox else None
        procs = self.cgroups.job(number, self.limits) if self.cgroups else []
        return {"uid": uid, "readonly": self.readonly, "hidden": self.hidden, "cgroups": procs,
                "limits": self.limits.to_env(own_uid=uid is not None, cgroup=bool(procs)),
                "stated": [self.limits.memory, self.limits.processes, self.limits.file_size, self.limits.cpu_seconds]}

    def close(self):
        if self.cgroups:
            self.cgroups.remove()


def _stop(proc):
    """Stop a worker and everything in its process group: SIGTERM, then SIGKILL."""
    for sig, wait in ((signal.SIGTERM, _KILL_GRACE), (signal.SIGKILL, None)):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            break
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    proc.wait()


def _graded_cells(course, sub):
    return {name: read_notebook(course / SOURCE_DIR / sub.assignment / name) for name in sub.notebooks}


def _salvage(sub, fingerprint, course, job, status, reason):
    """A result for a worker that gave no result: the progress it reported, the rest scored 0."""
    progress = _read_state(Path(job["progress"])) or {}
    rows = progress.get("rows", [])
    done = {(r["notebook"], r["cell"]) for r in rows}
    for name, source in _graded_cells(course, sub).items():
        stem = name[:-len(".ipynb")]
        rows += [r for r in unscored(source, stem, f"not graded: {reason}") if (stem, r["cell"]) not in done]
    order = {(name[:-6], grade_id(c)): i for name, source in _graded_cells(course, sub).items()
             for i, c in enumerate(source.cells) if kind(c) in ("test", "answer")}
    rows.sort(key=lambda r: order.get((r["notebook"], r["cell"]), 0))
    for name in sub.notebooks:  # the student still gets a page saying what was graded
        stem = name[:-len(".ipynb")]
        page = report.feedback_html(new_notebook(), job, [r for r in rows if r["notebook"] == stem])
        write_atomic(Path(job["feedback"]) / f"{stem}.html", page)
    tests = [r for r in rows if r["kind"] == "test"]
    return {"student": sub.student, "assignment": sub.assignment, "hash": fingerprint, "status": status,
            "reasons": [reason], "flags": progress.get("flags", []), "cells": rows,
            "score": sum(r["score"] or 0.0 for r in tests), "max_score": sum(r["max_score"] for r in tests)}


def _log_tail(path, lines=5):
    try:
        text = Path(path).read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " / ".join(line.strip() for line in text[-lines:])


def _warm_up(progress, notes):
    """`course warmup` in a process of its own (the tour seeds RNGs and imports everything; none of that belongs
    in the caller's process): course_lib's kernels get compiled into the package's cache, once."""
    done = subprocess.run([sys.executable, "-m", "course_lib.instructor.cli", "warmup"]
                          + ([] if progress else ["--quiet"]),
                          stdin=subprocess.DEVNULL, stdout=None if progress else subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        notes.append("compiling course_lib's kernels before grading failed, so each submission compiles the ones it "
                     f"uses: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}")


def _run_workers(todo, course, out, tmp, jobs, cell_timeout, time_limit, on_result, progress, kernels=(),
                 isolation=None, problems=None):
    """Grade `todo` [(submission, fingerprint)] with up to `jobs` workers; call on_result(sub, result) for each."""
    from tqdm import tqdm

    guard = TemplateGuard(course)

    def check_template():
        changed = guard.restore()
        if changed and problems is not None:
            problems.append(f"the template course {course} was changed while grading ({', '.join(changed[:3])}): "
                            "put back from the grader's copy; student code reached it (no sandbox here?)")

    pending = list(enumerate(todo))
    running = {}
    previous = None
    if todo and threading.current_thread() is threading.main_thread():
        # `kill` (SIGTERM) unwinds like Ctrl-C, through the `finally` below that stops the workers
        previous = signal.signal(signal.SIGTERM, _terminated)
    bar = tqdm(total=len(todo), desc="grading", unit="submission", file=sys.stdout, disable=not progress,
               dynamic_ncols=True)
    try:
        while pending or running:
            while pending and len(running) < jobs:
                check_template()
                number, (sub, fingerprint) = pending.pop(0)
                work = Path(tmp) / "jobs" / str(number)
                work.mkdir(parents=True)
                job_file, env = _job(sub, fingerprint, course, out, work, cell_timeout, kernels,
                                     isolation.job(number) if isolation else None)
                with open(work / "worker.log", "wb") as log:
                    proc = subprocess.Popen([sys.executable, "-m", "course_lib.instructor.grade.worker", str(job_file)],
                                            cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
                running[proc] = (sub, fingerprint, json.loads(job_file.read_text()), time.monotonic())
            time.sleep(0.1)
            for proc, (sub, fingerprint, job, started) in list(running.items()):
                over = time.monotonic() - started > time_limit
                if proc.poll() is None and not over:
                    continue
                if over and proc.poll() is None:
                    _stop(proc)
                    result = _salvage(sub, fingerprint, course, job, "timeout",
                                      f"grading did not finish within {time_limit:g} s (wall-clock limit per "
                                      "submission): the parts graded until then are kept")
                else:
                    result = _read_state(Path(job["result"]))
                    if result is None:
                        _stop(proc)  # whatever the worker left running in its group
                        tail = _log_tail(Path(job["result"]).parent / "worker.log")
                        result = _salvage(sub, fingerprint, course, job, "error",
                                          f"the grading process ended without a result (exit code "
                                          f"{proc.returncode}){': ' + tail if tail else ''}")
                del running[proc]
                on_result(sub, result)
                bar.update(1)
    finally:
        for proc in running:
            _stop(proc)
        check_template()
        bar.close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
            if _terminated.received:  # grading is cleaned up: now end as SIGTERM asked
                signal.raise_signal(signal.SIGTERM)


def _terminated(signum, frame):
    _terminated.received = True
    raise KeyboardInterrupt


_terminated.received = False


def grade(ids=None, submissions=".", root=".", out=None, jobs=None, db=None, cell_timeout=CELL_TIMEOUT,
          time_limit=TIME_LIMIT, force=False, progress=True, memory=None, processes=None, sandboxed=True):
    """Grade the submissions in `submissions` for assignments `ids` (all found when empty); return a GradeRun.

    `out` (default: the course folder `root`) receives gradebook.db (unless `db` is a database URL),
    autograded/, feedback/, grades.csv and the state files. Raises GradeError when nothing can be graded.
    Each student's kernel runs in a sandbox (`instructor.grade.sandbox`, where the machine offers one) with at
    most `memory` bytes (default 4 GiB) and `processes` processes and threads (default 64).
    """
    root = Path(root).resolve()
    out = Path(out).resolve() if out else root
    if not jobs:  # one per core this process may use
        jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    names = {aid: sorted(p.name for p in (root / SOURCE_DIR / aid).glob("*.ipynb")) for aid in known_ids(root)}
    try:
        subs = collect(submissions, ids, names)
    except CollectError as exc:
        raise GradeError(str(exc)) from None
    chosen = sorted({s.assignment for s in subs})
    url = db or f"sqlite:///{out / 'gradebook.db'}"
    out.mkdir(parents=True, exist_ok=True)
    results, todo, problems, notes = {}, [], [], []
    limits = sandbox.Limits(memory=int(memory or sandbox.Limits.memory),
                            processes=int(processes or sandbox.Limits.processes),
                            cpu_seconds=int(max(time_limit, 60)))
    with tempfile.TemporaryDirectory(prefix="course-grade-") as tmp:
        isolation = Isolation(limits, [root, out, Path(submissions).resolve(), _cache_dir(), tmp], sandboxed)
        if isolation.note:
            notes.append(isolation.note)
        course = _template(root, chosen, notes)
        template = f"sqlite:///{course / 'gradebook.db'}"
        try:
            course_id = None
            for aid in chosen:
                course_id = _retry(lambda: gradebook.copy_assignment(template, url, aid))
        except Exception as exc:
            raise GradeError(f"cannot use the gradebook {gradebook.shown(url)}: {type(exc).__name__}: "
                             f"{str(exc).splitlines()[0] if str(exc) else ''}"
                             + ("; PostgreSQL needs the psycopg2 driver: pip install psycopg2-binary"
                                if isinstance(exc, ImportError) else "")) from None
        for sub in subs:
            fingerprint = _fingerprint(sub, course, cell_timeout)
            state = _read_state(_state_path(out, sub))
            if not force and state and state.get("hash") == fingerprint and state.get("status") != "error":
                results[(sub.assignment, sub.student)] = state
            else:
                todo.append((sub, fingerprint))

        with gradebook.open_gradebook(url, course_id) as gb:
            def keep(sub, result):
                result["recorded"] = []
                try:
                    gradebook.record(gb, result)
                    result["recorded"] = [gradebook.shown(url)]
                except Exception as exc:
                    gb.db.rollback()
                    problems.append(f"{sub.assignment}/{sub.student}: not recorded in the gradebook: "
                                    f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
                write_atomic(_state_path(out, sub), json.dumps(result, indent=1))
                results[(sub.assignment, sub.student)] = result

            for key, state in list(results.items()):  # unchanged, but maybe not yet in this gradebook
                if gradebook.shown(url) not in state.get("recorded", []):
                    sub = next(s for s in subs if (s.assignment, s.student) == key)
                    keep(sub, state)
            kernels = []
            if todo:  # compiled and cached once (a second when they already are), then copied to every student
                _warm_up(progress, notes)
                kernels = kernel_cache.compiled_kernels()
                judge.prepare(course, chosen, notes)  # [judge hook] record the solutions' results, once per template
                if not kernels:
                    notes.append("course_lib's compiled kernels could not be cached next to the package (read-only, "
                                 "or NUMBA_CACHE_DIR is set), so every submission compiled the ones it used (up to "
                                 "half a minute each)")
            try:
                _run_workers(todo, course, out, tmp, max(1, jobs), float(cell_timeout), float(time_limit), keep,
                             progress, kernels, isolation, problems)
            finally:
                isolation.close()
    ordered = [results[(s.assignment, s.student)] for s in subs]
    write_atomic(out / "grades.csv", report.csv_text(ordered))
    return GradeRun(ordered, regraded=len(todo), unchanged=len(subs) - len(todo), out=out, problems=problems,
                    notes=notes)
