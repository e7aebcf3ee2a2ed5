"""Run student code in a sandbox while autograding, and prove that it is sandboxed.

Autograding executes every student notebook. Without this module the kernel runs with the
grader's rights: it can read ``gradebook.db`` and ``source/`` (the hidden tests), talk to the
network, signal the grader and outlive it. Here the kernel is started by well-kept system tools:

* ``bwrap`` (bubblewrap) gives it new user, pid, net, ipc, uts and mount namespaces, ``--die-with-parent`` and ``--new-session``, and a filesystem view with only
  /usr and the libraries, a few files of /etc, the Python installation, the course venv, the
  ``helpers`` package and ``data/`` (all read-only), a fresh /tmp, and a working directory that
  is a fresh tmpfs holding (read-only) the submission's own files and never a notebook;
* ``setpriv`` drops a root grader to a system user of its own, ``nnfs-sandbox-<slot>`` (created
  when missing), with no supplementary groups, no capabilities and ``no_new_privs``; a second,
  unprivileged ``bwrap`` then puts it in a user namespace of its own that may not create more.
  (The first bwrap runs as root so that it can bind a Python living in a private folder such as
  /root/.pyenv, and because a user namespace made by root could map no other uid.) A non-root
  grader keeps its uid, mapped into bubblewrap's user namespace, nested ones disabled;
* ``prlimit`` sets the resource limits below.

How it plugs into nbgrader, with no kernelspec, entry point or environment variable:
``nbgrader_config.py`` sets ``c.Autograde.autograde_preprocessors`` to nbgrader's own list with
``Execute`` replaced by :class:`SandboxedExecute`. That preprocessor always uses
:class:`SandboxKernelManager` (nbgrader passes its kernel manager as an argument, so it cannot be
configured away), which starts every kernel through :class:`SandboxProvisioner`. The kernel talks
to the grader over ZeroMQ IPC sockets in a private directory of its own (it has no network, so
TCP on loopback cannot work). Only autograding is sandboxed: ``nbgrader validate`` (the Validate
button on a student's laptop) runs as before.

:func:`verify_sandbox` starts a probe kernel through the very objects ``nbgrader autograde``
builds from the course's configuration and checks from inside that it is confined. The grade
command refuses to grade when it reports any failure.

Run ``python -m helpers.grading.sandbox [COURSE_ROOT]`` to print the probe's verdict.

Where bubblewrap cannot run (macOS, a container without user namespaces), ``python -m
helpers.grading autograde --without-sandbox`` starts the kernels with the resource limits alone
(:func:`without_sandbox_notice` is what its report says it gave up).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import pwd
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from nbgrader.preprocessors import Execute
from traitlets import Bool, default

from helpers.grading import illustrations

# ---------------------------------------------------------------------------------------------
# Limits. The heaviest legitimate lesson trains on MNIST with NumPy: about 1 GB of memory and
# about a minute of CPU (two BLAS threads count twice). Each limit is per process (prlimit);
# NPROC counts the processes and threads of the sandbox user.
MEMORY_BYTES = (
    4 * 1024**3
)  # RLIMIT_AS, address space: 4 GiB (NumPy/BLAS reserve more than they use)
CPU_SECONDS = (
    600  # RLIMIT_CPU: 10 CPU minutes, then the kernel is killed (the cell timeout is 120 s)
)
MAX_PROCESSES = 64  # RLIMIT_NPROC: processes + threads (ipykernel ~10, BLAS threads below);
# low, because a fork storm spins up to this many processes and slows the neighbouring workers
MAX_FILE_BYTES = 256 * 1024**2  # RLIMIT_FSIZE: largest file a notebook may write, 256 MiB
MAX_OPEN_FILES = 512  # RLIMIT_NOFILE
WORKDIR_BYTES = 512 * 1024**2  # size of the tmpfs working directory
TMP_BYTES = 256 * 1024**2  # size of /tmp and of /dev/shm (tmpfs)
BLAS_THREADS = 2  # OMP/OPENBLAS/MKL threads at most, so NPROC stays ample on a many-core grader
# Set by `autograde` from its number of workers (blas_threads_for), read by every kernel it starts.
BLAS_THREADS_VARIABLE = "NNFS_BLAS_THREADS"
MAX_DATA_FILES = 1000  # files of a submission bound into the working directory
EXIT_POLL_SECONDS = 0.005  # how often to look whether a stopped kernel has exited

# Root graders run each kernel as one of these users; one per concurrent kernel (a lock file
# per slot), so one kernel's process limit and leftovers never touch another's.
SANDBOX_USER_PREFIX = "nnfs-sandbox-"
SANDBOX_SLOTS = 8
STATE_DIR_ROOT = Path("/run/nnfs-sandbox")  # slot locks and IPC directories (root graders)

# Grader variables the kernel may see; everything else is dropped. Not MPLBACKEND: the kernel
# draws with ipykernel's inline backend, as in the student's JupyterLab, whatever the grader's
# shell says (with Agg, figures are never closed and a 21st one warns on stderr, which zeroes
# the test cell).
PASSED_ENV = ("NBGRADER_EXECUTION", "PYTHONHASHSEED", "LANG", "LC_ALL", "TZ")
# Only these files of /etc are visible (no shadow, no machine secrets).
ETC_FILES = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "timezone",
    "nsswitch.conf",
    "passwd",
    "group",
    "hosts",
    "host.conf",
    "alternatives",
    "mime.types",
    "fonts",
)
INSTALL_HINT = (
    "install bubblewrap: apt-get install -y bubblewrap (util-linux gives setpriv, prlimit)"
)
# Set for its workers by `python -m helpers.grading autograde --without-sandbox`, and only by it
# (the command clears it otherwise): kernels then start without bubblewrap.
WITHOUT_SANDBOX_VARIABLE = "NNFS_GRADE_WITHOUT_SANDBOX"

HELPERS_DIR = Path(__file__).resolve().parent.parent  # the `helpers` package
REPO_DIR = HELPERS_DIR.parent


class SandboxError(RuntimeError):
    """The sandbox cannot be set up (a tool is missing, or the working directory is unsafe)."""


# ---------------------------------------------------------------------------------------------
# Sandbox users and slots (root graders only)


def _state_dir() -> Path:
    if os.geteuid() == 0:
        STATE_DIR_ROOT.mkdir(mode=0o711, exist_ok=True)
        return STATE_DIR_ROOT
    path = Path(tempfile.gettempdir()) / f"nnfs-sandbox-{os.geteuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def ensure_user(name: str) -> pwd.struct_passwd:
    """The system user ``name``, created (no home, no login shell) when it does not exist."""
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(name)
    with open(_state_dir() / "useradd.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # useradd fails, not waits, when /etc/passwd is locked
        try:
            return pwd.getpwnam(name)
        except KeyError:
            pass
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        done = subprocess.run(
            [
                useradd,
                "--system",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                "--user-group",
                name,
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise SandboxError(f"could not create the sandbox user {name}: {done.stderr.strip()}")
        return pwd.getpwnam(name)


@dataclass
class Slot:
    """A sandbox user held by one kernel; the lock is released when the kernel is cleaned up."""

    user: str
    uid: int
    gid: int
    lock: object

    def release(self) -> None:
        with contextlib.suppress(Exception):
            self.lock.close()


def acquire_slot(timeout: float = 120) -> Slot:
    """Lock a free slot ``nnfs-sandbox-<i>`` (waiting when all are busy) and return its user."""
    state = _state_dir()
    deadline = time.monotonic() + timeout
    while True:
        for index in range(SANDBOX_SLOTS):
            lock = open(state / f"slot-{index}.lock", "w")
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                lock.close()
                continue
            try:
                entry = ensure_user(f"{SANDBOX_USER_PREFIX}{index}")
            except BaseException:
                lock.close()
                raise
            return Slot(entry.pw_name, entry.pw_uid, entry.pw_gid, lock)
        if time.monotonic() > deadline:
            raise SandboxError(f"all {SANDBOX_SLOTS} sandbox slots stayed busy for {timeout:.0f} s")
        time.sleep(0.1)


# ---------------------------------------------------------------------------------------------
# The command line


def tools() -> dict[str, str]:
    """Absolute paths of bwrap, setpriv and prlimit; SandboxError naming the missing ones."""
    found = {
        name: shutil.which(name, path="/usr/bin:/bin:/usr/sbin:/sbin:" + os.environ.get("PATH", ""))
        for name in ("bwrap", "setpriv", "prlimit")
    }
    missing = [name for name, path in found.items() if not path]
    if missing:
        raise SandboxError(f"{', '.join(missing)} not found: {INSTALL_HINT}")
    return found  # type: ignore[return-value]


def data_files(workdir: Path) -> list[Path]:
    """The submission's own files in ``workdir``: regular files, never notebooks or links."""
    found = []
    for folder, dirs, files in os.walk(workdir):
        dirs[:] = sorted(
            d
            for d in dirs
            if d != ".ipynb_checkpoints" and not os.path.islink(os.path.join(folder, d))
        )
        for name in sorted(files):
            path = Path(folder, name)
            if name.endswith(".ipynb") or not stat.S_ISREG(path.lstat().st_mode):
                continue
            found.append(path)
            if len(found) > MAX_DATA_FILES:
                raise SandboxError(f"{workdir} has more than {MAX_DATA_FILES} files to bind")
    return found


def _check_workdir(workdir: Path) -> None:
    """Refuse to expose a folder that holds the course's secrets (the course root, or above)."""
    if workdir == Path("/") or workdir in REPO_DIR.parents or workdir == REPO_DIR:
        raise SandboxError(f"refusing to run a sandboxed kernel in {workdir}: it holds the course")
    for secret in ("gradebook.db", "nbgrader_config.py"):
        if (workdir / secret).exists():
            raise SandboxError(f"refusing to run a sandboxed kernel in {workdir}: it has {secret}")


def _python_dirs() -> list[Path]:
    """The Python installation and the venv, as real paths and as the paths Python uses."""
    dirs: list[Path] = []
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}:
        for path in {Path(prefix), Path(prefix).resolve()}:
            dirs.append(path)
    real = Path(sys.executable).resolve().parent.parent  # e.g. a pyenv or /usr/local
    dirs.append(real)
    return dirs


def _covered(path: Path, mounts: list[Path]) -> bool:
    return any(path == m or m in path.parents for m in mounts)


def sandbox_command(
    kernel_argv: list[str],
    *,
    workdir: Path,
    ipc_dir: Path,
    env: dict[str, str],
    uid: int | None,
    gid: int | None,
    font_cache: Path | None = None,
) -> list[str]:
    """The full command: ``bwrap ... [setpriv ...] prlimit ... <kernel_argv>``.

    ``uid``/``gid``: the sandbox user when the grader is root (bwrap sets up the namespaces with
    root's rights, then setpriv drops to that user inside); None for a non-root grader (bwrap
    then makes a user namespace and forbids nested ones).
    """
    tool = tools()
    workdir = Path(os.path.abspath(workdir))
    _check_workdir(workdir)
    args = [tool["bwrap"]]
    if uid is None:
        args += ["--unshare-all", "--unshare-user", "--disable-userns"]
    else:
        # As root: no user namespace here (it could map only root). setpriv drops the uid below,
        # then a second bwrap adds the user namespace.
        args += [
            "--unshare-ipc",
            "--unshare-pid",
            "--unshare-net",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--cap-add",
            "CAP_SETUID",
            "--cap-add",
            "CAP_SETGID",
        ]
    args += ["--die-with-parent", "--new-session", "--hostname", "sandbox"]

    # bwrap makes missing parent directories 0700, which the sandbox user could not enter:
    # make them 0755 first. `mounts`: binds whose folders exist; `made`: folders in a tmpfs.
    mounts: list[Path] = []
    made: set[Path] = {Path("/")}

    def parents(path: Path, perms: str = "0755") -> list[str]:
        out = []
        for parent in reversed(path.parents):
            if parent not in made and not _covered(parent, mounts):
                out += ["--perms", perms, "--dir", str(parent)]
                made.add(parent)
        return out

    def bind(option: str, path: Path) -> list[str]:
        out = parents(path) + [option, str(path), str(path)]
        mounts.append(path)
        return out

    def tmpfs(path: Path, size: int) -> list[str]:
        made.add(path)
        return parents(path) + ["--perms", "1777", "--size", str(size), "--tmpfs", str(path)]

    # System files, read-only.
    args += bind("--ro-bind", Path("/usr"))
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += bind("--ro-bind", Path(top))
    for name in ETC_FILES:
        if os.path.exists(f"/etc/{name}"):
            args += bind("--ro-bind", Path("/etc", name))
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += tmpfs(Path("/dev/shm"), TMP_BYTES)
    args += tmpfs(Path("/tmp"), TMP_BYTES)

    # Python, the venv, the helpers package and the course data, read-only.
    data_dir = Path(env["NNFS_DATA_DIR"]) if "NNFS_DATA_DIR" in env else REPO_DIR / "data"
    for path in [*_python_dirs(), HELPERS_DIR, data_dir]:
        if path.exists() and not _covered(path, mounts):
            args += bind("--ro-bind", path)

    # matplotlib's font list from the grader's cache (read-only), when it names only fonts the
    # sandbox has: saves rebuilding it (0.15 s) in every kernel that plots.
    if font_cache is not None and "MPLCONFIGDIR" in env:
        try:
            fonts = json.loads(font_cache.read_text())
            names = [f["fname"] for kind in ("ttflist", "afmlist") for f in fonts.get(kind, [])]
        except (OSError, ValueError, TypeError, KeyError):
            names = [""]
        # Relative names are inside matplotlib's own mpl-data (in the venv).
        if names and all(not os.path.isabs(n) or _covered(Path(n), mounts) for n in names):
            inside = Path(env["MPLCONFIGDIR"], font_cache.name)
            args += parents(inside, perms="1777") + ["--ro-bind", str(font_cache), str(inside)]

    # The private directory of the connection file and the IPC sockets, read-write.
    args += bind("--bind", Path(ipc_dir))

    # The working directory: a fresh tmpfs with the submission's own files, read-only.
    files = data_files(workdir)
    args += tmpfs(workdir, WORKDIR_BYTES)
    for path in files:
        args += parents(path, perms="1777") + ["--ro-bind", str(path), str(path)]
    args += ["--chdir", str(workdir)]

    # A clean environment (bwrap's own one, which jupyter_client extends, is not passed on).
    args.append("--clearenv")
    for key, value in sorted(env.items()):
        args += ["--setenv", key, value]

    args.append("--")
    if uid is not None:
        # Drop to the sandbox user, then enter a user namespace of its own in which bwrap forbids
        # further user namespaces (the same view: `--dev-bind / /`).
        args += [
            tool["setpriv"],
            f"--reuid={uid}",
            f"--regid={gid}",
            "--clear-groups",
            "--no-new-privs",
            "--inh-caps=-all",
            "--",
            tool["bwrap"],
            "--unshare-user",
            "--disable-userns",
            "--die-with-parent",
            "--dev-bind",
            "/",
            "/",
            "--chdir",
            str(workdir),
            "--",
        ]
    return args + resource_limits(tool["prlimit"]) + kernel_argv


def resource_limits(prlimit: str) -> list[str]:
    """``prlimit`` with the course's limits, ready to prefix a command."""
    return [
        prlimit,
        f"--as={MEMORY_BYTES}",
        f"--cpu={CPU_SECONDS}",
        f"--nproc={MAX_PROCESSES}",
        f"--fsize={MAX_FILE_BYTES}",
        f"--nofile={MAX_OPEN_FILES}",
        "--core=0",
        "--",
    ]


def grading_without_sandbox() -> bool:
    return os.environ.get(WITHOUT_SANDBOX_VARIABLE) == "1"


def without_sandbox_notice() -> str:
    """What grading without the sandbox gives up, and what it keeps, for the grade report."""
    prlimit = shutil.which("prlimit", path="/usr/bin:/bin:" + os.environ.get("PATH", ""))
    limits = (
        "the resource limits (memory, CPU time, processes, file size)"
        if prlimit
        else "NOT the resource limits either (prlimit is missing here)"
    )
    return (
        "GRADED WITHOUT THE SANDBOX (--without-sandbox): student code ran with your own rights."
        " It could read the hidden tests in source/, the gradebook and other students'"
        " submissions, change any file you can, reach the network, and signal or outlive the"
        f" grader. Kept: the per-cell time limit, {limits}, the guarded kernel that puts the"
        " checks back before every cell, and the tampering report. Use it only for submissions"
        " you trust, or grade in a container of your own where the sandbox works (README: Grading"
        " where bubblewrap cannot run)."
    )


def matplotlib_font_cache(grader_env: dict[str, str]) -> Path | None:
    """The grader's newest ``fontlist-v*.json`` (matplotlib's font cache), found without matplotlib."""
    if grader_env.get("MPLCONFIGDIR"):
        folder = Path(grader_env["MPLCONFIGDIR"])
    else:
        cache = grader_env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        folder = Path(cache, "matplotlib")
    found = sorted(folder.glob("fontlist-v*.json"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def blas_threads_for(workers: int) -> int:
    """BLAS threads per kernel when ``workers`` kernels run at once: the cores shared out, at
    most BLAS_THREADS. More threads than cores make every kernel slower (on 2 cores, two kernels
    with 2 threads each grade lesson 7 several times slower than with 1 each)."""
    return max(1, min(BLAS_THREADS, (os.cpu_count() or 1) // max(1, workers)))


def blas_env(threads: int) -> dict[str, str]:
    """The variables that set the BLAS libraries' (OpenMP, OpenBLAS, MKL) thread count."""
    return {
        name: str(threads)
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    }


def kernel_blas_threads(grader_env: dict[str, str]) -> int:
    """The kernel's BLAS threads: the grader's NNFS_BLAS_THREADS if it is 1..BLAS_THREADS."""
    value = grader_env.get(BLAS_THREADS_VARIABLE, "")
    return int(value) if value.isdigit() and 1 <= int(value) <= BLAS_THREADS else BLAS_THREADS


def kernel_env(grader_env: dict[str, str]) -> dict[str, str]:
    """The kernel's whole environment: a few fixed values and an allow-list from the grader."""
    env = {
        "PATH": f"{os.path.dirname(sys.executable)}:/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLCONFIGDIR": "/tmp/matplotlib",
        **blas_env(kernel_blas_threads(grader_env)),
        # The kernel's parent is bwrap, pid 1 of its namespace: ipykernel then needs no poller.
        "JPY_PARENT_PID": "1",
    }
    for key in PASSED_ENV:
        if key in grader_env:
            env[key] = grader_env[key]
    if "NNFS_DATA_DIR" in grader_env:
        env["NNFS_DATA_DIR"] = os.path.abspath(grader_env["NNFS_DATA_DIR"])
    return env


# ---------------------------------------------------------------------------------------------
# jupyter_client / nbgrader integration


class SandboxProvisioner(LocalProvisioner):
    """A LocalProvisioner whose kernel runs in bubblewrap, as a sandbox user, with limits (with
    the limits alone when the grade command was told ``--without-sandbox``)."""

    ipc_dir: Path | None = None
    slot: Slot | None = None

    async def pre_launch(self, **kwargs):
        km = self.parent
        sandboxed = not grading_without_sandbox()
        if sandboxed:
            tools()  # fail early, with the install hint, before anything is created
        self._release()
        km.transport = "ipc"
        self.slot = acquire_slot() if sandboxed and os.geteuid() == 0 else None
        self.ipc_dir = Path(tempfile.mkdtemp(prefix="kernel-", dir=_state_dir()))
        if self.slot:
            os.chown(self.ipc_dir, self.slot.uid, self.slot.gid)
        km.ip = str(self.ipc_dir / "ipc")
        km.connection_file = str(self.ipc_dir / "kernel.json")
        extra_arguments = list(kwargs.get("extra_arguments") or [])
        workdir = Path(kwargs.get("cwd") or os.getcwd())
        grader_env = dict(kwargs.get("env") or os.environ)

        kwargs = await super().pre_launch(**kwargs)  # writes the connection file (mode 0600)
        if self.slot:
            os.chown(km.connection_file, self.slot.uid, self.slot.gid)
        # The course's Python (this one) runs the kernel, whatever the notebook's kernelspec says.
        kernel_argv = [
            sys.executable,
            "-m",
            "helpers.grading.guarded_kernel",
            "-f",
            km.connection_file,
            *extra_arguments,
        ]
        if not sandboxed:
            # The grader's own user and filesystem; the kernel's clean environment, its own
            # folder for HOME and temporary files, and the limits where prlimit exists.
            prlimit = shutil.which("prlimit", path="/usr/bin:/bin:" + grader_env.get("PATH", ""))
            kwargs["cmd"] = (resource_limits(prlimit) if prlimit else []) + kernel_argv
            private = str(self.ipc_dir)
            kwargs["env"] = kernel_env(grader_env) | {
                "HOME": private,
                "TMPDIR": private,
                "MPLCONFIGDIR": os.path.join(private, "matplotlib"),
                "JPY_PARENT_PID": str(os.getpid()),
            }
            kwargs["cwd"] = str(workdir)
            return kwargs
        kwargs["cmd"] = sandbox_command(
            kernel_argv,
            workdir=workdir,
            ipc_dir=self.ipc_dir,
            env=kernel_env(grader_env),
            uid=self.slot.uid if self.slot else None,
            gid=self.slot.gid if self.slot else None,
            font_cache=matplotlib_font_cache(grader_env),
        )
        kwargs["env"] = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
        kwargs["cwd"] = str(self.ipc_dir)
        return kwargs

    async def wait(self) -> int | None:
        # jupyter_client looks every 0.1 s; a killed sandbox is gone within milliseconds, and a
        # class of 300 would wait half a minute for nothing.
        while self.process is not None and await self.poll() is None:
            await asyncio.sleep(EXIT_POLL_SECONDS)
        return await super().wait()

    async def cleanup(self, restart: bool = False) -> None:
        await super().cleanup(restart=restart)
        self._release()

    def _release(self) -> None:
        if self.ipc_dir is not None:
            shutil.rmtree(self.ipc_dir, ignore_errors=True)
            self.ipc_dir = None
        if self.slot is not None:
            self.slot.release()
            self.slot = None


class SandboxKernelManager(AsyncKernelManager):
    """An AsyncKernelManager that always starts its kernel through :class:`SandboxProvisioner`."""

    @default("transport")
    def _default_transport(self) -> str:
        return "ipc"

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        await super()._async_wait(pollinterval=min(pollinterval, EXIT_POLL_SECONDS))

    async def _async_pre_start_kernel(self, **kw):
        self.kernel_id = self.kernel_id or kw.pop("kernel_id", None) or str(uuid.uuid4())
        spec = self.kernel_spec
        # SIGINT to bwrap would not reach the kernel (another session): interrupt by message.
        spec.interrupt_mode = "message"
        if not isinstance(self.provisioner, SandboxProvisioner):
            self.provisioner = SandboxProvisioner(
                kernel_id=self.kernel_id, kernel_spec=spec, parent=self
            )
        return await super()._async_pre_start_kernel(**kw)


# Seconds to wait for a timed-out cell's last output after interrupting it (nbclient's default).
AFTER_INTERRUPT_OUTPUT_WAIT = 4


class SandboxedExecute(Execute):
    """nbgrader's Execute preprocessor with every kernel in the sandbox (no configuration turns it
    off; only the grade command's ``--without-sandbox`` does, and its report says so).

    It also leaves out the lesson's illustrations that no graded result depends on
    (:mod:`helpers.grading.illustrations`); ``c.SandboxedExecute.skip_illustrations = False``
    runs every cell, for graded notebooks with all their figures.
    """

    skip_illustrations = Bool(
        True, help="Skip unchanged illustration cells that no cell that runs depends on."
    ).tag(config=True)

    @default("shutdown_kernel")
    def _default_shutdown_kernel(self) -> str:
        return "immediate"  # every output is in; ending the sandbox ends all it started

    def __init__(self, *args, **kwargs):
        kwargs["kernel_manager_class"] = SandboxKernelManager
        super().__init__(*args, **kwargs)
        self._skipped: set[int] = set()

    def preprocess(self, nb, resources=None, km=None):
        self._skipped = set()
        if self.skip_illustrations:
            reference = illustrations.reference_notebook(self.config, resources or {})
            if reference is not None:
                self._skipped = illustrations.cells_to_skip(nb.cells, reference.cells)
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        if index in self._skipped:
            cell.outputs = [illustrations.skipped_note()]
            cell.execution_count = None
            return cell, resources
        patient = self.iopub_timeout
        try:
            return super().preprocess_cell(cell, resources, index)
        finally:
            self.iopub_timeout = patient

    async def _async_handle_timeout(self, timeout, cell=None):
        # A cell that ran out of time is interrupted. A kernel that stays busy after that ignored
        # the interrupt (or forked): its output is not waited for as patiently as an honest
        # cell's (c.Execute.iopub_timeout), only nbclient's default few seconds.
        self.iopub_timeout = min(self.iopub_timeout, AFTER_INTERRUPT_OUTPUT_WAIT)
        return await super()._async_handle_timeout(timeout, cell)


def sandboxed_autograde_preprocessors() -> list:
    """nbgrader's default ``Autograde.autograde_preprocessors`` with Execute sandboxed.

    In ``nbgrader_config.py``::

        from helpers.grading.sandbox import sandboxed_autograde_preprocessors
        c.Autograde.autograde_preprocessors = sandboxed_autograde_preprocessors()
    """
    from nbgrader.converters import Autograde

    defaults = Autograde.class_traits()["autograde_preprocessors"].default()
    if Execute not in defaults:
        raise SandboxError("nbgrader's Autograde no longer lists Execute: update sandbox.py")
    return [SandboxedExecute if pp is Execute else pp for pp in defaults]


# ---------------------------------------------------------------------------------------------
# The probe

PROBE_CODE = r"""
import json, os, resource, socket
P = json.loads(%r)
failures, facts = [], {}
def fail(message):
    failures.append(message)
uid = os.getuid()
facts["uid"] = uid
if P["grader_uid"] == 0:
    if uid == 0 or os.geteuid() == 0 or os.getgid() == 0:
        fail(f"the kernel runs as root (uid {uid}, gid {os.getgid()})")
    if os.getgroups():
        fail(f"the kernel keeps supplementary groups {os.getgroups()}")
with open("/proc/self/uid_map") as f:
    if f.read().split() == ["0", "0", "4294967295"]:
        fail("the kernel is not in a user namespace")
with open("/proc/self/status") as f:
    status = dict(line.split(":", 1) for line in f.read().splitlines() if ":" in line)
for key in ("CapEff", "CapPrm", "CapAmb"):
    if int(status.get(key, "0").strip(), 16):
        fail(f"the kernel has capabilities ({key} {status[key].strip()})")
import subprocess
try:
    nested = subprocess.run(["unshare", "--user", "true"], capture_output=True).returncode == 0
except OSError:
    nested = False
if nested:
    fail("the kernel can create user namespaces")
if status.get("NoNewPrivs", "0").strip() != "1":
    fail("no_new_privs is not set")
for kind, outside in P["namespaces"].items():
    try:
        inside = os.readlink(f"/proc/self/ns/{kind}")
    except OSError as error:
        fail(f"cannot read the {kind} namespace: {error}")
        continue
    if inside == outside:
        fail(f"the kernel shares the grader's {kind} namespace ({inside})")
for path in P["secrets"]:
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            with open(path, "rb") as f:
                f.read(1)
        fail(f"the kernel can read {path}")
    except OSError:
        pass
here = sorted(os.listdir("."))
if any(name.endswith(".ipynb") for name in here):
    fail(f"the working directory shows a notebook: {here}")
try:
    with open(P["data_file"]) as f:
        if f.read() != P["data_text"]:
            fail("the submission's data file has the wrong content")
except OSError as error:
    fail(f"the submission's data file is not readable: {error}")
try:
    with open("scratch-test.txt", "w") as f:
        f.write("ok")
    os.remove("scratch-test.txt")
except OSError as error:
    fail(f"the working directory is not writable: {error}")
try:
    s = socket.create_connection(("127.0.0.1", P["port"]), timeout=2)
    s.close()
    fail(f"the kernel reached the grader's TCP port {P['port']} on 127.0.0.1")
except OSError:
    pass
names = [name for _, name in socket.if_nameindex()]
facts["interfaces"] = names
if [n for n in names if n != "lo"]:
    fail(f"the kernel sees network interfaces {names}")
for name, wanted in P["limits"].items():
    got = resource.getrlimit(getattr(resource, name))
    if list(got) != [wanted, wanted]:
        fail(f"{name} is {got}, expected {wanted}")
leaked = [k for k, v in os.environ.items() if P["marker"] in k or P["marker"] in v]
if leaked:
    fail(f"the grader's environment leaks into the kernel: {leaked}")
try:
    os.kill(P["grader_pid"], 0)
    fail(f"the kernel can signal the grader (pid {P['grader_pid']})")
except OSError:
    pass
print("NNFS-PROBE " + json.dumps({"failures": failures, "facts": facts}))
"""


def _home_entries(count: int = 5) -> list[str]:
    """A few entries of the grader's home folder (not on the way to Python): must stay unseen."""
    home = Path(os.path.expanduser("~"))
    with contextlib.suppress(OSError):
        on_the_way = {p for d in _python_dirs() for p in d.parents}
        return [str(p) for p in sorted(home.iterdir()) if p not in on_the_way][:count]
    return []


def _probe_in_this_process(course_root: Path) -> list[str]:
    """Build nbgrader's autograde objects from the course config and run the probe through them."""
    import nbformat
    from nbgrader import utils
    from nbgrader.apps import AutogradeApp
    from nbgrader.converters import Autograde

    os.chdir(course_root)  # as nbgrader autograde does; the config is found here
    app = AutogradeApp()
    app.initialize([])
    converter = Autograde(coursedir=app.coursedir, parent=app)
    converter.exporter = converter.exporter_class(parent=converter, config=converter.config)
    converter._sanitizing = False
    converter._init_preprocessors()  # exactly the preprocessors autograding registers
    executes = [pp for pp in converter.exporter._preprocessors if isinstance(pp, Execute)]
    if not executes:
        return ["autograding has no Execute preprocessor"]
    execute = executes[0]
    failures = []
    if not issubclass(execute.kernel_manager_class, SandboxKernelManager):
        failures.append(
            f"autograding starts kernels with {execute.kernel_manager_class.__name__}, not the"
            " sandbox: add to nbgrader_config.py `c.Autograde.autograde_preprocessors ="
            " sandboxed_autograde_preprocessors()` (from helpers.grading.sandbox)"
        )

    marker = "nnfs-probe-" + secrets.token_hex(8)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    with tempfile.TemporaryDirectory(prefix="nnfs-probe-") as scratch:
        os.chmod(scratch, 0o755)
        secret = Path(scratch, "secret.txt")
        secret.write_text("hidden")
        secret.chmod(0o644)  # readable by anyone on the host: only the sandbox hides it
        workdir = Path(scratch, "autograded", "probe-student", "probe")
        workdir.mkdir(parents=True)
        for folder in (Path(scratch, "autograded"), workdir.parent, workdir):
            folder.chmod(0o755)
        data = workdir / "probe-data.txt"
        data.write_text("the submission's data")
        data.chmod(0o644)
        notebook_path = workdir / "probe.ipynb"
        params = {
            "grader_uid": os.getuid(),
            "grader_pid": os.getpid(),
            "port": listener.getsockname()[1],
            "marker": marker,
            "data_file": "probe-data.txt",
            "data_text": data.read_text(),
            "secrets": [
                str(secret),
                str(notebook_path),
                str(course_root / "gradebook.db"),
                str(course_root / "source"),
                str(course_root / "submitted"),
                str(course_root / "autograded"),
                str(course_root / "nbgrader_config.py"),
                *_home_entries(),
            ],
            "limits": {
                "RLIMIT_AS": MEMORY_BYTES,
                "RLIMIT_CPU": CPU_SECONDS,
                "RLIMIT_NPROC": MAX_PROCESSES,
                "RLIMIT_FSIZE": MAX_FILE_BYTES,
                "RLIMIT_NOFILE": MAX_OPEN_FILES,
            },
            "namespaces": {
                kind: os.readlink(f"/proc/self/ns/{kind}")
                for kind in ("pid", "net", "mnt", "ipc", "uts", "user")
            },
        }
        notebook = nbformat.v4.new_notebook()
        notebook.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        notebook.cells.append(nbformat.v4.new_code_cell(PROBE_CODE % json.dumps(params)))
        nbformat.write(notebook, notebook_path)
        notebook_path.chmod(0o644)
        os.environ["NNFS_PROBE_MARKER"] = marker
        try:
            with utils.setenv(NBGRADER_EXECUTION="autograde"):
                executed, _ = execute.preprocess(notebook, {"metadata": {"path": str(workdir)}})
        except Exception as error:  # the kernel did not start or died
            return [*failures, f"the probe kernel failed: {type(error).__name__}: {error}"]
        finally:
            os.environ.pop("NNFS_PROBE_MARKER", None)
            listener.close()
    text = "".join(
        output.get("text", "")
        for output in executed.cells[0].outputs
        if output.get("name") == "stdout"
    )
    errors = [
        f"{o.get('ename')}: {o.get('evalue')}"
        for o in executed.cells[0].outputs
        if o.get("output_type") == "error"
    ]
    for line in text.splitlines():
        if line.startswith("NNFS-PROBE "):
            return [*failures, *json.loads(line[len("NNFS-PROBE ") :])["failures"]]
    return [*failures, f"the probe printed no verdict ({'; '.join(errors) or text[-300:]!r})"]


def verify_sandbox(
    course_root: str | Path = ".", env: dict | None = None, timeout: float = 120
) -> list[str]:
    """Start a kernel the way ``nbgrader autograde`` does in ``course_root`` and check it is confined.

    Runs in a child process, with ``env`` (default: this environment), in the course root, like
    the grade command's nbgrader processes. Returns what is wrong; empty means sandboxed.
    """
    course_root = Path(course_root).resolve()
    try:
        tools()
    except SandboxError as error:
        return [str(error)]
    try:
        done = subprocess.run(
            [sys.executable, "-m", "helpers.grading.sandbox", "--json", str(course_root)],
            cwd=course_root,
            env=dict(os.environ if env is None else env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return [f"the sandbox probe did not finish in {timeout:.0f} s"]
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("NNFS-VERDICT "):
            return json.loads(line[len("NNFS-VERDICT ") :])
    tail = (done.stdout + done.stderr).strip()[-1500:]
    return [f"the sandbox probe crashed (exit {done.returncode}): {tail}"]


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in args
    args = [a for a in args if a != "--json"]
    course_root = Path(args[0] if args else ".").resolve()
    if as_json:
        try:
            failures = _probe_in_this_process(course_root)
        except SandboxError as error:
            failures = [str(error)]
        print("NNFS-VERDICT " + json.dumps(failures), flush=True)
        return 0
    failures = verify_sandbox(course_root)
    for failure in failures:
        print(f"NOT SANDBOXED: {failure}")
    if not failures:
        print("The autograding kernel is sandboxed.")
    return 1 if failures else 0


if __name__ == "__main__":
    # Run the module's own copy (not __main__'s) so that classes compare equal to nbgrader's.
    from helpers.grading.sandbox import main as _main

    raise SystemExit(_main())
