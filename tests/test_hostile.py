"""A class with hostile and broken submissions, graded by the course's grade command.

Honest submissions get exactly the grade they get alone (tests/cell_runner.py's, which is stock
nbgrader's: tests/test_stock_equivalence.py); no hostile one earns a point it did not earn; nothing is written outside the grader's output; the gradebook
does not change after the command ends; and the batch finishes. Each hostile submission is the
untouched release with an attack in its first solution cell (so its honest score is 0), or the
release with its test cells or file tampered with.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from pathlib import Path

import nbformat
import pytest
from cell_runner import graded_cells, score_submissions
from nbgrader_course import (
    REPO,
    Course,
    deleted_cells,
    grade_id,
    is_test_cell,
    lessons,
    notebook_path,
    solution_cells,
    solved_release,
    source_notebook,
)

from helpers.grading.sandbox import AFTER_INTERRUPT_OUTPUT_WAIT

pytestmark = pytest.mark.slow
LESSON = lessons()[0]
MARKER_DIR = Path("/tmp") / f"nnfs-hostile-{uuid.uuid4().hex[:8]}"

# name -> code put in place of the first exercise's solution
ATTACKS = {
    "sys-exit": "import sys\nsys.exit(0)",
    "os-exit": "import os\nos._exit(0)",
    "kill-parents": (
        "import os, signal\n"
        "parent = os.getppid()\n"
        "grandparent = int(open('/proc/%d/stat' % parent).read().split()[3])\n"
        "for pid in (grandparent, parent):\n"
        "    try:\n        os.kill(pid, signal.SIGKILL)\n    except Exception as error:\n"
        "        print(error)"
    ),
    "kill-grader": "import os, signal\nos.kill({grader_pid}, signal.SIGKILL)",
    "endless-loop-ignoring-interrupts": (
        "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"
    ),
    "memory-flood": "blocks = []\nwhile True:\n    blocks.append(bytearray(512 * 2**20))",
    "output-flood": "for i in range(30000):\n    print('flood ' * 80)",
    "fork-storm": (
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"
    ),
    "detached-process": (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        time.sleep(4)\n"
        "        for path in {targets}:\n"
        "            try:\n"
        "                open(path, 'a').write('late')\n"
        "            except Exception:\n"
        "                pass\n"
        "    os._exit(0)"
    ),
    "read-outside": (
        "import glob\n"
        "for pattern in ['{course}/source/*/*.ipynb', '{course}/gradebook.db',"
        " '{course}/submitted/*/*/*.ipynb', '/root/*', '/proc/1/environ']:\n"
        "    for path in glob.glob(pattern):\n"
        "        try:\n            print(open(path, errors='replace').read()[:100000])\n"
        "        except Exception as error:\n            print(error)"
    ),
    "write-outside": (
        "for path in {targets}:\n"
        "    try:\n        open(path, 'a').write('tampered')\n"
        "    except Exception as error:\n        print(error)"
    ),
    "read-grader-environment": (
        "import os\nprint(open('/proc/{grader_pid}/environ').read())\nprint(dict(os.environ))"
    ),
    "network": (
        "import socket\ns = socket.create_connection(('127.0.0.1', 22), timeout=2)\nprint(s)"
    ),
    "patched-numpy": (
        "import numpy as np\n"
        "np.allclose = lambda *a, **k: True\nnp.array_equal = lambda *a, **k: True\n"
        "np.isclose = lambda *a, **k: True\n"
        "def {exercise}(*args, **kwargs):\n    return np.zeros(4, dtype=int)"
    ),
    "rebound-checks": (
        "def _nothing(*args, **kwargs):\n    return None\n"
        "for _name in list(globals()):\n"
        "    if _name.startswith('check_') or _name == 'passed':\n"
        "        globals()[_name] = _nothing\n"
        "import helpers.checks as _checks\n"
        "for _name in _checks.__all__:\n    setattr(_checks, _name, _nothing)"
    ),
    "always-equal": (
        "import numpy as np\n"
        "class Liar(np.ndarray):\n"
        "    def __eq__(self, other):\n        return True\n"
        "    def __ne__(self, other):\n        return False\n"
        "def {exercise}(*args, **kwargs):\n"
        "    return np.zeros(4, dtype=int).view(Liar)"
    ),
    "input-transformer": (
        "get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])"
    ),
    "ast-transformer": (
        "import ast\nclass Nothing(ast.NodeTransformer):\n"
        "    def visit_Module(self, node):\n"
        "        return ast.Module(body=[ast.Pass()], type_ignores=[])\n"
        "get_ipython().ast_transformers.append(Nothing())"
    ),
    "custom-exception-handler": (
        "get_ipython().set_custom_exc((BaseException,), lambda *args, **kwargs: None)"
    ),
    "patched-showtraceback": (
        "get_ipython().showtraceback = lambda *a, **k: None\n"
        "get_ipython()._showtraceback = lambda *a, **k: None"
    ),
    "replaced-check-code": (
        "import helpers.checks as c\n"
        "silent = (lambda *args, **kwargs: None).__code__\n"
        "for f in (c.check_equal, c.check_close, c.check_type, c.check_shape, c.fail,\n"
        "          c.check_dtype_kind, c.check_unchanged, c.check_no_warnings):\n"
        "    f.__code__ = silent\n"
        "c.check_number.__code__ = (lambda *args, **kwargs: 0.0).__code__\n"
        "c.StudentFunction.__call__ = lambda self, *args, **kwargs: (None, None, [])\n"
        "np.allclose.__code__ = (lambda *args, **kwargs: True).__code__"
    ),
    "shadowed-builtins": (
        "len = lambda value: 25\nisinstance = lambda *args: True\nmin = lambda *args: 1\n"
        "def passed(*args):\n    pass"
    ),
    "trace-function": (
        "import sys\ndef _swallow(frame, event, arg):\n    return _swallow\nsys.settrace(_swallow)"
    ),
}


# Attacks from inside the kernel on what decides a grade: each must be graded, at 0.
IN_KERNEL_ATTACKS = (
    "read-outside", "write-outside", "patched-numpy", "rebound-checks", "always-equal",
    "input-transformer", "ast-transformer", "custom-exception-handler", "patched-showtraceback",
    "trace-function", "replaced-check-code", "shadowed-builtins",
)  # fmt: skip


def release_with(code: str):
    """The untouched release with ``code`` in place of the first exercise's stub."""
    first = next(iter(solution_cells(nbformat.read(notebook_path(REPO, "source", LESSON), 4))))
    released = nbformat.read(notebook_path(REPO, "release", LESSON), as_version=4)
    for cell in released.cells:
        if grade_id(cell) == first:
            cell.source = code
    return released


def tampered_submissions() -> dict[str, bytes]:
    """Attacks on the notebook file itself rather than on the kernel."""
    released = nbformat.read(notebook_path(REPO, "release", LESSON), as_version=4)
    text = nbformat.writes(released)

    def edited(change) -> bytes:
        copy = json.loads(text)
        change(copy["cells"])
        return json.dumps(copy).encode()

    def neuter(cells):
        for cell in cells:
            if is_test_cell(cell):
                cell["source"] = "passed()"

    def retype(cells):
        for cell in cells:
            if is_test_cell(cell):
                cell["cell_type"] = "markdown"
                cell.pop("outputs", None)
                cell.pop("execution_count", None)

    def raise_points(cells):
        for cell in cells:
            if is_test_cell(cell):
                cell["metadata"]["nbgrader"]["points"] = 1000

    def duplicate(cells):
        fakes = []
        for cell in cells:
            if is_test_cell(cell):
                fake = json.loads(json.dumps(cell))
                fake["source"] = "passed()"
                fakes.append(fake)
        cells[:0] = fakes

    return {
        "neutered-test-cells": edited(neuter),
        "retyped-test-cells": edited(retype),
        "raised-points": edited(raise_points),
        "duplicated-test-cells": edited(duplicate),
        "deleted-test-cells": json.dumps(deleted_cells(released, is_test_cell)).encode(),
        "invalid-json": text.encode()[: len(text) // 3],
        "not-a-notebook": json.dumps({"cells": "none", "nbformat": 4}).encode(),
        "empty-file": b"",
    }


def tree_state(folder: Path, skip: set[str]) -> dict[str, str]:
    """Path -> content hash of every file below ``folder``, except the top-level ``skip``."""
    state = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if relative.parts[0] in skip or not path.is_file():
            continue
        state[str(relative)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


@pytest.fixture(scope="module")
def marker_dir():
    """A folder anyone may write to, where no student code should write."""
    MARKER_DIR.mkdir(exist_ok=True)
    MARKER_DIR.chmod(0o777)
    yield MARKER_DIR
    shutil.rmtree(MARKER_DIR, ignore_errors=True)


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory, marker_dir, generated_gradebook):
    # 30 s a cell: an endless loop costs little, and an honest notebook still finishes while a
    # fork storm on the other worker takes most of the CPU.
    course = Course.copy_of_repo(
        tmp_path_factory.mktemp("hostile"), cell_timeout=30, gradebook=generated_gradebook
    )
    targets = [
        str(course.root / "gradebook.db"),
        str(course.root / "source" / LESSON / f"{LESSON}.ipynb"),
        str(course.root / "submitted" / "honest-solved" / LESSON / f"{LESSON}.ipynb"),
        str(MARKER_DIR / "written-by-student-code"),
    ]
    first = next(iter(solution_cells(nbformat.read(notebook_path(REPO, "source", LESSON), 4))))
    honest = {
        "honest-solved": solved_release(LESSON),
        "honest-untouched": nbformat.read(notebook_path(REPO, "release", LESSON), 4),
    }
    wrong = sorted((REPO / "tests" / "fixtures" / LESSON).glob("*/wrong_*.py"))[:2]
    for fixture in wrong:
        honest[f"honest-{fixture.stem}"] = solved_release(
            LESSON, {fixture.parent.name: fixture.read_text()}
        )
    for student, notebook in honest.items():
        course.submit(student, LESSON, notebook)

    for name, attack in ATTACKS.items():
        code = attack.format(
            grader_pid=os.getpid(), targets=repr(targets), course=course.root, exercise=first
        )
        course.submit(f"hostile-{name}", LESSON, release_with(code))
    for name, raw in tampered_submissions().items():
        course.submit(f"tampered-{name}", LESSON, raw=raw)
    shadow = course.root / "submitted" / "hostile-shadow-modules" / LESSON
    course.submit("hostile-shadow-modules", LESSON, release_with("raise NotImplementedError()"))
    (shadow / "numpy.py").write_text("allclose = array_equal = lambda *a, **k: True\n")
    (shadow / "helpers").mkdir()
    (shadow / "helpers" / "__init__.py").write_text("")
    (shadow / "helpers" / "checks.py").write_text("def passed(*a): pass\n")

    before = tree_state(course.root, skip={"autograded", "feedback", "gradebook.db"})
    report = course.run("autograde", "--timeout", "150", timeout=1800)
    gradebook_after = hashlib.sha256((course.root / "gradebook.db").read_bytes()).hexdigest()
    ended = time.monotonic()
    source = source_notebook(LESSON)
    alone = score_submissions(
        {student: graded_cells(notebook, source) for student, notebook in honest.items()}
    )
    time.sleep(max(0.0, 6 - (time.monotonic() - ended)))  # detached processes would act now
    return {
        "course": course,
        "alone": {student: {c: s[0] for c, s in cells.items()} for student, cells in alone.items()},
        "report": report.stdout + report.stderr,
        "returncode": report.returncode,
        "before": before,
        "gradebook_after": gradebook_after,
        "honest": sorted(honest),
        "hostile": sorted(
            s.name for s in (course.root / "submitted").iterdir() if not s.name.startswith("honest")
        ),
    }


def test_the_batch_finishes_and_reports_every_submission(hostile_class):
    report = hostile_class["report"]
    for student in hostile_class["honest"] + hostile_class["hostile"]:
        assert f" {student} " in report, f"{student} missing from the report:\n{report[-3000:]}"
    assert hostile_class["returncode"] == 1  # some need manual grading
    assert "MISMATCH" not in report


def test_a_kernel_that_ignores_the_interrupt_is_not_waited_for_or_retried(hostile_class):
    """After a cell's time runs out the grader interrupts it; a kernel still busy after that is
    given nbclient's few seconds for its last output, not the minute an honest cell's output
    gets on a busy machine (else each such attempt costs a minute more of a core); and the
    notebook is not graded again."""
    course = hostile_class["course"]
    log = course.root / "autograded" / "hostile-endless-loop-ignoring-interrupts" / f"{LESSON}.log"
    text = log.read_text()
    assert f"after {AFTER_INTERRUPT_OUTPUT_WAIT} seconds" in text, text[-3000:]
    # nor graded a second time: the loop would only run out of time again
    assert text.count("Interrupting kernel") == 1, text[-3000:]


def test_attacks_from_inside_the_kernel_are_flagged_for_manual_review(hostile_class):
    report = hostile_class["report"].splitlines()
    for name in IN_KERNEL_ATTACKS:
        if name in ("read-outside", "write-outside"):
            continue  # plain file access: the sandbox, not the grader, stops it
        line = next(line for line in report if f" hostile-{name} " in line)
        assert line.lstrip().startswith(("FLAGGED", "PROBLEM")), line
    for student in hostile_class["honest"]:
        line = next(line for line in report if f" {student} " in line)
        assert line.lstrip().startswith("ok"), line


def test_honest_submissions_get_exactly_the_grade_they_get_alone(hostile_class):
    course, alone = hostile_class["course"], hostile_class["alone"]
    for student in hostile_class["honest"]:
        assert course.cell_scores(student, LESSON) == alone[student], student
    score, max_score = course.total("honest-solved", LESSON)
    assert score == max_score > 0


def test_no_hostile_submission_earns_a_point(hostile_class):
    course = hostile_class["course"]
    from nbgrader.api import Gradebook, MissingEntry

    earned, graded = {}, set()
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gradebook:
        for student in hostile_class["hostile"]:
            try:
                submission = gradebook.find_submission(LESSON, student)
            except MissingEntry:
                continue  # not graded at all: left for manual grading
            graded.add(student)
            if submission.score > 0:
                earned[student] = submission.score
            assert submission.max_score == course.total("honest-solved", LESSON)[1], student
    assert not earned, f"hostile submissions earned points: {earned}"
    # Attacks from inside a running kernel are graded (at 0), not just left out.
    in_kernel = {f"hostile-{name}" for name in IN_KERNEL_ATTACKS}
    assert in_kernel <= graded, f"not graded, so not proven: {sorted(in_kernel - graded)}"


def test_nothing_is_written_outside_the_graders_output(hostile_class):
    course = hostile_class["course"]
    after = tree_state(course.root, skip={"autograded", "feedback", "gradebook.db"})
    changed = {
        path
        for path in set(after) | set(hostile_class["before"])
        if after.get(path) != hostile_class["before"].get(path)
    }
    assert not changed, f"files changed outside the grader's output: {sorted(changed)[:10]}"
    assert not any(MARKER_DIR.iterdir()), list(MARKER_DIR.iterdir())


def test_the_gradebook_does_not_change_after_the_command_ends(hostile_class):
    course = hostile_class["course"]
    now = hashlib.sha256((course.root / "gradebook.db").read_bytes()).hexdigest()
    assert now == hostile_class["gradebook_after"]


def test_student_code_saw_no_secret(hostile_class):
    course = hostile_class["course"]
    graded = course.root / "autograded" / "hostile-read-outside" / LESSON / f"{LESSON}.ipynb"
    assert graded.is_file(), "the read-outside attack was not graded: nothing was checked"
    outputs = "".join(
        json.dumps(c.get("outputs", []))
        for c in json.loads(graded.read_text())["cells"]
        if c["cell_type"] == "code"
    )
    assert "BEGIN HIDDEN TESTS" not in outputs, "student code read a source notebook"
    assert "SQLite format" not in outputs, "student code read the gradebook"
