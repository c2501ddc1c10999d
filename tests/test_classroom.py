"""A student's own copy of an assignment (`course start`) and the gradebook as an LMS CSV (`course export`)."""
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import BIN, ROOT

from course_lib.classroom.start import StartError, start

AID = "01_computation_graphs"


@pytest.fixture
def course(tmp_path):
    """A course folder with one released assignment (and its source, for `course release --check`)."""
    folder = tmp_path / "course"
    for part in ("solutions", "assignments"):
        shutil.copytree(ROOT / part / AID, folder / part / AID)
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    return folder


def test_start_copies_the_release_into_work_and_never_overwrites_a_students_work(course):
    first = start(AID, root=course)
    notebook = course / "work" / AID / f"{AID}.ipynb"
    assert first.notebook == notebook and first.copied == [f"{AID}.ipynb"] and first.kept == []
    assert notebook.read_bytes() == (course / "assignments" / AID / f"{AID}.ipynb").read_bytes()
    notebook.write_text("my work")
    (course / "assignments" / AID / "data.csv").write_text("1,2\n")  # a file added to the release later
    again = start(AID, root=course)
    assert again.kept == [f"{AID}.ipynb"] and again.copied == ["data.csv"]
    assert notebook.read_text() == "my work"
    assert "nothing was overwritten" in again.report(course)


def test_start_names_the_assignments_when_the_id_is_unknown(course):
    with pytest.raises(StartError, match=f"no assignment '01'.*{AID}"):
        start("01", root=course)
    with pytest.raises(StartError, match="no assignment"):
        start("../solutions", root=course)


def test_the_work_folder_is_ignored_by_git():
    out = subprocess.run(["git", "check-ignore", "-q", f"work/{AID}/{AID}.ipynb"], cwd=ROOT)
    assert out.returncode == 0, "work/ must be git-ignored: students' copies live there"


@pytest.mark.slow
def test_course_start_opens_the_students_copy_in_the_lab_and_the_release_stays_clean(course):
    from course_lib.release import release

    proc = subprocess.Popen([str(BIN / "course"), "start", AID, "--no-browser", "--root", str(course)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        seen, url = [], None
        deadline = time.monotonic() + 120
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            seen.append(line)
            url = re.search(r"Open: (http://127\.0\.0\.1:(\d+)/lab/tree/(\S+)\?token=(\w+))", line)
        assert url, "course start printed no URL:\n" + "".join(seen)
        _, port, path, token = url.groups()
        assert path == f"work/{AID}/{AID}.ipynb"
        api = f"http://127.0.0.1:{port}/api/contents/{path}?token={token}&content=0"
        while True:
            try:
                with urllib.request.urlopen(api, timeout=5) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None, "".join(seen)
                time.sleep(0.5)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    (course / "work" / AID / f"{AID}.ipynb").write_text("{}")  # whatever the student does to their copy
    result = release([AID], root=course, check=True)
    assert result.exit_code == 0, result.report()


def _gradebook(path):
    """A gradebook as course grade and formgrader leave it: two assignments, a test cell autograded, a written
    answer graded by hand for one student and still waiting for the other, one submission missing."""
    import warnings

    from course_lib.grade.gradebook import open_gradebook

    url = f"sqlite:///{path}"
    with open_gradebook(url, "nn-training") as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, cells in (("a1", [("t1", 2.0, "code"), ("w1", 1.0, "markdown")]), ("a2", [("t2", 1.5, "code")])):
            gb.add_assignment(name)
            gb.add_notebook(name, name)
            for cell, points, kind in cells:
                gb.add_grade_cell(cell, name, name, max_score=points, cell_type=kind)
        gb.add_student("alice", first_name="Alice", last_name="Ng")
        gb.add_student("bob")
        for assignment, student, scores in (("a1", "alice", {"t1": (2.0, None), "w1": (None, 1.0)}),
                                            ("a1", "bob", {"t1": (0.0, 1.5), "w1": (None, None)}),
                                            ("a2", "alice", {"t2": (1.5, None)})):
            gb.add_submission(assignment, student)
            for cell, (auto, manual) in scores.items():
                grade = gb.find_grade(cell, assignment, assignment, student)
                grade.auto_score, grade.manual_score = auto, manual
                grade.needs_manual_grade = auto is None and manual is None
        gb.db.commit()
    return url


def test_the_canvas_export_has_a_row_per_student_a_column_per_assignment_and_manual_grades(tmp_path, capsys):
    import csv as csvmodule

    from course_lib import cli

    _gradebook(tmp_path / "gradebook.db")
    target = tmp_path / "canvas.csv"
    assert cli.main(["export", "--canvas", str(target), "--out", str(tmp_path)]) == 0
    rows = list(csvmodule.reader(target.open()))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "a1 (3)", "a2 (1.5)"]
    assert rows[1] == ["Points Possible", "", "", "", "", "3", "1.5"]
    by_login = {r[3]: r for r in rows[2:]}
    assert by_login["alice"][0] == "Ng, Alice" and by_login["alice"][5:] == ["3", "1.5"]  # 2 auto + 1 by hand
    assert by_login["bob"][5:] == ["1.5", ""]  # a corrected auto score counts as corrected; a2 not handed in
    assert "a1/bob" in capsys.readouterr().err  # still waiting for manual grading


def test_export_without_a_gradebook_says_so(tmp_path, capsys):
    from course_lib import cli

    assert cli.main(["export", "--canvas", str(tmp_path / "x.csv"), "--out", str(tmp_path)]) == 1
    assert "no gradebook.db" in capsys.readouterr().err and not (tmp_path / "x.csv").exists()
