"""Figures of chapter 11: the graph of a small :class:`bplib.tensor.Tensor` expression, and the
sum that undoes a broadcast. matplotlib only.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyBboxPatch, Rectangle

from bplib.tensor import Tensor, topological_order

__all__ = ["draw_broadcast_sum", "draw_tensor_graph"]

_ELEMENTWISE = {"+", "-", "*", "/", "**"}
_FILL = {"input": "#dbe9f6", "op": "#fdf3d8", "output": "#d9f0d3"}


def _summed_axes(parent: Tensor, node: Tensor) -> str:
    """How the gradient of a broadcast operand is summed back, e.g. "Σ axis 0"."""
    added = node.ndim - parent.ndim
    axes = list(range(added)) + [added + i for i, n in enumerate(parent.shape)
                                 if n == 1 and node.shape[added + i] != 1]
    return "Σ axis " + ", ".join(str(a) for a in axes)


def draw_tensor_graph(root: Tensor, *, title: str | None = None, max_nodes: int = 16):
    """Draw the graph behind ``root``: one box per tensor with its name (label, or the
    operation that made it) and its shape, inputs on the left.

    An edge from an operand that the operation *broadcast* is drawn in red and says which axes
    ``backward`` sums its gradient over (book: eq-broadcast-grad). Call it before
    ``root.backward()`` (which frees the graph) or after ``backward(retain_graph=True)``.

    Returns:
        the matplotlib Figure.
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"draw_tensor_graph: expected a Tensor, got {type(root).__name__}")
    order = topological_order(root)
    if len(order) > max_nodes:
        raise ValueError(f"draw_tensor_graph: {len(order)} nodes is more than max_nodes="
                         f"{max_nodes}; the drawing would be unreadable.")
    col: dict[int, int] = {}
    for node in order:
        col[id(node)] = 1 + max((col[id(p)] for p in node.parents if id(p) in col), default=-1)
    for node in order:  # an input sits just left of its first user
        users = [col[id(n)] for n in order if any(p is node for p in n.parents)]
        if not node.parents and users:
            col[id(node)] = min(users) - 1
    by_col: dict[int, list[Tensor]] = {}
    for node in order:
        by_col.setdefault(col[id(node)], []).append(node)
    y = {id(n): -i * 1.3 + (len(nodes) - 1) * 0.65 for nodes in by_col.values()
         for i, n in enumerate(nodes)}
    box_w, box_h, pitch = 2.3, 0.85, 3.6
    x = {k: c * pitch for k, c in col.items()}
    width = (max(x.values()) - min(x.values())) + box_w + 0.6
    height = (max(y.values()) - min(y.values())) + box_h + 1.0
    fig, ax = plt.subplots(figsize=(0.85 * width, 0.85 * height + 0.4))
    for node in order:
        k = id(node)
        kind = "output" if node is root else ("op" if node.parents else "input")
        ax.add_patch(FancyBboxPatch((x[k] - box_w / 2, y[k] - box_h / 2), box_w, box_h,
                                    boxstyle="round,pad=0,rounding_size=0.1",
                                    facecolor=_FILL[kind], edgecolor="black", lw=0.8, zorder=2))
        name = node.label or node.op
        ax.text(x[k], y[k], f"{name}\n{node.shape}", ha="center", va="center", fontsize=9,
                family="monospace", zorder=3)
        for parent in node.parents:
            p = id(parent)
            if p not in x:  # a constant: not drawn
                continue
            broadcast = node.op in _ELEMENTWISE and parent.shape != node.shape
            colour = "#c0392b" if broadcast else "0.3"
            ax.annotate("", xy=(x[k] - box_w / 2, y[k]), xytext=(x[p] + box_w / 2, y[p]),
                        arrowprops={"arrowstyle": "-|>", "lw": 1.4 if broadcast else 0.8,
                                    "color": colour, "shrinkA": 0, "shrinkB": 0}, zorder=1)
            if broadcast:
                mx, my = (x[k] - box_w / 2 + x[p] + box_w / 2) / 2, (y[k] + y[p]) / 2
                ax.text(mx, my + 0.22, _summed_axes(parent, node), color=colour, fontsize=8.5,
                        ha="center", va="bottom", zorder=3,
                        bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    ax.set_xlim(min(x.values()) - box_w / 2 - 0.3, max(x.values()) + box_w / 2 + 0.3)
    ax.set_ylim(min(y.values()) - box_h / 2 - 0.5, max(y.values()) + box_h / 2 + 0.5)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return fig


def _grid(ax, values, x0, y0, *, fill, cell=1.0, fmt="{:.0f}"):
    """Draw a matrix of numbers with its top-left corner at (x0, y0)."""
    values = np.atleast_2d(values)
    for (i, j), v in np.ndenumerate(values):
        ax.add_patch(Rectangle((x0 + j * cell, y0 - (i + 1) * cell), cell, cell,
                               facecolor=fill, edgecolor="black", lw=0.8))
        ax.text(x0 + (j + 0.5) * cell, y0 - (i + 0.5) * cell, fmt.format(v), ha="center",
                va="center", fontsize=10)


def draw_broadcast_sum(b: np.ndarray, upstream: np.ndarray, *, title: str | None = None):
    """The broadcast of a row ``b`` (M,) over N rows, and the sum that is its backward pass.

    Left: ``z = x + b`` uses b once per row (the copies). Right: the gradient of b is the sum
    of the N rows of ``upstream`` = ∂L/∂z (book: eq-broadcast-grad).

    Args:
        b: (M,) the broadcast operand.
        upstream: (N, M) the upstream gradient ∂L/∂z.

    Returns:
        the matplotlib Figure.
    """
    b, upstream = np.asarray(b), np.asarray(upstream)
    if b.ndim != 1 or upstream.ndim != 2 or upstream.shape[1] != b.shape[0]:
        raise ValueError(f"draw_broadcast_sum: b must be (M,) and upstream (N, M), got "
                         f"{b.shape} and {upstream.shape}.")
    n, m = upstream.shape
    fig, axes = plt.subplots(1, 2, figsize=(8.4, 0.55 * (n + 4) + 0.6))
    left, right = axes
    # forward: b copied into every row
    _grid(left, b[None, :], 0, n + 2.5, fill="#d9f0d3")
    left.text(m + 0.3, n + 2.0, "b  (M,)", va="center", fontsize=10)
    _grid(left, np.tile(b, (n, 1)), 0, n, fill="#eef7ea")
    left.text(m + 0.3, n / 2, f"b as used by\nz = x + b  ({n}, {m})", va="center", fontsize=10)
    for j in range(m):
        left.annotate("", xy=(j + 0.5, n + 0.05), xytext=(j + 0.5, n + 1.45),
                      arrowprops={"arrowstyle": "-|>", "color": "0.35"})
    left.set_title("forward: each b_j is copied to every row")
    # backward: the rows of the upstream gradient add up
    _grid(right, upstream, 0, n + 2.5, fill="#fdf3d8", fmt="{:g}")
    right.text(m + 0.3, n / 2 + 2.5, f"∂L/∂z  ({n}, {m})", va="center", fontsize=10)
    _grid(right, upstream.sum(axis=0)[None, :], 0, 1.0, fill="#f6d5c9", fmt="{:g}")
    right.text(m + 0.3, 0.5, "∂L/∂b  (M,)", va="center", fontsize=10)
    for j in range(m):
        right.annotate("", xy=(j + 0.5, 1.05), xytext=(j + 0.5, 2.45),
                       arrowprops={"arrowstyle": "-|>", "color": "#c0392b"})
    right.text(-0.4, 1.75, "Σ", color="#c0392b", fontsize=14, ha="right", va="center")
    right.set_title("backward: the copies' gradients add up")
    for ax in axes:
        ax.set_xlim(-0.9, m + 3.6)
        ax.set_ylim(-0.3, n + 2.8)
        ax.set_aspect("equal")
        ax.axis("off")
    if title:
        fig.suptitle(title)
    return fig
