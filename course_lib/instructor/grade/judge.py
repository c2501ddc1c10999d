"""`course grade`'s outside judgement: a part's verdict is decided in the grader's process, out of the student's reach.

A test cell runs in the student's kernel, so student code can change what it checks (``check_close.__code__ =
...``, a patched NumPy, a rewritten helper) however carefully the guard (`instructor.grade.guard`) puts things
back. The test cells stay, so that nbgrader's own ``autograde`` still works on the notebooks, but `course grade`
also judges each part itself, in three steps:

1. **record** (once per assignment, trusted): the instructor's source notebook runs in a kernel of its own with
   every function of its solution cells wrapped (`instructor.grade.calls`); each call a test cell makes (visible or
   hidden tests) is kept with its arguments and the solution's result, when both are plain data
   (`course_lib.instructor.grade.plain`). Right after each test cell the recorded calls are replayed in that same kernel
   exactly as they will be in a student's, and only the calls the solution reproduces there are kept (this drops
   calls whose result depends on a random state or on the order of calls). The recording is stored with the
   template course in the grader's cache folder (never where a student's kernel can read it), in the plain-data
   format, and checked against its SHA-256 when a worker loads it;
2. **replay** (untrusted): right after each test cell of a student's notebook, in the state that test cell saw, the
   kernel is sent the recorded ARGUMENTS of that part (never the results) and calls the student's functions on
   fresh copies of them, with every name the test cells define (their references and expected values) taken out
   of the namespace meanwhile; it hands back the results as plain data, read without pickle and with size limits;
3. **judge** (trusted, here): each result is compared with the solution's, elementwise with
   ``|got - expected| <= atol + rtol * |expected|`` (`course_lib.grading.check_close`'s rule; NaN matches NaN),
   with the loosest ``rtol`` / ``atol`` the part's own ``check_*`` calls used, and at least check_close's defaults
   (1e-7, 1e-12).

Scoring (`Session.apply`), for a part that has recorded calls: it scores its points only when its test cell passed
in the notebook AND every one of its results matches outside: the test cells check more than results (that no
library function is used, that a loop ends in time), the outside judgement checks that the results are the
student's own. A disagreement is flagged (``judge: ...``) for a human to look at:

- the test cell passed but a result does not match (or could not be obtained): the part scores 0; this is what
  tampering with the checks looks like;
- the test cell failed but every result matches: the part keeps its 0 (the cell's message says what it found).

A part without recorded calls (its functions take or return objects, or its tests call none of them) is judged by
its test cell alone, as before; so is every part when the recording could not be made (a note says so).
"""
import ast
import base64
import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from course_lib.instructor.grade import plain
from course_lib.instructor.grade.repair import grade_id, kind

VERSION = "1"  # part of the recording's folder name: bump it when what is recorded changes
RTOL, ATOL = 1e-7, 1e-12  # check_close's defaults: the least tolerance a part is judged with
KEEP_PER_FUNCTION = 40  # calls kept per function and part: a spread of what the tests made
RECORD_TIMEOUT = 600  # seconds per cell of the instructor's notebook while recording
REPLY_CHARS = 48 * 2 ** 20  # largest answer read from a kernel (base64 text of at most ~36 MB)
_CALLS = "__import__('course_lib.instructor.grade.calls', fromlist=['calls'])."
_UNFINISHED = ("TimeoutError", "DeadKernelError", "NotRun")  # a test cell that did not finish (see worker._error)
_prepared = {}  # recording path -> (its SHA-256, its bytes), taken when this process recorded or first read it


class JudgeError(Exception):
    """A kernel's answer could not be obtained or read (the message says why)."""


# ----------------------------------------------------------------------------------------------------------------
# Comparing one result with the solution's


def _what(value):
    if type(value) in (tuple, list):
        return f"a {type(value).__name__} of {len(value)}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {tuple(value.shape)}"
    return "None" if value is None else f"a {type(value).__name__}"


def _numeric(value):
    """`value` as an array of numbers, or None if it is not numbers."""
    if value is None or isinstance(value, (str, dict)):
        return None
    try:
        array = np.asarray(value)
    except Exception:
        return None
    return array if array.dtype.kind in "biufc" else None


def compare(expected, got, rtol=RTOL, atol=ATOL, where="the result"):
    """None when `got` matches `expected` (plain data, the solution's result), else a sentence saying where and
    how it differs. Tuples and lists match each other item by item, dicts key by key; numbers and arrays
    elementwise (shapes equal, ``|got - expected| <= atol + rtol * |expected|``, NaN matches NaN); the rest exactly."""
    if type(expected) in (tuple, list):
        if type(got) not in (tuple, list) or len(got) != len(expected):
            return f"{where} should be {len(expected)} values (a {type(expected).__name__}), got {_what(got)}"
        for i, (e, g) in enumerate(zip(expected, got)):
            problem = compare(e, g, rtol, atol, f"output {i}" if where == "the result" else f"{where}[{i}]")
            if problem:
                return problem
        return None
    if type(expected) is dict:
        if type(got) is not dict or set(got) != set(expected):
            return f"{where} should be a dict with the keys {sorted(expected)}, got {_what(got)}"
        for key in expected:
            problem = compare(expected[key], got[key], rtol, atol, f"{where}[{key!r}]")
            if problem:
                return problem
        return None
    if expected is None or type(expected) is str:
        return None if type(got) is type(expected) and got == expected else \
            f"{where} is {_what(got)}, not what the reference returns"
    want = np.asarray(expected)
    have = _numeric(got)
    if have is None:
        return f"{where} is {_what(got)}, not a number or an array of numbers"
    if want.dtype.kind == "b" or have.dtype.kind == "b":
        if want.dtype.kind != have.dtype.kind or have.shape != want.shape or not np.array_equal(have, want):
            return f"{where} is not the truth value(s) the reference returns"
        return None
    if have.shape != want.shape:
        return f"{where} has shape {tuple(have.shape)}, the reference {tuple(want.shape)}"
    with np.errstate(all="ignore"):
        g, e = have.astype(np.complex128 if "c" in (have.dtype.kind, want.dtype.kind) else np.float64), \
            want.astype(np.complex128 if "c" in (have.dtype.kind, want.dtype.kind) else np.float64)
        near = np.abs(g - e) <= atol + rtol * np.abs(e)
        same = (g == e) | (np.isnan(g) & np.isnan(e))
        ok = near | same
        if ok.all():
            return None
        wrong = np.flatnonzero(~ok)
        first = wrong[0]
        index = "" if g.ndim == 0 else \
            f" (the first at index [{', '.join(str(int(i)) for i in np.unravel_index(first, g.shape))}])"
        ge, ee = g.ravel()[first], e.ravel()[first]
        size = f"relative error {float(abs(ge - ee) / abs(ee)):.2g}" if ee != 0 and np.isfinite(ee) else \
            f"absolute error {float(abs(ge - ee)):.2g}"
        count = "its value differs" if g.ndim == 0 else f"{len(wrong)} of {g.size} values differ"
        return f"{where}: {count} from the reference{index}: {size}" if np.isfinite(ge) else \
            f"{where}: {count} from the reference{index}: got {ge}"


# ----------------------------------------------------------------------------------------------------------------
# Talking to a kernel


def _evaluate(client, expression):
    """The value of `expression` in the kernel of nbclient `client` (through user_expressions), read with
    ast.literal_eval after a size check. Raises JudgeError; lets nbclient's timeout errors through."""
    from nbformat.v4 import new_code_cell

    msg_id = client.kc.execute("", silent=True, store_history=False, user_expressions={"r": expression})
    reply = client.wait_for_reply(msg_id, new_code_cell(""))
    value = (reply or {}).get("content", {}).get("user_expressions", {}).get("r", {})
    if not isinstance(value, dict) or value.get("status") != "ok":
        value = value if isinstance(value, dict) else {}
        raise JudgeError(f"the kernel answered with an error ({str(value.get('ename', 'no reply'))[:80]}: "
                         f"{str(value.get('evalue', ''))[:200]})")
    text = (value.get("data") or {}).get("text/plain")
    if not isinstance(text, str) or len(text) > REPLY_CHARS:
        raise JudgeError("the kernel's answer is not text of at most "
                         f"{REPLY_CHARS // 2 ** 20} MiB")
    try:
        return ast.literal_eval(text)
    except Exception:
        raise JudgeError("the kernel's answer is not a Python literal") from None


def decode(text):
    """The plain data in base64 `text` (a kernel's answer). Raises JudgeError for anything unreadable."""
    if not isinstance(text, str):
        raise JudgeError(f"the kernel's answer is {_what(text)}, not text")
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except Exception:
        raise JudgeError("the kernel's answer is not base64 text") from None
    try:
        return plain.loads(data)
    except plain.PlainError as exc:
        raise JudgeError(f"the kernel's answer cannot be read: {exc}") from None


def _payload(calls, hide=()):
    """What a kernel gets to replay `calls`: the functions and arguments, never the results; `hide`: the names
    to take out of the namespace meanwhile."""
    asked = [{"function": c["function"], "args": c["args"], "kwargs": c["kwargs"]} for c in calls]
    return base64.b64encode(plain.dumps({"calls": asked, "hide": sorted(hide)})).decode("ascii")


def answers(evaluate, calls, limit, hide=()):
    """Replay `calls` in a kernel through `evaluate(expression)`, with the names `hide` out of its namespace;
    return one {"output": x} or {"error": text} per call. Raises JudgeError when the kernel's answer is missing,
    malformed or of the wrong length."""
    got = decode(evaluate(f"{_CALLS}replay({_payload(calls, hide)!r}, {float(limit)!r})"))
    if type(got) is not list or len(got) != len(calls):
        raise JudgeError(f"the kernel answered {_what(got)} for {len(calls)} calls")
    for answer in got:
        if type(answer) is not dict or len(answer) != 1 or not ("output" in answer or type(answer.get("error"))
                                                                  is str):
            raise JudgeError("the kernel's answer has an entry that is neither a result nor an error")
    return got


# ----------------------------------------------------------------------------------------------------------------
# Verdicts


@dataclass
class Verdict:
    """The outside judgement of one part: `passed`, how many `calls` were judged, and why not (`reason`)."""

    passed: bool
    calls: int
    reason: str = ""


def _call_text(call):
    return f"{call['function']}(...)"


def judge_part(recorded, got):
    """The Verdict of one part: `recorded` as stored ({"calls", "rtol", "atol"}), `got` the kernel's answers."""
    calls = recorded["calls"]
    for number, (call, answer) in enumerate(zip(calls, got), start=1):
        where = f"{_call_text(call)}, call {number} of {len(calls)}"
        if "error" in answer:
            return Verdict(False, len(calls), f"{where}: {answer['error'][:300]}")
        problem = compare(call["output"], answer["output"], recorded["rtol"], recorded["atol"])
        if problem:
            return Verdict(False, len(calls), f"{where}: {problem}")
    return Verdict(True, len(calls))


# ----------------------------------------------------------------------------------------------------------------
# Recording (trusted: the instructor's notebook)


def defined_functions(source):
    """Names of the functions defined at the top level of a cell's source (magic lines skipped)."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return []
    return [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]


def _bound(source):
    """Names a cell binds at its top level (assignments, loop and with targets, definitions, imports), not those
    bound inside its functions, classes, lambdas or comprehensions."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return set()
    names = set()

    def visit(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(child.name)
            elif isinstance(child, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                pass
            elif isinstance(child, (ast.Import, ast.ImportFrom)):
                names.update((a.asname or a.name).split(".")[0] for a in child.names if a.name != "*")
            else:
                if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                    names.add(child.id)
                visit(child)

    visit(tree)
    return names


def test_names(nb):
    """Names the test cells of `nb` bind (their references, inputs and expected values, hidden ones too) that no
    other cell of the instructor's notebook binds: they are hidden from the student's functions during a replay."""
    tests, others = set(), set()
    for cell in nb.cells:
        if cell.cell_type == "code":
            (tests if kind(cell) == "test" else others).update(_bound(cell.source))
    return sorted(tests - others)


def _spread(calls):
    """At most KEEP_PER_FUNCTION calls per function, without repeats, spread over the order they were made."""
    seen, by_function = set(), {}
    for call in calls:
        key = hashlib.sha256(plain.dumps((call["function"], call["args"], call["kwargs"]))).digest()
        if key not in seen:
            seen.add(key)
            by_function.setdefault(call["function"], []).append(call)
    kept = []
    for group in by_function.values():
        if len(group) > KEEP_PER_FUNCTION:
            picks = sorted({round(i) for i in np.linspace(0, len(group) - 1, KEEP_PER_FUNCTION)})
            group = [group[i] for i in picks]
        kept += group
    return kept


def record(source, cwd, timeout=RECORD_TIMEOUT, kernel_name="python3"):
    """Run the instructor's notebook `source` in a new kernel (working folder `cwd`) and record its test cells'
    calls. Returns {"version", "parts": {part: {"calls", "rtol", "atol"}}, "unjudged": {part: why}}."""
    from nbclient import NotebookClient

    from course_lib.instructor.release import read_notebook

    nb = read_notebook(source)
    hide = test_names(nb)
    client = NotebookClient(nb, kernel_name=kernel_name, timeout=timeout, allow_errors=True, record_timing=False,
                            resources={"metadata": {"path": str(cwd)}})
    client.km = client.create_kernel_manager()
    client.km.transport, client.km.ip = "ipc", str(Path(cwd) / ".kernel")  # no TCP port (see worker.Runner.start)
    parts, unjudged = {}, {}
    with client.setup_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):  # the grader's console stays clean
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            what = kind(cell)
            part = grade_id(cell) if what == "test" else None
            if part:
                _evaluate(client, f"{_CALLS}begin({part!r})")
            client.execute_cell(cell, index)
            if what in ("solution", "answer"):
                _evaluate(client, f"{_CALLS}wrap({defined_functions(cell.source)!r})")
            if not part:
                continue
            _evaluate(client, f"{_CALLS}end()")
            taken = decode(_evaluate(client, f"{_CALLS}take({part!r})"))
            if any(output.output_type == "error" for output in cell.outputs):
                unjudged[part] = "its test cell failed on the solution while its calls were recorded"
                continue
            calls = _spread(taken["calls"])
            if not calls:
                unjudged[part] = "its tests make no call of a solution function with plain-data arguments and result"
                continue
            rtol, atol = max(RTOL, float(taken["rtol"])), max(ATOL, float(taken["atol"]))
            # Calibration: replay now, as a student's kernel will, and keep what the solution itself reproduces.
            replayed = answers(lambda e: _evaluate(client, e), calls, timeout, hide)
            kept = [c for c, a in zip(calls, replayed)
                    if "output" in a and compare(c["output"], a["output"], rtol, atol) is None]
            if kept:
                parts[part] = {"calls": kept, "rtol": rtol, "atol": atol}
            else:
                unjudged[part] = "the solution does not reproduce its own results when its calls are replayed"
    return {"version": VERSION, "parts": parts, "unjudged": unjudged, "hide": hide}


def _recording_path(course, aid, name):
    return Path(course).parent / "judge" / f"v{VERSION}" / aid / f"{name[:-len('.ipynb')]}.plain"


def _write_atomic(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def prepare(course, chosen, notes=None):
    """Make sure every notebook of assignments `chosen` in the template `course` (from `instructor.grade.run`)
    has its recording, recording the missing ones; remember their SHA-256 for `spec`. A notebook that cannot be
    recorded is judged by its test cells only, with a note in `notes`."""
    from course_lib.instructor.release import RELEASE_DIR, SOURCE_DIR

    for aid in chosen:
        for source in sorted((Path(course) / SOURCE_DIR / aid).glob("*.ipynb")):
            path = _recording_path(course, aid, source.name)
            if not path.is_file():
                cwd = Path(tempfile.mkdtemp(prefix="course-judge-"))
                try:
                    release = Path(course) / RELEASE_DIR / aid
                    if release.is_dir():
                        shutil.copytree(release, cwd, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.ipynb"))
                    _write_atomic(path, plain.dumps(record(source, cwd)))
                except Exception as exc:
                    if notes is not None:
                        notes.append(f"{aid}/{source.name}: the solution's results could not be recorded, so its "
                                     f"parts are judged inside the notebook only ({type(exc).__name__}: "
                                     f"{str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ''})")
                    continue
                finally:
                    shutil.rmtree(cwd, ignore_errors=True)
            data = path.read_bytes()
            _prepared[str(path)] = (hashlib.sha256(data).hexdigest(), data)


def spec(course, aid, name):
    """What a worker needs to judge notebook `name` of `aid` ({"path", "sha256"}), or None (judged inside only).
    The recording is first put back as this process read it, should anything have changed it since (student
    code on a machine without a sandbox could reach the cache)."""
    path = _recording_path(course, aid, name)
    if str(path) not in _prepared:
        return None
    digest, data = _prepared[str(path)]
    try:
        if path.read_bytes() != data:
            raise OSError
    except OSError:
        try:
            _write_atomic(path, data)
        except OSError:
            pass  # the worker then finds it changed or missing and flags it
    return {"path": str(path), "sha256": digest}


# ----------------------------------------------------------------------------------------------------------------
# One student's notebook (in the grading worker)


class Session:
    """The outside judgement of one notebook while a worker grades it. `spec` is `spec(...)`'s value (None: judge
    nothing). The worker calls `after_test(runner, cell)` after each test cell and `apply(rows)` on the scores."""

    def __init__(self, spec, notebook=""):
        self.parts, self.verdicts, self.problem, self.hide = {}, {}, None, []
        if not spec:
            return
        try:
            data = Path(spec["path"]).read_bytes()
            if hashlib.sha256(data).hexdigest() != spec["sha256"]:
                raise JudgeError("it changed after it was recorded")
            recording = plain.loads(data, max_bytes=max(len(data), plain.MAX_BYTES))  # ours: its hash matched
            self.parts, self.hide = dict(recording["parts"]), list(recording.get("hide", []))
        except (OSError, KeyError, TypeError, JudgeError, plain.PlainError) as exc:
            self.problem = (f"judge: the recorded results for {notebook or 'this notebook'} could not be used "
                            f"({type(exc).__name__}: {exc}): its parts were judged inside the notebook only")

    def after_test(self, runner, cell):
        """Replay the part of test `cell` in `runner`'s kernel (a `instructor.grade.worker.Runner`) and judge it."""
        part = grade_id(cell)
        if part not in self.parts or runner.client is None:
            return
        if any(o.get("output_type") == "error" and o.get("ename") in _UNFINISHED for o in cell.get("outputs", [])):
            return  # the test did not finish (it scores 0): replaying the same code would only hang again
        limit = max(float(runner.cell_timeout), 1.0)

        def evaluate(expression):
            runner._timeout = limit + 30.0
            try:
                return _evaluate(runner.client, expression)
            except JudgeError:
                raise
            except Exception as exc:  # a timeout or a dead kernel
                if type(exc).__name__ == "CellTimeoutError":
                    runner._after_timeout()
                    raise JudgeError(f"the kernel did not answer within {limit + 30.0:g} s") from None
                raise JudgeError(f"the kernel did not answer ({type(exc).__name__})") from None
            finally:
                runner._timeout = runner.cell_timeout

        try:
            self.verdicts[part] = judge_part(self.parts[part], answers(evaluate, self.parts[part]["calls"], limit,
                                                                     self.hide))
        except JudgeError as exc:
            self.verdicts[part] = Verdict(False, len(self.parts[part]["calls"]), str(exc))

    def apply(self, rows):
        """Change the scores of `rows` (`instructor.grade.worker.score_cells`) by the outside verdicts (see the
        module doc); return the flags for the disagreements."""
        flags = [self.problem] if self.problem else []
        for row in rows:
            part = row["cell"]
            if row["kind"] != "test" or part not in self.parts:
                continue
            verdict = self.verdicts.get(part)
            passed_inside = bool(row["score"]) or (not row["max_score"] and not row["message"])
            if verdict is None:
                verdict = Verdict(False, 0, "its results were not collected (the kernel was lost)")
            if passed_inside and not verdict.passed:
                row["score"] = 0.0
                row["message"] = f"checked outside the notebook: {verdict.reason}"
                flags.append(f"judge: part {part} passed its test in the notebook but not the check outside the "
                             f"kernel ({verdict.reason}): scored 0")
            elif not passed_inside and verdict.passed:
                flags.append(f"judge: part {part} failed its test in the notebook, but all {verdict.calls} of its "
                             "results checked outside the kernel match the reference: kept at 0 (review)")
        return flags
