"""The instructor's commands: ``python -m helpers.grading {release,autograde,feedback,export}``.

Run them from the course root (the folder with ``nbgrader_config.py``); the Makefile does.
Each submission is graded in its own nbgrader process with a time limit, so one broken
submission (invalid JSON, a deleted cell, an infinite loop, a crashing kernel) gets a clear
message of its own and never stops the others.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from helpers.grading.course import Course
from helpers.grading.submissions import problems_with_submission


@dataclass
class Outcome:
    student: str
    assignment: str
    ok: bool
    message: str


def _run_nbgrader(course: Course, args: list[str], timeout: float) -> tuple[int, str]:
    """Run one nbgrader command in the course root; return its exit code and its output."""
    command = [sys.executable, "-m", "nbgrader", *args]
    # nbgrader runs `alembic` from PATH: make it find the one beside this Python.
    path = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
    try:
        done = subprocess.run(
            command,
            cwd=course.root,
            env={**os.environ, "PATH": path},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as expired:
        output = (expired.stdout or "") + (expired.stderr or "")
        if isinstance(output, bytes):
            output = output.decode(errors="replace")
        return -1, output + f"\n[course-grade] stopped after {timeout:.0f} s\n"
    return done.returncode, done.stdout + done.stderr


def _explain_failure(log: str, returncode: int, timeout: float) -> str:
    """Turn nbgrader's log into one sentence an instructor can act on."""
    if returncode == -1:
        return (
            f"grading took longer than {timeout:.0f} s and was stopped (an endless loop?);"
            " needs manual grading"
        )
    if "DeadKernelError" in log or "Kernel died" in log or "kernel died" in log:
        return (
            "the kernel died while running the notebook (sys.exit/os._exit, a crash, or too"
            " much memory); needs manual grading"
        )
    if "CellTimeoutError" in log or "UnresponsiveKernelError" in log:
        return "a cell ran past the per-cell time limit; needs manual grading"
    for line in reversed(log.splitlines()):
        if "[ERROR]" in line or "Error" in line:
            return f"nbgrader failed: {line.strip()}"
    return f"nbgrader failed with exit code {returncode}"


def release(course: Course, assignments: list[str]) -> int:
    failures = 0
    for assignment in assignments or course.assignments():
        code, log = _run_nbgrader(
            course, ["generate_assignment", assignment, "--force"], timeout=600
        )
        status = "released" if code == 0 else f"FAILED (exit {code})"
        print(f"{assignment:<28} {status}")
        if code != 0:
            failures += 1
            print(log)
    return 1 if failures else 0


def autograde(course: Course, assignments: list[str], timeout: float) -> int:
    wanted = set(assignments)
    pairs = [(s, a) for s, a in course.submissions() if not wanted or a in wanted]
    # Grading compares against the source cells in the gradebook: record any lesson it lacks.
    missing = sorted({a for _, a in pairs} - course.known_assignments())
    missing = [a for a in missing if a in course.assignments()]
    if missing:
        print(f"The gradebook does not know {', '.join(missing)} yet: generating it first.")
        if release(course, missing) != 0:
            return 1
    outcomes = [
        _autograde_one(course, student, assignment, timeout) for student, assignment in pairs
    ]
    if not outcomes:
        print(f"No submissions found under {course.submitted_dir}/<student>/<assignment>/.")
        return 1
    _print_outcomes("Autograde", outcomes)
    return 0 if all(o.ok for o in outcomes) else 1


def _autograde_one(course: Course, student: str, assignment: str, timeout: float) -> Outcome:
    log_path = course.log_path(student, assignment)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    problems = problems_with_submission(
        course.submitted_dir / student / assignment, course.release_dir / assignment
    )
    if problems:
        message = "; ".join(problems) + "; not graded, needs manual grading"
        log_path.write_text(message + "\n")
        return Outcome(student, assignment, False, message)
    code, log = _run_nbgrader(
        course, ["autograde", assignment, "--student", student, "--force"], timeout=timeout
    )
    log_path.write_text(log)
    if code != 0:
        return Outcome(
            student, assignment, False, f"{_explain_failure(log, code, timeout)} (log: {log_path})"
        )
    score, max_score = course.score(student, assignment)
    return Outcome(student, assignment, True, f"{score:g} / {max_score:g}")


def feedback(course: Course, assignments: list[str]) -> int:
    """Feedback runs no student code: one nbgrader run per lesson, per student only on failure."""
    wanted = set(assignments)
    pairs = [(s, a) for s, a in course.autograded() if not wanted or a in wanted]
    if not pairs:
        print(f"Nothing autograded yet under {course.autograded_dir}: run the autograde first.")
        return 1
    outcomes: list[Outcome] = []
    for assignment in sorted({a for _, a in pairs}):
        students = [s for s, a in pairs if a == assignment]
        code, _ = _run_nbgrader(course, ["generate_feedback", assignment, "--force"], timeout=1800)
        for student in students:
            if code != 0:
                code_one, log = _run_nbgrader(
                    course,
                    ["generate_feedback", assignment, "--student", student, "--force"],
                    timeout=300,
                )
                if code_one != 0:
                    outcomes.append(Outcome(student, assignment, False, log.strip()[-500:]))
                    continue
            page = course.feedback_dir / student / assignment
            outcomes.append(Outcome(student, assignment, page.is_dir(), str(page)))
    _print_outcomes("Feedback", outcomes)
    return 0 if all(o.ok for o in outcomes) else 1


def export(course: Course, destination: str) -> int:
    code, log = _run_nbgrader(course, ["export", "--to", destination], timeout=300)
    if code != 0:
        print(log)
        return 1
    print(f"Grades written to {Path(course.root, destination)}")
    return 0


def _print_outcomes(title: str, outcomes: list[Outcome]) -> None:
    failed = [o for o in outcomes if not o.ok]
    print(f"{title}: {len(outcomes) - len(failed)} done, {len(failed)} need attention")
    for o in outcomes:
        status = "ok     " if o.ok else "PROBLEM"
        print(f"  {status} {o.student:<20} {o.assignment:<24} {o.message}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.grading", description=__doc__)
    parser.add_argument("--course", default=".", help="course root (has nbgrader_config.py)")
    commands = parser.add_subparsers(dest="command", required=True)

    release_cmd = commands.add_parser("release", help="generate release/ from source/")
    release_cmd.add_argument("assignments", nargs="*", help="default: every lesson in source/")

    grade_cmd = commands.add_parser("autograde", help="grade everything in submitted/")
    grade_cmd.add_argument("assignments", nargs="*", help="default: all")
    grade_cmd.add_argument(
        "--timeout", type=float, default=900, help="seconds allowed per submission (default 900)"
    )

    feedback_cmd = commands.add_parser("feedback", help="generate feedback for autograded work")
    feedback_cmd.add_argument("assignments", nargs="*", help="default: all")

    export_cmd = commands.add_parser("export", help="write the grade sheet as CSV")
    export_cmd.add_argument("--to", default="grades.csv", help="CSV file (default grades.csv)")

    args = parser.parse_args(argv)
    course = Course.at(args.course)
    if args.command == "release":
        return release(course, args.assignments)
    if args.command == "autograde":
        return autograde(course, args.assignments, args.timeout)
    if args.command == "feedback":
        return feedback(course, args.assignments)
    return export(course, args.to)
