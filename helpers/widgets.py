"""Interactive widgets for the lessons (ipywidgets).

A widget takes the student's own functions as arguments and calls them, so nothing here
contains the answer to a graded exercise. Each builder returns the widget itself (an
``ipywidgets`` container); the lesson shows it with ``display(...)`` only when
``helpers.grading_in_progress()`` is False. The widget keeps what it drew last (``figure``,
``result``, ``redraws``) so a test can move a slider and see what changed.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from helpers.data import logic_gate
from helpers.plots import plot_decision_boundary, plot_errors_per_epoch


def _require_function(func, name: str, signature: str) -> None:
    if not callable(func):
        raise TypeError(
            f"{name} should be a function {signature}, got {type(func).__name__}."
            " Pass the function itself, without calling it (no parentheses)."
        )


class PerceptronTrainer(widgets.VBox):
    """Train a perceptron on a logic gate and show its decision boundary and mistakes per epoch.

    Controls: ``gate`` (Dropdown), ``learning_rate`` (FloatLogSlider), ``epochs`` (IntSlider).
    Changing any of them retrains from scratch with ``train_fn`` and redraws ``output``.

    After each redraw: ``figure`` is the matplotlib Figure just drawn, ``result`` is what
    ``train_fn`` returned as ``(w, b, errors)`` (None if it raised), ``error`` is the exception
    it raised (or None), and ``redraws`` counts the redraws so far.
    """

    def __init__(
        self,
        train_fn: Callable,
        predict_fn: Callable,
        gates: Sequence[str] = ("AND", "OR", "NAND", "NOR", "XOR"),
        learning_rate: float = 0.1,
        epochs: int = 1,
        max_epochs: int = 30,
    ) -> None:
        _require_function(train_fn, "train_fn", "train_fn(X, y, lr, epochs) -> (w, b, errors)")
        _require_function(predict_fn, "predict_fn", "predict_fn(X, w, b) -> (n,) labels")
        gates = [str(g).upper() for g in gates]
        for gate in gates:
            logic_gate(gate)  # raises a clear ValueError for an unknown name
        if not gates:
            raise ValueError("gates should name at least one logic gate, for example ('AND',).")
        if not 1 <= int(epochs) <= int(max_epochs):
            raise ValueError(
                f"epochs should be between 1 and max_epochs={max_epochs}, got {epochs}."
            )
        self.train_fn = train_fn
        self.predict_fn = predict_fn
        self.gate = widgets.Dropdown(options=gates, value=gates[0], description="gate")
        self.learning_rate = widgets.FloatLogSlider(
            value=learning_rate,
            base=10,
            min=-3,
            max=1,
            step=0.1,
            description="learning rate",
            readout_format=".3g",
            continuous_update=False,
            style={"description_width": "initial"},
        )
        self.epochs = widgets.IntSlider(
            value=int(epochs),
            min=1,
            max=int(max_epochs),
            description="epochs",
            continuous_update=False,
        )
        self.summary = widgets.HTML()
        self.output = widgets.Output()
        self.figure = None
        self.result = None
        self.error = None
        self.redraws = 0
        controls = widgets.HBox([self.gate, self.learning_rate, self.epochs])
        super().__init__([controls, self.summary, self.output])
        for control in (self.gate, self.learning_rate, self.epochs):
            control.observe(self._on_change, names="value")
        self.redraw()

    def _on_change(self, change) -> None:
        self.redraw()

    def redraw(self) -> None:
        """Retrain with the current settings and redraw the plots."""
        X, y = logic_gate(self.gate.value)
        lr, epochs = float(self.learning_rate.value), int(self.epochs.value)
        self.redraws += 1
        if self.figure is not None:
            plt.close(self.figure)
        self.figure, self.result, self.error = None, None, None
        try:
            w, b, errors = self.train_fn(X, y, lr, epochs)
            w = np.asarray(w, dtype=float)
            fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
            plot_decision_boundary(
                lambda P: self.predict_fn(P, w, b), X, y, ax=left, title=f"{self.gate.value}"
            )
            plot_errors_per_epoch(errors, ax=right)
            right.set_xlim(0.5, max(epochs, len(errors)) + 0.5)
            fig.tight_layout()
        except Exception as exc:  # the student's code may not be finished yet
            self.error = exc
            self.summary.value = (
                f"<b>Your function raised {type(exc).__name__}</b>: {html.escape(str(exc))}<br>"
                "Finish the exercises above, run their cells, then move a slider."
            )
            self.output.clear_output()
            return
        self.figure, self.result = fig, (w, b, errors)
        done = len(errors) < epochs or (len(errors) and errors[-1] == 0)
        status = (
            f"converged after {len(errors)} epoch(s)" if done else f"still {errors[-1]} mistake(s)"
        )
        weights = ", ".join(f"{v:.4g}" for v in w)
        self.summary.value = (
            f"w = [{weights}], b = {float(b):.4g} &nbsp;&nbsp; {status}"
            f" (learning rate {lr:.3g}, at most {epochs} epoch(s))"
        )
        with self.output:
            self.output.clear_output(wait=True)
            display(fig)
        plt.close(fig)  # shown once, in the output area; not again when the cell ends


def perceptron_trainer_widget(
    train_fn: Callable, predict_fn: Callable, **options
) -> PerceptronTrainer:
    """The lesson 1 widget: pick a gate, a learning rate and a number of epochs, see the result.

    train_fn(X, y, lr, epochs) -> (w, b, errors): the student's training function.
    predict_fn(X, w, b) -> (n,) labels: the student's prediction function.
    options: gates, learning_rate, epochs, max_epochs (see ``PerceptronTrainer``).
    Returns the widget; show it with ``display(...)``.
    """
    return PerceptronTrainer(train_fn, predict_fn, **options)


__all__ = ["PerceptronTrainer", "perceptron_trainer_widget"]
