"""The module quiz: 40 one-point questions whose answers the student version cannot reveal.

Its grading is proven with the lessons' (tests/test_grading.py: every fixture, a sheet at the
pass mark, a sheet of wrong formats, the feedback's explanations). Here: the notebook's shape,
the checks of an answer's format, and that nothing in the release tells a right answer from a
wrong one: every option of every question passes its visible check alike, and the release holds
no answer, explanation or hash of one.
"""

from __future__ import annotations

import contextlib
import io
import re

import nbformat
import numpy as np
import pytest
from nbgrader.utils import compute_checksum
from nbgrader_course import (
    DECLARED_MISTAKE,
    HIDDEN_BEGIN,
    QUIZ,
    QUIZ_PASS_MARK,
    REPO,
    fixtures,
    grade_id,
    notebook_path,
    region,
    solution_cells,
)
from nbgrader_course import (
    test_cells as points_of_test_cells,
)

from helpers.checks import CheckFailed
from helpers.grading.answer_stubs import ClearSolutions
from helpers.quiz import (
    FORMAT_OK,
    check_choice_format,
    check_number_format,
    grade_choice,
    grade_number,
)

SOURCE = nbformat.read(notebook_path(REPO, "source", QUIZ), as_version=4)
RELEASE = nbformat.read(notebook_path(REPO, "release", QUIZ), as_version=4)
QUESTIONS = [f"q{number:02d}" for number in range(1, 41)]


def kind(question: str) -> str:
    """ "choice", "number" or "code", read from the question's test cell."""
    cell = next(c for c in SOURCE.cells if grade_id(c) == f"test_{question}_answer")
    if "check_choice_format" in cell.source:
        return "choice"
    return "number" if "check_number_format" in cell.source else "code"


def failure(check, *args, **kwargs) -> str:
    with pytest.raises(CheckFailed) as failed:
        check(*args, **kwargs)
    return str(failed.value)


def printed(check, *args, **kwargs) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        check(*args, **kwargs)
    return out.getvalue()


# --- the notebook ------------------------------------------------------------------------------


def test_forty_questions_of_one_point_each_and_the_pass_mark_is_stated():
    assert list(solution_cells(SOURCE)) == QUESTIONS
    assert points_of_test_cells(SOURCE) == {f"test_{q}_answer": 1.0 for q in QUESTIONS}
    intro = SOURCE.cells[0].source
    assert "**40 points**" in intro and f"**{QUIZ_PASS_MARK} of 40 passes.**" in intro
    kinds = [kind(q) for q in QUESTIONS]
    assert (kinds.count("choice"), kinds.count("number"), kinds.count("code")) == (20, 12, 8)


def test_the_questions_cover_every_lesson():
    headings = [c.source for c in SOURCE.cells if c.source.startswith("## Lesson ")]
    assert [h.split(":")[0] for h in headings] == [f"## Lesson {n}" for n in range(1, 8)]


def test_the_right_letters_are_spread_over_the_options():
    letters = [
        re.search(r'grade_choice\(\w+, "([a-d])"', c.source).group(1)
        for c in SOURCE.cells
        if "grade_choice(" in c.source
    ]
    assert len(letters) == 20
    assert all(3 <= letters.count(letter) <= 7 for letter in "abcd"), letters


def test_every_question_has_a_wrong_answer_and_an_alternative_among_the_fixtures():
    for question in QUESTIONS:
        files = [f for f in fixtures(QUIZ) if f.parent.name == question]
        wrong = [f for f in files if f.stem.startswith("wrong_") and "format" not in f.stem]
        alternatives = [f for f in files if f.stem.startswith("alt_")]
        needed = 3 if kind(question) == "code" else 1
        assert len(wrong) >= needed and alternatives, f"{question}: {[f.name for f in files]}"
    formats = [f for f in fixtures(QUIZ) if f.stem.startswith("wrong_format_")]
    assert all(DECLARED_MISTAKE.match(f.read_text()) for f in formats)
    assert {kind(f.parent.name) for f in formats} == {"choice", "number"}


# --- nothing in the release tells a right answer from a wrong one ------------------------------


def visible_namespace() -> dict:
    """The release's setup cell, run."""
    namespace: dict = {}
    setup = next(c for c in RELEASE.cells if grade_id(c) == "setup")
    with contextlib.redirect_stdout(io.StringIO()):
        exec(setup.source, namespace)  # noqa: S102 - the course's own locked cell
    return namespace


@pytest.mark.parametrize("question", [q for q in QUESTIONS if kind(q) != "code"])
def test_the_visible_check_accepts_every_option_alike(question):
    """Whatever the student answers (every letter; the right number, another one, a count),
    the release's check cell prints the same line: it cannot be used to find the answer."""
    cell = next(c for c in RELEASE.cells if grade_id(c) == f"test_{question}_answer")
    assert HIDDEN_BEGIN not in cell.source
    if kind(question) == "choice":
        candidates = ["a", "b", "c", "d", " B "]
    elif "integer=True" in cell.source:  # a count
        candidates = [0, 1, 12, 588, 235146, 10**9]
    else:
        candidates = [0, 1, -3.5, 0.1875, 1e-4, 0.769, 1e6]
    for candidate in candidates:
        namespace = visible_namespace() | {f"{question}_answer": candidate}
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(cell.source, namespace)  # noqa: S102 - the release's locked check cell
        assert out.getvalue() == FORMAT_OK + "\n", (question, candidate)


def test_the_release_holds_no_answer_explanation_or_hash_of_one():
    text = nbformat.writes(RELEASE)
    for cell in RELEASE.cells:
        if cell.metadata.get("nbgrader", {}).get("solution") and kind(grade_id(cell)) != "code":
            assert cell.source.splitlines()[-1] == f"{grade_id(cell)}_answer = None", cell.source
    for name in ("grade_choice(", "grade_number(", "explain(", "right()", "BEGIN SOLUTION"):
        assert name not in text, name
    # An explanation's words appear nowhere (the lessons' own text may share a few).
    for cell in SOURCE.cells:
        for line in region(cell.source, HIDDEN_BEGIN, "### END HIDDEN TESTS"):
            if len(line.strip()) > 40:
                assert line.strip() not in text, line
    # nbgrader's checksums are those of what the student sees, not of the hidden tests.
    for cell in RELEASE.cells:
        checksum = cell.metadata.get("nbgrader", {}).get("checksum")
        if checksum:
            assert checksum == compute_checksum(cell), grade_id(cell)
    assert not re.search(r"[0-9a-f]{32,}", re.sub(r'"checksum": "[0-9a-f]+"', "", text))


def test_answer_cells_are_released_as_none_and_other_solutions_as_nbgraders_stub():
    stubs = ClearSolutions()
    for source, expected in (
        ('# Q\n### BEGIN SOLUTION\nq01_answer = "c"\n### END SOLUTION', "# Q\nq01_answer = None"),
        ("### BEGIN SOLUTION\nq02_answer = 3 / 4\n### END SOLUTION", "q02_answer = None"),
        (
            "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION",
            "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()",
        ),
        (  # two statements, or a name not ending in _answer: a solution like any other
            "### BEGIN SOLUTION\nq03_answer = 1\nprint(q03_answer)\n### END SOLUTION",
            "# YOUR CODE HERE\nraise NotImplementedError()",
        ),
        (
            "### BEGIN SOLUTION\nlearning_rate = 0.1\n### END SOLUTION",
            "# YOUR CODE HERE\nraise NotImplementedError()",
        ),
    ):
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["nbgrader"] = {"solution": True, "grade": False, "grade_id": "x"}
        stubs.preprocess_cell(cell, {"language": "python"}, 0)
        assert cell.source == expected


# --- the checks of an answer ---------------------------------------------------------------


def test_a_choice_is_one_letter_whatever_its_case_and_spaces():
    assert printed(check_choice_format, " C", "q01") == FORMAT_OK + "\n"
    assert "no answer yet" in failure(check_choice_format, None, "q01")
    assert "[mistake: no-answer]" in failure(check_choice_format, None, "q01")
    for wrong in ("c)", "e", "ab", "", "the third one"):
        message = failure(check_choice_format, wrong, "q01")
        assert "[mistake: answer-format]" in message and repr(wrong) in message, wrong
    assert "one letter in quotes" in failure(check_choice_format, ["c"], "q01")

    class Liar(str):
        def __eq__(self, other):
            return True

        __hash__ = str.__hash__

    assert "[mistake: answer-format]" in failure(check_choice_format, Liar("a"), "q01")


def test_a_number_is_one_finite_number_and_a_count_is_whole():
    for good in (1.5, 3, np.float32(0.25), np.int64(12), 1e-4):
        assert printed(check_number_format, good, "q02") == FORMAT_OK + "\n"
    assert "without quotes" in failure(check_number_format, "1.5", "q02")
    assert "not several" in failure(check_number_format, [1.5], "q02")
    assert "the number itself" in failure(check_number_format, np.array(1.5), "q02")
    assert "with a point, 1.5" in failure(check_number_format, (1, 5), "q02")
    assert "not numbers" in failure(check_number_format, True, "q02")
    assert "finite" in failure(check_number_format, float("nan"), "q02")
    assert "[mistake: no-answer]" in failure(check_number_format, None, "q02")
    message = failure(check_number_format, 235146.5, "q12", integer=True)
    assert "[mistake: not-whole-number]" in message
    assert printed(check_number_format, 235146.0, "q12", integer=True) == FORMAT_OK + "\n"


def test_grading_compares_within_the_tolerance_given():
    grade_choice(" D", "d", "q27")
    assert "[mistake: wrong-answer]" in failure(grade_choice, "c", "d", "q27")
    grade_number(0.867, 0.8668133, "q07", rel=0.003)
    assert "[mistake: wrong-answer]" in failure(grade_number, 0.87, 0.8668133, "q07", rel=0.003)
    grade_number(588, 588, "q24", integer=True)
    assert "[mistake: wrong-answer]" in failure(grade_number, 585, 588, "q24", integer=True)
