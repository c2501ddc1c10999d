"""The course's skeleton: packaging agrees with itself, the `course` command runs, Numba caching and seeding work,
and `make lab` serves JupyterLab."""
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from numba import njit

from conftest import BIN, ROOT

import course_lib


# conda-forge names that differ from PyPI's for the same package
CONDA_TO_PYPI = {"playwright-python": "playwright"}


def _name(requirement):
    name = re.split(r"[<>=!~\s\[]", requirement.strip(), maxsplit=1)[0].lower()
    return CONDA_TO_PYPI.get(name, name)


def _conda_dependencies():
    deps, inside = [], False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.startswith("dependencies:"):
            inside = True
            continue
        if inside and line.startswith("  - "):
            deps.append(line[4:].split("#")[0].strip())
        elif inside and line and not line.startswith(" "):
            break
    return deps


def test_environment_yml_lists_the_same_packages_and_bounds_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_side = project["dependencies"] + project["optional-dependencies"]["test"]
    pip_side = {_name(r): r.replace(" ", "") for r in pip_side}
    conda_side = {_name(r): r.replace(" ", "") for r in _conda_dependencies() if _name(r) not in ("python", "pip")}
    for conda_name, pypi_name in CONDA_TO_PYPI.items():
        conda_side = {name: spec.replace(conda_name, pypi_name) for name, spec in conda_side.items()}
    assert conda_side == pip_side


def test_python_floor_matches():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11"
    assert "python>=3.11" in _conda_dependencies()


def test_nbgrader_config_points_at_solutions_and_assignments():
    text = (ROOT / "nbgrader_config.py").read_text()
    assert 'source_directory = "solutions"' in text
    assert 'release_directory = "assignments"' in text
    ignored = (ROOT / ".gitignore").read_text().split()
    for folder in ("submitted/", "autograded/", "feedback/", "gradebook.db"):
        assert folder in ignored


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "make test" in (ROOT / "README.md").read_text()


def test_course_help_prints_usage():
    out = subprocess.run([str(BIN / "course"), "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "usage: course" in out.stdout
    assert "lab" in out.stdout


def test_seed_makes_numpy_and_compiled_draws_repeat():
    @njit
    def draw_in_compiled_code():
        return np.random.random()

    course_lib.seed(123)
    first = (np.random.random(), draw_in_compiled_code())
    course_lib.seed(123)
    second = (np.random.random(), draw_in_compiled_code())
    assert first == second
    course_lib.seed(124)
    assert draw_in_compiled_code() != first[1]


@pytest.mark.parametrize("bad, error", [(1.5, TypeError), ("3", TypeError), (True, TypeError), (-1, ValueError),
                                        (2**32, ValueError)])
def test_seed_rejects_bad_values_with_a_clear_error(bad, error):
    with pytest.raises(error, match="seed"):
        course_lib.seed(bad)


def test_numba_cache_falls_back_to_a_user_directory_when_the_package_folder_is_not_writable(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(ROOT / "course_lib", site / "course_lib", ignore=shutil.ignore_patterns("__pycache__"))
    pkg = site / "course_lib"
    if os.geteuid() == 0:
        # root ignores permission bits; a plain file where the cache folder would go makes it unwritable all the same
        (pkg / "__pycache__").write_text("not a folder")
    else:
        for path in [pkg, *pkg.rglob("*")]:
            path.chmod(0o555 if path.is_dir() else 0o444)
    user_cache = tmp_path / "user-cache"
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(PYTHONPATH=str(site), XDG_CACHE_HOME=str(user_cache), HOME=str(tmp_path))
    code = "import course_lib; course_lib.seed(1); print(course_lib.__file__)"
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    try:
        assert out.returncode == 0, out.stderr
        assert out.stderr == ""
        assert out.stdout.strip().startswith(str(site))
        assert list(user_cache.rglob("*.nbi")), "no Numba cache index was written to the user cache directory"
    finally:
        for path in [pkg, *pkg.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)


def test_importing_the_package_prints_nothing():
    out = subprocess.run([sys.executable, "-W", "default", "-c", "import course_lib; course_lib.seed(0)"],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0 and out.stderr == "" and out.stdout == ""


def test_course_lab_puts_the_environments_programs_first_on_path():
    from course_lib.cli import environment_bin_first

    env = environment_bin_first({"PATH": os.pathsep.join(["/usr/bin", str(BIN), "/bin"])})
    assert env["PATH"].split(os.pathsep) == [str(BIN), "/usr/bin", "/bin"]
    assert environment_bin_first({})["PATH"] == str(BIN)


def test_make_puts_the_environments_programs_first_on_path():
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    out = subprocess.run(["make", "-s", "-p", "-n", "clean-venv", "VENV=/some/env"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert "PATH := /some/env/bin:/usr/bin:/bin" in out.stdout.splitlines()


def _fresh_course(tmp_path):
    """A course folder as a fresh clone has it before anyone graded: the config and one source assignment."""
    course = tmp_path / "course"
    shutil.copytree(ROOT / "solutions" / "01_computation_graphs", course / "solutions" / "01_computation_graphs")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    return course


@pytest.mark.slow
def test_make_lab_serves_jupyterlab_with_the_printed_token_and_formgrader_opens_on_a_fresh_course(tmp_path):
    """Started with only the system's programs on PATH (nothing activated): the lab answers, and formgrader's
    first open creates a complete gradebook (nbgrader runs `alembic` for its version table) instead of failing."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    venv = Path(sys.prefix)
    course = _fresh_course(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["PATH"] = os.pathsep.join(p for p in ["/usr/local/bin", "/usr/bin", "/bin"] if os.path.isdir(p))
    proc = subprocess.Popen(
        ["make", "-s", "lab", f"VENV={venv}", f"LAB_ARGS=--no-browser --root {course}"], cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True, env=env,
    )
    try:
        url, seen = None, []
        deadline = time.monotonic() + 120
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            seen.append(line)
            match = re.search(r"Open: (http://127\.0\.0\.1:(\d+)/lab\?token=(\w+))", line)
            if match:
                url, port, token = match.groups()
        assert url, "make lab did not print the URL:\n" + "".join(seen)
        status = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=5) as r:
                    status = r.status
                    break
            except OSError:
                time.sleep(0.5)
        assert status == 200, "the server did not answer; it printed:\n" + "".join(seen) + (
            proc.stdout.read() if proc.poll() is not None else "")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/config/notebook?token={token}", timeout=5):
            pass
        # nbgrader's lab extensions come with the install and are enabled
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab/api/extensions?token={token}", timeout=10) as r:
            assert b"nbgrader" in r.read()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/formgrader/api/assignments?token={token}",
                                    timeout=60) as r:
            assert r.status == 200
            assert "01_computation_graphs" in r.read().decode()
        import sqlite3

        with sqlite3.connect(course / "gradebook.db") as db:
            assert len(db.execute("SELECT version_num FROM alembic_version").fetchall()) == 1
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def test_every_lazily_loaded_submodule_exists():
    import importlib.util

    for name in course_lib._SUBMODULES:
        assert importlib.util.find_spec(f"course_lib.{name}") is not None, name
