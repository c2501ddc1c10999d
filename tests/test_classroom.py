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
