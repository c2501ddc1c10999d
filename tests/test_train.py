"""Specifications for course_lib.train.fit and History: descent variants, schedules, stopping, monitoring."""
import math
import warnings

import numpy as np
import pytest

from course_lib.data import load_digits, make_spiral, train_val_split
from course_lib.model import MLP
from course_lib.optim import SGD, Adam
from course_lib.schedules import Babysitter, ReduceOnPlateau, StepDecay
from course_lib.train import EarlyStopping, History, fit


@pytest.fixture(scope="module")
def spiral():
    return make_spiral(600, 3, noise=0.2, seed=0)


def _small(seed=0, n=60):
    X, y = make_spiral(n, 3, noise=0.2, seed=seed)
    return X, y


# ---------------------------------------------------------------------------------------------------------------
# It learns
# ---------------------------------------------------------------------------------------------------------------
def test_fit_trains_a_relu_net_on_the_spiral_to_97_percent(spiral):
    X, y = spiral
    model = MLP([2, 64, 64, 3], activation="relu", seed=0)
    history = fit(model, Adam(model.params, lr=0.01), X, y, epochs=60, batch_size=64, progress=False)
    assert history.accuracy[-1] >= 0.97
    assert model.accuracy(X, y) == history.accuracy[-1]
    assert history.cost[-1] < 0.3 * history.cost[0]


def test_fit_trains_an_mlp_on_digits_to_95_percent_validation_accuracy():
    X, y = load_digits(scale=True)
    X_train, y_train, X_val, y_val = train_val_split(X, y, 0.2, seed=0)
    model = MLP([64, 64, 10], activation="relu", seed=0)
    history = fit(model, Adam(model.params, lr=3e-3), X_train, y_train, epochs=20, batch_size=32,
                  validation=(X_val, y_val), progress=False)
    assert history.val_accuracy[-1] >= 0.95
    assert model.accuracy(X_val, y_val) == history.val_accuracy[-1]


def test_a_small_sample_can_be_overfit_to_full_accuracy():
    """Babysitting step 2: a network that cannot fit 20 examples has a bug (or a bad learning rate).

    The labels are random, so the only way to 100% is to memorise them."""
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((20, 2)), rng.integers(0, 3, 20)
    model = MLP([2, 32, 32, 3], seed=1)
    history = fit(model, Adam(model.params, lr=0.01), X, y, epochs=300, progress=False)
    assert history.accuracy[-1] == 1.0


def test_batch_norm_and_dropout_models_train_too(spiral):
    X, y = spiral
    model = MLP([2, 64, 64, 3], batchnorm=True, dropout=0.1, seed=2)
    history = fit(model, Adam(model.params, lr=0.01), X, y, epochs=40, batch_size=32, progress=False)
    assert history.accuracy[-1] > 0.9


# ---------------------------------------------------------------------------------------------------------------
# Batch, mini-batch and stochastic descent
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("batch_size, steps", [(None, 1), (200, 1), (32, 2), (16, 4), (7, 9), (1, 60)])
def test_steps_per_epoch_are_ceil_n_over_batch_size(batch_size, steps):
    X, y = _small(n=60)
    model = MLP([2, 8, 3], seed=3)
    history = fit(model, SGD(model.params, lr=0.1), X, y, epochs=3, batch_size=batch_size, progress=False)
    assert history.steps_per_epoch == [steps] * 3
    assert len(history.step_cost) == history.steps == 3 * steps
    assert history.epochs_run == 3 and history.stopped_reason == "completed 3 epochs"


def test_batch_gradient_descent_epoch_is_one_step_on_the_full_gradient():
    X, y = _small(n=60)
    model = MLP([2, 8, 3], seed=4)
    twin = model.copy()
    fit(model, SGD(model.params, lr=0.3), X, y, epochs=1, progress=False)
    cost, grads = twin.loss_and_grads(X, y)
    expected = twin.flat_params - 0.3 * twin.flat_grads
    np.testing.assert_allclose(model.flat_params, expected, rtol=1e-12)


def test_the_same_seed_gives_the_same_history_and_another_seed_shuffles_differently():
    X, y = _small(n=60)

    def run(seed):
        model = MLP([2, 8, 3], dropout=0.2, seed=5)
        return fit(model, SGD(model.params, lr=0.1, momentum=0.9), X, y, epochs=4, batch_size=16, seed=seed,
                   progress=False)

    assert run(0).as_dict() == run(0).as_dict()
    assert run(0).step_cost != run(1).step_cost


def test_without_shuffling_the_batches_come_in_data_order():
    X, y = _small(n=30)
    model = MLP([2, 8, 3], seed=6)
    twin = model.copy()
    fit(model, SGD(model.params, lr=0.1), X, y, epochs=1, batch_size=10, shuffle=False, progress=False)
    opt = SGD(twin.params, lr=0.1)
    for start in (0, 10, 20):
        _, grads = twin.loss_and_grads(X[start:start + 10], y[start:start + 10])
        opt.step(grads)
    np.testing.assert_allclose(model.flat_params, twin.flat_params, rtol=1e-12)


# ---------------------------------------------------------------------------------------------------------------
# Learning-rate schedules
# ---------------------------------------------------------------------------------------------------------------
def test_schedule_sets_the_learning_rate_of_every_epoch():
    X, y = _small()
    model = MLP([2, 8, 3], seed=7)
    schedule = StepDecay(0.2, 0.5, 2)
    opt = SGD(model.params, lr=99.0)
    history = fit(model, opt, X, y, epochs=5, batch_size=20, schedule=schedule, progress=False)
    assert history.lr == [schedule(e) for e in range(5)] == [0.2, 0.2, 0.1, 0.1, 0.05]
    assert opt.lr == 0.05


def test_reduce_on_plateau_gets_each_epochs_validation_cost_and_lowers_the_rate():
    X, y = _small()
    model = MLP([2, 8, 3], seed=8)
    schedule = ReduceOnPlateau(1e-6, factor=0.5, patience=1)  # so small a rate that the cost cannot improve
    history = fit(model, SGD(model.params, lr=1.0), X, y, epochs=6, schedule=schedule, validation=(X, y),
                  progress=False)
    assert history.lr == schedule.history
    assert history.lr[:3] == [1e-6] * 3 and history.lr[3] == 5e-7
    assert schedule.best == history.val_cost[0]


def test_babysitter_redo_restores_the_epoch_start_and_reruns_with_half_the_rate():
    X, y = _small(n=60)
    model = MLP([2, 16, 3], activation="tanh", output="softmax", seed=9)
    twin = model.copy()
    start_cost = model.loss(X, y)
    schedule = Babysitter(lr0=64.0, initial_cost=start_cost)  # far too large: the first tries raise the cost
    history = fit(model, SGD(model.params, lr=1.0, momentum=0.5), X, y, epochs=1, batch_size=20,
                  schedule=schedule, progress=False)
    assert history.redos[0] >= 1
    accepted = history.lr[0]
    assert accepted == 64.0 * 0.5 ** history.redos[0]
    assert history.cost[0] <= start_cost
    assert len(history.step_cost) == 3  # the rejected runs' steps are not kept
    # The accepted epoch is exactly a fresh run at the accepted rate: parameters, optimizer and shuffling restored.
    reference = fit(twin, SGD(twin.params, lr=accepted, momentum=0.5), X, y, epochs=1, batch_size=20,
                    progress=False)
    np.testing.assert_array_equal(model.flat_params, twin.flat_params)
    assert history.step_cost == reference.step_cost


def test_babysitter_turns_a_diverging_epoch_into_a_rerun_at_a_smaller_rate():
    X, _ = _small(n=300)
    model = MLP([2, 32, 1], activation="tanh", output="linear", seed=0)
    schedule = Babysitter(lr0=1.0)  # lr = 1 diverges within a few epochs (see the divergence test below)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = fit(model, SGD(model.params, lr=1.0), X, 3 * X[:, 0], epochs=15, batch_size=32,
                      schedule=schedule, progress=False)
    assert history.stopped_reason == "completed 15 epochs"
    assert sum(history.redos) >= 1 and history.lr[-1] < 1.0
    assert all(math.isfinite(c) for c in history.step_cost)


# ---------------------------------------------------------------------------------------------------------------
# Stopping
# ---------------------------------------------------------------------------------------------------------------
def test_early_stopping_stops_and_restores_the_best_weights():
    X, y = _small(n=60)
    y_wrong = (y + 1) % 3  # the better the fit on y, the worse on these labels: the validation cost rises
    model = MLP([2, 16, 3], seed=10)
    history = fit(model, Adam(model.params, lr=0.02), X, y, epochs=50, validation=(X, y_wrong),
                  early_stopping=EarlyStopping(patience=3), progress=False)
    assert history.stopped_reason.startswith("early stopping at epoch")
    assert history.epochs_run == history.best_epoch + 4 < 50
    assert history.best_epoch == int(np.argmin(history.val_cost))
    assert model.loss(X, y_wrong) == pytest.approx(history.val_cost[history.best_epoch], rel=1e-12)
    assert "restored the weights of epoch" in history.stopped_reason


def test_early_stopping_given_as_a_patience_number():
    X, y = _small(n=60)
    model = MLP([2, 16, 3], seed=11)
    history = fit(model, Adam(model.params, lr=0.02), X, y, epochs=50, validation=(X, (y + 1) % 3),
                  early_stopping=2, progress=False)
    assert history.epochs_run == history.best_epoch + 3


def test_divergence_stops_with_a_message_keeps_the_history_and_warns_nothing(capsys):
    X, _ = _small(n=300)
    model = MLP([2, 32, 1], activation="tanh", output="linear", seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any RuntimeWarning (overflow, invalid value) would fail the test
        history = fit(model, SGD(model.params, lr=1.0), X, 3 * X[:, 0], epochs=50, batch_size=32, progress=True)
    reason = history.stopped_reason
    assert reason.startswith(f"diverged at epoch {history.epochs_run} step ")
    assert "smaller learning rate" in reason
    assert 0 < history.epochs_run < 50
    assert len(history.cost) == len(history.lr) == history.epochs_run
    assert all(math.isfinite(c) for c in history.cost)
    assert not math.isfinite(history.step_cost[-1]) or "gradient norm" in reason
    captured = capsys.readouterr()
    assert captured.err == ""
    assert reason in captured.out


def test_callbacks_see_every_epoch_and_can_stop_training():
    X, y = _small()
    model = MLP([2, 8, 3], seed=12)
    seen = []

    def stop_at_three(epoch, history, model_):
        seen.append((epoch, history.epochs_run, model_ is model))
        return epoch == 3

    history = fit(model, SGD(model.params, lr=0.1), X, y, epochs=10, callbacks=[stop_at_three], progress=False)
    assert seen == [(e, e + 1, True) for e in range(4)]
    assert history.epochs_run == 4
    assert history.stopped_reason == "stopped by callback stop_at_three after epoch 3"


# ---------------------------------------------------------------------------------------------------------------
# What History monitors
# ---------------------------------------------------------------------------------------------------------------
def test_update_ratio_is_step_size_over_weight_size():
    """One full-batch SGD step moves theta by lr * ||g||: the ratio is lr * ||g|| / ||theta||."""
    X, y = _small()
    model = MLP([2, 8, 3], seed=13)
    theta0 = np.linalg.norm(model.flat_params)
    history = fit(model, SGD(model.params, lr=0.01), X, y, epochs=1, progress=False)
    assert history.update_ratio[0] == pytest.approx(0.01 * history.grad_norm[0] / theta0, rel=1e-9)
    assert history.weight_norm[0] == pytest.approx(np.linalg.norm(model.flat_params), rel=1e-12)
    assert 1e-5 < history.update_ratio[0] < 1e-1  # the lecture's scale: around 1e-3


def test_clip_norm_caps_the_length_of_every_step():
    X, y = _small()
    model = MLP([2, 8, 3], init="he", init_scale=3.0, seed=14)  # large weights: large gradients
    theta0 = np.linalg.norm(model.flat_params)
    history = fit(model, SGD(model.params, lr=0.1), X, y, epochs=1, clip_norm=0.05, progress=False)
    assert history.grad_norm[0] > 0.05  # the raw gradient was longer than the cap ...
    step = history.update_ratio[0] * theta0
    assert step == pytest.approx(0.1 * 0.05, rel=1e-4)  # ... and the step used the clipped one (torch's 1e-6 slack)


def test_clip_value_caps_every_gradient_entry():
    X, y = _small()
    model = MLP([2, 8, 3], init="he", init_scale=3.0, seed=15)
    before = model.flat_params.copy()
    fit(model, SGD(model.params, lr=0.1), X, y, epochs=1, clip_value=1e-3, progress=False)
    steps = np.abs(model.flat_params - before)
    assert np.max(steps) == pytest.approx(0.1 * 1e-3, rel=1e-9)  # clipped entries moved by exactly lr * clip_value
    assert np.all(steps <= 0.1 * 1e-3 * (1 + 1e-9))


def test_penalties_are_part_of_the_recorded_cost():
    X, y = _small()
    model = MLP([2, 8, 3], seed=16)
    history = fit(model, SGD(model.params, lr=0.1), X, y, epochs=2, l2=0.01, l1=0.001, progress=False)
    assert history.cost[-1] == pytest.approx(model.loss(X, y, l2=0.01, l1=0.001), rel=1e-12)
    assert history.cost[-1] > model.loss(X, y)


def test_linear_output_records_costs_and_nan_accuracy():
    X, _ = _small()
    model = MLP([2, 8, 1], output="linear", seed=17)
    history = fit(model, Adam(model.params, lr=0.01), X, X[:, 0] ** 2, epochs=3, progress=False)
    assert all(math.isnan(a) for a in history.accuracy)
    assert history.cost[-1] < history.cost[0]


def test_history_plot_draws_three_panels_and_returns_the_artists():
    import matplotlib.pyplot as plt

    X, y = _small()
    model = MLP([2, 8, 3], seed=18)
    history = fit(model, Adam(model.params, lr=0.01), X, y, epochs=5, batch_size=20, validation=(X, y),
                  progress=False)
    fig, axes, lines = history.plot()
    assert len(axes) == 3
    assert set(lines) == {"step_cost", "step_cost_ema", "cost", "val_cost", "accuracy", "val_accuracy"}
    np.testing.assert_allclose(lines["cost"].get_ydata(), history.cost)
    assert len(lines["step_cost_ema"].get_ydata()) == 15
    plt.close(fig)


def test_history_as_dict_holds_every_record():
    history = History()
    record = history.as_dict()
    for key in ("cost", "accuracy", "val_cost", "val_accuracy", "lr", "grad_norm", "weight_norm", "update_ratio",
                "steps_per_epoch", "step_cost", "epochs_run", "stopped_reason"):
        assert key in record


def test_progress_bar_goes_to_stdout_not_stderr(capsys):
    X, y = _small()
    model = MLP([2, 8, 3], seed=19)
    fit(model, SGD(model.params, lr=0.1), X, y, epochs=2, progress=True)
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "training" in captured.out


# ---------------------------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("change, error, message", [
    (dict(optimizer="other"), ValueError, "model.params"),
    (dict(epochs=-1), ValueError, "epochs"),
    (dict(batch_size=0), ValueError, "batch_size"),
    (dict(early_stopping=3), ValueError, "validation"),
    (dict(early_stopping="soon"), TypeError, "early_stopping"),
    (dict(schedule=0.1), TypeError, "schedule"),
    (dict(validation=(np.ones((3, 5)), np.zeros(3, dtype=int))), ValueError, "validation X"),
    (dict(callbacks=[1]), TypeError, "callbacks"),
    (dict(clip_norm=0.0), ValueError, "clip_norm"),
    (dict(l2=-0.1), ValueError, "l2"),
    (dict(y=np.arange(60)), ValueError, r"y must lie in \[0, 3\)"),
])
def test_bad_arguments_raise_clear_errors(change, error, message):
    X, y = _small()
    model = MLP([2, 8, 3], seed=20)
    other = MLP([2, 8, 3], seed=21)
    kwargs = dict(optimizer=SGD(model.params, lr=0.1), y=y, epochs=1, progress=False)
    kwargs.update(change)
    if kwargs["optimizer"] == "other":
        kwargs["optimizer"] = SGD(other.params, lr=0.1)
    with pytest.raises(error, match=message):
        fit(model, kwargs.pop("optimizer"), X, kwargs.pop("y"), **kwargs)


def test_batch_norm_with_single_example_batches_is_refused_up_front():
    X, y = _small()
    model = MLP([2, 8, 3], batchnorm=True, seed=22)
    with pytest.raises(ValueError, match="batch norm needs at least 2"):
        fit(model, SGD(model.params, lr=0.1), X, y, epochs=1, batch_size=1, progress=False)


# ---------------------------------------------------------------------------------------------------------------
# Full-batch training passes over the data once per epoch, and records the same History
# ---------------------------------------------------------------------------------------------------------------
def _full_batch_by_hand(model, opt, X, y, epochs, l2=0.0, change=None):
    """The History's numbers of full-batch training written out: step, then the evaluation-mode cost and accuracy."""
    step_cost, cost, accuracy = [], [], []
    for epoch in range(epochs):
        c, grads = model.loss_and_grads(X, y, l2=l2)
        step_cost.append(c)
        opt.step(grads)
        cost.append(model.loss(X, y, l2=l2))
        accuracy.append(model.accuracy(X, y))
        if change is not None:
            change(epoch, None, model)
    return step_cost, cost, accuracy


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_full_batch_history_is_bitwise_the_evaluation_after_every_epoch(dtype):
    """fit reuses the training pass that starts epoch e + 1 as epoch e's evaluation (same parameters, same mode
    without batch norm and dropout): every recorded number and the trained weights equal the plain two-pass loop's."""
    X, y = _small(n=90)
    model, twin = MLP([2, 16, 3], seed=3, dtype=dtype), MLP([2, 16, 3], seed=3, dtype=dtype)
    history = fit(model, Adam(model.params, lr=0.05), X, y, epochs=12, l2=1e-3, progress=False)
    step_cost, cost, accuracy = _full_batch_by_hand(twin, Adam(twin.params, lr=0.05), X, y, 12, l2=1e-3)
    assert history.step_cost == step_cost
    assert history.cost == cost and history.accuracy == accuracy
    assert np.array_equal(model.flat_params, twin.flat_params)


def test_a_callback_that_changes_the_weights_is_not_undone_by_the_reused_pass():
    """A callback runs between the pass fit reuses and the step that uses it: if it changes the parameters, the
    next step's gradient is computed afresh (else the step would follow the gradient of weights that are gone)."""
    def halve_first_layer(epoch, history, model):
        if epoch % 3 == 1:
            model.params[0] *= 0.5

    X, y = _small(n=90)
    model, twin = MLP([2, 16, 3], seed=4), MLP([2, 16, 3], seed=4)
    history = fit(model, Adam(model.params, lr=0.05), X, y, epochs=8, callbacks=[halve_first_layer],
                  progress=False)
    step_cost, cost, accuracy = _full_batch_by_hand(twin, Adam(twin.params, lr=0.05), X, y, 8,
                                                    change=halve_first_layer)
    assert history.step_cost == step_cost and history.cost == cost and history.accuracy == accuracy
    assert np.array_equal(model.flat_params, twin.flat_params)
