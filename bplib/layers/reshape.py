"""Reshaping layers: no arithmetic, only a change of shape, undone by backward."""

from __future__ import annotations

import numpy as np

from bplib._validate import check_batch, check_min_ndim
from bplib.layers.base import Layer

__all__ = ["Flatten"]


class Flatten(Layer):
    """Flatten every axis but the batch axis: ``(N, C, H, W) -> (N, C*H*W)``.

    It links the convolutional part of a network to its ``Linear`` layers (book: chapter 10).
    Every entry is copied to exactly one place, so backward is the inverse reshape of dout:
    nothing is added or scaled. The order is numpy's (and PyTorch's) row-major order, so a
    ``Linear`` after it sees the same features as PyTorch's ``nn.Flatten``.

    Shapes:
        forward:  x (N, d1, d2, ...) -> out (N, d1*d2*...)
        backward: dout (N, d1*d2*...) -> dx (N, d1, d2, ...)
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Return ``x.reshape(N, -1)`` (a view, no copy)."""
        where = "Flatten.forward"
        x = self._check_input(x)
        check_min_ndim(x, 2, where=where, layout="(N, ...) with a batch axis first")
        check_batch(x, where=where)
        out = x.reshape(x.shape[0], -1)  # (N, d1, d2, ...) -> (N, d1*d2*...)
        return self._store(x.shape, out)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Return ``dout`` reshaped to the input's shape (N, d1, d2, ...)."""
        in_shape = self._start_backward(dout)
        return np.reshape(dout, in_shape)  # (N, d1*d2*...) -> (N, d1, d2, ...)
