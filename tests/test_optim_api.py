"""The optimizer interface: state_dict, reset, lr, the flat-buffer fast path, the registry and clear errors."""
import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_optim_reference import RICH, make_problem

from course_lib.optim import OPTIMIZERS, SGD, Adagrad, Adam, NAdam, flat_parameters, make_optimizer
from course_lib.optim import engine
from course_lib.optim.flat import covering_buffer

NAMES = sorted(OPTIMIZERS)


def build(name, params):
    return OPTIMIZERS[name](params, **RICH[name])


def snapshot(arrays):
    return [a.copy() for a in arrays]


# ---- state_dict / load_state_dict / reset ----------------------------------------------------------------------
@pytest.mark.parametrize("layout", ["mixed-shapes", "flat-model"])
@pytest.mark.parametrize("name", NAMES)
def test_loading_a_state_dict_then_stepping_reproduces_the_run(name, layout):
    params, grad_fn = make_problem(layout, np.float64)
    opt = build(name, params)
    for t in range(25):
        opt.step(grad_fn(opt.params, t))
    saved, saved_params = opt.state_dict(), snapshot(opt.params)
    for t in range(25, 50):
        opt.step(grad_fn(opt.params, t))

    if layout == "flat-model":
        _, resumed_params = flat_parameters([p.shape for p in saved_params], np.float64)
        for target, value in zip(resumed_params, saved_params):
            target[...] = value
    else:
        resumed_params = snapshot(saved_params)
    resumed = build(name, resumed_params)
    resumed.load_state_dict(saved)
    assert resumed.step_count == 25
    for t in range(25, 50):
        resumed.step(grad_fn(resumed.params, t))
    for a, b in zip(resumed.params, opt.params):
        np.testing.assert_array_equal(a, b)


def test_state_dict_holds_copies_not_the_live_state():
    params, grad_fn = make_problem("mixed-shapes", np.float64)
    opt = Adam(params, lr=0.01)
    opt.step(grad_fn(opt.params, 0))
    saved = opt.state_dict()
    saved["exp_avg"][0][...] = 123.0
    assert not np.any(opt.exp_avg[0] == 123.0)
    opt.step(grad_fn(opt.params, 1))
    assert saved["step_count"] == 1 and opt.step_count == 2


def test_load_state_dict_restores_the_learning_rate_like_torch():
    params, _ = make_problem("one-matrix", np.float64)
    opt = Adam(params, lr=0.01)
    saved = opt.state_dict()
    opt.lr = 0.5
    opt.load_state_dict(saved)
    assert opt.lr == 0.01


def test_load_state_dict_rejects_another_optimizer_other_hyperparameters_or_shapes_and_changes_nothing():
    params, grad_fn = make_problem("mixed-shapes", np.float64)
    opt = Adam(params, lr=0.01)
    opt.step(grad_fn(opt.params, 0))
    before = opt.state_dict()
    with pytest.raises(ValueError, match="saved by 'SGD'"):
        opt.load_state_dict(SGD(snapshot(params), lr=0.1).state_dict())
    with pytest.raises(ValueError, match="amsgrad"):
        opt.load_state_dict(Adam(snapshot(params), amsgrad=True).state_dict())
    bad = opt.state_dict()
    bad["exp_avg_sq"][3] = np.zeros((2, 2))
    with pytest.raises(ValueError, match=r"state\['exp_avg_sq'\]\[3\] has shape \(2, 2\) but params\[3\] has shape"):
        opt.load_state_dict(bad)
    with pytest.raises(TypeError, match="state must be a dict"):
        opt.load_state_dict([1, 2])
    after = opt.state_dict()
    assert after["step_count"] == before["step_count"]
    for a, b in zip(after["exp_avg"] + after["exp_avg_sq"], before["exp_avg"] + before["exp_avg_sq"]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", NAMES)
def test_reset_makes_the_optimizer_behave_like_a_new_one_on_the_current_params(name):
    params, grad_fn = make_problem("mixed-shapes", np.float64)
    opt = build(name, params)
    for t in range(10):
        opt.step(grad_fn(opt.params, t))
    opt.reset()
    assert opt.step_count == 0
    fresh = build(name, snapshot(opt.params))
    for t in range(10, 20):
        opt.step(grad_fn(opt.params, t))
        fresh.step(grad_fn(fresh.params, t))
    for a, b in zip(opt.params, fresh.params):
        np.testing.assert_array_equal(a, b)


def test_reset_restores_adagrads_initial_accumulator_and_nadams_momentum_product():
    params, grad_fn = make_problem("one-matrix", np.float64)
    adagrad = Adagrad(params, initial_accumulator_value=0.25)
    nadam = NAdam(snapshot(params))
    for opt in (adagrad, nadam):
        opt.step(grad_fn(opt.params, 0))
        opt.reset()
    assert np.all(adagrad.state_sum[0] == 0.25)
    assert nadam.mu_product == 1.0


def test_learning_rate_is_validated_when_set_and_kept_on_error():
    opt = SGD([np.zeros(3)], lr=0.1)
    opt.lr = 0.05
    assert opt.lr == 0.05
    with pytest.raises(ValueError, match="lr must be >= 0"):
        opt.lr = -1.0
    with pytest.raises(TypeError, match="lr"):
        opt.lr = "fast"
    assert opt.lr == 0.05


# ---- the flat-buffer fast path ---------------------------------------------------------------------------------
def count_kernel_calls(opt):
    sizes = []
    kernel = opt._kernel

    def counting(param, grad, *rest):
        sizes.append(param.size)
        return kernel(param, grad, *rest)

    opt._kernel = counting
    return sizes


def test_flat_parameters_gives_views_in_order_that_share_one_buffer():
    flat, (W, b, s) = flat_parameters([(2, 3), 4, ()], np.float32)
    assert flat.shape == (11,) and flat.dtype == np.float32
    assert W.shape == (2, 3) and b.shape == (4,) and s.shape == ()
    W[1, 2], b[0], s[...] = 1.0, 2.0, 3.0
    np.testing.assert_array_equal(flat[[5, 6, 10]], [1.0, 2.0, 3.0])
    assert covering_buffer([W, b, s]) is flat


@pytest.mark.parametrize("name", NAMES)
def test_a_flat_model_with_flat_grads_is_updated_by_one_kernel_call(name):
    params, grad_fn = make_problem("flat-model", np.float64)
    opt = build(name, params)
    sizes = count_kernel_calls(opt)
    opt.step(grad_fn(opt.params, 0))
    assert sizes == [sum(p.size for p in params)]


def test_a_flat_model_with_separate_grad_arrays_falls_back_to_one_call_per_array():
    params, grad_fn = make_problem("flat-model", np.float64)
    opt = Adam(params)
    sizes = count_kernel_calls(opt)
    opt.step([g.copy() for g in grad_fn(opt.params, 0)])
    assert sizes == [p.size for p in params]


@pytest.mark.parametrize("make_views", [
    pytest.param(lambda flat, views: views[::-1], id="out-of-order"),
    pytest.param(lambda flat, views: views[1:], id="not-covering-the-buffer"),
    pytest.param(lambda flat, views: [flat[:6].reshape(2, 3), flat[7:]], id="gap-between-views"),
    pytest.param(lambda flat, views: [flat[::2], flat[1::2]], id="strided-views"),
    pytest.param(lambda flat, views: [flat[:6].reshape(3, 2).T, flat[6:]], id="transposed-view"),
    pytest.param(lambda flat, views: [v.copy() for v in views], id="copies"),
])
def test_arrays_that_do_not_tile_one_buffer_in_order_are_not_mistaken_for_a_flat_model(make_views):
    flat, views = flat_parameters([(2, 3), (5,)], np.float64)
    assert covering_buffer(make_views(flat, views)) is None


def test_flat_and_separate_arrays_take_bitwise_identical_steps_even_with_the_grads_not_flat():
    for name in NAMES:
        flat_params, grad_fn = make_problem("flat-model", np.float64)
        separate = snapshot(flat_params)
        a, b = build(name, flat_params), build(name, separate)
        for t in range(10):
            grads = grad_fn(a.params, t)
            a.step(grads if t % 2 else snapshot(grads))  # alternate the flat and the per-array path
            b.step(snapshot(grad_fn(b.params, t)))
        for x, y in zip(a.params, b.params):
            np.testing.assert_array_equal(x, y, err_msg=name)


def test_the_remembered_grad_buffer_is_used_only_for_the_very_same_arrays():
    """The optimizer remembers the buffer of the last gradient list: passing the same arrays reuses it, but a list
    in which one array was swapped for another (of the same shape) must be read array by array, new values too."""
    _, params = flat_parameters([(2, 3), (4,)], np.float64)
    grad_flat, grads = flat_parameters([(2, 3), (4,)], np.float64)
    grad_flat[:] = np.arange(1.0, 11.0)
    reference_params = [p.copy() for p in params]
    opt, reference = SGD(params, lr=0.1), SGD(reference_params, lr=0.1)
    sizes = count_kernel_calls(opt)
    opt.step(grads)
    opt.step(list(grads))  # a new list of the same arrays: still one call on the buffer
    assert sizes == [10, 10]
    swapped = [grads[0], np.full(4, 100.0)]
    opt.step(swapped)
    assert sizes == [10, 10, 6, 4]
    for g in (grads, grads, swapped):
        reference.step([a.copy() for a in g])
    for x, y in zip(opt.params, reference.params):
        np.testing.assert_array_equal(x, y)
    grad_flat[:] = np.nan  # the same arrays with new values: the finiteness check still sees them
    with pytest.raises(ValueError, match="grads"):
        opt.step(grads)


# ---- bad input: a clear error, and nothing changes -------------------------------------------------------------
def state_of(opt):
    return [a.copy() for a in opt.params], opt.state_dict()


def assert_unchanged(opt, before):
    params, state = before
    for a, b in zip(opt.params, params):
        np.testing.assert_array_equal(a, b)
    after = opt.state_dict()
    assert after["step_count"] == state["step_count"]
    for name in opt.state_names:
        for x, y in zip(after.get(name) or [], state.get(name) or []):
            np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("layout", ["mixed-shapes", "flat-model"])
@pytest.mark.parametrize("name", NAMES)
def test_bad_gradients_raise_before_any_parameter_or_state_changes(name, layout):
    params, grad_fn = make_problem(layout, np.float64)
    opt = build(name, params)
    opt.step(grad_fn(opt.params, 0))
    before = state_of(opt)
    n = len(params)

    with pytest.raises(ValueError, match=f"expected {n} gradients"):
        opt.step(grad_fn(opt.params, 1)[:-1])
    wrong_shape = snapshot(grad_fn(opt.params, 1))
    wrong_shape[-1] = np.zeros(wrong_shape[-1].shape + (2,))
    last = f"grads\\[{n - 1}\\] has shape .* but params\\[{n - 1}\\] has shape"
    with pytest.raises(ValueError, match=last):
        opt.step(wrong_shape)
    grads = grad_fn(opt.params, 1)  # for the flat model these are views of one buffer: poison that buffer
    grads[-1][...] = np.nan
    with pytest.raises(ValueError, match=f"grads\\[{n - 1}\\] contains a non-finite value \\(nan\\)"):
        opt.step(grads)
    grads = snapshot(grad_fn(opt.params, 1))
    grads[0] = np.full(grads[0].shape, np.inf)
    with pytest.raises(ValueError, match=r"grads\[0\] contains a non-finite value \(inf\)"):
        opt.step(grads)
    grads = snapshot(grad_fn(opt.params, 1))
    grads[-1] = grads[-1].astype(np.int64)
    with pytest.raises(TypeError, match=f"grads\\[{n - 1}\\] must hold floating-point numbers"):
        opt.step(grads)
    with pytest.raises(TypeError, match="grads must be a list of arrays"):
        opt.step(grads[0])
    assert_unchanged(opt, before)


def test_gradients_of_another_float_dtype_or_nested_lists_are_accepted():
    p = np.zeros((2, 2), np.float32)
    opt = SGD([p], lr=1.0)
    opt.step([np.ones((2, 2), np.float16)])
    opt.step([[[1.0, 1.0], [1.0, 1.0]]])
    assert p.dtype == np.float32
    np.testing.assert_array_equal(p, -2.0)


@pytest.mark.parametrize("params, error, message", [
    pytest.param(np.zeros(3), TypeError, "wrap a single array", id="a-bare-array"),
    pytest.param([[0.0, 1.0]], TypeError, r"params\[0\] must be a NumPy array", id="a-list"),
    pytest.param([np.zeros(3, np.int64)], TypeError, r"params\[0\] must have dtype float32 or float64", id="ints"),
    pytest.param([np.zeros(3, np.float16)], TypeError, "float16", id="float16"),
    pytest.param([], ValueError, "params is empty", id="empty"),
    pytest.param([np.zeros((4, 4))[:, 1]], ValueError, r"params\[0\] is not contiguous", id="strided"),
    pytest.param([np.broadcast_to(np.zeros(3), (2, 3))], ValueError, "read-only", id="read-only"),
    pytest.param(None, TypeError, "params must be a list", id="none"),
])
def test_params_that_cannot_be_updated_in_place_are_rejected(params, error, message):
    with pytest.raises(error, match=message):
        Adam(params)


def test_the_same_array_twice_is_rejected():
    w = np.zeros(3)
    with pytest.raises(ValueError, match=r"params\[1\] appears more than once"):
        SGD([w, w], lr=0.1)


@pytest.mark.parametrize("name, hyper, error, message", [
    ("sgd", dict(lr=-0.1), ValueError, "lr must be >= 0"),
    ("sgd", dict(lr=0.1, momentum=1.0), ValueError, "momentum must be < 1"),
    ("sgd", dict(lr=0.1, nesterov=True), ValueError, "nesterov=True needs momentum > 0"),
    ("sgd", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError, "dampening = 0"),
    ("sgd", dict(lr=0.1, nesterov=1), TypeError, "nesterov must be True or False"),
    ("momentum", dict(lr=0.1, beta=-0.1), ValueError, "beta must be >= 0"),
    ("adagrad", dict(eps=0.0), ValueError, "eps must be > 0"),
    ("adagrad", dict(initial_accumulator_value=-1.0), ValueError, "initial_accumulator_value must be >= 0"),
    ("rmsprop", dict(alpha=1.0), ValueError, "alpha must be < 1"),
    ("adadelta", dict(rho=1.5), ValueError, "rho must be <= 1"),
    ("adam", dict(betas=(0.9, 1.0)), ValueError, r"betas\[1\] must be < 1"),
    ("adam", dict(betas=0.9), TypeError, "betas must be a pair"),
    ("adam", dict(weight_decay=float("nan")), ValueError, "weight_decay must be finite"),
    ("adamw", dict(amsgrad="yes"), TypeError, "amsgrad must be True or False"),
    ("nadam", dict(momentum_decay=-1e-3), ValueError, "momentum_decay must be >= 0"),
])
def test_hyperparameters_are_validated_with_messages_naming_them(name, hyper, error, message):
    with pytest.raises(error, match=message):
        make_optimizer(name, [np.zeros(3)], **hyper)


# ---- registry --------------------------------------------------------------------------------------------------
def test_registry_names_every_method_in_lowercase():
    assert set(OPTIMIZERS) == {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamw",
                               "adamax", "nadam"}
    assert make_optimizer("nesterov", [np.zeros(2)], lr=0.1).nesterov is True
    assert type(make_optimizer("AdamW", [np.zeros(2)])).__name__ == "AdamW"
    assert make_optimizer("adam", [np.zeros(2)], lr=0.02, betas=(0.8, 0.9)).betas == (0.8, 0.9)


def test_make_optimizer_explains_an_unknown_name_or_hyperparameter():
    with pytest.raises(ValueError, match="unknown optimizer 'adamm'; choose one of 'sgd'"):
        make_optimizer("adamm", [np.zeros(2)])
    with pytest.raises(TypeError, match="Momentum .'momentum'.*momentum"):
        make_optimizer("momentum", [np.zeros(2)], lr=0.1, momentum=0.9)
    with pytest.raises(TypeError, match="lr"):
        make_optimizer("sgd", [np.zeros(2)])


# ---- properties ------------------------------------------------------------------------------------------------
shapes = st.lists(st.lists(st.integers(0, 4), min_size=0, max_size=3).map(tuple), min_size=1, max_size=4)


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(NAMES), shapes=shapes, dtype=st.sampled_from([np.float32, np.float64]),
       flat=st.booleans(), seed=st.integers(0, 2**16), scale=st.floats(1e-6, 1e4))
def test_random_shapes_and_values_never_crash_and_keep_dtype_shape_and_finiteness(name, shapes, dtype, flat, seed,
                                                                                    scale):
    rng = np.random.default_rng(seed)
    if flat:
        _, params = flat_parameters(shapes, dtype)
    else:
        params = [np.zeros(s, dtype) for s in shapes]
    for p in params:
        p[...] = rng.standard_normal(p.shape)
    opt = make_optimizer(name, params, **({"lr": 0.01} if name in ("sgd", "momentum", "nesterov") else {}))
    for _ in range(3):
        opt.step([(rng.standard_normal(s) * scale).astype(dtype) for s in shapes])
    for p, s in zip(opt.params, shapes):
        assert p.dtype == dtype and p.shape == s
        assert np.all(np.isfinite(p))


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(NAMES),
       grad=st.one_of(st.just(None), st.just("text"), st.just(np.array(["a"])), st.just(np.ones(3, complex)),
                      st.just(np.ones(3, bool)), st.just(np.ones(2)), st.just(np.ones((3, 1))),
                      st.just([1.0, float("nan"), 0.0]), st.just(np.array([np.inf, 0.0, 0.0], np.float32))))
def test_any_bad_gradient_gives_a_type_or_value_error_and_leaves_params_alone(name, grad):
    w = np.arange(3.0)
    opt = make_optimizer(name, [w], **({"lr": 0.01} if name in ("sgd", "momentum", "nesterov") else {}))
    with pytest.raises((TypeError, ValueError), match=r"grads\[0\]"):
        opt.step([grad])
    np.testing.assert_array_equal(w, np.arange(3.0))


# ---- the threaded path for large arrays (course_lib.optim.engine) ------------------------------------------------
@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="Numba may use only one thread here")
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", NAMES)
def test_the_threaded_copy_of_every_rule_takes_bitwise_the_same_steps(name, dtype, monkeypatch):
    """Above PARALLEL_MIN_SIZE a step runs the rule's `prange` loop on several threads: element by element the
    same arithmetic, so the same bits as the single-core copy (here the threshold is lowered to a small model)."""
    rng = np.random.default_rng(3)
    start = rng.standard_normal(1000).astype(dtype)
    grads = [rng.standard_normal(1000).astype(dtype) for _ in range(5)]
    monkeypatch.setattr(engine, "_threads", 2)
    monkeypatch.setattr(engine, "_machine_is_busy", lambda: False)  # (a busy machine keeps steps on one core)
    runs = []
    for threshold in (10**9, 1):  # single-core, then threaded
        monkeypatch.setattr(engine, "PARALLEL_MIN_SIZE", threshold)
        assert engine._use_threads(start.size) == (threshold == 1)
        opt = build(name, [start.copy()])
        for g in grads:
            opt.step([g])
        runs.append(opt.params[0])
    np.testing.assert_array_equal(runs[0], runs[1])


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="Numba may use only one thread here")
def test_the_finiteness_check_is_threaded_from_its_own_size_and_finds_nan_and_inf_either_way(monkeypatch):
    """The gradient check does little per entry, so it starts threads only from CHECK_PARALLEL_MIN_SIZE entries
    (above the rules' PARALLEL_MIN_SIZE); below and above it gives the same answer."""
    assert engine.CHECK_PARALLEL_MIN_SIZE > engine.PARALLEL_MIN_SIZE
    monkeypatch.setattr(engine, "_threads", 2)
    monkeypatch.setattr(engine, "_machine_is_busy", lambda: False)
    threaded_calls = []
    parallel = engine._count_not_finite_parallel
    monkeypatch.setattr(engine, "_count_not_finite_parallel", lambda x: threaded_calls.append(x.size) or parallel(x))
    for threshold in (1001, 1000):  # one core, then threads
        monkeypatch.setattr(engine, "CHECK_PARALLEL_MIN_SIZE", threshold)
        for dtype in (np.float32, np.float64):
            x = np.ones(1000, dtype=dtype)
            assert engine.all_finite(x)
            for bad in (np.nan, np.inf, -np.inf):
                x[637] = bad
                assert not engine.all_finite(x)
                x[637] = 1.0
        assert len(threaded_calls) == (0 if threshold == 1001 else 8)


def test_threaded_copies_runs_every_rule_threaded_on_a_tiny_array_to_compile_it_ahead(monkeypatch):
    """`course warmup` can compile the threaded copies with `engine.threaded_copies()`: inside the block a rule
    and the gradient check take their threaded copy whatever the size, thread count or load; after it, not."""
    monkeypatch.setattr(engine, "_threads", 1)
    assert not engine._use_threads(10**9)
    calls = []
    rule = Adam._kernel
    parallel = rule.parallel
    monkeypatch.setattr(rule, "parallel", lambda *args: calls.append(args[0].size) or parallel(*args))
    w = np.ones(5)
    with engine.threaded_copies():
        assert engine._use_threads(1) and engine._use_threads(1, engine.CHECK_PARALLEL_MIN_SIZE)
        Adam([w]).step([np.full(5, 0.5)])
    assert calls == [5]
    assert not engine._use_threads(10**9)
    Adam([w]).step([np.full(5, 0.5)])
    assert calls == [5]


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="Numba may use only one thread here")
def test_a_threaded_step_restores_the_course_thread_count_after_someone_changed_numbas(monkeypatch):
    """The engine reads Numba's thread count cheaply and sets it only when it differs, so a count changed
    elsewhere (numba.set_num_threads(1) in a notebook) is still put back before a threaded step."""
    monkeypatch.setattr(engine, "_threads", 2)
    monkeypatch.setattr(engine, "_machine_is_busy", lambda: False)
    before = numba.get_num_threads()
    try:
        assert engine._use_threads(10**9) and numba.get_num_threads() == 2
        numba.set_num_threads(1)
        assert engine._use_threads(10**9) and numba.get_num_threads() == 2
    finally:
        numba.set_num_threads(before)


def test_a_busy_machine_keeps_large_steps_on_one_core(monkeypatch):
    monkeypatch.setattr(engine, "_threads", 2)
    monkeypatch.setattr(engine, "_load", {"checked": -1.0, "busy": False})
    monkeypatch.setattr(engine.os, "getloadavg", lambda: (engine._cores() + 1.0, 0.0, 0.0))
    assert not engine._use_threads(10**8)
    monkeypatch.setattr(engine, "_load", {"checked": -1.0, "busy": False})
    monkeypatch.setattr(engine.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert engine._use_threads(10**8) == (numba.config.NUMBA_NUM_THREADS > 1)
    assert not engine._use_threads(engine.PARALLEL_MIN_SIZE - 1)


def test_the_thread_count_respects_the_course_setting_numba_and_pytest_xdist(monkeypatch):
    cores = min(engine._cores(), numba.config.NUMBA_NUM_THREADS)
    for var in ("COURSE_NUM_THREADS", "PYTEST_XDIST_WORKER_COUNT"):
        monkeypatch.delenv(var, raising=False)
    assert engine._default_threads() == cores
    monkeypatch.setenv("COURSE_NUM_THREADS", "1")
    assert engine._default_threads() == 1
    monkeypatch.setenv("COURSE_NUM_THREADS", "1000")
    assert engine._default_threads() == cores  # never more than the cores and NUMBA_NUM_THREADS
    monkeypatch.delenv("COURSE_NUM_THREADS")
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", str(2 * cores))
    assert engine._default_threads() == 1  # workers share the cores instead of each taking all of them
    saved = engine.threads()
    try:
        assert engine.set_threads(10**6) == numba.config.NUMBA_NUM_THREADS
        with pytest.raises(ValueError, match="positive integer"):
            engine.set_threads(0)
    finally:
        engine.set_threads(saved)


@pytest.mark.parametrize("module", ["sgd", "momentum", "adagrad", "rmsprop", "adadelta", "adam", "adamax", "nadam"])
def test_every_update_rule_module_ends_by_naming_the_assignment_part_where_students_write_it(module):
    import importlib
    import re
    from pathlib import Path

    doc = importlib.import_module(f"course_lib.optim.{module}").__doc__.strip()
    last = doc.split("\n\n")[-1]
    match = re.search(r"assignment (\d\d), Part (\w+)", last)
    assert match, f"optim/{module}.py's docstring does not end by naming the assignment part: {last!r}"
    number = match.group(1)
    notebooks = list((Path(__file__).resolve().parents[1] / "solutions").glob(f"{number}_*/*.ipynb"))
    assert len(notebooks) == 1
    source = notebooks[0].read_text()
    for part in re.findall(r"Part (\w+)", last):
        assert re.search(rf"## Part {part}\b", source), f"assignment {number} has no Part {part}"
