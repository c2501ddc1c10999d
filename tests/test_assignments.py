"""The eight graded assignments: structure rules, fresh releases, full marks for the solutions, zero for the
untouched releases, and exactly the expected partial score for a partly completed submission."""
import json
import re

import nbformat
import pytest

from conftest import ROOT
from course_lib.release import release
from course_lib.verify import grade_notebook, problems_in_test_cell, verify

ASSIGNMENTS = [
    "01_computation_graphs", "02_jacobians", "03_activations", "04_descent_ema_momentum", "05_adaptive_optimizers",
    "06_learning_rate_schedules", "07_init_preprocessing_batchnorm", "08_dropout_regularization_capstone",
]


def _notebook(folder, assignment):
    return nbformat.read(ROOT / folder / assignment / f"{assignment}.ipynb", as_version=4)


def _nbgrader(cell):
    return cell.metadata.get("nbgrader", {})


def test_all_eight_assignments_exist_as_source_and_release():
    for assignment in ASSIGNMENTS:
        assert (ROOT / "solutions" / assignment / f"{assignment}.ipynb").exists(), assignment
        assert (ROOT / "assignments" / assignment / f"{assignment}.ipynb").exists(), assignment


def test_released_assignments_are_regenerated_from_the_current_solutions():
    result = release(root=ROOT, check=True)
    assert result.ok, result.report()


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_assignment_has_five_graded_parts_hidden_tests_a_written_answer_and_a_widget(assignment):
    nb = _notebook("solutions", assignment)
    tests = [c for c in nb.cells if c.cell_type == "code" and _nbgrader(c).get("grade")]
    assert len(tests) >= 5, f"{assignment}: {len(tests)} autograded test cells"
    for cell in tests:
        grade_id = _nbgrader(cell)["grade_id"]
        assert _nbgrader(cell).get("points", 0) > 0, grade_id
        assert "### BEGIN HIDDEN TESTS" in cell.source, f"{grade_id} has no hidden tests"
        visible = cell.source.split("### BEGIN HIDDEN TESTS")[0]
        assert re.search(r"\bcheck_\w+\(|\bassert\b", visible), f"{grade_id} has no visible check"
        assert problems_in_test_cell(cell.source) == [], grade_id
    written = [c for c in nb.cells if c.cell_type == "markdown" and _nbgrader(c).get("grade")
               and _nbgrader(c).get("solution")]
    assert written, f"{assignment} has no manually graded written answer"
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "course_lib.widgets" in code or "ipywidgets" in code, f"{assignment} has no widget exploration"
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert "course_lib.grading" in first_code.source and _nbgrader(first_code).get("locked")


@pytest.mark.parametrize("folder", ["solutions", "assignments"])
def test_notebooks_are_committed_without_outputs_counts_or_widget_state(folder):
    for assignment in ASSIGNMENTS:
        raw = json.loads((ROOT / folder / assignment / f"{assignment}.ipynb").read_text())
        assert "widgets" not in raw.get("metadata", {}), assignment
        for cell in raw["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, (assignment, cell.get("id"))


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_scores_full_marks_and_untouched_release_scores_zero(assignment):
    report = verify([assignment], root=ROOT)
    assert report.ok, report.format()


def _solution_code(cell):
    lines = cell.source.splitlines()
    keep = [line for line in lines if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")]
    return "\n".join(keep)


@pytest.mark.slow
def test_a_partly_completed_submission_gets_exactly_the_points_of_the_parts_it_solved(tmp_path):
    """Assignment 01 with only parts 1 (1 point) and 3 (2 points) filled in, as a student would, must score 3."""
    assignment = "01_computation_graphs"
    source = {_nbgrader(c).get("grade_id"): c for c in _notebook("solutions", assignment).cells}
    submission = _notebook("assignments", assignment)
    for cell in submission.cells:
        if _nbgrader(cell).get("grade_id") in ("sum_times_solution", "neuron_flat_solution"):
            cell.source = _solution_code(source[_nbgrader(cell)["grade_id"]])
    path = tmp_path / f"{assignment}.ipynb"
    nbformat.write(submission, path)
    result = grade_notebook(path, assignment, root=ROOT)
    solved = {"sum_times_test", "neuron_flat_test"}
    for grade_id in result.autograded:
        expected = result.max_scores[grade_id] if grade_id in solved else 0.0
        assert result.scores[grade_id] == expected, (grade_id, result.messages.get(grade_id))
    assert result.total == sum(result.max_scores[g] for g in solved) == 3.0
