"""helpers.checks: each check passes what is right and explains what is wrong."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import checks


def message(func, *args, **kwargs) -> str:
    with pytest.raises(AssertionError) as error:
        func(*args, **kwargs)
    return str(error.value)


def test_check_type_is_exact_and_explains():
    checks.check_type(np.zeros(2), np.ndarray)
    assert "Did you forget a `return`" in message(checks.check_type, None, np.ndarray)
    assert "np.array" in message(checks.check_type, [1, 2], np.ndarray, "predict(X)")
    assert "bool" in message(checks.check_type, True, int)  # bool is not an int here
    assert "should be an int or a float" in message(checks.check_type, "3", (int, float))
    assert "should be an ndarray" in message(checks.check_type, 3, np.ndarray)
    # The hint fits what was returned and what was wanted.
    assert "return a, b" in message(checks.check_type, [1, 2], tuple)
    assert "return a, b" in message(checks.check_type, np.zeros(2), tuple)
    assert ".tolist()" in message(checks.check_type, np.zeros(3), list)
    assert "float(...)" in message(checks.check_type, np.zeros(1), float)


def test_check_number_rejects_bools_arrays_and_none():
    assert checks.check_number(np.float32(2.5)) == 2.5
    assert checks.check_number(3) == 3.0
    assert "shape (2,)" in message(checks.check_number, np.zeros(2))
    assert "number" in message(checks.check_number, True)
    assert "return" in message(checks.check_number, None)


def test_check_shape_names_the_likely_cause():
    checks.check_shape(np.zeros((4, 10)), (4, 10))
    swapped = message(checks.check_shape, np.zeros((10, 4)), (4, 10), "logits")
    assert "(4, 10)" in swapped and "(10, 4)" in swapped and "transpose" in swapped
    assert "dimension" in message(checks.check_shape, np.zeros((4, 1)), (4,))
    assert "got list" in message(checks.check_shape, [1, 2], (2,))
    assert "custom hint" in message(checks.check_shape, np.zeros(3), (2,), hint="custom hint")


def test_check_dtype_kind():
    checks.check_dtype_kind(np.array([1, 0]), "iu")
    assert "astype(int)" in message(checks.check_dtype_kind, np.array([True, False]), "iu")
    assert "float" in message(checks.check_dtype_kind, np.array([1, 2]), "f")
    unsigned = message(checks.check_dtype_kind, np.array([1, 0], dtype=np.uint8), "i")
    assert "signed integer" in unsigned and "wraps around to 255" in unsigned


def test_check_close_uses_a_tolerance_and_points_at_the_first_difference():
    checks.check_close([0.1 + 0.2, 1.0], [0.3, 1.0])
    text = message(checks.check_close, [[1.0, 2.0], [3.0, 5.0]], [[1.0, 2.0], [3.0, 4.0]], "W")
    assert "1 wrong value(s) out of 4" in text and "(1, 1)" in text and "expected 4" in text
    assert "should be 2" in message(checks.check_close, 3.0, 2.0)
    assert "shape" in message(checks.check_close, [1.0], [1.0, 2.0])


def test_check_equal_and_unchanged():
    checks.check_equal(np.array([0, 1]), [0, 1])
    assert "index 1)" in message(checks.check_equal, [0, 0], [0, 1], hint="Is the bias added?")
    assert "index (1, 1)" in message(checks.check_equal, [[0, 0], [0, 0]], [[0, 0], [0, 1]])
    checks.check_unchanged(np.ones(3), np.ones(3), "w")
    assert "in place" in message(checks.check_unchanged, np.ones(3), np.zeros(3), "w")


def test_check_finite_and_function():
    checks.check_finite(np.ones(3))
    assert "overflow" in message(checks.check_finite, np.array([1.0, np.inf]))
    checks.check_function(len, "len")
    assert "not a function" in message(checks.check_function, None, "predict")


def test_raises():
    assert "boom" in checks.raises(lambda: (_ for _ in ()).throw(ValueError("boom")), ValueError)
    assert "nothing was raised" in message(checks.raises, lambda: None, ValueError)
    assert "KeyError" in message(checks.raises, lambda: {}["x"], ValueError)


def test_checks_keep_pristine_numpy_even_if_a_student_patches_it(monkeypatch):
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "array_equal", lambda *a, **k: True)
    with pytest.raises(AssertionError):
        checks.check_close([1.0], [2.0])
    with pytest.raises(AssertionError):
        checks.check_equal([1], [2])


def test_passed_prints_the_line_students_look_for(capsys):
    checks.passed()
    assert "All tests passed." in capsys.readouterr().out


def test_a_hint_that_names_a_mistake_carries_its_stable_identifier():
    text = message(
        checks.check_equal, [1], [0], "y", hint="Did you use >=?", mistake="greater-equal"
    )
    assert text.endswith("Did you use >=? " + checks.MISTAKE_TAG.format("greater-equal"))
    assert "[mistake: missing-return]" in message(checks.check_type, None, np.ndarray)
    assert "[mistake: unsigned-int]" in message(
        checks.check_dtype_kind, np.array([1], np.uint8), "i"
    )
    assert "[mistake: modifies-input]" in message(checks.check_unchanged, [1], [2], "x")
    assert message(checks.fail, "Stop early.", mistake="no-early-stop") == (
        "Stop early. [mistake: no-early-stop]"
    )


def test_a_known_wrong_result_is_reported_with_its_own_hint():
    known = [(75, "percentage", "That is a percentage."), (0.25, "error-rate", "Mistakes.")]
    text = message(
        checks.check_close, 75.0, 0.75, "acc", hint="generic", mistake="x", known_mistakes=known
    )
    assert "That is a percentage. [mistake: percentage]" in text and "generic" not in text
    text = message(
        checks.check_close, 0.5, 0.75, "acc", hint="generic", mistake="x", known_mistakes=known
    )
    assert text.endswith("generic [mistake: x]")
    # A short list is shown whole, with the hint of the known mistake it equals.
    text = message(
        checks.check_equal,
        [3, 2, 0, 0],
        [1, 3, 0],
        "n",
        known_mistakes=[([3, 2, 0, 0], "late", "Late.")],
    )
    assert "n should be [1, 3, 0], got [3, 2, 0, 0]. Late. [mistake: late]" in text
    text = message(checks.check_equal, [3, 2, 0], [1, 3, 0], "n", hint="Count.", mistake="count")
    assert "got [3, 2, 0] (2 wrong, the first at index 0). Count. [mistake: count]" in text
    text = message(checks.check_equal, [1] * 5, [1, 0], "errors", hint="Stop.", mistake="no-stop")
    assert "should be [1, 0], got [1, 1, 1, 1, 1]. Stop. [mistake: no-stop]" in text


def test_student_function_turns_stderr_and_warnings_into_a_note(capsys):
    import sys
    import warnings

    def noisy(x):
        print("epoch 1/1\r50%\r100%", file=sys.stderr)
        warnings.warn("did not converge", stacklevel=1)
        return x * 2

    call = checks.check_function(noisy, "train")
    assert call(3) == 6
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "Note: train (or a function it calls) printed a warning or other text" in captured.out
    assert "100%" in captured.out and "50%" not in captured.out  # what the bar drew last
    assert "UserWarning: did not converge" in captured.out
    assert call.warnings == ["UserWarning: did not converge"]
    with pytest.raises(AssertionError, match=r"\[mistake: overflow\]"):
        checks.check_no_warnings(call, "train(3)", mistake="overflow")
    quiet = checks.check_function(lambda x: x, "quiet")
    quiet(1)
    checks.check_no_warnings(quiet, "quiet(1)")
    assert capsys.readouterr().out == ""


def test_student_function_explains_an_error_and_keeps_its_cause():
    def predict(X, w, b):
        return X @ w + b

    call = checks.check_function(predict, "perceptron_predict")
    with pytest.raises(AssertionError) as error:
        call(np.zeros((4, 3)), np.zeros(2), b=0.5)
    text = str(error.value)
    assert text.startswith("perceptron_predict(...) raised ValueError: matmul")
    assert "X: float64 array of shape (4, 3), w: float64 array of shape (2,), b: float 0.5" in text
    assert "last axis of A must match the first axis of B" in text
    assert isinstance(error.value.__cause__, ValueError)

    def unfinished(x):
        raise NotImplementedError()

    assert "still contains `raise NotImplementedError()`" in message(
        checks.check_function(unfinished, "accuracy"), 1
    )

    def forgot_return(w):
        new_w, new_b = None
        return new_w, new_b

    assert "`return`" in message(checks.check_function(forgot_return, "train"), 1)


def test_own_mistakes_lists_every_identifier_the_checks_give_by_themselves():
    import re

    noisy = checks.check_function(lambda: np.exp(1000.0), "f")
    noisy()
    diagnosed = [
        message(checks.check_type, "3", int),
        message(checks.check_type, None, int),
        message(checks.check_number, "3"),
        message(checks.check_number, np.zeros(1)),
        message(checks.check_shape, np.zeros(3), (2,)),
        message(checks.check_shape, np.zeros((3, 2)), (2, 3)),
        message(checks.check_shape, np.zeros(3), (3, 1)),
        message(checks.check_dtype_kind, np.zeros(2, np.complex64), "f"),
        message(checks.check_dtype_kind, np.zeros(2, np.uint8), "i"),
        message(checks.check_dtype_kind, np.zeros(2, bool), "i"),
        message(checks.check_dtype_kind, np.zeros(2), "i"),
        message(checks.check_finite, [np.inf]),
        message(checks.check_no_warnings, noisy, "f()"),
        message(checks.check_unchanged, [1], [2], "x"),
        message(checks.check_function, None, "f"),
        message(checks.check_function, lambda x, lr=1: x, "f", signature="(x, lr=0.1)"),
        message(checks.check_function(lambda: (1, 2), "f", returns=3)),
        message(checks.check_like, np.zeros(2), np.zeros(2, np.float32)),
        message(checks.check_like, np.zeros(2, bool), np.zeros(2)),
        message(checks.check_like, np.zeros(2, int), np.zeros(2)),
        message(checks.check_dtype, np.zeros(2), np.float32),
        message(checks.check_dtype, np.zeros(2, int), np.float64),
    ]

    def crash(error: Exception):
        def raises_it():
            raise error

        return message(checks.check_function(raises_it, "f"))

    diagnosed += [
        crash(NotImplementedError()),
        crash(ValueError("matmul: Input operand 1 has a mismatch in its core dimension 0")),
        crash(ValueError("operands could not be broadcast together with shapes (2,3) (2,)")),
        crash(ValueError("cannot reshape array of size 12 into shape (784)")),
        crash(IndexError("index 4 is out of bounds for axis 0 with size 4")),
        crash(RecursionError("maximum recursion depth exceeded")),
        crash(KeyError("relu")),
    ]

    def casts_in_place():
        w = np.zeros(2, dtype=int)
        w += 0.5

    diagnosed.append(message(checks.check_function(casts_in_place, "f")))
    tags = {re.search(r"\[mistake: ([a-z0-9-]+)\]$", text).group(1) for text in diagnosed}
    assert tags == set(checks.OWN_MISTAKES)


def test_a_function_that_returns_several_values_is_checked_on_every_call():
    update = checks.check_function(lambda w, b: (w, b), "perceptron_update", returns=2)
    assert update(1, 2) == (1, 2)
    none = checks.check_function(lambda w, b: None, "perceptron_update", returns=2)
    assert "Did you forget a `return`" in message(none, 1, 2)
    three = checks.check_function(lambda w, b: (w, b, 0), "perceptron_update", returns=2)
    assert "returned 3 values, but it should return 2" in message(three, 1, 2)


def test_a_failure_says_when_an_earlier_function_it_calls_is_failing():
    namespace = {}
    exec(
        "def predict(x):\n    return x >= 0\n"
        "def train(x):\n    return helper(x)\n"
        "def helper(x):\n    return predict(x)\n"
        "def alone(x):\n    return x\n",
        namespace,
    )
    checks.check_function(namespace["predict"], "predict")
    message(checks.check_equal, 1, 0, "predict(0)")  # predict fails its own check
    checks.check_function(namespace["train"], "train")
    text = message(checks.check_equal, 1, 0, "train(0)")
    assert "predict fails its own test cells above, and train uses it: fix predict first" in text
    checks.check_function(namespace["alone"], "alone")  # does not call predict: no note
    assert "Note" not in message(checks.check_equal, 1, 0, "alone(0)")
    exec("def predict(x):\n    return x > 0\n", namespace)  # fixed and run again: judged afresh
    checks.check_function(namespace["predict"], "predict")
    checks.check_function(namespace["train"], "train")
    assert "Note" not in message(checks.check_equal, 1, 0, "train(0)")


@pytest.mark.slow
def test_in_jupyter_a_failed_check_shows_the_test_line_and_the_message_not_the_checks_code(
    tmp_path,
):
    import nbformat
    from nbclient import NotebookClient

    cells = [
        "import numpy as np\nfrom helpers.checks import check_equal, check_function",
        "check_equal([0, 1], [0, 0], 'predictions', hint='Is the bias added?', mistake='no-bias')",
        "def predict(X, w):\n    return X @ w\ncheck_function(predict, 'predict')(np.ones((1, 2)), np.ones(1))",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(
        notebook, timeout=60, allow_errors=True, resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    strip = __import__("re").compile(r"\x1b\[[0-9;]*m")
    shown = [strip.sub("", "\n".join(c.outputs[0]["traceback"])) for c in notebook.cells[1:]]
    assert "checks.py" not in shown[0], shown[0]
    assert "The test stopped at line 1:" in shown[0]
    assert shown[0].endswith("Is the bias added? [mistake: no-bias]")
    # The student's own frames stay, then what the error means.
    assert "return X @ w" in shown[1] and "raised ValueError" in shown[1]
    assert shown[1].index("return X @ w") < shown[1].index("The error above made this test fail")
    assert "checks.py" not in shown[1], shown[1]


def test_the_signature_keeps_the_exercise_names_order_and_defaults(capsys):
    def train(X, y, lr: float = 0.1, epochs=20):
        return X

    checks.check_function(train, "train", signature="(X, y, lr=0.1, epochs=20)")
    renamed = message(
        checks.check_function, lambda X, labels, lr=0.1, epochs=20: X, "train",
        signature="(X, y, lr=0.1, epochs=20)",
    )  # fmt: skip
    assert "should be defined as train(X, y, lr=0.1, epochs=20)" in renamed
    assert "(X, labels, lr=0.1, epochs=20)" in renamed
    assert "[mistake: changed-signature]" in message(
        checks.check_function, lambda X, y, lr=1.0, epochs=100: X, "train",
        signature="(X, y, lr=0.1, epochs=20)",
    )  # fmt: skip


def test_the_stderr_note_is_shown_once_per_test_cell(capsys):
    import sys

    noisy = checks.check_function(lambda: print("step", file=sys.stderr), "f")
    noisy()
    noisy()
    assert capsys.readouterr().out.count("Note:") == 1


# Elementwise functions (lesson 2 onwards) ----------------------------------------------------


def test_check_like_wants_the_input_shape_and_dtype_and_names_the_promotion():
    x32 = np.ones((2, 3), np.float32)
    checks.check_like(x32 * 2, x32)
    checks.check_like(np.exp(np.array(1.0)), np.array(1.0))  # a NumPy scalar for a 0-d input
    promoted = message(checks.check_like, x32 * np.sqrt(2 / np.pi), x32, "gelu(x)")
    assert "float32" in promoted and "np.sqrt(2 / np.pi)" in promoted
    assert promoted.endswith("[mistake: float64-promotion]")
    assert "astype(x.dtype)" in message(checks.check_like, x32 > 0, x32)
    assert "shape (2, 3)" in message(checks.check_like, x32[0], x32)
    assert "ndarray" in message(checks.check_like, np.float32(1), x32)  # not 0-d: a scalar fails
    assert message(checks.check_like, np.zeros(4), np.zeros(3)).endswith("[mistake: wrong-shape]")


def test_check_dtype_wants_exactly_that_dtype_whatever_the_shape():
    checks.check_dtype(np.zeros((3, 4), np.float32), np.float32, "X_train")
    checks.check_dtype(np.arange(3), np.int64, "y_val")
    promoted = message(checks.check_dtype, np.zeros(2), np.float32, "out")
    assert "float32" in promoted and promoted.endswith("[mistake: float64-promotion]")
    assert message(checks.check_dtype, np.zeros(2, np.float32), np.float64).endswith(
        "[mistake: wrong-dtype]"
    )
    assert "ndarray" in message(checks.check_dtype, [1.0], np.float64)


def test_a_global_seterr_cannot_hide_an_overflow_from_check_no_warnings():
    naive = checks.check_function(lambda x: 1 / (1 + np.exp(-x)), "sigmoid")
    old = np.seterr(all="ignore")
    try:
        naive(np.array([-1000.0]))
    finally:
        np.seterr(**old)
    assert "overflow" in message(checks.check_no_warnings, naive, "sigmoid(-1000)")

    def quiet(x):  # the function's own errstate is its own business
        with np.errstate(over="ignore"):
            return 1 / (1 + np.exp(-x))

    silenced = checks.check_function(quiet, "sigmoid")
    silenced(np.array([-1000.0]))
    checks.check_no_warnings(silenced, "sigmoid(-1000)")


def test_check_elementwise_compares_every_shape_and_dtype_with_the_reference():
    def reference(v):
        return 0.5 * (1 + np.tanh(v / 2))

    checks.check_elementwise(checks.check_function(reference, "sigmoid"), reference, "sigmoid")
    shifted = checks.check_function(lambda v: reference(v) + 1e-3, "sigmoid")
    assert "wrong value" in message(checks.check_elementwise, shifted, reference, "sigmoid")
    as64 = checks.check_function(lambda v: reference(v.astype(float)), "sigmoid")
    assert "float64-promotion" in message(checks.check_elementwise, as64, reference, "sigmoid")

    def in_place(v):
        v *= 1.0
        v += 0.0
        np.negative(v, out=v)
        return reference(-v)

    changes = checks.check_function(in_place, "sigmoid")
    assert "modifies-input" in message(checks.check_elementwise, changes, reference, "sigmoid")
    scaled = checks.check_function(lambda v, alpha=0.01: np.where(v > 0, v, alpha * v), "leaky")
    checks.check_elementwise(scaled, lambda v: np.where(v > 0, v, 0.2 * v), "leaky", alpha=0.2)


def test_check_derivative_measures_the_slope_of_the_students_own_function():
    sigmoid = checks.check_function(lambda v: 0.5 * (1 + np.tanh(v / 2)), "sigmoid")
    right = checks.check_function(lambda v: 0.25 * (1 - np.tanh(v / 2) ** 2), "sigmoid_grad")
    checks.check_derivative(sigmoid, right, np.linspace(-6, 6, 40))
    wrong = checks.check_function(lambda v: v * (1 - v), "sigmoid_grad")
    text = message(
        checks.check_derivative, sigmoid, wrong, np.linspace(-6, 6, 40), mistake="grad-values"
    )
    assert "centered differences" in text and "your sigmoid" in text
    assert text.endswith("[mistake: grad-values]")


def test_every_call_checks_that_the_array_arguments_are_unchanged():
    def shift(z, temperature=1.0):
        z -= z.max()
        return z

    text = message(checks.check_function(shift, "softmax"), np.array([1.0, 2.0]))
    assert "changed its argument `z` in place" in text and text.endswith(
        "[mistake: modifies-input]"
    )
    allowed = checks.check_function(shift, "softmax", in_place=("z",))
    allowed(np.array([1.0, 2.0]))  # its docstring says "in place"
    checks.check_function(lambda z: z * 2, "double")(np.array([np.nan, 1.0]))  # NaN == NaN here


def test_close_numbers_are_shown_in_full_with_the_tolerance():
    text = message(
        checks.check_close, np.array([-0.0829640838]), [-0.08296408], "g", rtol=1e-9, atol=0
    )
    assert "expected -0.08296408, got -0.0829640838 (the tolerance is rtol=1e-09" in text
    assert "expected 0.25, got 0.5." in message(checks.check_close, np.array([0.5]), [0.25], "g")
    assert "(the tolerance" in message(checks.check_close, 1.0000001, 1.0, "g", rtol=1e-9)


def test_a_python_float_for_a_0d_input_is_named():
    text = message(checks.check_like, 3.0, np.array(1.0), "logsumexp(z)")
    assert "Python float" in text and "float(...)" in text


def test_a_derivative_check_names_the_function_whose_slope_it_measures_when_that_one_fails():
    def gelu(x):
        return x * 0.5

    def gelu_grad(x):  # right for the real gelu, but measured against the wrong gelu above
        return np.ones_like(x)

    wrong = checks.check_function(gelu, "gelu")
    with pytest.raises(AssertionError):
        checks.check_close(wrong(np.array([1.0])), [0.84], "gelu(1)")  # gelu fails its test
    text = message(
        checks.check_derivative,
        wrong,
        checks.check_function(gelu_grad, "gelu_grad"),
        np.linspace(-2, 2, 5),
    )
    assert "Note: gelu fails its own test cells above" in text and "measures its slope" in text


def test_an_exercise_can_explain_an_error_better_than_the_generic_cause():
    def w_at_x(X, W):
        return W @ X

    generic = message(checks.check_function(w_at_x, "dense"), np.zeros((2, 3)), np.zeros((3, 4)))
    assert "[mistake: shape-mismatch]" in generic and "last axis of A" in generic
    explained = checks.check_function(
        w_at_x, "dense", on_error={"shape-mismatch": ("X @ W, not W @ X.", "w-at-x")}
    )
    text = message(explained, np.zeros((2, 3)), np.zeros((3, 4)))
    assert text.endswith("X @ W, not W @ X. [mistake: w-at-x]") and "raised ValueError" in text
    assert "[mistake: shape-mismatch]" not in text


def test_raises_accepts_a_student_function_and_does_not_count_the_error_as_a_failure():
    def init(scheme):
        if scheme != "he":
            raise ValueError(f"Unknown scheme {scheme!r}: use 'he'.")
        return 1

    call = checks.check_function(init, "init")
    assert checks.raises(call, ValueError, "glorot") == "Unknown scheme 'glorot': use 'he'."
    assert "init" not in checks._failing  # raising as the docstring says is not failing
    assert "nothing was raised" in message(checks.raises, call, ValueError, "he")
    assert "Expected KeyError, but ValueError" in message(checks.raises, call, KeyError, "x")
