"""Check my work: the saved notebook run as the grader runs it, summed up on one screen.

Validate (nbgrader's button) shows every failing test cell with its whole source; this shows, per
exercise, the points earned by the visible tests and the first message of what failed. It runs
the *saved* file in a fresh kernel, with ``NBGRADER_EXECUTION`` set as nbgrader does (widgets and
long work are skipped) and without the figures the grader skips (so it takes seconds, not a
lesson's Run All time), and warns when the saved file is not what the student last ran.

In a lesson, the last cell shows a button (``check_my_work_button``); in a terminal:

    python -m helpers.self_check my_work/01_perceptron/01_perceptron.ipynb

Never runs while nbgrader grades: the button cell is skipped then.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from helpers.grading.course import exercise_of, is_exercise

# A test cell fails, for nbgrader, on an error or on anything written to stderr.
STDERR = "stderr"


@dataclass
class Exercise:
    number: int
    name: str
    points: float = 0.0
    earned: float = 0.0
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.earned == self.points


def _first_message(outputs: list[dict]) -> str:
    for output in outputs:
        if output.get("output_type") == "error":
            text = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".strip()
            text = text.replace("CheckFailed: ", "", 1)
            # A crash: keep what was raised, its likely cause and any note, not the arguments.
            head, called, rest = text.partition("\nThe test called it with")
            return "\n".join([head, *rest.splitlines()[1:]]) if called else text
        if output.get("output_type") == "stream" and output.get("name") == STDERR:
            return "wrote to stderr (the grader counts that as a failure): " + output["text"][:200]
    return ""


def summarize(executed: nbformat.NotebookNode) -> list[Exercise]:
    """Per exercise (a solution cell and its test cells test_<id>_*): points and first failures."""
    exercises: dict[str, Exercise] = {}
    for cell in executed.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        answer = meta.get("solution") and meta.get("grade_id") and cell.cell_type == "code"
        if answer and is_exercise(meta["grade_id"]):
            exercises[meta["grade_id"]] = Exercise(len(exercises) + 1, meta["grade_id"])
    for cell in executed.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("grade") or meta.get("solution") or cell.cell_type != "code":
            continue
        name = exercise_of(meta.get("grade_id", ""), list(exercises))
        if name is None:
            continue
        owner = exercises[name]
        points = float(meta.get("points", 0))
        owner.points += points
        message = _first_message(cell.get("outputs", []))
        if message:
            owner.failures.append(message)
        else:
            owner.earned += points
    return list(exercises.values())


RELEASE = Path(__file__).resolve().parent.parent / "release"


def _illustrations_to_skip(notebook: nbformat.NotebookNode, path: Path) -> set[int]:
    """The figures and widgets the grader would skip (``helpers.grading.illustrations``): the
    lesson's published copy in ``release/`` says which cells are illustrations, else the
    notebook's own tags do."""
    from helpers.grading.illustrations import cells_to_skip

    published = RELEASE / path.stem / path.name
    reference = nbformat.read(published, as_version=4) if published.is_file() else notebook
    return cells_to_skip(notebook.cells, reference.cells)


def run_saved(path: Path, timeout: int = 300) -> nbformat.NotebookNode:
    """Execute the saved notebook at ``path`` in a fresh kernel, as the grader does: every cell
    but the illustrations it would skip, with ``NBGRADER_EXECUTION`` set."""
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    for index in _illustrations_to_skip(notebook, path):
        notebook.cells[index].source = ""  # skipped: a figure changes no score
    before = os.environ.get("NBGRADER_EXECUTION")
    os.environ["NBGRADER_EXECUTION"] = "validate"  # the kernel inherits it: widgets skipped
    try:
        NotebookClient(
            notebook,
            timeout=timeout,
            allow_errors=True,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
    finally:
        if before is None:
            os.environ.pop("NBGRADER_EXECUTION", None)
        else:
            os.environ["NBGRADER_EXECUTION"] = before
    return notebook


def unsaved_changes(path: Path, executed_inputs: list[str]) -> list[str]:
    """Exercises whose saved code differs from the code the student last ran in this kernel.

    ``executed_inputs`` are the kernel's inputs in order (IPython's ``In``). For each answer cell
    of the saved file, the last input that defines the same function is what the kernel knows.
    """
    saved = nbformat.read(path, as_version=4)
    stale = []
    for cell in saved.cells:
        name = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if not cell.get("metadata", {}).get("nbgrader", {}).get("solution") or not name:
            continue
        ran = [code for code in executed_inputs if f"def {name}(" in code]
        if ran and ran[-1].strip() != cell.source.strip():
            stale.append(name)
    return stale


def stale_warning(stale: list[str]) -> str:
    """What to do when the saved file is not what the kernel last ran (either way round)."""
    names = ", ".join(f"<code>{html.escape(name)}</code>" for name in stale)
    return (
        "<div style='border-left:4px solid #c62828;padding:4px 8px;margin:4px 0'>"
        f"<b>Careful:</b> the saved {names} is not the code this kernel last ran. This check, like"
        " the grader, reads the <i>saved</i> file (Validate saves first; this button does not)."
        " Save (Ctrl+S) and run your cells again, then check again.</div>"
    )


def is_quiz(exercises: list[Exercise]) -> bool:
    """The quiz's questions (q01 ... q40) are checked for their format only: an answer that
    passes is recorded, not known to be right."""
    return bool(exercises) and all(re.fullmatch(r"q\d+", e.name) for e in exercises)


def _columns(exercises: list[Exercise]) -> tuple[str, str, list[str], list[str], str]:
    """The table in its words: (heading, middle column, the middle cell and the result of each
    row, the total). A lesson shows points; the quiz, whose checks see only an answer's form,
    shows whether each answer is recorded, and no points that could pass for a score."""
    if is_quiz(exercises):
        recorded = sum(e.passed for e in exercises)
        return (
            "Question",
            "Answer",
            ["recorded" if e.passed else "not yet" for e in exercises],
            ["" if e.passed else "fix the form" for e in exercises],
            f"{recorded} of {len(exercises)} answers recorded; graded after you submit",
        )
    earned, points = sum(e.earned for e in exercises), sum(e.points for e in exercises)
    return (
        "Exercise",
        "Points",
        [f"{e.earned:g} / {e.points:g}" for e in exercises],
        ["passed" if e.passed else "NOT passed" for e in exercises],
        f"Total (visible tests): {earned:g} / {points:g}",
    )


def as_text(exercises: list[Exercise], width: int = 100) -> str:
    heading, middle, cells, results, total = _columns(exercises)
    lines = [f"{heading:<32}{middle:>9}   Result"]
    for e, cell, result in zip(exercises, cells, results, strict=True):
        lines.append(f"{f'{e.number}. {e.name}':<32}{cell:>9}   {result}".rstrip())
        for message in e.failures[:1]:
            lines += textwrap.wrap(
                message, width, initial_indent="      ", subsequent_indent="      "
            )
    lines.append(total)
    return "\n".join(lines)


def as_html(exercises: list[Exercise]) -> str:
    heading, middle, cells, _, total = _columns(exercises)
    rows = []
    for e, cell in zip(exercises, cells, strict=True):
        mark = "&#10004;" if e.passed else "&#10008; not yet"
        colour = "#2e7d32" if e.passed else "#c62828"
        message = html.escape(e.failures[0]) if e.failures else ""
        rows.append(
            f"<tr><td style='text-align:left;white-space:nowrap'>{e.number}. <code>{e.name}</code></td>"
            f"<td style='text-align:right;white-space:nowrap'>{cell}</td>"
            f"<td style='color:{colour};white-space:nowrap'>{mark}</td>"
            f"<td style='white-space:pre-wrap;text-align:left'>{message}</td></tr>"
        )
    return (
        "<table class='nnfs-check-my-work'><tr><th style='text-align:left'>"
        f"{heading}</th><th>{middle}</th><th>Result</th>"
        "<th style='text-align:left'>First thing to fix</th></tr>"
        + "".join(rows)
        + f"<tr><th colspan='4' style='text-align:left'>{html.escape(total)}</th></tr></table>"
    )


def notebook_path(notebook_name: str) -> Path:
    """The notebook this kernel runs for: JupyterLab tells its kernels (JPY_SESSION_NAME); outside
    JupyterLab, ``notebook_name`` in the kernel's folder."""
    session = os.environ.get("JPY_SESSION_NAME", "")
    if session.endswith(".ipynb") and Path(session).is_file():
        return Path(session)
    return Path.cwd() / notebook_name


def check_my_work_button(notebook_name: str):
    """A button that checks the saved notebook (``notebook_name`` if JupyterLab does not say)."""
    import ipywidgets as widgets
    from IPython import get_ipython
    from IPython.display import HTML, display

    button = widgets.Button(description="Check my work", icon="check", button_style="primary")
    output = widgets.Output()

    def on_click(_):
        output.clear_output()
        path = notebook_path(notebook_name)
        with output:
            if not path.is_file():
                print(f"{path.name} is not in {path.parent}: save the lesson under its own name.")
                return
            shell = get_ipython()
            stale = unsaved_changes(path, list(shell.user_ns.get("In", []))) if shell else []
            started = time.monotonic()
            print(f"Running the saved {path.name} in a fresh kernel, as the grader does ...")
            exercises = summarize(run_saved(path))
            output.clear_output(wait=True)
            if stale:
                display(HTML(stale_warning(stale)))
            print(f"The saved file, run in a fresh kernel in {time.monotonic() - started:.0f} s:")
            display(HTML(as_html(exercises)))

    button.on_click(on_click)
    return widgets.VBox([button, output])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.self_check",
        description="Run a saved lesson as the grader does and sum up its visible tests.",
    )
    parser.add_argument("notebook", type=Path)
    args = parser.parse_args(argv)
    if not args.notebook.is_file():
        parser.error(f"{args.notebook} is not a file: give the path of a lesson notebook")
    exercises = summarize(run_saved(args.notebook.resolve()))
    print(as_text(exercises))
    return 0 if all(e.passed for e in exercises) else 1


if __name__ == "__main__":
    raise SystemExit(main())
