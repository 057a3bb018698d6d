"""Pooling, forward and backward, on one channel with its numbers (chapter 8).

:func:`plot_pool_routes` draws the four arrays of a pooling layer side by side, input, output,
upstream gradient, input gradient, each window in its own colour, so that the eye follows a
window from its output to the inputs its gradient goes to: an equal share of it to each input
(average pooling, book: eq-avgpool-grad) or all of it to the maximum (max pooling, book:
eq-maxpool-grad). For overlapping windows, see :func:`~bplib.plot.plot_window_shares`.
"""

from __future__ import annotations

import numpy as np

from bplib.plot._cells import (
    UNREACHED_FILL,
    as_matrix,
    draw_matrix,
    hatch_cell,
    new_figure,
    outline,
    tint,
    window_color,
)
from bplib.plot.windows import coverage, window_geometry

__all__ = ["plot_pool_routes"]

_MODES = {"avg": "mean", "max": "max"}


def plot_pool_routes(x, out, dout, dx, kernel_size, stride=None, *, mode: str,
                     title: str | None = None):
    """Input, output, upstream and downstream gradient of a pooling layer, windows coloured.

    Each window of ``x`` and the cell of ``out`` and ``dout`` it produces share one colour;
    the cells of ``dx`` are tinted like the window they belong to. With ``mode="max"`` the
    maximum of each window (its first maximum in reading order, bplib's and PyTorch's rule)
    is framed in black in ``x`` and in ``dx``. Cells that no window covers are hatched. Cells
    in several windows (overlapping windows) are left white; :func:`plot_window_shares`
    draws that case term by term.

    The numbers are drawn as given; the cell that calls this asserts them against bplib.

    Args:
        x: (H, W) input (one channel of one image).
        out: (OH, OW) output of the pooling.
        dout: (OH, OW) upstream gradient ∂E/∂out.
        dx: (H, W) input gradient ∂E/∂x.
        kernel_size: K or (KH, KW).
        stride: S or (SH, SW); None means the kernel size.
        mode: ``"avg"`` or ``"max"`` (the panel titles, and the framed maxima).
        title: the figure's title.

    Returns:
        the matplotlib ``Figure``.
    """
    where = "plot_pool_routes"
    if mode not in _MODES:
        raise ValueError(f"{where}: mode must be 'avg' or 'max', got {mode!r}.")
    x, out = as_matrix(x, "x", where), as_matrix(out, "out", where)
    dout, dx = as_matrix(dout, "dout", where), as_matrix(dx, "dx", where)
    (kh, kw), (sh, sw), _, (oh, ow) = window_geometry(x.shape, kernel_size, stride,
                                                      where=where)
    for name, m, shape in (("out", out, (oh, ow)), ("dout", dout, (oh, ow)),
                           ("dx", dx, x.shape)):
        if m.shape != shape:
            raise ValueError(
                f"{where}: {name} must have shape {shape} ({kh}×{kw} windows, stride "
                f"({sh}, {sw}) on an input of shape {x.shape}), got {m.shape}."
            )
    h, w = x.shape
    counts = coverage(x.shape, (kh, kw), (sh, sw), where=where)
    owner = np.full((h, w), -1)  # the window a cell belongs to, if exactly one
    winners = []
    for p in range(oh):
        for q in range(ow):
            block = owner[p * sh : p * sh + kh, q * sw : q * sw + kw]
            block[...] = p * ow + q
            window = x[p * sh : p * sh + kh, q * sw : q * sw + kw]
            i, j = np.unravel_index(np.argmax(window), window.shape)  # the first maximum
            winners.append((p * sh + i, q * sw + j))
    owner[counts != 1] = -1

    def fill_by_owner():
        return [[UNREACHED_FILL if counts[i, j] == 0
                 else tint(window_color(owner[i, j])) if owner[i, j] >= 0 else None
                 for j in range(w)] for i in range(h)]

    out_fill = [[tint(window_color(p * ow + q)) for q in range(ow)] for p in range(oh)]
    cell = min(0.5, 6.0 / (2 * w + 2 * ow))
    font = max(7.5, min(11.0, cell * 72 * 0.42))
    height = max(h, oh) * cell + 1.5
    fig = new_figure(2 * (w + ow) * cell + 1.6, height)
    grid = fig.add_gridspec(1, 4, width_ratios=[w, ow, ow, w], wspace=0.45,
                            left=0.05, right=0.98, top=1 - 0.8 / height, bottom=0.04)
    size = f"{kh}×{kw}" if (kh, kw) != (1, 1) else "1×1"
    panels = [
        (x, "input a" + (" (maxima framed)" if mode == "max" else ""), fill_by_owner()),
        (out, f"output b: {_MODES[mode]}\nof each {size} window", out_fill),
        (dout, "upstream ∂E/∂b", out_fill),
        (dx, "∂E/∂a: " + (f"1/{kh * kw} of ∂E/∂b\nto each input" if mode == "avg"
                          else "all of ∂E/∂b\nto the maximum"), fill_by_owner()),
    ]
    axes = []
    for k, (m, label, fill) in enumerate(panels):
        ax = fig.add_subplot(grid[0, k])
        small = k in (1, 2)
        draw_matrix(ax, m, title=label, fill=fill, fontsize=font,
                    xlabel="column" if not small else "output column",
                    ylabel="row" if not small else "output row")
        axes.append(ax)
    for k in (0, 3):
        for p in range(oh):
            for q in range(ow):
                outline(axes[k], p * sh, q * sw, kh, kw, window_color(p * ow + q), lw=1.8)
        for i, j in np.argwhere(counts == 0):
            hatch_cell(axes[k], i, j)
        if mode == "max":
            for i, j in winners:
                outline(axes[k], i, j, 1, 1, "black", lw=2.4)
    if title:
        fig.suptitle(title, fontsize=11.5)
    return fig
