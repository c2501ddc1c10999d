"""A JupyterHub classroom on this machine, end to end: an instructor and three students as local users, each with a
real single-user server behind JupyterHub's proxy, nbgrader's exchange between them. Everything goes through the
hub's REST API and the users' servers (formgrader for the instructor, the assignment list for the students):
generate and release -> fetch -> edit and submit (one honest, one partial, one late) -> collect -> `course grade`
-> nbgrader's feedback generated and released -> fetched. Then: nothing was lost, the late hand-in is late in the
gradebook, and a student can read neither another's hand-in nor the instructor's solutions.

Skipped where local users cannot be created (not root, no useradd), node/npm or JupyterHub are missing."""
import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fixtures.grade import tiny
from fixtures.nbgrader_course import ASSIGNMENT

from conftest import ROOT

from course_lib.cli import _free_port

pytestmark = pytest.mark.slow

COURSE = "nn-training"


def _skip_reason():
    from course_lib.classroom import hub

    reason = hub.can_manage_users()
    if reason:
        return reason
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node and npm are needed for JupyterHub's proxy"
    try:
        import jupyterhub  # noqa: F401
    except ImportError:
        return "jupyterhub is not installed"
    try:
        hub.user_python()
        hub.install_proxy()
    except hub.HubError as exc:
        return str(exc)
    return None


class Hub:
    def __init__(self, port, token):
        self.base, self.token = f"http://127.0.0.1:{port}", token

    def call(self, method, path, body=None, form=None, timeout=120):
        data, headers = None, {"Authorization": f"token {self.token}"}
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif method in ("POST", "PUT"):
            data = b""
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read().decode()
            return json.loads(text) if text.strip() else None

    def user(self, name, method, path, **kwargs):
        return self.call(method, f"/user/{name}{path}", **kwargs)


def _wait(what, check, seconds=180):
    deadline = time.monotonic() + seconds
    while True:
        try:
            result = check()
            if result:
                return result
        except (OSError, urllib.error.HTTPError, KeyError, ValueError):
            pass
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def _as(user, *command):
    return subprocess.run(["runuser", "-u", user, "--", *command], capture_output=True, text=True, timeout=60)


def _ok(response, what):
    assert response.get("success"), f"{what} failed: {response.get('error') or ''} {response.get('log') or ''}"[-3000:]


def _stop_processes_of(user):
    """SIGKILL each process (by its id) that runs as the test's `user`."""
    try:
        uid = pwd.getpwnam(user).pw_uid
    except KeyError:
        return
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid == uid:
                os.kill(int(entry.name), signal.SIGKILL)
        except (OSError, ProcessLookupError):
            pass


def _solve(nb, parts):
    for cell in nb["cells"]:
        part = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if part in parts:
            cell["source"] = cell["source"].replace("# YOUR CODE HERE\n    raise NotImplementedError()",
                                                    tiny._ANSWERS[part])
    return nb


def test_a_class_on_jupyterhub_releases_fetches_submits_collects_grades_and_returns_feedback(tmp_path):
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from course_lib.classroom import hub
    from course_lib.grade.gradebook import open_gradebook

    tag = secrets.token_hex(3)
    instructor = f"ci{tag}"
    students = {"honest": f"sh{tag}", "partial": f"sp{tag}", "late": f"sl{tag}"}
    everyone = [instructor, *students.values()]
    shared = Path(f"/tmp/course-hub-{tag}")  # outside pytest's private tmp folder: every user reaches it
    token = secrets.token_hex(24)
    proc = None
    try:
        hub.add_users(everyone)
        source = tiny.make_course_folder(tmp_path / "source")
        shared.mkdir(mode=0o755)
        exchange = shared / "exchange"
        course = hub.setup_class(instructor, list(students.values()), exchange=exchange, source=source,
                                 assignments=[ASSIGNMENT])
        port = _free_port()
        env = dict(os.environ, **hub.hub_environment(instructor, list(students.values()), port=port,
                                                    state=tmp_path / "state", api_token=token,
                                                    hub_port=_free_port()))
        log = open(tmp_path / "hub.log", "w")
        proc = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(ROOT / "jupyterhub_config.py")],
                                cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        api = Hub(port, token)
        _wait("the hub", lambda: api.call("GET", "/hub/api/") is not None, 120)
        for user in everyone:
            api.call("POST", f"/hub/api/users/{user}/server")
        for user in everyone:
            _wait(f"{user}'s server", lambda: api.call("GET", f"/hub/api/users/{user}")["servers"][""]["ready"])

        # the instructor generates and releases the assignment with formgrader
        fg = "/formgrader/api/assignment/" + ASSIGNMENT
        _ok(api.user(instructor, "POST", fg + "/assign"), "generate_assignment")
        _ok(api.user(instructor, "POST", fg + "/release"), "release")

        # each student fetches it into their own home, edits it through their server, and submits
        ids = {"assignment_id": ASSIGNMENT, "course_id": COURSE}
        path = f"/api/contents/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
        solved = {"honest": ("relu", "softmax", "variance"), "partial": ("relu",), "late": ("relu", "softmax",
                                                                                           "variance")}
        for who, user in students.items():
            api.user(user, "POST", "/assignments/fetch", form=ids)
            fetched = Path(pwd.getpwnam(user).pw_dir) / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
            assert fetched.is_file() and fetched.stat().st_uid == pwd.getpwnam(user).pw_uid
            nb = api.user(user, "GET", path)["content"]
            api.user(user, "PUT", path, body={"type": "notebook", "format": "json",
                                              "content": _solve(nb, solved[who])})
        for who in ("honest", "partial"):
            api.user(students[who], "POST", "/assignments/submit", form=ids)
        due = (datetime.now(timezone.utc) + timedelta(seconds=1)).replace(microsecond=0)  # whole seconds
        time.sleep(max(0.0, (due - datetime.now(timezone.utc)).total_seconds()) + 0.2)
        api.user(instructor, "PUT", fg, body={"duedate_notimezone": due.strftime("%Y-%m-%d %H:%M:%S"),
                                              "duedate_timezone": "UTC"})
        api.user(students["late"], "POST", "/assignments/submit", form=ids)

        # the instructor collects, then grades with course grade
        _ok(api.user(instructor, "POST", fg + "/collect"), "collect")
        submitted = course / "submitted"
        assert sorted(p.name for p in submitted.iterdir()) == sorted(students.values())
        done = subprocess.run([sys.executable, "-m", "course_lib.cli", "grade", ASSIGNMENT, "--submissions",
                               str(submitted), "--root", str(course), "--jobs", "2"], capture_output=True,
                              text=True, timeout=600, env=dict(os.environ, PYTHONPATH=str(ROOT)))
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        hub._chown_tree(course, instructor)
        import csv

        scores = {r["student"]: float(r["score"]) for r in csv.DictReader((course / "grades.csv").open())}
        assert scores == {students["honest"]: 6.0, students["partial"]: 1.0, students["late"]: 6.0}
        with open_gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE) as gb:
            assert gb.find_submission(ASSIGNMENT, students["late"]).total_seconds_late > 0
            assert gb.find_submission(ASSIGNMENT, students["honest"]).total_seconds_late == 0
        listed = api.user(instructor, "GET", "/formgrader/api/assignments")
        assert {a["name"]: a["num_submissions"] for a in listed}[ASSIGNMENT] == 3

        # nbgrader's feedback (with any hand-graded answers) is generated, released and fetched
        if hub.user_python()[1]:
            # The servers run the system's Python with this environment's packages (its own interpreter is private
            # here), and nbconvert's HTML export fails on Debian's 3.11.2 (soupsieve); the grading side (this
            # environment, like course grade) generates nbgrader's feedback instead: same command, same folders.
            done = subprocess.run([str(Path(sys.executable).parent / "nbgrader"), "generate_feedback", ASSIGNMENT],
                                  cwd=course, capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stderr[-2000:]
            hub._chown_tree(course, instructor)
        else:
            _ok(api.user(instructor, "POST", fg + "/generate_feedback"), "generate_feedback")
        _ok(api.user(instructor, "POST", fg + "/release_feedback"), "release_feedback")
        for user in students.values():
            api.user(user, "POST", "/assignments/fetch_feedback", form=ids)
            pages = list((Path(pwd.getpwnam(user).pw_dir) / ASSIGNMENT / "feedback").glob("*/*.html"))
            assert len(pages) == 1, f"{user} fetched no feedback"

        # nothing lost: each student's own notebook is what they saved
        honest_nb = Path(pwd.getpwnam(students["honest"]).pw_dir) / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        assert tiny._ANSWERS["softmax"].splitlines()[0] in honest_nb.read_text()

        # permissions: another student's hand-in, home and the instructor's solutions stay closed
        inbound = exchange / COURSE / "inbound"
        handed_in = [p for p in inbound.iterdir() if p.name.startswith(students["honest"] + "+")]
        assert handed_in
        snoop = students["partial"]
        # nbgrader's model: the inbound folder cannot be listed (mode 733), and each hand-in's folder name ends in a
        # random secret, so another student cannot find it (its files must stay readable for the instructor)
        assert _as(snoop, "ls", str(inbound)).returncode != 0
        assert oct(inbound.stat().st_mode & 0o777) == "0o733"
        assert len(handed_in[0].name.rsplit("+", 1)[1]) >= 12
        guessed = inbound / handed_in[0].name.rsplit("+", 1)[0]  # everything but the secret
        assert _as(snoop, "cat", str(guessed / f"{ASSIGNMENT}.ipynb")).returncode != 0
        assert _as(snoop, "cat", str(course / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")).returncode != 0
        assert _as(snoop, "ls", pwd.getpwnam(students["honest"]).pw_dir).returncode != 0
        assert _as(snoop, "cat", str(honest_nb.parent / "feedback")).returncode != 0
    finally:
        if proc is not None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        if proc is not None and os.environ.get("COURSE_HUB_TEST_LOG"):
            print((tmp_path / "hub.log").read_text()[-5000:])
        from course_lib.classroom import hub

        if hub.can_manage_users() is None:
            for user in everyone:  # servers that outlived the hub
                _stop_processes_of(user)
            hub.remove_users(everyone)
        shutil.rmtree(shared, ignore_errors=True)


def test_the_hub_config_gives_each_user_a_server_with_nbgraders_extensions_and_the_instructor_admin(tmp_path):
    from traitlets.config import Config

    from course_lib.classroom import hub

    c = hub.configure(Config(), {"COURSE_HUB_INSTRUCTOR": "ann", "COURSE_HUB_STUDENTS": "bo,cy",
                                 "COURSE_HUB_PORT": "8123", "COURSE_HUB_STATE": str(tmp_path)})
    assert c.Authenticator.allowed_users == {"ann", "bo", "cy"} and c.Authenticator.admin_users == {"ann"}
    assert c.JupyterHub.port == 8123 and c.JupyterHub.db_url == f"sqlite:///{tmp_path / 'jupyterhub.sqlite'}"
    assert c.ConfigurableHTTPProxy.command == [str(ROOT / ".hub" / "node" / "node_modules" / ".bin" /
                                                   "configurable-http-proxy")]
    assert "services" not in c.JupyterHub.keys()  # no driver token unless asked
    config_dir = Path(c.Spawner.environment["JUPYTER_CONFIG_PATH"])
    enabled = " ".join(p.read_text() for p in (config_dir / "jupyter_server_config.d").glob("*.json"))
    assert "nbgrader.server_extensions.formgrader" in enabled
    command = c.Spawner.cmd
    assert "jupyterhub.singleuser" in " ".join(command)
