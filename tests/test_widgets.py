"""Unit tests for helpers.widgets: move a control, and see the widget retrain and redraw.

The widget is driven with stand-in functions (not a perceptron), so these tests check the
widget's wiring, not any lesson's answer.
"""

import warnings

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402

from helpers.widgets import PerceptronTrainer, perceptron_trainer_widget  # noqa: E402


class FakeModel:
    """Stand-ins for train_fn / predict_fn that record their calls.

    "Training" returns w = [epochs / 10, lr] and one error count per epoch, ending at 0;
    the "prediction" is 1 right of the vertical line x1 = w[0], so the boundary moves with
    the epochs slider.
    """

    def __init__(self):
        self.train_calls = []

    def train(self, X, y, lr, epochs):
        self.train_calls.append((X.copy(), y.copy(), lr, epochs))
        errors = list(range(epochs - 1, -1, -1))
        return np.array([epochs / 10, lr]), 0.0, errors

    @staticmethod
    def predict(X, w, b):
        return (X[:, 0] > w[0]).astype(int)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def model():
    return FakeModel()


def _boundary_x(figure):
    left = figure.axes[0]
    [cs] = [c for c in left.collections if isinstance(c, ContourSet) and list(c.levels) == [0.5]]
    return float(np.mean(np.concatenate([seg[:, 0] for seg in cs.allsegs[0]])))


def test_returns_a_widget_with_its_controls_and_draws_once(model):
    trainer = perceptron_trainer_widget(model.train, model.predict)
    assert isinstance(trainer, PerceptronTrainer)
    assert isinstance(trainer, widgets.VBox)
    assert isinstance(trainer.learning_rate, widgets.FloatLogSlider)
    assert isinstance(trainer.epochs, widgets.IntSlider)
    assert isinstance(trainer.gate, widgets.Dropdown)
    assert trainer.redraws == 1
    assert len(model.train_calls) == 1
    assert trainer.figure is not None and len(trainer.figure.axes) == 2
    assert trainer.error is None


def test_moving_the_epochs_slider_retrains_and_moves_the_boundary(model):
    trainer = perceptron_trainer_widget(model.train, model.predict, epochs=2)
    first_figure = trainer.figure
    assert _boundary_x(first_figure) == pytest.approx(0.2, abs=0.02)

    trainer.epochs.value = 9

    assert trainer.redraws == 2
    assert model.train_calls[-1][3] == 9
    assert trainer.figure is not first_figure
    assert _boundary_x(trainer.figure) == pytest.approx(0.9, abs=0.02)
    (curve,) = trainer.figure.axes[1].lines
    assert list(curve.get_ydata()) == [8, 7, 6, 5, 4, 3, 2, 1, 0]


def test_moving_the_learning_rate_slider_passes_the_new_rate(model):
    trainer = perceptron_trainer_widget(model.train, model.predict)
    trainer.learning_rate.value = 1.0
    assert model.train_calls[-1][2] == pytest.approx(1.0)
    assert trainer.result[0][1] == pytest.approx(1.0)
    assert "learning rate 1" in trainer.summary.value


def test_choosing_a_gate_trains_on_its_truth_table(model):
    trainer = perceptron_trainer_widget(model.train, model.predict)
    trainer.gate.value = "XOR"
    X, y, _, _ = model.train_calls[-1]
    assert X.shape == (4, 2)
    assert list(y) == [0, 1, 1, 0]
    assert trainer.figure.axes[0].get_title() == "XOR"


def test_summary_shows_weights_and_convergence(model):
    trainer = perceptron_trainer_widget(model.train, model.predict, epochs=3)
    assert "w = [0.3" in trainer.summary.value
    assert "converged after 3 epoch(s)" in trainer.summary.value


def test_summary_reports_mistakes_left_when_not_converged():
    def never_converges(X, y, lr, epochs):
        return np.array([1.0, 1.0]), -1.5, [2] * epochs

    trainer = perceptron_trainer_widget(never_converges, FakeModel.predict, epochs=4)
    assert "still 2 mistake(s)" in trainer.summary.value


def test_an_unfinished_exercise_shows_a_message_instead_of_crashing():
    def train_perceptron(X, y, lr, epochs):
        raise NotImplementedError()

    trainer = perceptron_trainer_widget(train_perceptron, FakeModel.predict)
    assert isinstance(trainer.error, NotImplementedError)
    assert trainer.figure is None and trainer.result is None
    assert "train_perceptron is not implemented yet" in trainer.summary.value
    assert "NotImplementedError" in trainer.summary.value
    assert "Finish the exercises above" in trainer.summary.value
    trainer.epochs.value = 5  # moving a slider still works, and still reports
    assert trainer.redraws == 2 and isinstance(trainer.error, NotImplementedError)


def test_the_message_names_the_function_that_raised_and_its_exception(model):
    def perceptron_predict(X, w, b):
        return X @ np.zeros(3) + b  # a shape mismatch, as in a half-finished exercise

    trainer = perceptron_trainer_widget(model.train, perceptron_predict)
    assert isinstance(trainer.error, ValueError)
    assert "perceptron_predict raised ValueError" in trainer.summary.value
    assert trainer.figure is None and plt.get_fignums() == []


def test_a_bias_of_shape_1_gets_a_friendly_message_not_a_raw_type_error():
    def train_perceptron(X, y, lr, epochs):
        return np.array([1.0, 1.0]), np.array([-1.5]), [0]

    trainer = perceptron_trainer_widget(train_perceptron, FakeModel.predict)
    assert isinstance(trainer.error, TypeError)
    assert "train_perceptron returned b as shape (1,)" in trainer.summary.value
    assert "single number" in trainer.summary.value and "[0]" in trainer.summary.value
    assert trainer.figure is None and trainer.result is None


def test_predictions_of_the_wrong_form_name_the_prediction_function(model):
    def perceptron_predict(X, w, b):
        labels = (X @ w + b > 0).astype(int)  # noqa: F841 - the forgotten return is the bug

    trainer = perceptron_trainer_widget(model.train, perceptron_predict)
    assert "perceptron_predict returned None" in trainer.summary.value
    assert "return" in trainer.summary.value


NOTEBOOK_CELL = """
import numpy as np

def train_perceptron(X, y, lr, epochs):
    {body}

def perceptron_predict(X, w, b):
    return (X[:, 0] > w[0]).astype(int)
"""


def test_a_function_redefined_after_the_widget_was_made_is_picked_up():
    """A student re-runs an exercise cell (new function, same name), then moves a slider."""
    notebook_globals = {}  # what a notebook's namespace is: one dict shared by all cells
    exec(NOTEBOOK_CELL.format(body="raise NotImplementedError()"), notebook_globals)
    trainer = perceptron_trainer_widget(
        notebook_globals["train_perceptron"], notebook_globals["perceptron_predict"]
    )
    assert isinstance(trainer.error, NotImplementedError)

    fixed = "return np.array([0.5, 0.0]), 0.0, [1, 0]"
    exec(NOTEBOOK_CELL.format(body=fixed), notebook_globals)  # the cell is run again
    trainer.epochs.value = 2

    assert trainer.error is None
    assert trainer.figure is not None
    assert list(trainer.result[0]) == [0.5, 0.0]
    assert "converged after 2 epoch(s)" in trainer.summary.value
    assert _boundary_x(trainer.figure) == pytest.approx(0.5, abs=0.02)


def test_lambdas_and_methods_are_called_as_given(model):
    trainer = perceptron_trainer_widget(lambda *a: model.train(*a), model.predict, epochs=3)
    assert trainer.error is None and len(model.train_calls) == 1
    assert "converged after 3 epoch(s)" in trainer.summary.value


def test_no_figures_pile_up_in_pyplot(model):
    plt.close("all")
    trainer = perceptron_trainer_widget(model.train, model.predict)
    for epochs in range(2, 8):
        trainer.epochs.value = epochs
    assert plt.get_fignums() == []


@pytest.mark.parametrize("which", ["train_fn", "predict_fn"])
def test_rejects_something_that_is_not_a_function(model, which):
    args = {"train_fn": model.train, "predict_fn": model.predict}
    args[which] = model.train(np.zeros((4, 2)), np.zeros(4), 0.1, 2)  # a call's result
    with pytest.raises(TypeError, match="without calling it"):
        perceptron_trainer_widget(args["train_fn"], args["predict_fn"])


def test_rejects_an_unknown_gate_and_bad_epochs(model):
    with pytest.raises(ValueError, match="Unknown logic gate"):
        perceptron_trainer_widget(model.train, model.predict, gates=("AND", "XNOR"))
    with pytest.raises(ValueError, match="between 1 and max_epochs"):
        perceptron_trainer_widget(model.train, model.predict, epochs=0)


def test_the_xor_answer_describes_what_the_widget_shows():
    """Lesson 1's answer to the XOR question states what the trainer widget really draws."""
    import nbformat
    from nbgrader_course import REPO, notebook_path, solution_cells

    from helpers.data import logic_gate

    source = nbformat.read(notebook_path(REPO, "source", "01_perceptron"), as_version=4)
    namespace = {"np": np}
    for code in solution_cells(source).values():
        exec(code, namespace)
    train, accuracy = namespace["train_perceptron"], namespace["accuracy"]
    predict = namespace["perceptron_predict"]
    X, y = logic_gate("XOR")
    ends = [train(X, y, lr=1.0, epochs=k)[:2] for k in range(2, 9)]
    assert all(np.array_equal(w, [-1.0, 0.0]) and b == 1.0 for w, b in ends)  # the line stays
    w, b, errors = train(X, y, lr=1.0, epochs=8)
    assert errors[2:] == [4] * 6 and accuracy(y, predict(X, w, b)) == 0.5
    answer = next(c.source for c in source.cells if "4. The mistakes never reach 0" in c.source)
    answer = " ".join(answer.split())
    claims = ("**every** epoch counts 4 mistakes", "(accuracy 0.5)", "**the line stops moving**")
    for claim in (*claims, "$\\mathbf{w} = (-1, 0)$, $b = 1$"):
        assert claim in answer, claim


# --- lesson 2: the activation explorer and the softmax temperature slider ------------------

from helpers.widgets import ActivationExplorer, SoftmaxTemperature  # noqa: E402


def reference_sigmoid(x):
    return 0.5 * (1 + np.tanh(0.5 * x))  # stable everywhere


def reference_sigmoid_grad(x):
    s = reference_sigmoid(x)
    return s * (1 - s)


def relu_pair():
    return (lambda x: np.maximum(x, 0), lambda x: (x > 0).astype(float))


def test_the_explorer_draws_the_students_function_its_derivative_and_the_saturation():
    explorer = ActivationExplorer(
        {"sigmoid": (reference_sigmoid, reference_sigmoid_grad), "relu": relu_pair()}, x_max=30
    )
    x, values, slope = explorer.result
    assert x.shape == values.shape == slope.shape and x[0] == -30 and x[-1] == 30
    assert "matches the numerical one" in explorer.summary.value
    assert "largest |reference_sigmoid_grad(x)|: 0.25" in explorer.summary.value
    saturated = float(explorer.summary.value.split("saturated: ")[1].split("%")[0])
    assert saturated > 50  # most of -30..30 is flat for a sigmoid
    first = explorer.figure
    explorer.activation.value = "relu"
    assert explorer.figure is not first and explorer.redraws == 2
    assert np.array_equal(explorer.result[1], np.maximum(explorer.result[0], 0))
    explorer.x_max.value = 3
    assert explorer.result[0][-1] == 3


def test_a_derivative_of_the_wrong_variable_is_shown_to_differ():
    # sigma'(x) written as x * (1 - x): the formula in terms of sigma(x), applied to x
    explorer = ActivationExplorer({"sigmoid": (reference_sigmoid, lambda x: x * (1 - x))})
    assert "differs from the numerical one" in explorer.summary.value


def test_a_right_derivative_at_a_kink_is_not_called_different():
    # relu has no derivative at 0 (x = 0 is on the grid): the comparison leaves the kink out
    explorer = ActivationExplorer({"relu": relu_pair()}, x_max=6)
    assert 0.0 in explorer.result[0]
    assert "matches the numerical one" in explorer.summary.value
    wrong = ActivationExplorer({"relu": (relu_pair()[0], lambda x: (x >= 0) * 0.5)}, x_max=6)
    assert "differs from the numerical one" in wrong.summary.value


def test_the_explorer_names_an_unfinished_or_broken_function():
    def sigmoid(x):
        raise NotImplementedError()

    explorer = ActivationExplorer({"sigmoid": (sigmoid, reference_sigmoid_grad)})
    assert "sigmoid is not implemented yet" in explorer.summary.value
    assert isinstance(explorer.error, NotImplementedError) and explorer.figure is None
    explorer = ActivationExplorer({"sigmoid": (reference_sigmoid, lambda x: None)})
    assert "returned None" in explorer.summary.value
    with pytest.raises(TypeError, match="pair"):
        ActivationExplorer({"sigmoid": reference_sigmoid})


def stable_softmax(z, temperature=1.0):
    z = np.asarray(z) / temperature
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_the_temperature_slider_goes_from_greedy_to_flat():
    widget = SoftmaxTemperature(stable_softmax)
    assert (
        np.isclose(widget.result.sum(), 1.0) and "most likely: <b>mat</b>" in widget.summary.value
    )
    widget.temperature.value = 0.05
    assert widget.result.max() > 0.99  # greedy
    widget.temperature.value = 20
    assert widget.result.max() - widget.result.min() < 0.1  # nearly uniform
    assert widget.redraws == 3


def test_the_temperature_slider_explains_a_softmax_that_is_not_a_distribution():
    widget = SoftmaxTemperature(lambda z, temperature=1.0: np.exp(z))
    assert "sum to" in widget.summary.value and widget.figure is None


def lesson_2_reference():
    """Lesson 2's reference solutions, run from its source notebook."""
    import math

    import nbformat
    from nbgrader_course import REPO, notebook_path, solution_cells

    source = nbformat.read(notebook_path(REPO, "source", "02_activation_functions"), as_version=4)
    namespace = {"np": np, "math": math}
    for code in solution_cells(source).values():
        exec(code, namespace)
    return source, namespace


def answer_text(source, marker: str) -> str:
    answer = next(c.source for c in source.cells if marker in c.source)
    return " ".join(answer.split())


def test_lesson_2_answers_describe_what_the_widgets_show():
    source, ns = lesson_2_reference()
    names = ["sigmoid", "tanh", "relu", "leaky_relu", "gelu"]
    explorer_cell = next(
        c.source for c in source.cells if "activation_explorer_widget(" in c.source
    )
    assert "x_max=10" in explorer_cell  # the range the answers below describe
    explorer = ActivationExplorer({n: (ns[n], ns[f"{n}_grad"]) for n in names}, x_max=10)
    shaded = {}
    for name in names:
        explorer.activation.value = name
        x, _, slope = explorer.result
        assert "matches the numerical one" in explorer.summary.value, name
        peak = np.abs(slope).max()
        flat = np.abs(slope) < 0.01 * peak
        shaded[name] = (
            bool(flat[x < -7].all()),
            bool(flat[x > 7].all()),
            bool(flat.any()),
            round(float(peak), 3),
        )
    assert shaded["sigmoid"] == (True, True, True, 0.25)
    assert shaded["tanh"] == (True, True, True, 1.0)
    assert shaded["relu"][:3] == (True, False, True)
    assert shaded["leaky_relu"][2] is False
    assert shaded["gelu"][:2] == (True, False)
    explorer.activation.value = "gelu"
    x, _, slope = explorer.result
    near = np.abs(x + 0.75) < 0.1
    assert (np.abs(slope[near]) < 0.01 * np.abs(slope).max()).any()  # the sliver near -0.75
    answers = answer_text(source, "sigmoid 0.25, tanh 1, relu 1")
    for claim in (
        "sigmoid and tanh saturate on both sides",
        "leaky_relu nowhere",
        "near $x = -0.75$",
    ):
        assert claim in answers, claim

    slider = SoftmaxTemperature(ns["softmax"])
    stops = {}
    for value in (1.0, 0.25, 0.28, 5.6, 6.3, 20.0):
        slider.temperature.value = value  # the slider snaps to its own stops
        stops[value] = (slider.temperature.value, slider.result, slider.summary.value)
    assert round(float(stops[1.0][1][0]), 2) == 0.55
    assert stops[0.25][1][0] > 0.95 > stops[0.28][1][0] and "94.9%" in stops[0.28][2]
    assert stops[6.3][1][-1] > 0.1 > stops[5.6][1][-1] and round(stops[5.6][0], 1) == 5.6
    assert stops[20.0][0] == pytest.approx(20.0, rel=0.01) and "entropy 1.788" in stops[20.0][2]
    answers = answer_text(source, "approach **greedy")
    claims = (
        "About 55% at $T = 1$",
        "from $T \\approx 0.25$ down (at 0.28 it is 94.9%)",
        "$T \\approx 6.3$ (at 5.6 it is 9.6%)",
        "$\\log 6 \\approx 1.792$",
        "the entropy is 1.788",
    )
    for claim in claims:
        assert claim in answers, claim


# --- lesson 3: a random network's decision boundary ------------------------------------------

from helpers.data import xor_points  # noqa: E402
from helpers.widgets import NetworkBoundary  # noqa: E402


def reference_init(layer_sizes, scheme="he", rng=None, dtype=np.float64):
    """Stand-in for init_params: He-scaled normal draws, zero biases."""
    rng = np.random.default_rng(rng)
    return [
        ((np.sqrt(2 / a) * rng.standard_normal((a, b))).astype(dtype), np.zeros(b, dtype))
        for a, b in zip(layer_sizes[:-1], layer_sizes[1:], strict=True)
    ]


def reference_forward(X, params, activation="relu"):
    """Stand-in for mlp_forward: the logits (caches left empty, the widget does not read them)."""
    a = X
    for k, (W, b) in enumerate(params):
        a = a @ W + b
        if k < len(params) - 1:
            a = np.maximum(a, 0) if activation == "relu" else 1 / (1 + np.exp(-a))
    return a, []


def reference_count(layer_sizes):
    return sum(a * b + b for a, b in zip(layer_sizes[:-1], layer_sizes[1:], strict=True))


def test_xor_points_are_seeded_and_labelled_by_quadrant():
    X, y = xor_points(n_per_corner=5, seed=3)
    again, _ = xor_points(n_per_corner=5, seed=3)
    assert X.shape == (20, 2) and y.shape == (20,) and np.array_equal(X, again)
    assert y.tolist() == [0] * 5 + [1] * 10 + [0] * 5  # (-1,-1), (-1,1), (1,-1), (1,1)
    with pytest.raises(ValueError, match="at least 1"):
        xor_points(n_per_corner=0)


def test_the_boundary_widget_draws_the_students_network_and_counts_its_parameters():
    widget = NetworkBoundary(reference_init, reference_forward, reference_count)
    assert widget.redraws == 1 and widget.figure is not None and widget.error is None
    assert "22 parameters" in widget.summary.value  # 2 -> 4 -> 2
    widget.units.value = 8
    assert "42 parameters" in widget.summary.value and widget.redraws == 2
    ax_units = widget.figure.axes[1]
    assert len(ax_units.get_lines()) == 8  # one line per hidden unit
    widget.hidden_layers.value = 0
    assert len(widget.figure.axes[1].get_lines()) == 2  # the output units' lines
    assert "no hidden layer" in widget.figure.axes[1].get_title()


def test_the_boundary_widget_names_an_unfinished_or_malformed_student_function():
    def unfinished(layer_sizes, scheme="he", rng=None, dtype=np.float64):
        raise NotImplementedError()

    widget = NetworkBoundary(unfinished, reference_forward)
    assert "init_params" not in widget.summary.value or "unfinished" in widget.summary.value
    assert "unfinished is not implemented yet" in widget.summary.value
    widget = NetworkBoundary(lambda *a: [(np.zeros((4, 2)), np.zeros(4))] * 2, reference_forward)
    assert "should be (2, 4)" in widget.summary.value
    widget = NetworkBoundary(reference_init, lambda X, params, activation: X @ params[0][0])
    assert "pair (logits, caches)" in widget.summary.value and widget.figure is None
    with pytest.raises(TypeError, match="without calling it"):
        NetworkBoundary(reference_init([2, 2]), reference_forward)


def test_lesson_3_answers_describe_what_the_widget_shows():
    """The answers box: a straight line at most 75% without a hidden layer; no seed of a 4-unit
    layer reaches 90% but seed 19 of a 9-unit one does; at seed 23 a sigmoid network is almost
    linear at a small weight scale and sharply bent at a large one."""
    import nbformat
    from nbgrader_course import REPO, notebook_path

    source = nbformat.read(notebook_path(REPO, "source", "03_multilayer_networks"), as_version=4)
    answers = answer_text(source, "no seed gets above 75%")
    assert "best is about 70%" in answers and "With 9 units, seed 19 gets 92%" in answers
    widget_cell = next(c.source for c in source.cells if "network_boundary_widget(" in c.source)
    assert "seed=2)" in widget_cell
    widget = NetworkBoundary(reference_init, reference_forward, seed=2)
    assert (widget.hidden_layers.value, widget.units.value) == (1, 4)
    assert 0.6 < widget.accuracy < 0.75  # the first view shows a boundary, not one flat class
    widget.redraw = lambda: None  # the answers are about the network, not the figure: no drawing
    seeds = range(widget.seed.min, widget.seed.max + 1)
    grid = np.stack(np.meshgrid(np.linspace(-2.4, 2.4, 49), np.linspace(-2.4, 2.4, 49)), -1)
    grid = grid.reshape(-1, 2)

    def accuracy(seed):
        widget.seed.value = seed
        _, logits = widget._network()
        return np.mean(np.argmax(logits(widget.X), axis=1) == widget.y)

    assert 0.65 <= max(accuracy(seed) for seed in seeds) < 0.9  # 4 units
    widget.units.value = 9
    assert round(accuracy(19), 2) == 0.92
    widget.hidden_layers.value = 0
    assert max(accuracy(seed) for seed in seeds) <= 0.75
    widget.hidden_layers.value, widget.units.value, widget.activation.value = 1, 8, "sigmoid"
    widget.seed.value = 23
    nonlinear_share = {}
    for scale in (0.1, 10.0):
        widget.scale.value = scale
        _, logits = widget._network()
        gap = logits(grid) @ np.array([1.0, -1.0])
        assert 0.1 < np.mean(gap < 0) < 0.9  # both classes in the picture
        # how far the logits' difference is from a plane fitted to it over the picture
        design = np.column_stack([grid, np.ones(len(grid))])
        residual = gap - design @ np.linalg.lstsq(design, gap, rcond=None)[0]
        nonlinear_share[scale] = np.linalg.norm(residual) / np.linalg.norm(gap - gap.mean())
    assert nonlinear_share[0.1] < 0.05 < 0.3 < nonlinear_share[10.0], nonlinear_share


# --- lesson 4: the backward pass of one neuron, step by step ----------------------------------

from helpers.plots import neuron_graph, plot_neuron_graph  # noqa: E402
from helpers.widgets import BackpropStepper  # noqa: E402


def test_the_neuron_graph_follows_the_chain_rule():
    graph = neuron_graph(x=(1.0, 2.0), w=(0.5, -0.25), b=0.1, y=1.0)
    values, grads = graph["values"], graph["grads"]
    assert values["z"] == pytest.approx(0.1) and values["a"] == pytest.approx(0.524979, abs=1e-6)

    def loss(w1=0.5, w2=-0.25, b=0.1, x1=1.0, x2=2.0):
        a = 1 / (1 + np.exp(-(w1 * x1 + w2 * x2 + b)))
        return (a - 1.0) ** 2

    h = 1e-6
    for name in ("w1", "w2", "b", "x1", "x2"):
        slope = (loss(**{name: values[name] + h}) - loss(**{name: values[name] - h})) / (2 * h)
        assert grads[name] == pytest.approx(slope, rel=1e-6), name
    reached = [n for step in graph["steps"] for n in step["nodes"]]
    assert sorted(reached) == sorted(values)  # every node gets its gradient, once


def test_the_stepper_reveals_one_backward_step_at_a_time():
    widget = BackpropStepper()
    assert widget.result == {} and "Forward pass done" in widget.summary.value
    widget.step.value = 2
    assert set(widget.result) == {"L", "a", "z"} and "dL/dz" in widget.summary.value
    widget.step.value = widget.step.max
    assert set(widget.result) == set(neuron_graph()["values"]) and widget.redraws == 3
    red = [t.get_text() for t in widget.figure.axes[0].texts if t.get_color() == "crimson"]
    assert "dL/dw2 = -0.474" in red and len(red) == 10
    with pytest.raises(ValueError, match="between 0 and 5"):
        plot_neuron_graph(6)


def test_lesson_4_table_matches_the_graph():
    """The hand-worked table of section 1 gives the numbers the widget and the figure show."""
    import nbformat
    from nbgrader_course import REPO, notebook_path

    source = nbformat.read(notebook_path(REPO, "source", "04_backpropagation"), as_version=4)
    table = next(c.source for c in source.cells if "| node | local gradient |" in c.source)
    grads = neuron_graph()["grads"]
    for name, shown in (("a", -0.950), ("z", -0.237), ("w1", -0.237), ("x1", -0.118)):
        assert f"{shown:.3f}" in table and round(grads[name], 3) == shown, name
    assert "-0.474" in table and "0.059" in table and round(grads["w2"], 3) == -0.474


# --- lesson 5: retrain at the learning rate of a slider ---------------------------------------

from helpers.widgets import LearningRateExplorer  # noqa: E402


class StandInSGD:
    """Stand-in for the course's SGD: W -= lr * dW in place."""

    def __init__(self, lr):
        self.lr = lr

    def step(self, params, grads):
        for (W, b), (dW, db) in zip(params, grads, strict=True):
            W -= self.lr * dW
            b -= self.lr * db


def stand_in_train(params, X_train, y_train, X_val, y_val, epochs, batch_size, optimizer, rng,
                   activation="relu", lam=0.0, patience=None, progress=True):  # fmt: skip
    """Stand-in for the lesson's train (ReLU, no L2, no early stopping): its history."""

    def forward(X):
        hidden = [X]
        for k, (W, b) in enumerate(params):
            z = hidden[-1] @ W + b
            hidden.append(np.maximum(z, 0) if k < len(params) - 1 else z)
        return hidden

    def loss_and_dlogits(logits, y):
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        dlogits = np.exp(log_p)
        dlogits[np.arange(len(y)), y] -= 1
        return -log_p[np.arange(len(y)), y].mean(), dlogits / len(y)

    history = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": []}
    for _ in range(epochs):
        order = rng.permutation(len(X_train))
        for start in range(0, len(X_train), batch_size):
            rows = order[start : start + batch_size]
            hidden = forward(X_train[rows])
            _, d = loss_and_dlogits(hidden[-1], y_train[rows])
            grads = []
            for k in range(len(params) - 1, -1, -1):
                grads.append((hidden[k].T @ d, d.sum(axis=0)))
                d = (d @ params[k][0].T) * (hidden[k] > 0)
            optimizer.step(params, grads[::-1])
        for split, X, y in (("train", X_train, y_train), ("val", X_val, y_val)):
            logits = forward(X)[-1]
            history[f"{split}_loss"].append(float(loss_and_dlogits(logits, y)[0]))
            history[f"{split}_acc"].append(float(np.mean(np.argmax(logits, axis=1) == y)))
    return history


def stand_in_predict(X, params, activation="relu"):
    return np.argmax(reference_forward(X, params, activation)[0], axis=1)


def lr_widget(**options):
    return LearningRateExplorer(
        stand_in_train, reference_init, stand_in_predict, StandInSGD, **options
    )


def test_the_learning_rate_widget_retrains_with_the_students_train_and_redraws():
    calls = []

    def recording_train(params, X_train, y_train, X_val, y_val, epochs, batch_size, optimizer,
                        rng, **options):  # fmt: skip
        assert options == {"progress": False}  # no progress bar inside the widget
        calls.append((X_train.shape, X_val.shape, epochs, batch_size, optimizer.lr))
        return stand_in_train(params, X_train, y_train, X_val, y_val, epochs, batch_size,
                              optimizer, rng)  # fmt: skip

    widget = LearningRateExplorer(recording_train, reference_init, stand_in_predict, StandInSGD)
    assert widget.redraws == 1 and widget.error is None and widget.figure is not None
    assert calls == [((150, 2), (50, 2), 100, 32, 0.1)]  # moons: 3/4 to train, 1/4 to validate
    loss_ax, regions_ax = widget.figure.axes
    assert len(loss_ax.get_lines()) == 2 and loss_ax.get_yscale() == "log"
    assert "learning rate 0.1" in loss_ax.get_title()
    widget.learning_rate.value = 1.0
    widget.epochs.value = 50
    widget.dataset.value = "spirals"
    assert widget.redraws == 4 and calls[-1] == ((180, 2), (60, 2), 50, 32, 1.0)
    assert len(widget.result["val_acc"]) == 50 and "50 epochs" in widget.summary.value
    assert len([c for c in widget.figure.axes[1].collections if c.get_label() == "y = 2"]) == 1


def test_the_learning_rate_widget_names_an_unfinished_or_malformed_train():
    def unfinished(*args, **kwargs):
        raise NotImplementedError()

    widget = LearningRateExplorer(unfinished, reference_init, stand_in_predict, StandInSGD)
    assert "unfinished is not implemented yet" in widget.summary.value and widget.figure is None
    widget = LearningRateExplorer(
        lambda *a, **k: None, reference_init, stand_in_predict, StandInSGD
    )
    assert "forget `return history`" in widget.summary.value
    widget = LearningRateExplorer(lambda *a, **k: {"train_loss": [1.0]}, reference_init,
                                  stand_in_predict, StandInSGD)  # fmt: skip
    assert "history has no val_loss, val_acc" in widget.summary.value
    with pytest.raises(ValueError, match="Unknown dataset"):
        lr_widget(dataset="circles")


def test_a_diverging_run_is_shown_without_warnings_or_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        widget = lr_widget(learning_rate=31.6, epochs=50)
    assert widget.error is None and widget.verdict == "diverged"
    assert "diverged" in widget.summary.value


def test_lesson_5_answers_describe_what_the_widget_shows():
    """The answers box of lesson 5: moons is too small up to 0.0562, good from 0.1 to 1.78, too
    large at 3.16 and diverged from 5.62; 300 epochs at 0.01 stay too small; spirals are good
    from 0.1 to 1 and too large by 3.16."""
    import nbformat
    from nbgrader_course import REPO, notebook_path

    source = nbformat.read(notebook_path(REPO, "source", "05_training_loop"), as_version=4)
    answers = answer_text(source, "Up to 0.0562 the verdict is *too small*")
    for claim in ("Good up to 1.78", "*too large* at 3.16", "*diverged* from 5.62",
                  "(0.29 against 0.15)", "Spirals are good from about 0.06 to 1", "*too large* by 3.16", "*diverged* from 10"):  # fmt: skip
        assert claim in answers, claim
    widget = lr_widget()
    widget.redraw = lambda: None  # the verdicts are about the runs, not the figure

    def verdict(lr, epochs=100, dataset="moons"):
        widget.learning_rate.value, widget.epochs.value, widget.dataset.value = lr, epochs, dataset
        params, history = widget._train()
        return widget._judge(history, int(widget._data()[1].max()) + 1)[0], history

    rates = [10 ** (k / 4) for k in range(-12, 7)]  # the slider's values, 0.001 to 31.6
    moons = {round(lr, 4): verdict(lr)[0] for lr in rates}
    too_small = {0.001, 0.0018, 0.0032, 0.0056, 0.01, 0.0178, 0.0316, 0.0562}
    assert {lr for lr, v in moons.items() if v == "too small"} == too_small
    assert {lr for lr, v in moons.items() if v == "good"} == {
        0.1,
        0.1778,
        0.3162,
        0.5623,
        1.0,
        1.7783,
    }
    _, diverged_history = verdict(10.0)
    assert diverged_history["val_acc"][-1] == 0.44  # one class predicted everywhere
    assert moons[3.1623] == "too large" and {
        moons[lr] for lr in (5.6234, 10.0, 17.7828, 31.6228)
    } == {"diverged"}
    slow, slow_history = verdict(0.01, epochs=300)
    _, fast_history = verdict(10**-0.5, epochs=100)
    assert slow == "too small"
    assert (
        round(slow_history["train_loss"][-1], 2) == 0.29
        and round(fast_history["train_loss"][-1], 2) == 0.15
    )
    spirals = {round(lr, 4): verdict(lr, dataset="spirals")[0] for lr in rates if 0.09 < lr < 11}
    assert {spirals[lr] for lr in (0.1, 0.1778, 0.3162, 0.5623, 1.0)} == {"good"}
    assert spirals[3.1623] == "too large"  # 1.7783 is chaotic: either verdict, by rounding
    assert spirals[10.0] == "diverged"


# --- lesson 6: optimizers' paths on a 2-D loss surface ----------------------------------------

from helpers.widgets import OptimizerPaths  # noqa: E402


class StandInOptimizer:
    """Stand-ins for the lesson's optimizers (one class, four rules), state per array."""

    def __init__(self, lr, rule):
        self.lr, self.rule, self.t, self.state = lr, rule, 0, {}

    def step(self, params, grads):
        self.t += 1
        pairs = zip(params, grads, strict=True)
        arrays = [(a, g) for pair, grad_pair in pairs for a, g in zip(pair, grad_pair, strict=True)]
        for k, (a, g) in enumerate(arrays):
            m, v = self.state.get(k, (np.zeros_like(a), np.zeros_like(a)))
            if self.rule == "sgd":
                a -= self.lr * g
            elif self.rule == "momentum":
                m = 0.9 * m + g
                a -= self.lr * m
            elif self.rule == "rmsprop":
                v = 0.99 * v + 0.01 * g * g
                a -= self.lr * g / (np.sqrt(v) + 1e-8)
            else:
                m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
                m_hat, v_hat = m / (1 - 0.9**self.t), v / (1 - 0.999**self.t)
                a -= self.lr * m_hat / (np.sqrt(v_hat) + 1e-8)
            self.state[k] = (m, v)


STAND_IN_OPTIMIZERS = {
    name: (lambda lr, rule=rule: StandInOptimizer(lr, rule))
    for name, rule in (
        ("SGD", "sgd"),
        ("Momentum", "momentum"),
        ("RMSProp", "rmsprop"),
        ("Adam", "adam"),
    )
}


def test_the_paths_widget_draws_a_path_per_chosen_optimizer_and_redraws():
    widget = OptimizerPaths(STAND_IN_OPTIMIZERS)
    assert (
        widget.redraws == 1 and widget.error is None and set(widget.result) == {"SGD", "Momentum"}
    )
    assert widget.result["SGD"].shape == (101, 2)  # the start and 100 steps
    assert np.allclose(widget.result["SGD"][0], (-4.0, 0.8))
    widget.boxes["Adam"].value = True
    assert widget.redraws == 2 and set(widget.result) == {"SGD", "Momentum", "Adam"}
    widget.surface.value = "rosenbrock"
    assert (
        np.allclose(widget.result["Adam"][0], (-1.2, 1.0))
        and "rosenbrock" in widget.figure.axes[0].get_title()
    )
    widget.steps.value = 20
    assert widget.result["Adam"].shape == (21, 2) and widget.redraws == 4


def test_the_paths_widget_names_an_unfinished_optimizer_and_marks_a_divergence():
    class Unfinished:
        def __init__(self, lr):
            self.lr = lr

        def step(self, params, grads):
            raise NotImplementedError()

    widget = OptimizerPaths({"Mine": Unfinished})
    assert "Mine.step is not implemented yet" in widget.summary.value and widget.figure is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        widget = OptimizerPaths(STAND_IN_OPTIMIZERS, learning_rate=0.316, chosen=["SGD"])
    assert widget.final["SGD"] is None and "diverged" in widget.summary.value
    with pytest.raises(TypeError, match="dict of names and classes"):
        OptimizerPaths([StandInOptimizer])
    with pytest.raises(ValueError, match="Unknown surface"):
        OptimizerPaths(STAND_IN_OPTIMIZERS, surface="bowl")


def test_lesson_6_answers_describe_what_the_widget_shows():
    """SGD on the quadratic: 1.46 from the minimum at 0.01, converging at 0.0562, diverging at
    0.1; momentum 0.01 away at 0.01 and stable up to 0.1; the first steps of RMSProp and Adam
    diagonal (10 lr and lr); Rosenbrock at 0.01: SGD and momentum diverge, RMSProp 1.69, Adam
    1.96; at 0.001 momentum 0.23."""
    import nbformat
    from nbgrader_course import REPO, notebook_path

    source = nbformat.read(notebook_path(REPO, "source", "06_optimizers"), as_version=4)
    answers = answer_text(source, "SGD creeps along the valley floor")
    for claim in ("ends 1.46 from the minimum", "at 0.0562", "at 0.1 it diverges",
                  "ends 0.01 from the minimum", "diverging only at 0.178",
                  "exactly the rate (0.1 in each coordinate)",
                  "ten times larger", "RMSProp gets closest (1.69", "Adam reaches 1.96",
                  "(0.23 from the minimum)"):  # fmt: skip
        assert claim in answers, claim
    widget = OptimizerPaths(STAND_IN_OPTIMIZERS, chosen=list(STAND_IN_OPTIMIZERS))
    widget.redraw = lambda: None

    def distance(name, lr, surface="quadratic", steps=100):
        widget.surface.value, widget.steps.value, widget.learning_rate.value = surface, steps, lr
        points = widget.path(name)
        minimum = widget.SURFACES[surface][2]
        if not np.isfinite(points[-1]).all() or np.abs(points[-1]).max() > 1e6:
            return None
        return round(float(np.hypot(*(points[-1] - minimum))), 2)

    assert distance("SGD", 0.01) == 1.46 and distance("SGD", 10**-1.25) == 0.01
    assert distance("SGD", 0.1) is None and distance("Momentum", 0.01) == 0.01
    assert distance("Momentum", 0.1) is not None and distance("Momentum", 10**-0.75) is None
    widget.surface.value, widget.learning_rate.value = "quadratic", 0.1
    for name, size in (("Adam", 0.1), ("RMSProp", 1.0)):
        first = widget.path(name)[1] - widget.path(name)[0]
        assert np.allclose(np.abs(first), size, rtol=1e-3), (name, first)  # 45 degrees
    assert distance("SGD", 0.01, "rosenbrock", 300) is None
    assert distance("Momentum", 0.01, "rosenbrock", 300) is None
    assert distance("RMSProp", 0.01, "rosenbrock", 300) == 1.69
    assert distance("Adam", 0.01, "rosenbrock", 300) == 1.96
    assert distance("Momentum", 0.001, "rosenbrock", 300) == 0.23
