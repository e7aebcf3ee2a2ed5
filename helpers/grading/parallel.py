"""Grading a class in parallel: N workers, each in a private course copy; one coordinator writes.

The coordinator (``grade_in_parallel``) gives each worker one submission at a time. A worker is a
long-lived process (``python -m helpers.grading.parallel WORKER_COURSE``) that grades it with
nbgrader's own API in its private copy of the course and answers with the path of the graded
notebooks. Only the coordinator touches the real gradebook: one recorder thread copies the graded
notebooks into ``autograded/`` and records their scores with nbgrader's ``SaveAutoGrades``, while
the workers go on with the next submissions. A worker that dies or
passes the time limit, or fails in any other way (an error in the coordinator's own code
included), is replaced; its submission is retried once (not when nbgrader stopped one of its
cells at the per-cell time limit: it would again), then left for manual grading with its
log kept (the worker's stderr included). Every other submission is graded exactly as a
sequential run would grade it. The gradebook is copied for a new worker and written by the
recorder under one lock, so a worker never starts from a half-written gradebook.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from helpers.grading.course import CLASS_CONFIG, Course

# Files of a submission that may enter grading besides the notebooks named in release/: the
# submission time (late penalties) and the exchange's secret (release_feedback needs it).
SUBMISSION_METADATA = ("timestamp.txt", "submission_secret.txt")
# Held while the real gradebook is written or copied.
GRADEBOOK_LOCK = threading.Lock()


@dataclass
class Job:
    student: str
    assignment: str
    attempts: int = 0
    logs: list[str] = field(default_factory=list)


@dataclass
class Result:
    student: str
    assignment: str
    ok: bool
    message: str
    log: str = ""


def expected_files(course: Course, assignment: str) -> list[str]:
    """What a submission may contain: the released files (notebooks and data) and metadata."""
    released = course.release_dir / assignment
    names = [str(p.relative_to(released)) for p in released.rglob("*") if p.is_file()]
    return sorted(names) + list(SUBMISSION_METADATA)


def private_course_copy(course: Course, folder: Path) -> Path:
    """A worker's own course: config (the class's too), source and a copy of the gradebook
    (students included)."""
    folder.mkdir(parents=True)
    for name in ("nbgrader_config.py", CLASS_CONFIG):
        if (course.root / name).is_file():
            shutil.copy(course.root / name, folder / name)
    shutil.copytree(course.source_dir, folder / "source")
    shutil.copytree(course.release_dir, folder / "release")
    with GRADEBOOK_LOCK:
        shutil.copy(course.root / "gradebook.db", folder / "gradebook.db")
    return folder


class Worker:
    """One worker process and the private course copy it grades in."""

    def __init__(self, course: Course, home: Path, number: int):
        self.course, self.home, self.number = course, home, number
        self.generation = 0
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.generation += 1
        self.root = private_course_copy(
            self.course, self.home / f"w{self.number}-{self.generation}"
        )
        self.stderr_path = self.home / f"w{self.number}-{self.generation}.stderr"
        with open(self.stderr_path, "w") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "helpers.grading.parallel", str(self.root)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                start_new_session=True,  # its kernels are in its process group: killed with it
            )
        self.replies: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, args=(self.process, self.replies), daemon=True).start()

    @staticmethod
    def _read(process: subprocess.Popen, replies: queue.Queue) -> None:
        for line in process.stdout:
            replies.put(line)
        replies.put(None)  # the worker is gone

    def stderr_tail(self, lines: int = 40) -> str:
        try:
            text = self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def restart(self) -> None:
        self.stop(kill=True)
        self.start()

    def stop(self, kill: bool = False) -> None:
        if self.process is None:
            return
        if kill or self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL if kill else signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def grade(self, job: Job, timeout: float) -> tuple[bool, str, Path | None]:
        """Grade one submission; return (finished, log, graded folder)."""
        source = self.course.submitted_dir / job.student / job.assignment
        target = self.root / "submitted" / job.student / job.assignment
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for name in expected_files(self.course, job.assignment):
            if (source / name).is_file():  # only the expected files enter grading
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source / name, target / name)
        self.process.stdin.write(json.dumps([job.student, job.assignment]) + "\n")
        self.process.stdin.flush()
        try:
            line = self.replies.get(timeout=timeout)
        except queue.Empty:
            self.restart()
            return False, f"stopped after {timeout:.0f} s (an endless loop?)", None
        if line is None:
            stderr = self.stderr_tail()
            self.restart()
            return False, f"the grading worker died (the kernel took it down?)\n{stderr}", None
        reply = json.loads(line)
        graded = self.root / "autograded" / job.student / job.assignment
        return reply["success"], reply["log"], graded if reply["success"] else None


def grade_in_parallel(
    course: Course,
    pairs: list[tuple[str, str]],
    workers: int,
    timeout: float,
    worker_class: Callable[..., Worker] = Worker,
) -> list[Result]:
    """Grade every (student, assignment); return one result per pair, in the given order.

    ``worker_class`` makes the workers (tests give a stand-in).
    """
    from helpers.grading.gradebook import create_students

    create_students(course, sorted({student for student, _ in pairs}))
    jobs: queue.Queue = queue.Queue()
    for student, assignment in pairs:
        jobs.put(Job(student, assignment))
    results: dict[tuple[str, str], Result] = {}
    # One recorder thread alone writes the real gradebook, while the workers grade on.
    graded_work: queue.Queue = queue.Queue()
    recorder = threading.Thread(target=_record_all, args=(course, graded_work, results))

    with tempfile.TemporaryDirectory(prefix="nnfs-grading-") as scratch:
        os.chmod(scratch, 0o700)

        def run(number: int) -> None:
            worker = worker_class(course, Path(scratch), number)
            try:
                while True:
                    try:
                        job = jobs.get_nowait()
                    except queue.Empty:
                        return
                    job.attempts += 1
                    try:
                        finished, log, graded = worker.grade(job, timeout)
                    except Exception:  # the grader's own failure: this student, not the class
                        log = "the grader failed on this submission:\n" + traceback.format_exc()
                        log += f"\n[worker stderr]\n{worker.stderr_tail()}"
                        finished, graded = False, None
                        worker.restart()
                    job.logs.append(log)
                    key = (job.student, job.assignment)
                    if finished and graded is not None:
                        graded_work.put((job, graded, log))
                    elif job.attempts < 2 and not ran_out_of_cell_time(log):
                        jobs.put(job)  # one retry (a dead or stuck worker was replaced)
                    else:
                        results[key] = Result(
                            job.student, job.assignment, False, _summary(log), "\n\n".join(job.logs)
                        )
            finally:
                worker.stop()

        threads = [threading.Thread(target=run, args=(n,)) for n in range(max(1, workers))]
        recorder.start()
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            graded_work.put(None)  # nothing more to record
            recorder.join()  # before the scratch folder with the graded notebooks goes
    missing = "not graded: the grader lost this submission; needs manual grading"
    return [results.get(pair) or Result(*pair, False, missing) for pair in pairs]


def _record_all(course: Course, graded_work: queue.Queue, results: dict) -> None:
    """Copy each graded submission into autograded/ and record its scores, one at a time."""
    from helpers.grading.gradebook import record_graded

    while (item := graded_work.get()) is not None:
        job, graded, log = item
        try:
            with GRADEBOOK_LOCK:
                score = record_graded(course, job.student, job.assignment, graded)
            result = Result(job.student, job.assignment, True, score, log)
        except Exception as error:  # a broken graded notebook must not stop the others
            result = Result(
                job.student,
                job.assignment,
                False,
                f"recording the grade failed: {type(error).__name__}: {error};"
                " needs manual grading",
                log,
            )
        results[(job.student, job.assignment)] = result


def ran_out_of_cell_time(log: str) -> bool:
    """nbgrader stopped one of the notebook's cells at the per-cell time limit. Not retried: the
    same notebook runs out of time again (an endless loop), which would cost the limit twice."""
    return "Timeout waiting for execute reply" in log


def _summary(log: str) -> str:
    """One sentence an instructor can act on."""
    if "stopped after" in log:
        return log.splitlines()[0] + "; needs manual grading"
    if "DeadKernelError" in log or "Kernel died" in log or "worker died" in log:
        return (
            "the kernel died while running the notebook (sys.exit/os._exit, a crash, or too"
            " much memory); needs manual grading"
        )
    if "CellTimeoutError" in log:
        return "a cell ran past the per-cell time limit; needs manual grading"
    if "No notebooks found" in log:
        return (
            "nbgrader found no release of this assignment (was it added to the gradebook"
            " before it was generated?); needs manual grading"
        )
    if "the grader failed on this submission" in log:
        last = [line for line in log.splitlines() if line.strip()][-1]
        return f"the grader itself failed ({last.strip()[:200]}); needs manual grading"
    errors = [line.strip() for line in log.splitlines() if "[ERROR]" in line or "Error" in line]
    return f"nbgrader failed: {errors[-1] if errors else 'see the log'}; needs manual grading"


def worker_main(root: str) -> int:
    """Grade submissions named on stdin (one JSON [student, assignment] a line) in ``root``."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    replies = sys.stdout
    sys.stdout = sys.stderr  # nothing but replies on the reply channel
    os.chdir(root)
    config = Course(Path(root)).config()
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    for line in sys.stdin:
        student, assignment = json.loads(line)
        started = time.monotonic()
        outcome = api.autograde(assignment, student, force=True, create=True)
        log = outcome.get("log", "") + outcome.get("error", "")
        log += f"\n[worker] graded in {time.monotonic() - started:.1f} s\n"
        replies.write(json.dumps({"success": bool(outcome["success"]), "log": log}) + "\n")
        replies.flush()
    return 0


if __name__ == "__main__":
    sys.exit(worker_main(sys.argv[1]))
