"""`course release`: assignments/ regenerated from solutions/ with nbgrader, clean, byte-reproducible and safe.

All of it runs on a small fixture course in a temporary folder (tests/fixtures/nbgrader_course.py), never on the
repository's own solutions/ and assignments/.
"""
import json
import re
import shutil
import subprocess

import pytest
from nbformat.v4 import new_output

from conftest import BIN
from fixtures.nbgrader_course import (ANSWER_SOLUTION, ASSIGNMENT, RELU_HIDDEN, RELU_SOLUTION, SOFTMAX_HIDDEN,
                                      SOFTMAX_SOLUTION, VARIANCE_HIDDEN, VARIANCE_SOLUTION, make_course)

from course_lib import cli
from course_lib.release import ReleaseError, clean_notebook, read_notebook, release, write_notebook

OTHER = "ex02_other"
SECRET_TEXTS = [RELU_SOLUTION, SOFTMAX_SOLUTION, VARIANCE_SOLUTION, ANSWER_SOLUTION, RELU_HIDDEN, SOFTMAX_HIDDEN,
                VARIANCE_HIDDEN]


def snapshot(folder):
    """{relative path: (bytes, mtime_ns)} of every file under `folder`."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def source_path(root, assignment=ASSIGNMENT):
    return root / "solutions" / assignment / f"{assignment}.ipynb"


def release_path(root, assignment=ASSIGNMENT):
    return root / "assignments" / assignment / f"{assignment}.ipynb"


def make_dirty(path):
    """Leave in a source notebook what running it in JupyterLab leaves: outputs, counts, widget and timing data."""
    nb = read_notebook(path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    code[0].outputs = [new_output("stream", name="stdout", text="imported\n")]
    code[0].execution_count = 1
    code[1].execution_count = 2
    code[1].metadata["execution"] = {"iopub.execute_input": "2024-05-01T10:00:00.000Z"}
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2}}
    write_notebook(nb, path)


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """A course with two assignments, one committed with outputs, released once (no ids: every assignment)."""
    root = tmp_path_factory.mktemp("released") / "course"
    make_course(root)
    make_course(root, OTHER)
    make_dirty(source_path(root))
    result = release(root=root)
    return root, result


@pytest.fixture
def course(released, tmp_path):
    """A private copy of the released course, for tests that change it."""
    root, _ = released
    copy = tmp_path / "course"
    shutil.copytree(root, copy)
    return copy


# ---------------------------------------------------------------------------------------------------------------
# What a release contains


@pytest.mark.slow
def test_release_without_ids_writes_every_assignment_with_its_data_files(released):
    root, result = released
    assert result.updated == [ASSIGNMENT, OTHER] and result.unchanged == []
    for assignment in (ASSIGNMENT, OTHER):
        assert release_path(root, assignment).is_file()
        data = root / "assignments" / assignment / "data" / "points.csv"
        assert data.read_bytes() == (root / "solutions" / assignment / "data" / "points.csv").read_bytes()


@pytest.mark.slow
def test_release_leaves_no_nbgrader_files_in_the_course(released):
    root, _ = released
    assert sorted(p.name for p in root.iterdir()) == ["assignments", "solutions"]
    assert sorted(p.name for p in (root / "assignments").iterdir()) == [ASSIGNMENT, OTHER]


@pytest.mark.slow
def test_released_notebooks_have_no_outputs_execution_counts_or_widget_state(released):
    root, _ = released
    nb = json.loads(release_path(root).read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    assert all("execution" not in c["metadata"] for c in nb["cells"])
    assert "widgets" not in nb["metadata"]


@pytest.mark.slow
def test_released_notebooks_hold_no_solution_or_hidden_test_text(released):
    root, _ = released
    text = "\n".join("".join(c["source"]) for c in json.loads(release_path(root).read_text())["cells"])
    assert not re.search(r"BEGIN|END (SOLUTION|HIDDEN TESTS|MARK SCHEME)", text, re.IGNORECASE)
    for secret in SECRET_TEXTS:
        for line in secret.splitlines():
            assert line.strip() not in text, line
    # ...while what students should see is there: stubs, the visible tests, the question
    assert text.count("raise NotImplementedError()") == 3 and "YOUR ANSWER HERE" in text
    assert "check_close(relu(np.array([-1.0, 0.0, 2.0]))" in text
    assert "Why does softmax subtract the row maximum?" in text


@pytest.mark.slow
def test_a_source_committed_with_outputs_is_released_clean_and_reported(released):
    _, result = released
    assert result.sources_with_outputs == [
        f"solutions/{ASSIGNMENT}/{ASSIGNMENT}.ipynb has outputs in 1 cell(s), execution counts, widget state"]
    assert "source not clean: solutions/ex01_tiny/ex01_tiny.ipynb has outputs" in result.report()


@pytest.mark.slow
def test_a_rerun_gives_identical_bytes_and_leaves_unchanged_files_alone(released, course):
    before = snapshot(course / "assignments")
    again = release(root=course)
    assert again.unchanged == [ASSIGNMENT, OTHER] and again.updated == []
    assert snapshot(course / "assignments") == before  # same bytes, not even rewritten (same mtimes)

    shutil.rmtree(course / "assignments")
    fresh = release(root=course)
    assert fresh.updated == [ASSIGNMENT, OTHER]
    assert {k: v[0] for k, v in snapshot(course / "assignments").items()} == {k: v[0] for k, v in before.items()}


# ---------------------------------------------------------------------------------------------------------------
# --check


@pytest.mark.slow
def test_check_passes_for_a_fresh_release_and_reports_a_source_with_outputs(course, capsys):
    before = snapshot(course)
    assert cli.main(["release", OTHER, "--check", "--root", str(course)]) == 0
    assert capsys.readouterr().out == "assignments/ matches solutions/ (1 assignment(s) checked)\n"

    result = release(root=course, check=True)
    assert (result.stale, result.missing, result.extra) == ([], [], [])
    assert result.exit_code == 1 and "source not clean: solutions/ex01_tiny/ex01_tiny.ipynb" in result.report()
    assert snapshot(course) == before  # a check writes nothing


@pytest.mark.slow
def test_check_names_stale_missing_and_extra_files_after_edits(course, capsys):
    source = source_path(course)
    write_notebook(clean_notebook(read_notebook(source)), source)  # sources clean: only the edits below count
    other = source_path(course, OTHER)
    other.write_text(other.read_text().replace("Three functions and one question.", "Three functions."))
    (course / "assignments" / ASSIGNMENT / "data" / "points.csv").unlink()
    (course / "assignments" / ASSIGNMENT / "old_draft.ipynb").write_text("{}")
    (course / "assignments" / "zz_withdrawn").mkdir()

    assert cli.main(["release", "--check", "--root", str(course)]) == 1
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "assignments/ is out of date with solutions/:",
        f"  stale:   assignments/{OTHER}/{OTHER}.ipynb",
        f"  missing: assignments/{ASSIGNMENT}/data/points.csv",
        f"  extra:   assignments/{ASSIGNMENT}/old_draft.ipynb",
        "  extra:   assignments/zz_withdrawn/ (no solutions/zz_withdrawn)",
        "Run `course release` and commit assignments/.",
    ]


# ---------------------------------------------------------------------------------------------------------------
# Failures: clear messages, and the committed release untouched


@pytest.mark.slow
def test_an_nbgrader_error_is_shown_without_a_traceback_and_the_release_is_untouched(course):
    before = snapshot(course / "assignments")
    source = source_path(course)
    source.write_text(source.read_text().replace("### END SOLUTION", "", 1))
    with pytest.raises(ReleaseError) as info:
        release(root=course)
    message = str(info.value)
    assert message.startswith("nbgrader could not generate the release of ex01_tiny, ex02_other:")
    assert "no end solution statement found" in message and "Traceback" not in message
    assert snapshot(course / "assignments") == before
    assert sorted(p.name for p in course.iterdir()) == ["assignments", "solutions"]


@pytest.mark.slow
def test_a_misspelt_hidden_tests_marker_is_caught_before_it_leaks(course):
    before = snapshot(course / "assignments")
    source = source_path(course)
    text = source.read_text()
    source.write_text(text.replace("### BEGIN HIDDEN TESTS", "### Begin hidden tests", 1)
                      .replace("### END HIDDEN TESTS", "### End hidden tests", 1))
    with pytest.raises(ReleaseError, match=r"would show students solution or hidden-test text \(cell test_relu: "
                                           r"### Begin hidden tests\)"):
        release([ASSIGNMENT], root=course)
    assert snapshot(course / "assignments") == before


def test_an_unknown_id_lists_the_known_ones(tmp_path, capsys):
    make_course(tmp_path)
    with pytest.raises(ReleaseError, match=r"^unknown assignment ex9; known assignments: ex01_tiny$"):
        release(["ex9"], root=tmp_path)
    assert cli.main(["release", "ex9", "--root", str(tmp_path)]) == 1
    assert capsys.readouterr() == ("", "course release: unknown assignment ex9; known assignments: ex01_tiny\n")


def test_a_source_that_is_not_json_is_named_with_the_position(tmp_path):
    path = make_course(tmp_path)
    path.write_text('{"cells": [\n<<<<<<< HEAD\n')
    with pytest.raises(ReleaseError, match=r"^solutions/ex01_tiny/ex01_tiny.ipynb is not valid JSON \(line 2, "
                                           r"column 1: Expecting value\)"):
        release(root=tmp_path)
    assert not (tmp_path / "assignments").exists()


def test_course_help_lists_release_and_verify():
    out = subprocess.run([str(BIN / "course"), "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stderr == ""
    commands = re.findall(r"^    (\w+) ", out.stdout, re.MULTILINE)
    assert {"lab", "release", "verify"} <= set(commands)


# ---------------------------------------------------------------------------------------------------------------
# EXPECTED blocks: the release ships the numbers the instructor's code computed, never that code

RELU_EXPECTED = """cases = [(np.array([-1.5, 0.0, 2.25]),), (np.array([[3.0, -1e-300]]),)]
### BEGIN EXPECTED
def relu_reference_code(x):
    return np.where(x > 0, x, 0.0)
expected = outputs(relu_reference_code, cases)
mistakes = mistake_outputs({"the absolute value instead of max(x, 0)": np.abs}, cases)
third = 1.0 / 3.0
_scratch = 7
### END EXPECTED
check_outputs(relu, cases, expected, mistakes, name="relu")
### BEGIN HIDDEN TESTS
check_close(relu(np.array([-1.0, 1.0])), np.array([0.0, 1.0]))
### END HIDDEN TESTS"""


def with_expected(root, test_relu=RELU_EXPECTED, extra_cell=None):
    """Give the fixture course's relu test an EXPECTED block (and optionally one more released cell)."""
    from nbformat.v4 import new_code_cell

    path = make_course(root)
    nb = read_notebook(path)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "test_relu":
            cell.source = test_relu
        elif grade_id == "imports":
            cell.source += ", check_outputs, outputs, mistake_outputs"
    if extra_cell:
        nb.cells.append(new_code_cell(extra_cell))
    write_notebook(nb, path)
    return path


@pytest.mark.slow
def test_an_expected_block_is_released_as_the_literal_values_it_computed(tmp_path):
    with_expected(tmp_path)
    assert release(root=tmp_path).updated == [ASSIGNMENT]
    text = next(c.source for c in read_notebook(release_path(tmp_path)).cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == "test_relu")
    assert "relu_reference_code" not in text and "EXPECTED" not in text and "_scratch" not in text
    assert "np.where" not in text and "outputs(" not in text.replace("check_outputs(", "")
    assert "expected = [np.array([0.0, 0.0, 2.25], dtype=np.float64), np.array([[3.0, 0.0]], dtype=np.float64)]" \
        in text
    assert "'the absolute value instead of max(x, 0)': [\n        np.array([1.5, 0.0, 2.25], dtype=np.float64)," in text
    assert "third = 0.3333333333333333\n" in text  # the exact repr: the number reads back bit for bit
    assert release(root=tmp_path, check=True).ok
    # Changing the reference changes the numbers: the committed release is then stale.
    source = source_path(tmp_path)
    source.write_text(source.read_text().replace("third = 1.0 / 3.0", "third = 2.0 / 3.0"))
    result = release(root=tmp_path, check=True)
    assert not result.ok and result.stale == [f"assignments/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"]


@pytest.mark.slow
def test_a_released_callable_that_reproduces_a_solution_fails_the_release_whatever_its_name(tmp_path):
    with_expected(tmp_path, extra_cell="def plot_helper(values):\n    return np.clip(values, 0, None)\n"
                                       "shapes = {'double': lambda x: 2 * x}")
    with pytest.raises(ReleaseError, match=r"cell \w+: plot_helper reproduces the solution's relu on its \d "
                                           r"recorded input\(s\)") as caught:
        release(root=tmp_path)
    assert "double" not in str(caught.value)
    assert not (tmp_path / "assignments").exists()
    result = release(root=tmp_path, check=True)
    assert not result.ok and "answer in the release: " in result.report()


def test_an_expected_value_that_is_not_a_literal_is_an_error_naming_cell_and_name(tmp_path):
    with_expected(tmp_path, test_relu="### BEGIN EXPECTED\nreference = np.abs\n### END EXPECTED\n"
                                      "assert relu is not None")
    with pytest.raises(ReleaseError, match=r"cell test_relu: EXPECTED block 1: reference is a ufunc"):
        release(root=tmp_path)


def test_an_unclosed_expected_block_is_named():
    from course_lib.expected import ExpectedError, blocks

    with pytest.raises(ExpectedError, match=r"cell t, line 1: '### BEGIN EXPECTED' has no '### END EXPECTED'"):
        blocks("### BEGIN EXPECTED\nx = 1", "t")
    with pytest.raises(ExpectedError, match=r"line 2: '### end expected' is not a valid EXPECTED marker"):
        blocks("### BEGIN EXPECTED\n### end expected", "t")


def test_literals_read_back_exactly():
    import numpy as np

    from course_lib.expected import literal

    values = {"a": np.array([0.1, 1 / 3, np.nan, -np.inf, 1e-300]), "b": np.array([[1.5, 2.0]], dtype=np.float32),
              "c": (1, 2.5, True, None, "x"), "d": np.arange(3), "e": np.empty((0, 2)), "f": np.float64(0.2),
              "g": np.array(0.7), "h": np.linspace(0, 1, 200).reshape(20, 10)}
    for name, value in values.items():
        text = "\n".join(literal(name, value))
        assert max(len(line) for line in text.splitlines()) <= 120, name
        space = {"np": np}
        exec(text, space)
        got = space[name]
        if isinstance(value, np.ndarray):
            assert got.dtype == value.dtype and got.shape == value.shape
            np.testing.assert_array_equal(got, value)
        else:
            assert got == value
