"""Every notebook, in a real JupyterLab, in a real (headless) Chromium, as a student meets it.

For each lesson (the solved copy from source/) and each companion notebook: it opens, Run All
completes with no error output, every widget renders, and moving a control of each widget changes
what it draws. Notebooks are discovered, so a new lesson is covered without editing this file.
What a student does with a released lesson (Validate, Check my work, feedback) is in
test_browser_student.py.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import nbformat
import pytest
from browser_session import (
    KERNEL_IDLE,
    NOTEBOOK_CELLS,
    SHOOT_EVERYTHING,
    close_notebook,
    draw_stroke,
    executed_notebooks,
    open_notebook,
    problems_after_run_all,
    run_all,
    screenshot_notebook,
    widget_problems,
)
from playwright.sync_api import TimeoutError as PlaywrightTimeout

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("path", executed_notebooks())
def test_notebook_runs_and_its_widgets_respond(browser, lab, path):
    page = open_notebook(browser, lab, path)
    try:
        cells = run_all(page, path)
        problems = problems_after_run_all(cells)
        if problems or SHOOT_EVERYTHING:
            screenshot_notebook(page, path)
        assert not problems, f"{path}: after Run All (screenshots in build/):\n" + "\n".join(
            problems
        )
        problems = widget_problems(page, path, cells)
        if problems:
            screenshot_notebook(page, path)
        assert not problems, f"{path}: widgets (screenshots in build/):\n" + "\n".join(problems)
    finally:
        close_notebook(page)


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
        close_notebook(page)


# A stand-in for a trained network, computed from the 784 inputs: "1" for ink at least twice as
# tall as it is wide, "0" for anything rounder. It insists on a (1, 784) float32 batch centred as
# MNIST's digits are (else the pad shows its error, and no prediction), wherever it was drawn.
DIGIT_PAD_NOTEBOOK = [
    """import numpy as np
from helpers.widgets import digit_pad_widget

def predict_proba(X, params):
    assert X.shape == (1, 784) and X.dtype == np.float32, (X.shape, X.dtype)
    rows, cols = np.indices((28, 28))
    image = X[0].reshape(28, 28)
    centre = (rows * image).sum() / image.sum(), (cols * image).sum() / image.sum()
    assert np.allclose(centre, 14, atol=0.5), centre
    ink = X.reshape(-1, 28, 28) > 0.2
    p = np.full((len(X), 10), 0.01, dtype=X.dtype)
    for image, row in zip(ink, p):
        tall = image.any(axis=1).sum() >= 2 * image.any(axis=0).sum()
        row[1 if tall else 0] = 0.91
    return p""",
    "digit_pad_widget(predict_proba, params=[])",
]


def _wait_for_text(page, widget, text: str) -> None:
    try:
        page.wait_for_function(
            "([el, text]) => el.innerText.includes(text)",
            arg=[widget.element_handle(), text],
            timeout=10_000,
            polling=100,
        )
    except PlaywrightTimeout:
        pytest.fail(f"the pad never showed {text!r}; it shows:\n{widget.inner_text()}")


def test_the_digit_pad_reads_a_drawn_digit(browser, lab):
    """Mouse strokes on the lesson 7 pad reach the network: a line reads as 1, a circle as 0,
    Clear starts again, and the widget check draws on a canvas as its way to move it."""
    folder = Path(tempfile.mkdtemp(prefix="digit-pad-", dir=lab["root"]))
    path = f"{folder.name}/digit_pad.ipynb"
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in DIGIT_PAD_NOTEBOOK],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(notebook, lab["root"] / path)
    page = open_notebook(browser, lab, path)
    try:
        cells = run_all(page, path)
        assert not problems_after_run_all(cells)
        widget = page.locator(".jp-OutputArea-output > .jupyter-widgets").first
        _wait_for_text(page, widget, "Draw a digit")
        canvas = widget.locator("canvas.lm-Widget")
        assert canvas.count() == 1

        draw_stroke(page, canvas, [(0.45, 0.15), (0.47, 0.5), (0.5, 0.85)])
        _wait_for_text(page, widget, "I think it's a 1 (91%)")

        widget.get_by_role("button", name="Clear").click()
        _wait_for_text(page, widget, "Draw a digit")
        # a circle, small and in a corner: the network gets it centred all the same
        circle = [
            (0.25 + 0.12 * math.cos(a), 0.75 + 0.12 * math.sin(a))
            for a in [2 * math.pi * k / 16 for k in range(17)]
        ]
        draw_stroke(page, canvas, circle)
        _wait_for_text(page, widget, "I think it's a 0 (91%)")

        widget.get_by_role("button", name="Clear").click()
        _wait_for_text(page, widget, "Draw a digit")
        problems = widget_problems(page, path, page.evaluate(NOTEBOOK_CELLS), redraw_ms=10_000)
        assert not problems, problems
        assert "I think it's a 1" in widget.inner_text()  # the check drew a vertical line
    finally:
        close_notebook(page)
