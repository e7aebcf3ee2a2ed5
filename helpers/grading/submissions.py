"""Checks on a submission before it is graded, so a broken one gets a clear message."""

from __future__ import annotations

import json
from pathlib import Path


def problems_with_submission(submitted: Path, released: Path) -> list[str]:
    """What stops this submission from being graded (empty when it can be graded).

    ``submitted``: submitted/<student>/<assignment>; ``released``: release/<assignment>.
    """
    expected = sorted(p.name for p in released.glob("*.ipynb"))
    problems = []
    for name in expected:
        notebook = submitted / name
        if not notebook.is_file():
            problems.append(f"{name} is missing from the submission")
            continue
        problem = _notebook_problem(notebook)
        if problem:
            problems.append(f"{name} {problem}")
    return problems


def _notebook_problem(path: Path) -> str | None:
    try:
        content = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        return "is not a text file (not a notebook)"
    except json.JSONDecodeError as error:
        return (
            f"is not valid notebook JSON (line {error.lineno}, column {error.colno}: {error.msg});"
            " it was probably edited outside Jupyter or cut short"
        )
    if not isinstance(content, dict) or not isinstance(content.get("cells"), list):
        return "is JSON but not a notebook (no list of cells)"
    if content.get("nbformat") != 4:
        return f"has notebook format {content.get('nbformat')!r}; version 4 was expected"
    return None
