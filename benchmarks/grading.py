"""Benchmark: grade a synthetic class with plain nbgrader and with the course's grade command.

    .venv/bin/python benchmarks/grading.py [--submissions 100] [--workers N]

Both runs grade the same submissions (solutions, untouched releases and the wrong/alternative
answers from tests/fixtures, cycled across every lesson) in the same run on the same machine:
plain ``nbgrader autograde`` one lesson at a time, sequentially, and ``python -m helpers.grading
autograde`` (sandboxed, parallel). The plain run uses the course's configuration without
the sandbox, as stock nbgrader would. It prints seconds per student-notebook for each, their ratio,
and checks that both give every student the same score. Then it times the class report (`make
report`) against nbgrader's export of the same gradebook (`make grades`), both as commands.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from nbgrader_course import (  # noqa: E402
    Course,
    fixtures,
    lessons,
    notebook_path,
    solved_release,
    uses_unseeded_randomness,
)


def synthetic_class(count: int) -> list[tuple[str, str, nbformat.NotebookNode]]:
    """(student, lesson, notebook) for ``count`` submissions, cycling through every kind."""
    kinds = []
    for lesson in lessons():
        kinds.append((lesson, "solved", solved_release(lesson)))
        kinds.append(
            (lesson, "untouched", nbformat.read(notebook_path(REPO, "release", lesson), 4))
        )
        for fixture in fixtures(lesson):
            answer = {fixture.parent.name: fixture.read_text()}
            kinds.append((lesson, fixture.stem, solved_release(lesson, answer)))
    cycle = itertools.islice(itertools.cycle(kinds), count)
    return [(f"s{i:04d}-{kind}", lesson, nb) for i, (lesson, kind, nb) in enumerate(cycle)]


def scores(course: Course, pairs) -> dict[tuple[str, str], float]:
    return {(s, a): course.total(s, a)[0] for s, a, _ in pairs}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=100)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    env_path = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
    os.environ["PATH"] = env_path

    submissions = synthetic_class(args.submissions)
    with tempfile.TemporaryDirectory(prefix="nnfs-bench-") as scratch:
        # Plain nbgrader: the stock autograde, every cell in a plain kernel, no sandbox.
        plain = Course.copy_of_repo(Path(scratch) / "plain", stock=True)
        ours = Course.copy_of_repo(Path(scratch) / "ours")
        for course in (plain, ours):
            for student, lesson, notebook in submissions:
                course.submit(student, lesson, notebook)
            done = course.run("release")
            assert done.returncode == 0, done.stdout + done.stderr

        started = time.perf_counter()
        for lesson in sorted({lesson for _, lesson, _ in submissions}):
            plain.nbgrader("autograde", lesson, "--force", timeout=7200)
        plain_seconds = time.perf_counter() - started

        started = time.perf_counter()
        done = ours.run("autograde", "--workers", str(args.workers), timeout=7200)
        ours_seconds = time.perf_counter() - started
        if "Verified" not in done.stdout:
            print(done.stdout[-3000:], done.stderr[-3000:])

        n = len(submissions)
        plain_scores, our_scores = scores(plain, submissions), scores(ours, submissions)
        # A submission that draws from NumPy's unseeded global generator scores differently
        # from one run to the next in any grader: leave those out of the comparison.
        random = {
            (student, lesson)
            for student, lesson, notebook in submissions
            if uses_unseeded_randomness(nbformat.writes(notebook))
        }
        differ = [k for k in plain_scores if k not in random and plain_scores[k] != our_scores[k]]
        print(f"{n} student-notebooks across {len({l for _, l, _ in submissions})} lesson(s)")
        print(f"plain nbgrader autograde (sequential): {plain_seconds / n:6.2f} s per notebook")
        print(
            f"course grade command ({args.workers} workers):"
            f"    {ours_seconds / n:6.2f} s per notebook"
        )
        print(f"ratio (course / plain): {ours_seconds / plain_seconds:.2f}")
        compared = (
            f"{n - len(random)} submissions ({len(random)} with unseeded randomness left out)"
        )
        print(f"scores agree for all {compared}" if not differ else f"SCORES DIFFER for {differ}")

        # The class report against nbgrader's own export: both read the whole gradebook.
        started = time.perf_counter()
        reported = ours.run("report", timeout=600)
        report_seconds = time.perf_counter() - started
        started = time.perf_counter()
        exported = ours.run("export", "--to", "grades.csv", timeout=600)
        export_seconds = time.perf_counter() - started
        if reported.returncode != 0 or exported.returncode != 0:
            print(reported.stdout[-2000:], exported.stdout[-2000:])
        print(
            f"make report: {report_seconds:.2f} s, make grades (nbgrader export):"
            f" {export_seconds:.2f} s, ratio {report_seconds / export_seconds:.2f}"
        )
        shutil.rmtree(scratch, ignore_errors=True)
        return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
