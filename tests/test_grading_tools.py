"""The pieces of helpers.grading, without running nbgrader (tests/test_grading.py does that)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output
from nbgrader.preprocessors import Execute

from helpers.grading.cli import main
from helpers.grading.course import Course
from helpers.grading.feedback import HIDDEN_FAILED, HIDDEN_NOTICE, HideHiddenTests
from helpers.grading.sandbox import SandboxedExecute
from helpers.grading.submissions import problems_with_submission


def grade_cell(source: str, outputs=()) -> nbformat.NotebookNode:
    cell = new_code_cell(source, outputs=list(outputs))
    cell.metadata["nbgrader"] = {
        "grade": True,
        "solution": False,
        "locked": True,
        "points": 2,
        "grade_id": "test_x_values",
        "schema_version": 3,
        "task": False,
    }
    return cell


def test_feedback_removes_hidden_tests_and_their_tracebacks():
    error = new_output(
        "error",
        ename="AssertionError",
        evalue="wrong sign for negative inputs",
        traceback=["Traceback", "secret_reference = compute(...)", "AssertionError: wrong sign"],
    )
    notebook = new_notebook(
        cells=[
            grade_cell(
                "check(f(1))\n### BEGIN HIDDEN TESTS\nsecret_reference = 42\n### END HIDDEN TESTS\npassed()",
                [error],
            ),
            grade_cell("check(f(2))\npassed()", [new_output("stream", name="stdout", text="ok\n")]),
        ]
    )
    cleaned, _ = HideHiddenTests().preprocess(notebook, {})
    first, second = cleaned.cells
    assert first.source == f"check(f(1))\n{HIDDEN_NOTICE}\npassed()"
    # No line number in the traceback says where it failed: it may have been a hidden check.
    assert first.outputs[0].traceback == [f"AssertionError: {HIDDEN_FAILED}"]
    assert "secret_reference" not in nbformat.writes(cleaned)
    # Only the checks' own line survives in a test cell's printed output.
    assert second.source == "check(f(2))\npassed()" and second.outputs == []


def write(path, content):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)


def test_submission_problems_are_explained(tmp_path):
    release = tmp_path / "release" / "01_x"
    release.mkdir(parents=True)
    nbformat.write(new_notebook(), release / "01_x.ipynb")
    student = tmp_path / "submitted" / "ann" / "01_x"

    write(student / "01_x.ipynb", '{"cells": [')
    assert "not valid notebook JSON (line 1" in problems_with_submission(student, release)[0]
    write(student / "01_x.ipynb", json.dumps({"hello": 1}))
    assert "not a notebook" in problems_with_submission(student, release)[0]
    write(student / "01_x.ipynb", json.dumps({"cells": [], "nbformat": 3}))
    assert "format 3" in problems_with_submission(student, release)[0]
    (student / "01_x.ipynb").write_bytes(b"\xff\xfe\x00garbage")
    assert "not a text file" in problems_with_submission(student, release)[0]
    (student / "01_x.ipynb").unlink()
    assert problems_with_submission(student, release) == [
        "01_x.ipynb is missing from the submission"
    ]
    nbformat.write(new_notebook(), student / "01_x.ipynb")
    assert problems_with_submission(student, release) == []


def test_commands_refuse_to_run_outside_the_course(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--course", str(tmp_path), "autograde"])
    assert "no nbgrader_config.py" in str(stop.value)


def test_autograde_with_nothing_submitted_says_so(tmp_path, capsys):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    assert main(["--course", str(tmp_path), "autograde"]) == 1
    assert "No submissions found" in capsys.readouterr().out


def test_a_test_cell_belongs_to_the_longest_exercise_name_it_starts_with():
    from helpers.grading.course import exercise_of
    from helpers.grading.feedback_page import exercise_names

    exercises = ["train", "train_val_test_split", "relu"]
    assert exercise_of("test_train_val_test_split_shapes", exercises) == "train_val_test_split"
    assert exercise_of("test_train_history", exercises) == "train"
    assert exercise_of("test_relu_leaky_values", exercises) == "relu"
    assert exercise_of("test_softmax_values", exercises) is None
    assert exercise_names("test_train_val_test_split_shapes", exercises) == (
        "Exercise 2, train_val_test_split: shapes"
    )


def test_output_arriving_late_on_a_busy_machine_does_not_fail_a_notebook():
    """nbgrader raises if a cell's output comes more than ``iopub_timeout`` seconds after the
    kernel's reply, failing the whole notebook; its 4 s default failed a figure-drawing cell of
    stock grading while the test suite kept both cores busy. The course's graders wait longer."""
    config = Course.at(Path(__file__).resolve().parent.parent).config()
    for grader in (SandboxedExecute, Execute):
        preprocessor = grader(config=config)
        assert preprocessor.raise_on_iopub_timeout
        assert preprocessor.iopub_timeout >= 30, grader.__name__
