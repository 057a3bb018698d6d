"""Data: the digits split, mini-batches, one-hot, and the IDX (MNIST) reader/writer."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from bplib.data import batches, load_digits, load_mnist_idx, one_hot, write_idx


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def test_digits_split_sizes_and_types(digits):
    X_train, y_train, X_test, y_test = digits
    assert X_train.shape == (1437, 64) and X_test.shape == (360, 64)
    assert y_train.shape == (1437,) and y_test.shape == (360,)
    assert X_train.dtype == np.float64 and y_train.dtype == np.int64
    assert X_train.min() == 0.0 and X_train.max() == 1.0 and X_test.max() <= 1.0
    assert set(np.unique(y_train)) == set(range(10))
    # pixels were 0..16: every value is a multiple of 1/16
    np.testing.assert_array_equal(X_train * 16, np.round(X_train * 16))


def test_digits_split_is_seeded(digits):
    again = load_digits(seed=0)
    for a, b in zip(digits, again, strict=True):
        np.testing.assert_array_equal(a, b)
    other = load_digits(seed=1)
    assert not np.array_equal(digits[0], other[0])


def test_digits_split_is_stratified(digits):
    _, y_train, _, y_test = digits
    all_counts = np.bincount(np.concatenate([y_train, y_test]), minlength=10)
    test_counts = np.bincount(y_test, minlength=10)
    assert np.all(np.abs(test_counts - 0.2 * all_counts) <= 1)


def test_digits_as_images(digits):
    X_train, y_train, X_test, _ = load_digits(as_images=True)
    assert X_train.shape == (1437, 1, 8, 8) and X_test.shape == (360, 1, 8, 8)
    np.testing.assert_array_equal(X_train.reshape(-1, 64), digits[0])
    np.testing.assert_array_equal(y_train, digits[1])


def test_digits_test_size():
    X_train, _, X_test, _ = load_digits(test_size=0.5)
    assert X_train.shape[0] + X_test.shape[0] == 1797 and abs(X_test.shape[0] - 898.5) <= 1
    with pytest.raises(ValueError, match="load_digits: test_size"):
        load_digits(test_size=1.0)
    with pytest.raises(TypeError, match="load_digits: test_size"):
        load_digits(test_size=1)
    with pytest.raises(TypeError, match="load_digits: seed"):
        load_digits(seed=0.5)


# --- batches --------------------------------------------------------------------------------
def test_batches_cover_every_example_once():
    X = np.arange(23, dtype=np.float64)[:, None] * np.ones((1, 3))
    y = np.arange(23)
    got = list(batches(X, y, 5, rng=np.random.default_rng(0)))
    assert [len(yb) for _, yb in got] == [5, 5, 5, 5, 3]
    seen = np.concatenate([yb for _, yb in got])
    np.testing.assert_array_equal(np.sort(seen), np.arange(23))
    assert not np.array_equal(seen, np.arange(23))  # shuffled
    for xb, yb in got:
        np.testing.assert_array_equal(xb[:, 0], yb)  # X and y stay paired


def test_batches_are_reproducible_and_epochs_differ():
    X, y = np.zeros((20, 2)), np.arange(20)
    first = [yb for _, yb in batches(X, y, 4, rng=np.random.default_rng(7))]
    second = [yb for _, yb in batches(X, y, 4, rng=np.random.default_rng(7))]
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    rng = np.random.default_rng(7)
    epoch1 = np.concatenate([yb for _, yb in batches(X, y, 4, rng=rng)])
    epoch2 = np.concatenate([yb for _, yb in batches(X, y, 4, rng=rng)])
    assert not np.array_equal(epoch1, epoch2)


def test_batches_without_shuffle_keep_the_order():
    X, y = np.zeros((7, 2)), np.arange(7)
    got = [yb for _, yb in batches(X, y, 3, shuffle=False)]
    np.testing.assert_array_equal(np.concatenate(got), np.arange(7))
    assert [len(b) for b in got] == [3, 3, 1]
    full = list(batches(X, y, 100, shuffle=False))
    assert len(full) == 1 and full[0][0].shape == (7, 2)


@pytest.mark.parametrize(
    ("args", "exc", "words"),
    [
        ((np.zeros((3, 2)), np.zeros(4), 2), ValueError, "same number of examples"),
        ((np.zeros((3, 2)), np.zeros(3), 0), ValueError, "batch_size"),
        ((np.zeros((3, 2)), np.zeros(3), 1.5), TypeError, "batch_size"),
        (([[1.0]], np.zeros(1), 1), TypeError, "X must be a numpy array"),
        ((np.zeros((0, 2)), np.zeros(0), 1), ValueError, "empty"),
    ],
)
def test_batches_bad_arguments(args, exc, words):
    with pytest.raises(exc, match="batches") as info:
        list(batches(*args, rng=np.random.default_rng(0)))
    assert words in str(info.value)


def test_one_hot():
    np.testing.assert_array_equal(one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match="one_hot"):
        one_hot(np.array([3]), 3)


# --- IDX --------------------------------------------------------------------------------
@pytest.fixture
def small_idx(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    labels = np.array([3, 0, 9, 1, 1], dtype=np.uint8)
    write_idx(tmp_path / "images.idx", images)
    write_idx(tmp_path / "labels.idx", labels)
    return tmp_path, images, labels


def test_idx_round_trip(small_idx):
    path, images, labels = small_idx
    raw = (path / "images.idx").read_bytes()
    assert raw[:4] == b"\x00\x00\x08\x03" and int.from_bytes(raw[4:8], "big") == 5
    X, y = load_mnist_idx(path / "images.idx", path / "labels.idx")
    assert X.shape == (5, 1, 28, 28) and X.dtype == np.float64
    assert y.dtype == np.int64
    np.testing.assert_array_equal(X[:, 0] * 255, images)
    np.testing.assert_array_equal(y, labels)


def test_idx_gzip(small_idx, tmp_path):
    path, images, labels = small_idx
    write_idx(tmp_path / "images.idx.gz", images)
    assert (tmp_path / "images.idx.gz").read_bytes()[:2] == b"\x1f\x8b"
    # a gzip file is recognised by its content, not its name
    (tmp_path / "labels-renamed").write_bytes(gzip.compress((path / "labels.idx").read_bytes()))
    X, y = load_mnist_idx(tmp_path / "images.idx.gz", tmp_path / "labels-renamed")
    np.testing.assert_array_equal(X[:, 0] * 255, images)
    np.testing.assert_array_equal(y, labels)


def test_idx_bad_magic(small_idx):
    path, _, _ = small_idx
    (path / "bad.idx").write_bytes(b"<html>not found</html>")
    with pytest.raises(ValueError, match="load_mnist_idx: images file .* magic number"):
        load_mnist_idx(path / "bad.idx", path / "labels.idx")


def test_idx_swapped_paths(small_idx):
    path, _, _ = small_idx
    with pytest.raises(ValueError, match="swapped"):
        load_mnist_idx(path / "labels.idx", path / "images.idx")


def test_idx_truncated_and_count_mismatch(small_idx):
    path, images, _ = small_idx
    raw = (path / "images.idx").read_bytes()
    (path / "short.idx").write_bytes(raw[:-10])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        load_mnist_idx(path / "short.idx", path / "labels.idx")
    (path / "tiny.idx").write_bytes(raw[:6])
    with pytest.raises(ValueError, match="truncated inside its header"):
        load_mnist_idx(path / "tiny.idx", path / "labels.idx")
    write_idx(path / "four.idx", np.zeros(4, dtype=np.uint8))
    with pytest.raises(ValueError, match="5 images but 4 labels"):
        load_mnist_idx(path / "images.idx", path / "four.idx")


def test_write_idx_bad_input(tmp_path):
    with pytest.raises(TypeError, match="write_idx"):
        write_idx(tmp_path / "a", np.ones(3))
    with pytest.raises(ValueError, match="0..255"):
        write_idx(tmp_path / "a", np.array([256]))
    with pytest.raises(TypeError, match="write_idx"):
        write_idx(tmp_path / "a", [1, 2])
