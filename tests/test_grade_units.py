"""The parts of `course grade` that need no kernel: finding submissions, rebuilding a notebook around the
instructor's cells, the integrity scan, the guard's restore, scoring a test cell and the report. Fast."""
import copy
import csv
import io

import nbformat
import numpy as np
import pytest
from fixtures.nbgrader_course import build_notebook
from hypothesis import given, settings
from hypothesis import strategies as st
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course_lib.grade import guard, report
from course_lib.grade.collect import CollectError, collect
from course_lib.grade.repair import SubmissionError, grade_id, load_submission, restore
from course_lib.grade.scan import scan
from course_lib.grade.worker import score_cells

ASSIGNMENTS = {"a1": ["a1.ipynb"], "a2": ["a2.ipynb"], "multi": ["one.ipynb", "two.ipynb"]}


def touch(path, text="{}"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# ----------------------------------------------------------------------------------------------------------------
# collect


def test_nbgraders_layout_gives_one_submission_per_student_and_assignment(tmp_path):
    touch(tmp_path / "submitted" / "bob" / "a1" / "a1.ipynb")
    touch(tmp_path / "submitted" / "amy" / "a1" / "a1.ipynb")
    touch(tmp_path / "submitted" / "amy" / "a2" / "a2.ipynb")
    found = collect(tmp_path, [], ASSIGNMENTS)  # a course folder: its submitted/ is used
    assert [(s.assignment, s.student) for s in found] == [("a1", "amy"), ("a1", "bob"), ("a2", "amy")]
    assert found[0].notebooks == {"a1.ipynb": tmp_path / "submitted" / "amy" / "a1" / "a1.ipynb"}
    assert [(s.assignment, s.student) for s in collect(tmp_path / "submitted", ["a2"], ASSIGNMENTS)] == [("a2", "amy")]


def test_a_missing_notebook_is_none_and_a_renamed_only_notebook_is_taken(tmp_path):
    touch(tmp_path / "amy" / "multi" / "one.ipynb")
    touch(tmp_path / "bob" / "a1" / "a1 (copy).ipynb")
    (multi,) = collect(tmp_path, ["multi"], ASSIGNMENTS)
    assert multi.notebooks == {"one.ipynb": tmp_path / "amy" / "multi" / "one.ipynb", "two.ipynb": None}
    (renamed,) = collect(tmp_path, ["a1"], ASSIGNMENTS)
    assert renamed.notebooks == {"a1.ipynb": tmp_path / "bob" / "a1" / "a1 (copy).ipynb"}


def test_copies_beside_a_notebook_go_along_and_unrelated_notebooks_are_listed(tmp_path):
    touch(tmp_path / "amy" / "a1" / "a1.ipynb")
    touch(tmp_path / "amy" / "a1" / "a1-Copy1.ipynb")
    touch(tmp_path / "amy" / "a1" / "scratch.ipynb")
    touch(tmp_path / "bob" / "multi" / "two.ipynb")
    touch(tmp_path / "bob" / "multi" / "one-Copy1.ipynb")
    touch(tmp_path / "bob" / "multi" / "notes.ipynb")
    (amy,) = collect(tmp_path, ["a1"], ASSIGNMENTS)
    folder = tmp_path / "amy" / "a1"
    assert amy.notebooks == {"a1.ipynb": folder / "a1.ipynb"}
    assert amy.copies == {"a1.ipynb": [folder / "a1-Copy1.ipynb", folder / "scratch.ipynb"]}  # one notebook: any
    (bob,) = collect(tmp_path, ["multi"], ASSIGNMENTS)
    folder = tmp_path / "bob" / "multi"
    assert bob.notebooks == {"one.ipynb": folder / "one-Copy1.ipynb", "two.ipynb": folder / "two.ipynb"}
    assert (bob.copies, bob.skipped) == ({}, ["notes.ipynb"])


def test_flat_folders_name_the_student_after_the_file(tmp_path):
    touch(tmp_path / "by_assignment" / "a1" / "carol.ipynb")
    touch(tmp_path / "by_assignment" / "a2" / "dan.ipynb")
    assert [(s.assignment, s.student) for s in collect(tmp_path / "by_assignment", [], ASSIGNMENTS)] == [
        ("a1", "carol"), ("a2", "dan")]
    touch(tmp_path / "one" / "erin.ipynb")
    (erin,) = collect(tmp_path / "one", ["a2"], ASSIGNMENTS)
    assert (erin.student, erin.notebooks) == ("erin", {"a2.ipynb": tmp_path / "one" / "erin.ipynb"})
    (single,) = collect(tmp_path / "one" / "erin.ipynb", ["a1"], ASSIGNMENTS)
    assert (single.student, single.assignment) == ("erin", "a1")


@pytest.mark.parametrize("layout, ids, message", [
    ({"x.ipynb": "{}"}, [], "holds notebooks directly: name exactly one assignment ID"),
    ({"x.ipynb": "{}"}, ["a1", "a2"], "holds notebooks directly: name exactly one assignment ID"),
    ({"a1/notes.txt": ""}, ["a1"], "no submissions for a1 in "),
    ({}, ["zz"], "unknown assignment zz; known assignments: a1, a2, multi"),
    ({"multi/amy.ipynb": "{}"}, ["multi"], "multi has several notebooks (one.ipynb, two.ipynb): use nbgrader's"),
])
def test_a_folder_that_fits_no_layout_is_a_clear_error(tmp_path, layout, ids, message):
    for name, text in layout.items():
        touch(tmp_path / name, text)
    with pytest.raises(CollectError, match=message.replace("(", r"\(").replace(")", r"\)")):
        collect(tmp_path, ids, ASSIGNMENTS)


def test_a_single_file_needs_exactly_one_assignment(tmp_path):
    path = touch(tmp_path / "x.ipynb")
    with pytest.raises(CollectError, match="give one notebook .* and exactly one assignment ID"):
        collect(path, [], ASSIGNMENTS)


# ----------------------------------------------------------------------------------------------------------------
# repair


def source_and_release():
    """The tiny assignment: its source, and a release made the way nbgrader makes it (stubs, no hidden tests)."""
    source = build_notebook()
    release = copy.deepcopy(source)
    for cell in release.cells:
        meta = cell.metadata["nbgrader"]
        if meta["solution"] and cell.cell_type == "code":
            cell.source = cell.source.split("    ### BEGIN SOLUTION")[0] + "    raise NotImplementedError()"
        elif meta["solution"]:
            cell.source = "YOUR ANSWER HERE"
        elif meta["grade"]:
            cell.source = cell.source.split("### BEGIN HIDDEN TESTS")[0].rstrip()
        meta["checksum"] = f"sum-of-{meta['grade_id']}"
    return source, release


def ids(nb):
    return [grade_id(c) for c in nb.cells]


def test_an_untouched_release_comes_back_with_the_hidden_tests_and_nothing_to_note():
    source, release = source_and_release()
    nb, notes = restore(release, source, release)
    assert notes == [] and ids(nb) == ids(source)
    (test,) = [c for c in nb.cells if grade_id(c) == "test_relu"]
    assert "BEGIN HIDDEN TESTS" in test.source
    (relu,) = [c for c in nb.cells if grade_id(c) == "relu"]
    assert relu.metadata.nbgrader["checksum"] == "sum-of-relu"  # so an untouched answer is seen as unanswered


def test_deleted_tests_and_read_only_cells_come_back_in_place_and_a_deleted_answer_as_the_stub():
    source, release = source_and_release()
    submitted = copy.deepcopy(release)
    submitted.cells = [c for c in submitted.cells if grade_id(c) not in ("test_softmax", "imports", "variance")]
    nb, notes = restore(submitted, source, release)
    assert ids(nb) == ids(source)
    (variance,) = [c for c in nb.cells if grade_id(c) == "variance"]
    assert "NotImplementedError" in variance.source and "centered" not in variance.source
    assert notes == ["read-only cell imports was missing: put back from the source",
                     "test cell test_softmax was missing: put back from the source",
                     "solution cell variance was missing: put back from the release"]


def test_an_edited_test_cell_is_restored_and_noted():
    source, release = source_and_release()
    submitted = copy.deepcopy(release)
    submitted.cells[3].source = "pass"
    nb, notes = restore(submitted, source, release)
    assert nb.cells[3].source == source.cells[3].source
    assert notes == ["test cell test_relu had been changed: restored from the source"]


def test_a_split_solution_keeps_both_halves_and_a_split_test_comes_back_whole():
    source, release = source_and_release()
    submitted = copy.deepcopy(release)
    relu = copy.deepcopy(source.cells[2])
    first, second = copy.deepcopy(relu), copy.deepcopy(relu)
    first.source, second.source = "def helper(x):\n    return x", "def relu(x):\n    return np.maximum(x, 0.0)"
    test_half = copy.deepcopy(submitted.cells[3])
    submitted.cells[2:3] = [first, second]
    submitted.cells.insert(4, test_half)
    nb, notes = restore(submitted, source, release)
    assert [c.source for c in nb.cells[2:4]] == [first.source, second.source]
    assert grade_id(nb.cells[2]) == "relu" and "nbgrader" not in nb.cells[3].metadata
    assert ids(nb)[4:6] == ["test_relu", "softmax"]
    assert len(notes) == 2 and all("appears more than once (split or copied)" in n for n in notes)


def test_a_cell_with_an_unknown_grade_id_becomes_an_ordinary_cell():
    source, release = source_and_release()
    submitted = copy.deepcopy(release)
    extra = new_code_cell("x = 1", metadata={"nbgrader": {"grade": True, "grade_id": "free_points", "points": 99}})
    submitted.cells.append(extra)
    nb, _ = restore(submitted, source, release)
    assert nb.cells[-1].source == "x = 1" and "nbgrader" not in nb.cells[-1].metadata


def test_load_submission_reads_what_it_can_and_names_what_it_cannot():
    nb = load_submission('{"cells": [{"cell_type": "code", "source": ["a = 1\\n", "b = 2"], "metadata": 7}, 3]}')
    assert [c.source for c in nb.cells] == ["a = 1\nb = 2"]
    with pytest.raises(SubmissionError, match=r"not valid JSON \(line 1, column 2"):
        load_submission("{")
    with pytest.raises(SubmissionError, match="not a Jupyter notebook"):
        load_submission("[1, 2]")


# ----------------------------------------------------------------------------------------------------------------
# scan

_SETUP = "import numpy as np\nimport course_lib\nfrom course_lib import activations\n" \
         "from course_lib.grading import check_close\n"


def scanned(student_source, setup=_SETUP):
    readonly = new_code_cell(setup, metadata={"nbgrader": {"grade": False, "solution": False, "locked": True,
                                                           "grade_id": "imports"}})
    student = new_code_cell(student_source, metadata={"nbgrader": {"grade": False, "solution": True,
                                                                   "locked": False, "grade_id": "answer"}})
    return scan(new_notebook(cells=[readonly, student]))


@pytest.mark.parametrize("source, flag", [
    ("np.isclose = lambda *a, **k: True", "tamper: cell answer, line 1: changes numpy.isclose"),
    ("import numpy\nnumpy.testing.assert_allclose = print", "changes numpy.testing.assert_allclose"),
    ("setattr(np, 'allclose', max)", "changes an attribute of numpy with setattr()"),
    ("vars(np)['isclose'] = max", "changes an item of numpy"),
    ("check_close.__code__ = (lambda: 0).__code__", "changes course_lib.grading.check_close.__code__"),
    ("def check_close(*a, **k):\n    return True", "redefines check_close"),
    ("from numpy import isclose as check_close", "rebinds check_close"),
    ("import math as np", "rebinds np"),
    ("get_ipython().input_transformers_cleanup.append(lambda lines: [])",
     "touches the IPython shell's input_transformers_cleanup"),
    ("ip = get_ipython()", "uses get_ipython()"),
    ("import sys\nsys.modules['numpy'] = None", "uses sys.modules"),
    ("import builtins\nbuiltins.abs = max", "imports builtins"),
    ("import builtins\nbuiltins.abs = max", "changes builtins.abs"),
    ("__builtins__.abs = max", "uses __builtins__"),
    ("m = __import__('numpy')", "calls __import__()"),
    ("exec('x = 1')", "calls exec()"),
    ("eval('1 + 1')", "calls eval()"),
    ("globals()['check_close'] = max", "uses globals()"),
    ("%config IPCompleter.greedy = True", "uses the %config magic"),
    ("!rm -rf /tmp/x", "runs a shell command"),
    ("def sigmoid(x):\n    return activations.sigmoid(x)",
     "reference: cell answer, line 2: uses course_lib.activations.sigmoid, the library's own sigmoid"),
    ("def sigmoid(x):\n    return course_lib.activations.sigmoid(x)", "uses course_lib.activations.sigmoid"),
    ("from course_lib.activations import sigmoid as s\ndef sigmoid(x):\n    return s(x)",
     "uses course_lib.activations.sigmoid"),
    ("def sigmoid(x):\n    return getattr(activations, 'sigmoid')(x)", "uses course_lib.activations.sigmoid"),
])
def test_the_scan_flags_tampering_and_the_library_answer(source, flag):
    flags = scanned(source)
    assert any(flag in f for f in flags), flags


@pytest.mark.parametrize("source", [
    "def sigmoid(x):\n    return 1.0 / (1.0 + np.exp(-x))",
    "def relu(x):\n    y = activations.sigmoid(x)\n    return np.maximum(x, 0.0) + 0 * y",  # another function is fine
    "%timeit np.zeros(3)\nimport numpy as np\nx = np.isclose(1.0, 1.0)",
    "import warnings\nwarnings.warn('careful')\nprint('hello', file=__import__('sys').stderr)"[:-39],
    "class Value:\n    def __init__(self, data):\n        self.data = data\n        self.grad = 0.0",
    "def broken(:\n",  # a syntax error is the student's problem, not a flag
])
def test_honest_code_raises_no_flag(source):
    assert scanned(source) == []


def test_a_source_notebook_can_forbid_more_in_a_cell():
    readonly = new_code_cell("import scipy.special as sp", metadata={"nbgrader": {"locked": True,
                                                                                 "grade_id": "imports"}})
    student = new_code_cell("def f(x):\n    return sp.expit(x)",
                            metadata={"nbgrader": {"solution": True, "grade_id": "answer"}})
    nb = new_notebook(cells=[readonly, student], metadata={"course_grade": {"forbidden": {"answer": ["scipy"]}}})
    assert scan(nb) == ["reference: cell answer, line 2: uses scipy.special.expit, which this assignment "
                        "forbids in this cell"]


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_the_scan_never_fails_on_any_text(text):
    assert isinstance(scanned(text), list)


# ----------------------------------------------------------------------------------------------------------------
# guard (in this process: no IPython shell, only the modules)


def test_the_guard_puts_back_a_replaced_numpy_function_and_says_so():
    original = np.isclose
    guard.install()
    guard.snapshot()
    try:
        np.isclose = lambda *a, **k: True
        assert guard.before_test() == ["numpy.isclose"]
        assert np.isclose is original
        assert guard.before_test() == []
    finally:
        np.isclose = original


# ----------------------------------------------------------------------------------------------------------------
# scoring a test cell


def graded_cell(*outputs):
    cell = new_code_cell("check()", metadata={"nbgrader": {"grade": True, "solution": False, "locked": True,
                                                           "grade_id": "t", "points": 2}})
    cell.outputs, cell.execution_count = list(outputs), 1
    return new_notebook(cells=[cell])


@pytest.mark.parametrize("outputs, score", [
    ([], 2.0),
    ([new_output("stream", name="stderr", text="RuntimeWarning: overflow\n")], 2.0),  # nbgrader: 0
    ([new_output("execute_result", data={"text/plain": "False"}, execution_count=1)], 2.0),
    ([new_output("execute_result", data={"text/plain": "0.5"}, execution_count=1)], 2.0),  # nbgrader: 0.5
    ([new_output("error", ename="AssertionError", evalue="wrong", traceback=[])], 0.0),
])
def test_a_test_cell_scores_its_points_exactly_when_it_raises_nothing(outputs, score):
    (row,) = score_cells(graded_cell(*outputs), "nb")
    assert (row["score"], row["max_score"]) == (score, 2.0)


@pytest.mark.parametrize("output, nbgraders_score", [
    (new_output("stream", name="stderr", text="RuntimeWarning: overflow\n"), 0.0),
    (new_output("execute_result", data={"text/plain": "False"}, execution_count=1), 2.0),
    (new_output("execute_result", data={"text/plain": "0.5"}, execution_count=1), 0.5),
])
def test_nbgraders_own_rule_is_what_the_grader_works_around(output, nbgraders_score):
    """nbgrader scores stderr as a failure and reads a trailing value as the score: the holes the grader closes."""
    from nbgrader.utils import determine_grade

    assert determine_grade(graded_cell(output).cells[0]) == (nbgraders_score, 2.0)


@pytest.mark.parametrize("outputs", [[], [new_output("stream", name="stdout", text="ok\n")],
                                     [new_output("error", ename="NameError", evalue="x", traceback=[])]])
def test_the_workers_scoring_rule_is_nbgraders_for_cleaned_test_cells(outputs):
    from nbgrader.utils import determine_grade

    nb = graded_cell(*outputs)
    (row,) = score_cells(nb, "nb")
    assert (row["score"], row["max_score"]) == determine_grade(nb.cells[0])


@pytest.mark.parametrize("answer, score", [("YOUR ANSWER HERE", 0.0), ("Because exp overflows.", None)])
def test_a_written_answer_scores_0_untouched_and_waits_for_a_human_otherwise(answer, score):
    from nbgrader.utils import compute_checksum, determine_grade

    meta = {"grade": True, "solution": True, "locked": False, "grade_id": "why", "points": 1}
    handed_out = new_markdown_cell("YOUR ANSWER HERE", metadata={"nbgrader": meta})
    meta["checksum"] = compute_checksum(handed_out)
    nb = new_notebook(cells=[new_markdown_cell(answer, metadata={"nbgrader": dict(meta)})])
    (row,) = score_cells(nb, "nb", release=new_notebook(cells=[handed_out]))
    assert row["score"] == score == determine_grade(nb.cells[0])[0]


def test_a_test_cell_that_never_ran_scores_nothing():
    nb = graded_cell()
    nb.cells[0].execution_count = None
    (row,) = score_cells(nb, "nb")
    assert row["score"] == 0.0


def test_stderr_in_a_test_cell_is_kept_as_ordinary_output():
    nb = graded_cell(new_output("stream", name="stderr", text="DeprecationWarning: old\n"))
    score_cells(nb, "nb")
    assert [(o.name, o.text) for o in nb.cells[0].outputs] == [("stdout", "DeprecationWarning: old\n")]


# ----------------------------------------------------------------------------------------------------------------
# report


def result(student, score, flags=(), status="graded", reasons=()):
    cells = [{"notebook": "a1", "cell": "t1", "kind": "test", "score": score, "max_score": 2.0, "message": ""},
             {"notebook": "a1", "cell": "q", "kind": "answer", "score": None, "max_score": 1.0, "message": ""}]
    return {"student": student, "assignment": "a1", "status": status, "flags": list(flags),
            "reasons": list(reasons), "cells": cells, "score": score, "max_score": 2.0}


def test_grades_csv_has_one_row_per_submission_with_parts_flags_and_reason():
    text = report.csv_text([result("zoe", 2.0), result("amy", 0.0, ["tamper: x", "reference: y"], "partial",
                                                                     ["cell t1 timed out"])])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == report.COLUMNS
    assert [(r["student"], r["score"], r["parts"], r["status"], r["flags"], r["reason"]) for r in rows] == [
        ("amy", "0", "t1=0/2", "partial", "tamper: x | reference: y", "cell t1 timed out"),
        ("zoe", "2", "t1=2/2", "graded", "", "")]


def test_the_summary_lists_flagged_submissions_for_review():
    text = report.summary([result("zoe", 2.0), result("amy", 0.0, ["tamper: x"])], regraded=1, unchanged=1)
    assert "2 submission(s): 1 graded now, 1 unchanged since the last run; 1 flagged for review" in text
    assert text.endswith("Review by hand (scores stand until you change them):\n  a1/amy:\n    tamper: x")


def test_a_note_is_printed_but_does_not_fail_the_run_and_a_problem_does(tmp_path):
    from course_lib.grade.run import GradeRun

    noted = GradeRun([result("zoe", 2.0)], regraded=1, unchanged=0, out=tmp_path, notes=["no kernels cached"])
    assert noted.summary().endswith("\nnote: no kernels cached") and noted.exit_code == 0
    failed = GradeRun([result("zoe", 2.0)], regraded=1, unchanged=0, out=tmp_path, problems=["not recorded"],
                      notes=["no kernels cached"])
    assert failed.summary().endswith("\nnote: no kernels cached\nproblem: not recorded") and failed.exit_code == 1


def test_nbformat_accepts_every_rebuilt_notebook():
    source, release = source_and_release()
    nb, _ = restore(release, source, release)
    nbformat.validate(nb)
    assert len({c.id for c in nb.cells}) == len(nb.cells)
    assert all(isinstance(c, type(new_markdown_cell(""))) for c in nb.cells)
