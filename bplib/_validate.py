"""Input checks shared by every layer and loss.

Each check raises a ``TypeError`` or ``ValueError`` whose message names the layer, what it
expected and what it got, so that a reader's mistake is explained where it happens instead of
surfacing later as a silent broadcast or a NaN.

What the layers and losses accept, in one place:

- numpy arrays. ``np.matrix`` is refused (its ``*`` is a matrix product, so an element-wise
  backward would silently compute something else), and so is a masked array (the layers would
  use the hidden values, or crash);
- of dtype float32 or float64, and nothing else. float16 keeps 3 significant digits, too few
  for gradients, and ``np.longdouble`` has no BLAS kernel (and no PyTorch counterpart);
  complex and object arrays are not real numbers. **Integer and bool arrays are refused, never
  converted**: bplib computes in the dtype it is given, and an integer input leaves that choice
  open, so the message asks for ``x.astype(np.float64)`` (float32 for speed). Class labels are
  the one integer input, and must be integers (:func:`check_labels`);
- finite: a NaN or an infinity is refused where it enters.
"""

from __future__ import annotations

import numpy as np

#: The dtypes bplib computes in (book: "Layers compute in the dtype they are given").
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _describe(x) -> str:
    if isinstance(x, np.ndarray):
        kind = "array" if type(x) is np.ndarray else type(x).__name__
        return f"{kind} of shape {x.shape} and dtype {x.dtype}"
    return f"{type(x).__name__}"


def check_plain_array(x, *, where: str, name: str = "input") -> np.ndarray:
    """Return ``x`` if it is a numpy array; refuse np.matrix, masked arrays and non-arrays.

    Those two subclasses of ``np.ndarray`` change what the layers' arithmetic means
    (``np.matrix``'s ``*`` is a matrix product; a masked array hides values the layers would
    use anyway). Other subclasses (``np.memmap``, or chapter 3's array that counts its
    floating-point operations) are passed through as they are.
    """
    if isinstance(x, np.matrix):
        raise TypeError(
            f"{where}: {name} is an np.matrix of shape {x.shape}; bplib takes plain arrays "
            f"(np.matrix's * is a matrix product and it is always 2-d, so element-wise "
            f"formulas would silently compute something else). Pass np.asarray({name})."
        )
    if isinstance(x, np.ma.MaskedArray):
        raise TypeError(
            f"{where}: {name} is a masked array of shape {x.shape}; bplib's layers and losses "
            f"know nothing of masks and would use the hidden values. Fill them "
            f"({name}.filled(value)) or drop the masked rows, then pass a plain array."
        )
    if not isinstance(x, np.ndarray):
        raise TypeError(
            f"{where}: {name} must be a numpy array, got {_describe(x)}; "
            f"wrap it with np.asarray(..., dtype=np.float64)."
        )
    return x


def check_float_array(x, *, where: str, name: str = "input") -> np.ndarray:
    """Return ``x`` if it is a finite float32 or float64 numpy array, else raise a clear error.

    ``where`` names the caller, e.g. ``"Linear.forward"``. Integer and bool arrays are refused,
    not converted (see the module docstring), and so are float16, longdouble, complex, object,
    np.matrix and masked arrays.
    """
    x = check_plain_array(x, where=where, name=name)
    if x.dtype not in FLOAT_DTYPES:
        raise TypeError(
            f"{where}: {name} must be a floating-point array of dtype float32 or float64, got "
            f"dtype {x.dtype}"
            f"{_dtype_hint(x.dtype)}"
        )
    if x.size and not np.all(np.isfinite(x)):
        bad = int(np.size(x) - np.count_nonzero(np.isfinite(x)))
        raise ValueError(
            f"{where}: {name} contains {bad} NaN or infinite value(s); "
            f"gradients through them would be meaningless. Check the data or the learning rate."
        )
    return x


def _dtype_hint(dtype: np.dtype) -> str:
    """Why a dtype is refused and what to do, ending the sentence of the message."""
    if dtype == np.float16:
        return (" (float16 keeps about 3 significant digits, too few for gradients); "
                "convert it with .astype(np.float32).")
    if np.issubdtype(dtype, np.floating):  # longdouble, where it differs from float64
        return (f" ({dtype} has no BLAS kernel and no PyTorch counterpart); "
                "convert it with .astype(np.float64).")
    if np.issubdtype(dtype, np.complexfloating):
        return (" (complex numbers: bplib differentiates real functions of real inputs); "
                "pass the real part, x.real, if that is what you mean.")
    if dtype == np.bool_ or np.issubdtype(dtype, np.integer):
        return ("; bplib does not convert integers or booleans itself (it computes in the "
                "dtype it is given), convert it with .astype(np.float64).")
    return "; convert it with .astype(np.float64)."


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
    y = check_plain_array(y, where=where, name=name)
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


def check_state_dict(state, own: dict, *, where: str) -> dict[str, np.ndarray]:
    """Check every entry of ``state`` against the parameters ``own`` before anything is written.

    Used by ``load_state_dict`` (of a layer and of ``Sequential``), which writes only if this
    returns: one bad entry leaves every parameter untouched. Each entry must be a numpy array
    (not an np.matrix or a masked array) of its parameter's exact shape, of dtype float32 or
    float64 (it is then cast to the parameter's dtype, as ``torch``'s ``load_state_dict``
    does), with finite values; the keys must be exactly those of ``own``.

    Args:
        state: ``{name: array}``, e.g. what ``state_dict()`` returned.
        own: ``{name: array}``, the parameters to be written.
        where: the caller, e.g. ``"Linear.load_state_dict"``.

    Returns:
        ``{name: array}`` with every entry of ``state``, checked.

    Raises:
        TypeError: ``state`` is not a dict, or an entry is not a float32/float64 array.
        KeyError: keys are missing or unexpected (nothing was loaded).
        ValueError: an entry has the wrong shape or a NaN/inf (every bad entry is named).
    """
    if not hasattr(state, "keys") or not hasattr(state, "__getitem__"):
        raise TypeError(
            f"{where}: state must be a dict {{name: array}} such as state_dict() returns, "
            f"got {_describe(state)}."
        )
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    if missing or unexpected:
        raise KeyError(
            f"{where}: nothing was loaded: missing keys {missing}, unexpected keys "
            f"{unexpected}; the keys are {list(own)}."
        )
    problems: list[str] = []
    type_problems = 0
    for key, param in own.items():
        new = state[key]
        plain = isinstance(new, np.ndarray) and not isinstance(new, (np.matrix, np.ma.MaskedArray))
        if not plain or new.dtype not in FLOAT_DTYPES:
            type_problems += 1
            problems.append(
                f"{key!r}: expected a float32 or float64 array of shape {param.shape}, "
                f"got {_describe(new)}"
            )
        elif new.shape != param.shape:
            problems.append(f"{key!r}: expected shape {param.shape}, got {new.shape}")
        elif new.size and not np.all(np.isfinite(new)):
            bad = int(new.size - np.count_nonzero(np.isfinite(new)))
            problems.append(f"{key!r}: expected finite values, got {bad} NaN or infinite")
    if problems:
        error = TypeError if type_problems == len(problems) else ValueError
        raise error(
            f"{where}: nothing was loaded, {len(problems)} entr"
            f"{'y is' if len(problems) == 1 else 'ies are'} refused: " + "; ".join(problems) + "."
        )
    return {key: state[key] for key in own}
