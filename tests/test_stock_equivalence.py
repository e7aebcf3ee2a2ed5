"""Stock nbgrader gives a sample of the honest submissions exactly the course's grades.

The course grades with its own command (`make autograde`: sandboxed, in parallel, skipping
unchanged illustrations). Stock nbgrader runs every cell in a plain kernel, figures included.
For a sample (`stock_sample`: per lesson the solution, the untouched release, a wrong and an
alternative answer, and every fixture marked "illustration case", where skipping illustrations
could matter) both must give the very same scores, cell by cell. The sample is graded both ways
here, apart from tests/test_grading.py, so that the gradings run on different test workers.
"""

from __future__ import annotations

import nbformat
import pytest
from nbgrader_course import Course, lessons, stock_sample

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def course_graded(tmp_path_factory):
    """The sample graded by the course's command."""
    course = Course.copy_of_repo(tmp_path_factory.mktemp("sample"), cell_timeout=15)
    for student, lesson, notebook in stock_sample():
        course.submit(student, lesson, notebook)
    done = course.run("autograde", timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    return course


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


def test_the_sample_gets_exactly_the_stock_nbgrader_grade(course_graded, stock_graded):
    sample = stock_sample()
    assert any(s[0] == "solved" for s in sample) and any(
        "plt." in nbformat.writes(s[2]) for s in sample
    )
    for student, lesson, _ in sample:
        ours = course_graded.cell_scores(student, lesson)
        stock = stock_graded.cell_scores(student, lesson)
        assert ours == stock, f"{student}/{lesson}: course {ours} but stock nbgrader {stock}"
