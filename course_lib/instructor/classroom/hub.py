"""A JupyterHub classroom on one machine: local users, one server each, nbgrader's exchange between them.

`course hub` (or ``jupyterhub -f jupyterhub_config.py`` with the same environment variables) runs it:

- JupyterHub from PyPI (installed with the course) and configurable-http-proxy from npm, installed by
  `install_proxy` into the git-ignored ``.hub/node/`` (``make hub`` does it);
- every student and the instructor is a local Unix user (`add_users`, with ``--create-users``) whose home is
  private (mode 700); each gets a single-user Jupyter server running as that user (LocalProcessSpawner);
- nbgrader's exchange is one folder (default ``/srv/nbgrader/exchange``) writable by all, as nbgrader expects:
  the instructor's release goes to ``<course>/outbound``, hand-ins to ``<course>/inbound`` (nbgrader makes each
  hand-in readable only by the instructor), feedback to ``<course>/feedback`` under names only its student knows;
- the instructor's course folder is ``~instructor/course`` (sources in ``solutions/``, nbgrader_config.py as in
  this repository); formgrader works there (Generate, Release, Collect, Generate and Release Feedback), and
  `course grade` grades ``~instructor/course/submitted``.

The users' servers must run a Python the users may execute. When this environment's interpreter lives where
they cannot reach it (a pyenv under /root, say), the system's Python of the same version runs the servers with
this environment's packages added (`user_python`); nothing is copied.
"""
import os
import pwd
import shutil
import stat
import subprocess
import sys
import sysconfig
from pathlib import Path

HUB_DIR = ".hub"  # git-ignored: the proxy's node modules and the hub's state
PROXY_PACKAGE = "configurable-http-proxy@4"
EXCHANGE = "/srv/nbgrader/exchange"
COURSE_ID = "nn-training"
ROOT = Path(__file__).resolve().parents[3]  # the repository: course_lib/instructor/classroom/hub.py


class HubError(Exception):
    """The classroom cannot be set up here; the message says why."""


def proxy_command(root=ROOT):
    return Path(root) / HUB_DIR / "node" / "node_modules" / ".bin" / "configurable-http-proxy"


def install_proxy(root=ROOT):
    """Install configurable-http-proxy with npm into ``.hub/node`` (once); return the command's path."""
    command = proxy_command(root)
    if command.exists():
        return command
    if shutil.which("npm") is None:
        raise HubError("npm is not installed: JupyterHub's proxy (configurable-http-proxy) comes from npm")
    done = subprocess.run(["npm", "install", "--prefix", str(command.parents[2]), PROXY_PACKAGE, "--no-audit",
                           "--no-fund", "--loglevel=error"], capture_output=True, text=True, timeout=600)
    if done.returncode != 0 or not command.exists():
        raise HubError(f"npm could not install {PROXY_PACKAGE}: {done.stderr.strip()[-500:]}")
    return command


def _others_can_run(path):
    """Whether a user other than the owner can execute `path` (every folder on the way searchable)."""
    path = Path(os.path.realpath(path))
    for folder in path.parents:
        if not os.stat(folder).st_mode & stat.S_IXOTH:
            return False
    return bool(os.stat(path).st_mode & stat.S_IXOTH)


def site_packages():
    return sysconfig.get_paths()["purelib"]


def user_python():
    """(interpreter, bootstrap arguments) with which a local user runs Python with this environment's packages."""
    if _others_can_run(sys.executable):
        return sys.executable, []
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (f"/usr/bin/{version}", f"/usr/local/bin/{version}", shutil.which(version)):
        if candidate and os.path.exists(candidate) and _others_can_run(candidate):
            return candidate, [f"import site, sys; site.addsitedir({site_packages()!r})"]
    raise HubError(f"local users cannot run {sys.executable} (a folder on its path is private) and there is no "
                   f"{version} they can run: make the environment readable or install {version}")


def singleuser_command():
    """The command that starts one user's Jupyter server (JupyterLab with nbgrader's extensions)."""
    python, boot = user_python()
    if not boot:
        return [python, "-m", "jupyterhub.singleuser"]
    return [python, "-c", "; ".join(boot + ["from jupyterhub.singleuser import main", "sys.exit(main())"])]


def user_environment():
    """What a user's server needs to find this environment's Jupyter extensions and packages (and kernels too)."""
    prefix = Path(sys.prefix)
    return {"JUPYTER_CONFIG_PATH": str(prefix / "etc" / "jupyter"), "JUPYTER_PATH": str(prefix / "share" / "jupyter"),
            "PYTHONPATH": os.pathsep.join([str(ROOT), site_packages()]),
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def can_manage_users():
    """Why local users cannot be made here (None if they can): root and useradd are needed."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "creating local users needs root"
    if shutil.which("useradd") is None:
        return "useradd is not installed"
    return None


def add_users(names):
    """Create the local users that do not exist yet (home in /home, private); return the ones created."""
    made = []
    for name in names:
        try:
            pwd.getpwnam(name)
        except KeyError:
            subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], check=True,
                           capture_output=True, timeout=60)
            made.append(name)
        os.chmod(pwd.getpwnam(name).pw_dir, 0o700)
    return made


def remove_users(names):
    for name in names:
        subprocess.run(["userdel", "--remove", name], capture_output=True, timeout=60)


def _chown_tree(path, user):
    entry = pwd.getpwnam(user)
    for folder, dirs, files in os.walk(path):
        for name in [folder] + [os.path.join(folder, n) for n in dirs + files]:
            os.lchown(name, entry.pw_uid, entry.pw_gid)


def _write_as(user, path, text):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    _chown_tree(path.parent, user)


def setup_class(instructor, students, exchange=EXCHANGE, course_id=COURSE_ID, source=ROOT, assignments=None):
    """Make the exchange, the instructor's course folder (sources and nbgrader_config.py copied from `source`)
    and every user's nbgrader settings. Returns the course folder."""
    exchange = Path(exchange)
    exchange.mkdir(parents=True, exist_ok=True)
    os.chmod(exchange, 0o777)  # nbgrader's exchange: everyone writes; nbgrader sets each course folder's rights
    home = Path(pwd.getpwnam(instructor).pw_dir)
    course = home / "course"
    names = assignments or sorted(p.name for p in (Path(source) / "solutions").iterdir() if p.is_dir())
    for aid in names:
        target = course / "solutions" / aid
        if not target.exists():
            shutil.copytree(Path(source) / "solutions" / aid, target)
    shutil.copy(Path(source) / "nbgrader_config.py", course / "nbgrader_config.py")
    _new_gradebook(course / "gradebook.db", course_id)
    _chown_tree(course, instructor)
    common = (f"c = get_config()  # noqa: F821\nc.Exchange.root = {str(exchange)!r}\n"
              f"c.CourseDirectory.course_id = {course_id!r}\n")
    _write_as(instructor, home / ".jupyter" / "nbgrader_config.py", common + _COURSE_SETTINGS.format(course=str(course)))
    for student in students:
        _write_as(student, Path(pwd.getpwnam(student).pw_dir) / ".jupyter" / "nbgrader_config.py", common)
    return course


# The instructor's settings: the course folder as in this repository's nbgrader_config.py
_COURSE_SETTINGS = """c.CourseDirectory.root = {course!r}
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "nbgrader_feedback"
c.CsvExportPlugin.to = "nbgrader_grades.csv"
c.ExecutePreprocessor.timeout = 120
"""


def _new_gradebook(path, course_id):
    """Create the course's gradebook here (nbgrader asks the `alembic` program for its version when it creates
    one, and the users' servers may not be able to run this environment's programs)."""
    if Path(path).exists():
        return
    from course_lib.instructor.grade.gradebook import open_gradebook

    with open_gradebook(f"sqlite:///{path}", course_id):
        pass


def hub_environment(instructor, students, port=8000, ip="127.0.0.1", state=None, api_token=None, hub_port=8081):
    """The environment variables jupyterhub_config.py reads."""
    env = {"COURSE_HUB_INSTRUCTOR": instructor, "COURSE_HUB_STUDENTS": ",".join(students),
           "COURSE_HUB_PORT": str(port), "COURSE_HUB_IP": ip, "COURSE_HUB_HUB_PORT": str(hub_port),
           "COURSE_HUB_STATE": str(state or ROOT / HUB_DIR / "state")}
    if api_token:
        env["COURSE_HUB_API_TOKEN"] = api_token
    return env


def configure(c, environ=os.environ):
    """Fill JupyterHub's config object `c` from the COURSE_HUB_* variables (used by jupyterhub_config.py)."""
    instructor = environ.get("COURSE_HUB_INSTRUCTOR", "instructor")
    students = [s for s in environ.get("COURSE_HUB_STUDENTS", "").split(",") if s]
    state = Path(environ.get("COURSE_HUB_STATE", ROOT / HUB_DIR / "state"))
    state.mkdir(parents=True, exist_ok=True)
    c.JupyterHub.ip = environ.get("COURSE_HUB_IP", "127.0.0.1")
    c.JupyterHub.port = int(environ.get("COURSE_HUB_PORT", "8000"))
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = int(environ.get("COURSE_HUB_HUB_PORT", "8081"))
    c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
    c.ConfigurableHTTPProxy.command = [str(proxy_command())]
    c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
    c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
    c.Spawner.cmd = singleuser_command()
    c.Spawner.default_url = "/lab"
    c.Spawner.environment = user_environment()
    c.Spawner.http_timeout = 120
    c.Spawner.start_timeout = 180
    c.Authenticator.allowed_users = set(students) | {instructor}
    c.Authenticator.admin_users = {instructor}
    token = environ.get("COURSE_HUB_API_TOKEN")
    if token:  # a service that scripts (and the tests) use to drive the class through the REST API
        c.JupyterHub.services = [{"name": "course-driver", "api_token": token}]
        c.JupyterHub.load_roles = [{"name": "course-driver", "services": ["course-driver"],
                                    "scopes": ["admin:users", "admin:servers", "access:servers", "list:users"]}]
    return c
