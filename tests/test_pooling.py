"""MaxPool2d / AvgPool2d: hand-computed cases ([002] Explication's 2×2 average), naive ==
vectorised, gradchecks, ties, overlapping windows, strides that do not tile, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from layer_contract import assert_cache_is_private

from bplib.gradcheck import check_layer
from bplib.layers import AvgPool2d, MaxPool2d
from bplib.layers.pooling import (
    avgpool2d_backward,
    avgpool2d_backward_naive,
    avgpool2d_forward,
    avgpool2d_forward_naive,
    maxpool2d_backward,
    maxpool2d_backward_naive,
    maxpool2d_forward,
    maxpool2d_forward_naive,
)

# --- hand-computed -------------------------------------------------------------------------

X4 = np.array([[1.0, 2.0, 0.0, -4.0],
               [3.0, 6.0, 8.0, 4.0],
               [-1.0, 0.0, 5.0, 5.0],
               [1.0, 4.0, 5.0, 1.0]]).reshape(1, 1, 4, 4)


def test_avgpool_2x2_hand_computed_seed_002():
    # b_ij = (a_{2i,2j} + a_{2i+1,2j} + a_{2i,2j+1} + a_{2i+1,2j+1}) / 4
    expected = np.array([[(1 + 2 + 3 + 6) / 4, (0 - 4 + 8 + 4) / 4],
                         [(-1 + 0 + 1 + 4) / 4, (5 + 5 + 5 + 1) / 4]])
    np.testing.assert_array_equal(expected, [[3.0, 2.0], [1.0, 4.0]])
    layer = AvgPool2d(2)
    np.testing.assert_array_equal(layer.forward(X4)[0, 0], expected)
    np.testing.assert_array_equal(avgpool2d_forward_naive(X4, 2)[0, 0], expected)


def test_avgpool_2x2_gradient_is_dout_over_4_spread_seed_002():
    dout = np.array([[4.0, 8.0], [-4.0, 2.0]]).reshape(1, 1, 2, 2)
    layer = AvgPool2d(2)
    layer.forward(X4)
    dx = layer.backward(dout)
    expected = np.array([[1.0, 1.0, 2.0, 2.0],
                         [1.0, 1.0, 2.0, 2.0],
                         [-1.0, -1.0, 0.5, 0.5],
                         [-1.0, -1.0, 0.5, 0.5]])
    np.testing.assert_array_equal(dx[0, 0], expected)
    # the source's formula, entry by entry: dE/da_ij = 1/4 dE/db_kl, k = i // 2, l = j // 2
    for i in range(4):
        for j in range(4):
            assert dx[0, 0, i, j] == dout[0, 0, i // 2, j // 2] / 4
    np.testing.assert_array_equal(avgpool2d_backward_naive(dout, X4.shape, 2)[0, 0], expected)


def test_maxpool_2x2_hand_computed():
    layer = MaxPool2d(2)
    np.testing.assert_array_equal(layer.forward(X4)[0, 0], [[6.0, 8.0], [4.0, 5.0]])
    dx = layer.backward(np.array([[10.0, 20.0], [30.0, 40.0]]).reshape(1, 1, 2, 2))
    # window (1, 1) = [[5, 5], [5, 1]] ties three times: the first maximum, (2, 2), wins
    expected = np.array([[0.0, 0.0, 0.0, 0.0],
                         [0.0, 10.0, 20.0, 0.0],
                         [0.0, 0.0, 40.0, 0.0],
                         [0.0, 30.0, 0.0, 0.0]])
    np.testing.assert_array_equal(dx[0, 0], expected)


@pytest.mark.parametrize("backward", ["naive", "vectorised"])
def test_maxpool_tie_goes_to_first_maximum_in_row_major_order(backward):
    # every window of this 3x4 input has a tie; 2x2 windows, stride 1 (they overlap)
    x = np.array([[0.0, 2.0, 2.0, 1.0],
                  [2.0, 2.0, 0.0, 2.0],
                  [1.0, 2.0, 2.0, 2.0]]).reshape(1, 1, 3, 4)
    dout = np.array([[1.0, 10.0, 100.0], [1000.0, 10000.0, 100000.0]]).reshape(1, 1, 2, 3)
    if backward == "naive":
        dx = maxpool2d_backward_naive(dout, x, 2, 1)
    else:
        _, first = maxpool2d_forward(x, 2, 1)
        dx = maxpool2d_backward(dout, first, x.shape, 2, 1)
    # window (p, q) -> position of its first maximum in the input:
    # (0,0) [[0,2],[2,2]] -> (0,1)   (0,1) [[2,2],[2,0]] -> (0,1)   (0,2) [[2,1],[0,2]] -> (0,2)
    # (1,0) [[2,2],[1,2]] -> (1,0)   (1,1) [[2,0],[2,2]] -> (1,1)   (1,2) [[0,2],[2,2]] -> (1,3)
    expected = np.array([[0.0, 11.0, 100.0, 0.0],
                         [1000.0, 10000.0, 0.0, 100000.0],
                         [0.0, 0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(dx[0, 0], expected)


def test_overlapping_windows_add_their_gradients():
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 1.0  # the centre is the maximum of all four 2x2 windows
    dout = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2)
    layer = MaxPool2d(2, stride=1)
    layer.forward(x)
    dx = layer.backward(dout)
    assert dx[0, 0, 1, 1] == 10.0 and np.count_nonzero(dx) == 1
    avg = AvgPool2d(2, stride=1)
    avg.forward(x)
    dxa = avg.backward(dout)
    # the centre lies in the four windows, a corner in one, an edge middle in two
    np.testing.assert_allclose(dxa[0, 0], np.array([[1, 3, 2], [4, 10, 6], [3, 7, 4]]) / 4)


@pytest.mark.parametrize("cls", [MaxPool2d, AvgPool2d])
def test_stride_that_does_not_tile_ignores_the_leftover_rows_and_columns(cls, rng):
    # H = 7, W = 6, K = 3, S = 2: OH = (7-3)//2 + 1 = 3 (rows 0..6 covered), OW = (6-3)//2 + 1
    # = 2 (columns 0..4 covered, column 5 left over)
    x = rng.standard_normal((2, 3, 7, 6))
    layer = cls(3, stride=2)
    out = layer.forward(x)
    assert out.shape == (2, 3, 3, 2)
    dx = layer.backward(rng.standard_normal(out.shape))
    assert np.all(dx[:, :, :, 5] == 0)
    # K = 2, S = 2 on H = 5: the last row is never covered
    layer = cls(2)
    out = layer.forward(rng.standard_normal((1, 1, 5, 5)))
    assert out.shape == (1, 1, 2, 2)
    dx = layer.backward(rng.standard_normal(out.shape))
    assert np.all(dx[:, :, 4, :] == 0) and np.all(dx[:, :, :, 4] == 0)


# --- naive == vectorised on drawn configurations -------------------------------------------


@st.composite
def pool_configs(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 4), st.integers(1, 4))))
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(kh, 9)), draw(st.integers(kw, 9))
    seed = draw(st.integers(0, 2**32 - 1))
    return (n, c, h, w), (kh, kw), stride, seed


@settings(max_examples=25, deadline=None)
@given(pool_configs(), st.booleans())
def test_maxpool_vectorised_equals_naive(config, ties):
    shape, kernel, stride, seed = config
    rng = np.random.default_rng(seed)
    # small integers make ties frequent: both versions must pick the same (first) maximum
    x = rng.integers(0, 3, shape).astype(np.float64) if ties else rng.standard_normal(shape)
    out, first = maxpool2d_forward(x, kernel, stride)
    np.testing.assert_array_equal(out, maxpool2d_forward_naive(x, kernel, stride))
    dout = rng.standard_normal(out.shape)
    np.testing.assert_allclose(
        maxpool2d_backward(dout, first, x.shape, kernel, stride),
        maxpool2d_backward_naive(dout, x, kernel, stride), rtol=1e-12, atol=1e-12,
    )


@settings(max_examples=25, deadline=None)
@given(pool_configs())
def test_avgpool_vectorised_equals_naive(config):
    shape, kernel, stride, seed = config
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    out = avgpool2d_forward(x, kernel, stride)
    np.testing.assert_allclose(out, avgpool2d_forward_naive(x, kernel, stride),
                               rtol=1e-12, atol=1e-12)
    dout = rng.standard_normal(out.shape)
    np.testing.assert_allclose(
        avgpool2d_backward(dout, x.shape, kernel, stride),
        avgpool2d_backward_naive(dout, x.shape, kernel, stride), rtol=1e-12, atol=1e-12,
    )


# --- gradchecks ----------------------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(pool_configs())
def test_gradcheck_avgpool(config):
    shape, kernel, stride, seed = config
    rng = np.random.default_rng(seed)
    check_layer(AvgPool2d(kernel, stride), rng.standard_normal(shape), rng=rng).raise_if_failed()


@settings(max_examples=20, deadline=None)
@given(pool_configs())
def test_gradcheck_maxpool(config):
    shape, kernel, stride, seed = config
    rng = np.random.default_rng(seed)
    # distinct values at least 0.1 apart: a step of 1e-6 never changes a window's argmax
    x = rng.permutation(np.prod(shape)).reshape(shape) * 0.1
    check_layer(MaxPool2d(kernel, stride), x, rng=rng).raise_if_failed()


def test_gradcheck_would_catch_a_wrong_gradient(rng):
    """The check can fail: a max-pool whose gradient goes to every tied-or-not input fails."""

    class SpreadMax(MaxPool2d):
        def backward(self, dout):
            first, x_shape, _ = self._start_backward(dout)
            return avgpool2d_backward(dout, x_shape, self.kernel_size, self.stride) * 4

    x = rng.permutation(32).reshape(2, 1, 4, 4) * 0.1
    assert not check_layer(SpreadMax(2), x, rng=rng).ok


# --- dtypes, repr ---------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [MaxPool2d, AvgPool2d])
def test_float32_in_float32_out(cls, rng):
    layer = cls(2)
    x = rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
    out = layer.forward(x)
    assert out.dtype == np.float32
    assert layer.backward(np.ones(out.shape)).dtype == np.float32


def test_repr_and_default_stride():
    assert MaxPool2d(3).stride == (3, 3)
    assert AvgPool2d((2, 3), stride=(1, 2)).stride == (1, 2)
    assert repr(MaxPool2d(2)) == "MaxPool2d(kernel_size=(2, 2), stride=(2, 2))"


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [MaxPool2d, AvgPool2d])
@pytest.mark.parametrize(
    "x, error, words",
    [
        (np.zeros((3, 4, 4)), ValueError, "4 dimensions"),
        (np.zeros((0, 1, 4, 4)), ValueError, "empty batch"),
        (np.zeros((1, 1, 1, 4)), ValueError, "larger than the input"),
        (np.full((1, 1, 4, 4), np.nan), ValueError, "NaN"),
        (np.full((1, 1, 4, 4), np.inf), ValueError, "infinite"),
        (np.zeros((1, 1, 4, 4), dtype=np.int64), TypeError, "floating-point"),
        (np.zeros((1, 1, 4, 4), dtype=np.float16), TypeError, "float32 or float64"),
        (np.ma.masked_array(np.zeros((1, 1, 4, 4))), TypeError, "masked array"),
        ([[[[1.0, 2.0], [3.0, 4.0]]]], TypeError, "numpy array"),
    ],
)
def test_bad_input_is_refused_with_the_layer_name(cls, x, error, words):
    with pytest.raises(error, match=words) as info:
        cls(2).forward(x)
    assert f"{cls.__name__}.forward" in str(info.value)


@pytest.mark.parametrize("cls", [MaxPool2d, AvgPool2d])
@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"kernel_size": 0}, ValueError),
        ({"kernel_size": -2}, ValueError),
        ({"kernel_size": 2.0}, TypeError),
        ({"kernel_size": (2, 2, 2)}, ValueError),
        ({"kernel_size": 2, "stride": 0}, ValueError),
        ({"kernel_size": 2, "stride": "1"}, TypeError),
    ],
)
def test_bad_sizes_are_refused_with_the_layer_name(cls, kwargs, error):
    with pytest.raises(error, match=cls.__name__):
        cls(**kwargs)


@pytest.mark.parametrize("cls", [MaxPool2d, AvgPool2d])
def test_editing_x_or_out_in_place_does_not_change_the_gradient(cls, rng):
    # the caches hold shapes and window indices, never x's or out's memory
    assert_cache_is_private(lambda: cls(2, 1), rng.standard_normal((2, 2, 5, 5)), rng)


@pytest.mark.parametrize("cls", [MaxPool2d, AvgPool2d])
def test_backward_before_forward_and_wrong_dout(cls, rng):
    layer = cls(2)
    with pytest.raises(RuntimeError, match=f"{cls.__name__}.backward"):
        layer.backward(np.zeros((1, 1, 2, 2)))
    layer.forward(rng.standard_normal((1, 1, 4, 4)))
    with pytest.raises(ValueError, match=f"{cls.__name__}.backward.*shape \\(1, 1, 2, 2\\)"):
        layer.backward(np.zeros((1, 1, 4, 4)))
