"""`course warmup` compiles the kernels into the package's cache once, so later processes load them."""
import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT

from course_lib import cli, warmup

_EMA_STATS = """
import json
import numpy as np
from course_lib import ema
from course_lib.ema import _ema_sequence_kernel as kernel
ema.ema(np.arange(5.0), 0.9)
print(json.dumps({"hits": sum(kernel.stats.cache_hits.values()), "misses": sum(kernel.stats.cache_misses.values())}))
"""


def _python(site, *args):
    env = dict(os.environ, PYTHONPATH=str(site))
    env.pop("NUMBA_CACHE_DIR", None)
    return subprocess.run([sys.executable, *args], env=env, cwd=site, capture_output=True, text=True, timeout=600)


def test_after_a_warmup_a_new_process_loads_the_kernels_instead_of_compiling_them(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(ROOT / "course_lib", site / "course_lib", ignore=shutil.ignore_patterns("__pycache__"))
    done = _python(site, "-m", "course_lib.cli", "warmup", "--only", "ema,seeding")
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert "course_lib's kernels are compiled and cached" in done.stdout
    assert sorted((site / "course_lib" / "__pycache__").glob("ema.*.nbi"))
    stats = _python(site, "-c", _EMA_STATS)
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout) == {"hits": 1, "misses": 0}


def test_a_failing_part_is_reported_and_the_others_still_run(monkeypatch):
    ran = []
    monkeypatch.setattr(warmup, "TOUR", {"broken": lambda: 1 / 0, "fine": lambda: ran.append("fine")})
    seconds, failed = warmup.run(progress=False)
    assert ran == ["fine"] and set(seconds) == {"broken", "fine"}
    assert failed == ["broken: ZeroDivisionError: division by zero"]
    assert cli.main(["warmup", "--quiet"]) == 1


def test_an_unknown_part_is_a_clear_error(capsys):
    assert cli.main(["warmup", "--only", "ema,nope"]) == 2
    assert "unknown warm-up parts ['nope']; choose from ['activations'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="unknown warm-up parts"):
        warmup.run(["nope"], progress=False)


def test_every_part_of_the_tour_runs_without_error():
    # in a process of its own: the tour seeds the global generators, which this one's other tests may not expect
    done = _python(ROOT, "-c", "import json; from course_lib import warmup; "
                   "seconds, failed = warmup.run(progress=False); print(json.dumps([list(seconds), failed]))")
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert json.loads(done.stdout) == [list(warmup.TOUR), []]
