"""The MNIST file the course ships, its loader, and the script that builds it. No network."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pickle
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from helpers import data
from helpers.data import DatasetCorruptError, DatasetError, DatasetMissingError, load_mnist

REPO = Path(__file__).resolve().parent.parent
MNIST = REPO / "data" / "mnist.npz"
STANDARD_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def _load_build_script():
    spec = importlib.util.spec_from_file_location("build_mnist", REPO / "data" / "build_mnist.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load_build_script()


@pytest.fixture(scope="module")
def mnist_raw():
    return load_mnist(normalize=False)


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """An empty folder the loader reads from instead of the repo's data/."""
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))
    return tmp_path


# --- the shipped file ---------------------------------------------------------------------------


def test_shipped_file_matches_the_checksum_in_the_code_and_the_sidecar():
    digest = hashlib.sha256(MNIST.read_bytes()).hexdigest()
    assert digest == data.MNIST_SHA256
    assert MNIST.stat().st_size == data.MNIST_SIZE
    sidecar = (REPO / "data" / "mnist.npz.sha256").read_text().split()
    assert sidecar == [data.MNIST_SHA256, "mnist.npz"]


def test_loader_finds_the_repo_copy_by_default(monkeypatch):
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)
    assert data.mnist_path() == MNIST


def test_raw_shapes_dtypes_and_ranges(mnist_raw):
    x_train, y_train, x_test, y_test = mnist_raw
    assert x_train.shape == (60000, 784) and x_train.dtype == np.uint8
    assert x_test.shape == (10000, 784) and x_test.dtype == np.uint8
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert y_train.dtype == np.int64 and y_test.dtype == np.int64
    assert x_train.min() == 0 and x_train.max() == 255
    assert set(np.unique(y_train)) == set(range(10)) == set(np.unique(y_test))


def test_normalized_pixels_are_float32_in_unit_range(mnist_raw):
    x_train, y_train, x_test, y_test = load_mnist()
    assert x_train.dtype == np.float32 and x_test.dtype == np.float32
    assert x_train.shape == (60000, 784) and x_test.shape == (10000, 784)
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    np.testing.assert_allclose(x_test * 255, mnist_raw[2], atol=1e-4)
    np.testing.assert_array_equal(y_train, mnist_raw[1])


def test_label_counts_are_the_standard_mnist_counts(mnist_raw):
    _, y_train, _, y_test = mnist_raw
    assert np.bincount(y_test, minlength=10).tolist() == STANDARD_TEST_COUNTS
    assert np.bincount(y_train, minlength=10).tolist() == [
        5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949,
    ]  # fmt: skip
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9]  # the famous first five digits


def test_each_call_returns_fresh_arrays():
    first = load_mnist(normalize=False)
    first[0][:] = 0
    assert load_mnist(normalize=False)[0].max() == 255


# --- clear errors ---------------------------------------------------------------------------------


def test_missing_file_says_where_it_looked_and_how_to_get_it(data_dir):
    with pytest.raises(DatasetMissingError) as info:
        load_mnist()
    message = str(info.value)
    assert str(data_dir / "mnist.npz") in message
    assert data.DATA_DIR_ENV in message
    assert "git checkout -- data/mnist.npz" in message
    assert "build_mnist.py" in message
    assert "LFS" in message
    assert isinstance(info.value, FileNotFoundError)  # callers may catch the built-in too


@pytest.mark.parametrize("damage", ["truncated", "flipped", "empty"])
def test_damaged_file_fails_the_checksum_with_a_clear_message(data_dir, damage):
    raw = bytearray(MNIST.read_bytes())
    if damage == "truncated":
        raw = raw[: len(raw) // 2]
    elif damage == "flipped":
        raw[len(raw) // 3] ^= 0xFF
    else:
        raw = bytearray()
    (data_dir / "mnist.npz").write_bytes(bytes(raw))

    with pytest.raises(DatasetCorruptError) as info:
        load_mnist()
    message = str(info.value)
    assert "checksum" in message
    assert data.MNIST_SHA256 in message
    assert hashlib.sha256(raw).hexdigest() in message
    assert "git checkout -- data/mnist.npz" in message
    assert ("shorter" in message) == (damage != "flipped")
    assert isinstance(info.value, ValueError)


def test_a_good_copy_elsewhere_loads_through_the_env_var(data_dir):
    shutil.copyfile(MNIST, data_dir / "mnist.npz")
    x_train, _, _, y_test = load_mnist(normalize=False)
    assert x_train.shape == (60000, 784) and y_test.shape == (10000,)


def _write_unchecked(folder: Path, **arrays) -> None:
    np.savez(folder / "mnist.npz", **arrays)


def test_wrong_contents_are_named_when_the_checksum_is_skipped(data_dir):
    good = {
        "x_train": np.zeros((60000, 784), np.uint8),
        "y_train": np.zeros(60000, np.uint8),
        "x_test": np.zeros((10000, 784), np.uint8),
        "y_test": np.zeros(10000, np.uint8),
    }
    _write_unchecked(data_dir, **{k: v for k, v in good.items() if k != "y_test"})
    with pytest.raises(DatasetCorruptError, match="has no y_test"):
        load_mnist(verify_checksum=False)

    _write_unchecked(data_dir, **{**good, "x_test": np.zeros((10000, 28, 28), np.uint8)})
    with pytest.raises(DatasetCorruptError, match=r"x_test is uint8 \(10000, 28, 28\)"):
        load_mnist(verify_checksum=False)

    (data_dir / "mnist.npz").write_bytes(MNIST.read_bytes()[:100_000])
    with pytest.raises(DatasetCorruptError, match="could not be read"):
        load_mnist(verify_checksum=False)


def test_every_loader_error_is_a_dataset_error():
    assert issubclass(DatasetMissingError, DatasetError)
    assert issubclass(DatasetCorruptError, DatasetError)


# --- the build script ------------------------------------------------------------------------------


class _RunsACommand:
    """Unpickling this calls os.system(command): what a malicious download would do."""

    def __init__(self, command: str):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def test_restricted_unpickler_refuses_os_system_and_runs_nothing(tmp_path):
    marker = tmp_path / "it-ran"
    payload = pickle.dumps(_RunsACommand(f"touch {marker}"), protocol=2)
    assert b"system" in payload  # the pickle really names os.system (posix.system on Linux)

    with pytest.raises(pickle.UnpicklingError, match=r"refused .*system"):
        build.restricted_loads(payload)
    assert not marker.exists()


@pytest.mark.parametrize(
    "target", [eval, getattr, shutil.rmtree, np.load, np.frombuffer], ids=lambda f: f.__name__
)
def test_restricted_unpickler_refuses_other_globals(target):
    payload = pickle.dumps(target, protocol=2)  # a reference to the function itself
    with pytest.raises(pickle.UnpicklingError, match=re.escape(f".{target.__name__}: only")):
        build.restricted_loads(payload)


def test_restricted_unpickler_accepts_numpy_arrays_under_both_module_names():
    x = np.arange(12, dtype=np.float32).reshape(3, 4) / 256
    # Protocol 3 names globals with the GLOBAL opcode, as the Python 2 file does, and stores
    # raw bytes directly (protocol 2 from Python 3 would also need _codecs.encode).
    payload = pickle.dumps((x, np.array([1, 2], np.int64)), protocol=3)
    assert b"numpy._core.multiarray\n_reconstruct" in payload
    numpy1_payload = payload.replace(b"numpy._core.multiarray\n", b"numpy.core.multiarray\n")
    for p in (payload, numpy1_payload):
        got_x, got_y = build.restricted_loads(p)
        np.testing.assert_array_equal(got_x, x)
        assert got_x.dtype == np.float32
        np.testing.assert_array_equal(got_y, [1, 2])


def test_pixel_conversion_is_exact():
    k = np.arange(256)
    pixels = (k / 256).astype(np.float32)  # how mnist.pkl.gz stores them
    out = build.pixels_to_uint8(pixels)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, k)


@pytest.mark.parametrize("bad", [0.5 / 256, 1.0, -1 / 256, 0.1])
def test_pixel_conversion_refuses_values_that_are_not_k_over_256(bad):
    with pytest.raises(build.BuildError):
        build.pixels_to_uint8(np.array([0.0, bad], np.float32))


def test_npz_writer_is_deterministic_and_loadable(tmp_path):
    arrays = {"a": np.arange(10, dtype=np.uint8), "b": np.ones((3, 4), np.uint8)}
    build.write_npz(tmp_path / "one.npz", arrays)
    build.write_npz(tmp_path / "two.npz", arrays)
    assert (tmp_path / "one.npz").read_bytes() == (tmp_path / "two.npz").read_bytes()
    with np.load(tmp_path / "one.npz") as npz:
        np.testing.assert_array_equal(npz["b"], arrays["b"])


def test_build_expects_the_same_counts_and_source_as_the_spec():
    assert list(build.TEST_LABEL_COUNTS) == STANDARD_TEST_COUNTS
    assert build.SOURCE_SIZE == 17_051_982
    assert build.SOURCE_SHA256 == (
        "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
    )


# ---------------------------------------------------------------------------------------------
# The 2-D datasets of lesson 5, made on the fly.


def test_moons_are_seeded_balanced_and_shaped_like_two_moons():
    X, y = data.moons(200, noise=0.0, seed=4)
    assert X.shape == (200, 2) and X.dtype == np.float64 and y.dtype == np.int64
    assert y.tolist() == [0, 1] * 100  # alternating: any prefix is balanced
    upper, lower = X[y == 0], X[y == 1]
    # Without noise, class 0 lies on the upper unit half circle, class 1 on the lower one
    # around (1, 0.5).
    assert np.allclose(np.hypot(*upper.T), 1.0) and (upper[:, 1] >= 0).all()
    assert np.allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0)
    assert (lower[:, 1] <= 0.5).all()
    again, _ = data.moons(200, noise=0.0, seed=4)
    assert np.array_equal(X, again)
    assert not np.array_equal(data.moons(200, seed=5)[0], data.moons(200, seed=4)[0])


def test_moons_noise_moves_the_points_by_its_standard_deviation():
    clean, _ = data.moons(4000, noise=0.0, seed=0)
    noisy, _ = data.moons(4000, noise=0.3, seed=0)
    assert np.std(noisy - clean) == pytest.approx(0.3, rel=0.05)


def test_spirals_have_one_arm_per_class_inside_the_unit_disc():
    X, y = data.spirals(50, n_classes=4, noise=0.0, seed=1)
    assert X.shape == (200, 2) and y.tolist()[:8] == [0, 1, 2, 3, 0, 1, 2, 3]
    assert np.bincount(y).tolist() == [50] * 4
    radius = np.hypot(*X.T)
    assert radius.max() <= 1.0 + 1e-12
    # Without noise, two arms at the same radius are a quarter turn apart.
    angle = np.arctan2(X[:, 0], X[:, 1])
    turn = np.angle(np.exp(1j * (angle[1::4] - angle[0::4])))
    assert np.allclose(np.abs(turn), np.pi / 2)
    assert np.array_equal(data.spirals(50, 4, 0.2, seed=1)[0], data.spirals(50, 4, 0.2, seed=1)[0])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: data.moons(1), "n_samples should be at least 2"),
        (lambda: data.spirals(0), "n_per_class >= 1"),
        (lambda: data.spirals(10, n_classes=1), "n_classes >= 2"),
    ],
)
def test_the_2d_datasets_explain_impossible_sizes(call, message):
    with pytest.raises(ValueError, match=message):
        call()
