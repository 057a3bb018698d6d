"""Initialisations with PyTorch's names, on numpy arrays (book: chapter 7).

Each function fills the array it is given **in place** and returns it,
like ``torch.nn.init``; the random ones draw from ``rng``, a
``numpy.random.Generator`` (PyTorch's ``generator``)::

    W = np.empty((128, 64))           # a Linear layer's W, (out, in)
    kaiming_normal_(W, nonlinearity="relu", rng=np.random.default_rng(0))

    zeros_(W)  ones_(W)  constant_(W, val)
    uniform_(W, a, b, rng=)  normal_(W, mean, std, rng=)
    xavier_uniform_(W, gain, rng=)  xavier_normal_(...)   Glorot, Bengio
    kaiming_uniform_(W, a, mode, nonlinearity, rng=)
    kaiming_normal_(W, a, mode, nonlinearity, rng=)        He et al.
    calculate_gain(nonlinearity, param)      the gain of an activation
    calculate_fan_in_and_fan_out(W)          the fans of a weight array

(chapter 7 shows why a constant W never trains). The variances they aim at
are derived in chapter 7: a layer ``a = W x`` with independent, zero-mean
weights of variance σ² multiplies the second moment of its input by
fan_in · σ² on the way forward (book: eq-var-forward) and that of the
gradient by fan_out · σ² on the way back (book: eq-var-backward). Xavier
picks σ² = 2 / (fan_in + fan_out) (book: eq-xavier), He picks
σ² = 2 / fan_in for ReLU (book: eq-he).

**Fans** are computed as PyTorch's
``torch.nn.init._calculate_fan_in_and_fan_out`` does, for an array of at
least 2 dimensions whose axis 0 indexes the outputs and axis 1 the inputs
(book: eq-fans)::

    Linear W (out, in):        fan_in = in,          fan_out = out
    Conv2d W (F, C, KH, KW):   fan_in = C · KH · KW, fan_out = F · KH · KW

(every axis after the first two is a receptive field, in both fans).

An empty array is returned unchanged (PyTorch: "Initializing zero-element
tensors is a no-op"). Bad input raises a ``TypeError``/``ValueError``
naming the function.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from bplib._validate import check_rng

__all__ = [
    "calculate_gain",
    "calculate_fan_in_and_fan_out",
    "zeros_",
    "ones_",
    "constant_",
    "uniform_",
    "normal_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
]

# PyTorch's names: the linear maps and the sigmoid have gain 1.
_LINEAR_NAMES = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)
_NONLINEARITIES = (*_LINEAR_NAMES, "tanh", "relu", "leaky_relu", "selu")
_MODES = ("fan_in", "fan_out")


# --- checks ---------------------------------------------------------------


def _check_array(tensor, where: str, *, min_ndim: int = 0) -> np.ndarray:
    """The array to fill: writable, floating-point, >= ``min_ndim`` axes."""
    if not isinstance(tensor, np.ndarray):
        raise TypeError(
            f"{where}: expected a numpy array to fill in place, got "
            f"{type(tensor).__name__}; create one with np.empty(shape) "
            f"(float64) first."
        )
    if not np.issubdtype(tensor.dtype, np.floating):
        raise TypeError(
            f"{where}: the array must be floating-point (float32 or "
            f"float64) to hold random weights, got dtype {tensor.dtype}; "
            f"create it with np.empty(shape)."
        )
    if tensor.ndim < min_ndim:
        raise ValueError(
            f"{where}: fan_in and fan_out need an array of at least 2 "
            f"dimensions, (out, in) for a Linear's W or (F, C, KH, KW) for "
            f"a Conv2d's, got {tensor.ndim} (shape {tensor.shape}); a bias "
            f"has no fans: use zeros_ or uniform_ for it."
        )
    if not tensor.flags.writeable:
        raise ValueError(
            f"{where}: the array is read-only and cannot be filled in place."
        )
    return tensor


def _check_number(value, where: str, name: str, *, minimum=None) -> float:
    number = (int, float, np.integer, np.floating)
    if isinstance(value, bool) or not isinstance(value, number):
        raise TypeError(f"{where}: {name} must be a number, got {value!r}.")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{where}: {name} must be finite, got {value}.")
    if minimum is not None and value < minimum:
        raise ValueError(
            f"{where}: {name} must be >= {minimum:g}, got {value:g}."
        )
    return value


def _check_mode(mode, where: str) -> str:
    if mode not in _MODES:
        raise ValueError(
            f"{where}: mode must be 'fan_in' (keeps the forward variance, "
            f"book: eq-var-forward) or 'fan_out' (keeps the gradient's, "
            f"book: eq-var-backward), got {mode!r}."
        )
    return mode


def _check_nonlinearity(nonlinearity, where: str) -> str:
    if nonlinearity not in _NONLINEARITIES:
        names = ", ".join(repr(n) for n in _NONLINEARITIES)
        raise ValueError(
            f"{where}: unknown nonlinearity {nonlinearity!r}; expected one "
            f"of {names} ('relu' for He's ReLU layers)."
        )
    return nonlinearity


# --- gain and fans --------------------------------------------------------


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The gain PyTorch recommends for an activation (book: eq-gain).

    PyTorch's ``torch.nn.init.calculate_gain``. A layer followed by the
    activation keeps the scale of its signal when its weights have standard
    deviation ``gain / √fan``::

        'linear', 'conv1d', 'conv2d', 'conv3d',
        'conv_transpose{1,2,3}d', 'sigmoid':  1
        'tanh':        5/3
        'relu':        √2    (ReLU zeroes half of its inputs, book: eq-he)
        'leaky_relu':  √(2 / (1 + slope²)), slope = param (default 0.01)
        'selu':        3/4

    Args:
        nonlinearity: one of the names above (PyTorch's ``nn.functional``
            names).
        param: the negative slope of 'leaky_relu'; not used by the others.

    Returns:
        the gain, a float.
    """
    where = "calculate_gain"
    if nonlinearity not in _NONLINEARITIES:
        names = ", ".join(repr(n) for n in _NONLINEARITIES)
        raise ValueError(
            f"{where}: unknown nonlinearity {nonlinearity!r}; expected one "
            f"of {names}."
        )
    if nonlinearity in _LINEAR_NAMES:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01
        if param is not None:
            slope = _check_number(param, where, "param (negative slope)")
        return math.sqrt(2.0 / (1 + slope**2))
    return 3.0 / 4  # selu


def calculate_fan_in_and_fan_out(tensor: np.ndarray) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight array, as PyTorch computes them
    (book: eq-fans).

    Axis 0 indexes the outputs, axis 1 the inputs, and the product of the
    remaining axes is the receptive field (1 for a Linear)::

        fan_in  = shape[1] · Π shape[2:]    inputs of one output unit
        fan_out = shape[0] · Π shape[2:]    outputs one input unit feeds

    Args:
        tensor: W of a Linear (out, in), of a Conv2d (F, C, KH, KW), or any
            array of >= 2 axes.

    Returns:
        ``(fan_in, fan_out)``, two ints.
    """
    where = "calculate_fan_in_and_fan_out"
    if not isinstance(tensor, np.ndarray):
        raise TypeError(
            f"{where}: expected a numpy array, got {type(tensor).__name__}."
        )
    if tensor.ndim < 2:
        raise ValueError(
            f"{where}: fan_in and fan_out need an array of at least 2 "
            f"dimensions, (out, in) or (F, C, KH, KW), got {tensor.ndim} "
            f"(shape {tensor.shape})."
        )
    field = math.prod(tensor.shape[2:])  # KH · KW for a Conv2d, 1 for Linear
    return tensor.shape[1] * field, tensor.shape[0] * field


# --- constant fills -------------------------------------------------------


def constant_(tensor: np.ndarray, val: float, *, rng=None) -> np.ndarray:
    """Fill ``tensor`` with ``val`` (any shape); returns it.

    Every unit of a layer whose weights are constant computes the same
    thing, forever (book: eq-symmetry). ``rng`` is not used; it is accepted
    so that every function of this module fits a layer's ``init=``
    argument, which calls ``init(W, rng=rng)``.
    """
    where = "constant_"
    tensor = _check_array(tensor, where)
    val = _check_number(val, where, "val")
    check_rng(rng, where=where)
    tensor[...] = val
    return tensor


def zeros_(tensor: np.ndarray, *, rng=None) -> np.ndarray:
    """Fill ``tensor`` with 0 (any shape); returns it. Right for a bias,
    wrong for W (book: eq-symmetry). ``rng`` is not used (see
    :func:`constant_`)."""
    tensor = _check_array(tensor, "zeros_")
    check_rng(rng, where="zeros_")
    tensor[...] = 0.0
    return tensor


def ones_(tensor: np.ndarray, *, rng=None) -> np.ndarray:
    """Fill ``tensor`` with 1 (any shape); returns it. ``rng`` is not used
    (see :func:`constant_`)."""
    tensor = _check_array(tensor, "ones_")
    check_rng(rng, where="ones_")
    tensor[...] = 1.0
    return tensor


# --- random fills ---------------------------------------------------------


def _fill_uniform(tensor, low, high, rng):
    # Draw in float64 and cast: the same rng gives the same numbers for a
    # float32 array.
    tensor[...] = rng.uniform(low, high, size=tensor.shape)
    return tensor


def _fill_normal(tensor, mean, std, rng):
    tensor[...] = rng.normal(mean, std, size=tensor.shape)
    return tensor


def uniform_(tensor: np.ndarray, a=0.0, b=1.0, *, rng=None) -> np.ndarray:
    """Fill ``tensor`` (any shape) with draws of U(a, b); returns it.

    Its variance is (b − a)² / 12, so U(−r, r) has variance r² / 3
    (book: eq-uniform-var).

    Args:
        tensor: the array to fill in place.
        a, b: the bounds, a <= b.
        rng: a ``numpy.random.Generator`` (None: a fresh, unseeded one).
    """
    where = "uniform_"
    tensor = _check_array(tensor, where)
    a, b = _check_number(a, where, "a"), _check_number(b, where, "b")
    if a > b:
        raise ValueError(
            f"{where}: the lower bound a={a:g} is above the upper bound "
            f"b={b:g}."
        )
    rng = check_rng(rng, where=where)
    return _fill_uniform(tensor, a, b, rng) if tensor.size else tensor


def normal_(tensor: np.ndarray, mean=0.0, std=1.0, *, rng=None) -> np.ndarray:
    """Fill ``tensor`` (any shape) with draws of N(mean, std²); returns it.

    Args:
        tensor: the array to fill in place.
        mean: the mean.
        std: the standard deviation (not the variance), >= 0.
        rng: a ``numpy.random.Generator`` (None: a fresh, unseeded one).
    """
    where = "normal_"
    tensor = _check_array(tensor, where)
    mean = _check_number(mean, where, "mean")
    std = _check_number(std, where, "std (a standard deviation)", minimum=0.0)
    rng = check_rng(rng, where=where)
    return _fill_normal(tensor, mean, std, rng) if tensor.size else tensor


def _xavier_std(tensor, gain, where):
    """σ = gain · √(2 / (fan_in + fan_out)) (book: eq-xavier)."""
    tensor = _check_array(tensor, where, min_ndim=2)
    gain = _check_number(gain, where, "gain", minimum=0.0)
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    if tensor.size == 0:
        return tensor, None
    return tensor, gain * math.sqrt(2.0 / float(fan_in + fan_out))


def xavier_uniform_(tensor: np.ndarray, gain=1.0, *, rng=None) -> np.ndarray:
    """Glorot & Bengio (2010): U(−r, r), r = gain · √(6 / (fan_in + fan_out)).

    Its variance, r²/3 = gain² · 2 / (fan_in + fan_out), is the compromise
    between keeping the forward signal (fan_in · σ² = 1) and the backward
    gradient (fan_out · σ² = 1) of a linear or tanh layer
    (book: eq-xavier, eq-uniform-var).

    Args:
        tensor: W, (out, in) or (F, C, KH, KW) (fans:
            :func:`calculate_fan_in_and_fan_out`).
        gain: a factor, >= 0 (:func:`calculate_gain`; 1 in the paper).
        rng: a ``numpy.random.Generator`` (None: a fresh, unseeded one).

    Returns:
        tensor, filled in place.
    """
    where = "xavier_uniform_"
    tensor, std = _xavier_std(tensor, gain, where)
    rng = check_rng(rng, where=where)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std  # U(-r, r) has variance r²/3
    return _fill_uniform(tensor, -bound, bound, rng)


def xavier_normal_(tensor: np.ndarray, gain=1.0, *, rng=None) -> np.ndarray:
    """Glorot & Bengio (2010): N(0, σ²), σ = gain · √(2 / (fan_in + fan_out))
    (book: eq-xavier).

    Args:
        tensor: W, (out, in) or (F, C, KH, KW) (fans:
            :func:`calculate_fan_in_and_fan_out`).
        gain: a factor, >= 0 (:func:`calculate_gain`).
        rng: a ``numpy.random.Generator`` (None: a fresh, unseeded one).

    Returns:
        tensor, filled in place.
    """
    where = "xavier_normal_"
    tensor, std = _xavier_std(tensor, gain, where)
    rng = check_rng(rng, where=where)
    return tensor if std is None else _fill_normal(tensor, 0.0, std, rng)


def _kaiming_std(tensor, a, mode, nonlinearity, where):
    """σ = gain / √fan, gain = calculate_gain(nonlinearity, a) (eq-he)."""
    tensor = _check_array(tensor, where, min_ndim=2)
    mode = _check_mode(mode, where)
    nonlinearity = _check_nonlinearity(nonlinearity, where)
    a = _check_number(a, where, "a (the negative slope of the leaky ReLU)")
    if tensor.size == 0:
        return tensor, None
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return tensor, calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    tensor: np.ndarray,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    *,
    rng=None,
) -> np.ndarray:
    """He et al. (2015): U(−r, r), r = gain · √(3 / fan).

    gain = calculate_gain(nonlinearity, a). With 'relu' (or the default
    'leaky_relu' with a = 0) the variance is 2 / fan: the factor 2 makes up
    for the half of its inputs a ReLU sets to zero (book: eq-he).
    ``a = √5`` gives PyTorch's default for ``nn.Linear`` and ``nn.Conv2d``,
    U(−1/√fan_in, 1/√fan_in) (book: eq-pytorch-default).

    Args:
        tensor: W, (out, in) or (F, C, KH, KW) (fans:
            :func:`calculate_fan_in_and_fan_out`).
        a: the negative slope of the leaky ReLU after this layer (used
            with 'leaky_relu').
        mode: 'fan_in' keeps the variance of the forward signal, 'fan_out'
            that of the gradient in the backward pass.
        nonlinearity: a name of :func:`calculate_gain` ('relu' or
            'leaky_relu' in practice).
        rng: a ``numpy.random.Generator`` (None: a fresh, unseeded one).

    Returns:
        tensor, filled in place.
    """
    where = "kaiming_uniform_"
    tensor, std = _kaiming_std(tensor, a, mode, nonlinearity, where)
    rng = check_rng(rng, where=where)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std  # U(-r, r) has variance r²/3
    return _fill_uniform(tensor, -bound, bound, rng)


def kaiming_normal_(
    tensor: np.ndarray,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    *,
    rng=None,
) -> np.ndarray:
    """He et al. (2015): N(0, σ²), σ = gain / √fan.

    gain = calculate_gain(nonlinearity, a). With 'relu' (or the default
    'leaky_relu' with a = 0), σ² = 2 / fan_in (book: eq-he).

    Args:
        tensor: W, (out, in) or (F, C, KH, KW) (fans:
            :func:`calculate_fan_in_and_fan_out`).
        a: the negative slope of the leaky ReLU after this layer (used
            with 'leaky_relu').
        mode: 'fan_in' (forward) or 'fan_out' (backward).
        nonlinearity: a name of :func:`calculate_gain`.
        rng: a ``numpy.random.Generator`` (None: a fresh, unseeded one).

    Returns:
        tensor, filled in place.
    """
    where = "kaiming_normal_"
    tensor, std = _kaiming_std(tensor, a, mode, nonlinearity, where)
    rng = check_rng(rng, where=where)
    return tensor if std is None else _fill_normal(tensor, 0.0, std, rng)


# --- for the layers' ``init=`` argument -----------------------------------

_BY_NAME: dict[str, Callable[..., np.ndarray]] = {
    "zeros": zeros_,
    "ones": ones_,
    "uniform": uniform_,
    "normal": normal_,
    "xavier_uniform": xavier_uniform_,
    "xavier_normal": xavier_normal_,
    "kaiming_uniform": kaiming_uniform_,
    "kaiming_normal": kaiming_normal_,
}


def initial_weights(init, shape, rng: np.random.Generator, *, where: str):
    """W of ``shape`` drawn by a layer's ``init`` argument (``Linear``,
    ``Conv2d``).

    ``init`` is a callable called as ``init(W, rng=rng)`` on a float64 array
    of zeros, which it fills in place (or returns as a new array of the same
    shape), e.g. ``functools.partial(bplib.init.kaiming_normal_,
    nonlinearity="relu")``; or the name of a function of this module without
    its underscore, called with its defaults (``"kaiming_normal"`` is He's
    N(0, 2/fan_in), ``"xavier_uniform"`` Glorot's).
    """
    if isinstance(init, str):
        key = init[:-1] if init.endswith("_") else init
        if key not in _BY_NAME:
            names = ", ".join(repr(n) for n in _BY_NAME)
            raise ValueError(
                f"{where}: unknown init {init!r}; give a callable "
                f"init(W, rng=rng) or one of {names}."
            )
        init = _BY_NAME[key]
    if not callable(init):
        raise TypeError(
            f"{where}: init must be None (PyTorch's default), a name such as "
            f"'kaiming_normal', or a callable init(W, rng=rng) that fills W "
            f"in place; got {type(init).__name__}."
        )
    W = np.zeros(shape)
    out = init(W, rng=rng)
    if out is not None and out is not W:
        if not isinstance(out, np.ndarray) or out.shape != W.shape:
            got = type(out).__name__
            if isinstance(out, np.ndarray):
                got = out.shape
            raise ValueError(
                f"{where}: init must fill W of shape {W.shape} in place (or "
                f"return an array of that shape), it returned {got}."
            )
        W[...] = out
    if not np.all(np.isfinite(W)):
        raise ValueError(f"{where}: init left NaN or infinite values in W.")
    return W
