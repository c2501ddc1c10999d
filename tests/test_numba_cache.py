"""A cached kernel that compiles in another module's code is recompiled when that module changes."""
import os
import shutil
import subprocess
import sys

from conftest import ROOT

_RUN_MODEL = "import numpy as np; from course_lib.model import MLP; print(MLP([2, 3, 2]).loss(np.ones((4, 2)), np.array([0, 1, 0, 1])))"


def _run(site):
    env = dict(os.environ, PYTHONPATH=str(site))
    env.pop("NUMBA_CACHE_DIR", None)
    out = subprocess.run([sys.executable, "-c", _RUN_MODEL], env=env, cwd=site, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0 and out.stderr == "", out.stderr
    return out.stdout


def test_the_model_kernels_cache_is_dropped_when_the_activations_source_changes(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(ROOT / "course_lib", site / "course_lib", ignore=shutil.ignore_patterns("__pycache__"))
    _run(site)
    cache = site / "course_lib" / "__pycache__"
    indexes = sorted(cache.glob("model.*.nbi"))
    assert indexes, "the model's kernels were not cached"
    old = {p.name: p.stat().st_mtime for p in indexes}
    activations = site / "course_lib" / "activations.py"
    later = max(old.values()) + 60
    os.utime(activations, (later, later))  # as after a `git pull` that changed only activations.py
    _run(site)
    renewed = {p.name: p.stat().st_mtime for p in cache.glob("model.*.nbi")}
    assert renewed and all(renewed[name] > old[name] for name in old if name in renewed)


def test_an_unchanged_dependency_keeps_the_cache(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(ROOT / "course_lib", site / "course_lib", ignore=shutil.ignore_patterns("__pycache__"))
    _run(site)
    cache = site / "course_lib" / "__pycache__"
    before = {p.name: p.stat().st_mtime for p in cache.glob("model.*.nbi")}
    assert before, "the model's kernels were not cached"
    _run(site)
    after = {p.name: p.stat().st_mtime for p in cache.glob("model.*.nbi")}
    assert before == after
