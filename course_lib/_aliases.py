"""Old import paths of modules that moved keep working, and give the SAME module objects as the new paths.

The instructor's tools moved from the top of the package into `course_lib.instructor` (issue 19). Code, notebooks,
kernel specs and job files of earlier versions import ``course_lib.release``, ``course_lib.grade.worker`` or run
``python -m course_lib.cli``. A file left behind that re-exports the new module would make a second copy of a
package's submodules (``course_lib.grade.worker`` and ``course_lib.instructor.grade.worker`` run twice, and a test
that patches one misses the other). Instead one finder, first on ``sys.meta_path``, answers only for the old names
(`MOVED`, and everything inside the old packages): its loader returns the module imported under the new name, so
``import course_lib.grade.worker`` binds exactly ``course_lib.instructor.grade.worker``; ``python -m OLD`` runs the
new module's code as ``__main__``.
"""
import importlib
import importlib.abc
import importlib.util
import sys

MOVED = {
    "course_lib.release": "course_lib.instructor.release",
    "course_lib.verify": "course_lib.instructor.verify",
    "course_lib.warmup": "course_lib.instructor.warmup",
    "course_lib.cli": "course_lib.instructor.cli",
    "course_lib.expected": "course_lib.instructor.expected",
    "course_lib.grade": "course_lib.instructor.grade",
    "course_lib.classroom": "course_lib.instructor.classroom",
}


def new_name(name):
    """The module's name now, for an old name or a name inside an old package; None for any other name."""
    for old, new in MOVED.items():
        if name == old or name.startswith(old + "."):
            return new + name[len(old):]
    return None


class _Loader(importlib.abc.Loader):
    """Loads an old name as the module already imported (or now imported) under its new name."""

    def __init__(self, target):
        self.target = target
        self.spec = None

    def create_module(self, spec):
        module = importlib.import_module(self.target)
        self.spec = module.__spec__
        return module

    def exec_module(self, module):
        # the import system has just set __spec__ to the old name's spec: the module keeps its own
        module.__spec__ = self.spec

    def get_code(self, fullname):
        """The new module's code (``python -m OLD`` runs it as ``__main__``)."""
        spec = importlib.util.find_spec(self.target)
        return spec.loader.get_code(self.target)

    def is_package(self, fullname):
        return importlib.util.find_spec(self.target).submodule_search_locations is not None


class AliasFinder(importlib.abc.MetaPathFinder):
    """Finds the old names of moved modules, and nothing else."""

    def find_spec(self, fullname, path=None, target=None):
        new = new_name(fullname)
        if new is None:
            return None
        real = importlib.util.find_spec(new)
        if real is None:
            return None
        return importlib.util.spec_from_loader(fullname, _Loader(new),
                                               is_package=real.submodule_search_locations is not None)


def install():
    """Put the finder first on sys.meta_path, once."""
    if not any(isinstance(finder, AliasFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, AliasFinder())
