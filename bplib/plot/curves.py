"""Training curves, kernels, feature maps and confusion matrices (chapters 6 and 10).

Each function draws one figure and returns the matplotlib ``Figure`` (show it with
``plt.show()``, save it with ``fig.savefig``); every axis is labelled and every figure titled.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["plot_history", "plot_kernels", "plot_feature_maps", "plot_confusion_matrix"]


def _get(history, key: str) -> list:
    if isinstance(history, dict):
        return list(history.get(key, []))
    return list(getattr(history, key, []))


def plot_history(history, *, title: str = "Training history"):
    """Loss (left) and accuracy (right) per epoch, for training and validation.

    Args:
        history: a :class:`bplib.train.History` or a dict with lists ``loss``, ``train_acc``,
            ``val_loss``, ``val_acc`` (missing or empty lists are skipped; without any
            accuracy, for regression, only the loss panel is drawn).
        title: the figure's title.

    Returns:
        the ``Figure``.
    """
    loss, val_loss = _get(history, "loss"), _get(history, "val_loss")
    train_acc, val_acc = _get(history, "train_acc"), _get(history, "val_acc")
    if not loss:
        raise ValueError("plot_history: the history has no 'loss' values to plot.")
    has_acc = bool(train_acc or val_acc)
    fig, axes = plt.subplots(1, 2 if has_acc else 1, figsize=(10 if has_acc else 5, 3.6))
    axes = np.atleast_1d(axes)
    epochs = np.arange(1, len(loss) + 1)

    ax = axes[0]
    ax.plot(epochs, loss, marker="o", ms=3, label="training (during the epoch)")
    if val_loss:
        ax.plot(np.arange(1, len(val_loss) + 1), val_loss, marker="s", ms=3, label="validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title("Loss")
    ax.legend()
    ax.grid(alpha=0.3)

    if has_acc:
        ax = axes[1]
        if train_acc:
            ax.plot(
                np.arange(1, len(train_acc) + 1),
                100 * np.asarray(train_acc),
                marker="o",
                ms=3,
                label="training (during the epoch)",
            )
        if val_acc:
            ax.plot(
                np.arange(1, len(val_acc) + 1),
                100 * np.asarray(val_acc),
                marker="s",
                ms=3,
                label="validation",
            )
        ax.set_xlabel("epoch")
        ax.set_ylabel("accuracy (%)")
        ax.set_title("Accuracy")
        ax.legend()
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _grid(n: int) -> tuple[int, int]:
    cols = math.ceil(math.sqrt(n))
    return math.ceil(n / cols), cols


def plot_kernels(W: np.ndarray, *, title: str = "Convolution kernels"):
    """A grid of the kernels of a convolution layer, one small image per (filter, channel).

    Args:
        W: (F, C, KH, KW) weights of ``Conv2d`` (``layer.params["W"]``); (F, KH, KW) is read
            as C = 1.
        title: the figure's title.

    Rows are the F filters and columns the C input channels; with one channel the F kernels
    are laid out in a near-square grid instead. The colour scale is shared and symmetric
    around 0 (red positive, blue negative), so kernels can be compared with each other.

    Returns:
        the ``Figure``.
    """
    W = np.asarray(W, dtype=np.float64)
    if W.ndim == 3:
        W = W[:, None]  # (F, KH, KW) -> (F, 1, KH, KW)
    if W.ndim != 4 or W.size == 0:
        raise ValueError(f"plot_kernels: W must have shape (F, C, KH, KW), got {W.shape}.")
    F, C = W.shape[:2]
    if C == 1:
        rows, cols = _grid(F)
        cells = [(f, 0) for f in range(F)]
    else:
        rows, cols = F, C
        cells = [(f, c) for f in range(F) for c in range(C)]
    vmax = float(np.max(np.abs(W))) or 1.0
    fig, axes = plt.subplots(rows, cols, figsize=(1.3 * cols + 1, 1.3 * rows + 0.6), squeeze=False)
    image = None
    for ax, (f, c) in zip(axes.flat, cells, strict=False):
        image = ax.imshow(W[f, c], cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel(f"filter {f}" if C == 1 else f"f {f}, c {c}", fontsize=8)
    for ax in list(axes.flat)[len(cells) :]:
        ax.axis("off")
    fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8, label="weight")
    fig.suptitle(f"{title} ({F}×{C}×{W.shape[2]}×{W.shape[3]})")
    return fig


def plot_feature_maps(maps: np.ndarray, *, title: str = "Feature maps", max_examples: int = 4):
    """The channels of a layer's output, one image per channel.

    Args:
        maps: (C, H, W) maps of one example, or (N, C, H, W) (one row per example, at most
            ``max_examples`` rows).
        title: the figure's title.
        max_examples: how many examples of a batch to draw.

    Each image has its own colour scale (a feature map's contrast, not its level, is what
    shows which pattern a filter detects).

    Returns:
        the ``Figure``.
    """
    maps = np.asarray(maps, dtype=np.float64)
    if maps.ndim == 3:
        maps = maps[None]  # (C, H, W) -> (1, C, H, W)
    if maps.ndim != 4 or maps.size == 0:
        raise ValueError(
            f"plot_feature_maps: maps must have shape (C, H, W) or (N, C, H, W), got {maps.shape}."
        )
    maps = maps[:max_examples]
    N, C = maps.shape[:2]
    if N == 1:
        rows, cols = _grid(C)
        cells = [(0, c) for c in range(C)]
    else:
        rows, cols = N, C
        cells = [(n, c) for n in range(N) for c in range(C)]
    fig, axes = plt.subplots(
        rows, cols, figsize=(1.5 * cols + 0.5, 1.5 * rows + 0.6), squeeze=False
    )
    for ax, (n, c) in zip(axes.flat, cells, strict=False):
        ax.imshow(maps[n, c], cmap="viridis")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel(f"channel {c}" if N == 1 else f"ex. {n}, ch. {c}", fontsize=8)
    for ax in list(axes.flat)[len(cells) :]:
        ax.axis("off")
    fig.suptitle(f"{title} ({C} channels of {maps.shape[2]}×{maps.shape[3]})")
    fig.tight_layout()
    return fig


def plot_confusion_matrix(
    y_true: np.ndarray, y_pred: np.ndarray, labels=None, *, title: str = "Confusion matrix"
):
    """Counts of (true class, predicted class) pairs, with the counts written in the cells.

    Args:
        y_true: (N,) integer labels in [0, K).
        y_pred: (N,) integer predictions in [0, K).
        labels: optional K names of the classes (tick labels); K defaults to
            ``max(y_true, y_pred) + 1``.
        title: the figure's title (the accuracy is appended).

    Row i, column j counts the examples of class i predicted as j: the diagonal is right,
    everything else is a mistake.

    Returns:
        the ``Figure``.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer) or (y.size and y.min() < 0):
            raise ValueError(
                f"plot_confusion_matrix: {name} must be (N,) non-negative integer labels, "
                f"got {y.dtype} {y.shape}."
            )
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError(
            f"plot_confusion_matrix: y_true and y_pred must have the same non-empty shape, "
            f"got {y_true.shape} and {y_pred.shape}."
        )
    k = int(max(y_true.max(), y_pred.max())) + 1
    if labels is not None:
        labels = [str(v) for v in labels]
        if len(labels) < k:
            raise ValueError(f"plot_confusion_matrix: {len(labels)} labels for {k} classes.")
        k = len(labels)
    else:
        labels = [str(i) for i in range(k)]
    cm = np.zeros((k, k), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)  # add.at: repeated (i, j) pairs all count
    acc = np.trace(cm) / cm.sum()

    size = 0.45 * k + 2
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(cm, cmap="Blues")
    for i in range(k):
        for j in range(k):
            if cm[i, j]:
                dark = cm[i, j] > cm.max() / 2
                ax.text(
                    j,
                    i,
                    str(cm[i, j]),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if dark else "black",
                )
    ax.set_xticks(range(k), labels)
    ax.set_yticks(range(k), labels)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(f"{title} (accuracy {100 * acc:.1f}%)")
    fig.colorbar(image, ax=ax, shrink=0.8, label="examples")
    fig.tight_layout()
    return fig
