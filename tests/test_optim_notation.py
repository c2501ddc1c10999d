"""The lectures' notations for momentum, Nesterov, RMSProp and Adam, and exactly how they relate to PyTorch's."""
import numpy as np
import pytest

from course_lib.optim import SGD, Adam, Momentum, NesterovLookahead, NesterovSGD, RMSprop

# An ill-conditioned quadratic f(theta) = 1/2 theta^T A theta (eigenvalues 0.05 .. 3), gradient A theta.
_Q = np.linalg.qr(np.random.default_rng(7).standard_normal((6, 6)))[0]
A = _Q @ np.diag([0.05, 0.1, 0.4, 1.0, 2.0, 3.0]) @ _Q.T
THETA0 = np.array([1.0, -2.0, 0.5, 3.0, -1.0, 2.0])


def gradient(theta):
    return A @ theta


def gradient_sequence(steps, first=None, seed=0):
    rng = np.random.default_rng(seed)
    grads = [rng.standard_normal(6) * 10.0 ** rng.uniform(-1, 1, 6) for _ in range(steps)]
    if first is not None:
        grads[0] = first
    return grads


def test_momentum_ema_form_equals_torch_sgd_with_lr_scaled_by_one_minus_beta_from_the_first_step():
    lr, beta = 0.3, 0.8
    lecture = Momentum([THETA0.copy()], lr=lr, beta=beta)
    torch_form = SGD([THETA0.copy()], lr=lr * (1 - beta), momentum=beta)
    for step in range(1, 101):
        lecture.step([gradient(lecture.params[0])])
        torch_form.step([gradient(torch_form.params[0])])
        np.testing.assert_allclose(lecture.params[0], torch_form.params[0], rtol=1e-12, atol=1e-14,
                                   err_msg=f"step {step}")
        # PyTorch's buffer is the lecture's velocity without the (1 - beta) factor.
        np.testing.assert_allclose(torch_form.momentum_buffer[0] * (1 - beta), lecture.velocity[0], rtol=1e-12,
                                   atol=1e-14)


def test_sgd_with_dampening_beta_keeps_beta_to_the_t_times_the_first_gradient_more_than_the_ema_velocity():
    # PyTorch's first step sets b_1 = g_1 without dampening; the lecture's v_1 = (1 - beta) g_1.
    lr, beta = 0.1, 0.75
    grads = gradient_sequence(40)
    lecture = Momentum([np.zeros(6)], lr=lr, beta=beta)
    damped = SGD([np.zeros(6)], lr=lr, momentum=beta, dampening=beta)
    for t, g in enumerate(grads, start=1):
        lecture.step([g])
        damped.step([g])
        np.testing.assert_allclose(damped.momentum_buffer[0] - lecture.velocity[0], beta**t * grads[0],
                                   rtol=1e-9, atol=1e-15)
        # so the parameters drift apart by lr * (beta + beta^2 + ... + beta^t) * g_1
        drift = -lr * beta * (1 - beta**t) / (1 - beta) * grads[0]
        np.testing.assert_allclose(damped.params[0] - lecture.params[0], drift, rtol=1e-9, atol=1e-14)


def test_sgd_with_dampening_beta_coincides_with_ema_momentum_when_the_first_gradient_is_zero():
    grads = gradient_sequence(30, first=np.zeros(6))
    lecture = Momentum([THETA0.copy()], lr=0.1, beta=0.9)
    damped = SGD([THETA0.copy()], lr=0.1, momentum=0.9, dampening=0.9)
    for g in grads:
        lecture.step([g])
        damped.step([g])
        np.testing.assert_allclose(damped.params[0], lecture.params[0], rtol=1e-12)


def test_sgd_with_dampening_beta_equals_ema_momentum_started_from_the_first_gradient():
    # Starting the lecture's velocity at v_0 = g_1 instead of 0 makes v_1 = g_1 = b_1: the two agree forever.
    lr, beta = 0.2, 0.9
    lecture = Momentum([THETA0.copy()], lr=lr, beta=beta)
    state = lecture.state_dict()
    state["velocity"] = [gradient(THETA0)]
    lecture.load_state_dict(state)
    damped = SGD([THETA0.copy()], lr=lr, momentum=beta, dampening=beta)
    for step in range(1, 101):
        lecture.step([gradient(lecture.params[0])])
        damped.step([gradient(damped.params[0])])
        np.testing.assert_allclose(damped.params[0], lecture.params[0], rtol=1e-10, atol=1e-13,
                                   err_msg=f"step {step}")


def velocity_notation(theta0, grad, lrs, mu):
    """The deep-learning book's momentum: v = mu v - lr g, theta = theta + v (lr may change per step)."""
    theta, v, path = theta0.copy(), np.zeros_like(theta0), []
    for lr in lrs:
        v = mu * v - lr * grad(theta)
        theta = theta + v
        path.append((theta.copy(), v.copy()))
    return path


def test_velocity_notation_equals_torch_sgd_momentum_for_a_constant_learning_rate():
    lr, mu = 0.05, 0.9
    path = velocity_notation(THETA0, gradient, [lr] * 100, mu)
    opt = SGD([THETA0.copy()], lr=lr, momentum=mu)
    for step, (theta, v) in enumerate(path, start=1):
        opt.step([gradient(opt.params[0])])
        np.testing.assert_allclose(opt.params[0], theta, rtol=1e-10, atol=1e-13, err_msg=f"step {step}")
        np.testing.assert_allclose(-lr * opt.momentum_buffer[0], v, rtol=1e-9, atol=1e-13)


def test_velocity_notation_and_torch_sgd_part_ways_once_the_learning_rate_changes():
    # PyTorch rescales the whole buffer by the new lr; the velocity form only scales the new gradients.
    mu = 0.9
    lrs = [0.05] * 10 + [0.01] * 10
    theta_velocity = velocity_notation(THETA0, gradient, lrs, mu)[-1][0]
    opt = SGD([THETA0.copy()], lr=lrs[0], momentum=mu)
    for lr in lrs:
        opt.lr = lr
        opt.step([gradient(opt.params[0])])
    gap = np.max(np.abs(opt.params[0] - theta_velocity)) / np.max(np.abs(theta_velocity))
    assert gap > 1e-2


def test_nesterov_lookahead_is_torch_nesterov_in_the_variable_phi_equals_theta_plus_mu_v():
    lr, mu = 0.1, 0.9
    lookahead = NesterovLookahead([THETA0.copy()], lr=lr, momentum=mu)
    torch_form = SGD([THETA0.copy()], lr=lr, momentum=mu, nesterov=True)  # phi_0 = theta_0 since v_0 = 0
    for step in range(1, 201):
        lookahead.step_fn(lambda points: [gradient(points[0])])
        torch_form.step([gradient(torch_form.params[0])])
        phi = lookahead.params[0] + mu * lookahead.velocity[0]
        np.testing.assert_allclose(torch_form.params[0], phi, rtol=1e-9, atol=1e-12, err_msg=f"step {step}")
    assert np.linalg.norm(lookahead.params[0]) < 1e-2 * np.linalg.norm(THETA0)  # and it did converge


def test_nesterov_lookahead_asks_for_the_gradient_at_theta_plus_mu_v():
    mu = 0.8
    opt = NesterovLookahead([THETA0.copy()], lr=0.1, momentum=mu)
    for _ in range(5):
        expected = opt.params[0] + mu * opt.velocity[0]
        seen = []

        def recording_gradient(points, seen=seen):
            seen.append(points[0].copy())
            return [gradient(points[0])]

        opt.step_fn(recording_gradient)
        np.testing.assert_allclose(seen[0], expected, rtol=1e-15)
    assert not np.allclose(opt.velocity[0], 0)


def test_nesterov_lookahead_step_fn_is_lookahead_point_then_step():
    by_hand = NesterovLookahead([THETA0.copy()], lr=0.1, momentum=0.9)
    with_fn = NesterovLookahead([THETA0.copy()], lr=0.1, momentum=0.9)
    for _ in range(20):
        by_hand.step([gradient(by_hand.lookahead_point()[0])])
        returned = with_fn.step_fn(lambda points: [gradient(points[0])])
        assert len(returned) == 1
    np.testing.assert_array_equal(by_hand.params[0], with_fn.params[0])


def test_nesterov_registry_class_is_sgd_with_nesterov_true():
    a = NesterovSGD([THETA0.copy()], lr=0.1, momentum=0.7)
    b = SGD([THETA0.copy()], lr=0.1, momentum=0.7, nesterov=True)
    for _ in range(30):
        a.step([gradient(a.params[0])])
        b.step([gradient(b.params[0])])
    np.testing.assert_array_equal(a.params[0], b.params[0])


def test_lecture_momentum_settings_alpha_055_beta_075_damp_the_oscillation_of_plain_gradient_descent():
    # Steep direction: curvature 3.5, so plain GD multiplies it by 1 - 0.55 * 3.5 = -0.925 every step (it
    # zig-zags and barely shrinks); flat direction: curvature 0.1 (factor 0.945).
    curvature = np.array([0.1, 3.5])
    start = np.array([-4.0, 1.5])
    gd = SGD([start.copy()], lr=0.55)
    momentum = Momentum([start.copy()], lr=0.55, beta=0.75)
    gd_loss, momentum_loss = [], []
    for _ in range(40):
        for opt, losses in ((gd, gd_loss), (momentum, momentum_loss)):
            opt.step([curvature * opt.params[0]])
            losses.append(0.5 * np.sum(curvature * opt.params[0] ** 2))
    assert gd.params[0][1] == pytest.approx(1.5 * (-0.925) ** 40, rel=1e-12)
    assert all(m < g for m, g in zip(momentum_loss[4:], gd_loss[4:]))
    assert momentum_loss[-1] < 0.5 * gd_loss[-1]


def test_adam_bias_correction_makes_first_step_lr_sized():
    # m_hat_1 = g and v_hat_1 = g^2, so every coordinate moves by lr * |g| / (|g| + eps) whatever |g| is.
    g = np.array([1e-3, -0.5, 7.0, -2e3])
    opt = Adam([np.zeros(4)], lr=0.01)
    opt.step([g])
    np.testing.assert_allclose(opt.params[0], -0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12)
    np.testing.assert_allclose(np.abs(opt.params[0]), 0.01, rtol=1e-5)


def test_adam_with_eps_inside_sqrt_takes_the_lectures_first_step():
    # theta -= lr * m_hat / sqrt(v_hat + eps): for |g| comparable to sqrt(eps) the step is clearly shorter.
    g = np.array([1e-4, -1e-2, 3.0])
    eps = 1e-8
    inside = Adam([np.zeros(3)], lr=0.1, eps=eps, eps_inside_sqrt=True)
    inside.step([g])
    np.testing.assert_allclose(inside.params[0], -0.1 * g / np.sqrt(g**2 + eps), rtol=1e-12)
    assert abs(inside.params[0][0]) < 0.1 * 0.8  # lr * 1e-4 / sqrt(2e-8): about 0.71 lr
    outside = Adam([np.zeros(3)], lr=0.1, eps=eps)
    outside.step([g])
    assert abs(outside.params[0][0]) > 0.1 * 0.99


def test_rmsprop_eps_inside_sqrt_with_eps_squared_is_within_sqrt2_of_eps_outside():
    # sqrt(S + eps^2) <= sqrt(S) + eps <= sqrt(2) sqrt(S + eps^2); the bound is reached where sqrt(S) = eps.
    eps, alpha = 1e-4, 0.99
    g = np.geomspace(1e-9, 1e2, 200) * np.where(np.arange(200) % 2, 1.0, -1.0)
    g = np.append(g, eps / np.sqrt(1 - alpha))  # first step: S = (1 - alpha) g^2, so sqrt(S) = eps here
    steps = {}
    for inside, e in ((False, eps), (True, eps**2)):
        opt = RMSprop([np.zeros(g.size)], lr=1.0, alpha=alpha, eps=e, eps_inside_sqrt=inside)
        opt.step([g])
        steps[inside] = opt.params[0]
    ratio = steps[True] / steps[False]
    assert np.all(ratio >= 1 - 1e-12) and np.all(ratio <= np.sqrt(2) * (1 + 1e-12))
    assert ratio[-1] == pytest.approx(np.sqrt(2), rel=1e-9)
    assert ratio[0] == pytest.approx(1.0, rel=2e-5) and ratio[-2] == pytest.approx(1.0, rel=2e-5)  # far from it


def test_lecture_nesterov_follows_the_first_lectures_look_ahead_slide_step_for_step():
    """theta* = theta - lr v;  v = beta v + (1 - beta) grad(theta*);  theta = theta - lr v  (deck 000)."""
    from course_lib.optim import LectureNesterov

    A = np.array([[3.5, 0.0], [0.0, 0.2]])
    grad = lambda th: A @ th  # noqa: E731
    lr, beta = 0.55, 0.75
    theta_ref, v_ref = np.array([1.0, 2.0]), np.zeros(2)
    theta = theta_ref.copy()
    opt = LectureNesterov([theta], lr=lr, beta=beta)
    for _ in range(80):
        look = theta_ref - lr * v_ref
        v_ref = beta * v_ref + (1 - beta) * grad(look)
        theta_ref = theta_ref - lr * v_ref
        np.testing.assert_allclose(opt.lookahead_point()[0], look, rtol=1e-12, atol=1e-15)
        opt.step_fn(lambda points: [grad(points[0])])
        np.testing.assert_allclose(theta, theta_ref, rtol=1e-12, atol=1e-15)


def test_lecture_nesterov_calms_the_narrow_valley_faster_than_plain_momentum():
    from course_lib.optim import LectureNesterov, Momentum

    A = np.array([[3.5, 0.0], [0.0, 0.2]])
    finals = {}
    for cls in (Momentum, LectureNesterov):
        theta = np.array([1.0, 2.0])
        opt = cls([theta], lr=0.55, beta=0.75)
        for _ in range(40):
            point = opt.lookahead_point()[0] if hasattr(opt, "lookahead_point") else theta
            opt.step([A @ point])
        finals[cls.__name__] = 0.5 * theta @ A @ theta
    assert finals["LectureNesterov"] < finals["Momentum"]
