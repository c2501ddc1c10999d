"""Every lecture notebook runs top to bottom in a fresh kernel with no error and nothing on stderr, its figures are
saved images with nothing cut off (see test_figures.py), and it is committed clean (no outputs, execution counts or
widget state)."""
import json

import pytest

from conftest import ROOT
from test_figures import run_checking_figures, static_figure_problems

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_the_course_has_its_lecture_notebooks():
    assert len(NOTEBOOKS) >= 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_lecture_notebook_is_committed_clean(path):
    raw = json.loads(path.read_text())
    assert "widgets" not in raw.get("metadata", {})
    for cell in raw["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, cell.get("id")


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_lecture_notebook_runs_without_errors_or_stderr_and_its_figures_are_images_that_fit(path):
    nb, figures = run_checking_figures(path)
    problems = static_figure_problems(nb, figures)
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                problems.append(f"cell {index}: {output.ename}: {output.evalue}")
            elif output.output_type == "stream" and output.name == "stderr":
                problems.append(f"cell {index} wrote to stderr: {output.text[:300]}")
    assert not problems, "\n".join(problems)
