"""Check my work: the saved lesson run as the grader runs it, summed up by exercise."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest
from nbgrader_course import (
    FIXTURES,
    QUIZ,
    REPO,
    assignments,
    exercise_cells,
    lessons,
    notebook_path,
    solution_cells,
    solved_release,
)
from nbgrader_course import test_cells as points_of_test_cells

from helpers.self_check import as_html, as_text, run_saved, summarize, unsaved_changes

pytestmark = pytest.mark.slow
LESSON = lessons()[0]


def saved(tmp_path, notebook) -> object:
    path = tmp_path / f"{LESSON}.ipynb"
    nbformat.write(notebook, path)
    return path


@pytest.mark.parametrize("lesson", assignments())
def test_a_solved_lesson_passes_every_exercise_with_full_points(tmp_path, lesson):
    """Every lesson: each test cell counts for its exercise, and the solution gets every point."""
    path = tmp_path / f"{lesson}.ipynb"
    nbformat.write(solved_release(lesson), path)
    exercises = summarize(run_saved(path))
    source = nbformat.read(notebook_path(REPO, "source", lesson), as_version=4)
    assert [e.name for e in exercises] == list(exercise_cells(source))
    assert all(e.passed and e.points > 0 and not e.failures for e in exercises)
    assert sum(e.points for e in exercises) == sum(points_of_test_cells(source).values())
    assert "NOT passed" not in as_text(exercises)
    if lesson == QUIZ:  # answers recorded, not known to be right: no points that look like a score
        text = as_text(exercises)
        assert text.splitlines()[-1] == "40 of 40 answers recorded; graded after you submit"
        assert "passed" not in text and "Points" not in text and "1 / 1" not in text
        assert "Points" not in as_html(exercises) and "recorded" in as_html(exercises)


def test_a_mistake_shows_its_exercise_points_and_first_message_on_one_screen(tmp_path):
    wrong = (FIXTURES / LESSON / "perceptron_predict" / "wrong_greater_equal.py").read_text()
    path = saved(tmp_path, solved_release(LESSON, {"perceptron_predict": wrong}))
    done = subprocess.run(
        [sys.executable, "-m", "helpers.self_check", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    table = done.stdout
    first = next(line for line in table.splitlines() if line.startswith("1. perceptron_predict"))
    assert "NOT passed" in first
    words = " ".join(table.split())  # messages are wrapped to the width of a terminal
    assert "Did you use >= instead of >?" in words and "[mistake: greater-equal]" in words
    assert "Total (visible tests)" in table
    assert len(table) < 3000 and max(len(line) for line in table.splitlines()) <= 100


def test_the_untouched_release_scores_zero(tmp_path):
    untouched = nbformat.read(notebook_path(REPO, "release", LESSON), as_version=4)
    exercises = summarize(run_saved(saved(tmp_path, untouched)))
    assert all(e.earned == 0 and "NotImplementedError" in e.failures[0] for e in exercises)


def test_unsaved_work_is_noticed(tmp_path):
    path = saved(tmp_path, solved_release(LESSON))
    answers = solution_cells(nbformat.read(path, as_version=4))
    name, code = next(iter(answers.items()))
    assert unsaved_changes(path, ["import numpy as np", code]) == []
    edited = code.replace("return", "return  ")
    assert unsaved_changes(path, [code, edited]) == [name]
    assert unsaved_changes(path, [edited, code]) == []  # the last run is what counts


def test_a_crash_keeps_its_likely_cause_and_the_note_that_blames_an_earlier_exercise():
    from helpers.self_check import _first_message

    evalue = (
        "mlp_forward(...) raised ValueError: operands could not be broadcast together\n"
        "The test called it with X: float64 array of shape (2, 2), params: list of length 2.\n"
        "Two arrays in an element-wise operation have shapes that do not broadcast."
        " [mistake: broadcast-error]\n"
        "Note: dense_forward fails its own test cells above, and mlp_forward uses it: fix"
        " dense_forward first, then run this cell again."
    )
    message = _first_message([{"output_type": "error", "ename": "CheckFailed", "evalue": evalue}])
    assert message.startswith("mlp_forward(...) raised ValueError: operands")
    assert "The test called it with" not in message
    assert "[mistake: broadcast-error]" in message and "Note: dense_forward fails" in message
