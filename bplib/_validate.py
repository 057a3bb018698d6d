"""Input checks shared by every layer and loss.

Each check raises a ``TypeError`` or ``ValueError`` whose message names the layer, what it
expected and what it got, so that a reader's mistake is explained where it happens instead of
surfacing later as a silent broadcast or a NaN.
"""

from __future__ import annotations

import numpy as np


def _describe(x) -> str:
    if isinstance(x, np.ndarray):
        return f"array of shape {x.shape} and dtype {x.dtype}"
    return f"{type(x).__name__}"


def check_float_array(x, *, where: str, name: str = "input") -> np.ndarray:
    """Return ``x`` if it is a finite, floating-point numpy array, else raise a clear error.

    ``where`` names the caller, e.g. ``"Linear.forward"``.
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(
            f"{where}: {name} must be a numpy array, got {_describe(x)}; "
            f"wrap it with np.asarray(..., dtype=np.float64)."
        )
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            f"{where}: {name} must be a floating-point array (float32 or float64), "
            f"got dtype {x.dtype}; convert it with .astype(np.float64)."
        )
    if x.size and not np.all(np.isfinite(x)):
        bad = int(np.size(x) - np.count_nonzero(np.isfinite(x)))
        raise ValueError(
            f"{where}: {name} contains {bad} NaN or infinite value(s); "
            f"gradients through them would be meaningless. Check the data or the learning rate."
        )
    return x


def check_ndim(
    x: np.ndarray, ndim: int, *, where: str, name: str = "input", layout: str = ""
) -> None:
    """Raise ``ValueError`` unless ``x.ndim == ndim``. ``layout`` reads like ``"(N, C, H, W)"``."""
    if x.ndim != ndim:
        hint = f" {layout}" if layout else ""
        raise ValueError(
            f"{where}: {name} must have {ndim} dimensions{hint}, got {x.ndim} (shape {x.shape})."
        )


def check_batch(x: np.ndarray, *, where: str, name: str = "input") -> None:
    """Raise ``ValueError`` on an empty batch (``x.shape[0] == 0``)."""
    if x.shape[0] == 0:
        raise ValueError(f"{where}: {name} is an empty batch (shape {x.shape}); N must be >= 1.")


def check_same_shape(a: np.ndarray, expected_shape: tuple, *, where: str, name: str) -> None:
    """Raise ``ValueError`` unless ``a.shape == expected_shape`` (no broadcasting, ever)."""
    if tuple(a.shape) != tuple(expected_shape):
        raise ValueError(
            f"{where}: {name} must have shape {tuple(expected_shape)}, got {tuple(a.shape)}; "
            f"bplib never broadcasts silently."
        )


def check_positive_int(value, *, where: str, name: str) -> int:
    """Return ``value`` as an int if it is a positive integer, else raise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{where}: {name} must be a positive integer, got {value!r}.")
    if value <= 0:
        raise ValueError(f"{where}: {name} must be a positive integer, got {value}.")
    return int(value)


def pair(value, *, where: str, name: str, allow_zero: bool = False) -> tuple[int, int]:
    """Turn ``k`` or ``(kh, kw)`` into a pair of ints (``>= 1``, or ``>= 0`` with allow_zero)."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2:
        raise ValueError(f"{where}: {name} must be an int or a pair (h, w), got {value!r}.")
    out = []
    for v in items:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{where}: {name} must contain integers, got {value!r}.")
        if v < 0 or (v == 0 and not allow_zero):
            bound = ">= 0" if allow_zero else ">= 1"
            raise ValueError(f"{where}: {name} must be {bound}, got {value!r}.")
        out.append(int(v))
    return out[0], out[1]


def check_min_ndim(
    x: np.ndarray, ndim: int, *, where: str, name: str = "input", layout: str = ""
) -> None:
    """Raise ``ValueError`` unless ``x.ndim >= ndim`` (layers that accept ``(N, ...)``)."""
    if x.ndim < ndim:
        hint = f" {layout}" if layout else ""
        raise ValueError(
            f"{where}: {name} must have at least {ndim} dimension(s){hint}, got {x.ndim} "
            f"(shape {x.shape})."
        )


def check_rng(rng, *, where: str) -> np.random.Generator:
    """Return ``rng`` if it is a ``numpy.random.Generator``, a fresh one if ``None``, else raise.

    An int is refused on purpose: the course seeds every generator explicitly
    (``rng = np.random.default_rng(0)``) and passes the generator around, so that two layers
    built from the same ``rng`` get different weights.
    """
    if rng is None:
        return np.random.default_rng()
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{where}: rng must be a numpy.random.Generator or None, got {_describe(rng)}; "
            f"create one with rng = np.random.default_rng(seed)."
        )
    return rng


def check_labels(y, *, n: int, k: int, where: str, name: str = "target") -> np.ndarray:
    """Return ``y`` if it is an integer array of shape ``(n,)`` with values in ``[0, k)``.

    The error messages teach the two usual mistakes: one-hot rows instead of class indices,
    and float labels.
    """
    if not isinstance(y, np.ndarray):
        raise TypeError(
            f"{where}: {name} must be a numpy array of integer class labels of shape ({n},), "
            f"got {_describe(y)}; wrap it with np.asarray(..., dtype=np.int64)."
        )
    if y.dtype == np.bool_ or not np.issubdtype(y.dtype, np.integer):
        if y.ndim == 2 and y.shape == (n, k):
            raise TypeError(
                f"{where}: {name} must hold integer class labels of shape ({n},), got a "
                f"{y.dtype} array of shape {y.shape}; if these are one-hot rows pass "
                f"target.argmax(axis=1)."
            )
        raise TypeError(
            f"{where}: {name} must hold integer class labels (dtype int64), got dtype "
            f"{y.dtype} (shape {y.shape}); convert them with .astype(np.int64)."
        )
    if y.shape != (n,):
        hint = ""
        if y.ndim == 2 and y.shape == (n, 1):
            hint = "; flatten it with target.ravel()"
        elif y.ndim == 2 and y.shape == (n, k):
            hint = "; if these are one-hot rows pass target.argmax(axis=1)"
        raise ValueError(
            f"{where}: {name} must have shape ({n},), one label per row of the input, "
            f"got shape {y.shape}{hint}."
        )
    if n and (y.min() < 0 or y.max() >= k):
        bad = y[(y < 0) | (y >= k)]
        raise ValueError(
            f"{where}: {name} labels must lie in [0, {k}) for K = {k} classes, got "
            f"{bad.size} label(s) outside, e.g. {int(bad[0])}."
        )
    return y
