"""Which cells the autograder skips: every lesson's illustrations, and never one that matters.

`helpers.grading.illustrations` decides from the code alone. These tests pin its reading of
Python (what a cell binds and reads) and its decisions on the real lessons, with the changes a
student makes: a solution that reads a global, an extra cell that draws, an edited or moved
illustration, a magic, their own tags. End-to-end proof that skipping changes no score is in
test_grading.py (a sample per lesson graded by the course command and by plain nbgrader).
"""

from __future__ import annotations

import ast

import nbformat
import pytest
from nbgrader_course import (
    REPO,
    assignments,
    notebook_path,
    solution_cells,
    solved_release,
)

from helpers.grading.illustrations import TAG, analyse, cells_to_skip

LESSONS = assignments()


def source(lesson: str):
    return nbformat.read(notebook_path(REPO, "source", lesson), as_version=4)


def as_graded(lesson: str, replace: dict[str, str] | None = None, extra: list[str] = ()):
    """A solved submission as the grader executes it: test cells back from source/, plus
    ``extra`` code cells the student added at the end."""
    notebook = solved_release(lesson, replace)
    tests = {
        c.metadata.nbgrader.grade_id: c.source
        for c in source(lesson).cells
        if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata.nbgrader.get("solution")
    }
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in tests:
            cell.source = tests[grade_id]
    notebook.cells += [nbformat.v4.new_code_cell(code) for code in extra]
    return notebook


def tagged(notebook) -> list[int]:
    return [i for i, c in enumerate(notebook.cells) if TAG in c.metadata.get("tags", [])]


def skipped(lesson: str, notebook) -> list[int]:
    return sorted(cells_to_skip(notebook.cells, source(lesson).cells))


def names(values) -> list[str] | None:
    return None if values is None else sorted(values)


# --- reading the code ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "X += 1",  # reads X first
        "X[0] = 1.0",  # changes X in place: X must exist
        "X.flags.writeable = False",
        "del X",
        "if ready:\n    X = 1\nprint(X)",  # only one branch binds X
        "for _ in []:\n    X = 1\nprint(X)",  # the loop may not run
        "while False:\n    X = 1\nprint(X)",
        "try:\n    X = f()\nexcept Exception:\n    pass\nprint(X)",
        "with open('f') as f:\n    X = 1\nprint(X)",
        "match v:\n    case 1:\n        X = 1\nprint(X)",
    ],
)
def test_a_name_changed_or_bound_only_maybe_counts_as_read_from_outside(code):
    assert "X" in analyse(code).reads


def test_both_branches_of_an_if_bind_for_sure():
    assert "X" not in analyse("if a:\n    X = 1\nelse:\n    X = 2\nprint(X)").reads


# Drawing into pyplot's current figure changes nothing graded; math is pure; warning filters
# never reach grading (check_function records warnings under its own filters).
ALLOWED_RECEIVERS = {"plt", "math", "warnings", "os", "tempfile"}


def names_made_in(tree: ast.AST) -> set[str]:
    """Names bound inside the functions a cell defines: their parameters and locals."""
    made = set()
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.Lambda):
            made |= {a.arg for a in ast.walk(function.args) if isinstance(a, ast.arg)}
            body = function.body if isinstance(function.body, list) else [function.body]
            for statement in body:
                made |= {
                    n.id
                    for n in ast.walk(statement)
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
                }
    return made


def test_lesson_illustrations_change_no_object_they_did_not_create():
    """Skipping an illustration is safe only if it changes nothing a running cell could see."""
    problems = []
    for lesson in LESSONS:
        for cell in source(lesson).cells:
            if cell.cell_type != "code" or TAG not in cell.metadata.get("tags", []):
                continue
            tree = ast.parse(cell.source)
            own = (analyse(cell.source).binds or frozenset()) | names_made_in(tree)
            for node in ast.walk(tree):
                target = None
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    target = node.func.value  # a method call may change its object
                elif isinstance(node, (ast.Attribute, ast.Subscript)) and not isinstance(
                    node.ctx, ast.Load
                ):
                    target = node.value
                while isinstance(target, (ast.Attribute, ast.Subscript)):
                    target = target.value
                if isinstance(target, ast.Name) and target.id not in own | ALLOWED_RECEIVERS:
                    code = ast.unparse(node)
                    # np.random.default_rng(seed) makes a new generator: no global state
                    if target.id != "np" or ("random" in code and "default_rng(" not in code):
                        problems.append(f"{lesson}: {code[:60]}")
    assert not problems, f"illustrations that change objects made elsewhere: {problems}"


def test_a_function_reads_only_the_globals_it_uses():
    code = analyse(
        "def accuracy(y_true, y_pred):\n"
        "    matches = y_true == y_pred\n"
        "    return float(np.mean(matches))\n"
    )
    assert names(code.binds) == ["accuracy"]
    assert names(code.reads) == ["float", "np"]


def test_a_function_that_reads_a_notebook_variable_reads_it():
    code = analyse("def predict(X, w):\n    return (X @ w + b > 0).astype(int)\n")
    assert "b" in code.reads and "X" not in code.reads


def test_a_name_bound_before_it_is_read_in_the_same_cell_is_not_read_from_outside():
    code = analyse(
        "X = np.eye(2)\n"
        "for gate in gates:\n"
        "    y = labels[gate]\n"
        "    print(y, [x.sum() for x in X])\n"
    )
    assert names(code.reads) == ["gates", "labels", "np", "print"]
    assert names(code.binds) == ["X", "gate", "y"]


def test_a_function_reads_globals_when_it_runs_so_an_earlier_binding_does_not_count():
    code = analyse("w = 1\nscale = lambda v: v * w\n")
    assert "w" in code.reads  # a later cell may rebind w before scale runs


def test_changing_an_object_in_place_counts_as_binding_it():
    code = analyse("settings['lr'] = 0.1\nmodel.weights = None\n")
    assert names(code.binds) == ["model", "settings"]


def test_decorators_defaults_and_bases_are_read_at_once():
    code = analyse("@register(R)\ndef f(a=D):\n    return a\nclass A(Base):\n    k = K\n")
    assert names(code.reads) == ["Base", "D", "K", "R", "register"]


@pytest.mark.parametrize(
    "cell",
    [
        "%timeit perceptron_predict(X, w, b)",
        "!ls",
        "value = eval('X')",
        "print(globals()['X'])",
        "def f():\n    global counter\n    counter += 1\n",
        "def broken(:\n",
    ],
)
def test_code_that_cannot_be_read_reads_everything(cell):
    assert analyse(cell).reads is None


@pytest.mark.parametrize(
    "cell",
    [
        "(" * 100_000 + ")" * 100_000,
        "x = " + "a+" * 1_000 + "a",
        "x = " + "a+" * 50_000 + "a",
        "f = " + "lambda: " * 3_000 + "1",
        "x = " + "[" * 5_000 + "]" * 5_000,
    ],
    ids=["parentheses", "long-sum", "very-long-sum", "lambdas", "lists"],
)
def test_pathological_code_never_crashes_the_grader(cell):
    code = analyse(cell)  # must return, whatever Python's parser makes of it
    assert code.reads is None or code.reads <= {"a"}


def test_a_star_import_binds_unknown_names():
    assert analyse("from numpy import *").binds is None


# --- decisions on the real lessons --------------------------------------------------------


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_illustration_is_skipped_for_a_solved_notebook(lesson):
    """The tags work: no test cell, setup or solution needs what an illustration binds."""
    notebook = as_graded(lesson)
    assert tagged(notebook), f"{lesson} tags no cell {TAG!r}"
    assert skipped(lesson, notebook) == tagged(notebook)


@pytest.mark.parametrize("lesson", LESSONS)
def test_graded_and_solution_cells_are_never_skipped(lesson):
    for cell in source(lesson).cells:
        nbgrader = cell.metadata.get("nbgrader", {})
        if nbgrader.get("grade") or nbgrader.get("solution"):
            assert TAG not in cell.metadata.get("tags", []), nbgrader["grade_id"]


LESSON_1 = "01_perceptron"
needs_lesson_1 = pytest.mark.skipif(LESSON_1 not in LESSONS, reason="Lesson 1 is not in source/")


def figure_setup_index(notebook) -> int:
    return next(
        i
        for i, c in enumerate(notebook.cells)
        if c.metadata.get("nbgrader", {}).get("grade_id") == "setup_figures"
    )


@needs_lesson_1
def test_a_solution_that_draws_with_plt_makes_the_figure_setup_run():
    answer = solution_cells(source(LESSON_1))["train_perceptron"]
    drawing = answer + "\n    plt.plot(errors)\n"  # inside the function: runs when tests call it
    notebook = as_graded(LESSON_1, {"train_perceptron": drawing})
    assert figure_setup_index(notebook) not in skipped(LESSON_1, notebook)


@needs_lesson_1
def test_an_extra_cell_that_reads_an_illustrations_result_makes_it_and_its_inputs_run():
    notebook = as_graded(LESSON_1, extra=["print(two_layer_predict(X_xor))"])
    runs = set(tagged(notebook)) - set(skipped(LESSON_1, notebook))
    sources = "\n".join(notebook.cells[i].source for i in sorted(runs))
    assert "def two_layer_predict" in sources  # the cell that binds it
    assert "hand_picked = {" in sources and 'X_xor, y_xor = logic_gate("XOR")' in sources
    assert "import matplotlib.pyplot as plt" in sources  # they draw


@needs_lesson_1
def test_a_student_cell_with_a_magic_makes_everything_run():
    notebook = as_graded(LESSON_1, extra=["%timeit perceptron_predict(X, w, b)"])
    assert skipped(LESSON_1, notebook) == []


@needs_lesson_1
def test_an_edited_illustration_runs_and_a_students_own_tag_is_ignored():
    notebook = as_graded(LESSON_1, extra=["print('my own cell')"])
    first = tagged(notebook)[1]
    notebook.cells[first].source += "\nprint('I changed this')"
    notebook.cells[-1].metadata["tags"] = [TAG]
    decided = skipped(LESSON_1, notebook)
    assert first not in decided and len(notebook.cells) - 1 not in decided


@needs_lesson_1
def test_a_moved_illustration_is_still_recognised():
    notebook = as_graded(LESSON_1)
    index = tagged(notebook)[-1]
    notebook.cells.append(notebook.cells.pop(index))
    assert len(notebook.cells) - 1 in skipped(LESSON_1, notebook)
