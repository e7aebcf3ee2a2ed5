"""Every code example of the quick reference computes what the lessons' own code computes.

The quick reference (notebooks/quick_reference.ipynb) writes each formula out in a few lines of
NumPy. Its cells run here one by one, as in the notebook, each after a generator with a known
seed is put in ``rng``; after each cell, what it computed is compared with the lessons' reference
solutions (the functions and classes of source/, run on the same inputs and draws). A formula
that drifts from the lessons fails here.
"""

from __future__ import annotations

import ast
import contextlib
import io

import nbformat
import numpy as np
import pytest
from nbgrader_course import REPO, lessons, notebook_path

NOTEBOOK = REPO / "notebooks" / "quick_reference.ipynb"
SEED = 1234


def lesson_code(lesson: str) -> dict:
    """The functions and classes a source notebook defines (its solutions, and the course's
    versions of earlier parts), with its imports: nothing that trains or draws runs."""
    namespace: dict = {}
    notebook = nbformat.read(notebook_path(REPO, "source", lesson), as_version=4)
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or (meta.get("grade") and not meta.get("solution")):
            continue
        if "illustration" in cell.metadata.get("tags", []) or cell.source.lstrip().startswith("%"):
            continue
        kept = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)
        body = [node for node in ast.parse(cell.source).body if isinstance(node, kept)]
        exec(compile(ast.Module(body=body, type_ignores=[]), lesson, "exec"), namespace)  # noqa: S102
    return namespace


@pytest.fixture(scope="module")
def course():
    """Every lesson's definitions, later lessons' names over earlier ones."""
    merged: dict = {}
    for lesson in lessons():
        merged.update(lesson_code(lesson))
    return merged


def close(a, b) -> bool:
    return np.allclose(
        np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=1e-7, atol=1e-12
    )


def check_idioms(ns, course):
    assert close(ns["picked"], [ns["p"][i, label] for i, label in enumerate(ns["y"])])
    assert close(ns["one_hot"].argmax(axis=1), ns["y"]) and close(ns["one_hot"].sum(axis=1), 1)


def check_activations(ns, course):
    x, alpha = ns["x"], ns["alpha"]
    for name, expected in (
        ("sigmoid", course["sigmoid"](x)),
        ("sigmoid_grad", course["sigmoid_grad"](x)),
        ("tanh_grad", course["tanh_grad"](x)),
        ("relu", course["relu"](x)),
        ("relu_grad", course["relu_grad"](x)),
        ("leaky_relu", course["leaky_relu"](x, alpha)),
        ("leaky_relu_grad", course["leaky_relu_grad"](x, alpha)),
        ("gelu", course["gelu"](x)),
    ):
        assert close(ns[name], expected), name


def check_softmax(ns, course):
    logits, y = ns["logits"], ns["y"]
    assert close(ns["probs_at_T"], course["softmax"](logits, ns["T"]))
    assert close(ns["logsumexp"], course["logsumexp"](logits))
    loss, dlogits = course["softmax_cross_entropy"](logits, y)
    assert close(ns["loss"], loss) and close(ns["dlogits"], dlogits)


def check_dense(ns, course):
    Z, cache = course["dense_forward"](ns["X"], ns["W"], ns["b"])
    A, relu_cache = course["relu_forward"](Z)
    assert close(ns["Z"], Z) and close(ns["A"], A)
    dZ = course["relu_backward"](ns["dA"], relu_cache)
    dX, dW, db = course["dense_backward"](dZ, cache)
    for name, expected in (("dZ", dZ), ("dX", dX), ("dW", dW), ("db", db)):
        assert close(ns[name], expected), name


def check_initialization(ns, course):
    sizes = ns["layer_sizes"]
    assert ns["n_params"] == course["count_params"](sizes) == 109_386
    expected = course["init_params"](sizes, "he", np.random.default_rng(SEED))
    for (W, b), (W_expected, b_expected) in zip(ns["params"], expected, strict=True):
        assert close(W, W_expected) and close(b, b_expected)


def check_gradient(ns, course):
    x = ns["x"].copy()
    expected = course["numerical_gradient"](lambda: np.sum(x**3), x)
    assert np.allclose(ns["numerical"], expected, rtol=1e-6)
    assert close(ns["relative_error"], course["relative_error"](ns["analytic"], ns["numerical"]))


def check_training(ns, course):
    X, y = np.arange(10.0)[:, None], np.arange(10)
    batches = course["iterate_minibatches"](X, y, 4, np.random.default_rng(SEED))
    assert [list(batch) for batch in ns["batches"]] == [list(yb) for _, yb in batches]
    penalty, grads = course["l2_regularization"](ns["params"], ns["lam"])
    assert close(ns["l2_penalty"], penalty)
    for (gW, gb), (eW, eb) in zip(ns["l2_grads"], grads, strict=True):
        assert close(gW, eW) and close(gb, eb)
    dropped, mask = course["dropout_forward"](
        ns["activations"], ns["keep_prob"], True, np.random.default_rng(7)
    )
    assert close(ns["mask"], mask) and close(ns["dropped"], dropped)


def check_optimizers(ns, course):
    w0, g1, g2, lr = ns["w0"], ns["g1"], ns["g2"], ns["lr"]
    for name, optimizer in (
        ("w_sgd", course["SGD"](lr)),
        ("w_momentum", course["Momentum"](lr, beta=ns["beta"])),
        ("w_rmsprop", course["RMSProp"](lr)),
        ("w_adam", course["Adam"](lr)),
        ("w_adamw", course["AdamW"](lr, weight_decay=ns["weight_decay"])),
    ):
        params = [(w0.copy(), np.zeros(2))]
        for g in (g1, g2):
            optimizer.step(params, [(g, np.zeros(2))])
        assert close(ns[name], params[0][0]), name


def check_schedules(ns, course):
    lr0, drop, every = ns["lr0"], ns["drop"], ns["every"]
    assert close(ns["step_decay"], [course["step_decay"](s, lr0, drop, every) for s in range(30)])
    total, warmup, high, low = (
        ns["total_steps"], ns["warmup_steps"], ns["lr_max"], ns["lr_min"],
    )  # fmt: skip
    cosine = [course["cosine_schedule"](s, total, high, low) for s in range(120)]
    assert close(ns["cosine_lr"], cosine)
    warm = [course["warmup_cosine"](s, total, warmup, high, low) for s in range(120)]
    assert close(ns["warmup_cosine_lr"], warm)


def check_evaluation(ns, course):
    cm = course["confusion_matrix"](ns["y_true"], ns["y_pred"], ns["C"])
    assert np.array_equal(ns["cm"], cm)
    scores = course["precision_recall_f1"](cm)
    for name, expected in zip(("precision", "recall", "f1"), scores, strict=True):
        assert close(ns[name], expected), name


# The first line of each example cell -> what it must agree with.
CHECKS = {
    "# NumPy idioms": check_idioms,
    "# Activations and their derivatives": check_activations,
    "# Softmax and cross-entropy": check_softmax,
    "# A dense layer and a ReLU": check_dense,
    "# He initialization": check_initialization,
    "# Centered differences": check_gradient,
    "# Mini-batches of one epoch": check_training,
    "# Two steps of each optimizer": check_optimizers,
    "# The three schedules": check_schedules,
    "# A confusion matrix": check_evaluation,
}


def test_every_example_agrees_with_the_lessons_code(course):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    cells = [c for c in notebook.cells if c.cell_type == "code"]
    namespace: dict = {}
    checked = []
    for cell in cells:
        namespace["rng"] = np.random.default_rng(SEED)
        with contextlib.redirect_stdout(io.StringIO()):
            exec(cell.source, namespace)  # noqa: S102 - the course's own notebook
        check = next((f for head, f in CHECKS.items() if cell.source.startswith(head)), None)
        if check is not None:
            check(namespace, course)
            checked.append(check)
    assert checked == list(CHECKS.values()), "an example of the quick reference went unchecked"
    # every example cell but the first (imports) is checked
    assert len(checked) == len(cells) - 1


def test_a_formula_that_drifts_is_caught(course):
    """The comparison can fail: a momentum step in the other convention (v = beta v + (1 -
    beta) g) does not pass for lesson 6's Momentum."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    cell = next(c for c in notebook.cells if c.source.startswith("# Two steps of each optimizer"))
    drifted = cell.source.replace("v = beta * v + g2", "v = beta * v + (1 - beta) * g2")
    assert drifted != cell.source
    namespace = {"np": np, "rng": np.random.default_rng(SEED)}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(drifted, namespace)  # noqa: S102
    with pytest.raises(AssertionError):
        check_optimizers(namespace, course)
