"""The README's launch command serves the course in JupyterLab, with nbgrader and widgets."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.request
from urllib.error import URLError

import pytest
from nbgrader_course import REPO

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, json.loads(response.read())


@pytest.fixture
def lab_server(tmp_path):
    port, token = free_port(), secrets.token_hex(16)
    log = open(tmp_path / "lab.log", "w")
    server = subprocess.Popen(
        [
            "bash",
            "scripts/lab.sh",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
        ],
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                get_json(f"{base}/api/status?token={token}")
                break
            except (URLError, ConnectionError, OSError):
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("JupyterLab did not start:\n" + (tmp_path / "lab.log").read_text())
                time.sleep(0.5)
        yield base, token
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


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
