"""Interactive widgets for the lessons (ipywidgets).

A widget takes the student's own functions as arguments and calls them, so nothing here
contains the answer to a graded exercise. Each builder returns the widget itself (an
``ipywidgets`` container); the lesson shows it with ``display(...)`` only when
``helpers.grading_in_progress()`` is False. The widget keeps what it drew last (``figure``,
``result``, ``redraws``) so a test can move a slider and see what changed. Lesson 7's drawing pad
(``DigitPad``) keeps what it read instead (``prediction``, ``probabilities``), and a test draws
on it with ``draw_strokes``.

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
import io
import math
import warnings
from collections.abc import Callable, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from ipycanvas import Canvas, hold_canvas
from IPython.display import display

from helpers.data import logic_gate, moons, next_token_example, spirals, xor_points
from helpers.drawing import mnist_like, render_strokes, stroke_points
from helpers.plots import (
    neuron_graph,
    plot_decision_boundary,
    plot_errors_per_epoch,
    plot_function_and_derivative,
    plot_neuron_graph,
    plot_points,
    plot_probabilities,
)


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


class _RedrawingWidget(widgets.VBox):
    """What the course's widgets share: a summary line, an output area with one figure, and
    what the last redraw left (``figure``, ``result``, ``error``, ``redraws``) for the tests."""

    def _setup(self, layout: list, watched: Sequence) -> None:
        """Lay out the controls above the summary and the figure, redraw whenever one of the
        ``watched`` controls changes value, and draw once."""
        self.summary = widgets.HTML()
        self.output = widgets.Output()
        self.figure, self.result, self.error, self.redraws = None, None, None, 0
        widgets.VBox.__init__(self, [*layout, self.summary, self.output])
        for control in watched:
            control.observe(lambda change: self.redraw(), names="value")
        self.redraw()

    def _begin_redraw(self) -> None:
        self.redraws += 1
        if self.figure is not None:
            plt.close(self.figure)
        self.figure, self.result, self.error = None, None, None

    def _fail(self, exc: Exception) -> None:
        """Say what stopped the redraw, naming the student's function."""
        if isinstance(exc, _RaisedBy):
            self.error, message = exc.error, exc.describe()
        else:  # a result of the wrong form
            self.error, message = exc, f"<b>{type(exc).__name__}</b>: {html.escape(str(exc))}"
        self.summary.value = (
            f"{message}<br>Finish the exercises above, run their cells, then move a control."
        )
        self.output.clear_output()

    def _show(self, fig, result, summary: str) -> None:
        self.figure, self.result = fig, result
        self.summary.value = summary
        with self.output:
            self.output.clear_output(wait=True)
            display(fig)
        plt.close(fig)  # shown once, in the output area; not again when the cell ends


class PerceptronTrainer(_RedrawingWidget):
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
        controls = (self.gate, self.learning_rate, self.epochs)
        self._setup([widgets.HBox(list(controls))], watched=controls)

    def redraw(self) -> None:
        """Retrain with the current settings and redraw the plots."""
        X, y = logic_gate(self.gate.value)
        lr, epochs = float(self.learning_rate.value), int(self.epochs.value)
        self._begin_redraw()
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
            self._fail(exc)
            return
        done = len(errors) < epochs or (len(errors) and errors[-1] == 0)
        status = (
            f"converged after {len(errors)} epoch(s)"
            if done
            else f"still {errors[-1]} mistake(s) in the last epoch, counted as each example was"
            " visited (the line drawn is the one after the epoch's updates)"
        )
        weights = ", ".join(f"{v:.4g}" for v in w)
        self._show(
            fig,
            (w, b, errors),
            f"w = [{weights}], b = {float(b):.4g} &nbsp;&nbsp; {status}"
            f" (learning rate {lr:.3g}, at most {epochs} epoch(s))",
        )


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


def _as_float_array(value, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """A student's result as floats of ``shape``, or a clear error that names the function."""
    if value is None:
        raise TypeError(f"{name} returned None. Did it forget a `return` statement?")
    array = np.asarray(value, dtype=float)
    if array.shape != shape:
        raise ValueError(f"{name} returned shape {array.shape}; shape {shape} was expected.")
    return array


class ActivationExplorer(_RedrawingWidget):
    """Pick an activation; see it, its derivative and where it saturates, from the student's code.

    ``functions`` maps a name to ``(f, f_grad)``, the student's elementwise activation and its
    derivative (looked up again by name at each redraw, see the module docstring). Controls:
    ``activation`` (Dropdown) and ``x_max`` (the plot spans -x_max..x_max). The plot shows f, f',
    a numerical derivative of f (centered differences: the student's f' should cover it) and the
    saturated region, where |f'| is below 1% of its peak. The derivative is compared with the
    numerical one except at kinks (where the slopes on either side differ, as relu's at 0).
    After each redraw: ``figure``, ``result`` (x, f(x), f'(x)), ``error`` (or None), ``redraws``.
    """

    def __init__(self, functions: dict, activation: str | None = None, x_max: float = 6.0):
        if not functions:
            raise ValueError("functions should map at least one name to (f, f_grad).")
        for name, pair in functions.items():
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise TypeError(f"functions[{name!r}] should be a pair (f, f_grad).")
            _require_function(pair[0], f"functions[{name!r}][0]", "f(x) -> array like x")
            _require_function(pair[1], f"functions[{name!r}][1]", "f_grad(x) -> array like x")
        self.functions = dict(functions)
        names = list(self.functions)
        self.activation = widgets.Dropdown(
            options=names, value=activation or names[0], description="activation"
        )
        self.x_max = widgets.FloatSlider(
            value=x_max, min=1.0, max=30.0, step=1.0, description="x from -/+",
            continuous_update=False, style={"description_width": "initial"},
        )  # fmt: skip
        controls = (self.activation, self.x_max)
        self._setup([widgets.HBox(list(controls))], watched=controls)

    def redraw(self) -> None:
        self._begin_redraw()
        name = self.activation.value
        f, f_grad = (_latest(g) for g in self.functions[name])
        f_name, grad_name = _function_name(f, name), _function_name(f_grad, f"{name}_grad")
        x = np.linspace(-self.x_max.value, self.x_max.value, 801)
        h = 1e-5 * max(1.0, self.x_max.value)
        try:
            values = _as_float_array(_call(f, f_name, x.copy()), f_name, x.shape)
            slope = _as_float_array(_call(f_grad, grad_name, x.copy()), grad_name, x.shape)
            right = _as_float_array(_call(f, f_name, x + h), f_name, x.shape)
            left = _as_float_array(_call(f, f_name, x - h), f_name, x.shape)
        except Exception as exc:  # the student's code may not be finished yet
            self._fail(exc)
            return
        numerical = (right - left) / (2 * h)
        # At a kink (relu's corner at 0) the slopes on the left and on the right differ: no
        # derivative exists there, so the comparison leaves such points out.
        with np.errstate(invalid="ignore"):
            kink = np.abs((right - values) / h - (values - left) / h) > 1e-3 * (1 + np.abs(slope))
        peak = float(np.max(np.abs(slope))) if np.all(np.isfinite(slope)) else float("nan")
        saturated = np.abs(slope) < 0.01 * peak
        fig, ax = plt.subplots(figsize=(7, 3.8))
        plot_function_and_derivative(
            x, values, slope, ax=ax, title=name, numerical=numerical, saturated=saturated
        )
        fig.tight_layout()
        smooth = ~kink
        gap = float(np.max(np.abs(slope - numerical)[smooth])) if smooth.any() else 0.0
        verdict = (
            "your derivative matches the numerical one"
            if gap < 1e-4
            else f"<b>your derivative differs from the numerical one by up to {gap:.3g}</b>"
        )
        share = float(np.mean(saturated))
        self._show(
            fig,
            (x, values, slope),
            f"largest |{grad_name}(x)|: {peak:.4g} &nbsp; saturated: {share:.0%} of the range"
            f" &nbsp; {verdict}",
        )


def activation_explorer_widget(functions: dict, **options) -> ActivationExplorer:
    """The lesson 2 explorer: ``functions`` maps names to the student's ``(f, f_grad)`` pairs,
    for example ``{"sigmoid": (sigmoid, sigmoid_grad), "relu": (relu, relu_grad)}``.
    options: activation (the first shown), x_max. Returns the widget; show it with display(...).
    """
    return ActivationExplorer(functions, **options)


class SoftmaxTemperature(_RedrawingWidget):
    """Next-token probabilities from the student's ``softmax(z, temperature)``, as bars.

    Control: ``temperature`` (a log slider from 0.05 to 20). Small temperatures approach greedy
    decoding (all the probability on the top word), large ones a uniform choice. After each
    redraw: ``figure``, ``result`` (the probabilities), ``error``, ``redraws``.
    """

    def __init__(self, softmax_fn: Callable, words=None, logits=None, temperature: float = 1.0):
        _require_function(softmax_fn, "softmax_fn", "softmax_fn(z, temperature) -> probabilities")
        if words is None or logits is None:
            words, logits = next_token_example()
        self.words, self.logits = list(words), np.asarray(logits, dtype=float)
        if self.logits.shape != (len(self.words),):
            raise ValueError("logits should hold one score per word.")
        self.softmax_fn = softmax_fn
        self.temperature = widgets.FloatLogSlider(
            value=temperature, base=10, min=np.log10(0.05), max=np.log10(20), step=0.05,
            description="temperature", readout_format=".3g", continuous_update=False,
            style={"description_width": "initial"},
        )  # fmt: skip
        self._setup([self.temperature], watched=[self.temperature])

    def redraw(self) -> None:
        self._begin_redraw()
        softmax_fn = _latest(self.softmax_fn)
        name = _function_name(softmax_fn, "softmax")
        t = float(self.temperature.value)
        try:
            p = _as_float_array(
                _call(softmax_fn, name, self.logits.copy(), t), name, self.logits.shape
            )
            if not np.isclose(p.sum(), 1.0, atol=1e-6):
                raise ValueError(f"{name} returned probabilities that sum to {p.sum():.4g}, not 1.")
        except Exception as exc:  # the student's code may not be finished yet
            self._fail(exc)
            return
        fig, ax = plt.subplots(figsize=(7, 3.2))
        plot_probabilities(self.words, p, ax=ax, title=f"The cat sat on the ... (T = {t:.3g})")
        fig.tight_layout()
        entropy = float(-np.sum(p * np.log(np.clip(p, 1e-300, None))))
        top = int(np.argmax(p))
        self._show(
            fig,
            p,
            f"most likely: <b>{html.escape(self.words[top])}</b> ({p[top]:.1%}) &nbsp;"
            f" entropy {entropy:.3f} nats (uniform over {len(p)} words: {np.log(len(p)):.3f})",
        )


def softmax_temperature_widget(softmax_fn: Callable, **options) -> SoftmaxTemperature:
    """The lesson 2 temperature slider over the student's ``softmax(z, temperature)``.
    options: words, logits (default: helpers.data.next_token_example()), temperature.
    """
    return SoftmaxTemperature(softmax_fn, **options)


def _check_params(params, sizes: list[int], name: str):
    """Name the student's init function when its parameters have the wrong form."""
    if not isinstance(params, list | tuple) or len(params) != len(sizes) - 1:
        found = (
            f"{len(params)} entries" if isinstance(params, list | tuple) else type(params).__name__
        )
        raise TypeError(
            f"{name}({sizes}) should return a list of {len(sizes) - 1} (W, b) pairs, got {found}."
        )
    checked = []
    for k, (pair, n_in, n_out) in enumerate(zip(params, sizes[:-1], sizes[1:], strict=True)):
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise TypeError(
                f"{name}: layer {k} should be a pair (W, b), got {type(pair).__name__}."
            )
        W, b = (np.asarray(a, dtype=float) for a in pair)
        if W.shape != (n_in, n_out) or b.shape != (n_out,):
            raise ValueError(
                f"{name}: layer {k} has W of shape {W.shape} and b of shape {b.shape}; they"
                f" should be ({n_in}, {n_out}) and ({n_out},)."
            )
        checked.append((W, b))
    return checked


class NetworkBoundary(_RedrawingWidget):
    """A small random network on the plane: what depth, width and the activation do to its
    decision boundary, computed by the student's ``init_params`` and ``mlp_forward``.

    The network maps 2 inputs through ``hidden_layers`` hidden layers of ``units`` units to 2
    logits, and a point's class is the larger logit. Its weights are ``init_fn(sizes, "he",
    seed)`` times ``scale``; its biases are drawn by the widget (normal, times ``scale``) from the
    same seed, since ``init_params`` leaves them at zero and every unit's line would then pass
    through the centre. Nothing is trained: each seed is another random network.

    Controls: ``hidden_layers`` (0 to 3), ``units`` (1 to 32), ``activation`` ("relu" or
    "sigmoid"), ``seed``, ``scale``. Left: the decision regions over the XOR points of
    ``helpers.data.xor_points()``; right: each unit of the first layer as the line where its
    weighted sum is 0 (where a ReLU bends). After each redraw: ``figure``, ``result`` (the
    predicted labels of the points), ``error``, ``redraws``; ``accuracy`` on the XOR labels.
    """

    def __init__(
        self,
        init_fn: Callable,
        forward_fn: Callable,
        count_fn: Callable | None = None,
        hidden_layers: int = 1,
        units: int = 4,
        activation: str = "relu",
        seed: int = 0,
        scale: float = 1.0,
    ):
        _require_function(init_fn, "init_fn", "init_params(layer_sizes, scheme, rng)")
        _require_function(forward_fn, "forward_fn", "mlp_forward(X, params, activation)")
        if count_fn is not None:
            _require_function(count_fn, "count_fn", "count_params(layer_sizes)")
        self.init_fn, self.forward_fn, self.count_fn = init_fn, forward_fn, count_fn
        self.X, self.y = xor_points()
        self.accuracy = None
        style = {"description_width": "initial"}
        self.hidden_layers = widgets.IntSlider(
            value=hidden_layers, min=0, max=3, description="hidden layers",
            continuous_update=False, style=style,
        )  # fmt: skip
        self.units = widgets.IntSlider(
            value=units, min=1, max=32, description="units per layer",
            continuous_update=False, style=style,
        )  # fmt: skip
        self.activation = widgets.Dropdown(
            options=["relu", "sigmoid"], value=activation, description="activation"
        )
        self.seed = widgets.IntSlider(
            value=seed, min=0, max=30, description="seed", continuous_update=False
        )
        self.scale = widgets.FloatLogSlider(
            value=scale, base=10, min=-1, max=1, step=0.1, description="weight scale",
            readout_format=".2g", continuous_update=False, style=style,
        )  # fmt: skip
        controls = (self.hidden_layers, self.units, self.activation, self.seed, self.scale)
        self._setup(
            [
                widgets.HBox([self.hidden_layers, self.units, self.activation]),
                widgets.HBox([self.seed, self.scale]),
            ],
            watched=controls,
        )

    def layer_sizes(self) -> list[int]:
        return [2] + [int(self.units.value)] * int(self.hidden_layers.value) + [2]

    def _network(self):
        """The parameters of the current network, and the function giving its logits."""
        init_fn, forward_fn = _latest(self.init_fn), _latest(self.forward_fn)
        init_name = _function_name(init_fn, "init_params")
        forward_name = _function_name(forward_fn, "mlp_forward")
        sizes, seed, scale = self.layer_sizes(), int(self.seed.value), float(self.scale.value)
        params = _check_params(_call(init_fn, init_name, sizes, "he", seed), sizes, init_name)
        biases = np.random.default_rng([seed, 1])
        params = [(W * scale, scale * biases.standard_normal(b.shape)) for W, b in params]
        activation = self.activation.value

        def logits(P: np.ndarray) -> np.ndarray:
            result = _call(forward_fn, forward_name, P, params, activation)
            if not isinstance(result, tuple) or len(result) != 2:
                raise TypeError(f"{forward_name} should return a pair (logits, caches).")
            out = np.asarray(result[0], dtype=float)
            if out.shape != (len(P), 2):
                raise ValueError(
                    f"{forward_name} returned logits of shape {out.shape} for {len(P)} points"
                    f" and a network with 2 outputs; they should have shape ({len(P)}, 2)."
                )
            return out

        return params, logits

    def redraw(self) -> None:
        self._begin_redraw()
        try:
            params, logits = self._network()
            labels = np.argmax(logits(self.X), axis=1)
            count = None
            if self.count_fn is not None:
                count_fn = _latest(self.count_fn)
                count = _call(
                    count_fn, _function_name(count_fn, "count_params"), self.layer_sizes()
                )
        except Exception as exc:  # the student's code may not be finished yet
            self._fail(exc)
            return
        self.accuracy = float(np.mean(labels == self.y))
        fig, (ax_net, ax_units) = plt.subplots(1, 2, figsize=(10, 4.3))
        hidden = int(self.hidden_layers.value)
        shape = " -> ".join(map(str, self.layer_sizes()))
        plot_decision_boundary(
            lambda P: np.argmax(logits(P), axis=1), self.X, self.y, ax=ax_net,
            title=f"{shape}, {self.activation.value}: its decision regions",
        )  # fmt: skip
        W, b = params[0]
        lo, hi = ax_net.get_xlim()
        xs = np.linspace(lo, hi, 2)
        for j in range(W.shape[1]):
            if abs(W[1, j]) > 1e-12:
                ax_units.plot(xs, -(W[0, j] * xs + b[j]) / W[1, j], linewidth=1)
            else:
                ax_units.axvline(-b[j] / W[0, j] if abs(W[0, j]) > 1e-12 else np.nan, linewidth=1)
        plot_points(self.X, self.y, ax=ax_units)
        ax_units.set_xlim(lo, hi)
        ax_units.set_ylim(*ax_net.get_ylim())
        ax_units.set_aspect("equal")
        first = "hidden units" if hidden else "output units (no hidden layer)"
        ax_units.set_title(f"The first layer's {W.shape[1]} {first}: where z = 0", fontsize=10)
        fig.tight_layout()
        counted = (
            f"{int(count):,} parameters (your count_params) &nbsp; " if count is not None else ""
        )
        self._show(
            fig,
            labels,
            f"{counted}{self.accuracy:.0%} of the XOR points on the right side (untrained: the"
            " luck of the seed)",
        )


def network_boundary_widget(init_fn: Callable, forward_fn: Callable, count_fn=None, **options):
    """The lesson 3 widget over the student's ``init_params``, ``mlp_forward`` and (optional)
    ``count_params``. options: hidden_layers, units, activation, seed, scale.
    Returns the widget; show it with display(...).
    """
    return NetworkBoundary(init_fn, forward_fn, count_fn, **options)


class BackpropStepper(_RedrawingWidget):
    """The backward pass of one neuron and its loss, one step at a time (lesson 4).

    Control: ``step`` (0: the forward pass only; then one backward step per move, from the
    loss back to the weights). The figure is ``helpers.plots.plot_neuron_graph`` at that step;
    the summary works the step out with the chain rule. ``result`` is the dict of gradients
    found so far.
    """

    def __init__(self, step: int = 0):
        self.graph = neuron_graph()
        steps = len(self.graph["steps"])
        self.step = widgets.IntSlider(
            value=step, min=0, max=steps, description="backward step",
            continuous_update=False, style={"description_width": "initial"},
        )  # fmt: skip
        self._setup([self.step], watched=[self.step])

    def redraw(self) -> None:
        self._begin_redraw()
        shown = int(self.step.value)
        fig, ax = plt.subplots(figsize=(11, 4.2))
        plot_neuron_graph(shown, ax=ax, graph=self.graph)
        fig.tight_layout()
        reached = [n for s in self.graph["steps"][:shown] for n in s["nodes"]]
        says = (
            "Forward pass done: every node holds its value (green). Move the slider to go back."
            if shown == 0
            else html.escape(self.graph["steps"][shown - 1]["says"])
        )
        self._show(
            fig, {n: self.graph["grads"][n] for n in reached}, f"<b>Step {shown}.</b> {says}"
        )


def backprop_stepper_widget(**options) -> BackpropStepper:
    """The lesson 4 widget: step through the backward pass of a neuron. options: step."""
    return BackpropStepper(**options)


def _learning_rate_slider(value: float, low: float, high: float) -> widgets.FloatLogSlider:
    """A learning-rate slider from 10**low to 10**high, four steps per factor of 10."""
    return widgets.FloatLogSlider(
        value=value, base=10, min=low, max=high, step=0.25, description="learning rate",
        readout_format=".3g", continuous_update=False, style={"description_width": "initial"},
    )  # fmt: skip


def _check_history(history, name: str) -> dict:
    """Name the student's train function when its history has the wrong form."""
    if not isinstance(history, dict):
        raise TypeError(
            f"{name} should return its history, a dict of lists, got {type(history).__name__}."
            " Did it forget `return history`?"
        )
    missing = [k for k in ("train_loss", "val_loss", "val_acc") if k not in history]
    if missing:
        raise ValueError(
            f"{name}'s history has no {', '.join(missing)}: it should be a dict with the lists"
            " train_loss, train_acc, val_loss and val_acc."
        )
    return history


class LearningRateExplorer(_RedrawingWidget):
    """Retrain a small network with the student's ``train`` at the learning rate of a slider,
    and show its loss curves beside its decision regions (lesson 5).

    The data: ``helpers.data.moons(200, 0.2, seed=0)`` or ``spirals(80, 3, 0.2, seed=0)``,
    shuffled once (seed 0), three quarters for training and the rest for validation. The network: 2-32-32-C with
    ReLU, ``init_fn(sizes, "he", 1)``; ``optimizer_cls(learning_rate)`` steps on mini-batches
    of 32 drawn by ``np.random.default_rng(2)``, so the same settings give the same run.

    Controls: ``learning_rate`` (0.001 to about 30, log scale), ``epochs`` (50 to 300),
    ``dataset``. After each redraw: ``figure``, ``result`` (the history), ``error``,
    ``redraws``; ``verdict``: "diverged" (a training loss inf, nan or above 10 ln C), "too
    small" (the loss falling steadily but still above 0.2, validation accuracy under 90%), "too
    large" (the loss ends near ln C, the loss of guessing, or 1.5 times above its lowest), else
    "good".
    """

    DATASETS = {
        "moons": lambda: moons(200, 0.2, seed=0),
        "spirals": lambda: spirals(80, 3, 0.2, seed=0),
    }

    def __init__(
        self,
        train_fn: Callable,
        init_fn: Callable,
        predict_fn: Callable,
        optimizer_cls: Callable,
        learning_rate: float = 0.1,
        epochs: int = 100,
        dataset: str = "moons",
    ):
        _require_function(train_fn, "train_fn", "train(params, X_train, y_train, X_val, ...)")
        _require_function(init_fn, "init_fn", "init_params(layer_sizes, scheme, rng)")
        _require_function(predict_fn, "predict_fn", "mlp_predict(X, params)")
        _require_function(optimizer_cls, "optimizer_cls", "SGD(lr)")
        if dataset not in self.DATASETS:
            raise ValueError(f"Unknown dataset {dataset!r}: choose one of {list(self.DATASETS)}.")
        self.train_fn, self.init_fn, self.predict_fn = train_fn, init_fn, predict_fn
        self.optimizer_cls = optimizer_cls
        self.verdict = None
        style = {"description_width": "initial"}
        self.learning_rate = _learning_rate_slider(learning_rate, -3, 1.5)
        self.epochs = widgets.IntSlider(
            value=epochs, min=50, max=300, step=50, description="epochs",
            continuous_update=False, style=style,
        )  # fmt: skip
        self.dataset = widgets.Dropdown(
            options=list(self.DATASETS), value=dataset, description="data"
        )
        controls = (self.learning_rate, self.epochs, self.dataset)
        self._setup([widgets.HBox(list(controls))], watched=controls)

    def _data(self):
        X, y = self.DATASETS[self.dataset.value]()
        order = np.random.default_rng(0).permutation(len(X))  # a fixed shuffle, then cut
        X, y, cut = X[order], y[order], 3 * len(X) // 4
        return X[:cut], y[:cut], X[cut:], y[cut:]

    def _train(self):
        """Train at the current settings: (params, history), or raise naming the function."""
        train_fn, init_fn = _latest(self.train_fn), _latest(self.init_fn)
        train_name = _function_name(train_fn, "train")
        X_train, y_train, X_val, y_val = self._data()
        sizes = [2, 32, 32, int(y_train.max()) + 1]
        params = _check_params(
            _call(init_fn, _function_name(init_fn, "init_params"), sizes, "he", 1), sizes,
            "init_params",
        )  # fmt: skip
        optimizer = self.optimizer_cls(float(self.learning_rate.value))
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a diverging run overflows: that is the lesson
            history = _call(
                lambda *args: train_fn(*args, progress=False), train_name, params, X_train,
                y_train, X_val, y_val, int(self.epochs.value), 32, optimizer,
                np.random.default_rng(2),
            )  # fmt: skip
        return params, _check_history(history, train_name)

    def _judge(self, history: dict, n_classes: int) -> tuple[str, str]:
        """The verdict on a run, and a sentence that says why."""
        loss = np.asarray(history["train_loss"], dtype=float)
        val_acc = float(np.asarray(history["val_acc"], dtype=float)[-1])
        guessing = np.log(n_classes)  # the loss of a network that gives every class 1/C
        if not np.isfinite(loss).all() or loss.max() > 10 * guessing:
            worst = int(np.argmax(np.where(np.isfinite(loss), loss, np.inf)))
            return "diverged", (
                f"diverged: the loss went as high as {loss[worst]:.3g} (epoch {worst + 1}), where"
                f" guessing gives ln {n_classes} = {guessing:.2f}"
            )
        rises = loss / np.minimum.accumulate(loss)
        late, half = loss[3 * len(loss) // 4], loss[len(loss) // 2]
        steady = rises.max() <= 1.1 and loss[-1] < late <= half
        if steady and loss[-1] > 0.2 and val_acc < 0.9:
            return "too small", "too small: the loss falls steadily, but slowly"
        if loss[-1] >= 0.9 * guessing:
            return "too large", (
                f"too large: the loss jumps around and ends at {loss[-1]:.3g}, about the loss of"
                f" guessing (ln {n_classes} = {guessing:.2f})"
            )
        if loss[-1] > 1.5 * loss.min():
            return "too large", (
                f"too large: the loss jumps around and ends at {loss[-1]:.3g}, well above its"
                f" lowest ({loss.min():.3g})"
            )
        return "good", f"good: the training loss fell to {loss[-1]:.3g}"

    def redraw(self) -> None:
        self._begin_redraw()
        try:
            params, history = self._train()
            predict_fn = _latest(self.predict_fn)
            predict_name = _function_name(predict_fn, "mlp_predict")
            X_train, y_train, X_val, y_val = self._data()
            with np.errstate(all="ignore"):
                predicted = _call(predict_fn, predict_name, X_val, params)
        except Exception as exc:  # the student's code may not be finished yet
            self._fail(exc)
            return
        self.verdict, says = self._judge(history, int(y_train.max()) + 1)
        lr = float(self.learning_rate.value)
        fig, (ax_loss, ax_boundary) = plt.subplots(1, 2, figsize=(10.5, 4))
        for key, label, style in (
            ("train_loss", "training", "-"),
            ("val_loss", "validation", "--"),
        ):
            values = np.asarray(history.get(key, []), dtype=float)
            shown = np.where(np.isfinite(values), values, np.nan)
            ax_loss.plot(np.arange(1, len(values) + 1), shown, style, label=label)
        ax_loss.set_yscale("log")
        ax_loss.set(xlabel="epoch", ylabel="cross-entropy (log scale)",
                    title=f"learning rate {lr:.3g}: {self.verdict}")  # fmt: skip
        ax_loss.grid(alpha=0.3, which="both")
        ax_loss.legend(fontsize="small")
        X_all = np.concatenate([X_train, X_val])
        y_all = np.concatenate([y_train, y_val])

        def regions(P):
            with np.errstate(all="ignore"):
                return np.asarray(predict_fn(P, params))

        plot_decision_boundary(
            regions, X_all, y_all, ax=ax_boundary, title="its decision regions", resolution=120
        )
        fig.tight_layout()
        val_acc = float(np.mean(np.asarray(predicted) == y_val))
        last_loss = float(np.asarray(history["train_loss"], dtype=float)[-1])
        self._show(
            fig,
            history,
            f"<b>learning rate {lr:.3g}</b>, {int(self.epochs.value)} epochs: {html.escape(says)}."
            f" Final training loss {last_loss:.3g}, validation accuracy {val_acc:.0%}.",
        )


def learning_rate_widget(
    train_fn: Callable, init_fn: Callable, predict_fn: Callable, optimizer_cls: Callable, **options
) -> LearningRateExplorer:
    """The lesson 5 widget over the student's ``train`` (and the course's ``init_params``,
    ``mlp_predict`` and ``SGD``). options: learning_rate, epochs, dataset.
    Returns the widget; show it with display(...).
    """
    return LearningRateExplorer(train_fn, init_fn, predict_fn, optimizer_cls, **options)


def _quadratic(p: np.ndarray) -> tuple[float, np.ndarray]:
    """f = (x^2 + 25 y^2) / 2, a valley 25 times steeper across (y) than along (x)."""
    x, y = p
    return 0.5 * (x * x + 25 * y * y), np.array([x, 25 * y])


def _rosenbrock(p: np.ndarray) -> tuple[float, np.ndarray]:
    """f = (1 - x)^2 + 100 (y - x^2)^2, a curved valley with its minimum at (1, 1)."""
    x, y = p
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2, np.array(
        [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)]
    )


class OptimizerPaths(_RedrawingWidget):
    """The student's optimizers on a 2-D loss surface, from one start: their paths (lesson 6).

    optimizers: {name: class}, each class called as cls(learning_rate) and stepped with
    ``step([(p, empty)], [(gradient, empty)])``, p the point (x, y) changed in place.
    Surfaces: "quadratic" (f = (x^2 + 25 y^2) / 2, start (-4, 0.8), minimum (0, 0)) and
    "rosenbrock" (start (-1.2, 1), minimum (1, 1)). Controls: ``surface``, ``learning_rate``
    (1e-4 to 1, log scale), ``steps`` (10 to 500), one checkbox per optimizer. A path stops where
    it leaves the picture far behind (|p| > 1e6 or not finite): "diverged". After each redraw:
    ``result`` = {name: (steps + 1, 2) array of points}, ``final`` = {name: (f, distance to the
    minimum) or None if diverged}, ``figure``, ``error``, ``redraws``.
    """

    SURFACES = {
        "quadratic": (_quadratic, (-4.0, 0.8), (0.0, 0.0), (-5, 5, -2, 2)),
        "rosenbrock": (_rosenbrock, (-1.2, 1.0), (1.0, 1.0), (-2, 2, -1, 3)),
    }

    def __init__(
        self,
        optimizers: dict,
        surface: str = "quadratic",
        learning_rate: float = 0.01,
        steps: int = 100,
        chosen: Sequence[str] | None = None,
    ):
        if not isinstance(optimizers, dict) or not optimizers:
            raise TypeError(
                "optimizers should be a dict of names and classes, such as"
                " {'SGD': SGD, 'Adam': Adam}."
            )
        for name, cls in optimizers.items():
            _require_function(cls, f"optimizers[{name!r}]", f"{name}(lr)")
        if surface not in self.SURFACES:
            raise ValueError(f"Unknown surface {surface!r}: choose one of {list(self.SURFACES)}.")
        self.optimizers, self.final = dict(optimizers), {}
        chosen = list(optimizers)[:2] if chosen is None else list(chosen)
        style = {"description_width": "initial"}
        self.surface = widgets.Dropdown(
            options=list(self.SURFACES), value=surface, description="surface"
        )
        self.learning_rate = _learning_rate_slider(learning_rate, -4, 0)
        self.steps = widgets.IntSlider(
            value=steps, min=10, max=500, step=10, description="steps",
            continuous_update=False, style=style,
        )  # fmt: skip
        self.boxes = {
            name: widgets.Checkbox(value=name in chosen, description=name, indent=False)
            for name in optimizers
        }
        controls = (self.learning_rate, self.steps, self.surface, *self.boxes.values())
        self._setup(
            [
                widgets.HBox([self.learning_rate, self.steps, self.surface]),
                widgets.HBox(list(self.boxes.values())),
            ],
            watched=controls,
        )

    def path(self, name: str) -> np.ndarray:
        """The points visited by optimizer ``name`` at the current settings."""
        f, start, _, _ = self.SURFACES[self.surface.value]
        cls = _latest(self.optimizers[name])
        p = np.array(start, dtype=float)
        empty = np.zeros(0)
        optimizer = _call(cls, name, float(self.learning_rate.value))
        points = [p.copy()]
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(int(self.steps.value)):
                _, gradient = f(p)
                _call(optimizer.step, f"{name}.step", [(p, empty)], [(gradient, empty)])
                points.append(p.copy())
                if not np.isfinite(p).all() or np.abs(p).max() > 1e6:
                    break
        return np.array(points)

    def redraw(self) -> None:
        self._begin_redraw()
        f, start, minimum, (x0, x1, y0, y1) = self.SURFACES[self.surface.value]
        chosen = [name for name, box in self.boxes.items() if box.value]
        try:
            paths = {name: self.path(name) for name in chosen}
        except Exception as exc:  # the student's code may not be finished yet
            self._fail(exc)
            return
        self.final = {}
        for name, points in paths.items():
            last = points[-1]
            finite = np.isfinite(last).all() and np.abs(last).max() <= 1e6
            self.final[name] = (
                (float(f(last)[0]), float(np.hypot(*(last - minimum)))) if finite else None
            )
        fig, ax = plt.subplots(figsize=(9, 4.6))
        xx, yy = np.meshgrid(np.linspace(x0, x1, 300), np.linspace(y0, y1, 300))
        zz = f(np.stack([xx, yy]))[0]
        ax.contour(xx, yy, np.log10(zz + 1e-3), levels=25, colors="gray", linewidths=0.5)
        ax.plot(*minimum, "k*", ms=14, label="minimum")
        ax.plot(*start, "ko", ms=6)
        for name, points in paths.items():
            shown = points[np.isfinite(points).all(axis=1)]
            final = self.final[name]
            label = f"{name}: " + (
                f"f = {final[0]:.3g}, {final[1]:.2f} from the minimum"
                if final
                else f"diverged at step {len(points) - 1}"
            )
            ax.plot(shown[:, 0], shown[:, 1], ".-", ms=3, lw=1.2, label=label)
        ax.set(xlim=(x0, x1), ylim=(y0, y1), xlabel="x", ylabel="y")
        ax.set_aspect("equal")  # so that 45 degrees looks like 45 degrees
        ax.set_title(
            f"{self.surface.value}, learning rate {float(self.learning_rate.value):.3g},"
            f" {int(self.steps.value)} steps"
        )
        ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.01, 0.5))
        fig.tight_layout()
        parts = [
            f"<b>{html.escape(name)}</b>: "
            + (f"{final[1]:.2f} from the minimum" if final else "diverged")
            for name, final in self.final.items()
        ]
        self._show(fig, paths, " &nbsp; ".join(parts) or "Tick an optimizer to draw its path.")


def optimizer_paths_widget(optimizers: dict, **options) -> OptimizerPaths:
    """The lesson 6 widget over the student's optimizer classes ({name: class}).
    options: surface, learning_rate, steps, chosen. Returns the widget; show it with display(...).
    """
    return OptimizerPaths(optimizers, **options)


def _check_probabilities(result, name: str, n_classes: int = 10) -> np.ndarray:
    """The one row of probabilities ``name`` returned for one image, as a (n_classes,) float
    array, or a TypeError / ValueError that names the function and says what to fix."""
    expected = f"shape (1, {n_classes}): one row of {n_classes} probabilities per row of X"
    if result is None:
        raise TypeError(f"{name} returned None. Did it forget a `return` statement?")
    if isinstance(result, tuple):
        raise TypeError(
            f"{name} returned a tuple of {len(result)} values; it should return only the"
            f" probabilities, an array of {expected}."
        )
    try:
        p = np.asarray(result, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} returned {type(result).__name__}, not an array of numbers of {expected}."
        ) from None
    if p.shape != (1, n_classes):
        hint = (
            " Keep the batch axis: a batch of one image gives one row."
            if p.shape == (n_classes,)
            else ""
        )
        raise ValueError(
            f"{name} returned shape {p.shape} for X of shape (1, 784); it should return"
            f" {expected}.{hint}"
        )
    if not np.isfinite(p).all():
        raise ValueError(
            f"{name} returned nan or inf. Is its softmax stable (subtract each row's maximum"
            " before exp)?"
        )
    total = float(p.sum())
    if p.min() < 0 or not math.isclose(total, 1.0, abs_tol=1e-4):
        raise ValueError(
            f"{name} returned values from {p.min():.4g} to {p.max():.4g} that sum to"
            f" {total:.4g}: probabilities are between 0 and 1 and each row sums to 1. Did it"
            " return the logits instead of their softmax?"
        )
    return p[0]


def _png(image: np.ndarray, zoom: int) -> bytes:
    """A grayscale image in [0, 1] as PNG bytes, each pixel a zoom x zoom square (sharp edges)."""
    big = np.repeat(np.repeat(image, zoom, axis=0), zoom, axis=1)
    buffer = io.BytesIO()
    plt.imsave(buffer, big, cmap="gray", vmin=0.0, vmax=1.0, format="png")  # no figure made
    return buffer.getvalue()


def _probability_bars(probabilities: np.ndarray | None, top: int | None) -> str:
    """Ten horizontal bars as HTML, one per digit; the most likely one highlighted."""
    rows = []
    for digit in range(10):
        share = 0.0 if probabilities is None else float(probabilities[digit])
        best = digit == top
        colour = "#ff7f0e" if best else "#1f77b4"
        label = "" if probabilities is None else f"{share:.1%}"
        rows.append(
            '<div style="display:flex; align-items:center; gap:6px; height:20px">'
            f'<span style="width:1em; text-align:right; font-weight:{"bold" if best else "normal"}">'
            f"{digit}</span>"
            '<div style="width:160px; height:14px; background:rgba(128, 128, 128, 0.2)">'
            f'<div style="width:{100 * share:.1f}%; height:100%; background:{colour}"></div>'
            f'</div><span style="font-size:0.85em">{label}</span></div>'
        )
    return "".join(rows)


class DigitPad(widgets.HBox):
    """Draw a digit with the mouse and see what the student's MNIST network makes of it (lesson 7).

    Left: a black pad (an ipycanvas ``Canvas``, ``size`` x ``size`` pixels) to write on in
    white with a round pen ``pen_width`` pixels wide (mouse: press, move, release; touch works
    too), and a "Clear" button. Right: the prediction in large text ("I think it's a 3 (97%)"),
    the 28x28 image the network is given (``helpers.drawing.mnist_like`` of the drawing, shown
    pixelated) and its ten probabilities as bars.

    The network is asked once per stroke, when the pen is lifted (not while it moves):
    ``predict_fn(X, params)`` with X of shape (1, 784), float32 in [0, 1], must return (1, 10)
    probabilities whose row sums to 1. When it raises, or returns something else, the pad says
    so in ``summary``, naming the function, and keeps working. ``predict_fn`` is looked up again
    by name at every stroke (see the module docstring); ``params`` is passed as given, so
    training it further in place shows at the next stroke.

    For tests and scripts, after each stroke: ``strokes`` (the list of strokes, each a list of
    (x, y) points in pad pixels), ``ink`` ((size, size) float32, the drawing as
    ``helpers.drawing.render_strokes`` renders it), ``network_input`` ((784,) float32, what the
    network was given), ``probabilities`` ((10,) float array, or None), ``prediction`` (the
    digit, an int, or None), ``error`` (what stopped the prediction, or None), ``predictions``
    (how many times ``predict_fn`` was called). ``draw_strokes(strokes)`` draws as a mouse would,
    ``clear()`` wipes the pad as the button does.
    """

    def __init__(
        self, predict_fn: Callable, params, size: int = 280, pen_width: float = 24.0
    ) -> None:
        _require_function(
            predict_fn, "predict_fn", "predict_proba(X, params) -> (N, 10) probabilities"
        )
        if (
            isinstance(size, bool)
            or not isinstance(size, int | np.integer)
            or not 100 <= size <= 1000
        ):
            raise ValueError(
                f"size should be a whole number of pixels from 100 to 1000, got {size!r}."
            )
        if (
            isinstance(pen_width, bool)
            or not isinstance(pen_width, int | float)
            or not 1 <= pen_width <= size / 4
        ):
            raise ValueError(
                f"pen_width should be a number of pixels from 1 to size / 4 = {size / 4:g},"
                f" got {pen_width!r}."
            )
        self.predict_fn, self.params = predict_fn, params
        self.size, self.pen_width = int(size), float(pen_width)
        self.strokes: list[list[tuple[float, float]]] = []
        self.ink = np.zeros((self.size, self.size), dtype=np.float32)
        self.network_input = np.zeros(784, dtype=np.float32)
        self.probabilities, self.prediction, self.error = None, None, None
        self.predictions = 0
        self._pen_is_down = False

        self.canvas = Canvas(
            width=self.size,
            height=self.size,
            layout=widgets.Layout(width=f"{self.size}px", height=f"{self.size}px"),
        )
        self.canvas.on_client_ready(self._paint)  # a new view starts blank: paint it again
        self.canvas.on_mouse_down(self._pen_down)
        self.canvas.on_mouse_move(self._pen_move)
        self.canvas.on_mouse_up(self._pen_up)
        self.canvas.on_mouse_out(self._pen_up)  # leaving the pad ends the stroke
        self.canvas.on_touch_start(self._touch_down)  # a finger: the first one on the pad
        self.canvas.on_touch_move(self._touch_move)
        self.canvas.on_touch_end(lambda touches: self._pen_up())
        self.canvas.on_touch_cancel(lambda touches: self._pen_up())
        self.clear_button = widgets.Button(
            description="Clear", icon="eraser", tooltip="Wipe the pad to draw another digit"
        )
        self.clear_button.on_click(lambda button: self.clear())
        self.summary = widgets.HTML()
        self.seen = widgets.Image(format="png", width=112, height=112)
        self.bars = widgets.HTML()
        seen_caption = widgets.HTML(
            "<b>What the network sees</b><br><small>28 x 28 pixels: cropped, scaled to 20<br>"
            "and centred, as MNIST's digits</small>"
        )
        widgets.HBox.__init__(
            self,
            [
                # the pad keeps its size: a narrow page squeezes the text beside it instead
                widgets.VBox([self.canvas, self.clear_button], layout={"flex": "0 0 auto"}),
                widgets.VBox(
                    [
                        self.summary,
                        widgets.HBox([widgets.VBox([seen_caption, self.seen]), self.bars]),
                    ],
                    layout={"margin": "0 0 0 16px", "flex": "1 1 auto"},
                ),
            ],
        )
        self._paint()
        self._show()

    # The pen, driven by the canvas's mouse and touch events (or by draw_strokes).
    def _pen_down(self, x: float, y: float) -> None:
        if self._pen_is_down:  # the release of the last stroke never arrived: end it now
            self._pen_up()
        self._pen_is_down = True
        self.strokes.append([(float(x), float(y))])
        self.canvas.fill_circle(x, y, self.pen_width / 2)

    def _pen_move(self, x: float, y: float) -> None:
        if not self._pen_is_down:
            return
        stroke = self.strokes[-1]
        x0, y0 = stroke[-1]
        if (x, y) != (x0, y0):
            stroke.append((float(x), float(y)))
            self.canvas.stroke_line(x0, y0, x, y)

    def _pen_up(self, x: float | None = None, y: float | None = None) -> None:
        """Lift the pen: the stroke is done, so add it to the drawing and ask the network."""
        if not self._pen_is_down:
            return
        if x is not None and y is not None:
            self._pen_move(x, y)
        self._pen_is_down = False
        stroke = render_strokes([self.strokes[-1]], self.ink.shape, self.pen_width)
        np.maximum(self.ink, stroke, out=self.ink)
        self.predict()

    def _touch_down(self, touches: list[tuple[float, float]]) -> None:
        if touches:
            self._pen_down(*touches[0])

    def _touch_move(self, touches: list[tuple[float, float]]) -> None:
        if touches:
            self._pen_move(*touches[0])

    def _paint(self) -> None:
        """Paint the pad from scratch: black, then every stroke so far in white. Also run when a
        browser (re)creates the canvas, such as after reloading the page: it starts blank."""
        canvas = self.canvas
        # After a reload the browser's ipycanvas manager no longer knows which canvas commands
        # are for, and ipycanvas 0.14 only tells it when the target changes (its issue #322):
        # forget the target so that the next command names it again.
        canvas._canvas_manager._current_canvas = None
        with hold_canvas():
            canvas.clear()
            canvas.fill_style = "black"
            canvas.fill_rect(0, 0, self.size, self.size)
            canvas.fill_style = canvas.stroke_style = "white"
            canvas.line_width = self.pen_width
            canvas.line_cap = canvas.line_join = "round"
            for stroke in self.strokes:
                canvas.fill_circle(*stroke[0], self.pen_width / 2)
                if len(stroke) > 1:
                    canvas.stroke_lines(stroke)

    def draw_strokes(self, strokes: Sequence[Sequence[tuple[float, float]]]) -> None:
        """Draw ``strokes`` as a mouse would: each is a list of (x, y) points in pad pixels,
        pressed at the first, moved through the others, released at the last (so the network
        is asked once per stroke). Raises ValueError for a stroke that is not such a list."""
        checked = [stroke_points(stroke, index) for index, stroke in enumerate(strokes)]
        for points in checked:
            self._pen_down(*points[0])
            for x, y in points[1:]:
                self._pen_move(x, y)
            self._pen_up()

    def clear(self) -> None:
        """Wipe the pad, the image the network sees and the prediction."""
        self.strokes, self._pen_is_down = [], False
        self.ink = np.zeros_like(self.ink)
        self.network_input = np.zeros_like(self.network_input)
        self.probabilities, self.prediction, self.error = None, None, None
        self._paint()
        self._show()

    def predict(self) -> None:
        """Preprocess the drawing and ask the student's ``predict_fn`` which digit it is."""
        self.network_input = mnist_like(self.ink)
        self.probabilities, self.prediction, self.error = None, None, None
        if not self.network_input.any():
            self._show()
            return
        predict_fn = _latest(self.predict_fn)
        name = _function_name(predict_fn, "predict_proba")
        self.predictions += 1
        try:
            with np.errstate(all="ignore"):  # an overflow shows as nan, explained below
                result = _call(predict_fn, name, self.network_input[None, :].copy(), self.params)
            self.probabilities = _check_probabilities(result, name)
        except Exception as exc:  # the student's code may not be finished yet
            self.error = exc.error if isinstance(exc, _RaisedBy) else exc
            self._show(failure=(exc, name))
            return
        self.prediction = int(np.argmax(self.probabilities))
        self._show()

    def _show(self, failure: tuple[Exception, str] | None = None) -> None:
        """Show the prediction (or why there is none), the network's input and the bars."""
        self.seen.value = _png(self.network_input.reshape(28, 28), zoom=4)
        self.bars.value = _probability_bars(self.probabilities, self.prediction)
        if failure is not None:
            exc, name = failure
            message = (
                exc.describe()
                if isinstance(exc, _RaisedBy)
                else f"<b>{type(exc).__name__}</b>: {html.escape(str(exc))}"
            )
            self.summary.value = (
                '<div style="font-size:1.6em">I cannot read it yet</div>'
                f"{message}<br>Fix {html.escape(name)} above, run its cell, then draw again."
            )
        elif self.prediction is None:
            self.summary.value = (
                '<div style="font-size:1.6em">Draw a digit</div>'
                "Write one digit, 0 to 9, large, in the black square: hold the mouse button"
                " down (or a finger) while you draw. I guess each time you lift it."
            )
        else:
            p = self.probabilities
            second = int(np.argsort(p)[-2])
            article = "an" if self.prediction == 8 else "a"
            self.summary.value = (
                f'<div style="font-size:1.6em">I think it\'s {article} <b>{self.prediction}</b>'
                f" ({_percent(p[self.prediction])})</div>"
                f"Second guess: {second} ({_percent(p[second])}). Not what you wrote? Click Clear"
                " and try again: larger, thicker, or more like the digits of MNIST."
            )


def _percent(p: float) -> str:
    """'97%', and '99.9%' rather than a rounded '100%' for a probability just below 1."""
    return f"{min(p, 0.999):.1%}" if 0.995 <= p < 1 else f"{p:.0%}"


def digit_pad_widget(predict_fn: Callable, params, **options) -> DigitPad:
    """The lesson 7 drawing pad over the student's ``predict_proba(X, params)`` and trained
    ``params``: draw a digit, see the 28x28 image the network gets and its ten probabilities.
    options: size (the pad's side in pixels, 280), pen_width (24). Returns the widget; show it
    with display(...).
    """
    return DigitPad(predict_fn, params, **options)


__all__ = [
    "ActivationExplorer",
    "BackpropStepper",
    "DigitPad",
    "LearningRateExplorer",
    "NetworkBoundary",
    "OptimizerPaths",
    "PerceptronTrainer",
    "SoftmaxTemperature",
    "activation_explorer_widget",
    "backprop_stepper_widget",
    "digit_pad_widget",
    "learning_rate_widget",
    "network_boundary_widget",
    "optimizer_paths_widget",
    "perceptron_trainer_widget",
    "softmax_temperature_widget",
]
