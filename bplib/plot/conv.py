"""Convolution, forward and backward, drawn on small arrays with their numbers (chapter 9).

- :func:`plot_conv_sliding`: the kernel laid on each window of the input, and the output
  each window makes (book: eq-conv-forward);
- :func:`plot_conv_kernel_grad`: the kernel gradient as the same sliding, of the upstream
  gradient over the input (book: eq-conv-grad-k);
- :func:`plot_conv_input_grad_full`: the input gradient as the 180°-rotated kernel sliding
  over the zero-padded upstream gradient, a full convolution (book: eq-conv-grad-x-full);
- :func:`plot_conv_geometry`: which cells of the padded input each output reads, with a
  stride and a padding, and the cells no window reaches (book: eq-conv-output-size);
- :func:`plot_im2col`: every window copied into a column, and the whole convolution as one
  matrix product (chapter 9, "From loops to one matrix product").

Every function draws the numbers it is given; the cell that calls it asserts them against
bplib's loops. One channel of one image, stride 1 and no padding unless said otherwise.
"""

from __future__ import annotations

import numpy as np

from bplib.plot._cells import (
    PADDING_FILL,
    TITLE_ROOM,
    TITLE_ROOM_2,
    UNREACHED_FILL,
    as_matrix,
    draw_matrix,
    figure_title,
    format_number,
    hatch_cell,
    new_figure,
    outline,
    panel_layout,
    shade,
    tint,
    window_color,
)
from bplib.plot.windows import coverage, window_geometry

__all__ = [
    "plot_conv_sliding",
    "plot_conv_kernel_grad",
    "plot_conv_input_grad_full",
    "plot_conv_geometry",
    "plot_im2col",
]

_MAX_PANELS = 16  # more positions than this make panels too small to read
_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _indexed(name: str, i: int, j: int) -> str:
    """``c₀₁`` for small indices, ``c[12,3]`` otherwise."""
    if i < 10 and j < 10:
        return name + f"{i}{j}".translate(_SUBSCRIPT)
    return f"{name}[{i},{j}]"


def _span(first: int, size: int) -> str:
    """``−1…1``: the input rows (or columns) first … first + size − 1."""
    return f"{first}…{first + size - 1}".replace("-", "−")


def _positions(positions, shape, where: str) -> list[tuple[int, int]]:
    oh, ow = shape
    if positions is None:
        if oh * ow > _MAX_PANELS:
            raise ValueError(
                f"{where}: {oh * ow} positions would make {oh * ow} panels, more than "
                f"{_MAX_PANELS} (too small to read); pass positions=[(p, q), ...]."
            )
        return [(p, q) for p in range(oh) for q in range(ow)]
    out = [(int(p), int(q)) for p, q in positions]
    if not out or len(out) > _MAX_PANELS:
        raise ValueError(f"{where}: give 1 to {_MAX_PANELS} positions, got {len(out)}.")
    for p, q in out:
        if not (0 <= p < oh and 0 <= q < ow):
            raise ValueError(f"{where}: position {(p, q)} is outside the output {shape}.")
    return out


def _sliding(image, kernel, result, positions, *, image_fill=None, names, side, title,
             panel_columns=None, note=None):
    """The shared drawing of the three sliding figures.

    Panel k lays ``kernel`` on ``image`` at ``positions[k]``: the cells under it are tinted
    in colour k and show the kernel entry they meet as a small "×w"; its title gives the
    entry of ``result`` it makes. The side column draws ``side`` (a list of (matrix, title))
    and then ``result`` with the drawn positions tinted.

    names: (result symbol, image title, result title).
    """
    (h, w), (kh, kw) = image.shape, kernel.shape
    symbol, image_title, result_title = names
    n = len(positions)
    all_positions = n == result.size
    ncols = result.shape[1] if all_positions else (panel_columns or min(n, 3))
    nrows = -(-n // ncols)
    side_mats = [m for m, _ in side] + [result]
    fig, grid_axes, side_axes, cell = panel_layout(
        nrows, ncols, (h, w), [m.shape for m in side_mats], side_scale=1.15,
        bottom_room=0.35 if note else 0.08,
    )
    font = max(8.0, min(11.0, cell * 72 * 0.45))
    for k, (p, q) in enumerate(positions):
        ax = grid_axes[k]
        color = window_color(k)
        fill = [[image_fill[i][j] if image_fill is not None else None for j in range(w)]
                for i in range(h)]
        for i in range(kh):
            for j in range(kw):
                fill[p + i][q + j] = tint(color, 0.35)
        draw_matrix(ax, image, fill=fill, fontsize=font, xlabel=None, ylabel=None,
                    title=f"{_indexed(symbol, p, q)} = {format_number(result[p, q])}",
                    tick_fontsize=7.5)
        ax.title.set_color(shade(color))
        ax.title.set_fontweight("bold")
        outline(ax, p, q, kh, kw, color, lw=1.8)
        for i in range(kh):
            for j in range(kw):
                ax.text(q + j + 0.45, p + i + 0.45, "×" + format_number(kernel[i, j]),
                        ha="right", va="bottom", fontsize=max(7.0, font - 2.5),
                        color=shade(color, 0.15), zorder=6, gid="weight")
    for ax in grid_axes[n:]:
        ax.axis("off")
    # the side column: the kernel(s), then the result with the drawn positions tinted
    for ax, (m, label) in zip(side_axes, side, strict=False):
        draw_matrix(ax, m, title=label, fontsize=font, xlabel=None, ylabel=None)
    res_fill = [[None] * result.shape[1] for _ in range(result.shape[0])]
    for k, (p, q) in enumerate(positions):
        res_fill[p][q] = tint(window_color(k), 0.35)
    draw_matrix(side_axes[-1], result, title=result_title, fill=res_fill, fontsize=font,
                xlabel=None, ylabel=None)
    grid_axes[0].set_ylabel(f"{image_title}: row", fontsize=8)
    if note:
        fig.text(0.5, 0.08 / fig.get_figheight(), note, ha="center", va="bottom",
                 fontsize=8.5)
    figure_title(fig, title)
    return fig


def _check_valid(image, kernel, result, names, where):
    (h, w), (kh, kw) = image.shape, kernel.shape
    if kh > h or kw > w:
        raise ValueError(
            f"{where}: {names[1]} {kernel.shape} is larger than {names[0]} {image.shape}."
        )
    if result.shape != (h - kh + 1, w - kw + 1):
        raise ValueError(
            f"{where}: {names[2]} must have shape {(h - kh + 1, w - kw + 1)} (a valid "
            f"cross-correlation of {image.shape} with {kernel.shape}), got {result.shape}."
        )


def plot_conv_sliding(a, kernel, out, *, positions=None, title: str | None = None):
    """The kernel laid on each window of the input, and what each window makes.

    (book: eq-conv-forward) ``out[p, q] = Σ_{i,j} kernel[i, j] · a[p + i, q + j]``: panel
    (p, q) shows the input with the window at (p, q) tinted, each of its cells marked with
    the kernel entry it is multiplied by ("×w"), and ``out[p, q]`` in its title; the side
    column shows the kernel and the whole output. With every position drawn, the panels sit
    like the outputs they make (row p, column q).

    Args:
        a: (H, W) input.
        kernel: (KH, KW).
        out: (H − KH + 1, W − KW + 1) the valid cross-correlation (stride 1, no padding,
            no bias).
        positions: output positions to draw; default all of them (at most 16).
        title: the figure's title.

    Returns:
        the matplotlib ``Figure``.
    """
    where = "plot_conv_sliding"
    a, kernel = as_matrix(a, "a", where), as_matrix(kernel, "kernel", where)
    out = as_matrix(out, "out", where)
    _check_valid(a, kernel, out, ("a", "kernel", "out"), where)
    return _sliding(a, kernel, out, _positions(positions, out.shape, where),
                    names=("c", "input a", "c = a ⋆ k"),
                    side=[(kernel, "kernel k")], title=title)


def plot_conv_kernel_grad(a, dout, dk, *, title: str | None = None):
    """The kernel gradient: the upstream gradient slid over the input like a kernel.

    (book: eq-conv-grad-k) ``dk[i, j] = Σ_{p,q} dout[p, q] · a[p + i, q + j]``: entry (i, j)
    of the kernel met the input block that starts at (i, j) and has the output's shape, once
    per output; panel (i, j) tints that block, marks each of its cells with the upstream
    gradient of the output that used it ("×g"), and gives ``dk[i, j]`` in its title.

    Args:
        a: (H, W) input of the forward pass.
        dout: (OH, OW) upstream gradient ∂E/∂c.
        dk: (H − OH + 1, W − OW + 1) = (KH, KW) the kernel gradient.
        title: the figure's title.

    Returns:
        the matplotlib ``Figure``.
    """
    where = "plot_conv_kernel_grad"
    a, dout = as_matrix(a, "a", where), as_matrix(dout, "dout", where)
    dk = as_matrix(dk, "dk", where)
    _check_valid(a, dout, dk, ("a", "dout", "dk"), where)
    return _sliding(a, dout, dk, _positions(None, dk.shape, where),
                    names=("∂E/∂k", "input a", "∂E/∂k"),
                    side=[(dout, "upstream ∂E/∂c")], title=title)


def plot_conv_input_grad_full(dout, kernel, da, *, positions=None, title: str | None = None):
    """The input gradient as a full convolution: the rotated kernel on the padded dout.

    (book: eq-conv-grad-x-full) ``da = pad_{K−1}(dout) ⋆ rot180(kernel)``: the upstream
    gradient gets K − 1 rows and columns of zeros on every side (grey cells), the kernel is
    turned by 180°, and the rotated kernel slides over the padded array. Panel (i, j) shows
    it at (i, j), making ``da[i, j]``; the side column shows the kernel, its rotation and
    ``da``.

    Args:
        dout: (OH, OW) upstream gradient ∂E/∂c.
        kernel: (KH, KW) the kernel of the forward pass (not rotated).
        da: (OH + KH − 1, OW + KW − 1) the input gradient.
        positions: the (i, j) of ``da`` to draw; default all if there are at most 9,
            else four: the top-left corner, its neighbours, and the centre.
        title: the figure's title.

    Returns:
        the matplotlib ``Figure``.
    """
    where = "plot_conv_input_grad_full"
    dout, kernel = as_matrix(dout, "dout", where), as_matrix(kernel, "kernel", where)
    da = as_matrix(da, "da", where)
    (oh, ow), (kh, kw) = dout.shape, kernel.shape
    if da.shape != (oh + kh - 1, ow + kw - 1):
        raise ValueError(
            f"{where}: da must have the input's shape {(oh + kh - 1, ow + kw - 1)} "
            f"(OH + KH − 1, OW + KW − 1), got {da.shape}."
        )
    padded = np.pad(dout, ((kh - 1, kh - 1), (kw - 1, kw - 1)))
    fill = [[PADDING_FILL if not (kh - 1 <= i < kh - 1 + oh and kw - 1 <= j < kw - 1 + ow)
             else None for j in range(padded.shape[1])] for i in range(padded.shape[0])]
    pad = f"K − 1 = {kh - 1}" if kh == kw else f"{kh - 1} row(s) and {kw - 1} column(s)"
    if positions is None and da.size > 9:
        h, w = da.shape
        positions = [(0, 0), (0, 1), (1, 0), (h // 2, w // 2)]
    return _sliding(padded, kernel[::-1, ::-1], da, _positions(positions, da.shape, where),
                    image_fill=fill,
                    names=("∂E/∂a", "padded ∂E/∂c", "∂E/∂a"),
                    side=[(kernel, "kernel k"), (kernel[::-1, ::-1], "k rotated 180°")],
                    title=title, panel_columns=2,
                    note=f"grey: the zeros padded around ∂E/∂c, {pad} on each side")


def plot_conv_geometry(counts, kernel_size, stride=1, padding=0, *, title: str | None = None):
    """Which cells of the padded input each output reads, with a stride and a padding.

    (book: eq-conv-output-size) One small panel per output (p, q) shows the padded input,
    padding in grey, with the window of (p, q) framed; the last panel writes, in every cell,
    how many outputs read it (``counts``). Cells no window reaches, when the stride does not
    tile the padded input, are hatched: their count, and their gradient, is 0. Tick labels
    are input coordinates, so the padding rows are −P … −1 and H … H + P − 1.

    Args:
        counts: (H + 2P, W + 2P) how many windows contain each cell of the padded input
            (e.g. the input gradient of the padded input for a kernel of ones and an
            upstream gradient of ones); it must agree with the geometry.
        kernel_size: K or (KH, KW).
        stride: S or (SH, SW).
        padding: P or (PH, PW).
        title: the figure's title.

    Returns:
        the matplotlib ``Figure``.
    """
    where = "plot_conv_geometry"
    counts = as_matrix(counts, "counts", where)
    from bplib._validate import pair

    ph, pw = pair(padding, where=where, name="padding", allow_zero=True)
    h, w = counts.shape[0] - 2 * ph, counts.shape[1] - 2 * pw
    if h < 1 or w < 1:
        raise ValueError(f"{where}: counts {counts.shape} is smaller than the padding.")
    (kh, kw), (sh, sw), _, (oh, ow) = window_geometry((h, w), kernel_size, stride, padding,
                                                      where=where)
    expected = coverage((h, w), (kh, kw), (sh, sw), (ph, pw), where=where)
    if not np.array_equal(counts, expected):
        raise ValueError(
            f"{where}: counts do not match {kh}×{kw} windows with stride ({sh}, {sw}) and "
            f"padding ({ph}, {pw}) on a {h}×{w} input; the figure would lie."
        )
    if oh * ow > _MAX_PANELS:
        raise ValueError(
            f"{where}: {oh * ow} outputs would make {oh * ow} panels, more than "
            f"{_MAX_PANELS}; draw a smaller example."
        )
    hp, wp = counts.shape
    is_pad = np.ones((hp, wp), dtype=bool)
    is_pad[ph : ph + h, pw : pw + w] = False
    base = [[PADDING_FILL if is_pad[i, j] else (UNREACHED_FILL if counts[i, j] == 0 else None)
             for j in range(wp)] for i in range(hp)]
    row_labels = [str(i - ph).replace("-", "−") for i in range(hp)]
    col_labels = [str(j - pw).replace("-", "−") for j in range(wp)]

    fig, grid_axes, side_axes, cell = panel_layout(
        oh, ow, (hp, wp), [(hp, wp)], cell_max=0.3, side_scale=1.35,
        title_room=TITLE_ROOM_2, side_title_room=TITLE_ROOM + 0.15, bottom_room=0.35,
    )
    font = max(8.0, min(11.0, 1.35 * cell * 72 * 0.42))
    for p in range(oh):
        for q in range(ow):
            ax = grid_axes[p * ow + q]
            k = p * ow + q
            fill = [row[:] for row in base]
            for i in range(p * sh, p * sh + kh):
                for j in range(q * sw, q * sw + kw):
                    fill[i][j] = tint(window_color(k), 0.45 if is_pad[i, j] else 0.3)
            draw_matrix(ax, counts, fill=fill, show_values=False, xlabel=None, ylabel=None,
                        row_labels=row_labels, col_labels=col_labels, fontsize=8.5,
                        tick_fontsize=7.0,
                        title=f"output ({p}, {q})\nrows {_span(p * sh - ph, kh)}, "
                              f"columns {_span(q * sw - pw, kw)}")
            ax.title.set_color(shade(window_color(k)))
            outline(ax, p * sh, q * sw, kh, kw, window_color(k), lw=1.8)
            for i, j in np.argwhere((counts == 0) & ~is_pad):
                hatch_cell(ax, i, j)
    grid_axes[0].set_ylabel("row", fontsize=8)
    ax = side_axes[0]
    draw_matrix(ax, counts, fill=base, fontsize=font, row_labels=row_labels,
                col_labels=col_labels, title="outputs that read each cell", xlabel="column",
                ylabel="row")
    for i, j in np.argwhere((counts == 0) & ~is_pad):
        hatch_cell(ax, i, j)
    fig.text(0.5, 0.08 / fig.get_figheight(), "grey: padding (zeros)    hatched: input "
             "cells no window reaches (gradient 0)", ha="center", va="bottom", fontsize=8.5)
    figure_title(fig, title)
    return fig


def plot_im2col(x, cols, kernel, out, *, highlight=None, title: str | None = None):
    """im2col: every window becomes a column, and one matrix product makes every output.

    Laid out like a hand-written matrix product: the column matrix ``cols`` (one column per
    window, one row per offset (i, j) inside the window) at the top right, the kernel as a
    row on its left below, and their product, one number per window, under ``cols``;
    reshaped to (OH, OW) it is the convolution's output, on the right. The windows listed
    in ``highlight`` are tinted in the input, in their column and in the output.

    Args:
        x: (H, W) input (one channel; stride 1, no padding).
        cols: (KH·KW, OH·OW) the column matrix, ``im2col`` of x.
        kernel: (KH, KW).
        out: (OH, OW) the output, ``kernel.ravel() @ cols`` reshaped.
        highlight: window numbers k = p·OW + q to tint; default the first and the last.
        title: the figure's title.

    Returns:
        the matplotlib ``Figure``.
    """
    where = "plot_im2col"
    x, cols = as_matrix(x, "x", where), as_matrix(cols, "cols", where)
    kernel, out = as_matrix(kernel, "kernel", where), as_matrix(out, "out", where)
    _check_valid(x, kernel, out, ("x", "kernel", "out"), where)
    (h, w), (kh, kw), (oh, ow) = x.shape, kernel.shape, out.shape
    if cols.shape != (kh * kw, oh * ow):
        raise ValueError(
            f"{where}: cols must have shape (KH·KW, OH·OW) = {(kh * kw, oh * ow)}, got "
            f"{cols.shape}."
        )
    n_win = oh * ow
    highlight = sorted({0, n_win - 1}) if highlight is None else [int(k) for k in highlight]
    for k in highlight:
        if not 0 <= k < n_win:
            raise ValueError(f"{where}: highlight {k} is not a window number 0…{n_win - 1}.")
    color = {k: window_color(n) for n, k in enumerate(highlight)}

    # manual layout, in cells: [x | cols] over [kernel row | product row], then the output
    kk = kh * kw
    left_cols = max(w, kk)
    gap = 1.6
    total_w = left_cols + gap + n_win + gap + ow
    cell = min(0.42, 6.4 / total_w)
    font = max(7.5, min(11.0, cell * 72 * 0.42))
    top_rows = max(h, kk)
    total_h = 1.6 + top_rows + 2.6 + 1  # titles and labels above each row of panels
    fig = new_figure(total_w * cell + 0.9, total_h * cell + 0.7)
    fw, fh = fig.get_size_inches()

    def axes_at(col0, row0, ncols, nrows):
        # (col0, row0) in cells from the top-left corner of the drawing
        x0 = 0.55 + col0 * cell
        y0 = fh - 0.45 - (row0 + nrows) * cell
        return fig.add_axes((x0 / fw, y0 / fh, ncols * cell / fw, nrows * cell / fh))

    row_top = 1.6
    row_bottom = row_top + top_rows + 2.6
    x_fill = [[None] * w for _ in range(h)]
    ax_x = axes_at(left_cols - w, row_top + (top_rows - h), w, h)
    for k in highlight:
        p, q = divmod(k, ow)
        for i in range(kh):
            for j in range(kw):
                x_fill[p + i][q + j] = tint(color[k], 0.35)
    draw_matrix(ax_x, x, fill=x_fill, title="input x", fontsize=font, xlabel=None,
                ylabel="row")
    for k in highlight:
        p, q = divmod(k, ow)
        outline(ax_x, p, q, kh, kw, color[k], lw=2.0)

    ax_cols = axes_at(left_cols + gap, row_top + (top_rows - kk), n_win, kk)
    c_fill = [[tint(color[k], 0.35) if k in color else None for k in range(n_win)]
              for _ in range(kk)]
    draw_matrix(ax_cols, cols, fill=c_fill, fontsize=font, xlabel="window (p, q)",
                ylabel="offset (i, j)", title=f"X = im2col(x): {kk}×{n_win}, one column "
                f"per window", row_labels=[f"{i},{j}" for i in range(kh) for j in range(kw)],
                col_labels=[f"{p},{q}" for p in range(oh) for q in range(ow)],
                tick_fontsize=max(6.5, font - 3))

    ax_k = axes_at(left_cols - kk, row_bottom, kk, 1)
    draw_matrix(ax_k, kernel.reshape(1, kk), fontsize=font, xlabel=None, ylabel=None,
                title=f"kernel as a row: 1×{kk}",
                col_labels=[f"{i},{j}" for i in range(kh) for j in range(kw)],
                row_labels=[""], tick_fontsize=max(6.5, font - 3))
    ax_prod = axes_at(left_cols + gap, row_bottom, n_win, 1)
    draw_matrix(ax_prod, out.reshape(1, n_win), fill=[c_fill[0]], fontsize=font, xlabel=None,
                ylabel=None, row_labels=[""], title="kernel row · each column of X",
                col_labels=[f"{p},{q}" for p in range(oh) for q in range(ow)],
                tick_fontsize=max(6.5, font - 3))
    ax_out = axes_at(left_cols + gap + n_win + gap, row_bottom + 1 - oh, ow, oh)
    o_fill = [[None] * ow for _ in range(oh)]
    for k in highlight:
        p, q = divmod(k, ow)
        o_fill[p][q] = tint(color[k], 0.35)
    draw_matrix(ax_out, out, fill=o_fill, fontsize=font, xlabel=None, ylabel=None,
                title=f"reshaped {oh}×{ow}")
    fig.text((0.55 + (left_cols + gap + n_win + gap / 2) * cell) / fw,
             (fh - 0.45 - (row_bottom + 0.5) * cell) / fh, "→", ha="center", va="center",
             fontsize=font + 4)
    if title:
        fig.suptitle(title, fontsize=11.5)
    return fig
