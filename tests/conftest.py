"""Shared test fixtures and helpers."""
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

# Tests never open windows or need a display.
os.environ.setdefault("MPLBACKEND", "Agg")


def has_torch():
    try:
        import torch  # noqa: F401
    except Exception:
        return False
    return True


requires_torch = pytest.mark.skipif(not has_torch(), reason="PyTorch is not installed (pip install torch==2.13.0)")


@pytest.fixture
def repo_root():
    return ROOT
