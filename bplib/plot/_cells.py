"""Drawing small matrices with their numbers in the cells (private helpers of bplib.plot).

The figures of chapters 8 and 9 are made of small grids: an image, a kernel, an upstream
gradient, each cell showing its number. One Axes draws one matrix, cell (i, j) centred at
x = j, y = i (row 0 on top), so that every panel reads like the printed array. The number of a
cell is a Text with gid ``"value"``; tests read them back from ``ax.texts``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import PatchCollection
from matplotlib.colors import to_rgb
from matplotlib.patches import Rectangle

# Window colours: Okabe–Ito (distinguishable with the common colour-vision deficiencies)
# without its yellow, too pale for text on white, then four of Paul Tol's muted colours.
WINDOW_COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
                 "#882255", "#332288", "#999933", "#117733"]  # fmt: skip
PADDING_FILL = "#d9d9d9"
UNREACHED_FILL = "#f4cccc"
GRID_EDGE = "0.55"


def window_color(k: int) -> str:
    """The colour of window number k (row-major over the output positions)."""
    return WINDOW_COLORS[k % len(WINDOW_COLORS)]


def shade(color, amount: float = 0.3) -> tuple[float, float, float]:
    """A darker version of ``color`` (mixed with black), for coloured text on white."""
    r, g, b = to_rgb(color)
    return (r * (1 - amount), g * (1 - amount), b * (1 - amount))


def tint(color, amount: float = 0.28) -> tuple[float, float, float]:
    """A light version of ``color`` (mixed with white), for cell backgrounds under black text."""
    r, g, b = to_rgb(color)
    return (1 - amount * (1 - r), 1 - amount * (1 - g), 1 - amount * (1 - b))


def format_number(v: float, digits: int = 3) -> str:
    """How a number is written in a cell: integers as integers, others with ``digits``
    significant digits; a typographic minus; never "-0"."""
    v = float(v)
    if v == 0 or abs(v) < 10.0 ** (-digits - 3):
        return "0"
    if v == round(v) and abs(v) < 1e6:
        text = str(int(round(v)))
    else:
        text = f"{v:.{digits}g}"
    return text.replace("-", "−")


def as_matrix(value, name: str, where: str) -> np.ndarray:
    """A finite 2-d float array, or a ValueError naming the function and the argument."""
    try:
        m = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{where}: {name} must be a 2-d array of numbers ({exc}).") from None
    if m.ndim != 2 or m.size == 0:
        raise ValueError(
            f"{where}: {name} must be a non-empty 2-d array (one channel of one image), "
            f"got shape {m.shape}."
        )
    if not np.all(np.isfinite(m)):
        raise ValueError(f"{where}: {name} holds NaN or infinite values.")
    return m


def new_figure(width: float, height: float):
    """A figure with an opaque white background (readable in the book's dark mode too)."""
    fig = plt.figure(figsize=(width, height), facecolor="white")
    return fig


def draw_matrix(
    ax,
    m: np.ndarray,
    *,
    title: str | None = None,
    fill=None,
    fontsize: float = 10.0,
    xlabel: str | None = "column",
    ylabel: str | None = "row",
    show_values=True,
    row_labels=None,
    col_labels=None,
    tick_fontsize: float | None = None,
    value_color=None,
):
    """Draw ``m`` into ``ax``: one square per cell, its number in the middle.

    Args:
        ax: the Axes (it is cleared of ticks and spines; its limits fit the matrix).
        m: (R, C) numbers.
        title, xlabel, ylabel: the panel's title and axis labels (None: none).
        fill: None (white), or an (R, C) array-like of colours, None meaning white.
        fontsize: of the numbers.
        show_values: True, or an (R, C) bool mask of the cells whose number is written.
        row_labels, col_labels: tick labels (default: the indices 0, 1, ...).
        tick_fontsize: of the tick labels (default: a little smaller than the numbers).
        value_color: None (black), or an (R, C) array-like of text colours.
    """
    rows, cols = m.shape
    shown = np.broadcast_to(np.asarray(show_values, dtype=bool), m.shape)
    # one collection for the cells' squares: far faster than one patch per cell
    squares = [Rectangle((j - 0.5, i - 0.5), 1, 1) for i in range(rows) for j in range(cols)]
    faces = ["white" if fill is None or fill[i][j] is None else fill[i][j]
             for i in range(rows) for j in range(cols)]
    ax.add_collection(PatchCollection(squares, facecolors=faces, edgecolors=GRID_EDGE,
                                      linewidths=0.6, zorder=1, clip_on=False), autolim=False)
    for (i, j), v in np.ndenumerate(m):
        if shown[i, j]:
            color = "black" if value_color is None else value_color[i][j]
            ax.text(j, i, format_number(v), ha="center", va="center", fontsize=fontsize,
                    color=color, zorder=4, gid="value")
    ax.set_xlim(-0.5, cols - 0.5)
    ax.set_ylim(rows - 0.5, -0.5)
    ax.set_aspect("equal")
    tick_fontsize = tick_fontsize or max(6.5, fontsize - 2)
    label_fontsize = max(8.0, tick_fontsize)
    ax.set_xticks(range(cols), col_labels if col_labels is not None else range(cols),
                  fontsize=tick_fontsize)
    ax.set_yticks(range(rows), row_labels if row_labels is not None else range(rows),
                  fontsize=tick_fontsize)
    ax.tick_params(length=0, pad=2)
    ax.xaxis.set_ticks_position("top")
    ax.xaxis.set_label_position("top")
    for spine in ax.spines.values():
        spine.set_visible(False)
    if xlabel:
        ax.set_xlabel(xlabel, fontsize=label_fontsize, labelpad=2)
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=label_fontsize, labelpad=2)
    if title:
        ax.set_title(title, fontsize=fontsize, pad=4)


def outline(ax, row: int, col: int, height: int, width: int, color, lw: float = 2.2,
            **kwargs) -> None:
    """A frame around the block of cells rows ``row…row+height−1``, cols ``col…col+width−1``."""
    kwargs.setdefault("clip_on", False)  # a frame on the border is drawn whole
    ax.add_artist(Rectangle((col - 0.5, row - 0.5), width, height, fill=False, edgecolor=color,
                            linewidth=lw, zorder=5, **kwargs))


def hatch_cell(ax, i: int, j: int, color="#d98c8c") -> None:
    """Diagonal hatching over cell (i, j): a cell that no window reaches."""
    ax.add_artist(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="//", edgecolor=color,
                           linewidth=0, zorder=2))


def values_of(ax) -> dict[tuple[int, int], str]:
    """{(row, col): text} of the numbers drawn in ``ax`` (for tests and checks)."""
    out = {}
    for t in ax.texts:
        if t.get_gid() == "value":
            x, y = t.get_position()
            out[(int(round(y)), int(round(x)))] = t.get_text()
    return out


# Spacing of the panel layouts, in inches.
TITLE_ROOM = 0.42  # above a panel: its title and the column indices
TITLE_ROOM_2 = 0.6  # the same for a two-line title
LEFT_ROOM = 0.2  # left of a panel: the row indices
LABEL_ROOM = 0.2  # left of the first column: an axis label
GAP_X, GAP_Y = 0.16, 0.08  # between panels
SIDE_GAP = 0.3  # between the grid of panels and the side column
SUPTITLE_ROOM = 0.45


def panel_layout(n_rows, n_cols, panel_shape, side_shapes, *, width=6.8, cell_max=0.42,
                 side_scale=1.0, title_room=TITLE_ROOM, side_title_room=TITLE_ROOM,
                 bottom_room=0.08, suptitle=True):
    """A figure with a grid of equal panels on the left and a column of panels on the right,
    placed in inches so that every cell is square and the gaps are small.

    Args:
        n_rows, n_cols: the grid of panels.
        panel_shape: (rows, cols) of cells of each panel of the grid.
        side_shapes: (rows, cols) of each panel of the side column, top to bottom.
        width: the figure's width in inches (about the page's column at 100 dpi).
        cell_max: the largest cell, in inches.
        side_scale: cells of the side column are this much larger.
        title_room, side_title_room: room above each panel for its title and indices.
        bottom_room: room under everything (for a note).
        suptitle: leave room for the figure's title.

    Returns:
        ``(fig, grid_axes, side_axes, cell)``: grid_axes row-major; cell in inches.
    """
    ph, pw = panel_shape
    side_cols = max((c for _, c in side_shapes), default=0)
    fixed = 0.1 + LABEL_ROOM + n_cols * LEFT_ROOM + (n_cols - 1) * GAP_X + 0.1
    if side_shapes:
        fixed += SIDE_GAP + LEFT_ROOM
    cell = min(cell_max, (width - fixed) / (n_cols * pw + side_scale * side_cols))
    side_cell = side_scale * cell
    grid_h = n_rows * (title_room + ph * cell) + (n_rows - 1) * GAP_Y
    side_h = sum(side_title_room + r * side_cell for r, _ in side_shapes)
    side_h += GAP_Y * max(0, len(side_shapes) - 1)
    top = SUPTITLE_ROOM if suptitle else 0.05
    height = top + max(grid_h, side_h) + bottom_room
    fig_w = fixed + (n_cols * pw + side_scale * side_cols) * cell
    fig = new_figure(fig_w, height)

    def add(left, top_in, w_in, h_in):
        return fig.add_axes((left / fig_w, 1 - (top_in + h_in) / height, w_in / fig_w,
                             h_in / height))

    y0 = top + max(0.0, (side_h - grid_h) / 2)
    grid_axes = []
    for r in range(n_rows):
        for c in range(n_cols):
            left = 0.1 + LABEL_ROOM + LEFT_ROOM + c * (pw * cell + GAP_X + LEFT_ROOM)
            y = y0 + r * (title_room + ph * cell + GAP_Y) + title_room
            grid_axes.append(add(left, y, pw * cell, ph * cell))
    side_axes = []
    x_side = 0.1 + LABEL_ROOM + n_cols * (pw * cell + LEFT_ROOM) + (n_cols - 1) * GAP_X
    x_side += SIDE_GAP + LEFT_ROOM
    y = top + max(0.0, (grid_h - side_h) / 2)
    for r, c in side_shapes:
        y += side_title_room
        side_axes.append(add(x_side, y, c * side_cell, r * side_cell))
        y += r * side_cell + GAP_Y
    return fig, grid_axes, side_axes, cell


def figure_title(fig, title: str | None) -> None:
    """The figure's title, at the top of the room :func:`panel_layout` left for it."""
    if title:
        fig.suptitle(title, fontsize=11.5, y=1 - 0.08 / fig.get_figheight(), va="top")
