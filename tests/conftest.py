"""Shared set-up: an isolated HOME and Jupyter folders, and temporary copies of the course."""

from __future__ import annotations

import atexit
import fcntl
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

# Jupyter, IPython and matplotlib write under $HOME: point every one of them at a scratch folder
# before anything starts a kernel. Each xdist worker imports this file and gets its own.
_scratch_home = Path(tempfile.mkdtemp(prefix="nnfs-test-home-"))
atexit.register(shutil.rmtree, _scratch_home, ignore_errors=True)
for _variable, _sub in {
    "HOME": "",
    "JUPYTER_CONFIG_DIR": ".jupyter",
    "JUPYTER_DATA_DIR": ".local/share/jupyter",
    "JUPYTER_RUNTIME_DIR": ".local/share/jupyter/runtime",
    "IPYTHONDIR": ".ipython",
    "MPLCONFIGDIR": ".config/matplotlib",
}.items():
    _path = _scratch_home / _sub
    _path.mkdir(parents=True, exist_ok=True)
    os.environ[_variable] = str(_path)
# No MPLBACKEND: kernels use the inline backend, as in a student's JupyterLab, and matplotlib
# picks Agg by itself in the test process (no display).
os.environ.pop("MPLBACKEND", None)
os.environ.pop("NBGRADER_EXECUTION", None)

_session_started = time.time()

# The `lab` and `browser` fixtures of the browser tests (module-scoped: one per test module).
pytest_plugins = ["browser_session"]

# Test modules that grade a whole class or drive a browser through every notebook (minutes
# each), heaviest first. scripts/test.sh hands whole modules to its workers in collection order
# (`--dist loadfile --no-loadscope-reorder`): the workers start on these, and the many short
# modules fill in around them, instead of a one-test module that grades for four minutes
# running alone at the end (xdist's own order puts the modules with the most tests first).
HEAVY_FIRST = (
    "test_grading.py",
    "test_fixtures.py",
    "test_hostile.py",
    "test_browser.py",
    "test_stock_equivalence.py",
    "test_hub.py",
    "test_grading_workflow.py",
    "test_browser_student.py",
    "test_workspace.py",
    "test_validate.py",
)


def built_once(tmp_path_factory, name: str, build) -> Path:
    """The folder ``name`` that ``build(folder)`` fills once per test run: the test workers share
    it under a file lock (the first to ask builds it, the others wait for it)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = tmp_path_factory.getbasetemp().parent  # this run's, shared by its workers
    else:
        shared = tmp_path_factory.getbasetemp()
    folder = shared / name
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "built").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            (folder / "built").touch()
    return folder


@pytest.fixture(scope="session")
def generated_course(tmp_path_factory):
    """A copy of the course whose every assignment was generated afresh (release/ and the
    gradebook, as `make release` makes them), built once per test run. Read it, copy its
    gradebook (``generated_gradebook``); never change it.
    """
    from nbgrader_course import Course

    def build(folder: Path) -> None:
        course = Course.copy_of_repo(folder)
        shutil.rmtree(course.root / "release")  # start from nothing, as a fresh generate
        done = course.run("release")
        assert done.returncode == 0, done.stdout + done.stderr

    return Course(built_once(tmp_path_factory, "generated-course", build))


@pytest.fixture(scope="session")
def generated_gradebook(generated_course) -> Path:
    """A gradebook that knows every assignment: copy it (``Course.copy_of_repo(gradebook=)``)."""
    return generated_course.root / "gradebook.db"


@pytest.fixture(scope="session")
def sample_results(tmp_path_factory) -> dict[tuple[str, str], dict[str, list]]:
    """(student, lesson) -> {test cell: [earned, possible, message, outputs]} that
    tests/cell_runner.py gives each submission of ``real_sample`` (every test cell), scored once
    per test run."""
    from cell_runner import graded_cells, score_submissions
    from nbgrader_course import assignments, real_sample, source_notebook

    def build(folder: Path) -> None:
        sources = {lesson: source_notebook(lesson) for lesson in assignments()}
        scored = score_submissions(
            {f"{s}|{lesson}": graded_cells(nb, sources[lesson]) for s, lesson, nb in real_sample()}
        )
        (folder / "scores.json").write_text(json.dumps(scored))

    scored = json.loads(
        (built_once(tmp_path_factory, "sample-scores", build) / "scores.json").read_text()
    )
    return {tuple(key.split("|")): cells for key, cells in scored.items()}


@pytest.fixture(scope="session")
def sample_scores(sample_results) -> dict[tuple[str, str], dict[str, float]]:
    """(student, lesson) -> {test cell: points} that tests/cell_runner.py gives each submission
    of ``real_sample`` (every test cell): the course's grader must give the same
    (test_grading.py), and so must stock nbgrader on its part (test_stock_equivalence.py)."""
    return {
        key: {cell: result[0] for cell, result in cells.items()}
        for key, cells in sample_results.items()
    }


@pytest.fixture(scope="session")
def fast_scores(tmp_path_factory) -> dict[tuple[str, str], dict]:
    """(student, lesson) -> {test cell: [earned, possible, message, outputs]} for every honest
    submission (the solution, the untouched release and every fixture), from
    tests/cell_runner.py, scored once per test run (tests/test_fixtures.py, test_report.py).

    A wrong fixture is scored on its own exercise's test cells, the only ones its test reads;
    everything else is scored on every test cell (an alternative must keep every point)."""
    from cell_runner import graded_cells, score_submissions
    from nbgrader_course import (
        assignments,
        exercise_test_cells,
        fixture_student,
        fixtures,
        honest_submissions,
        source_notebook,
    )

    def build(folder: Path) -> None:
        sources = {lesson: source_notebook(lesson) for lesson in assignments()}
        wrong = {  # the student of each wrong fixture -> the test cells of its exercise
            fixture_student(f): exercise_test_cells(sources[lesson], f.parent.name)
            for lesson in assignments()
            for f in fixtures(lesson)
            if f.stem.startswith("wrong_")
        }
        items = {
            f"{student}|{lesson}": graded_cells(notebook, sources[lesson], only=wrong.get(student))
            for student, lesson, notebook in honest_submissions()
        }
        (folder / "scores.json").write_text(json.dumps(score_submissions(items)))

    scored = json.loads(
        (built_once(tmp_path_factory, "fast-scores", build) / "scores.json").read_text()
    )
    return {tuple(key.split("|")): cells for key, cells in scored.items()}


def pytest_collection_modifyitems(items):
    rank = {name: position for position, name in enumerate(HEAVY_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: files stay whole


def pytest_terminal_summary(terminalreporter):
    """Say where the browser tests left their screenshots, when this run wrote any."""
    shots = Path(__file__).resolve().parent.parent / "build" / "screenshots"
    if shots.is_dir() and any(p.stat().st_mtime >= _session_started for p in shots.iterdir()):
        terminalreporter.write_line(f"Browser screenshots: {shots}")
