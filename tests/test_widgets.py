"""Unit tests for helpers.widgets: move a control, and see the widget retrain and redraw.

The widget is driven with stand-in functions (not a perceptron), so these tests check the
widget's wiring, not any lesson's answer.
"""

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
    def unfinished(X, y, lr, epochs):
        raise NotImplementedError()

    trainer = perceptron_trainer_widget(unfinished, FakeModel.predict)
    assert isinstance(trainer.error, NotImplementedError)
    assert trainer.figure is None and trainer.result is None
    assert "NotImplementedError" in trainer.summary.value
    assert "Finish the exercises above" in trainer.summary.value
    trainer.epochs.value = 5  # moving a slider still works, and still reports
    assert trainer.redraws == 2 and isinstance(trainer.error, NotImplementedError)


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
