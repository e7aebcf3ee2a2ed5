"""What a student sees from the Validate button (`nbgrader validate`, which exits 0 either way)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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


# A kernel's TCP ports are picked free, then bound by the kernel: another of the suite's
# kernels starting at that moment can take one first (jupyter_client's race, not the course's).
PORT_RACE = "ZMQError: Address already in use"


def validate(*paths) -> dict[str, str]:
    """`nbgrader validate` as the Validate button runs it: from the course root, with its config.
    One run for several notebooks (nbgrader starts once); path -> what it said about it. A
    notebook whose kernel lost the race for a port is validated once more."""
    reports = _validate_once(*paths)
    raced = [path for path in paths if PORT_RACE in reports[str(path)]]
    return reports | (_validate_once(*raced) if raced else {})


def _validate_once(*paths) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "validate", *map(str, paths)],
        cwd=REPO,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},  # its log and its report, in order
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300 * len(paths),
        stdin=subprocess.DEVNULL,
    )
    reports, current = {}, None
    for line in done.stdout.splitlines():
        if "[ValidateApp | INFO] Validating '" in line:
            current = line.split("Validating '", 1)[1].rstrip("'")
            reports[current] = ""
        elif current is not None:
            reports[current] += line + "\n"
    assert set(reports) == {str(path) for path in paths}, done.stdout[-3000:]
    return reports


@pytest.fixture(scope="module")
def passing_reports(tmp_path_factory) -> dict[str, str]:
    """What Validate says about every lesson's solved notebook (key: the lesson) and about the
    solution with each alternative that writes to stderr (key: the fixture's path), in one run
    of `nbgrader validate` (each notebook costs a Run All)."""
    notebooks = {lesson: solved_release(lesson) for lesson in LESSONS} | {
        str(f): solved_release(f.parent.parent.name, {f.parent.name: f.read_text()})
        for f in STDERR_ALTERNATIVES
    }
    paths = {}
    for number, (key, notebook) in enumerate(notebooks.items()):
        lesson = lesson_of(key)
        paths[key] = tmp_path_factory.mktemp(f"validate-{number}") / f"{lesson}.ipynb"
        nbformat.write(notebook, paths[key])
    reports = validate(*paths.values())
    return {key: reports[str(path)] for key, path in paths.items()}


def lesson_of(key: str) -> str:
    return key if key in LESSONS else Path(key).parent.parent.name


@pytest.mark.parametrize("lesson", LESSONS)
def test_validate_passes_a_solved_notebook(passing_reports, lesson):
    """Every lesson: the Validate button passes a solved notebook."""
    report = passing_reports[lesson]
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
    declared = [
        (f, DECLARED_MISTAKE.match(f.read_text()))
        for f in fixtures(lesson)
        if f.stem.startswith("wrong_")
    ]
    fixture, mistake = next((f, m.group(1)) for f, m in declared if m)
    wrong = tmp_path / "wrong" / f"{lesson}.ipynb"
    wrong.parent.mkdir()
    nbformat.write(solved_release(lesson, {fixture.parent.name: fixture.read_text()}), wrong)
    reports = validate(untouched, wrong)
    report = reports[str(untouched)]
    assert FAILURE in report and "NotImplementedError" in report, report
    report = reports[str(wrong)]
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
def test_validate_agrees_with_autograde_that_stderr_costs_nothing(passing_reports, fixture):
    """Autograde gives such an answer full marks (test_grading); Validate must say Success."""
    report = passing_reports[str(fixture)]
    assert SUCCESS in report and FAILURE not in report, report
