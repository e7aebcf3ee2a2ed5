"""Unit tests for helpers.plots: what each plot draws, and the messages for bad input."""

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402

from helpers.data import logic_gate  # noqa: E402
from helpers.plots import (  # noqa: E402
    plot_boundary_line,
    plot_decision_boundary,
    plot_errors_per_epoch,
    plot_history,
    plot_perceptron_diagram,
    plot_points,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _vertical_threshold(threshold):
    """A stand-in model (not a perceptron): 1 to the right of x1 = threshold."""
    return lambda P: (P[:, 0] > threshold).astype(int)


def _boundary_segments(ax):
    sets = [c for c in ax.collections if isinstance(c, ContourSet) and list(c.levels) == [0.5]]
    return [segment for cs in sets for segment in cs.allsegs[0]]


# plot_points ----------------------------------------------------------------------------------


def test_plot_points_draws_one_scatter_per_class():
    X, y = logic_gate("AND")
    ax = plot_points(X, y, title="AND")
    offsets = [c.get_offsets() for c in ax.collections]
    assert len(offsets) == 2
    assert np.array_equal(offsets[0], X[y == 0])
    assert np.array_equal(offsets[1], X[y == 1])
    assert ax.get_title() == "AND"


def test_plot_points_uses_the_given_axes():
    _, ax = plt.subplots()
    X, y = logic_gate("OR")
    assert plot_points(X, y, ax=ax) is ax


@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        (np.zeros((4, 3)), np.zeros(4, dtype=int), "shape (n, 2)"),
        (np.zeros(4), np.zeros(4, dtype=int), "shape (n, 2)"),
        (np.zeros((4, 2)), np.zeros(3, dtype=int), "one label per row"),
        (np.zeros((4, 2)), np.zeros((4, 1), dtype=int), "y.ravel()"),
        (np.zeros((4, 2)), np.array([0, 1, 5, 1]), "labels 0 to 3"),
    ],
)
def test_plot_points_explains_bad_input(X, y, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        plot_points(X, y)


def test_plot_points_rejects_something_that_is_not_axes():
    X, y = logic_gate("AND")
    with pytest.raises(TypeError, match="matplotlib Axes"):
        plot_points(X, y, ax="left")


# plot_decision_boundary -----------------------------------------------------------------------


def test_decision_boundary_follows_the_model():
    X, y = logic_gate("OR")
    for threshold in (0.25, 0.75):
        ax = plot_decision_boundary(_vertical_threshold(threshold), X, y)
        segments = _boundary_segments(ax)
        assert segments, "a boundary line should be drawn when both labels appear"
        xs = np.concatenate([s[:, 0] for s in segments])
        assert np.allclose(xs, threshold, atol=0.02)


def test_decision_boundary_calls_the_model_on_an_m_by_2_grid():
    seen = []

    def model(P):
        seen.append(P.shape)
        return np.zeros(len(P), dtype=int)

    X, y = logic_gate("AND")
    plot_decision_boundary(model, X, y, resolution=50)
    assert seen == [(2500, 2)]


def test_decision_boundary_with_one_label_everywhere_draws_no_line_and_no_warning():
    X, y = logic_gate("XOR")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plot_decision_boundary(lambda P: np.ones(len(P), dtype=int), X, y)
    assert _boundary_segments(ax) == []


def test_decision_boundary_accepts_boolean_predictions():
    X, y = logic_gate("AND")
    ax = plot_decision_boundary(lambda P: P[:, 0] + P[:, 1] > 1.5, X, y)
    assert _boundary_segments(ax)


def test_decision_boundary_rejects_a_non_callable():
    X, y = logic_gate("AND")
    with pytest.raises(TypeError, match="predict_fn should be a function"):
        plot_decision_boundary(np.array([0, 0, 0, 1]), X, y)


def test_decision_boundary_explains_a_model_returning_the_wrong_shape():
    X, y = logic_gate("AND")
    with pytest.raises(ValueError, match="one 0/1 label per row"):
        plot_decision_boundary(lambda P: np.zeros((len(P), 1)), X, y)


# plot_errors_per_epoch ------------------------------------------------------------------------


def test_errors_per_epoch_plots_one_point_per_epoch():
    ax = plot_errors_per_epoch([3, 2, np.int64(1), 0])
    (line,) = ax.lines
    assert list(line.get_xdata()) == [1, 2, 3, 4]
    assert list(line.get_ydata()) == [3, 2, 1, 0]
    assert ax.get_xlabel() == "epoch"


@pytest.mark.parametrize(
    ("errors", "error", "message"),
    [
        ([], ValueError, "empty"),
        ([2, -1], ValueError, "negative"),
        ([[1, 0], [0, 0]], ValueError, "flat list"),
        (None, ValueError, "flat list"),
        ({"a": 1}, TypeError, "list of mistake counts"),
    ],
)
def test_errors_per_epoch_explains_bad_input(errors, error, message):
    with pytest.raises(error, match=message):
        plot_errors_per_epoch(errors)


# plot_boundary_line ---------------------------------------------------------------------------


@pytest.mark.parametrize(("w", "b"), [([1.0, 1.0], -1.5), ([2.0, -0.5], 0.3), ([0.0, 1.0], -0.5)])
def test_boundary_line_lies_on_w_dot_x_plus_b_equals_zero(w, b):
    _, ax = plt.subplots()
    ax.set_xlim(-1, 2)
    ax.set_ylim(-1, 2)
    plot_boundary_line(w, b, ax=ax)
    (line,) = ax.lines
    points = np.column_stack([line.get_xdata(), line.get_ydata()])
    assert np.allclose(points @ np.array(w) + b, 0.0)
    assert ax.get_xlim() == (-1, 2) and ax.get_ylim() == (-1, 2)


def test_boundary_line_handles_a_vertical_line():
    _, ax = plt.subplots()
    ax.set_xlim(-1, 2)
    ax.set_ylim(-1, 2)
    plot_boundary_line([1.0, 0.0], -0.5, ax=ax, show_normal=False, label="x1 = 0.5")
    (line,) = ax.lines
    assert np.allclose(line.get_xdata(), 0.5)
    assert ax.get_legend() is not None


@pytest.mark.parametrize(
    ("w", "message"), [([0.0, 0.0], "all zeros"), ([1.0, 2.0, 3.0], "shape \\(2,\\)")]
)
def test_boundary_line_explains_bad_weights(w, message):
    with pytest.raises(ValueError, match=message):
        plot_boundary_line(w, 0.0)


# plot_perceptron_diagram ----------------------------------------------------------------------


def test_perceptron_diagram_writes_the_weights_and_bias():
    ax = plot_perceptron_diagram(w=[1, -2], b=0.5)
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "$w_1=1$" in texts and "$w_2=-2$" in texts and "$b=0.5$" in texts
    assert not ax.axison


def test_perceptron_diagram_without_numbers_uses_symbols():
    texts = " ".join(t.get_text() for t in plot_perceptron_diagram().texts)
    assert "$w_1$" in texts and "$b$" in texts


def test_decision_boundary_says_when_predict_returns_none():
    X, y = np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([0, 1])
    with pytest.raises(ValueError, match="forget a `return`"):
        plot_decision_boundary(lambda grid: None, X, y)


def test_function_and_derivative_with_the_numerical_slope_and_the_saturated_region():
    from helpers.plots import plot_function_and_derivative

    x = np.linspace(-5, 5, 101)
    ax = plot_function_and_derivative(
        x, np.tanh(x), 1 - np.tanh(x) ** 2, numerical=1 - np.tanh(x) ** 2, saturated=np.abs(x) > 4
    )
    labels = [line.get_label() for line in ax.get_lines()]
    assert {"f(x)", "f'(x)", "numerical f'(x)"} <= set(labels)
    assert any("saturated" in c.get_label() for c in ax.collections)
    plt.close(ax.figure)


def test_probabilities_as_labelled_bars():
    from helpers.data import next_token_example
    from helpers.plots import plot_probabilities

    words, logits = next_token_example()
    assert len(words) == logits.shape[0] == 6 and np.all(np.diff(logits) < 0)
    p = np.exp(logits) / np.exp(logits).sum()
    ax = plot_probabilities(words, p)
    assert [t.get_text() for t in ax.get_xticklabels()] == words
    assert len(ax.patches) == 6 and ax.texts[0].get_text() == f"{p[0]:.3f}"
    plt.close(ax.figure)


# More classes (lesson 5's spirals) ---------------------------------------------------------------


def test_decision_boundary_shades_one_region_per_class_for_three_classes():
    X = np.array([[-1.0, 0.0], [0.0, 0.0], [1.0, 0.0]])
    y = np.array([0, 1, 2])
    ax = plot_decision_boundary(lambda P: np.digitize(P[:, 0], [-0.5, 0.5]), X, y)
    filled = [c for c in ax.collections if isinstance(c, ContourSet) and c.filled]
    assert list(filled[0].levels) == [-0.5, 0.5, 1.5, 2.5]
    lines = [c for c in ax.collections if isinstance(c, ContourSet) and not c.filled]
    assert list(lines[0].levels) == [0.5, 1.5]  # two boundaries between three regions
    assert len([c for c in ax.collections if c.get_label().startswith("y = ")]) == 3


# plot_history -----------------------------------------------------------------------------------


def test_history_draws_both_curves_and_marks_the_best_validation_epoch():
    history = {
        "train_loss": [1.0, 0.6, 0.4, 0.3],
        "val_loss": [1.1, 0.7, 0.8, 0.9],
        "train_acc": [0.5, 0.7, 0.8, 0.9],
        "val_acc": [0.5, 0.65, 0.6, 0.6],
    }
    loss_ax, acc_ax = plot_history(history, title="run")
    train_line, val_line = loss_ax.get_lines()[:2]
    assert list(train_line.get_xdata()) == [1, 2, 3, 4]  # epochs count from 1 on the axis
    assert list(val_line.get_ydata()) == history["val_loss"]
    assert [line.get_label() for line in acc_ax.get_lines()[:2]] == ["training", "validation"]
    marked = [line for line in loss_ax.get_lines() if "best" in line.get_label()]
    assert marked and marked[0].get_label() == "best: epoch 2"
    assert (loss_ax.get_title(), acc_ax.get_title()) == ("run: loss", "run: accuracy")


def test_history_on_one_axes_draws_the_losses_only():
    _, ax = plt.subplots()
    history = {"train_loss": [1.0, 0.5], "val_loss": [1.2, 0.9], "train_acc": [0.5, 0.8]}
    [drawn] = plot_history(history, axes=ax, title="run")
    assert drawn is ax and ax.get_title() == "run" and ax.get_ylabel() == "cross-entropy"
    assert [line.get_label() for line in ax.get_lines()[:2]] == ["training", "validation"]


def test_history_of_a_diverged_run_still_plots():
    history = {"train_loss": [1.0, np.inf, np.nan], "val_loss": [np.nan, np.nan, np.nan]}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss_ax, _ = plot_history(history)
    assert len(loss_ax.get_lines()) == 2  # no best epoch to mark


@pytest.mark.parametrize(
    "history, error, message",
    [
        ([0.5, 0.4], TypeError, "dict that train returns"),
        ({"train_loss": []}, ValueError, "no epochs to plot"),
        ({"train_loss": [[0.5]]}, ValueError, "list of numbers"),
    ],
)
def test_history_explains_bad_input(history, error, message):
    with pytest.raises(error, match=message):
        plot_history(history)
