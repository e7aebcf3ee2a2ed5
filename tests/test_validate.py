"""What a student sees from the Validate button (`nbgrader validate`, which exits 0 either way)."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest
from nbgrader_course import (
    DECLARED_MISTAKE,
    REPO,
    assignments,
    fixtures,
    lessons,
    notebook_path,
    solved_release,
)

from helpers.checks import MISTAKE_TAG

pytestmark = pytest.mark.slow
LESSONS = assignments()
SUCCESS = "Success! Your notebook passes all the tests."
FAILURE = "VALIDATION FAILED"


def validate(path) -> str:
    """`nbgrader validate` as the Validate button runs it: from the course root, with its config."""
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "validate", str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    return done.stdout + done.stderr


@pytest.mark.parametrize("lesson", LESSONS)
def test_validate_passes_a_solved_notebook(tmp_path, lesson):
    """Every lesson: the Validate button passes a solved notebook (each costs a Run All)."""
    solved = tmp_path / "solved" / f"{lesson}.ipynb"
    solved.parent.mkdir()
    nbformat.write(solved_release(lesson), solved)
    report = validate(solved)
    assert SUCCESS in report and FAILURE not in report, report


@pytest.mark.parametrize("lesson", lessons()[-1:])
def test_validate_fails_an_untouched_and_a_wrong_notebook(tmp_path, lesson):
    """The newest lesson (the failing side works the same way in every lesson; the grading
    tests prove each lesson's messages): an untouched release fails with NotImplementedError,
    and a realistic mistake fails with the tag its visible check names, so the student learns
    it before submitting."""
    untouched = tmp_path / "untouched" / f"{lesson}.ipynb"
    untouched.parent.mkdir()
    untouched.write_bytes(notebook_path(REPO, "release", lesson).read_bytes())
    report = validate(untouched)
    assert FAILURE in report and "NotImplementedError" in report, report

    declared = [
        (f, DECLARED_MISTAKE.match(f.read_text()))
        for f in fixtures(lesson)
        if f.stem.startswith("wrong_")
    ]
    fixture, mistake = next((f, m.group(1)) for f, m in declared if m)
    wrong = tmp_path / "wrong" / f"{lesson}.ipynb"
    wrong.parent.mkdir()
    nbformat.write(solved_release(lesson, {fixture.parent.name: fixture.read_text()}), wrong)
    report = validate(wrong)
    assert FAILURE in report and MISTAKE_TAG.format(mistake) in report, report[-3000:]


def writes_to_stderr(fixture) -> bool:
    """An alternative answer whose comment says it writes to stderr (a progress bar, a warning)."""
    return fixture.stem.startswith("alt_") and "stderr" in fixture.read_text().splitlines()[0]


STDERR_ALTERNATIVES = [f for lesson in LESSONS for f in fixtures(lesson) if writes_to_stderr(f)]


def test_some_alternative_answer_writes_to_stderr():
    assert STDERR_ALTERNATIVES, "no alternative fixture writes to stderr: the policy is unproven"


@pytest.mark.parametrize(
    "fixture", STDERR_ALTERNATIVES, ids=[f"{f.parent.name}/{f.stem}" for f in STDERR_ALTERNATIVES]
)
def test_validate_agrees_with_autograde_that_stderr_costs_nothing(tmp_path, fixture):
    """Autograde gives such an answer full marks (test_grading); Validate must say Success."""
    lesson = fixture.parent.parent.name
    path = tmp_path / f"{lesson}.ipynb"
    nbformat.write(solved_release(lesson, {fixture.parent.name: fixture.read_text()}), path)
    report = validate(path)
    assert SUCCESS in report and FAILURE not in report, report
