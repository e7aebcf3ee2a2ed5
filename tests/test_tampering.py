"""What the grader names for manual review: code that reaches into the grading machinery."""

from __future__ import annotations

import nbformat
import pytest
from nbgrader_course import (
    FIXTURES,
    QUIZ,
    REPO,
    assignments,
    lessons,
    notebook_path,
    solution_cells,
    solved_release,
)

from helpers.grading.tampering import reasons_in_code, reasons_in_submission


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("check_equal.__code__ = (lambda *a: None).__code__", ".__code__"),
        ("import sys\nframe = sys._getframe(1)", "._getframe"),
        ("print(In[-1])", "input history"),
        ("source = get_ipython().user_ns", "shell"),
        ("import helpers.checks as c", "helpers.checks"),
        ("from helpers import checks", "helpers.checks"),
        ("import inspect", "imports inspect"),
        ("exec('x = 1')", "exec()"),
        ("len = lambda value: 25", "rebinds len"),
        ("def passed(*args):\n    pass", "defines passed"),
        ("import numpy as check_equal", "rebinds check_equal"),
        ("np.allclose = lambda *a, **k: True", "changes the module np"),
        ("class Liar(np.ndarray):\n    pass", "subclasses a NumPy array"),
    ],
)
def test_reaching_into_the_grading_machinery_is_named(code, reason):
    found = reasons_in_code(code)
    assert any(reason in r for r in found), found


def test_honest_code_is_not_flagged():
    honest = [
        "def train(X, y):\n    sum = 0\n    for x in X:\n        sum += x\n    return sum",
        "import numpy as np\nfrom tqdm import tqdm\nimport warnings",
        "w += 0.0\nprint(len(X))",
    ]
    for code in honest:
        assert reasons_in_code(code) == [], code


@pytest.mark.parametrize("lesson", [*lessons()[:1], QUIZ])
def test_a_name_is_protected_only_where_the_test_cells_import_it(tmp_path, lesson):
    """The quiz's checks use ``right``; in a lesson it is an honest variable name."""
    notebook = solved_release(lesson)
    answer = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("solution"))
    answer.source += "\nleft, right = 0, 1\n"
    folder = tmp_path / lesson
    folder.mkdir()
    nbformat.write(notebook, notebook_path(tmp_path, "", lesson))
    found = reasons_in_submission(folder, REPO / "release" / lesson)
    assert any("rebinds right" in reason for reason in found) == (lesson == QUIZ), found
    assert all("rebinds right" in reason for reason in found), found


@pytest.mark.parametrize("lesson", assignments())
def test_no_solution_and_no_fixture_is_flagged(lesson):
    answers = solution_cells(nbformat.read(notebook_path(REPO, "source", lesson), as_version=4))
    for name, code in answers.items():
        assert reasons_in_code(code) == [], name
    for fixture in sorted((FIXTURES / lesson).glob("*/*.py")):
        assert reasons_in_code(fixture.read_text()) == [], fixture.name
