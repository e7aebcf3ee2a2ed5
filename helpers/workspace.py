"""A student's own copies of the lessons, which no course command and no course update touches.

``release/`` is generated: ``make release``, ``make autograde`` and a ``git pull`` of a course
update all rewrite it. So a student works in ``my_work/<lesson>/``, a copy fetched from
``release/`` once (as nbgrader's Fetch does in a class), ignored by git and never overwritten:

    python -m helpers.workspace          # fetch every lesson not fetched yet (lab.sh runs it)

When a course update changes a lesson the student has already fetched, the copy is kept and the
command says so; the new version is in ``release/``. The course's instructor commands refuse to
regenerate a release notebook that holds a student's work (``student_work_in``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
from pathlib import Path

WORK_FOLDER = "my_work"
# Where the copies go instead (tests use it, so that they never write into the repository).
WORK_DIR_ENV = "NNFS_WORK_DIR"
# Written beside each fetched notebook: which release it came from.
FETCHED_FROM = ".fetched-from.json"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def student_work_in(notebook: Path) -> str | None:
    """Why ``notebook`` (a release notebook) holds a student's work, or None if it does not.

    A generated notebook has no outputs and every answer cell is still its stub: it raises
    NotImplementedError, or, for a quiz answer, sets its name to None (``q07_answer = None``).
    """
    try:
        content = json.loads(notebook.read_text())
    except (OSError, ValueError):
        return None  # missing or unreadable: nothing of a student's to keep
    for cell in content.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = "".join(cell.get("source", []))
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("outputs") or cell.get("execution_count"):
            return "cells have been run (the notebook holds outputs)"
        grade_id = meta.get("grade_id", "?")
        unanswered = "NotImplementedError" in source or source.rstrip().endswith(
            f"{grade_id}_answer = None"
        )
        if meta.get("solution") and not unanswered:
            return f"the exercise cell {grade_id} has been written in"
    return None


def fetch(course_root: Path, lessons: list[str] | None = None) -> list[str]:
    """Copy each lesson of release/ into my_work/ unless it is there; return what happened."""
    release = course_root / "release"
    work = Path(os.environ.get(WORK_DIR_ENV) or course_root / WORK_FOLDER)
    report = []
    for folder in sorted(p for p in release.iterdir() if p.is_dir()):
        lesson = folder.name
        notebook = folder / f"{lesson}.ipynb"
        if (lessons and lesson not in lessons) or not notebook.is_file():
            continue
        target = work / lesson
        copy = target / notebook.name
        if copy.exists():
            report.append(_compare(lesson, notebook, target, _shown(target, course_root)))
            continue
        shutil.copytree(folder, target, dirs_exist_ok=True, ignore=_ignored)
        (target / FETCHED_FROM).write_text(json.dumps({"release_sha256": _sha256(notebook)}))
        report.append(f"{lesson}: fetched into {_shown(target, course_root)}/")
    return report


def _ignored(folder: str, names: list[str]) -> list[str]:
    return [n for n in names if n == ".ipynb_checkpoints"]


def _shown(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _compare(lesson: str, notebook: Path, target: Path, shown: str) -> str:
    try:
        fetched = json.loads((target / FETCHED_FROM).read_text())["release_sha256"]
    except (OSError, ValueError, KeyError):
        fetched = None
    if fetched is None or fetched == _sha256(notebook):
        return f"{lesson}: your copy in {shown}/ is kept"
    return (
        f"{lesson}: the course has updated this lesson since you fetched it. Your copy in"
        f" {shown}/ is kept as it is; the new version is"
        f" release/{lesson}/{lesson}.ipynb (to start over from it, move your copy away and run"
        " this again)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.workspace",
        description=f"Fetch the lessons of release/ into {WORK_FOLDER}/, never overwriting.",
    )
    parser.add_argument("lessons", nargs="*", help="default: every lesson")
    parser.add_argument("--course", default=".", help="the course root (default: here)")
    args = parser.parse_args(argv)
    for line in fetch(Path(args.course).resolve(), args.lessons):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
