"""Answer cells released as ``q07_answer = None``, not as ``raise NotImplementedError()``.

nbgrader replaces every solution region with one stub, ``# YOUR CODE HERE`` and
``raise NotImplementedError()``. That suits a function to write; for a quiz answer, which is one
value given to one name, it would make the student delete two lines to write one, and stop
Run All at the first question. ``ClearSolutions`` here releases a solution region that only
assigns a name ending in ``_answer`` as that name set to ``None`` (the quiz's checks say "no
answer yet" for it), and every other region as nbgrader does. ``nbgrader_config.py`` puts it in
place of nbgrader's own in ``GenerateAssignment.preprocessors``.
"""

from __future__ import annotations

import ast

from nbformat.notebooknode import NotebookNode
from nbgrader import preprocessors


class ClearSolutions(preprocessors.ClearSolutions):
    def preprocess_cell(self, cell: NotebookNode, resources: dict, cell_index: int):
        name = self._answer_name(cell)
        if name is None:
            return super().preprocess_cell(cell, resources, cell_index)
        stubs = self.code_stub
        self.code_stub = {**stubs, resources["language"]: f"{name} = None"}
        try:
            return super().preprocess_cell(cell, resources, cell_index)
        finally:
            self.code_stub = stubs

    def _answer_name(self, cell: NotebookNode) -> str | None:
        """The name a code cell's solution region only assigns, if it ends in ``_answer``."""
        if cell.cell_type != "code" or self.begin_solution_delimeter not in cell.source:
            return None
        region, inside = [], False
        for line in cell.source.splitlines():
            if self.begin_solution_delimeter in line:
                inside = True
            elif self.end_solution_delimeter in line:
                inside = False
            elif inside:
                region.append(line)
        try:
            statements = ast.parse("\n".join(region)).body
        except SyntaxError:
            return None
        if len(statements) != 1 or not isinstance(statements[0], ast.Assign):
            return None
        targets = statements[0].targets
        if len(targets) == 1 and isinstance(targets[0], ast.Name):
            if targets[0].id.endswith("_answer"):
                return targets[0].id
        return None


def generate_assignment_preprocessors() -> list:
    """nbgrader's ``GenerateAssignment`` preprocessors, with this ``ClearSolutions``."""
    from nbgrader.converters import GenerateAssignment

    default = GenerateAssignment.class_traits()["preprocessors"].default()
    return [ClearSolutions if p is preprocessors.ClearSolutions else p for p in default]
