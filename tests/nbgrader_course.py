"""A temporary copy of the course, graded with the real instructor commands.

Tests build submissions from the committed notebooks (solved, untouched, one exercise replaced
by a fixture, broken on purpose), put them under ``submitted/<student>/<lesson>/``, run
``python -m helpers.grading`` exactly as ``make autograde`` does, and read the gradebook.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"
# The line of nbgrader_config.py that makes autograding the course's (sandboxed, illustrations
# skipped); without it, nbgrader autogrades as it comes.
SANDBOX_LINE = "c.Autograde.autograde_preprocessors = sandboxed_autograde_preprocessors()"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
# A wrong fixture names the mistake its check should report: "# Wrong [mistake: greater-equal]: ..."
# and, after it, any other its exercise's checks name too: "[also: index-error, wrong-shape]".
DECLARED_MISTAKE = re.compile(r"^# Wrong \[mistake: ([a-z0-9-]+)\]")
_ALSO_NAMED = re.compile(r"^# Wrong \[mistake: [a-z0-9-]+\] \[also: ([a-z0-9, -]+)\]")


def declared_mistakes(fixture: Path) -> list[str]:
    """Every mistake a wrong fixture's exercise names for it (first line): the one it is about,
    then the others (``[also: ...]``); none for a fixture that declares none."""
    first = fixture.read_text().split("\n", 1)[0]
    declared = DECLARED_MISTAKE.match(first)
    if not declared:
        return []
    also = _ALSO_NAMED.match(first)
    return [declared.group(1)] + (also.group(1).split(", ") if also else [])


QUIZ = "quiz"


def assignments() -> list[str]:
    """Every graded assignment: a folder of source/ with a notebook named like the folder."""
    return sorted(p.parent.name for p in REPO.glob("source/*/*.ipynb") if p.stem == p.parent.name)


def lessons() -> list[str]:
    """The lessons, ``NN_name``, in order: every assignment but the quiz."""
    return [name for name in assignments() if re.match(r"\d\d_", name)]


def notebook_path(root: Path, kind: str, lesson: str) -> Path:
    return root / kind / lesson / f"{lesson}.ipynb"


def grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def solution_cells(notebook) -> dict[str, str]:
    """grade_id -> source of every solution cell."""
    return {
        grade_id(c): c.source
        for c in notebook.cells
        if c.get("metadata", {}).get("nbgrader", {}).get("solution")
    }


def exercise_cells(notebook) -> dict[str, str]:
    """grade_id -> source of every exercise's answer cell (lesson 7's cells of pasted parts
    left out)."""
    from helpers.grading.course import is_exercise

    return {k: v for k, v in solution_cells(notebook).items() if is_exercise(k)}


def is_test_cell(cell: dict) -> bool:
    """An autograded test cell (a graded cell that is not a solution), as JSON or a node."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution")


def test_cells(notebook) -> dict[str, float]:
    """grade_id -> points of every autograded test cell."""
    return {
        grade_id(c): float(c.metadata.nbgrader.get("points", 0))
        for c in notebook.cells
        if c.get("metadata", {}).get("nbgrader", {}).get("grade")
        and not c.metadata.nbgrader.get("solution")
    }


def exercise_test_cells(notebook, solution_id: str) -> dict[str, float]:
    """The test cells that belong to one exercise: grade_id ``test_<solution_id>_...`` (the
    longest matching exercise name wins, as in the grader's feedback and Check my work)."""
    from helpers.grading.course import exercise_of

    exercises = list(solution_cells(notebook))
    return {
        k: v for k, v in test_cells(notebook).items() if exercise_of(k, exercises) == solution_id
    }


def region(source: str, begin: str, end: str) -> list[str]:
    """The lines strictly between ``begin`` and ``end`` markers (all regions)."""
    lines, inside = [], False
    for line in source.splitlines():
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside:
            lines.append(line)
    return lines


def fixtures(lesson: str) -> list[Path]:
    return sorted((FIXTURES / lesson).glob("*/*.py"))


# A draw from NumPy's global generator, or a generator made without a seed.
_UNSEEDED_DRAW = re.compile(
    r"np\.random\.(?:rand|randn|randint|random|shuffle|permutation|choice|normal|uniform)\("
    r"|np\.random\.default_rng\(\)"
)


def uses_unseeded_randomness(code: str) -> bool:
    """Code drawing from NumPy's global generator unseeded (or from a generator made without a
    seed) scores differently run to run."""
    return bool(_UNSEEDED_DRAW.search(code)) and "np.random.seed(" not in code


def solved_release(lesson: str, replace: dict[str, str] | None = None):
    """The student notebook with every solution cell filled in from source/, as a student would.

    ``replace`` maps a solution grade_id to the code to put there instead.
    """
    source = nbformat.read(notebook_path(REPO, "source", lesson), as_version=4)
    released = nbformat.read(notebook_path(REPO, "release", lesson), as_version=4)
    answers = solution_cells(source) | (replace or {})
    for cell in released.cells:
        if grade_id(cell) in answers and cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = answers[grade_id(cell)]
    return released


@dataclass
class Course:
    root: Path

    @classmethod
    def copy_of_repo(
        cls,
        folder: Path,
        cell_timeout: int | None = None,
        stock: bool = False,
        gradebook: Path | None = None,
    ) -> Course:
        """Copy what an instructor has (config, source/, release/) into ``folder``.

        ``stock``: autograde as nbgrader comes, every cell in a plain kernel (the reference the
        course's grading must agree with); only for trusted submissions. ``gradebook``: a copy
        of it goes in (the ``generated_gradebook`` fixture's knows every assignment, as after
        `make release`).
        """
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "nbgrader_config.py", folder / "nbgrader_config.py")
        shutil.copytree(REPO / "source", folder / "source")
        shutil.copytree(REPO / "release", folder / "release")
        if gradebook is not None:
            shutil.copy(gradebook, folder / "gradebook.db")
        config = folder / "nbgrader_config.py"
        if stock:
            text = config.read_text()
            assert SANDBOX_LINE in text, "nbgrader_config.py no longer sets the course's autograde"
            config.write_text(text.replace(SANDBOX_LINE, ""))
        if cell_timeout is not None:
            with open(config, "a") as file:
                file.write(f"\nc.Execute.timeout = {cell_timeout}\n")
        return cls(folder)

    def run(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        """Run an instructor command: ``python -m helpers.grading ARGS`` in the course root."""
        return self._python_module("helpers.grading", args, timeout)

    def nbgrader(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        """Run plain nbgrader in the course root."""
        return self._python_module("nbgrader", args, timeout)

    def _python_module(self, module: str, args, timeout: float) -> subprocess.CompletedProcess:
        # nbgrader runs `alembic` from PATH: the one beside this Python, as the grade command does.
        path = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
        return subprocess.run(
            [sys.executable, "-m", module, *args],
            cwd=self.root,
            env={**os.environ, "PATH": path},
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def submit(self, student: str, lesson: str, notebook=None, raw: bytes | None = None) -> Path:
        """Place a submission; ``raw`` bytes are written as they are (for broken files)."""
        path = self.root / "submitted" / student / lesson / f"{lesson}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        if raw is not None:
            path.write_bytes(raw)
        else:
            nbformat.write(notebook, path)
        return path

    def cell_scores(self, student: str, lesson: str) -> dict[str, float]:
        """grade_id -> auto score of every test cell in the student's graded notebook."""
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}") as gradebook:
            submission = gradebook.find_submission_notebook(lesson, lesson, student)
            return {
                grade.name: float(grade.score)
                for grade in submission.grades
                if grade.cell_type == "code" and not grade.needs_manual_grade
            }

    def total(self, student: str, lesson: str) -> tuple[float, float]:
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}") as gradebook:
            submission = gradebook.find_submission(lesson, student)
            return float(submission.score), float(submission.max_score)


def deleted_cells(notebook, predicate) -> dict:
    """A copy of ``notebook`` (as JSON) without the cells for which ``predicate`` is true."""
    content = json.loads(nbformat.writes(notebook))
    content["cells"] = [c for c in content["cells"] if not predicate(c)]
    return content


# --- what the grading tests submit --------------------------------------------------------

# The mark of a fixture that touches what an illustration defines: stock nbgrader grades it too.
ILLUSTRATION_CASE = "illustration case"


def source_notebook(lesson: str):
    return nbformat.read(notebook_path(REPO, "source", lesson), as_version=4)


def fixture_student(fixture) -> str:
    lesson, exercise = fixture.parent.parent.name, fixture.parent.name
    return f"fx-{lesson[:2]}-{exercise}-{fixture.stem}"


def fixture_submission(fixture) -> tuple[str, str, nbformat.NotebookNode]:
    lesson, exercise = fixture.parent.parent.name, fixture.parent.name
    notebook = solved_release(lesson, replace={exercise: fixture.read_text()})
    return fixture_student(fixture), lesson, notebook


def baseline_submissions() -> list[tuple[str, str, nbformat.NotebookNode]]:
    """(student, lesson, notebook): per assignment the solution and the untouched release."""
    submissions = []
    for lesson in assignments():
        submissions.append(("solved", lesson, source_notebook(lesson)))
        untouched = nbformat.read(notebook_path(REPO, "release", lesson), 4)
        submissions.append(("untouched", lesson, untouched))
    return submissions


# The quiz's pass mark, and the questions the pass-mark sheet answers wrong: 8 of 40, among
# them every question with a wrong-format fixture (so each wrong format is graded for real), a
# wrong choice and a wrong function.
QUIZ_PASS_MARK = 32
QUIZ_MISSED = ("q01", "q02", "q03", "q04", "q05", "q08", "q12", "q24")


def quiz_answers_missed() -> dict[str, Path]:
    """Question -> the fixture the pass-mark sheet answers it with: its wrong format if it has
    one (``wrong_format_*``), else its first wrong answer."""
    chosen = {}
    for question in QUIZ_MISSED:
        wrong = [
            f for f in fixtures(QUIZ) if f.parent.name == question and f.stem.startswith("wrong_")
        ]
        formats = [f for f in wrong if f.stem.startswith("wrong_format_")]
        chosen[question] = (formats or wrong)[0]
    return chosen


def quiz_sheets() -> list[tuple[str, str, nbformat.NotebookNode]]:
    """The whole quiz submission ``quiz-pass-mark``: every answer right but those of
    ``QUIZ_MISSED`` (``quiz_answers_missed``), so it scores exactly the pass mark."""
    if QUIZ not in assignments():
        return []
    answers = {question: f.read_text() for question, f in quiz_answers_missed().items()}
    return [("quiz-pass-mark", QUIZ, solved_release(QUIZ, answers))]


def _illustration_cases(files) -> list:
    return [f for f in files if ILLUSTRATION_CASE in f.read_text().splitlines()[0]]


MIXED = ("mixed-a", "mixed-b")


def mixed_answers(lesson: str) -> dict[str, dict[str, Path]]:
    """Student -> {exercise: fixture}: the two mixed submissions of a lesson, which between
    them answer every exercise once wrong and once right. ``mixed-a`` gives the first, third ...
    exercise its first wrong answer and the others an alternative; ``mixed-b`` the other way
    round. The alternative is the exercise's "illustration case" when it has one (where skipping
    illustrations could matter), else its first ``alt_``."""
    exercises = [e for e in exercise_cells(source_notebook(lesson)) if fixtures_of(lesson, e)]
    answers: dict[str, dict[str, Path]] = {student: {} for student in MIXED}
    for index, exercise in enumerate(exercises):
        files = fixtures_of(lesson, exercise)
        wrong = [f for f in files if f.stem.startswith("wrong_")]
        right = _illustration_cases(files) + [f for f in files if f.stem.startswith("alt_")]
        wrong_in, right_in = MIXED if index % 2 == 0 else reversed(MIXED)
        if wrong and right:  # else the test of the fixtures' numbers fails
            answers[wrong_in][exercise], answers[right_in][exercise] = wrong[0], right[0]
    return answers


def fixtures_of(lesson: str, exercise: str) -> list[Path]:
    return sorted((FIXTURES / lesson / exercise).glob("*.py"))


def mixed_submissions(lesson: str) -> list[tuple[str, str, nbformat.NotebookNode]]:
    """(student, lesson, notebook) of ``mixed_answers``."""
    return [
        (student, lesson, solved_release(lesson, {e: f.read_text() for e, f in answers.items()}))
        for student, answers in mixed_answers(lesson).items()
    ]


def unmixed_illustration_cases(lesson: str) -> list[Path]:
    """The "illustration case" fixtures that no mixed submission holds (an exercise's second)."""
    mixed = {f for answers in mixed_answers(lesson).values() for f in answers.values()}
    return [f for f in _illustration_cases(fixtures(lesson)) if f not in mixed]


def honest_submissions() -> list[tuple[str, str, nbformat.NotebookNode]]:
    """The baseline submissions, every fixture and the quiz's sheets."""
    return (
        baseline_submissions()
        + [fixture_submission(fixture) for lesson in assignments() for fixture in fixtures(lesson)]
        + quiz_sheets()
    )


def real_sample() -> list[tuple[str, str, nbformat.NotebookNode]]:
    """The submissions `make autograde`'s command grades in the tests (each costs about two
    core-seconds): per lesson the solution, the untouched release and the two mixed submissions
    (``mixed_answers``: every exercise once wrong and once right, illustration cases among the
    right answers), plus any illustration case they leave out; for the quiz, whose 40 questions
    are one cell each, the solution, the untouched release and its pass-mark sheet.
    """
    extra = [f for lesson in lessons() for f in unmixed_illustration_cases(lesson)]
    return (
        baseline_submissions()
        + [s for lesson in lessons() for s in mixed_submissions(lesson)]
        + [fixture_submission(f) for f in extra]
        + quiz_sheets()
    )


def stock_sample() -> list[tuple[str, str, nbformat.NotebookNode]]:
    """The part of ``real_sample`` stock nbgrader grades too (it runs every cell, figures
    included: about a lesson's Run All time each): per lesson the untouched release, ``mixed-a``
    (the solution but for half the exercises answered wrong and half by an alternative), and
    ``mixed-b`` or an unmixed fixture where it holds an illustration case; the quiz's solution,
    untouched release and pass-mark sheet (no figures: quick).
    """
    chosen = [(s, lesson, nb) for s, lesson, nb in baseline_submissions() if s == "untouched"]
    chosen += [s for s in baseline_submissions() if s[0] == "solved" and s[1] not in lessons()]
    for lesson in lessons():
        cases = set(_illustration_cases(fixtures(lesson)))
        answers = mixed_answers(lesson)
        for student, lesson_, notebook in mixed_submissions(lesson):
            if student == MIXED[0] or cases & set(answers[student].values()):
                chosen.append((student, lesson_, notebook))
        chosen += [fixture_submission(f) for f in unmixed_illustration_cases(lesson)]
    return chosen + quiz_sheets()


def runner_class(results: dict, lesson: str, students: list[str]):
    """The class report's view of ``lesson`` (``helpers.grading.report.LessonResults``) for
    ``students``, from tests/cell_runner.py's ``results`` ((student, lesson) -> {test cell:
    [earned, possible, message, outputs]}) instead of a gradebook and graded notebooks. A
    student's results hold the test cells the runner ran (a wrong fixture: its exercise's)."""
    from helpers.grading.course import Course as CourseFolder
    from helpers.grading.report import LessonResults, graded_submission, lesson_layout

    exercises = CourseFolder(REPO).exercises(lesson)
    source = json.loads(notebook_path(REPO, "source", lesson).read_text())
    test_cells, secret = lesson_layout(source, exercises)
    graded = []
    for student in students:
        cells = results[(student, lesson)]
        scores = {cell: (result[0], result[1]) for cell, result in cells.items()}
        outputs = {cell: result[3] for cell, result in cells.items()}
        total = (sum(e for e, _ in scores.values()), sum(p for _, p in scores.values()))
        ran = [t for t in test_cells if t.grade_id in cells]
        graded.append(graded_submission(student, total, scores, outputs, ran, secret))
    return LessonResults(lesson, exercises, test_cells, graded)
