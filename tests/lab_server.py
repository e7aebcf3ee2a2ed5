"""Start a JupyterLab server on localhost for a test, wait until it answers, stop it after."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.error import URLError

import pytest


def free_port(count: int = 1) -> int:
    """A free port on localhost, or the first of ``count`` consecutive free ports."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            first = s.getsockname()[1]
        if first + count > 65535:
            continue
        try:
            for port in range(first + 1, first + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first
    raise RuntimeError(f"no {count} consecutive free ports on localhost")


@contextmanager
def running_lab(
    command: list[str], cwd: Path, env: dict, log_path: Path, startup_seconds: float = 180
) -> Iterator[tuple[str, str]]:
    """Run ``command`` (a JupyterLab launch) on a free port; yield (base URL, token)."""
    port, token = free_port(), secrets.token_hex(16)
    arguments = ["--no-browser", "--ip=127.0.0.1", f"--port={port}"]
    arguments.append(f"--IdentityProvider.token={token}")
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            command + arguments,
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # the server and its kernels stop together
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + startup_seconds
            while True:
                try:
                    urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5)
                    break
                except (URLError, OSError):
                    if server.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"JupyterLab did not start:\n{log_path.read_text()[-3000:]}")
                    time.sleep(0.5)
            yield base, token
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
