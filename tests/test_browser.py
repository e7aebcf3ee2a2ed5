"""Every notebook, in a real JupyterLab, in a real (headless) Chromium, as a student meets it.

For each lesson (the solved copy from source/) and each companion notebook: it opens, Run All
completes with no error output, every widget renders, and moving a control of each widget changes
what it draws. For each released lesson: the Validate button is there, and it reports failures on
the untouched notebook and success once the solutions are filled in. Notebooks are discovered, so
a new lesson is covered without editing this file. Screenshots land in build/screenshots/.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from lab_server import running_lab
from nbgrader_course import DECLARED_MISTAKE, REPO, lessons, notebook_path, solved_release

pytestmark = pytest.mark.slow

SCREENSHOTS = REPO / "build" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RUN_ALL_TIMEOUT_MS = 240_000
KERNEL_IDLE = """() => {
    const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const kernel = panel && panel.sessionContext && panel.sessionContext.session
        && panel.sessionContext.session.kernel;
    return Boolean(kernel) && kernel.status === 'idle'
        && !panel.content.widgets.some(cell => cell.model.executionState === 'running');
}"""
# What a widget draws: its plots, output areas and HTML, read from the page (not a screenshot).
WHAT_IT_DRAWS = """(el) => [...el.querySelectorAll('.widget-output, img, .widget-html-content, svg')]
    .map(n => n.tagName === 'IMG' ? n.src : n.innerHTML).join('|')"""
NOTEBOOK_CELLS = """() => window.jupyterapp.shell.currentWidget.content.model.toJSON().cells"""


def executed_notebooks() -> list[str]:
    lesson_paths = [f"source/{name}/{name}.ipynb" for name in lessons()]
    companions = sorted(str(p.relative_to(REPO)) for p in REPO.glob("notebooks/*.ipynb"))
    return lesson_paths + companions


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on localhost, serving a scratch copy of the course, with its own HOME."""
    root = tmp_path_factory.mktemp("course")
    for name in ("source", "release", "notebooks"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "nbgrader_config.py", root)
    home = tmp_path_factory.mktemp("home")
    settings = home / "lab-settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    # Render every cell (not only those on screen), so each output can be found and shot.
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    env = {
        **os.environ,
        "HOME": str(home),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "lab-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "lab-workspaces"),
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
    }
    command = [
        sys.executable, "-m", "jupyter", "lab", "--allow-root", f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True",
    ]  # fmt: skip
    with running_lab(command, root, env, home / "lab.log") as (base, token):
        yield {"base": base, "token": token, "root": root}


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}. Install Debian's package (apt-get install chromium)"
            " or set CHROMIUM=/path/to/chromium; bash scripts/test.sh installs it when it can."
        )
    from playwright.sync_api import sync_playwright

    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def open_notebook(browser, lab, path: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    # A workspace of its own, reset, so that only this notebook is open and current.
    workspace = path.replace("/", "-").replace(".", "-")
    page.goto(f"{lab['base']}/lab/workspaces/{workspace}/tree/{path}?reset&token={lab['token']}")
    try:
        page.wait_for_function(KERNEL_IDLE, timeout=120_000)
    except Exception:
        shot = shot_name(path, "did-not-open")
        page.screenshot(path=shot)
        pytest.fail(f"{path}: the notebook or its kernel did not become ready (see {shot})")
    return page


def run_all(page, path: str) -> list[dict]:
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_timeout(500)
    try:
        page.wait_for_function(KERNEL_IDLE, timeout=RUN_ALL_TIMEOUT_MS, polling=250)
    except Exception:
        pytest.fail(f"{path}: Run All did not finish within {RUN_ALL_TIMEOUT_MS // 1000} s")
    return page.evaluate(NOTEBOOK_CELLS)


def cell_name(cell: dict, index: int) -> str:
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return f"cell {index}" + (f" ({grade_id})" if grade_id else "")


def shot_name(path: str, what: str) -> str:
    """build/screenshots/<notebook path with __ for />__<what>.png"""
    return str(SCREENSHOTS / f"{path.removesuffix('.ipynb').replace('/', '__')}__{what}.png")


def screenshot_notebook(page, path: str) -> list[str]:
    """Shoot the notebook page by page, scrolling its own scroll area."""
    scroller = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer"
    page.evaluate(f"document.querySelector('{scroller}').scrollTop = 0")
    shots = []
    for number in range(1, 61):
        shot = shot_name(path, f"{number:02d}")
        page.screenshot(path=shot)
        shots.append(shot)
        moved = page.evaluate(
            f"""() => {{ const s = document.querySelector('{scroller}');
                const before = s.scrollTop; s.scrollTop += s.clientHeight * 0.9;
                return s.scrollTop > before; }}"""
        )
        if not moved:
            break
    return shots


CONTROLS = [  # (what, selector, how to move it)
    ("slider", ".noUi-handle", "arrows"),
    ("dropdown", "select", "select"),
    ("checkbox", "input[type=checkbox]", "click"),
    ("toggle buttons", ".widget-toggle-button", "click"),
    ("button", "button.jupyter-button", "click"),
]


def move_a_control(page, widget) -> str:
    """Move the first control found in ``widget``; return what was moved."""
    for what, selector, how in CONTROLS:
        control = widget.locator(selector)
        if control.count() == 0:
            continue
        control = control.first
        if how == "arrows":
            control.focus()
            for _ in range(3):
                control.press("ArrowRight")
        elif how == "select":
            options = control.locator("option")
            current = control.input_value()
            values = [options.nth(i).get_attribute("value") for i in range(options.count())]
            control.select_option(next(v for v in values if v != current))
        else:
            control.click()
        return what
    return ""


def problems_after_run_all(cells: list[dict]) -> list[str]:
    """Cells that did not run, and every error output, named by cell."""
    code = [(i, c) for i, c in enumerate(cells) if c["cell_type"] == "code"]
    not_run = [
        cell_name(c, i) for i, c in code if c["source"].strip() and not c.get("execution_count")
    ]
    problems = [f"Run All stopped before {not_run[0]}"] if not_run else []
    problems += [
        f"{cell_name(c, i)}: {o.get('ename')}: {o.get('evalue')}"
        for i, c in code
        for o in c.get("outputs", [])
        if o["output_type"] == "error"
    ]
    return problems


def widget_problems(page, path: str, cells: list[dict]) -> list[str]:
    """Every widget output must render, and moving one of its controls must change the picture."""
    widget_cells = [
        i
        for i, c in enumerate(cells)
        for o in c.get("outputs", [])
        if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    rendered = page.locator(".jp-OutputArea-output > .jupyter-widgets")
    problems = []
    if page.get_by_text("Error displaying widget").count():
        problems.append("a widget shows 'Error displaying widget'")
    if rendered.count() < len(widget_cells):
        problems.append(
            f"{len(widget_cells)} widget output(s) in cells {widget_cells},"
            f" but only {rendered.count()} rendered in the page"
        )
    for number in range(rendered.count()):
        widget = rendered.nth(number)
        where = f"widget {number + 1}" + (
            f" (cell {widget_cells[number]})" if number < len(widget_cells) else ""
        )
        if not widget.is_visible():
            problems.append(f"{where} renders as nothing visible")
            continue
        widget.scroll_into_view_if_needed()
        handle = widget.element_handle()
        before = page.evaluate(WHAT_IT_DRAWS, handle)
        widget.screenshot(path=shot_name(path, f"widget{number + 1}-before"))
        moved = move_a_control(page, widget)
        if not moved:
            problems.append(f"{where} has no control the test knows how to move")
            continue
        try:  # what it draws (plots, output, HTML), not the control itself, must change
            page.wait_for_function(
                f"([el, before]) => ({WHAT_IT_DRAWS})(el) !== before",
                arg=[handle, before],
                timeout=60_000,
                polling=250,
            )
        except Exception:
            problems.append(f"moving the {moved} of {where} changed nothing it draws")
            continue
        page.wait_for_function(KERNEL_IDLE, timeout=60_000)
        widget.screenshot(path=shot_name(path, f"widget{number + 1}-moved"))
    return problems


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
        problems = widget_problems(page, "broken.ipynb", page.evaluate(NOTEBOOK_CELLS))
        assert any("widget 1 (cell 2)" in p and "changed nothing" in p for p in problems), problems
        assert any("widget 2 (cell 3) has no control" in p for p in problems), problems
        assert any("widget 3 (cell 4) renders as nothing" in p for p in problems), problems
    finally:
        page.close()


VALIDATE_SUCCESS = "passes all the tests"


def validate_in_lab(page, path: str) -> str:
    button = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Toolbar").get_by_text(
        "Validate", exact=True
    )
    assert button.count() == 1, f"{path}: no Validate button in the notebook toolbar"
    button.click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=RUN_ALL_TIMEOUT_MS)
    page.wait_for_timeout(300)
    return dialog.inner_text()


@pytest.mark.parametrize("lesson", lessons())
def test_release_validates_as_a_student_sees_it(browser, lab, lesson):
    scratch = lab["root"] / "student" / lesson
    scratch.mkdir(parents=True)
    shutil.copy(notebook_path(REPO, "release", lesson), scratch / "untouched.ipynb")
    nbformat.write(solved_release(lesson), scratch / "solved.ipynb")

    page = open_notebook(browser, lab, f"student/{lesson}/untouched.ipynb")
    try:
        cells = page.evaluate(NOTEBOOK_CELLS)
        stubs = [c for c in cells if "raise NotImplementedError()" in "".join(c["source"])]
        assert stubs, f"release/{lesson}: no exercise stub (raise NotImplementedError()) visible"
        locked = [
            c for c in cells
            if c.get("metadata", {}).get("nbgrader", {}).get("grade")
            and c["metadata"].get("editable") is not False
        ]  # fmt: skip
        assert not locked, f"release/{lesson}: {len(locked)} test cell(s) can be edited"
        report = validate_in_lab(page, f"release/{lesson}")
        page.screenshot(path=shot_name(f"release/{lesson}", "validate-untouched"))
        assert "failed" in report and "NotImplementedError" in report, report[:2000]
        assert VALIDATE_SUCCESS not in report
    finally:
        page.close()

    page = open_notebook(browser, lab, f"student/{lesson}/solved.ipynb")
    try:
        report = validate_in_lab(page, f"release/{lesson} (solved)")
        page.screenshot(path=shot_name(f"release/{lesson}", "validate-solved"))
        assert VALIDATE_SUCCESS in report, report[:2000]
    finally:
        page.close()


RUN_CELLS = """(indices) => {
    const panel = window.jupyterapp.shell.currentWidget;
    const ran = [];
    for (const index of indices) {
        panel.content.activeCellIndex = index;
        ran.push(window.jupyterapp.commands.execute('notebook:run-cell'));
    }
    return Promise.all(ran).then(() => true);
}"""


@pytest.mark.parametrize("lesson", lessons())
def test_check_my_work_sums_up_the_saved_notebook_on_one_screen(browser, lab, lesson):
    """A student with one mistake clicks "Check my work": one line per exercise, the first
    message of what failed, and the total of the visible tests."""
    wrong = [  # the first fixture whose visible checks name its mistake
        (path, declared.group(1))
        for path in sorted((REPO / "tests" / "fixtures" / lesson).glob("*/wrong_*.py"))
        if (declared := DECLARED_MISTAKE.match(path.read_text()))
    ]
    assert wrong, f"{lesson}: no wrong fixture that declares its mistake"
    (fixture, mistake), *_ = wrong
    scratch = lab["root"] / "student" / lesson / "mistake"
    scratch.mkdir(parents=True)
    exercise = fixture.parent.name
    nbformat.write(
        solved_release(lesson, {exercise: fixture.read_text()}), scratch / f"{lesson}.ipynb"
    )
    page = open_notebook(browser, lab, f"student/{lesson}/mistake/{lesson}.ipynb")
    try:
        cells = page.evaluate(NOTEBOOK_CELLS)
        ids = [c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in cells]
        assert "check_my_work" in ids, f"release/{lesson} has no check_my_work cell"
        page.evaluate(RUN_CELLS, [ids.index("setup"), ids.index("check_my_work")])
        page.wait_for_function(KERNEL_IDLE, timeout=60_000)
        page.get_by_role("button", name="Check my work").click()
        table = page.locator("table.nnfs-check-my-work")
        table.wait_for(timeout=RUN_ALL_TIMEOUT_MS)
        table.scroll_into_view_if_needed()
        page.screenshot(path=shot_name(f"release/{lesson}", "check-my-work"))
        text = table.inner_text()
        rows = [line for line in text.splitlines() if exercise in line]
        assert rows and "not yet" in rows[0], text
        assert f"[mistake: {mistake}]" in text and "Total (visible tests)" in text, text
        assert len(text) < 4000, f"the summary is {len(text)} characters long"
    finally:
        page.close()


@pytest.fixture(scope="module")
def feedback_page(tmp_path_factory):
    """The feedback an instructor hands back for a submission with one mistake."""
    from nbgrader_course import Course

    lesson = lessons()[0]
    course = Course.copy_of_repo(tmp_path_factory.mktemp("feedback-course"), cell_timeout=30)
    wrong = sorted((REPO / "tests" / "fixtures" / lesson).glob("*/wrong_greater_equal.py"))[0]
    course.submit("student", lesson, solved_release(lesson, {wrong.parent.name: wrong.read_text()}))
    for command in ("autograde", "feedback"):
        done = course.run(command, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
    return course.root / "feedback" / "student" / lesson / f"{lesson}.html"


def test_feedback_reads_well_offline(browser, feedback_page):
    """Opened with the network cut: math drawn, messages wrapped, exercises named."""
    context = browser.new_context(viewport={"width": 1100, "height": 900}, offline=True)
    requests = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    try:
        page.goto(feedback_page.as_uri())
        page.wait_for_load_state("load")
        page.screenshot(path=shot_name("feedback", "top"), full_page=False)
        assert [url for url in requests if not url.startswith("file:")] == []

        formulas = page.locator("math")
        assert formulas.count() > 20, "the lesson's math is not MathML"
        box = page.locator(".text_cell_render math").first.bounding_box()
        assert box and box["height"] > 5 and box["width"] > 5, f"math drawn as nothing: {box}"
        prose = " ".join(page.locator(".text_cell_render").all_inner_texts())
        assert "\\mathbf" not in prose and "$" not in prose, "raw LaTeX left in the text"
        page.locator("math[display=block]").first.scroll_into_view_if_needed()
        page.screenshot(path=shot_name("feedback", "math"))

        toc = page.locator("#toc").inner_text()
        assert "Test cell" not in toc and "Exercise 1, perceptron_predict: boundary" in toc, toc

        errors = page.locator(".output_error pre, .output_area pre")
        assert errors.count() > 0
        overflowing = page.evaluate(
            """() => [...document.querySelectorAll('pre')]
                .filter(p => p.scrollWidth > p.clientWidth + 2).length"""
        )
        assert overflowing == 0, f"{overflowing} preformatted block(s) run off the page"
        message = page.get_by_text("Did you use >= instead of >?").first
        message.scroll_into_view_if_needed()
        page.screenshot(path=shot_name("feedback", "message"))
        assert message.is_visible()
    finally:
        context.close()
