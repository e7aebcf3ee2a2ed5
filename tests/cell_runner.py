"""Score many submissions' test cells fast: each runs in a fork of one prepared IPython.

The real grader (`make autograde`) starts a sandboxed kernel per notebook and records the scores
in nbgrader's gradebook: about two core-seconds a notebook, too much for every fixture of seven
lessons. The grading tests therefore score every fixture here, and grade a sample with the real
grader (tests/test_grading.py checks that both give the same scores on it; stock nbgrader gives
the sample the same scores too, tests/test_stock_equivalence.py).

Scoring follows nbgrader: the notebook is the submission with its test cells (and other locked
cells) put back from the source notebook, run top to bottom with ``NBGRADER_EXECUTION`` set; a
test cell earns its points when it raises no error and writes nothing to stderr. Illustrations
are skipped exactly as the course's grader skips them (``cells_to_skip``). Each submission runs in
its own forked process, so nothing carries over from one to the next; the cells that submissions
share at their start run once, before the fork where they part ways.

``score_submissions(items)`` runs this file as a subprocess (``python tests/cell_runner.py``),
which imports NumPy, IPython and the course's helpers once, then forks.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _grader_cell_timeout() -> int:
    """The per-cell timeout the course's grader uses (nbgrader_config.py), so that a cell the
    grader lets finish is never scored 0 here because the machine happens to be busy."""
    from helpers.grading.course import Course

    return int(Course.at(REPO).config().Execute.timeout)


CELL_TIMEOUT = _grader_cell_timeout()


def graded_cells(submitted, source, only: set[str] | None = None) -> list[dict]:
    """The code cells to run, as the grader runs them: test and locked cells from ``source``.

    ``only``: score just these test cells. The other test cells are left out, and so is every
    cell after the last of these (nothing there can change their scores): a wrong answer to one
    exercise is judged by that exercise's test cells alone, without training lesson 7's network.
    """
    from helpers.grading.illustrations import cells_to_skip

    originals = {
        meta["grade_id"]: cell
        for cell in source.cells
        if (meta := cell.metadata.get("nbgrader", {})).get("grade_id")
        and (meta.get("locked") or meta.get("grade"))
        and not meta.get("solution")
    }
    cells = []
    for cell in submitted.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        cells.append(originals.get(grade_id, cell))
    skipped = cells_to_skip(cells, source.cells)
    runnable = []
    for index, cell in enumerate(cells):
        if cell.cell_type != "code" or index in skipped:
            continue
        meta = cell.metadata.get("nbgrader", {})
        test = bool(meta.get("grade")) and not meta.get("solution")
        if test and only is not None and meta.get("grade_id") not in only:
            continue
        runnable.append(
            {
                "grade_id": meta.get("grade_id"),
                "points": float(meta.get("points", 0)) if test else 0.0,
                "test": test,
                "source": cell.source,
            }
        )
    if only is not None:
        last = max((i for i, cell in enumerate(runnable) if cell["test"]), default=-1)
        runnable = runnable[: last + 1]
    return runnable


def score_submissions(items: dict[str, list[dict]], workers: int = 2) -> dict[str, dict]:
    """``items``: key -> graded_cells(...). Returns key -> {grade_id: [earned, possible, message,
    outputs]} for every test cell, where message is the error (or the stderr) that cost the
    points and outputs the cell's error or stderr output as a notebook holds it."""
    from helpers.grading.sandbox import blas_env, blas_threads_for

    with tempfile.TemporaryDirectory() as folder:
        jobs = Path(folder) / "jobs.json"
        jobs.write_text(json.dumps(items))
        done = subprocess.run(
            [sys.executable, __file__, str(jobs), str(workers)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=1800,
            # One share of the cores per forked submission, as the grader gives its kernels.
            env=os.environ | {"MPLBACKEND": "Agg"} | blas_env(blas_threads_for(workers)),
        )
    if done.returncode != 0:
        raise RuntimeError(f"the cell runner failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return {result["key"]: result["cells"] for result in results}


# --- the runner process --------------------------------------------------------------------
#
# Many submissions begin with the same cells: every fixture of an exercise is the solution up to
# that exercise. The runner runs a shared beginning once and forks where the submissions part
# ways, so each submission still runs exactly its own cells, in order, in a process of its own,
# from the state those cells leave (a fork carries the shell, NumPy's random state and all).
# At most `workers` processes run cells at once: each holds a token from a pipe while it does.


def _timed_out(signum, frame):
    raise TimeoutError(f"the cell ran past {CELL_TIMEOUT} s")


class _Tokens:
    """A counting semaphore shared by forked processes: one byte in a pipe per free worker."""

    def __init__(self, count: int):
        self.read_end, self.write_end = os.pipe()
        os.set_blocking(self.read_end, False)  # several processes wait on it: see take()
        os.write(self.write_end, b"x" * count)

    def take(self) -> bool:
        """Take a token if one is free (another process may have been quicker)."""
        try:
            return os.read(self.read_end, 1) == b"x"
        except BlockingIOError:
            return False

    def give(self) -> None:
        os.write(self.write_end, b"x")


def _shell():
    """This process's IPython shell: made by the first cell, then carried along by the forks."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    if not InteractiveShell.initialized():
        config = Config()
        config.HistoryManager.enabled = False
        InteractiveShell.instance(config=config)
        signal.signal(signal.SIGALRM, _timed_out)
    return InteractiveShell.instance()


def _run_cells(cells: list[dict], scores: dict) -> None:
    """Run ``cells`` in this process's shell, in order; score the test cells into ``scores``."""
    from IPython.utils.capture import capture_output

    shell = _shell()
    for cell in cells:
        signal.alarm(CELL_TIMEOUT)
        with capture_output(display=False) as captured:
            result = shell.run_cell(cell["source"], store_history=False)
        signal.alarm(0)
        error = result.error_in_exec or result.error_before_exec
        if not cell["test"]:
            continue
        outputs = []
        if error is not None:
            message = f"{type(error).__name__}: {error}"
            outputs.append(_error_output(shell, error))
        else:
            message = captured.stderr.strip()
            if message:
                outputs.append({"output_type": "stream", "name": "stderr", "text": message})
        passed = not message
        points = cell["points"]
        scores[cell["grade_id"]] = [points if passed else 0.0, points, message, outputs]


def _error_output(shell, error: BaseException) -> dict:
    """The error output a kernel would write: its traceback drawn as IPython draws it in a
    notebook (a check's own drawing, ``_render_traceback_``, when it has one)."""
    try:
        if hasattr(error, "_render_traceback_"):
            lines = error._render_traceback_()
        else:
            lines = shell.InteractiveTB.structured_traceback(
                type(error), error, error.__traceback__
            )
    except Exception:
        lines = [f"{type(error).__name__}: {error}"]
    return {
        "output_type": "error",
        "ename": type(error).__name__,
        "evalue": str(error),
        "traceback": lines,
    }


def _shared_length(jobs: list[tuple], start: int) -> int:
    """How many cells from ``start`` on every job has, the same in all."""
    first = jobs[0][3]
    end = min(len(keys) for *_, keys in jobs)
    length = start
    while length < end and all(keys[length] == first[length] for *_, keys in jobs[1:]):
        length += 1
    return length


def _branch(jobs, start: int, scores: dict, tokens: _Tokens, replies: Path, segment_fd: int):
    """In a process that has run the first ``start`` cells, which ``jobs`` all share: run the
    cells they all share next, close ``segment_fd`` (its parent then gives the token back), and
    fork one process per group of jobs that continue alike. Each job's reply goes to
    ``replies/<number>.json``; a job whose process dies has none."""
    try:
        end = _shared_length(jobs, start)
        _run_cells(jobs[0][2][start:end], scores)
    except BaseException as error:  # reported for every job below, never hidden
        for number, key, *_ in jobs:
            _reply(replies, number, {"key": key, "error": f"{type(error).__name__}: {error}"})
        return
    finally:
        os.close(segment_fd)
    groups: dict[str, list] = {}
    for job in jobs:
        number, key, _, keys = job
        if len(keys) == end:
            _reply(replies, number, {"key": key, "cells": scores})
        else:
            groups.setdefault(keys[end], []).append(job)
    _fork_groups(list(groups.values()), end, scores, tokens, replies)


def _fork_groups(groups: list, start: int, scores: dict, tokens: _Tokens, replies: Path) -> None:
    """Fork a :func:`_branch` per group, each once it has a token; a token goes back when its
    process closes its segment pipe: when its shared cells are done, or when it dies."""
    running: dict[int, int] = {}  # the read end of a child's segment pipe -> its pid
    children = []
    while groups or running:
        watched = [*running, *([tokens.read_end] if groups else [])]
        ready, _, _ = select.select(watched, [], [])
        for fd in ready:
            if fd != tokens.read_end:
                os.close(fd)  # end of file: that child's segment is over
                running.pop(fd)
                tokens.give()
            elif groups and tokens.take():
                read_end, write_end = os.pipe()
                pid = os.fork()
                if pid == 0:
                    os.close(read_end)
                    _branch(groups[0], start, dict(scores), tokens, replies, write_end)
                    os._exit(0)
                os.close(write_end)
                running[read_end] = pid
                children.append(pid)
                groups.pop(0)
    for pid in children:
        os.waitpid(pid, 0)


def _reply(replies: Path, number: int, payload: dict) -> None:
    (replies / f"{number}.json").write_text(json.dumps(payload))


def _serve(jobs_path: str, workers: int) -> int:
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    sys.path.insert(0, str(REPO))
    # Imported once here, before the forks: each submission starts from this state.
    import IPython.core.interactiveshell  # noqa: F401
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    import numpy  # noqa: F401

    import helpers.checks  # noqa: F401
    import helpers.data  # noqa: F401
    import helpers.plots  # noqa: F401

    # (number, key, cells, a key per cell: submissions share a cell where its key is the same)
    jobs = [
        (number, key, cells, [json.dumps(cell, sort_keys=True) for cell in cells])
        for number, (key, cells) in enumerate(json.loads(Path(jobs_path).read_text()).items())
    ]
    replies = Path(jobs_path).parent / "replies"
    replies.mkdir()
    if jobs:
        _fork_groups([jobs], 0, {}, _Tokens(workers), replies)
    for number, key, *_ in jobs:
        reply = replies / f"{number}.json"
        result = json.loads(reply.read_text()) if reply.exists() else {"key": key, "error": "died"}
        if "error" in result:
            print(f"{key}: {result['error']}", file=sys.stderr)
            return 1
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(_serve(sys.argv[1], int(sys.argv[2])))
