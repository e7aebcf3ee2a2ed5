"""A released lesson in a real JupyterLab and Chromium, used as a student uses it.

The Validate button is there, and it reports failures on the untouched notebook and success once
the solutions are filled in; "Check my work" sums up a saved notebook with one mistake on one
screen. The feedback an instructor hands back reads well offline.

The buttons work the same in every lesson, so they are clicked in the newest lesson (the longest
notebook, the one most likely to outgrow a timeout). That every lesson's release validates, and
fails with a wrong answer, is test_validate.py's job, without a browser; that Check my work sums
up each lesson by its exercises is test_self_check.py's.
"""

from __future__ import annotations

import shutil

import nbformat
import pytest
from browser_session import (
    KERNEL_IDLE,
    NOTEBOOK_CELLS,
    RUN_ALL_TIMEOUT_MS,
    VALIDATE_SUCCESS,
    close_notebook,
    open_notebook,
    shot_name,
    validate_in_lab,
)
from nbgrader_course import (
    DECLARED_MISTAKE,
    QUIZ,
    REPO,
    lessons,
    notebook_path,
    solved_release,
)

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("lesson", lessons()[-1:])
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
        close_notebook(page)

    page = open_notebook(browser, lab, f"student/{lesson}/solved.ipynb")
    try:
        report = validate_in_lab(page, f"release/{lesson} (solved)")
        page.screenshot(path=shot_name(f"release/{lesson}", "validate-solved"))
        assert VALIDATE_SUCCESS in report, report[:2000]
    finally:
        close_notebook(page)


RUN_CELLS = """(indices) => {
    const panel = window.jupyterapp.shell.currentWidget;
    const ran = [];
    for (const index of indices) {
        panel.content.activeCellIndex = index;
        ran.push(window.jupyterapp.commands.execute('notebook:run-cell'));
    }
    return Promise.all(ran).then(() => true);
}"""


@pytest.mark.parametrize("lesson", lessons()[-1:])
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
        close_notebook(page)


@pytest.fixture(scope="module")
def feedback_page(tmp_path_factory, generated_gradebook):
    """The feedback an instructor hands back for a submission with one mistake."""
    from nbgrader_course import Course

    lesson = lessons()[0]
    course = Course.copy_of_repo(
        tmp_path_factory.mktemp("feedback-course"), cell_timeout=30, gradebook=generated_gradebook
    )
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


SET_SOURCE = """([index, text]) => {
    const panel = window.jupyterapp.shell.currentWidget;
    panel.content.widgets[index].model.sharedModel.setSource(text);
    return true;
}"""
OUTPUT_TEXT = """(index) => {
    const cell = window.jupyterapp.shell.currentWidget.content.widgets[index];
    const area = cell.node.querySelector('.jp-OutputArea');
    return area ? area.innerText : '';
}"""


def test_a_quiz_answer_is_checked_for_its_form_only(browser, lab):
    """In the quiz, a student types an answer of the wrong form and reads what to write
    instead; then two different letters get the very same line: the page cannot tell a right
    answer from a wrong one."""
    scratch = lab["root"] / "student" / QUIZ
    scratch.mkdir(parents=True)
    shutil.copy(notebook_path(REPO, "release", QUIZ), scratch / f"{QUIZ}.ipynb")
    page = open_notebook(browser, lab, f"student/{QUIZ}/{QUIZ}.ipynb")
    try:
        cells = page.evaluate(NOTEBOOK_CELLS)
        ids = [c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in cells]
        setup, answer, check = ids.index("setup"), ids.index("q01"), ids.index("test_q01_answer")
        assert "".join(cells[answer]["source"]).endswith("q01_answer = None")
        shown = {}
        for text in ('q01_answer = "c)"', 'q01_answer = "a"', 'q01_answer = "B"'):
            page.evaluate(SET_SOURCE, [answer, text])
            page.evaluate(RUN_CELLS, [setup, answer, check])
            page.wait_for_function(KERNEL_IDLE, timeout=60_000)
            shown[text] = page.evaluate(OUTPUT_TEXT, check)
        page.locator(".jp-Cell").nth(check).scroll_into_view_if_needed()
        page.screenshot(path=shot_name(f"release/{QUIZ}", "answer-recorded"))
        assert 'one of the letters "a", "b", "c" or "d"' in shown['q01_answer = "c)"'], shown
        assert "[mistake: answer-format]" in shown['q01_answer = "c)"'], shown
        assert "Answer recorded." in shown['q01_answer = "a"'], shown
        assert shown['q01_answer = "a"'] == shown['q01_answer = "B"'], shown
    finally:
        close_notebook(page)
