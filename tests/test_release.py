"""release/ is exactly what nbgrader generates from source/, and gives nothing away."""

from __future__ import annotations

import filecmp
from pathlib import Path

import nbformat
import pytest
from nbgrader_course import (
    HIDDEN_BEGIN,
    REPO,
    SOLUTION_BEGIN,
    SOLUTION_END,
    assignments,
    notebook_path,
    region,
    solution_cells,
)

LESSONS = assignments()


def files_under(folder: Path) -> set[str]:
    return {
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and ".ipynb_checkpoints" not in p.parts
    }


@pytest.mark.slow
def test_release_equals_what_generation_produces_now(generated_course):
    """`generated_course` ran `release` in a copy of the course without release/."""
    committed, generated = REPO / "release", generated_course.root / "release"
    assert files_under(committed) == files_under(generated), (
        "release/ has different files from a fresh `make release`: run `make release` and commit"
    )
    different = [
        name
        for name in sorted(files_under(committed))
        if not filecmp.cmp(committed / name, generated / name, shallow=False)
    ]
    assert not different, f"release/ is stale for {different}: run `make release` and commit"


@pytest.mark.parametrize("lesson", LESSONS)
def test_release_contains_no_solution_and_no_hidden_test(lesson):
    source = nbformat.read(notebook_path(REPO, "source", lesson), as_version=4)
    released = nbformat.read(notebook_path(REPO, "release", lesson), as_version=4)
    text = nbformat.writes(released)
    for marker in (SOLUTION_BEGIN, SOLUTION_END, HIDDEN_BEGIN, "END HIDDEN TESTS"):
        assert marker not in text, f"release/{lesson} contains {marker!r}"

    released_solutions = solution_cells(released)
    for exercise, answer in solution_cells(source).items():
        assert exercise in released_solutions, f"solution cell {exercise} missing from release"
        student_cell = released_solutions[exercise]
        # nbgrader's stub, or, for a quiz answer (one value), the name set to None
        assert "raise NotImplementedError" in student_cell or student_cell.endswith(
            f"\n{exercise}_answer = None"
        ), f"release/{lesson} cell {exercise} is not a stub: {student_cell!r}"
        student_lines = {line.strip() for line in student_cell.splitlines()}
        leaked = [
            line
            for line in region(answer, SOLUTION_BEGIN, SOLUTION_END)
            if line.strip() and line.strip() in student_lines
        ]
        assert not leaked, f"release/{lesson} cell {exercise} shows solution lines {leaked}"
