"""Lesson 7's checks of the parts a student brings from lessons 1 to 6, as they arrive.

Lesson 7 is assembled from the student's own functions, pasted into one cell per lesson. After
each such cell, ``check_parts(lesson)`` checks what was pasted the way that lesson's visible tests
do: the signature of the course API, the values on a small worked example, float32 kept, the
inputs unchanged (``helpers.checks.StudentFunction`` watches them), no warning where the lesson
forbids one. A broken part is named ("mlp_backward, from lesson 4: ...") before it can show up
only as a bad accuracy.

The expected values are written out as numbers (worked out once with the course's reference),
never computed with a formula: nothing here gives a part away. Gradients are checked against
the slope of the student's own loss along random directions, and a training run against
numbers.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from helpers.checks import (
    CheckFailed,
    _failure,
    check_close,
    check_dtype,
    check_equal,
    check_function,
    check_no_warnings,
    check_type,
    check_unchanged,
    fail,
)

# The parts of each lesson, in the order lesson 7 asks for them (lesson 2 includes lesson 1's
# accuracy), with their course API signatures.
PARTS: dict[int, tuple[str, ...]] = {
    2: ("accuracy", "sigmoid", "softmax"),
    3: ("dense_forward", "relu_forward", "sigmoid_forward", "init_params", "mlp_forward",
        "mlp_predict"),
    4: ("dense_backward", "relu_backward", "sigmoid_backward", "softmax_cross_entropy",
        "mlp_backward", "mlp_loss"),
    5: ("train_val_test_split", "iterate_minibatches", "l2_regularization", "EarlyStopping",
        "train"),
    6: ("Adam",),
}  # fmt: skip
LESSON_OF = {"accuracy": 1} | {name: lesson for lesson, names in PARTS.items() for name in names}
SIGNATURES = {
    "accuracy": "(y_true, y_pred)",
    "sigmoid": "(x)",
    "softmax": "(z, temperature=1.0)",
    "dense_forward": "(X, W, b)",
    "relu_forward": "(x)",
    "sigmoid_forward": "(x)",
    "init_params": "(layer_sizes, scheme='he', rng=None, dtype=<class 'numpy.float64'>)",
    "mlp_forward": "(X, params, activation='relu')",
    "mlp_predict": "(X, params, activation='relu')",
    "dense_backward": "(dout, cache)",
    "relu_backward": "(dout, cache)",
    "sigmoid_backward": "(dout, cache)",
    "softmax_cross_entropy": "(logits, y)",
    "mlp_backward": "(dlogits, caches, activation='relu')",
    "mlp_loss": "(X, y, params, activation='relu')",
    "train_val_test_split": "(X, y, val_fraction, test_fraction, rng)",
    "iterate_minibatches": "(X, y, batch_size, rng)",
    "l2_regularization": "(params, lam)",
    "EarlyStopping": "(patience)",
    "train": (
        "(params, X_train, y_train, X_val, y_val, epochs, batch_size, optimizer, rng,"
        " activation='relu', lam=0.0, patience=None, progress=True)"
    ),
    "Adam": "(lr, beta1=0.9, beta2=0.999, eps=1e-08)",
}

F32 = np.float32

# A small network used by several checks: 2 inputs, 3 hidden units, 2 classes.
_NET = [
    (np.array([[1.0, -1.0, 0.5], [0.5, 1.0, -1.0]]), np.array([0.0, 0.5, -0.5])),
    (np.array([[1.0, 0.0], [0.0, 2.0], [-1.0, 1.0]]), np.array([0.1, -0.1])),
]
_NET_X = np.array([[1.0, 2.0], [0.0, -1.0], [-1.0, 1.0]])
_NET_Y = np.array([1, 0, 1])


def _net(dtype=np.float64) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(W.astype(dtype), b.astype(dtype)) for W, b in _NET]


def _part(namespace: dict, name: str) -> Any:
    return check_function(namespace[name], name, signature=SIGNATURES[name])


# ---------------------------------------------------------------------------------------------
# Lessons 1 and 2


def _check_accuracy(ns: dict) -> None:
    result = _part(ns, "accuracy")(np.array([0, 1, 2, 2, 3, 3]), np.array([0, 1, 0, 2, 3, 1]))
    check_close(result, 4 / 6, "accuracy([0, 1, 2, 2, 3, 3], [0, 1, 0, 2, 3, 1])", atol=1e-9,
                hint="The fraction of labels that are equal, not rounded.")  # fmt: skip


def _check_sigmoid(ns: dict) -> None:
    sigmoid = _part(ns, "sigmoid")
    x = np.array([-1000.0, -1.0, 0.0, 2.0, 1000.0], dtype=F32)
    result = sigmoid(x)
    check_no_warnings(sigmoid, "sigmoid at -1000 and 1000", hint="Lesson 2's stable form.")
    check_type(result, np.ndarray, "sigmoid(x)")
    check_close(result, [0.0, 0.268941, 0.5, 0.880797, 1.0], "sigmoid(x)", atol=1e-6)
    check_dtype(result, F32, "sigmoid of float32 x")


def _check_softmax(ns: dict) -> None:
    softmax = _part(ns, "softmax")
    z = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, -1000.0]], dtype=F32)
    result = softmax(z)
    check_no_warnings(softmax, "softmax of scores of 1000", hint="Subtract each row's maximum.")
    check_type(result, np.ndarray, "softmax(z)")
    check_close(
        result, [[0.090031, 0.244728, 0.665241], [0.5, 0.5, 0.0]], "softmax(z)", atol=1e-4,
        hint="One softmax per row (over the last axis), stable.",
    )  # fmt: skip
    check_dtype(result, F32, "softmax of float32 z")
    check_close(
        softmax(np.array([0.0, 2.0]), temperature=2.0), [0.268941, 0.731059],
        "softmax([0, 2], temperature=2.0)", atol=1e-6, hint="softmax of z / temperature.",
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Lesson 3

_DENSE_X = np.array([[1.0, 2.0, 0.0], [-1.0, 0.5, 2.0]])
_DENSE_W = np.array([[1.0, -1.0], [0.5, 2.0], [-1.0, 0.25]])
_DENSE_B = np.array([0.5, -1.0])


def _check_cache(cache: Any, expected: tuple, name: str) -> None:
    check_type(cache, tuple, name)
    check_equal(len(cache), len(expected), f"len({name})")
    for k, (got, want) in enumerate(zip(cache, expected, strict=True)):
        check_equal(got, want, f"{name}[{k}]", hint="The cache holds the forward's inputs.")


def _check_dense_forward(ns: dict) -> None:
    X, W, b = (a.astype(F32) for a in (_DENSE_X, _DENSE_W, _DENSE_B))
    result = _part(ns, "dense_forward")(X, W, b)
    check_type(result, tuple, "dense_forward(X, W, b)")
    check_equal(len(result), 2, "the number of values dense_forward returns")
    out, cache = result
    check_close(out, [[2.5, 2.0], [-2.25, 1.5]], "dense_forward's out", hint="X @ W + b.")
    check_dtype(out, F32, "dense_forward's out for float32 inputs")
    _check_cache(cache, (X, W, b), "dense_forward's cache")


def _check_activation_forward(ns: dict, name: str, expected: list[float]) -> None:
    x = np.array([-1.0, 0.0, 2.0], dtype=F32)
    result = _part(ns, name)(x)
    check_type(result, tuple, f"{name}(x)")
    check_equal(len(result), 2, f"the number of values {name} returns")
    out, cache = result
    check_close(out, expected, f"{name}'s out for x = [-1, 0, 2]", atol=1e-6)
    check_dtype(out, F32, f"{name}'s out for float32 x")
    check_equal(cache, x, f"{name}'s cache", hint="The cache is x itself.")


def _check_relu_forward(ns: dict) -> None:
    _check_activation_forward(ns, "relu_forward", [0.0, 0.0, 2.0])


def _check_sigmoid_forward(ns: dict) -> None:
    _check_activation_forward(ns, "sigmoid_forward", [0.268941, 0.5, 0.880797])


def _check_init_params(ns: dict) -> None:
    init_params = _part(ns, "init_params")
    params = init_params([784, 128, 64, 10], "he", 0, F32)
    check_type(params, list, 'init_params([784, 128, 64, 10], "he", 0, np.float32)')
    check_equal(
        [W.shape + b.shape for W, b in params],
        [(784, 128, 128), (128, 64, 64), (64, 10, 10)],
        "W.shape + b.shape of each layer of init_params([784, 128, 64, 10], ...)",
    )
    for k, (W, b) in enumerate(params):
        check_dtype(W, F32, f"W of layer {k} with dtype=np.float32")
        check_dtype(b, F32, f"b of layer {k} with dtype=np.float32")
        check_equal(b, np.zeros(b.shape), f"b of layer {k}", hint="Biases start at zero.")
    hint = "W = sqrt(2 / n_in) * rng.standard_normal((n_in, n_out)), layer by layer, in order."
    check_close(params[0][0][0, :3], [0.00635, -0.006672, 0.032346], "W0[0, :3] (rng=0)",
                atol=1e-6, hint=hint)  # fmt: skip
    check_close(params[1][0][0, :2], [0.011765, -0.239053], "W1[0, :2] (rng=0)", atol=1e-6,
                hint=hint)  # fmt: skip
    check_close(params[2][0][-1, -2:], [0.28759, 0.002826], "W2[-1, -2:] (rng=0)", atol=1e-6,
                hint=hint)  # fmt: skip
    xavier = init_params([3, 5], "xavier", np.random.default_rng(1))
    check_close(xavier[0][0][0, :2], [0.172792, 0.410809], 'W[0, :2] of init_params([3, 5],'
                ' "xavier", np.random.default_rng(1))', atol=1e-6,
                hint="xavier: sqrt(2 / (n_in + n_out)); rng may be a Generator.")  # fmt: skip


def _check_mlp_forward(ns: dict) -> None:
    mlp_forward = _part(ns, "mlp_forward")
    for activation, expected in (
        ("relu", [[2.1, 2.9], [-0.4, 0.4], [0.1, 4.9]]),
        ("sigmoid", [[0.861594, 1.654352], [-0.144919, 1.277541], [0.358338, 1.867487]]),
    ):
        result = mlp_forward(_NET_X.astype(F32), _net(F32), activation)
        check_type(result, tuple, f'mlp_forward(X, params, "{activation}")')
        check_equal(len(result), 2, "the number of values mlp_forward returns")
        logits, caches = result
        check_close(logits, expected, f'mlp_forward\'s logits ("{activation}")', atol=1e-5,
                    hint="Dense then the activation for every layer but the last (dense only).")  # fmt: skip
        check_dtype(logits, F32, "mlp_forward's logits for float32 inputs")
        check_type(caches, list, "mlp_forward's caches")
        check_equal(len(caches), 2, "the number of caches (one per layer)")
        if activation == "relu":
            check_close(caches[0][1], [[2.0, 1.5, -2.0], [-0.5, -0.5, 0.5], [-0.5, 2.5, -2.0]],
                        "the first layer's activation cache", hint="The activation's cache is"
                        " its input z = X @ W + b, not its output.")  # fmt: skip
        if caches[-1][1] is not None:
            fail("The last layer's cache should be (dense_cache, None): it has no activation.",
                 mistake="last-layer-activation")  # fmt: skip


def _check_mlp_predict(ns: dict) -> None:
    mlp_predict = _part(ns, "mlp_predict")
    flipped = [(W, b) if k == 0 else (-W, -b) for k, (W, b) in enumerate(_net())]
    check_equal(mlp_predict(_NET_X, _net()), [1, 1, 1], "mlp_predict(X, params)",
                hint="The argmax of the logits, per row.")  # fmt: skip
    check_equal(mlp_predict(_NET_X, flipped), [0, 0, 0], "mlp_predict with the logits negated",
                hint="The argmax of the logits, per row (axis=1).")  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Lesson 4


def _check_dense_backward(ns: dict) -> None:
    dout = np.array([[1.0, -1.0], [0.5, 2.0]], dtype=F32)
    cache = tuple(a.astype(F32) for a in (_DENSE_X, _DENSE_W, _DENSE_B))
    result = _part(ns, "dense_backward")(dout, cache)
    check_type(result, tuple, "dense_backward(dout, cache)")
    check_equal(len(result), 3, "the number of values dense_backward returns (dX, dW, db)")
    dX, dW, db = result
    check_close(dX, [[2.0, -1.5, -1.25], [-1.5, 4.25, 0.0]], "dX", hint="dout @ W.T")
    check_close(dW, [[0.5, -3.0], [2.25, -1.0], [1.0, 4.0]], "dW", hint="X.T @ dout")
    check_close(db, [1.5, 1.0], "db", hint="dout summed over the batch (axis=0)")
    for name, value in (("dX", dX), ("dW", dW), ("db", db)):
        check_dtype(value, F32, f"dense_backward's {name} for float32 inputs")


def _check_relu_backward(ns: dict) -> None:
    dx = _part(ns, "relu_backward")(np.array([1.0, 2.0, 3.0], F32), np.array([-1.0, 0.0, 2.0], F32))
    check_close(dx, [0.0, 0.0, 3.0], "relu_backward([1, 2, 3], x=[-1, 0, 2])",
                hint="dout where x > 0, and 0 elsewhere (0 at x = 0).")  # fmt: skip
    check_dtype(dx, F32, "relu_backward for float32 inputs")


def _check_sigmoid_backward(ns: dict) -> None:
    sigmoid_backward = _part(ns, "sigmoid_backward")
    dx = sigmoid_backward(np.ones(3, F32), np.array([0.0, 2.0, -1000.0], F32))
    check_no_warnings(sigmoid_backward, "sigmoid_backward at x = -1000", hint="A stable sigmoid.")
    check_close(dx, [0.25, 0.104994, 0.0], "sigmoid_backward([1, 1, 1], x=[0, 2, -1000])", atol=1e-6,
                hint="dout * s * (1 - s), with s = sigmoid(x) (the cache is x).")  # fmt: skip
    check_dtype(dx, F32, "sigmoid_backward for float32 inputs")


def _check_softmax_cross_entropy(ns: dict) -> None:
    loss_fn = _part(ns, "softmax_cross_entropy")
    logits = np.array([[0.0, 0.0, 0.0], [1000.0, 0.0, -1000.0]], dtype=F32)
    result = loss_fn(logits, np.array([1, 2]))
    check_no_warnings(loss_fn, "softmax_cross_entropy with logits of 1000", hint="Stable.")
    check_type(result, tuple, "softmax_cross_entropy(logits, y)")
    loss, dlogits = result
    check_close(loss, 1000.549306, "the loss", atol=1e-3,
                hint="The mean of -log p[y] over the batch, from log-probabilities (stable).")  # fmt: skip
    check_close(dlogits, [[0.166667, -0.333333, 0.166667], [0.5, 0.0, -0.5]], "dlogits", atol=1e-6,
                hint="(softmax(logits) - onehot(y)) / N")  # fmt: skip
    check_dtype(dlogits, F32, "dlogits for float32 logits")


def _slope_along(loss_of: Callable[[], float], array: np.ndarray, direction: np.ndarray) -> float:
    """The slope of loss_of() when ``array`` moves along ``direction`` (a directional derivative
    by a centred difference; ``array`` is changed in place and put back)."""
    h, original = 1e-6, array.copy()
    array += h * direction
    plus = loss_of()
    array[...] = original - h * direction
    minus = loss_of()
    array[...] = original
    return (plus - minus) / (2 * h)


def _check_gradients(loss_of: Callable, params: list, grads: Any, name: str) -> None:
    """Each gradient array against the slope of the student's own loss along three random
    directions: a gradient g predicts the slope along d as sum(g * d)."""
    check_type(grads, list, f"{name}'s gradients")
    check_equal(len(grads), len(params), f"the number of (dW, db) pairs from {name}")
    rng = np.random.default_rng(4)
    for k, ((W, b), pair) in enumerate(zip(params, grads, strict=True)):
        check_equal(len(pair), 2, f"the gradient pair of layer {k}")
        for label, array, grad in (("dW", W, pair[0]), ("db", b, pair[1])):
            check_type(grad, np.ndarray, f"{name}'s {label} of layer {k}")
            check_equal(grad.shape, array.shape, f"the shape of {name}'s {label} of layer {k}")
            directions = rng.standard_normal((3, *array.shape))
            predicted = [float(np.sum(grad * d)) for d in directions]
            measured = [_slope_along(loss_of, array, d) for d in directions]
            check_close(predicted, measured, f"the slope of the loss along three random"
                        f" directions of layer {k}'s {label}, as {name}'s {label} predicts it",
                        rtol=1e-4, atol=1e-6, hint="Compared with the slope of your own loss"
                        " (a centred difference): a backward step is wrong (lesson 4's gradient"
                        " check would show it).", mistake="gradient-check")  # fmt: skip


def _check_mlp_loss(ns: dict) -> None:
    mlp_loss = _part(ns, "mlp_loss")
    for activation, expected in (("relu", 0.516799), ("sigmoid", 0.737192)):
        params = _net()
        result = mlp_loss(_NET_X, _NET_Y, params, activation)
        check_type(result, tuple, f'mlp_loss(X, y, params, "{activation}")')
        loss, grads = result
        check_close(loss, expected, f'mlp_loss\'s loss ("{activation}")', atol=1e-5)

        def loss_of(params=params, activation=activation):
            return float(mlp_loss(_NET_X, _NET_Y, params, activation)[0])

        _check_gradients(loss_of, params, grads, f'mlp_loss ("{activation}")')


def _check_mlp_backward(ns: dict) -> None:
    mlp_backward = _part(ns, "mlp_backward")
    for activation in ("relu", "sigmoid"):
        params = _net()
        logits, caches = ns["mlp_forward"](_NET_X, params, activation)
        _, dlogits = ns["softmax_cross_entropy"](logits, _NET_Y)
        grads = mlp_backward(dlogits, caches, activation)

        def loss_of(params=params, activation=activation):
            logits = ns["mlp_forward"](_NET_X, params, activation)[0]
            return float(ns["softmax_cross_entropy"](logits, _NET_Y)[0])

        _check_gradients(loss_of, params, grads, f'mlp_backward ("{activation}")')


# ---------------------------------------------------------------------------------------------
# Lesson 5


def _check_train_val_test_split(ns: dict) -> None:
    split = _part(ns, "train_val_test_split")
    X, y = np.arange(10.0).reshape(10, 1), np.arange(10)
    result = split(X, y, 0.2, 0.3, np.random.default_rng(0))
    check_type(result, tuple, "train_val_test_split(X, y, 0.2, 0.3, rng)")
    check_equal(len(result), 6, "the number of values train_val_test_split returns")
    _, y_train, X_val, y_val, _, y_test = result
    # rng.permutation(10) with seed 0 is [4, 6, 2, 7, 3, 5, 9, 0, 8, 1]: test first, then val.
    check_equal(y_test, [4, 6, 2], "y_test", hint="Test first: the first 3 of rng.permutation(N).")
    check_equal(y_val, [7, 3], "y_val", hint="Validation next: the following 2.")
    check_equal(y_train, [5, 9, 0, 8, 1], "y_train", hint="Training: the rest, in that order.")
    check_equal(X_val[:, 0], [7.0, 3.0], "X_val", hint="X and y take the same rows.")
    message_check = split(X, y, 0.1, 0.0, np.random.default_rng(0))  # no test set: allowed
    check_equal(len(message_check[4]), 0, "X_test with test_fraction=0")


def _check_iterate_minibatches(ns: dict) -> None:
    iterate = ns["iterate_minibatches"]
    check_function(iterate, "iterate_minibatches", signature=SIGNATURES["iterate_minibatches"])
    batches = check_function(
        lambda X, y, batch_size, rng: list(iterate(X, y, batch_size, rng)), "iterate_minibatches"
    )(np.arange(5.0).reshape(5, 1), np.arange(5), 2, np.random.default_rng(0))
    # rng.permutation(5) with seed 0 is [2, 4, 3, 0, 1]
    check_equal([len(y) for _, y in batches], [2, 2, 1], "the batch sizes for 5 examples,"
                " batch_size 2", hint="The last batch is shorter, not dropped.")  # fmt: skip
    check_equal(np.concatenate([y for _, y in batches]), [2, 4, 3, 0, 1], "the y batches in"
                " order (seed 0)", hint="One rng.permutation(N) per call, batches in its order.")  # fmt: skip
    check_equal([float(X[0, 0]) for X, _ in batches], [2.0, 3.0, 1.0], "the X batches' first rows",
                hint="X and y take the same rows.")  # fmt: skip


def _check_l2_regularization(ns: dict) -> None:
    params = [
        (np.array([[1.0, 2.0]]), np.array([5.0, 1.0])),
        (np.array([[3.0], [-1.0]]), np.ones(1)),
    ]
    copies = [(W.copy(), b.copy()) for W, b in params]
    result = _part(ns, "l2_regularization")(params, 0.5)
    check_type(result, tuple, "l2_regularization(params, 0.5)")
    penalty, grads = result
    check_close(penalty, 3.75, "the penalty", hint="0.5 * lam * the sum of W ** 2 over every"
                " layer's weights (not the biases).")  # fmt: skip
    for k, ((W, b), (W0, b0)) in enumerate(zip(params, copies, strict=True)):
        check_unchanged(W0, W, f"params[{k}][0]")
        check_unchanged(b0, b, f"params[{k}][1]")
    check_close(grads[1][0], [[1.5], [-0.5]], "the gradient of the second W", hint="lam * W")
    check_close(grads[0][1], [0.0, 0.0], "the gradient of b", hint="Biases are not penalized.")


def _check_early_stopping(ns: dict) -> None:
    early_stopping = _part(ns, "EarlyStopping")
    other = early_stopping(1)  # a second instance must not share the first one's state
    stopper = early_stopping(2)
    step = check_function(stopper.step, "EarlyStopping.step", signature="(val_loss, params)")
    params = [(np.array([[1.0]]), np.array([0.0]))]
    decisions = []
    for loss in (1.0, 0.5, 0.6, 0.4, 0.45, 0.4):
        decisions.append(bool(step(loss, params)))
        params[0][0][...] += 1.0  # the weights move on after each epoch
    check_equal(decisions, [False, False, False, False, False, True], "step's answers for losses"
                " 1, 0.5, 0.6, 0.4, 0.45, 0.4 with patience 2", hint="Stop after patience epochs"
                " in a row without a strictly lower loss (a new best resets the count; equal is"
                " not better).")  # fmt: skip
    check_close(stopper.best_loss, 0.4, "best_loss")
    check_equal(stopper.best_epoch, 3, "best_epoch (from 0)")
    check_close(stopper.best_params[0][0], [[4.0]], "best_params' W",
                hint="A copy of the weights at the best epoch, not a reference to them.")  # fmt: skip
    check_equal(bool(other.step(1.0, params)), False, "a new EarlyStopping's first step",
                hint="Keep the state in the instance (self.), not in the class.")  # fmt: skip


class _ScriptedSGD:
    """SGD with lr 0.5, counting its steps: an optimizer with lesson 6's interface."""

    def __init__(self):
        self.lr, self.t = 0.5, 0

    def step(self, params, grads):
        self.t += 1
        for (W, b), (dW, db) in zip(params, grads, strict=True):
            W -= self.lr * dW
            b -= self.lr * db


def _check_train(ns: dict) -> None:
    train = _part(ns, "train")
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.5, 0.0], [0.0, 0.5],
                  [2.0, 1.0], [1.0, 2.0], [0.25, 0.75], [1.5, 0.5], [0.75, 0.25], [2.0, 2.0]])  # fmt: skip
    y = np.array([0, 1, 1, 0, 1, 1, 0, 0, 1, 1, 1, 0])
    X_val, y_val = np.array([[0.1, 0.9], [1.0, 1.2]]), np.array([1, 0])
    params = ns["init_params"]([2, 4, 2], "he", 0)
    arrays = [W for W, _ in params]
    optimizer = _ScriptedSGD()
    history = train(params, X, y, X_val, y_val, 3, 5, optimizer, np.random.default_rng(0),
                    progress=False)  # fmt: skip
    check_type(history, dict, "train's history")
    check_equal(optimizer.t, 9, "optimizer steps in 3 epochs of 12 examples, batches of 5",
                hint="One optimizer.step per batch, the last short batch included.")  # fmt: skip
    if any(W is not params[k][0] for k, W in enumerate(arrays)):
        fail("train replaced the arrays in params: update them in place.", mistake="train-params")
    for key, expected in (
        ("train_loss", [0.640526, 0.600164, 0.55693]),
        ("train_acc", [0.75, 0.75, 0.833333]),
        ("val_loss", [0.668223, 0.641181, 0.604687]),
        ("val_acc", [0.5, 0.5, 0.5]),
    ):
        check_close(history.get(key), expected, f'history["{key}"] of a worked run', atol=1e-5,
                    hint="Measured on the whole set after each epoch, batches from"
                    " iterate_minibatches with rng, one step each.")  # fmt: skip
    check_close(params[1][1], [-0.17518, 0.17518], "the caller's last b after train", atol=1e-5,
                hint="train updates the caller's arrays in place: not a copy of them.")  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Lesson 6


def _check_adam(ns: dict) -> None:
    optimizer = _part(ns, "Adam")(0.1)
    step = check_function(optimizer.step, "Adam.step", signature="(params, grads)")
    W, b = np.array([[1.0, -2.0]], dtype=F32), np.array([0.5], dtype=F32)
    W2, b2 = np.array([[0.5, 0.5]], dtype=F32), np.array([-1.0], dtype=F32)  # the same shapes
    grads = [(np.array([[0.5, 0.25]], dtype=F32), np.array([-1.0], dtype=F32)),
             (np.array([[-2.0, 0.0]], dtype=F32), np.array([0.5], dtype=F32))]  # fmt: skip
    grad_copy = grads[0][0].copy()
    step([(W, b), (W2, b2)], grads)
    check_unchanged(grad_copy, grads[0][0], "dW")
    check_close(W, [[0.9, -2.1]], "W after Adam's first step (lr 0.1)", atol=1e-5,
                hint="With bias correction the first step is lr * sign(grad).")  # fmt: skip
    check_close(b, [0.6], "b after the first step", atol=1e-5)
    step([(W, b), (W2, b2)], [(np.array([[-1.0, 0.25]], dtype=F32), np.array([2.0], dtype=F32)),
                              (np.array([[1.0, 3.0]], dtype=F32), np.array([0.5], dtype=F32))])  # fmt: skip
    check_close(W, [[0.93661, -2.2]], "W after a second step", atol=1e-4,
                hint="m and v per array, t = 2 in the bias correction, eps outside the root.")  # fmt: skip
    check_close(b, [0.56339], "b after a second step", atol=1e-4)
    check_close(W2, [[0.626634, 0.425586]], "the second layer's W (of the same shape) after two"
                " steps", atol=1e-4, hint="One m and one v per array, by position: two arrays of"
                " the same shape do not share them.")  # fmt: skip
    check_close(b2, [-1.2], "the second layer's b after two steps", atol=1e-4)
    check_equal(optimizer.t, 2, "Adam.t after two steps")
    check_dtype(W, F32, "W after Adam's steps on float32 arrays")
    W = np.array([0.0])
    _part(ns, "Adam")(1.0, eps=0.25).step([(W, np.zeros(1))], [(np.array([1.0]), np.zeros(1))])
    check_close(W, [-0.8], "W after one step of Adam(1.0, eps=0.25) from 0 with gradient 1",
                atol=1e-6, hint="1 / (sqrt(v_hat) + eps) = 1 / 1.25: eps outside the root.")  # fmt: skip


CHECKS: dict[str, Callable[[dict], None]] = {
    "accuracy": _check_accuracy,
    "sigmoid": _check_sigmoid,
    "softmax": _check_softmax,
    "dense_forward": _check_dense_forward,
    "relu_forward": _check_relu_forward,
    "sigmoid_forward": _check_sigmoid_forward,
    "init_params": _check_init_params,
    "mlp_forward": _check_mlp_forward,
    "mlp_predict": _check_mlp_predict,
    "dense_backward": _check_dense_backward,
    "relu_backward": _check_relu_backward,
    "sigmoid_backward": _check_sigmoid_backward,
    "softmax_cross_entropy": _check_softmax_cross_entropy,
    "mlp_backward": _check_mlp_backward,
    "mlp_loss": _check_mlp_loss,
    "train_val_test_split": _check_train_val_test_split,
    "iterate_minibatches": _check_iterate_minibatches,
    "l2_regularization": _check_l2_regularization,
    "EarlyStopping": _check_early_stopping,
    "train": _check_train,
    "Adam": _check_adam,
}


def check_parts(lesson: int, namespace: dict | None = None) -> None:
    """Check the parts of ``lesson`` (2 for lessons 1 and 2, then 3 to 6) that the student
    pasted, in ``namespace`` (by default the notebook's globals, the caller's).

    Prints one line when all pass; raises ``CheckFailed`` naming the first part that does not,
    its lesson and what is wrong.
    """
    if lesson not in PARTS:
        raise ValueError(f"lesson should be one of {sorted(PARTS)}, got {lesson!r}.")
    if namespace is None:
        namespace = sys._getframe(1).f_globals  # the notebook's names, as the cell sees them
    names = PARTS[lesson]
    missing = [name for name in names if name not in namespace]
    if missing:
        where = ", ".join(f"{name} (lesson {LESSON_OF[name]})" for name in missing)
        fail(
            f"Not defined yet: {where}. Paste your own from your notebooks of those lessons into"
            " the cell above and run it, then this one.",
            mistake="part-missing",
        )
    for name in names:
        try:
            CHECKS[name](namespace)
        except CheckFailed as failed:
            where = f"lesson {LESSON_OF[name]}"
            raise _failure(
                f"Your {name}, from {where}, does not pass its checks yet (fix it in the part"
                f" cell above and in your {where} notebook, run that cell, then this one):"
                f" {failed}"
            ) from failed.__cause__  # the error inside the student's code, if any, is shown
    print(f"✅ Your parts pass their checks: {', '.join(names)}.")


__all__ = ["PARTS", "check_parts"]
