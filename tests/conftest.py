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


def pytest_terminal_summary(terminalreporter):
    """Say where the browser tests left their screenshots, when this run wrote any."""
    shots = Path(__file__).resolve().parent.parent / "build" / "screenshots"
    if shots.is_dir() and any(p.stat().st_mtime >= _session_started for p in shots.iterdir()):
        terminalreporter.write_line(f"Browser screenshots of every notebook: {shots}")
