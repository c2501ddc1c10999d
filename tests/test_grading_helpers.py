"""`course_lib.grading`: the checks that assignments' test cells call.

Each message path is pinned down (None, type, shape, NaN, wrong element, known variant, the built-in hints), the
tolerance rule is compared with NumPy's own `isclose` on random arrays, a student's monkeypatching of NumPy or
built-ins after import cannot make a wrong answer pass, and nothing ever reaches stderr or the warnings system.
"""
import builtins
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course_lib.grading import (check_close, check_function, check_gradient, check_scalar, check_shape,
                                check_true)


def message_of(call):
    with pytest.raises(AssertionError) as info:
        call()
    return str(info.value)


E = np.arange(12.0).reshape(3, 4) + 1.0  # no zeros, so relative errors are defined everywhere


# ---------------------------------------------------------------------------------------------------------------
# check_close: success, and each message path in the order the checks run


def test_a_match_returns_true_and_prints_nothing(capsys, recwarn):
    assert check_close(E.copy(), E) is True
    assert check_close(E.tolist(), E) is True  # lists of numbers are array-like
    assert capsys.readouterr() == ("", "")
    assert len(recwarn) == 0


def test_verbose_prints_one_tick_line_to_stdout_only(capsys):
    check_close(E * (1 + 1e-12), E, name="softmax", verbose=True)
    out, err = capsys.readouterr()
    assert err == ""
    assert re.fullmatch(r"✓ softmax matches \(rel\. error \de-1[12]\)\n", out)


def test_none_says_the_function_forgot_to_return():
    assert message_of(lambda: check_close(None, E)) == (
        "your result is None: did your function forget to `return` its result?")


@pytest.mark.parametrize("got, words", [
    ("0.5", "is text"),
    ({"a": 1.0}, "is a dict"),
    (np.sum, "is the function `sum` itself, not a value: did you forget the parentheses"),
    ((E, (1.0, 2.0)), "is a tuple of 2 items that do not form one array of numbers: did you return several values"),
    (np.array([1 + 2j]), "holds complex numbers"),
])
def test_values_that_are_not_numbers_are_named(got, words):
    assert words in message_of(lambda: check_close(got, E))


@pytest.mark.parametrize("got, expected_text", [
    (E.T, "expected shape (3, 4), got (4, 3): did you transpose?"),
    (E.sum(), "expected shape (3, 4), got (): you returned a single number: did you reduce"),
    (E[:, :, None], "expected shape (3, 4), got (3, 4, 1): the same values with a different number of size-1 axes"),
    ((E, E), "expected shape (3, 4), got (2, 3, 4): you returned 2 arrays (a tuple or list) where one was expected"),
    (E.reshape(2, 6), "expected shape (3, 4), got (2, 6): the same number of elements arranged differently"),
    (E.sum(axis=0), "expected shape (3, 4), got (4,): one axis is missing"),
])
def test_shape_mismatch_names_both_shapes_and_the_likely_cause(got, expected_text):
    assert message_of(lambda: check_close(got, E, name="out")).startswith("out: " + expected_text)


def test_nan_is_reported_before_values_with_its_first_index_and_count():
    got = E.copy()
    got[0, 3] += 1.0  # a wrong finite value earlier in the array must not hide the NaN
    got[1, 2] = np.nan
    got[2, 0] = np.inf
    text = message_of(lambda: check_close(got, E))
    assert text.startswith("your result contains NaN at index [1, 2] where 7.0 was expected "
                           "(2 non-finite value(s) in all)")
    assert "overflow" in text


def test_nan_where_the_reference_has_nan_matches():
    expected = np.array([1.0, np.nan, -np.inf])
    assert check_close(expected.copy(), expected)
    assert "contains inf at index [2]" in message_of(lambda: check_close(np.array([1.0, np.nan, np.inf]), expected))


def test_wrong_values_name_the_first_wrong_element_the_count_and_the_relative_error():
    got = E.copy()
    got[2, 1] = 11.0  # expected 10.0
    got[1, 3] = 8.5  # expected 8.0: first in row-major order
    text = message_of(lambda: check_close(got, E, name="h"))
    assert text == ("h has 2 wrong value(s) out of 12; the first is at index [1, 3]: expected 8.0, got 8.5 "
                    "(relative error 0.062); tolerance: |got - expected| <= 1e-12 + 1e-07 * |expected|")


def test_a_wrong_zero_reports_the_absolute_error():
    text = message_of(lambda: check_close(np.array([0.0, 1e-3]), np.array([0.0, 0.0])))
    assert "index [1]: expected 0.0, got 0.001 (absolute error 0.001)" in text


def test_a_wrong_single_number_reads_as_a_sentence():
    assert message_of(lambda: check_close(3.0, 2.0, name="loss")).startswith(
        "loss is wrong: expected 2.0, got 3.0 (relative error 0.5)")


@pytest.mark.parametrize("factor, passes", [(1 + 0.5e-7, True), (1 - 0.9e-7, True), (1 + 2e-7, False),
                                            (1 - 2e-7, False)])
def test_the_tolerance_is_atol_plus_rtol_times_expected(factor, passes):
    got = E * factor
    if passes:
        assert check_close(got, E)
    else:
        assert "wrong value(s)" in message_of(lambda: check_close(got, E))


def test_float32_answers_pass_with_a_float32_tolerance():
    x = np.linspace(-3, 3, 7)
    got = (np.exp(x.astype(np.float32)) / np.float32(3.0)).astype(np.float32)
    assert check_close(got, np.exp(x) / 3.0, rtol=1e-6)
    with pytest.raises(AssertionError):
        check_close(got, np.exp(x) / 3.0, rtol=1e-9)


@settings(max_examples=60, deadline=None)
@given(expected=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
                           elements=st.floats(-1e3, 1e3)),
       data=st.data())
def test_verdict_and_first_wrong_index_agree_with_numpy_isclose(expected, data):
    noise = data.draw(hnp.arrays(np.float64, expected.shape, elements=st.sampled_from([0.0, 0.0, 1e-9, 1e-6, 0.5])))
    got = expected * (1.0 + noise) + noise * 1e-12
    wrong = ~np.isclose(got, expected, rtol=1e-7, atol=1e-12)
    if not wrong.any():
        assert check_close(got, expected)
        return
    text = message_of(lambda: check_close(got, expected))
    first = np.unravel_index(np.flatnonzero(wrong)[0], expected.shape)
    assert f"{int(wrong.sum())} wrong value(s) out of {expected.size}" in text
    assert f"index [{', '.join(str(int(i)) for i in first)}]" in text
    assert f"expected {float(expected[first])!r}, got {float(got[first])!r}" in text


# ---------------------------------------------------------------------------------------------------------------
# Known mistakes


def test_a_known_variant_is_named():
    m = np.array([0.1, 0.2])
    beta1, t = 0.9, 1
    m_hat = m / (1 - beta1 ** t)
    text = message_of(lambda: check_close(m, m_hat, name="m_hat", variants={"missing bias correction": m,
                                                                           "t incremented in the wrong place":
                                                                           m / (1 - beta1 ** (t + 1))}))
    assert text.endswith("\nThis matches a known mistake: missing bias correction.")


def test_a_variant_with_another_shape_is_named_after_the_shape_message():
    text = message_of(lambda: check_close(E.T, E, variants={"returned W.T instead of W": E.T}))
    assert "did you transpose?\nThis matches a known mistake: returned W.T instead of W." in text


def test_a_variant_that_overflows_matches_by_its_nan_pattern():
    z = np.array([[1000.0, 1000.0]])
    with np.errstate(all="ignore"):
        unshifted = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    text = message_of(lambda: check_close(unshifted, np.array([[0.5, 0.5]]),
                                          variants={"softmax not shifted": unshifted}))
    assert text.startswith("your result contains NaN at index [0, 0]")
    assert text.endswith("This matches a known mistake: softmax not shifted.")


def test_a_variant_is_only_named_when_it_matches_within_tolerance():
    text = message_of(lambda: check_close(E + 1.0, E, variants={"off by one": E + 1.0 + 1e-3}))
    assert "known mistake" not in text


@pytest.mark.parametrize("got, hint", [
    (-E, "opposite sign"),
    (2.5 * E, "Every value is 2.5 times the expected one"),
    (np.zeros_like(E), "all zeros"),
    (np.floor(E / 7).astype(np.int64), "integer dtype int64, so fractions were cut off"),
])
def test_recognisable_mistakes_get_a_hint_without_variants(got, hint):
    expected = E / 7 if "integer" in hint else E
    assert hint in message_of(lambda: check_close(got, expected))


def test_a_square_transpose_is_recognised():
    square = np.arange(9.0).reshape(3, 3)
    assert "equals the expected one transposed" in message_of(lambda: check_close(square.T, square))


# ---------------------------------------------------------------------------------------------------------------
# check_scalar, check_shape, check_true


def test_check_scalar_accepts_numbers_of_every_kind():
    assert check_scalar(4.0, 4.0) and check_scalar(np.float32(4.0), 4.0) and check_scalar(np.array(4.0), 4.0)
    assert check_scalar(4, 4.0)


def test_check_scalar_rejects_an_array_of_shape_1_and_a_bool():
    assert message_of(lambda: check_scalar(np.array([4.0]), 4.0, name="v")) == (
        "v should be a single number, got an array of shape (1,): take the number out with `.item()` or `float(...)`")
    assert "a truth value, not a number" in message_of(lambda: check_scalar(True, 1.0))


def test_check_scalar_names_the_biased_vs_unbiased_variance_mistake():
    x = np.array([1.0, 3.0, 4.0])
    text = message_of(lambda: check_scalar(x.var(ddof=1), x.var(), name="variance",
                                           variants={"biased vs unbiased variance": x.var(ddof=1)}))
    assert text.startswith(f"variance is wrong: expected {float(x.var())!r}, got {float(x.var(ddof=1))!r}")
    assert text.endswith("This matches a known mistake: biased vs unbiased variance.")


def test_check_shape_allows_any_size_where_none_is_given():
    assert check_shape(np.zeros((5, 3)), (None, 3))
    assert message_of(lambda: check_shape(np.zeros((3, 5)), (None, 3), name="W")) == (
        "W: expected shape (any, 3), got (3, 5)")
    assert message_of(lambda: check_shape(np.zeros((3, 2)), (2, 3), name="W")) == (
        "W: expected shape (2, 3), got (3, 2): did you transpose?")
    assert "is None" in message_of(lambda: check_shape(None, (2,)))


def test_check_true_raises_the_given_message_for_false_and_partly_false_conditions():
    assert check_true(True, "never shown") is True
    assert check_true(np.array([True, True]), "never shown") is True
    assert message_of(lambda: check_true(False, "p must sum to 1")) == "p must sum to 1"
    assert message_of(lambda: check_true(np.array([True, False]), "p >= 0")) == "p >= 0"
    assert message_of(lambda: check_true(np.array([], bool), "p >= 0")) == "p >= 0 (the condition was an empty array)"


# ---------------------------------------------------------------------------------------------------------------
# check_gradient


def cubic(w):
    return float(np.sum(w ** 3) + w[0, 0] * w[1, 1])


def cubic_grad(w):
    g = 3 * w ** 2
    g[0, 0] += w[1, 1]
    g[1, 1] += w[0, 0]
    return g


W = np.array([[0.5, -1.2, 2.0], [1.5, 0.7, -0.3]])


def test_a_correct_gradient_passes_given_as_array_or_function(capsys):
    assert check_gradient(cubic, cubic_grad(W), W) is True
    assert check_gradient(cubic, cubic_grad, W, verbose=True) is True
    out = capsys.readouterr().out
    largest = float(re.search(r"largest rel\. error (\S+)\)", out).group(1))
    assert largest < 1e-7  # central differences on a cubic: far below the default tolerance


def test_a_wrong_gradient_names_the_worst_element():
    g = cubic_grad(W)
    g[1, 2] *= 1.001  # relative error 1e-3
    g[0, 1] *= 1.1  # relative error about 0.09: the worst
    text = message_of(lambda: check_gradient(cubic, g, W, name="dW"))
    assert text.startswith("dW is wrong at 2 of 6 element(s); the worst is at index [0, 1]: "
                           f"analytic {float(g[0, 1])!r}")
    assert "central differences with h = 1e-05" in text


def test_a_gradient_off_by_a_constant_factor_says_so():
    text = message_of(lambda: check_gradient(lambda w: float(np.sum(w ** 2)), 4 * W, W))
    assert "Every value is 2 times the numerical one" in text


def test_array_valued_functions_are_checked_through_an_upstream_gradient():
    df = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, 1.0]])
    assert check_gradient(np.tanh, (1 - np.tanh(W) ** 2) * df, W, df=df)
    assert "wrong" in message_of(lambda: check_gradient(np.tanh, (1 - np.tanh(W)) * df, W, df=df))


@settings(max_examples=40, deadline=None)
@given(x=hnp.arrays(np.float64, st.integers(1, 6), elements=st.floats(-2.0, 2.0)),
       scale=st.floats(0.1, 10.0))
def test_gradients_of_random_quadratics_pass_and_a_perturbed_one_fails(x, scale):
    n = x.size
    A = scale * (np.eye(n) + 0.1 * np.arange(n * n).reshape(n, n) / (n * n))
    f = lambda v: 0.5 * float(v @ A @ v)  # noqa: E731
    grad = 0.5 * (A + A.T) @ x
    assert check_gradient(f, grad, x)
    broken = grad.copy()
    k = int(np.argmax(np.abs(grad)))
    broken[k] += 1e-3 * (abs(grad[k]) + 1.0)
    with pytest.raises(AssertionError, match=rf"the worst is at index \[{k}\]"):
        check_gradient(f, broken, x)


# ---------------------------------------------------------------------------------------------------------------
# check_function


def sgd_step(w, grad, lr=0.1):
    return w - lr * grad


CASES = [(np.ones(3), np.array([1.0, -2.0, 0.5])), (np.ones((2, 2)), np.full((2, 2), 3.0), 0.5)]


def test_check_function_passes_for_an_equal_function_and_names_the_failing_case():
    assert check_function(lambda w, grad, lr=0.1: w - grad * lr, sgd_step, CASES)

    def half_right(w, grad, lr=0.1):
        return w - 0.1 * grad  # ignores lr

    text = message_of(lambda: check_function(half_right, sgd_step, CASES))
    assert text.startswith("case 2 of 2 (w=np.array([[1.0, 1.0], [1.0, 1.0]]), grad=np.array([[3.0, 3.0], "
                           "[3.0, 3.0]]), lr=0.5): half_right(...) has 4 wrong value(s) out of 4")


def test_check_function_names_a_known_mistake_computed_per_case():
    def ascent(w, grad, lr=0.1):
        return w + lr * grad

    text = message_of(lambda: check_function(ascent, sgd_step, CASES,
                                             variants_fn={"gradient ascent: the step was added": ascent}))
    assert text.startswith("case 1 of 2")
    assert text.endswith("This matches a known mistake: gradient ascent: the step was added.")


def test_an_exception_in_the_student_function_becomes_an_assertion_naming_the_case():
    def crashes(w, grad, lr=0.1):
        return w - lr * grad[5]

    with pytest.raises(AssertionError) as info:
        check_function(crashes, sgd_step, CASES)
    assert str(info.value) == ("crashes raised IndexError: index 5 is out of bounds for axis 0 with size 3 on case 1 "
                               "of 2 (w=np.array([1.0, 1.0, 1.0]), grad=np.array([1.0, -2.0, 0.5]))")
    assert info.value.__context__ is None and info.value.__cause__ is None  # no chained traceback to read


def test_an_unwritten_function_says_to_replace_the_stub():
    def stub(w, grad, lr=0.1):
        raise NotImplementedError()

    assert "replace `raise NotImplementedError()` with your code" in message_of(
        lambda: check_function(stub, sgd_step, CASES))


def test_a_function_that_changes_its_input_cannot_change_the_reference_result():
    def in_place(w, grad, lr=0.1):
        w -= lr * grad
        return w

    assert check_function(in_place, sgd_step, CASES)


def test_tuple_outputs_are_compared_one_by_one():
    def forward(x):
        return np.maximum(x, 0), x > 0

    def returns_one(x):
        return np.maximum(x, 0)

    def wrong_mask(x):
        return np.maximum(x, 0), x >= 0

    x = np.array([-1.0, 0.0, 2.0])
    assert check_function(forward, forward, [(x,)])
    assert "should return 2 values (a tuple)" in message_of(lambda: check_function(returns_one, forward, [(x,)]))
    assert "output 1 of wrong_mask(...) has 1 wrong value(s)" in message_of(
        lambda: check_function(wrong_mask, forward, [(x,)]))


# ---------------------------------------------------------------------------------------------------------------
# Quiet, and not fooled by monkeypatching


def test_warnings_from_student_code_are_reported_in_the_message_never_on_stderr(capsys, recwarn):
    def log_loss(p):
        return -np.log(p)

    def reference(p):
        return -np.log(np.clip(p, 1e-12, None))

    text = message_of(lambda: check_function(log_loss, reference, [(np.array([0.0, 0.5]),)]))
    assert "While it ran, your code warned: RuntimeWarning: divide by zero encountered in log" in text
    assert capsys.readouterr().err == ""
    assert len(recwarn) == 0


def test_failures_write_nothing_to_stderr(capsys, recwarn):
    for call in (lambda: check_close(np.array([0.0, np.inf]), np.array([0.0, 1.0])),
                 lambda: check_close(np.array([0.0, 1.0]), np.array([0.0, 0.0])),
                 lambda: check_gradient(lambda w: float(np.sum(np.log(w))), np.zeros(2), np.array([1.0, 2.0]))):
        with pytest.raises(AssertionError):
            call()
    assert capsys.readouterr() == ("", "")
    assert len(recwarn) == 0


def _outcome_under_student_patches(monkeypatch, call):
    """Run `call` while NumPy's comparison helpers and several built-ins are rebound to always agree."""
    yes = lambda *a, **k: True  # noqa: E731
    for attr in ("isclose", "allclose", "array_equal", "all", "any", "isfinite", "isnan"):
        monkeypatch.setattr(np, attr, yes)
    monkeypatch.setattr(np, "abs", lambda x, *a, **k: np.zeros_like(x))
    monkeypatch.setattr(np, "asarray", lambda x, *a, **k: E)
    monkeypatch.setattr(np.testing, "assert_allclose", lambda *a, **k: None)
    for attr in ("abs", "all", "any", "isinstance", "callable"):
        monkeypatch.setattr(builtins, attr, yes)
    monkeypatch.setattr(builtins, "len", lambda x: 0)
    monkeypatch.setattr(builtins, "max", lambda *a, **k: 0)
    try:
        call()
        outcome = None
    except BaseException as exc:  # noqa: B036 (whatever it raised is inspected after the patches are undone)
        outcome = exc
    finally:
        monkeypatch.undo()
    return outcome


@pytest.mark.parametrize("call", [
    lambda: check_close(E + 1.0, E),
    lambda: check_close(None, E),
    lambda: check_scalar(5.0, 4.0),
    lambda: check_shape(np.zeros(4), (5,)),
    lambda: check_true(False, "no"),
    lambda: check_function(lambda w, grad, lr=0.1: w, sgd_step, CASES),
    lambda: check_gradient(cubic, 2 * cubic_grad(W), W),
], ids=["close", "none", "scalar", "shape", "true", "function", "gradient"])
def test_monkeypatched_numpy_and_builtins_cannot_make_a_wrong_answer_pass(monkeypatch, call):
    outcome = _outcome_under_student_patches(monkeypatch, call)
    assert isinstance(outcome, AssertionError), outcome


def test_a_right_answer_still_passes_after_numpy_is_patched(monkeypatch):
    monkeypatch.setattr(np, "isclose", lambda *a, **k: False)
    monkeypatch.setattr(np, "abs", lambda x, *a, **k: x + 1e9)
    assert check_close(E.copy(), E)


# ----------------------------------------------------------------------------------------------------------------
# Numbers instead of references: check_outputs with known mistakes as outputs


def test_check_outputs_names_a_known_mistake_by_its_numbers():
    from course_lib.grading import check_outputs, mistake_outputs, outputs

    cases = [(np.array([-1.0, 2.0]),), (np.array([[3.0, -0.5]]),)]
    expected = outputs(lambda x: np.maximum(x, 0.0), cases)
    mistakes = mistake_outputs({"the absolute value instead of max(x, 0)": np.abs,
                                "raises on purpose": lambda x: 1 / 0}, cases)
    assert mistakes["raises on purpose"] == [None, None]
    assert check_outputs(lambda x: np.where(x > 0, x, 0.0), cases, expected, mistakes, name="relu")
    with pytest.raises(AssertionError, match=r"^case 1 of 2 \(x=np.array\(\[-1.0, 2.0\]\)\): relu\(...\) has 1 wrong "
                                             r"value\(s\) out of 2.*\nThis matches a known mistake: the absolute value "
                                             r"instead of max\(x, 0\)\.$"):
        check_outputs(np.abs, cases, expected, mistakes, name="relu")
    with pytest.raises(TypeError, match="2 case\\(s\\) but 1 expected output"):
        check_outputs(np.abs, cases, expected[:1])


def test_a_failed_check_reads_as_its_message_wrapped_with_the_test_line():
    from course_lib.grading import CheckFailed, failure_text

    assert issubclass(CheckFailed, AssertionError) and CheckFailed.__name__ == "AssertionError"
    try:
        check_close(np.array([1.0, 2.0]), np.array([1.0, 3.0]), name="a rather long name " * 3,
                    variants={"a known mistake whose explanation is long enough to need a second line": [1.0, 2.0]})
    except CheckFailed as exc:
        lines = failure_text(exc, exc.__traceback__)
    assert lines[0].startswith("a rather long name") and all(len(line) <= 80 for line in lines)
    assert any(line.startswith("This matches a known mistake: a known mistake whose") for line in lines)
    assert lines[-1].startswith("(test cell, line ") and "check_close(" in lines[-1]
    assert not any("grading.py" in line for line in lines)


@pytest.mark.slow
def test_a_notebook_shows_a_failed_check_as_its_message_not_a_traceback():
    """Executed in a real kernel, as JupyterLab and nbgrader's validator run it."""
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[
        new_code_cell("import numpy as np\nfrom course_lib.grading import check_outputs"),
        new_code_cell("check_outputs(np.abs, [(np.array([-1.0, 2.0]),)], [np.array([0.0, 2.0])],\n"
                      "              {'the absolute value instead of max(x, 0)': [np.array([1.0, 2.0])]}, name='relu')")])
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
    (error,) = [o for o in nb.cells[1].outputs if o.output_type == "error"]
    assert error.ename == "AssertionError" and "This matches a known mistake: " in error.evalue
    shown = "\n".join(error.traceback)
    assert shown.startswith("case 1 of 1 (x=np.array([-1.0, 2.0])): relu(...) has 1 wrong value(s)")
    assert "This matches a known mistake: the absolute value instead of max(x, 0)." in shown
    assert "Traceback" not in shown and "grading.py" not in shown and "\x1b[" not in shown
    assert max(len(line) for line in error.traceback) <= 80 and len(shown) < 600
