"""`course grade` on a whole class: 100 synthetic students graded with two jobs lose nothing, every score is right,
grading is deterministic, and the layouts and the single-notebook form all reach the same grader.

The students are copies of a few variants of the tiny fixture assignment (`fixtures/grade/tiny.py`), so the run
stays short; the red-team suite (test_grade_redteam.py) uses a real assignment.
"""
import ast
import csv
import json
import os
import re
import shutil

import pytest
from fixtures.grade import tiny
from fixtures.nbgrader_course import ASSIGNMENT, POINTS

from course_lib import cli
from course_lib.grade.run import GradeError, grade
from course_lib.release import write_notebook

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return tiny.make_course_folder(tmp_path_factory.mktemp("class") / "course")


@pytest.fixture(scope="module")
def hundred(course, tmp_path_factory):
    base = tmp_path_factory.mktemp("hundred")
    expected = tiny.make_class(course, base / "submissions", 100)
    run = grade([ASSIGNMENT], base / "submissions", root=course, out=base / "out", jobs=2, cell_timeout=60,
                progress=False)
    return run, expected, base


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_a_hundred_students_graded_in_parallel_lose_nothing(hundred):
    run, expected, base = hundred
    assert run.exit_code == 0 and run.problems == []
    rows = read_csv(base / "out" / "grades.csv")
    assert [r["student"] for r in rows] == sorted(expected)
    assert {r["student"]: float(r["score"]) for r in rows} == expected
    assert {r["status"] for r in rows} == {"graded"} and {r["flags"] for r in rows} == {""}
    assert {float(r["max_score"]) for r in rows} == {float(sum(POINTS.values()))}
    states = sorted((base / "out" / ".course-grade" / ASSIGNMENT).glob("*.json"))
    assert [p.stem for p in states] == sorted(expected)


def test_the_same_notebook_always_gets_the_same_parts(hundred):
    _, expected, base = hundred
    rows = read_csv(base / "out" / "grades.csv")
    by_variant = {}
    for r in rows:
        index = int(r["student"][len("student"):]) % len(tiny.VARIANTS)
        by_variant.setdefault(index, set()).add(r["parts"])
    assert all(len(parts) == 1 for parts in by_variant.values()), by_variant


def test_a_rerun_regrades_nothing_and_rewrites_the_same_grades(hundred, course):
    run, _, base = hundred
    before = (base / "out" / "grades.csv").read_text()
    again = grade([ASSIGNMENT], base / "submissions", root=course, out=base / "out", jobs=2, cell_timeout=60,
                  progress=False)
    assert (again.regraded, again.unchanged) == (0, 100)
    assert (base / "out" / "grades.csv").read_text() == before


def test_forcing_a_regrade_gives_identical_results(course, tmp_path):
    expected = tiny.make_class(course, tmp_path / "subs", 4)
    first = grade([ASSIGNMENT], tmp_path / "subs", root=course, out=tmp_path / "out", jobs=2, progress=False)
    second = grade([ASSIGNMENT], tmp_path / "subs", root=course, out=tmp_path / "out", jobs=2, force=True,
                   progress=False)
    assert second.regraded == 4
    def graded(run):
        return [(r["student"], r["status"], r["flags"], [(c["cell"], c["score"], c["message"]) for c in r["cells"]])
                for r in run.results]

    assert graded(first) == graded(second)
    assert {r["student"]: r["score"] for r in second.results} == expected


def test_an_interrupted_run_keeps_the_students_it_finished(course, tmp_path):
    """A state file per student is the record: a run that stops after two students leaves two complete states,
    and the next run grades only the others."""
    tiny.make_class(course, tmp_path / "subs", 4)
    first = grade([ASSIGNMENT], tmp_path / "subs", root=course, out=tmp_path / "out", jobs=2, progress=False)
    states = sorted((tmp_path / "out" / ".course-grade" / ASSIGNMENT).glob("*.json"))
    for lost in states[2:]:  # as if the run had been killed before these two finished
        lost.unlink()
    again = grade([ASSIGNMENT], tmp_path / "subs", root=course, out=tmp_path / "out", jobs=2, progress=False)
    assert (again.regraded, again.unchanged) == (2, 2)
    assert [r["score"] for r in again.results] == [r["score"] for r in first.results]
    assert all(json.loads(p.read_text())["hash"] for p in states)


def test_all_layouts_and_a_single_notebook_reach_the_same_scores(course, tmp_path, capsys):
    expected = tiny.make_class(course, tmp_path / "flat", 3)
    one_assignment = tmp_path / "one"
    shutil.copytree(tmp_path / "flat" / ASSIGNMENT, one_assignment)
    nbgrader_layout = tmp_path / "nbgrader" / "submitted"
    for student in expected:
        folder = nbgrader_layout / student / ASSIGNMENT
        folder.mkdir(parents=True)
        shutil.copy(tmp_path / "flat" / ASSIGNMENT / f"{student}.ipynb", folder / f"{ASSIGNMENT}.ipynb")
    for name, folder in (("flat", tmp_path / "flat"), ("one", one_assignment), ("nbgrader", tmp_path / "nbgrader")):
        run = grade([ASSIGNMENT], folder, root=course, out=tmp_path / f"out-{name}", jobs=2, progress=False)
        assert {r["student"]: r["score"] for r in run.results} == expected, name

    single = tmp_path / "flat" / ASSIGNMENT / "student002.ipynb"
    code = cli.main(["grade", ASSIGNMENT, "--submissions", str(single), "--root", str(course),
                     "--out", str(tmp_path / "out-single")])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert re.search(rf"\n{ASSIGNMENT} +student002 +{expected['student002']:g} / {sum(POINTS.values()):g} +graded\n",
                     out), out


def test_a_folder_without_submissions_is_a_clear_error(course, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert cli.main(["grade", ASSIGNMENT, "--submissions", str(tmp_path / "empty"), "--root", str(course)]) == 1
    assert capsys.readouterr().err.startswith(f"course grade: no submissions for {ASSIGNMENT} in ")
    with pytest.raises(GradeError, match="unknown assignment nope; known assignments: ex01_tiny"):
        grade(["nope"], tmp_path / "empty", root=course)


def test_a_submission_over_its_wall_clock_limit_is_stopped_and_reported(course, tmp_path):
    nb = tiny.student_notebook(course, ("relu", "variance"))
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "relu":
            cell.source = "def relu(x):\n    while True:\n        pass"
    folder = tmp_path / "subs" / ASSIGNMENT
    folder.mkdir(parents=True)
    write_notebook(nb, folder / "looper.ipynb")
    run = grade([ASSIGNMENT], tmp_path / "subs", root=course, out=tmp_path / "out", jobs=1, cell_timeout=600,
                time_limit=15, progress=False)
    (result,) = run.results
    assert result["status"] == "timeout" and result["score"] == 0.0
    assert result["reasons"] == ["grading did not finish within 15 s (wall-clock limit per submission): the parts "
                                 "graded until then are kept"]
    assert {row["cell"] for row in result["cells"]} == {"test_relu", "test_softmax", "test_variance", "answer_shift"}


def test_each_student_runs_with_a_private_home_numba_cache_and_ipython_dir(course, tmp_path):
    """What one student's code leaves behind (a Numba cache=True function, IPython or matplotlib settings) lands
    in folders no other student's kernel sees."""
    import numpy as np

    from course_lib import ema
    from course_lib.grade import kernel_cache

    ema.ema(np.arange(3.0), 0.5)  # at least one course_lib kernel compiled into the package's cache
    seeded = sum(len(files) for _, files in kernel_cache.compiled_kernels())
    folder = tmp_path / "subs" / ASSIGNMENT
    folder.mkdir(parents=True)
    for student in ("ann", "ben"):
        nb = tiny.student_notebook(course, ())
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == "relu":
                cell.source = ("import os, pathlib\n"
                               "print({k: os.environ[k] for k in ('HOME', 'NUMBA_CACHE_DIR', 'IPYTHONDIR')})\n"
                               "print(len(list(pathlib.Path(os.environ['NUMBA_CACHE_DIR']).rglob('*.nb*'))))")
        write_notebook(nb, folder / f"{student}.ipynb")
    grade([ASSIGNMENT], tmp_path / "subs", root=course, out=tmp_path / "out", jobs=2, progress=False)
    seen = {}
    for student in ("ann", "ben"):
        nb = json.loads((tmp_path / "out" / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
        (cell,) = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "relu"]
        printed, cached = "".join(cell["outputs"][0]["text"]).splitlines()
        seen[student] = ast.literal_eval(printed)  # the dict the cell printed
        if not os.environ.get("NUMBA_CACHE_DIR"):  # (with it set, this process compiled ema into that folder)
            # the private cache started with (at least) the course's compiled kernels, copied in
            assert int(cached) >= seeded > 0
    assert set(seen["ann"].values()).isdisjoint(seen["ben"].values())
    for paths in seen.values():
        assert os.path.expanduser("~") not in paths.values()
        assert os.environ.get("NUMBA_CACHE_DIR") not in paths.values()


def test_without_compiled_kernels_to_copy_grading_still_works_and_says_so(course, tmp_path, monkeypatch):
    from course_lib.grade import kernel_cache

    monkeypatch.setattr(kernel_cache, "compiled_kernels", lambda: [])  # as right after installing the course
    expected = tiny.make_class(course, tmp_path / "subs", 1)
    run = grade([ASSIGNMENT], tmp_path / "subs", root=course, out=tmp_path / "out", jobs=1, progress=False)
    assert {r["student"]: r["score"] for r in run.results} == expected
    assert run.exit_code == 0
    assert len(run.notes) == 1 and "could not be cached" in run.notes[0]
    rerun = grade([ASSIGNMENT], tmp_path / "subs", root=course, out=tmp_path / "out", jobs=1, progress=False)
    assert rerun.regraded == 0 and rerun.notes == []  # nothing graded, nothing compiled: no note
