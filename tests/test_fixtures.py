"""Every fixture is graded as intended: a wrong answer loses points on its exercise (named by
the mistake its first line declares), an alternative keeps every point.

The fixtures are scored by tests/cell_runner.py, which runs the test cells as the grader does
but in forks of one prepared IPython instead of a sandboxed kernel per notebook; the runner's
scores equal the real grader's on a sample (tests/test_grading.py) and stock nbgrader's on a part
of it (tests/test_stock_equivalence.py).
"""

from __future__ import annotations

import ast

import nbformat
import pytest
from nbgrader_course import (
    DECLARED_MISTAKE,
    FIXTURES,
    MIXED,
    REPO,
    assignments,
    exercise_cells,
    exercise_test_cells,
    fixture_student,
    fixtures,
    is_test_cell,
    lessons,
    mixed_answers,
    notebook_path,
    source_notebook,
)

from helpers.checks import MISTAKE_TAG, OWN_MISTAKES
from helpers.quiz import FORMAT_MISTAKES

pytestmark = pytest.mark.slow

LESSONS = assignments()  # the lessons and the quiz
FIXTURE_FILES = [f for lesson in LESSONS for f in fixtures(lesson)]
# What every exercise must have (the course spec): realistic wrong answers and valid alternatives.
WRONG_PER_EXERCISE, ALTERNATIVES_PER_EXERCISE = 5, 2


@pytest.mark.parametrize("lesson", lessons())
def test_every_exercise_has_realistic_wrong_and_alternative_answers(lesson):
    for exercise in exercise_cells(source_notebook(lesson)):
        folder = FIXTURES / lesson / exercise
        wrong = sorted(folder.glob("wrong_*.py"))
        alternative = sorted(folder.glob("alt_*.py"))
        assert len(wrong) >= WRONG_PER_EXERCISE, (
            f"{folder}: needs at least {WRONG_PER_EXERCISE} wrong_*.py, has {len(wrong)}"
        )
        assert len(alternative) >= ALTERNATIVES_PER_EXERCISE, (
            f"{folder}: needs at least {ALTERNATIVES_PER_EXERCISE} alt_*.py, has {len(alternative)}"
        )
        # Most realistic mistakes are named to the student by a check (and counted by the report).
        named = [f for f in wrong if DECLARED_MISTAKE.match(f.read_text())]
        assert 2 * len(named) > len(wrong), (
            f"{folder}: only {len(named)} of {len(wrong)} wrong answers declare the mistake their"
            " check names (first line '# Wrong [mistake: <id>]: ...')"
        )
        assert exercise_test_cells(source_notebook(lesson), exercise), (
            f"{lesson}: no test cells named test_{exercise}_* for exercise {exercise}"
        )


@pytest.mark.parametrize(
    "fixture",
    FIXTURE_FILES,
    ids=[f"{f.parent.parent.name}/{f.parent.name}/{f.stem}" for f in FIXTURE_FILES],
)
def test_fixture_is_graded_as_intended(fast_scores, fixture):
    lesson, exercise = fixture.parent.parent.name, fixture.parent.name
    student = fixture_student(fixture)
    cells = fast_scores[(student, lesson)]
    scores = {cell: earned for cell, (earned, *_) in cells.items()}
    exercise_cells = exercise_test_cells(source_notebook(lesson), exercise)
    earned = sum(scores[cell] for cell in exercise_cells)
    possible = sum(exercise_cells.values())
    if fixture.stem.startswith("wrong_"):
        assert earned < possible, (
            f"{fixture.relative_to(REPO)} is a wrong answer but kept all {possible:g} points of"
            f" {exercise}: the tests do not catch this mistake"
        )
        declared = DECLARED_MISTAKE.match(fixture.read_text())
        if declared:
            tag = MISTAKE_TAG.format(declared.group(1))
            shown = [cells[cell][2] for cell in exercise_cells if cells[cell][2]]
            assert any(tag in text for text in shown), (
                f"{fixture.relative_to(REPO)} should be reported as {tag}, but its failing test"
                f" cells said: {shown}"
            )
    else:
        score, max_score = sum(scores.values()), sum(possible for _, possible, *_ in cells.values())
        assert score == max_score, (
            f"{fixture.relative_to(REPO)} is a correct alternative but lost points: {scores}"
        )


def named_mistakes(source: str) -> set[str]:
    """The mistake identifiers a cell's code writes: mistake="...", fail(message, "..."), and the
    ids in known_mistakes and on_error."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        is_fail = isinstance(node.func, ast.Name) and node.func.id == "fail"
        if is_fail and len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
            names.add(node.args[1].value)  # fail(message, "mistake-id")
        for keyword in node.keywords:
            if keyword.arg == "mistake" and isinstance(keyword.value, ast.Constant):
                names.add(keyword.value.value)
            if keyword.arg == "on_error" and isinstance(keyword.value, ast.Dict):
                names |= {
                    hint.elts[1].value
                    for hint in keyword.value.values
                    if isinstance(hint, ast.Tuple) and isinstance(hint.elts[1], ast.Constant)
                }
            if keyword.arg == "known_mistakes" and isinstance(keyword.value, ast.List):
                names |= {
                    known.elts[1].value
                    for known in keyword.value.elts
                    if isinstance(known, ast.Tuple) and isinstance(known.elts[1], ast.Constant)
                }
    return names


def test_every_mistake_a_fixture_declares_is_named_by_a_visible_check():
    """The identifier a wrong fixture expects is written in a visible check of the release, or
    is one that helpers.checks gives by itself (a dtype, a missing return, a changed input)."""
    automatic = set(OWN_MISTAKES) | set(FORMAT_MISTAKES)
    for lesson in LESSONS:
        release = nbformat.read(notebook_path(REPO, "release", lesson), as_version=4)
        visible = set().union(*(named_mistakes(c.source) for c in release.cells if is_test_cell(c)))
        for fixture in fixtures(lesson):
            declared = DECLARED_MISTAKE.match(fixture.read_text())
            if declared:
                assert declared.group(1) in visible | automatic, (
                    f"{fixture.relative_to(REPO)} declares [mistake: {declared.group(1)}], which no"
                    " visible check of the release names"
                )


@pytest.mark.parametrize("lesson", lessons())
def test_the_mixed_submissions_answer_every_exercise_once_wrong_and_once_right(lesson):
    answers = mixed_answers(lesson)
    for exercise in exercise_cells(source_notebook(lesson)):
        given = sorted(answers[student][exercise].stem.split("_")[0] for student in MIXED)
        assert given == ["alt", "wrong"], (exercise, given)
