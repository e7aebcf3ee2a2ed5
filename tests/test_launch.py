"""The README's launch command serves the course in JupyterLab, with nbgrader and widgets."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

import pytest
from lab_server import running_lab
from nbgrader_course import REPO

pytestmark = pytest.mark.slow


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, json.loads(response.read())


def launch(tmp_path, *options: str):
    """The README's launch command, with a fresh HOME; the lessons are fetched into tmp_path."""
    env = {**os.environ, "HOME": str(tmp_path), "NNFS_WORK_DIR": str(tmp_path / "my_work")}
    return running_lab(["bash", "scripts/lab.sh", *options], REPO, env, tmp_path / "lab.log")


@pytest.fixture
def lab_server(tmp_path):
    """The README's launch command, as a student runs it."""
    with launch(tmp_path) as server:
        yield server


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def disabled_extensions(base: str, token: str) -> list[str]:
    with urllib.request.urlopen(f"{base}/lab?token={token}", timeout=30) as response:
        page = response.read().decode()
    config = page.split('id="jupyter-config-data"', 1)[1].split(">", 1)[1].split("</script>")[0]
    return json.loads(config)["disabledExtensions"]


def test_lab_serves_lesson_one_with_nbgrader_and_widgets(lab_server, tmp_path):
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

    # Students get Validate and their lessons in my_work/, not the instructor's tools.
    assert (tmp_path / "my_work" / lesson.parent.name / lesson.name).is_file()
    assert status_of(f"{base}/formgrader?token={token}") == 404
    disabled = disabled_extensions(base, token)
    assert "@jupyter/nbgrader:formgrader" in disabled
    assert "@jupyter/nbgrader:create-assignment" in disabled
    assert "@jupyter/nbgrader:validate-assignment" not in disabled


def test_instructors_get_the_formgrader(tmp_path):
    with launch(tmp_path, "--instructor") as (base, token):
        assert status_of(f"{base}/formgrader?token={token}") == 200
        assert "@jupyter/nbgrader:formgrader" not in disabled_extensions(base, token)
