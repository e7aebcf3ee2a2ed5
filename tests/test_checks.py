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
    assert "int or float" in message(checks.check_type, "3", (int, float))


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
    assert "index (1,)" in message(checks.check_equal, [0, 0], [0, 1], hint="Is the bias added?")
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
