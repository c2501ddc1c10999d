"""`course grade --db postgresql://...`: two instructors grade halves of a class into one PostgreSQL gradebook at
the same time, and every score lands.

The test starts a throwaway server of its own: `initdb` into a temporary folder and `pg_ctl start` on a free
loopback port with its unix socket in that folder (as the `postgres` user when run as root, which PostgreSQL
refuses), and stops and deletes it afterwards. It needs Debian's `postgresql` package (.ci/run installs it) and the
psycopg2 driver (installed into this Python when missing); without them it skips and says why.
"""
import csv
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import pytest
from fixtures.grade import tiny
from fixtures.nbgrader_course import ASSIGNMENT

from course_lib.grade import gradebook

pytestmark = pytest.mark.slow


def _pg_bin(name):
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _driver():
    try:
        import psycopg2  # noqa: F401
        return None
    except ImportError:
        pass
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "psycopg2-binary"],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        return f"the psycopg2 driver is missing and could not be installed: {proc.stderr.strip()[-300:]}"
    return None


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("no PostgreSQL server programs (initdb, pg_ctl): apt-get install postgresql")
    problem = _driver()
    if problem:
        pytest.skip(problem)
    as_user = []
    folder = tempfile.mkdtemp(prefix="course-grade-pg-")
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        runuser = shutil.which("runuser")
        try:
            import pwd

            account = pwd.getpwnam("postgres")
        except KeyError:
            account = None
        if not (runuser and account):
            shutil.rmtree(folder)
            pytest.skip("running as root, and there is no `postgres` user or `runuser` to start PostgreSQL as")
        os.chown(folder, account.pw_uid, account.pw_gid)
        as_user = [runuser, "-u", "postgres", "--"]
    data, port = os.path.join(folder, "data"), _free_port()
    run = dict(capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    proc = subprocess.run([*as_user, initdb, "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"], **run)
    if proc.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"initdb failed: {proc.stderr.strip()[-300:]}")
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    proc = subprocess.run([*as_user, pg_ctl, "-D", data, "-o", options, "-l", os.path.join(folder, "log"), "-w",
                           "start"], **run)
    if proc.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"PostgreSQL did not start: {proc.stderr.strip()[-300:]}")
    try:
        created = subprocess.run([*as_user, _pg_bin("createdb") or "createdb", "-h", "127.0.0.1", "-p", str(port),
                                  "-U", "postgres", "gradebook"], **run)
        assert created.returncode == 0, created.stderr
        yield f"postgresql://postgres@127.0.0.1:{port}/gradebook"
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", data, "-m", "immediate", "-w", "stop"], **run)
        shutil.rmtree(folder, ignore_errors=True)


def test_two_graders_at_once_fill_one_postgresql_gradebook(postgres_url, tmp_path):
    course = tiny.make_course_folder(tmp_path / "course")
    expected = tiny.make_class(course, tmp_path / "all", 20)
    halves = []
    for half, students in enumerate((sorted(expected)[:10], sorted(expected)[10:])):
        folder = tmp_path / f"half{half}" / ASSIGNMENT
        folder.mkdir(parents=True)
        for student in students:
            shutil.copy(tmp_path / "all" / ASSIGNMENT / f"{student}.ipynb", folder)
        halves.append(subprocess.Popen(
            [sys.executable, "-m", "course_lib.cli", "grade", ASSIGNMENT, "--submissions", str(folder.parent),
             "--db", postgres_url, "--out", str(tmp_path / f"out{half}"), "--jobs", "1", "--root", str(course)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL))
        time.sleep(0.5)  # both start before either has finished setting up the assignment
    for proc in halves:
        out, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, err
        assert err == ""

    rows = []
    for half in (0, 1):
        with open(tmp_path / f"out{half}" / "grades.csv", newline="") as f:
            rows += list(csv.DictReader(f))
    assert {r["student"]: float(r["score"]) for r in rows} == expected
    assert not (tmp_path / "out0" / "gradebook.db").exists()
    with gradebook.open_gradebook(postgres_url) as gb:
        submissions = gb.assignment_submissions(ASSIGNMENT)
        recorded = {s.student_id: s.score for s in submissions}
    assert recorded == expected
