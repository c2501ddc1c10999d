"""Learning-rate schedules: closed forms, the lectures' tables, PyTorch's schedulers, and clear errors.

Every schedule is ``lr = sched(epoch)`` with epochs counted from 0, the rate used during that epoch. The PyTorch
references step the scheduler once per epoch and read ``optimizer.param_groups[0]["lr"]`` before each epoch.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import requires_torch
from course_lib import schedules as S

RTOL = 1e-12  # float64 schedules against references computed another way
EPOCHS = np.arange(500)

rates = st.floats(1e-4, 1.0)
factors = st.floats(0.05, 1.0)


def values(schedule, n=len(EPOCHS)):
    return np.array([schedule(e) for e in range(n)])


# --------------------------------------------------------------------------------------------------------------------
# Closed forms, each written here independently (vectorised NumPy) and compared over many epochs
# --------------------------------------------------------------------------------------------------------------------

@settings(max_examples=30, deadline=None)
@given(lr0=rates, drop=factors, every=st.integers(1, 40))
def test_step_decay_multiplies_by_drop_after_every_block_of_epochs(lr0, drop, every):
    expected = lr0 * drop ** np.floor(EPOCHS / every)
    np.testing.assert_allclose(values(S.StepDecay(lr0, drop, every)), expected, rtol=RTOL)


def test_step_decay_halves_at_epochs_10_20_30_like_the_lecture():
    sched = S.StepDecay(0.1, 0.5, 10)
    assert [sched(e) for e in (0, 9, 10, 19, 20, 30)] == [0.1, 0.1, 0.05, 0.05, 0.025, 0.0125]


@settings(max_examples=30, deadline=None)
@given(lr0=rates, gamma=factors, marks=st.lists(st.integers(1, 400), min_size=1, max_size=5, unique=True))
def test_multistep_multiplies_by_gamma_once_per_milestone_passed(lr0, gamma, marks):
    marks = sorted(marks)
    expected = lr0 * gamma ** np.searchsorted(marks, EPOCHS, side="right")
    np.testing.assert_allclose(values(S.MultiStep(lr0, marks, gamma)), expected, rtol=RTOL)


@settings(max_examples=30, deadline=None)
@given(lr0=rates, gamma=st.floats(0.5, 1.0))
def test_exponential_is_gamma_to_the_epoch(lr0, gamma):
    expected = lr0 * np.exp(EPOCHS * np.log(gamma))
    np.testing.assert_allclose(values(S.Exponential(lr0, gamma)), expected, rtol=RTOL)


def test_lecture_method_2_is_exponential_with_gamma_095():
    sched = S.Exponential(0.2, 0.95)
    for n_e in (0, 1, 5, 40):
        assert sched(n_e) == pytest.approx(0.95**n_e * 0.2, rel=RTOL)


def test_exponential_with_exp_minus_k_is_the_other_lectures_alpha0_exp_minus_kt():
    k = 0.3
    sched = S.Exponential(0.1, math.exp(-k))
    np.testing.assert_allclose(values(sched, 200), 0.1 * np.exp(-k * np.arange(200)), rtol=1e-12)


def test_inverse_time_reproduces_the_lectures_method_1_table():
    # Deck 000, Method 1, alpha_0 = 0.2, delta = 1. Its row "Epoch N_e" is the rate after N_e completed epochs,
    # which is our (0-based) epoch N_e; our epoch 0 runs with the undecayed 0.2.
    sched = S.InverseTime(0.2, 1)
    table = {1: 0.1, 2: 0.2 / 3, 3: 0.05, 4: 0.2 / 5}
    for n_e, alpha in table.items():
        assert sched(n_e) == pytest.approx(alpha, rel=1e-15)
    assert sched(0) == 0.2


@settings(max_examples=30, deadline=None)
@given(lr0=rates, decay=st.floats(0.0, 10.0))
def test_inverse_time_is_lr0_over_one_plus_decay_times_epoch(lr0, decay):
    np.testing.assert_allclose(values(S.InverseTime(lr0, decay)), lr0 / (1 + decay * EPOCHS), rtol=RTOL)


@settings(max_examples=30, deadline=None)
@given(lr0=rates, k=st.floats(0.1, 10.0))
def test_inverse_sqrt_is_k_lr0_over_root_of_the_lectures_one_based_epoch(lr0, k):
    n_e = EPOCHS + 1  # the lecture's epoch count starts at 1
    np.testing.assert_allclose(values(S.InverseSqrt(lr0, k)), k * lr0 / np.sqrt(n_e), rtol=RTOL)


@settings(max_examples=30, deadline=None)
@given(lr0=rates, ratio=st.floats(0.0, 1.0), n=st.integers(1, 300))
def test_linear_interpolates_to_lr_final_in_n_epochs_then_stays(lr0, ratio, n):
    lr_final = ratio * lr0
    sched = S.Linear(lr0, lr_final, n)
    np.testing.assert_allclose(values(sched), np.interp(EPOCHS, [0, n], [lr0, lr_final]), rtol=RTOL, atol=1e-15)
    assert sched(0) == lr0
    assert sched(n) == lr_final and sched(n + 123) == lr_final


def test_table_uses_the_rate_of_the_largest_epoch_not_after_this_one():
    sched = S.Table({30: 0.01, 0: 0.1, 60.0: 0.001})
    expected = {0: 0.1, 29: 0.1, 30: 0.01, 59: 0.01, 60: 0.001, 1000: 0.001}
    assert {e: sched(e) for e in expected} == expected


@settings(max_examples=30, deadline=None)
@given(lr0=rates, ratio=st.floats(0.0, 0.9), t_max=st.integers(1, 200))
def test_cosine_anneals_from_lr0_to_lr_min_in_t_max_epochs(lr0, ratio, t_max):
    lr_min = ratio * lr0
    sched = S.Cosine(lr0, t_max, lr_min)
    expected = lr_min + (lr0 - lr_min) * (1 + np.cos(np.pi * EPOCHS / t_max)) / 2
    np.testing.assert_allclose(values(sched), expected, rtol=1e-11, atol=1e-15 * lr0)
    assert sched(0) == pytest.approx(lr0, rel=1e-15)
    assert sched(t_max) == pytest.approx(lr_min, abs=1e-15 * lr0)


def test_cosine_after_t_max_climbs_back_symmetrically_like_pytorch():
    sched = S.Cosine(0.1, 20, 0.001)
    for k in range(1, 21):
        assert sched(20 + k) == pytest.approx(sched(20 - k), rel=1e-12)
    assert sched(40) == pytest.approx(0.1, rel=1e-15)


def _sgdr_reference(lr0, t_0, t_mult, lr_min, n):
    """Cycles laid end to end: each is a half cosine over T_i epochs, T_i = T_0 T_mult^i."""
    pieces, t_i = [], t_0
    while sum(len(p) for p in pieces) < n:
        pieces.append(lr_min + (lr0 - lr_min) * (1 + np.cos(np.pi * np.arange(t_i) / t_i)) / 2)
        t_i *= t_mult
    return np.concatenate(pieces)[:n]


@pytest.mark.parametrize("t_0, t_mult", [(10, 1), (7, 1), (10, 2), (3, 3), (1, 2)])
def test_cosine_warm_restarts_lays_growing_cosine_cycles_end_to_end(t_0, t_mult):
    sched = S.CosineWarmRestarts(0.1, t_0, t_mult, lr_min=0.002)
    np.testing.assert_allclose(values(sched), _sgdr_reference(0.1, t_0, t_mult, 0.002, len(EPOCHS)), rtol=RTOL)


def test_cosine_warm_restarts_jumps_back_to_lr0_at_epochs_10_30_70():
    sched = S.CosineWarmRestarts(0.1, 10, T_mult=2)
    for restart in (10, 30, 70, 150):
        assert sched(restart) == 0.1
        assert sched(restart - 1) < 0.01
    assert sched.cycle(45) == (15, 40)


@settings(max_examples=30, deadline=None)
@given(base=st.floats(1e-4, 0.1), span=st.floats(0.0, 1.0), step=st.integers(1, 50))
def test_cyclic_is_a_triangle_wave_between_base_and_max(base, span, step):
    top = base + span
    phase = EPOCHS % (2 * step)
    expected = np.where(phase <= step, base + span * phase / step, top - span * (phase - step) / step)
    np.testing.assert_allclose(values(S.Cyclic(base, top, step)), expected, rtol=RTOL, atol=1e-15)


def test_cyclic_peaks_at_odd_multiples_of_step_size():
    sched = S.Cyclic(0.01, 0.1, 5)
    assert [sched(e) for e in (0, 5, 10, 15, 20)] == [0.01, 0.1, 0.01, 0.1, 0.01]


@pytest.mark.parametrize("total, pct", [(100, 0.3), (37, 0.25), (10, 0.5), (1000, 0.1)])
def test_one_cycle_rises_to_max_lr_then_anneals_to_initial_over_final_div(total, pct):
    sched = S.OneCycle(0.2, total, pct, div_factor=20, final_div_factor=100)
    got = values(sched, total)
    peak = pct * total - 1  # PyTorch's phase boundary (a float)
    e = np.arange(total)
    up = 0.2 + (0.01 - 0.2) * (1 + np.cos(np.pi * e / peak)) / 2
    down = 1e-4 + (0.2 - 1e-4) * (1 + np.cos(np.pi * (e - peak) / (total - 1 - peak))) / 2
    np.testing.assert_allclose(got, np.where(e <= peak, up, down), rtol=RTOL)
    assert got[0] == pytest.approx(0.2 / 20, rel=1e-15)
    assert got[-1] == pytest.approx(0.2 / 20 / 100, rel=1e-12)
    assert got.max() <= 0.2 and np.argmax(got) in (math.floor(peak), math.ceil(peak))


def test_one_cycle_is_defined_only_for_total_steps_epochs():
    sched = S.OneCycle(0.1, 50)
    assert sched.max_epoch == 49
    with pytest.raises(ValueError, match="defined for epochs 0 to 49, got epoch 50"):
        sched(50)


@settings(max_examples=30, deadline=None)
@given(w=st.integers(1, 30), start=st.floats(0.01, 1.0), lr0=rates)
def test_warmup_ramps_linearly_to_the_wrapped_schedules_start_then_runs_it_shifted(w, start, lr0):
    inner = S.StepDecay(lr0, 0.5, 7)
    sched = S.Warmup(inner, w, start)
    ramp = [sched(e) for e in range(w + 1)]
    np.testing.assert_allclose(ramp, lr0 * (start + (1 - start) * np.arange(w + 1) / w), rtol=RTOL)
    np.testing.assert_allclose(np.diff(ramp), (1 - start) * lr0 / w, rtol=1e-9, atol=1e-15)
    for e in range(w, w + 60):
        assert sched(e) == inner(e - w)


def test_warmup_of_one_cycle_ends_where_one_cycle_ends():
    sched = S.Warmup(S.OneCycle(0.1, 40), 5)
    assert sched.max_epoch == 44
    with pytest.raises(ValueError, match="defined for epochs 0 to 44"):
        sched(45)


def test_keras_step_drop_reproduces_the_lectures_formula_and_drops_one_epoch_before_steplr():
    sched = S.keras_step_drop()  # lecture: 0.1 * 0.5 ** floor((1 + epoch) / 10.0)
    for epoch in range(100):
        assert sched(epoch) == 0.1 * math.pow(0.5, math.floor((1 + epoch) / 10.0))
        assert sched(epoch) == S.StepDecay(0.1, 0.5, 10)(epoch + 1)
    assert sched(8) == 0.1 and sched(9) == 0.05  # first drop after 9 epochs; StepLR's after 10
    assert S.StepDecay(0.1, 0.5, 10)(9) == 0.1


def test_keras_constant_then_exponential_holds_0001_through_epoch_10_then_shrinks_by_exp_minus_01():
    sched = S.keras_constant_then_exponential()
    assert all(sched(e) == 0.001 for e in range(11))
    for e in range(11, 100):
        assert sched(e) / sched(e - 1) == pytest.approx(math.exp(-0.1), rel=1e-12)
        assert sched(e) == pytest.approx(0.001 * math.exp(0.1 * (10 - e)), rel=1e-15)


def test_constant_never_changes():
    assert set(values(S.Constant(0.05), 300)) == {0.05}


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(sorted(S.SCHEDULES)), epoch=st.integers(0, 10**6))
def test_every_registered_schedule_returns_a_positive_finite_python_float(name, epoch):
    sched = S.SCHEDULES[name](**S.SCHEDULES[name].defaults)
    if sched.max_epoch is not None:
        epoch = epoch % (sched.max_epoch + 1)
    lr = sched(epoch)
    assert type(lr) is float and math.isfinite(lr) and lr >= 0


@pytest.mark.parametrize("name", sorted(S.SCHEDULES))
def test_registry_classes_build_from_their_defaults_and_repr_rebuilds_them(name):
    cls = S.SCHEDULES[name]
    sched = cls(**cls.defaults)
    assert sched.params() == {k: (tuple(v) if isinstance(v, list) else v) for k, v in cls.defaults.items()}
    rebuilt = eval(repr(sched), vars(S))
    assert type(rebuilt) is cls and rebuilt.params() == sched.params()
    assert [rebuilt(e) for e in range(50)] == [sched(e) for e in range(50)]


def test_epoch_accepts_numpy_and_whole_float_epochs():
    sched = S.InverseTime(0.2, 1)
    assert sched(np.int64(3)) == sched(3.0) == sched(3)


# --------------------------------------------------------------------------------------------------------------------
# Stateful schedules
# --------------------------------------------------------------------------------------------------------------------

def test_reduce_on_plateau_decisions_on_a_hand_worked_cost_sequence():
    sched = S.ReduceOnPlateau(1.0, factor=0.5, patience=1, threshold=0.1, cooldown=2, min_lr=0.2)
    # An improvement needs cost < 0.9 * best. More than 1 bad epoch -> halve, then 2 epochs of cooldown.
    costs = [10, 9.5, 9.2,      # best 10; two bad epochs -> 0.5
             9.9, 9.9,          # cooldown: not counted
             9.9, 8.0, 7.5,     # one bad; 8.0 improves (best 8); 7.5 is not < 7.2: bad
             math.nan,          # NaN counts as bad: second bad epoch -> 0.25
             7.0, 7.0, 7.0,     # 7.0 < 7.2 improves (in cooldown), cooldown, bad
             7.0,               # second bad -> max(0.125, min_lr 0.2) = 0.2
             7.0, 7.0, 7.0, 7.0]  # cooldown, cooldown, bad, bad -> already at min_lr: stays 0.2
    expected_next = [1, 1, .5, .5, .5, .5, .5, .5, .25, .25, .25, .25, .2, .2, .2, .2, .2]
    got = [sched.step(c) for c in costs]
    assert got == expected_next
    assert sched.history == [1.0] + expected_next[:-1]
    assert sched.best == 7.0


def test_reduce_on_plateau_never_reduces_while_the_cost_keeps_improving():
    sched = S.ReduceOnPlateau(0.1, patience=0)
    assert {sched.step(1.0 / (e + 1)) for e in range(50)} == {0.1}


def test_babysitter_halves_and_asks_for_a_redo_when_the_cost_rises():
    sched = S.Babysitter(0.4, initial_cost=10.0)
    assert sched.step(9.0) == 0.4 and sched.redo is False      # went down: accepted
    assert sched.step(9.5) == 0.2 and sched.redo is True       # went up: halve, rerun the epoch
    assert sched.step(9.2) == 0.1 and sched.redo is True       # still above 9.0: halve again
    assert sched.step(8.0) == 0.1 and sched.redo is False      # the rerun worked
    assert sched.step(8.0) == 0.1 and sched.redo is False      # equal cost is not a rise (C <= C_before)
    assert sched.step(math.nan) == 0.05 and sched.redo is True  # a diverged epoch is a rise
    assert sched.history == [0.4, 0.1, 0.1] and sched.redos == 3
    assert [sched(e) for e in range(4)] == [0.4, 0.1, 0.1, 0.05]


def test_babysitter_accepts_the_first_epoch_without_an_initial_cost():
    sched = S.Babysitter(0.1)
    assert sched.step(1e6) == 0.1 and sched.redo is False


def test_babysitter_stops_halving_at_min_lr_so_the_loop_ends():
    sched = S.Babysitter(1.0, min_lr=0.25, initial_cost=1.0)
    assert [sched.step(2.0) for _ in range(2)] == [0.5, 0.25] and sched.redo is True
    assert sched.step(2.0) == 0.25 and sched.redo is False
    with pytest.raises(ValueError, match="diverges at every rate"):
        sched.step(math.inf)


def test_babysitter_rescues_gradient_descent_that_diverges_on_a_parabola():
    # C(x) = x^2, step x <- x - lr * 2x. lr = 1.5 doubles |x| (cost rises); lr = 0.75 halves it.
    x, sched = np.array([1.0]), S.Babysitter(1.5, initial_cost=1.0)
    for _ in range(20):
        saved = x.copy()
        while True:
            x -= sched.lr * 2 * x
            sched.step(float(x @ x))
            if not sched.redo:
                break
            x[:] = saved
    assert sched.lr == 0.75 and sched.redos == 1
    assert abs(x[0]) == 0.5**20


@pytest.mark.parametrize("make", [lambda: S.ReduceOnPlateau(0.1), lambda: S.Babysitter(0.1)])
def test_stateful_schedules_answer_for_seen_epochs_and_refuse_the_future(make):
    sched = make()
    assert S.is_stateful(sched) and sched(0) == 0.1
    sched.step(1.0)
    assert sched(1) == sched.lr and sched.max_epoch == 1
    with pytest.raises(ValueError, match="stateful: its rate for epoch 2 depends on costs not seen yet"):
        sched(2)


def test_is_stateful_tells_functions_of_the_epoch_apart():
    assert not S.is_stateful(S.Cosine(0.1, 10))
    assert not S.is_stateful(lambda epoch: 0.1)
    with pytest.raises(TypeError, match="schedule must be a schedule"):
        S.is_stateful(0.1)


# --------------------------------------------------------------------------------------------------------------------
# Robbins-Monro conditions
# --------------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("schedule, sum_diverges, squares_converge", [
    (S.InverseTime(0.1, 1.0), True, True),     # 1/t: both hold
    (S.Constant(0.1), True, False),            # sum of squares grows linearly
    (S.Exponential(0.1, 0.95), False, True),   # geometric series: finite total step length
    (S.InverseSqrt(0.1), True, False),         # squares are a harmonic series
    (S.Cosine(0.1, 50), True, False),          # periodic after T_max: like a constant on average
    (S.Linear(0.1, 0.0, 100), False, True),    # stops at zero
])
def test_robbins_monro_verdicts_match_the_known_series(schedule, sum_diverges, squares_converge):
    report = S.robbins_monro(schedule, epochs=10**5)
    assert (report.sum_diverges, report.sum_squared_converges) == (sum_diverges, squares_converge)
    assert report.satisfied == (sum_diverges and squares_converge)
    assert ("satisfied." if report.satisfied else "not satisfied.") in report.reasoning
    assert S.satisfies_robbins_monro(schedule, epochs=10**4) == report.satisfied


def test_robbins_monro_reports_the_partial_sums_at_each_power_of_ten():
    report = S.robbins_monro(S.InverseTime(1.0, 1.0), epochs=10**4)
    assert report.checkpoints == (10, 100, 1000, 10**4)
    for n, s, s2 in zip(report.checkpoints, report.sum_lr, report.sum_lr_squared):
        assert s == pytest.approx(math.fsum(1 / k for k in range(1, n + 1)), rel=1e-12)     # harmonic number H_n
        assert s2 == pytest.approx(math.fsum(1 / k**2 for k in range(1, n + 1)), rel=1e-12)
    h = dict(zip(report.checkpoints, report.sum_lr))
    assert report.growth_lr == pytest.approx((h[10**4] - h[1000]) / (h[1000] - h[100]), rel=1e-12)
    assert report.growth_lr == pytest.approx(1.0, abs=1e-2)          # H_n grows by ~ln 10 every decade
    assert report.growth_lr_squared == pytest.approx(0.1, rel=1e-2)  # tail of sum 1/k^2 ~ 1/n
    assert "1000" in str(report) and "sum alpha^2" in str(report)


# --------------------------------------------------------------------------------------------------------------------
# Plotting
# --------------------------------------------------------------------------------------------------------------------

def test_plot_schedules_draws_each_schedule_in_its_own_okabe_ito_colour():
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_hex

    from course_lib.plots import PALETTE

    scheds = {"step": S.StepDecay(0.1, 0.5, 10), "cosine": S.Cosine(0.1, 60), "1cycle": S.OneCycle(0.1, 30)}
    fig, ax, lines = S.plot_schedules(scheds, epochs=60)
    try:
        assert [line.get_label() for line in lines] == list(scheds)
        for line, sched in zip(lines, scheds.values()):
            n = len(line.get_xdata())
            assert n == (30 if isinstance(sched, S.OneCycle) else 60)
            np.testing.assert_array_equal(line.get_ydata(), values(sched, n))
        colours = [to_hex(line.get_color()).upper() for line in lines]
        assert colours == [c.upper() for c in PALETTE[:3]]
        assert ax.get_xlabel() == "epoch" and "learning rate" in ax.get_ylabel()
        assert ax.get_legend() is not None and ax.get_yscale() == "linear"
    finally:
        plt.close(fig)


def test_plot_schedules_reuses_an_axes_and_can_use_a_log_scale():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    try:
        fig2, ax2, lines = S.plot_schedules([S.Exponential(0.1, 0.9), S.InverseTime(0.1, 1)], epochs=30, ax=ax,
                                            log=True)
        assert fig2 is fig and ax2 is ax and ax.get_yscale() == "log" and len(lines) == 2
        assert lines[0].get_label().startswith("Exponential(")
    finally:
        plt.close(fig)


# --------------------------------------------------------------------------------------------------------------------
# Bad arguments raise errors that name the argument and the problem
# --------------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("make, error, message", [
    (lambda: S.StepDecay(0, 0.5, 10), ValueError, "lr0 must be > 0"),
    (lambda: S.StepDecay("0.1", 0.5, 10), TypeError, "lr0 must be a real number"),
    (lambda: S.StepDecay(0.1, 1.5, 10), ValueError, "drop must be <= 1"),
    (lambda: S.StepDecay(0.1, 0.5, 0), ValueError, "every must be >= 1"),
    (lambda: S.StepDecay(0.1, 0.5, 2.5), TypeError, "every must be an integer"),
    (lambda: S.MultiStep(0.1, [30, 20]), ValueError, "milestones must be strictly increasing, got 30 then 20"),
    (lambda: S.MultiStep(0.1, [0, 20]), ValueError, r"milestones\[0\] must be >= 1"),
    (lambda: S.MultiStep(0.1, 30), TypeError, "milestones must be a sequence"),
    (lambda: S.MultiStep(0.1, []), ValueError, "at least one epoch"),
    (lambda: S.Exponential(0.1, 0.0), ValueError, "gamma must be > 0"),
    (lambda: S.Exponential(0.1, 1.01), ValueError, "gamma must be <= 1"),
    (lambda: S.Exponential(math.nan, 0.9), ValueError, "lr0 must be finite"),
    (lambda: S.InverseTime(0.1, -1), ValueError, "decay must be >= 0"),
    (lambda: S.InverseSqrt(0.1, 0), ValueError, "k must be > 0"),
    (lambda: S.Linear(0.1, -0.01, 10), ValueError, "lr_final must be >= 0"),
    (lambda: S.Linear(0.1, 0.01, 0), ValueError, "epochs must be >= 1"),
    (lambda: S.Table({5: 0.1}), ValueError, "table must give the rate for epoch 0"),
    (lambda: S.Table([(0, 0.1)]), TypeError, "table must be a dict"),
    (lambda: S.Table({0: 0.1, 2.5: 0.01}), TypeError, "table key"),
    (lambda: S.Table({0: -0.1}), ValueError, r"table\[0\] must be > 0"),
    (lambda: S.Cosine(0.1, 0), ValueError, "T_max must be >= 1"),
    (lambda: S.Cosine(0.1, 10, 0.2), ValueError, "lr_min must be <= 0.1"),
    (lambda: S.CosineWarmRestarts(0.1, 10, 0), ValueError, "T_mult must be >= 1"),
    (lambda: S.CosineWarmRestarts(0.1, 10, 1.5), TypeError, "T_mult must be an integer"),
    (lambda: S.Cyclic(0.1, 0.01, 5), ValueError, "max_lr must be >= 0.1"),
    (lambda: S.OneCycle(0.1, 10, 0.1), ValueError, r"pct_start \* total_steps must be > 1"),
    (lambda: S.OneCycle(0.1, 100, 1.0), ValueError, "pct_start must be < 1"),
    (lambda: S.OneCycle(0.1, 1), ValueError, "total_steps must be >= 2"),
    (lambda: S.OneCycle(0.1, 100, div_factor=0.5), ValueError, "div_factor must be >= 1"),
    (lambda: S.Warmup("cosine", 5), TypeError, "schedule must be a schedule"),
    (lambda: S.Warmup(S.ReduceOnPlateau(0.1), 5), TypeError, "ReduceOnPlateau is stateful"),
    (lambda: S.Warmup(S.Constant(0.1), 5, 0), ValueError, "start_factor must be > 0"),
    (lambda: S.Warmup(S.Constant(0.1), 0), ValueError, "warmup_epochs must be >= 1"),
    (lambda: S.keras_step_drop(epochs_drop=0), ValueError, "epochs_drop must be >= 1"),
    (lambda: S.keras_constant_then_exponential(k=-0.1), ValueError, "k must be >= 0"),
    (lambda: S.ReduceOnPlateau(0.1, factor=1.0), ValueError, "factor must be < 1"),
    (lambda: S.ReduceOnPlateau(0.1, patience=-1), ValueError, "patience must be >= 0"),
    (lambda: S.ReduceOnPlateau(0.1, cooldown=0.5), TypeError, "cooldown must be an integer"),
    (lambda: S.Babysitter(0.1, min_lr=0.2), ValueError, "min_lr must be <= 0.1"),
    (lambda: S.Babysitter(0.1, factor=1), ValueError, "factor must be < 1"),
])
def test_bad_constructor_arguments_raise_errors_naming_them(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("epoch, error, message", [
    (-1, ValueError, "epoch must be >= 0"),
    (1.5, TypeError, "epoch must be an integer"),
    ("3", TypeError, "epoch must be an integer"),
    (True, TypeError, "epoch must be an integer"),
    (None, TypeError, "epoch must be an integer"),
])
@pytest.mark.parametrize("sched", [S.Cosine(0.1, 10), S.ReduceOnPlateau(0.1), S.Table({0: 0.1})])
def test_bad_epochs_raise_errors_naming_the_epoch(sched, epoch, error, message):
    with pytest.raises(error, match=message):
        sched(epoch)


@pytest.mark.parametrize("cost, error, message", [
    ("1.0", TypeError, "cost must be a real number"),
    (-math.inf, ValueError, "cost must be finite"),
    (np.ones(2), TypeError, "cost must be a real number"),
])
@pytest.mark.parametrize("make", [lambda: S.ReduceOnPlateau(0.1), lambda: S.Babysitter(0.1)])
def test_bad_costs_raise_errors_naming_the_cost(make, cost, error, message):
    with pytest.raises(error, match=message):
        make().step(cost)


def test_helpers_reject_what_they_cannot_use():
    with pytest.raises(TypeError, match="needs a function of the epoch; Babysitter is stateful"):
        S.robbins_monro(S.Babysitter(0.1))
    with pytest.raises(ValueError, match="epochs must be >= 1000"):
        S.robbins_monro(S.Constant(0.1), epochs=100)
    with pytest.raises(ValueError, match="only defined for 50 epochs"):
        S.robbins_monro(S.OneCycle(0.1, 50), epochs=1000)
    with pytest.raises(TypeError, match="schedules must be a dict"):
        S.plot_schedules(0.1)
    with pytest.raises(TypeError, match=r"schedules\['bad'\] must be a schedule"):
        S.plot_schedules({"bad": 3})
    with pytest.raises(ValueError, match="schedules is empty"):
        S.plot_schedules([])
    with pytest.raises(ValueError, match="epochs must be >= 1"):
        S.plot_schedules([S.Constant(0.1)], epochs=0)


# --------------------------------------------------------------------------------------------------------------------
# PyTorch's schedulers as the oracle
# --------------------------------------------------------------------------------------------------------------------

def torch_rates(make_scheduler, lr, epochs):
    """The lr PyTorch uses in each of `epochs` epochs: read before the epoch, step once after it (not after the
    last one, so a OneCycleLR over total_steps = epochs is stepped epochs - 1 times)."""
    import torch

    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=lr)
    scheduler = make_scheduler(optimizer)
    out = []
    for epoch in range(epochs):
        out.append(optimizer.param_groups[0]["lr"])
        if epoch < epochs - 1:
            optimizer.step()
            scheduler.step()
    return np.array(out)


def assert_same_rates(ours, theirs, rtol=RTOL):
    np.testing.assert_allclose(values(ours, len(theirs)), theirs, rtol=rtol, atol=1e-300)


@requires_torch
@settings(max_examples=20, deadline=None)
@given(lr0=rates, drop=factors, every=st.integers(1, 40))
def test_step_decay_matches_torch_steplr(lr0, drop, every):
    from torch.optim.lr_scheduler import StepLR

    assert_same_rates(S.StepDecay(lr0, drop, every), torch_rates(lambda o: StepLR(o, every, drop), lr0, 300))


@requires_torch
@settings(max_examples=20, deadline=None)
@given(lr0=rates, gamma=factors, marks=st.lists(st.integers(1, 300), min_size=1, max_size=5, unique=True))
def test_multistep_matches_torch_multisteplr(lr0, gamma, marks):
    from torch.optim.lr_scheduler import MultiStepLR

    marks = sorted(marks)
    assert_same_rates(S.MultiStep(lr0, marks, gamma), torch_rates(lambda o: MultiStepLR(o, marks, gamma), lr0, 300))


@requires_torch
@settings(max_examples=20, deadline=None)
@given(lr0=rates, gamma=st.floats(0.5, 1.0))
def test_exponential_matches_torch_exponentiallr(lr0, gamma):
    from torch.optim.lr_scheduler import ExponentialLR

    assert_same_rates(S.Exponential(lr0, gamma), torch_rates(lambda o: ExponentialLR(o, gamma), lr0, 300))


@requires_torch
@pytest.mark.parametrize("t_max, lr_min", [(10, 0.0), (37, 0.001), (100, 0.0), (300, 0.01)])
def test_cosine_matches_torch_cosineannealinglr_before_and_after_t_max(t_max, lr_min):
    from torch.optim.lr_scheduler import CosineAnnealingLR

    # 300 epochs: several periods for small T_max. PyTorch updates recursively, so its rounding builds up (to
    # ~1e-13 relative over 1000 epochs); zeros at T_max, 3 T_max, ... are exact in both.
    assert_same_rates(S.Cosine(0.1, t_max, lr_min), torch_rates(lambda o: CosineAnnealingLR(o, t_max, lr_min), 0.1,
                                                                 300))


@requires_torch
@pytest.mark.parametrize("t_0, t_mult, lr_min", [(10, 1, 0.0), (7, 1, 0.001), (10, 2, 0.0), (3, 2, 0.01), (2, 3, 0)])
def test_cosine_warm_restarts_matches_torch_sgdr(t_0, t_mult, lr_min):
    from torch.optim.lr_scheduler import CosineAnnealingWarmRestarts

    theirs = torch_rates(lambda o: CosineAnnealingWarmRestarts(o, t_0, t_mult, lr_min), 0.1, 400)
    assert_same_rates(S.CosineWarmRestarts(0.1, t_0, t_mult, lr_min), theirs)


@requires_torch
@settings(max_examples=20, deadline=None)
@given(base=st.floats(1e-4, 0.1), span=st.floats(1e-3, 1.0), step=st.integers(1, 50))
def test_cyclic_matches_torch_cycliclr_triangular_stepped_per_epoch(base, span, step):
    from torch.optim.lr_scheduler import CyclicLR

    def make(o):
        return CyclicLR(o, base, base + span, step_size_up=step, mode="triangular", cycle_momentum=False)

    assert_same_rates(S.Cyclic(base, base + span, step), torch_rates(make, base, 300))


@requires_torch
@pytest.mark.parametrize("total, pct, div, final_div", [(100, 0.3, 25.0, 1e4), (37, 0.25, 10.0, 100.0),
                                                        (10, 0.5, 25.0, 1e4), (1000, 0.1, 5.0, 1e3)])
def test_one_cycle_matches_torch_onecyclelr_two_phase_cosine(total, pct, div, final_div):
    from torch.optim.lr_scheduler import OneCycleLR

    def make(o):
        return OneCycleLR(o, 0.2, total_steps=total, pct_start=pct, anneal_strategy="cos", cycle_momentum=False,
                          div_factor=div, final_div_factor=final_div, three_phase=False)

    assert_same_rates(S.OneCycle(0.2, total, pct, div, final_div), torch_rates(make, 0.2, total))


@requires_torch
@settings(max_examples=20, deadline=None)
@given(w=st.integers(1, 30), start=st.floats(0.01, 1.0))
def test_warmup_of_a_constant_matches_torch_linearlr(w, start):
    from torch.optim.lr_scheduler import LinearLR

    theirs = torch_rates(lambda o: LinearLR(o, start_factor=start, end_factor=1.0, total_iters=w), 0.1, 100)
    assert_same_rates(S.Warmup(S.Constant(0.1), w, start), theirs)


@requires_torch
@pytest.mark.parametrize("inner", ["step", "cosine"])
def test_warmup_then_schedule_matches_torch_sequentiallr(inner):
    from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR, StepLR

    ours = {"step": S.StepDecay(0.1, 0.5, 7), "cosine": S.Cosine(0.1, 50)}[inner]

    def make(o):
        theirs = StepLR(o, 7, 0.5) if inner == "step" else CosineAnnealingLR(o, 50)
        return SequentialLR(o, [LinearLR(o, start_factor=0.05, total_iters=10), theirs], milestones=[10])

    assert_same_rates(S.Warmup(ours, 10, 0.05), torch_rates(make, 0.1, 200))


@requires_torch
def test_linear_matches_torch_linearlr_decay():
    from torch.optim.lr_scheduler import LinearLR

    theirs = torch_rates(lambda o: LinearLR(o, start_factor=1.0, end_factor=0.02, total_iters=40), 0.1, 200)
    assert_same_rates(S.Linear(0.1, 0.002, 40), theirs)


@requires_torch
def test_keras_constant_then_exponential_matches_torch_sequence_of_constant_and_exponential():
    from torch.optim.lr_scheduler import ConstantLR, ExponentialLR, SequentialLR

    def make(o):
        return SequentialLR(o, [ConstantLR(o, factor=1.0, total_iters=10), ExponentialLR(o, math.exp(-0.1))], [10])

    assert_same_rates(S.keras_constant_then_exponential(), torch_rates(make, 0.001, 150), rtol=1e-13)


def torch_plateau_rates(costs, lr0, **kwargs):
    import torch
    from torch.optim.lr_scheduler import ReduceLROnPlateau

    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr0)
    scheduler = ReduceLROnPlateau(optimizer, mode="min", threshold_mode="rel", **kwargs)
    out = []
    for cost in costs:
        optimizer.step()
        scheduler.step(cost)
        out.append(optimizer.param_groups[0]["lr"])
    return out


@requires_torch
def test_reduce_on_plateau_matches_torch_on_a_crafted_sequence_with_cooldown():
    costs = [10, 9.5, 9.2, 9.9, 9.9, 9.9, 8.0, 7.5, math.nan, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0,
             6.9999, 6.0, 6.0, 6.0, 5.0, math.inf, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0]
    kwargs = dict(factor=0.5, patience=1, threshold=0.1, cooldown=2, min_lr=0.2)
    ours = S.ReduceOnPlateau(1.0, **kwargs)
    assert [ours.step(c) for c in costs] == torch_plateau_rates(costs, 1.0, **kwargs)


@requires_torch
@settings(max_examples=40, deadline=None)
@given(costs=st.lists(st.sampled_from([1.0, 0.9999, 0.99, 0.95, 0.9, 1.1, 2.0]), min_size=1, max_size=60)
       .map(lambda steps: list(np.cumprod(steps))),
       patience=st.integers(0, 4), cooldown=st.integers(0, 3), threshold=st.sampled_from([0.0, 1e-4, 0.02]),
       factor=st.sampled_from([0.1, 0.5, 0.9]), min_lr=st.sampled_from([0.0, 0.01]))
def test_reduce_on_plateau_makes_the_same_decisions_as_torch(costs, patience, cooldown, threshold, factor, min_lr):
    kwargs = dict(factor=factor, patience=patience, threshold=threshold, cooldown=cooldown, min_lr=min_lr)
    ours = S.ReduceOnPlateau(0.1, **kwargs)
    assert [ours.step(float(c)) for c in costs] == torch_plateau_rates([float(c) for c in costs], 0.1, **kwargs)
