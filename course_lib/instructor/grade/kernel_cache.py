"""Start each student's private Numba cache with course_lib's compiled kernels, so they are not compiled again.

Every grading worker gets an empty NUMBA_CACHE_DIR of its own (see `course_lib.instructor.grade.run`), so that a
``cache=True`` function one student's notebook compiles can never be loaded in the next student's run. With
NUMBA_CACHE_DIR set, though, Numba also looks for course_lib's OWN kernels there, not in the package's
``__pycache__`` folders; an empty folder would make every student's run compile them again (the MLP kernel alone
takes about 14 s, an assignment's kernels together half a minute).

So each private folder starts as a copy of the kernels the course has already compiled: the ``.nbi``/``.nbc``
files of course_lib's ``__pycache__`` folders, put where Numba looks when NUMBA_CACHE_DIR is set
(``<NUMBA_CACHE_DIR>/<folder name>_<sha1 of the folder path>/``). They are copies, not links: what a student's code
writes into its folder reaches nobody else. Numba checks every cached kernel against its source file as usual
(index files keep their times, so `course_lib._numba_cache`'s guard works on the copies too).

The package's cache fills whenever course_lib runs without NUMBA_CACHE_DIR in the instructor's environment;
`course grade` makes sure of it by running ``course warmup`` (`course_lib.instructor.warmup`) before the first student.
"""
import shutil
from pathlib import Path

from numba.core.caching import UserProvidedCacheLocator

import course_lib

__all__ = ["compiled_kernels", "seed"]

_SUFFIXES = (".nbi", ".nbc")


def compiled_kernels():
    """[(source folder, [cache files])] for every course_lib folder whose ``__pycache__`` holds compiled kernels."""
    root = Path(course_lib.__file__).resolve().parent
    found = []
    for pycache in sorted(root.rglob("__pycache__")):
        files = sorted(f for f in pycache.iterdir() if f.suffix in _SUFFIXES and f.is_file())
        if files:
            found.append((pycache.parent, files))
    return found


def seed(cache_dir, kernels):
    """Copy `kernels` (from `compiled_kernels()`) into the private Numba cache folder `cache_dir`; returns the
    number of files copied. A file that cannot be copied is skipped: that kernel is compiled instead."""
    copied = 0
    for folder, files in kernels:
        # where Numba's locator for NUMBA_CACHE_DIR puts the kernels of any module in `folder`
        target = Path(cache_dir) / UserProvidedCacheLocator.get_suitable_cache_subpath(str(folder / "module.py"))
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        for f in files:
            try:
                shutil.copy2(f, target / f.name)
                copied += 1
            except OSError:
                pass
    return copied
