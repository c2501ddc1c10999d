"""`course verify` and `grade_notebook`: every assignment grades as it should before students see it.

One fixture course holds a correct assignment and a broken one with a defect in each part: a wrong solution
(relu), a test cell that writes to stderr (softmax) and one that ends in a bare expression (variance). It uses the
repository's own nbgrader_config.py, so the real settings are exercised too.
"""
import shutil
import socket

import pytest
from fixtures.nbgrader_course import MANUAL_POINTS, POINTS, make_course

from conftest import ROOT
from course_lib import cli
from course_lib.grade import sandbox
from course_lib.release import ReleaseError, read_notebook, release, write_notebook
from course_lib.verify import grade_notebook, problems_in_test_cell, verify

BROKEN = dict(relu_body="return np.abs(x)",
              softmax_test_extra="import warnings\nwarnings.warn('this API is deprecated')\n",
              variance_test="v = variance(np.array([1.0, 3.0]))\nv")


def snapshot(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("verify") / "course"
    make_course(root, "ok")
    make_course(root, "broken", **BROKEN)
    shutil.copy(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    release(root=root)  # the student notebooks, for the partial-submission test
    return root


@pytest.fixture(scope="module")
def verified(course):
    before = snapshot(course)
    report = verify(root=course)
    return report, before


def cells(report, assignment):
    (found,) = [a for a in report.assignments if a.assignment == assignment]
    return found, {c.cell_id: c for c in found.cells}


# ---------------------------------------------------------------------------------------------------------------
# verify


@pytest.mark.slow
def test_a_correct_assignment_scores_full_marks_as_solution_and_zero_as_blank(verified):
    report, _ = verified
    ok, by_id = cells(report, "ok")
    assert ok.ok and ok.problems == []
    for cell_id, points in POINTS.items():
        assert (by_id[cell_id].points, by_id[cell_id].solution_score, by_id[cell_id].blank_score) == (points, points, 0)
    manual = by_id["answer_shift"]
    assert not manual.autograded and manual.points == MANUAL_POINTS and manual.problems == []


@pytest.mark.slow
def test_a_wrong_solution_fails_with_the_assertion_it_raised(verified):
    report, _ = verified
    _, by_id = cells(report, "broken")
    assert by_id["test_relu"].problems == [
        "the solution scores 0 of 1: AssertionError: relu has 1 wrong value(s) out of 3; the first is at index [0]: "
        "expected 0.0, got 1.0 (absolute error 1); tolerance: |got - expected| <= 1e-12 + 1e-07 * |expected|"]


@pytest.mark.slow
def test_a_test_cell_writing_to_stderr_fails_for_both_notebooks(verified):
    report, _ = verified
    _, by_id = cells(report, "broken")
    assert by_id["test_softmax"].problems == [
        "the solution scores 0 of 2 (because it wrote to stderr)",
        "writes to stderr in the solution notebook (nbgrader scores that 0): UserWarning: this API is deprecated",
        "writes to stderr in the blank notebook (nbgrader scores that 0): UserWarning: this API is deprecated",
    ]


@pytest.mark.slow
def test_a_test_cell_ending_in_a_bare_expression_fails(verified):
    report, _ = verified
    _, by_id = cells(report, "broken")
    problems = by_id["test_variance"].problems
    assert problems[0].startswith("the test cell ends in a bare expression `v`: its value is shown, not checked")
    assert problems[1].startswith("the test cell never asserts")


@pytest.mark.slow
def test_the_report_prints_a_table_per_assignment_and_exits_1(verified):
    report, _ = verified
    assert report.exit_code == 1 and not report.ok
    text = report.format()
    assert "ok: OK (3 autograded test cell(s), 6 point(s))" in text
    assert "broken: FAILED (3 autograded test cell(s), 6 point(s))" in text
    assert "  cell           points  solution  blank  problems\n  test_relu           1         1      0\n" in text
    assert "  answer_shift        1    manual      -" in text
    assert text.endswith("1 of 2 assignment(s) verified; failed: broken")
    assert [(a, c) for a, c, _ in report.problems()] == [("broken", "test_relu"), ("broken", "test_softmax"),
                                                         ("broken", "test_softmax"), ("broken", "test_softmax"),
                                                         ("broken", "test_variance"), ("broken", "test_variance")]


@pytest.mark.slow
def test_verify_changes_nothing_in_the_course(course, verified):
    _, before = verified
    assert snapshot(course) == before
    assert sorted(p.name for p in course.iterdir()) == ["assignments", "nbgrader_config.py", "solutions"]


def test_verify_of_an_unknown_assignment_is_a_one_line_error(tmp_path, capsys):
    make_course(tmp_path)
    assert cli.main(["verify", "nope", "--root", str(tmp_path)]) == 1
    assert capsys.readouterr() == ("", "course verify: unknown assignment nope; known assignments: ex01_tiny\n")


# ---------------------------------------------------------------------------------------------------------------
# grade_notebook


@pytest.mark.slow
def test_a_partly_completed_submission_gets_exactly_the_points_of_the_part_it_solved(course, tmp_path):
    nb = read_notebook(course / "assignments" / "ok" / "ok.ipynb")
    (relu,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "relu"]
    relu.source = relu.source.replace("# YOUR CODE HERE\n    raise NotImplementedError()",
                                      "return np.where(x > 0, x, 0.0)")
    write_notebook(nb, tmp_path / "ok.ipynb")

    result = grade_notebook(tmp_path / "ok.ipynb", "ok", root=course)
    assert result.autograded == ["test_relu", "test_softmax", "test_variance"]
    assert {c: result.scores[c] for c in result.autograded} == {"test_relu": POINTS["test_relu"],
                                                                "test_softmax": 0, "test_variance": 0}
    assert (result.total, result.max_total) == (POINTS["test_relu"], sum(POINTS.values()))
    assert result.messages["test_softmax"] == "NotImplementedError"
    assert "test_relu" not in result.messages


def test_grading_refuses_a_broken_submission_with_a_clear_message(tmp_path):
    make_course(tmp_path / "course", "ok")
    bad = tmp_path / "ok.ipynb"
    bad.write_text("{")
    with pytest.raises(ReleaseError, match=r"ok.ipynb is not valid JSON \(line 1, column 2"):
        grade_notebook(bad, "ok", root=tmp_path / "course")


def test_course_grade_takes_assignment_ids_and_a_submissions_folder(monkeypatch, capsys):
    import course_lib.grade.run
    from course_lib.grade.run import GradeRun

    seen = {}

    def fake_grade(ids, submissions, **kwargs):
        seen.update(ids=ids, submissions=submissions, **kwargs)
        return GradeRun([], regraded=0, unchanged=0, out=ROOT)

    monkeypatch.setattr(course_lib.grade.run, "grade", fake_grade)
    assert cli.main(["grade", "ok", "--submissions", "sub.ipynb", "--jobs", "3", "--db", "sqlite:///x.db"]) == 0
    assert (seen["ids"], seen["submissions"], seen["jobs"], seen["db"]) == (["ok"], "sub.ipynb", 3, "sqlite:///x.db")
    assert capsys.readouterr().out.startswith("no submissions found")


def test_course_grade_without_submissions_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["grade", "ok"])
    assert exit_info.value.code == 2
    assert "--submissions" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------------------------
# What makes a test cell unable to fail (static, fast)


@pytest.mark.parametrize("source", [
    "check_close(f(x), y)",
    "assert abs(f(1.0) - 2.0) < 1e-9",
    "out = f(x)\nnp.testing.assert_allclose(out, y)\n### BEGIN HIDDEN TESTS\ncheck_scalar(g(), 1.0)\n"
    "### END HIDDEN TESTS",
    "%time out = f(x)\nif out is None:\n    raise AssertionError('f returned None')",
    "from course_lib import grading\ngrading.check_true(p.sum() == 1, 'p sums to 1')",
])
def test_a_cell_that_checks_has_no_problems(source):
    assert problems_in_test_cell(source) == []


@pytest.mark.parametrize("source, problem", [
    ("out = f(x)\nout == 2.0", "the test cell ends in a bare expression `out == 2.0`"),
    ("check_close(f(x), y)\nf(x)[0]", "the test cell ends in a bare expression `f(x)[0]`"),
    ("np.allclose(f(x), y)\ncheck_close(f(x), y)", "line 1 computes `np.allclose(f(x), y)` and throws it away"),
    ("out = f(x)\nprint(out)", "the test cell never asserts"),
    ("check_close(f(x), y", "the test cell is not valid Python (line 1"),
])
def test_a_cell_that_cannot_fail_is_named_for_what_it_does(source, problem):
    assert any(p.startswith(problem) for p in problems_in_test_cell(source)), problems_in_test_cell(source)


# ---------------------------------------------------------------------------------------------------------------
# verify runs nbgrader in the sandbox of `course grade`

SANDBOX = sandbox.probe()

ATTACKS = '''\
import os, socket
assert double(2) == 4
blocked = {{}}
try:
    open({outside!r}, "w").write("escaped")
    blocked["write outside"] = False
except OSError:
    blocked["write outside"] = True
try:
    open({source!r}, "a").write("vandalised")
    blocked["write the course"] = False
except OSError:
    blocked["write the course"] = True
try:
    open({source!r}).read()
    blocked["read solutions"] = False
except OSError:
    blocked["read solutions"] = True
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=5).sendall(b"escaped")
    blocked["network"] = False
except OSError:
    blocked["network"] = True
assert all(blocked.values()), blocked
'''


def _attack_course(root, outside, port):
    """One assignment whose only test cell, run as the solution, tries to write outside its folder (into a folder
    anyone may write), append to and read the course's own source notebook, and reach a listener of this test."""
    from nbformat.v4 import new_code_cell, new_notebook

    source = root / "solutions" / "attack" / "attack.ipynb"
    meta = {"grade": False, "solution": True, "locked": False, "grade_id": "double", "schema_version": 3}
    cells = [new_code_cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
                           metadata={"nbgrader": meta}),
             new_code_cell(ATTACKS.format(outside=str(outside), source=str(source), port=port),
                           metadata={"nbgrader": dict(meta, grade=True, solution=False, locked=True,
                                                      grade_id="test_double", points=1)})]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    source.parent.mkdir(parents=True)
    write_notebook(nb, source)
    source.chmod(0o644)  # readable by anyone: only the mount view keeps the sandbox from it


@pytest.mark.slow
@pytest.mark.skipif(not SANDBOX.sandbox, reason=f"no sandbox on this machine: {SANDBOX.why}")
def test_verify_runs_notebooks_where_they_cannot_write_outside_read_solutions_or_reach_the_network(tmp_path):
    root, outside = tmp_path / "course", tmp_path / "outside"
    outside.mkdir()
    outside.chmod(0o777)  # writable by anyone: only the mount view keeps the sandbox out
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    _attack_course(root, outside / "escaped.txt", listener.getsockname()[1])
    before = snapshot(root)

    report = verify(root=root)

    ((assignment, cells_by_id),) = [cells(report, "attack")]
    cell = cells_by_id["test_double"]
    # the attacks fail inside (else the solution's test cell asserts), the blank release fails on double(2)
    assert (cell.solution_score, cell.blank_score, cell.problems) == (1, 0, []), report.format()
    assert assignment.ok and report.notes == []
    assert snapshot(root) == before
    assert list(outside.iterdir()) == []
    with pytest.raises(socket.timeout):
        listener.accept()
    listener.close()


def test_where_there_is_no_sandbox_verify_says_so_once(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "probe", lambda: sandbox.Support(False, sandbox.OFF, "not root"))
    (tmp_path / "solutions").mkdir()
    report = verify(root=tmp_path)
    assert report.ok and len(report.notes) == 1
    assert report.format() == ("no assignments in solutions/\nnote: the notebooks' code is NOT sandboxed during "
                               "verify on this machine (not root): " + report.notes[0].split("(not root): ")[1])
    assert "nbgrader and its kernels run under your user" in report.notes[0]
