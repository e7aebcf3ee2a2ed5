"""The module quiz's answers: their format checked where the student sees it, their value only by
hidden tests, and an explanation for the feedback.

A quiz question is an answer cell (``q07_answer = None`` in the release) and a locked test cell
worth one point. The visible part of the test cell checks only the answer's format, so a
student who wrote ``"1.5"`` instead of ``1.5`` learns it before submitting, and nothing in the
release tells a right answer from a wrong one::

    check_choice_format(q99_answer, "q99")
    ### BEGIN HIDDEN TESTS
    explain("q99", r\"\"\"Why (b) is right ... (Lesson 3, section 2).\"\"\")
    grade_choice(q99_answer, "b", "q99")
    ### END HIDDEN TESTS

``explain`` shows its text where the test cell runs with its hidden part (the instructor's
notebook, the graded one); the feedback takes the text from the test cell's source instead
(``helpers/grading/feedback.py``), so student code cannot forge or suppress it. The grading
functions take the right answer from the hidden test: this module holds no answer.

Answers are checked with their exact type (a ``str`` subclass that claims to equal every letter
is not a letter), and the checks here are restored before every cell at grading time, as
``helpers.checks`` is (``helpers/grading/guarded_kernel.py``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from helpers.checks import fail

_type = type
_float = float
_str = str
_print = print
_isfinite = math.isfinite
_isclose = math.isclose
_round = round

CHOICES = ("a", "b", "c", "d")
# Exact types a numeric answer may have: Python's, and NumPy's scalars (np.float64(1.5), ...).
NUMBER_TYPES = (int, float, np.float16, np.float32, np.float64, np.int8, np.int16, np.int32,
                np.int64, np.uint8, np.uint16, np.uint32, np.uint64)  # fmt: skip
# The mistakes these checks name by themselves (a class report counts them like any other).
FORMAT_MISTAKES = ("no-answer", "answer-format", "not-whole-number", "wrong-answer")
# The line a test cell prints when an answer's format is right (left out of the feedback).
FORMAT_OK = "\N{WHITE HEAVY CHECK MARK} Answer recorded. It is graded after you submit."
# The line a hidden test prints when the answer is right (feedback keeps it).
RIGHT = "\N{WHITE HEAVY CHECK MARK} Right."


def _no_answer(question: str, example: str) -> None:
    fail(
        f"{question}: no answer yet. Replace None with your answer, for example"
        f" {question}_answer = {example}, and run that cell again.",
        "no-answer",
    )


def choice_answer(answer: Any, question: str) -> str:
    """The letter chosen, as one of "a", "b", "c", "d" (case and spaces ignored: " C" is "c")."""
    if answer is None:
        _no_answer(question, '"b"')
    if _type(answer) is not _str:
        fail(
            f'{question}: the answer is one letter in quotes, such as "b"; got'
            f" {_describe(answer)}.",
            "answer-format",
        )
    letter = _str.lower(_str.strip(answer))
    if letter not in CHOICES:
        fail(
            f'{question}: the answer is one of the letters "a", "b", "c" or "d" (only the'
            f' letter: "b", not "b)" or the option\'s text); got {answer!r}.',
            "answer-format",
        )
    return letter


def number_answer(answer: Any, question: str, integer: bool = False) -> float:
    """The number given: an int or a float (NumPy's scalars too), finite; a whole number if
    ``integer``."""
    if answer is None:
        _no_answer(question, "12" if integer else "0.25")
    if _type(answer) not in NUMBER_TYPES:
        hint = ""
        if _type(answer) is _str:
            hint = ' Write the number without quotes: 0.25, not "0.25".'
        elif _type(answer) is np.ndarray and answer.size == 1:
            hint = " That is a NumPy array holding one number: write the number itself."
        elif _type(answer) is tuple and len(answer) == 2 and all(_type(a) is int for a in answer):
            hint = " A comma between digits makes a tuple: write a decimal with a point, 1.5."
        elif _type(answer) in (list, tuple, np.ndarray):
            hint = " One number is asked for, not several."
        elif _type(answer) in (bool, np.bool_):
            hint = " True and False are not numbers here."
        fail(
            f"{question}: the answer is one number (such as 0.25, 1e-3 or 12); got"
            f" {_describe(answer)}.{hint}",
            "answer-format",
        )
    value = _float(answer)
    if not _isfinite(value):
        fail(f"{question}: the answer must be a finite number; got {value}.", "answer-format")
    if integer and value != _float(_round(value)):
        fail(
            f"{question}: the answer is a count, a whole number, and {value} is not. If you"
            " computed it with a division that does not come out even, think again about what"
            " is being counted.",
            "not-whole-number",
        )
    return value


def _describe(value: Any) -> str:
    kind = _type(value)
    name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
    shown = repr(value)
    return f"{shown} (a {name})" if len(shown) <= 40 else f"a {name}"


def format_ok() -> None:
    """Print the line that ends the visible part of a question's test cell."""
    _print(FORMAT_OK)


def right() -> None:
    """Print the line that ends the hidden part of a question's test cell."""
    _print(RIGHT)


def check_choice_format(answer: Any, question: str) -> None:
    """Visible check of a multiple-choice answer: one letter, a to d. Not whether it is right."""
    choice_answer(answer, question)
    format_ok()


def check_number_format(answer: Any, question: str, integer: bool = False) -> None:
    """Visible check of a numeric answer: one finite number (whole if ``integer``)."""
    number_answer(answer, question, integer)
    format_ok()


def grade_choice(answer: Any, right_letter: str, question: str) -> None:
    """Hidden check: the letter chosen is ``right_letter``."""
    if choice_answer(answer, question) != right_letter:
        _wrong(question)
    right()


def grade_number(
    answer: Any,
    expected: float,
    question: str,
    rel: float = 0.0,
    abs: float = 1e-9,  # noqa: A002 - as in math.isclose
    integer: bool = False,
) -> None:
    """Hidden check: the number given is ``expected``, within ``rel`` (relative) or ``abs``."""
    if not _isclose(number_answer(answer, question, integer), expected, rel_tol=rel, abs_tol=abs):
        _wrong(question)
    right()


def _wrong(question: str) -> None:
    fail(f"{question}: not the right answer. The explanation says why.", "wrong-answer")


def explain(question: str, text: str) -> None:
    """Show why the right answer of ``question`` is right (Markdown, LaTeX allowed).

    Called in a hidden test, before the answer is graded. The feedback reads ``text`` from the
    test cell's source, not from what this displays."""
    from IPython.display import Markdown, display

    display(Markdown(f"**Why ({question}).** {text}"))


__all__ = [
    "CHOICES",
    "FORMAT_MISTAKES",
    "FORMAT_OK",
    "RIGHT",
    "check_choice_format",
    "check_number_format",
    "choice_answer",
    "explain",
    "format_ok",
    "grade_choice",
    "grade_number",
    "number_answer",
    "right",
]
