"""Figures of chapter 7 (initialisation): per-layer profiles through depth, curves side by side,
and a grid of accuracies as a heatmap.

Each function draws one figure and returns the matplotlib ``Figure`` (show it with
``plt.show()``); every axis is labelled and every figure titled.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["plot_depth_profiles", "plot_curve_panels", "plot_accuracy_grid"]


def _check_panels(panels, where: str) -> list[tuple[str, list[tuple[str, np.ndarray]]]]:
    if not isinstance(panels, Mapping) or not panels:
        raise ValueError(
            f"{where}: panels must be a non-empty dict {{panel title: {{curve name: values}}}}, "
            f"got {type(panels).__name__}."
        )
    checked = []
    for title, curves in panels.items():
        if not isinstance(curves, Mapping) or not curves:
            raise ValueError(
                f"{where}: panel {title!r} must be a non-empty dict {{curve name: values}}."
            )
        rows = []
        for name, values in curves.items():
            values = np.asarray(values, dtype=np.float64)
            if values.ndim != 1 or values.size == 0:
                raise ValueError(
                    f"{where}: curve {name!r} of panel {title!r} must be a non-empty 1-d "
                    f"sequence, got shape {values.shape}."
                )
            rows.append((str(name), values))
        checked.append((str(title), rows))
    return checked


def _panel_axes(n: int, ncols: int, width: float, height: float, sharey: bool):
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(width * ncols, height * nrows), sharey=sharey, squeeze=False
    )
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return fig, axes.ravel()[:n]


def plot_depth_profiles(
    panels,
    *,
    title: str,
    ylabel: str = "standard deviation (log scale)",
    xlabel: str = "layer k",
    ncols: int = 2,
    explode: float | None = 1e10,
    vanish: float | None = 1e-10,
):
    """Per-layer values (a standard deviation at each layer) on a log scale, one panel each.

    Args:
        panels: ``{panel title: {curve name: values}}``; ``values[k - 1]`` belongs to layer k
            (the x axis starts at 1). Zeros and non-finite values are left out of the curve.
        title: the figure's title.
        ylabel, xlabel: the axis labels.
        ncols: panels per row.
        explode, vanish: draw dotted horizontal lines at these levels (None: no line).

    Returns:
        the ``Figure``; the curves share colours across panels (the legend is on the first).
    """
    checked = _check_panels(panels, "plot_depth_profiles")
    fig, axes = _panel_axes(len(checked), ncols, 5.4, 3.9, sharey=False)
    for ax, (panel, curves) in zip(axes, checked, strict=True):
        for i, (name, values) in enumerate(curves):
            layers = np.arange(1, values.size + 1)
            shown = np.isfinite(values) & (values > 0)
            ax.semilogy(layers[shown], values[shown], "o-", ms=2.5, lw=1.2, color=f"C{i}",
                        label=name)  # fmt: skip
        for level, words in ((explode, "explodes"), (vanish, "vanishes")):
            if level is not None:
                ax.axhline(level, color="0.4", ls=":", lw=1)
                ax.annotate(
                    f"{words} ({level:.0e})", (1, level), xycoords=("axes fraction", "data"),
                    ha="right", va="bottom", fontsize=7, color="0.3",
                )  # fmt: skip
        ax.set_title(panel)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3, which="major")
    axes[0].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_curve_panels(
    panels,
    *,
    title: str,
    ylabel: str,
    xlabel: str = "epoch",
    ncols: int = 4,
    ylim: tuple[float, float] | None = None,
):
    """Curves side by side on a linear scale (e.g. test accuracy per epoch), one panel each.

    Args:
        panels: ``{panel title: {curve name: values}}``; ``values[t - 1]`` is plotted at
            x = t. A curve may stop early (a run that diverged).
        title: the figure's title.
        ylabel, xlabel: the axis labels (the y label on the first panel of each row).
        ncols: panels per row.
        ylim: optional y limits shared by every panel.

    Returns:
        the ``Figure``; the curves share colours across panels (the legend is on the first).
    """
    checked = _check_panels(panels, "plot_curve_panels")
    fig, axes = _panel_axes(len(checked), ncols, 3.3, 3.2, sharey=True)
    ncols = min(ncols, len(checked))
    for index, (ax, (panel, curves)) in enumerate(zip(axes, checked, strict=True)):
        for i, (name, values) in enumerate(curves):
            ax.plot(np.arange(1, values.size + 1), values, "o-", ms=2.5, color=f"C{i}",
                    label=name)  # fmt: skip
        ax.set_title(panel)
        ax.set_xlabel(xlabel)
        if index % ncols == 0:
            ax.set_ylabel(ylabel)
        if ylim is not None:
            ax.set_ylim(*ylim)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_accuracy_grid(
    accuracy,
    *,
    rows,
    cols,
    title: str,
    xlabel: str,
    ylabel: str,
    missing: str = "diverged",
):
    """A grid of accuracies in [0, 1] as a heatmap, each cell labelled with its percentage.

    Args:
        accuracy: (R, C) array of accuracies in [0, 1]; NaN marks a run with no result (drawn
            grey and labelled ``missing``).
        rows: the R row labels (e.g. initialisations).
        cols: the C column labels (e.g. steps γ).
        title, xlabel, ylabel: the title and the axis labels.
        missing: the label of the NaN cells.

    Returns:
        the ``Figure``.
    """
    where = "plot_accuracy_grid"
    acc = np.asarray(accuracy, dtype=np.float64)
    rows, cols = [str(r) for r in rows], [str(c) for c in cols]
    if acc.ndim != 2 or acc.shape != (len(rows), len(cols)):
        raise ValueError(
            f"{where}: accuracy must be (R, C) = ({len(rows)}, {len(cols)}) for the labels "
            f"given, got shape {acc.shape}."
        )
    finite = acc[np.isfinite(acc)]
    if finite.size and (finite.min() < 0 or finite.max() > 1):
        raise ValueError(
            f"{where}: accuracies must be fractions in [0, 1] (NaN for a missing run), got "
            f"values from {finite.min():g} to {finite.max():g}."
        )
    fig, ax = plt.subplots(figsize=(1.25 * len(cols) + 3.2, 0.55 * len(rows) + 1.8))
    cmap = plt.get_cmap("viridis").with_extremes(bad="0.85")  # NaN cells: light grey
    image = ax.imshow(np.ma.masked_invalid(100 * acc), cmap=cmap, vmin=0, vmax=100,
                      aspect="auto")  # fmt: skip
    for i in range(acc.shape[0]):
        for j in range(acc.shape[1]):
            value = acc[i, j]
            text = missing if not np.isfinite(value) else f"{100 * value:.1f}%"
            color = "black" if not np.isfinite(value) or value > 0.6 else "white"
            ax.text(j, i, text, ha="center", va="center", fontsize=9, color=color)
    ax.set_xticks(range(len(cols)), cols)
    ax.set_yticks(range(len(rows)), rows)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label="accuracy (%)")
    fig.tight_layout()
    return fig
