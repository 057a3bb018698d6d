"""Softmax over the classes, its Jacobian and its Jacobian-vector product (book: chapter 4).

The functions ``softmax``, ``log_softmax`` and ``softmax_jacobian`` are the formulas on their
own (the losses of :mod:`bplib.losses` and the book's check cells use them); the layer
``Softmax`` wraps the first with the layer contract.
"""

from __future__ import annotations

import numpy as np

from bplib._validate import check_batch, check_ndim
from bplib.layers.base import Layer

__all__ = ["Softmax", "softmax", "log_softmax", "softmax_jacobian"]


def softmax(a: np.ndarray) -> np.ndarray:
    """Row-wise softmax ``l_i = e^{a_i} / Σ_j e^{a_j}`` over the last axis (book: eq-softmax).

    Stable: the row maximum m is subtracted first. Softmax does not change when a constant is
    added to every a_j (it cancels between numerator and denominator), and with ``a − m`` every
    exponent is <= 0, so nothing overflows and the largest term is exactly e^0 = 1.

    Args:
        a: (..., K) float array of scores (logits).

    Returns:
        (..., K) probabilities, each row positive and summing to 1.
    """
    e = np.exp(a - a.max(axis=-1, keepdims=True))  # (..., K), entries in (0, 1]
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(a: np.ndarray) -> np.ndarray:
    """Row-wise ``log l_i = a_i − logsumexp(a)`` over the last axis.

    (book: eq-logsumexp) ``logsumexp(a) = m + log Σ_j e^{a_j − m}`` with m the
    row maximum: the sum is >= 1, so its log is finite, and no exponential
    overflows. Computing ``log(softmax(a))`` instead would give
    log(0) = −inf for any probability that underflowed.

    Args:
        a: (..., K) float array of scores (logits).

    Returns:
        (..., K) log-probabilities, all finite for finite a.
    """
    m = a.max(axis=-1, keepdims=True)
    shifted = a - m
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax_jacobian(l: np.ndarray) -> np.ndarray:
    """Full Jacobian ``∂l_i/∂a_j = l_i (δ_ij − l_j)`` of softmax (book: eq-softmax-jacobian).

    Every output depends on every input, so the Jacobian is a full K×K matrix, not a diagonal:
    [002] Explication keeps only its diagonal l_i(1 − l_i) (an erratum the book corrects). Backward
    never builds it (see :meth:`Softmax.backward`); it is here to show and check the formula.

    Args:
        l: (K,) probabilities, or (N, K) for a batch.

    Returns:
        (K, K) matrix ``diag(l) − l lᵀ``, or (N, K, K), one per row.
    """
    l = np.asarray(l)
    # diag(l) - l l^T, batched: (..., K, 1) * (..., 1, K) -> (..., K, K)
    eye = np.eye(l.shape[-1], dtype=l.dtype)
    return l[..., :, None] * eye - l[..., :, None] * l[..., None, :]


class Softmax(Layer):
    """Softmax over the last axis of a batch of scores (book: eq-softmax).

    ``out[n, i] = e^{x[n, i]} / Σ_j e^{x[n, j]}``, computed stably (row max subtracted).

    To train a classifier use :class:`bplib.losses.CrossEntropyLoss` on the *scores*, which
    fuses softmax and the loss; this layer is for looking at the probabilities, for the
    softmax + squared error of [002] Explication, and for chapter 4's composed-vs-fused comparison.

    Shapes:
        forward:  x (N, K) -> out (N, K), rows summing to 1
        backward: dout (N, K) -> dx (N, K)
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``out = softmax(x)`` row by row (book: eq-softmax).

        ``out`` is read-only: backward uses it (edit ``out.copy()`` instead).
        """
        where = "Softmax.forward"
        x = self._check_input(x)
        check_ndim(x, 2, where=where, layout="(N, K)")
        check_batch(x, where=where)
        if x.shape[1] == 0:
            raise ValueError(f"{where}: input has K = 0 classes (shape {x.shape}); K must be >= 1.")
        out = self._frozen(softmax(x))  # kept for backward, so handed out read-only
        return self._store(out, out)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Jacobian-vector product ``dx = l ⊙ (dout − Σ_j dout_j l_j)``.

        (book: eq-softmax-vjp) Row by row,
        ``dx_j = Σ_i dout_i ∂l_i/∂a_j = Σ_i dout_i l_i (δ_ij − l_j)``
        (book: eq-softmax-jacobian) ``= l_j (dout_j − Σ_i dout_i l_i)``:
        O(K) per row instead of building the K×K Jacobian.

        Args:
            dout: (N, K) upstream gradient ∂L/∂out.

        Returns:
            dx: (N, K) = ∂L/∂x.
        """
        l = self._start_backward(dout)
        dout = dout.astype(l.dtype, copy=False)
        # (N, K) -> (N, 1): Σ_i dout_i l_i, one per row
        inner = np.sum(dout * l, axis=1, keepdims=True)
        return l * (dout - inner)
