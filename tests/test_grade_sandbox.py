"""`course grade` against students who attack the grader from inside their kernel: each attack in issue 14, graded in
ONE run (two jobs) in the bubblewrap sandbox with small limits (512 MiB, 32 processes), each with the score, the
flag or reason it must get, and the proof that nothing outside the sandbox changed (the course folder, every
submission, the template cache and the output written before the run are hashed before and after).

The course is a copy of assignment 01's sources in a temporary folder, so an attack that got through would damage
only the copy. Runs where the sandbox works (Linux, root, bwrap); elsewhere it skips with the reason, and
`course grade` itself says which protections are off (tested without a sandbox below).
"""
import csv
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fixtures.grade import redteam

from conftest import ROOT
from course_lib.grade import sandbox
from course_lib.grade.run import MANIFEST, _cache_dir, _manifest, _template, grade

pytestmark = pytest.mark.slow

SUPPORT = sandbox.probe()
needs_sandbox = pytest.mark.skipif(not SUPPORT.sandbox, reason=f"no sandbox on this machine: {SUPPORT.why}")
MEMORY, PROCESSES = 512 * 2 ** 20, 32
MARKER = "course-grade-lingering-attacker"


def tree_hash(folder, skip=()):
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if not any(s in p.parts for s in skip)):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def attack(part, code):
    def build(a):
        nb = a.filled()
        a.part(nb, part).source += "\n\n\n" + code + "\n"
        return nb
    return build


def steal(paths):
    """A blank notebook whose first cell looks for the instructor's solutions and runs them (from the issue)."""
    code = (f"import glob, json\nfound = []\nfor pattern in {paths!r}:\n    found += glob.glob(pattern)\n"
            "print('FOUND', sorted(found))\nfor path in found:\n    if path.endswith('.ipynb'):\n"
            "        for c in json.load(open(path))['cells']:\n"
            "            if c['cell_type'] == 'code' and 'BEGIN SOLUTION' in ''.join(c['source']):\n"
            "                exec(''.join(l for l in c['source'] if 'SOLUTION' not in l), globals())\n")

    def build(a):
        nb = a.filled([])
        a.part(nb, "sum_times_solution").source = code
        return nb
    return build


def vandalise(targets):
    code = ("import glob\nfor pattern in %r:\n    for path in glob.glob(pattern, recursive=True):\n        try:\n"
            "            open(path, 'w').write('{}')\n        except OSError as exc:\n            print('refused', exc)\n"
            % (targets,))
    return attack("sum_times_solution", code)


def linger(out):
    """A process that leaves grading behind (setsid) and afterwards zeroes the gradebook and rewrites grades.csv."""
    script = (f"import sqlite3, time; time.sleep(2); "
              f"db = sqlite3.connect('{out}/gradebook.db'); db.execute('update grade set auto_score = 0'); "
              f"db.commit(); open('{out}/grades.csv', 'w').write('pwned')")
    code = ("import subprocess, sys\nsubprocess.Popen(['setsid', sys.executable, '-c', %r, %r], "
            "start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)" % (script, MARKER))
    return attack("sum_times_solution", code)


@pytest.fixture(scope="module")
def assignment():
    return redteam.Assignment(ROOT)


@pytest.fixture(scope="module")
def graded(tmp_path_factory, assignment):
    if not SUPPORT.sandbox:
        pytest.skip(f"no sandbox on this machine: {SUPPORT.why}")
    base = tmp_path_factory.mktemp("sandbox")
    course, submitted, out = base / "course", base / "submitted", base / "out"
    for folder in ("solutions", "assignments"):
        shutil.copytree(ROOT / folder / assignment.aid, course / folder / assignment.aid)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    out.mkdir()
    (out / "kept.txt").write_text("the instructor's file in --out")
    aid, name = assignment.aid, assignment.name
    cache = _cache_dir()
    students = {
        "honest": redteam.honest,
        "reads_solutions": steal(["../job.json", "../../*/job.json", "/tmp/course-grade-*/jobs/*/job.json",
                                  f"{course}/solutions/*/*.ipynb", f"{cache}/courses/*/course/source/*/*.ipynb"]),
        "poisons_cache": vandalise([f"{cache}/courses/*/course/**/*.ipynb"]),
        "vandal": vandalise([f"{submitted}/honest/**/*.ipynb", f"{course}/solutions/**/*.ipynb",
                             f"{out}/**/*"]),
        "lingers": linger(out),
        "memory_hog": attack("gates_solution", "import numpy as _np\n_big = _np.ones(6 * 2 ** 30 // 8)"),
        "fork_bomb": attack("gates_solution", "import subprocess\n"
                                              "_kids = [subprocess.Popen(['sleep', '60']) for _ in range(100)]"),
        "kills_grader": attack("sum_times_solution", "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n"
                                                     "os.killpg(0, signal.SIGKILL)"),
        "blank": redteam.blank,
    }
    for student, builder in students.items():
        redteam.write(builder, assignment, submitted / student / aid / name)
    # the work is in the copy Jupyter made; the notebook under the assignment's name was left untouched
    redteam.write(redteam.blank, assignment, submitted / "copy1" / aid / name)
    redteam.write(redteam.honest, assignment, submitted / "copy1" / aid / name.replace(".ipynb", "-Copy1.ipynb"))
    before = {"course": tree_hash(course), "submitted": tree_hash(submitted), "kept": tree_hash(out)}
    run = grade([aid], submitted, root=course, out=out, jobs=2, cell_timeout=30, progress=False, force=True,
                memory=MEMORY, processes=PROCESSES)
    right_after = {"csv": (out / "grades.csv").read_text(), "db": _scores(out)}
    lingering = [p for p in Path("/proc").glob("[0-9]*") if MARKER in _cmdline(p)]
    time.sleep(3)  # longer than the lingering attacker waits
    template_notes = []  # what finding the cached template again says: it was changed, or nothing
    template = _template(course, [aid], template_notes)
    return {"run": run, "rows": {r["student"]: r for r in run.results}, "out": out, "course": course,
            "submitted": submitted, "before": before, "right_after": right_after, "lingering": lingering,
            "template": template, "template_notes": template_notes}


def _cmdline(proc):
    try:
        return (proc / "cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def _scores(out):
    with sqlite3.connect(out / "gradebook.db") as db:
        return sorted(db.execute("select id, auto_score from grade").fetchall(), key=str)


@needs_sandbox
def test_honest_work_scores_full_marks_in_the_sandbox(graded, assignment):
    row = graded["rows"]["honest"]
    assert (row["score"], row["status"], row["flags"]) == (assignment.total, "graded", [])


@needs_sandbox
def test_the_solutions_job_file_and_template_cache_are_out_of_reach(graded, assignment):
    row = graded["rows"]["reads_solutions"]
    assert row["score"] == 0.0
    assert any("exec" in flag for flag in row["flags"]), row["flags"]  # the scan still flags the attempt
    nb = json.loads((graded["out"] / "autograded" / "reads_solutions" / assignment.aid / assignment.name).read_text())
    printed = "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []))
    assert "FOUND []" in printed


@needs_sandbox
def test_the_template_cache_cannot_be_poisoned(graded, assignment):
    assert graded["template_notes"] == []
    assert json.loads((graded["template"].parent / MANIFEST).read_text()) == _manifest(graded["template"])
    assert graded["rows"]["poisons_cache"]["score"] == assignment.total  # its own work still counts
    assert graded["rows"]["blank"]["score"] == 0.0


@needs_sandbox
def test_classmates_solutions_and_output_cannot_be_vandalised(graded, assignment):
    before = graded["before"]
    assert tree_hash(graded["submitted"]) == before["submitted"]
    assert tree_hash(graded["course"]) == before["course"]
    assert (graded["out"] / "kept.txt").read_text() == "the instructor's file in --out"
    assert graded["rows"]["vandal"]["score"] == assignment.total
    assert graded["rows"]["honest"]["score"] == assignment.total


@needs_sandbox
def test_nothing_outlives_grading_to_rewrite_the_gradebook_or_grades_csv(graded):
    assert graded["lingering"] == []
    assert (graded["out"] / "grades.csv").read_text() == graded["right_after"]["csv"]
    assert _scores(graded["out"]) == graded["right_after"]["db"]
    rows = {r["student"]: r for r in csv.DictReader(graded["right_after"]["csv"].splitlines())}
    assert float(rows["lingers"]["score"]) == graded["rows"]["lingers"]["score"]
    assert float(rows["honest"]["score"]) == graded["rows"]["honest"]["score"]


@needs_sandbox
def test_a_memory_hog_loses_its_part_with_the_limit_in_words(graded, assignment):
    row = graded["rows"]["memory_hog"]
    lost = sum(assignment.points[t] for t in assignment.test_of("gates_solution"))
    assert (row["score"], row["status"]) == (assignment.total - lost, "partial")
    assert any("cell gates_solution: memory limit of 512 MiB exceeded" in r for r in row["reasons"]), row["reasons"]


@needs_sandbox
def test_a_fork_bomb_stops_at_the_process_limit_with_the_limit_in_words(graded, assignment):
    row = graded["rows"]["fork_bomb"]
    assert row["status"] == "partial"
    assert any(f"cell gates_solution: more than {PROCESSES} processes" in r for r in row["reasons"]), row["reasons"]
    assert row["score"] == assignment.total  # its functions were defined before the bomb went off


@needs_sandbox
def test_killing_the_grader_from_the_kernel_costs_nothing_but_that_cell(graded, assignment):
    row = graded["rows"]["kills_grader"]
    assert (row["score"], row["status"]) == (assignment.total, "graded")
    assert graded["run"].exit_code == 0, (graded["run"].problems, [r["reasons"] for r in graded["run"].results])


@needs_sandbox
def test_work_handed_in_as_a_copy_is_graded_and_reported(graded, assignment):
    row = graded["rows"]["copy1"]
    assert row["score"] == assignment.total
    copy_name = assignment.name.replace(".ipynb", "-Copy1.ipynb")
    assert f"handed in more than once: {assignment.name} 0, {copy_name} {assignment.total:g} points; kept " \
           f"{copy_name}" in row["flags"]


@needs_sandbox
def test_the_summary_states_no_protection_is_off(graded):
    assert not any("NOT sandboxed" in note for note in graded["run"].notes)


def test_without_a_sandbox_grading_says_once_which_protections_are_off():
    note = sandbox.Support(False, sandbox.OFF, "bwrap (Debian package bubblewrap) not found").note(sandbox.Limits())
    assert note.startswith("student code is NOT sandboxed on this machine (bwrap (Debian package bubblewrap) not "
                           "found)")
    for off in ("own user", "no network", "own PID namespace", "process limit"):
        assert off in note
    assert "memory limit 4 GiB" in note


def test_limits_hit_are_named_in_words():
    limits = sandbox.Limits(memory=MEMORY, processes=PROCESSES)
    assert limits.reason("MemoryError", "Unable to allocate 6.00 GiB") == "memory limit of 512 MiB exceeded"
    assert limits.reason("BlockingIOError", "[Errno 11] Resource temporarily unavailable") == \
        "more than 32 processes (and threads) started"
    assert limits.reason("OSError", "[Errno 27] File too large") == "file size limit of 1 GiB exceeded"
    assert limits.reason("ValueError", "shapes do not match") is None


def test_the_sandbox_sees_course_lib_but_not_the_course_folder_around_it(tmp_path):
    package = ROOT / "course_lib"
    paths = sandbox.readonly_paths([ROOT, tmp_path], package)
    assert package in paths
    assert not any(p == ROOT or p in ROOT.parents or tmp_path == p or p in tmp_path.parents for p in paths)


@pytest.mark.skipif(sys.platform != "linux" or os.geteuid() != 0 or not SUPPORT.sandbox,
                    reason=f"no sandbox on this machine: {SUPPORT.why}")
def test_the_sandbox_has_no_network_and_its_own_user(tmp_path):
    box = tmp_path / "box"
    box.mkdir()
    sandbox.give(box, sandbox.UID_BASE + 7)
    code = ("import os, socket\nprint(os.getuid(), os.getgroups())\n"
            "try:\n    socket.create_connection(('1.1.1.1', 53), timeout=2)\nexcept OSError as e:\n    print('no net')")
    argv = sandbox.command(box, [sys.executable, "-c", code], sandbox.UID_BASE + 7,
                           sandbox.readonly_paths([ROOT, tmp_path], ROOT / "course_lib"))
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert done.stdout.split("\n")[:2] == [f"{sandbox.UID_BASE + 7} []", "no net"], done.stderr
