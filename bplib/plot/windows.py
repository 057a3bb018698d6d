"""Where the gradient of each window goes (chapters 8 and 9).

Pooling and convolution send the upstream gradient of every output back to the inputs of its
window; an input in several windows adds what each sends (book: eq-chain-multiple). The
figure of :func:`plot_window_shares` draws that sum term by term: one small panel per output,
holding what its window sends, then their sum, the input gradient. Its numbers are given, not
computed: :func:`split_by_output` gets the terms from any backward function, e.g. bplib's
naive loops, so that the cell drawing the figure can assert them against the layer.
"""

from __future__ import annotations

import numpy as np

from bplib._validate import pair
from bplib.layers._windows import output_size
from bplib.plot._cells import (
    UNREACHED_FILL,
    as_matrix,
    draw_matrix,
    figure_title,
    format_number,
    hatch_cell,
    outline,
    panel_layout,
    shade,
    tint,
    window_color,
)

__all__ = ["split_by_output", "plot_window_shares"]

_MAX_PANELS = 16  # more windows than this would make panels too small to read


def window_geometry(shape, kernel_size, stride, padding=0, *, where: str):
    """``(KH, KW), (SH, SW), (PH, PW), (OH, OW)`` of windows over an image of ``shape``
    (H, W); a stride of None means the kernel size (pooling's default)."""
    kh, kw = pair(kernel_size, where=where, name="kernel_size")
    sh, sw = (kh, kw) if stride is None else pair(stride, where=where, name="stride")
    ph, pw = pair(padding, where=where, name="padding", allow_zero=True)
    h, w = shape
    if kh > h + 2 * ph or kw > w + 2 * pw:
        raise ValueError(
            f"{where}: kernel ({kh}, {kw}) is larger than the image ({h}, {w}) with padding "
            f"({ph}, {pw}); no window fits."
        )
    oh, ow = output_size(h, kh, sh, ph), output_size(w, kw, sw, pw)
    return (kh, kw), (sh, sw), (ph, pw), (oh, ow)


def coverage(shape, kernel_size, stride, padding=0, *, where: str) -> np.ndarray:
    """(H + 2PH, W + 2PW) counts: how many windows contain each cell of the padded image."""
    (kh, kw), (sh, sw), (ph, pw), (oh, ow) = window_geometry(
        shape, kernel_size, stride, padding, where=where
    )
    counts = np.zeros((shape[0] + 2 * ph, shape[1] + 2 * pw), dtype=int)
    for p in range(oh):
        for q in range(ow):
            counts[p * sh : p * sh + kh, q * sw : q * sw + kw] += 1
    return counts


def split_by_output(backward, dout) -> np.ndarray:
    """The input gradient split into what each output sends back.

    ``backward`` is a linear map from an upstream gradient (OH, OW) to an input gradient
    (H, W), e.g. ``lambda d: avgpool2d_backward_naive(d[None, None], (1, 1, H, W), 2)[0, 0]``.
    Term (p, q) is ``backward(dout masked to the one output (p, q))``; by linearity the terms
    add up to ``backward(dout)``.

    Args:
        backward: callable (OH, OW) -> (H, W).
        dout: (OH, OW) upstream gradient.

    Returns:
        parts: (OH, OW, H, W), ``parts[p, q]`` the gradient that output (p, q) sends back.
    """
    dout = as_matrix(dout, "dout", "split_by_output")
    terms = []
    for (p, q), g in np.ndenumerate(dout):
        one = np.zeros_like(dout)
        one[p, q] = g
        terms.append(np.asarray(backward(one), dtype=np.float64))
    shapes = {t.shape for t in terms}
    if len(shapes) != 1 or len(terms[0].shape) != 2:
        raise ValueError(
            f"split_by_output: backward must return one 2-d (H, W) array, got shapes {shapes}."
        )
    return np.stack(terms).reshape(*dout.shape, *terms[0].shape)


def plot_window_shares(
    parts,
    dx,
    kernel_size,
    stride=None,
    *,
    dout=None,
    x=None,
    winners: bool = False,
    title: str | None = None,
    sum_title: str = "sum: ∂E/∂a",
    dout_title: str = "upstream ∂E/∂b",
):
    """One panel per window with the gradient its output sends back, then their sum.

    Panel (p, q) sits at row p, column q of a grid, like the output it belongs to; it writes
    ``parts[p, q]`` in the cells of window (p, q) (framed in the window's colour) and leaves
    the other cells blank. The last panel writes ``dx``, their sum: where windows overlap, an
    input collects several terms; a cell that no window covers (a stride that does not tile)
    is hatched and gets 0.

    Args:
        parts: (OH, OW, H, W) what each output sends back (:func:`split_by_output`).
        dx: (H, W) the input gradient; it must equal ``parts`` summed over (p, q).
        kernel_size: K or (KH, KW) of the windows.
        stride: S or (SH, SW); None means the kernel size (pooling's default).
        dout: optional (OH, OW) upstream gradient, drawn first and quoted in each panel.
        x: optional (H, W) input, drawn first (max pooling: to see who wins).
        winners: frame, in panel (p, q), the cell that received the whole gradient (the
            window's maximum, for max pooling) when there is exactly one non-zero term.
        title: the figure's title.
        sum_title: the title of the panel of ``dx``.
        dout_title: the title of the panel of ``dout``.

    Returns:
        the matplotlib ``Figure``.

    Raises:
        ValueError: shapes that do not fit the windows, a term outside its window, terms that
            do not add up to ``dx``, or more than 16 windows (unreadable).
    """
    where = "plot_window_shares"
    dx = as_matrix(dx, "dx", where)
    parts = np.asarray(parts, dtype=np.float64)
    (kh, kw), (sh, sw), _, (oh, ow) = window_geometry(dx.shape, kernel_size, stride,
                                                      where=where)
    if parts.shape != (oh, ow, *dx.shape):
        raise ValueError(
            f"{where}: parts must have shape (OH, OW, H, W) = {(oh, ow, *dx.shape)} for "
            f"{kh}×{kw} windows with stride ({sh}, {sw}) on {dx.shape}, got {parts.shape}."
        )
    if oh * ow > _MAX_PANELS:
        raise ValueError(
            f"{where}: {oh * ow} windows would make {oh * ow} panels, more than "
            f"{_MAX_PANELS} (too small to read); draw a smaller example."
        )
    for p in range(oh):
        for q in range(ow):
            outside = parts[p, q].copy()
            outside[p * sh : p * sh + kh, q * sw : q * sw + kw] = 0.0
            if np.any(outside):
                raise ValueError(
                    f"{where}: parts[{p}, {q}] is non-zero outside window ({p}, {q}); an "
                    f"output sends gradient only to the inputs it read."
                )
    if not np.allclose(parts.sum(axis=(0, 1)), dx, rtol=1e-9, atol=1e-12):
        raise ValueError(f"{where}: the parts do not add up to dx; the figure would lie.")
    if dout is not None:
        dout = as_matrix(dout, "dout", where)
        if dout.shape != (oh, ow):
            raise ValueError(f"{where}: dout must have shape {(oh, ow)}, got {dout.shape}.")
    if x is not None:
        x = as_matrix(x, "x", where)
        if x.shape != dx.shape:
            raise ValueError(f"{where}: x must have dx's shape {dx.shape}, got {x.shape}.")

    h, w = dx.shape
    counts = coverage(dx.shape, (kh, kw), (sh, sw), where=where)
    # layout: the per-window panels on the left; on the right, stacked, the input and the
    # upstream gradient (when given) above the sum
    side = [m for m in (x, dout) if m is not None] + [dx]
    unreached = bool(np.any(counts == 0))
    fig, grid_axes, side_axes, cell = panel_layout(
        oh, ow, (h, w), [m.shape for m in side], cell_max=0.4, side_scale=1.15,
        bottom_room=0.3 if unreached else 0.08,
    )
    font = max(8.5, min(11.0, cell * 72 * 0.45))
    for p in range(oh):
        for q in range(ow):
            ax = grid_axes[p * ow + q]
            color = window_color(p * ow + q)
            inside = np.zeros((h, w), dtype=bool)
            inside[p * sh : p * sh + kh, q * sw : q * sw + kw] = True
            fill = [[tint(color) if inside[i, j] else None for j in range(w)] for i in range(h)]
            label = f"from ({p}, {q})"
            if dout is not None:
                label += f": {format_number(dout[p, q])}"
            draw_matrix(ax, parts[p, q], title=label, fill=fill, fontsize=font,
                        show_values=inside, xlabel=None, ylabel=None, tick_fontsize=7.5)
            ax.title.set_color(shade(color))
            outline(ax, p * sh, q * sw, kh, kw, color, lw=1.8)
            nonzero = np.argwhere(parts[p, q] != 0)
            if winners and len(nonzero) == 1:
                i, j = nonzero[0]
                outline(ax, i, j, 1, 1, "black", lw=2.0)
    grid_axes[0].set_ylabel("row", fontsize=8)

    k = 0
    if x is not None:
        ax = side_axes[k]
        draw_matrix(ax, x, title="input a", fontsize=font, xlabel=None, ylabel=None)
        for p in range(oh):
            for q in range(ow):
                outline(ax, p * sh, q * sw, kh, kw, window_color(p * ow + q), lw=1.6)
        k += 1
    if dout is not None:
        fill = [[tint(window_color(p * ow + q)) for q in range(ow)] for p in range(oh)]
        draw_matrix(side_axes[k], dout, title=dout_title, fill=fill, fontsize=font,
                    xlabel=None, ylabel=None)
        k += 1
    ax = side_axes[k]
    fill = [[UNREACHED_FILL if counts[i, j] == 0 else None for j in range(w)] for i in range(h)]
    draw_matrix(ax, dx, title=sum_title, fill=fill, fontsize=font, xlabel=None, ylabel=None)
    for i, j in np.argwhere(counts == 0):
        hatch_cell(ax, i, j)
    if unreached:
        fig.text(0.98, 0.06 / fig.get_figheight(), "hatched: inputs in no window, gradient 0",
                 ha="right", va="bottom", fontsize=8.5)
    figure_title(fig, title)
    return fig
