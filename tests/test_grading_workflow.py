"""The instructor's workflow around grading, as stock nbgrader would run it.

Late penalties, a due date set before the first release, feedback released through the exchange,
and a failure of the grader itself on one submission: each ends as stock nbgrader would end it,
or as a named student needing manual grading, never as a lost class.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader_course import Course, lessons, solved_release

from helpers.grading.course import CLASS_CONFIG
from helpers.grading.course import Course as GradingCourse
from helpers.grading.parallel import grade_in_parallel

LESSON = lessons()[0]
LATE = "2020-01-02 10:00:00 UTC"
DUE = "2020-01-01 10:00:00 UTC"


class FailingWorker:
    """Stands in for a grading worker; it raises on one student's submission."""

    def __init__(self, course, home, number):
        self.restarts = 0

    def grade(self, job, timeout):
        if job.student == "unlucky":
            raise BrokenPipeError("the reply channel broke")
        return False, "nothing graded here", None

    def stderr_tail(self):
        return "worker stderr tail"

    def restart(self):
        self.restarts += 1

    def stop(self):
        pass


def test_a_grader_error_on_one_submission_names_that_student(tmp_path, monkeypatch):
    # nbgrader runs `alembic` from PATH to create the gradebook: the one beside this Python.
    monkeypatch.setenv(
        "PATH", os.pathsep.join([os.path.dirname(sys.executable), os.environ["PATH"]])
    )
    course = GradingCourse(Course.copy_of_repo(tmp_path / "course").root)
    pairs = [("lucky", LESSON), ("unlucky", LESSON)]
    results = grade_in_parallel(course, pairs, workers=2, timeout=60, worker_class=FailingWorker)
    assert [r.student for r in results] == ["lucky", "unlucky"]
    unlucky = results[1]
    assert not unlucky.ok and "the grader itself failed" in unlucky.message
    assert "BrokenPipeError: the reply channel broke" in unlucky.log
    assert "worker stderr tail" in unlucky.log


def late_penalty(course, student: str) -> float:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gradebook:
        return float(gradebook.find_submission(LESSON, student).late_submission_penalty)


@pytest.mark.slow
def test_a_late_submission_gets_the_penalty_nbgrader_configures(tmp_path, generated_gradebook):
    """nbgrader's own late-submission plugin decides, set for the class in its untracked
    nbgrader_class_config.py (README, "Running a class"): with "zero", a submission after the
    due date loses its whole score (13 points), one before nothing, from the timestamp the
    exchange wrote."""
    course = Course.copy_of_repo(
        tmp_path / "course", cell_timeout=30, gradebook=generated_gradebook
    )
    (course.root / CLASS_CONFIG).write_text(
        'c = get_config()\nc.LateSubmissionPlugin.penalty_method = "zero"\n'
    )
    done = course.nbgrader("db", "assignment", "add", LESSON, f"--duedate={DUE}")
    assert done.returncode == 0, done.stdout + done.stderr
    for student, stamp in (("late", LATE), ("on-time", "2019-12-31 10:00:00 UTC")):
        path = course.submit(student, LESSON, solved_release(LESSON))
        (path.parent / "timestamp.txt").write_text(stamp)
    done = course.run("autograde")
    assert done.returncode == 0, done.stdout + done.stderr
    assert course.total("late", LESSON) == course.total("on-time", LESSON) == (13.0, 13.0)
    assert {s: late_penalty(course, s) for s in ("late", "on-time")} == {
        "late": 13.0,
        "on-time": 0.0,
    }


@pytest.mark.slow
def test_a_due_date_set_before_the_first_release_is_kept_and_grading_works(tmp_path):
    course = Course.copy_of_repo(tmp_path / "course", cell_timeout=30)
    shutil.rmtree(course.root / "release")  # a new course: nothing generated yet
    done = course.nbgrader("db", "assignment", "add", LESSON, f"--duedate={DUE}")
    assert done.returncode == 0, done.stdout + done.stderr
    course.submit("someone", LESSON, solved_release(LESSON))
    done = course.run("autograde")
    assert done.returncode == 0, done.stdout + done.stderr
    score, max_score = course.total("someone", LESSON)
    assert score == max_score > 0
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gradebook:
        assert str(gradebook.find_assignment(LESSON).duedate).startswith("2020-01-01 10:00")


def exchange_command(root: Path, exchange: Path, *args: str) -> subprocess.CompletedProcess:
    """Plain nbgrader in ``root`` with the exchange at ``exchange``, as a student or instructor."""
    env = {
        **os.environ,
        "NBGRADER_EXCHANGE_ROOT": str(exchange),
        "PATH": os.pathsep.join([os.path.dirname(sys.executable), os.environ["PATH"]]),
    }
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.slow
def test_feedback_goes_back_through_the_exchange(tmp_path, monkeypatch, generated_gradebook):
    exchange, student_home = tmp_path / "exchange", tmp_path / "student"
    exchange.mkdir(mode=0o777)
    student_home.mkdir()
    monkeypatch.setenv("NBGRADER_EXCHANGE_ROOT", str(exchange))  # for the course's own commands
    course = Course.copy_of_repo(
        tmp_path / "course", cell_timeout=30, gradebook=generated_gradebook
    )
    (student_home / "nbgrader_config.py").write_text(
        f'c = get_config()\nc.CourseDirectory.course_id = "nnfs"\nc.Exchange.root = r"{exchange}"\n'
    )

    def ok(done):
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    ok(exchange_command(course.root, exchange, "release_assignment", LESSON, "--force"))
    ok(exchange_command(student_home, exchange, "fetch_assignment", LESSON))
    fetched = student_home / LESSON / f"{LESSON}.ipynb"
    nbformat.write(solved_release(LESSON), fetched)
    ok(exchange_command(student_home, exchange, "submit", LESSON))
    ok(exchange_command(course.root, exchange, "collect", LESSON))
    [submitted] = (course.root / "submitted").iterdir()
    assert (submitted / LESSON / "submission_secret.txt").is_file()

    ok(course.run("autograde"))
    ok(course.run("feedback"))
    ok(exchange_command(course.root, exchange, "release_feedback", LESSON))
    ok(exchange_command(student_home, exchange, "fetch_feedback", LESSON))
    pages = list((student_home / LESSON / "feedback").rglob(f"{LESSON}.html"))
    assert pages and "Exercise 1, perceptron_predict" in pages[0].read_text()


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="a folder owned by another user takes root to make")
def test_collect_refuses_a_submission_forged_under_another_name(tmp_path):
    """On a shared exchange, a later submission named after root but made by another user
    (here `nobody`) is left out, named, and makes collect fail; root's own is collected."""
    exchange = tmp_path / "exchange"
    inbound = exchange / "nnfs" / "inbound"
    inbound.mkdir(parents=True)
    course = Course.copy_of_repo(tmp_path / "course")
    notebook = nbformat.writes(solved_release(LESSON))
    stamps = {
        "honest": "2024-01-01 10:00:00.000000 UTC",
        "forged": "2024-01-02 10:00:00.000000 UTC",
    }
    for kind, stamp in stamps.items():
        folder = inbound / f"root+{LESSON}+{stamp}+{kind}"
        folder.mkdir()
        (folder / f"{LESSON}.ipynb").write_text(notebook)
        (folder / "timestamp.txt").write_text(stamp)
    nobody = pwd.getpwnam("nobody")
    forged = inbound / f"root+{LESSON}+{stamps['forged']}+forged"
    for path in (forged, *forged.iterdir()):
        os.chown(path, nobody.pw_uid, nobody.pw_gid)

    done = exchange_command(course.root, exchange, "collect", LESSON)
    said = done.stdout + done.stderr
    assert done.returncode != 0, said
    assert f"Refused root+{LESSON}+{stamps['forged']}+forged" in said, said
    assert "made it" in said and "nobody" in said, said
    collected = course.root / "submitted" / "root" / LESSON / "timestamp.txt"
    assert collected.read_text() == stamps["honest"]
