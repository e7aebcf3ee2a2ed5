"""The class report (`make report`, helpers/grading/report.py): what the class got wrong.

- A class of every fixture: each fixture is one student, the solution but for that answer, scored
  by tests/cell_runner.py (a wrong answer on its exercise's test cells). A wrong fixture's first
  line declares the mistakes its checks name (``[mistake: ...]`` and ``[also: ...]``): the report
  counts each mistake once per fixture that declares it, and nothing else.
- A class of 300 students graded in a real gradebook: reported in seconds, counted right.
- The page in Chromium, offline.

The report of the class that `make autograde` really grades (and its could-not-be-graded
submissions) is checked in tests/test_grading.py, beside that class.
"""

from __future__ import annotations

import collections
import csv
import json
import time
import warnings

import pytest
from browser_session import shot_name
from nbgrader_course import (
    REPO,
    Course,
    assignments,
    declared_mistakes,
    fixture_student,
    fixtures,
    lessons,
    notebook_path,
    runner_class,
    uses_unseeded_randomness,
)

from helpers.grading.course import Course as CourseFolder
from helpers.grading.report import (
    AFTER,
    HIDDEN,
    NAMED,
    UNNAMED,
    diagnose,
    read_class,
    score_histogram,
    summarize,
)
from helpers.grading.report_page import write_report

pytestmark = pytest.mark.slow

LESSONS = assignments()  # the lessons and the quiz


def fixture_class(fast_scores, lesson: str):
    """The lesson's class of every fixture (a student each), as the report reads it."""
    return runner_class(fast_scores, lesson, [fixture_student(f) for f in fixtures(lesson)])


@pytest.mark.parametrize("lesson", LESSONS)
def test_a_class_of_every_fixture_counts_each_mistake_once_per_fixture(fast_scores, lesson):
    summary = summarize(fixture_class(fast_scores, lesson))
    wrong = [f for f in fixtures(lesson) if f.stem.startswith("wrong_")]
    declared = {fixture_student(f): set(declared_mistakes(f)) for f in wrong}
    named = collections.defaultdict(set)  # student -> the mistakes the report counts them under
    for group in summary.mistakes:
        for student in group.students:
            named[student].add(group.name)
    # An answer that draws unseeded random numbers fails differently run to run: the mistakes
    # its first line declares must be named, and others may be too.
    random = {fixture_student(f) for f in wrong if uses_unseeded_randomness(f.read_text())}

    def agrees(student: str) -> bool:
        if student in random:
            return declared[student] <= named[student]
        return declared[student] == named[student]

    differ = [
        f"{f.relative_to(REPO)}: the report names {sorted(named[s])}, its first line declares"
        f" {sorted(declared[s])}"
        for f in wrong
        if not agrees(s := fixture_student(f))
    ]
    assert not differ, "\n".join(differ)
    fixtures_per_mistake = collections.Counter(
        m for student, names in declared.items() if student not in random for m in names
    )
    counts = {g.name: len(g.students - random) for g in summary.mistakes}
    assert {m: n for m, n in counts.items() if n} == fixtures_per_mistake
    counts = [len(g.students) for g in summary.mistakes]
    assert counts == sorted(counts, reverse=True), "not ranked by students"

    # A wrong answer no check names is counted by the test cells of its exercise that it failed.
    for fixture in wrong:
        student = fixture_student(fixture)
        cells = {g.name for g in summary.unnamed if student in g.students}
        if not declared[student]:
            assert cells, f"{fixture.relative_to(REPO)} is missing from the report"
            assert all(c.startswith(f"test_{fixture.parent.name}_") for c in cells), cells
    # A right answer is in no row; each test cell's pass rate counts the students who passed it.
    right = {fixture_student(f) for f in fixtures(lesson) if not f.stem.startswith("wrong_")}
    blamed = {s for g in summary.mistakes + summary.knock_on + summary.unnamed for s in g.students}
    assert not right & blamed, sorted(right & blamed)
    for cell, passed in summary.passed.items():
        ran = [fast_scores[(s, lesson)].get(cell) for s in declared.keys() | right]
        assert passed == sum(1 for r in ran if r and r[0] >= r[1]), cell


def test_the_quiz_counts_wrong_answers_by_question_in_hidden_tests(fast_scores):
    """A choice or a number is judged right or wrong by its question's hidden test: the count
    of failures in hidden tests of such a question is its wrong answers (not its wrong
    formats, told by a visible check)."""
    quiz = "quiz"
    if quiz not in LESSONS:
        pytest.skip("no quiz")
    summary = summarize(fixture_class(fast_scores, quiz))
    wrong_answers = collections.Counter(
        f"test_{f.parent.name}_answer"
        for f in fixtures(quiz)
        if "wrong-answer" in declared_mistakes(f)
    )
    assert len(wrong_answers) > 20
    assert {cell: summary.hidden_failures[cell] for cell in wrong_answers} == wrong_answers
    wrong_answer = next(g for g in summary.mistakes if g.name == "wrong-answer")
    assert wrong_answer.example == "", "a hidden test's message is shown"


def class_of(size: int, lesson: str, fast_scores, folder, gradebook) -> tuple[Course, dict]:
    """A course whose gradebook and autograded/ hold ``size`` graded submissions of ``lesson``:
    student k's are those of the lesson's k-th fixture (in turn; not one drawing unseeded random
    numbers) or the solution's, as tests/cell_runner.py scored them. Returns the course and each
    student's fixture student."""
    from nbgrader.api import Gradebook
    from sqlalchemy import text

    course = Course.copy_of_repo(folder, gradebook=gradebook)
    source = json.loads(notebook_path(REPO, "source", lesson).read_text())
    pool = [
        fixture_student(f) for f in fixtures(lesson) if not uses_unseeded_randomness(f.read_text())
    ] + ["solved"]
    chosen = {f"student{n:03d}": pool[n % len(pool)] for n in range(size)}
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as book, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbgrader's autoflush warnings
        book.db.execute(text("PRAGMA synchronous=OFF"))  # a test's scratch copy
        for student, taken in chosen.items():
            results = fast_scores[(taken, lesson)]
            graded = json.loads(json.dumps(source))
            for cell in graded["cells"]:
                grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
                if cell["cell_type"] == "code":
                    cell["outputs"] = results[grade_id][3] if grade_id in results else []
            target = course.root / "autograded" / student / lesson / f"{lesson}.ipynb"
            target.parent.mkdir(parents=True)
            target.write_text(json.dumps(graded))
            (course.root / "submitted" / student / lesson).mkdir(parents=True)
            book.add_student(student)
            submission = book.add_submission(lesson, student)
            for notebook in submission.notebooks:
                for grade in notebook.grades:  # a test cell the runner did not run kept its points
                    earned, possible, *_ = results.get(grade.name, (grade.max_score,) * 2)
                    grade.auto_score = earned
        book.db.commit()
    return course, chosen


def test_the_report_of_a_class_of_300_takes_seconds(tmp_path, generated_gradebook, fast_scores):
    """300 students of the biggest lesson, read from a real gradebook and graded notebooks:
    reported in seconds (about one here), every student counted under the mistakes of the
    answer they gave."""
    lesson = lessons()[-1]
    course, chosen = class_of(300, lesson, fast_scores, tmp_path / "course", generated_gradebook)
    folder = CourseFolder(course.root)
    started = time.monotonic()
    summaries = [summarize(results) for results in read_class(folder, [lesson])]
    page, table = write_report(summaries, course.root / "report", "a test class")
    elapsed = time.monotonic() - started
    print(f"report of 300 submissions: {elapsed:.2f} s")
    assert elapsed < 20, f"{elapsed:.1f} s for 300 submissions"  # about 1 s: minutes is a bug

    (summary,) = summaries
    assert len(summary.results.graded) == 300 and not summary.results.not_graded
    by_fixture = {fixture_student(f): declared_mistakes(f) for f in fixtures(lesson)}
    expected = collections.Counter(
        m for taken in chosen.values() for m in by_fixture.get(taken, [])
    )
    got = {g.name: len(g.students) for g in summary.mistakes}
    assert got == expected
    rows = list(csv.DictReader(open(table, encoding="utf-8")))
    scores = [r for r in rows if r["section"] == "score"]
    assert len(scores) == 10 and sum(int(r["students"]) for r in scores) == 300
    assert page.stat().st_size < 2_000_000


def test_the_report_page_reads_well_offline(browser, fast_scores, tmp_path):
    """The page of the fixture class, opened with the network cut: nothing fetched, a
    histogram per lesson with the right bars, the mistakes ranked, long lists folded."""
    summaries = [summarize(fixture_class(fast_scores, lesson)) for lesson in LESSONS]
    page_path, _ = write_report(summaries, tmp_path / "report", "the fixtures")
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, offline=True)
    requests, errors = [], []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(page_path.as_uri())
        page.wait_for_load_state("load")
        page.screenshot(path=shot_name("report", "top"))
        assert [url for url in requests if not url.startswith("file:")] == []
        assert errors == []
        assert page.locator("h1").inner_text() == "What the class got wrong"
        assert page.locator("svg.histogram").count() == len(LESSONS)
        first = summaries[0]
        bars = page.locator(f"section[id='{LESSONS[0]}'] svg.histogram rect.bin")
        assert bars.count() == 10
        heights = [float(bars.nth(i).get_attribute("height")) for i in range(10)]
        counts = [int(bars.nth(i).get_attribute("data-count")) for i in range(10)]
        assert sum(counts) == len(first.results.graded)
        tallest = max(range(10), key=lambda i: heights[i])
        assert counts[tallest] == max(counts) and bars.nth(tallest).bounding_box()["height"] > 50
        ranked = page.locator(f"section[id='{LESSONS[0]}'] table.mistakes tr").nth(1)
        cells = ranked.locator("td").all_inner_texts()
        assert cells[1] == first.mistakes[0].name and int(cells[2]) == len(
            first.mistakes[0].students
        )
        # A hidden test's message is never shown; its failures say "(not shown)".
        hidden = page.locator("table.unnamed td", has_text=HIDDEN)
        assert hidden.count() > 0
        wide = page.evaluate(
            "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
        )
        assert not wide, "the page runs off the side"
        page.locator(f"section[id='{LESSONS[-1]}'] h2").scroll_into_view_if_needed()
        page.screenshot(path=shot_name("report", "quiz"))
    finally:
        context.close()


# --- the pieces ---------------------------------------------------------------------------


def error_output(message: str, line: int) -> dict:
    """A failed check's output, as a kernel writes it (helpers.checks.CheckFailed's drawing)."""
    return {
        "output_type": "error",
        "ename": "CheckFailed",
        "evalue": message,
        "traceback": [f"\x1b[36mThe test stopped at line {line}:\x1b[0m check(...)", message],
    }


HIDDEN_LINES = frozenset({10, 11, 12})


@pytest.mark.parametrize(
    ("outputs", "kind", "mistake", "shown"),
    [
        (
            [error_output("z = 0 gives 0. [mistake: greater-equal]", 3)],
            NAMED,
            "greater-equal",
            True,
        ),
        # failed in a hidden test: its identifier counts, its message is never shown
        ([error_output("h(3) is 4. [mistake: greater-equal]", 11)], NAMED, "greater-equal", False),
        ([error_output("h(3) should be 4, got 5.", 11)], HIDDEN, None, False),
        ([error_output("f(x) should be 4, got 5.", 3)], UNNAMED, None, True),
        # a message repeating a hidden test's line (printed by student code) is not shown
        (
            [error_output("assert secret_value(7) == 49 [mistake: square]", 3)],
            NAMED,
            "square",
            False,
        ),
        # an identifier in the student's own exception text is not the check's
        (
            [error_output("f(...) raised ValueError: [mistake: greater-equal]", 3)],
            UNNAMED,
            None,
            True,
        ),
        # a failure its check says may only follow from an earlier function's is counted apart
        (
            [
                error_output(
                    "errors should be [1, 0], got [2, 0]. [mistake: errors-values]\nNote:"
                    " predict fails its own test cells above, and train uses it: fix predict"
                    " first, then run this cell again. [after: predict]",
                    3,
                )
            ],
            AFTER,
            "errors-values",
            True,
        ),
        ([{"output_type": "stream", "name": "stderr", "text": "warning"}], UNNAMED, None, True),
        ([], UNNAMED, None, True),
        # no line to read (an error IPython drew without one): hidden, the cell having some
        (
            [{"output_type": "error", "ename": "E", "evalue": "x", "traceback": []}],
            HIDDEN,
            None,
            False,
        ),
    ],
)
def test_a_failed_test_cell_is_read_by_the_identifier_its_check_printed(
    outputs, kind, mistake, shown
):
    failure = diagnose(outputs, HIDDEN_LINES, {"assert secret_value(7) == 49"})
    assert (failure.kind, failure.mistake, bool(failure.message)) == (kind, mistake, shown)
    assert "greater-equal]" not in failure.message or mistake == "greater-equal"


@pytest.mark.parametrize(
    ("score", "bin_"), [(0.0, 0), (0.05, 0), (0.1, 1), (0.3, 3), (0.7, 7), (0.99, 9), (1.0, 9)]
)
def test_scores_fall_in_tenths_with_full_marks_in_the_last(score, bin_):
    assert score_histogram([score]).index(1) == bin_


def test_the_report_command_says_what_is_missing(tmp_path, capsys):
    from helpers.grading.cli import main

    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    (tmp_path / "source" / "01_lesson").mkdir(parents=True)
    assert main(["--course", str(tmp_path), "report"]) == 1
    assert "No gradebook.db here yet" in capsys.readouterr().out
    (tmp_path / "gradebook.db").touch()
    assert main(["--course", str(tmp_path), "report", "02_nothing"]) == 1
    assert "No such lesson in source/: 02_nothing" in capsys.readouterr().out
    assert main(["--course", str(tmp_path), "report"]) == 1
    assert "Nothing submitted yet" in capsys.readouterr().out
    assert not (tmp_path / "report").exists()
