"""eta_opt has one meaning across the course: the best single fixed step of gradient descent on a quadratic.

1/lambda in one dimension, 2 / (lambda_min + lambda_max) in several (the same number when the eigenvalues are equal).
The optimum of one eigen-direction alone, 1/lambda_i, is written eta_{i,opt} (`landscapes.eta_opt_directions`).
These tests pin that meaning in `course_lib.landscapes` and in every definition the lecture notebooks, the
assignments' sources (solutions/) and their releases (assignments/) write down.
"""
import json
import pathlib
import re

import numpy as np
import pytest

from course_lib import landscapes as L

ROOT = pathlib.Path(__file__).resolve().parents[1]

# "eta_opt = <rhs>" in any of the spellings the notebooks use (Unicode, LaTeX, Python).
_NAME = r"(?:η_opt|eta_opt|η_\{opt\}|\\eta_\\text\{opt\}|\\eta_\{opt\}|\\eta_\{\\text\{opt\}\}|eta_\{opt\})"
DEFINITION = re.compile(_NAME + r"\s*=\s*([^,;:\n$]{1,60})")  # up to the end of the formula

# The right-hand sides allowed after normalisation (see `canonical`): the 1-D value, the multi-dimensional value,
# the latter for the course's bowls with lambda_min = 1, or a worked number.
ALLOWED = [re.compile(p) for p in (r"1/λ(?![_\w])", r"2/\(λ_min\+λ_max\)", r"2/\(1\+κ\)", r"\d+(\.\d+)?(?![/\w])")]


def canonical(rhs):
    """The right-hand side with LaTeX, spaces and spelling differences removed: '\\dfrac{2}{\\lambda_\\min +
    \\lambda_\\max}' -> '2/(λ_min+λ_max)'."""
    s = re.sub(r"\\d?frac\{([^{}]*)\}\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}", r"\1/(\2)", rhs)
    for latex, plain in (("\\lambda", "λ"), ("\\kappa", "κ"), ("lambda", "λ"), ("kappa", "κ"), ("\\text", ""),
                         ("\\min", "min"), ("\\max", "max"), ("{", ""), ("}", ""), ("$", ""), (" ", "")):
        s = s.replace(latex, plain)
    return re.sub(r"/\(([^()+\-]+)\)", r"/\1", s)  # 1/(λ) -> 1/λ


def _sources():
    """(where, text) for every cell of the lecture notebooks, the assignments' sources and releases,
    leaving out autograded test cells (their messages name wrong answers such as 'eta_opt = 1 / lambda_max' on
    purpose), plus landscapes.py."""
    notebooks = [*sorted((ROOT / "notebooks").glob("*.ipynb")), *sorted((ROOT / "solutions").glob("*/*.ipynb")),
                 *sorted((ROOT / "assignments").glob("*/*.ipynb"))]
    assert len(notebooks) >= 20, "the lecture notebooks, assignment sources and releases were not found"
    for path in notebooks:
        for i, cell in enumerate(json.loads(path.read_text())["cells"]):
            grading = cell.get("metadata", {}).get("nbgrader", {})
            if grading.get("grade") and cell["cell_type"] == "code":
                continue
            yield f"{path.relative_to(ROOT)} cell {i}", "".join(cell["source"])
    yield "course_lib/landscapes.py", (ROOT / "course_lib" / "landscapes.py").read_text()


def test_canonical_form_reads_latex_unicode_and_python_spellings_alike():
    assert canonical(r"\dfrac{2}{\lambda_\min + \lambda_\max}$") == "2/(λ_min+λ_max)"
    assert canonical(r"2/(\lambda_{min}+\lambda_{max})$") == "2/(λ_min+λ_max)"
    assert canonical("2 / (λ_min + λ_max)   the best") == "2/(λ_min+λ_max)thebest"
    assert canonical(r"\frac{1}{\lambda}$$") == "1/λ"
    assert canonical("1 / lambda_max") == "1/λ_max"


def test_every_written_definition_of_eta_opt_has_the_one_meaning():
    found, wrong = 0, []
    for where, text in _sources():
        for match in DEFINITION.finditer(text):
            found += 1
            rhs = canonical(match.group(1))
            if not any(p.match(rhs) for p in ALLOWED):
                wrong.append(f"{where}: {match.group(0)!r}")
    assert found >= 10, f"only {found} definitions of eta_opt found: did the spelling change?"
    assert not wrong, ("eta_opt must mean the best single step (1/λ in 1-D, 2/(λ_min + λ_max) in several "
                       "dimensions); the optimum of one direction is η_{i,opt} = 1/λ_i. Found:\n" + "\n".join(wrong))


def test_a_per_direction_optimum_is_never_called_eta_opt():
    # the old second meaning, 1/lambda_max ("the steep direction's eta_opt"), must carry an index
    pattern = re.compile(_NAME + r"\s*=\s*(?:1\s*/\s*(?:\\lambda_\\(?:text\{)?max|λ_max|lambda_max|\\kappa|κ|kappa))")
    hits = [where for where, text in _sources() if pattern.search(text)]
    assert not hits, f"eta_opt used for one direction's optimum in: {hits}"


def test_landscapes_eta_opt_is_one_over_lambda_in_1d_and_two_over_the_eigenvalue_sum_on_a_bowl():
    assert L.eta_opt(4.0) == 0.25
    bowl = L.Quadratic(condition=10.0, angle=0.4)
    assert L.eta_opt(bowl) == pytest.approx(2.0 / 11.0, rel=1e-15)
    # the two formulas are one: on a round bowl (all eigenvalues equal) 2 / (lambda + lambda) = 1 / lambda
    assert L.eta_opt(L.Quadratic(condition=1.0)) == pytest.approx(L.eta_opt(1.0), rel=1e-15)


def test_eta_opt_directions_are_one_over_each_eigenvalue_and_bound_the_stable_steps():
    valley = L.NarrowValley(along=0.2, across=3.5)
    directions = L.eta_opt_directions(valley)
    np.testing.assert_allclose(directions, [1 / 0.2, 1 / 3.5], rtol=1e-15)
    assert directions.max() / directions.min() == pytest.approx(3.5 / 0.2, rel=1e-14)  # kappa
    # the best single step lies between the two per-direction optima, and below 2 min_i eta_{i,opt}
    assert directions.min() < L.eta_opt(valley) < min(directions.max(), 2 * directions.min())
    with pytest.raises(ValueError, match="needs a quadratic"):
        L.eta_opt_directions(L.Rosenbrock())


def test_at_eta_opt_both_directions_contract_by_the_same_factor():
    bowl = L.Quadratic(condition=10.0)
    eta = L.eta_opt(bowl)
    factors = np.abs(1.0 - eta * bowl.eigenvalues)
    np.testing.assert_allclose(factors, (10.0 - 1.0) / (10.0 + 1.0), rtol=1e-14)
