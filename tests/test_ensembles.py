"""Model ensembles: averaged probabilities, ensemble predictions and accuracy, snapshots at the end of SGDR cycles."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib import optim
from course_lib.data import load_digits, train_val_split
from course_lib.ensembles import (SnapshotCollector, average_probabilities, ensemble_accuracy, ensemble_predict)
from course_lib.model import MLP
from course_lib.schedules import Cosine, CosineWarmRestarts
from course_lib.train import fit


def members(n, sizes=(4, 6, 3), output="softmax", dtype=np.float64):
    return [MLP(list(sizes), output=output, seed=s, dtype=dtype) for s in range(n)]


def fixed_softmax_model(logits):
    """A 1-1-K network whose output is softmax(logits) for every input: hidden unit relu(0 x + 1) = 1, W2 = logits."""
    model = MLP([1, 1, len(logits)], seed=0)
    W1, b1, W2, b2 = model.params
    W1[:] = 0.0
    b1[:] = 1.0
    W2[0, :] = logits
    b2[:] = 0.0
    return model


@pytest.fixture(scope="module")
def digits_split():
    X, y = load_digits(scale=True)
    return train_val_split(X, y, val_fraction=0.3, seed=0)


# ---- averaging ----------------------------------------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(n_models=st.integers(1, 5), seed=st.integers(0, 10_000))
def test_average_probabilities_is_the_mean_of_the_members_probabilities(n_models, seed):
    models = [MLP([4, 6, 3], seed=seed + k) for k in range(n_models)]
    X = np.random.default_rng(seed).standard_normal((7, 4))
    expected = np.mean([m.forward(X) for m in models], axis=0)
    np.testing.assert_allclose(average_probabilities(models, X), expected, rtol=1e-12, atol=1e-15)


def test_averaged_softmax_rows_are_probability_distributions():
    X = np.random.default_rng(1).standard_normal((20, 4))
    probs = average_probabilities(members(4), X)
    assert probs.shape == (20, 3)
    assert np.all(probs > 0)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-12)


def test_float32_members_give_float32_probabilities_within_float32_tolerance():
    X = np.random.default_rng(2).standard_normal((10, 4))
    probs32 = average_probabilities(members(3, dtype=np.float32), X.astype(np.float32))
    assert probs32.dtype == np.float32
    probs64 = average_probabilities(members(3), X)
    np.testing.assert_allclose(probs32, probs64, rtol=1e-5, atol=1e-6)


def test_the_ensemble_averages_probabilities_rather_than_counting_votes():
    # Two members lean slightly to class 1, one is sure of class 0: a vote says 1, the averaged probabilities say 0.
    lean = np.log([0.45, 0.55])
    sure = np.log([0.95, 0.05])
    models = [fixed_softmax_model(lean), fixed_softmax_model(lean), fixed_softmax_model(sure)]
    X = np.zeros((1, 1))
    np.testing.assert_allclose(average_probabilities(models, X), [[(0.45 + 0.45 + 0.95) / 3, (0.55 + 0.55 + 0.05) / 3]],
                               rtol=1e-12)
    assert [m.predict(X)[0] for m in models] == [1, 1, 0]
    assert ensemble_predict(models, X).tolist() == [0]
    assert ensemble_accuracy(models, X, [0]) == 1.0


def test_sigmoid_members_are_averaged_and_thresholded_at_one_half():
    X = np.random.default_rng(3).standard_normal((15, 4))
    models = members(3, sizes=(4, 5, 1), output="sigmoid")
    probs = average_probabilities(models, X)
    np.testing.assert_allclose(probs, np.mean([m.forward(X) for m in models], axis=0), rtol=1e-12)
    predicted = ensemble_predict(models, X)
    assert predicted.shape == (15,)
    np.testing.assert_array_equal(predicted, (probs[:, 0] > 0.5).astype(np.int64))
    targets = (X[:, 0] > 0).astype(float)
    assert ensemble_accuracy(models, X, targets) == pytest.approx(np.mean(predicted == targets), abs=1e-15)


def test_an_ensemble_of_one_model_is_that_model():
    X = np.random.default_rng(4).standard_normal((30, 4))
    y = np.random.default_rng(5).integers(0, 3, 30)
    (model,) = members(1)
    np.testing.assert_array_equal(average_probabilities([model], X), model.forward(X))
    np.testing.assert_array_equal(ensemble_predict([model], X), model.predict(X))
    assert ensemble_accuracy([model], X, y) == model.accuracy(X, y)


def test_members_run_in_evaluation_mode_so_dropout_does_not_make_the_average_random():
    X = np.random.default_rng(6).standard_normal((10, 4))
    models = [MLP([4, 16, 3], dropout=0.5, seed=s) for s in range(3)]
    np.testing.assert_array_equal(average_probabilities(models, X), average_probabilities(models, X))


# ---- bad input ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("models, error, words", [
    ([], ValueError, "empty"),
    (MLP([4, 6, 3]), TypeError, "wrap a single model"),
    ("mlp", TypeError, "list of course_lib.model.MLP"),
    ([MLP([4, 6, 3]), "not a model"], TypeError, r"models\[1\]"),
    ([MLP([4, 6, 1], output="linear")], ValueError, "linear output"),
    ([MLP([4, 6, 3]), MLP([4, 6, 4])], ValueError, r"models\[1\] maps 4 inputs to 4 outputs"),
    ([MLP([4, 6, 3]), MLP([5, 6, 3])], ValueError, r"models\[1\] maps 5 inputs"),
    ([MLP([4, 6, 2]), MLP([4, 6, 2], output="sigmoid")], ValueError, "sigmoid output"),
])
def test_bad_ensembles_are_rejected_with_a_message_that_names_the_problem(models, error, words):
    with pytest.raises(error, match=words):
        average_probabilities(models, np.zeros((2, 4)))


def test_inputs_of_the_wrong_width_are_rejected_by_name():
    with pytest.raises(ValueError, match="X must have shape"):
        average_probabilities(members(2), np.zeros((3, 5)))


def test_labels_out_of_range_are_rejected_by_name():
    with pytest.raises(ValueError, match="y must lie in"):
        ensemble_accuracy(members(2), np.zeros((2, 4)), [0, 7])


# ---- snapshots ----------------------------------------------------------------------------------------------------

def test_snapshots_are_taken_at_the_end_of_each_restart_cycle_and_keep_that_epochs_weights():
    X = np.random.default_rng(7).standard_normal((40, 4))
    y = np.random.default_rng(8).integers(0, 3, 40)
    model = MLP([4, 8, 3], seed=0)
    schedule = CosineWarmRestarts(lr0=0.5, T_0=2, T_mult=2)  # cycles: epochs 0-1, 2-5, 6-13
    collector = SnapshotCollector(schedule)
    states = []
    fit(model, optim.SGD(model.params, lr=0.5), X, y, epochs=14, batch_size=10, schedule=schedule,
        callbacks=[collector, lambda epoch, history, m: states.append(m.state_dict())], progress=False)
    assert collector.epochs == [1, 5, 13]
    assert len(collector.models) == 3
    for epoch, snapshot in zip(collector.epochs, collector.models):
        for name, value in snapshot.state_dict().items():
            np.testing.assert_array_equal(value, states[epoch][name], err_msg=f"{name} after epoch {epoch}")
        assert snapshot is not model
    # Each snapshot comes from the last, lowest-rate epoch of its cycle.
    assert [schedule(e) < schedule(e - 1) for e in collector.epochs] == [True, True, True]
    assert [schedule(e + 1) for e in collector.epochs] == [0.5, 0.5, 0.5]


def test_snapshots_are_independent_copies_of_the_model():
    X = np.random.default_rng(9).standard_normal((30, 4))
    y = np.random.default_rng(10).integers(0, 3, 30)
    model = MLP([4, 8, 3], seed=1)
    schedule = CosineWarmRestarts(lr0=0.3, T_0=3)
    collector = SnapshotCollector(schedule)
    fit(model, optim.SGD(model.params, lr=0.3), X, y, epochs=6, schedule=schedule, callbacks=[collector],
        progress=False)
    first = collector.models[0].state_dict()
    model.params[0][...] += 1.0
    np.testing.assert_array_equal(collector.models[0].params[0], first["W1"])
    assert collector.epochs == [2, 5]


def test_ends_cycle_follows_the_schedule_and_reset_forgets_the_snapshots():
    collector = SnapshotCollector(CosineWarmRestarts(lr0=0.1, T_0=10, T_mult=1))
    assert [e for e in range(40) if collector.ends_cycle(e)] == [9, 19, 29, 39]
    collector.models.append("placeholder")
    collector.epochs.append(9)
    collector.reset()
    assert collector.models == [] and collector.epochs == []


def test_a_schedule_without_restarts_is_rejected():
    with pytest.raises(TypeError, match="warm restarts"):
        SnapshotCollector(Cosine(lr0=0.1, T_max=10))


def test_the_collector_notices_when_fit_runs_another_schedule():
    X = np.random.default_rng(11).standard_normal((20, 4))
    y = np.random.default_rng(12).integers(0, 3, 20)
    model = MLP([4, 8, 3], seed=2)
    collector = SnapshotCollector(CosineWarmRestarts(lr0=0.1, T_0=2))
    with pytest.raises(ValueError, match="pass the same schedule"):
        fit(model, optim.SGD(model.params, lr=0.1), X, y, epochs=3, schedule=CosineWarmRestarts(lr0=0.2, T_0=2),
            callbacks=[collector], progress=False)


# ---- the point of it all ------------------------------------------------------------------------------------------

def test_a_small_ensemble_is_at_least_as_accurate_as_its_average_member_on_the_digits(digits_split):
    X_train, y_train, X_test, y_test = digits_split
    models = []
    for seed in range(5):
        model = MLP([64, 32, 10], seed=seed)
        fit(model, optim.SGD(model.params, lr=0.05, momentum=0.9), X_train[:300], y_train[:300], epochs=10,
            batch_size=32, seed=seed, progress=False)
        models.append(model)
    member_accuracies = [m.accuracy(X_test, y_test) for m in models]
    assert ensemble_accuracy(models, X_test, y_test) >= np.mean(member_accuracies)


def test_a_snapshot_ensemble_is_at_least_as_accurate_as_its_average_snapshot_on_the_digits(digits_split):
    X_train, y_train, X_test, y_test = digits_split
    model = MLP([64, 32, 10], seed=0)
    schedule = CosineWarmRestarts(lr0=0.2, T_0=8)
    collector = SnapshotCollector(schedule)
    fit(model, optim.SGD(model.params, lr=0.2, momentum=0.9), X_train[:300], y_train[:300], epochs=40,
        batch_size=32, schedule=schedule, callbacks=[collector], progress=False)
    assert collector.epochs == [7, 15, 23, 31, 39]
    snapshot_accuracies = [m.accuracy(X_test, y_test) for m in collector.models]
    assert ensemble_accuracy(collector.models, X_test, y_test) >= np.mean(snapshot_accuracies)
