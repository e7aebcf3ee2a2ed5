"""Plotting for the lessons: data points, decision boundaries, training curves, a neuron diagram.

Every function draws on a matplotlib ``Axes`` (a new one when ``ax`` is None) and returns it,
so a lesson can put several plots side by side with ``plt.subplots``. Functions that need a
model take the student's own prediction function as an argument: nothing here computes a
prediction, so nothing here gives away a graded exercise.

Shapes: ``X`` is (n, 2) (two input features, one row per example), ``y`` is (n,) of int labels
0, 1, ... (0/1 for most lessons; up to four classes, such as the spirals of lesson 5).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

# Colour-blind-safe colours (blue, orange, then green and purple for more classes) and one
# marker per class, so the classes differ in print and in grey scale too.
CLASS_COLORS = ("#1f77b4", "#ff7f0e", "#009e73", "#9467bd")
CLASS_MARKERS = ("o", "^", "s", "D")
BLUE, ORANGE = CLASS_COLORS[:2]


def _axes(ax: Axes | None, figsize: tuple[float, float] = (4.5, 4.0)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    elif not isinstance(ax, Axes):
        raise TypeError(
            f"ax should be a matplotlib Axes (for example from plt.subplots()), got"
            f" {type(ax).__name__}."
        )
    return ax


def _points_and_labels(X, y) -> tuple[np.ndarray, np.ndarray]:
    """Validate X (n, 2) and y (n,) of labels 0 .. 3, and return them as float and int arrays."""
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(
            f"X should have shape (n, 2): one row per example, two input features; got shape"
            f" {X.shape}. These plots draw the plane of two inputs, so pass exactly two columns."
        )
    y = np.asarray(y)
    if y.shape != (X.shape[0],):
        raise ValueError(
            f"y should have shape ({X.shape[0]},), one label per row of X; got shape {y.shape}."
            " If y is a column (n, 1), flatten it with y.ravel()."
        )
    classes = range(len(CLASS_COLORS))
    if y.size and not np.isin(y, classes).all():
        raise ValueError(
            f"y should hold class labels 0 to {len(CLASS_COLORS) - 1} (0 and 1 for two classes),"
            f" got the values {np.unique(y).tolist()}."
        )
    return X, y.astype(int)


def plot_points(X, y, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Scatter the examples, one colour and marker per class.

    X: (n, 2) inputs, y: (n,) labels 0/1. Returns the Axes.
    """
    X, y = _points_and_labels(X, y)
    ax = _axes(ax)
    for label in range(max(2, int(y.max(initial=0)) + 1)):
        mask = y == label
        ax.scatter(
            X[mask, 0],
            X[mask, 1],
            s=90,
            c=CLASS_COLORS[label],
            marker=CLASS_MARKERS[label],
            edgecolors="black",
            linewidths=0.8,
            zorder=3,
            label=f"y = {label}",
        )
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    ax.legend(loc="best", fontsize="small", framealpha=0.9)
    return ax


def plot_boundary_line(
    w,
    b: float,
    ax: Axes | None = None,
    label: str | None = None,
    color: str = "black",
    show_normal: bool = True,
) -> Axes:
    """Draw the line w[0]*x1 + w[1]*x2 + b = 0 across the current view, and the vector w.

    w: (2,) weights, b: bias. The arrow starts on the line and points along w, to the side
    where w.x + b > 0. Set the axis limits before calling (the line spans the current view).
    Returns the Axes.
    """
    w = np.asarray(w, dtype=float)
    if w.shape != (2,):
        raise ValueError(f"w should have shape (2,) to draw a line in the plane, got {w.shape}.")
    b = float(b)
    ax = _axes(ax)
    if not np.any(w):
        raise ValueError(
            "w is all zeros, so w.x + b = 0 is not a line (every point gets the same"
            " output). Train first, or pick non-zero weights."
        )
    (x_lo, x_hi), (y_lo, y_hi) = ax.get_xlim(), ax.get_ylim()
    if abs(w[1]) > abs(w[0]):  # not steep: solve for x2
        xs = np.array([x_lo, x_hi])
        ys = -(w[0] * xs + b) / w[1]
    else:  # steep (or vertical): solve for x1
        ys = np.array([y_lo, y_hi])
        xs = -(w[1] * ys + b) / w[0]
    ax.plot(xs, ys, color=color, linewidth=2, label=label)
    if show_normal:
        # Start the arrow a third of the way along the visible part of the line, off-centre so
        # that it rarely runs through a data point at the middle of the view.
        t = np.linspace(0.0, 1.0, 201)[:, None]
        along = (1 - t) * np.array([xs[0], ys[0]]) + t * np.array([xs[1], ys[1]])
        inside = along[
            (along[:, 0] >= x_lo)
            & (along[:, 0] <= x_hi)
            & (along[:, 1] >= y_lo)
            & (along[:, 1] <= y_hi)
        ]
        foot = inside[len(inside) // 3] if len(inside) else -b * w / np.dot(w, w)
        length = 0.2 * min(x_hi - x_lo, y_hi - y_lo)
        tip = w / np.linalg.norm(w) * length
        ax.annotate(
            "",
            xy=foot + tip,
            xytext=foot,
            arrowprops={"arrowstyle": "->", "color": color, "linewidth": 1.5},
        )
        ax.text(*(foot + 1.2 * tip), "$\\mathbf{w}$", color=color, fontsize=12, ha="center")
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    if label:
        ax.legend(loc="best", fontsize="small", framealpha=0.9)
    return ax


def plot_decision_boundary(
    predict_fn: Callable[[np.ndarray], np.ndarray],
    X,
    y,
    ax: Axes | None = None,
    title: str | None = None,
    padding: float = 0.5,
    resolution: int = 200,
) -> Axes:
    """Shade the plane by what ``predict_fn`` says, and scatter the examples on top.

    predict_fn: takes an (m, 2) array of points, returns (m,) labels 0/1 (or 0 .. 3 for up to
        four classes), for example ``lambda P: perceptron_predict(P, w, b)``.
    X: (n, 2) inputs, y: (n,) labels. Returns the Axes.
    """
    if not callable(predict_fn):
        raise TypeError(
            f"predict_fn should be a function that takes an (m, 2) array and returns (m,) labels,"
            f" got {type(predict_fn).__name__}. Wrap your model, for example:"
            " lambda P: perceptron_predict(P, w, b)."
        )
    X, y = _points_and_labels(X, y)
    ax = _axes(ax)
    x_lo, x_hi = X[:, 0].min() - padding, X[:, 0].max() + padding
    y_lo, y_hi = X[:, 1].min() - padding, X[:, 1].max() + padding
    xx, yy = np.meshgrid(np.linspace(x_lo, x_hi, resolution), np.linspace(y_lo, y_hi, resolution))
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    labels = predict_fn(grid)
    if labels is None:
        raise ValueError("predict_fn returned None: did your function forget a `return` statement?")
    labels = np.asarray(labels)
    if labels.shape != (grid.shape[0],):
        raise ValueError(
            f"predict_fn returned shape {labels.shape} for {grid.shape[0]} points; it should"
            f" return shape ({grid.shape[0]},), one 0/1 label per row."
        )
    zz = labels.astype(float).reshape(xx.shape)
    n_classes = max(2, int(y.max(initial=0)) + 1, int(np.nanmax(zz, initial=0)) + 1)
    n_classes = min(n_classes, len(CLASS_COLORS))
    levels = np.arange(n_classes + 1) - 0.5
    ax.contourf(xx, yy, zz, levels=levels, colors=CLASS_COLORS[:n_classes], alpha=0.22)
    if zz.min() != zz.max():  # a boundary exists only if two labels appear
        ax.contour(xx, yy, zz, levels=levels[1:-1], colors="black", linewidths=1.5)
    plot_points(X, y, ax=ax, title=title)
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    ax.set_aspect("equal")
    return ax


def plot_errors_per_epoch(
    errors: Sequence[int], ax: Axes | None = None, title: str | None = "Mistakes per epoch"
) -> Axes:
    """Plot how many examples were misclassified in each epoch.

    errors: a list (or 1-D array) of counts, one per epoch. Returns the Axes.
    """
    try:
        values = np.asarray(errors, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(
            "errors should be a list of mistake counts, one per epoch;"
            f" got {type(errors).__name__}."
        ) from None
    if values.ndim != 1:
        raise ValueError(
            f"errors should be a flat list of counts, one per epoch; got shape {values.shape}."
        )
    if values.size == 0:
        raise ValueError("errors is empty: train for at least one epoch before plotting it.")
    if (values < 0).any():
        raise ValueError("errors should count mistakes, so no entry can be negative.")
    ax = _axes(ax, figsize=(4.5, 3.0))
    epochs = np.arange(1, values.size + 1)
    ax.plot(epochs, values, marker="o", color="#444444")
    ax.set_xlabel("epoch")
    ax.set_ylabel("misclassified examples")
    ax.set_ylim(bottom=-0.2, top=max(values.max(), 1) * 1.15)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    return ax


def plot_perceptron_diagram(
    w: Sequence[float] | None = None, b: float | None = None, ax: Axes | None = None
) -> Axes:
    """Draw a perceptron with two inputs: x1, x2 -> weighted sum z -> step -> y_hat.

    w: optional (2,) weights and b: optional bias, written on the diagram when given.
    Returns the Axes.
    """
    ax = _axes(ax, figsize=(7.0, 3.0))
    if w is None:
        w_text = ("$w_1$", "$w_2$")
    else:
        w_text = tuple(f"$w_{i + 1}={v:g}$" for i, v in enumerate(w))
    b_text = "$b$" if b is None else f"$b={b:g}$"
    node = {"boxstyle": "circle,pad=0.5", "facecolor": "white", "edgecolor": "black"}
    box = {"boxstyle": "round,pad=0.5", "facecolor": "#f2f2f2", "edgecolor": "black"}
    arrow = {"arrowstyle": "->", "color": "black", "linewidth": 1.2, "shrinkA": 14, "shrinkB": 18}
    inputs = {"$x_1$": (0.08, 0.75), "$x_2$": (0.08, 0.25)}
    sum_at, step_at, out_at = (0.45, 0.5), (0.7, 0.5), (0.93, 0.5)
    for (text, at), weight in zip(inputs.items(), w_text, strict=True):
        ax.text(*at, text, ha="center", va="center", fontsize=14, bbox=node)
        ax.annotate("", xy=sum_at, xytext=at, arrowprops=arrow)
        middle = ((at[0] + sum_at[0]) / 2, (at[1] + sum_at[1]) / 2 + 0.08 * np.sign(at[1] - 0.5))
        ax.text(*middle, weight, ha="center", va="center", fontsize=12, color="#1f4e9c")
    ax.text(0.45, 0.95, b_text, ha="center", va="center", fontsize=12, color="#1f4e9c")
    ax.annotate("", xy=sum_at, xytext=(0.45, 0.9), arrowprops={**arrow, "shrinkA": 4})
    ax.text(*sum_at, "$\\Sigma$", ha="center", va="center", fontsize=16, bbox=node)
    ax.text(0.47, 0.2, "$z = w_1x_1 + w_2x_2 + b$", ha="center", va="center", fontsize=11)
    ax.text(*step_at, "step", ha="center", va="center", fontsize=12, bbox=box)
    ax.annotate("", xy=step_at, xytext=sum_at, arrowprops=arrow)
    ax.text(*out_at, "$\\hat{y}$", ha="center", va="center", fontsize=14, bbox=node)
    ax.annotate("", xy=out_at, xytext=step_at, arrowprops={**arrow, "shrinkA": 24})
    ax.text(0.7, 0.7, "1 if $z > 0$, else 0", ha="center", va="center", fontsize=11)
    ax.set_xlim(0, 1)
    ax.set_ylim(0.05, 1.02)
    ax.axis("off")
    return ax


def plot_function_and_derivative(
    x,
    values,
    derivative,
    ax: Axes | None = None,
    title: str | None = None,
    numerical=None,
    saturated=None,
) -> Axes:
    """An activation and its derivative on one axis: ``values`` and ``derivative`` at ``x``.

    ``numerical``: a numerical derivative at ``x`` drawn dashed, which a right ``derivative``
    covers. ``saturated``: a boolean array over ``x``, shaded where the gradient all but vanishes.
    """
    ax = _axes(ax, figsize=(6.0, 3.6))
    x = np.asarray(x, dtype=float)
    if saturated is not None:
        mask = np.asarray(saturated, dtype=bool)
        ax.fill_between(
            x, 0, 1, where=mask, transform=ax.get_xaxis_transform(), color="#d62728",
            alpha=0.08, label="saturated: gradient < 1% of its peak",
        )  # fmt: skip
    ax.plot(x, np.asarray(values, dtype=float), color=BLUE, linewidth=2.5, label="f(x)")
    ax.plot(x, np.asarray(derivative, dtype=float), color=ORANGE, linewidth=2, label="f'(x)")
    if numerical is not None:
        ax.plot(
            x, np.asarray(numerical, dtype=float), color="black", linewidth=1, linestyle="--",
            label="numerical f'(x)",
        )  # fmt: skip
    ax.axhline(0, color="grey", linewidth=0.6)
    ax.axvline(0, color="grey", linewidth=0.6)
    ax.set(xlabel="$x$", title=title)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    return ax


def plot_probabilities(labels: Sequence[str], probabilities, ax: Axes | None = None, title=None):
    """A bar per label with its probability written above it (a softmax over a few words)."""
    ax = _axes(ax, figsize=(6.0, 3.2))
    p = np.asarray(probabilities, dtype=float)
    bars = ax.bar(range(len(p)), p, color=BLUE)
    for bar, value in zip(bars, p, strict=True):
        ax.text(bar.get_x() + bar.get_width() / 2, value + 0.01, f"{value:.3f}", ha="center")
    ax.set_xticks(range(len(p)), list(labels))
    ax.set(ylim=(0, 1.1), ylabel="probability", title=title)
    return ax


# ---------------------------------------------------------------------------------------------
# Lesson 4: one neuron and its loss as a computational graph, forward and backward.


def neuron_graph(x=(1.0, 2.0), w=(0.5, -0.25), b=0.1, y=1.0) -> dict:
    """The numbers of the graph z = w1 x1 + w2 x2 + b, a = sigmoid(z), L = (a - y)**2.

    Returns a dict with ``values`` (node -> forward value), ``grads`` (node -> dL/dnode) and
    ``steps``: the backward pass, one dict per step from the loss back to the inputs, each with
    the ``nodes`` whose gradient it finds and a sentence ``says`` that works it out.
    """
    (x1, x2), (w1, w2) = x, w
    p1, p2 = w1 * x1, w2 * x2
    z = p1 + p2 + b
    a = 1 / (1 + np.exp(-z))
    loss = (a - y) ** 2
    values = {"w1": w1, "x1": x1, "w2": w2, "x2": x2, "b": b, "p1": p1, "p2": p2, "z": z, "a": a}
    values["L"] = loss
    d_a = 2 * (a - y)
    d_z = d_a * a * (1 - a)
    grads = {"L": 1.0, "a": d_a, "z": d_z, "p1": d_z, "p2": d_z, "b": d_z}
    grads |= {"w1": d_z * x1, "x1": d_z * w1, "w2": d_z * x2, "x2": d_z * w2}
    steps = [
        {
            "nodes": ["L", "a"],
            "says": f"L = (a - y)^2, so dL/da = 2 (a - y) = 2 ({a:.3f} - {y:g}) = {d_a:.3f}.",
        },
        {
            "nodes": ["z"],
            "says": f"a = sigmoid(z): local slope a (1 - a) = {a * (1 - a):.3f}; chain rule:"
            f" dL/dz = dL/da * da/dz = {d_a:.3f} * {a * (1 - a):.3f} = {d_z:.3f}.",
        },
        {
            "nodes": ["p1", "p2", "b"],
            "says": f"z = p1 + p2 + b: a sum's local slopes are all 1, so each input gets"
            f" dL/dz = {d_z:.3f} unchanged.",
        },
        {
            "nodes": ["w1", "x1"],
            "says": f"p1 = w1 * x1: the slope with respect to w1 is x1 = {x1:g}, so dL/dw1 ="
            f" {d_z:.3f} * {x1:g} = {grads['w1']:.3f}; with respect to x1 it is w1 = {w1:g}, so"
            f" dL/dx1 = {d_z:.3f} * {w1:g} = {grads['x1']:.3f}.",
        },
        {
            "nodes": ["w2", "x2"],
            "says": f"p2 = w2 * x2: dL/dw2 = {d_z:.3f} * x2 = {d_z:.3f} * {x2:g} ="
            f" {grads['w2']:.3f}, and dL/dx2 = {d_z:.3f} * w2 = {d_z:.3f} * {w2:g} ="
            f" {grads['x2']:.3f}. Done: every weight has its gradient.",
        },
    ]
    return {"values": values, "grads": grads, "steps": steps, "y": y}


_GRAPH_NODES = {  # name: (x, y, label)
    "w1": (0.0, 4.2, "w1"), "x1": (0.0, 3.0, "x1"), "w2": (0.0, 1.8, "w2"),
    "x2": (0.0, 0.6, "x2"), "p1": (2.2, 3.6, "p1 = w1 x1"), "p2": (2.2, 1.2, "p2 = w2 x2"),
    "b": (2.2, -0.4, "b"), "z": (4.6, 2.0, "z = p1 + p2 + b"), "a": (7.0, 2.0, "a = sigmoid(z)"),
    "L": (9.4, 2.0, "L = (a - y)^2"),
}  # fmt: skip
_GRAPH_EDGES = [
    ("w1", "p1"), ("x1", "p1"), ("w2", "p2"), ("x2", "p2"),
    ("p1", "z"), ("p2", "z"), ("b", "z"), ("z", "a"), ("a", "L"),
]  # fmt: skip


def plot_neuron_graph(step: int | None = None, ax: Axes | None = None, graph: dict | None = None):
    """Draw the neuron's graph: each node with its forward value (green), and after backward
    step ``step`` (0: none yet; None: all, with no step outlined) the gradient dL/dnode (red) of
    every node reached. The nodes of the current step are outlined. Returns the Axes.
    """
    graph = graph or neuron_graph()
    steps = graph["steps"]
    shown = len(steps) if step is None else int(step)
    if not 0 <= shown <= len(steps):
        raise ValueError(f"step should be between 0 and {len(steps)}, got {step}.")
    reached = {n for s in steps[:shown] for n in s["nodes"]}
    current = set(steps[shown - 1]["nodes"]) if shown and step is not None else set()
    ax = _axes(ax, figsize=(12, 4.6))
    boxes = {}
    for name, (x, y, label) in _GRAPH_NODES.items():
        outlined = name in current
        boxes[name] = ax.text(
            x, y, f"{label}\n= {graph['values'][name]:.3f}", ha="center", va="center",
            fontsize=9, color="darkgreen",
            bbox={"boxstyle": "round", "fc": "#f4f4f4", "ec": "crimson" if outlined else "0.4",
                  "lw": 2.5 if outlined else 1},
        )  # fmt: skip
        if name in reached:
            ax.text(
                x, y - 0.62, f"dL/d{name} = {graph['grads'][name]:.3f}", ha="center",
                va="center", color="crimson", fontsize=8.5,
            )  # fmt: skip
    for start, end in _GRAPH_EDGES:
        ax.annotate(
            "", xy=_GRAPH_NODES[end][:2], xytext=_GRAPH_NODES[start][:2],
            arrowprops={"arrowstyle": "->", "color": "0.45", "lw": 1.2, "shrinkA": 2,
                        "shrinkB": 2, "patchA": boxes[start].get_bbox_patch(),
                        "patchB": boxes[end].get_bbox_patch()},
        )  # fmt: skip
    ax.text(9.4, 3.0, f"target y = {graph['y']:g}", ha="center", fontsize=9)
    ax.set_xlim(-0.9, 10.6)
    ax.set_ylim(-1.3, 4.9)
    ax.axis("off")
    ax.set_title(
        "Forward values (green, in the boxes) and gradients dL/d(node) (red, below)"
        + ("" if step is None else f", after backward step {shown} of {len(steps)}")
    )
    return ax


def plot_history(
    history: dict, axes: Sequence[Axes] | Axes | None = None, title: str | None = None
):
    """Learning curves: the loss and the accuracy per epoch, training and validation.

    history: the dict ``train`` returns in lesson 5, with lists ``"train_loss"``,
    ``"train_acc"``, ``"val_loss"``, ``"val_acc"`` (one entry per epoch; a missing key is left
    out). The epoch of the lowest validation loss is marked: where early stopping would keep
    the weights. axes: two Axes (loss, accuracy), one Axes (the loss only), or None for a new
    figure with both. Returns the axes.
    """
    if not isinstance(history, dict):
        raise TypeError(
            f"history should be the dict that train returns, got {type(history).__name__}."
        )
    curves = {}
    for key in ("train_loss", "val_loss", "train_acc", "val_acc"):
        if key in history:
            values = np.asarray(history[key], dtype=float)
            if values.ndim != 1:
                raise ValueError(f"history[{key!r}] should be a list of numbers, one per epoch.")
            curves[key] = values
    if not curves or not any(len(v) for v in curves.values()):
        raise ValueError(
            "history has no epochs to plot: it needs lists such as history['train_loss'] and"
            " history['val_loss'] with one number per epoch."
        )
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    if isinstance(axes, Axes):
        axes = [axes]
        curves = {key: values for key, values in curves.items() if key.endswith("_loss")}
    loss_ax, *others = axes
    styles = {"train": dict(color=BLUE, label="training"), "val": dict(color=ORANGE, ls="--")}
    styles["val"]["label"] = "validation"
    for ax, kind in zip(axes, ("loss", "acc"), strict=False):  # one or two axes
        for split in ("train", "val"):
            values = curves.get(f"{split}_{kind}")
            if values is not None and len(values):
                ax.plot(np.arange(1, len(values) + 1), values, **styles[split])
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    loss_ax.set_ylabel("cross-entropy")
    for acc_ax in others:
        acc_ax.set_ylabel("accuracy")
    val_loss = curves.get("val_loss")
    if val_loss is not None and np.isfinite(val_loss).any():
        best = int(np.nanargmin(np.where(np.isfinite(val_loss), val_loss, np.nan)))
        for ax in axes:
            ax.axvline(best + 1, color="gray", lw=1, ls=":")
        loss_ax.plot(best + 1, val_loss[best], "o", color=ORANGE, label=f"best: epoch {best + 1}")
    loss_ax.legend(fontsize="small")
    if title:
        loss_ax.set_title(f"{title}: loss" if others else title)
        for acc_ax in others:
            acc_ax.set_title(f"{title}: accuracy")
    return axes


# ---------------------------------------------------------------------------------------------
# Lesson 7: MNIST digits, a confusion matrix, the mistakes with their probabilities.


def _digit_images(images, name: str = "images") -> np.ndarray:
    """(n, 784) or (n, 28, 28) pixels (uint8 0..255 or floats in [0, 1]) -> (n, 28, 28)."""
    array = np.asarray(images)
    if array.ndim == 2 and array.shape[1] == 784:
        return array.reshape(-1, 28, 28)
    if array.ndim == 3 and array.shape[1:] == (28, 28):
        return array
    raise ValueError(
        f"{name} should be MNIST digits of shape (n, 784) or (n, 28, 28), got {array.shape}."
    )


def plot_digits(images, titles: Sequence[str] | None = None, ncols: int = 10):
    """A grid of digits, white ink on black as MNIST stores them, each with its title.

    images: (n, 784) or (n, 28, 28) pixels. titles: n strings (labels) or None. Returns the
    figure.
    """
    digits = _digit_images(images)
    if titles is not None and len(titles) != len(digits):
        raise ValueError(f"{len(digits)} images but {len(titles)} titles.")
    nrows = max(1, -(-len(digits) // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.0 * ncols, 1.15 * nrows), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < len(digits):
            ax.imshow(digits[k], cmap="gray", vmin=0, vmax=digits.max() or 1)
            if titles is not None:
                ax.set_title(titles[k], fontsize=10, pad=2)
    fig.tight_layout(pad=0.3)
    return fig


def plot_confusion_matrix(cm, ax: Axes | None = None, title: str | None = None):
    """A confusion matrix as a heat map (log colour scale) with every count written in.

    cm: (C, C) counts, rows the true classes, columns the predicted ones. Returns the axes.
    """
    from matplotlib.colors import LogNorm

    counts = np.asarray(cm)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
        raise ValueError(f"cm should be a square (C, C) matrix of counts, got {counts.shape}.")
    ax = _axes(ax, figsize=(6.4, 5.6))
    shown = ax.imshow(counts + 1, cmap="Blues", norm=LogNorm(vmin=1, vmax=counts.max() + 1))
    threshold = np.sqrt(counts.max() + 1)
    for (i, j), value in np.ndenumerate(counts):
        if value:
            color = "white" if value + 1 > threshold else "black"
            ax.text(j, i, str(value), ha="center", va="center", fontsize=8, color=color)
    classes = range(counts.shape[0])
    ax.set_xticks(classes)
    ax.set_yticks(classes)
    ax.set(xlabel="predicted class", ylabel="true class", title=title)
    ax.figure.colorbar(shown, ax=ax, fraction=0.046, label="count + 1 (log scale)")
    return ax


def plot_misclassified(images, y_true, probabilities, ncols: int = 6):
    """A gallery of digits, each above a bar chart of the ten probabilities a network gave it:
    the true class's bar in green, the predicted (largest) one in red.

    images: (n, 784) or (n, 28, 28); y_true: (n,) labels; probabilities: (n, 10). Returns the
    figure.
    """
    digits = _digit_images(images)
    labels = np.asarray(y_true)
    p = np.asarray(probabilities, dtype=float)
    if p.ndim != 2 or len(p) != len(digits) or len(labels) != len(digits):
        raise ValueError(
            f"images {digits.shape[:1]}, y_true {labels.shape} and probabilities {p.shape}"
            " should describe the same n digits (probabilities of shape (n, classes))."
        )
    nrows = max(1, -(-len(digits) // ncols))
    fig, axes = plt.subplots(
        2 * nrows, ncols, figsize=(1.9 * ncols, 3.6 * nrows), squeeze=False,
        gridspec_kw={"height_ratios": [1.6, 1] * nrows},
    )  # fmt: skip
    for ax in axes.flat:
        ax.axis("off")
    for k in range(len(digits)):
        image_ax, bar_ax = axes[2 * (k // ncols), k % ncols], axes[2 * (k // ncols) + 1, k % ncols]
        predicted = int(np.argmax(p[k]))
        image_ax.imshow(digits[k], cmap="gray")
        image_ax.set_title(
            f"true {labels[k]}, said {predicted}\n({p[k, predicted]:.0%} sure)", fontsize=9
        )
        colors = ["#bbbbbb"] * p.shape[1]
        colors[int(labels[k])], colors[predicted] = "#009e73", "#d62728"
        bar_ax.axis("on")
        bar_ax.bar(range(p.shape[1]), p[k], color=colors)
        bar_ax.set_xticks(range(p.shape[1]))
        bar_ax.tick_params(labelsize=8, length=0)
        bar_ax.set_yticks([])
        bar_ax.set_ylim(0, 1)
        for side in ("top", "right", "left"):
            bar_ax.spines[side].set_visible(False)
    fig.tight_layout(pad=0.4, h_pad=1.5)
    return fig


__all__ = [
    "plot_function_and_derivative",
    "plot_probabilities",
    "CLASS_COLORS",
    "CLASS_MARKERS",
    "plot_boundary_line",
    "plot_decision_boundary",
    "plot_errors_per_epoch",
    "plot_history",
    "plot_confusion_matrix",
    "plot_digits",
    "plot_misclassified",
    "neuron_graph",
    "plot_neuron_graph",
    "plot_perceptron_diagram",
    "plot_points",
]
