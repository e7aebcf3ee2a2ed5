"""Feedback that never shows hidden tests: not their source, not their tracebacks, and not what a
student's code printed or raised while it could read them.

``nbgrader_config.py`` adds ``HideHiddenTests`` to ``GenerateFeedback.preprocessors``. While a test
cell runs, the student's code can read the running cell's source (IPython's input history,
``linecache``, frames), hidden tests included, and print it, encoded or not; a later cell can
print the whole history. So the feedback shows, of every code cell, only what the course wrote:

- a test cell: its source with the hidden region replaced by a notice, the "All tests passed"
  line of the checks, and, when it failed, one line: the check's message when the failure came
  from a visible check (with the student's own exception text left out), or a fixed sentence when
  it came from a hidden one or the message repeats hidden test source;
- any other code cell: no output at all, except the note that an illustration was skipped.

A quiz question's test cell also gets its explanation (why the right answer is right), read from
the ``explain(question, text)`` call in its hidden part: from the source, so student code can
neither forge nor hide it, and shown whether the answer was right or not.

The student's own notebook keeps every output; the feedback is for the grade.
"""

from __future__ import annotations

import ast
import re

from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests

from helpers.grading.illustrations import skipped_note
from helpers.quiz import RIGHT

HIDDEN_NOTICE = "# (Hidden tests ran here. They are not shown, so that they stay useful.)"
HIDDEN_FAILED = (
    "A hidden test failed. Hidden tests check what the visible ones leave out (other shapes,"
    " edge cases, random inputs): read the docstring again, sentence by sentence."
)
WRONG_ANSWER = "Not the right answer: the explanation below says why."
# The lines passed() and a quiz question's hidden check print: the only stream output of a test
# cell kept. (Not the quiz's "Answer recorded" line: above a wrong answer it would only confuse.)
PASSED_LINES = {"\N{WHITE HEAVY CHECK MARK} All tests passed.", RIGHT}
_STUDENT_ERROR = re.compile(r"^(\S+\(\.\.\.\) raised \w+):.*$", re.M)
_FAILING_LINE = (
    re.compile(r"The test stopped at line (\d+)"),
    re.compile(r"Cell In\[\d+\], line (\d+)"),
)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class HideHiddenTests(ClearHiddenTests):
    """Replace hidden test regions with a notice, and keep only the course's own output."""

    def preprocess(self, nb: NotebookNode, resources: dict):
        self._secret = {
            line.strip()
            for cell in nb.cells
            for line in self._hidden_rows(cell).values()
            if len(line.strip()) > 12
        }
        return super().preprocess(nb, resources)

    def _hidden_rows(self, cell: NotebookNode) -> dict[int, str]:
        if cell.cell_type != "code":
            return {}
        return hidden_rows(cell.source, self.begin_test_delimeter, self.end_test_delimeter)

    def _remove_hidden_test_region(self, cell: NotebookNode) -> bool:
        if cell.cell_type != "code" or self.begin_test_delimeter not in cell.source:
            return False
        kept, hidden = [], False
        for line in cell.source.splitlines():
            if self.begin_test_delimeter in line:
                hidden = True
                indent = line[: len(line) - len(line.lstrip())]
                kept.append(indent + HIDDEN_NOTICE)
            elif self.end_test_delimeter in line:
                hidden = False
            elif not hidden:
                kept.append(line)
        cell.source = "\n".join(kept)
        return True

    def preprocess_cell(self, cell: NotebookNode, resources: dict, cell_index: int):
        hidden_lines = set(self._hidden_rows(cell))
        explanation = _explanation(cell) if utils.is_grade(cell) else None
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if cell.cell_type != "code":
            return cell, resources
        if utils.is_grade(cell):
            hidden_failed = WRONG_ANSWER if explanation else HIDDEN_FAILED
            outputs = [self._test_output(o, hidden_lines, hidden_failed) for o in cell.outputs]
            if explanation:
                outputs.append(_markdown_output(f"**Why.** {explanation}"))
        else:
            outputs = [o for o in cell.outputs if _is_skipped_note(o)]
        cell.outputs = [o for o in outputs if o is not None]
        return cell, resources

    def _test_output(
        self, output: NotebookNode, hidden_rows: set[int], hidden_failed: str
    ) -> NotebookNode | None:
        kind = output.get("output_type")
        if kind == "stream":
            lines = [line for line in output.get("text", "").splitlines() if line in PASSED_LINES]
            return (
                NotebookNode(output_type="stream", name="stdout", text="\n".join(lines) + "\n")
                if lines
                else None
            )
        if kind != "error":
            return None  # what student code displayed
        failing = failing_line(output.get("traceback", []))
        message = without_student_text(output.get("evalue", ""))
        if failing is None or failing in hidden_rows or any(s in message for s in self._secret):
            message = hidden_failed
        ename = output.get("ename", "Error")
        return NotebookNode(
            output_type="error",
            ename=ename,
            evalue=message,
            traceback=[f"{ename}: {message}"],
        )


def _explanation(cell: NotebookNode) -> str | None:
    """The text of the ``explain(question, text)`` call in a test cell's source, if any."""
    if cell.cell_type != "code" or "explain(" not in cell.source:
        return None
    try:
        tree = ast.parse(cell.source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "explain"
            and len(node.args) == 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            return node.args[1].value
    return None


def _markdown_output(text: str) -> NotebookNode:
    return NotebookNode(
        output_type="display_data",
        data={"text/markdown": text, "text/plain": text},
        metadata={},
    )


def hidden_rows(
    source: str, begin: str = "BEGIN HIDDEN TESTS", end: str = "END HIDDEN TESTS"
) -> dict[int, str]:
    """Line number (from 1) -> line, for the lines of a test cell's hidden regions (nbgrader's
    default delimiters unless told)."""
    rows, hidden = {}, False
    for number, line in enumerate(source.splitlines(), start=1):
        if begin in line:
            hidden = True
        elif end in line:
            hidden = False
        elif hidden:
            rows[number] = line
    return rows


def without_student_text(
    message: str, instead: str = "its message is not shown in feedback"
) -> str:
    """A check's message without the text of the exception a student's code raised (which
    that code chose, and could fill with anything it read): ``(instead)`` in its place."""
    return _STUDENT_ERROR.sub(rf"\1: ({instead})", message)


def failing_line(traceback: list[str]) -> int | None:
    """The line of the test cell at which it failed, read from its traceback."""
    text = _ANSI.sub("", "\n".join(traceback))
    for pattern in _FAILING_LINE:
        found = pattern.search(text)
        if found:
            return int(found.group(1))
    return None


def _is_skipped_note(output: NotebookNode) -> bool:
    return output.get("data", {}).get("text/plain") == skipped_note()["data"]["text/plain"]
