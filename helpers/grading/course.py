"""The course folder as nbgrader lays it out: source/, release/, submitted/, autograded/, feedback/."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Lesson 7's cells where students paste their own parts of earlier lessons (``parts_lesson_3``):
# answer cells without points of their own, not exercises.
PARTS_PREFIX = "parts_"
# The last line of every grading log: what the grade command reported for that submission.
OUTCOME_MARK = "[course-grade] outcome: "
# A class's own nbgrader settings, beside nbgrader_config.py (which loads it last); not in git.
CLASS_CONFIG = "nbgrader_class_config.py"


def is_exercise(answer_cell: str) -> bool:
    """Whether an answer cell's grade_id names an exercise (not a cell of pasted parts)."""
    return not answer_cell.startswith(PARTS_PREFIX)


def exercise_of(test_cell: str, exercises) -> str | None:
    """The exercise a test cell belongs to: its grade_id is ``test_<exercise>_<what>``.

    The longest matching name wins, so ``test_train_val_test_split_shapes`` belongs to
    ``train_val_test_split``, not to ``train``. None when no exercise matches.
    """
    matching = [e for e in exercises if test_cell.startswith(f"test_{e}_")]
    return max(matching, key=len, default=None)


@dataclass(frozen=True)
class Course:
    root: Path

    @classmethod
    def at(cls, folder: str | Path) -> Course:
        root = Path(folder).resolve()
        if not (root / "nbgrader_config.py").is_file():
            raise SystemExit(
                f"{root} is not the course root: it has no nbgrader_config.py."
                " Run this from the repository's top folder (or pass --course)."
            )
        return cls(root)

    @property
    def source_dir(self) -> Path:
        return self.root / "source"

    @property
    def release_dir(self) -> Path:
        return self.root / "release"

    @property
    def submitted_dir(self) -> Path:
        return self.root / "submitted"

    @property
    def autograded_dir(self) -> Path:
        return self.root / "autograded"

    @property
    def feedback_dir(self) -> Path:
        return self.root / "feedback"

    def assignments(self) -> list[str]:
        """Every assignment in source/: a folder holding at least one notebook."""
        return sorted(
            folder.name
            for folder in self.source_dir.iterdir()
            if folder.is_dir() and any(folder.glob("*.ipynb"))
        )

    def exercises(self, assignment: str) -> list[str]:
        """The grade_ids of the assignment's exercises (answer cells), in notebook order."""
        notebook = self.source_dir / assignment / f"{assignment}.ipynb"
        if not notebook.is_file():
            return []
        cells = json.loads(notebook.read_text()).get("cells", [])
        return [
            meta["grade_id"]
            for cell in cells
            if (meta := cell.get("metadata", {}).get("nbgrader", {})).get("solution")
            and meta.get("grade_id")
            and is_exercise(meta["grade_id"])
        ]

    def submissions(self) -> Iterator[tuple[str, str]]:
        """(student, assignment) for every folder submitted/<student>/<assignment>/."""
        yield from _pairs(self.submitted_dir)

    def autograded(self) -> Iterator[tuple[str, str]]:
        yield from _pairs(self.autograded_dir)

    def log_path(self, student: str, assignment: str) -> Path:
        """Where the grading log of one submission is kept (outside nbgrader's own folders)."""
        return self.autograded_dir / student / f"{assignment}.log"

    def grading_outcome(self, student: str, assignment: str) -> str | None:
        """What the last autograde said of one submission (``OUTCOME_MARK`` in its log), or None
        when it has not been autograded."""
        log = self.log_path(student, assignment)
        if not log.is_file():
            return None
        lines = log.read_text(errors="replace").splitlines()
        return next(
            (
                line.removeprefix(OUTCOME_MARK)
                for line in reversed(lines)
                if line.startswith(OUTCOME_MARK)
            ),
            None,
        )

    def known_assignments(self) -> set[str]:
        """Assignments the gradebook has the source cells of (recorded by generate_assignment).

        An assignment added with ``nbgrader db assignment add`` (to set a due date) before it was
        generated has no notebooks yet, and is not known in this sense.
        """
        from nbgrader.api import Gradebook

        if not (self.root / "gradebook.db").is_file():
            return set()
        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}") as gradebook:
            return {a.name for a in gradebook.assignments if a.notebooks}

    def config(self):
        """The course's nbgrader configuration, as nbgrader itself loads it."""
        from traitlets.config.loader import PyFileConfigLoader

        config = PyFileConfigLoader("nbgrader_config.py", path=str(self.root)).load_config()
        config.CourseDirectory.root = str(self.root)
        return config

    def score(self, student: str, assignment: str) -> tuple[float, float]:
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}") as gradebook:
            submission = gradebook.find_submission(assignment, student)
            return float(submission.score), float(submission.max_score)


def _pairs(folder: Path) -> Iterator[tuple[str, str]]:
    if not folder.is_dir():
        return
    for student in sorted(p for p in folder.iterdir() if p.is_dir()):
        for assignment in sorted(p for p in student.iterdir() if p.is_dir()):
            yield student.name, assignment.name
