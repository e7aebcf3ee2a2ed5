"""The habits that keep the repo healthy: lint clean, notebooks stripped, one config."""

from __future__ import annotations

import subprocess
import sys

from nbgrader_course import REPO


def test_ruff_finds_nothing():
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_strip_script_reports_no_outputs_in_committed_notebooks():
    done = subprocess.run(
        [sys.executable, "scripts/strip_outputs.py", "--check", "source", "release", "notebooks"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout
