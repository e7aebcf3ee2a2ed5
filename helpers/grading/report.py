"""What the class got wrong: the report an instructor reads after ``make autograde``.

For every lesson it reads the gradebook (scores) and the graded notebooks (what each failed test
cell said), and counts:

- the score distribution;
- each test cell's pass rate;
- the mistakes the checks named, ranked by how many students made them, with the students;
- apart from them, the failures a check said may only follow from another function failing its
  own checks (``[after: perceptron_predict]``, ``helpers.checks.AFTER_TAG``): a wrong
  ``perceptron_predict`` fails ``train_perceptron``'s checks too, and is counted once;
- the failures no check named, by test cell: those of hidden tests, and those of visible checks
  that name no mistake (a plain ``assert``, an error, output on stderr);
- the submissions that could not be graded (with the grader's reason) and the students who
  submitted nothing.

A failed test cell is read by ``diagnose``. A check names a mistake with a stable identifier at
the end of its message (``[mistake: greater-equal]``, ``helpers.checks.MISTAKE_TAG``): rewording a
hint never changes the report, and no English is parsed. Of a failure at a line of the cell's hidden
tests only the identifier is shown, if it named one (never a message, never source); one that
named none counts for its test cell alone, and every test cell says how many students its hidden
tests failed. A student counts once for a mistake in a lesson however many test cells named it; a
wrong answer that trips two different checks counts under both.

``report_page`` writes the HTML page and the CSV.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from helpers.checks import AFTER_TAG, MISTAKE_TAG
from helpers.grading.course import Course, exercise_of
from helpers.grading.feedback import failing_line, hidden_rows, without_student_text

# What a failed test cell counts as.
NAMED, AFTER, HIDDEN, UNNAMED = "mistake", "follows from", "hidden test", "no named mistake"
_TAG = re.compile(re.escape(MISTAKE_TAG).replace(r"\{\}", r"([a-z0-9-]+)"))
_AFTER = re.compile(re.escape(AFTER_TAG).replace(r"\{\}", r"([A-Za-z_][A-Za-z0-9_]*)"))
# Shown messages are cut here (a check's message is far shorter; this bounds a strange one).
LONGEST_EXAMPLE = 1000
STDERR_FAILURE = "The test cell wrote to stderr (nbgrader gives such a cell 0)."
NO_OUTPUT_FAILURE = "The test cell lost its points without an error (it may not have run)."


@dataclass(frozen=True)
class Failure:
    """Why a test cell lost its points: ``kind`` is NAMED (``mistake`` is the identifier),
    AFTER (it may only follow from ``after``, earlier functions failing their own checks),
    HIDDEN (a hidden test failed without naming a mistake) or UNNAMED; ``in_hidden_tests`` says
    where it failed; ``message`` is what the student was told ("" when it must not be shown)."""

    kind: str
    mistake: str | None = None
    message: str = ""
    in_hidden_tests: bool = False
    after: tuple[str, ...] = ()


@dataclass(frozen=True)
class TestCell:
    grade_id: str
    exercise: str | None
    points: float
    hidden_rows: frozenset[int]  # the line numbers of its hidden tests


@dataclass(frozen=True)
class CellResult:
    earned: float
    possible: float
    failure: Failure | None  # None: it kept its points

    @property
    def passed(self) -> bool:
        return self.earned >= self.possible


@dataclass
class Graded:
    student: str
    score: float
    max_score: float
    cells: dict[str, CellResult]  # test cell -> result


@dataclass
class LessonResults:
    lesson: str
    exercises: list[str]  # in notebook order
    test_cells: list[TestCell]  # in notebook order
    graded: list[Graded] = field(default_factory=list)
    not_graded: dict[str, str] = field(default_factory=dict)  # student -> the grader's reason
    no_submission: list[str] = field(default_factory=list)

    def score_fractions(self) -> list[float]:
        """Each graded submission's score as a fraction of its maximum."""
        return [g.score / g.max_score if g.max_score else 0.0 for g in self.graded]


@dataclass
class Group:
    """Students behind one named mistake, behind one mistake named where another function's
    failure may be the cause (AFTER), or behind one test cell's unnamed failures."""

    kind: str
    # the mistake's identifier; a test cell's grade_id; for AFTER "<functions>: <mistake>"
    name: str
    students: set[str] = field(default_factory=set)
    test_cells: set[str] = field(default_factory=set)  # where it was seen
    example: str = ""
    after: str = ""  # AFTER: the failing functions ("perceptron_predict")
    mistake: str = ""  # AFTER: the mistake the checks named there, if any


@dataclass
class LessonSummary:
    results: LessonResults
    passed: dict[str, int]  # test cell -> students who kept its points
    hidden_failures: dict[str, int]  # test cell -> students it failed in its hidden tests
    mistakes: list[Group]  # ranked: most students first
    knock_on: list[Group]  # by failing functions and mistake named: most students first
    unnamed: list[Group]  # by test cell, in notebook order: hidden tests, then the others


# --- reading a failed test cell --------------------------------------------------------------


def diagnose(outputs: Iterable[dict], hidden: frozenset[int], secret: set[str]) -> Failure:
    """What a failed test cell's outputs say: the mistake its check named, else a failure of its
    hidden tests or of a visible check, without a name. ``hidden``: the cell's hidden line
    numbers; ``secret``: lines of hidden tests, never shown (a student's code can print them
    into a message). Nothing a hidden test said is shown, only the identifier it named."""
    outputs = list(outputs)
    error = next((o for o in outputs if o.get("output_type") == "error"), None)
    if error is None:
        wrote = any(o.get("output_type") == "stream" and o.get("name") == "stderr" for o in outputs)
        return Failure(UNNAMED, message=STDERR_FAILURE if wrote else NO_OUTPUT_FAILURE)
    line = failing_line(error.get("traceback", []))
    in_hidden = line in hidden if line is not None else bool(hidden)
    told = without_student_text(str(error.get("evalue", "")), "its message is left out")
    names, after = _TAG.findall(told), tuple(_AFTER.findall(told))
    shown = "" if in_hidden or any(s in told for s in secret) else _example(told)
    # the check's own identifier comes last (a student's text was taken out above)
    mistake = names[-1] if names else None
    if after:
        return Failure(AFTER, mistake, shown, in_hidden, after)
    if names:
        return Failure(NAMED, mistake, shown, in_hidden)
    return Failure(HIDDEN if in_hidden else UNNAMED, None, shown, in_hidden)


def _example(message: str) -> str:
    message = " ".join(message.split())  # one line
    return message if len(message) <= LONGEST_EXAMPLE else message[: LONGEST_EXAMPLE - 1] + "…"


# --- reading a graded class ------------------------------------------------------------------


def lesson_layout(notebook: dict, exercises: list[str]) -> tuple[list[TestCell], set[str]]:
    """The test cells of a lesson's source notebook (as JSON), and its secret lines: those of
    hidden tests long enough to be recognised in a message."""
    cells, secret = [], set()
    for cell in notebook.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("grade") or meta.get("solution") or cell.get("cell_type") != "code":
            continue
        rows = hidden_rows(_text(cell.get("source", "")))
        secret |= {line.strip() for line in rows.values() if len(line.strip()) > 12}
        cells.append(
            TestCell(
                meta["grade_id"],
                exercise_of(meta["grade_id"], exercises),
                float(meta.get("points", 0)),
                frozenset(rows),
            )
        )
    return cells, secret


def _text(source: str | list[str]) -> str:
    return source if isinstance(source, str) else "".join(source)


def read_class(course: Course, lessons: list[str] | None = None) -> list[LessonResults]:
    """The results of ``lessons``; by default of every assignment in source/ that someone
    submitted (a lesson not handed out yet would only list every student as absent)."""
    from nbgrader.api import Gradebook

    chosen = lessons or course.assignments()
    submitted = {}
    for student, lesson in course.submissions():
        submitted.setdefault(lesson, set()).add(student)
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gradebook:
        students = {s.id for s in gradebook.students}
        everyone = students | {s for group in submitted.values() for s in group}
        results = [
            _read_lesson(course, gradebook, lesson, submitted.get(lesson, set()), everyone)
            for lesson in chosen
        ]
    return results if lessons else [r for r in results if r.graded or r.not_graded]


def _read_lesson(course, gradebook, lesson, submitted, everyone) -> LessonResults:
    source = course.source_dir / lesson / f"{lesson}.ipynb"
    exercises = course.exercises(lesson)
    test_cells, secret = lesson_layout(json.loads(source.read_text()), exercises)
    results = LessonResults(lesson, exercises, test_cells)
    totals, scores = _recorded_scores(gradebook, lesson)
    for student in sorted(submitted | set(totals)):
        outcome = course.grading_outcome(student, lesson)
        graded = course.autograded_dir / student / lesson / f"{lesson}.ipynb"
        if outcome is not None and outcome.startswith("not graded"):
            results.not_graded[student] = outcome.removeprefix("not graded: ")
        elif student not in totals or not graded.is_file():
            results.not_graded[student] = (
                "not autograded yet: run make autograde"
                if student in submitted
                else "in the gradebook but its graded notebook is missing from autograded/"
            )
        else:
            results.graded.append(
                graded_submission(
                    student,
                    totals[student],
                    scores.get(student, {}),
                    _test_cell_outputs(graded),
                    test_cells,
                    secret,
                )
            )
    results.no_submission = sorted(everyone - submitted - set(totals))
    return results


def _recorded_scores(gradebook, lesson: str):
    """From the gradebook, in two queries: student -> (score, max score) of their submission,
    and student -> {test cell: (score, max score)}."""
    from nbgrader.api import Assignment, Grade, GradeCell, SubmittedAssignment, SubmittedNotebook

    session = gradebook.db
    totals = {
        student: (float(score or 0), float(max_score or 0))
        for student, score, max_score in session.query(
            SubmittedAssignment.student_id, SubmittedAssignment.score, SubmittedAssignment.max_score
        )
        .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
        .filter(Assignment.name == lesson)
    }
    scores: dict[str, dict[str, tuple[float, float]]] = {}
    for student, name, score, max_score in (
        session.query(
            SubmittedAssignment.student_id, GradeCell.name, Grade.score, GradeCell.max_score
        )
        .join(SubmittedNotebook, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
        .join(Grade, Grade.notebook_id == SubmittedNotebook.id)
        .join(GradeCell, Grade.cell_id == GradeCell.id)
        .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
        .filter(Assignment.name == lesson)
    ):
        scores.setdefault(student, {})[name] = (float(score or 0), float(max_score or 0))
    return totals, scores


def _test_cell_outputs(notebook: Path) -> dict[str, list[dict]]:
    """grade_id -> outputs of every graded cell of a graded notebook (read as plain JSON:
    nbformat's validation would cost more than the rest of the report)."""
    outputs = {}
    for cell in json.loads(notebook.read_text()).get("cells", []):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id:
            outputs[grade_id] = cell.get("outputs", [])
    return outputs


def graded_submission(
    student: str,
    total: tuple[float, float],
    scores: dict[str, tuple[float, float]],
    outputs: dict[str, list[dict]],
    test_cells: list[TestCell],
    secret: set[str],
) -> Graded:
    """One graded submission: its total, and each test cell's score and, when it lost points,
    its ``diagnose``. A test cell missing from ``scores`` lost all its points."""
    cells = {}
    for test in test_cells:
        earned, possible = scores.get(test.grade_id, (0.0, test.points))
        failure = None
        if earned < possible:
            failure = diagnose(outputs.get(test.grade_id, []), test.hidden_rows, secret)
        cells[test.grade_id] = CellResult(earned, possible, failure)
    return Graded(student, total[0], total[1], cells)


# --- counting -----------------------------------------------------------------------------


def summarize(results: LessonResults) -> LessonSummary:
    passed = {t.grade_id: 0 for t in results.test_cells}
    hidden_failures = {t.grade_id: 0 for t in results.test_cells}
    named: dict[str, Group] = {}
    knock_on: dict[str, Group] = {}
    unnamed: dict[tuple[str, str], Group] = {}
    for graded in results.graded:
        for grade_id, result in graded.cells.items():
            if result.passed:
                passed[grade_id] = passed.get(grade_id, 0) + 1
                continue
            failure = result.failure or Failure(UNNAMED, message=NO_OUTPUT_FAILURE)
            if failure.in_hidden_tests:
                hidden_failures[grade_id] = hidden_failures.get(grade_id, 0) + 1
            if failure.kind == NAMED:
                group = named.setdefault(failure.mistake, Group(NAMED, failure.mistake))
            elif failure.kind == AFTER:
                after, mistake = " and ".join(failure.after), failure.mistake or ""
                name = f"{after}: {mistake}" if mistake else after
                group = knock_on.setdefault(name, Group(AFTER, name, after=after, mistake=mistake))
            else:
                key = (failure.kind, grade_id)
                group = unnamed.setdefault(key, Group(failure.kind, grade_id))
            group.students.add(graded.student)
            group.test_cells.add(grade_id)
            group.example = group.example or failure.message
    order = {t.grade_id: n for n, t in enumerate(results.test_cells)}
    return LessonSummary(
        results,
        passed,
        hidden_failures,
        sorted(named.values(), key=lambda g: (-len(g.students), g.name)),
        sorted(knock_on.values(), key=lambda g: (-len(g.students), g.name)),
        sorted(unnamed.values(), key=lambda g: (g.kind != HIDDEN, order.get(g.name, len(order)))),
    )


def score_histogram(scores: list[float], bins: int = 10) -> list[int]:
    """How many scores (fractions of the maximum, 0 to 1) fall in each of ``bins`` equal
    ranges; full marks count in the last."""
    counts = [0] * bins
    for score in scores:
        counts[min(int(round(max(score, 0.0) * bins, 9)), bins - 1)] += 1
    return counts
