"""bplib.plot's pooling figures: every number drawn is one of the arrays given, in its cell;
every panel is titled; the shares must add up; odd shapes draw without error."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

import bplib.plot
from bplib.layers.pooling import (
    avgpool2d_backward_naive,
    avgpool2d_forward_naive,
    maxpool2d_backward_naive,
    maxpool2d_forward_naive,
)
from bplib.plot import plot_pool_routes, plot_window_shares, split_by_output
from bplib.plot._cells import format_number, values_of

pytestmark = pytest.mark.usefixtures("close_figures")


def drawn(m: np.ndarray) -> dict[tuple[int, int], str]:
    return {(i, j): format_number(v) for (i, j), v in np.ndenumerate(np.asarray(m))}


def pool_arrays(x, kernel, stride, mode, rng):
    """x, out, dout, dx of one channel, from bplib's naive loops."""
    x4 = x[None, None]
    if mode == "avg":
        out = avgpool2d_forward_naive(x4, kernel, stride)
        dout = np.round(rng.standard_normal(out.shape), 2)
        dx = avgpool2d_backward_naive(dout, x4.shape, kernel, stride)
    else:
        out = maxpool2d_forward_naive(x4, kernel, stride)
        dout = np.round(rng.standard_normal(out.shape), 2)
        dx = maxpool2d_backward_naive(dout, x4, kernel, stride)
    return x, out[0, 0], dout[0, 0], dx[0, 0]


def test_exported():
    for name in ("plot_pool_routes", "plot_window_shares", "split_by_output"):
        assert getattr(bplib.plot, name) is globals()[name]


def test_format_number():
    assert format_number(3.0) == "3"
    assert format_number(-2.0) == "−2"
    assert format_number(-0.0) == "0"
    assert format_number(2.5) == "2.5"
    assert format_number(1 / 9) == "0.111"
    assert format_number(-1e-20) == "0"


@pytest.mark.parametrize("mode", ["avg", "max"])
def test_routes_draw_the_four_arrays_given(mode, rng):
    x = rng.permutation(16).reshape(4, 4).astype(float)
    x, out, dout, dx = pool_arrays(x, 2, None, mode, rng)
    fig = plot_pool_routes(x, out, dout, dx, 2, mode=mode, title="T")
    assert isinstance(fig, Figure)
    assert fig.get_facecolor()[:3] == (1.0, 1.0, 1.0)
    assert fig._suptitle.get_text() == "T"
    axes = fig.axes
    assert len(axes) == 4
    for ax, m in zip(axes, (x, out, dout, dx), strict=True):
        assert values_of(ax) == drawn(m)
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    assert ("max" in axes[1].get_title()) == (mode == "max")


def test_routes_frame_the_first_maximum_of_each_window():
    x = np.array([[1.0, 3.0], [3.0, 0.0]])  # a tie: the first 3, in reading order, wins
    fig = plot_pool_routes(x, [[3.0]], [[1.0]], [[0.0, 1.0], [0.0, 0.0]], 2, mode="max")
    frames = [p for p in fig.axes[0].patches
              if p.get_edgecolor()[:3] == (0.0, 0.0, 0.0) and not p.get_fill()]
    assert [(p.get_x(), p.get_y()) for p in frames] == [(0.5, -0.5)]  # cell (0, 1)


@pytest.mark.parametrize(
    "shape, kernel, stride",
    [((1, 1), 1, None), ((3, 3), 3, None), ((7, 5), 2, 2), ((5, 6), (2, 3), (1, 2)),
     ((6, 6), 2, 3), ((4, 4), 3, 1)],
)
def test_routes_on_edge_shapes(shape, kernel, stride, rng):
    x = rng.standard_normal(shape)
    for mode in ("avg", "max"):
        x, out, dout, dx = pool_arrays(x, kernel, stride, mode, rng)
        fig = plot_pool_routes(x, out, dout, dx, kernel, stride, mode=mode)
        assert values_of(fig.axes[3]) == drawn(dx)


def test_routes_refuse_arrays_that_do_not_fit(rng):
    x = rng.standard_normal((4, 4))
    with pytest.raises(ValueError, match="plot_pool_routes: out must have shape"):
        plot_pool_routes(x, np.zeros((3, 3)), np.zeros((2, 2)), x, 2, mode="avg")
    with pytest.raises(ValueError, match="mode must be 'avg' or 'max'"):
        plot_pool_routes(x, np.zeros((2, 2)), np.zeros((2, 2)), x, 2, mode="mean")
    with pytest.raises(ValueError, match="non-empty 2-d array"):
        plot_pool_routes(x[None], np.zeros((2, 2)), np.zeros((2, 2)), x, 2, mode="avg")
    with pytest.raises(ValueError, match="larger than the image"):
        plot_pool_routes(x, np.zeros((1, 1)), np.zeros((1, 1)), x, 5, mode="avg")


def avg_parts(shape, kernel, stride, dout):
    def back(d):
        return avgpool2d_backward_naive(d[None, None], (1, 1, *shape), kernel, stride)[0, 0]

    return split_by_output(back, dout), back(dout)


def test_split_by_output_adds_up_to_the_backward(rng):
    dout = rng.standard_normal((2, 2))
    parts, dx = avg_parts((6, 6), 3, 2, dout)
    assert parts.shape == (2, 2, 6, 6)
    np.testing.assert_allclose(parts.sum(axis=(0, 1)), dx, rtol=1e-12)
    np.testing.assert_allclose(parts[1, 0, 2:5, 0:3], dout[1, 0] / 9)
    assert np.count_nonzero(parts[1, 0]) == 9


def test_shares_draw_each_window_then_the_sum(rng):
    dout = np.array([[9.0, 18.0], [-9.0, 27.0]])
    parts, dx = avg_parts((6, 6), 3, 2, dout)
    fig = plot_window_shares(parts, dx, 3, 2, dout=dout, title="shares")
    axes = fig.axes
    assert len(axes) == 4 + 2  # four windows, then dout and the sum
    for k, ax in enumerate(axes[:4]):
        p, q = divmod(k, 2)
        window = {(i, j): format_number(parts[p, q, i, j])
                  for i in range(2 * p, 2 * p + 3) for j in range(2 * q, 2 * q + 3)}
        assert values_of(ax) == window  # the window's cells only
        assert ax.get_title() == f"from ({p}, {q}): {format_number(dout[p, q])}"
    assert values_of(axes[4]) == drawn(dout) and axes[4].get_title() == "upstream ∂E/∂b"
    assert values_of(axes[5]) == drawn(dx) and axes[5].get_title() == "sum: ∂E/∂a"
    assert axes[0].get_ylabel() == "row"
    assert dx[2, 2] == 5.0 and np.all(dx[5] == 0) and np.all(dx[:, 5] == 0)
    assert any("in no window" in t.get_text() for t in fig.texts)
    assert fig._suptitle.get_text() == "shares"


def test_shares_with_max_pooling_frame_the_winner():
    x = np.array([[0.0, 1.0, 0.0], [0.0, 5.0, 0.0], [0.0, 2.0, 0.0]])
    dout = np.array([[1.0, 2.0], [3.0, 4.0]])

    def back(d):
        return maxpool2d_backward_naive(d[None, None], x[None, None], 2, 1)[0, 0]

    parts = split_by_output(back, dout)
    fig = plot_window_shares(parts, back(dout), 2, 1, dout=dout, x=x, winners=True)
    axes = fig.axes
    assert [ax.get_title() for ax in axes[4:]] == ["input a", "upstream ∂E/∂b", "sum: ∂E/∂a"]
    assert values_of(axes[4]) == drawn(x)
    assert values_of(axes[-1])[(1, 1)] == "10"
    for ax in axes[:4]:
        black = [p for p in ax.patches if not p.get_fill()
                 and p.get_edgecolor()[:3] == (0.0, 0.0, 0.0)]
        assert [(p.get_x(), p.get_y()) for p in black] == [(0.5, 0.5)]  # the centre


def test_shares_refuse_a_figure_that_would_lie(rng):
    dout = rng.standard_normal((2, 2))
    parts, dx = avg_parts((4, 4), 2, 2, dout)
    with pytest.raises(ValueError, match="do not add up to dx"):
        plot_window_shares(parts, dx + 1.0, 2)
    bad = parts.copy()
    bad[0, 0, 3, 3] = 1.0
    with pytest.raises(ValueError, match=r"parts\[0, 0\] is non-zero outside window"):
        plot_window_shares(bad, bad.sum(axis=(0, 1)), 2)
    with pytest.raises(ValueError, match="parts must have shape"):
        plot_window_shares(parts, dx, 2, 1)
    with pytest.raises(ValueError, match="more than 16"):
        big = np.zeros((5, 5, 5, 5))
        plot_window_shares(big, np.zeros((5, 5)), 1)


@pytest.mark.parametrize("shape, kernel, stride", [((1, 1), 1, None), ((3, 5), (3, 2), 3),
                                                   ((5, 5), 2, 3)])
def test_shares_on_edge_shapes(shape, kernel, stride, rng):
    from bplib.plot.windows import window_geometry

    _, _, _, (oh, ow) = window_geometry(shape, kernel, stride, where="test")
    dout = rng.standard_normal((oh, ow))
    parts, dx = avg_parts(shape, kernel, stride, dout)
    fig = plot_window_shares(parts, dx, kernel, stride)
    assert values_of(fig.axes[-1]) == drawn(dx)
    assert all(ax.get_title() for ax in fig.axes)
