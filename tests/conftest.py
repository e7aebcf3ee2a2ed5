"""Shared set-up: an isolated HOME and Jupyter folders, and temporary copies of the course."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

# Jupyter, IPython and matplotlib write under $HOME: point every one of them at a scratch folder
# before anything starts a kernel. Each xdist worker imports this file and gets its own.
_scratch_home = Path(tempfile.mkdtemp(prefix="nnfs-test-home-"))
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
# each), heaviest first. scripts/test.sh hands whole modules to two workers in collection order
# (`--dist loadfile --no-loadscope-reorder`): the workers start on these, and the many short
# modules fill in around them, instead of a one-test module that grades for four minutes
# running alone at the end (xdist's own order puts the modules with the most tests first).
HEAVY_FIRST = (
    "test_grading.py",
    "test_hostile.py",
    "test_browser.py",
    "test_stock_equivalence.py",
    "test_grading_workflow.py",
    "test_browser_student.py",
    "test_workspace.py",
    "test_validate.py",
)


def pytest_collection_modifyitems(items):
    rank = {name: position for position, name in enumerate(HEAVY_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: files stay whole


def pytest_terminal_summary(terminalreporter):
    """Say where the browser tests left their screenshots, when this run wrote any."""
    shots = Path(__file__).resolve().parent.parent / "build" / "screenshots"
    if shots.is_dir() and any(p.stat().st_mtime >= _session_started for p in shots.iterdir()):
        terminalreporter.write_line(f"Browser screenshots of every notebook: {shots}")
