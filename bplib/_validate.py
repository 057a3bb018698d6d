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


def check_ndim(x: np.ndarray, ndim: int, *, where: str, name: str = "input", layout: str = "") -> None:
    """Raise ``ValueError`` unless ``x.ndim == ndim``. ``layout`` reads like ``"(N, C, H, W)"``."""
    if x.ndim != ndim:
        hint = f" {layout}" if layout else ""
        raise ValueError(
            f"{where}: {name} must have {ndim} dimensions{hint}, got {x.ndim} "
            f"(shape {x.shape})."
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
