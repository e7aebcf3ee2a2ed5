"""Student-friendly checks: type, then shape, then values, each with a message that teaches.

Every check raises ``AssertionError`` with a sentence that says what was expected, what was
found and, where we can guess it, the likely cause. Test cells in the lessons call these, and
students may call them too while they debug.

A message that names a mistake ends with its stable identifier, ``[mistake: greater-equal]``:
rewording a hint never changes it, so a class report can count the students behind each
mistake without parsing English (``MISTAKE_TAG`` below is the format).

Test cells call a student's function through ``check_function``, which returns it wrapped
(``StudentFunction``): what the function writes to stderr (a progress bar, a library warning) is
shown as a note on stdout instead, because nbgrader gives 0 to a test cell with any stderr
output; and an error raised inside it becomes a message that names the call, its arguments and
the likely cause.

The NumPy functions used here are bound when this module is imported, which the locked setup
cell at the top of every lesson does before any student code runs. A student who later
replaces ``np.allclose`` in their notebook does not change what these checks compute.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import numbers
import traceback
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

# Pristine references, taken at import time (see module docstring).
_asarray = np.asarray
_allclose = np.allclose
_isclose = np.isclose
_isfinite = np.isfinite
_array_equal = np.array_equal
_argmax = np.argmax
_unravel_index = np.unravel_index
_ndarray = np.ndarray
_generic = np.generic
_np_dtype = np.dtype
_float64 = np.float64
_float32 = np.float32
_default_rng = np.random.default_rng
_errstate = np.errstate
_bool_ = np.bool_
_type = type
_isinstance = isinstance
_callable = callable
_len = len
_str = str
_print = print
_StringIO = io.StringIO
_redirect_stderr = contextlib.redirect_stderr
_catch_warnings = warnings.catch_warnings
_simplefilter = warnings.simplefilter
_signature = inspect.signature
_extract_tb = traceback.extract_tb
_FunctionType = type(lambda: None)
_CodeType = type((lambda: None).__code__)

# Array arguments up to this many entries are checked for in-place changes after each call.
_LARGEST_WATCHED = 10_000_000
# Sequences up to this long are shown whole in a message.
_SHOWN_WHOLE = 30
# How a message carries the identifier of the mistake it names.
MISTAKE_TAG = "[mistake: {}]"
# How a message says that it may only follow from another function failing its own checks (the
# class report counts such failures apart from the mistakes).
AFTER_TAG = "[after: {}]"
# The identifiers the checks give by themselves, for what they diagnose without a hint.
OWN_MISTAKES = (
    "not-defined", "changed-signature", "wrong-return-count", "wrong-type", "missing-return", "not-a-number", "array-not-number", "wrong-shape",
    "transposed", "wrong-ndim", "wrong-dtype", "unsigned-int", "bool-not-int", "float-not-int",
    "overflow", "warning", "modifies-input", "float64-promotion", "bool-not-float", "int-not-float",
    # an error raised inside the student's code, by its likely cause
    "not-implemented", "shape-mismatch", "broadcast-error", "reshape-size", "index-error",
    "in-place-cast", "recursion", "error-raised",
)  # fmt: skip
# A known wrong result and what it means: (the wrong value, mistake identifier, hint).
KnownMistake = tuple[Any, str, str]


def _describe_type(value: Any) -> str:
    kind = _type(value)
    return (
        f"{kind.__module__}.{kind.__qualname__}" if kind.__module__ != "builtins" else kind.__name__
    )


def _with_hint(message: str, hint: str | None, mistake: str | None) -> str:
    if hint:
        message += f" {hint}"
    if mistake:
        message += " " + MISTAKE_TAG.format(mistake)
    return message


class CheckFailed(AssertionError):
    """A failed check. In Jupyter its traceback shows the line of the test cell that failed and,
    for an error inside the student's code, that code's own frames: not the checks' insides."""

    def _render_traceback_(self) -> list[str]:  # IPython's hook for drawing an exception
        lines = []
        cause = self.__cause__
        if cause is not None:
            try:  # the student's error, drawn by IPython itself
                from IPython import get_ipython

                lines += get_ipython().InteractiveTB.structured_traceback(
                    _type(cause), cause, cause.__traceback__
                )
                lines += ["", "The error above made this test fail:"]
            except Exception:
                lines += [f"{_type(cause).__name__}: {cause}"]
        here = [  # the test cell's frame: not the insides of the course's helpers
            f for f in _extract_tb(self.__traceback__) if not f.filename.startswith(_HELPERS_DIR)
        ]
        if here:
            lines.append(
                f"\x1b[36mThe test stopped at line {here[-1].lineno}:\x1b[0m {here[-1].line}"
            )
        lines.append(f"\x1b[31mAssertionError\x1b[0m: {self}")
        return lines


_HELPERS_DIR = str(Path(__file__).resolve().parent)

# Student functions whose checks failed since they were last defined: name -> the function.
_failing: dict[str, Any] = {}
# The student function the running test cell checks (set by check_function).
_checked: list[StudentFunction] = []


def _uses(func: Any, name: str, depth: int = 3) -> bool:
    """Does ``func`` call the global ``name``, directly or through the functions it calls?"""
    code = getattr(func, "__code__", None)
    if not _isinstance(code, _CodeType) or depth == 0:
        return False
    codes, names = [code], set()
    while codes:
        current = codes.pop()
        names.update(current.co_names)
        codes += [c for c in current.co_consts if _isinstance(c, _CodeType)]
    if name in names:
        return True
    found = getattr(func, "__globals__", {})
    return any(
        _uses(found[n], name, depth - 1)
        for n in names
        if _isinstance(found.get(n), _FunctionType) and found[n] is not func
    )


def _failure(message: str) -> CheckFailed:
    """The exception a failed check raises: it records which student function is failing, and
    says so when the function under test calls an earlier one that fails its own checks."""
    if _checked:
        current = _checked[0]
        _failing[current.name] = current.func
        broken = [n for n in _failing if n != current.name and _uses(current.func, n)]
        # Name the root causes: a failing function that calls another failing one may be fine.
        roots = [n for n in broken if not any(_uses(_failing[n], m) for m in broken if m != n)]
        if roots:
            names = " and ".join(roots)
            fails, them = ("fails", "it") if _len(roots) == 1 else ("fail", "them")
            message += (
                f"\nNote: {names} {fails} {'its' if fails == 'fails' else 'their'} own test cells above, and {current.name} uses"
                f" {them}: fix {names} first, then run this cell again. "
                + " ".join(AFTER_TAG.format(n) for n in roots)
            )
    return CheckFailed(message)


def fail(message: str, mistake: str | None = None) -> None:
    """Fail a test with ``message``; ``mistake`` is the stable identifier of the mistake it names."""
    raise _failure(_with_hint(message, None, mistake))


# ---------------------------------------------------------------------------------------------
# Calling the student's code


def _describe_value(value: Any) -> str:
    if _isinstance(value, _ndarray):
        return f"{value.dtype} array of shape {value.shape}"
    if _isinstance(value, bool | numbers.Number):
        return f"{_describe_type(value)} {value!r}"
    if _isinstance(value, list | tuple):
        return f"{_describe_type(value)} of length {_len(value)}"
    return _describe_type(value)


# What an error raised inside student code usually means: (a test on the error's class name and
# message, the mistake identifier, the sentence shown).
_CAUSES: tuple[tuple[Callable[[str, str], bool], str, str], ...] = (
    (
        lambda kind, text: kind == "NotImplementedError",
        "not-implemented",
        "This function, or one it calls, still contains `raise NotImplementedError()`:"
        " write your code in its place and run the cell again.",
    ),
    (
        lambda kind, text: "matmul" in text or "shapes" in text and "not aligned" in text,
        "shape-mismatch",
        "The shapes do not fit for a matrix product: in A @ B the last axis of A must match"
        " the first axis of B. Print the shapes just before the line that failed.",
    ),
    (
        lambda kind, text: "could not be broadcast" in text,
        "broadcast-error",
        "Two arrays in an element-wise operation have shapes that do not broadcast. Print"
        " their shapes just before the line that failed: is one transposed, or missing an"
        " axis?",
    ),
    (
        lambda kind, text: "cannot reshape array" in text,
        "reshape-size",
        "The sizes given to reshape do not multiply to the array's size: read them from the"
        " array's .shape (or write -1 for one of them) instead of writing a number such as 784.",
    ),
    (
        lambda kind, text: "NoneType" in text,
        "missing-return",
        "A value is None where an array or a tuple was expected: does every function you"
        " wrote end with a `return` statement?",
    ),
    (
        lambda kind, text: kind == "IndexError",
        "index-error",
        "An index is past the end of an array: does your code assume a fixed size (two"
        " features, four examples) instead of reading it from the shapes?",
    ),
    (
        lambda kind, text: kind == "NameError",
        "not-defined",
        "A name is not defined: run the cells that define it, and do not rely on variables"
        " defined elsewhere in the notebook (the grader runs your functions in a fresh"
        " kernel).",
    ),
    (
        lambda kind, text: kind == "UFuncTypeError" or "Cannot cast ufunc" in text,
        "in-place-cast",
        "An in-place operation (such as +=) tried to store floats in an integer array:"
        " build a new array instead (w = w + ...).",
    ),
    (
        lambda kind, text: kind == "RecursionError",
        "recursion",
        "A function calls itself without end: did you reuse its own name inside it?",
    ),
)


def _likely_cause(error: BaseException) -> tuple[str, str]:
    """What an error raised inside student code usually means: (a sentence or two, its id)."""
    text, kind = _str(error), _type(error).__name__
    for matches, mistake, sentence in _CAUSES:
        if matches(kind, text):
            return sentence, mistake
    return (
        "The last lines of the traceback above show the line of your code that failed.",
        "error-raised",
    )


class StudentFunction:
    """A student's function as the test cells call it.

    Calling it calls the function. What the function writes to stderr and the warnings it
    raises are shown afterwards as a note on stdout (they never cost points); an error raised
    inside it is re-raised as an ``AssertionError`` that names the call, describes its arguments
    and says what the error usually means, chained to the original error and its traceback.
    ``warnings`` holds the messages of the warnings raised by the last call, for the tests whose
    docstring forbids them (``check_no_warnings``). With ``returns=k``, every call checks that the
    function returned a tuple of k values, so a test cell can unpack the result safely. Every
    call checks that the NumPy arrays it was given are unchanged afterwards, except the
    parameters named in ``in_place`` (a function whose docstring says it works in place).
    ``on_error`` maps the likely cause of an error (its identifier, such as "broadcast-error") to
    a ``(hint, mistake)`` that the exercise knows better: "W @ X instead of X @ W".
    """

    def __init__(
        self,
        func: Callable[..., Any],
        name: str,
        returns: int | None = None,
        in_place: Sequence[str] = (),
        on_error: dict[str, tuple[str, str]] | None = None,
    ):
        self.func = func
        self.name = name
        self.returns = returns
        self.in_place = tuple(in_place)
        self.on_error = dict(on_error or {})
        self.warnings: list[str] = []
        self._noted = False  # the stderr note is shown once per test cell, not once per call

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True  # noqa: F841  (IPython hides this frame in tracebacks)
        inputs = self._arrays_given(args, kwargs)
        stderr = _StringIO()
        # NumPy's default error state: a global np.seterr(all="ignore") in the notebook cannot
        # hide an overflow from check_no_warnings (an np.errstate inside the function still can).
        with (
            _catch_warnings(record=True) as caught,
            _redirect_stderr(stderr),
            _errstate(divide="warn", over="warn", invalid="warn", under="ignore"),
        ):
            _simplefilter("always")
            try:
                result = self.func(*args, **kwargs)
                error = None
            except Exception as raised:  # explained below, outside the redirection
                result, error = None, raised
        self.warnings = [f"{w.category.__name__}: {w.message}" for w in caught]
        self._show_as_note(stderr.getvalue())
        if error is not None:
            raise _failure(self._explain(error, args, kwargs)) from error
        for parameter, (array, before) in inputs.items():
            if not _array_equal(array, before, equal_nan=array.dtype.kind in "fc"):
                fail(
                    f"{self.name}(...) changed its argument `{parameter}` in place: the caller's"
                    " array is not the same after the call. Work on a new array instead (for"
                    f" example `{parameter} = {parameter} - m` instead of `{parameter} -= m`, or"
                    f" `out = {parameter}.copy()` before changing `out[...]`).",
                    "modifies-input",
                )
        if self.returns is not None:
            check_type(result, tuple, f"what {self.name}(...) returned")
            if _len(result) != self.returns:
                fail(
                    f"{self.name}(...) returned {_len(result)} values, but it should return"
                    f" {self.returns}: return them separated by commas, in the docstring's order.",
                    "wrong-return-count",
                )
        return result

    def _arrays_given(self, args: tuple, kwargs: dict) -> dict[str, tuple[Any, Any]]:
        """Parameter name -> (the array passed, a copy) for every array argument to watch."""
        try:
            bound = _signature(self.func).bind(*args, **kwargs).arguments
        except (TypeError, ValueError):  # the call itself will fail and explain why
            return {}
        return {
            name: (value, value.copy())
            for name, value in bound.items()
            if _isinstance(value, _ndarray)
            and value.size <= _LARGEST_WATCHED
            and name not in self.in_place
        }

    def _show_as_note(self, written: str) -> None:
        lines = list(dict.fromkeys(self.warnings))
        # A progress bar redraws its line with carriage returns: keep what it drew last.
        lines += [line.rsplit("\r", 1)[-1] for line in written.split("\n")]
        lines = [line for line in lines if line.strip()]
        if not lines or self._noted:
            return
        self._noted = True
        shown = lines[:8] + ([f"... ({_len(lines) - 8} more lines)"] if _len(lines) > 8 else [])
        _print(
            f"Note: {self.name} (or a function it calls) printed a warning or other text to"
            " stderr (shown for its first call in this cell). That alone costs no points; where"
            " the exercise forbids warnings, a check below says so:\n    "
            + "\n    ".join(line[:200] for line in shown)
        )

    def _explain(self, error: BaseException, args: tuple, kwargs: dict) -> str:
        try:
            bound = _signature(self.func).bind(*args, **kwargs).arguments
        except (TypeError, ValueError):
            bound = {f"argument {i + 1}": a for i, a in enumerate(args)} | kwargs
        described = ", ".join(f"{k}: {_describe_value(v)}" for k, v in bound.items())
        cause, mistake = _likely_cause(error)
        if mistake in self.on_error:
            cause, mistake = self.on_error[mistake]
        return _with_hint(
            f"{self.name}(...) raised {_type(error).__name__}: {error}\n"
            f"The test called it with {described or 'no arguments'}.\n{cause}",
            None,
            mistake,
        )


def _parameters(func: Any) -> str | None:
    """'(X, y, lr=0.1, epochs=20)': names, order and defaults, without annotations."""
    try:
        parameters = _signature(func).parameters.values()
    except (TypeError, ValueError):
        return None
    shown = [p.name if p.default is p.empty else f"{p.name}={p.default!r}" for p in parameters]
    return "(" + ", ".join(shown) + ")"


def check_function(
    func: Any,
    name: str,
    returns: int | None = None,
    signature: str | None = None,
    in_place: Sequence[str] = (),
    on_error: dict[str, tuple[str, str]] | None = None,
) -> StudentFunction:
    """Check that ``func`` is a function the student has defined, and return it wrapped.

    Test cells call the student's code through the returned ``StudentFunction``; ``returns`` is
    the number of values the function returns, when it returns several. ``signature`` is the
    parameter list the exercise gives, such as ``"(X, y, lr=0.1, epochs=20)"``: names, order and
    defaults must match, since later lessons call the function by them. ``in_place`` names the
    parameters the function may change (its docstring says so); any other array argument that a
    call changes fails the check. ``on_error`` replaces the generic explanation of an error the
    student's code raises by the exercise's own: ``{"broadcast-error": (hint, mistake), ...}``,
    keyed by the identifiers of the likely causes (in ``OWN_MISTAKES``).
    """
    if _failing.get(name) is not func:
        _failing.pop(name, None)  # redefined since it last failed: judge it afresh
    checked = StudentFunction(func, name, returns, in_place, on_error)
    _checked[:] = [checked]
    if func is None or not _callable(func):
        fail(
            f"`{name}` is not a function (found {_describe_type(func)}). "
            f"Run the cell that defines `{name}` before this test cell.",
            "not-defined",
        )
    found = _parameters(func)
    if signature is not None and found is not None and found != signature:
        fail(
            f"{name} should be defined as {name}{signature}, but its parameters are {found}."
            " Keep the names, the order and the default values the exercise gives: the tests"
            " and later lessons call it with them.",
            "changed-signature",
        )
    return checked


def check_no_warnings(
    call: StudentFunction, name: str, hint: str | None = None, mistake: str | None = None
) -> None:
    """Check that the last call through ``call`` raised no warning (overflow, division by 0)."""
    if call.warnings:
        fail(
            _with_hint(f"{name} raised a warning: {call.warnings[0]}.", hint, None),
            mistake or "warning",
        )


# ---------------------------------------------------------------------------------------------
# Type, shape, dtype


def _a(word: str) -> str:
    """'an int', 'an ndarray' (read "en-dee-array"), 'a float'."""
    return f"an {word}" if word[0] in "aeiou" or word.startswith("nd") else f"a {word}"


def check_type(value: Any, expected: type | tuple[type, ...], name: str = "result") -> None:
    """Check the exact type of ``value`` (``bool`` is not accepted where ``int`` is expected)."""
    allowed = expected if _isinstance(expected, tuple) else (expected,)
    if _type(value) in allowed:
        return
    wanted = " or ".join(_a(t.__name__) for t in allowed)
    hint, mistake = "", "wrong-type"
    if value is None:
        hint, mistake = " Did you forget a `return` statement?", "missing-return"
    elif tuple in allowed:
        hint = " Return several values separated by commas (return a, b): that makes a tuple."
    elif _ndarray in allowed and _isinstance(value, list | tuple):
        hint = " Wrap it with np.array(...), or use NumPy operations that return arrays."
    elif list in allowed and _isinstance(value, _ndarray):
        hint = " Build a Python list (start from [] and .append(...)), or convert with .tolist()."
    elif _isinstance(value, _ndarray) and value.size == 1:
        hint = f" A NumPy array of one value was returned; take the value with {allowed[0].__name__}(...)."
    fail(f"{name} should be {wanted}, got {_describe_type(value)}.{hint}", mistake)


def check_number(value: Any, name: str = "result") -> float:
    """Check that ``value`` is a real number (Python or NumPy scalar, not bool) and return it."""
    if _isinstance(value, bool | _bool_) or not _isinstance(value, numbers.Real):
        hint, mistake = "", "not-a-number"
        if value is None:
            hint, mistake = " Did you forget a `return` statement?", "missing-return"
        if _isinstance(value, _ndarray):
            hint = f" It is an array of shape {value.shape}; a single number was expected."
            mistake = "array-not-number"
        fail(f"{name} should be a number, got {_describe_type(value)}.{hint}", mistake)
    return float(value)


def check_shape(
    array: Any,
    expected: tuple[int, ...],
    name: str = "result",
    hint: str | None = None,
    mistake: str | None = None,
) -> None:
    """Check that ``array`` is an ndarray of exactly shape ``expected``."""
    check_type(array, _ndarray, name)
    shape = array.shape
    if shape == tuple(expected):
        return
    message = f"{name} should have shape {tuple(expected)}, got {shape}."
    if hint:
        raise _failure(_with_hint(message, hint, mistake or "wrong-shape"))
    if _len(shape) == _len(expected) and shape == tuple(reversed(expected)):
        fail(message + " The axes are swapped: did you transpose something?", "transposed")
    if _len(shape) != _len(expected):
        fail(
            message + f" It has {_len(shape)} dimension(s) instead of {_len(expected)}:"
            " check for a missing or extra axis (keepdims, reshape, [:, None]).",
            "wrong-ndim",
        )
    fail(message, mistake or "wrong-shape")


def check_dtype_kind(array: Any, kinds: str, name: str = "result") -> None:
    """Check the NumPy dtype kind: 'f' float, 'i' signed int, 'u' unsigned, 'b' bool.

    ``kinds`` may name several, for example ``"iu"`` for any integer.
    """
    check_type(array, _ndarray, name)
    if array.dtype.kind in kinds:
        return
    names = {"f": "float", "i": "signed integer", "u": "unsigned integer", "b": "boolean"}
    wanted = " or ".join(names.get(k, k) for k in kinds)
    hint, mistake = "", "wrong-dtype"
    if array.dtype.kind == "u" and "i" in kinds:
        hint, mistake = (
            " Use .astype(int): unsigned integers cannot hold negative values, so a difference"
            " such as 0 - 1 wraps around to 255 instead of -1.",
            "unsigned-int",
        )
    elif array.dtype.kind == "b" and ("i" in kinds or "u" in kinds):
        hint, mistake = " Convert a boolean mask to 0/1 with .astype(int).", "bool-not-int"
    elif array.dtype.kind == "f" and ("i" in kinds):
        hint, mistake = " Convert to whole numbers with .astype(int).", "float-not-int"
    fail(f"{name} should hold {wanted} values, but its dtype is {array.dtype}.{hint}", mistake)


def check_dtype(array: Any, dtype: Any, name: str = "result") -> None:
    """Check that ``array`` is an ndarray of exactly the dtype ``dtype`` (its input's, say)."""
    check_type(array, _ndarray, name)
    expected = _np_dtype(dtype)
    if array.dtype == expected:
        return
    message = f"{name} should have dtype {expected}, got {array.dtype}."
    if (
        expected.kind == "f"
        and array.dtype.kind == "f"
        and array.dtype.itemsize > expected.itemsize
    ):
        fail(
            message + " A float64 value promotes the whole result: keep the input's dtype"
            " (.astype(x.dtype), np.zeros_like(x), Python floats as constants).",
            "float64-promotion",
        )
    fail(message + " Keep the dtype of the data you were given.", "wrong-dtype")


def check_like(result: Any, x: Any, name: str = "result") -> None:
    """Check that an elementwise function's ``result`` has the shape and the dtype of its input ``x``.

    For a 0-d ``x`` a NumPy scalar of the right dtype is accepted too (NumPy returns one for
    ``np.exp(np.array(1.0))``). A float32 input must give float32: the message names the usual
    cause of a float64 result, a float64 constant or array that promotes the whole computation.
    """
    x = _asarray(x)
    if x.ndim == 0 and _type(result) in (float, int):
        fail(
            f"{name} should be a 0-d array or a NumPy float of dtype {x.dtype}, got a Python"
            f" {_type(result).__name__}, which has no dtype: return the NumPy result as it is"
            " (without float(...) or .item()).",
            "wrong-type",
        )
    if not (x.ndim == 0 and _isinstance(result, _generic)):
        check_shape(result, x.shape, name)
    dtype = _asarray(result).dtype
    if dtype == x.dtype:
        return
    message = f"{name} should keep the input's dtype {x.dtype}, but its dtype is {dtype}."
    if dtype.kind == "b":
        fail(message + " Convert a boolean mask with .astype(x.dtype).", "bool-not-float")
    if dtype.kind in "iu":
        fail(
            message + " Convert with .astype(x.dtype), and keep the values as floats.",
            "int-not-float",
        )
    if x.dtype.kind == "f" and dtype.kind == "f" and dtype.itemsize > x.dtype.itemsize:
        fail(
            message + " A float64 value promotes the whole result: a NumPy constant such as"
            " np.sqrt(2 / np.pi) or np.float64(1.0), an array made without a dtype (np.ones(...),"
            " np.where(x > 0, 1.0, 0.0), .astype(float)). Use Python floats (math.sqrt(2 /"
            " math.pi)), np.ones_like(x), or .astype(x.dtype).",
            "float64-promotion",
        )
    fail(message, "wrong-dtype")


# ---------------------------------------------------------------------------------------------
# Values


def check_finite(array: Any, name: str = "result") -> None:
    """Check that there is no NaN or infinity (the usual sign of overflow)."""
    values = _asarray(array, dtype=float)
    if not _isfinite(values).all():
        fail(
            f"{name} contains NaN or infinity. This usually means an overflow, for example"
            " np.exp of a large number: use a numerically stable formula.",
            "overflow",
        )


def _two_numbers(expected: Any, actual: Any, tolerance: str = "") -> str:
    """'expected 0.25, got 0.3': rounded to 6 decimals, or in full when that shows no difference."""
    if tolerance and round(expected, 6) == round(actual, 6):
        return f"expected {expected!r}, got {actual!r} (the tolerance is {tolerance})"
    if tolerance:
        expected, actual = round(expected, 6), round(actual, 6)
    return f"expected {expected!r}, got {actual!r}"


def _first_difference(wrong, actual_values, expected_values, name: str, tolerance="") -> str:
    position = _unravel_index(_argmax(wrong), wrong.shape)
    index = tuple(int(i) for i in position)
    shown = index[0] if _len(index) == 1 else index  # 3, not (3,), for a 1-D array
    pair = _two_numbers(expected_values[position].item(), actual_values[position].item(), tolerance)
    return (
        f"{name} has {int(wrong.sum())} wrong value(s) out of {wrong.size}; the first is at index"
        f" {shown}: {pair}."
    )


def _known_mistake(
    actual: Any, known: Sequence[KnownMistake], same: Callable[[Any, Any], bool]
) -> tuple[str, str] | None:
    """(hint, mistake) of the first known wrong result that ``actual`` equals, if any."""
    for value, mistake, hint in known:
        wrong = _asarray(value)
        if wrong.shape == _asarray(actual).shape and same(actual, wrong):
            return hint, mistake
    return None


def check_close(
    actual: Any,
    expected: Any,
    name: str = "result",
    rtol: float = 1e-5,
    atol: float = 1e-8,
    hint: str | None = None,
    mistake: str | None = None,
    known_mistakes: Sequence[KnownMistake] = (),
) -> None:
    """Check values with a tolerance, and point at the first entry that differs.

    ``known_mistakes`` lists wrong results a realistic mistake gives, as (value, mistake, hint):
    a result close to one of them is reported with that hint instead of ``hint``.
    """
    actual_values = _asarray(actual, dtype=float)
    expected_values = _asarray(expected, dtype=float)
    if actual_values.shape != expected_values.shape:
        fail(
            f"{name} should have shape {expected_values.shape}, got {actual_values.shape}.",
            "wrong-shape",
        )
    if _allclose(actual_values, expected_values, rtol=rtol, atol=atol, equal_nan=False):
        return
    tolerance = f"rtol={rtol:g}, atol={atol:g}"
    if actual_values.ndim == 0:
        expected_number, actual_number = float(expected_values), float(actual_values)
        message = f"{name} should be {expected_number:.6g}, got {actual_number:.6g}."
        if f"{expected_number:.6g}" == f"{actual_number:.6g}":
            message = (
                f"{name} should be {expected_number!r}, got {actual_number!r} (the tolerance is"
                f" {tolerance})."
            )
    else:
        wrong = ~_isclose(actual_values, expected_values, rtol=rtol, atol=atol)
        message = _first_difference(wrong, actual_values, expected_values, name, tolerance)
    found = _known_mistake(
        actual_values,
        known_mistakes,
        lambda a, w: _allclose(a, _asarray(w, dtype=float), rtol=rtol, atol=atol),
    )
    if found:
        hint, mistake = found
    raise _failure(_with_hint(message, hint, mistake))


def check_equal(
    actual: Any,
    expected: Any,
    name: str = "result",
    hint: str | None = None,
    mistake: str | None = None,
    known_mistakes: Sequence[KnownMistake] = (),
) -> None:
    """Check exact equality of whole numbers or labels (arrays compared entry by entry).

    ``known_mistakes`` as in ``check_close``: a result equal to a known wrong one is reported
    with that mistake's hint.
    """
    actual_values = _asarray(actual)
    expected_values = _asarray(expected)
    found = _known_mistake(actual_values, known_mistakes, _array_equal)
    if found:
        hint, mistake = found
    same_shape = actual_values.shape == expected_values.shape
    if same_shape and _array_equal(actual_values, expected_values):
        return
    if actual_values.ndim == 0 and expected_values.ndim == 0:
        message = f"{name} should be {expected_values.item()!r}, got {actual_values.item()!r}."
    elif (
        actual_values.ndim == expected_values.ndim == 1
        and max(actual_values.size, expected_values.size) <= _SHOWN_WHOLE
    ):
        # Short sequences (the mistakes per epoch, a few labels) read best whole.
        message = f"{name} should be {expected_values.tolist()}, got {actual_values.tolist()}."
        if same_shape:
            wrong = actual_values != expected_values
            first = int(_argmax(wrong))
            message = message[:-1] + f" ({int(wrong.sum())} wrong, the first at index {first})."
    elif not same_shape:
        message = f"{name} should have shape {expected_values.shape}, got {actual_values.shape}."
        mistake = mistake or "wrong-shape"
    else:
        wrong = actual_values != expected_values
        message = _first_difference(wrong, actual_values, expected_values, name)
    raise _failure(_with_hint(message, hint, mistake))


def check_unchanged(before: Any, after: Any, name: str) -> None:
    """Check that a function did not modify an input array in place."""
    if not _array_equal(_asarray(before), _asarray(after)):
        fail(
            f"Your function changed its input `{name}` in place. Work on a copy"
            f" (for example `{name} = {name} + ...` instead of `{name} += ...`).",
            "modifies-input",
        )


def _tolerances(dtype: Any) -> tuple[float, float]:
    """(rtol, atol) for comparing a result computed in ``dtype`` with a float64 reference."""
    return (1e-4, 1e-6) if _asarray(0, dtype=dtype).itemsize < 8 else (1e-7, 1e-10)


def check_elementwise(
    call: StudentFunction,
    reference: Callable[[Any], Any],
    name: str,
    seed: int = 0,
    scale: float = 4.0,
    shapes: Sequence[tuple[int, ...]] = ((7,), (3, 5), (2, 3, 4), ()),
    **kwargs: Any,
) -> None:
    """Call an elementwise function on random float64 and float32 arrays of several shapes.

    ``reference(x)`` gives the right values (computed in float64). Checks that each result has
    the input's shape and dtype (``check_like``), is close to the reference (float32 within
    1e-4 relative) and that the input is unchanged. ``kwargs`` are passed on to the call.
    """
    rng = _default_rng(seed)
    for shape in shapes:
        for dtype in (_float64, _float32):
            x = _asarray(rng.standard_normal(shape) * scale, dtype=dtype)
            before = x.copy()
            described = f"{name} on a random {dtype.__name__} array of shape {shape}"
            result = call(x, **kwargs)
            check_like(result, x, described)
            rtol, atol = _tolerances(dtype)
            check_close(result, reference(before.astype(_float64)), described, rtol, atol)
            check_unchanged(before, x, "x")


def check_derivative(
    f: StudentFunction,
    f_grad: StudentFunction,
    x: Any,
    h: float = 1e-5,
    hint: str | None = None,
    mistake: str | None = None,
) -> None:
    """Check ``f_grad(x)`` against the slope of ``f`` measured by centered differences.

    The slope at each entry is (f(x + h) - f(x - h)) / 2h, from the student's own ``f``, so
    the check reveals no formula. ``x`` should be float64 and stay away from kinks (ReLU at 0).
    """
    x = _asarray(x, dtype=_float64)
    numerical = (_asarray(f(x + h), dtype=float) - _asarray(f(x - h), dtype=float)) / (2 * h)
    result = f_grad(x.copy())
    check_like(result, x, f"{f_grad.name}(x)")
    try:
        check_close(
            result,
            numerical,
            f"{f_grad.name}(x), compared with the slope of your {f.name} measured with centered"
            f" differences (f(x + h) - f(x - h)) / 2h, h = {h:g},",
            rtol=1e-4,
            atol=1e-6,
            hint=hint,
            mistake=mistake,
        )
    except CheckFailed as failed:
        if _failing.get(f.name) is not f.func or f"Note: {f.name}" in _str(failed):
            raise
        raise CheckFailed(
            f"{failed}\nNote: {f.name} fails its own test cells above, and this check measures"
            f" its slope: fix {f.name} first, then run this cell again. {AFTER_TAG.format(f.name)}"
        ) from None


def passed(message: str = "All tests passed.") -> None:
    """Print the line a student looks for after a test cell."""
    _print(f"\N{WHITE HEAVY CHECK MARK} {message}")


def raises(
    func: Callable[..., Any], exception: type[BaseException], *args: Any, **kwargs: Any
) -> str:
    """Check that ``func(*args, **kwargs)`` raises ``exception``; return its message.

    ``func`` may be a ``StudentFunction``: the error the student's code raises on purpose is
    then the expected outcome, not a crash to explain.
    """
    was_failing = None
    if _isinstance(func, StudentFunction):
        was_failing = _failing.get(func.name)
    try:
        func(*args, **kwargs)
    except exception as error:  # noqa: B902 - the caller names the exception class
        return str(error)
    except CheckFailed as failed:
        cause = failed.__cause__
        if was_failing is None and _isinstance(func, StudentFunction):
            _failing.pop(func.name, None)  # raising as asked is not a failure of the function
        if _isinstance(cause, exception) and _isinstance(func, StudentFunction):
            return _str(cause)
        if cause is None:
            raise
        raise _failure(
            f"Expected {exception.__name__}, but {_type(cause).__name__} was raised: {cause}"
        ) from None
    except Exception as error:  # the wrong kind of error
        raise _failure(
            f"Expected {exception.__name__}, but {_type(error).__name__} was raised: {error}"
        ) from None
    name = getattr(func, "name", getattr(func, "__name__", "the function"))
    raise _failure(f"Expected {exception.__name__} to be raised by {name}, but nothing was raised.")


def check_raises(
    func: Callable[..., Any],
    exception: type[BaseException],
    args: tuple = (),
    kwargs: dict | None = None,
    when: str = "",
    mistake: str = "no-error-raised",
) -> str:
    """Check that ``func(*args, **kwargs)`` raises ``exception``, as its docstring promises
    ``when`` something is wrong ("batch_size is 0"); return the error's message.

    Like ``raises``, but a failure says which case went wrong and carries ``mistake``.
    """
    try:
        return raises(func, exception, *args, **(kwargs or {}))
    except CheckFailed as failed:
        name = getattr(func, "name", getattr(func, "__name__", "the function"))
        case = f" when {when}" if when else ""
        fail(f"{name} should raise {exception.__name__}{case}. {failed}", mistake)
        raise  # fail() always raises; this keeps type checkers content


__all__ = [
    "CheckFailed",
    "AFTER_TAG",
    "MISTAKE_TAG",
    "OWN_MISTAKES",
    "StudentFunction",
    "check_close",
    "check_derivative",
    "check_dtype",
    "check_dtype_kind",
    "check_elementwise",
    "check_equal",
    "check_finite",
    "check_function",
    "check_like",
    "check_raises",
    "check_no_warnings",
    "check_number",
    "check_shape",
    "check_type",
    "check_unchanged",
    "fail",
    "passed",
    "raises",
]
