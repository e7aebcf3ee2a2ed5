"""What the browser tests share: JupyterLab on a scratch copy of the course, headless Chromium,
and the helpers that run a notebook and move its widgets. Screenshots land in build/screenshots/:
a notebook's pages when its test fails, and every page and every widget before and after it moved
when ``NNFS_SCREENSHOTS=1`` is set (about eight seconds a notebook, so not by default).

Each browser test module gets its own JupyterLab and Chromium (module-scoped fixtures, loaded for
every test module by tests/conftest.py), so the modules can run on different test workers.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from lab_server import running_lab
from nbgrader_course import REPO, assignments

SCREENSHOTS = REPO / "build" / "screenshots"
SHOOT_EVERYTHING = os.environ.get("NNFS_SCREENSHOTS") == "1"
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
    lesson_paths = [f"source/{name}/{name}.ipynb" for name in assignments()]
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

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


# Opens a notebook in the running JupyterLab and makes it the current tab, its kernel started.
OPEN_IN_LAB = """async (path) => {
    const app = window.jupyterapp;
    const panel = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
    app.shell.activateById(panel.id);
    await panel.context.ready;
    await panel.sessionContext.ready;
    return true;
}"""
# Closes every open notebook without asking to save, and shuts its kernel down.
CLOSE_NOTEBOOKS = """async () => {
    const app = window.jupyterapp;
    for (const panel of Array.from(app.shell.widgets('main'))) {
        if (!panel.sessionContext) continue;
        await panel.sessionContext.shutdown();
        panel.context.model.dirty = false;
        panel.dispose();
    }
    return true;
}"""


def lab_page(browser, lab):
    """The test module's one JupyterLab page. Loading JupyterLab costs about 13 CPU-seconds
    (its scripts, extensions and settings), more than many a notebook's Run All: the notebooks
    open one after another in the same app, each closed (and its kernel shut down) after use."""
    page = lab.get("page")
    if page is not None and not page.is_closed():
        return page
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    # A workspace of its own, reset: nothing left open from an earlier run.
    page.goto(f"{lab['base']}/lab/workspaces/tests?reset&token={lab['token']}")
    page.wait_for_function("() => Boolean(window.jupyterapp)", timeout=120_000)
    page.evaluate("async () => { await window.jupyterapp.restored; return true; }")
    lab["page"] = page
    return page


def open_notebook(browser, lab, path: str):
    """Open ``path`` (relative to the course root) in the module's JupyterLab and wait for its
    kernel. Close it with :func:`close_notebook`."""
    page = lab_page(browser, lab)
    try:
        page.evaluate(OPEN_IN_LAB, path)
        page.wait_for_function(KERNEL_IDLE, timeout=120_000)
    except Exception:
        shot = shot_name(path, "did-not-open")
        page.screenshot(path=shot)
        pytest.fail(f"{path}: the notebook or its kernel did not become ready (see {shot})")
    return page


def close_notebook(page) -> None:
    """Dismiss any dialog, close the open notebooks and shut their kernels down; if the app no
    longer answers, close the page (the next notebook gets a fresh JupyterLab)."""
    try:
        for _ in range(5):
            if not page.locator(".jp-Dialog").count():
                break
            page.keyboard.press("Escape")
            page.wait_for_timeout(200)
        page.evaluate(CLOSE_NOTEBOOKS)
    except Exception:
        page.close()


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
    """Shoot the notebook page by page, scrolling its own scroll area (its older shots go)."""
    for old in SCREENSHOTS.glob(Path(shot_name(path, "*")).name):
        old.unlink()
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


CONTROLS = [  # (what, selector, how to move it), first match wins
    # An ipycanvas Canvas (the view is the <canvas> element itself): draw a stroke on it. Before
    # "button": the digit pad's Clear button on an empty pad changes nothing.
    ("canvas", "canvas.lm-Widget", "draw"),
    ("slider", ".noUi-handle", "arrows"),
    ("dropdown", "select", "select"),
    ("checkbox", "input[type=checkbox]", "click"),
    ("toggle buttons", ".widget-toggle-button", "click"),
    ("button", "button.jupyter-button", "click"),
]


def draw_stroke(page, canvas, points: list[tuple[float, float]], steps: int = 6) -> None:
    """Draw on ``canvas`` with the mouse, as a student would: press at the first point, move
    through the others (``steps`` mouse events between two points), release at the last.
    Points are fractions (x, y) of the canvas's width and height, from its top left corner."""
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    where = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*where[0])
    page.mouse.down()
    for x, y in where[1:]:
        page.mouse.move(x, y, steps=steps)
    page.mouse.up()


def move_a_control(page, widget) -> str:
    """Move the first control found in ``widget``; return what was moved."""
    for what, selector, how in CONTROLS:
        control = widget.locator(selector)
        if control.count() == 0:
            continue
        control = control.first
        if how == "draw":
            draw_stroke(page, control, [(0.5, 0.2), (0.5, 0.8)])  # a vertical line: a "1"
        elif how == "arrows":
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


def widget_problems(page, path: str, cells: list[dict], redraw_ms: int = 60_000) -> list[str]:
    """Every widget output must render, and moving one of its controls must change the picture
    (within ``redraw_ms``: a lesson's widget may retrain a model before it redraws)."""
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
        if SHOOT_EVERYTHING:
            widget.screenshot(path=shot_name(path, f"widget{number + 1}-before"))
        moved = move_a_control(page, widget)
        if not moved and widget.locator(".widget-hprogress, .widget-vprogress").count():
            continue  # a progress bar (tqdm's, during training): nothing to move
        if not moved:
            problems.append(f"{where} has no control the test knows how to move")
            continue
        try:  # what it draws (plots, output, HTML), not the control itself, must change
            page.wait_for_function(
                f"([el, before]) => ({WHAT_IT_DRAWS})(el) !== before",
                arg=[handle, before],
                timeout=redraw_ms,
                polling=250,
            )
        except Exception:
            problems.append(f"moving the {moved} of {where} changed nothing it draws")
            continue
        page.wait_for_function(KERNEL_IDLE, timeout=60_000)
        if SHOOT_EVERYTHING:
            widget.screenshot(path=shot_name(path, f"widget{number + 1}-moved"))
    return problems


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
