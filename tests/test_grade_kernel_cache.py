"""Each student's private Numba cache starts with course_lib's compiled kernels: loaded, not compiled again."""
import json
import os
import shutil
import subprocess
import sys

from conftest import ROOT

# Runs course_lib's EMA kernel and reports whether Numba loaded it from a cache or compiled it.
_RUN_EMA = """
import json
import numpy as np
from course_lib import ema
from course_lib.ema import _ema_sequence_kernel as kernel
ema.ema(np.arange(5.0), 0.9)
print(json.dumps({"hits": sum(kernel.stats.cache_hits.values()), "misses": sum(kernel.stats.cache_misses.values())}))
"""

_SEED = """
import sys
from course_lib.grade.kernel_cache import compiled_kernels, seed
print(seed(sys.argv[1], compiled_kernels()))
"""


def _python(site, code, *args, cache_dir=None):
    env = dict(os.environ, PYTHONPATH=str(site))
    env.pop("NUMBA_CACHE_DIR", None)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = str(cache_dir)
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], env=env, cwd=site, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0 and out.stderr == "", out.stderr
    return out.stdout


def test_a_seeded_private_cache_loads_the_course_kernels_and_an_empty_one_compiles_them(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(ROOT / "course_lib", site / "course_lib", ignore=shutil.ignore_patterns("__pycache__"))
    first = json.loads(_python(site, _RUN_EMA))  # the instructor's run: compiles into the package's cache
    assert first["misses"] >= 1

    seeded, empty = tmp_path / "student-a" / "numba", tmp_path / "student-b" / "numba"
    seeded.mkdir(parents=True)
    empty.mkdir(parents=True)
    assert int(_python(site, _SEED, seeded)) > 0
    assert json.loads(_python(site, _RUN_EMA, cache_dir=seeded)) == {"hits": 1, "misses": 0}
    assert json.loads(_python(site, _RUN_EMA, cache_dir=empty))["misses"] >= 1  # without the seed: compiled


def test_what_a_student_run_writes_into_its_copy_never_reaches_the_package_cache(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(ROOT / "course_lib", site / "course_lib", ignore=shutil.ignore_patterns("__pycache__"))
    _python(site, _RUN_EMA)
    package_cache = site / "course_lib" / "__pycache__"
    before = {p.name: p.read_bytes() for p in package_cache.glob("*.nb*")}
    private = tmp_path / "numba"
    private.mkdir()
    _python(site, _SEED, private)
    for copy in private.rglob("*.nb*"):  # a student's code overwrites every cached kernel it can find
        copy.write_bytes(b"not a kernel")
    assert {p.name: p.read_bytes() for p in package_cache.glob("*.nb*")} == before


def test_every_seeded_folder_gets_its_own_copy_of_every_compiled_kernel(tmp_path):
    from course_lib.grade import kernel_cache

    kernels = kernel_cache.compiled_kernels()
    a, b = tmp_path / "a", tmp_path / "b"
    assert kernel_cache.seed(a, kernels) == kernel_cache.seed(b, kernels) == sum(len(f) for _, f in kernels)
    names_a = sorted(p.relative_to(a) for p in a.rglob("*.nb*"))
    assert names_a == sorted(p.relative_to(b) for p in b.rglob("*.nb*"))
    assert all(not os.path.samefile(a / n, b / n) for n in names_a)  # copies, not links
