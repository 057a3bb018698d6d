"""bplib.plot.draw_graph: one box per node with its value and gradient, one circle per
operation, inputs left of the output."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import bplib.plot.graph  # noqa: E402
from bplib.autodiff import Value, topological_order  # noqa: E402
from bplib.plot import draw_graph  # noqa: E402

pytestmark = pytest.mark.usefixtures("close_figures")


def node_texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts if t.get_gid() == "node"]


def op_texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts if t.get_gid() == "op"]


def log_xy():
    x, y = Value(2.0, "x"), Value(3.0, "y")
    v = x * y
    v.label = "v"
    w = v.log()
    w.label = "w"
    w.backward()
    return x, y, v, w


def test_exported():
    assert bplib.plot.graph.__all__ == ["draw_graph"]
    assert bplib.plot.draw_graph is draw_graph


def test_one_box_per_node_with_value_and_grad():
    x, y, v, w = log_xy()
    fig = draw_graph(w, title="z = log(xy)")
    assert isinstance(fig, Figure)
    texts = node_texts(fig)
    assert len(texts) == len(topological_order(w)) == 4
    assert "v = x · y\nvalue 6.0000\ngrad 0.1667" in texts
    assert "w = log v\nvalue 1.7918\ngrad 1.0000" in texts
    assert "x\nvalue 2.0000\ngrad 0.5000" in texts
    assert "y\nvalue 3.0000\ngrad 0.3333" in texts
    assert sorted(op_texts(fig)) == ["log", "×"]
    assert fig.axes[0].get_title() == "z = log(xy)"


def test_inputs_left_output_right():
    x, y, v, w = log_xy()
    fig = draw_graph(w)
    pos = {t.get_text().split("\n")[0]: t.get_position() for t in fig.axes[0].texts
           if t.get_gid() == "node"}  # fmt: skip
    assert pos["x"][0] == pos["y"][0] < pos["v = x · y"][0] < pos["w = log v"][0]
    assert pos["x"][1] != pos["y"][1]  # not on top of each other


@pytest.mark.parametrize("n_inputs", [1, 2, 5])
def test_every_node_drawn_for_a_neuron(n_inputs):
    xs = [Value(0.1 * (i + 1), f"x{i}") for i in range(n_inputs)]
    ws = [Value(-0.2 * (i + 1), f"w{i}") for i in range(n_inputs)]
    s = xs[0] * ws[0]
    for x, w in zip(xs[1:], ws[1:], strict=True):
        s = s + x * w
    out = (s + Value(0.5, "b")).tanh()
    out.backward()
    fig = draw_graph(out)
    texts = node_texts(fig)
    order = topological_order(out)
    assert len(texts) == len(order)
    for node in order:  # each node's value and gradient are printed in some box
        assert any(f"value {node.data:.4f}\ngrad {node.grad:.4f}" in t for t in texts)
    assert len(op_texts(fig)) == sum(1 for n in order if n.parents)
    positions = {t.get_position() for ax in fig.axes for t in ax.texts if t.get_gid() == "node"}
    assert len(positions) == len(order)  # no two boxes at the same place


def test_node_used_twice_and_constants():
    x = Value(1.5, "x")
    r = x * x + 2 * x
    r.backward()
    fig = draw_graph(r)
    texts = node_texts(fig)
    assert len(texts) == len(topological_order(r)) == 5  # x, 2, x·x, 2·x, r
    assert "x\nvalue 1.5000\ngrad 5.0000" in texts
    assert any(t.startswith("x · x\n") for t in texts)
    assert any(t.startswith("2 · x\n") for t in texts)  # a constant is written by its value


def test_draws_into_a_given_axes_before_backward():
    fig, ax = plt.subplots()
    x = Value(-1.0)
    out = draw_graph(x.relu(), ax=ax)
    assert out is fig
    assert [t for t in node_texts(fig) if t.endswith("grad 0.0000")]  # no backward yet
    assert op_texts(fig) == ["relu"]


def test_single_leaf():
    fig = draw_graph(Value(3.0, "a"))
    assert node_texts(fig) == ["a\nvalue 3.0000\ngrad 0.0000"]


def test_large_values_and_long_formulas():
    a = Value(12345.678, "alpha_long_name")
    b = Value(2.0, "beta_long_name")
    c = a * b
    c.backward()
    texts = node_texts(draw_graph(c))
    assert "value 2.469e+04" in texts[-1] or any("value 2.469e+04" in t for t in texts)
    assert all(len(line) <= 24 for t in texts for line in t.split("\n"))


def test_bad_input():
    with pytest.raises(TypeError, match="draw_graph: expected a bplib.autodiff.Value, got float"):
        draw_graph(1.0)
    x = Value(1.0)
    y = x
    for _ in range(45):
        y = y + x
    with pytest.raises(ValueError, match=r"draw_graph: the graph has 46 nodes, more than"):
        draw_graph(y)
    assert isinstance(draw_graph(y, max_nodes=100), Figure)
