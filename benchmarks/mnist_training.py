"""Benchmark: the course's reference network and its fast version against PyTorch (CPU) and
scikit-learn on MNIST.

    make bench          (creates .venv-bench from benchmarks/requirements.txt, then runs this)
    .venv-bench/bin/python benchmarks/mnist_training.py [--runs 3] [--epochs 10] [--reference PATH]
        [--fast PATH]

Four implementations train the same 784-128-64-10 ReLU network on the same data (60,000
training images, float32 in [0, 1] from ``helpers.data.load_mnist``) with the same mini-batches
of 128, shuffled every epoch, Adam (betas 0.9 and 0.999, eps 1e-8) with its learning rate
warmed up over the first tenth of the steps to 3e-3, then decayed along a cosine to 0 (lesson
7's ``WarmupCosine``, as its ``train_mnist`` trains), softmax
cross-entropy and no L2 penalty:

- ``reference``: the code of lesson 7's reference solution, trained as lesson 7's ``train_mnist``
  does (``init_params(..., "he", rng, dtype=np.float32)``, ``WarmupCosine(Adam(3e-3), steps)``,
  ``train(...)``);
- ``fast``: the same network made fast in notebooks/fast_numpy.ipynb (its code cells tagged
  ``fast-network``: ``FastMLP``, ``FlatAdam``, ``fast_epoch``), the same initial weights and
  schedule as the reference;
- ``pytorch``: ``nn.Sequential`` of ``Linear``/``ReLU``, float32, ``torch.optim.Adam`` with a
  ``LambdaLR`` of the same schedule, stepped after every mini-batch;
- ``sklearn``: ``MLPClassifier(solver="adam")``, one ``partial_fit`` (one epoch) at a time; it
  has no per-step schedule, so each epoch runs at the schedule's mean over the epoch's steps.

Every epoch of every implementation does the same work: one pass of training over the shuffled
training set, then the loss and the accuracy of the whole training set and of the whole test
set (what the course's ``train`` records in its history after each epoch). An epoch's time is
the wall time of that work. The test set plays the role of the validation set, so the history
gives the test accuracy after each epoch.

Runs are interleaved: each round gives the three the same seed, and they take turns epoch by
epoch (reference, pytorch, sklearn, reference, ...), so that a slow spell of a shared machine
falls on all three alike; the next round takes the next seed. The table shows, for each
implementation, the median over the runs (rounds) of:

- seconds per epoch: the run's median epoch time;
- the ratio of those seconds to PyTorch's and to scikit-learn's;
- the test accuracy after 5 and after 10 epochs;
- the seconds until the test accuracy first reaches 97%: the epoch times added up (their
  evaluation included; loading the data and building the network not).

The table also gives each time over the floor: an epoch's matrix products at the speed of one
large float32 product on this machine (the notebook's ``epoch_flops`` and
``gemm_flops_per_second``). The verdict lines: the reference's seconds per epoch must be at most
0.90 of PyTorch's and the fast network's at most 0.60; and lesson 7's own run (the reference
alone, then the fast network alone, 5 epochs, the schedule over those 5, seeds 0, 1, 2, ...) must
reach a median test accuracy of at least 97.5% after its 5 epochs. The exit status is 1 when a
target is missed.

``--reference`` takes lesson 7's source notebook (the code of its cells whose nbgrader grade_id
starts with ``parts_``, and its ``warmup_cosine`` cell, in order) or a plain .py file holding the
same functions and the ``WarmupCosine`` class.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sklearn
import threadpoolctl
import torch
from sklearn.neural_network import MLPClassifier
from tqdm.auto import tqdm

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the course's helpers (only the standard library's, here)
from helpers.tagged_cells import run_tagged  # noqa: E402

LESSON_7 = REPO / "source" / "07_mnist_classifier" / "07_mnist_classifier.ipynb"
FAST_NOTEBOOK = REPO / "notebooks" / "fast_numpy.ipynb"
FAST_TAG = "fast-network"  # the notebook's cells that define the fast network
sys.path.insert(0, str(REPO))
from helpers.data import load_mnist  # noqa: E402

LAYERS = [784, 128, 64, 10]
BATCH_SIZE = 128
REFERENCE_CELL = re.compile(r"parts_|warmup_cosine$")  # grade_ids of the reference's cells
LR = 3e-3  # the peak of the cosine schedule, lesson 7's train_mnist default
TARGET_ACCURACY = 0.97  # "seconds to reach 97%"
TARGET_RATIO = 0.90  # the reference's seconds per epoch, at most this fraction of PyTorch's
TARGET_FAST_RATIO = 0.60  # the fast network's, at most this fraction of PyTorch's
LESSON_EPOCHS, LESSON_TARGET = 5, 0.975  # lesson 7's run: median test accuracy after 5 epochs


def schedule_factors(ref: dict, total_steps: int) -> list[float]:
    """The reference's learning rate at each step over its peak: its own WarmupCosine, stepped
    over a stand-in optimizer with lr 1, so that the peers follow exactly the same schedule."""
    factors: list[float] = []

    class StandIn:
        lr = 1.0

        def step(self, params, grads):
            factors.append(self.lr)

    schedule = ref["WarmupCosine"](StandIn(), total_steps)
    for _ in range(total_steps):
        schedule.step(None, None)
    return factors


def steps_per_epoch(n_examples: int) -> int:
    return math.ceil(n_examples / BATCH_SIZE)


Data = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@dataclass
class Run:
    """One training run: the wall time of each epoch and the history, as the course's train
    records it (loss and accuracy of the whole training and test sets after each epoch)."""

    epoch_seconds: list[float] = field(default_factory=list)
    history: dict[str, list[float]] = field(
        default_factory=lambda: {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": []}
    )

    def record(self, seconds: float, **metrics: float) -> None:
        self.epoch_seconds.append(seconds)
        for key, value in metrics.items():
            self.history[key].append(float(value))

    @property
    def test_acc(self) -> list[float]:
        return self.history["val_acc"]  # the test set is the validation set here

    def seconds_per_epoch(self) -> float:
        return statistics.median(self.epoch_seconds)

    def accuracy_after(self, epochs: int) -> float:
        return self.test_acc[epochs - 1] if len(self.test_acc) >= epochs else math.nan

    def seconds_to(self, accuracy: float) -> float:
        """Training seconds until the test accuracy first reaches ``accuracy`` (inf: never)."""
        elapsed = 0.0
        for seconds, acc in zip(self.epoch_seconds, self.test_acc, strict=True):
            elapsed += seconds
            if acc >= accuracy:
                return elapsed
        return math.inf


# --- the course's reference network ------------------------------------------------------------


def reference_code(path: Path) -> str:
    """The reference's source: a .py file as it is, or a notebook's ``parts_`` cells and its
    ``warmup_cosine`` cell, in order."""
    if path.suffix != ".ipynb":
        return path.read_text()
    cells = json.loads(path.read_text())["cells"]
    parts = [
        "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for cell in cells
        if cell["cell_type"] == "code"
        and REFERENCE_CELL.match(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", ""))
    ]
    if not parts:
        sys.exit(f"{path} has no code cell whose nbgrader grade_id starts with 'parts_'.")
    return "\n\n".join(parts)


def load_reference(path: Path) -> dict:
    """The reference's functions, executed in one namespace with math, np and tqdm imported."""
    namespace = {"__name__": "reference", "math": math, "np": np, "tqdm": tqdm}
    exec(compile(reference_code(path), str(path), "exec"), namespace)
    missing = [
        name for name in ("init_params", "train", "Adam", "WarmupCosine") if name not in namespace
    ]
    if missing:
        sys.exit(f"{path} does not define {', '.join(missing)}.")
    return namespace


class Reference:
    """Lesson 7's train_mnist, one epoch at a time: init_params, WarmupCosine(Adam) over all the
    epochs, then one call of train per epoch (the same as one call with every epoch: no early
    stopping, and the rng, params and optimizer carry over from call to call)."""

    def __init__(self, ref: dict, data: Data, seed: int, epochs: int):
        self.ref, self.data = ref, data
        self.rng = np.random.default_rng(seed)
        self.params = ref["init_params"](LAYERS, "he", self.rng, dtype=np.float32)
        total_steps = epochs * steps_per_epoch(len(data[0]))
        self.optimizer = ref["WarmupCosine"](ref["Adam"](LR), total_steps)

    def epoch(self) -> dict[str, float]:
        X_train, y_train, X_test, y_test = self.data
        history = self.ref["train"](
            self.params, X_train, y_train, X_test, y_test, 1, BATCH_SIZE, self.optimizer,
            self.rng, progress=False,
        )  # fmt: skip
        return {key: values[0] for key, values in history.items()}


# --- the fast network (notebooks/fast_numpy.ipynb) ---------------------------------------------


def load_fast(path: Path) -> dict:
    """The fast network's definitions: the notebook's code cells tagged ``fast-network``, run in
    one namespace with math, time and np imported."""
    namespace = {"__name__": "fast_numpy", "math": math, "np": np, "time": time}
    run_tagged(path, FAST_TAG, namespace)
    missing = [
        name
        for name in ("FastMLP", "FlatAdam", "fast_epoch", "epoch_flops", "gemm_flops_per_second")
        if name not in namespace
    ]
    if missing:
        sys.exit(f"{path}'s cells tagged {FAST_TAG!r} do not define {', '.join(missing)}.")
    return namespace


class FastNumpy:
    """The notebook's FastMLP and FlatAdam, trained by its fast_epoch: the same network, the same
    initial weights for a seed and the same schedule as the reference."""

    def __init__(self, fast: dict, data: Data, seed: int, epochs: int):
        self.fast, self.data = fast, data
        self.rng = np.random.default_rng(seed)
        self.model = fast["FastMLP"](LAYERS, self.rng, batch_size=BATCH_SIZE)
        self.optimizer = fast["FlatAdam"](self.model.flat.size, LR)
        self.total_steps = epochs * steps_per_epoch(len(data[0]))

    def epoch(self) -> dict[str, float]:
        history = self.fast["fast_epoch"](
            self.model, self.optimizer, self.rng, self.total_steps, LR, data=self.data
        )
        return {
            "train_loss": history["train_loss"],
            "train_acc": history["train_acc"],
            "val_loss": history["test_loss"],
            "val_acc": history["test_acc"],
        }


# --- PyTorch --------------------------------------------------------------------------------------


class PyTorch:
    """The same network in PyTorch: He (Kaiming normal) weights, zero biases, batches indexed
    straight from the tensors (no DataLoader), the whole sets evaluated after each epoch."""

    def __init__(self, data: Data, seed: int, factors: list[float]):
        nn = torch.nn
        torch.manual_seed(seed)
        self.generator = torch.Generator().manual_seed(seed)
        self.data = tuple(torch.from_numpy(a) for a in data)
        layers = []
        for n_in, n_out in zip(LAYERS[:-1], LAYERS[1:], strict=True):
            linear = nn.Linear(n_in, n_out)
            nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
            nn.init.zeros_(linear.bias)
            layers += [linear, nn.ReLU()]
        self.model = nn.Sequential(*layers[:-1])  # no ReLU after the last layer
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=LR)
        self.schedule = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda step: factors[min(step, len(factors) - 1)]
        )

    def epoch(self) -> dict[str, float]:
        F = torch.nn.functional
        X_train, y_train, X_test, y_test = self.data
        order = torch.randperm(len(X_train), generator=self.generator)
        for first in range(0, len(X_train), BATCH_SIZE):
            batch = order[first : first + BATCH_SIZE]
            loss = F.cross_entropy(self.model(X_train[batch]), y_train[batch])
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            self.schedule.step()
        metrics = {}
        with torch.no_grad():
            for split, X, y in (("train", X_train, y_train), ("val", X_test, y_test)):
                logits = self.model(X)
                metrics[f"{split}_loss"] = F.cross_entropy(logits, y).item()
                metrics[f"{split}_acc"] = (logits.argmax(dim=1) == y).float().mean().item()
        return metrics


# --- scikit-learn ---------------------------------------------------------------------------------


class ScikitLearn:
    """MLPClassifier with adam and no L2 penalty (alpha=0): each partial_fit is one epoch over
    the reshuffled training set that keeps Adam's state (fit with warm_start and max_iter=1 would
    start Adam again), then the whole sets are evaluated with predict_proba."""

    def __init__(self, data: Data, seed: int, factors: list[float]):
        self.data, self.factors, self.epochs_done = data, factors, 0
        self.model = MLPClassifier(
            hidden_layer_sizes=tuple(LAYERS[1:-1]),
            activation="relu",
            solver="adam",
            alpha=0.0,
            batch_size=BATCH_SIZE,
            learning_rate_init=LR,
            shuffle=True,
            # A generator, not an int: with an int every partial_fit would start again from the
            # same seed and visit the examples in the same order every epoch.
            random_state=np.random.RandomState(seed),
        )

    def epoch(self) -> dict[str, float]:
        X_train, y_train, X_test, y_test = self.data
        # No per-step schedule here: each epoch runs at the schedule's mean over its steps.
        steps = steps_per_epoch(len(X_train))
        first = self.epochs_done * steps
        lr = LR * statistics.mean(self.factors[first : first + steps])
        if self.epochs_done:  # Adam's state exists after the first partial_fit
            self.model._optimizer.learning_rate_init = lr
        else:
            self.model.learning_rate_init = lr
        self.model.partial_fit(X_train, y_train, classes=np.arange(LAYERS[-1]))
        self.epochs_done += 1
        metrics = {}
        for split, X, y in (("train", X_train, y_train), ("val", X_test, y_test)):
            p = self.model.predict_proba(X)
            metrics[f"{split}_loss"] = -np.mean(np.log(np.maximum(p[np.arange(len(y)), y], 1e-12)))
            metrics[f"{split}_acc"] = np.mean(p.argmax(axis=1) == y)
        return metrics


# --- the report -----------------------------------------------------------------------------------


def load_average() -> str:
    """The machine's load (shared machines are noisy: it says how quiet the run was)."""
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


def describe_machine() -> list[str]:
    """What the numbers depend on: CPU, cores, versions, BLAS libraries and their kernels."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    config = torch.__config__.show()
    torch_blas = re.search(r"BLAS_INFO=(\w+)", config)
    mkl = re.search(r"Math Kernel Library Version ([\d.]+)", config)
    lines = [
        f"machine: {cpu}, {os.cpu_count()} cores ({len(os.sched_getaffinity(0))} usable), "
        f"Python {platform.python_version()}",
        f"versions: numpy {np.__version__}, torch {torch.__version__}, "
        f"scikit-learn {sklearn.__version__}, threadpoolctl {threadpoolctl.__version__}",
        f"torch: {torch.get_num_threads()} threads, BLAS {torch_blas[1] if torch_blas else '?'}"
        f"{f' {mkl[1]}' if mkl else ''}, CPU capability {torch.backends.cpu.get_cpu_capability()}",
    ]
    for pool in threadpoolctl.threadpool_info():
        library = Path(pool["filepath"])
        owner = library.parent.parent.name if library.parent.name == "lib" else library.parent.name
        lines.append(
            f"threadpool: {pool['internal_api']} {pool.get('version') or ''} "
            f"({owner}/{library.name}), kernel {pool.get('architecture', '-')}, "
            f"{pool['num_threads']} threads"
        )
    lines.append(f"load average (1, 5, 15 min) at the start: {load_average()}")
    for variable in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS"):
        lines.append(f"{variable}: {os.environ.get(variable, 'unset')}")
    return lines


def median(values: list[float]) -> float:
    values = [v for v in values if not math.isnan(v)]
    return statistics.median(values) if values else math.nan


def table(runs: dict[str, list[Run]], epochs: int, floor: float) -> list[str]:
    """The results, one row per implementation, as a Markdown table (medians over the runs);
    floor: the seconds per epoch of the matrix products alone at this machine's best speed."""
    seconds = {name: median([r.seconds_per_epoch() for r in rs]) for name, rs in runs.items()}

    def pct(value: float) -> str:
        return "-" if math.isnan(value) else f"{100 * value:.2f}%"

    def secs(value: float) -> str:
        return "not reached" if math.isinf(value) else f"{value:.1f}"

    rows = [
        "| implementation | s / epoch | / PyTorch | / scikit-learn | / floor | test acc. 5 epochs "
        f"| test acc. {epochs} epochs | s to {TARGET_ACCURACY:.0%} test acc. |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, rs in runs.items():
        rows.append(
            f"| {name} | {seconds[name]:.2f} | {seconds[name] / seconds['pytorch']:.2f} "
            f"| {seconds[name] / seconds['sklearn']:.2f} | {seconds[name] / floor:.1f} "
            f"| {pct(median([r.accuracy_after(5) for r in rs]))} "
            f"| {pct(median([r.accuracy_after(epochs) for r in rs]))} "
            f"| {secs(statistics.median([r.seconds_to(TARGET_ACCURACY) for r in rs]))} |"
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="interleaved runs of each (3)")
    parser.add_argument("--epochs", type=int, default=10, help="epochs per run (10)")
    parser.add_argument(
        "--reference",
        type=Path,
        default=LESSON_7,
        help="lesson 7's source notebook (default) or a .py file with the same functions",
    )
    parser.add_argument(
        "--fast",
        type=Path,
        default=FAST_NOTEBOOK,
        help="the notebook whose cells tagged fast-network define the fast network",
    )
    args = parser.parse_args()
    if args.runs < 1 or args.epochs < 1:
        parser.error("--runs and --epochs must be at least 1 (3 runs or more for the table).")
    if not args.reference.exists():
        sys.exit(f"{args.reference} not found: pass --reference PATH (a notebook or a .py file).")
    if not args.fast.exists():
        sys.exit(f"{args.fast} not found: pass --fast PATH (the fast NumPy notebook).")
    cores = len(os.sched_getaffinity(0))
    if torch.get_num_threads() != cores:
        torch.set_num_threads(cores)  # use every core, as numpy's BLAS does

    ref = load_reference(args.reference)
    fast = load_fast(args.fast)
    data = load_mnist()
    factors = schedule_factors(ref, args.epochs * steps_per_epoch(len(data[0])))
    implementations = {
        "reference": lambda seed: Reference(ref, data, seed, args.epochs),
        "fast": lambda seed: FastNumpy(fast, data, seed, args.epochs),
        "pytorch": lambda seed: PyTorch(data, seed, factors),
        "sklearn": lambda seed: ScikitLearn(data, seed, factors),
    }
    print(f"reference: {args.reference}\nfast: {args.fast} (cells tagged {FAST_TAG})")
    print("\n".join(describe_machine()))
    print(
        f"{args.runs} interleaved runs of {args.epochs} epochs, 784-128-64-10, batch {BATCH_SIZE}, "
        f"Adam, lr warmed up to {LR}, then decayed along a cosine to 0 over the {args.epochs}"
        " epochs; after every epoch: loss and accuracy of the whole training and test sets.\n"
    )

    runs: dict[str, list[Run]] = {name: [] for name in implementations}
    for seed in range(args.runs):
        # One round: all of them with the same seed, taking turns epoch by epoch, so that a slow
        # spell of the machine falls on all alike.
        trainers = {name: make(seed) for name, make in implementations.items()}
        for name in trainers:
            runs[name].append(Run())
        for _ in range(args.epochs):
            for name, trainer in trainers.items():
                start = time.perf_counter()
                metrics = trainer.epoch()
                runs[name][-1].record(time.perf_counter() - start, **metrics)
        for name in trainers:
            run = runs[name][-1]
            epoch_times = " ".join(f"{s:.2f}" for s in run.epoch_seconds)
            print(
                f"run {seed + 1}/{args.runs} {name:9}  s/epoch {run.seconds_per_epoch():.2f} "
                f"(epochs: {epoch_times})  test acc. {100 * run.test_acc[-1]:.2f}%",
                flush=True,
            )

    # The floor: an epoch's matrix products at the speed of one large float32 product here
    # (the best of three, measured now, after the runs, on the same machine).
    flops = fast["epoch_flops"](LAYERS, len(data[0]), len(data[0]) + len(data[2]))
    speed = fast["gemm_flops_per_second"]()
    floor = flops / speed
    print(f"load average (1, 5, 15 min) at the end: {load_average()}")
    print(
        f"\nMedians of {args.runs} runs; s / epoch is each run's median epoch time "
        "(training + evaluating both whole sets). The floor: an epoch's matrix products, "
        f"{flops / 1e9:.1f} GFLOP, at this machine's large float32 product speed, "
        f"{speed / 1e9:.0f} GFLOP/s: {floor:.2f} s per epoch.\n"
    )
    print("\n".join(table(runs, args.epochs, floor)))

    def seconds(name: str) -> float:
        return median([r.seconds_per_epoch() for r in runs[name]])

    print()
    verdicts = []
    for name, target in (("reference", TARGET_RATIO), ("fast", TARGET_FAST_RATIO)):
        ratio = seconds(name) / seconds("pytorch")
        verdicts.append(ratio <= target)
        print(
            f"{name} / PyTorch = {ratio:.3f} (target <= "
            f"{target:.2f}): {'met' if verdicts[-1] else 'MISSED'}; {name} / floor = "
            f"{seconds(name) / floor:.1f}"
        )
    for name, make in (
        ("reference", lambda seed: Reference(ref, data, seed, LESSON_EPOCHS)),
        ("fast", lambda seed: FastNumpy(fast, data, seed, LESSON_EPOCHS)),
    ):
        accuracies = []
        for seed in range(max(3, args.runs)):
            trainer = make(seed)
            for _ in range(LESSON_EPOCHS):
                metrics = trainer.epoch()
            accuracies.append(metrics["val_acc"])
        verdicts.append(median(accuracies) >= LESSON_TARGET)
        print(
            f"lesson 7's run ({name}, {LESSON_EPOCHS} epochs, the schedule over those "
            f"{LESSON_EPOCHS}, seeds 0-{len(accuracies) - 1}): test acc. "
            + ", ".join(f"{100 * a:.2f}%" for a in accuracies)
            + f"; median {100 * median(accuracies):.2f}% (target >= {100 * LESSON_TARGET:.1f}%): "
            f"{'met' if verdicts[-1] else 'MISSED'}"
        )
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
