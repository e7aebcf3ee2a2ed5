"""The fast network of notebooks/fast_numpy.ipynb (its cells tagged fast-network, which the
benchmark also runs) is lesson 7's network made fast: the same initial weights, the same training
step by step, the same evaluation, at least 97.5% test accuracy after lesson 7's 5 epochs; its
Adam flushes what would become subnormal; the floor counts an epoch's products right.
(nbval and the browser suite run the whole notebook.)"""

from __future__ import annotations

import math
import re
import time

import nbformat
import numpy as np
import pytest
from nbgrader_course import REPO, grade_id, notebook_path

from helpers.data import load_mnist
from helpers.tagged_cells import run_tagged

NOTEBOOK = REPO / "notebooks" / "fast_numpy.ipynb"
LAYERS = [784, 128, 64, 10]
LR = 3e-3


@pytest.fixture(scope="module")
def fast() -> dict:
    return run_tagged(NOTEBOOK, "fast-network", {"math": math, "np": np, "time": time})


@pytest.fixture(scope="module")
def reference() -> dict:
    """Lesson 7's reference solution: its parts_ cells and its WarmupCosine."""
    lesson = nbformat.read(notebook_path(REPO, "source", "07_mnist_classifier"), as_version=4)
    cells = [
        c
        for c in lesson.cells
        if c.cell_type == "code" and re.match(r"parts_|warmup_cosine$", grade_id(c) or "")
    ]
    namespace = {"math": math, "np": np, "tqdm": lambda x, **_: x}
    exec(compile("\n\n".join(c.source for c in cells), "lesson 7", "exec"), namespace)
    return namespace


@pytest.fixture(scope="module")
def mnist():
    return load_mnist()


def test_it_trains_exactly_as_lesson_7s_network(fast, reference, mnist):
    """Same seed, same data: the same initial weights, then 30 steps and an evaluation that
    agree with lesson 7's train to float32 rounding."""
    X_train, y_train, X_test, y_test = mnist
    data = (X_train[:3840], y_train[:3840], X_test[:1000], y_test[:1000])  # 30 steps of 128
    total_steps = 2 * 30

    rng = np.random.default_rng(7)
    params = reference["init_params"](LAYERS, "he", rng, dtype=np.float32)
    optimizer = reference["WarmupCosine"](reference["Adam"](LR), total_steps)
    expected = reference["train"](params, *data, 1, 128, optimizer, rng, progress=False)

    rng = np.random.default_rng(7)
    model = fast["FastMLP"](LAYERS, rng)
    initial = [p.copy() for p in model.params]
    flat_adam = fast["FlatAdam"](model.flat.size, LR)
    got = fast["fast_epoch"](model, flat_adam, rng, total_steps, LR, data=data)

    rng = np.random.default_rng(7)
    first = reference["init_params"](LAYERS, "he", rng, dtype=np.float32)
    first_arrays = [array for pair in first for array in pair]
    assert all(np.array_equal(a, b) for a, b in zip(initial, first_arrays, strict=True))
    assert all(p.dtype == np.float32 for p in model.params)
    fast_pairs = list(zip(model.params[::2], model.params[1::2], strict=True))
    for (W, b), (W_fast, b_fast) in zip(params, fast_pairs, strict=True):
        np.testing.assert_allclose(W_fast, W, rtol=1e-3, atol=1e-5)
        np.testing.assert_allclose(b_fast, b, rtol=1e-3, atol=1e-5)
    for name, value in (("train_loss", got["train_loss"]), ("val_loss", got["test_loss"])):
        assert value == pytest.approx(expected[name][0], rel=1e-4), name
    assert got["train_acc"] == pytest.approx(expected["train_acc"][0], abs=2 / 3840)
    assert got["test_acc"] == pytest.approx(expected["val_acc"][0], abs=2 / 1000)


@pytest.mark.slow
def test_lesson_7s_five_epochs_reach_97_5_percent(fast, mnist):
    epochs = 5
    rng = np.random.default_rng(0)
    model = fast["FastMLP"](LAYERS, rng)
    optimizer = fast["FlatAdam"](model.flat.size, LR)
    for _ in range(epochs):
        history = fast["fast_epoch"](model, optimizer, rng, epochs * 469, LR, data=mnist)
    assert history["test_acc"] >= 0.975, history


def test_flat_adam_flushes_what_would_become_subnormal(fast):
    adam = fast["FlatAdam"](4, LR)
    adam.m[:] = [1e-35, -1e-31, 1e-29, 0.5]
    adam.v[:] = [1e-33, 1e-20, 0.0, 2e-31]
    adam.flush_subnormals()
    assert adam.m.tolist() == pytest.approx([0.0, 0.0, 1e-29, 0.5])
    assert adam.v.tolist() == pytest.approx([0.0, 1e-20, 0.0, 0.0])
    # And every 100 steps on its own: a momentum decaying from 1e-3 never turns subnormal.
    flat, grad = np.zeros(2, np.float32), np.array([1.0, 0.0], np.float32)
    adam = fast["FlatAdam"](2, LR)
    adam.step(flat, grad)
    grad[0] = 0.0
    smallest_normal = np.finfo(np.float32).tiny
    for _ in range(2000):
        adam.step(flat, grad)
        assert adam.m[0] == 0 or abs(adam.m[0]) >= smallest_normal


def test_the_floor_counts_an_epochs_matrix_products(fast):
    # 4-3-2: per image, forward 2 * (4*3 + 3*2) = 36; backward every dW (36) and the second
    # layer's dX (2 * 3*2 = 12); 5 training images, 7 evaluated.
    assert fast["epoch_flops"]([4, 3, 2], 5, 7) == 5 * (36 + 48) + 7 * 36
    speed = fast["gemm_flops_per_second"](rows=2000, repeat=2)
    assert math.isfinite(speed) and speed > 1e8
