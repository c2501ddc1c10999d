"""Checks for the assignments' test cells: each one says what is wrong in words a student can act on.

A test cell calls them like this::

    check_close(softmax(z), p, name="softmax(z)", variants={"softmax not shifted": p_unshifted})

Every check returns True when the answer is right (so ``assert check_close(...)`` reads naturally) and raises
`AssertionError` with a message when it is wrong (so a cell that only calls ``check_close(...)`` still fails).
Nothing here prints to stderr or issues a warning: nbgrader scores a test cell that writes to stderr as zero.

`check_close` looks at the answer in the order students' mistakes usually show up:

1. type: a value at all (``None`` means a missing ``return``), made of real numbers;
2. shape: "expected shape (3, 4), got (4, 3): did you transpose?", and hints for the other usual causes;
3. NaN or inf where the reference is finite (overflow in ``exp``, division by zero, ``log`` of 0);
4. values, elementwise: ``|got - expected| <= atol + rtol * |expected|`` (NumPy's `isclose` rule, written out here),
   naming the first wrong element, how many are wrong and the relative error there.

A wrong answer is also compared with `variants`, known wrong answers keyed by their explanation
(``{"missing bias correction": m_hat_without_correction}``); a match adds "This matches a known mistake: ...".
Without a match, a few mistakes are recognised by their shape alone: the opposite sign, a constant factor,
all zeros, an integer array that cut off the fractions, the transpose.

Integrity: this module keeps its own references to the NumPy functions and built-ins it uses, taken when it is
imported, and never calls `np.isclose`, `np.allclose` or `np.testing`. A student cell that later rebinds
``np.isclose = lambda *a, **k: True``, ``np.abs`` or ``builtins.abs`` cannot make a wrong answer pass. The
assignments import it in their first cell, before any student code runs.
"""
import builtins
import copy
import inspect
import numbers
import sys
import warnings

import numpy as np

from course_lib import _validate

__all__ = ["check_close", "check_scalar", "check_shape", "check_true", "check_gradient", "check_function",
           "check_outputs", "outputs", "mistake_outputs", "CheckFailed", "library_calls", "course_lib_names",
           "check_plain_numpy", "silenced_warnings", "warnings_from", "check_no_warnings", "quiet", "time_limit"]

# Own references, taken at import time (see "Integrity" above).
_AssertionError = builtins.AssertionError
_Exception = builtins.Exception
_NotImplementedError = builtins.NotImplementedError
_ValueError = builtins.ValueError
_TypeError = builtins.TypeError
_bool, _callable, _dict, _float, _getattr, _int = (
    builtins.bool, builtins.callable, builtins.dict, builtins.float, builtins.getattr, builtins.int)
_isinstance, _len, _list, _print, _range, _repr = (
    builtins.isinstance, builtins.len, builtins.list, builtins.print, builtins.range, builtins.repr)
_enumerate, _sorted, _str, _tuple, _type, _zip = (
    builtins.enumerate, builtins.sorted, builtins.str, builtins.tuple, builtins.type, builtins.zip)
_Real = numbers.Real
_ndarray, _generic, _float64, _bool_ = np.ndarray, np.generic, np.float64, np.bool_
_asarray, _empty, _where, _unravel_index, _errstate = np.asarray, np.empty, np.where, np.unravel_index, np.errstate
_isfinite, _isnan, _abs, _maximum = np.isfinite, np.isnan, np.abs, np.maximum  # ufuncs
_deepcopy = copy.deepcopy
_signature = inspect.signature
_HERE = __file__.rsplit(".", 1)[0]
_catch_warnings, _simplefilter = warnings.catch_warnings, warnings.simplefilter
_sys = sys
_EPS = _float(np.finfo(np.float64).eps)
_INF = _float("inf")
_WIDTH = 80  # failure messages are wrapped to this width in a notebook (nbgrader's Validate cuts lines at 87)


class CheckFailed(_AssertionError):
    """A failed check: the message says what is wrong. A subclass of AssertionError that keeps that name in error
    outputs (``AssertionError: ...``, as graders and reports expect); in IPython it is shown as its message alone
    (see `show_failures`), without the frames of this module."""


CheckFailed.__name__ = CheckFailed.__qualname__ = "AssertionError"


def failure_text(value, tb=None):
    """The lines a notebook shows for a failed check: the message, wrapped to 80 columns paragraph by paragraph
    (so "This matches a known mistake: ..." starts its own line), then where in the test cell it failed."""
    import linecache
    import textwrap

    lines = []
    for paragraph in _str(value).split("\n"):
        lines += textwrap.wrap(paragraph, _WIDTH, subsequent_indent="  ", break_on_hyphens=False) or [""]
    where = None
    while tb is not None:
        code = tb.tb_frame.f_code
        if not code.co_filename.startswith(_HERE):
            where = (code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    if where is not None:
        source = linecache.getline(where[0], where[1]).strip()
        if _len(source) > _WIDTH - 24:
            source = source[:_WIDTH - 27] + "..."
        lines.append(f"(test cell, line {where[1]}: {source})" if source else f"(test cell, line {where[1]})")
    return lines


def _show_failure(shell, etype, value, tb, tb_offset=None):
    lines = failure_text(value, tb)
    shell._showtraceback(etype, value, lines)  # IPython 9 leaves the showing to the handler
    return lines


def show_failures(shell=None):
    """Make IPython show a failed check as its message (`failure_text`) instead of a traceback through this
    module. Called when this module is imported in IPython, i.e. by the read-only first cell of every notebook."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        shell = get_ipython()
    if shell is None or not _getattr(shell, "set_custom_exc", None):
        return False
    shell.set_custom_exc((CheckFailed,), _show_failure)
    return True


# ----------------------------------------------------------------------------------------------------------------
# Reading an answer as numbers


def _numbers(value, name):
    """Return `(array, None)` if `value` is an array-like of real numbers, else `(None, message)`."""
    if value is None:
        return None, f"{name} is None: did your function forget to `return` its result?"
    if _isinstance(value, (_str, bytes)):
        return None, f"{name} is text ({_repr(value)[:60]}), not a number or an array of numbers"
    if _isinstance(value, _dict):
        return None, f"{name} is a dict, not a number or an array of numbers"
    if _callable(value) and not _isinstance(value, (_ndarray, _generic)):
        fname = _getattr(value, "__name__", "a function")
        return None, (f"{name} is the function `{fname}` itself, not a value: "
                      "did you forget the parentheses that call it?")
    problem = None
    try:
        with _catch_warnings():
            _simplefilter("ignore")
            arr = _asarray(value)
    except _Exception as exc:
        problem = _str(exc).split("\n")[0]
    if problem is not None:
        if _isinstance(value, (_tuple, _list)):
            return None, (f"{name} is a {_type(value).__name__} of {_len(value)} items that do not form one array "
                          "of numbers: did you return several values where one was expected?")
        return None, f"{name} ({_type(value).__name__}) cannot be read as an array of numbers: {problem}"
    kind = arr.dtype.kind
    if kind == "c":
        return None, (f"{name} holds complex numbers: a negative number raised to a fractional power "
                      "(`(-1.0) ** 0.5`) gives a complex number in Python")
    if kind not in "biuf":
        if kind == "O" and _isinstance(value, (_tuple, _list)):
            return None, (f"{name} is a {_type(value).__name__} whose items are not all numbers or arrays of the "
                          "same shape: did a function inside it return None, or did you return several values?")
        return None, f"{name} holds {arr.dtype} values ({_type(value).__name__}), not numbers"
    return arr, None


def _index(flat, shape):
    if _len(shape) == 0:
        return ""
    return "[" + ", ".join(_str(_int(i)) for i in _unravel_index(flat, shape)) + "]"


def _num(x):
    return _repr(_float(x))


def _shape_text(shape):
    return "(" + ", ".join(_str(_int(s)) for s in shape) + ("," if _len(shape) == 1 else "") + ")"


def _shape_hint(got, want, was_sequence):
    """Why `got` (a shape) may differ from `want`: the usual causes, most specific first."""
    g_nd, w_nd = _len(got), _len(want)
    g_size, w_size = 1, 1
    for s in got:
        g_size *= s
    for s in want:
        w_size *= s
    if was_sequence and g_nd == w_nd + 1 and _tuple(got[1:]) == _tuple(want):
        return f"you returned {got[0]} arrays (a tuple or list) where one was expected"
    if g_nd == 0:
        return ("you returned a single number: did you reduce (sum, mean, max) over every axis "
                "instead of one (check `axis=`)?")
    if w_nd == 0:
        if g_size == 1:
            return "a single number was expected, not an array: take it out with `.item()` or `float(...)`"
        return "a single number was expected: did you forget to reduce the array (sum, mean or max)?"
    if g_nd == 2 and w_nd == 2 and _tuple(got) == _tuple(want[::-1]):
        return "did you transpose?"
    if g_nd == w_nd:
        differ = [k for k in _range(g_nd) if got[k] != want[k]]
        if _len(differ) == 1 and got[differ[0]] - want[differ[0]] in (-1, 1):
            k = differ[0]
            return (f"axis {k} has {got[k]} entries instead of {want[k]}: off by one (a missing or extra first or "
                    "last item, e.g. range(K) where range(K + 1) was needed)?")
    if g_nd == 1 and w_nd == 2 and want[0] == want[1] == got[0]:
        return (f"you returned a vector of {got[0]} values where a {want[0]} x {want[1]} matrix was expected: "
                "np.diag(v) builds a diagonal matrix from a vector, np.outer(u, v) the matrix u v^T")
    if [s for s in got if s != 1] == [s for s in want if s != 1]:
        return "the same values with a different number of size-1 axes: check `keepdims=` or a reshape"
    if g_nd == w_nd and _sorted(got) == _sorted(want):
        return "the axes are in a different order: did you transpose or swap axes?"
    if g_nd == w_nd - 1:
        return "one axis is missing: did you reduce (sum, mean) over an axis that should stay (check `axis=`)?"
    if g_size == w_size:
        return "the same number of elements arranged differently: check your reshape"
    return "check which axes you reduce (sum, mean, max) over, and the shapes of your inputs"


def _close_mask(g, e, rtol, atol):
    """Elementwise: True where `g` matches `e` (equal non-finite values match, like `equal_nan=True`)."""
    with _errstate(all="ignore"):
        both_nan = _isnan(g) & _isnan(e)
        finite = _isfinite(g) & _isfinite(e)
        near = finite & (_abs(g - e) <= atol + rtol * _abs(e))
        return near | both_nan | (~finite & (g == e))


def _mismatch(got, exp, name, rtol, atol, was_sequence=False):
    """`(message, None)` describing how `got` differs from `exp`, or `(None, rel_error)` when it matches."""
    if _tuple(got.shape) != _tuple(exp.shape):
        hint = _shape_hint(_tuple(got.shape), _tuple(exp.shape), was_sequence)
        return f"{name}: expected shape {_shape_text(exp.shape)}, got {_shape_text(got.shape)}: {hint}", None
    g = got.astype(_float64)
    e = exp.astype(_float64)
    ok = _close_mask(g, e, rtol, atol)
    with _errstate(all="ignore"):
        if ok.all():
            finite = _isfinite(g) & _isfinite(e)
            worst = _abs(g - e)[finite].max() if finite.any() else 0.0
            scale = _abs(e)[finite].max() if finite.any() else 0.0
            return None, (_float(worst / scale) if scale > 0 else _float(worst))
        bad_nonfinite = ~ok & ~_isfinite(g)
        if bad_nonfinite.any():
            flat = bad_nonfinite.ravel().nonzero()[0]
            first = flat[0]
            value = g.ravel()[first]
            what = "NaN" if value != value else ("inf" if value > 0 else "-inf")
            where = f" at index {_index(first, g.shape)}" if g.ndim else ""
            return (f"{name} contains {what}{where} where {_num(e.ravel()[first])} was expected "
                    f"({_len(flat)} non-finite value(s) in all): look for an overflow (exp of a large number), "
                    "a division by zero, or log/sqrt of zero or a negative number"), None
        wrong = (~ok).ravel().nonzero()[0]
        first = wrong[0]
        gv, ev = g.ravel()[first], e.ravel()[first]
        err = _abs(gv - ev)
        size = "" if ev == 0 or not _isfinite(ev) else f" (relative error {_float(err / _abs(ev)):.2g})"
        if ev == 0:
            size = f" (absolute error {_float(err):.2g})"
        tol = f"tolerance: |got - expected| <= {atol:g} + {rtol:g} * |expected|"
        if g.ndim == 0:
            return f"{name} is wrong: expected {_num(ev)}, got {_num(gv)}{size}; {tol}", None
        return (f"{name} has {_len(wrong)} wrong value(s) out of {g.size}; the first is at index "
                f"{_index(first, g.shape)}: expected {_num(ev)}, got {_num(gv)}{size}; {tol}"), None


def _value_hint(got, exp, rtol, atol, filled=True):
    """A sentence naming a mistake recognisable without `variants` (same shape, wrong values), or ''.

    `filled`: the answer is an array that code fills in (so an all-zero result suggests that code did not run);
    False for numbers and tuples or lists of numbers, which can be zero for many reasons."""
    g = got.astype(_float64)
    e = exp.astype(_float64)
    with _errstate(all="ignore"):
        if not (_isfinite(g).all() and _isfinite(e).all()):
            return ""
        allowed = atol + rtol * _abs(e)
        nonzero = _abs(e) > allowed
        if not nonzero.any():
            return ""
        if got.dtype.kind in "iub" and (e != e.round()).any():
            return (f"Your result has the integer dtype {got.dtype}, so fractions were cut off: make the array "
                    "with a float dtype (for example `np.zeros(shape)`, not `np.zeros_like(integer_array)`).")
        if (_abs(g + e) <= allowed).all():
            return ("Your values have the opposite sign of the expected ones: check the sign "
                    "(gradient descent subtracts lr * gradient).")
        if (g == 0).all():
            if not filled or g.size < 2:
                return "Your result is zero where a nonzero value was expected."
            return ("Your result is all zeros: does the code that fills it in run (a loop that never executes, "
                    "or an update written to a copy)?")
        if g.ndim == 2 and g.shape[0] == g.shape[1] and _close_mask(g.T, e, rtol, atol).all():
            return "Your result equals the expected one transposed."
        if nonzero.sum() >= 2 and (_abs(g[~nonzero]) <= allowed[~nonzero]).all():
            ratios = g[nonzero] / e[nonzero]
            c = ratios[0]
            if c != 0 and _abs(c - 1.0) > 1e-5 and (_abs(ratios - c) <= 1e-6 * _abs(c)).all():
                return (f"Every value is {_float(c):.6g} times the expected one: a missing or extra constant "
                        "factor (such as 1/N, 2, or the learning rate)?")
    return ""


def _known_mistake(got, variants, rtol, atol):
    """The explanation of the first variant that `got` matches, or None."""
    if variants is None:
        return None
    if not _isinstance(variants, _dict):
        raise TypeError(f"variants must be a dict {{explanation: wrong_value}}, got {_type(variants).__name__}")
    for explanation, wrong in variants.items():
        w, problem = _numbers(wrong, "variant")
        if problem is None and _tuple(w.shape) == _tuple(got.shape):
            message, _ = _mismatch(got, w, "", rtol, atol)
            if message is None:
                return explanation
    return None


def _compare(got, expected, name, rtol, atol, variants):
    """`(message, None)` if `got` is not `expected` (with every hint that applies), else `(None, rel_error)`."""
    exp, problem = _numbers(expected, "the expected value")
    if problem is not None:
        raise TypeError(f"check: {problem}")  # a mistake in the test cell, not in the student's answer
    arr, problem = _numbers(got, name)
    if problem is not None:
        return problem, None
    message, rel = _mismatch(arr, exp, name, rtol, atol, _isinstance(got, (_tuple, _list)))
    if message is None:
        return None, rel
    known = _known_mistake(arr, variants, rtol, atol)
    if known is not None:
        return f"{message}\nThis matches a known mistake: {known}.", None
    if _tuple(arr.shape) == _tuple(exp.shape):
        hint = _value_hint(arr, exp, rtol, atol, filled=_isinstance(got, _ndarray))
        if hint:
            message = f"{message}\n{hint}"
    return message, None


def _nonnegative(value, name, *, positive=False):
    """A tolerance or step as a float. Plain floats are checked here with this module's own references (so the
    usual call works even after a student rebinds built-ins); anything else goes through `_validate.scalar`."""
    if _type(value) is _float and (value > 0 or (value == 0 and not positive)) and value < _INF:
        return value
    return _validate.scalar(value, name, low=0, low_open=positive)


def _tolerances(rtol, atol):
    return _nonnegative(rtol, "rtol"), _nonnegative(atol, "atol")


def _point(x):
    """The point `x` of a gradient check as a float64 copy (via `_validate.float_array` unless it already is one)."""
    if _type(x) is _ndarray and x.dtype == _float64 and _isfinite(x).all():
        return x.copy()
    return _validate.float_array(x, "x", dtype=np.float64, finite=True, copy=True)


def _say_ok(verbose, text):
    if verbose:
        _print(text, file=_sys.stdout)


# ----------------------------------------------------------------------------------------------------------------
# The checks


def check_close(got, expected, name="your result", rtol=1e-7, atol=1e-12, variants=None, verbose=False):
    """Check that `got` is an array (or number) of the same shape as `expected` with close values.

    Elementwise rule (NumPy's `isclose`, written out): ``|got - expected| <= atol + rtol * |expected|``; NaN matches
    NaN and inf matches inf of the same sign. For float32 answers pass a looser ``rtol`` (about 1e-5).
    `variants` maps the explanation of a known mistake to the wrong answer it produces. Returns True, or raises
    AssertionError saying what is wrong. With ``verbose=True`` a match prints one line to stdout.
    """
    __tracebackhide__ = True
    rtol, atol = _tolerances(rtol, atol)
    message, rel = _compare(got, expected, name, rtol, atol, variants)
    if message is not None:
        raise CheckFailed(message)
    _say_ok(verbose, f"✓ {name} matches (rel. error {rel:.1g})")
    return True


def check_scalar(got, expected, name="your result", rtol=1e-7, atol=1e-12, variants=None, verbose=False):
    """Check that `got` is one real number close to `expected` (same rule as `check_close`).

    Python and NumPy numbers and 0-d arrays count as numbers; an array of shape (1,) or a bool does not.
    """
    __tracebackhide__ = True
    rtol, atol = _tolerances(rtol, atol)
    message = None
    if _isinstance(got, (_bool, _bool_)):
        message = f"{name} is {got}, a truth value, not a number: did you return a comparison?"
    elif got is not None and not _isinstance(got, (_Real, _generic)):
        if _isinstance(got, _ndarray) and got.ndim > 0:
            hint = ("take the number out with `.item()` or `float(...)`" if got.size == 1
                    else "did you forget to reduce it (sum, mean or max)?")
            message = f"{name} should be a single number, got an array of shape {_shape_text(got.shape)}: {hint}"
    if message is None:
        message, rel = _compare(got, expected, name, rtol, atol, variants)
    if message is not None:
        raise CheckFailed(message)
    _say_ok(verbose, f"✓ {name} matches (rel. error {rel:.1g})")
    return True


def check_shape(got, shape, name="your result"):
    """Check that `got` is an array of numbers whose shape is `shape` (an entry `None` matches any size)."""
    __tracebackhide__ = True
    arr, problem = _numbers(got, name)
    if problem is not None:
        raise CheckFailed(problem)
    want = _tuple(shape)
    have = _tuple(arr.shape)
    fits = _len(have) == _len(want)
    for w, h in _zip(want, have):
        fits = fits and (w is None or w == h)
    if not fits:
        shown = "(" + ", ".join("any" if w is None else _str(w) for w in want) + ("," if _len(want) == 1 else "") + ")"
        message = f"{name}: expected shape {shown}, got {_shape_text(have)}"
        if None not in want:
            message += ": " + _shape_hint(have, want, _isinstance(got, (_tuple, _list)))
        raise CheckFailed(message)
    return True


def check_true(cond, message):
    """Check that `cond` holds; otherwise raise AssertionError(message).

    `cond` may be a bool or a boolean array (every element must be True, and an empty array does not count).
    """
    __tracebackhide__ = True
    if _isinstance(cond, _ndarray):
        if cond.dtype.kind != "b":
            raise TypeError(f"check_true needs a condition (bool or boolean array), got an array of {cond.dtype}")
        if cond.size and cond.all():
            return True
        raise CheckFailed(message if cond.size else f"{message} (the condition was an empty array)")
    truth = False
    try:
        truth = _bool(cond)
    except _Exception:
        truth = False
    if truth:
        return True
    raise CheckFailed(message)


# ----------------------------------------------------------------------------------------------------------------
# Running the student's code


def _run(fn, args, kwargs):
    """Call `fn` on deep copies of the arguments; return (result, exception or None, warnings seen)."""
    args, kwargs = _deepcopy(args), _deepcopy(kwargs)
    with _catch_warnings(record=True) as seen:
        _simplefilter("always")
        try:
            return fn(*args, **kwargs), None, seen
        except _Exception as exc:  # reported as a message below, never as a traceback
            return None, exc, seen


def _exception_text(who, exc):
    text = f"{who} raised {_type(exc).__name__}"
    detail = _str(exc).split("\n")[0]
    if detail:
        text += f": {detail}"
    if _isinstance(exc, _NotImplementedError):
        text += " (not written yet? replace `raise NotImplementedError()` with your code)"
    elif _isinstance(exc, _ValueError) and "truth value of an array" in detail:
        text += (" (Python's `max`, `min`, `if`, `and` or `or` applied to an array: use np.maximum, np.minimum, "
                 "np.where or &, |, which work elementwise)")
    return text


def _warning_text(seen):
    if not seen:
        return ""
    w = seen[0]
    return f"\nWhile it ran, your code warned: {w.category.__name__}: {_str(w.message)}"


def _describe(value):
    if _isinstance(value, _ndarray):
        if value.size <= 6:
            return f"np.array({value.tolist()!r})"
        return f"an array of shape {_shape_text(value.shape)} ({value.dtype})"
    if value is None or _isinstance(value, (_Real, _generic, _str)):
        text = _repr(value)
        return text if _len(text) <= 40 else text[:37] + "..."
    return f"a {_type(value).__name__}"


def _describe_case(fns, args, kwargs):
    for fn in fns:
        try:
            bound = _signature(fn).bind(*args, **kwargs)
        except _Exception:  # no signature (a builtin), or arguments that do not bind: describe them by position
            continue
        return ", ".join(f"{k}={_describe(v)}" for k, v in bound.arguments.items())
    return ", ".join([_describe(a) for a in args] + [f"{k}={_describe(v)}" for k, v in kwargs.items()])


def _split_case(case):
    """A case is a tuple of positional arguments, a dict of keyword arguments, or a single argument."""
    if _isinstance(case, _tuple):
        return case, {}
    if _isinstance(case, _dict):
        return (), case
    return (case,), {}


def outputs(fn, cases):
    """[fn(*case) for each case], each call on deep copies of the arguments (for an EXPECTED block: the numbers a
    release ships in place of `fn`). A case is as in `check_function`; an exception here is the instructor's bug."""
    results = []
    for number, case in _enumerate(_list(cases), start=1):
        args, kwargs = _split_case(case)
        value, error, _ = _run(fn, args, kwargs)
        if error is not None:
            raise RuntimeError(f"outputs: {_getattr(fn, '__name__', fn)} raised on case {number}: {error!r}")
        results.append(value)
    return results


def mistake_outputs(variants_fn, cases):
    """{explanation: [wrong_fn(*case) for each case]} for `variants_fn` = {explanation: wrong_fn}: the numbers a
    known mistake produces (None for a case where it raises), for `check_outputs(..., variants=...)`."""
    if not _isinstance(variants_fn, _dict):
        raise TypeError("mistake_outputs needs a dict {explanation: function giving the wrong answer}")
    found = {}
    for explanation, wrong_fn in variants_fn.items():
        values = []
        for case in cases:
            args, kwargs = _split_case(case)
            value, error, _ = _run(wrong_fn, args, kwargs)
            values.append(None if error is not None else value)
        found[explanation] = values
    return found


def check_outputs(student_fn, cases, expected, variants=None, name=None, rtol=1e-7, atol=1e-12, verbose=False):
    """Run `student_fn` on every case and compare with `expected[k]`, the right output for case k (as
    `check_function`, with the answers given as numbers instead of a reference function).

    `variants`: ``{explanation: [wrong output for case 1, case 2, ...]}`` (None where a mistake gives nothing), the
    outputs of known mistakes on the same cases; a wrong answer that matches one is named. Both lists usually
    come from an EXPECTED block (`outputs`, `mistake_outputs`), so a release holds numbers, not the reference.
    """
    __tracebackhide__ = True
    cases = _list(cases)
    expected = _list(expected)
    if _len(expected) != _len(cases):
        raise TypeError(f"check_outputs: {_len(cases)} case(s) but {_len(expected)} expected output(s)")
    if variants is not None and not _isinstance(variants, _dict):
        raise TypeError("variants must be a dict {explanation: [wrong output per case]}")
    return _check_cases(student_fn, cases, lambda k, args, kwargs: expected[k],
                        lambda k, args, kwargs: {text: wrong[k] for text, wrong in (variants or {}).items()
                                                 if wrong is not None and wrong[k] is not None},
                        name, rtol, atol, verbose, (student_fn,), "the expected outputs")


def check_function(student_fn, reference_fn, cases, variants_fn=None, name=None, rtol=1e-7, atol=1e-12,
                   verbose=False):
    """Run `student_fn` and `reference_fn` on every case and check that their results agree (as `check_close`).

    `cases`: a list; each case is a tuple of positional arguments, a dict of keyword arguments, or one argument.
    Both functions get their own deep copies, so a function that changes its inputs cannot affect the other.
    If the reference returns a tuple, the student's function must return a tuple of the same length.
    `variants_fn`: ``{explanation: wrong_fn}``, functions computing a known wrong answer from the same arguments.
    A failure names the case (its number and arguments) and what went wrong; an exception in the student's function
    is reported the same way (its type and message), as an AssertionError rather than a traceback.
    """
    __tracebackhide__ = True
    if variants_fn is not None and not _isinstance(variants_fn, _dict):
        raise TypeError("variants_fn must be a dict {explanation: function giving the wrong answer}")

    def reference(k, args, kwargs):
        value, error, _ = _run(reference_fn, args, kwargs)
        if error is not None:
            raise RuntimeError(f"check_function: the reference raised on case {k + 1}: {error!r}")
        return value

    def variants(k, args, kwargs):
        found = {}
        for explanation, wrong_fn in (variants_fn or {}).items():
            wrong, wrong_error, _ = _run(wrong_fn, args, kwargs)
            if wrong_error is None:
                found[explanation] = wrong
        return found

    return _check_cases(student_fn, cases, reference, variants, name, rtol, atol, verbose,
                        (student_fn, reference_fn), "the reference")


def _check_cases(student_fn, cases, expected_for, variants_for, name, rtol, atol, verbose, signers, against):
    __tracebackhide__ = True
    rtol, atol = _tolerances(rtol, atol)
    if name is None:
        name = _getattr(student_fn, "__name__", "your function")
    if not _callable(student_fn):
        raise CheckFailed(f"{name} is not a function (got {_describe(student_fn)}): did you overwrite it?")
    cases = _list(cases)
    worst = 0.0
    for k, case in _enumerate(cases):
        args, kwargs = _split_case(case)
        where = f"case {k + 1} of {_len(cases)} ({_describe_case(signers, args, kwargs)})"
        expected = expected_for(k, args, kwargs)
        got, error, seen = _run(student_fn, args, kwargs)
        if error is not None:
            raise CheckFailed(f"{_exception_text(name, error)} on {where}")
        message, rel = _compare_outputs(got, expected, name, rtol, atol, variants_for(k, args, kwargs))
        if message is not None:
            raise CheckFailed(f"{where}: {message}{_warning_text(seen)}")
        worst = rel if rel > worst else worst
    _say_ok(verbose, f"✓ {name} matches {against} on {_len(cases)} case(s) (rel. error {worst:.1g})")
    return True


def _compare_outputs(got, expected, name, rtol, atol, variants):
    if not _isinstance(expected, _tuple):
        return _compare(got, expected, f"{name}(...)", rtol, atol, variants)
    n = _len(expected)
    if not _isinstance(got, (_tuple, _list)) or _len(got) != n:
        what = f"a {_type(got).__name__} of {_len(got)}" if _isinstance(got, (_tuple, _list)) else _describe(got)
        return f"{name} should return {n} values (a tuple), got {what}", None
    worst = 0.0
    for k in _range(n):
        wrong_k = {text: w[k] for text, w in variants.items() if _isinstance(w, (_tuple, _list)) and _len(w) == n}
        message, rel = _compare(got[k], expected[k], f"output {k} of {name}(...)", rtol, atol, wrong_k)
        if message is not None:
            return message, None
        worst = rel if rel > worst else worst
    return None, worst


def check_gradient(f, grad, x, name="your gradient", h=1e-5, rtol=1e-6, atol=1e-9, df=None, verbose=False):
    """Compare an analytic gradient with the numerical one from central differences.

    numerical[i] = (F(x + h e_i) - F(x - h e_i)) / (2h), with F(x) = f(x) if f returns a number, else
    sum(f(x) * df) (`df`, the upstream gradient, defaults to ones: the CS231n convention for array outputs).
    `grad` is the analytic gradient at `x` (an array shaped like `x`) or a function returning it.
    Element i passes if |analytic - numerical| <= atol + rtol * max(|analytic|, |numerical|) + the rounding error
    of the difference quotient, 10 * eps * max|F| / h. Keep `x` away from kinks (ReLU at 0), where the numerical
    gradient is not a derivative. A failure names the worst element.
    """
    __tracebackhide__ = True
    rtol, atol = _tolerances(rtol, atol)
    h = _nonnegative(h, "h", positive=True)
    x = _point(x)
    seen = []
    if _callable(grad):
        grad, error, seen = _run(grad, (x.copy(),), {})
        if error is not None:
            raise CheckFailed(_exception_text(name, error))
    analytic, problem = _numbers(grad, name)
    if problem is None and _tuple(analytic.shape) != _tuple(x.shape):
        problem = (f"{name}: expected shape {_shape_text(x.shape)} (the shape of x), got "
                   f"{_shape_text(analytic.shape)}: {_shape_hint(_tuple(analytic.shape), _tuple(x.shape), False)}")
    if problem is not None:
        raise CheckFailed(problem + _warning_text(seen))
    analytic = analytic.astype(_float64)
    upstream = None if df is None else _validate.float_array(df, "df", dtype=np.float64)

    numerical = _empty(x.shape)
    rounding = _empty(x.shape)
    flat_n, flat_r = numerical.reshape(-1), rounding.reshape(-1)
    for i in _range(x.size):
        values = []
        for step in (h, -h):
            shifted = x.copy()
            shifted.reshape(-1)[i] += step
            out, error, seen_f = _run(f, (shifted,), {})
            if error is not None:
                raise CheckFailed(f"{_exception_text('f', error)} at x with element {_index(i, x.shape) or 0} "
                                      f"moved by {step:+g}")
            value, problem = _scalar_output(out, upstream)
            if problem is not None:
                raise CheckFailed(f"f(x) {problem}")
            values.append(value)
        flat_n[i] = (values[0] - values[1]) / (2.0 * h)
        flat_r[i] = 10.0 * _EPS * _maximum(_abs(values[0]), _abs(values[1])) / h

    with _errstate(all="ignore"):
        diff = _abs(analytic - numerical)
        scale = _maximum(_abs(analytic), _abs(numerical))
        allowed = atol + rtol * scale + rounding
        ok = _isfinite(analytic) & (diff <= allowed)
        rel = diff / _maximum(scale, 1e-300)
    if ok.all():
        _say_ok(verbose, f"✓ {name} matches the numerical gradient (largest rel. error {_float(rel.max()):.1g})")
        return True
    rel_bad = _where(ok, -1.0, _where(_isfinite(rel), rel, _INF)).reshape(-1)
    worst = _int(rel_bad.argmax())
    a, n = analytic.reshape(-1)[worst], numerical.reshape(-1)[worst]
    where = f" at index {_index(worst, x.shape)}" if x.ndim else ""
    message = (f"{name} is wrong at {_int((~ok).sum())} of {x.size} element(s); the worst is{where}: analytic "
               f"{_num(a)}, numerical {_num(n)} (relative error {_float(rel.reshape(-1)[worst]):.2g}). "
               f"The numerical gradient uses central differences with h = {h:g}.")
    hint = _value_hint(analytic, numerical, 1e-4, 1e-7)
    if hint:
        message += "\n" + hint.replace("expected", "numerical")
    raise CheckFailed(message + _warning_text(seen))


def _scalar_output(out, upstream):
    """F(x) from f's output: the number itself, or sum(out * df). Returns (value, None) or (None, problem)."""
    arr, problem = _numbers(out, "returned")
    if problem is not None:
        return None, problem[_len("returned "):] if problem.startswith("returned ") else problem
    arr = arr.astype(_float64)
    if upstream is None:
        return _float(arr.sum()), None
    if _tuple(upstream.shape) != _tuple(arr.shape):
        return None, f"has shape {_shape_text(arr.shape)} but df has shape {_shape_text(upstream.shape)}"
    return _float((arr * upstream).sum()), None


# ----------------------------------------------------------------------------------------------------------------
# Helpers for the test cells: is an answer the student's own code, does it warn, does it finish


def _from_course_lib(obj):
    import types

    if _isinstance(obj, types.ModuleType):
        return obj.__name__.split(".")[0] == "course_lib"
    module = _getattr(obj, "__module__", None) or ""
    return _isinstance(module, _str) and module.split(".")[0] == "course_lib" and module != "course_lib.grading"


def _instructions(fn):
    """(function, instruction) for the bytecode of `fn` (a function, or the methods of a class) and of every
    notebook function it calls by name."""
    import dis
    import types

    todo, seen = [fn], set()
    while todo:
        f = todo.pop()
        f = _getattr(f, "__wrapped__", f) if _isinstance(f, types.FunctionType) else f
        if id(f) in seen:
            continue
        seen.add(id(f))
        if _isinstance(f, _type):
            todo += [m for m in vars(f).values() if _isinstance(m, types.FunctionType)]
            continue
        if not _isinstance(_getattr(f, "__code__", None), types.CodeType):
            continue
        codes = [f.__code__]
        while codes:
            code = codes.pop()
            codes.extend(c for c in code.co_consts if _isinstance(c, types.CodeType))
            for ins in dis.get_instructions(code):
                yield f, ins
                if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
                    obj = f.__globals__.get(ins.argval)
                    if _isinstance(obj, (types.FunctionType, _type)) and not _from_course_lib(obj):
                        todo.append(obj)


def library_calls(fn):
    """The names of course_lib functions, classes or modules that `fn` (a function or class, or a notebook
    function it calls by name) uses: [] when the answer is the student's own code."""
    found = set()
    if _isinstance(fn, _type):
        found.update(b.__name__ for b in fn.__mro__[1:] if _from_course_lib(b))
    for f, ins in _instructions(fn):
        if ins.opname == "IMPORT_NAME" and _str(ins.argval).split(".")[0] == "course_lib":
            found.add(_str(ins.argval))
        elif ins.opname in ("LOAD_GLOBAL", "LOAD_NAME") and _from_course_lib(f.__globals__.get(ins.argval)):
            found.add(ins.argval)
    return _sorted(found)


course_lib_names = library_calls  # the name assignments 01 and 02 use

_SILENCERS = {"errstate", "seterr", "filterwarnings", "simplefilter", "catch_warnings"}


def silenced_warnings(fn):
    """The warning switches (np.errstate, np.seterr, warnings filters) that `fn` uses."""
    return _sorted({_str(ins.argval) for _, ins in _instructions(fn) if _str(ins.argval) in _SILENCERS})


def check_plain_numpy(*fns):
    """Fail if one of the functions calls course_lib: the library's versions are what the answers are compared
    with, so the exercise is to write them yourself in NumPy."""
    __tracebackhide__ = True
    for fn in fns:
        used = library_calls(fn)
        check_true(not used, f"{_getattr(fn, '__name__', fn)} uses {', '.join(used)} from course_lib: write it "
                             "yourself in NumPy (the library's version is the reference the tests compare with)")
    return True


def warnings_from(fn, *args):
    """The warnings (overflow, division by zero, invalid value, ...) that fn(*args) issues, as text."""
    with _catch_warnings(record=True) as seen, _errstate(over="warn", divide="warn", invalid="warn"):
        _simplefilter("always")
        try:
            fn(*args)
        except _Exception:  # the value checks report exceptions; this helper only looks for warnings
            pass
    return [f"{w.category.__name__}: {w.message}" for w in seen]


def check_no_warnings(fn, *args, hint=""):
    """Fail if fn(*args) issues a warning: in a graded notebook a warning goes to stderr, which scores zero."""
    __tracebackhide__ = True
    switches = silenced_warnings(fn)
    check_true(not switches, f"{_getattr(fn, '__name__', fn)} switches NumPy's warnings off ({', '.join(switches)}): "
                             f"avoid the overflow instead of hiding it. {hint}")
    seen = warnings_from(fn, *args)
    shown = ", ".join(np.array2string(_asarray(a), threshold=6) for a in args)
    check_true(not seen, f"{_getattr(fn, '__name__', fn)}({shown}) warned: {seen[0] if seen else ''}. {hint}")
    return True


def quiet(fn, *args, **kwargs):
    """fn(*args, **kwargs) on copies of the arguments, with NumPy's floating-point warnings silenced."""
    args, kwargs = _deepcopy(args), _deepcopy(kwargs)
    with _errstate(all="ignore"), _catch_warnings():
        _simplefilter("ignore")
        return fn(*args, **kwargs)


class time_limit:
    """``with time_limit(seconds):`` stops the code inside after `seconds` with a TimeoutError, so a loop that never
    ends fails instead of hanging (without a limit outside the main thread, where signals cannot be used)."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.previous = None

    def _stop(self, signum, frame):
        raise TimeoutError(f"still running after {self.seconds} s: is there a loop that never ends?")

    def __enter__(self):
        import signal

        try:
            self.previous = signal.signal(signal.SIGALRM, self._stop)
        except ValueError:  # not the main thread
            self.previous = None
            return self
        signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *exc):
        import signal

        if self.previous is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
        return False


# Assignment-specific harnesses (they run the student's code on test inputs; they compute no answer themselves)


def first_batches(batches, limit=10_000):
    """The batches an iterator yields (at most `limit`, so that a loop that never ends cannot hang a test)."""
    import itertools

    __tracebackhide__ = True
    check_true(batches is not None, "iterate_minibatches returned None: yield the batches (or return a list)")
    try:
        return _list(itertools.islice(batches, limit))
    except _Exception as error:  # raised by the student's generator while it yields: a failure, not a traceback
        raise CheckFailed(_exception_text("iterate_minibatches", error) + " while yielding the batches") from None


def follow(step, landscape, steps, pass_grad_fn=False, **hyper):
    """Run a student's step function from landscape.start with v_0 = 0: returns the path θ_0..θ_steps, (steps+1, 2).

    Each step calls step(θ, v, g, **hyper) with g = ∇C(θ) (or, with pass_grad_fn=True, the function ∇C itself)
    and expects the new pair (θ, v) back.
    """
    __tracebackhide__ = True
    name = _getattr(step, "__name__", "step")
    theta = landscape.start.copy()
    v = np.zeros_like(theta)
    path = [theta.copy()]
    with _errstate(all="ignore"):
        for k in _range(steps):
            g = landscape.grad if pass_grad_fn else landscape.grad(theta)
            try:  # an exception in the student's step is a failure naming it, not a traceback from here
                out = step(theta.copy(), v.copy(), g, **hyper)
            except _Exception as error:
                hint = (" (grad_fn is a function: call it at the point you need, grad_fn(point))"
                        if pass_grad_fn and _isinstance(error, _TypeError) else "")
                raise CheckFailed(f"{_exception_text(name, error)} on step {k + 1} (theta = {theta}, v = {v})"
                                  f"{hint}") from None
            check_true(_isinstance(out, (_tuple, _list)) and _len(out) == 2,
                       f"{name} should return the pair (theta, velocity); step {k + 1} returned {_type(out).__name__}")
            theta, v = (np.array(o, dtype=float) for o in out)
            check_true(theta.shape == (2,) and v.shape == (2,),
                       f"{name} returned arrays of shapes {theta.shape} and {v.shape}; both should be shaped like "
                       "theta, (2,) here")
            check_true(_bool(np.all(_abs(theta) < 1e6)),
                       f"{name} blew up: after step {k + 1} theta = {theta} (a sign error makes steps go uphill)")
            path.append(theta.copy())
    return np.array(path)


def deep_cost(X, weights, f):
    """C = (1/N) sum of the last layer's activations, for the stack a[l] = f(a[l-1] @ W[l]) (03's Part F forward)."""
    a = X
    for W in weights:
        a = f(a @ W)
    return a.sum() / X.shape[0]


def result_of(fn, *args, hint="", returns=None, name=None, **kwargs):
    """fn(*args, **kwargs) on deep copies of the arguments, for a test cell that needs the student's outputs
    themselves (to unpack them, index them or compute with them); returns what fn returned.

    An exception in `fn` fails the check with its type and message and the call (then `hint`), not a traceback
    through the test cell; with `returns` (a number of values, or their names) a result that is not a tuple or list
    of that many values fails with what was expected instead of a raw unpacking error.
    """
    __tracebackhide__ = True
    if name is None:
        name = _getattr(fn, "__name__", "your function")
    if not _callable(fn):
        raise CheckFailed(f"{name} is not a function (got {_describe(fn)}): did you overwrite it?")
    with _errstate(all="ignore"):  # NumPy's overflow or 0/0 shows in the values, which the checks then name
        value, error, seen = _run(fn, args, kwargs)
    if error is not None:
        raise CheckFailed(f"{_exception_text(name, error)} on ({_describe_case((fn,), args, kwargs)})"
                          + (f"\n{hint}" if hint else "") + _warning_text(seen))
    if seen:  # a warning the student's code raised is shown (on stdout, never stderr), not scored
        _print(_warning_text(seen).strip(), file=_sys.stdout)
    if returns is not None:
        names = returns if _isinstance(returns, (_tuple, _list)) else None
        n = _len(names) if names is not None else _int(returns)
        if not _isinstance(value, (_tuple, _list)) or _len(value) != n:
            what = (f"a {_type(value).__name__} of {_len(value)}" if _isinstance(value, (_tuple, _list))
                    else _describe(value))
            listed = f" ({', '.join(_str(s) for s in names)})" if names is not None else ""
            raise CheckFailed(f"{name} should return {n} values{listed}, got {what}")
    return value


call_student = result_of  # the name assignments 05-08 call it by


def check_array(value, name="your result", length=None):
    """Check that `value` is a NumPy array (not a list, tuple or number), optionally of `length` rows; the message
    says what it is instead, so that a test cell can index it (`value[:, 0]`) without a raw error."""
    __tracebackhide__ = True
    if not _isinstance(value, _ndarray):
        what = (f"a {_type(value).__name__} of {_len(value)} items" if _isinstance(value, (_list, _tuple))
                else _describe(value))
        raise CheckFailed(f"{name} is {what}, not a NumPy array: return a NumPy array (np.array(...) of it)")
    if length is not None and (value.ndim == 0 or value.shape[0] != length):
        raise CheckFailed(f"{name}: expected {length} rows, got shape {_shape_text(value.shape)}")
    return True


__all__ += ["result_of", "call_student", "check_array", "check_inputs_unchanged", "check_shape_known"]


# ----------------------------------------------------------------------------------------------------------------
# Calling the student's function from a test cell, and the rule "leave the inputs alone" (assignments 05-08)


def _bound_names(fn, args, kwargs):
    """The parameter name of each positional and keyword argument, as far as `fn`'s signature tells."""
    try:
        bound = _signature(fn).bind(*args, **kwargs)
    except _Exception:
        return [f"argument {k + 1}" for k in _range(_len(args))] + _list(kwargs)
    return _list(bound.arguments)


def check_inputs_unchanged(fn, cases, name=None, hint="return new arrays and leave the inputs alone"):
    """Fail if `fn` changes one of its array arguments in place on one of `cases` (as in `check_function`).

    The other checks call the student's function on copies, so an answer that writes into its inputs
    (``G += g * g``, ``theta -= ...``, ``m[:] = ...``) gets the right values there; this check is the rule itself.
    """
    __tracebackhide__ = True
    if name is None:
        name = _getattr(fn, "__name__", "your function")
    for k, case in _enumerate(_list(cases)):
        args, kwargs = _split_case(case)
        given, kept = _deepcopy((args, kwargs)), _deepcopy((args, kwargs))
        with _errstate(all="ignore"), _catch_warnings():
            _simplefilter("ignore")
            try:
                fn(*given[0], **given[1])
            except _Exception as error:
                raise CheckFailed(f"{_exception_text(name, error)} on case {k + 1}") from None
        labels = _bound_names(fn, args, kwargs)
        values = _list(given[0]) + _list(given[1].values())
        before = _list(kept[0]) + _list(kept[1].values())
        for label, now, then in _zip(labels, values, before):
            if _isinstance(then, _ndarray):
                same = (_isinstance(now, _ndarray) and now.shape == then.shape
                        and _bool(_close_mask(now.astype(_float64), then.astype(_float64), 0.0, 0.0).all()))
                if not same:
                    raise CheckFailed(f"{name} changed its input `{label}` in place (case {k + 1}): {hint}")
    return True


def check_shape_known(got, shape, name="your result", known_shapes=None):
    """`check_shape`, and a wrong shape listed in `known_shapes` ({shape: explanation}) is named as a known mistake
    (for example one row too many: "the input X was counted as a layer"), instead of the generic shape hint."""
    __tracebackhide__ = True
    arr, problem = _numbers(got, name)
    if problem is None and known_shapes:
        have = _tuple(arr.shape)
        for wrong, explanation in known_shapes.items():
            if have == _tuple(wrong) and have != _tuple(shape):
                raise CheckFailed(f"{name}: expected shape {_shape_text(_tuple(shape))}, got {_shape_text(have)}\n"
                                  f"This matches a known mistake: {explanation}.")
    return check_shape(got, shape, name)


show_failures()
