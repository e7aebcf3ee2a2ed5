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
    """Replace hidden test regions with a notice and reduce their errors to one line each."""

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
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if HIDDEN_NOTICE in cell.get("source", "") and utils.is_grade(cell):
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
