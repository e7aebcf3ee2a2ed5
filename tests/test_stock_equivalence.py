"""Stock nbgrader gives a sample of the honest submissions exactly the course's grades.

The course grades with its own command (`make autograde`: sandboxed, in parallel, skipping
unchanged illustrations). Stock nbgrader runs every cell in a plain kernel, figures included.
For a sample (`stock_sample`: per lesson the solution, the untouched release, one fixture, and
every fixture marked "illustration case", where skipping illustrations could matter) stock
nbgrader must give the very scores that tests/cell_runner.py gives, cell by cell. The cell
runner's scores are in turn those of the course's command on a larger sample that contains this
one (tests/test_grading.py), so stock nbgrader and the course's command agree, without grading
the sample a third time.
"""

from __future__ import annotations

import nbformat
import pytest
from cell_runner import graded_cells, score_submissions
from nbgrader_course import Course, lessons, real_sample, source_notebook, stock_sample

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def stock_graded(tmp_path_factory):
    """A sample of the honest submissions graded by stock nbgrader, one lesson at a time."""
    course = Course.copy_of_repo(tmp_path_factory.mktemp("stock"), cell_timeout=15, stock=True)
    for student, lesson, notebook in stock_sample():
        course.submit(student, lesson, notebook)
    released = course.run("release")
    assert released.returncode == 0, released.stdout + released.stderr
    for lesson in lessons():
        done = course.nbgrader("autograde", lesson, "--force", timeout=1800)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return course


def test_the_sample_gets_exactly_the_stock_nbgrader_grade(stock_graded):
    sample = stock_sample()
    assert any(s[0] == "solved" for s in sample) and any(
        "plt." in nbformat.writes(s[2]) for s in sample
    )
    graded_for_real = {(student, lesson) for student, lesson, _ in real_sample()}
    assert {(student, lesson) for student, lesson, _ in sample} <= graded_for_real
    sources = {lesson: source_notebook(lesson) for lesson in lessons()}
    runner = score_submissions(
        {f"{s}|{lesson}": graded_cells(nb, sources[lesson]) for s, lesson, nb in sample}
    )
    for student, lesson, _ in sample:
        ours = {cell: scores[0] for cell, scores in runner[f"{student}|{lesson}"].items()}
        stock = stock_graded.cell_scores(student, lesson)
        assert ours == stock, f"{student}/{lesson}: course {ours} but stock nbgrader {stock}"
