"""The nine graded assignments: structure rules, fresh releases, full marks for the solutions, zero for the
untouched releases, and exactly the expected partial score for a partly completed submission."""
import json
import re

import nbformat
import pytest

from conftest import ROOT
from course_lib.release import release
from course_lib.verify import grade_notebook, problems_in_test_cell, verify

ASSIGNMENTS = [
    "01_computation_graphs", "02_jacobians", "03_activations", "04_descent_ema_momentum", "05_adaptive_optimizers",
    "06_learning_rate_schedules", "07_init_preprocessing_batchnorm", "08_dropout_regularization_capstone",
    "09_your_own_network",
]


def _notebook(folder, assignment):
    return nbformat.read(ROOT / folder / assignment / f"{assignment}.ipynb", as_version=4)


def _nbgrader(cell):
    return cell.metadata.get("nbgrader", {})


def test_all_nine_assignments_exist_as_source_and_release():
    for assignment in ASSIGNMENTS:
        assert (ROOT / "solutions" / assignment / f"{assignment}.ipynb").exists(), assignment
        assert (ROOT / "assignments" / assignment / f"{assignment}.ipynb").exists(), assignment


def test_released_assignments_are_regenerated_from_the_current_solutions():
    result = release(root=ROOT, check=True)
    assert result.ok, result.report()


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_assignment_has_five_graded_parts_hidden_tests_a_written_answer_and_a_widget(assignment):
    nb = _notebook("solutions", assignment)
    tests = [c for c in nb.cells if c.cell_type == "code" and _nbgrader(c).get("grade")]
    assert len(tests) >= 5, f"{assignment}: {len(tests)} autograded test cells"
    for cell in tests:
        grade_id = _nbgrader(cell)["grade_id"]
        assert _nbgrader(cell).get("points", 0) > 0, grade_id
        assert "### BEGIN HIDDEN TESTS" in cell.source, f"{grade_id} has no hidden tests"
        visible = re.sub(r"### BEGIN (HIDDEN TESTS|EXPECTED)\n.*?### END \1\n?", "", cell.source, flags=re.S)
        assert re.search(r"\bcheck_\w+\(|\bassert\b", visible), f"{grade_id} has no visible check"
        assert problems_in_test_cell(cell.source) == [], grade_id
    written = [c for c in nb.cells if c.cell_type == "markdown" and _nbgrader(c).get("grade")
               and _nbgrader(c).get("solution")]
    assert written, f"{assignment} has no manually graded written answer"
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "course_lib.widgets" in code or "ipywidgets" in code, f"{assignment} has no widget exploration"
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert "course_lib.grading" in first_code.source and _nbgrader(first_code).get("locked")


@pytest.mark.parametrize("folder", ["solutions", "assignments"])
def test_notebooks_are_committed_without_outputs_counts_or_widget_state(folder):
    for assignment in ASSIGNMENTS:
        raw = json.loads((ROOT / folder / assignment / f"{assignment}.ipynb").read_text())
        assert "widgets" not in raw.get("metadata", {}), assignment
        for cell in raw["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, (assignment, cell.get("id"))


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_scores_full_marks_and_untouched_release_scores_zero(assignment):
    report = verify([assignment], root=ROOT)
    assert report.ok, report.format()


def _solution_code(cell):
    lines = cell.source.splitlines()
    keep = [line for line in lines if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")]
    return "\n".join(keep)


@pytest.mark.slow
def test_a_partly_completed_submission_gets_exactly_the_points_of_the_parts_it_solved(tmp_path):
    """Assignment 01 with only parts 1 (1 point) and 3 (2 points) filled in, as a student would, must score 3."""
    assignment = "01_computation_graphs"
    source = {_nbgrader(c).get("grade_id"): c for c in _notebook("solutions", assignment).cells}
    submission = _notebook("assignments", assignment)
    for cell in submission.cells:
        if _nbgrader(cell).get("grade_id") in ("sum_times_solution", "neuron_flat_solution"):
            cell.source = _solution_code(source[_nbgrader(cell)["grade_id"]])
    path = tmp_path / f"{assignment}.ipynb"
    nbformat.write(submission, path)
    result = grade_notebook(path, assignment, root=ROOT)
    solved = {"sum_times_test", "neuron_flat_test"}
    for grade_id in result.autograded:
        expected = result.max_scores[grade_id] if grade_id in solved else 0.0
        assert result.scores[grade_id] == expected, (grade_id, result.messages.get(grade_id))
    assert result.total == sum(result.max_scores[g] for g in solved) == 3.0


# ---------------------------------------------------------------------------------------------------------------
# No answers in a release: forwarding to what the release defines gains nothing; known mistakes are still named

_MATCH = '''
def _same_input(a, b):
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same_input(x, y) for x, y in zip(a, b))
    if callable(a) or callable(b):
        return a is b
    try:
        return bool(np.array_equal(np.asarray(a), np.asarray(b)))
    except Exception:
        return False
'''


def _forwarder(fn, candidates, disguised):
    """`fn` forwarding its arguments to the first candidate that does not raise (by name, or via globals())."""
    lines = [f"def {fn}(*args, **kwargs):"]
    if disguised:
        built = ", ".join(repr(name[::-1]) for name in candidates)
        lines += [f"    for name in ({built},):",
                  "        try:",
                  "            return globals()[name[::-1]](*args, **kwargs)",
                  "        except Exception:",
                  "            pass"]
    else:
        for name in candidates:
            lines += ["    try:", f"        return {name}(*args, **kwargs)", "    except Exception:", "        pass"]
    return "\n".join(lines + ["    raise NotImplementedError()", ""])


def _replayer(fn, cases, mistakes, explanation):
    """`fn` giving, on each visible case of its test, the output of one known mistake (read from the release)."""
    return "\n".join([
        f"def {fn}(*args, **kwargs):",
        f"    for k, case in enumerate({cases}):",
        "        args_k, kwargs_k = (case, {}) if isinstance(case, tuple) else (((), case) if isinstance(case, dict)",
        "                                                                 else ((case,), {}))",
        "        if _same_input(list(args), list(args_k)) and sorted(kwargs) == sorted(kwargs_k) and all(",
        "                _same_input(kwargs[n], kwargs_k[n]) for n in kwargs):",
        f"            return {mistakes}[{explanation!r}][k]",
        "    raise NotImplementedError()", ""])


def _known_mistake_checks(nb):
    """{function: (cases name, mistakes name, explanation, test cell id)} for each released check_outputs call with
    known mistakes whose outputs exist on every case and differ from the expected ones."""
    import ast

    import numpy as np

    from course_lib.expected import _same

    found = {}
    for cell in nb.cells:
        if cell.cell_type != "code" or not _nbgrader(cell).get("grade"):
            continue
        tree = ast.parse(cell.source)
        values = {}
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                try:
                    values[node.targets[0].id] = eval(compile(ast.Expression(node.value), "<release>", "eval"),
                                                      {"np": np})
                except Exception:
                    pass
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "check_outputs"):
                continue
            args = node.args
            mistakes = args[3] if len(args) > 3 else next((k.value for k in node.keywords if k.arg == "variants"), None)
            if not (isinstance(args[0], ast.Name) and isinstance(args[1], ast.Name) and isinstance(args[2], ast.Name)
                    and isinstance(mistakes, ast.Name) and isinstance(values.get(mistakes.id), dict)):
                continue
            expected = values.get(args[2].id)
            for explanation, outs in values[mistakes.id].items():
                if all(o is not None for o in outs) and not _same(outs, expected):
                    found.setdefault(args[0].id, (args[1].id, mistakes.id, explanation, _nbgrader(cell)["grade_id"]))
                    break
    return found


def cheat_notebook(assignment, disguised=False):
    """The release with every solution function replaced: those with known mistakes in their visible test replay
    one mistake's outputs; every other one forwards to every name the release's other cells bind."""
    from course_lib.release import _bound_names, _top_level_defs

    nb = _notebook("assignments", assignment)
    solution_names = {fn for c in nb.cells if c.cell_type == "code" and _nbgrader(c).get("solution")
                      for fn in _top_level_defs(c.source)}
    candidates = list(dict.fromkeys(
        name for c in nb.cells if c.cell_type == "code" and not _nbgrader(c).get("solution")
        for name in _bound_names(c.source) if name not in solution_names))
    replays = {} if disguised else _known_mistake_checks(nb)
    for cell in nb.cells:
        if cell.cell_type != "code" or not _nbgrader(cell).get("solution"):
            continue
        fns = _top_level_defs(cell.source)
        if not fns:
            continue
        parts = [_MATCH] if any(fn in replays for fn in fns) else []
        for fn in fns:
            parts.append(_replayer(fn, *replays[fn][:3]) if fn in replays else _forwarder(fn, candidates, disguised))
        cell.source = "\n".join(parts)
    return nb, replays


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_forwarding_to_the_release_scores_nothing_and_known_mistakes_are_named(assignment):
    from nbclient import NotebookClient

    from course_lib.grade.scan import scan

    nb, replays = cheat_notebook(assignment)
    # Known mistakes are shipped as numbers, either as check_outputs' mistake outputs (replayed below) or as
    # literal `variants=` of check_close (09's layer pairs, whose outputs are tuples of arrays and caches).
    visible = "\n".join(c.source for c in nb.cells if c.cell_type == "code" and _nbgrader(c).get("grade"))
    assert replays or "variants=" in visible, f"{assignment}: no visible test names a known mistake by its outputs"
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(ROOT / "assignments" / assignment)}}).execute()
    errors = {_nbgrader(c)["grade_id"]: "\n".join(f"{o.ename}: {o.evalue}" for o in c.outputs
                                                  if o.output_type == "error")
              for c in nb.cells if c.cell_type == "code" and _nbgrader(c).get("grade")}
    passed = [grade_id for grade_id, error in errors.items() if not error]
    assert not passed, f"{assignment}: forwarding to the release's own names passes {passed}"
    named = [fn for fn, (_, _, explanation, grade_id) in replays.items()
             if f"This matches a known mistake: {explanation}" in errors[grade_id]]
    assert len(named) >= min(2, len(replays)), (assignment, {fn: errors[r[3]][:300] for fn, r in replays.items()})
    # The same forwarding through globals() by reversed names is flagged for a human, cell by cell.
    disguised, _ = cheat_notebook(assignment, disguised=True)
    flags = scan(disguised, _notebook("solutions", assignment))
    for cell in disguised.cells:
        if cell.cell_type == "code" and _nbgrader(cell).get("solution") and "globals()" in cell.source:
            assert any(f"cell {_nbgrader(cell)['grade_id']}," in flag for flag in flags), (assignment, flags)


def _scan_one(student_source, test_source="adam_reference = None\nexpected = 1.0\ncheck_close(adam_step(1), expected)"):
    from nbformat.v4 import new_code_cell, new_notebook

    from course_lib.grade.scan import scan

    meta = {"grade": False, "solution": False, "locked": True, "grade_id": "imports"}
    cells = [new_code_cell("import numpy as np\nfrom course_lib import losses\nfrom course_lib.grading import check_close",
                           metadata={"nbgrader": meta}),
             new_code_cell(student_source, metadata={"nbgrader": {**meta, "solution": True, "locked": False,
                                                                  "grade_id": "answer"}}),
             new_code_cell(test_source, metadata={"nbgrader": {**meta, "grade": True, "grade_id": "test",
                                                               "points": 1}})]
    return scan(new_notebook(cells=cells))


@pytest.mark.parametrize("source, flag", [
    ("def adam_step(*a):\n    return adam_reference(*a)", "uses adam_reference, which a test cell defines"),
    ("def adam_step(*a):\n    return expected", "uses expected, which a test cell defines"),
    ("def adam_step(*a):\n    return vars()['adam_' + 'reference'](*a)", "uses vars()"),
    ("def adam_step(*a):\n    return getattr(losses, 'softmax_' + 'cross_entropy')(*a)",
     "uses getattr() with a computed name"),
    ("def adam_step(*a):\n    m = losses\n    name = 'mse'\n    return getattr(m, name)(*a)",
     "uses getattr() with a computed name"),
    ("import inspect\ndef adam_step(*a):\n    return inspect.currentframe().f_back.f_globals['x']",
     "imports inspect"),
    ("def adam_step(*a):\n    return adam_step.__globals__['adam_reference'](*a)", "uses .__globals__"),
])
def test_an_answer_that_leans_on_the_notebook_is_flagged(source, flag):
    flags = _scan_one(source)
    assert any(f.startswith("borrowed: cell answer") and flag in f for f in flags), flags


def test_an_answer_with_its_own_names_is_not_flagged():
    source = ("def adam_step(theta, expected=1.0):\n    keys = ['a', 'b']\n    out = {k: theta for k in keys}\n"
              "    return getattr(out, 'get')('a') * expected")
    assert _scan_one(source) == []
