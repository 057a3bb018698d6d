"""Element-wise activations and their derivatives (book: chapter 5).

An element-wise ``out = g(x)`` has a diagonal Jacobian, so its backward pass is a Hadamard
product, ``dx = dout ⊙ g'(x)`` ([001] Pierret: ∇_a E = ∇_h E ⊙ g'(a)). Each layer below only
supplies ``g`` and ``g'``; every shape ``(N, ...)`` is accepted, and ``dx`` has ``x``'s shape.
"""

from __future__ import annotations

import numpy as np

from bplib._validate import check_batch, check_min_ndim
from bplib.layers.base import Layer

__all__ = ["ReLU", "Sigmoid", "Tanh", "Sign", "sigmoid"]


def sigmoid(x):
    """``σ(x) = 1 / (1 + e^{-x})`` element-wise, stable for any finite x (see :class:`Sigmoid`).

    Only ``e^{−|x|}`` is ever computed, so σ(1000) = 1 and σ(−1000) = 0 without overflow.
    Takes a number or an array of any shape.
    """
    z = np.exp(-np.abs(x))  # in (0, 1]; underflows harmlessly to 0 for |x| > 745
    return np.where(np.asarray(x) >= 0, 1 / (1 + z), z / (1 + z))


class _Elementwise(Layer):
    """Shared checks of the element-wise layers: a finite float array (N, ...) with N >= 1."""

    def _check_elementwise(self, x) -> np.ndarray:
        x = self._check_input(x)
        where = f"{self.name}.forward"
        check_min_ndim(x, 1, where=where, layout="(N, ...)")
        check_batch(x, where=where)
        return x


class ReLU(_Elementwise):
    """Rectified linear unit ``out = max(x, 0)`` (book: eq-relu-grad).

    Derivative: ``g'(x) = 1`` if ``x > 0`` else ``0``. At ``x = 0`` ReLU has no derivative;
    bplib uses 0 there, like PyTorch (any value in [0, 1] is a valid subgradient, and exact
    zeros are rare in floating point).

    Shapes: x (N, ...) -> out of x's shape; dout of out's shape -> dx of x's shape.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``out = max(x, 0)`` element-wise."""
        x = self._check_elementwise(x)
        return self._store(self._keep(x), np.maximum(x, 0))  # x copied unless read-only

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """``dx = dout ⊙ 1[x > 0]``: the gradient passes where x > 0.

        (book: eq-relu-grad)
        """
        x = self._start_backward(dout)
        return (dout * (x > 0)).astype(x.dtype, copy=False)


class Sigmoid(_Elementwise):
    """Logistic sigmoid ``σ(x) = 1 / (1 + e^{-x})`` (book: eq-sigmoid-grad).

    Derivative: ``σ'(x) = σ(x)(1 − σ(x))``, computed from the stored output, so backward needs
    no exponential. Stable for any finite x: ``e^{-x}`` overflows for x < −709 in float64, so
    the forward pass only ever exponentiates ``−|x|``::

        σ(x) = 1 / (1 + e^{−|x|})         for x >= 0
        σ(x) = e^{−|x|} / (1 + e^{−|x|})  for x < 0

    which gives σ(1000) = 1 and σ(−1000) = 0 without a warning.

    Shapes: x (N, ...) -> out of x's shape; dout of out's shape -> dx of x's shape.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``out = σ(x)`` element-wise, never exponentiating a positive number.

        ``out`` is read-only: backward computes σ' from it (edit ``out.copy()`` instead).
        """
        x = self._check_elementwise(x)
        out = self._frozen(sigmoid(x))  # kept for backward, so handed out read-only
        return self._store(out, out)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """``dx = dout ⊙ σ(x)(1 − σ(x))`` (book: eq-sigmoid-grad)."""
        s = self._start_backward(dout)
        return (dout * s * (1 - s)).astype(s.dtype, copy=False)


class Tanh(_Elementwise):
    """Hyperbolic tangent ``out = tanh(x)`` (book: eq-tanh-grad).

    Derivative: ``tanh'(x) = 1 − tanh(x)²``, from the stored output. ``np.tanh`` is stable
    for every finite x (tanh(±1000) = ±1).

    Shapes: x (N, ...) -> out of x's shape; dout of out's shape -> dx of x's shape.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``out = tanh(x)`` element-wise; read-only, as backward uses it (edit a copy)."""
        x = self._check_elementwise(x)
        out = self._frozen(np.tanh(x))  # kept for backward, so handed out read-only
        return self._store(out, out)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """``dx = dout ⊙ (1 − tanh(x)²)`` (book: eq-tanh-grad)."""
        t = self._start_backward(dout)
        return (dout * (1 - t * t)).astype(t.dtype, copy=False)


class Sign(_Elementwise):
    """Sign function ``out = sign(x)`` ∈ {−1, 0, 1} (book: eq-sign-grad).

    Its derivative is 0 wherever it exists (everywhere but x = 0, where sign jumps), so
    backward returns zeros: no gradient reaches the layers below, and gradient descent cannot
    change their weights. That is [001] Pierret's question "why ReLU rather than sign?" (book:
    chapter 5): sign is a fine decision rule but cannot be trained by gradient.

    Shapes: x (N, ...) -> out of x's shape; dout of out's shape -> dx of x's shape (zeros).
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``out = sign(x)`` element-wise (sign(0) = 0, as in numpy and PyTorch)."""
        x = self._check_elementwise(x)
        return self._store((x.shape, x.dtype), np.sign(x))  # backward needs no values

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """``dx = dout ⊙ 0 = 0``: the derivative is 0 almost everywhere.

        (book: eq-sign-grad)
        """
        shape, dtype = self._start_backward(dout)
        return np.zeros(shape, dtype=dtype)
