"""The autograding kernel runs student code in a sandbox (helpers/grading/sandbox.py).

Real kernels, real notebooks, no mocks: notebooks run through nbgrader's own Execute
preprocessor with the sandboxed kernel manager (``SandboxedExecute``, what autograding uses),
and a temporary course is autograded with ``nbgrader autograde``. Each test says from the
inside what student code can and cannot do.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import nbformat
import pytest

from helpers.grading import sandbox
from tests.nbgrader_course import REPO, SANDBOX_LINE, Course, lessons, solved_release

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True, scope="module")
def sandbox_tools_installed():
    """Never skip: without bubblewrap these tests fail and say how to install it."""
    try:
        sandbox.tools()
    except sandbox.SandboxError as error:
        pytest.fail(f"{error}  (the sandbox tests need it: apt-get install -y bubblewrap)")


def run_notebook(workdir: Path, *cells: str, timeout: int = 60):
    """Run ``cells`` as a notebook in ``workdir`` the way autograding does; return the notebook."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nbformat.write(notebook, workdir / "student.ipynb")  # the notebook must stay invisible
    executor = sandbox.SandboxedExecute(timeout=timeout)
    executor.preprocess(notebook, {"metadata": {"path": str(workdir)}})
    return notebook


def stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("name") == "stdout")


def errors(cell) -> list[str]:
    return [f"{o.ename}: {o.evalue}" for o in cell.outputs if o.output_type == "error"]


def result(cell) -> dict:
    """The JSON a cell printed on its last line."""
    assert not errors(cell), errors(cell)
    return json.loads(stdout(cell).strip().splitlines()[-1])


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    folder = tmp_path / "autograded" / "student" / "lesson"
    folder.mkdir(parents=True)
    (folder / "measurements.csv").write_text("x,y\n1,2\n3,4\n")
    (folder / "measurements.csv").chmod(0o644)
    return folder


def test_honest_code_runs_with_numpy_matplotlib_helpers_and_its_data(workdir):
    notebook = run_notebook(
        workdir,
        "import json, os\n"
        "import numpy as np\n"
        "import matplotlib\n"
        "import matplotlib.pyplot as plt\n"
        "from helpers.data import logic_gate, load_mnist\n"
        "X, y = logic_gate('AND')\n"
        "data = np.loadtxt('measurements.csv', delimiter=',', skiprows=1)\n"
        "fig, ax = plt.subplots(); ax.plot(data[:, 0], data[:, 1]); fig.savefig('plot.png')\n"
        "mnist = load_mnist()\n"
        "w = np.random.default_rng(0).normal(size=(784, 10)) @ np.ones((10, 10))\n"
        "print(json.dumps({'sum': float(data.sum()), 'and': y.tolist(), 'files': sorted(os.listdir('.')),\n"
        "                  'mnist': len(mnist[0]), 'uid': os.getuid(), 'cwd': os.getcwd()}))",
    )
    out = result(notebook.cells[0])
    assert out["sum"] == 10.0
    assert out["and"] == [0, 0, 0, 1]
    assert out["mnist"] > 0
    assert out["files"] == ["measurements.csv", "plot.png"], "only the submission's own files"
    assert out["cwd"] == str(workdir)
    if os.getuid() == 0:
        assert out["uid"] != 0
    assert not (workdir / "plot.png").exists(), "the scratch directory is not the grader's"


def test_gradebook_source_and_the_graded_notebook_cannot_be_read(workdir):
    secrets = [
        REPO / "gradebook.db",
        REPO / "source",
        REPO / "nbgrader_config.py",
        workdir / "student.ipynb",
        Path(os.path.expanduser("~")) / ".bashrc",
    ]
    notebook = run_notebook(
        workdir,
        "import json, os\n"
        f"paths = {[str(p) for p in secrets]!r}\n"
        "readable = []\n"
        "for p in paths:\n"
        "    try:\n"
        "        os.listdir(p) if os.path.isdir(p) else open(p, 'rb').read(1)\n"
        "        readable.append(p)\n"
        "    except OSError:\n"
        "        pass\n"
        "print(json.dumps(readable))",
    )
    assert result(notebook.cells[0]) == []
    assert (REPO / "source").is_dir(), "the secrets exist on the host: the test means something"


def test_no_network_not_even_the_graders_loopback(workdir):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    try:
        notebook = run_notebook(
            workdir,
            "import json, socket\n"
            "try:\n"
            f"    socket.create_connection(('127.0.0.1', {port}), timeout=3); reached = True\n"
            "except OSError as error:\n"
            "    reached = False; why = type(error).__name__\n"
            "try:\n"
            "    socket.create_connection(('1.1.1.1', 80), timeout=3); outside = True\n"
            "except OSError:\n"
            "    outside = False\n"
            "print(json.dumps({'reached': reached, 'outside': outside,\n"
            "                  'interfaces': [n for _, n in socket.if_nameindex()]}))",
        )
    finally:
        listener.close()
    out = result(notebook.cells[0])
    assert out == {"reached": False, "outside": False, "interfaces": ["lo"]}


def test_fork_storm_is_contained_and_the_grading_goes_on(workdir):
    started = time.monotonic()
    notebook = run_notebook(
        workdir,
        # Bounded: count how many processes the kernel may start.
        "import json, os, time\n"
        "children, error = [], None\n"
        "for _ in range(10_000):\n"
        "    try:\n"
        "        pid = os.fork()\n"
        "    except OSError as e:\n"
        "        error = type(e).__name__; break\n"
        "    if pid == 0:\n"
        "        time.sleep(60); os._exit(0)\n"
        "    children.append(pid)\n"
        "print(json.dumps({'children': len(children), 'error': error}))",
        # A real fork bomb, for a few seconds; its processes die with the kernel.
        "import subprocess, sys\n"
        "bomb = 'import os\\nwhile True:\\n    try:\\n        os.fork()\\n    except OSError:\\n        pass'\n"
        "try:\n"
        "    subprocess.run([sys.executable, '-c', bomb], timeout=3)\n"
        "except Exception as e:\n"
        "    print(type(e).__name__)\n"
        "print('still here')",
        "print('next cell runs')",
        timeout=60,
    )
    out = result(notebook.cells[0])
    assert out["error"] == "BlockingIOError", "fork must fail with EAGAIN at the process limit"
    assert out["children"] < sandbox.MAX_PROCESSES
    assert "still here" in stdout(notebook.cells[1]), errors(notebook.cells[1])
    assert stdout(notebook.cells[2]).strip() == "next cell runs"
    assert time.monotonic() - started < 60
    # The grader itself is unharmed: it can still start processes.
    assert all(subprocess.run(["true"]).returncode == 0 for _ in range(5))


def test_memory_flood_hits_the_limit(workdir):
    notebook = run_notebook(
        workdir,
        "import numpy as np\n"
        "try:\n"
        "    flood = bytearray(8 * 1024**3)\n"
        "    print('allocated 8 GiB')\n"
        "except MemoryError:\n"
        "    print('MemoryError')\n"
        "try:\n"
        "    big = np.ones(2**31)\n"
        "    print('allocated 16 GiB')\n"
        "except MemoryError:\n"
        "    print('MemoryError')",
        "import resource; print(resource.getrlimit(resource.RLIMIT_AS))",
    )
    assert stdout(notebook.cells[0]).split() == ["MemoryError", "MemoryError"]
    limit = sandbox.MEMORY_BYTES
    assert stdout(notebook.cells[1]).strip() == f"({limit}, {limit})"


def _processes_with(token: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if token.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def test_a_detached_process_does_not_outlive_the_kernel(workdir):
    token = f"nnfs-detached-{os.getpid()}-{time.time_ns()}"
    marker = workdir.parent / f"{token}.marker"  # it must never appear
    late_code = f"import time; time.sleep(4); open({str(marker)!r}, 'w')"
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.cells = [
        # Double fork + setsid, then a process that sleeps and would then write a marker.
        nbformat.v4.new_code_cell(
            "import os, sys, time\n"
            "if os.fork() == 0:\n"
            "    os.setsid()\n"
            "    if os.fork() == 0:\n"
            f"        os.execv(sys.executable, [sys.executable, '-c', {late_code!r}, {token!r}])\n"
            "    os._exit(0)\n"
            "time.sleep(1)\n"
            "print('detached')"
        ),
        nbformat.v4.new_code_cell("print('done')"),
    ]
    seen: list[int] = []

    def on_cell_execute(cell, cell_index, **_):  # before cell 1 runs, so after cell 0 ran
        if cell_index == 1:
            seen.extend(_processes_with(token))

    executor = sandbox.SandboxedExecute(timeout=30, on_cell_execute=on_cell_execute)
    executor.preprocess(notebook, {"metadata": {"path": str(workdir)}})
    assert stdout(notebook.cells[0]).strip() == "detached"
    assert seen, "the detached process runs (seen from the host) while the kernel lives"
    # The notebook finished, so the kernel was shut down: the process must be gone.
    deadline = time.monotonic() + 5
    while _processes_with(token) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_with(token) == []
    time.sleep(4)
    assert not marker.exists()


def test_the_kernel_cannot_signal_the_grader(workdir):
    notebook = run_notebook(
        workdir,
        "import os, signal\n"
        f"for pid in ({os.getpid()}, {os.getppid()}):\n"
        "    try:\n"
        "        os.kill(pid, signal.SIGTERM)\n"
        "        print('sent', pid)\n"
        "    except OSError as error:\n"
        "        print(type(error).__name__)",
    )
    lines = stdout(notebook.cells[0]).split()
    assert lines and all(line in ("ProcessLookupError", "PermissionError") for line in lines)


def test_an_endless_loop_is_interrupted_and_the_next_cell_runs(workdir):
    """Cell timeouts interrupt the kernel (by message: a signal would not cross the sandbox)."""
    notebook = run_notebook(workdir, "while True:\n    pass", "print('after')", timeout=3)
    assert any(
        "CellTimeoutError" in e or "KeyboardInterrupt" in e for e in errors(notebook.cells[0])
    ), notebook.cells[0].outputs
    assert stdout(notebook.cells[1]).strip() == "after"


def _course(tmp_path: Path, sandboxed: bool) -> Course:
    """A course copy, with the course's sandboxed autograde or nbgrader's stock one."""
    return Course.copy_of_repo(tmp_path / "course", stock=not sandboxed)


def test_probe_passes_for_the_sandbox_and_fails_for_the_plain_kernel(tmp_path):
    sandboxed = _course(tmp_path / "a", sandboxed=True)
    assert sandbox.verify_sandbox(sandboxed.root) == []

    plain = _course(tmp_path / "b", sandboxed=False)
    failures = sandbox.verify_sandbox(plain.root)
    text = "\n".join(failures)
    assert "not the sandbox" in text
    assert "gradebook.db" in text or "secret.txt" in text
    assert "namespace" in text
    assert "RLIMIT_AS" in text
    assert "environment leaks" in text
    assert "can signal the grader" in text


def test_probe_fails_when_the_config_is_misspelt(tmp_path):
    """A typo in the configuration must not grade unsandboxed."""
    misspelt = SANDBOX_LINE.replace("Autograde.autograde_pre", "Autograde.autogarde_pre")
    course = _course(tmp_path, sandboxed=False)
    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write(f"\n{misspelt}\n")
    assert sandbox.verify_sandbox(course.root) != []


def test_nbgrader_autograde_grades_in_the_sandbox(tmp_path):
    lesson = lessons()[0]
    course = _course(tmp_path, sandboxed=True)
    generated = course.nbgrader("generate_assignment", lesson, "--force")
    assert generated.returncode == 0, generated.stdout + generated.stderr
    notebook = solved_release(lesson)
    spy = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("solution"))
    spy.source += (
        "\nimport os as _os, json as _json\n"
        "print('SANDBOX', _json.dumps({'uid': _os.getuid(), 'files': sorted(_os.listdir('.')),"
        f" 'gradebook': _os.path.exists({str(course.root / 'gradebook.db')!r})}}))\n"
    )
    course.submit("alice", lesson, notebook)
    started = time.monotonic()
    graded = course.nbgrader("autograde", lesson, "--student", "alice", "--force")
    elapsed = time.monotonic() - started
    assert graded.returncode == 0, graded.stdout + graded.stderr
    score, max_score = course.total("alice", lesson)
    assert score == max_score > 0
    result_nb = nbformat.read(
        course.root / "autograded" / "alice" / lesson / f"{lesson}.ipynb", as_version=4
    )
    spied = next(c for c in result_nb.cells if "SANDBOX" in stdout(c))
    facts = json.loads(stdout(spied).split("SANDBOX", 1)[1].strip().splitlines()[0])
    assert facts["gradebook"] is False
    assert not any(name.endswith(".ipynb") for name in facts["files"])
    if os.getuid() == 0:
        assert facts["uid"] != 0
    print(f"autograde of one {lesson} submission in the sandbox: {elapsed:.1f} s")


def test_illustrations_are_skipped_unless_the_instructor_wants_every_figure(tmp_path):
    lesson = lessons()[0]
    course = _course(tmp_path, sandboxed=True)
    generated = course.nbgrader("generate_assignment", lesson, "--force")
    assert generated.returncode == 0, generated.stdout + generated.stderr

    def graded_notebook(student: str):
        course.submit(student, lesson, solved_release(lesson))
        done = course.nbgrader("autograde", lesson, "--student", student, "--force")
        assert done.returncode == 0, done.stdout + done.stderr
        assert course.total(student, lesson)[0] == course.total(student, lesson)[1] > 0
        path = course.root / "autograded" / student / lesson / f"{lesson}.ipynb"
        return nbformat.read(path, as_version=4)

    def figures(notebook) -> int:
        return sum(
            "image/png" in o.get("data", {}) for c in notebook.cells for o in c.get("outputs", [])
        )

    skipping = graded_notebook("skipping")
    tagged = [c for c in skipping.cells if "illustration" in c.metadata.get("tags", [])]
    assert tagged
    for cell in tagged:
        assert "not run by the autograder" in cell.outputs[0].data["text/plain"]
    assert figures(skipping) == 0

    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write("\nc.SandboxedExecute.skip_illustrations = False\n")
    everything = graded_notebook("every-figure")
    assert figures(everything) >= 3
    assert "not run by the autograder" not in nbformat.writes(everything)


def test_the_kernel_draws_inline_whatever_the_graders_shell_says():
    """With the grader's MPLBACKEND=Agg, figures would pile up and a warning zero a test cell."""
    env = sandbox.kernel_env({"MPLBACKEND": "Agg", "NBGRADER_EXECUTION": "autograde"})
    assert "MPLBACKEND" not in env and env["NBGRADER_EXECUTION"] == "autograde"


def test_parallel_kernels_share_the_cores_for_blas(monkeypatch):
    """Two kernels with two BLAS threads each on two cores grade several times slower: autograde
    gives each kernel its share of the cores (NNFS_BLAS_THREADS), at most BLAS_THREADS."""
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert [sandbox.blas_threads_for(n) for n in (1, 2, 3)] == [2, 1, 1]
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert sandbox.blas_threads_for(8) == sandbox.BLAS_THREADS
    for given, threads in (("1", "1"), ("2", "2"), ("0", "2"), ("99", "2"), ("x", "2")):
        env = sandbox.kernel_env({sandbox.BLAS_THREADS_VARIABLE: given})
        assert env["OPENBLAS_NUM_THREADS"] == env["OMP_NUM_THREADS"] == threads, given
        assert sandbox.BLAS_THREADS_VARIABLE not in env
