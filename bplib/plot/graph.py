"""Drawing the computational graph of a :class:`bplib.autodiff.Value` (chapter 1).

matplotlib only (no graphviz): the nodes are laid out in columns by depth, inputs on the left
and the output on the right. Each node is a box with its name, value and gradient; each
operation is a small circle on the way into the node it produces.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import Circle, FancyBboxPatch

from bplib.autodiff import Value, topological_order

__all__ = ["draw_graph"]

_SYMBOL = {"+": "+", "-": "−", "*": "×", "/": "÷", "neg": "−", "log": "log", "exp": "exp",
           "tanh": "tanh", "relu": "relu"}  # fmt: skip
_INFIX = {"+": "+", "-": "−", "*": "·", "/": "/"}
_FILL = {"input": "#dbe9f6", "op": "#fdf3d8", "output": "#d9f0d3"}

_UNIT = 0.75  # inches per data unit of the drawing
_ROW = 1.35  # vertical distance between two nodes of a column
_BOX_H = 0.95
_CHAR_W = 0.105  # width of one character at the font size below, in data units
_FONT = 8.5
_OP_R = 0.24  # radius of an operation's circle


def _fmt(v: float) -> str:
    return f"{v:.4f}" if abs(v) < 1e4 else f"{v:.4g}"


def _short_name(node: Value) -> str | None:
    """How a node is written inside another node's formula: its label, or a constant's value."""
    if node.label:
        return node.label
    if not node.parents:
        return f"{node.data:g}"
    return None


def _title_line(node: Value) -> str:
    """``"v = x · y"`` when the parents have names, else the label, else the operation."""
    names = [_short_name(p) for p in node.parents]
    expr = None
    if node.parents and all(names):
        if node.op in _INFIX and len(names) == 2:
            expr = f"{names[0]} {_INFIX[node.op]} {names[1]}"
        elif node.op == "neg":
            expr = f"−{names[0]}"
        elif node.op.startswith("**"):
            expr = f"{names[0]}^{node.op[2:]}"
        else:
            expr = f"{node.op} {names[0]}"
    if node.label and expr and len(node.label) + len(expr) <= 20:
        return f"{node.label} = {expr}"
    return node.label or (expr if expr and len(expr) <= 20 else node.op)


def _columns(order: list[Value]) -> dict[int, int]:
    """Column of each node (keyed by id): the longest path from an input; then each input or
    constant moves right, next to the first node that uses it."""
    col: dict[int, int] = {}
    for node in order:  # parents before children
        col[id(node)] = 1 + max((col[id(p)] for p in node.parents), default=-1)
    users: dict[int, list[int]] = {}
    for node in order:
        for p in node.parents:
            users.setdefault(id(p), []).append(col[id(node)])
    for node in order:
        if not node.parents and id(node) in users:
            col[id(node)] = min(users[id(node)]) - 1
    return col


def _rows(order: list[Value], col: dict[int, int]) -> dict[int, float]:
    """Height of each node: the columns are ordered by the mean height of each node's
    neighbours (a few barycentre sweeps), which keeps the edges from crossing on small graphs."""
    by_col: dict[int, list[Value]] = {}
    for node in order:
        by_col.setdefault(col[id(node)], []).append(node)
    users: dict[int, list[Value]] = {}
    for node in order:
        for p in node.parents:
            users.setdefault(id(p), []).append(node)

    y: dict[int, float] = {}

    def place(c: int) -> None:
        nodes = by_col[c]
        for i, node in enumerate(nodes):
            y[id(node)] = ((len(nodes) - 1) / 2 - i) * _ROW

    for c in by_col:
        place(c)
    for _ in range(4):
        for cols, neighbours in (
            (sorted(by_col), lambda n: n.parents or users.get(id(n), [])),
            (sorted(by_col, reverse=True), lambda n: users.get(id(n), []) or n.parents),
        ):
            for c in cols:

                def key(n, neighbours=neighbours):
                    near = neighbours(n)
                    return -sum(y[id(m)] for m in near) / len(near) if near else 0.0

                by_col[c].sort(key=key)
                place(c)
    return y


def draw_graph(root: Value, *, ax=None, title: str | None = None, max_nodes: int = 40):
    """Draw the computational graph that ends at ``root``, with every node's value and gradient.

    Inputs are on the left, ``root`` on the right. A node's box shows its name (``label``, or
    its formula when its parents have names), ``value`` (``.data``) and ``grad`` (``.grad``:
    call ``root.backward()`` first to see ∂root/∂node). Operations are small circles on the
    edges into the node they produce. Readable up to about 15 nodes.

    Args:
        root: the output Value.
        ax: a matplotlib Axes to draw into; a new figure is made if None.
        title: the figure's title.
        max_nodes: larger graphs raise ValueError (they would be unreadable).

    Returns:
        the matplotlib Figure.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_graph: expected a bplib.autodiff.Value, got {type(root).__name__}")
    order = topological_order(root)
    if len(order) > max_nodes:
        raise ValueError(
            f"draw_graph: the graph has {len(order)} nodes, more than max_nodes={max_nodes}; "
            f"a drawing that large is unreadable (raise max_nodes to draw it anyway)"
        )
    texts = {id(n): f"{_title_line(n)}\nvalue {_fmt(n.data)}\ngrad {_fmt(n.grad)}" for n in order}
    box_w = _CHAR_W * max(len(line) for t in texts.values() for line in t.split("\n")) + 0.5
    pitch = box_w + 1.6  # column spacing: a box, then room for the edge and the op circle
    col = _columns(order)
    y = _rows(order, col)
    x = {k: c * pitch for k, c in col.items()}

    xs, ys = list(x.values()), list(y.values())
    x0, x1 = min(xs) - box_w / 2 - 0.2, max(xs) + box_w / 2 + 0.2
    bent = any(col[id(n)] - col[id(p)] > 1 for n in order for p in n.parents)
    margin = 1.0 if bent else 0.3  # room for the edges that bend over boxes
    y0, y1 = min(ys) - _BOX_H / 2 - margin, max(ys) + _BOX_H / 2 + margin
    if ax is None:
        height = (y1 - y0) * _UNIT + (0.4 if title else 0.0)
        fig, ax = plt.subplots(figsize=((x1 - x0) * _UNIT, height))
        fig.subplots_adjust(left=0, right=1, bottom=0, top=1 - 0.4 / height if title else 1)
    else:
        fig = ax.figure

    for node in order:
        k = id(node)
        kind = "output" if node is root else ("op" if node.parents else "input")
        box = FancyBboxPatch(
            (x[k] - box_w / 2, y[k] - _BOX_H / 2),
            box_w,
            _BOX_H,
            boxstyle="round,pad=0,rounding_size=0.12",
            facecolor=_FILL[kind],
            edgecolor="black",
            linewidth=1.6 if node is root else 0.8,
            zorder=2,
        )
        ax.add_patch(box)
        ax.text(
            x[k],
            y[k],
            texts[k],
            ha="center",
            va="center",
            fontsize=_FONT,
            family="monospace",
            zorder=3,
            gid="node",
        )
        if not node.parents:
            continue
        # the operation's circle sits just left of the box it produces
        ox, oy = x[k] - box_w / 2 - 0.55, y[k]
        ax.add_patch(
            Circle((ox, oy), _OP_R, facecolor="white", edgecolor="black", lw=0.8, zorder=2)
        )
        symbol = _SYMBOL.get(node.op, "^" + node.op[2:] if node.op.startswith("**") else node.op)
        size = _FONT if len(symbol) <= 2 else _FONT - 2.5
        ax.text(ox, oy, symbol, ha="center", va="center", fontsize=size, zorder=3, gid="op")
        ax.annotate(
            "",
            xy=(x[k] - box_w / 2, y[k]),
            xytext=(ox + _OP_R, oy),
            arrowprops={
                "arrowstyle": "-|>",
                "lw": 0.8,
                "color": "black",
                "shrinkA": 0,
                "shrinkB": 0,
            },
            zorder=1,
        )
        for i, parent in enumerate(node.parents):
            p = id(parent)
            start = (x[p] + box_w / 2, y[p])
            if node.parents.count(parent) > 1:  # x * x: two arrows, bent apart
                rad = 0.25 if i == 0 else -0.25
            elif col[k] - col[p] > 1:  # a long edge bends over the boxes between
                rad = -0.3 if y[p] >= oy else 0.3
            else:
                rad = 0.0
            # end on the circle's rim, arriving from the curve's control point
            dx, dy = ox - start[0], oy - start[1]
            cx, cy = (start[0] + ox) / 2 + rad * dy, (start[1] + oy) / 2 - rad * dx
            ux, uy = ox - cx, oy - cy
            norm = max((ux * ux + uy * uy) ** 0.5, 1e-9)
            ax.annotate(
                "",
                xy=(ox - _OP_R * ux / norm, oy - _OP_R * uy / norm),
                xytext=start,
                arrowprops={
                    "arrowstyle": "-|>",
                    "lw": 0.8,
                    "color": "0.25",
                    "shrinkA": 0,
                    "shrinkB": 0,
                    "connectionstyle": f"arc3,rad={rad}",
                },
                zorder=1,
            )

    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return fig
