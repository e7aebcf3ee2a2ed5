"""Interactive widgets for the lessons (ipywidgets).

A widget takes the student's own functions as arguments and calls them, so nothing here
contains the answer to a graded exercise. Each builder returns the widget itself (an
``ipywidgets`` container); the lesson shows it with ``display(...)`` only when
``helpers.grading_in_progress()`` is False. The widget keeps what it drew last (``figure``,
``result``, ``redraws``) so a test can move a slider and see what changed.

**Re-run cells are picked up.** A student who fixes an exercise and re-runs its cell creates a
new function object under the same name; the widget shown earlier still holds the old one. So
the widget does not keep the function itself: each time it redraws, it looks the function up
again, by name, in the namespace where it was defined (for a notebook, the notebook's globals).
This applies to functions defined at the top level of a cell or module (``def name(...)``);
anything else (a lambda, a method, a nested function) is called as given.
"""

from __future__ import annotations

import html
import inspect
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


def _latest(func: Callable) -> Callable:
    """The current definition of ``func``: looked up again by name where it was defined.

    A function defined at the top level of a notebook cell lives in the notebook's globals under
    its name; re-running the cell replaces that entry. Anything else is returned unchanged.
    """
    if not inspect.isfunction(func) or func.__qualname__ != func.__name__:
        return func  # a lambda, a method, a nested function: no name to look up
    current = func.__globals__.get(func.__name__)
    return current if callable(current) else func


def _function_name(func: Callable, fallback: str) -> str:
    name = getattr(func, "__name__", "")
    return name if name.isidentifier() else fallback  # "<lambda>" is not a useful name


class _RaisedBy(Exception):
    """An exception from the student's code, tagged with the function it came from."""

    def __init__(self, function: str, error: BaseException) -> None:
        super().__init__(function, error)
        self.function, self.error = function, error

    def describe(self) -> str:
        kind, text = type(self.error).__name__, str(self.error)
        if isinstance(self.error, NotImplementedError) and not text:
            return f"<b>{self.function} is not implemented yet</b> (it raised {kind})."
        detail = f": {html.escape(text)}" if text else ""
        return f"<b>{self.function} raised {kind}</b>{detail}"


def _call(func: Callable, name: str, *args):
    try:
        return func(*args)
    except Exception as exc:  # the student's code may not be finished yet
        raise _RaisedBy(name, exc) from exc


def _check_training_result(result, name: str):
    """Unpack ``(w, b, errors)``, with a friendly message for the usual wrong shapes."""
    if not isinstance(result, tuple) or len(result) != 3:
        found = f"a tuple of {len(result)}" if isinstance(result, tuple) else type(result).__name__
        raise TypeError(f"{name} should return three values (w, b, errors), got {found}.")
    w, b, errors = result
    w = np.asarray(w)
    if w.ndim != 1 or w.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} returned w with shape {w.shape} and dtype {w.dtype};"
            " w should be a 1-D array of numbers, one weight per input feature."
        )
    if np.ndim(b) != 0 or not isinstance(np.asarray(b).item(), int | float):
        shape = f"shape {np.shape(b)}" if isinstance(b, np.ndarray) else type(b).__name__
        raise TypeError(
            f"{name} returned b as {shape}; b should be a single number. If it is an array"
            " of one value, perceptron_update probably kept the prediction for one example as"
            " an array: take element [0] of it (see Common bugs)."
        )
    return w.astype(float), b, errors


def _check_labels(labels, P: np.ndarray, name: str):
    """Name the student's function when its predictions have the wrong form."""
    if labels is None:
        raise TypeError(f"{name} returned None. Did it forget a `return` statement?")
    if np.shape(labels) != (len(P),):
        raise ValueError(
            f"{name} returned shape {np.shape(labels)} for {len(P)} points; it should return"
            f" shape ({len(P)},), one 0/1 label per row of X."
        )
    return labels


class PerceptronTrainer(widgets.VBox):
    """Train a perceptron on a logic gate and show its decision boundary and mistakes per epoch.

    Controls: ``gate`` (Dropdown), ``learning_rate`` (FloatLogSlider), ``epochs`` (IntSlider).
    Changing any of them retrains from scratch with ``train_fn`` and redraws ``output``.

    ``train_fn`` and ``predict_fn`` are looked up again by name at every redraw (see the module
    docstring), so re-running a cell that redefines them, then moving a control, uses the new code.

    After each redraw: ``figure`` is the matplotlib Figure just drawn, ``result`` is what
    ``train_fn`` returned as ``(w, b, errors)`` (None if something failed), ``error`` is the
    exception that stopped the redraw (or None): the one the student's function raised, or a
    ``TypeError`` for a result of the wrong form. ``redraws`` counts the redraws so far.
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
        train_fn, predict_fn = _latest(self.train_fn), _latest(self.predict_fn)
        train_name = _function_name(train_fn, "train_fn")
        predict_name = _function_name(predict_fn, "predict_fn")
        fig = None
        try:
            result = _call(train_fn, train_name, X, y, lr, epochs)
            w, b, errors = _check_training_result(result, train_name)
            fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
            plot_decision_boundary(
                lambda P: _check_labels(_call(predict_fn, predict_name, P, w, b), P, predict_name),
                X,
                y,
                ax=left,
                title=f"{self.gate.value}",
            )
            plot_errors_per_epoch(errors, ax=right)
            right.set_xlim(0.5, max(epochs, len(errors)) + 0.5)
            fig.tight_layout()
        except Exception as exc:  # the student's code may not be finished yet
            if fig is not None:
                plt.close(fig)
            if isinstance(exc, _RaisedBy):
                self.error, message = exc.error, exc.describe()
            else:  # a result of the wrong form, caught by the checks above or by the plots
                self.error = exc
                message = f"<b>{type(exc).__name__}</b>: {html.escape(str(exc))}"
            self.summary.value = (
                f"{message}<br>Finish the exercises above, run their cells, then move a slider."
            )
            self.output.clear_output()
            return
        self.figure, self.result = fig, (w, b, errors)
        done = len(errors) < epochs or (len(errors) and errors[-1] == 0)
        status = (
            f"converged after {len(errors)} epoch(s)"
            if done
            else f"still {errors[-1]} mistake(s) in the last epoch, counted as each example was"
            " visited (the line drawn is the one after the epoch's updates)"
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
    Pass the functions themselves (``perceptron_trainer_widget(train_perceptron,
    perceptron_predict)``); a student who later re-runs a cell that redefines one of them only
    has to move a control to see the new code at work (see the module docstring).
    options: gates, learning_rate, epochs, max_epochs (see ``PerceptronTrainer``).
    Returns the widget; show it with ``display(...)``.
    """
    return PerceptronTrainer(train_fn, predict_fn, **options)


__all__ = ["PerceptronTrainer", "perceptron_trainer_widget"]
