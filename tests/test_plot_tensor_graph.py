"""The figures of chapter 11: a Tensor graph with its broadcast edge marked, and the sum that
undoes a broadcast; bad input refused."""

from __future__ import annotations

import numpy as np
import pytest

from bplib.plot import draw_broadcast_sum, draw_tensor_graph
from bplib.tensor import Tensor


def _layer():
    x = Tensor(np.ones((2, 3)), requires_grad=True, label="x")
    W = Tensor(np.ones((4, 3)), requires_grad=True, label="W")
    b = Tensor(np.ones(4), requires_grad=True, label="b")
    return ((x @ W.T + b).relu()).sum()


def test_the_graph_marks_the_broadcast_operand(close_figures):
    fig = draw_tensor_graph(_layer(), title="a layer")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "Σ axis 0" in texts  # b (4,) was broadcast over the 2 rows
    assert any(t.startswith("x\n(2, 3)") for t in texts)
    assert sum("\n(" in t for t in texts) == 8  # x, W, transpose, @, b, +, relu, sum


def test_the_graph_refuses_what_it_cannot_draw(close_figures):
    with pytest.raises(TypeError, match="draw_tensor_graph: expected a Tensor"):
        draw_tensor_graph(np.ones(3))
    y = Tensor(np.ones(2), requires_grad=True)
    for _ in range(20):
        y = y * 2.0
    with pytest.raises(ValueError, match="max_nodes"):
        draw_tensor_graph(y)


def test_the_broadcast_figure_shows_the_column_sums(close_figures):
    g = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    fig = draw_broadcast_sum(np.array([1.0, 2.0]), g, title="t")
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "9" in texts and "12" in texts  # the sums of the two columns
    with pytest.raises(ValueError, match="draw_broadcast_sum: b must be"):
        draw_broadcast_sum(np.ones(3), g)
