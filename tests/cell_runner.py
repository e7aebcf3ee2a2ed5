"""Score many submissions' test cells fast: each runs in a fresh fork of one prepared IPython.

The real grader (`make autograde`) starts a sandboxed kernel per notebook and records the scores
in nbgrader's gradebook: about two core-seconds a notebook, too much for every fixture of seven
lessons. The grading tests therefore score every fixture here, and grade a sample with the real
grader (tests/test_grading.py checks that both give the same scores on it; stock nbgrader gives
the sample the same scores too, tests/test_stock_equivalence.py).

Scoring follows nbgrader: the notebook is the submission with its test cells (and other locked
cells) put back from the source notebook, run top to bottom with ``NBGRADER_EXECUTION`` set; a
test cell earns its points when it raises no error and writes nothing to stderr. Illustrations
are skipped exactly as the course's grader skips them (``cells_to_skip``). Each submission runs in
its own forked process, so nothing carries over from one to the next.

``score_submissions(items)`` runs this file as a subprocess (``python tests/cell_runner.py``),
which imports NumPy, IPython and the course's helpers once, then forks per submission.
"""

from __future__ import annotations

import json
import os
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
    """``items``: key -> graded_cells(...). Returns key -> {grade_id: [earned, possible, message]}
    for every test cell, where message is the error (or the stderr) that cost the points."""
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


def _timed_out(signum, frame):
    raise TimeoutError(f"the cell ran past {CELL_TIMEOUT} s")


def _run_one(cells: list[dict]) -> dict:
    """In a fresh fork: run the cells in one IPython shell; score the test cells."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    signal.signal(signal.SIGALRM, _timed_out)
    scores = {}
    for cell in cells:
        signal.alarm(CELL_TIMEOUT)
        with capture_output(display=False) as captured:
            result = shell.run_cell(cell["source"], store_history=False)
        signal.alarm(0)
        error = result.error_in_exec or result.error_before_exec
        if not cell["test"]:
            continue
        if error is not None:
            message = f"{type(error).__name__}: {error}"
        else:
            message = captured.stderr.strip()
        passed = not message
        scores[cell["grade_id"]] = [cell["points"] if passed else 0.0, cell["points"], message]
    return scores


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

    jobs = json.loads(Path(jobs_path).read_text())
    replies = Path(jobs_path).parent
    pending = list(enumerate(jobs.items()))
    running: dict[int, tuple[str, Path]] = {}
    while pending or running:
        while pending and len(running) < workers:
            number, (key, cells) = pending.pop(0)
            reply = replies / f"{number}.json"
            pid = os.fork()
            if pid == 0:  # the child: run, report, and leave without cleanup
                try:
                    payload = {"key": key, "cells": _run_one(cells)}
                except BaseException as error:  # reported, never hidden
                    payload = {"key": key, "error": f"{type(error).__name__}: {error}"}
                reply.write_text(json.dumps(payload))
                os._exit(0)
            running[pid] = (key, reply)
        pid, _ = os.wait()
        key, reply = running.pop(pid)
        result = json.loads(reply.read_text()) if reply.exists() else {"key": key, "error": "died"}
        if "error" in result:
            print(f"{key}: {result['error']}", file=sys.stderr)
            return 1
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(_serve(sys.argv[1], int(sys.argv[2])))
