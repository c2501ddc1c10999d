"""`course grade` against a red team: honest, broken and adversarial submissions of a real assignment
(01_computation_graphs), all graded in ONE run with two jobs, each with the score, status and flags it must get.

The submissions are built in `fixtures/grade/redteam.py` from the assignment's own source and release, so the
expected scores follow from the notebook's points (no number here is copied from the grader's output).
"""
import csv
import hashlib
import re
import shutil
import subprocess
import sys

import pytest
from fixtures.grade import redteam

from conftest import ROOT
from course_lib.grade import gradebook
from course_lib.grade.run import grade

pytestmark = pytest.mark.slow

CELL_TIMEOUT = 30  # seconds: long enough for any honest cell on a loaded machine, short for the endless loops


def tree_hash(folder):
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def assignment():
    return redteam.Assignment(ROOT)


@pytest.fixture(scope="module")
def expected(assignment):
    return redteam.expectations(assignment)


@pytest.fixture(scope="module")
def graded(tmp_path_factory, assignment, expected):
    """Write every red-team submission in nbgrader's layout and grade them all with one `course grade` call."""
    base = tmp_path_factory.mktemp("redteam")
    submitted = base / "submitted"
    for student, (builder, *_) in expected.items():
        redteam.write(builder, assignment, submitted / student / assignment.aid / assignment.name)
    before = tree_hash(submitted)
    out = base / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "course_lib.cli", "grade", assignment.aid, "--submissions", str(submitted),
         "--out", str(out), "--jobs", "2", "--timeout", str(CELL_TIMEOUT), "--limit", "900", "--root", str(ROOT)],
        capture_output=True, text=True, timeout=1800, stdin=subprocess.DEVNULL)
    with open(out / "grades.csv", newline="") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    return {"proc": proc, "rows": rows, "out": out, "submitted": submitted, "before": before}


def flags_of(row):
    return [f for f in row["flags"].split(" | ") if f]


STUDENTS = list(redteam.expectations(redteam.Assignment(ROOT)))


@pytest.mark.parametrize("student", STUDENTS)
def test_each_submission_gets_the_score_and_status_it_deserves(graded, expected, assignment, student):
    _, score, status, _ = expected[student]
    row = graded["rows"][student]
    assert (float(row["score"]), float(row["max_score"]), row["status"]) == (score, assignment.total, status), row


@pytest.mark.parametrize("student", STUDENTS)
def test_each_attack_is_flagged_and_nothing_else_is(graded, expected, student):
    *_, patterns = expected[student]
    flags = flags_of(graded["rows"][student])
    for pattern in patterns:
        assert any(re.search(pattern, flag) for flag in flags), (pattern, flags)
    if not patterns:
        assert flags == []


def test_the_run_succeeds_prints_its_summary_and_nothing_on_stderr(graded):
    proc = graded["proc"]
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert "grading: 100%" in proc.stdout  # tqdm's progress bar, on stdout
    summary = proc.stdout[proc.stdout.index("assignment "):]
    assert f"{len(STUDENTS)} submission(s): {len(STUDENTS)} graded now, 0 unchanged" in summary
    assert "Review by hand" in summary and "  01_computation_graphs/numpy_monkeypatch:" in summary


def test_honest_work_is_unaffected_by_the_attacks_graded_beside_it(graded, assignment):
    rows = graded["rows"]
    assert rows["honest"]["parts"] == rows["honest_twin"]["parts"]
    assert all(part.split("=")[1].split("/")[0] == part.split("/")[1] for part in rows["honest"]["parts"].split("; "))
    assert rows["honest_partial"]["parts"].startswith("sum_times_test=1/1; gates_test=0/2")


def test_a_hung_or_dead_kernel_costs_only_the_cells_it_stopped(graded):
    rows = graded["rows"]
    assert f"cell gates_test did not finish within {CELL_TIMEOUT} s and was interrupted" in \
        rows["loop_in_python"]["reason"]
    assert f"cell neuron_flat_test did not finish within {CELL_TIMEOUT} s and ignored the interrupt" in \
        rows["loop_in_njit"]["reason"]
    assert "kernel was restarted" in rows["loop_in_njit"]["reason"]
    assert "the kernel died while running cell sum_times_solution" in rows["kernel_exit"]["reason"]
    # the parts after the stuck cell were graded in the restarted kernel
    assert "value_backward_test=3/3; numerical_gradient_test=2/2; rel_error_test=1/1" in rows["loop_in_njit"]["parts"]


def test_an_unreadable_notebook_is_reported_with_its_reason(graded):
    row = graded["rows"]["invalid_json"]
    assert row["reason"].startswith("01_computation_graphs.ipynb is not valid JSON (line 1")


def test_huge_output_is_cut_in_the_autograded_notebook(graded, assignment):
    path = graded["out"] / "autograded" / "huge_output" / assignment.aid / assignment.name
    assert path.stat().st_size < 1_000_000
    assert "more characters of output not kept" in path.read_text()


def test_a_warning_from_student_code_inside_a_test_cell_is_shown_as_output_not_scored(graded, assignment):
    nb = redteam.load(graded["out"] / "autograded" / "warnings_printed" / assignment.aid / assignment.name)
    (cell,) = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "rel_error_test"]
    streams = [o for o in cell["outputs"] if o["output_type"] == "stream"]
    assert [o["name"] for o in streams] == ["stdout"]
    assert "inputs are not checked" in "".join(streams[0]["text"])
    assert "rel_error_test=1/1" in graded["rows"]["warnings_printed"]["parts"]


def test_submissions_are_never_modified(graded):
    assert tree_hash(graded["submitted"]) == graded["before"]


def test_every_score_and_flag_is_in_nbgraders_gradebook(graded, assignment):
    rows = graded["rows"]
    with gradebook.open_gradebook(f"sqlite:///{graded['out'] / 'gradebook.db'}") as gb:
        for student, row in rows.items():
            submission = gb.find_submission_notebook(assignment.aid, assignment.aid, student)
            auto = sum(g.auto_score or 0.0 for g in submission.grades if g.name in assignment.points)
            assert auto == float(row["score"]), student
            assert submission.flagged == bool(row["flags"]), student
            written = [g for g in submission.grades if g.name not in assignment.points]
            assert written and all(g.needs_manual_grade == (g.auto_score is None) for g in written), student
        # written answers wait for a human; untouched ones score 0 at once, as nbgrader does
        honest = gb.find_submission_notebook(assignment.aid, assignment.aid, "honest")
        blank = gb.find_submission_notebook(assignment.aid, assignment.aid, "blank")
        assert all(g.needs_manual_grade for g in honest.grades if g.name not in assignment.points)
        assert not any(g.needs_manual_grade for g in blank.grades)


def test_every_student_gets_a_feedback_page_with_the_score(graded, assignment):
    for student, row in graded["rows"].items():
        page = (graded["out"] / "feedback" / student / assignment.aid / f"{assignment.aid}.html").read_text()
        assert f"Autograded score: {float(row['score']):g} / {assignment.total:g}" in page, student


def test_a_rerun_grades_nothing_unchanged_and_only_the_file_that_changed(graded, tmp_path, assignment):
    submitted, out = tmp_path / "submitted", tmp_path / "out"
    shutil.copytree(graded["submitted"], submitted)
    shutil.copytree(graded["out"], out)
    again = grade([assignment.aid], submitted, root=ROOT, out=out, jobs=2, cell_timeout=CELL_TIMEOUT, progress=False)
    assert (again.regraded, again.unchanged) == (0, len(STUDENTS))
    assert [r["score"] for r in again.results] == [float(graded["rows"][r["student"]]["score"]) for r in again.results]

    redteam.write(redteam.honest, assignment, submitted / "blank" / assignment.aid / assignment.name)
    changed = grade([assignment.aid], submitted, root=ROOT, out=out, jobs=2, cell_timeout=CELL_TIMEOUT,
                    progress=False)
    assert (changed.regraded, changed.unchanged) == (1, len(STUDENTS) - 1)
    assert {r["student"]: r["score"] for r in changed.results}["blank"] == assignment.total
