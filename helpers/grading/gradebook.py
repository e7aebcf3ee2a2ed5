"""The real gradebook, written by the grading coordinator alone, and checked afterwards.

Workers grade in private course copies; here their graded notebooks are copied into the course's
``autograded/`` folder and their scores recorded with nbgrader's own ``SaveAutoGrades``, so the
numbers are exactly those a plain ``nbgrader autograde`` would record. ``verify`` recomputes every
score from the graded notebooks and compares it with the gradebook.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import nbformat
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades

from helpers.grading.course import Course


def _gradebook(course: Course) -> Gradebook:
    return Gradebook(f"sqlite:///{course.root / 'gradebook.db'}")


def create_students(course: Course, students: list[str]) -> None:
    """Every student exists in the gradebook before any worker starts."""
    with _gradebook(course) as gradebook:
        for student in students:
            gradebook.update_or_create_student(student)


def record_graded(course: Course, student: str, assignment: str, graded: Path) -> str:
    """Copy one graded submission into autograded/, record its scores and late penalty (as
    nbgrader's own autograde does, with the course's late-submission plugin); return its score.
    """
    target = course.autograded_dir / student / assignment
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(graded, target)
    timestamp_file = course.submitted_dir / student / assignment / "timestamp.txt"
    with _gradebook(course) as gradebook, warnings.catch_warnings():
        # nbgrader's update_or_create_submission trips SQLAlchemy autoflush warnings; harmless.
        warnings.simplefilter("ignore")
        if timestamp_file.is_file():
            gradebook.update_or_create_submission(
                assignment, student, timestamp=timestamp_file.read_text().strip()
            )
        else:
            gradebook.update_or_create_submission(assignment, student)
    config = course.config()
    for path in sorted(target.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        resources = {
            "nbgrader": {
                "notebook": path.stem,
                "assignment": assignment,
                "student": student,
                "db_url": f"sqlite:///{course.root / 'gradebook.db'}",
            }
        }
        SaveAutoGrades(config=config).preprocess(notebook, resources)
        AssignLatePenalties(config=config).preprocess(notebook, resources)
    score, max_score = course.score(student, assignment)
    return f"{score:g} / {max_score:g}"


def recomputed_scores(notebook_path: Path) -> dict[str, float | None]:
    """grade_id -> auto score, computed again from a graded notebook."""
    notebook = nbformat.read(notebook_path, as_version=4)
    return {
        cell.metadata.nbgrader["grade_id"]: utils.determine_grade(cell)[0]
        for cell in notebook.cells
        if utils.is_grade(cell)
    }


def verify(course: Course, graded: list[tuple[str, str]]) -> list[str]:
    """Every graded submission's scores, recomputed, must equal the gradebook's.

    Returns one line per problem (a missing row, a differing score), naming the student.
    """
    problems = []
    with _gradebook(course) as gradebook:
        for student, assignment in graded:
            folder = course.autograded_dir / student / assignment
            notebooks = sorted(folder.glob("*.ipynb"))
            if not notebooks:
                problems.append(f"{student}/{assignment}: no graded notebook in {folder}")
                continue
            for path in notebooks:
                try:
                    submitted = gradebook.find_submission_notebook(path.stem, assignment, student)
                except MissingEntry:
                    problems.append(f"{student}/{assignment}: no gradebook row for {path.name}")
                    continue
                recorded = {grade.name: grade.auto_score for grade in submitted.grades}
                for grade_id, score in recomputed_scores(path).items():
                    if grade_id not in recorded:
                        problems.append(
                            f"{student}/{assignment}: {grade_id} missing from gradebook"
                        )
                    elif recorded[grade_id] != score:
                        problems.append(
                            f"{student}/{assignment}: {grade_id} is {recorded[grade_id]} in the"
                            f" gradebook but {score} in the graded notebook"
                        )
    return problems
