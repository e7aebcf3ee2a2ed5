"""A class on JupyterHub, end to end, as root: hub/setup.sh's hub, users of its own, a lesson.

The instructor (a copy of the course in ~/nnfs) generates and releases lesson 1 through the
class's exchange; a student cannot replace the release or take the exchange over; one student
fetches it in JupyterLab's Assignments panel (a real browser), the other in a terminal; one
solves it, both validate and submit; the students cannot read the instructor's source/ or
gradebook, each other's homes, or anyone's submission, nor remove one; a submission one student
forges under the other's name makes collect fail loudly, and the real one is graded; the
instructor autogrades (sandboxed, as that user), sees both submissions in the formgrader (the
browser again), makes and releases the feedback, and the students fetch it; the grades are right;
a student's server has no formgrader. The hub's environment is hub/setup.sh's, in
NNFS_HUB_TEST_HOME (default /var/tmp/nnfs-hub-test): scripts/test.sh builds it before the tests
(a minute or two, once), and the test only brings it up to date.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import nbformat
import pytest
import requests
from browser_session import SCREENSHOTS
from lab_server import free_port
from nbgrader.api import Gradebook
from nbgrader_course import REPO, lessons, solved_release
from test_hub_recipes import pins

sys.path.insert(0, str(REPO / "hub"))
from servers import COURSE_FOLDER, INSTRUCTORS, STUDENTS, server_environment  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="making users and a hub takes root"),
]
LESSON = lessons()[0]
HUB_HOME = Path(os.environ.get("NNFS_HUB_TEST_HOME", "/var/tmp/nnfs-hub-test"))
BROWSER_TIMEOUT_MS = 180_000


def run(hub, *command: str, user: str | None = None, cwd: Path | None = None, check=True):
    """A command as root, or as ``user`` with what a terminal on the hub gives them."""
    env = {"PATH": f"{HUB_HOME}/venv/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
    if user:
        env = server_environment(user, str(HUB_HOME), str(hub["exchange"])) | {
            "HOME": f"/home/{user}", "USER": user, "LANG": "C.UTF-8",
        }  # fmt: skip
        command = ("/usr/sbin/runuser", "-u", user, "--", *command)
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    if check:
        assert done.returncode == 0, f"{command}: {done.stdout[-3000:]}{done.stderr[-3000:]}"
    return done


def refused(done: subprocess.CompletedProcess) -> bool:
    return done.returncode != 0 and (
        "Permission denied" in done.stderr or "Operation not permitted" in done.stderr
    )


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """hub/setup.sh's installation (built once, then only brought up to date), three users of
    its own (an instructor, two students) and the hub running on free ports."""
    # The exchange must be reachable by every user: not under pytest's folder (root's, 0700).
    # hub/setup.sh makes it, as it would on a class's machine.
    exchange = Path(f"/var/tmp/nnfs-hub-test-exchange-{secrets.token_hex(4)}")
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
            group = INSTRUCTORS if role == "instructor" else STUDENTS
            subprocess.run(["useradd", "-m", "-s", "/bin/bash", "-G", group, name], check=True)
            subprocess.run(["chpasswd"], input=f"{name}:{passwords[name]}", text=True, check=True)
            Path(f"/home/{name}").chmod(0o700)
        port = free_port(3)
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


@contextlib.contextmanager
def browser_session(browser, hub, user: str, next_path: str = ""):
    """A browser of the user's own, logged in through the hub's login page; a screenshot in
    build/screenshots/ if what runs inside fails."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    try:
        page.goto(f"{hub['base']}/hub/login" + (f"?next={quote(next_path)}" if next_path else ""))
        page.fill("#username_input", user)
        page.fill("#password_input", hub["passwords"][user])
        page.click("#login_submit")
        yield page
    except Exception:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(Exception):
            page.screenshot(path=str(SCREENSHOTS / f"hub-{user}.png"), full_page=True)
        raise
    finally:
        context.close()


def fetch_in_the_assignments_panel(browser, hub, student: str) -> None:
    """The student opens Nbgrader > Assignment List in JupyterLab, finds the lesson among the
    released assignments, clicks Fetch, and sees it among the downloaded ones."""
    with browser_session(browser, hub, student) as page:
        page.wait_for_url(f"**/user/{student}/lab**")
        page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
        page.locator(".lm-Menu-itemLabel", has_text="Assignment List").click()
        released = page.locator("#released_assignments_list .list_item", has_text=LESSON)
        released.get_by_role("button", name="Fetch").click()
        page.locator("#fetched_assignments_list .list_item", has_text=LESSON).first.wait_for()


def formgrader_rows(browser, hub, instructor: str) -> dict[str, str]:
    """Student id -> score, as the instructor's formgrader shows the lesson's submissions (a
    bookmarked link: the hub logs them in, starts their server and sends them on)."""
    path = f"/hub/user-redirect/formgrader/manage_submissions/{LESSON}"
    with browser_session(browser, hub, instructor, next_path=path) as page:
        page.wait_for_url(f"**/user/{instructor}/formgrader/manage_submissions/{LESSON}")
        page.locator("tbody tr .student-id").nth(1).wait_for()
        rows = page.eval_on_selector_all(
            "tbody tr",
            """rows => rows.map(row => [row.querySelector('.student-id').textContent.trim(),
                                        row.querySelector('.score').textContent.trim()])""",
        )
    return dict(rows)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_hub_has_the_pinned_packages(hub):
    """What hub/setup.sh installed is what requirements.txt and hub/requirements.txt pin (the
    image, hub/Dockerfile, runs the same installer on the same files: test_hub_recipes.py)."""
    listing = run(
        hub, f"{HUB_HOME}/venv/bin/python", "-c",
        "import importlib.metadata as m\n"
        "for d in m.distributions(): print(d.metadata['Name'], d.version)",
    ).stdout  # fmt: skip
    normal = lambda name: re.sub(r"[-_.]+", "-", name).lower()  # noqa: E731
    installed = {normal(line.split()[0]): line.split()[1] for line in listing.splitlines()}
    wanted = pins(REPO / "requirements.txt") | pins(REPO / "hub" / "requirements.txt")
    assert {normal(name): installed.get(normal(name)) for name in wanted} == {
        normal(name): version for name, version in wanted.items()
    }
    assert installed.get("nnfs-helpers"), "the course's own package is not installed"


def test_a_class_runs_on_the_hub(hub, browser):
    instructor, alice, bob = (hub["users"][k] for k in ("instructor", "alice", "bob"))
    exchange = hub["exchange"]
    home = Path(f"/home/{instructor}")
    course = home / COURSE_FOLDER
    # The instructor's course: a copy of the repository's, theirs alone. On the hub it needs no
    # settings of its own: the class's exchange comes from the hub (hub/servers.py).
    course.mkdir()
    for name in ("source", "release", "nbgrader_config.py", "pyproject.toml"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, course / name)
    run(hub, "chown", "-R", f"{instructor}:{instructor}", str(course))
    # nbgrader_config.py imports helpers: the hub's environment has it.
    run(hub, "nbgrader", "generate_assignment", LESSON, "--force", user=instructor, cwd=course)
    run(hub, "nbgrader", "release_assignment", LESSON, "--force", user=instructor, cwd=course)

    # The exchange cannot be taken over: a student cannot replace or remove the release, nor
    # make folders of their own where the instructor's belong.
    outbound = exchange / "nnfs" / "outbound" / LESSON
    released = outbound / f"{LESSON}.ipynb"
    before = digest(released)
    for attempt in (
        ("cp", "/etc/hostname", str(released)),
        ("rm", "-rf", str(outbound)),
        ("mkdir", str(outbound.parent / "99_extra")),
        ("mv", str(exchange / "nnfs"), str(exchange / "mine")),
        ("mkdir", str(exchange / "other-course")),
    ):
        assert refused(run(hub, *attempt, user=bob, check=False)), attempt
    assert digest(released) == before

    fetch_in_the_assignments_panel(browser, hub, bob)
    run(hub, "nbgrader", "fetch_assignment", LESSON, user=alice, cwd=Path(f"/home/{alice}"))
    for student in (alice, bob):
        fetched = Path(f"/home/{student}/{LESSON}/{LESSON}.ipynb")
        assert fetched.stat().st_uid == Path(f"/home/{student}").stat().st_uid
    mine = Path(f"/home/{alice}/{LESSON}/{LESSON}.ipynb")
    nbformat.write(solved_release(LESSON), mine)
    run(hub, "chown", f"{alice}:{alice}", str(mine))
    for student in (alice, bob):
        cwd = Path(f"/home/{student}")
        said = run(hub, "nbgrader", "validate", f"{LESSON}/{LESSON}.ipynb", user=student, cwd=cwd)
        assert ("Success!" in said.stdout) == (student == alice), said.stdout[-2000:]
        run(hub, "nbgrader", "submit", LESSON, user=student, cwd=cwd)

    # What students cannot read, list or remove.
    inbound = exchange / "nnfs" / "inbound"
    (alices,) = [p for p in inbound.iterdir() if p.name.startswith(f"{alice}+")]
    submitted = {p.name: digest(p) for p in alices.iterdir()}
    for student in (alice, bob):
        other = {alice: bob, bob: alice}[student]
        for secret in (course / "source", course / "gradebook.db", Path(f"/home/{other}")):
            assert refused(run(hub, "cat", str(secret), user=student, check=False)), secret
        assert refused(run(hub, "ls", str(inbound), user=student, check=False))
    # Not even knowing the name of Alice's submission (which only root could tell him), Bob can
    # neither remove it nor read its secret (with which he could fetch her feedback).
    for attempt in (
        ("rm", "-rf", str(alices)),
        ("mv", str(alices), str(inbound / "gone")),
        ("cat", str(alices / "submission_secret.txt")),
    ):
        assert refused(run(hub, *attempt, user=bob, check=False)), attempt
    assert {p.name: digest(p) for p in alices.iterdir()} == submitted

    # Bob forges a later submission under Alice's name, with his own unsolved notebook.
    stamp = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1)).strftime(
        "%Y-%m-%d %H:%M:%S.%f UTC"
    )
    forged = inbound / f"{alice}+{LESSON}+{stamp}+forged"
    run(hub, "mkdir", str(forged), user=bob)
    run(hub, "cp", f"/home/{bob}/{LESSON}/{LESSON}.ipynb", str(forged), user=bob)
    run(hub, "bash", "-c", f"echo -n '{stamp}' > '{forged}/timestamp.txt'", user=bob)

    collect = run(hub, "nbgrader", "collect", LESSON, user=instructor, cwd=course, check=False)
    said = collect.stdout + collect.stderr
    assert collect.returncode != 0, said
    assert f"Refused {forged.name}" in said and f"{bob} made it" in said, said

    run(hub, "python", "-m", "helpers.grading", "autograde", LESSON, user=instructor, cwd=course)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        solved = gradebook.find_submission(LESSON, alice)
        untouched = gradebook.find_submission(LESSON, bob)
        assert solved.score == solved.max_score > 0
        assert untouched.score == 0 and untouched.max_score == solved.max_score
        full = f"{solved.max_score:g}"
    assert formgrader_rows(browser, hub, instructor) == {
        alice: f"{full} / {full}",
        bob: f"0 / {full}",
    }

    run(hub, "python", "-m", "helpers.grading", "feedback", LESSON, user=instructor, cwd=course)
    run(hub, "nbgrader", "release_feedback", LESSON, user=instructor, cwd=course)
    assert refused(run(hub, "ls", str(exchange / "nnfs" / "feedback"), user=bob, check=False))
    for student in (alice, bob):
        run(hub, "nbgrader", "fetch_feedback", LESSON, user=student, cwd=Path(f"/home/{student}"))
        assert list(Path(f"/home/{student}/{LESSON}/feedback").rglob(f"{LESSON}.html"))

    # A student's server has no formgrader (the instructor's showed it above).
    assert log_in(hub, alice).get(f"{hub['base']}/user/{alice}/formgrader").status_code == 404
