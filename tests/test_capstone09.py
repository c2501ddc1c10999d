"""Assignment 09 (your own network): its structure, and that typical wrong answers get a message naming the mistake.

The solution notebook's code cells run once in this process (the slow regularization experiment and the plots are
left out); then each typical wrong answer replaces the student's code and the part's test cell must fail with a
message that names the mistake ("This matches a known mistake: ..." or the specific rule that was broken).
"""
import json
import re
import textwrap
import warnings

import matplotlib
import pytest

from conftest import ROOT

ASSIGNMENT = "09_your_own_network"
SOURCE = ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
SKIP = {"curves", "regularized_test", "regularization_plot", "explorer"}  # slow or only drawing


def _cells():
    return json.loads(SOURCE.read_text())["cells"]


def _grading(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def _source(cell):
    return "".join(cell["source"])


def test_capstone_has_graded_parts_with_visible_and_hidden_tests_expected_blocks_and_written_answers():
    cells = _cells()
    first = next(c for c in cells if c["cell_type"] == "code")
    assert "course_lib.grading" in _source(first) and _grading(first).get("locked")
    tests = [c for c in cells if c["cell_type"] == "code" and _grading(c).get("grade")]
    assert len(tests) >= 9
    for cell in tests:
        src, gid = _source(cell), _grading(cell)["grade_id"]
        assert _grading(cell)["points"] > 0 and "### BEGIN HIDDEN TESTS" in src, gid
        visible = src.split("### BEGIN HIDDEN TESTS")[0]
        # instructor code that computes expected values sits in EXPECTED blocks, which the release turns into numbers
        outside = re.sub(r"### BEGIN EXPECTED\n.*?### END EXPECTED\n", "", visible, flags=re.S)
        assert "EXPECTED" not in outside, f"{gid}: unbalanced EXPECTED markers"
        assert not re.search(r"\bMLP\(|_layers\.|_losses\.|optim\.Adam\(", outside), \
            f"{gid}: a visible test computes a reference outside an EXPECTED block"
        assert re.search(r"\bcheck_\w+\(", visible), gid
    written = [c for c in cells if c["cell_type"] == "markdown" and _grading(c).get("grade")]
    assert len(written) >= 2 and all(_grading(c)["solution"] for c in written)
    ids = [_grading(c).get("grade_id") for c in cells if _grading(c)]
    assert len(ids) == len(set(ids))
    for c in cells:
        if c["cell_type"] == "code":
            assert c["outputs"] == [] and c["execution_count"] is None


@pytest.fixture(scope="module")
def solved():
    """{grade_id: source} and the namespace after running the solution notebook's cells (plots go to Agg)."""
    matplotlib.use("Agg")
    namespace, sources = {"__name__": "capstone09"}, {}
    for cell in _cells():
        gid = _grading(cell).get("grade_id") or cell.get("id")
        src = "\n".join(line for line in _source(cell).splitlines() if not line.startswith("%"))
        sources[gid] = src
        if cell["cell_type"] == "code" and gid not in SKIP:
            exec(compile(src, gid, "exec"), namespace)
    return sources, namespace


# (test cell, code that replaces the student's, a phrase the failure must contain)
NAMED = "This matches a known mistake"
MISTAKES = {
    "db averaged": ("dense_test", """
        def dense_backward(dout, cache):
            x, W = cache
            return dout @ W.T, x.T @ dout, dout.mean(axis=0)""", NAMED),
    "bias forgotten": ("dense_test", """
        def dense_forward(x, W, b):
            return x @ W, (x, W)""", NAMED),
    "relu gradient at 0": ("relu_test", """
        def relu_backward(dout, cache):
            return dout * (cache >= 0)""", NAMED),
    "relu times output": ("relu_test", """
        def relu_backward(dout, cache):
            return dout * np.maximum(cache, 0)""", NAMED),
    "bn unbiased variance": ("batchnorm_test", """
        _right = batchnorm_forward
        def batchnorm_forward(x, gamma, beta, bn_state, momentum=0.1, eps=1e-5):
            n = x.shape[0]
            xhat = (x - x.mean(0)) / np.sqrt(x.var(0, ddof=1) + eps)
            _right(x, gamma, beta, bn_state, momentum, eps)
            return gamma * xhat + beta, None""", NAMED),
    "bn momentum swapped": ("batchnorm_test", """
        _right = batchnorm_forward
        def batchnorm_forward(x, gamma, beta, bn_state, momentum=0.1, eps=1e-5):
            out, cache = _right(x, gamma, beta, bn_state, momentum, eps)
            bn_state["running_mean"] = momentum * 0.5 + (1 - momentum) * x.mean(0)
            return out, cache""", NAMED),
    "bn running var biased": ("batchnorm_test", """
        _right = batchnorm_forward
        def batchnorm_forward(x, gamma, beta, bn_state, momentum=0.1, eps=1e-5):
            out, cache = _right(x, gamma, beta, bn_state, momentum, eps)
            bn_state["running_var"] = (1 - momentum) * 2.0 + momentum * x.var(0)
            return out, cache""", NAMED),
    "bn constant statistics": ("batchnorm_test", """
        def batchnorm_backward(dout, cache):
            xhat, gamma, inv_std = cache
            return gamma * inv_std * dout, (dout * xhat).sum(0), dout.sum(0)""", NAMED),
    "bn mean term only": ("batchnorm_test", """
        def batchnorm_backward(dout, cache):
            xhat, gamma, inv_std = cache
            n = dout.shape[0]
            return gamma * inv_std / n * (n * dout - dout.sum(0)), (dout * xhat).sum(0), dout.sum(0)""", NAMED),
    "dropout not rescaled": ("dropout_test", """
        def dropout_forward(x, keep, p):
            return x * keep, keep""", NAMED),
    "dropout divided by p": ("dropout_test", """
        def dropout_forward(x, keep, p):
            return x * keep / p, keep / p""", NAMED),
    "loss summed": ("softmax_cross_entropy_test", """
        _right = softmax_cross_entropy
        def softmax_cross_entropy(logits, y):
            loss, d = _right(logits, y)
            return loss * len(y), d""", NAMED),
    "dlogits not over N": ("softmax_cross_entropy_test", """
        _right = softmax_cross_entropy
        def softmax_cross_entropy(logits, y):
            loss, d = _right(logits, y)
            return loss, d * len(y)""", NAMED),
    "no max shift": ("softmax_cross_entropy_test", """
        def softmax_cross_entropy(logits, y):
            p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
            n = len(y)
            d = p.copy()
            d[np.arange(n), y] -= 1
            return -np.log(p[np.arange(n), y]).mean(), d / n""", "overflow"),
    "l2 halved": ("network_test", """
        class Network(Network):
            def loss_and_grads(self, X, y, l2=0.0, masks=None):
                loss, grads = super().loss_and_grads(X, y, l2=l2, masks=masks)
                return loss - 0.5 * l2 * sum(np.sum(self.params[s["W"]] ** 2) for s in self.slots), grads""", NAMED),
    "l2 on biases": ("network_test", """
        class Network(Network):
            def loss_and_grads(self, X, y, l2=0.0, masks=None):
                loss, grads = super().loss_and_grads(X, y, l2=l2, masks=masks)
                return loss + l2 * sum(np.sum(self.params[s["b"]] ** 2) for s in self.slots), grads""", NAMED),
    "l2 gradient without 2": ("network_test", """
        class Network(Network):
            def loss_and_grads(self, X, y, l2=0.0, masks=None):
                loss, grads = super().loss_and_grads(X, y, l2=l2, masks=masks)
                for s in self.slots:
                    grads[s["W"]] = grads[s["W"]] - l2 * self.params[s["W"]]
                return loss, grads""", NAMED),
    "one-sided differences": ("numerical_grads_test", """
        def numerical_grads(f, params, h=1e-5):
            out = []
            for p in params:
                g = np.zeros_like(p)
                for j in np.ndindex(p.shape):
                    old = p[j]; base = f(); p[j] = old + h; g[j] = (f() - base) / h; p[j] = old
                out.append(g)
            return out""", NAMED),
    "divided by h": ("numerical_grads_test", """
        def numerical_grads(f, params, h=1e-5):
            out = []
            for p in params:
                g = np.zeros_like(p)
                for j in np.ndindex(p.shape):
                    old = p[j]; p[j] = old + h; a = f(); p[j] = old - h; b = f(); p[j] = old; g[j] = (a - b) / h
                out.append(g)
            return out""", NAMED),
    "not restored": ("numerical_grads_test", """
        def numerical_grads(f, params, h=1e-5):
            out = []
            for p in params:
                g = np.zeros_like(p)
                for j in np.ndindex(p.shape):
                    old = p[j]; p[j] = old + h; a = f(); p[j] = old - h; b = f(); g[j] = (a - b) / (2 * h)
                out.append(g)
            return out""", "must be restored"),
    "adam without correction": ("optimizer_test", """
        class Adam(Adam):
            def step(self, grads):
                self.t += 1
                for p, g, m, v in zip(self.params, grads, self.m, self.v):
                    m[...] = 0.9 * m + 0.1 * g; v[...] = 0.999 * v + 0.001 * g * g
                    p -= self.lr * m / (np.sqrt(v) + self.eps)""", NAMED),
    "adam corrects only m": ("optimizer_test", """
        class Adam(Adam):
            def step(self, grads):
                self.t += 1
                for p, g, m, v in zip(self.params, grads, self.m, self.v):
                    m[...] = 0.9 * m + 0.1 * g; v[...] = 0.999 * v + 0.001 * g * g
                    p -= self.lr * m / (1 - 0.9 ** self.t) / (np.sqrt(v) + self.eps)""", NAMED),
    "adam t counted from 0 then incremented after": ("optimizer_test", """
        class Adam(Adam):
            def step(self, grads):
                self.t += 1
                t = self.t + 1
                for p, g, m, v in zip(self.params, grads, self.m, self.v):
                    m[...] = 0.9 * m + 0.1 * g; v[...] = 0.999 * v + 0.001 * g * g
                    p -= self.lr * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + self.eps)""", NAMED),
    "adam replaces the arrays": ("optimizer_test", """
        class Adam(Adam):
            def step(self, grads):
                before = [p.copy() for p in self.params]
                super().step(grads)
                self.params[:] = [p.copy() for p in self.params]""", "in place"),
    "cosine from 1": ("optimizer_test", """
        def cosine_schedule(epoch, lr0, epochs, lr_min=0.0):
            return lr_min + 0.5 * (lr0 - lr_min) * (1 + np.cos(np.pi * (epoch + 1) / epochs))""", NAMED),
    "cosine half period": ("optimizer_test", """
        def cosine_schedule(epoch, lr0, epochs, lr_min=0.0):
            return lr_min + 0.5 * (lr0 - lr_min) * (1 + np.cos(np.pi * epoch / (2 * epochs)))""", NAMED),
    "last batch dropped": ("train_test", """
        _right = train
        def train(net, optimizer, schedule, X, y, X_val, y_val, epochs, batch_size, l2=0.0, seed=0):
            keep = len(X) // batch_size * batch_size
            rng = np.random.default_rng(seed)
            history = {"loss": [], "lr": [], "train_acc": [], "val_acc": []}
            for e in range(epochs):
                optimizer.lr = schedule(e)
                order = rng.permutation(len(X))[:keep]
                for s in range(0, keep, batch_size):
                    idx = order[s:s + batch_size]
                    loss, grads = net.loss_and_grads(X[idx], y[idx], l2=l2)
                    optimizer.step(grads)
            return history""", NAMED),
    "cosine returns None": ("optimizer_test", """
        def cosine_schedule(epoch, lr0, epochs, lr_min=0.0):
            lr = lr_min + 0.5 * (lr0 - lr_min) * (1 + np.cos(np.pi * epoch / epochs))""", "must return a number"),
    "params as lists": ("network_test", """
        class Network(Network):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.params = [q.tolist() for q in self.params]""", "float64 NumPy arrays"),
    "schedule one epoch late": ("train_test", """
        _right = train
        def train(net, optimizer, schedule, X, y, X_val, y_val, epochs, batch_size, l2=0.0, seed=0):
            return _right(net, optimizer, lambda e: schedule(e + 1), X, y, X_val, y_val, epochs, batch_size, l2, seed)
        """, NAMED),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_a_typical_wrong_answer_fails_its_part_with_a_message_naming_the_mistake(solved, mistake):
    sources, namespace = solved
    test_cell, wrong, phrase = MISTAKES[mistake]
    ns = dict(namespace)
    exec(textwrap.dedent(wrong), ns)
    with pytest.raises(AssertionError) as failure, warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the overflow of the unshifted softmax, on purpose
        exec(compile(sources[test_cell], test_cell, "exec"), ns)
    assert phrase in str(failure.value), f"{mistake}: {str(failure.value)[:400]}"


def test_the_solution_passes_every_fast_test_cell(solved):
    sources, namespace = solved  # the fixture ran every test cell but the regularization experiment
    assert namespace["history9"]["val_acc"][-1] >= 0.95
    assert namespace["worst7"] < 1e-6
