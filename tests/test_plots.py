"""The shared pictures draw what they claim and hand back artists that can be updated in place."""
import warnings

import numpy as np
import pytest

from course_lib import activations, landscapes, plots


class _ThresholdModel:
    """Predicts class 1 right of x = 0: a decision boundary we know exactly."""

    def __init__(self, cut=0.0):
        self.cut = cut

    def predict(self, X):
        return (np.asarray(X)[:, 0] > self.cut).astype(np.int64)


def test_palette_is_the_okabe_ito_set_and_cycles():
    assert plots.PALETTE[0] == "#0072B2" and len(set(plots.PALETTE)) == 8
    assert plots.color(8) == plots.color(0)


def test_trajectories_are_drawn_with_their_points_over_the_landscape():
    land = landscapes.make_landscape("rosenbrock")
    traj = landscapes.run(land, "adam", steps=25, lr=0.05)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig, ax, lines = plots.plot_trajectories(land, {"adam": traj})
    x, y = lines["adam"].get_data()
    np.testing.assert_array_equal(np.column_stack([x, y]), traj.points)
    assert ax.get_xlim() == tuple(land.bounds[0])
    assert ax.get_xlabel() and ax.get_ylabel()


def test_decision_boundary_shows_the_models_predictions_and_updates_in_place():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 2))
    y = (X[:, 0] > 0).astype(int)
    fig, ax, image, scatter = plots.plot_decision_boundary(_ThresholdModel(0.0), X, y, resolution=40)
    xx, _, _ = image.grid
    np.testing.assert_array_equal(image.get_array(), (xx > 0).astype(int))
    plots.update_decision_boundary(image, _ThresholdModel(1.0))
    np.testing.assert_array_equal(image.get_array(), (xx > 1.0).astype(int))
    assert len(ax.images) == 1


def test_activation_plot_draws_the_function_and_its_derivative():
    x = np.linspace(-3, 3, 31)
    fig, ax, (line_f, line_df) = plots.plot_activation("swish", x=x, beta=2.0)
    np.testing.assert_allclose(line_f.get_ydata(), activations.swish(x, beta=2.0), rtol=1e-15)
    np.testing.assert_allclose(line_df.get_ydata(), activations.swish_grad(x, beta=2.0), rtol=1e-15)
    with pytest.raises(ValueError, match="unknown activation 'swsh'"):
        plots.plot_activation("swsh")


def test_layer_statistics_histograms_count_every_activation_and_title_mean_and_std():
    rng = np.random.default_rng(1)
    layers = [np.tanh(rng.normal(scale=s, size=(200, 10))) for s in (1.0, 0.1)]
    fig, axes, bars = plots.plot_layer_statistics(layers, bins=20)
    assert len(axes) == 2
    for a, container, ax in zip(layers, bars, axes):
        assert sum(p.get_height() for p in container) == a.size
        assert f"std {a.std():.3f}" in ax.get_title()


def test_course_figures_use_constrained_layout_even_from_a_bare_plt_subplots():
    import matplotlib.pyplot as plt
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    fig, _ = plt.subplots(figsize=(3, 2))
    fig_new, _ = plots.new_axes()
    try:
        assert isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine)
        assert isinstance(fig_new.get_layout_engine(), ConstrainedLayoutEngine)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            plots.setup()
            fig.tight_layout()  # an older cell's call switches that figure to tight layout, without a warning
    finally:
        plt.close(fig)
        plt.close(fig_new)


def _crowded(layout):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 2), layout=layout)
    ax = fig.subplots()
    ax.plot([0, 1e5], [0, 1])
    ax.set_xlabel("a long label under the axis")
    ax.set_title("a title")
    return fig, ax


def test_layout_problems_names_a_label_cut_off_at_the_figure_edge_and_none_with_constrained_layout():
    fig, _ = _crowded("none")
    problems = plots.layout_problems(fig)
    assert any(p.startswith("axis label 'a long label under the axis' (x of axes 1) is cut off") and "bottom" in p
               for p in problems), problems
    fig, _ = _crowded("constrained")
    assert plots.layout_problems(fig) == []


def test_layout_problems_names_overlapping_tick_labels_and_ignores_hidden_text():
    fig, ax = _crowded("constrained")
    ax.set_xticks(range(12), [f"label {i}" for i in range(12)])
    ax.set_xlim(0, 11)
    problems = plots.layout_problems(fig)
    assert any(p.startswith("tick label 'label 0' (x of axes 1) overlaps tick label 'label 1' (x of axes 1)")
               for p in problems), problems
    ax.xaxis.set_visible(False)
    ax.set_title("")
    assert plots.layout_problems(fig) == []
