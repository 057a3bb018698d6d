"""Data sets and mini-batches (book: chapters 6 and 9).

- :func:`load_digits`: scikit-learn's bundled 8×8 handwritten digits (1797 images, no
  download), split into a training and a test set.
- :func:`load_mnist_idx` / :func:`write_idx`: the IDX format of MNIST, for readers who have
  the files (the book never downloads anything).
- :func:`batches`: shuffled mini-batches for one epoch.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator

import numpy as np

from bplib._validate import check_labels, check_positive_int, check_rng

__all__ = ["load_digits", "batches", "one_hot", "load_mnist_idx", "write_idx"]


def load_digits(*, test_size: float = 0.2, seed: int = 0, as_images: bool = False):
    """The 8×8 digits of scikit-learn, scaled to [0, 1], with a seeded stratified split.

    Args:
        test_size: fraction of the 1797 examples kept for testing, in (0, 1).
        seed: seed of the split (the same seed gives the same split).
        as_images: False gives X of shape (N, 64), a vector per image for an MLP; True gives
            (N, 1, 8, 8), NCHW for a CNN.

    Returns:
        ``(X_train, y_train, X_test, y_test)``: X float64 in [0, 1] (the raw pixels are
        0..16, divided by 16), y int64 labels 0..9. The split is stratified, so each digit
        has the same share in both parts.
    """
    where = "load_digits"
    if isinstance(test_size, bool) or not isinstance(test_size, (float, np.floating)):
        raise TypeError(f"{where}: test_size must be a float in (0, 1), got {test_size!r}.")
    if not 0 < test_size < 1:
        raise ValueError(f"{where}: test_size must be in (0, 1), got {test_size}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{where}: seed must be an int, got {seed!r}.")
    try:
        from sklearn.datasets import load_digits as _sk_load_digits
        from sklearn.model_selection import train_test_split
    except ImportError as err:  # pragma: no cover - scikit-learn is in requirements.txt
        raise ImportError(
            f"{where} needs scikit-learn (it ships the digits): pip install scikit-learn"
        ) from err
    digits = _sk_load_digits()
    X = digits.data.astype(np.float64) / 16.0  # pixels are integers 0..16
    y = digits.target.astype(np.int64)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=int(seed), stratify=y
    )
    if as_images:
        X_train = X_train.reshape(-1, 1, 8, 8)  # (N, 64) -> (N, 1, 8, 8), row-major pixels
        X_test = X_test.reshape(-1, 1, 8, 8)
    return (
        np.ascontiguousarray(X_train),
        np.ascontiguousarray(y_train),
        np.ascontiguousarray(X_test),
        np.ascontiguousarray(y_test),
    )


def batches(
    X: np.ndarray, y: np.ndarray, batch_size: int, *, rng=None, shuffle: bool = True
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(X_batch, y_batch)`` mini-batches covering every example once (one epoch).

    Args:
        X: (N, ...) inputs.
        y: (N, ...) targets (labels or regression targets), same N.
        batch_size: B >= 1; the last batch has N mod B examples when B does not divide N.
        rng: a ``numpy.random.Generator`` for the shuffle (None: a fresh, unseeded one).
        shuffle: False keeps the order (then rng is not used).

    Yields:
        ``(X[idx], y[idx])`` of shapes (B, ...) and (B, ...), ⌈N / B⌉ times.
    """
    where = "batches"
    for name, arr in (("X", X), ("y", y)):
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"{where}: {name} must be a numpy array, got {type(arr).__name__}.")
        if arr.ndim == 0:
            raise ValueError(f"{where}: {name} must have a batch axis, got a 0-d array.")
    if X.shape[0] != y.shape[0]:
        raise ValueError(
            f"{where}: X and y must have the same number of examples, got X {X.shape} and "
            f"y {y.shape}."
        )
    if X.shape[0] == 0:
        raise ValueError(f"{where}: X is empty (shape {X.shape}).")
    batch_size = check_positive_int(batch_size, where=where, name="batch_size")
    n = X.shape[0]
    if shuffle:
        order = check_rng(rng, where=where).permutation(n)
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            yield X[idx], y[idx]
    else:
        for start in range(0, n, batch_size):
            yield X[start : start + batch_size], y[start : start + batch_size]


def one_hot(y: np.ndarray, num_classes: int) -> np.ndarray:
    """One-hot rows: ``out[n, k] = 1`` if ``y[n] == k`` else 0.

    Args:
        y: (N,) integer labels in [0, num_classes).
        num_classes: K.

    Returns:
        (N, K) float64 ([001] Pierret's d vectors, for a squared error on classes).
    """
    k = check_positive_int(num_classes, where="one_hot", name="num_classes")
    n = y.shape[0] if isinstance(y, np.ndarray) and y.ndim >= 1 else -1
    check_labels(y, n=max(n, 0), k=k, where="one_hot", name="y")
    out = np.zeros((y.shape[0], k))
    out[np.arange(y.shape[0]), y] = 1.0
    return out


# --- IDX (MNIST) ------------------------------------------------------------------------------
# An IDX file is: two zero bytes, a type byte (0x08 = unsigned byte), a byte with the number of
# dimensions d, then d big-endian uint32 sizes, then the data in row-major order. MNIST's
# images are d = 3 (N, 28, 28), magic 0x00000803; its labels d = 1 (N,), magic 0x00000801.
_UBYTE = 0x08


def _open(path, mode: str):
    path = os.fspath(path)
    if "r" in mode:
        with open(path, "rb") as f:
            gz = f.read(2) == b"\x1f\x8b"  # gzip's own magic, whatever the file is called
    else:
        gz = path.endswith(".gz")
    return gzip.open(path, mode) if gz else open(path, mode)


def _read_idx(path, *, expected_ndim: int, what: str) -> np.ndarray:
    where = "load_mnist_idx"
    with _open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4:
        raise ValueError(f"{where}: {what} file {path} is too short to be an IDX file.")
    zero, dtype_code, ndim = raw[0:2], raw[2], raw[3]
    magic = int.from_bytes(raw[0:4], "big")
    if zero != b"\x00\x00" or dtype_code != _UBYTE:
        raise ValueError(
            f"{where}: {what} file {path} has magic number 0x{magic:08x}; an IDX file of "
            f"unsigned bytes starts with 0x{0x800 + expected_ndim:08x} for {what}. Is it the "
            f"right file (and not an HTML error page)?"
        )
    if ndim != expected_ndim:
        raise ValueError(
            f"{where}: {what} file {path} has {ndim} dimensions (magic 0x{magic:08x}), "
            f"expected {expected_ndim} (magic 0x{0x800 + expected_ndim:08x}); were the images "
            f"and labels paths swapped?"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{where}: {what} file {path} is truncated inside its header.")
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(dims))
    got = len(raw) - header
    if got != expected:
        raise ValueError(
            f"{where}: {what} file {path} declares dimensions {dims} ({expected} bytes of "
            f"data) but holds {got}; the file is truncated or corrupt."
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def load_mnist_idx(images_path, labels_path) -> tuple[np.ndarray, np.ndarray]:
    """Read MNIST-style IDX files (plain or gzip-compressed).

    Args:
        images_path: IDX file of N images of H×W unsigned bytes (magic 0x00000803).
        labels_path: IDX file of N labels (magic 0x00000801).

    Returns:
        ``(X, y)``: X (N, 1, H, W) float64 in [0, 1] (pixels / 255; (N, 1, 28, 28) for
        MNIST), y (N,) int64.

    Raises:
        ValueError: wrong magic number, truncated file, or different image and label counts.
    """
    images = _read_idx(images_path, expected_ndim=3, what="images")
    labels = _read_idx(labels_path, expected_ndim=1, what="labels")
    if images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"load_mnist_idx: {images.shape[0]} images but {labels.shape[0]} labels; the two "
            f"files must come from the same set (train or test)."
        )
    X = images[:, None, :, :].astype(np.float64) / 255.0  # (N, H, W) -> (N, 1, H, W)
    return X, labels.astype(np.int64)


def write_idx(path, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file of unsigned bytes (gzip-compressed if path ends in .gz).

    Args:
        path: destination file.
        array: integer array with values in 0..255 and 1 to 255 dimensions, e.g. images
            (N, 28, 28) or labels (N,).
    """
    where = "write_idx"
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{where}: array must be a numpy array, got {type(array).__name__}.")
    if not (np.issubdtype(array.dtype, np.integer) or array.dtype == np.bool_):
        raise TypeError(f"{where}: array must hold integers 0..255, got dtype {array.dtype}.")
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"{where}: array must have 1 to 255 dimensions, got {array.ndim}.")
    if array.size and (array.min() < 0 or array.max() > 255):
        raise ValueError(f"{where}: values must be in 0..255, got [{array.min()}, {array.max()}].")
    header = bytes([0, 0, _UBYTE, array.ndim])
    header += b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with _open(path, "wb") as f:
        f.write(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())
