"""Losses: mean squared error and softmax cross-entropy (book: chapter 4).

A loss ends the graph: ``forward(pred, target)`` returns the scalar loss as a Python float and
``backward()`` returns ``dpred = ∂loss/∂pred`` of pred's shape, the first upstream gradient of
the backward pass. Like PyTorch (``reduction='mean'``), losses average over the batch, so the
gradient of a mini-batch is the mean of the per-example gradients (book: eq-minibatch-grad)
and the step size does not depend on the batch size; ``reduction='sum'`` gives [001] Pierret's
sums over the examples.

    loss = CrossEntropyLoss()
    value = loss(logits, labels)   # same as loss.forward(logits, labels)
    dlogits = loss.backward()      # (N, K)
"""

from __future__ import annotations

import numpy as np

from bplib._validate import (
    check_batch,
    check_float_array,
    check_labels,
    check_min_ndim,
    check_ndim,
)
from bplib.layers.softmax import log_softmax

__all__ = ["Loss", "MSELoss", "CrossEntropyLoss", "CrossEntropyFromProbs"]

_REDUCTIONS = ("mean", "sum")


class Loss:
    """Base class of the losses: the cache, ``__call__``, the backward-before-forward check."""

    def __init__(self, reduction: str = "mean") -> None:
        if reduction not in _REDUCTIONS:
            raise ValueError(
                f"{type(self).__name__}: reduction must be one of {_REDUCTIONS}, got {reduction!r}."
            )
        self.reduction = reduction
        self.cache = None

    @property
    def name(self) -> str:
        return type(self).__name__

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:  # pragma: no cover
        raise NotImplementedError

    def backward(self) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def __call__(self, pred: np.ndarray, target: np.ndarray) -> float:
        return self.forward(pred, target)

    def _cached(self):
        if self.cache is None:
            raise RuntimeError(
                f"{self.name}.backward was called before {self.name}.forward: the gradient "
                f"needs the prediction and target of forward. Call forward(pred, target) first."
            )
        return self.cache

    def _check_pred(self, pred, *, layout: str) -> np.ndarray:
        where = f"{self.name}.forward"
        pred = check_float_array(pred, where=where, name="pred")
        if layout == "(N, K)":
            check_ndim(pred, 2, where=where, name="pred", layout=layout)
            if pred.shape[1] == 0:
                raise ValueError(f"{where}: pred has K = 0 classes (shape {pred.shape}).")
        else:
            check_min_ndim(pred, 1, where=where, name="pred", layout=layout)
        check_batch(pred, where=where, name="pred")
        return pred

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"

    def __repr__(self) -> str:
        return f"{self.name}({self.extra_repr()})"


class MSELoss(Loss):
    """Mean squared error over all elements, like ``torch.nn.MSELoss()`` (book: eq-mse).

        loss = (1 / S) Σ (pred − target)²          S = pred.size (all elements, N·K)
        dpred = 2 (pred − target) / S              (book: eq-mse-grad)

    [001] Pierret writes the squared error of one example as L = ½‖y − d‖², with ∇_y L = y − d.
    Both are the same quadratic up to a constant factor: for N examples of K outputs,
    ``MSELoss = (2 / (N K)) Σ_n ½‖y_n − d_n‖²``, so the gradients point the same way and only
    the step size changes. ``MSELoss(reduction='sum')`` is ``Σ (pred − target)²``, twice
    [001] Pierret's E(W).

    Args:
        reduction: ``'mean'`` (default, PyTorch's) or ``'sum'``.

    Shapes: pred (N, ...) and target of exactly the same shape; there is no broadcasting,
    because (N,) − (N, 1) would silently broadcast to an (N, N) matrix of differences.
    """

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        """Return the mean (or sum) of ``(pred − target)²`` over all elements (book: eq-mse).

        Args:
            pred: (N, ...) float predictions.
            target: float array of pred's exact shape.
        """
        where = f"{self.name}.forward"
        pred = self._check_pred(pred, layout="(N, ...)")
        target = check_float_array(target, where=where, name="target")
        if target.shape != pred.shape:
            hint = ""
            if target.size == pred.size:
                hint = f"; reshape it with target.reshape({pred.shape})"
            raise ValueError(
                f"{where}: target must have pred's exact shape {pred.shape}, got "
                f"{target.shape}{hint}. bplib never broadcasts: (N,) against (N, 1) would "
                f"compare every prediction with every target."
            )
        diff = pred - target.astype(pred.dtype, copy=False)
        self.cache = diff
        total = float(np.sum(diff * diff))
        return total / diff.size if self.reduction == "mean" else total

    def backward(self) -> np.ndarray:
        """Return ``dpred = 2 (pred − target) / S`` (book: eq-mse-grad).

        Of pred's shape; ``2 (pred − target)`` for ``reduction='sum'``.
        """
        diff = self._cached()
        scale = 2 / diff.size if self.reduction == "mean" else 2
        return (scale * diff).astype(diff.dtype, copy=False)


class CrossEntropyLoss(Loss):
    """Softmax cross-entropy on scores (logits), like ``torch.nn.CrossEntropyLoss()``.

    For logits a (N, K) and integer labels y (N,) (book: eq-ce, eq-logsumexp):

        loss = (1/N) Σ_n [ logsumexp(a_n) − a_n[y_n] ] = −(1/N) Σ_n log softmax(a_n)[y_n]
        dpred = (softmax(a) − onehot(y)) / N           (book: eq-ce-softmax-grad)

    which is [001] Pierret's L(y; d) = −y_d + log Σ_k exp(y_k), averaged over the batch.

    The softmax is fused into the loss, and this is why it is preferred to a ``Softmax`` layer
    followed by :class:`CrossEntropyFromProbs`:

    - stability: ``logsumexp(a) = m + log Σ_j e^{a_j − m}`` (m the row max) never overflows
      and never takes log(0); the composed version takes the log of a probability that may have
      underflowed to 0 (for logits 1000 apart), and returns inf.
    - simplicity and cost: the gradient is just softmax − one-hot; going through the softmax
      Jacobian-vector product gives the same numbers with more work and more rounding.

    Args:
        reduction: ``'mean'`` (default, PyTorch's) or ``'sum'`` over the batch.

    Shapes: pred (N, K) float logits; target (N,) integers in [0, K). One-hot rows are not
    accepted: pass ``target.argmax(axis=1)``.
    """

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        """Return the batch mean of ``−log softmax(pred)[n, target[n]]`` (book: eq-ce).

        Args:
            pred: (N, K) float logits (any real numbers, not probabilities).
            target: (N,) integer class labels in [0, K).
        """
        pred = self._check_pred(pred, layout="(N, K)")
        n, k = pred.shape
        target = check_labels(target, n=n, k=k, where=f"{self.name}.forward")
        logp = log_softmax(pred)  # (N, K), finite for finite logits (book: eq-logsumexp)
        # softmax(pred), from the stable log; the labels copied (a caller may edit theirs)
        self.cache = (np.exp(logp), target.copy())
        # "0.0 -" rather than "-": a perfect prediction gives log p = 0, and -0.0 reads oddly
        total = 0.0 - float(np.sum(logp[np.arange(n), target]))
        return total / n if self.reduction == "mean" else total

    def backward(self) -> np.ndarray:
        """Return ``dpred = (softmax(pred) − onehot(target)) / N``.

        (book: eq-ce-softmax-grad)
        """
        probs, target = self._cached()
        n = probs.shape[0]
        dpred = probs.copy()
        # softmax − one-hot, without building the one-hot
        dpred[np.arange(n), target] -= 1
        if self.reduction == "mean":
            dpred /= n
        return dpred


class CrossEntropyFromProbs(Loss):
    """Cross-entropy on probabilities: ``loss = −(1/N) Σ_n log p[n, y_n]`` (book: eq-ce).

    The *composed* version, to put after a :class:`bplib.layers.Softmax` layer; chapter 4
    compares it with the fused :class:`CrossEntropyLoss`. Its gradient

        dpred[n, i] = −1 / (N p[n, y_n])   if i = y_n, else 0

    sent back through the softmax Jacobian-vector product (book: eq-softmax-vjp) gives the same
    softmax − one-hot as the fused loss, but:

    - it takes log(p) after p was rounded: when the true class's probability underflows to 0
      (logits 1000 apart), the loss is inf and there is no finite gradient. This class then
      returns ``inf`` from forward (no warning: that is the result, shown in the book) and
      raises ``ValueError`` from backward. The fused loss stays finite (book: eq-logsumexp).
    - it divides by small probabilities, and the softmax backward multiplies by them again:
      more operations and more rounding for the same gradient.

    Use :class:`CrossEntropyLoss` on logits to train.

    Args:
        reduction: ``'mean'`` (default) or ``'sum'`` over the batch.

    Shapes: pred (N, K) probabilities in [0, 1]; target (N,) integer labels in [0, K).
    """

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        """Return ``−(1/N) Σ_n log pred[n, target[n]]`` (inf if one of them is 0).

        Args:
            pred: (N, K) probabilities, e.g. the output of a Softmax layer.
            target: (N,) integer class labels in [0, K).
        """
        where = f"{self.name}.forward"
        pred = self._check_pred(pred, layout="(N, K)")
        n, k = pred.shape
        target = check_labels(target, n=n, k=k, where=where)
        if pred.min() < 0 or pred.max() > 1:
            raise ValueError(
                f"{where}: pred must hold probabilities in [0, 1] (e.g. the output of a Softmax "
                f"layer), got values in [{pred.min():.3g}, {pred.max():.3g}]; for raw scores "
                f"use CrossEntropyLoss, which applies the softmax itself."
            )
        p_true = pred[np.arange(n), target]  # (N,): the probability given to the right class
        # the labels are copied: a caller may edit theirs before backward
        self.cache = (pred.shape, pred.dtype, target.copy(), p_true)
        with np.errstate(divide="ignore"):  # log(0) = -inf is the point chapter 4 makes
            total = -float(np.sum(np.log(p_true)))
        return total / n if self.reduction == "mean" else total

    def backward(self) -> np.ndarray:
        """Return ``dpred`` with ``−1/(N p[n, y_n])`` at the true classes and 0 elsewhere."""
        shape, dtype, target, p_true = self._cached()
        if np.any(p_true == 0):
            raise ValueError(
                f"{self.name}.backward: a true-class probability is exactly 0 (it underflowed "
                f"in the softmax), so the loss is inf and has no finite gradient. Use "
                f"CrossEntropyLoss on the logits: it never takes log(0) (book: eq-logsumexp)."
            )
        n = shape[0]
        dpred = np.zeros(shape, dtype=dtype)
        dpred[np.arange(n), target] = -1 / p_true
        if self.reduction == "mean":
            dpred /= n
        return dpred
