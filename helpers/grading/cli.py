"""The instructor's commands: ``python -m helpers.grading {release,autograde,feedback,export,report}``.

Run them from the course root (the folder with ``nbgrader_config.py``); the Makefile does.
``autograde`` grades the class in parallel workers (``helpers.grading.parallel``), each grading one
submission at a time with a time limit, so one broken submission (invalid JSON, a deleted cell, an
infinite loop, a crashing kernel) gets a clear message of its own and never stops the others.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from helpers.grading.course import OUTCOME_MARK, Course
from helpers.grading.feedback_page import rewrite_feedback
from helpers.grading.gradebook import verify
from helpers.grading.parallel import grade_in_parallel
from helpers.grading.sandbox import (
    BLAS_THREADS_VARIABLE,
    WITHOUT_SANDBOX_VARIABLE,
    blas_threads_for,
    verify_sandbox,
    without_sandbox_notice,
)
from helpers.grading.submissions import problems_with_submission
from helpers.grading.tampering import reasons_in_submission
from helpers.workspace import WORK_FOLDER, student_work_in


@dataclass
class Outcome:
    student: str
    assignment: str
    ok: bool
    message: str
    flags: tuple[str, ...] = ()  # why it needs a look although it was graded (tampering)


def _run_nbgrader(course: Course, args: list[str], timeout: float) -> tuple[int, str]:
    """Run one nbgrader command in the course root; return its exit code and its output."""
    command = [sys.executable, "-m", "nbgrader", *args]
    try:
        done = subprocess.run(
            command,
            cwd=course.root,
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


def release(course: Course, assignments: list[str]) -> int:
    failures = 0
    for assignment in assignments or course.assignments():
        kept = _student_work(course, assignment)
        if kept:
            print(f"{assignment:<28} NOT released: {kept}")
            failures += 1
            continue
        code, log = _run_nbgrader(
            course, ["generate_assignment", assignment, "--force"], timeout=600
        )
        status = "released" if code == 0 else f"FAILED (exit {code})"
        print(f"{assignment:<28} {status}")
        if code != 0:
            failures += 1
            print(log)
    return 1 if failures else 0


def _student_work(course: Course, assignment: str) -> str | None:
    """Why regenerating release/<assignment>/ would destroy a student's work, if it would."""
    for notebook in sorted((course.release_dir / assignment).glob("*.ipynb")):
        why = student_work_in(notebook)
        if why:
            where = notebook.relative_to(course.root)
            return (
                f"{where} holds a student's work ({why}), which regenerating would overwrite."
                f" Move it to {WORK_FOLDER}/{assignment}/ (where students work), or restore the"
                f" generated file with `git checkout {where}`, then run this again."
            )
    return None


REFUSAL_ADVICE = """\
Nothing was graded: student code would run with your rights, able to read the hidden tests in
source/, the gradebook and other students' submissions. What to do
(README.md, "Grading where bubblewrap cannot run"):
  - Debian or Ubuntu: apt-get install bubblewrap. Where unprivileged user namespaces are
    restricted (Ubuntu 24.04's AppArmor: kernel.apparmor_restrict_unprivileged_userns=1), allow
    them for the grading machine, or grade in a container as below.
  - macOS, or a container or Kubernetes pod without user namespaces: grade in a Linux container
    of your own that may create them, for example
    docker run --rm --privileged -v "$PWD":/course -w /course <course image> make autograde
    (the sandbox then works inside it).
  - Submissions you trust: python -m helpers.grading autograde --without-sandbox grades without
    it, and its report and every grading log say what that gives up."""


def autograde(
    course: Course,
    assignments: list[str],
    timeout: float,
    workers: int,
    without_sandbox: bool = False,
) -> int:
    wanted = set(assignments)
    pairs = [(s, a) for s, a in course.submissions() if not wanted or a in wanted]
    if not pairs:
        print(f"No submissions found under {course.submitted_dir}/<student>/<assignment>/.")
        return 1
    # Grading compares against the source cells in the gradebook: record any lesson it lacks.
    missing = sorted({a for _, a in pairs} - course.known_assignments())
    missing = [a for a in missing if a in course.assignments()]
    if missing:
        print(f"The gradebook does not know {', '.join(missing)} yet: generating it first.")
        if release(course, missing) != 0:
            return 1

    # Student code runs only in a sandbox: prove it is one, through the very configuration the
    # workers will use, before any submission is graded. Unless the instructor says otherwise,
    # and then every report and log says what that gave up.
    notice = ""
    if without_sandbox:
        os.environ[WITHOUT_SANDBOX_VARIABLE] = "1"
        notice = without_sandbox_notice()
        print(notice)
    else:
        os.environ.pop(WITHOUT_SANDBOX_VARIABLE, None)
        failures = verify_sandbox(course.root)
        if failures:
            print("Refusing to grade: the autograding kernel is not sandboxed:")
            for failure in failures:
                print(f"  - {failure}")
            print(REFUSAL_ADVICE)
            return 2

    outcomes: dict[tuple[str, str], Outcome] = {}
    gradable = []
    for student, assignment in pairs:
        problems = problems_with_submission(
            course.submitted_dir / student / assignment, course.release_dir / assignment
        )
        if problems:
            message = "; ".join(problems) + "; not graded, needs manual grading"
            _keep_log(course, student, assignment, message, ok=False, message=message)
            outcomes[(student, assignment)] = Outcome(student, assignment, False, message)
        else:
            gradable.append((student, assignment))

    # The workers' kernels share the cores: each gets its share of BLAS threads, not the maximum.
    os.environ[BLAS_THREADS_VARIABLE] = str(blas_threads_for(workers))
    started = time.monotonic()
    for result in grade_in_parallel(course, gradable, workers=workers, timeout=timeout):
        flags = tuple(
            reasons_in_submission(
                course.submitted_dir / result.student / result.assignment,
                course.release_dir / result.assignment,
            )
        )
        log = result.log + "".join(f"\nFLAGGED for manual review: {flag}" for flag in flags)
        if notice:
            log = f"{notice}\n\n{log}"
        log_path = _keep_log(
            course, result.student, result.assignment, log, result.ok, result.message
        )
        message = (
            result.message if result.ok and not flags else f"{result.message} (log: {log_path})"
        )
        outcomes[(result.student, result.assignment)] = Outcome(
            result.student, result.assignment, result.ok, message, flags
        )
    elapsed = time.monotonic() - started

    _print_outcomes("Autograde", [outcomes[pair] for pair in pairs])
    if notice:
        print(notice)
    if gradable:
        print(
            f"Graded {len(gradable)} submission(s) in {elapsed:.1f} s with {workers} worker(s):"
            f" {elapsed / len(gradable):.2f} s per student-notebook."
        )
    graded = [(o.student, o.assignment) for o in outcomes.values() if o.ok]
    mismatches = verify(course, graded)
    if mismatches:
        print("The gradebook does not match the graded notebooks:")
        for line in mismatches:
            print(f"  MISMATCH {line}")
    else:
        print(f"Verified: the gradebook matches all {len(graded)} graded notebook(s).")
    if graded:
        print("What the class got wrong, per lesson: make report")
    flagged = any(o.flags for o in outcomes.values())
    return 0 if all(o.ok for o in outcomes.values()) and not mismatches and not flagged else 1


def _keep_log(
    course: Course, student: str, assignment: str, log: str, ok: bool, message: str
) -> Path:
    """Keep a submission's grading log, ending with the outcome (``OUTCOME_MARK``), which the
    class report reads."""
    path = course.log_path(student, assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    outcome = f"graded, {message}" if ok else "not graded: " + message.removeprefix("not graded: ")
    path.write_text(f"{log.rstrip()}\n{OUTCOME_MARK}{outcome}\n")
    return path


def feedback(course: Course, assignments: list[str], only: list[str] | None = None) -> int:
    """Feedback runs no student code: one nbgrader run for every lesson (nbgrader takes seconds
    to start), then one per lesson and per student only where that fails.

    ``only``: the students to make feedback for (default: everyone autograded), for example
    after a manual regrade.
    """
    wanted = set(assignments)
    pairs = [(s, a) for s, a in course.autograded() if not wanted or a in wanted]
    if only:
        unknown = sorted(set(only) - {s for s, _ in pairs})
        if unknown:
            print(f"No autograded work of {', '.join(unknown)}: run the autograde first.")
            return 1
        pairs = [(s, a) for s, a in pairs if s in only]
    if not pairs:
        print(f"Nothing autograded yet under {course.autograded_dir}: run the autograde first.")
        return 1
    exclude = []
    if only:  # nbgrader takes one student or all: leave out everyone else
        others = {s for s, _ in course.autograded()} - set(only)
        exclude = [f"--CourseDirectory.student_id_exclude={','.join(sorted(others))}"]
    lessons = sorted({a for _, a in pairs})
    everything = "*" if len(lessons) > 1 else lessons[0]
    code_all, _ = _run_nbgrader(
        course, ["generate_feedback", everything, "--force", *exclude], timeout=3600
    )
    outcomes: list[Outcome] = []
    for assignment in lessons:
        students = [s for s, a in pairs if a == assignment]
        code = code_all
        if code != 0 and len(lessons) > 1:
            command = ["generate_feedback", assignment, "--force", *exclude]
            code, _ = _run_nbgrader(course, command, timeout=1800)
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
            if page.is_dir():
                rewrite_feedback(page, course.exercises(assignment))
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


def report(course: Course, assignments: list[str], folder: str) -> int:
    """The class report (``helpers.grading.report``): what the class got wrong, per lesson."""
    from helpers.grading.report import read_class, summarize
    from helpers.grading.report_page import write_report

    if not (course.root / "gradebook.db").is_file():
        print(
            "No gradebook.db here yet: release and autograde first (make release, make autograde)."
        )
        return 1
    unknown = sorted(set(assignments) - set(course.assignments()))
    if unknown:
        print(f"No such lesson in source/: {', '.join(unknown)}.")
        return 1
    started = time.monotonic()
    summaries = [summarize(results) for results in read_class(course, assignments)]
    if not summaries:
        print(f"Nothing submitted yet under {course.submitted_dir}: collect, then autograde first.")
        return 1
    page, table = write_report(summaries, Path(course.root, folder), "gradebook.db and autograded/")
    for summary in summaries:
        results = summary.results
        top = summary.mistakes[0] if summary.mistakes else None
        most = f"; most named: {top.name} ({len(top.students)})" if top else ""
        print(
            f"{results.lesson:<28} {len(results.graded)} graded, {len(results.not_graded)} could"
            f" not be graded, {len(results.no_submission)} did not submit{most}"
        )
        for student, reason in sorted(results.not_graded.items()):
            print(f"  NOT GRADED {student}: {reason}")
    print(f"Report written in {time.monotonic() - started:.1f} s: {page} and {table}")
    return 0


def _print_outcomes(title: str, outcomes: list[Outcome]) -> None:
    failed = [o for o in outcomes if not o.ok]
    flagged = [o for o in outcomes if o.ok and o.flags]
    print(
        f"{title}: {len(outcomes) - len(failed)} done, {len(failed) + len(flagged)} need attention"
    )
    for o in outcomes:
        status = "PROBLEM" if not o.ok else "FLAGGED" if o.flags else "ok     "
        print(f"  {status} {o.student:<20} {o.assignment:<24} {o.message}")
        if o.flags:
            more = f" (and {len(o.flags) - 3} more)" if len(o.flags) > 3 else ""
            print(
                "          score kept; reaches into the grading machinery, look before you"
                f" release it: {'; '.join(o.flags[:3])}{more}"
            )


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
    grade_cmd.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="submissions graded at the same time (default: the number of cores)",
    )

    grade_cmd.add_argument(
        "--without-sandbox",
        action="store_true",
        help="grade where bubblewrap cannot run (macOS, a container or pod without user"
        " namespaces): student code runs with your rights, and the report says what that gives"
        " up; only for submissions you trust",
    )

    feedback_cmd = commands.add_parser("feedback", help="generate feedback for autograded work")
    feedback_cmd.add_argument("assignments", nargs="*", help="default: all")
    feedback_cmd.add_argument(
        "--student",
        action="append",
        dest="students",
        help="only this student's feedback (repeat for several; default: everyone graded)",
    )

    export_cmd = commands.add_parser("export", help="write the grade sheet as CSV")
    export_cmd.add_argument("--to", default="grades.csv", help="CSV file (default grades.csv)")

    report_cmd = commands.add_parser(
        "report", help="what the class got wrong: scores, pass rates and named mistakes"
    )
    report_cmd.add_argument("assignments", nargs="*", help="default: every lesson in source/")
    report_cmd.add_argument(
        "--to", default="report", help="folder for mistakes.html and mistakes.csv (default report)"
    )

    args = parser.parse_args(argv)
    # nbgrader runs `alembic` from PATH (here, in the workers and in nbgrader's own commands):
    # make it find the one beside this Python even when the venv is not activated.
    os.environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), os.environ["PATH"]])
    course = Course.at(args.course)
    if args.command == "release":
        return release(course, args.assignments)
    if args.command == "autograde":
        return autograde(course, args.assignments, args.timeout, args.workers, args.without_sandbox)
    if args.command == "feedback":
        return feedback(course, args.assignments, args.students)
    if args.command == "report":
        return report(course, args.assignments, args.to)
    return export(course, args.to)
