"""Keep Numba's on-disk cache honest for kernels that compile in code from other modules.

This is kernel plumbing, not an instructor's tool: `model.py` and `losses.py` import it at import time, so it stays
at the top of the package beside the kernels it serves.

Numba decides whether a cached kernel is still valid by looking at the file that defines the kernel, and only that
file. `model.py`'s forward/backward kernel inlines the activation formulas from `activations.py` and calls the loss
kernels of `losses.py`; after an update that changes only `activations.py`, Numba would happily load the old
compiled model kernel, with the old formulas, from the cache. In an editable install (`make lab`) that is exactly
what a `git pull` can produce.

`forget_if_dependencies_changed(module, dependencies)` removes the module's cache index files that are older than
any of the dependencies' source files, so the next call recompiles. It never raises: at worst nothing is removed.
"""
import os
from pathlib import Path


def _cache_folders(module):
    """Where Numba keeps the module's cached kernels (asked of the kernels themselves), or the in-tree default."""
    folders = set()
    for value in vars(module).values():
        path = getattr(getattr(value, "_cache", None), "_cache_path", None)
        if path:
            folders.add(Path(path))
    if not folders:
        folders.add(Path(module.__file__).parent / "__pycache__")
    return folders


def forget_if_dependencies_changed(module, dependencies):
    """Delete `module`'s Numba cache index (.nbi) files that are older than the source of any of `dependencies`.

    Call it at the end of the module's import, after its kernels are defined (their caches know the folder).
    """
    try:
        newest = max(os.stat(dep.__file__).st_mtime for dep in dependencies)
        stem = module.__name__.rsplit(".", 1)[-1]
        for folder in _cache_folders(module):
            for index in folder.glob(f"{stem}.*.nbi"):
                if index.stat().st_mtime < newest:
                    index.unlink()
    except (OSError, AttributeError, ValueError):
        pass
