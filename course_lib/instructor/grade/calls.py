"""The outside judgement's code INSIDE a kernel: record the calls a test cell makes, or replay them.

`instructor.grade.judge` calls these functions through IPython's ``user_expressions`` (no input transformer sees
them); every argument and result crosses as base64 text of a `course_lib.instructor.grade.plain` archive (no pickle).

Recording (the instructor's solution notebook, once per assignment):

- `wrap(names)` after a solution cell: each top-level function it defined is watched (through ``sys.settrace``
  while a test cell runs; the functions themselves are untouched, since tests inspect them), so that a call made
  from a test cell, and not from inside another watched function, is kept: its arguments (copied as the call
  starts) and its result, when both are plain data;
- `begin(part)` / `end()` around each test cell; `take()` then hands over what the part recorded, with the
  largest ``rtol`` / ``atol`` its ``check_*`` calls used.

Replaying (a student's kernel, right after each test cell ran): `replay(payload, limit)` calls the kernel's current
function of each name on fresh copies of the recorded arguments, with the names the test cells defined taken out
of the namespace, all within `limit` seconds, and returns only the results (or the error each call raised). The
expected results never enter the kernel.

Code in a student's kernel can replace any of this: then it only chooses the results it hands over, which are
judged in the grader's process like any others.
"""
import base64
import copy
import inspect
import signal
import sys
import time
import types
import warnings

import numpy as np

from course_lib.instructor.grade import plain

MAX_CALLS = 400  # calls kept per (part, function) while recording; the grader keeps a spread of them
MAX_CALL_BYTES = 2 * 2 ** 20  # a call whose arguments and result are larger is not kept
REPLY_BYTES = 32 * 2 ** 20  # largest answer `replay` sends back
_CHECKS = ("check_close", "check_scalar", "check_function")
_state = {"part": None, "active": [], "calls": [], "counts": {}, "tol": {}, "codes": {}, "checks": set()}


def _namespace():
    from IPython import get_ipython

    return get_ipython().user_ns


def _encode(value):
    return base64.b64encode(plain.dumps(value)).decode("ascii")


def _decode(text):
    return plain.loads(base64.b64decode(text.encode("ascii"), validate=True))


# ----------------------------------------------------------------------------------------------------------------
# Recording


def _arguments(frame):
    """(args, kwargs) that call `frame`'s function the way it was called (read from the new frame's locals)."""
    code, values = frame.f_code, frame.f_locals
    count, kwonly = code.co_argcount, code.co_kwonlyargcount
    names = code.co_varnames
    args = [values[n] for n in names[:count]]
    kwargs = {n: values[n] for n in names[count:count + kwonly]}
    extra = count + kwonly
    if code.co_flags & inspect.CO_VARARGS:
        args += list(values[names[extra]])
        extra += 1
    if code.co_flags & inspect.CO_VARKEYWORDS:
        kwargs.update(values[names[extra]])
    return tuple(args), kwargs


def _keep(frame):
    """A watched function was called from a test cell: note its arguments, if plain and not too large."""
    part, name = _state["part"], _state["codes"][frame.f_code]
    if _state["counts"].get((part, name), 0) >= MAX_CALLS:
        return None
    try:
        inputs = _arguments(frame)
    except (KeyError, TypeError):
        return None
    if not plain.is_plain(inputs) or plain.nbytes(inputs) > MAX_CALL_BYTES:
        return None
    return {"function": name, "inputs": copy.deepcopy(inputs), "raised": False}


def _tolerances(frame):
    try:
        rtol, atol = float(frame.f_locals["rtol"]), float(frame.f_locals["atol"])
    except (KeyError, TypeError, ValueError):
        return
    old = _state["tol"].get(_state["part"], (0.0, 0.0))
    _state["tol"][_state["part"]] = (max(old[0], rtol), max(old[1], atol))


def _trace(frame, event, arg):
    """sys.settrace's global function while a test cell runs: follows only calls of the watched functions (and
    reads the tolerances of check_* calls); every other frame runs untraced."""
    code = frame.f_code
    if code in _state["checks"]:
        _tolerances(frame)
        return None
    if code not in _state["codes"] or _state["active"]:
        return None  # not watched, or called from inside a watched function (only the test's own calls count)
    frame.f_trace_lines = False
    entry = _keep(frame)
    _state["active"].append(frame)

    def local(frame, event, arg):
        if event == "exception" and entry is not None:
            entry["raised"] = True
        elif event == "return":
            if _state["active"] and _state["active"][-1] is frame:
                _state["active"].pop()
            if entry is not None and not (entry["raised"] and arg is None) and plain.is_plain(arg) \
                    and plain.nbytes(arg) <= MAX_CALL_BYTES:
                part, name = _state["part"], entry["function"]
                _state["counts"][(part, name)] = _state["counts"].get((part, name), 0) + 1
                args, kwargs = entry["inputs"]
                _state["calls"].append({"function": name, "args": args, "kwargs": kwargs,
                                        "output": copy.deepcopy(arg)})
        return local

    return local


def wrap(names):
    """Watch the functions `names` of the notebook's namespace (after a solution cell): their calls from test
    cells are recorded. The functions themselves are not touched (tests may inspect them). Returns the names."""
    ns = _namespace()
    done = []
    for name in names:
        fn = ns.get(name)
        if isinstance(fn, types.FunctionType):
            _state["codes"][fn.__code__] = name
            done.append(name)
    return done


def begin(part):
    """Start recording the calls of test cell `part` (and the tolerances of its check_* calls)."""
    from course_lib import grading

    _state["checks"] = {getattr(grading, name).__code__ for name in _CHECKS}
    _state.update(part=part, active=[], calls=[])
    sys.settrace(_trace)
    return True


def end():
    """Stop recording; return how many calls were kept."""
    sys.settrace(None)
    _state["part"] = None
    return len(_state["calls"])


def take(part):
    """What `part` recorded, as base64 text: {"calls": [...], "rtol": r, "atol": a} (tolerances 0 when unseen)."""
    calls, _state["calls"] = _state["calls"], []
    rtol, atol = _state["tol"].get(part, (0.0, 0.0))
    return _encode({"calls": calls, "rtol": rtol, "atol": atol})


# ----------------------------------------------------------------------------------------------------------------
# Replaying


class _Late(Exception):
    """A replayed call ran out of time (its own class: a student's function may raise TimeoutError itself)."""


class _TimeLimit:
    def __init__(self, seconds):
        self.seconds = seconds

    def _stop(self, signum, frame):
        raise _Late()

    def __enter__(self):
        self.previous = signal.signal(signal.SIGALRM, self._stop)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc):
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.previous)
        return False


def _first_line(exc):
    text = str(exc).strip().split("\n")[0][:300]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def replay(payload, limit):
    """Call the recorded functions on fresh copies of the recorded arguments, all of them within `limit` seconds;
    return base64 text of [{"output": result} or {"error": "what went wrong"}], one per call, in order. After a
    call that did not return in time, the other calls of that function are not made. The names in the payload's
    "hide" (what the test cells defined: references, expected values) are out of the namespace meanwhile, so a
    function that calls the tests' own reference gets a NameError instead of the right result."""
    ns = _namespace()
    asked = _decode(payload)
    hidden = {name: ns.pop(name) for name in asked.get("hide", []) if name in ns}
    try:
        return _encode(_replay(ns, asked["calls"], limit))
    finally:
        ns.update(hidden)


def _replay(ns, asked, limit):
    results, size, stuck = [], 0, set()
    deadline = time.monotonic() + limit
    for call in asked:
        name = call["function"]
        fn = ns.get(name)
        left = deadline - time.monotonic()
        if name in stuck or left <= 0:
            results.append({"error": f"{name} was not called: "
                                     + ("an earlier call did not return" if name in stuck else
                                        f"the calls before it took all of the {limit:g} s")})
            continue
        if not callable(fn):
            results.append({"error": f"{name} is not defined (or not a function) in the notebook"})
            continue
        args, kwargs = copy.deepcopy(call["args"]), copy.deepcopy(call["kwargs"])
        try:
            with _TimeLimit(left), np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                output = fn(*args, **kwargs)
        except _Late:
            stuck.add(name)
            results.append({"error": f"{name} did not return within {limit:g} s"})
            continue
        except Exception as exc:
            results.append({"error": f"{name} raised {_first_line(exc)}"})
            continue
        if not plain.is_plain(output):
            results.append({"error": f"{name} returned a {type(output).__name__}, not numbers or arrays"})
            continue
        size += plain.nbytes(output)
        if size > REPLY_BYTES:
            results.append({"error": f"{name} returned more than {REPLY_BYTES / 2 ** 20:.3g} MiB in all"})
            continue
        results.append({"output": output})
    return results
