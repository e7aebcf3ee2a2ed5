"""Stock nbgrader gives a sample of the honest submissions exactly the course's grades.

The course grades with its own command (`make autograde`: sandboxed, in parallel, skipping
unchanged illustrations). Stock nbgrader runs every cell in a plain kernel, figures included.
For a sample (`stock_sample`: per lesson the untouched release and a solution with half its
exercises answered wrong and half by an alternative, and every fixture marked "illustration
case", where skipping illustrations could matter) stock nbgrader must give the very scores that
tests/cell_runner.py gives, cell by cell. Stock
nbgrader grades the assignments two at a time, in two copies of the course. The cell
runner's scores are in turn those of the course's command on a larger sample that contains this
one (tests/test_grading.py), so stock nbgrader and the course's command agree, without grading
the sample a third time.
"""

from __future__ import annotations

import queue
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from nbgrader_course import (
    ILLUSTRATION_CASE,
    MIXED,
    Course,
    assignments,
    fixtures,
    lessons,
    mixed_answers,
    real_sample,
    solved_release,
    stock_sample,
)

pytestmark = pytest.mark.slow


class StockGrades:
    """Where each assignment was graded: one of two course copies, side by side."""

    def __init__(self, graded_in: dict[str, Course]):
        self.graded_in = graded_in

    def cell_scores(self, student: str, lesson: str) -> dict[str, float]:
        return self.graded_in[lesson].cell_scores(student, lesson)


@pytest.fixture(scope="session")
def stock_graded(tmp_path_factory, generated_gradebook):
    """A sample of the honest submissions graded by stock nbgrader, one assignment at a time in
    each of two copies of the course (each has its own gradebook, so neither waits on the
    other's database); the longest lesson first, so the two finish together."""
    first = Course.copy_of_repo(
        tmp_path_factory.mktemp("stock"), cell_timeout=15, stock=True, gradebook=generated_gradebook
    )
    for student, lesson, notebook in stock_sample():
        first.submit(student, lesson, notebook)
    second = Course(Path(shutil.copytree(first.root, first.root.parent / "stock-copy")))
    free: queue.Queue[Course] = queue.Queue()
    for course in (first, second):
        free.put(course)

    def grade(lesson: str) -> tuple[str, Course]:
        course = free.get()
        try:
            done = course.nbgrader("autograde", lesson, "--force", timeout=1800)
            assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
            return lesson, course
        finally:
            free.put(course)

    order = sorted(lessons(), reverse=True) + [a for a in assignments() if a not in lessons()]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return StockGrades(dict(pool.map(grade, order)))


def test_the_sample_holds_every_lesson_and_every_illustration_case():
    sample = stock_sample()
    assert {lesson for student, lesson, _ in sample if student == MIXED[0]} == set(lessons())
    assert any("plt." in nbformat.writes(notebook) for _, _, notebook in sample)
    graded = {(student, lesson) for student, lesson, _ in sample}
    sources = {nbformat.writes(notebook) for _, _, notebook in sample}
    for lesson in lessons():
        for case in fixtures(lesson):
            if ILLUSTRATION_CASE not in case.read_text().splitlines()[0]:
                continue
            mixed_in = {
                s for s, answers in mixed_answers(lesson).items() if case in answers.values()
            }
            alone = solved_release(lesson, {case.parent.name: case.read_text()})
            assert {(s, lesson) for s in mixed_in} & graded or nbformat.writes(alone) in sources, (
                f"{case} is not in the stock sample"
            )


def test_the_sample_gets_exactly_the_stock_nbgrader_grade(stock_graded, sample_scores):
    sample = stock_sample()
    graded_for_real = {(student, lesson) for student, lesson, _ in real_sample()}
    assert {(student, lesson) for student, lesson, _ in sample} <= graded_for_real
    for student, lesson, _ in sample:
        ours = sample_scores[(student, lesson)]
        stock = stock_graded.cell_scores(student, lesson)
        assert ours == stock, f"{student}/{lesson}: course {ours} but stock nbgrader {stock}"
