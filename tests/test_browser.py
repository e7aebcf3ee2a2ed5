"""Every notebook, in a real JupyterLab, in a real (headless) Chromium, as a student meets it.

For each lesson (the solved copy from source/) and each companion notebook: it opens, Run All
completes with no error output, every widget renders, and moving a control of each widget changes
what it draws. Notebooks are discovered, so a new lesson is covered without editing this file.
What a student does with a released lesson (Validate, Check my work, feedback) is in
test_browser_student.py.
"""

from __future__ import annotations

import nbformat
import pytest
from browser_session import (
    KERNEL_IDLE,
    NOTEBOOK_CELLS,
    executed_notebooks,
    open_notebook,
    problems_after_run_all,
    run_all,
    screenshot_notebook,
    widget_problems,
)

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("path", executed_notebooks())
def test_notebook_runs_and_its_widgets_respond(browser, lab, path):
    page = open_notebook(browser, lab, path)
    try:
        cells = run_all(page, path)
        problems = problems_after_run_all(cells)
        assert not problems, f"{path}: after Run All:\n" + "\n".join(problems)
        screenshot_notebook(page, path)
        problems = widget_problems(page, path, cells)
        assert not problems, f"{path}: widgets:\n" + "\n".join(problems)
    finally:
        page.close()


BROKEN_NOTEBOOK = [
    "import ipywidgets as widgets",
    "1 / 0",
    "widgets.IntSlider(value=3, min=0, max=10, disabled=True)",  # frozen: nothing moves
    "widgets.HTML('<b>static text</b>')",  # nothing to move
    "widgets.Output()",  # nothing visible
]


def test_the_checks_catch_errors_and_dead_widgets(browser, lab):
    """The checks above can fail: an error cell and a frozen widget are reported by cell."""
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in BROKEN_NOTEBOOK],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(notebook, lab["root"] / "broken.ipynb")
    page = open_notebook(browser, lab, "broken.ipynb")
    try:
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_timeout(500)
        page.wait_for_function(KERNEL_IDLE, timeout=60_000)
        cells = page.evaluate(NOTEBOOK_CELLS)
        assert "cell 1: ZeroDivisionError: division by zero" in problems_after_run_all(cells)
        for index in (2, 3, 4):  # run the widget cells one by one, past the error
            page.evaluate(
                f"""async () => {{ const nb = window.jupyterapp.shell.currentWidget.content;
                    nb.activeCellIndex = {index};
                    await window.jupyterapp.commands.execute('notebook:run-cell'); }}"""
            )
        page.wait_for_function(KERNEL_IDLE, timeout=60_000)
        # the frozen slider never redraws: no need to wait the full minute a lesson may take
        cells = page.evaluate(NOTEBOOK_CELLS)
        problems = widget_problems(page, "broken.ipynb", cells, redraw_ms=5_000)
        assert any("widget 1 (cell 2)" in p and "changed nothing" in p for p in problems), problems
        assert any("widget 2 (cell 3) has no control" in p for p in problems), problems
        assert any("widget 3 (cell 4) renders as nothing" in p for p in problems), problems
    finally:
        page.close()
