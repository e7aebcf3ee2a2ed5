"""The grading itself, proven with real nbgrader runs through the instructor commands.

One temporary course is graded for real once per test session, with `make autograde`'s
command: for every lesson the solution, the untouched release and two submissions that answer
every exercise once wrong and once right with fixtures (`real_sample`), plus broken and hostile
submissions. Its scores must equal those of tests/cell_runner.py, which scores every fixture
(tests/test_fixtures.py), and stock nbgrader gives a part of the sample the same scores too
(tests/test_stock_equivalence.py). The tests read the gradebook, the command's report, the
graded notebooks and the feedback. A sample keeps the suite's time from growing with every
fixture graded twice.
"""

from __future__ import annotations

import ast
import collections
import csv
import html
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbgrader_course import (
    HIDDEN_BEGIN,
    HIDDEN_END,
    QUIZ,
    QUIZ_MISSED,
    QUIZ_PASS_MARK,
    REPO,
    Course,
    assignments,
    deleted_cells,
    fixture_student,
    fixtures,
    grade_id,
    is_test_cell,
    lessons,
    notebook_path,
    quiz_answers_missed,
    real_sample,
    region,
    runner_class,
    solution_cells,
    solved_release,
    source_notebook,
)
from nbgrader_course import (
    test_cells as points_of_test_cells,
)

from helpers.grading.report import AFTER, HIDDEN, UNNAMED, summarize
from helpers.grading.sandbox import WITHOUT_SANDBOX_VARIABLE

pytestmark = pytest.mark.slow

LESSONS = assignments()  # the lessons and the quiz
FIXTURE_FILES = [f for lesson in LESSONS for f in fixtures(lesson)]
BROKEN_LESSON = lessons()[0] if lessons() else None
# A correct submission that prints hidden tests while they run (the feedback must not show them).
LEAKY = "prints-hidden-tests"


class GradedClass:
    """A course copy with everything submitted, graded by `make autograde`'s command."""

    def __init__(self, folder, gradebook):
        self.course = Course.copy_of_repo(folder, cell_timeout=15, gradebook=gradebook)
        self.report = ""
        self.returncode: int | None = None

    def submit(self, student: str, lesson: str, notebook=None, raw: bytes | None = None) -> None:
        self.course.submit(student, lesson, notebook, raw)

    def grade(self) -> None:
        done = self.course.run("autograde", timeout=1800)
        self.report, self.returncode = done.stdout + done.stderr, done.returncode

    def cell_scores(self, student: str, lesson: str) -> dict[str, float]:
        return self.course.cell_scores(student, lesson)

    def total(self, student: str, lesson: str) -> tuple[float, float]:
        return self.course.total(student, lesson)


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory, generated_gradebook):
    """Submit the sample and broken work, then run `autograde` as with `make autograde`."""
    graded = GradedClass(tmp_path_factory.mktemp("class"), generated_gradebook)
    for student, lesson, notebook in real_sample():
        graded.submit(student, lesson, notebook)

    if BROKEN_LESSON:
        solved = solved_release(BROKEN_LESSON)
        text = nbformat.writes(solved).encode()
        graded.submit("broken-json", BROKEN_LESSON, raw=text[: len(text) // 2])
        graded.submit(
            "deleted-tests-solved",
            BROKEN_LESSON,
            raw=nbformat.writes(nbformat.from_dict(deleted_cells(solved, is_test_cell))).encode(),
        )
        untouched = nbformat.read(notebook_path(REPO, "release", BROKEN_LESSON), 4)
        graded.submit(
            "deleted-tests-untouched",
            BROKEN_LESSON,
            raw=nbformat.writes(
                nbformat.from_dict(deleted_cells(untouched, is_test_cell))
            ).encode(),
        )
        answers = solution_cells(source_notebook(BROKEN_LESSON))
        first_solution = next(iter(answers))
        graded.submit(
            "endless-loop",
            BROKEN_LESSON,
            solved_release(
                BROKEN_LESSON,
                replace={first_solution: answers[first_solution] + "\nwhile True:\n    pass\n"},
            ),
        )
        graded.submit(
            "kernel-crash",
            BROKEN_LESSON,
            solved_release(BROKEN_LESSON, replace={first_solution: "import os\nos._exit(1)\n"}),
        )
        # Correct answers that print what they can read while the test cells run: the running
        # cell's source (with its hidden tests) and, in a later cell, the whole input history.
        leaky = dict(answers)
        leaky[first_solution] = (
            "import functools\nimport sys\n\n" + answers[first_solution] + "\n"
            f"_original = {first_solution}\n\n\n"
            "@functools.wraps(_original)\n"
            f"def {first_solution}(*args):\n"
            "    print(get_ipython().user_ns['In'][-1])\n"
            "    print(get_ipython().user_ns['In'][-1], file=sys.stderr)\n"
            "    return _original(*args)\n"
        )
        second_solution = list(answers)[1]
        leaky[second_solution] = "print('\\n'.join(In))\n" + answers[second_solution]
        graded.submit(LEAKY, BROKEN_LESSON, solved_release(BROKEN_LESSON, replace=leaky))
        wrong_name = graded.course.root / "submitted" / "wrong-filename" / BROKEN_LESSON
        wrong_name.mkdir(parents=True)
        (wrong_name / "mywork.ipynb").write_text(nbformat.writes(solved))

    graded.grade()
    return graded


def test_the_cell_runner_scores_the_sample_as_the_grader_does(graded_class, sample_scores):
    """The fixtures' scores (tests/test_fixtures.py) are trustworthy: on the sample, cell for
    cell, the cell runner gives the scores `make autograde` records (and stock nbgrader's,
    tests/test_stock_equivalence.py)."""
    sample = real_sample()
    assert len(sample) > 2 * len(LESSONS)
    for student, lesson, _ in sample:
        real = graded_class.cell_scores(student, lesson)
        assert sample_scores[(student, lesson)] == real, f"{student}/{lesson}"


def test_there_is_a_lesson_to_grade():
    assert LESSONS, "no lesson notebooks found under source/NN_name/NN_name.ipynb"


@pytest.mark.parametrize("lesson", LESSONS)
def test_solution_scores_full_marks(graded_class, lesson):
    score, max_score = graded_class.total("solved", lesson)
    assert max_score > 0
    assert score == max_score, (graded_class.cell_scores("solved", lesson), graded_class.report)


@pytest.mark.parametrize("lesson", LESSONS)
def test_untouched_release_scores_zero(graded_class, lesson):
    scores = graded_class.cell_scores("untouched", lesson)
    assert scores and all(s == 0 for s in scores.values()), scores


def test_broken_submissions_get_a_clear_message_and_never_stop_the_others(graded_class):
    if not BROKEN_LESSON:
        pytest.skip("no lesson yet")
    out = graded_class.report
    assert graded_class.returncode == 1, (
        "autograde must exit non-zero when a submission needs attention"
    )
    assert "Verified: the gradebook matches" in out, out

    def line_of(student):
        return next(line for line in out.splitlines() if f" {student} " in line)

    assert "PROBLEM" in line_of("broken-json") and "not valid notebook JSON" in line_of(
        "broken-json"
    )
    assert "PROBLEM" in line_of("kernel-crash") and "kernel died" in line_of("kernel-crash")
    assert "PROBLEM" in line_of("wrong-filename") and "missing" in line_of("wrong-filename")
    for honest in ("solved", "untouched", "deleted-tests-solved", "endless-loop"):
        assert line_of(honest).lstrip().startswith("ok"), line_of(honest)

    # Deleted test cells come back, with their points: no free marks, no lost marks.
    score, max_score = graded_class.total("deleted-tests-solved", BROKEN_LESSON)
    assert score == max_score
    assert graded_class.total("deleted-tests-untouched", BROKEN_LESSON)[0] == 0
    # An endless loop is interrupted by the per-cell timeout; the correct work is still graded.
    score, max_score = graded_class.total("endless-loop", BROKEN_LESSON)
    assert score == max_score


def test_honest_submissions_are_graded_without_a_flag(graded_class):
    """Solutions, untouched releases and fixtures are reported "ok": none reaches into the
    grading machinery, so none is flagged for a look."""
    status = {}
    for line in graded_class.report.splitlines():
        words = line.split()
        if len(words) > 2 and words[0] in ("ok", "PROBLEM", "FLAGGED"):
            status[(words[1], words[2])] = line
    for student, lesson, _ in real_sample():
        assert status[(student, lesson)].lstrip().startswith("ok"), status[(student, lesson)]


def explanations(lesson: str) -> dict[str, str]:
    """Test cell -> the text of its ``explain(question, text)`` call (the quiz's): feedback
    shows it on purpose."""
    found = {}
    for cell in source_notebook(lesson).cells:
        for node in ast.walk(ast.parse(cell.source) if cell.cell_type == "code" else ast.Module()):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "explain":
                found[grade_id(cell)] = node.args[1].value
    return found


def _unquoted(line: str) -> str:
    """A line of an explanation's string literal, without the quotes that open or close it."""
    return line.strip().removeprefix('r"""').removesuffix('""",').removesuffix('""")')


def hidden_only_lines(lesson: str) -> set[str]:
    """Lines of hidden tests that appear nowhere else in the source notebook (the quiz's
    explanations left out: feedback shows them)."""
    cells = source_notebook(lesson).cells
    explained = {
        line.strip() for text in explanations(lesson).values() for line in text.splitlines()
    }
    hidden = {
        line.strip()
        for cell in cells
        for line in region(cell.source, HIDDEN_BEGIN, HIDDEN_END)
        if len(line.strip()) > 12 and not any(_unquoted(line) in e for e in explained)
    }
    elsewhere = {
        line.strip()
        for cell in cells
        for line in cell.source.replace(
            "\n".join(region(cell.source, HIDDEN_BEGIN, HIDDEN_END)), ""
        ).splitlines()
    }
    return hidden - elsewhere


@pytest.fixture(scope="session")
def class_feedback(graded_class) -> list[str]:
    """Feedback for the sample's untouched releases and mixed submissions (every exercise
    failing once and passing once: a hidden test's traceback shows only when it fails), the
    quiz's sheets and the leaky submission. Solutions and alternatives pass as the mixed
    submissions' right answers do: their feedback would cost about two seconds a notebook and
    prove nothing more. The students whose feedback was generated."""
    course = graded_class.course
    alternatives = {fixture_student(f) for f in FIXTURE_FILES if f.stem.startswith("alt_")}
    sample = {student for student, _, _ in real_sample()}
    students = sorted(sample - alternatives - {"solved"} | {LEAKY})
    done = course.run("feedback", *(f"--student={student}" for student in students))
    assert done.returncode == 0, done.stdout + done.stderr
    return students


def test_a_graded_notebook_feedback_cannot_read_fails_alone(graded_class, tmp_path):
    """nbgrader makes feedback for a whole run at once: a broken graded notebook sends the
    command to one run per student, where only its own student fails, by name."""
    course = Course(
        Path(
            shutil.copytree(
                graded_class.course.root,
                tmp_path / "course",
                ignore=shutil.ignore_patterns("feedback"),
            )
        )
    )
    broken = notebook_path(course.root / "autograded" / "untouched", "", BROKEN_LESSON)
    broken.write_text("{ this is not a notebook")
    done = course.run("feedback", BROKEN_LESSON, "--student=untouched", "--student=mixed-a")
    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        notebook_path(course.root / "feedback" / "mixed-a", "", BROKEN_LESSON)
        .with_suffix(".html")
        .is_file()
    )
    problem = [line for line in done.stdout.splitlines() if " untouched " in line]
    assert problem and problem[0].lstrip().startswith("PROBLEM"), done.stdout


def page_text(page) -> str:
    """The text of a feedback page, tags removed, whitespace made single spaces."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.read_text())).split())


def test_feedback_never_shows_hidden_tests(graded_class, class_feedback):
    course, students = graded_class.course, class_feedback
    checked = 0
    for lesson in LESSONS:
        secret = hidden_only_lines(lesson)
        assert secret, f"{lesson} has no hidden tests"
        for page in sorted((course.root / "feedback").glob(f"*/{lesson}/{lesson}.html")):
            text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))
            assert "BEGIN HIDDEN TESTS" not in text
            # A student's own code may contain a line that a hidden test has too
            own = notebook_path(course.root / "submitted" / page.parent.parent.name, "", lesson)
            theirs = {
                line.strip()
                for cell in (nbformat.read(own, as_version=4).cells if own.exists() else [])
                for line in cell.source.splitlines()
            }
            shown = (secret - theirs) & {line.strip() for line in text.splitlines()}
            assert not shown, f"{page} shows hidden test lines: {sorted(shown)[:3]}"
            checked += 1
    graded = [p for p in (course.root / "autograded").glob("*/*/*.ipynb")]
    wanted = sum(1 for p in graded if p.parent.parent.name in students)
    assert checked == wanted > 0, f"feedback for {checked} notebooks, {wanted} were asked for"
    assert len(list((course.root / "feedback").iterdir())) == len(students)
    # The leaky submission did print hidden tests into its graded notebook, and kept its points.
    leaked = nbformat.read(notebook_path(course.root / "autograded" / LEAKY, "", BROKEN_LESSON), 4)
    printed = {
        line.strip()
        for cell in leaked.cells
        for output in cell.get("outputs", [])
        for line in output.get("text", "").splitlines()
    }
    assert hidden_only_lines(BROKEN_LESSON) & printed, "the leaky submission printed no hidden test"
    score, max_score = graded_class.total(LEAKY, BROKEN_LESSON)
    assert score == max_score


def test_the_quiz_sheet_at_the_pass_mark_scores_exactly_the_pass_mark(graded_class):
    """Its wrong answers include every wrong format the fixtures hold: each scores 0."""
    score, max_score = graded_class.total("quiz-pass-mark", QUIZ)
    assert (score, max_score) == (QUIZ_PASS_MARK, 40)
    missed = {c for c, s in graded_class.cell_scores("quiz-pass-mark", QUIZ).items() if s == 0}
    assert missed == {f"test_{question}_answer" for question in QUIZ_MISSED}
    formats = {f.parent.name for f in fixtures(QUIZ) if f.stem.startswith("wrong_format_")}
    assert len(formats) >= 5 and formats <= set(QUIZ_MISSED)
    assert {f.stem.startswith("wrong_format_") for f in quiz_answers_missed().values()} == {
        True,
        False,
    }


def test_quiz_feedback_explains_every_question_right_or_wrong(graded_class, class_feedback):
    """Every question's explanation, whatever the answer; a wrong one is told so, without the
    hidden test's source; and the untouched quiz gets the explanations too."""
    course = graded_class.course
    wanted = explanations(QUIZ)
    assert len(wanted) == 40
    wrong_values = [f for f in quiz_answers_missed().values() if "format" not in f.stem]
    for student, wrong in (("quiz-pass-mark", len(wrong_values)), ("untouched", 0)):
        text = page_text(
            notebook_path(course.root / "feedback" / student, "", QUIZ).with_suffix(".html")
        )
        assert text.count("Why.") == 40, student
        for test_cell, explanation in wanted.items():
            words = max(re.findall(r"[A-Za-z][A-Za-z ,]{10,}", explanation), key=len).split()
            assert " ".join(words) in text, f"{student}: no explanation for {test_cell}"
        if wrong:
            assert text.count("Not the right answer: the explanation below says why.") == wrong
            assert text.count("\N{WHITE HEAVY CHECK MARK} Right.") == 40 - len(QUIZ_MISSED)
            # a wrong format is told what to write instead, as in the student's notebook
            assert "[mistake: answer-format]" in text and "[mistake: no-answer]" in text
        assert "grade_choice(q" not in text and "grade_number(q" not in text  # hidden calls
        # The "Answer recorded" line is left out of the outputs (above a wrong answer it would
        # only confuse): it shows only where the quiz's own text quotes it.
        quoted = sum(
            c.source.count("Answer recorded")
            for c in source_notebook(QUIZ).cells
            if c.cell_type == "markdown"
        )
        assert text.count("Answer recorded") == quoted


def test_grades_export_as_csv_with_the_roster_names(graded_class):
    """The grade sheet, with the names and emails of a roster imported as README.md says."""
    course = graded_class.course
    (course.root / "roster.csv").write_text(
        "id,first_name,last_name,email\nsolved,Ada,Lovelace,ada@example.org\n"
    )
    done = course.nbgrader("db", "student", "import", "roster.csv")
    assert done.returncode == 0, done.stdout + done.stderr
    done = course.run("export", "--to", "grades.csv")
    assert done.returncode == 0, done.stdout + done.stderr
    rows = list(csv.DictReader(open(course.root / "grades.csv")))
    by_student = {(r["student_id"], r["assignment"]): r for r in rows}
    for lesson in LESSONS:
        solved = by_student[("solved", lesson)]
        assert float(solved["score"]) == float(solved["max_score"]) > 0
        assert (solved["first_name"], solved["email"]) == ("Ada", "ada@example.org")
        assert float(by_student[("untouched", lesson)]["score"]) == 0


def test_grading_refuses_a_kernel_that_is_not_sandboxed(tmp_path, generated_gradebook, monkeypatch):
    """A misspelt option must not silently grade student code with the grader's rights; the
    refusal says what to do instead. The variable the --without-sandbox switch sets for its
    workers does not turn the sandbox off by itself."""
    monkeypatch.setenv(WITHOUT_SANDBOX_VARIABLE, "1")
    course = Course.copy_of_repo(tmp_path / "course", gradebook=generated_gradebook)
    config = course.root / "nbgrader_config.py"
    text = config.read_text()
    assert "c.Autograde.autograde_preprocessors" in text
    config.write_text(text.replace("c.Autograde.autograde_", "c.Autograde.autogarde_"))
    course.submit("someone", LESSONS[0], source_notebook(LESSONS[0]))
    done = course.run("autograde")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Refusing to grade: the autograding kernel is not sandboxed" in done.stdout
    assert "Grading where bubblewrap cannot run" in done.stdout
    assert "--without-sandbox" in done.stdout
    assert not (course.root / "autograded" / "someone" / LESSONS[0]).exists()


def test_without_the_sandbox_grades_and_says_what_it_gave_up(tmp_path, generated_gradebook):
    """Where bubblewrap cannot run, trusted work can be graded without it: the same grades, and
    the report and every log say plainly what was given up. It is given up for real: here a
    submission reads the instructor's source notebook, hidden tests and all."""
    lesson = LESSONS[0]
    course = Course.copy_of_repo(
        tmp_path / "course", cell_timeout=30, gradebook=generated_gradebook
    )
    answers = solution_cells(source_notebook(lesson))
    first = next(iter(answers))
    secret = notebook_path(course.root, "source", lesson)
    peek = f"print(open({str(secret)!r}).read().count({HIDDEN_BEGIN!r}), 'hidden test blocks')\n"
    course.submit("trusted", lesson, solved_release(lesson))
    course.submit("peeker", lesson, solved_release(lesson, {first: peek + answers[first]}))
    done = course.run("autograde", "--without-sandbox")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("GRADED WITHOUT THE SANDBOX") == 2, done.stdout  # first and last
    assert "could read the hidden tests in source/" in done.stdout
    for student in ("trusted", "peeker"):
        score, max_score = course.total(student, lesson)
        assert score == max_score > 0, student
        log = course.root / "autograded" / student / f"{lesson}.log"
        assert log.read_text().startswith("GRADED WITHOUT THE SANDBOX"), student
    graded = nbformat.read(notebook_path(course.root / "autograded" / "peeker", "", lesson), 4)
    printed = "".join(
        output.get("text", "") for cell in graded.cells for output in cell.get("outputs", [])
    )
    hidden = notebook_path(REPO, "source", lesson).read_text().count(HIDDEN_BEGIN)
    assert f"{hidden} hidden test blocks" in printed and hidden > 0


@pytest.fixture(scope="session")
def class_report(graded_class) -> list[dict[str, str]]:
    """`make report`'s command on the graded class: the rows of its CSV."""
    done = graded_class.course.run("report")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Report written" in done.stdout, done.stdout
    table = graded_class.course.root / "report" / "mistakes.csv"
    return list(csv.DictReader(open(table, encoding="utf-8")))


def _report_rows(rows, lesson: str, section: str) -> dict[str, dict[str, str]]:
    return {r["item"]: r for r in rows if r["lesson"] == lesson and r["section"] == section}


def _graded_students(graded_class, rows, lesson: str) -> list[str]:
    """The students whose work in ``lesson`` the report counts: those autograded, less those
    whose last grading failed."""
    not_graded = _report_rows(rows, lesson, "not graded")
    folder = graded_class.course.root / "autograded"
    return sorted(
        p.parent.name for p in folder.glob(f"*/{lesson}") if p.parent.name not in not_graded
    )


def test_the_class_report_reads_the_graded_notebooks_as_the_cell_runner_scores_them(
    graded_class, class_report, sample_results
):
    """What `make report` reads from the gradebook and the graded notebooks equals what the
    same submissions give scored by tests/cell_runner.py (whose report of every fixture
    tests/test_report.py checks): the same students under each mistake, and the same unnamed
    failures, of hidden tests and of visible checks, by test cell."""
    sample = real_sample()
    for lesson in LESSONS:
        students = {s for s, lesson_, _ in sample if lesson_ == lesson}
        expected = summarize(runner_class(sample_results, lesson, sorted(students)))
        for section, groups in (
            ("mistake", expected.mistakes),
            (AFTER, expected.knock_on),
            (HIDDEN, [g for g in expected.unnamed if g.kind == HIDDEN]),
            (UNNAMED, [g for g in expected.unnamed if g.kind == UNNAMED]),
        ):
            rows = _report_rows(class_report, lesson, section)
            got = {
                item: who
                for item, row in rows.items()
                if (who := set(row["names"].split(";")) & students)
            }
            assert got == {g.name: g.students for g in groups}, f"{lesson}, {section}"


def test_the_class_report_says_what_could_not_be_graded_and_counts_the_rest(
    graded_class, class_report
):
    """Scores and pass rates are the gradebook's; a submission that could not be graded is
    named with the grader's reason (and counted nowhere else); a student without a submission
    is named too; the page shows no hidden test."""
    course = graded_class.course
    for lesson in LESSONS:
        graded = _graded_students(graded_class, class_report, lesson)
        totals = [graded_class.total(s, lesson) for s in graded]
        bins = collections.Counter(min(int(score / best * 10 + 1e-9), 9) for score, best in totals)
        scores = list(_report_rows(class_report, lesson, "score").values())
        assert [int(r["students"]) for r in scores] == [bins[i] for i in range(10)], lesson
        assert {int(r["out_of"]) for r in scores} == {len(graded)}
        cells = {s: graded_class.cell_scores(s, lesson) for s in graded}
        for test_cell, points in points_of_test_cells(source_notebook(lesson)).items():
            failed = {s for s in graded if cells[s][test_cell] < points}
            row = _report_rows(class_report, lesson, "test cell")[test_cell]
            assert int(row["students"]) == len(failed), (lesson, test_cell)
            assert set(filter(None, row["names"].split(";"))) == failed, (lesson, test_cell)
        submitted = {p.parent.name for p in (course.root / "submitted").glob(f"*/{lesson}")}
        everyone = {p.name for p in (course.root / "submitted").iterdir()}
        absent = set(_report_rows(class_report, lesson, "no submission"))
        assert absent == everyone - submitted, lesson

    not_graded = _report_rows(class_report, BROKEN_LESSON, "not graded")
    assert set(not_graded) == {"broken-json", "kernel-crash", "wrong-filename"}
    assert "not valid notebook JSON" in not_graded["broken-json"]["detail"]
    assert "kernel died" in not_graded["kernel-crash"]["detail"]
    assert "missing" in not_graded["wrong-filename"]["detail"]
    counted = {
        s
        for r in class_report
        for s in r["names"].split(";")
        if r["section"] in ("mistake", AFTER, HIDDEN, UNNAMED, "test cell")
    }
    assert not counted & set(not_graded)

    page = (course.root / "report" / "mistakes.html").read_text()
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert "3 submissions could not be graded" in text and "kernel-crash" in text
    assert "BEGIN HIDDEN TESTS" not in page
    for lesson in LESSONS:
        shown = [line for line in hidden_only_lines(lesson) if line in text]
        assert not shown, f"the report shows hidden test lines of {lesson}: {shown[:3]}"
