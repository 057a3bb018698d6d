"""The training loop: epochs of shuffled mini-batches, one progress line per epoch (chapter 6).

One step is the whole course in four lines:

    out = model.forward(X_batch)              # forward pass, every layer stores its cache
    loss = loss_fn.forward(out, y_batch)      # the batch-mean loss
    model.backward(loss_fn.backward())        # backprop: every layer fills its grads
    optimizer.step()                          # W ← W − γ g  (book: eq-gd-step)

and an epoch is one pass over the training set in mini-batches (book: eq-minibatch-grad).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import NamedTuple

import numpy as np

from bplib._validate import check_positive_int
from bplib.data import batches

__all__ = ["History", "Evaluation", "train", "evaluate", "accuracy", "predict", "forward_batched"]


@dataclass
class History:
    """Per-epoch measurements of :func:`train`, one entry per epoch in each list.

    Attributes:
        loss: mean training loss over the epoch's mini-batches (measured while the weights
            move, as the loop goes; weighted by batch size).
        train_acc: fraction of training examples classified right during the epoch (same
            caveat); empty for regression.
        val_loss: loss on (X_val, y_val) after the epoch; empty without validation data.
        val_acc: accuracy on (X_val, y_val) after the epoch; empty without validation data or
            for regression.
        seconds: wall-clock time of the epoch (training and validation).

    Accuracies are fractions in [0, 1]; the progress line prints them as percentages. It also
    reads like a dict: ``history["loss"]``, ``history.keys()``, ``dict(history.items())``.
    """

    loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def keys(self) -> list[str]:
        return list(asdict(self))

    def items(self):
        return asdict(self).items()

    def __getitem__(self, key: str) -> list[float]:
        if key not in self.keys():
            raise KeyError(f"History has no {key!r}; its keys are {self.keys()}.")
        return getattr(self, key)

    def __len__(self) -> int:
        """The number of epochs recorded."""
        return len(self.loss)

    @property
    def epochs(self) -> int:
        return len(self.loss)


class Evaluation(NamedTuple):
    """Result of :func:`evaluate`: the mean loss and the accuracy (None for regression)."""

    loss: float
    accuracy: float | None


def _check_xy(X, y, *, where: str, names=("X", "y")) -> None:
    for name, arr in zip(names, (X, y), strict=True):
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"{where}: {name} must be a numpy array, got {type(arr).__name__}.")
    if X.ndim == 0 or y.ndim == 0 or X.shape[0] != y.shape[0]:
        raise ValueError(
            f"{where}: {names[0]} and {names[1]} must hold the same number of examples, got "
            f"shapes {X.shape} and {y.shape}."
        )


def _is_labels(y: np.ndarray) -> bool:
    """Integer class labels (N,) mean classification: accuracy is measured."""
    return y.ndim == 1 and np.issubdtype(y.dtype, np.integer) and y.dtype != np.bool_


def _batch_weight(loss_fn, n_batch: int) -> int:
    # A 'mean' loss is a mean over the batch: weight it by the batch size to average over the
    # epoch; a 'sum' loss already adds the examples up.
    return n_batch if getattr(loss_fn, "reduction", "mean") == "mean" else 1


def forward_batched(model, X: np.ndarray, *, batch_size: int = 256) -> np.ndarray:
    """The model's outputs on all of X, computed ``batch_size`` examples at a time.

    Args:
        model: a Sequential or a layer.
        X: (N, ...) inputs.
        batch_size: examples per forward pass (bounds the memory of the caches).

    Returns:
        the outputs stacked along the batch axis, e.g. logits (N, K).
    """
    if not isinstance(X, np.ndarray):
        raise TypeError(f"forward_batched: X must be a numpy array, got {type(X).__name__}.")
    batch_size = check_positive_int(batch_size, where="forward_batched", name="batch_size")
    outs = [model.forward(X[i : i + batch_size]) for i in range(0, X.shape[0], batch_size)]
    return np.concatenate(outs, axis=0)


def predict(model, X: np.ndarray, *, batch_size: int = 256) -> np.ndarray:
    """Predicted classes: the index of the largest score of each row.

    Args:
        model: a classifier whose output is (N, K) scores (logits or probabilities).
        X: (N, ...) inputs.
        batch_size: examples per forward pass.

    Returns:
        (N,) int64 labels in [0, K).
    """
    out = forward_batched(model, X, batch_size=batch_size)
    if out.ndim != 2:
        raise ValueError(
            f"predict: the model's output must be (N, K) class scores, got shape {out.shape}."
        )
    return out.argmax(axis=1).astype(np.int64)


def accuracy(model, X: np.ndarray, y: np.ndarray, *, batch_size: int = 256) -> float:
    """Fraction of examples whose predicted class (:func:`predict`) equals the label.

    Args:
        model: a classifier with (N, K) outputs.
        X: (N, ...) inputs.
        y: (N,) integer labels.
        batch_size: examples per forward pass.

    Returns:
        a float in [0, 1].
    """
    _check_xy(X, y, where="accuracy")
    if not _is_labels(y):
        raise TypeError(f"accuracy: y must be (N,) integer labels, got {y.dtype} {y.shape}.")
    return float(np.mean(predict(model, X, batch_size=batch_size) == y))


def evaluate(model, loss_fn, X: np.ndarray, y: np.ndarray, *, batch_size: int = 256) -> Evaluation:
    """Mean loss and accuracy of ``model`` on (X, y), without changing anything.

    Args:
        model: a Sequential or a layer.
        loss_fn: a bplib loss (its forward is called; its cache is overwritten).
        X: (N, ...) inputs.
        y: (N,) integer labels, or regression targets of the outputs' shape.
        batch_size: examples per forward pass.

    Returns:
        ``Evaluation(loss, accuracy)``; accuracy is None unless y holds integer labels.
    """
    _check_xy(X, y, where="evaluate")
    batch_size = check_positive_int(batch_size, where="evaluate", name="batch_size")
    total, correct = 0.0, 0
    for start in range(0, X.shape[0], batch_size):
        xb, yb = X[start : start + batch_size], y[start : start + batch_size]
        out = model.forward(xb)
        total += loss_fn.forward(out, yb) * _batch_weight(loss_fn, xb.shape[0])
        if _is_labels(y):
            correct += int(np.sum(out.argmax(axis=1) == yb))
    n = X.shape[0]
    return Evaluation(total / n, correct / n if _is_labels(y) else None)


def train(
    model,
    loss_fn,
    optimizer,
    X_train: np.ndarray,
    y_train: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    rng: np.random.Generator,
    X_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    verbose: bool = True,
) -> History:
    """Train ``model`` by mini-batch gradient descent for ``epochs`` passes over the data.

    Each epoch shuffles the training set with ``rng``, and for every mini-batch runs forward,
    the loss, backward and ``optimizer.step()`` (book: eq-minibatch-grad, eq-gd-step). With
    verbose, one line per epoch is printed, e.g.

        epoch  3/20  loss 0.1234  train acc 97.1%  val acc 96.4%  (0.8 s)

    (the time stays last, in the form "(0.8 s)", so notebooks can mask it for nbval).

    Args:
        model: a :class:`~bplib.network.Sequential` (or a layer).
        loss_fn: e.g. :class:`~bplib.losses.CrossEntropyLoss` or
            :class:`~bplib.losses.MSELoss`.
        optimizer: e.g. :class:`~bplib.optim.SGD` built on ``model``.
        X_train: (N, ...) inputs.
        y_train: (N,) integer labels (classification: accuracy is measured) or regression
            targets of the model output's shape.
        epochs: number of passes over the training set.
        batch_size: B; batch_size = N is full-batch gradient descent, 1 is pure SGD.
        rng: the ``numpy.random.Generator`` that shuffles (seed it for reproducible runs).
        X_val, y_val: optional held-out data, evaluated after each epoch.
        verbose: print the per-epoch line.

    Returns:
        a :class:`History` with one entry per epoch.
    """
    where = "train"
    _check_xy(X_train, y_train, where=where, names=("X_train", "y_train"))
    epochs = check_positive_int(epochs, where=where, name="epochs")
    batch_size = check_positive_int(batch_size, where=where, name="batch_size")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{where}: rng must be a numpy.random.Generator (it shuffles each epoch), got "
            f"{type(rng).__name__}; pass rng=np.random.default_rng(seed)."
        )
    if (X_val is None) != (y_val is None):
        raise ValueError(f"{where}: give both X_val and y_val, or neither.")
    if X_val is not None:
        _check_xy(X_val, y_val, where=where, names=("X_val", "y_val"))
    classify = _is_labels(y_train)
    n = X_train.shape[0]
    width = len(str(epochs))
    history = History()

    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        total, correct = 0.0, 0
        for step, (xb, yb) in enumerate(
            batches(X_train, y_train, batch_size, rng=rng)
        ):
            out = model.forward(xb)
            value = loss_fn.forward(out, yb)
            if not np.isfinite(value):
                raise FloatingPointError(
                    f"{where}: the loss is {value} at epoch {epoch}, "
                    f"batch {step}: training diverged. "
                    "Try a smaller learning rate."
                )
            # No zero_grad: bplib's backward overwrites grads
            # (PyTorch's accumulates).
            model.backward(loss_fn.backward())
            optimizer.step()
            total += value * _batch_weight(loss_fn, xb.shape[0])
            if classify:
                correct += int(np.sum(out.argmax(axis=1) == yb))
        history.loss.append(total / n)
        if classify:
            history.train_acc.append(correct / n)
        if X_val is not None:
            ev = evaluate(model, loss_fn, X_val, y_val, batch_size=max(batch_size, 256))
            history.val_loss.append(ev.loss)
            if ev.accuracy is not None:
                history.val_acc.append(ev.accuracy)
        history.seconds.append(time.perf_counter() - start)

        if verbose:
            line = f"epoch {epoch:>{width}}/{epochs}  loss {history.loss[-1]:.4f}"
            if classify:
                line += f"  train acc {100 * history.train_acc[-1]:.1f}%"
            if X_val is not None:
                if history.val_acc and classify:
                    line += f"  val acc {100 * history.val_acc[-1]:.1f}%"
                else:
                    line += f"  val loss {history.val_loss[-1]:.4f}"
            line += f"  ({history.seconds[-1]:.1f} s)"
            print(line)
    return history
