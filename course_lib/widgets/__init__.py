"""Interactive explorations for the lecture notebooks, one function per question.

Each function returns an `Explorer` (an ipywidgets VBox) with `controls`, `figure` and `artists` reachable from
Python. In a notebook the figure is live whatever pyplot's backend is (``%matplotlib inline`` included): the
browser draws the artists that change over a picture of the rest (`_canvas`, `_scene`; see `_explorer`).

- `ema_explorer`: how beta trades smoothness for lag, and why bias correction is needed (deck 000).
- `step_size_explorer`: gradient descent as the step passes eta_opt and 2 eta_opt (deck 004).
- `optimizer_race`: which optimizer reaches the minimum of a 2-D landscape first (decks 000 and 004).
- `activation_explorer`: where each activation saturates (deck 003).
- `graph_viewer`: values forward, gradients backward through a computation graph (deck 004).
- `schedule_explorer`: how a learning-rate schedule moves the rate and what that does to the loss (decks 000, 002).
- `init_explorer`: why deep nets need a careful initialization: per-layer activation histograms (deck 004).
- `batchnorm_explorer`: what batch norm does to a layer's inputs, train vs eval (decks 003, 004).
- `dropout_explorer`: which units dropout switches off, and why train and test outputs agree on average (deck 003).
- `training_playground`: how architecture and optimizer choices change what a network learns.
"""
from course_lib.widgets._explorer import Explorer, interactive_backend, make_figure
from course_lib.widgets.activation import activation_explorer
from course_lib.widgets.batchnorm import batchnorm_explorer
from course_lib.widgets.dropout import dropout_explorer
from course_lib.widgets.ema import ema_explorer
from course_lib.widgets.graph_viewer import graph_viewer
from course_lib.widgets.init import init_explorer
from course_lib.widgets.optimizer_race import optimizer_race
from course_lib.widgets.playground import training_playground
from course_lib.widgets.schedule import schedule_explorer
from course_lib.widgets.step_size import step_size_explorer

__all__ = ["Explorer", "interactive_backend", "make_figure", "ema_explorer", "step_size_explorer", "optimizer_race",
           "activation_explorer", "graph_viewer", "schedule_explorer", "init_explorer", "batchnorm_explorer",
           "dropout_explorer", "training_playground"]
