"""Static figures are static: every figure a notebook draws is saved as a PNG in the cell's outputs (so it survives
reopening the notebook and nbconvert to HTML, unlike an ipympl widget), and no text of it is cut off at the figure's
edge or written over another label (`course_lib.plots.layout_problems`).

`run_checking_figures` executes a notebook once with a small cell injected after its first (setup) cell: it wraps the
kernel's PNG formatter for figures so that each figure is checked at its own size just before it is rendered.
The lecture notebooks' execution test (test_lecture_notebooks.py) uses it, so they are executed once for both; the
assignments' source notebooks (solutions/) are executed here.
"""
import copy
import functools
import json
import re

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import ROOT

SOLUTIONS = sorted((ROOT / "solutions").glob("*/*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

# Runs in the kernel after the notebook's setup cell (which chose the inline backend). Figures shown by an explorer
# (course_lib/widgets) are the explorers' business and are not counted as static figures.
CHECK_FIGURES = r'''
def _course_check_figures():
    import os
    import sys

    from IPython import get_ipython
    from matplotlib.figure import Figure

    from course_lib import plots

    shell = get_ipython()
    records = []
    formatter = shell.display_formatter.formatters["image/png"]
    try:
        render = formatter.lookup_by_type(Figure)
    except KeyError:  # figures are not rendered as PNG images at all: the test reports every missing image
        return records
    save_to = os.environ.get("COURSE_FIGURES_SAVE_TO")  # to look at them: the whole figure, as its canvas is

    def check_then_render(fig, *args, **kwargs):
        frame = sys._getframe(1)
        while frame is not None:
            if "course_lib/widgets/" in frame.f_code.co_filename.replace("\\", "/"):
                return render(fig, *args, **kwargs)
            frame = frame.f_back
        records.append({"execution_count": shell.execution_count, "problems": plots.layout_problems(fig)})
        if save_to:
            fig.savefig(os.path.join(save_to, f"figure{len(records):02d}_in{shell.execution_count:02d}.png"))
        return render(fig, *args, **kwargs)

    formatter.for_type(Figure, check_then_render)
    # shell.execution_count runs ahead of the cell's number in some IPython versions; this cell's value fixes the offset
    return {"count_in_this_cell": shell.execution_count, "figures": records}


_course_figures = _course_check_figures()
'''
REPORT = "import json\nprint(json.dumps(_course_figures))"


def run_checking_figures(path, timeout=300):
    """Execute the notebook at `path` in a fresh kernel; return (executed notebook, figure records).

    The notebook comes back without the injected cells, so cell indices are the notebook's own. Each record is
    {"cell": index, "problems": [...]} for one static figure. Raises nbclient's CellExecutionError if a cell fails.
    """
    nb = nbformat.read(path, as_version=4)
    first = next(i for i, cell in enumerate(nb.cells) if cell.cell_type == "code")
    nb.cells.insert(first + 1, nbformat.v4.new_code_cell(CHECK_FIGURES))
    nb.cells.append(nbformat.v4.new_code_cell(REPORT))
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    report = nb.cells.pop()
    hook = nb.cells.pop(first + 1)
    found = json.loads("".join(o.text for o in report.outputs if o.output_type == "stream" and o.name == "stdout"))
    offset = found["count_in_this_cell"] - hook.execution_count
    cell_of = {cell.execution_count: index for index, cell in enumerate(nb.cells) if cell.cell_type == "code"}
    records = found["figures"]
    for record in records:
        record["cell"] = cell_of.get(record.pop("execution_count") - offset)
    return nb, records


@functools.cache
def _html_exporter():
    from nbconvert import HTMLExporter

    return HTMLExporter()


def static_figure_problems(nb, records):
    """What is wrong with the static figures of an executed notebook, one line per problem.

    - a figure with text cut off or labels written over each other (`course_lib.plots.layout_problems`);
    - a cell whose figures are not all saved as image/png outputs, or a figure shown as an ipympl canvas widget
      (gone when the notebook is reopened: "model not found", and absent from nbconvert's HTML);
    - an image that nbconvert's HTML export of the executed notebook does not contain.
    """
    problems = []
    for record in records:
        problems += [f"cell {record['cell']}: {p}" for p in record["problems"]]
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    images = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        pngs = sum("image/png" in o.get("data", {}) for o in cell.outputs)
        images += pngs
        figures = sum(record["cell"] == index for record in records)
        if pngs != figures:
            problems.append(f"cell {index}: {figures} figure(s) shown as images but {pngs} image/png output(s) saved")
        for output in cell.outputs:
            model = state.get(output.get("data", {}).get(WIDGET_VIEW, {}).get("model_id"), {})
            if model.get("model_name") == "MPLCanvasModel":
                problems.append(f"cell {index}: a figure is shown as an ipympl widget, not an image")
    # the outputs are what matters; without the markdown and code to render the export takes 0.2 s instead of 3 s
    outputs_only = copy.deepcopy(nb)
    outputs_only.cells = [cell for cell in outputs_only.cells if cell.cell_type == "code"]
    for cell in outputs_only.cells:
        cell.source = ""
    html, _ = _html_exporter().from_notebook_node(outputs_only)
    in_html = len(re.findall(r'src="data:image/png;base64,', html))
    if in_html != images:
        problems.append(f"nbconvert's HTML shows {in_html} of the {images} saved images")
    return problems


def test_the_check_finds_a_cut_off_label_and_a_figure_left_as_a_widget():
    """The notebook-level check is not vacuous: it reports a figure drawn without a saved image and a widget canvas."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("plot")]
    nb.cells[0].execution_count, nb.cells[1].execution_count = 1, 2
    nb.cells[1].outputs = [nbformat.v4.new_output("display_data", data={WIDGET_VIEW: {"model_id": "m1"}})]
    nb.metadata["widgets"] = {WIDGET_STATE: {"state": {"m1": {"model_name": "MPLCanvasModel"}}}}
    records = [{"cell": 1, "problems": ["axis label 'x' (x of axes 1) is cut off: ..."]}]
    problems = static_figure_problems(nb, records)
    assert problems == ["cell 1: axis label 'x' (x of axes 1) is cut off: ...",
                        "cell 1: 1 figure(s) shown as images but 0 image/png output(s) saved",
                        "cell 1: a figure is shown as an ipympl widget, not an image"]


@pytest.mark.slow
def test_a_notebook_with_a_cut_off_label_and_a_widget_figure_fails_the_check(tmp_path):
    """End to end in a kernel: the injected check sees a figure drawn without a layout engine, passes the same figure
    under the course's constrained layout, and notices a figure left as an ipympl canvas."""
    nb = nbformat.v4.new_notebook()
    draw = 'fig, ax = plt.subplots(figsize=(3, 1.2){})\nax.set_xlabel("a label below the axes")'
    nb.cells = [nbformat.v4.new_code_cell("%matplotlib inline\nimport matplotlib.pyplot as plt\nfrom course_lib import plots"),
                nbformat.v4.new_code_cell(draw.format(', layout="none"')),
                nbformat.v4.new_code_cell(draw.format("")),
                nbformat.v4.new_code_cell("%matplotlib widget\n" + draw.format(""))]
    path = tmp_path / "figures.ipynb"
    nbformat.write(nb, path)
    executed, records = run_checking_figures(path, timeout=120)
    assert [record["cell"] for record in records] == [1, 2]
    problems = static_figure_problems(executed, records)
    assert "cell 3: a figure is shown as an ipympl widget, not an image" in problems, problems
    assert "cell 1: axis label 'a label below the axes' (x of axes 1) is cut off" in "\n".join(problems), problems
    assert not [p for p in problems if p.startswith("cell 2")], problems


@pytest.mark.slow
@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.parent.name for p in SOLUTIONS])
def test_assignment_figures_are_saved_images_with_nothing_cut_off(path):
    nb, records = run_checking_figures(path)
    problems = static_figure_problems(nb, records)
    assert not problems, f"{path.relative_to(ROOT)}:\n" + "\n".join(problems)
