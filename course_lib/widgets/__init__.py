"""Interactive explorations for the lecture notebooks, one function per question.

Each function returns an `Explorer` (an ipywidgets VBox) with `controls`, `figure` and `artists` reachable from
Python. In JupyterLab run ``%matplotlib widget`` first for live figures.
"""
from course_lib.widgets._explorer import Explorer, interactive_backend, make_figure

__all__ = ["Explorer", "interactive_backend", "make_figure"]
