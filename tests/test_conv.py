"""Conv2d: [002] Explication's hand-computed example, naive == vectorised == full convolution,
gradchecks, shared bias, PyTorch-style init, strides that do not tile, dtypes, bad input."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from layer_contract import assert_cache_is_private

from bplib.gradcheck import check_layer
from bplib.layers import Conv2d, conv
from bplib.layers.conv import (
    col2im,
    conv2d_backward,
    conv2d_backward_naive,
    conv2d_forward,
    conv2d_forward_naive,
    conv2d_input_grad_full,
    im2col,
)

# --- [002] Explication's example: one channel, 3x3 input a, 2x2 kernel k, bias b -------------

A = np.array([[1.0, 2.0, 0.0],
              [3.0, -1.0, 2.0],
              [0.0, 1.0, 4.0]])
K = np.array([[1.0, 0.0],
              [-1.0, 2.0]])
B = 0.5
G = np.array([[1.0, -1.0],
              [2.0, 0.5]])  # upstream gradient dE/dc
# c_ij = b + sum_kl k_kl a_{i+k, j+l}, e.g. c_00 = 1*1 + 0*2 - 1*3 + 2*(-1) + 0.5 = -3.5
C_HAND = np.array([[-3.5, 7.5],
                   [5.5, 6.5]])
DB_HAND = 2.5  # dE/db = sum_pq dE/dc_pq = 1 - 1 + 2 + 0.5 (one shared bias)
# dE/dk_ij = sum_pq dE/dc_pq a_{p+i, q+j}, e.g. dk_00 = 1*1 - 1*2 + 2*3 + 0.5*(-1) = 4.5
DK_HAND = np.array([[4.5, 1.0],
                    [4.5, 1.0]])
# dE/da_hw = sum over the outputs whose window holds a_hw: dE/dc_pq k_{h-p, w-q},
# e.g. da_11 = g00 k11 + g01 k10 + g10 k01 + g11 k00 = 2 + 1 + 0 + 0.5 = 3.5
DA_HAND = np.array([[1.0, -1.0, 0.0],
                    [1.0, 3.5, -2.0],
                    [-2.0, 3.5, 1.0]])


def _seed_example():
    return A.reshape(1, 1, 3, 3), K.reshape(1, 1, 2, 2), np.array([B]), G.reshape(1, 1, 2, 2)


def test_seed_002_example_naive():
    x, W, b, g = _seed_example()
    np.testing.assert_array_equal(conv2d_forward_naive(x, W, b)[0, 0], C_HAND)
    dx, dW, db = conv2d_backward_naive(g, x, W)
    np.testing.assert_array_equal(dx[0, 0], DA_HAND)
    np.testing.assert_array_equal(dW[0, 0], DK_HAND)
    np.testing.assert_array_equal(db, [DB_HAND])


def test_seed_002_example_layer_and_full_convolution():
    x, W, b, g = _seed_example()
    layer = Conv2d(1, 1, 2, rng=np.random.default_rng(0))
    layer.params["W"][...] = W
    layer.params["b"][...] = b
    np.testing.assert_allclose(layer.forward(x)[0, 0], C_HAND, rtol=0, atol=1e-15)
    dx = layer.backward(g)
    np.testing.assert_allclose(dx[0, 0], DA_HAND, rtol=0, atol=1e-15)
    np.testing.assert_allclose(layer.grads["W"][0, 0], DK_HAND, rtol=0, atol=1e-15)
    np.testing.assert_allclose(layer.grads["b"], [DB_HAND], rtol=0, atol=1e-15)
    # the input gradient is the full convolution of dE/dc with the kernel rotated by 180°
    np.testing.assert_allclose(conv2d_input_grad_full(g, W, x.shape)[0, 0], DA_HAND, atol=1e-15)
    flipped = K[::-1, ::-1]
    g_full = np.pad(G, 1)  # pad by K - 1 = 1
    by_hand = np.array([[np.sum(g_full[h:h + 2, w:w + 2] * flipped) for w in range(3)]
                        for h in range(3)])
    np.testing.assert_array_equal(by_hand, DA_HAND)


def test_bias_is_shared_per_output_channel(rng):
    layer = Conv2d(2, 3, 2, rng=rng)
    x = rng.standard_normal((4, 2, 5, 5))
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    layer.backward(dout)
    assert layer.params["b"].shape == (3,)
    # one bias per channel: its gradient sums the untied per-position gradients dout[n, f, p, q]
    np.testing.assert_allclose(layer.grads["b"], dout.sum(axis=(0, 2, 3)), rtol=1e-13)
    # and adding 1 to b[f] adds 1 to every output of channel f
    layer.params["b"][1] += 1.0
    np.testing.assert_allclose(layer.forward(x) - out, np.eye(3)[1][None, :, None, None]
                               * np.ones(out.shape), atol=1e-12)


# --- drawn configurations ------------------------------------------------------------------


@st.composite
def conv_configs(draw, max_side=7):
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    n, c, f = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h = draw(st.integers(max(1, kh - 2 * ph), max_side))
    w = draw(st.integers(max(1, kw - 2 * pw), max_side))
    seed = draw(st.integers(0, 2**32 - 1))
    return (n, c, h, w), (f, c, kh, kw), (sh, sw), (ph, pw), seed


def _draw_arrays(config):
    x_shape, w_shape, stride, padding, seed = config
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape)
    W = rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[0])
    return rng, x, W, b, stride, padding


def _one_or_two_passes(two_pass: bool):
    """Force im2col/col2im's one-pass (wide outputs) or two-pass (narrow outputs) path."""
    return mock.patch.object(conv, "_TWO_PASS_BELOW_OW", 10**9 if two_pass else 0)


@settings(max_examples=30, deadline=None)
@given(conv_configs(), st.booleans())
def test_vectorised_equals_naive_and_full_convolution(config, two_pass):
    rng, x, W, b, stride, padding = _draw_arrays(config)
    with _one_or_two_passes(two_pass):
        out, cache = conv2d_forward(x, W, b, stride, padding)
    np.testing.assert_allclose(out, conv2d_forward_naive(x, W, b, stride, padding),
                               rtol=1e-12, atol=1e-12)
    dout = rng.standard_normal(out.shape)
    naive = conv2d_backward_naive(dout, x, W, stride, padding)
    with _one_or_two_passes(two_pass):
        fast = conv2d_backward(dout, cache)
    for name, a, e in zip(["dx", "dW", "db"], fast, naive, strict=True):
        assert a.shape == e.shape, name
        np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(conv2d_input_grad_full(dout, W, x.shape, stride, padding),
                               naive[0], rtol=1e-12, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(conv_configs(max_side=6))
def test_gradcheck_conv2d(config):
    rng, x, W, b, stride, padding = _draw_arrays(config)
    f, c, kh, kw = W.shape
    layer = Conv2d(c, f, (kh, kw), stride=stride, padding=padding, rng=rng)
    check_layer(layer, x, rng=rng).raise_if_failed()


def test_gradcheck_would_catch_an_unflipped_kernel(rng):
    """The check can fail: an input gradient that correlates with the kernel instead of
    convolving (kernel not rotated) is rejected."""

    class NoFlip(Conv2d):
        def backward(self, dout):
            super().backward(dout)  # fills grads
            unflipped = self.params["W"][:, :, ::-1, ::-1]  # the full convolution flips it back
            x_shape = self.cache[2]
            return conv2d_input_grad_full(dout, unflipped, x_shape, self.stride, self.padding)

    layer = NoFlip(2, 2, 3, rng=rng)
    assert not check_layer(layer, rng.standard_normal((1, 2, 5, 5)), rng=rng).ok


@pytest.mark.parametrize("two_pass", [False, True])
def test_im2col_col2im_are_adjoint(rng, two_pass):
    # <im2col(x), Y> == <x, col2im(Y)>: col2im is the transpose of the linear map im2col
    x = rng.standard_normal((2, 3, 7, 6))
    args = ((3, 2), (2, 1), (1, 2))
    with _one_or_two_passes(two_pass):
        cols = im2col(x, *args)
        Y = rng.standard_normal(cols.shape)
        back = col2im(Y, x.shape, *args)
    np.testing.assert_allclose(np.sum(cols * Y), np.sum(x * back), rtol=1e-12)


@pytest.mark.parametrize("shape, args", [
    ((2, 3, 20, 40), ((3, 5), (1, 2), (1, 0))),  # OW = 18: one pass by default
    ((3, 2, 9, 11), ((2, 3), (2, 1), (0, 1))),   # OW = 11: two passes by default
])
def test_one_and_two_pass_im2col_col2im_agree(rng, shape, args):
    x = rng.standard_normal(shape)
    with _one_or_two_passes(False):
        cols1 = im2col(x, *args)
        back1 = col2im(cols1, shape, *args)
    with _one_or_two_passes(True):
        cols2 = im2col(x, *args)
        back2 = col2im(cols1, shape, *args)
    np.testing.assert_array_equal(cols1, cols2)
    np.testing.assert_allclose(back1, back2, rtol=1e-13, atol=1e-13)


def test_stride_that_does_not_tile_leaves_uncovered_pixels_with_zero_gradient(rng):
    # H = W = 6, K = 3, S = 2, P = 0: OH = (6 - 3)//2 + 1 = 2, windows cover rows 0..4 only
    layer = Conv2d(2, 3, 3, stride=2, rng=rng)
    x = rng.standard_normal((2, 2, 6, 6))
    out = layer.forward(x)
    assert out.shape == (2, 3, 2, 2)
    dx = layer.backward(rng.standard_normal(out.shape))
    assert np.all(dx[:, :, 5, :] == 0) and np.all(dx[:, :, :, 5] == 0)
    assert np.all(dx[:, :, 4, :4] != 0)
    # changing the uncovered pixels does not change the output
    x2 = x.copy()
    x2[:, :, 5, :] = 100.0
    np.testing.assert_array_equal(layer.forward(x2), out)


def test_output_size_formula(rng):
    # OH = floor((H + 2P - KH)/S) + 1, OW likewise, non-square everything
    layer = Conv2d(1, 2, (3, 2), stride=(2, 3), padding=(1, 0), rng=rng)
    out = layer.forward(rng.standard_normal((1, 1, 8, 11)))
    assert out.shape == (1, 2, (8 + 2 - 3) // 2 + 1, (11 - 2) // 3 + 1) == (1, 2, 4, 4)


# --- init, dtypes, repr ------------------------------------------------------------------------


def test_pytorch_default_init():
    layer = Conv2d(3, 5, (2, 4), rng=np.random.default_rng(7))
    bound = 1 / np.sqrt(3 * 2 * 4)
    assert layer.params["W"].shape == (5, 3, 2, 4) and layer.params["b"].shape == (5,)
    for value in layer.params.values():
        assert value.dtype == np.float64
        assert np.all(np.abs(value) <= bound) and np.abs(value).max() > bound / 2
    again = Conv2d(3, 5, (2, 4), rng=np.random.default_rng(7))
    np.testing.assert_array_equal(again.params["W"], layer.params["W"])
    assert Conv2d(1, 1, 1).params["W"].shape == (1, 1, 1, 1)  # rng=None works


def test_float32_input_is_computed_in_float32(rng):
    layer = Conv2d(2, 3, 3, padding=1, rng=rng)
    x = rng.standard_normal((2, 2, 5, 5))
    out64 = layer.forward(x)
    dx64 = layer.backward(np.ones(out64.shape))
    out32 = layer.forward(x.astype(np.float32))
    assert out32.dtype == np.float32
    dx32 = layer.backward(np.ones(out32.shape, dtype=np.float32))
    assert dx32.dtype == np.float32
    assert layer.grads["W"].dtype == np.float64  # grads keep the parameters' dtype
    np.testing.assert_allclose(out32, out64, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(dx32, dx64, rtol=1e-5, atol=1e-5)


def test_editing_x_or_out_in_place_does_not_change_the_gradient(rng):
    # the cache holds im2col's copy of x
    x = rng.standard_normal((2, 2, 5, 5))
    for stride, padding in [(1, 1), (2, 0)]:
        assert_cache_is_private(
            lambda s=stride, p=padding: Conv2d(2, 3, 3, s, p, rng=np.random.default_rng(3)),
            x, rng,
        )
    # W is the parameter itself, not a copy (chapters 3 and 11 measure the caches' memory
    # without the weights): parameters change after backward, not before
    layer = Conv2d(2, 3, 3, rng=rng)
    layer.forward(x)
    assert layer.cache[1] is layer.params["W"]


def test_state_dict_round_trip_and_validation(rng):
    a, b = Conv2d(2, 3, 3, rng=rng), Conv2d(2, 3, 3, rng=rng)
    x = rng.standard_normal((1, 2, 4, 4))
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(a.forward(x), b.forward(x))
    before = b.state_dict()
    bad = {"W": np.ones((3, 2, 3, 3)), "b": np.array([0.0, np.nan, 0.0])}
    with pytest.raises(ValueError, match="'b': expected finite values, got 1 NaN") as info:
        b.load_state_dict(bad)
    assert "Conv2d.load_state_dict: nothing was loaded" in str(info.value)
    for key, value in b.state_dict().items():  # W, although good, was not written
        np.testing.assert_array_equal(value, before[key])


def test_repr():
    assert repr(Conv2d(1, 8, 3, padding=1, rng=np.random.default_rng(0))) == (
        "Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
    )


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "x, error, words",
    [
        (np.zeros((2, 5, 5)), ValueError, "4 dimensions"),
        (np.zeros((1, 3, 5, 5)), ValueError, "C=3 channels.*in_channels=2"),
        (np.zeros((0, 2, 5, 5)), ValueError, "empty batch"),
        (np.zeros((1, 2, 2, 5)), ValueError, "larger than the input"),
        (np.full((1, 2, 5, 5), np.nan), ValueError, "NaN"),
        (np.zeros((1, 2, 5, 5), dtype=np.int32), TypeError, "floating-point"),
        (np.zeros((1, 2, 5, 5), dtype=np.float16), TypeError, "float32 or float64"),
        (np.ma.masked_array(np.zeros((1, 2, 5, 5))), TypeError, "masked array"),
        ("image", TypeError, "numpy array"),
    ],
)
def test_bad_input_is_refused_with_the_layer_name(x, error, words, rng):
    with pytest.raises(error, match=words) as info:
        Conv2d(2, 4, 3, rng=rng).forward(x)
    assert "Conv2d.forward" in str(info.value)


def test_kernel_larger_than_the_padded_input(rng):
    x = rng.standard_normal((1, 1, 2, 2))
    Conv2d(1, 1, 4, padding=1, rng=rng).forward(x)  # fits the padded 4x4 input
    with pytest.raises(ValueError, match="Conv2d.forward.*larger than the padded input \\(4, 4\\)"):
        Conv2d(1, 1, 5, padding=1, rng=rng).forward(x)


@pytest.mark.parametrize(
    "args, kwargs, error",
    [
        ((0, 4, 3), {}, ValueError),
        ((2, -1, 3), {}, ValueError),
        ((2.0, 4, 3), {}, TypeError),
        ((2, 4, 0), {}, ValueError),
        ((2, 4, (3, 1.5)), {}, TypeError),
        ((2, 4, 3), {"stride": 0}, ValueError),
        ((2, 4, 3), {"stride": (1, 2, 3)}, ValueError),
        ((2, 4, 3), {"padding": -1}, ValueError),
        ((2, 4, 3), {"padding": 0.5}, TypeError),
        ((2, 4, 3), {"rng": 0}, TypeError),
    ],
)
def test_bad_sizes_are_refused_with_the_layer_name(args, kwargs, error):
    with pytest.raises(error, match="Conv2d"):
        Conv2d(*args, **kwargs)


def test_backward_before_forward_and_wrong_dout(rng):
    layer = Conv2d(1, 2, 3, rng=rng)
    with pytest.raises(RuntimeError, match="Conv2d.backward"):
        layer.backward(np.zeros((1, 2, 3, 3)))
    layer.forward(rng.standard_normal((1, 1, 5, 5)))
    with pytest.raises(ValueError, match="Conv2d.backward.*shape \\(1, 2, 3, 3\\)"):
        layer.backward(np.zeros((1, 3, 3, 3)))
    with pytest.raises(ValueError, match="Conv2d.backward.*NaN"):
        layer.backward(np.full((1, 2, 3, 3), np.nan))


def test_a_W_edited_in_place_between_forward_and_backward_is_refused(rng):
    layer = Conv2d(2, 3, 3, padding=1, rng=rng)
    x = rng.standard_normal((2, 2, 5, 5))
    dout = rng.standard_normal((2, 3, 5, 5))
    layer.forward(x)
    reference = layer.backward(dout)
    layer.forward(x)
    layer.params["W"][1, 0, 2, 2] += 1e-9
    with pytest.raises(RuntimeError, match=r"Conv2d.backward: params\['W'\] was changed"):
        layer.backward(dout)
    layer.params["W"][1, 0, 2, 2] -= 1e-9
    layer.forward(x)
    np.testing.assert_allclose(layer.backward(dout), reference, rtol=1e-13, atol=1e-15)
