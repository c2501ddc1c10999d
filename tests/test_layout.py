"""The package's layout shows its architecture, and the old import paths keep working.

Kernels and models sit at the top of `course_lib`, presentation in `widgets/` and `plots`, the instructor's tools in
`course_lib/instructor/`. Imports only go one way: instructor -> presentation -> models -> kernels. The instructor's
modules used to live at the top (`course_lib.release`, `course_lib.grade.worker`, `python -m course_lib.cli`); those
names are aliases of the SAME module objects (`course_lib._aliases`), so code, kernel specs and tests that patch a
module through an old name reach the real one.
"""
import ast
import importlib
import subprocess
import sys
import tomllib

import pytest

from conftest import BIN, ROOT

PACKAGE = ROOT / "course_lib"
INSTRUCTOR = PACKAGE / "instructor"
MODULES = ["release", "verify", "warmup", "cli", "expected"]
PACKAGES = ["grade", "classroom"]


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def old_names():
    """Every old name: the flat modules, the two packages and every module inside them."""
    names = [f"course_lib.{m}" for m in MODULES + PACKAGES]
    for package in PACKAGES:
        for path in sorted((INSTRUCTOR / package).glob("*.py")):
            if path.stem != "__init__":
                names.append(f"course_lib.{package}.{path.stem}")
    return names


def test_the_instructors_tools_live_in_their_own_package_and_nowhere_else():
    for name in MODULES:
        assert (INSTRUCTOR / f"{name}.py").is_file() and not (PACKAGE / f"{name}.py").exists()
    for name in PACKAGES:
        assert (INSTRUCTOR / name / "__init__.py").is_file() and not (PACKAGE / name).exists()
    # kernel plumbing stays at the top: model.py and losses.py import it
    assert (PACKAGE / "_numba_cache.py").is_file() and (PACKAGE / "grading.py").is_file()


@pytest.mark.parametrize("old", old_names())
def test_an_old_import_path_gives_the_same_module_object(old):
    new = old.replace("course_lib.", "course_lib.instructor.", 1)
    assert importlib.import_module(old) is importlib.import_module(new)
    assert importlib.import_module(old).__spec__.name == new  # the module keeps its own name and spec


def test_old_paths_imported_first_in_a_fresh_interpreter_load_each_module_once():
    code = ("import sys, course_lib.grade.worker as w, course_lib.release as r\n"
            "from course_lib.grade.run import grade\n"
            "import course_lib.instructor.grade.worker as w2, course_lib.instructor.release as r2\n"
            "import course_lib.instructor.grade.run as run\n"
            "assert w is w2 and r is r2 and grade is run.grade\n"
            "mods = {id(m): m for m in list(sys.modules.values())}\n"
            "files = [m.__file__ for m in mods.values() if 'course_lib' in (getattr(m, '__file__', '') or '')]\n"
            "assert len(files) == len(set(files)), sorted(files)\n"
            "assert not [n for n in sys.modules if n.startswith('course_lib.') and n.count('instructor') > 1]\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr


def test_an_old_name_that_never_existed_is_still_an_import_error():
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("course_lib.grade.no_such_module")


def test_patching_a_module_through_its_old_name_reaches_the_real_module(monkeypatch):
    import course_lib.grade.worker
    import course_lib.instructor.grade.worker as real

    monkeypatch.setattr(course_lib.grade.worker, "write_atomic", "patched")
    assert real.write_atomic == "patched"


def test_python_dash_m_with_an_old_name_runs_the_moved_module():
    done = subprocess.run([sys.executable, "-m", "course_lib.cli", "--help"], capture_output=True, text=True,
                          cwd=ROOT)
    assert done.returncode == 0 and done.stdout.startswith("usage: course"), done.stderr
    done = subprocess.run([sys.executable, "-m", "course_lib.grade.worker", "no-such-job.json"],
                          capture_output=True, text=True, cwd=ROOT)
    # the worker's own main ran, and failed on the missing job file
    assert "course_lib/instructor/grade/worker.py" in done.stderr and "no-such-job.json" in done.stderr


def test_the_course_command_points_at_the_new_cli_and_its_help_works():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, function = scripts["course"].partition(":")
    assert module == "course_lib.instructor.cli" and callable(getattr(importlib.import_module(module), function))
    done = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0 and "verify" in done.stdout and "grade" in done.stdout, done.stderr
    if (BIN / "course").exists():  # the installed script (an editable install made before the move works too)
        done = subprocess.run([str(BIN / "course"), "--help"], capture_output=True, text=True, cwd=ROOT)
        assert done.returncode == 0 and done.stdout.startswith("usage: course"), done.stderr


# ---------------------------------------------------------------------------------------------------------------
# No module imports upwards


def imports(path, package=None):
    """The course_lib modules `path` (a module of `package`) imports: absolute names, and `from course_lib import
    x` gives course_lib.x)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    if package is None:
        package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([node.module] if node.module else []))
            # `from course_lib import plots` imports course_lib.plots; `from course_lib.plots import PALETTE` too
            found.update(f"{base}.{alias.name}" for alias in node.names) if base == "course_lib" else found.add(base)
    return {name for name in found if name == "course_lib" or name.startswith("course_lib.")}


def layer(name):
    """'instructor', 'presentation' or 'core' (kernels and models) for a course_lib module name."""
    from course_lib._aliases import new_name

    name = new_name(name) or name
    if name.startswith("course_lib.instructor"):
        return "instructor"
    if name.startswith(("course_lib.widgets", "course_lib.plots")):
        return "presentation"
    return "core"


RANK = {"core": 0, "presentation": 1, "instructor": 2}
def upward_imports():
    found = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "_aliases.py" or path == PACKAGE / "__init__.py":
            continue  # the alias table and the package's lazy loader name the layers, they do not depend on them
        mine = layer(module_name(path))
        for name in imports(path):
            if RANK[layer(name)] > RANK[mine]:
                found.add(f"{path.relative_to(ROOT).as_posix()} imports {name}")
    return found


def test_no_module_imports_upwards():
    assert upward_imports() == set()


def test_presentation_imports_nothing_of_the_instructor_and_plots_only_kernels():
    assert {layer(n) for n in imports(PACKAGE / "plots.py")} <= {"core"}
    for path in [PACKAGE / "plots.py"] + sorted((PACKAGE / "widgets").rglob("*.py")):
        assert not [n for n in imports(path) if layer(n) == "instructor"], path


def test_the_import_check_sees_an_upward_import(tmp_path):
    fake = tmp_path / "course_lib" / "model_x.py"
    fake.parent.mkdir()
    fake.write_text("import numpy\nfrom course_lib.grade import sandbox\nfrom course_lib import plots\n")
    names = {n for n in imports(fake, "course_lib") if n != "course_lib"}
    assert {layer(n) for n in names} == {"instructor", "presentation"}
