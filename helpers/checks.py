"""Student-friendly checks: type, then shape, then values, each with a message that teaches.

Every check raises ``AssertionError`` with a sentence that says what was expected, what was
found and, where we can guess it, the likely cause. Test cells in the lessons call these, and
students may call them too while they debug.

The NumPy functions used here are bound when this module is imported, which the locked setup
cell at the top of every lesson does before any student code runs. A student who later
replaces ``np.allclose`` in their notebook does not change what these checks compute.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

# Pristine references, taken at import time (see module docstring).
_asarray = np.asarray
_allclose = np.allclose
_isclose = np.isclose
_isfinite = np.isfinite
_array_equal = np.array_equal
_abs = np.abs
_argmax = np.argmax
_unravel_index = np.unravel_index
_ndarray = np.ndarray
_integer = np.integer
_floating = np.floating
_bool_ = np.bool_
_type = type
_isinstance = isinstance
_callable = callable
_repr = repr


def _describe_type(value: Any) -> str:
    kind = _type(value)
    return (
        f"{kind.__module__}.{kind.__qualname__}" if kind.__module__ != "builtins" else kind.__name__
    )


def check_function(func: Any, name: str) -> None:
    """Check that ``func`` is a function the student has defined (not None, not a value)."""
    if func is None or not _callable(func):
        raise AssertionError(
            f"`{name}` is not a function (found {_describe_type(func)}). "
            f"Run the cell that defines `{name}` before this test cell."
        )


def check_type(value: Any, expected: type | tuple[type, ...], name: str = "result") -> None:
    """Check the exact type of ``value`` (``bool`` is not accepted where ``int`` is expected)."""
    allowed = expected if _isinstance(expected, tuple) else (expected,)
    if _type(value) in allowed:
        return
    wanted = " or ".join(t.__name__ for t in allowed)
    hint = ""
    if _ndarray in allowed and _isinstance(value, list | tuple):
        hint = " Wrap it with np.array(...), or use NumPy operations that return arrays."
    elif _isinstance(value, _ndarray) and _ndarray not in allowed:
        hint = (
            f" A NumPy array was returned; convert a single value with {allowed[0].__name__}(...)."
        )
    elif value is None:
        hint = " Did you forget a `return` statement?"
    raise AssertionError(f"{name} should be a {wanted}, got {_describe_type(value)}.{hint}")


def check_number(value: Any, name: str = "result") -> float:
    """Check that ``value`` is a real number (Python or NumPy scalar, not bool) and return it."""
    if _isinstance(value, bool | _bool_) or not _isinstance(value, numbers.Real):
        hint = " Did you forget a `return` statement?" if value is None else ""
        if _isinstance(value, _ndarray):
            hint = f" It is an array of shape {value.shape}; a single number was expected."
        raise AssertionError(f"{name} should be a number, got {_describe_type(value)}.{hint}")
    return float(value)


def check_shape(
    array: Any, expected: tuple[int, ...], name: str = "result", hint: str | None = None
) -> None:
    """Check that ``array`` is an ndarray of exactly shape ``expected``."""
    check_type(array, _ndarray, name)
    shape = array.shape
    if shape == tuple(expected):
        return
    message = f"{name} should have shape {tuple(expected)}, got {shape}."
    if hint:
        message += f" {hint}"
    elif len(shape) == len(expected) and shape == tuple(reversed(expected)):
        message += " The axes are swapped: did you transpose something?"
    elif len(shape) != len(expected):
        message += (
            f" It has {len(shape)} dimension(s) instead of {len(expected)}:"
            " check for a missing or extra axis (keepdims, reshape, [:, None])."
        )
    raise AssertionError(message)


def check_dtype_kind(array: Any, kinds: str, name: str = "result") -> None:
    """Check the NumPy dtype kind: 'f' float, 'i' signed int, 'u' unsigned, 'b' bool.

    ``kinds`` may name several, for example ``"iu"`` for any integer.
    """
    check_type(array, _ndarray, name)
    if array.dtype.kind in kinds:
        return
    names = {"f": "float", "i": "signed integer", "u": "unsigned integer", "b": "boolean"}
    wanted = " or ".join(names.get(k, k) for k in kinds)
    hint = ""
    if array.dtype.kind == "u" and "i" in kinds:
        hint = (
            " Use .astype(int): unsigned integers cannot hold negative values, so a difference"
            " such as 0 - 1 wraps around to 255 instead of -1."
        )
    elif array.dtype.kind == "b" and ("i" in kinds or "u" in kinds):
        hint = " Convert a boolean mask to 0/1 with .astype(int)."
    elif array.dtype.kind == "f" and ("i" in kinds):
        hint = " Convert to whole numbers with .astype(int)."
    raise AssertionError(
        f"{name} should hold {wanted} values, but its dtype is {array.dtype}.{hint}"
    )


def check_finite(array: Any, name: str = "result") -> None:
    """Check that there is no NaN or infinity (the usual sign of overflow)."""
    values = _asarray(array, dtype=float)
    if not _isfinite(values).all():
        raise AssertionError(
            f"{name} contains NaN or infinity. This usually means an overflow, for example"
            " np.exp of a large number: use a numerically stable formula."
        )


def check_close(
    actual: Any,
    expected: Any,
    name: str = "result",
    rtol: float = 1e-5,
    atol: float = 1e-8,
    hint: str | None = None,
) -> None:
    """Check values with a tolerance, and point at the first entry that differs."""
    actual_values = _asarray(actual, dtype=float)
    expected_values = _asarray(expected, dtype=float)
    if actual_values.shape != expected_values.shape:
        raise AssertionError(
            f"{name} should have shape {expected_values.shape}, got {actual_values.shape}."
        )
    if _allclose(actual_values, expected_values, rtol=rtol, atol=atol, equal_nan=False):
        return
    if actual_values.ndim == 0:
        message = f"{name} should be {float(expected_values):.6g}, got {float(actual_values):.6g}."
    else:
        wrong = ~_isclose(actual_values, expected_values, rtol=rtol, atol=atol)
        position = _unravel_index(_argmax(wrong), wrong.shape)
        message = (
            f"{name} has {int(wrong.sum())} wrong value(s) out of {wrong.size}; the first is at index"
            f" {tuple(int(i) for i in position)}: expected {float(expected_values[position]):.6g},"
            f" got {float(actual_values[position]):.6g}."
        )
    if hint:
        message += f" {hint}"
    raise AssertionError(message)


def check_equal(actual: Any, expected: Any, name: str = "result", hint: str | None = None) -> None:
    """Check exact equality of whole numbers or labels (arrays compared entry by entry)."""
    actual_values = _asarray(actual)
    expected_values = _asarray(expected)
    if actual_values.shape != expected_values.shape:
        raise AssertionError(
            f"{name} should have shape {expected_values.shape}, got {actual_values.shape}."
        )
    if _array_equal(actual_values, expected_values):
        return
    if actual_values.ndim == 0:
        message = f"{name} should be {expected_values.item()!r}, got {actual_values.item()!r}."
    else:
        wrong = actual_values != expected_values
        position = _unravel_index(_argmax(wrong), wrong.shape)
        message = (
            f"{name} has {int(wrong.sum())} wrong value(s) out of {wrong.size}; the first is at index"
            f" {tuple(int(i) for i in position)}: expected {expected_values[position].item()!r},"
            f" got {actual_values[position].item()!r}."
        )
    if hint:
        message += f" {hint}"
    raise AssertionError(message)


def check_unchanged(before: Any, after: Any, name: str) -> None:
    """Check that a function did not modify an input array in place."""
    if not _array_equal(_asarray(before), _asarray(after)):
        raise AssertionError(
            f"Your function changed its input `{name}` in place. Work on a copy"
            f" (for example `{name} = {name} + ...` instead of `{name} += ...`)."
        )


def passed(message: str = "All tests passed.") -> None:
    """Print the line a student looks for after a test cell."""
    print(f"\N{WHITE HEAVY CHECK MARK} {message}")


def raises(
    func: Callable[..., Any], exception: type[BaseException], *args: Any, **kwargs: Any
) -> str:
    """Check that ``func(*args, **kwargs)`` raises ``exception``; return its message."""
    try:
        func(*args, **kwargs)
    except exception as error:  # noqa: B902 - the caller names the exception class
        return str(error)
    except Exception as error:  # the wrong kind of error
        raise AssertionError(
            f"Expected {exception.__name__}, but {_type(error).__name__} was raised: {error}"
        ) from None
    raise AssertionError(f"Expected {exception.__name__} to be raised, but nothing was raised.")


__all__ = [
    "check_close",
    "check_dtype_kind",
    "check_equal",
    "check_finite",
    "check_function",
    "check_number",
    "check_shape",
    "check_type",
    "check_unchanged",
    "passed",
    "raises",
]
