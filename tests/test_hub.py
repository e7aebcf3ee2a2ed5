"""A class on JupyterHub, end to end, as root: hub/setup.sh's hub, users of its own, a lesson.

The instructor (a copy of the course in their home) generates and releases lesson 1 through a
shared exchange; two students fetch it, one solves it, both validate and submit; the students
cannot read the instructor's source/ or gradebook, each other's homes, or the exchange's inbound
folder; the instructor collects, autogrades (sandboxed, as that user), makes and releases the
feedback, and the students fetch it; the grades are right; on the hub, a student's server has no
formgrader and the instructor's has. The hub's environment is hub/setup.sh's, in
NNFS_HUB_TEST_HOME (default /var/tmp/nnfs-hub-test): scripts/test.sh builds it before the tests
(a minute or two, once), and the test only brings it up to date.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path

import nbformat
import pytest
import requests
from nbgrader.api import Gradebook
from nbgrader_course import REPO, lessons, solved_release

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="making users and a hub takes root"),
]
LESSON = lessons()[0]
HUB_HOME = Path(os.environ.get("NNFS_HUB_TEST_HOME", "/var/tmp/nnfs-hub-test"))


def run(*command: str, user: str | None = None, cwd: Path | None = None, check: bool = True):
    """A command, as ``user`` (runuser, a login-like environment) or as root."""
    env = {"PATH": f"{HUB_HOME}/venv/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
    if user:
        env |= {"HOME": f"/home/{user}", "USER": user, "JUPYTER_CONFIG_PATH": config_path(user)}
        command = ("runuser", "-u", user, "--", *command)
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    if check:
        assert done.returncode == 0, f"{command}: {done.stdout[-3000:]}{done.stderr[-3000:]}"
    return done


def config_path(user: str) -> str:
    folders = [f"{HUB_HOME}/config"]
    if user.startswith("stu"):
        folders.insert(0, f"{HUB_HOME}/student-config")
    return os.pathsep.join(folders)


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive free ports."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            first = s.getsockname()[1]
        ok = True
        for port in range(first, first + count):
            with socket.socket() as s, contextlib.suppress(OSError):
                s.bind(("127.0.0.1", port))
                continue
            ok = False
        if ok and first + count < 65535:
            return first
    raise RuntimeError("no free ports")


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """hub/setup.sh's installation (built once, then only brought up to date), three users of
    its own (an instructor, two students) and the hub running on free ports."""
    # The exchange must be reachable by every user: not under pytest's folder (root's, 0700).
    exchange = Path(f"/var/tmp/nnfs-hub-test-exchange-{secrets.token_hex(4)}")
    exchange.mkdir(mode=0o1777)
    exchange.chmod(0o1777)
    env = {**os.environ, "NNFS_HUB_HOME": str(HUB_HOME), "NNFS_EXCHANGE": str(exchange)}
    done = subprocess.run(
        ["bash", str(REPO / "hub" / "setup.sh")], env=env, capture_output=True, text=True,
        timeout=900, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    suffix = secrets.token_hex(3)
    users = {"instructor": f"ins{suffix}", "alice": f"stua{suffix}", "bob": f"stub{suffix}"}
    passwords = {name: secrets.token_hex(8) for name in users.values()}
    try:
        for role, name in users.items():
            group = "nnfs-instructors" if role == "instructor" else "nnfs-students"
            subprocess.run(["useradd", "-m", "-s", "/bin/bash", "-G", group, name], check=True)
            subprocess.run(["chpasswd"], input=f"{name}:{passwords[name]}", text=True, check=True)
            Path(f"/home/{name}").chmod(0o700)
        port = free_ports(3)
        log = open(tmp_path_factory.mktemp("hub") / "hub.log", "w")
        process = subprocess.Popen(
            [f"{HUB_HOME}/venv/bin/jupyterhub", "-f", str(REPO / "hub" / "jupyterhub_config.py")],
            cwd=HUB_HOME / "state",
            env=env | {"NNFS_HUB_PORT": str(port), "NNFS_HUB_IP": "127.0.0.1"},
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        for _ in range(120):
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{base}/hub/api", timeout=2).status_code == 200:
                    break
            time.sleep(0.5)
        yield {"base": base, "users": users, "passwords": passwords, "exchange": exchange}
    finally:
        with contextlib.suppress(Exception):
            os.killpg(process.pid, 15)
            process.wait(timeout=20)
        for name in users.values():
            subprocess.run(["pkill", "-u", name], capture_output=True)
            subprocess.run(["userdel", "-r", name], capture_output=True)
        shutil.rmtree(exchange, ignore_errors=True)


def log_in(hub, user: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{hub['base']}/hub/login")
    session.post(
        f"{hub['base']}/hub/login?next=",
        data={
            "username": user,
            "password": hub["passwords"][user],
            "_xsrf": session.cookies.get("_xsrf"),
        },
        timeout=120,
    )
    for _ in range(120):
        page = session.get(f"{hub['base']}/user/{user}/lab", timeout=30)
        if page.status_code == 200 and "jupyter-config-data" in page.text:
            return session
        time.sleep(0.5)
    raise AssertionError(f"{user}'s server did not start")


def test_a_class_runs_on_the_hub(hub):
    instructor, alice, bob = (hub["users"][k] for k in ("instructor", "alice", "bob"))
    home = Path(f"/home/{instructor}")
    course = home / "nnfs"
    # The instructor's course: a copy of the repository's, theirs alone.
    course.mkdir()
    for name in ("source", "release", "nbgrader_config.py", "pyproject.toml"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, course / name)
    (course / "nbgrader_class_config.py").write_text(
        f'c = get_config()\nc.Exchange.root = "{hub["exchange"]}"\n'
    )
    run("chown", "-R", f"{instructor}:{instructor}", str(course))
    # nbgrader_config.py imports helpers: the hub's environment has it.
    run("nbgrader", "generate_assignment", LESSON, "--force", user=instructor, cwd=course)
    run("nbgrader", "release_assignment", LESSON, "--force", user=instructor, cwd=course)

    for student in (alice, bob):
        run("nbgrader", "fetch_assignment", LESSON, user=student, cwd=Path(f"/home/{student}"))
    mine = Path(f"/home/{alice}/{LESSON}/{LESSON}.ipynb")
    nbformat.write(solved_release(LESSON), mine)
    run("chown", f"{alice}:{alice}", str(mine))
    for student in (alice, bob):
        cwd = Path(f"/home/{student}")
        said = run("nbgrader", "validate", f"{LESSON}/{LESSON}.ipynb", user=student, cwd=cwd)
        assert ("Success!" in said.stdout) == (student == alice), said.stdout[-2000:]
        run("nbgrader", "submit", LESSON, user=student, cwd=cwd)

    # What students cannot read.
    for student in (alice, bob):
        for secret in (
            course / "source",
            course / "gradebook.db",
            Path(f"/home/{({alice: bob, bob: alice})[student]}"),
        ):
            peek = run("cat", str(secret), user=student, check=False)
            assert peek.returncode != 0 and "Permission denied" in peek.stderr, (student, secret)
        listing = run("ls", str(hub["exchange"] / "nnfs" / "inbound"), user=student, check=False)
        assert listing.returncode != 0, listing.stdout

    run("nbgrader", "collect", LESSON, user=instructor, cwd=course)
    run("python", "-m", "helpers.grading", "autograde", LESSON, user=instructor, cwd=course)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        solved = gradebook.find_submission(LESSON, alice)
        untouched = gradebook.find_submission(LESSON, bob)
        assert solved.score == solved.max_score > 0
        assert untouched.score == 0 and untouched.max_score == solved.max_score
    run("python", "-m", "helpers.grading", "feedback", LESSON, user=instructor, cwd=course)
    run("nbgrader", "release_feedback", LESSON, user=instructor, cwd=course)
    for student in (alice, bob):
        run("nbgrader", "fetch_feedback", LESSON, user=student, cwd=Path(f"/home/{student}"))
        assert list(Path(f"/home/{student}/{LESSON}/feedback").rglob(f"{LESSON}.html"))

    # The web side: a student's server has no formgrader, the instructor's has.
    assert log_in(hub, alice).get(f"{hub['base']}/user/{alice}/formgrader").status_code == 404
    assert (
        log_in(hub, instructor).get(f"{hub['base']}/user/{instructor}/formgrader").status_code
        == 200
    )
