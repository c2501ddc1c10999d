"""The outside judgement's code INSIDE a kernel: record the calls a test cell makes, or replay them.

`course_lib.grade.judge` calls these functions through IPython's ``user_expressions`` (no input transformer sees
them); every argument and result crosses as base64 text of a `course_lib.grade.plain` archive (no pickle).

Recording (the instructor's solution notebook, once per assignment):

- `wrap(names)` after a solution cell: each top-level function it defined is wrapped, so that a call made while a
  test cell runs, and not from inside another wrapped function, is kept: its arguments (copied before the call) and
  its result, when both are plain data;
- `begin(part)` / `end()` around each test cell; `take()` then hands over what the part recorded, with the
  largest ``rtol`` / ``atol`` its ``check_*`` calls used.

Replaying (a student's kernel, right after each test cell ran): `replay(payload, limit)` calls the kernel's current
function of each name on fresh copies of the recorded arguments, each call stopped after `limit` seconds, and
returns only the results (or the error each call raised). The expected results never enter the kernel.

Code in a student's kernel can replace any of this: then it only chooses the results it hands over, which are
judged in the grader's process like any others.
"""
import base64
import copy
import functools
import inspect
import signal
import types
import warnings

import numpy as np

from course_lib.grade import plain

MAX_CALLS = 400  # calls kept per (part, function) while recording; the grader keeps a spread of them
MAX_CALL_BYTES = 2 * 2 ** 20  # a call whose arguments and result are larger is not kept
REPLY_BYTES = 32 * 2 ** 20  # largest answer `replay` sends back
_CHECKS = ("check_close", "check_scalar", "check_function")
_state = {"part": None, "depth": 0, "calls": [], "counts": {}, "tol": {}}


def _namespace():
    from IPython import get_ipython

    return get_ipython().user_ns


def _encode(value):
    return base64.b64encode(plain.dumps(value)).decode("ascii")


def _decode(text):
    return plain.loads(base64.b64decode(text.encode("ascii"), validate=True))


# ----------------------------------------------------------------------------------------------------------------
# Recording


def _recorder(fn, name):
    @functools.wraps(fn)
    def recorded(*args, **kwargs):
        part = _state["part"]
        outer = part is not None and _state["depth"] == 0
        inputs = None
        if outer and _state["counts"].get((part, name), 0) < MAX_CALLS and plain.is_plain((args, kwargs)) \
                and plain.nbytes((args, kwargs)) <= MAX_CALL_BYTES:
            inputs = copy.deepcopy((args, kwargs))
        _state["depth"] += 1
        try:
            output = fn(*args, **kwargs)
        finally:
            _state["depth"] -= 1
        if inputs is not None and plain.is_plain(output) and plain.nbytes(output) <= MAX_CALL_BYTES:
            _state["counts"][(part, name)] = _state["counts"].get((part, name), 0) + 1
            _state["calls"].append({"function": name, "args": inputs[0], "kwargs": inputs[1],
                                    "output": copy.deepcopy(output)})
        return output

    recorded.__course_recorded__ = True
    return recorded


def _tolerance_watch(fn):
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def watched(*args, **kwargs):
        if _state["part"] is not None:
            try:
                bound = signature.bind(*args, **kwargs)
                bound.apply_defaults()
                rtol, atol = float(bound.arguments["rtol"]), float(bound.arguments["atol"])
                old = _state["tol"].get(_state["part"], (0.0, 0.0))
                _state["tol"][_state["part"]] = (max(old[0], rtol), max(old[1], atol))
            except (TypeError, KeyError, ValueError):
                pass
        return fn(*args, **kwargs)

    watched.__course_recorded__ = True
    return watched


def wrap(names):
    """Wrap the functions `names` of the notebook's namespace (after a solution cell); return those wrapped."""
    ns = _namespace()
    done = []
    for name in names:
        fn = ns.get(name)
        if isinstance(fn, types.FunctionType) and not getattr(fn, "__course_recorded__", False):
            ns[name] = _recorder(fn, name)
            done.append(name)
    return done


def begin(part):
    """Start recording the calls of test cell `part` (and watch the tolerances of its checks)."""
    ns = _namespace()
    for name in _CHECKS:
        fn = ns.get(name)
        if isinstance(fn, types.FunctionType) and not getattr(fn, "__course_recorded__", False):
            ns[name] = _tolerance_watch(fn)
    _state.update(part=part, depth=0, calls=[])
    return True


def end():
    """Stop recording; return how many calls were kept."""
    _state["part"] = None
    return len(_state["calls"])


def take(part):
    """What `part` recorded, as base64 text: {"calls": [...], "rtol": r, "atol": a} (tolerances 0 when unseen)."""
    calls, _state["calls"] = _state["calls"], []
    rtol, atol = _state["tol"].get(part, (0.0, 0.0))
    return _encode({"calls": calls, "rtol": rtol, "atol": atol})


# ----------------------------------------------------------------------------------------------------------------
# Replaying


class _TimeLimit:
    def __init__(self, seconds):
        self.seconds = seconds

    def _stop(self, signum, frame):
        raise TimeoutError(f"did not return within {self.seconds:g} s")

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
    """Call the recorded functions on fresh copies of the recorded arguments; return base64 text of
    [{"output": result} or {"error": "what went wrong"}], one per call, in order."""
    ns = _namespace()
    results, size = [], 0
    for call in _decode(payload)["calls"]:
        name = call["function"]
        fn = ns.get(name)
        if not callable(fn):
            results.append({"error": f"{name} is not defined (or not a function) in the notebook"})
            continue
        args, kwargs = copy.deepcopy(call["args"]), copy.deepcopy(call["kwargs"])
        try:
            with _TimeLimit(limit), np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                output = fn(*args, **kwargs)
        except Exception as exc:
            results.append({"error": f"{name} raised {_first_line(exc)}"})
            continue
        if not plain.is_plain(output):
            results.append({"error": f"{name} returned a {type(output).__name__}, not numbers or arrays"})
            continue
        size += plain.nbytes(output)
        if size > REPLY_BYTES:
            results.append({"error": f"{name} returned more than {REPLY_BYTES // 2 ** 20} MiB in all"})
            continue
        results.append({"output": output})
    return _encode(results)
