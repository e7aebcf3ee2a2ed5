"""The README's launch command serves the course in JupyterLab, with nbgrader and widgets."""

from __future__ import annotations

import json
import os
import urllib.request

import pytest
from lab_server import running_lab
from nbgrader_course import REPO

pytestmark = pytest.mark.slow


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, json.loads(response.read())


@pytest.fixture
def lab_server(tmp_path):
    """The README's launch command, as a student runs it (with a fresh HOME)."""
    with running_lab(
        ["bash", "scripts/lab.sh"],
        REPO,
        {**os.environ, "HOME": str(tmp_path)},
        tmp_path / "lab.log",
    ) as server:
        yield server


def test_lab_serves_lesson_one_with_nbgrader_and_widgets(lab_server):
    base, token = lab_server
    lesson = sorted(REPO.glob("source/01_*/*.ipynb"))[0].relative_to(REPO)
    status, model = get_json(f"{base}/api/contents/{lesson.as_posix()}?token={token}")
    assert status == 200 and model["type"] == "notebook"
    assert any("### BEGIN SOLUTION" in "".join(c["source"]) for c in model["content"]["cells"])

    status, released = get_json(
        f"{base}/api/contents/{lesson.as_posix().replace('source/', 'release/', 1)}?token={token}"
    )
    assert status == 200 and released["type"] == "notebook"

    status, extensions = get_json(f"{base}/lab/api/extensions?token={token}")
    names = {e["name"] for e in extensions}
    for wanted in ("jupyter-nbgrader", "jupyter-widgets-jupyterlab-manager"):
        assert wanted in names, f"{wanted} missing from {sorted(names)}"
        extension = next(e for e in extensions if e["name"] == wanted)
        assert extension["enabled"] and extension["status"] == "ok", extension

    with urllib.request.urlopen(f"{base}/formgrader?token={token}", timeout=30) as response:
        assert response.status == 200
