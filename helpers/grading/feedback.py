"""Feedback that never shows hidden tests: neither their source nor their tracebacks.

``nbgrader_config.py`` adds ``HideHiddenTests`` to ``GenerateFeedback.preprocessors``. A student
reading the feedback sees which test cells failed and the message of the failure, which our test
cells write to teach, but not the hidden checks themselves.
"""

from __future__ import annotations

from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests

HIDDEN_NOTICE = "# (Hidden tests ran here. They are not shown, so that they stay useful.)"


class HideHiddenTests(ClearHiddenTests):
    """Remove hidden test regions and reduce the errors they raised to one line each."""

    def preprocess_cell(self, cell: NotebookNode, resources: dict, cell_index: int):
        had_hidden_tests = cell.cell_type == "code" and self.begin_test_delimeter in cell.source
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if not had_hidden_tests:
            return cell, resources
        cell.source = cell.source.rstrip("\n") + "\n" + HIDDEN_NOTICE
        if utils.is_grade(cell):
            cell.outputs = [_without_traceback(output) for output in cell.outputs]
        return cell, resources


def _without_traceback(output: NotebookNode) -> NotebookNode:
    if output.get("output_type") != "error":
        return output
    summary = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".rstrip(": ")
    return NotebookNode(
        output_type="error",
        ename=output.get("ename", "Error"),
        evalue=output.get("evalue", ""),
        traceback=[summary + "  (traceback hidden: this test cell contains hidden tests)"],
    )
