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
