"""The test cells of every lesson follow the grading conventions of CONTRIBUTING.md.

Read from the source notebooks, without running them: each test cell calls the student's code
through ``check_function`` (stderr becomes a note, errors are explained), and every hint that
names a mistake carries its stable identifier, so a class report can count students per mistake.
"""

from __future__ import annotations

import ast

import nbformat
import pytest
from nbgrader_course import QUIZ, REPO, assignments, notebook_path

LESSONS = assignments()  # the lessons and the quiz


def graded_test_cells(lesson: str) -> list[tuple[str, ast.Module]]:
    notebook = nbformat.read(notebook_path(REPO, "source", lesson), as_version=4)
    cells = []
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution") and cell.cell_type == "code":
            cells.append((meta["grade_id"], ast.parse(cell.source)))
    return cells


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_hint_carries_a_mistake_identifier(lesson):
    missing = []
    for grade_id, tree in graded_test_cells(lesson):
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                keywords = {k.arg for k in node.keywords}
                if "hint" in keywords and "mistake" not in keywords:
                    missing.append(f"{grade_id} line {node.lineno}")
    assert not missing, f"{lesson}: hints without mistake=...: {missing}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_test_cells_fail_through_the_checks_and_call_student_code_through_check_function(lesson):
    for grade_id, tree in graded_test_cells(lesson):
        raised = [
            node.lineno
            for node in ast.walk(tree)
            if isinstance(node, ast.Raise)
            and isinstance(node.exc, ast.Call)
            and getattr(node.exc.func, "id", None) == "AssertionError"
        ]
        assert not raised, (
            f"{lesson} {grade_id} raises AssertionError itself (lines {raised}):"
            " use fail(message, mistake=...) so the mistake carries its identifier"
        )
        called = {
            node.func.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        }
        # A quiz question that asks for a value checks its format instead.
        answer_checks = {"check_choice_format", "check_number_format"}
        assert "check_function" in called or called & answer_checks, (
            f"{lesson} {grade_id} never calls check_function(...): call the student's code"
            " through what it returns"
        )
        unsigned = [
            node.lineno
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and getattr(node.func, "id", None) == "check_function"
            and "signature" not in {k.arg for k in node.keywords}
        ]
        assert not unsigned, (
            f"{lesson} {grade_id} calls check_function without signature=... (lines {unsigned}):"
            " the exercise's parameter names, order and defaults are part of the course API"
        )


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_lesson_ends_with_a_check_my_work_button_the_grader_skips(lesson):
    notebook = nbformat.read(notebook_path(REPO, "source", lesson), as_version=4)
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in notebook.cells}
    cell = cells.get("check_my_work")
    assert cell is not None, f"{lesson}: no locked cell with grade_id check_my_work"
    assert cell.metadata["nbgrader"].get("locked") and "illustration" in cell.metadata.get(
        "tags", []
    )
    assert "if not grading_in_progress():" in cell.source
    assert f'check_my_work_button("{lesson}.ipynb")' in cell.source


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_lesson_and_the_study_plan_give_the_same_time(lesson):
    import re

    notebook = nbformat.read(notebook_path(REPO, "source", lesson), as_version=4)
    stated = re.search(r"\*\*Estimated time:\*\* about (\d+) hours?", notebook.cells[0].source)
    assert stated, f"{lesson}: the first cell states no 'Estimated time: about N hours'"
    plan = nbformat.read(REPO / "notebooks" / "00_getting_started.ipynb", as_version=4)
    number = "" if lesson == QUIZ else lesson.split("_")[0].lstrip("0")  # the quiz: "| | Quiz |"
    rows = [
        re.search(rf"^\| {number} ?\| [^|]+ \| ~(\d+) h \|", cell.source, re.M)
        for cell in plan.cells
    ]
    planned = next(row for row in rows if row)
    assert planned.group(1) == stated.group(1), (
        f"{lesson} says about {stated.group(1)} hours, the study plan ~{planned.group(1)} h"
    )
