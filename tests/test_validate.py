"""The shared input checks name the argument and the problem."""
import re
from pathlib import Path

import numpy as np
import pytest

from course_lib import _validate as v


def test_float_array_promotes_ints_and_keeps_float32():
    assert v.float_array([1, 2], "x").dtype == np.float64
    assert v.float_array(np.ones(3, np.float32), "x").dtype == np.float32
    assert v.float_array(np.ones(3, np.float16), "x").dtype == np.float32


@pytest.mark.parametrize("bad", [np.array(["a"]), np.ones(2, complex), [[1, 2], [3]]])
def test_float_array_rejects_non_real_input_naming_the_argument(bad):
    with pytest.raises(TypeError, match="grads"):
        v.float_array(bad, "grads")


def test_check_finite_reports_the_first_bad_index():
    with pytest.raises(ValueError, match=r"x contains a non-finite value \(nan\) at index \(1, 0\)"):
        v.float_array(np.array([[1.0, 2.0], [np.nan, 1.0]]), "x", finite=True)


def test_check_shape_and_same_shape_name_both_shapes():
    with pytest.raises(ValueError, match=r"W must have shape \(3, any\), got \(2, 4\)"):
        v.check_shape(np.zeros((2, 4)), (3, None), "W")
    with pytest.raises(ValueError, match=r"grad has shape \(2,\) but param has shape \(3,\)"):
        v.same_shape(np.zeros(2), np.zeros(3), "grad", "param")


def test_scalar_checks_type_range_and_finiteness():
    assert v.scalar(1, "lr", low=0) == 1.0
    with pytest.raises(TypeError, match="beta"):
        v.scalar("0.9", "beta")
    with pytest.raises(TypeError, match="beta"):
        v.scalar(True, "beta")
    with pytest.raises(ValueError, match=r"beta must be < 1"):
        v.scalar(1.0, "beta", low=0, high=1, high_open=True)
    with pytest.raises(ValueError, match="finite"):
        v.scalar(float("nan"), "lr")
    assert v.scalar(4.0, "every", integer=True) == 4
    with pytest.raises(TypeError, match="every"):
        v.scalar(4.5, "every", integer=True)


def test_labels_array_checks_range_and_length():
    assert v.labels_array([0, 2, 1], "y", n_classes=3).dtype == np.int64
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        v.labels_array([0, 3], "y", n_classes=3)
    with pytest.raises(ValueError, match="2 labels but there are 3 rows"):
        v.labels_array([0, 1], "y", length=3)
    with pytest.raises(TypeError, match="integer class labels"):
        v.labels_array([0.5, 1.0], "y")


def test_one_of_lists_the_choices():
    with pytest.raises(ValueError, match="unknown activation 'rlu'; choose one of 'relu', 'tanh'"):
        v.one_of("rlu", "activation", ("relu", "tanh"))


def test_float_array_keeps_a_zero_dimensional_input_zero_dimensional():
    out = v.float_array(np.float64(2.5), "x", ndim=0)
    assert out.shape == () and out.dtype == np.float64


def test_casting_a_value_too_large_for_float32_is_a_clear_error_not_a_warning():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="grad has a value too large for float32"):
            v.float_array(np.array([1.0, 1e300]), "grad", dtype=np.float32)
        assert v.cast_to(np.array([1.0, 2.0]), np.float32, "grad").dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["contiguous", "strided", "fortran"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_check_finite_finds_a_bad_value_in_every_layout_and_dtype(dtype, layout, bad):
    """Contiguous float arrays are checked by a compiled pass, the others by NumPy: both must find the same."""
    arr = np.zeros((4, 6), dtype=dtype)
    view = {"contiguous": arr, "strided": arr[:, ::2], "fortran": np.asfortranarray(arr)}[layout]
    view[2, 1] = bad
    with pytest.raises(ValueError, match=r"non-finite value \(.*\) at index \(2, 1\)"):
        v.check_finite(view, "x")
    view[2, 1] = 1.0
    assert v.check_finite(view, "x") is view
    assert v.check_finite(np.zeros((0, 3), dtype), "x").shape == (0, 3)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8])
def test_labels_array_reports_the_range_it_found(dtype):
    with pytest.raises(ValueError, match=r"values from 0 to 5"):
        v.labels_array(np.array([0, 5, 1, 2], dtype=dtype), "y", n_classes=3)
    with pytest.raises(ValueError, match=r"values from -1 to 1"):
        v.labels_array(np.array([1, -1, 0], dtype=np.int64)[::-1], "y", n_classes=3)
    assert v.labels_array(np.array([2, 0, 1], dtype=dtype), "y", n_classes=3).tolist() == [2, 0, 1]


@pytest.mark.parametrize("bad, error, message", [
    ([1.0, 2.0], TypeError, r"w\[1\] must be a NumPy array \(the optimizer changes it in place\), got list"),
    (np.zeros(3, np.int64), TypeError, r"w\[1\] must have dtype float32 or float64, got int64"),
    (np.broadcast_to(np.zeros(1), (3,)), ValueError, r"w\[1\] is read-only; the optimizer changes it in place"),
    (np.zeros((3, 3))[:, 1], ValueError, r"w\[1\] is not contiguous"),
])
def test_in_place_arrays_names_the_array_and_who_writes_it(bad, error, message):
    good = np.zeros(3, np.float32)
    v.in_place_arrays([good, np.asfortranarray(np.zeros((2, 2)))], "w", "the optimizer")
    with pytest.raises(error, match=message):
        v.in_place_arrays([good, bad], "w", "the optimizer")


def test_flag_accepts_only_true_or_false_and_names_the_setting():
    assert v.flag(True, "shuffle") is True
    assert v.flag(np.bool_(False), "shuffle") is False
    for bad in (0, 1, "yes", None, 1.0):
        with pytest.raises(TypeError, match=rf"shuffle must be True or False, got {re.escape(repr(bad))}"):
            v.flag(bad, "shuffle")


def test_the_true_or_false_rule_is_written_once_in_validate():
    """Every kernel, model and data module calls _validate.flag instead of its own copy of the check (the
    presentation modules, plots and widgets, are checked where they are maintained)."""
    root = Path(v.__file__).parent
    skip = {"_validate.py", "landscapes.py", "plots.py"}
    copies = [str(p.relative_to(root)) for p in sorted(root.rglob("*.py"))
              if p.name not in skip and "widgets" not in p.parts and "must be True or False" in p.read_text()]
    assert copies == []
