"""The outside judgement of `course grade` (`course_lib.grade.judge`, `.calls`, `.plain`): what crosses between the
grader and a student's kernel is plain data read without pickle and within limits; results are compared in the
grader; a part scores only when its test cell and the outside check agree, and a disagreement is flagged.

The end-to-end tests grade real submissions of assignment 05 in ONE `course grade` run (honest, untouched, and one
that blanks the checks with ``__code__`` after writing wrong answers, which the in-kernel guard cannot see)."""
import base64
import copy
import csv
import hashlib
import io
import pickle
import sys
import time
import zipfile

import nbformat
import numpy as np
import pytest

from conftest import ROOT
from course_lib.grade import calls, judge, plain
from course_lib.grade.judge import JudgeError, Session, Verdict, compare

# ----------------------------------------------------------------------------------------------------------------
# plain: serialization without pickle


def same(a, b):
    """Exact equality of plain data, types included (1 is not 1.0, a tuple is not a list)."""
    if type(a) is not type(b):
        return False
    if type(a) in (tuple, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if type(a) is dict:
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (np.ndarray, np.generic)):
        return a.dtype == b.dtype and np.shape(a) == np.shape(b) and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, float) and a != a:
        return b != b
    return a == b


VALUES = [
    None, True, 0, -(2 ** 70), 1.5, float("nan"), float("-inf"), "text ü",
    (1, 2.0, "x"), [1, [2, (3,)]], {"a": 1, "b": (np.float32(2.5), None)},
    np.arange(6.0).reshape(2, 3), np.asfortranarray(np.ones((3, 2))), np.array([1 + 2j]), np.array([True, False]),
    np.int16(7), np.float64(0.1), np.bool_(True), np.zeros((0, 4)), np.array(3.0),
    (np.arange(3), {"m": np.ones(2, dtype=np.uint8)}, [np.nan, np.inf]),
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_plain_data_comes_back_exactly_with_its_types(value):
    back = plain.loads(plain.dumps(value))
    assert plain.is_plain(value) and same(value, back), (value, back)


def test_arrays_come_back_writeable_and_owning_their_memory():
    back = plain.loads(plain.dumps((np.arange(4.0), np.arange(3))))
    for a in back:
        a += 1  # a student's function may update its inputs in place
        assert a.flags.writeable and a.flags.owndata


class Thing:
    pass


@pytest.mark.parametrize("value, words", [
    (np.array([object()], dtype=object), "array of object"),
    (np.zeros(2, dtype=[("a", "f8")]), "not of numbers"),
    (lambda x: x, "function"),
    ({1: 2}, "key that is not text"),
    ({1, 2}, "a set"),
    (Thing(), "a Thing"),
    (np.ma.array([1.0]), "MaskedArray"),
    (type("MyList", (list,), {})([1]), "MyList"),
    (np.array(["a"]), "not of numbers"),
])
def test_anything_else_is_refused_with_its_type_named(value, words):
    assert not plain.is_plain(value)
    with pytest.raises(plain.NotPlain, match=words):
        plain.dumps({"x": [value]})


def test_nesting_beyond_the_limit_is_refused_both_ways():
    deep = []
    for _ in range(plain.MAX_DEPTH + 2):
        deep = [deep]
    assert not plain.is_plain(deep)
    with pytest.raises(plain.NotPlain, match="nested"):
        plain.dumps(deep)
    tree = "[" * 5000 + "]" * 5000
    with pytest.raises(plain.PlainError, match="nested"):
        plain.loads(archive({"tree.json": tree.encode()}))


def archive(members, compress=zipfile.ZIP_STORED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compress) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buffer.getvalue()


def npy(array, allow_pickle=False):
    f = io.BytesIO()
    np.lib.format.write_array(f, array, allow_pickle=allow_pickle)
    return f.getvalue()


class Boom:
    def __reduce__(self):
        return (sys.exit, (99,))


MALFORMED = {
    "empty": b"",
    "random bytes": bytes(range(256)) * 4,
    "not zip": b"PK\x03\x04 but not really",
    "truncated": plain.dumps([np.arange(100.0)])[:-30],
    "no tree": archive({"a0.npy": npy(np.ones(2))}),
    "tree not json": archive({"tree.json": b"{nope"}),
    "unknown tag": archive({"tree.json": b'{"set": [1, 2]}'}),
    "two tags": archive({"tree.json": b'{"tuple": [], "dict": {}}'}),
    "missing array": archive({"tree.json": b'{"array": "a7"}'}),
    "array name not text": archive({"tree.json": b'{"array": 3}'}),
    "path in array name": archive({"tree.json": b'{"array": "../a0"}'}),
    "pickled object array": archive({"tree.json": b'{"array": "a0"}',
                                     "a0.npy": npy(np.array([Boom()], dtype=object), allow_pickle=True)}),
    "text array": archive({"tree.json": b'{"array": "a0"}', "a0.npy": npy(np.array(["abc"]))}),
    "scalar not 0-d": archive({"tree.json": b'{"scalar": "a0"}', "a0.npy": npy(np.ones(3))}),
    "npy garbage": archive({"tree.json": b'{"array": "a0"}', "a0.npy": b"\x93NUMPY garbage"}),
    "huge int": archive({"tree.json": b"1" * 5000}),
    "too many values": archive({"tree.json": ("[" + ",".join(["0"] * (plain.MAX_NODES + 5)) + "]").encode()}),
    "tree not utf-8": archive({"tree.json": b"\xff\xfe"}),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_bytes_from_a_kernel_give_a_clear_error_never_a_crash(name, monkeypatch):
    def no_pickle(*args, **kwargs):
        raise AssertionError("pickle must never be used on data from a kernel")

    monkeypatch.setattr(pickle, "loads", no_pickle)
    monkeypatch.setattr(pickle, "load", no_pickle)
    with pytest.raises(plain.PlainError) as info:
        plain.loads(MALFORMED[name])
    assert str(info.value)


def test_sizes_are_capped_before_anything_is_read():
    data = plain.dumps(np.zeros(1000))
    with pytest.raises(plain.PlainError, match="more than the limit"):
        plain.loads(data, max_bytes=1000)
    # a small compressed member that declares 8 MB (a "zip bomb") is refused from its declared size
    bomb = archive({"tree.json": b'{"array": "a0"}', "a0.npy": npy(np.zeros(1_000_000))}, zipfile.ZIP_DEFLATED)
    assert len(bomb) < 100_000
    with pytest.raises(plain.PlainError, match="would take more than the limit"):
        plain.loads(bomb, max_bytes=1_000_000)


@pytest.mark.parametrize("text, words", [
    (12, "not text"), (["a"], "not text"), ("not base64 !!", "not base64"), ("ü", "not base64"),
    (base64.b64encode(b"junk").decode(), "cannot be read"),
])
def test_a_kernel_answer_that_is_not_base64_plain_data_is_a_judge_error(text, words):
    with pytest.raises(JudgeError, match=words):
        judge.decode(text)


# ----------------------------------------------------------------------------------------------------------------
# compare: the grader's own comparison


@pytest.mark.parametrize("expected, got", [
    (np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9])),
    (np.array([1.0, np.nan, np.inf]), np.array([1.0, np.nan, np.inf])),
    (1.0, np.float64(1.0)), (3, 3.0), (np.float64(2.0), np.array(2.0)),
    ((np.ones(2), 4), [np.ones(2), 4]),  # a list where the solution returns a tuple, as check_function accepts
    ({"w": np.zeros(2)}, {"w": np.zeros(2) + 1e-13}),
    (None, None), ("relu", "relu"), (True, np.bool_(True)), (np.array([True]), np.array([True])),
    (np.array([0.0]), np.array([1e-13])),
])
def test_results_within_the_tolerance_match(expected, got):
    assert compare(expected, got) is None


@pytest.mark.parametrize("expected, got, words", [
    (np.array([1.0, 2.0]), np.array([1.0, 2.1]), "output|the result: 1 of 2 values differ from the reference \\(the first at index \\[1\\]\\): relative error 0.05"),
    (np.ones((2, 3)), np.ones((3, 2)), "has shape \\(3, 2\\), the reference \\(2, 3\\)"),
    ((np.ones(2), np.ones(2)), (np.ones(2),), "should be 2 values"),
    ((np.ones(2), np.ones(2)), (np.ones(2), np.zeros(2)), "^output 1: 2 of 2 values differ"),
    (np.ones(2), None, "is None, not a number"),
    (np.ones(2), "ones", "is a str, not a number"),
    (np.ones(2), np.array([1.0, np.nan]), "got nan"),
    (1.0, 1.5, "its value differs from the reference: relative error 0.5"),
    (None, 0.0, "is a float, not what the reference returns"),
    ("relu", "tanh", "not what the reference returns"),
    (True, np.bool_(False), "not the truth value"),
    (True, 1, "not the truth value"),
    ({"w": 1.0}, {"v": 1.0}, "keys"),
    (np.array([1.0]), np.array([1.0 + 1e-6]), "differ"),  # 1e-6 relative is outside check_close's 1e-7
])
def test_results_that_differ_are_named_with_where_and_how(expected, got, words):
    problem = compare(expected, got)
    assert problem is not None and __import__("re").search(words, problem), problem


def test_the_tolerance_is_the_parts_own():
    assert compare(np.array([1.0]), np.array([1.0 + 1e-6]), rtol=1e-5) is None
    assert compare(np.array([0.0]), np.array([1e-9]), atol=1e-8) is None


# ----------------------------------------------------------------------------------------------------------------
# replay in a kernel (here the namespace is a dict) and the answers the grader accepts


@pytest.fixture
def namespace(monkeypatch):
    ns = {}
    monkeypatch.setattr(calls, "_namespace", lambda: ns)
    return ns


def step(theta, g, lr=0.1):
    theta -= lr * g  # changes its input in place: every call must get fresh copies
    return theta, g * g


RECORDED = [{"function": "step", "args": (np.array([1.0, 2.0]), np.array([0.5, -1.0])), "kwargs": {"lr": 0.5},
             "output": (np.array([0.75, 2.5]), np.array([0.25, 1.0]))}] * 2


def test_the_kernel_gets_the_arguments_but_never_the_expected_results(namespace):
    namespace["step"] = step
    sent = []

    def evaluate(expression):
        sent.append(expression)
        return eval(expression)  # what user_expressions does in the kernel

    got = judge.answers(evaluate, RECORDED, limit=5)
    assert judge.judge_part({"calls": RECORDED, "rtol": 1e-7, "atol": 1e-12}, got) == Verdict(True, 2)
    payload = plain.loads(base64.b64decode(sent[0].split("replay('")[1].split("'")[0]))
    assert all(set(call) == {"function", "args", "kwargs"} for call in payload["calls"])
    assert b"output" not in base64.b64decode(sent[0].split("replay('")[1].split("'")[0])


def test_each_replayed_call_that_fails_is_an_error_result(namespace):
    namespace.update(raises=lambda x: 1 / 0, objects=lambda x: Thing(), sleeps=lambda x: time.sleep(30),
                     fine=lambda x: x)
    asked = [{"function": name, "args": (1.0,), "kwargs": {}}
             for name in ("raises", "objects", "missing", "sleeps", "sleeps", "fine")]
    started = time.monotonic()
    got = plain.loads(base64.b64decode(calls.replay(judge._payload(asked), 0.5)))
    assert time.monotonic() - started < 5
    errors = [answer.get("error", "") for answer in got]
    assert errors[0] == "raises raised ZeroDivisionError: division by zero"
    assert errors[1] == "objects returned a Thing, not numbers or arrays"
    assert errors[2].startswith("missing is not defined")
    assert errors[3] == "sleeps did not return within 0.5 s"
    assert errors[4] == "sleeps was not called: an earlier call did not return"
    assert errors[5] == "fine was not called: the calls before it took all of the 0.5 s"


def test_the_names_the_tests_define_are_out_of_reach_during_a_replay_and_back_afterwards(namespace):
    def reference(x):
        return 2.0 * x

    def honest(x):
        return 2.0 * x

    def borrows(x):  # hands in the test cell's own reference (found in the notebook's namespace)
        return namespace["reference"](x)

    namespace.update(reference=reference, honest=honest, borrows=borrows, theta=1.0)
    asked = [{"function": name, "args": (1.5,), "kwargs": {}} for name in ("honest", "borrows")]
    got = plain.loads(base64.b64decode(calls.replay(judge._payload(asked, hide=["reference", "absent"]), 5.0)))
    assert got == [{"output": 3.0}, {"error": "borrows raised KeyError: 'reference'"}]
    assert namespace["reference"] is reference and set(namespace) == {"reference", "honest", "borrows", "theta"}


def test_the_hidden_names_are_those_only_test_cells_bind():
    from nbformat.v4 import new_code_cell, new_notebook

    def cell(source, **meta):
        made = new_code_cell(source)
        made.metadata["nbgrader"] = meta
        return made

    nb = new_notebook(cells=[
        cell("import numpy as np\nrng = 0", grade=False, solution=False, locked=True, grade_id="imports"),
        cell("def f(x):\n    y = 1\n    return x", grade=False, solution=True, grade_id="f"),
        cell("import functools\ndef ref(x):\n    z = 2\n    return x\nexpected, rng = ref(1), 1\n"
             "for k in range(2):\n    pass\nf = f", grade=True, solution=False, grade_id="f_test", points=1),
        new_code_cell("theta = [q for q in range(3)]")])
    assert judge.test_names(nb) == ["expected", "functools", "k", "ref"]


def test_the_results_a_kernel_sends_back_are_capped_in_size(namespace, monkeypatch):
    monkeypatch.setattr(calls, "REPLY_BYTES", 10_000)
    namespace["big"] = lambda n: np.zeros(n)
    asked = [{"function": "big", "args": (n,), "kwargs": {}} for n in (1000, 1000)]
    got = plain.loads(base64.b64decode(calls.replay(judge._payload(asked), 5.0)))
    assert got[0]["output"].shape == (1000,) and got[1] == {"error": "big returned more than 0.00954 MiB in all"}


@pytest.mark.parametrize("answer, words", [
    ([{"output": 1}], "a list of 1 for 2 calls"),
    ({"output": 1}, "a dict for 2 calls"),
    ([{"output": 1}, {"result": 2}], "neither a result nor an error"),
    ([{"output": 1}, {"error": 3}], "neither a result nor an error"),
    ([{"output": 1}, {"error": "x", "output": 2}], "neither a result nor an error"),
])
def test_answers_of_the_wrong_form_are_judge_errors(answer, words):
    text = base64.b64encode(plain.dumps(answer)).decode()
    with pytest.raises(JudgeError, match=words):
        judge.answers(lambda expression: text, RECORDED, limit=1)


# ----------------------------------------------------------------------------------------------------------------
# Scoring: a part scores only when both agree; disagreements are flagged


def row(part, score, points=2.0):
    return {"notebook": "nb", "cell": part, "kind": "test", "score": score, "max_score": points, "message": ""}


@pytest.fixture
def session(tmp_path):
    data = plain.dumps({"version": judge.VERSION, "unjudged": {"c": "no calls"},
                        "parts": {p: {"calls": RECORDED, "rtol": 1e-7, "atol": 1e-12} for p in ("a", "b", "d", "e")}})
    path = tmp_path / "nb.plain"
    path.write_bytes(data)
    return Session({"path": str(path), "sha256": hashlib.sha256(data).hexdigest()}, "nb.ipynb")


def test_a_part_scores_only_when_its_test_and_the_outside_check_agree(session):
    session.verdicts.update(a=Verdict(True, 2), b=Verdict(False, 2, "step(...), call 1 of 2: output 0: differs"),
                            d=Verdict(True, 2), e=Verdict(False, 2, "x"))
    rows = [row("a", 2.0), row("b", 2.0), row("c", 2.0), row("d", 0.0), row("e", 0.0), row("f", 2.0)]
    flags = session.apply(rows)
    assert [r["score"] for r in rows] == [2.0, 0.0, 2.0, 0.0, 0.0, 2.0]
    assert rows[1]["message"] == "checked outside the notebook: step(...), call 1 of 2: output 0: differs"
    assert flags == [
        "judge: part b passed its test in the notebook but not the check outside the kernel (step(...), call 1 of "
        "2: output 0: differs): scored 0",
        "judge: part d failed its test in the notebook, but all 2 of its results checked outside the kernel match "
        "the reference: kept at 0 (review)"]


def test_a_passed_part_whose_results_were_never_collected_does_not_score(session):
    rows = [row("a", 2.0)]
    assert session.apply(rows) == ["judge: part a passed its test in the notebook but not the check outside the "
                                   "kernel (its results were not collected (the kernel was lost)): scored 0"]
    assert rows[0]["score"] == 0.0


def test_a_changed_recording_is_not_used_and_is_flagged(tmp_path):
    path = tmp_path / "nb.plain"
    path.write_bytes(plain.dumps({"parts": {"a": {"calls": RECORDED, "rtol": 1e-7, "atol": 1e-12}}}))
    rows = [row("a", 2.0)]
    flags = Session({"path": str(path), "sha256": "0" * 64}, "nb.ipynb").apply(rows)
    assert rows[0]["score"] == 2.0 and len(flags) == 1 and "changed after it was recorded" in flags[0]
    assert Session(None).apply(rows) == [] and rows[0]["score"] == 2.0  # nothing recorded: today's behaviour


def test_recording_helpers():
    assert judge.defined_functions("%matplotlib widget\nimport numpy as np\n\ndef f(x):\n    return x\n\n\n"
                                   "class A:\n    def g(self):\n        pass\n\nh = lambda: 1\n") == ["f"]
    assert judge.defined_functions("def broken(:\n") == []
    many = [{"function": "f", "args": (float(i % 50),), "kwargs": {}, "output": 1.0} for i in range(200)]
    kept = judge._spread(many + [{"function": "g", "args": (), "kwargs": {}, "output": None}])
    assert len([c for c in kept if c["function"] == "f"]) == judge.KEEP_PER_FUNCTION
    assert len({c["args"] for c in kept if c["function"] == "f"}) == judge.KEEP_PER_FUNCTION  # no repeats
    assert kept[-1]["function"] == "g"


# ----------------------------------------------------------------------------------------------------------------
# End to end: one `course grade` run of assignment 05

AID = "05_adaptive_optimizers"
WRONG = {  # part -> (old text, new text) in the solution cell: a wrong answer
    "adagrad_step": ("np.sqrt(G_new)", "G_new"),
    "adam_step": ("m_hat = m_new / (1.0 - beta1 ** t_new)", "m_hat = m_new"),
}
BLANK_CHECKS = ("\n\ncheck_function.__code__ = (lambda *a, **k: True).__code__\n"
                "check_close.__code__ = (lambda *a, **k: True).__code__\n"
                "check_true.__code__ = (lambda *a, **k: True).__code__\n"
                "check_outputs.__code__ = (lambda *a, **k: True).__code__\n")


def _gid(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _filled():
    """The release with every solution cell answered as in the instructor's notebook (what an honest student
    hands in)."""
    release = nbformat.read(ROOT / "assignments" / AID / f"{AID}.ipynb", 4)
    source = {_gid(c): c.source for c in nbformat.read(ROOT / "solutions" / AID / f"{AID}.ipynb", 4).cells}
    for cell in release.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = source[_gid(cell)]
    return release


def _cheat():
    nb = _filled()
    for cell in nb.cells:
        if _gid(cell) in WRONG:
            old, new = WRONG[_gid(cell)]
            assert old in cell.source
            cell.source = cell.source.replace(old, new)
        if _gid(cell) == "adagrad_step":
            cell.source += BLANK_CHECKS
    return nb


def _borrower():
    """Hands in the visible test cell's own reference: the test defines it before calling the student's function,
    so the test cell passes inside the notebook."""
    nb = _filled()
    for cell in nb.cells:
        if _gid(cell) == "adagrad_step":
            cell.source = ("def adagrad_step(theta, g, G, lr=0.01, eps=1e-10):\n"
                           "    return adagrad_reference(theta, g, G, lr, eps)\n")
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    from course_lib.grade.run import grade

    base = tmp_path_factory.mktemp("judge")
    folder = base / "submitted" / AID
    folder.mkdir(parents=True)
    nbformat.write(_filled(), folder / "honest.ipynb")
    nbformat.write(_cheat(), folder / "cheat.ipynb")
    nbformat.write(_borrower(), folder / "borrower.ipynb")
    nbformat.write(nbformat.read(ROOT / "assignments" / AID / f"{AID}.ipynb", 4), folder / "blank.ipynb")
    run = grade([AID], submissions=base / "submitted", root=ROOT, out=base / "out", jobs=2, cell_timeout=60,
                progress=False)
    with open(base / "out" / "grades.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    return run, rows


def parts(row):
    return {p.split("=")[0]: float(p.split("=")[1].split("/")[0]) for p in row["parts"].split("; ")}


def flags(row):
    return [f for f in row["flags"].split(" | ") if f]


pytestmark_slow = pytest.mark.slow


@pytestmark_slow
def test_every_part_of_05_is_judged_outside(graded):
    run, _ = graded
    from course_lib.grade.run import _template

    course = _template(ROOT, [AID])
    spec = judge.spec(course, AID, f"{AID}.ipynb")
    recording = plain.loads(open(spec["path"], "rb").read())
    tests = [_gid(c) for c in nbformat.read(ROOT / "solutions" / AID / f"{AID}.ipynb", 4).cells
             if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")]
    assert sorted(recording["parts"]) == sorted(tests) and recording["unjudged"] == {}
    assert not [note for note in run.notes if "could not be recorded" in note] and run.problems == []


@pytestmark_slow
def test_honest_work_scores_full_with_no_disagreement(graded):
    _, rows = graded
    honest = rows["honest"]
    assert float(honest["score"]) == float(honest["max_score"]) > 0 and flags(honest) == [], honest


@pytestmark_slow
def test_an_untouched_release_scores_zero_and_is_not_flagged(graded):
    _, rows = graded
    assert float(rows["blank"]["score"]) == 0.0 and not [f for f in flags(rows["blank"]) if f.startswith("judge")]


@pytestmark_slow
def test_blanked_checks_do_not_score_the_wrong_parts_and_are_flagged(graded):
    _, rows = graded
    honest, cheat = parts(rows["honest"]), parts(rows["cheat"])
    # adamw_step calls the (wrong) adam_step, so its results are wrong too; every other part is the student's own
    wrong = {"adagrad_step_test", "adam_step_test", "adamw_step_test"}
    assert {p for p, s in cheat.items() if s == 0} == wrong
    assert all(cheat[p] == honest[p] for p in cheat if p not in wrong)
    judged = [f for f in flags(rows["cheat"]) if f.startswith("judge: ")]
    assert len(judged) == 3 and all("passed its test in the notebook but not the check outside the kernel" in f
                                    for f in judged)
    assert any(f.startswith("judge: part adagrad_step_test ") and "adagrad_step(...), call 1 of" in f
               and "values differ from the reference" in f for f in judged), judged


@pytestmark_slow
def test_handing_in_the_tests_own_reference_scores_nothing_and_is_flagged(graded):
    _, rows = graded
    borrower = parts(rows["borrower"])
    assert borrower["adagrad_step_test"] == 0 and sum(borrower.values()) == float(rows["honest"]["max_score"]) - 2
    judged = [f for f in flags(rows["borrower"]) if f.startswith("judge: ")]
    assert len(judged) == 1 and "part adagrad_step_test passed its test in the notebook" in judged[0] \
        and "adagrad_step raised NameError: name 'adagrad_reference' is not defined" in judged[0], judged


# ----------------------------------------------------------------------------------------------------------------
# What a student's kernel answers, however malformed, is a verdict, never a crash of the worker


class FakeKernel:
    """Stands in for nbclient's client: every user_expressions request gets `reply` (or raises it)."""

    def __init__(self, reply):
        self.reply = reply
        self.kc = self

    def execute(self, code, **kwargs):
        self.expression = kwargs["user_expressions"]["r"]
        return "msg"

    def wait_for_reply(self, msg_id, cell):
        if isinstance(self.reply, Exception):
            raise self.reply
        return self.reply


class FakeRunner:
    def __init__(self, reply):
        self.client, self.cell_timeout, self._timeout, self.interrupted = FakeKernel(reply), 5.0, 5.0, False

    def _after_timeout(self):
        self.interrupted = True
        return True


def ok(text):
    return {"content": {"user_expressions": {"r": {"status": "ok", "data": {"text/plain": text}}}}}


def a_test_cell(part="a"):
    from nbformat.v4 import new_code_cell

    made = new_code_cell("check_close(1, 1)")
    made.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": part, "points": 2}
    return made


class CellTimeoutError(Exception):  # nbclient's class is matched by name
    pass


@pytest.mark.parametrize("reply, words", [
    (ok(repr(base64.b64encode(plain.dumps([{"output": (np.array([0.75, 2.5]), np.array([0.25, 1.0]))}] * 2))
             .decode())), None),
    (ok(repr(base64.b64encode(plain.dumps([{"output": (np.array([0.75, 2.5]), np.array([0.25, 9.0]))}] * 2))
             .decode())), r"step\(\.\.\.\), call 1 of 2: output 1: 1 of 2 values differ from the reference"),
    (ok(repr(base64.b64encode(b"PK garbage").decode())), "the kernel's answer cannot be read: not a plain-data"),
    (ok("__import__('os').system('true')"), "not a Python literal"),
    (ok("12"), "the kernel's answer is a int, not text"),
    (ok(None), "not text of at most"),
    ({"content": {"user_expressions": {"r": {"status": "error", "ename": "SystemExit", "evalue": "3"}}}},
     "the kernel answered with an error \\(SystemExit: 3\\)"),
    ({"content": {"user_expressions": {"r": "weird"}}}, "no reply"),
    (None, "no reply"),
    (CellTimeoutError(), "did not answer within 35 s"),
    (RuntimeError("Kernel died"), "the kernel did not answer \\(RuntimeError\\)"),
])
def test_any_answer_from_the_kernel_becomes_a_verdict(session, reply, words):
    runner = FakeRunner(reply)
    session.after_test(runner, a_test_cell("a"))
    verdict = session.verdicts["a"]
    assert runner.client.expression.startswith(
        "__import__('course_lib.instructor.grade.calls', fromlist=['calls']).replay(")
    if words is None:
        assert verdict == Verdict(True, 2)
    else:
        assert not verdict.passed and __import__("re").search(words, verdict.reason), verdict.reason
    assert runner.interrupted == isinstance(reply, CellTimeoutError)
    assert runner._timeout == runner.cell_timeout  # put back for the next cell


def test_an_oversized_answer_is_refused_before_it_is_parsed(session, monkeypatch):
    monkeypatch.setattr(judge, "REPLY_CHARS", 100)
    session.after_test(FakeRunner(ok("'" + "A" * 200 + "'")), a_test_cell("a"))
    assert "not text of at most" in session.verdicts["a"].reason


def test_a_test_that_did_not_finish_is_not_replayed_and_a_zero_point_pass_is_a_pass(session):
    from nbformat.v4 import new_output

    cell = a_test_cell("a")
    cell.outputs = [new_output("error", ename="TimeoutError", evalue="this cell did not finish", traceback=[])]
    runner = FakeRunner(None)
    session.after_test(runner, cell)
    assert "a" not in session.verdicts and not hasattr(runner.client, "expression")
    session.verdicts["b"] = Verdict(True, 2)
    assert session.apply([row("b", 0.0, points=0.0)]) == []  # passed (no message) and judged: no disagreement


def test_a_recording_changed_between_students_is_put_back_before_the_next_one(tmp_path, monkeypatch):
    from course_lib.release import SOURCE_DIR

    course = tmp_path / "cache" / "course"
    (course / SOURCE_DIR / "a1").mkdir(parents=True)
    (course / SOURCE_DIR / "a1" / "nb.ipynb").write_text("{}")
    monkeypatch.setattr(judge, "record", lambda source, cwd: {"version": judge.VERSION, "parts": {}, "unjudged": {}})
    notes = []
    judge.prepare(course, ["a1"], notes)
    first = judge.spec(course, "a1", "nb.ipynb")
    original = open(first["path"], "rb").read()
    open(first["path"], "wb").write(b"changed by a student")
    assert judge.spec(course, "a1", "nb.ipynb") == first and open(first["path"], "rb").read() == original
    assert Session(first, "nb.ipynb").problem is None and notes == []
    assert judge.spec(course, "a1", "other.ipynb") is None
