"""Shared set-up: an isolated HOME and Jupyter folders, and temporary copies of the course."""

from __future__ import annotations

import atexit
import fcntl
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
    "test_grading_workflow.py",
    "test_browser_student.py",
    "test_workspace.py",
    "test_validate.py",
)


@pytest.fixture(scope="session")
def generated_course(tmp_path_factory):
    """A copy of the course whose every assignment was generated afresh (release/ and the
    gradebook, as `make release` makes them), built once per test run: the test workers share
    it under a file lock. Read it, copy its gradebook (``generated_gradebook``); never change it.
    """
    from nbgrader_course import Course

    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = tmp_path_factory.getbasetemp().parent  # this run's, shared by its workers
    else:
        shared = tmp_path_factory.getbasetemp()
    folder = shared / "generated-course"
    with open(shared / "generated-course.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "done").exists():
            shutil.rmtree(folder, ignore_errors=True)
            course = Course.copy_of_repo(folder)
            shutil.rmtree(course.root / "release")  # start from nothing, as a fresh generate
            done = course.run("release")
            assert done.returncode == 0, done.stdout + done.stderr
            (folder / "done").write_text(done.stdout)
    return Course(folder)


@pytest.fixture(scope="session")
def generated_gradebook(generated_course) -> Path:
    """A gradebook that knows every assignment: copy it (``Course.copy_of_repo(gradebook=)``)."""
    return generated_course.root / "gradebook.db"


def pytest_collection_modifyitems(items):
    rank = {name: position for position, name in enumerate(HEAVY_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: files stay whole


def pytest_terminal_summary(terminalreporter):
    """Say where the browser tests left their screenshots, when this run wrote any."""
    shots = Path(__file__).resolve().parent.parent / "build" / "screenshots"
    if shots.is_dir() and any(p.stat().st_mtime >= _session_started for p in shots.iterdir()):
        terminalreporter.write_line(f"Browser screenshots: {shots}")
