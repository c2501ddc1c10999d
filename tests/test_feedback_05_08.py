"""Assignments 05 to 08: typical wrong answers fail their part, and the visible test names the mistake.

Each entry of MISTAKES is code that replaces the student's (a `def` of the same name, like a student would write it)
and the phrase the visible test's failure must contain: "This matches a known mistake" (a known wrong answer shipped
as its numbers) or the specific rule that was broken ("changed its input `G` in place"). Every wrong answer must fail
its part both in the released notebook (what the student sees) and in the full test cell with the hidden tests
(what the autograder's feedback shows); at least nine in ten per assignment must be named in the visible test; none
may make the test's own code raise a raw error. The solutions pass. tests/feedback_harness.py runs them in-process.
"""
import pytest

from feedback_harness import NAMED, Assignment

IN_PLACE = "in place"
HIDDEN_ONLY = None  # a wrong answer the visible test cannot judge without giving the answer away (written verdicts)

# Cells that only draw, benchmark or train (the test cells do not need them).
SKIP = {
    "05_adaptive_optimizers": {"1c33d935", "f39a21c5", "23bd794c", "e68b984d", "ed7ecc83", "d5a59678", "fc7a1854"},
    "06_learning_rate_schedules": {"1b746327", "4c866ca3", "0731429f", "93aa4018", "3e11bd0f", "b9195cef", "ec6fd14d"},
    "07_init_preprocessing_batchnorm": {"69fdf43b", "051cb473", "c780b8cc", "9f18bc1a", "1a9b96ff", "72c0d7a9",
                                        "2f49e42a", "9493c7c8", "7f32d373", "4e71b512", "6002e4f9"},
    "08_dropout_regularization_capstone": {"617a40d9", "5577c5d9", "51060df2", "ba2db27e", "0089d9ec", "2990dc63",
                                           "5a08cc9d", "e2c34371", "886837f1", "80823501"},
}

MISTAKES = {"05_adaptive_optimizers": {
    # ---- Part 1: Adagrad
    ("adagrad_step_test", "eps inside the root"): ("""
        def adagrad_step(theta, g, G, lr=0.01, eps=1e-10):
            G_new = G + g * g
            return theta - lr * g / np.sqrt(G_new + eps), G_new""", NAMED),
    ("adagrad_step_test", "old G in the denominator"): ("""
        def adagrad_step(theta, g, G, lr=0.01, eps=1e-10):
            return theta - lr * g / (np.sqrt(G) + eps), G + g * g""", NAMED),
    ("adagrad_step_test", "no square root"): ("""
        def adagrad_step(theta, g, G, lr=0.01, eps=1e-10):
            G_new = G + g * g
            return theta - lr * g / (G_new + eps), G_new""", NAMED),
    ("adagrad_step_test", "G accumulates g, not g squared"): ("""
        def adagrad_step(theta, g, G, lr=0.01, eps=1e-10):
            G_new = G + g
            return theta - lr * g / (np.sqrt(G_new) + eps), G_new""", NAMED),
    ("adagrad_step_test", "returns the old G"): ("""
        def adagrad_step(theta, g, G, lr=0.01, eps=1e-10):
            G_new = G + g * g
            return theta - lr * g / (np.sqrt(G_new) + eps), G""", NAMED),
    ("adagrad_step_test", "sign: steps uphill"): ("""
        def adagrad_step(theta, g, G, lr=0.01, eps=1e-10):
            G_new = G + g * g
            return theta + lr * g / (np.sqrt(G_new) + eps), G_new""", NAMED),
    ("adagrad_step_test", "updates G and theta in place"): ("""
        def adagrad_step(theta, g, G, lr=0.01, eps=1e-10):
            G += g * g
            theta -= lr * g / (np.sqrt(G) + eps)
            return theta, G""", IN_PLACE),
    # ---- Part 2: RMSProp
    ("rmsprop_step_test", "eps always outside"): ("""
        def rmsprop_step(theta, g, S, lr=0.01, beta=0.9, eps=1e-8, eps_inside=False):
            S_new = beta * S + (1 - beta) * g * g
            return theta - lr * g / (np.sqrt(S_new) + eps), S_new""", NAMED),
    ("rmsprop_step_test", "eps_inside the wrong way round"): ("""
        def rmsprop_step(theta, g, S, lr=0.01, beta=0.9, eps=1e-8, eps_inside=False):
            S_new = beta * S + (1 - beta) * g * g
            d = np.sqrt(S_new) + eps if eps_inside else np.sqrt(S_new + eps)
            return theta - lr * g / d, S_new""", NAMED),
    ("rmsprop_step_test", "old S in the step"): ("""
        def rmsprop_step(theta, g, S, lr=0.01, beta=0.9, eps=1e-8, eps_inside=False):
            d = np.sqrt(S + eps) if eps_inside else np.sqrt(S) + eps
            return theta - lr * g / d, beta * S + (1 - beta) * g * g""", NAMED),
    ("rmsprop_step_test", "beta and 1 - beta swapped"): ("""
        def rmsprop_step(theta, g, S, lr=0.01, beta=0.9, eps=1e-8, eps_inside=False):
            S_new = (1 - beta) * S + beta * g * g
            d = np.sqrt(S_new + eps) if eps_inside else np.sqrt(S_new) + eps
            return theta - lr * g / d, S_new""", NAMED),
    ("rmsprop_step_test", "no (1 - beta)"): ("""
        def rmsprop_step(theta, g, S, lr=0.01, beta=0.9, eps=1e-8, eps_inside=False):
            S_new = beta * S + g * g
            d = np.sqrt(S_new + eps) if eps_inside else np.sqrt(S_new) + eps
            return theta - lr * g / d, S_new""", NAMED),
    ("rmsprop_step_test", "deck 003's cache += decay_rate * cache + ..."): ("""
        def rmsprop_step(theta, g, S, lr=0.01, beta=0.9, eps=1e-8, eps_inside=False):
            S_new = S + beta * S + (1 - beta) * g * g
            d = np.sqrt(S_new + eps) if eps_inside else np.sqrt(S_new) + eps
            return theta - lr * g / d, S_new""", NAMED),
    ("rmsprop_step_test", "no square root"): ("""
        def rmsprop_step(theta, g, S, lr=0.01, beta=0.9, eps=1e-8, eps_inside=False):
            S_new = beta * S + (1 - beta) * g * g
            return theta - lr * g / (S_new + eps), S_new""", NAMED),
    ("rmsprop_step_test", "updates S in place"): ("""
        def rmsprop_step(theta, g, S, lr=0.01, beta=0.9, eps=1e-8, eps_inside=False):
            S *= beta
            S += (1 - beta) * g * g
            d = np.sqrt(S + eps) if eps_inside else np.sqrt(S) + eps
            return theta - lr * g / d, S""", IN_PLACE),
    # ---- Part 3: Adadelta
    ("adadelta_step_test", "RMS[g] from the old average"): ("""
        def adadelta_step(theta, g, Eg2, Edx2, rho=0.9, eps=1e-6):
            delta = -np.sqrt(Edx2 + eps) / np.sqrt(Eg2 + eps) * g
            return theta + delta, rho * Eg2 + (1 - rho) * g * g, rho * Edx2 + (1 - rho) * delta ** 2""", NAMED),
    ("adadelta_step_test", "eps outside the roots"): ("""
        def adadelta_step(theta, g, Eg2, Edx2, rho=0.9, eps=1e-6):
            Eg2 = rho * Eg2 + (1 - rho) * g * g
            delta = -(np.sqrt(Edx2) + np.sqrt(eps)) / (np.sqrt(Eg2) + np.sqrt(eps)) * g
            return theta + delta, Eg2, rho * Edx2 + (1 - rho) * delta ** 2""", NAMED),
    ("adadelta_step_test", "no eps in RMS[delta theta]"): ("""
        def adadelta_step(theta, g, Eg2, Edx2, rho=0.9, eps=1e-6):
            Eg2 = rho * Eg2 + (1 - rho) * g * g
            delta = -np.sqrt(Edx2) / np.sqrt(Eg2 + eps) * g
            return theta + delta, Eg2, rho * Edx2 + (1 - rho) * delta ** 2""", NAMED),
    ("adadelta_step_test", "no eps in RMS[g]"): ("""
        def adadelta_step(theta, g, Eg2, Edx2, rho=0.9, eps=1e-6):
            Eg2 = rho * Eg2 + (1 - rho) * g * g
            delta = -np.sqrt(Edx2 + eps) / np.sqrt(Eg2) * g
            return theta + delta, Eg2, rho * Edx2 + (1 - rho) * delta ** 2""", NAMED),
    ("adadelta_step_test", "theta - delta (sign)"): ("""
        def adadelta_step(theta, g, Eg2, Edx2, rho=0.9, eps=1e-6):
            Eg2 = rho * Eg2 + (1 - rho) * g * g
            delta = -np.sqrt(Edx2 + eps) / np.sqrt(Eg2 + eps) * g
            return theta - delta, Eg2, rho * Edx2 + (1 - rho) * delta ** 2""", NAMED),
    ("adadelta_step_test", "ratio upside down"): ("""
        def adadelta_step(theta, g, Eg2, Edx2, rho=0.9, eps=1e-6):
            Eg2 = rho * Eg2 + (1 - rho) * g * g
            delta = -np.sqrt(Eg2 + eps) / np.sqrt(Edx2 + eps) * g
            return theta + delta, Eg2, rho * Edx2 + (1 - rho) * delta ** 2""", NAMED),
    ("adadelta_step_test", "updates the averages in place"): ("""
        def adadelta_step(theta, g, Eg2, Edx2, rho=0.9, eps=1e-6):
            Eg2 *= rho
            Eg2 += (1 - rho) * g * g
            delta = -np.sqrt(Edx2 + eps) / np.sqrt(Eg2 + eps) * g
            Edx2 *= rho
            Edx2 += (1 - rho) * delta ** 2
            return theta + delta, Eg2, Edx2""", IN_PLACE),
    # ---- Part 4: Adam
    ("adam_step_test", "no bias correction"): ("""
        def adam_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            return theta - lr * m / (np.sqrt(v) + eps), m, v, t + 1""", NAMED),
    ("adam_step_test", "corrects only m"): ("""
        def adam_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
            t = t + 1
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            return theta - lr * m / (1 - beta1 ** t) / (np.sqrt(v) + eps), m, v, t""", NAMED),
    ("adam_step_test", "corrects only v"): ("""
        def adam_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
            t = t + 1
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            return theta - lr * m / (np.sqrt(v / (1 - beta2 ** t)) + eps), m, v, t""", NAMED),
    ("adam_step_test", "t incremented after the corrections"): ("""
        def adam_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
            return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v, t + 1""", NAMED),
    ("adam_step_test", "eps inside the root"): ("""
        def adam_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
            t = t + 1
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
            return theta - lr * m_hat / np.sqrt(v_hat + eps), m, v, t""", NAMED),
    ("adam_step_test", "returns the old t"): ("""
        def adam_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
            k = t + 1
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            m_hat, v_hat = m / (1 - beta1 ** k), v / (1 - beta2 ** k)
            return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v, t""", NAMED),
    ("adam_step_test", "returns the corrected m_hat, v_hat as the state"): ("""
        def adam_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
            t = t + 1
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            m, v = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
            return theta - lr * m / (np.sqrt(v) + eps), m, v, t""", NAMED),
    ("adam_step_test", "beta1 and 1 - beta1 swapped"): ("""
        def adam_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
            t = t + 1
            m = (1 - beta1) * m + beta1 * g
            v = beta2 * v + (1 - beta2) * g * g
            m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
            return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v, t""", NAMED),
    ("adam_step_test", "updates m and v in place"): ("""
        def adam_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
            t = t + 1
            m[:] = beta1 * m + (1 - beta1) * g
            v[:] = beta2 * v + (1 - beta2) * g * g
            m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
            return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v, t""", IN_PLACE),
    # ---- Part 5: AdamW
    ("adamw_step_test", "L2 penalty in the gradient"): ("""
        def adamw_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
            return adam_step(theta, g + weight_decay * theta, m, v, t, lr, beta1, beta2, eps)""", NAMED),
    ("adamw_step_test", "decay after the Adam step"): ("""
        def adamw_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
            theta, m, v, t = adam_step(theta, g, m, v, t, lr, beta1, beta2, eps)
            return theta * (1 - lr * weight_decay), m, v, t""", NAMED),
    ("adamw_step_test", "decay not scaled by lr"): ("""
        def adamw_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
            return adam_step(theta * (1 - weight_decay), g, m, v, t, lr, beta1, beta2, eps)""", NAMED),
    ("adamw_step_test", "no decay at all"): ("""
        def adamw_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
            return adam_step(theta, g, m, v, t, lr, beta1, beta2, eps)""", NAMED),
    ("adamw_step_test", "both the L2 gradient and the decay"): ("""
        def adamw_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
            return adam_step(theta * (1 - lr * weight_decay), g + weight_decay * theta, m, v, t, lr, beta1, beta2,
                             eps)""", NAMED),
    ("adamw_step_test", "decay grows theta (sign)"): ("""
        def adamw_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
            return adam_step(theta * (1 + lr * weight_decay), g, m, v, t, lr, beta1, beta2, eps)""", NAMED),
    ("adamw_step_test", "shrinks theta in place"): ("""
        def adamw_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
            theta *= 1 - lr * weight_decay
            return adam_step(theta, g, m, v, t, lr, beta1, beta2, eps)""", IN_PLACE),
    # ---- Part 6: Adamax
    ("adamax_step_test", "u bias-corrected too"): ("""
        def adamax_step(theta, g, m, u, t, lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8):
            t = t + 1
            m = beta1 * m + (1 - beta1) * g
            u = np.maximum(beta2 * u, np.abs(g) + eps)
            return theta - lr / (1 - beta1 ** t) * m / (u / (1 - beta2 ** t)), m, u, t""", NAMED),
    ("adamax_step_test", "t incremented after the correction"): ("""
        def adamax_step(theta, g, m, u, t, lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8):
            m = beta1 * m + (1 - beta1) * g
            u = np.maximum(beta2 * u, np.abs(g) + eps)
            return theta - lr / (1 - beta1 ** t) * m / u, m, u, t + 1""", NAMED),
    ("adamax_step_test", "eps after the maximum"): ("""
        def adamax_step(theta, g, m, u, t, lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8):
            t = t + 1
            m = beta1 * m + (1 - beta1) * g
            u = np.maximum(beta2 * u, np.abs(g)) + eps
            return theta - lr / (1 - beta1 ** t) * m / u, m, u, t""", NAMED),
    ("adamax_step_test", "no eps"): ("""
        def adamax_step(theta, g, m, u, t, lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8):
            t = t + 1
            m = beta1 * m + (1 - beta1) * g
            u = np.maximum(beta2 * u, np.abs(g))
            return theta - lr / (1 - beta1 ** t) * m / u, m, u, t""", NAMED),
    ("adamax_step_test", "no bias correction of m"): ("""
        def adamax_step(theta, g, m, u, t, lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8):
            m = beta1 * m + (1 - beta1) * g
            u = np.maximum(beta2 * u, np.abs(g) + eps)
            return theta - lr * m / u, m, u, t + 1""", NAMED),
    ("adamax_step_test", "u without beta2 decay"): ("""
        def adamax_step(theta, g, m, u, t, lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8):
            t = t + 1
            m = beta1 * m + (1 - beta1) * g
            u = np.maximum(u, np.abs(g) + eps)
            return theta - lr / (1 - beta1 ** t) * m / u, m, u, t""", NAMED),
    ("adamax_step_test", "updates m in place"): ("""
        def adamax_step(theta, g, m, u, t, lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8):
            t = t + 1
            m *= beta1
            m += (1 - beta1) * g
            u = np.maximum(beta2 * u, np.abs(g) + eps)
            return theta - lr / (1 - beta1 ** t) * m / u, m, u, t""", IN_PLACE),
    # ---- Part 7: NAdam
    ("nadam_step_test", "plain Adam"): ("""
        def nadam_step(theta, g, m, v, t, lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8):
            return adam_step(theta, g, m, v, t, lr, beta1, beta2, eps)""", NAMED),
    ("nadam_step_test", "gradient term not corrected"): ("""
        def nadam_step(theta, g, m, v, t, lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8):
            t = t + 1
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
            return theta - lr * (beta1 * m_hat + (1 - beta1) * g) / (np.sqrt(v_hat) + eps), m, v, t""", NAMED),
    ("nadam_step_test", "raw m in the look-ahead"): ("""
        def nadam_step(theta, g, m, v, t, lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8):
            t = t + 1
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            v_hat = v / (1 - beta2 ** t)
            look = beta1 * m + (1 - beta1) * g / (1 - beta1 ** t)
            return theta - lr * look / (np.sqrt(v_hat) + eps), m, v, t""", NAMED),
    ("nadam_step_test", "no bias correction at all"): ("""
        def nadam_step(theta, g, m, v, t, lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8):
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            return theta - lr * (beta1 * m + (1 - beta1) * g) / (np.sqrt(v) + eps), m, v, t + 1""", NAMED),
    ("nadam_step_test", "t incremented after the corrections"): ("""
        def nadam_step(theta, g, m, v, t, lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8):
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
            look = beta1 * m_hat + (1 - beta1) * g / (1 - beta1 ** t)
            return theta - lr * look / (np.sqrt(v_hat) + eps), m, v, t + 1""", NAMED),
    ("nadam_step_test", "v not bias-corrected"): ("""
        def nadam_step(theta, g, m, v, t, lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8):
            t = t + 1
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            m_hat = m / (1 - beta1 ** t)
            look = beta1 * m_hat + (1 - beta1) * g / (1 - beta1 ** t)
            return theta - lr * look / (np.sqrt(v) + eps), m, v, t""", NAMED),
    ("nadam_step_test", "updates m and v in place"): ("""
        def nadam_step(theta, g, m, v, t, lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8):
            t = t + 1
            m[:] = beta1 * m + (1 - beta1) * g
            v[:] = beta2 * v + (1 - beta2) * g * g
            m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
            look = beta1 * m_hat + (1 - beta1) * g / (1 - beta1 ** t)
            return theta - lr * look / (np.sqrt(v_hat) + eps), m, v, t""", IN_PLACE),
}}

MISTAKES["07_init_preprocessing_batchnorm"] = {
    # ---- tanh_layer_statistics
    ("tanh_layer_statistics_test", "std with ddof=1"): ("""
        def tanh_layer_statistics(X, weights):
            h, rows = X, []
            for W in weights:
                h = np.tanh(h @ W)
                rows.append([h.mean(), h.std(ddof=1)])
            return np.array(rows)""", NAMED),
    ("tanh_layer_statistics_test", "statistics before tanh"): ("""
        def tanh_layer_statistics(X, weights):
            h, rows = X, []
            for W in weights:
                z = h @ W
                rows.append([z.mean(), z.std()])
                h = np.tanh(z)
            return np.array(rows)""", NAMED),
    ("tanh_layer_statistics_test", "std per unit, then averaged"): ("""
        def tanh_layer_statistics(X, weights):
            h, rows = X, []
            for W in weights:
                h = np.tanh(h @ W)
                rows.append([h.mean(axis=0).mean(), h.std(axis=0).mean()])
            return np.array(rows)""", NAMED),
    ("tanh_layer_statistics_test", "the input X as the first row"): ("""
        def tanh_layer_statistics(X, weights):
            h, rows = X, [[X.mean(), X.std()]]
            for W in weights:
                h = np.tanh(h @ W)
                rows.append([h.mean(), h.std()])
            return np.array(rows)""", NAMED),
    ("tanh_layer_statistics_test", "columns [std, mean]"): ("""
        def tanh_layer_statistics(X, weights):
            h, rows = X, []
            for W in weights:
                h = np.tanh(h @ W)
                rows.append([h.std(), h.mean()])
            return np.array(rows)""", NAMED),
    ("tanh_layer_statistics_test", "variance instead of std"): ("""
        def tanh_layer_statistics(X, weights):
            h, rows = X, []
            for W in weights:
                h = np.tanh(h @ W)
                rows.append([h.mean(), h.var()])
            return np.array(rows)""", NAMED),
    ("tanh_layer_statistics_test", "every layer fed X instead of the previous layer"): ("""
        def tanh_layer_statistics(X, weights):
            rows = []
            for W in weights:
                h = np.tanh(X @ W)
                rows.append([h.mean(), h.std()])
            return np.array(rows)""", NAMED),
    # ---- xavier_init and he_init
    ("xavier_and_he_test", "xavier: fan_out"): ("""
        def xavier_init(fan_in, fan_out, rng):
            return rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_out)""", NAMED),
    ("xavier_and_he_test", "xavier: no square root"): ("""
        def xavier_init(fan_in, fan_out, rng):
            return rng.standard_normal((fan_in, fan_out)) / fan_in""", NAMED),
    ("xavier_and_he_test", "xavier: Glorot's 2 / (fan_in + fan_out)"): ("""
        def xavier_init(fan_in, fan_out, rng):
            return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2 / (fan_in + fan_out))""", NAMED),
    ("xavier_and_he_test", "xavier: transposed shape"): ("""
        def xavier_init(fan_in, fan_out, rng):
            return rng.standard_normal((fan_out, fan_in)) / np.sqrt(fan_in)""", "transpose"),
    ("xavier_and_he_test", "xavier: the global np.random instead of rng"): ("""
        def xavier_init(fan_in, fan_out, rng):
            return np.random.randn(fan_in, fan_out) / np.sqrt(fan_in)""", "not from np.random"),
    ("xavier_and_he_test", "xavier: uniform draws"): ("""
        def xavier_init(fan_in, fan_out, rng):
            return rng.random((fan_in, fan_out)) / np.sqrt(fan_in)""", NAMED),
    ("xavier_and_he_test", "he: Xavier's variance"): ("""
        def he_init(fan_in, fan_out, rng):
            return rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)""", NAMED),
    ("xavier_and_he_test", "he: no square root"): ("""
        def he_init(fan_in, fan_out, rng):
            return rng.standard_normal((fan_in, fan_out)) * 2 / fan_in""", NAMED),
    ("xavier_and_he_test", "he: fan_out"): ("""
        def he_init(fan_in, fan_out, rng):
            return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2 / fan_out)""", NAMED),
    ("xavier_and_he_test", "he: sqrt(2) / fan_in"): ("""
        def he_init(fan_in, fan_out, rng):
            return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2) / fan_in""", NAMED),
    ("xavier_and_he_test", "he: the global np.random instead of rng"): ("""
        def he_init(fan_in, fan_out, rng):
            return np.random.randn(fan_in, fan_out) * np.sqrt(2 / fan_in)""", "not from np.random"),
    # ---- center_and_normalize
    ("center_and_normalize_test", "statistics of X"): ("""
        def center_and_normalize(X_train, X):
            return X - X.mean(axis=0), (X - X.mean(axis=0)) / X.std(axis=0)""", NAMED),
    ("center_and_normalize_test", "std with ddof=1"): ("""
        def center_and_normalize(X_train, X):
            mu = X_train.mean(axis=0)
            return X - mu, (X - mu) / X_train.std(axis=0, ddof=1)""", NAMED),
    ("center_and_normalize_test", "statistics per row"): ("""
        def center_and_normalize(X_train, X):
            mu, sigma = X_train.mean(axis=1, keepdims=True), X_train.std(axis=1, keepdims=True)
            return X - mu, (X - mu) / sigma""", "axis"),
    ("center_and_normalize_test", "normalized without centring"): ("""
        def center_and_normalize(X_train, X):
            mu, sigma = X_train.mean(axis=0), X_train.std(axis=0)
            return X - mu, X / sigma""", NAMED),
    ("center_and_normalize_test", "divided by the variance"): ("""
        def center_and_normalize(X_train, X):
            mu = X_train.mean(axis=0)
            return X - mu, (X - mu) / X_train.var(axis=0)""", NAMED),
    ("center_and_normalize_test", "returns only the normalized data"): ("""
        def center_and_normalize(X_train, X):
            mu, sigma = X_train.mean(axis=0), X_train.std(axis=0)
            return (X - mu) / sigma""", "should return 2 values"),
    ("center_and_normalize_test", "a single mean and std of all entries"): ("""
        def center_and_normalize(X_train, X):
            mu, sigma = X_train.mean(), X_train.std()
            return X - mu, (X - mu) / sigma""", NAMED),
    # ---- decorrelate_and_whiten
    ("decorrelate_and_whiten_test", "covariance over N - 1"): ("""
        def decorrelate_and_whiten(X_train, X, eps=1e-5):
            mu = X_train.mean(axis=0)
            lam, U = np.linalg.eigh(np.cov(X_train, rowvar=False))
            lam, U = lam[::-1], U[:, ::-1]
            U = U * np.sign(U[np.argmax(np.abs(U), axis=0), np.arange(U.shape[1])])
            Z = (X - mu) @ U
            return Z, Z / np.sqrt(lam + eps)""", NAMED),
    ("decorrelate_and_whiten_test", "eigenvalues left increasing"): ("""
        def decorrelate_and_whiten(X_train, X, eps=1e-5):
            mu = X_train.mean(axis=0)
            C = (X_train - mu).T @ (X_train - mu) / len(X_train)
            lam, U = np.linalg.eigh(C)
            U = U * np.sign(U[np.argmax(np.abs(U), axis=0), np.arange(U.shape[1])])
            Z = (X - mu) @ U
            return Z, Z / np.sqrt(lam + eps)""", NAMED),
    ("decorrelate_and_whiten_test", "divided by lambda, not its root"): ("""
        def decorrelate_and_whiten(X_train, X, eps=1e-5):
            mu = X_train.mean(axis=0)
            C = (X_train - mu).T @ (X_train - mu) / len(X_train)
            lam, U = np.linalg.eigh(C)
            lam, U = lam[::-1], U[:, ::-1]
            U = U * np.sign(U[np.argmax(np.abs(U), axis=0), np.arange(U.shape[1])])
            Z = (X - mu) @ U
            return Z, Z / (lam + eps)""", NAMED),
    ("decorrelate_and_whiten_test", "rows of U as the eigenvectors"): ("""
        def decorrelate_and_whiten(X_train, X, eps=1e-5):
            mu = X_train.mean(axis=0)
            C = (X_train - mu).T @ (X_train - mu) / len(X_train)
            lam, U = np.linalg.eigh(C)
            lam, U = lam[::-1], U[:, ::-1]
            U = U * np.sign(U[np.argmax(np.abs(U), axis=0), np.arange(U.shape[1])])
            Z = (X - mu) @ U.T
            return Z, Z / np.sqrt(lam + eps)""", NAMED),
    ("decorrelate_and_whiten_test", "not centred"): ("""
        def decorrelate_and_whiten(X_train, X, eps=1e-5):
            mu = X_train.mean(axis=0)
            C = (X_train - mu).T @ (X_train - mu) / len(X_train)
            lam, U = np.linalg.eigh(C)
            lam, U = lam[::-1], U[:, ::-1]
            U = U * np.sign(U[np.argmax(np.abs(U), axis=0), np.arange(U.shape[1])])
            Z = X @ U
            return Z, Z / np.sqrt(lam + eps)""", NAMED),
    ("decorrelate_and_whiten_test", "signs not fixed"): ("""
        def decorrelate_and_whiten(X_train, X, eps=1e-5):
            mu = X_train.mean(axis=0)
            C = (X_train - mu).T @ (X_train - mu) / len(X_train)
            lam, U = np.linalg.eigh(C)
            lam, U = lam[::-1], U[:, ::-1]
            Z = (X - mu) @ U
            return Z, Z / np.sqrt(lam + eps)""", NAMED),
    ("decorrelate_and_whiten_test", "eps outside the root"): ("""
        def decorrelate_and_whiten(X_train, X, eps=1e-5):
            mu = X_train.mean(axis=0)
            C = (X_train - mu).T @ (X_train - mu) / len(X_train)
            lam, U = np.linalg.eigh(C)
            lam, U = lam[::-1], U[:, ::-1]
            U = U * np.sign(U[np.argmax(np.abs(U), axis=0), np.arange(U.shape[1])])
            Z = (X - mu) @ U
            return Z, Z / (np.sqrt(lam) + eps)""", NAMED),
    ("decorrelate_and_whiten_test", "covariance of X, not X_train"): ("""
        def decorrelate_and_whiten(X_train, X, eps=1e-5):
            mu = X.mean(axis=0)
            C = (X - mu).T @ (X - mu) / len(X)
            lam, U = np.linalg.eigh(C)
            lam, U = lam[::-1], U[:, ::-1]
            U = U * np.sign(U[np.argmax(np.abs(U), axis=0), np.arange(U.shape[1])])
            Z = (X - mu) @ U
            return Z, Z / np.sqrt(lam + eps)""", NAMED),
    # ---- bn_forward
    ("bn_forward_test", "normalized with the unbiased variance"): ("""
        _right = bn_forward
        def bn_forward(x, gamma, beta, running_mean, running_var, train=True, momentum=0.1, eps=1e-5):
            out, m, v = _right(x, gamma, beta, running_mean, running_var, train, momentum, eps)
            if train:
                out = gamma * (x - x.mean(0)) / np.sqrt(x.var(0, ddof=1) + eps) + beta
            return out, m, v""", NAMED),
    ("bn_forward_test", "eps outside the root"): ("""
        _right = bn_forward
        def bn_forward(x, gamma, beta, running_mean, running_var, train=True, momentum=0.1, eps=1e-5):
            out, m, v = _right(x, gamma, beta, running_mean, running_var, train, momentum, eps)
            if train:
                out = gamma * (x - x.mean(0)) / (x.std(0) + eps) + beta
            return out, m, v""", NAMED),
    ("bn_forward_test", "gamma and beta not applied"): ("""
        _right = bn_forward
        def bn_forward(x, gamma, beta, running_mean, running_var, train=True, momentum=0.1, eps=1e-5):
            out, m, v = _right(x, gamma, beta, running_mean, running_var, train, momentum, eps)
            return (out - beta) / gamma, m, v""", NAMED),
    ("bn_forward_test", "momentum convention flipped"): ("""
        def bn_forward(x, gamma, beta, running_mean, running_var, train=True, momentum=0.1, eps=1e-5):
            if not train:
                return gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta, running_mean, running_var
            n, mu, var = len(x), x.mean(0), x.var(0)
            out = gamma * (x - mu) / np.sqrt(var + eps) + beta
            return out, momentum * running_mean + (1 - momentum) * mu, momentum * running_var + (1 - momentum) * var * n / (n - 1)""", NAMED),
    ("bn_forward_test", "biased variance in running_var"): ("""
        _right = bn_forward
        def bn_forward(x, gamma, beta, running_mean, running_var, train=True, momentum=0.1, eps=1e-5):
            out, m, v = _right(x, gamma, beta, running_mean, running_var, train, momentum, eps)
            if train:
                v = (1 - momentum) * running_var + momentum * x.var(0)
            return out, m, v""", NAMED),
    ("bn_forward_test", "running statistics not updated"): ("""
        _right = bn_forward
        def bn_forward(x, gamma, beta, running_mean, running_var, train=True, momentum=0.1, eps=1e-5):
            out, m, v = _right(x, gamma, beta, running_mean, running_var, train, momentum, eps)
            return out, running_mean, running_var""", NAMED),
    ("bn_forward_test", "evaluation with the batch statistics"): ("""
        _right = bn_forward
        def bn_forward(x, gamma, beta, running_mean, running_var, train=True, momentum=0.1, eps=1e-5):
            out, m, v = _right(x, gamma, beta, running_mean, running_var, True, momentum, eps)
            return (out, m, v) if train else (out, running_mean, running_var)""", NAMED),
    ("bn_forward_test", "evaluation updates the running statistics"): ("""
        _right = bn_forward
        def bn_forward(x, gamma, beta, running_mean, running_var, train=True, momentum=0.1, eps=1e-5):
            out, m, v = _right(x, gamma, beta, running_mean, running_var, train, momentum, eps)
            if not train:
                _, m, v = _right(x, gamma, beta, running_mean, running_var, True, momentum, eps)
            return out, m, v""", NAMED),
    ("bn_forward_test", "evaluation without eps"): ("""
        _right = bn_forward
        def bn_forward(x, gamma, beta, running_mean, running_var, train=True, momentum=0.1, eps=1e-5):
            out, m, v = _right(x, gamma, beta, running_mean, running_var, train, momentum, eps)
            if not train:
                out = gamma * (x - running_mean) / np.sqrt(running_var) + beta
            return out, m, v""", NAMED),
    ("bn_forward_test", "returns only out"): ("""
        _right = bn_forward
        def bn_forward(x, gamma, beta, running_mean, running_var, train=True, momentum=0.1, eps=1e-5):
            return _right(x, gamma, beta, running_mean, running_var, train, momentum, eps)[0]""",
        "should return 3 values"),
}

_BN_FORMULA = """
        def _bn(dout, x, gamma, eps=1e-5, *, n_factor=True, xhat_last=True, direct_only=False, mean_term=True,
                dgamma_mean=False, dbeta_mean=False, order=("dx", "dgamma", "dbeta"), with_eps=True):
            n = x.shape[0]
            sigma = np.sqrt(x.var(axis=0) + (eps if with_eps else 0.0))
            xhat = (x - x.mean(axis=0)) / sigma
            dbeta = dout.sum(axis=0)
            dgamma = (dout * xhat).sum(axis=0)
            last = (xhat if xhat_last else x) * dgamma
            dx = gamma / ((n if n_factor else 1) * sigma) * (n * dout - (dbeta if mean_term else 0.0) - last)
            if direct_only:
                dx = gamma * dout / sigma
            out = {"dx": dx, "dgamma": dgamma / n if dgamma_mean else dgamma, "dbeta": dbeta / n if dbeta_mean else dbeta}
            return tuple(out[k] for k in order)
"""


def _bn_mistake(name, **switches):
    args = ", ".join(f"{k}={v!r}" for k, v in switches.items())
    return _BN_FORMULA + f"""
        def {name}(dout, x, gamma, eps=1e-5):
            return _bn(dout, x, gamma, eps, {args})"""


for _fn in ("bn_backward", "bn_backward_graph"):
    _cell = f"{_fn}_test"
    MISTAKES["07_init_preprocessing_batchnorm"].update({
        (_cell, "only the direct path"): (_bn_mistake(_fn, direct_only=True), NAMED),
        (_cell, "1/N missing"): (_bn_mistake(_fn, n_factor=False), NAMED),
        (_cell, "x instead of x_hat in the last term"): (_bn_mistake(_fn, xhat_last=False), NAMED),
        (_cell, "the path through the mean missing"): (_bn_mistake(_fn, mean_term=False), NAMED),
        (_cell, "dgamma averaged"): (_bn_mistake(_fn, dgamma_mean=True), NAMED),
        (_cell, "dbeta averaged"): (_bn_mistake(_fn, dbeta_mean=True), NAMED),
        (_cell, "dgamma and dbeta swapped"): (_bn_mistake(_fn, order=("dx", "dbeta", "dgamma")), NAMED),
        (_cell, "eps missing"): (_bn_mistake(_fn, with_eps=False), NAMED),
        (_cell, "returns only dx"): (_bn_mistake(_fn, order=("dx",)), "should return 3 values"),
    })

_GRAPH = """
        def bn_backward_graph(dout, x, gamma, eps=1e-5):
            n = x.shape[0]
            mu = x.mean(axis=0); xmu = x - mu; sq = xmu ** 2; var = sq.mean(axis=0)
            std = np.sqrt(var + eps); istd = 1.0 / std; xhat = xmu * istd
            dbeta = dout.sum(axis=0); dgamma = (dout * xhat).sum(axis=0)
            dxhat = dout * gamma
            dxmu = dxhat * istd
            distd = (dxhat * xmu).sum(axis=0)
            dstd = {dstd}
            dvar = dstd / (2.0 * std)
            dsq = {dsq}
            dxmu = {dxmu}
            dmu = {dmu}
            return dxmu + dmu / n, dgamma, dbeta"""
_RIGHT = dict(dstd="-distd / std ** 2", dsq="np.ones_like(x) * dvar / n", dxmu="dxmu + 2.0 * xmu * dsq",
              dmu="-dxmu.sum(axis=0)")
MISTAKES["07_init_preprocessing_batchnorm"].update({
    ("bn_backward_graph_test", "graph: the two uses of xmu not added"): (
        _GRAPH.format(**{**_RIGHT, "dxmu": "2.0 * xmu * dsq"}), NAMED),
    ("bn_backward_graph_test", "graph: sign of the 1/std gate"): (
        _GRAPH.format(**{**_RIGHT, "dstd": "distd / std ** 2"}), NAMED),
    ("bn_backward_graph_test", "graph: the mean gate without 1/N"): (
        _GRAPH.format(**{**_RIGHT, "dsq": "np.ones_like(x) * dvar"}), NAMED),
    ("bn_backward_graph_test", "graph: sign of the subtraction gate"): (
        _GRAPH.format(**{**_RIGHT, "dmu": "dxmu.sum(axis=0)"}), NAMED),
})

MISTAKES["07_init_preprocessing_batchnorm"].update({
    ("identity_gamma_beta_test", "gamma without eps"): ("""
        def identity_gamma_beta(x, eps=1e-5):
            return x.std(axis=0), x.mean(axis=0)""", NAMED),
    ("identity_gamma_beta_test", "unbiased variance"): ("""
        def identity_gamma_beta(x, eps=1e-5):
            return np.sqrt(x.var(axis=0, ddof=1) + eps), x.mean(axis=0)""", NAMED),
    ("identity_gamma_beta_test", "no square root"): ("""
        def identity_gamma_beta(x, eps=1e-5):
            return x.var(axis=0) + eps, x.mean(axis=0)""", NAMED),
    ("identity_gamma_beta_test", "gamma = 1 / sigma"): ("""
        def identity_gamma_beta(x, eps=1e-5):
            return 1 / np.sqrt(x.var(axis=0) + eps), x.mean(axis=0)""", NAMED),
    ("identity_gamma_beta_test", "returned (beta, gamma)"): ("""
        def identity_gamma_beta(x, eps=1e-5):
            return x.mean(axis=0), np.sqrt(x.var(axis=0) + eps)""", NAMED),
    ("identity_gamma_beta_test", "statistics per row"): ("""
        def identity_gamma_beta(x, eps=1e-5):
            return np.sqrt(x.var(axis=1) + eps), x.mean(axis=1)""", "axes"),
})

MISTAKES["08_dropout_regularization_capstone"] = {
    # ---- dropout_inverted
    ("dropout_inverted_test", "not rescaled"): ("""
        def dropout_inverted(x, p, train, rng):
            if not train:
                return x.copy(), np.ones_like(x)
            mask = (rng.random(x.shape) >= p) * 1.0
            return x * mask, mask""", NAMED),
    ("dropout_inverted_test", "p as the keep probability"): ("""
        def dropout_inverted(x, p, train, rng):
            if not train:
                return x.copy(), np.ones_like(x)
            mask = (rng.random(x.shape) < p) / p
            return x * mask, mask""", NAMED),
    ("dropout_inverted_test", "divided by p"): ("""
        def dropout_inverted(x, p, train, rng):
            if not train:
                return x.copy(), np.ones_like(x)
            mask = (rng.random(x.shape) >= p) / p
            return x * mask, mask""", NAMED),
    ("dropout_inverted_test", "kept where u < p"): ("""
        def dropout_inverted(x, p, train, rng):
            if not train:
                return x.copy(), np.ones_like(x)
            mask = (rng.random(x.shape) < p) / (1 - p)
            return x * mask, mask""", NAMED),
    ("dropout_inverted_test", "scaled at test time too"): ("""
        def dropout_inverted(x, p, train, rng):
            if not train:
                return x * (1 - p), np.full_like(x, 1 - p)
            mask = (rng.random(x.shape) >= p) / (1 - p)
            return x * mask, mask""", NAMED),
    ("dropout_inverted_test", "mask returned without its scale"): ("""
        def dropout_inverted(x, p, train, rng):
            if not train:
                return x.copy(), np.ones_like(x)
            keep = rng.random(x.shape) >= p
            return x * keep / (1 - p), keep.astype(float)""", NAMED),
    ("dropout_inverted_test", "dropout at test time"): ("""
        def dropout_inverted(x, p, train, rng):
            mask = (rng.random(x.shape) >= p) / (1 - p)
            return x * mask, mask""", NAMED),
    ("dropout_inverted_test", "np.random instead of rng"): ("""
        def dropout_inverted(x, p, train, rng):
            if not train:
                return x.copy(), np.ones_like(x)
            mask = (np.random.rand(*x.shape) >= p) / (1 - p)
            return x * mask, mask""", "not from np.random"),
    # ---- dropout_test_scaling
    ("dropout_test_scaling_test", "test output times p"): ("""
        def dropout_test_scaling(x, p, train, rng):
            if not train:
                return x * p, np.full_like(x, p)
            mask = (rng.random(x.shape) >= p) * 1.0
            return x * mask, mask""", NAMED),
    ("dropout_test_scaling_test", "no scaling at test time"): ("""
        def dropout_test_scaling(x, p, train, rng):
            if not train:
                return x.copy(), np.ones_like(x)
            mask = (rng.random(x.shape) >= p) * 1.0
            return x * mask, mask""", NAMED),
    ("dropout_test_scaling_test", "training rescaled too"): ("""
        def dropout_test_scaling(x, p, train, rng):
            if not train:
                return x * (1 - p), np.full_like(x, 1 - p)
            mask = (rng.random(x.shape) >= p) / (1 - p)
            return x * mask, mask""", NAMED),
    ("dropout_test_scaling_test", "kept where u < p"): ("""
        def dropout_test_scaling(x, p, train, rng):
            if not train:
                return x * (1 - p), np.full_like(x, 1 - p)
            mask = (rng.random(x.shape) < p) * 1.0
            return x * mask, mask""", NAMED),
    ("dropout_test_scaling_test", "test output divided by 1 - p"): ("""
        def dropout_test_scaling(x, p, train, rng):
            if not train:
                return x / (1 - p), np.full_like(x, 1 / (1 - p))
            mask = (rng.random(x.shape) >= p) * 1.0
            return x * mask, mask""", NAMED),
    ("dropout_test_scaling_test", "dropout at test time"): ("""
        def dropout_test_scaling(x, p, train, rng):
            mask = (rng.random(x.shape) >= p) * 1.0
            return x * mask, mask""", NAMED),
    ("dropout_test_scaling_test", "np.random instead of rng"): ("""
        def dropout_test_scaling(x, p, train, rng):
            if not train:
                return x * (1 - p), np.full_like(x, 1 - p)
            mask = (np.random.rand(*x.shape) >= p) * 1.0
            return x * mask, mask""", "not from np.random"),
    # ---- weight_penalty
    ("weight_penalty_test", "biases penalized"): ("""
        def weight_penalty(params, l1=0.0, l2=0.0):
            return (float(sum(l1 * np.abs(p).sum() + l2 * (p * p).sum() for p in params)),
                    [l1 * np.sign(p) + 2 * l2 * p for p in params])""", NAMED),
    ("weight_penalty_test", "a factor 1/2"): ("""
        def weight_penalty(params, l1=0.0, l2=0.0):
            ws = [p for p in params if p.ndim == 2]
            return (float(sum(l1 * np.abs(p).sum() + 0.5 * l2 * (p * p).sum() for p in ws)),
                    [l1 * np.sign(p) + l2 * p if p.ndim == 2 else np.zeros_like(p) for p in params])""", NAMED),
    ("weight_penalty_test", "L2 gradient l2 * W"): ("""
        def weight_penalty(params, l1=0.0, l2=0.0):
            ws = [p for p in params if p.ndim == 2]
            return (float(sum(l1 * np.abs(p).sum() + l2 * (p * p).sum() for p in ws)),
                    [l1 * np.sign(p) + l2 * p if p.ndim == 2 else np.zeros_like(p) for p in params])""", NAMED),
    ("weight_penalty_test", "L1 gradient |W|"): ("""
        def weight_penalty(params, l1=0.0, l2=0.0):
            ws = [p for p in params if p.ndim == 2]
            return (float(sum(l1 * np.abs(p).sum() + l2 * (p * p).sum() for p in ws)),
                    [l1 * np.abs(p) + 2 * l2 * p if p.ndim == 2 else np.zeros_like(p) for p in params])""", NAMED),
    ("weight_penalty_test", "the norm instead of the sum of squares"): ("""
        def weight_penalty(params, l1=0.0, l2=0.0):
            ws = [p for p in params if p.ndim == 2]
            return (float(sum(l1 * np.abs(p).sum() + l2 * np.linalg.norm(p) for p in ws)),
                    [l1 * np.sign(p) + 2 * l2 * p if p.ndim == 2 else np.zeros_like(p) for p in params])""", NAMED),
    ("weight_penalty_test", "mean instead of sum"): ("""
        def weight_penalty(params, l1=0.0, l2=0.0):
            ws = [p for p in params if p.ndim == 2]
            return (float(sum(l1 * np.abs(p).mean() + l2 * (p * p).mean() for p in ws)),
                    [l1 * np.sign(p) + 2 * l2 * p if p.ndim == 2 else np.zeros_like(p) for p in params])""", NAMED),
    ("weight_penalty_test", "gradients only for the weights"): ("""
        def weight_penalty(params, l1=0.0, l2=0.0):
            ws = [p for p in params if p.ndim == 2]
            return (float(sum(l1 * np.abs(p).sum() + l2 * (p * p).sum() for p in ws)),
                    [l1 * np.sign(p) + 2 * l2 * p for p in ws])""", "one array per entry"),
    ("weight_penalty_test", "None for the biases"): ("""
        def weight_penalty(params, l1=0.0, l2=0.0):
            ws = [p for p in params if p.ndim == 2]
            return (float(sum(l1 * np.abs(p).sum() + l2 * (p * p).sum() for p in ws)),
                    [l1 * np.sign(p) + 2 * l2 * p if p.ndim == 2 else None for p in params])""", "zeros_like"),
    # ---- early_stopping
    ("early_stopping_test", "one epoch late"): ("""
        def early_stopping(val_costs, patience, min_delta=0.0):
            best, best_epoch, wait = np.inf, 0, 0
            for epoch, cost in enumerate(val_costs):
                if cost < best - min_delta:
                    best, best_epoch, wait = cost, epoch, 0
                else:
                    wait += 1
                    if wait > patience:
                        return best_epoch, epoch
            return best_epoch, len(val_costs) - 1""", NAMED),
    ("early_stopping_test", "compared with the previous epoch"): ("""
        def early_stopping(val_costs, patience, min_delta=0.0):
            best, best_epoch, wait, last = np.inf, 0, 0, np.inf
            for epoch, cost in enumerate(val_costs):
                if cost < last - min_delta:
                    wait = 0
                    if cost < best:
                        best, best_epoch = cost, epoch
                else:
                    wait += 1
                    if wait >= patience:
                        return best_epoch, epoch
                last = cost
            return best_epoch, len(val_costs) - 1""", NAMED),
    ("early_stopping_test", "min_delta ignored"): ("""
        def early_stopping(val_costs, patience, min_delta=0.0):
            best, best_epoch, wait = np.inf, 0, 0
            for epoch, cost in enumerate(val_costs):
                if cost < best:
                    best, best_epoch, wait = cost, epoch, 0
                else:
                    wait += 1
                    if wait >= patience:
                        return best_epoch, epoch
            return best_epoch, len(val_costs) - 1""", NAMED),
    ("early_stopping_test", "an equal cost counts as an improvement"): ("""
        def early_stopping(val_costs, patience, min_delta=0.0):
            best, best_epoch, wait = np.inf, 0, 0
            for epoch, cost in enumerate(val_costs):
                if cost <= best - min_delta:
                    best, best_epoch, wait = cost, epoch, 0
                else:
                    wait += 1
                    if wait >= patience:
                        return best_epoch, epoch
            return best_epoch, len(val_costs) - 1""", NAMED),
    ("early_stopping_test", "counter not reset"): ("""
        def early_stopping(val_costs, patience, min_delta=0.0):
            best, best_epoch, wait = np.inf, 0, 0
            for epoch, cost in enumerate(val_costs):
                if cost < best - min_delta:
                    best, best_epoch = cost, epoch
                else:
                    wait += 1
                    if wait >= patience:
                        return best_epoch, epoch
            return best_epoch, len(val_costs) - 1""", NAMED),
    ("early_stopping_test", "epochs counted from 1"): ("""
        def early_stopping(val_costs, patience, min_delta=0.0):
            best, best_epoch, wait = np.inf, 0, 0
            for epoch, cost in enumerate(val_costs, start=1):
                if cost < best - min_delta:
                    best, best_epoch, wait = cost, epoch, 0
                else:
                    wait += 1
                    if wait >= patience:
                        return best_epoch, epoch
            return best_epoch, len(val_costs)""", NAMED),
    ("early_stopping_test", "never stopping returns len(val_costs)"): ("""
        def early_stopping(val_costs, patience, min_delta=0.0):
            best, best_epoch, wait = np.inf, 0, 0
            for epoch, cost in enumerate(val_costs):
                if cost < best - min_delta:
                    best, best_epoch, wait = cost, epoch, 0
                else:
                    wait += 1
                    if wait >= patience:
                        return best_epoch, epoch
            return best_epoch, len(val_costs)""", NAMED),
    # ---- softmax_cross_entropy
    ("softmax_cross_entropy_test", "not shifted"): ("""
        def softmax_cross_entropy(scores, y):
            p = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
            return float(-np.log(p[np.arange(len(y)), y]).mean())""", NAMED),
    ("softmax_cross_entropy_test", "summed over the examples"): ("""
        def softmax_cross_entropy(scores, y):
            s = scores - scores.max(axis=1, keepdims=True)
            logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
            return float(-logp[np.arange(len(y)), y].sum())""", NAMED),
    ("softmax_cross_entropy_test", "softmax over the batch"): ("""
        def softmax_cross_entropy(scores, y):
            s = scores - scores.max(axis=0, keepdims=True)
            logp = s - np.log(np.exp(s).sum(axis=0, keepdims=True))
            return float(-logp[np.arange(len(y)), y].mean())""", NAMED),
    ("softmax_cross_entropy_test", "minus sign missing"): ("""
        def softmax_cross_entropy(scores, y):
            s = scores - scores.max(axis=1, keepdims=True)
            logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
            return float(logp[np.arange(len(y)), y].mean())""", NAMED),
    ("softmax_cross_entropy_test", "averaged over every class"): ("""
        def softmax_cross_entropy(scores, y):
            s = scores - scores.max(axis=1, keepdims=True)
            logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
            return float(-logp.mean())""", NAMED),
    ("softmax_cross_entropy_test", "log10"): ("""
        def softmax_cross_entropy(scores, y):
            s = scores - scores.max(axis=1, keepdims=True)
            p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
            return float(-np.log10(p[np.arange(len(y)), y]).mean())""", NAMED),
    ("softmax_cross_entropy_test", "per-example losses"): ("""
        def softmax_cross_entropy(scores, y):
            s = scores - scores.max(axis=1, keepdims=True)
            logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
            return -logp[np.arange(len(y)), y]""", "forget to sum or average"),
    # ---- sample_log_uniform and refine_range
    ("random_search_test", "uniform on a linear scale"): ("""
        def sample_log_uniform(low, high, size, rng):
            return rng.uniform(low, high, size)""", NAMED),
    ("random_search_test", "returned the exponents"): ("""
        def sample_log_uniform(low, high, size, rng):
            return rng.uniform(np.log10(low), np.log10(high), size)""", NAMED),
    ("random_search_test", "natural-log bounds with base 10"): ("""
        def sample_log_uniform(low, high, size, rng):
            return 10 ** rng.uniform(np.log(low), np.log(high), size)""", NAMED),
    ("random_search_test", "10 ** uniform(low, high)"): ("""
        def sample_log_uniform(low, high, size, rng):
            return 10 ** rng.uniform(low, high, size)""", NAMED),
    ("random_search_test", "size not passed"): ("""
        def sample_log_uniform(low, high, size, rng):
            return 10 ** rng.uniform(np.log10(low), np.log10(high))""", NAMED),
    ("random_search_test", "np.random instead of rng"): ("""
        def sample_log_uniform(low, high, size, rng):
            return 10 ** np.random.uniform(np.log10(low), np.log10(high), size)""", "not from np.random"),
    ("random_search_test", "refine: lowest scores"): ("""
        def refine_range(values, scores, top_k=3):
            best = np.argsort(scores)[:top_k]
            return float(values[best].min()), float(values[best].max())""", NAMED),
    ("random_search_test", "refine: top_k + 1"): ("""
        def refine_range(values, scores, top_k=3):
            best = np.argsort(scores)[::-1][:top_k + 1]
            return float(values[best].min()), float(values[best].max())""", NAMED),
    ("random_search_test", "refine: first and last of the top_k"): ("""
        def refine_range(values, scores, top_k=3):
            best = np.argsort(scores)[::-1][:top_k]
            return float(values[best[0]]), float(values[best[-1]])""", NAMED),
    ("random_search_test", "refine: the range of the scores"): ("""
        def refine_range(values, scores, top_k=3):
            best = np.argsort(scores)[::-1][:top_k]
            return float(scores[best].min()), float(scores[best].max())""", NAMED),
    # ---- update_weight_ratio
    ("update_weight_ratio_test", "norm after the step"): ("""
        def update_weight_ratio(params_before, params_after):
            up = sum(((a - b) ** 2).sum() for a, b in zip(params_after, params_before))
            return float(np.sqrt(up / sum((a ** 2).sum() for a in params_after)))""", NAMED),
    ("update_weight_ratio_test", "ratio per array, averaged"): ("""
        def update_weight_ratio(params_before, params_after):
            return float(np.mean([np.linalg.norm(a - b) / np.linalg.norm(b) for a, b in zip(params_after, params_before)]))""",
        NAMED),
    ("update_weight_ratio_test", "squared norms"): ("""
        def update_weight_ratio(params_before, params_after):
            up = sum(((a - b) ** 2).sum() for a, b in zip(params_after, params_before))
            return float(up / sum((b ** 2).sum() for b in params_before))""", NAMED),
    ("update_weight_ratio_test", "only the first array"): ("""
        def update_weight_ratio(params_before, params_after):
            return float(np.linalg.norm(params_after[0] - params_before[0]) / np.linalg.norm(params_before[0]))""",
        NAMED),
    ("update_weight_ratio_test", "inverted"): ("""
        def update_weight_ratio(params_before, params_after):
            up = sum(((a - b) ** 2).sum() for a, b in zip(params_after, params_before))
            return float(np.sqrt(sum((b ** 2).sum() for b in params_before) / up))""", NAMED),
    ("update_weight_ratio_test", "difference of the norms"): ("""
        def update_weight_ratio(params_before, params_after):
            norm = lambda ps: np.sqrt(sum((p ** 2).sum() for p in ps))
            return float(abs(norm(params_after) - norm(params_before)) / norm(params_before))""", NAMED),
    ("update_weight_ratio_test", "one ratio per array"): ("""
        def update_weight_ratio(params_before, params_after):
            return np.array([np.linalg.norm(a - b) / np.linalg.norm(b) for a, b in zip(params_after, params_before)])""",
        "single number"),
    # ---- ensemble_predict
    ("ensemble_predict_test", "majority vote"): ("""
        def ensemble_predict(prob_list):
            votes = np.array([p.argmax(axis=1) for p in prob_list])
            labels = np.array([np.bincount(v, minlength=prob_list[0].shape[1]).argmax() for v in votes.T])
            return np.mean(prob_list, axis=0), labels""", NAMED),
    ("ensemble_predict_test", "summed, not averaged"): ("""
        def ensemble_predict(prob_list):
            total = np.sum(prob_list, axis=0)
            return total, total.argmax(axis=1)""", NAMED),
    ("ensemble_predict_test", "averaged over the wrong axis"): ("""
        def ensemble_predict(prob_list):
            mean = np.mean(prob_list, axis=1)
            return mean, mean.argmax(axis=1)""", "axes"),
    ("ensemble_predict_test", "multiplied the probabilities"): ("""
        def ensemble_predict(prob_list):
            prod = np.prod(prob_list, axis=0)
            return prod, prod.argmax(axis=1)""", NAMED),
    ("ensemble_predict_test", "largest probability over the models"): ("""
        def ensemble_predict(prob_list):
            top = np.max(prob_list, axis=0)
            return top, top.argmax(axis=1)""", NAMED),
    ("ensemble_predict_test", "returns only the labels"): ("""
        def ensemble_predict(prob_list):
            return np.mean(prob_list, axis=0).argmax(axis=1)""", "should return 2 values"),
}

_BABYSIT = """
        def babysit(theta0, cost_fn, grad_fn, lr0, epochs, steps_per_epoch=5, factor=0.5, min_lr=1e-8):
            theta = {start}
            lr, before, lrs = lr0, cost_fn(theta), []
            first = before
            with np.errstate(over="ignore", invalid="ignore"):
                for _ in range(epochs):
                    used = lr
                    trial = theta.copy()
                    while True:
                        {restart}
                        for _ in range(steps_per_epoch):
                            trial = trial - lr * grad_fn(trial)
                        after = cost_fn(trial)
                        if {accept} or lr <= min_lr:
                            break
                        lr = max(lr * factor, min_lr)
                        {rerun}
                    theta, before = trial, after
                    lrs.append({record})
            return theta, np.array(lrs)"""
_RIGHT_BABYSIT = dict(start="np.array(theta0, dtype=float)", restart="trial = theta.copy()", accept="after <= before",
                      rerun="", record="lr")


def _babysit(**changes):
    return _BABYSIT.format(**{**_RIGHT_BABYSIT, **changes})


MISTAKES["06_learning_rate_schedules"] = {
    # ---- babysit
    ("babysit_test", "the epoch not run again"): (_babysit(rerun="break"), NAMED),
    ("babysit_test", "compared with the starting cost"): (_babysit(accept="after <= first"), NAMED),
    ("babysit_test", "records the rate it started the epoch with"): (_babysit(record="used"), NAMED),
    ("babysit_test", "retries from the failed attempt"): (_babysit(restart="pass"), NAMED),
    ("babysit_test", "halves every epoch"): (_babysit(accept="True", rerun="", record="lr")
                                              .replace("theta, before = trial, after", "theta, before = trial, after\n"
                                                       "                    lrs.append(lr); lr = max(lr * factor, min_lr); continue"),
                                              NAMED),
    ("babysit_test", "changes theta0 in place"): (_babysit(start="theta0", restart="trial[:] = theta").replace(
        "theta, before = trial, after", "theta[:] = trial; before = after"), IN_PLACE),
    # ---- linear_decay
    ("linear_decay_test", "no clamp"): ("""
        def linear_decay(epoch, lr0, lr_final, n_epochs):
            a = epoch / n_epochs
            return (1 - a) * lr0 + a * lr_final""", NAMED),
    ("linear_decay_test", "epochs from 1"): ("""
        def linear_decay(epoch, lr0, lr_final, n_epochs):
            a = min(1.0, (epoch + 1) / n_epochs)
            return (1 - a) * lr0 + a * lr_final""", NAMED),
    ("linear_decay_test", "lr0 and lr_final swapped"): ("""
        def linear_decay(epoch, lr0, lr_final, n_epochs):
            a = min(1.0, epoch / n_epochs)
            return (1 - a) * lr_final + a * lr0""", NAMED),
    ("linear_decay_test", "integer division"): ("""
        def linear_decay(epoch, lr0, lr_final, n_epochs):
            a = min(1, epoch // n_epochs)
            return (1 - a) * lr0 + a * lr_final""", NAMED),
    ("linear_decay_test", "reaches lr_final one epoch early"): ("""
        def linear_decay(epoch, lr0, lr_final, n_epochs):
            a = min(1.0, epoch / (n_epochs - 1))
            return (1 - a) * lr0 + a * lr_final""", NAMED),
    ("linear_decay_test", "lr_final left out"): ("""
        def linear_decay(epoch, lr0, lr_final, n_epochs):
            if epoch >= n_epochs:
                return lr_final
            return (1 - epoch / n_epochs) * lr0""", NAMED),
    # ---- inverse_time
    ("inverse_time_test", "exponential decay"): ("""
        def inverse_time(epoch, lr0, decay):
            return lr0 * math.exp(-decay * epoch)""", NAMED),
    ("inverse_time_test", "epochs from 1"): ("""
        def inverse_time(epoch, lr0, decay):
            return lr0 / (1 + decay * (epoch + 1))""", NAMED),
    ("inverse_time_test", "no 1 +"): ("""
        def inverse_time(epoch, lr0, decay):
            return lr0 / (decay * epoch)""", NAMED),
    ("inverse_time_test", "operator precedence"): ("""
        def inverse_time(epoch, lr0, decay):
            return lr0 / 1 + decay * epoch""", NAMED),
    ("inverse_time_test", "multiplied"): ("""
        def inverse_time(epoch, lr0, decay):
            return lr0 * (1 + decay * epoch)""", NAMED),
    ("inverse_time_test", "a power of 1 + decay"): ("""
        def inverse_time(epoch, lr0, decay):
            return lr0 / (1 + decay) ** epoch""", NAMED),
    # ---- exponential_decay
    ("exponential_decay_test", "epochs from 1"): ("""
        def exponential_decay(epoch, lr0, gamma=0.95):
            return lr0 * gamma ** (epoch + 1)""", NAMED),
    ("exponential_decay_test", "gamma * epoch"): ("""
        def exponential_decay(epoch, lr0, gamma=0.95):
            return lr0 * gamma * epoch""", NAMED),
    ("exponential_decay_test", "exp(-gamma * epoch)"): ("""
        def exponential_decay(epoch, lr0, gamma=0.95):
            return lr0 * math.exp(-gamma * epoch)""", NAMED),
    ("exponential_decay_test", "(1 - gamma) ** epoch"): ("""
        def exponential_decay(epoch, lr0, gamma=0.95):
            return lr0 * (1 - gamma) ** epoch""", NAMED),
    ("exponential_decay_test", "another default gamma"): ("""
        def exponential_decay(epoch, lr0, gamma=0.9):
            return lr0 * gamma ** epoch""", NAMED),
    ("exponential_decay_test", "divided by gamma ** epoch"): ("""
        def exponential_decay(epoch, lr0, gamma=0.95):
            return lr0 / gamma ** epoch""", NAMED),
    # ---- inverse_sqrt
    ("inverse_sqrt_test", "sqrt(epoch)"): ("""
        def inverse_sqrt(epoch, lr0, k=1.0):
            return k * lr0 / math.sqrt(epoch)""", NAMED),
    ("inverse_sqrt_test", "no square root"): ("""
        def inverse_sqrt(epoch, lr0, k=1.0):
            return k * lr0 / (epoch + 1)""", NAMED),
    ("inverse_sqrt_test", "k left out"): ("""
        def inverse_sqrt(epoch, lr0, k=1.0):
            return lr0 / math.sqrt(epoch + 1)""", NAMED),
    ("inverse_sqrt_test", "lr0 left out"): ("""
        def inverse_sqrt(epoch, lr0, k=1.0):
            return k / math.sqrt(epoch + 1)""", NAMED),
    ("inverse_sqrt_test", "the root of the whole fraction"): ("""
        def inverse_sqrt(epoch, lr0, k=1.0):
            return math.sqrt(k * lr0 / (epoch + 1))""", NAMED),
    ("inverse_sqrt_test", "sqrt(epoch) + 1"): ("""
        def inverse_sqrt(epoch, lr0, k=1.0):
            return k * lr0 / (epoch ** 0.5 + 1)""", NAMED),
    # ---- keras_step_decay and constant_then_exponential
    ("keras_schedules_test", "step: floor(epoch / epochs_drop)"): ("""
        def keras_step_decay(epoch, lr0=0.1, drop=0.5, epochs_drop=10):
            return lr0 * drop ** math.floor(epoch / epochs_drop)""", NAMED),
    ("keras_schedules_test", "step: no floor"): ("""
        def keras_step_decay(epoch, lr0=0.1, drop=0.5, epochs_drop=10):
            return lr0 * drop ** ((1 + epoch) / epochs_drop)""", NAMED),
    ("keras_schedules_test", "step: multiplied instead of a power"): ("""
        def keras_step_decay(epoch, lr0=0.1, drop=0.5, epochs_drop=10):
            return lr0 * drop * math.floor((1 + epoch) / epochs_drop)""", NAMED),
    ("keras_schedules_test", "step: ceil"): ("""
        def keras_step_decay(epoch, lr0=0.1, drop=0.5, epochs_drop=10):
            return lr0 * drop ** math.ceil((1 + epoch) / epochs_drop)""", NAMED),
    ("keras_schedules_test", "exponential: sign in the exponent"): ("""
        def constant_then_exponential(epoch, lr0=0.001, constant_epochs=10, k=0.1):
            return lr0 if epoch < constant_epochs else lr0 * math.exp(k * (epoch - constant_epochs))""", NAMED),
    ("keras_schedules_test", "exponential: not shifted by constant_epochs"): ("""
        def constant_then_exponential(epoch, lr0=0.001, constant_epochs=10, k=0.1):
            return lr0 if epoch < constant_epochs else lr0 * math.exp(-k * epoch)""", NAMED),
    # ---- cosine_restarts
    ("cosine_restarts_test", "no restarts"): ("""
        def cosine_restarts(epoch, lr0, T_0, T_mult=1, lr_min=0.0):
            t = min(epoch, T_0)
            return lr_min + 0.5 * (lr0 - lr_min) * (1 + math.cos(math.pi * t / T_0))""", NAMED),
    ("cosine_restarts_test", "every cycle T_0 long"): ("""
        def cosine_restarts(epoch, lr0, T_0, T_mult=1, lr_min=0.0):
            return lr_min + 0.5 * (lr0 - lr_min) * (1 + math.cos(math.pi * (epoch % T_0) / T_0))""", NAMED),
    ("cosine_restarts_test", "lr_min left out"): ("""
        def cosine_restarts(epoch, lr0, T_0, T_mult=1, lr_min=0.0):
            t_cur, t_i = epoch, T_0
            while t_cur >= t_i:
                t_cur, t_i = t_cur - t_i, t_i * T_mult
            return 0.5 * lr0 * (1 + math.cos(math.pi * t_cur / t_i))""", NAMED),
    ("cosine_restarts_test", "the 1 + left out"): ("""
        def cosine_restarts(epoch, lr0, T_0, T_mult=1, lr_min=0.0):
            t_cur, t_i = epoch, T_0
            while t_cur >= t_i:
                t_cur, t_i = t_cur - t_i, t_i * T_mult
            return lr_min + 0.5 * (lr0 - lr_min) * math.cos(math.pi * t_cur / t_i)""", NAMED),
    ("cosine_restarts_test", "a quarter period"): ("""
        def cosine_restarts(epoch, lr0, T_0, T_mult=1, lr_min=0.0):
            t_cur, t_i = epoch, T_0
            while t_cur >= t_i:
                t_cur, t_i = t_cur - t_i, t_i * T_mult
            return lr_min + (lr0 - lr_min) * math.cos(math.pi / 2 * t_cur / t_i)""", NAMED),
    ("cosine_restarts_test", "restart one epoch late"): ("""
        def cosine_restarts(epoch, lr0, T_0, T_mult=1, lr_min=0.0):
            t_cur, t_i = epoch, T_0
            while t_cur > t_i:
                t_cur, t_i = t_cur - t_i, t_i * T_mult
            return lr_min + 0.5 * (lr0 - lr_min) * (1 + math.cos(math.pi * t_cur / t_i))""", NAMED),
    # ---- triangular
    ("triangular_test", "starts at max_lr"): ("""
        def triangular(epoch, base_lr, max_lr, step_size):
            x = abs(epoch / step_size - 2 * math.floor(1 + epoch / (2 * step_size)) + 1)
            return base_lr + (max_lr - base_lr) * max(0.0, x)""", NAMED),
    ("triangular_test", "a sawtooth"): ("""
        def triangular(epoch, base_lr, max_lr, step_size):
            return base_lr + (max_lr - base_lr) * (epoch % step_size) / step_size""", NAMED),
    ("triangular_test", "period step_size"): ("""
        def triangular(epoch, base_lr, max_lr, step_size):
            x = abs(2 * epoch / step_size - 2 * math.floor(1 + epoch / step_size) + 1)
            return base_lr + (max_lr - base_lr) * max(0.0, 1 - x)""", NAMED),
    ("triangular_test", "no abs"): ("""
        def triangular(epoch, base_lr, max_lr, step_size):
            x = epoch / step_size - 2 * math.floor(1 + epoch / (2 * step_size)) + 1
            return base_lr + (max_lr - base_lr) * max(0.0, 1 - x)""", NAMED),
    ("triangular_test", "base_lr and max_lr swapped"): ("""
        def triangular(epoch, base_lr, max_lr, step_size):
            x = abs(epoch / step_size - 2 * math.floor(1 + epoch / (2 * step_size)) + 1)
            return max_lr + (base_lr - max_lr) * max(0.0, 1 - x)""", NAMED),
    ("triangular_test", "cycle without floor"): ("""
        def triangular(epoch, base_lr, max_lr, step_size):
            x = abs(epoch / step_size - 2 * (1 + epoch / (2 * step_size)) + 1)
            return base_lr + (max_lr - base_lr) * max(0.0, 1 - x)""", NAMED),
    # ---- partial_sums
    ("partial_sums_test", "epoch 0 left out"): ("""
        def partial_sums(schedule, n):
            r = np.array([schedule(e) for e in range(1, n + 1)])
            return np.cumsum(r), np.cumsum(r ** 2)""", NAMED),
    ("partial_sums_test", "square of the running sum"): ("""
        def partial_sums(schedule, n):
            r = np.array([schedule(e) for e in range(n)])
            return np.cumsum(r), np.cumsum(r) ** 2""", NAMED),
    ("partial_sums_test", "the totals only"): ("""
        def partial_sums(schedule, n):
            r = np.array([schedule(e) for e in range(n)])
            return r.sum(), (r ** 2).sum()""", NAMED),
    ("partial_sums_test", "one stacked array"): ("""
        def partial_sums(schedule, n):
            r = np.array([schedule(e) for e in range(n)])
            return np.array([np.cumsum(r), np.cumsum(r ** 2)])""", "should return 2 values"),
    ("partial_sums_test", "n + 1 terms"): ("""
        def partial_sums(schedule, n):
            r = np.array([schedule(e) for e in range(n + 1)])
            return np.cumsum(r), np.cumsum(r ** 2)""", NAMED),
    ("partial_sums_test", "S1 and S2 swapped"): ("""
        def partial_sums(schedule, n):
            r = np.array([schedule(e) for e in range(n)])
            return np.cumsum(r ** 2), np.cumsum(r)""", NAMED),
    # ---- Robbins-Monro verdicts: wrong verdicts only the hidden test can judge without giving the answers away
    ("robbins_monro_verdicts_test", "strings instead of bools"): ("""
        satisfies = {"constant": "False", "inverse_time": "True", "exponential": "False", "inverse_sqrt": "False"}""",
        "True or False"),
    ("robbins_monro_verdicts_test", "a None left"): ("""
        satisfies = {"constant": False, "inverse_time": True, "exponential": None, "inverse_sqrt": False}""",
        "True or False"),
    ("robbins_monro_verdicts_test", "a key renamed"): ("""
        satisfies = {"constant": False, "inverse time": True, "exponential": False, "inverse_sqrt": False}""",
        "must be a dict with the keys"),
    ("robbins_monro_verdicts_test", "k/sqrt(epoch) judged convergent"): ("""
        satisfies = {"constant": False, "inverse_time": True, "exponential": False, "inverse_sqrt": True}""",
        HIDDEN_ONLY),
    ("robbins_monro_verdicts_test", "exponential judged convergent"): ("""
        satisfies = {"constant": False, "inverse_time": True, "exponential": True, "inverse_sqrt": False}""",
        HIDDEN_ONLY),
    ("robbins_monro_verdicts_test", "inverse time judged divergent"): ("""
        satisfies = {"constant": False, "inverse_time": False, "exponential": False, "inverse_sqrt": False}""",
        HIDDEN_ONLY),
}

# 08's capstone: configurations that break its stated rules fail before any training, with the rule named.
_CONFIG = """
        def capstone_config():
            config = dict(CAPSTONE_DEFAULTS)
            config.update(hidden=[128], batchnorm=True, dropout=0.2, optimizer="adam", lr=3e-3, epochs=10, batch_size=32,
                          l2=1e-4)
            {change}
            return config"""
MISTAKES["08_dropout_regularization_capstone"].update({
    ("capstone_test", "over the parameter budget"): (_CONFIG.format(change='config.update(hidden=[256, 128])'),
                                                     "over the budget"),
    ("capstone_test", "optimizer spelled like the class"): (_CONFIG.format(change='config["optimizer"] = "Adam"'),
                                                            "optimizer must be one of"),
    ("capstone_test", "hidden as a number"): (_CONFIG.format(change='config["hidden"] = 128'),
                                              "hidden must be a list"),
    ("capstone_test", "epochs as a float"): (_CONFIG.format(change='config["epochs"] = 10.0'),
                                             "epochs must be a positive integer"),
    ("capstone_test", "a key renamed"): (_CONFIG.format(change='config["learning_rate"] = config.pop("lr")'),
                                         "the keys must be exactly those of CAPSTONE_DEFAULTS"),
    ("capstone_test", "batch of 8"): (_CONFIG.format(change='config["batch_size"] = 8'),
                                      "batch_size must be an integer of at least 16"),
})
SLOW_SOLUTION_CELLS = {"capstone_test"}  # trains three networks; `course verify` checks that the solution passes it

# The explanation each NAMED wrong answer must get (its first words), so that a wrong answer is named as itself
# and not as another known mistake that happens to give the same numbers on the first failing case.
EXPLANATIONS = {
    # 05_adaptive_optimizers
    ('adagrad_step_test', 'eps inside the root'): 'eps inside the square root, sqrt(G + eps); this',
    ('adagrad_step_test', 'old G in the denominator'): 'the step divided by the old sum: add g**2 to G',
    ('adagrad_step_test', 'no square root'): 'the square root is missing.',
    ('adagrad_step_test', 'G accumulates g, not g squared'): 'G summed the gradients, not their squares:',
    ('adagrad_step_test', 'returns the old G'): 'returned the old G: return G_new, the sum that',
    ('adagrad_step_test', 'sign: steps uphill'): 'the step goes uphill: subtract lr * g /',
    ('rmsprop_step_test', 'eps always outside'): 'eps on the wrong side of the square root (check',
    ('rmsprop_step_test', 'eps_inside the wrong way round'): 'eps on the wrong side of the square root (check',
    ('rmsprop_step_test', 'old S in the step'): 'the step used the old average S: update S first.',
    ('rmsprop_step_test', 'beta and 1 - beta swapped'): 'beta and 1 - beta swapped in the moving average.',
    ('rmsprop_step_test', 'no (1 - beta)'): 'the (1 - beta) factor in front of g**2 is',
    ('rmsprop_step_test', "deck 003's cache += decay_rate * cache + ..."): "S added twice, as in deck 003's `cache +=",
    ('rmsprop_step_test', 'no square root'): 'the square root is missing: divide by the root',
    ('adadelta_step_test', 'RMS[g] from the old average'): 'RMS[g] used the old average E[g^2]_{t-1}:',
    ('adadelta_step_test', 'eps outside the roots'): 'eps added outside the roots; Adadelta puts it',
    ('adadelta_step_test', 'no eps in RMS[delta theta]'): 'eps missing in RMS[delta theta] = sqrt(E[delta',
    ('adadelta_step_test', 'no eps in RMS[g]'): 'eps missing in RMS[g] = sqrt(E[g^2] + eps).',
    ('adadelta_step_test', 'theta - delta (sign)'): 'theta - delta: delta = -RMS[delta theta] /',
    ('adadelta_step_test', 'ratio upside down'): 'the ratio is upside down: delta = -RMS[delta',
    ('adam_step_test', 'no bias correction'): 'missing bias correction (divide m by 1 -',
    ('adam_step_test', 'corrects only m'): 'only m was bias-corrected: v_hat = v / (1 -',
    ('adam_step_test', 'corrects only v'): 'only v was bias-corrected: m_hat = m / (1 -',
    ('adam_step_test', 't incremented after the corrections'): 't incremented after the corrections: the',
    ('adam_step_test', 'eps inside the root'): 'eps inside the square root; Adam puts it',
    ('adam_step_test', 'returns the old t'): 'returned the old t: return t + 1, the number of',
    ('adam_step_test', 'returns the corrected m_hat, v_hat as the state'): 'returned m_hat and v_hat as the state: keep the',
    ('adam_step_test', 'beta1 and 1 - beta1 swapped'): 'beta1 and 1 - beta1 swapped: m = beta1 * m + (1',
    ('adamw_step_test', 'L2 penalty in the gradient'): 'the L2 penalty: weight_decay * theta added to',
    ('adamw_step_test', 'decay after the Adam step'): 'the decay applied after the Adam step; AdamW',
    ('adamw_step_test', 'decay not scaled by lr'): 'the decay not scaled by the learning rate: the',
    ('adamw_step_test', 'no decay at all'): 'no weight decay at all.',
    ('adamw_step_test', 'both the L2 gradient and the decay'): 'both the L2 term in the gradient and the decay:',
    ('adamw_step_test', 'decay grows theta (sign)'): 'theta multiplied by (1 + lr * weight_decay):',
    ('adamax_step_test', 'u bias-corrected too'): 'u was bias-corrected too: Adamax corrects only',
    ('adamax_step_test', 't incremented after the correction'): 't incremented after the correction: it must use',
    ('adamax_step_test', 'eps after the maximum'): 'eps added after the maximum; PyTorch adds it to',
    ('adamax_step_test', 'no eps'): 'eps missing: u = max(beta2 * u, |g| + eps), so',
    ('adamax_step_test', 'no bias correction of m'): 'm was not bias-corrected: the step is lr / (1 -',
    ('adamax_step_test', 'u without beta2 decay'): 'the old maximum did not decay: u = max(beta2 *',
    ('nadam_step_test', 'plain Adam'): 'this is plain Adam: NAdam steps along beta1 *',
    ('nadam_step_test', 'gradient term not corrected'): 'the gradient term is missing its correction 1 /',
    ('nadam_step_test', 'raw m in the look-ahead'): 'the raw m in the look-ahead: NAdam steps along',
    ('nadam_step_test', 'no bias correction at all'): 'no bias correction: m_hat, v_hat and the',
    ('nadam_step_test', 't incremented after the corrections'): 't incremented after the corrections: they must',
    ('nadam_step_test', 'v not bias-corrected'): 'only m was bias-corrected: v_hat = v / (1 -',
    # 06_learning_rate_schedules
    ('babysit_test', 'the epoch not run again'): 'the epoch was not run again: after halving',
    ('babysit_test', 'compared with the starting cost'): 'each epoch was compared with the cost before',
    ('babysit_test', 'records the rate it started the epoch with'): 'lrs holds the rate each epoch started with;',
    ('babysit_test', 'retries from the failed attempt'): 'the epoch was run again from where the failed',
    ('babysit_test', 'halves every epoch'): 'alpha halved after every epoch: halve it only',
    ('linear_decay_test', 'no clamp'): 'no clamp: after n_epochs the rate must stay at',
    ('linear_decay_test', 'epochs from 1'): 'epochs counted from 1: at epoch 0 the rate must',
    ('linear_decay_test', 'lr0 and lr_final swapped'): 'lr0 and lr_final swapped.',
    ('linear_decay_test', 'integer division'): 'integer division epoch // n_epochs: that is 0',
    ('linear_decay_test', 'reaches lr_final one epoch early'): 'lr_final reached one epoch early: the fraction',
    ('linear_decay_test', 'lr_final left out'): 'lr_final left out of the mix: alpha = (1 - e /',
    ('inverse_time_test', 'exponential decay'): 'exponential decay lr0 * exp(-decay * epoch):',
    ('inverse_time_test', 'epochs from 1'): 'the epochs are shifted by one: at epoch 0 the',
    ('inverse_time_test', 'no 1 +'): 'the 1 + is missing: lr0 / (1 + decay * epoch).',
    ('inverse_time_test', 'operator precedence'): 'lr0 / 1 + decay * epoch: put the denominator in',
    ('inverse_time_test', 'multiplied'): 'multiplied by 1 + decay * epoch: divide by it.',
    ('inverse_time_test', 'a power of 1 + decay'): '(1 + decay) ** epoch: that is exponential',
    ('exponential_decay_test', 'epochs from 1'): 'epochs counted from 1: at epoch 0 the rate is',
    ('exponential_decay_test', 'gamma * epoch'): 'gamma * epoch instead of gamma ** epoch.',
    ('exponential_decay_test', 'exp(-gamma * epoch)'): 'exp(-gamma * epoch): gamma is the factor per',
    ('exponential_decay_test', '(1 - gamma) ** epoch'): '(1 - gamma) ** epoch: gamma is the factor kept',
    ('exponential_decay_test', 'another default gamma'): "the default gamma is 0.95 (deck 000's Method 2).",
    ('exponential_decay_test', 'divided by gamma ** epoch'): 'divided by gamma ** epoch: the rate must',
    ('inverse_sqrt_test', 'sqrt(epoch)'): 'sqrt(epoch) instead of sqrt(epoch + 1): the',
    ('inverse_sqrt_test', 'no square root'): 'the square root is missing.',
    ('inverse_sqrt_test', 'k left out'): 'k left out: k / sqrt(epoch + 1) * lr0.',
    ('inverse_sqrt_test', 'lr0 left out'): 'lr0 left out: k / sqrt(epoch + 1) * lr0.',
    ('inverse_sqrt_test', 'the root of the whole fraction'): 'the root of the whole fraction: only epoch + 1',
    ('inverse_sqrt_test', 'sqrt(epoch) + 1'): 'sqrt(epoch) + 1: the root is of epoch + 1,',
    ('keras_schedules_test', 'step: floor(epoch / epochs_drop)'): 'floor(epoch / epochs_drop): the Keras example',
    ('keras_schedules_test', 'step: no floor'): 'no floor: the rate must stay constant between',
    ('keras_schedules_test', 'step: multiplied instead of a power'): 'drop multiplied by the number of drops: it is a',
    ('keras_schedules_test', 'step: ceil'): 'ceil instead of floor: the first drop comes',
    ('keras_schedules_test', 'exponential: sign in the exponent'): 'the sign in the exponent: exp(k *',
    ('keras_schedules_test', 'exponential: not shifted by constant_epochs'): 'the decay counts from epoch 0: it starts at',
    ('cosine_restarts_test', 'no restarts'): 'no restarts: after the first cycle the rate',
    ('cosine_restarts_test', 'every cycle T_0 long'): 'every cycle has length T_0: the cycle lengths',
    ('cosine_restarts_test', 'lr_min left out'): 'lr_min left out of the formula.',
    ('cosine_restarts_test', 'the 1 + left out'): 'the 1 + is missing: lr_min + (lr0 - lr_min) *',
    ('cosine_restarts_test', 'a quarter period'): 'a quarter of a cosine period: the rate follows',
    ('cosine_restarts_test', 'restart one epoch late'): 'each restart one epoch late (t_cur > T_i): a',
    ('triangular_test', 'starts at max_lr'): 'the rate starts at max_lr: at epoch 0 it must',
    ('triangular_test', 'a sawtooth'): 'a sawtooth (only climbing): the rate must come',
    ('triangular_test', 'period step_size'): 'one cycle is 2 * step_size epochs: step_size',
    ('triangular_test', 'no abs'): 'abs missing: x = |epoch / step_size - 2 cycle +',
    ('triangular_test', 'base_lr and max_lr swapped'): 'the rate starts at max_lr: at epoch 0 it must',
    ('triangular_test', 'cycle without floor'): 'cycle without floor: cycle = floor(1 + epoch /',
    ('partial_sums_test', 'epoch 0 left out'): 'epoch 0 left out: the sums start with',
    ('partial_sums_test', 'square of the running sum'): 'the square of the running sum instead of the',
    ('partial_sums_test', 'the totals only'): 'a total instead of the running sums: return',
    ('partial_sums_test', 'n + 1 terms'): 'n + 1 terms: the sums run over epochs 0 .. n -',
    ('partial_sums_test', 'S1 and S2 swapped'): 'S1 and S2 swapped: return (running sum of the',
    # 07_init_preprocessing_batchnorm
    ('tanh_layer_statistics_test', 'std with ddof=1'): "std with ddof=1: the lecture's table divides by",
    ('tanh_layer_statistics_test', 'statistics before tanh'): 'statistics of z = h W before tanh: the table',
    ('tanh_layer_statistics_test', 'std per unit, then averaged'): 'std of each unit (axis=0), then averaged: take',
    ('tanh_layer_statistics_test', 'the input X as the first row'): 'the input X was given a row: one row per layer,',
    ('tanh_layer_statistics_test', 'columns [std, mean]'): 'the columns are [mean, std], in that order.',
    ('tanh_layer_statistics_test', 'variance instead of std'): 'the variance instead of the standard deviation.',
    ('tanh_layer_statistics_test', 'every layer fed X instead of the previous layer'): 'every layer computed from X: layer l takes the',
    ('xavier_and_he_test', 'xavier: fan_out'): 'divided by sqrt(fan_out): the variance is set',
    ('xavier_and_he_test', 'xavier: no square root'): 'divided by fan_in without the square root (that',
    ('xavier_and_he_test', "xavier: Glorot's 2 / (fan_in + fan_out)"): "Glorot's sqrt(2 / (fan_in + fan_out))",
    ('xavier_and_he_test', 'xavier: uniform draws'): 'uniform draws (rng.random): draw standard',
    ('xavier_and_he_test', "he: Xavier's variance"): "Xavier's 1/sqrt(fan_in): He doubles the",
    ('xavier_and_he_test', 'he: no square root'): '2 / fan_in without the square root: that is the',
    ('xavier_and_he_test', 'he: fan_out'): 'sqrt(2 / fan_out): the variance is set by the',
    ('xavier_and_he_test', 'he: sqrt(2) / fan_in'): 'sqrt(2) / fan_in: the std is the square root of',
    ('center_and_normalize_test', 'statistics of X'): 'statistics of X instead of X_train: new data',
    ('center_and_normalize_test', 'std with ddof=1'): 'std with ddof=1: normalize with the 1/N',
    ('center_and_normalize_test', 'normalized without centring'): 'X / sigma without centring: normalize the',
    ('center_and_normalize_test', 'divided by the variance'): 'divided by the variance sigma^2: divide by the',
    ('center_and_normalize_test', 'a single mean and std of all entries'): 'one mean and one std of all entries: mu and',
    ('decorrelate_and_whiten_test', 'covariance over N - 1'): 'covariance divided by N - 1: this course uses',
    ('decorrelate_and_whiten_test', 'eigenvalues left increasing'): 'eigenvalues in increasing order',
    ('decorrelate_and_whiten_test', 'divided by lambda, not its root'): 'divided by lambda + eps instead of its square',
    ('decorrelate_and_whiten_test', 'rows of U as the eigenvectors'): 'multiplied by U^T instead of U: the',
    ('decorrelate_and_whiten_test', 'not centred'): 'X not centred before the rotation: subtract the',
    ('decorrelate_and_whiten_test', 'signs not fixed'): 'the signs of the eigenvectors are not fixed:',
    ('decorrelate_and_whiten_test', 'eps outside the root'): 'eps added after the root: divide by sqrt(lambda',
    ('decorrelate_and_whiten_test', 'covariance of X, not X_train'): 'the statistics of X instead of X_train: new',
    ('bn_forward_test', 'normalized with the unbiased variance'): 'normalized with the unbiased variance:',
    ('bn_forward_test', 'eps outside the root'): 'eps added outside the square root: divide by',
    ('bn_forward_test', 'gamma and beta not applied'): 'gamma and beta not applied: y = gamma * x_hat +',
    ('bn_forward_test', 'momentum convention flipped'): "momentum convention flipped: PyTorch's is",
    ('bn_forward_test', 'biased variance in running_var'): 'biased variance in running_var: PyTorch',
    ('bn_forward_test', 'running statistics not updated'): 'the running statistics were not updated in',
    ('bn_forward_test', 'evaluation with the batch statistics'): 'evaluation mode used the batch statistics: at',
    ('bn_forward_test', 'evaluation updates the running statistics'): 'evaluation mode updated the running statistics:',
    ('bn_forward_test', 'evaluation without eps'): 'eps missing in evaluation mode: divide by',
    ('bn_backward_test', 'only the direct path'): 'only the direct path x -> xhat: mu and',
    ('bn_backward_test', '1/N missing'): 'the 1/N is missing: dx_i = gamma / (N sigma) *',
    ('bn_backward_test', 'x instead of x_hat in the last term'): 'x instead of x_hat in the last term.',
    ('bn_backward_test', 'the path through the mean missing'): 'the path through the mean (step 1) is missing.',
    ('bn_backward_test', 'dgamma averaged'): 'dgamma averaged over the rows: gamma was',
    ('bn_backward_test', 'dbeta averaged'): 'dbeta averaged over the rows instead of summed.',
    ('bn_backward_test', 'dgamma and dbeta swapped'): 'dgamma and dbeta swapped: return (dx, dgamma,',
    ('bn_backward_test', 'eps missing'): 'eps missing: sigma = sqrt(sigma_B^2 + eps).',
    ('bn_backward_graph_test', 'only the direct path'): 'only the direct path x -> xhat: mu and',
    ('bn_backward_graph_test', '1/N missing'): 'the 1/N is missing: dx_i = gamma / (N sigma) *',
    ('bn_backward_graph_test', 'x instead of x_hat in the last term'): 'x instead of x_hat in the last term.',
    ('bn_backward_graph_test', 'the path through the mean missing'): 'the path through the mean (step 1) is missing.',
    ('bn_backward_graph_test', 'dgamma averaged'): 'dgamma averaged over the rows: gamma was',
    ('bn_backward_graph_test', 'dbeta averaged'): 'dbeta averaged over the rows instead of summed.',
    ('bn_backward_graph_test', 'dgamma and dbeta swapped'): 'dgamma and dbeta swapped: return (dx, dgamma,',
    ('bn_backward_graph_test', 'eps missing'): 'eps missing: sigma = sqrt(sigma_B^2 + eps).',
    ('bn_backward_graph_test', 'graph: the two uses of xmu not added'): 'xmu is used twice (steps 2 and 3): add the',
    ('bn_backward_graph_test', 'graph: sign of the 1/std gate'): 'the sign of step 6: the derivative of 1/std is',
    ('bn_backward_graph_test', 'graph: the mean gate without 1/N'): 'the mean in step 4 divides by N: dsq = dvar / N.',
    ('bn_backward_graph_test', 'graph: sign of the subtraction gate'): 'the sign of step 2: xmu = x - mu, so dmu =',
    ('identity_gamma_beta_test', 'gamma without eps'): 'gamma = sigma_B without eps: batch norm divides',
    ('identity_gamma_beta_test', 'unbiased variance'): 'unbiased variance: batch norm normalizes with',
    ('identity_gamma_beta_test', 'no square root'): 'gamma = sigma_B^2 + eps: take the square root.',
    ('identity_gamma_beta_test', 'gamma = 1 / sigma'): 'gamma = 1 / sigma: batch norm divides by sigma,',
    ('identity_gamma_beta_test', 'returned (beta, gamma)'): 'gamma and beta swapped: return (gamma, beta) in',
    # 08_dropout_regularization_capstone
    ('dropout_inverted_test', 'not rescaled'): 'dropout not rescaled: inverted dropout divides',
    ('dropout_inverted_test', 'p as the keep probability'): "p used as the KEEP probability (the lecture's",
    ('dropout_inverted_test', 'divided by p'): 'kept units divided by p instead of 1 - p (the',
    ('dropout_inverted_test', 'kept where u < p'): 'units kept where u < p: keep them where u >= p,',
    ('dropout_inverted_test', 'scaled at test time too'): 'test-time output scaled by 1 - p: inverted',
    ('dropout_inverted_test', 'mask returned without its scale'): 'the mask returned without its scale: mask = (u',
    ('dropout_inverted_test', 'dropout at test time'): 'dropout applied with train=False: at test time',
    ('dropout_test_scaling_test', 'test output times p'): 'test-time output multiplied by p: p is the DROP',
    ('dropout_test_scaling_test', 'no scaling at test time'): 'no scaling at test time: the test output must',
    ('dropout_test_scaling_test', 'training rescaled too'): 'training output rescaled by 1 / (1 - p): that',
    ('dropout_test_scaling_test', 'kept where u < p'): 'units kept where u < p: keep them where u >= p,',
    ('dropout_test_scaling_test', 'test output divided by 1 - p'): 'test-time output divided by 1 - p: that undoes',
    ('dropout_test_scaling_test', 'dropout at test time'): 'dropout applied with train=False: at test time',
    ('weight_penalty_test', 'biases penalized'): 'the biases were penalized too: only the weight',
    ('weight_penalty_test', 'a factor 1/2'): "a factor 1/2 in front: this course's L2 penalty",
    ('weight_penalty_test', 'L2 gradient l2 * W'): 'l2 * W: the gradient of l2 * sum W^2 is 2 * l2',
    ('weight_penalty_test', 'L1 gradient |W|'): 'l1 * |W| is the penalty; its gradient is l1 *',
    ('weight_penalty_test', 'the norm instead of the sum of squares'): 'the norm instead of the sum of squares: l2 *',
    ('weight_penalty_test', 'mean instead of sum'): 'the mean instead of the sum of the squares.',
    ('early_stopping_test', 'one epoch late'): 'stops one epoch late (counter > patience): stop',
    ('early_stopping_test', 'compared with the previous epoch'): 'compared with the previous epoch instead of the',
    ('early_stopping_test', 'min_delta ignored'): 'min_delta ignored: an epoch improves only if',
    ('early_stopping_test', 'an equal cost counts as an improvement'): 'an equal cost counted as an improvement: only',
    ('early_stopping_test', 'counter not reset'): 'the counter was not reset to 0 when the cost',
    ('early_stopping_test', 'epochs counted from 1'): 'epochs counted from 1: the first epoch is epoch',
    ('early_stopping_test', 'never stopping returns len(val_costs)'): 'without a stop, the last epoch is',
    ('softmax_cross_entropy_test', 'not shifted'): 'softmax not shifted: exp(1000) overflows;',
    ('softmax_cross_entropy_test', 'summed over the examples'): 'summed over the examples: forgot the 1/N (the',
    ('softmax_cross_entropy_test', 'softmax over the batch'): 'softmax over the batch (axis=0) instead of over',
    ('softmax_cross_entropy_test', 'minus sign missing'): 'the minus sign is missing: the loss is -log',
    ('softmax_cross_entropy_test', 'averaged over every class'): 'averaged over every class: take only the',
    ('softmax_cross_entropy_test', 'log10'): 'log10 instead of the natural log (np.log).',
    ('random_search_test', 'uniform on a linear scale'): 'uniform on a linear scale: draw the EXPONENT',
    ('random_search_test', 'returned the exponents'): 'returned the exponents: take 10 ** exponent.',
    ('random_search_test', 'natural-log bounds with base 10'): 'natural-log bounds with base 10 (10 **',
    ('random_search_test', '10 ** uniform(low, high)'): '10 ** uniform(low, high): the exponent is drawn',
    ('random_search_test', 'size not passed'): 'one number instead of `size` of them: pass size',
    ('random_search_test', 'refine: lowest scores'): 'took the LOWEST scores: higher scores are',
    ('random_search_test', 'refine: top_k + 1'): 'the range of the values with the top_k + 1 best',
    ('random_search_test', 'refine: first and last of the top_k'): 'the first and last of the top_k by score:',
    ('random_search_test', 'refine: the range of the scores'): 'the range of the scores: return the range of',
    ('update_weight_ratio_test', 'norm after the step'): 'divided by the norm AFTER the update: use the',
    ('update_weight_ratio_test', 'ratio per array, averaged'): 'ratio of each array, then averaged: take all',
    ('update_weight_ratio_test', 'squared norms'): 'squared norms: take the square roots.',
    ('update_weight_ratio_test', 'only the first array'): 'only the first array: all parameters together',
    ('update_weight_ratio_test', 'inverted'): "the ratio upside down: the update's norm over",
    ('update_weight_ratio_test', 'difference of the norms'): 'the change of the norm, | ||after|| -',
    ('ensemble_predict_test', 'majority vote'): "majority vote of the models' argmax: average",
    ('ensemble_predict_test', 'summed, not averaged'): 'summed over the models: average them (divide by',
    ('ensemble_predict_test', 'multiplied the probabilities'): 'multiplied the probabilities: average them.',
    ('ensemble_predict_test', 'largest probability over the models'): "each class's largest probability over the",
}

ASSIGNMENTS = sorted(MISTAKES)
_built = {}


def assignment(name):
    """One solved namespace per assignment, built on first use and shared by every test of this module."""
    if name not in _built:
        _built[name] = Assignment(name, skip=SKIP.get(name, ()))
    return _built[name]


def outcomes(name):
    """{(test cell, mistake): (visible outcome, hidden outcome, phrase)}, computed once per assignment."""
    key = ("outcomes", name)
    if key not in _built:
        a = assignment(name)
        _built[key] = {k: (a.run(k[0], code), a.run(k[0], code, hidden=True), phrase)
                       for k, (code, phrase) in MISTAKES[name].items()}
    return _built[key]


def named(outcome, phrase, key=None):
    """The outcome failed with a message that contains `phrase`; for NAMED, the mistake's own explanation."""
    if phrase is HIDDEN_ONLY or not outcome.failed or outcome.raw is not None:
        return False
    if phrase == NAMED and key in EXPLANATIONS:
        phrase = f"{NAMED}: {EXPLANATIONS[key]}"
    return phrase in outcome.message


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_every_typical_wrong_answer_fails_its_part_visibly_and_hidden_without_raw_errors(name):
    problems = []
    for (cell, mistake), (visible, hidden, phrase) in outcomes(name).items():
        for where, out in (("visible", visible), ("hidden", hidden)):
            if not out.failed and not (where == "visible" and phrase is HIDDEN_ONLY):
                problems.append(f"{cell} / {mistake}: passes the {where} test")
            elif out.raw:
                problems.append(f"{cell} / {mistake}: the {where} test raised {out.raw[:200]}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_nine_in_ten_typical_wrong_answers_are_named_by_the_visible_test(name):
    results = outcomes(name)
    unnamed = [f"{cell} / {mistake}: {visible.message[:300]}"
               for (cell, mistake), (visible, _, phrase) in results.items()
               if not named(visible, phrase, (cell, mistake))]
    share = 1 - len(unnamed) / len(results)
    assert share >= 0.9, f"{name}: {share:.0%} named; unnamed:\n" + "\n".join(unnamed)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_every_graded_part_has_at_least_six_typical_wrong_answers(name):
    cells = [cell for cell, _ in MISTAKES[name]]
    few = {cell: cells.count(cell) for cell in set(cells) if cells.count(cell) < 6}
    assert not few, few


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_solution_passes_every_test_cell_that_has_wrong_answers(name):
    a = assignment(name)
    for cell in sorted({cell for cell, _ in MISTAKES[name]} - SLOW_SOLUTION_CELLS):
        for hidden in (False, True):
            out = a.run(cell, "", hidden=hidden)
            assert not out.failed, f"{cell} ({'hidden' if hidden else 'visible'}): {out.message[:300]}"



# ---------------------------------------------------------------------------------------------------------------
# The three grading helpers these test cells use (course_lib.grading, appended this round)


def test_check_inputs_unchanged_names_the_argument_a_function_writes_into_and_passes_a_pure_one():
    import numpy as np

    from course_lib.grading import check_inputs_unchanged

    def in_place(theta, g, G, lr=0.1):
        G += g * g
        return theta - lr * g / np.sqrt(G), G

    def pure(theta, g, G, lr=0.1):
        G_new = G + g * g
        return theta - lr * g / np.sqrt(G_new), G_new

    case = (np.array([1.0, np.nan]), np.array([0.5, 2.0]), np.zeros(2))
    with pytest.raises(AssertionError, match=r"in_place changed its input `G` in place \(case 1\): return new"):
        check_inputs_unchanged(in_place, [case])
    assert check_inputs_unchanged(pure, [case])  # a NaN input left alone is unchanged
    with pytest.raises(AssertionError, match="raised ZeroDivisionError"):
        check_inputs_unchanged(lambda x: 1 / 0, [(np.ones(1),)])


def test_call_student_turns_exceptions_and_a_wrong_number_of_outputs_into_messages():
    import numpy as np

    from course_lib.grading import call_student

    x = np.array([1.0, 2.0])
    assert call_student(lambda a, b=1: (a * b, a), x, b=2, returns=2)[0].tolist() == [2.0, 4.0]
    with pytest.raises(AssertionError, match=r"bn should return 3 values \(dx, dgamma, dbeta\), got a tuple of 2"):
        call_student(lambda a: (a, a), x, returns=("dx", "dgamma", "dbeta"), name="bn")
    with pytest.raises(AssertionError, match=r"should return 2 values, got None"):
        call_student(lambda a: None, x, returns=2)
    with pytest.raises(AssertionError, match=r"raised NotImplementedError .*not written yet"):
        call_student(lambda a: (_ for _ in ()).throw(NotImplementedError()), x)
    call_student(lambda a: a.fill(0.0), x)
    assert x.tolist() == [1.0, 2.0]  # the function got a copy


def test_check_shape_known_names_a_listed_wrong_shape_and_otherwise_is_check_shape():
    import numpy as np

    from course_lib.grading import check_shape_known

    known = {(3, 2): "the input X was given a row"}
    with pytest.raises(AssertionError, match=r"got \(3, 2\)\nThis matches a known mistake: the input X was given a row\."):
        check_shape_known(np.zeros((3, 2)), (2, 2), "stats", known)
    with pytest.raises(AssertionError, match=r"expected shape \(2, 2\), got \(4, 2\)") as failure:
        check_shape_known(np.zeros((4, 2)), (2, 2), "stats", known)
    assert NAMED not in str(failure.value)
    with pytest.raises(AssertionError, match="is None"):
        check_shape_known(None, (2, 2), "stats", known)
    assert check_shape_known(np.zeros((2, 2)), (2, 2), "stats", known)


# Every student function of each part: a part not written yet (the stub's NotImplementedError) or a missing `return`
# must fail its test with a message, never with a raw error from the test's own code.
FUNCTIONS = {
    "05_adaptive_optimizers": {f"{fn}_test": [fn] for fn in ("adagrad_step", "rmsprop_step", "adadelta_step",
                                                            "adam_step", "adamw_step", "adamax_step", "nadam_step")},
    "06_learning_rate_schedules": {
        **{f"{fn}_test": [fn] for fn in ("babysit", "linear_decay", "inverse_time", "exponential_decay", "inverse_sqrt",
                                         "cosine_restarts", "triangular", "partial_sums")},
        "keras_schedules_test": ["keras_step_decay", "constant_then_exponential"]},
    "07_init_preprocessing_batchnorm": {
        **{f"{fn}_test": [fn] for fn in ("tanh_layer_statistics", "center_and_normalize", "decorrelate_and_whiten",
                                         "bn_forward", "bn_backward_graph", "bn_backward", "identity_gamma_beta")},
        "xavier_and_he_test": ["xavier_init", "he_init"]},
    "08_dropout_regularization_capstone": {
        **{f"{fn}_test": [fn] for fn in ("dropout_inverted", "dropout_test_scaling", "weight_penalty", "early_stopping",
                                         "softmax_cross_entropy", "update_weight_ratio", "ensemble_predict")},
        "random_search_test": ["sample_log_uniform", "refine_range"]},
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_an_unwritten_part_or_a_missing_return_fails_with_a_message_not_a_raw_error(name):
    a = assignment(name)
    problems = []
    for cell, fns in FUNCTIONS[name].items():
        for fn in fns:
            for body in ("raise NotImplementedError()", "return None"):
                for hidden in (False, True):
                    out = a.run(cell, f"def {fn}(*args, **kwargs):\n    {body}\n", hidden=hidden)
                    if out.raw or not out.failed:
                        problems.append(f"{cell} / {fn} with `{body}`: {out.raw or 'passes'}")
    assert not problems, "\n".join(problems)
