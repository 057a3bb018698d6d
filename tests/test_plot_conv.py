"""bplib.plot's convolution figures: every number drawn is one of the arrays given, in its
cell; every panel is titled; arrays that do not fit are refused; odd shapes draw."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

import bplib.plot
from bplib.layers.conv import conv2d_backward_naive, conv2d_forward_naive, im2col
from bplib.plot import conv as conv_plots
from bplib.plot import (
    plot_conv_geometry,
    plot_conv_input_grad_full,
    plot_conv_kernel_grad,
    plot_conv_sliding,
    plot_im2col,
)
from bplib.plot._cells import format_number, values_of

pytestmark = pytest.mark.usefixtures("close_figures")


def drawn(m) -> dict[tuple[int, int], str]:
    return {(i, j): format_number(v) for (i, j), v in np.ndenumerate(np.asarray(m))}


def weights_of(ax) -> dict[tuple[int, int], str]:
    """{(row, col): "×w"} of the kernel entries written in a panel's window."""
    out = {}
    for t in ax.texts:
        if t.get_gid() == "weight":
            x, y = t.get_position()
            out[(int(np.floor(y)), int(np.floor(x)))] = t.get_text()
    return out


def conv(a, k):
    return conv2d_forward_naive(a[None, None], k[None, None], np.zeros(1))[0, 0]


def grads(a, k, g):
    dx, dW, _ = conv2d_backward_naive(g[None, None], a[None, None], k[None, None])
    return dx[0, 0], dW[0, 0]


A = np.arange(1.0, 17.0).reshape(4, 4)
K = np.array([[1.0, 2.0], [0.0, -1.0]])
G = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0], [0.0, -1.0, 1.0]])


def test_exported():
    assert sorted(conv_plots.__all__) == sorted(
        ["plot_conv_sliding", "plot_conv_kernel_grad", "plot_conv_input_grad_full",
         "plot_conv_geometry", "plot_im2col"]
    )
    for name in conv_plots.__all__:
        assert getattr(bplib.plot, name) is getattr(conv_plots, name)


def test_sliding_draws_every_window_with_its_output():
    out = conv(A, K)
    fig = plot_conv_sliding(A, K, out, title="sliding")
    assert isinstance(fig, Figure) and fig._suptitle.get_text() == "sliding"
    assert fig.get_facecolor()[:3] == (1.0, 1.0, 1.0)
    panels, (ax_k, ax_out) = fig.axes[:9], fig.axes[9:]
    for k, ax in enumerate(panels):
        p, q = divmod(k, 3)
        assert values_of(ax) == drawn(A)
        assert weights_of(ax) == {(p + i, q + j): "×" + format_number(K[i, j])
                                  for i in range(2) for j in range(2)}
        assert ax.get_title() == f"c{p}{q}".translate(conv_plots._SUBSCRIPT) + " = " + \
            format_number(out[p, q])
    assert values_of(ax_k) == drawn(K) and ax_k.get_title() == "kernel k"
    assert values_of(ax_out) == drawn(out) and ax_out.get_title() == "c = a ⋆ k"
    assert fig.axes[0].get_ylabel()
    assert out[0, 1] == 2 + 2 * 3 - 7  # by hand: 1·a01 + 2·a02 + 0·a11 − 1·a12


def test_sliding_with_chosen_positions_and_refusals():
    out = conv(A, K)
    fig = plot_conv_sliding(A, K, out, positions=[(2, 2)])
    assert fig.axes[0].get_title().endswith(format_number(out[2, 2]))
    with pytest.raises(ValueError, match="out must have shape"):
        plot_conv_sliding(A, K, out[:2])
    with pytest.raises(ValueError, match="larger than a"):
        plot_conv_sliding(K, A, out)
    with pytest.raises(ValueError, match="outside the output"):
        plot_conv_sliding(A, K, out, positions=[(3, 0)])
    big = np.zeros((6, 6))
    with pytest.raises(ValueError, match="more than 16"):
        plot_conv_sliding(big, np.ones((1, 1)), big)
    with pytest.raises(ValueError, match="NaN"):
        plot_conv_sliding(A * np.nan, K, out)


@pytest.mark.parametrize("shape, kshape", [((1, 1), (1, 1)), ((3, 3), (3, 3)),
                                           ((2, 5), (1, 3)), ((4, 3), (2, 1))])
def test_sliding_edge_shapes(shape, kshape, rng):
    a, k = rng.standard_normal(shape), rng.standard_normal(kshape)
    fig = plot_conv_sliding(a, k, conv(a, k))
    assert values_of(fig.axes[-1]) == drawn(conv(a, k))


def test_kernel_grad_slides_dout_over_the_input():
    _, dk = grads(A, K, G)
    fig = plot_conv_kernel_grad(A, G, dk, title="dk")
    panels, (ax_g, ax_dk) = fig.axes[:4], fig.axes[4:]
    for k, ax in enumerate(panels):
        i, j = divmod(k, 2)
        assert values_of(ax) == drawn(A)
        assert weights_of(ax) == {(i + p, j + q): "×" + format_number(G[p, q])
                                  for p in range(3) for q in range(3)}
        assert ax.get_title().endswith(" = " + format_number(dk[i, j]))
        assert ax.get_title().startswith("∂E/∂k")
    assert values_of(ax_g) == drawn(G) and values_of(ax_dk) == drawn(dk)
    # eq-conv-grad-k by hand at (0, 0): Σ_pq g_pq a_pq
    assert dk[0, 0] == np.sum(G * A[:3, :3])


def test_input_grad_full_pads_and_rotates():
    da, _ = grads(A, K, G)
    fig = plot_conv_input_grad_full(G, K, da, positions=[(0, 0), (3, 3)], title="full")
    panels, side = fig.axes[:2], fig.axes[2:]
    padded = np.pad(G, 1)
    for ax, (i, j) in zip(panels, [(0, 0), (3, 3)], strict=True):
        assert values_of(ax) == drawn(padded)
        assert weights_of(ax) == {(i + p, j + q): "×" + format_number(K[1 - p, 1 - q])
                                  for p in range(2) for q in range(2)}
        assert ax.get_title().endswith(" = " + format_number(da[i, j]))
    ax_k, ax_rot, ax_da = side
    assert values_of(ax_k) == drawn(K)
    assert values_of(ax_rot) == drawn(K[::-1, ::-1]) and "180" in ax_rot.get_title()
    assert values_of(ax_da) == drawn(da)
    with pytest.raises(ValueError, match="da must have the input's shape"):
        plot_conv_input_grad_full(G, K, da[:3])


def test_input_grad_full_default_positions(rng):
    g, k = rng.standard_normal((2, 2)), rng.standard_normal((2, 2))
    da, _ = grads(rng.standard_normal((3, 3)), k, g)
    assert len([ax for ax in plot_conv_input_grad_full(g, k, da).axes
                if ax.get_title().startswith("∂E/∂a")]) == 9 + 1  # 9 panels and da
    g, k = rng.standard_normal((1, 4)), rng.standard_normal((3, 1))
    da, _ = grads(rng.standard_normal((3, 4)), k, g)
    fig = plot_conv_input_grad_full(g, k, da)
    assert values_of(fig.axes[-1]) == drawn(da)


def geometry_counts(h, w, k, s, p):
    """How many windows read each padded cell: bplib's loop backward of a padded input with a
    kernel of ones and an upstream gradient of ones."""
    (kh, kw), (sh, sw), (ph, pw) = [(v, v) if isinstance(v, int) else v for v in (k, s, p)]
    xp = np.zeros((1, 1, h + 2 * ph, w + 2 * pw))
    oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    return conv2d_backward_naive(np.ones((1, 1, oh, ow)), xp, np.ones((1, 1, kh, kw)),
                                 (sh, sw), 0)[0][0, 0]


def test_geometry_draws_the_counts_and_hatches_unreached_cells():
    counts = geometry_counts(6, 6, 3, 3, 1)
    fig = plot_conv_geometry(counts, 3, 3, 1, title="geometry")
    panels, ax = fig.axes[:4], fig.axes[4]
    assert values_of(ax) == drawn(counts)
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    assert [t.get_text() for t in ax.get_yticklabels()][:2] == ["−1", "0"]
    assert panels[1].get_title() == "output (0, 1)\nrows −1…1, columns 2…4"
    hatched = [(p.get_x() + 0.5, p.get_y() + 0.5) for p in ax.patches if p.get_hatch()]
    # input row 5 and column 5 (padded index 6) are read by no window
    assert sorted(hatched) == sorted({(6.0, float(i)) for i in range(1, 7)}
                                     | {(float(j), 6.0) for j in range(1, 7)})
    assert np.all(counts[6, 1:7] == 0) and counts[1, 1] == 1


@pytest.mark.parametrize("h, w, k, s, p", [(1, 1, 1, 1, 0), (5, 5, 3, 2, 1), (4, 7, (2, 3),
                                            (1, 2), (0, 1)), (3, 3, 5, 1, 1)])
def test_geometry_edge_shapes(h, w, k, s, p):
    counts = geometry_counts(h, w, k, s, p)
    fig = plot_conv_geometry(counts, k, s, p)
    assert values_of(fig.axes[-1]) == drawn(counts)


def test_geometry_refuses_counts_that_disagree():
    counts = geometry_counts(6, 6, 3, 3, 1)
    with pytest.raises(ValueError, match="counts do not match"):
        plot_conv_geometry(counts, 3, 2, 1)
    with pytest.raises(ValueError, match="smaller than the padding"):
        plot_conv_geometry(np.ones((2, 2)), 1, 1, 1)


def test_im2col_draws_the_matrix_product():
    cols = im2col(A[None, None], 2)
    out = conv(A, K)
    fig = plot_im2col(A, cols, K, out, highlight=[0, 5], title="im2col")
    ax_x, ax_cols, ax_k, ax_prod, ax_out = fig.axes
    assert values_of(ax_x) == drawn(A)
    assert values_of(ax_cols) == drawn(cols)
    assert values_of(ax_k) == drawn(K.reshape(1, 4))
    assert values_of(ax_prod) == drawn(out.reshape(1, 9))
    assert values_of(ax_out) == drawn(out)
    assert all(ax.get_title() for ax in fig.axes)
    assert ax_cols.get_xlabel() and ax_cols.get_ylabel()
    np.testing.assert_array_equal(K.ravel() @ cols, out.ravel())  # what the figure says
    with pytest.raises(ValueError, match="cols must have shape"):
        plot_im2col(A, cols[:, :4], K, out)
    with pytest.raises(ValueError, match="highlight 9 is not a window"):
        plot_im2col(A, cols, K, out, highlight=[9])


@pytest.mark.parametrize("shape, kshape", [((1, 1), (1, 1)), ((2, 6), (2, 2)), ((3, 3), (3, 3))])
def test_im2col_edge_shapes(shape, kshape, rng):
    x, k = rng.standard_normal(shape), rng.standard_normal(kshape)
    cols = im2col(x[None, None], kshape)
    fig = plot_im2col(x, cols, k, conv(x, k))
    assert values_of(fig.axes[1]) == drawn(cols)
